"""A hardened, position-keeping XML reader for Android resources and manifests.

Built on expat (the parser defusedxml hardens) with defusedxml's policy and exceptions, `forbid_dtd=True`
included: any document type declaration is refused before its content is read, so external entities are never
resolved, no DTD is fetched, and entity-expansion bombs (billion laughs) never start. Parameter-entity parsing is
off. defusedxml's own readers (SAX, ElementTree) hide expat's byte offsets, which exact columns need.

Android files never need a DTD, so refusing one costs nothing. Every element keeps the byte offset of its `<`;
attribute positions are found on demand by re-reading the element's start tag, so a finding points at the exact
line and column of the attribute (columns count characters, 1-based). Namespace prefixes bound to the Android and
tools namespaces are normalised to `android:` and `tools:`, whatever prefix a file uses.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from typing import Iterator
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ...discover import DecodeError, text_codec

ANDROID_NS = "http://schemas.android.com/apk/res/android"
TOOLS_NS = "http://schemas.android.com/tools"
_KNOWN_NS = {ANDROID_NS: "android", TOOLS_NS: "tools"}

# Compiled (binary) XML as found inside APKs: chunk type RES_XML_TYPE (0x0003), header size 8.
AXML_MAGIC = b"\x03\x00\x08\x00"


class XmlProblem(Exception):
    """The file cannot be read as XML. `kind` is the notice kind; `line` where known."""

    def __init__(self, message: str, kind: str = "parse-error", line: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.line = line


class Element:
    """An XML element: tag, attributes (Android/tools prefixes normalised), children, text (when kept), and the
    byte offset of its `<` in the document's UTF-8 encoding."""

    __slots__ = ("tag", "attrs", "offset", "parent", "children", "text")

    def __init__(self, tag: str, attrs: dict[str, str], offset: int, parent: "Element | None" = None):
        self.tag = tag
        self.attrs = attrs
        self.offset = offset
        self.parent = parent
        self.children: list[Element] = []
        self.text = ""

    def __repr__(self) -> str:
        return f"<Element {self.tag} at byte {self.offset}>"

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self, tag: str | None = None) -> Iterator["Element"]:
        stack = [self]
        while stack:
            el = stack.pop()
            if tag is None or el.tag == tag:
                yield el
            stack.extend(reversed(el.children))

    def find_all(self, tag: str) -> list["Element"]:
        return [c for c in self.children if c.tag == tag]

    def ancestors(self) -> Iterator["Element"]:
        el = self.parent
        while el is not None:
            yield el
            el = el.parent


@dataclass(frozen=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


_ATTR = re.compile(rb"""([^\s=<>/"']+)\s*=\s*("[^"]*"|'[^']*')""")
_TAG_END = re.compile(rb"""(?:[^>"']+|"[^"]*"|'[^']*')*>""")
_TAG_NAME = re.compile(rb"<([^\s/>]+)")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class XmlDoc:
    """A parsed XML document: the root element plus what is needed to turn offsets into lines and columns."""

    def __init__(self, root: Element, data: bytes):
        self.root = root
        self.data = data
        self._line_starts: list[int] | None = None

    # --- positions ----------------------------------------------------------------------------------------
    def _starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.data.find
            i = find(b"\n")
            while i >= 0:
                starts.append(i + 1)
                i = find(b"\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        starts = self._starts()
        index = bisect.bisect_right(starts, offset) - 1
        column = len(self.data[starts[index]:offset].decode("utf-8", "replace")) + 1
        return index + 1, column

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        starts = self._starts()
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.data)
        return self.data[starts[line - 1]:end].decode("utf-8", "replace").rstrip("\r\n")

    def tag_span(self, el: Element) -> Span:
        """The element's start tag, from `<` to the end of its name."""
        return self.span(el.offset, el.offset + 1 + len(self._raw_name(el)))

    def _raw_name(self, el: Element) -> bytes:
        m = _TAG_NAME.match(self.data, el.offset)
        return m.group(1) if m else el.tag.encode()

    def attr_span(self, el: Element, name: str) -> Span | None:
        """The attribute `name="value"` in the element's start tag (normalised name, e.g. android:exported)."""
        tag = _TAG_END.match(self.data, el.offset)
        end = tag.end() if tag else len(self.data)
        prefixes: set[str] | None = None
        local = name.split(":", 1)[-1]
        for m in _ATTR.finditer(self.data, el.offset, end):
            raw = m.group(1).decode("utf-8", "replace")
            if raw == name:
                return self.span(m.start(), m.end())
            if ":" in raw and ":" in name and raw.split(":", 1)[1] == local:
                if prefixes is None:
                    prefixes = self._prefixes_for(el, name)
                if raw.split(":", 1)[0] in prefixes:
                    return self.span(m.start(), m.end())
        return None

    def _prefixes_for(self, el: Element, name: str) -> set[str]:
        if ":" not in name:
            return set()
        want = name.split(":", 1)[0]
        uri = {v: k for k, v in _KNOWN_NS.items()}.get(want)
        out = {want}
        for node in (el, *el.ancestors()):
            for key, value in node.attrs.items():
                if key.startswith("xmlns:") and value == uri:
                    out.add(key[6:])
        return out

    def where(self, el: Element, attr: str | None = None) -> Span:
        if attr:
            span = self.attr_span(el, attr)
            if span:
                return span
        return self.tag_span(el)


def decode_xml(data: bytes) -> str:
    """XML bytes to text: UTF-8 with or without BOM, UTF-16 with or without BOM, or the declared encoding."""
    if data.startswith(AXML_MAGIC):
        raise XmlProblem("compiled (binary) Android XML, as found inside APKs: out of scope; skipped",
                         "binary-xml")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16")
    if data.startswith(b"<\x00"):
        return _strict(data, "utf-16-le")
    if data.startswith(b"\x00<"):
        return _strict(data, "utf-16-be")
    if b"\x00" in data[:4096]:
        raise XmlProblem("binary file (contains NUL bytes), not XML; skipped", "unreadable")
    m = _DECLARED_ENCODING.match(data)
    encoding = m.group(1).decode("ascii").lower() if m else "utf-8"
    if encoding.replace("_", "-") in ("utf-16", "utf-16le", "utf-16be"):
        encoding = "utf-8"  # declared UTF-16 without a BOM or NULs: the bytes are really 8-bit
    try:
        text_codec(encoding)
    except DecodeError as exc:
        raise XmlProblem(f"XML {exc}; skipped", "unreadable") from None
    return _strict(data, encoding)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise XmlProblem(f"not valid {encoding.upper()} ({exc.reason} at byte {exc.start}); skipped",
                         "unreadable") from None
    except (UnicodeError, LookupError, ValueError, MemoryError) as exc:
        raise XmlProblem(f"cannot decode as {encoding!r} ({exc.__class__.__name__}); skipped", "unreadable") from None


def parse_xml(data: bytes, *, keep_text: bool = False) -> XmlDoc:
    """Parse hostile XML safely. Raises XmlProblem (malformed, refused DTD/entities, binary, bad encoding)."""
    text = decode_xml(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    # expat reads UTF-8 from here on: the override wins over any encoding the declaration names.
    utf8 = text.encode("utf-8")
    parser = expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True

    refused: list[str] = []

    # defusedxml's policy (forbid_dtd, forbid_entities, forbid_external) and its exceptions, on a bare expat
    # parser so that byte offsets (and so exact columns) stay available.
    def doctype(name, sysid, pubid, _has_internal_subset):
        refused.append("a document type declaration (DTD)")
        raise DTDForbidden(name, sysid, pubid)

    def entity(name, _is_parameter, value, base, sysid, pubid, notation):
        refused.append("an entity declaration")
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def unparsed_entity(name, base, sysid, pubid, notation):
        refused.append("an unparsed entity declaration")
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def external(context, base, sysid, pubid):
        refused.append("an external entity reference")
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed_entity
    parser.ExternalEntityRefHandler = external

    # A sentinel parent for the root element, so that every start tag has a parent to join.
    top = Element("", {}, 0)
    stack: list[Element] = [top]
    chunks: list[str] = []  # character data in document order; an element's text is a run of them
    text_from: list[int] = []  # for each open element, where its run starts

    # Where "xmlns:" occurs in the bytes: only elements at or before such a place can declare a prefix, so the
    # others (nearly all: declarations sit on the root) skip the search.
    xmlns_at = _occurrences(utf8, b"xmlns:")
    last_xmlns = xmlns_at[-1] if xmlns_at else -1
    # The namespaces in scope, pushed only by elements that declare some: (depth of the declaring element,
    # prefix -> normalised prefix ("android"/"tools"), whether any prefix differs from its normalised form).
    scopes: list[tuple[int, dict[str, str], bool]] = [(0, {}, False)]

    def start(name: str, attrs: dict[str, str]) -> None:
        offset = parser.CurrentByteIndex
        if offset <= last_xmlns and attrs and any(k.startswith("xmlns:") for k in attrs):
            prefixes = dict(scopes[-1][1])
            for k, v in attrs.items():
                if k.startswith("xmlns:"):
                    if v in _KNOWN_NS:
                        prefixes[k[6:]] = _KNOWN_NS[v]
                    else:
                        prefixes.pop(k[6:], None)
            scopes.append((len(stack), prefixes, any(p != n for p, n in prefixes.items())))
        _, prefixes, renames = scopes[-1]
        if renames:
            norm: dict[str, str] = {}
            for key, value in attrs.items():
                i = key.find(":")
                if i > 0:
                    known = prefixes.get(key[:i])
                    if known:
                        key = known + key[i:]
                norm[key] = value
            attrs = norm
        elif offset > last_xmlns:  # no declaration ahead and nothing to rename in scope
            parser.StartElementHandler = plain_text_start if keep_text else plain_start
        parent = stack[-1]
        el = Element(name, attrs, offset, parent)
        parent.children.append(el)
        stack.append(el)
        if keep_text:
            text_from.append(len(chunks))

    def plain_start(name: str, attrs: dict[str, str]) -> None:
        parent = stack[-1]
        el = Element(name, attrs, parser.CurrentByteIndex, parent)
        parent.children.append(el)
        stack.append(el)

    def plain_text_start(name: str, attrs: dict[str, str]) -> None:
        parent = stack[-1]
        el = Element(name, attrs, parser.CurrentByteIndex, parent)
        parent.children.append(el)
        stack.append(el)
        text_from.append(len(chunks))

    def end(_name: str) -> None:
        stack.pop()
        if scopes[-1][0] == len(stack):
            scopes.pop()
            parser.StartElementHandler = start  # the scope changes: decide again at the next element

    def text_end(_name: str) -> None:
        el = stack.pop()
        if scopes[-1][0] == len(stack):
            scopes.pop()
            parser.StartElementHandler = start  # the scope changes: decide again at the next element
        first = text_from.pop()
        if first < len(chunks):
            el.text = "".join(chunks[first:])

    def chars(data: str) -> None:
        if text_from:
            chunks.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = text_end if keep_text else end
    if keep_text:
        parser.CharacterDataHandler = chars
    try:
        parser.Parse(utf8, True)
    except DefusedXmlException:
        raise XmlProblem(
            f"refused to parse: the document contains {refused[0]}; DTDs and entities are never processed "
            "(no external entity is resolved, no expansion performed); skipped",
            "refused-xml", parser.CurrentLineNumber) from None
    except expat.ExpatError as exc:
        raise XmlProblem(f"malformed XML: {expat.ErrorString(exc.code)} (line {exc.lineno}, column "
                         f"{exc.offset + 1}); skipped", "parse-error", exc.lineno) from None
    if not top.children:
        raise XmlProblem("no root element; skipped", "parse-error")
    root = top.children[0]
    root.parent = None
    return XmlDoc(root, utf8)


def _occurrences(data: bytes, needle: bytes) -> list[int]:
    out, i = [], data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out
