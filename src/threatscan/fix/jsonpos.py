"""JSON with positions, for the template fixers: every value and member key keeps its character offsets, so a fix
edits the characters of one value or inserts members where they belong, never re-serialises the document (key
order, spacing, indentation and line endings stay as written).

Only what JSON allows (RFC 8259): a template that is not strict JSON (comments, trailing commas) is not parsed
and so not fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
MAX_DEPTH = 200


@dataclass
class Member:
    key: str
    key_start: int  # offset of the key's opening quote
    value: "Node"


@dataclass
class Node:
    kind: str  # "object", "array", "string", "number", "literal"
    start: int
    end: int  # exclusive
    value: Any = None  # a scalar's value
    members: list[Member] = field(default_factory=list)
    items: list["Node"] = field(default_factory=list)

    def get(self, key: str) -> Member | None:
        return next((m for m in self.members if m.key == key), None) if self.kind == "object" else None


def parse(text: str) -> Node:
    """The document's root value; ValueError when the text is not strict JSON."""
    node, end = _value(text, _WS.match(text, 0).end(), 0)
    if _WS.match(text, end).end() != len(text):
        raise ValueError("extra data after the JSON value")
    return node


def _value(text: str, i: int, depth: int) -> tuple[Node, int]:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if i >= len(text):
        raise ValueError("unexpected end")
    c = text[i]
    if c == "{":
        node = Node("object", i, i)
        i = _WS.match(text, i + 1).end()
        if text.startswith("}", i):
            node.end = i + 1
            return node, i + 1
        while True:
            if not text.startswith('"', i):
                raise ValueError(f"a key expected at {i}")
            key_start = i
            key, i = json.decoder.scanstring(text, i + 1)
            i = _WS.match(text, i).end()
            if not text.startswith(":", i):
                raise ValueError(f"':' expected at {i}")
            value, i = _value(text, _WS.match(text, i + 1).end(), depth + 1)
            node.members.append(Member(key, key_start, value))
            i = _WS.match(text, i).end()
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()
                continue
            if text.startswith("}", i):
                node.end = i + 1
                return node, i + 1
            raise ValueError(f"',' or '}}' expected at {i}")
    if c == "[":
        node = Node("array", i, i)
        i = _WS.match(text, i + 1).end()
        if text.startswith("]", i):
            node.end = i + 1
            return node, i + 1
        while True:
            item, i = _value(text, i, depth + 1)
            node.items.append(item)
            i = _WS.match(text, i).end()
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()
                continue
            if text.startswith("]", i):
                node.end = i + 1
                return node, i + 1
            raise ValueError(f"',' or ']' expected at {i}")
    if c == '"':
        value, end = json.decoder.scanstring(text, i + 1)
        return Node("string", i, end, value), end
    for word, value in _LITERALS.items():
        if text.startswith(word, i):
            return Node("literal", i, i + len(word), value), i + len(word)
    m = _NUMBER.match(text, i)
    if m and m.end() > i:
        return Node("number", i, m.end(), json.loads(m.group())), m.end()
    raise ValueError(f"a value expected at {i}")


def walk(node: Node):
    """Every node under (and including) `node`, with the member that holds it (None for array items and the root)."""
    stack: list[tuple[Node, Member | None]] = [(node, None)]
    while stack:
        current, member = stack.pop()
        yield current, member
        stack.extend((m.value, m) for m in reversed(current.members))
        stack.extend((n, None) for n in reversed(current.items))


def member_at(root: Node, offset: int) -> tuple[Node, Member] | None:
    """The member whose key starts at `offset`, with the object that holds it."""
    for node, _ in walk(root):
        for m in node.members:
            if m.key_start == offset:
                return node, m
    return None


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (in characters)."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    return _WS.match(text, start).group().split("\n")[-1].replace("\r", "")


def indent_unit(text: str) -> str:
    """The file's indentation step: the first indented line's leading whitespace (two spaces when none)."""
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else "  "


def _step(text: str, obj: Node, inner: str) -> str:
    """The indentation step of `obj`: how much deeper its members sit than its own line (the file's step when
    that is not a plain extension)."""
    outer = _line_indent(text, obj.start)
    return inner[len(outer):] if inner.startswith(outer) and len(inner) > len(outer) else indent_unit(text)


def insert_member(text: str, obj: Node, key: str, value: Any, *, first: bool) -> str:
    """`text` with `"key": value` added to the object `obj`, first or last, laid out as the object's members are:
    one per line at their indentation (nested values indented by the object's own step), or inline when the
    object is written on one line."""
    newline = "\r\n" if "\r\n" in text else "\n"
    unit = indent_unit(text)
    if not obj.members:
        outer = _line_indent(text, obj.start)
        inner = outer + unit
        rendered = json.dumps(value, indent=unit).replace("\n", newline + inner)
        return (text[:obj.start] + "{" + newline + inner + json.dumps(key) + ": " + rendered + newline + outer + "}"
                + text[obj.end:])
    multiline = "\n" in text[obj.start:obj.members[0].key_start]
    if multiline:
        inner = _line_indent(text, obj.members[0].key_start)
        unit = _step(text, obj, inner)
        rendered = json.dumps(key) + ": " + json.dumps(value, indent=unit).replace("\n", newline + inner)
        if first:
            at = obj.start + 1
            return text[:at] + newline + inner + rendered + "," + text[at:]
        at = obj.members[-1].value.end
        return text[:at] + "," + newline + inner + rendered + text[at:]
    rendered = json.dumps(key) + ": " + json.dumps(value, separators=(", ", ": "))
    if first:
        at = obj.members[0].key_start
        return text[:at] + rendered + ", " + text[at:]
    at = obj.members[-1].value.end
    return text[:at] + ", " + rendered + text[at:]


def insert_member_before(text: str, obj: Node, before: Member, key: str, value: Any) -> str:
    """`"key": value` added to `obj` just before its member `before` (a template's Parameters before Resources)."""
    index = obj.members.index(before)
    if index == 0:
        return insert_member(text, obj, key, value, first=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    previous = obj.members[index - 1]
    multiline = "\n" in text[previous.value.end:before.key_start]
    at = previous.value.end
    if multiline:
        inner = _line_indent(text, before.key_start)
        rendered = json.dumps(value, indent=_step(text, obj, inner)).replace("\n", newline + inner)
        rendered = json.dumps(key) + ": " + rendered
        return text[:at] + "," + newline + inner + rendered + text[at:]
    rendered = json.dumps(key) + ": " + json.dumps(value, separators=(", ", ": "))
    return text[:at] + ", " + rendered + text[at:]
