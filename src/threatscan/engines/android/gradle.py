"""A small structural reader for Gradle build files, Groovy and Kotlin DSL alike.

Gradle scripts are programs; this never runs them. It blanks comments and string contents (keeping every offset),
matches braces into named blocks (`android`, `buildTypes`, `release`, `getByName("release")`, ...), reads the
settings written directly inside a block (`minifyEnabled true`, `isMinifyEnabled = true`, `targetSdk 34`), and
lists every string literal with the name it is bound to, for the secret detector.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(eq=False)
class Block:
    name: str  # "android", "release", "" for the whole file
    header_start: int
    open: int  # offset of '{'
    close: int  # offset of the matching '}' (or end of file)
    parent: "Block | None" = None
    children: list["Block"] = field(default_factory=list)

    def child(self, *names: str) -> "Block | None":
        for c in self.children:
            if c.name in names:
                return c
        return None

    def path(self) -> tuple[str, ...]:
        out = []
        b: Block | None = self
        while b is not None and b.name:
            out.append(b.name)
            b = b.parent
        return tuple(reversed(out))


class Literal(NamedTuple):  # a tuple: a build file holds many, made in a tight loop
    start: int  # offset of the opening quote
    end: int  # offset after the closing quote
    value: str  # unescaped content
    interpolated: bool  # a double-quoted string with $ substitutions


@dataclass(frozen=True)
class Setting:
    key: str
    value: str  # the raw value text (a literal's content when quoted)
    start: int  # offset of the key
    end: int  # offset after the value


_NAMED = re.compile(r"""^(?:[\w.]*\.)?(?:getByName|named|create|maybeCreate|register)\s*\(\s*["']([^"']+)["']""")
_PLAIN = re.compile(r"^([\w.]+)\s*(?:\(\s*\))?$")


class GradleFile:
    def __init__(self, text: str):
        self.text = text
        self.masked, self.literals = _mask(text)
        self._starts = [lit.start for lit in self.literals]
        self.root = self._blocks()
        self._line_starts: list[int] | None = None
        self._lines: list[str] | None = None
        self._blocks_list: list[Block] | None = None
        self._settings: dict[tuple[Block, tuple[str, ...]], Setting | None] = {}
        self._reversed: str | None = None

    # --- positions ------------------------------------------------------------------------------------
    def position(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0] + [i + 1 for i in _occurrences(self.text, "\n", 0, len(self.text))]
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def line_text(self, line: int) -> str:
        if self._lines is None:
            self._lines = self.text.splitlines()
        lines = self._lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    # --- structure ------------------------------------------------------------------------------------
    def _blocks(self) -> Block:
        m = self.masked
        root = Block("", 0, -1, len(m))
        stack = [root]
        # One pass over the characters that end a header (newline, `;`, braces): the header of a `{` starts after
        # the boundary before it (searching back from every brace instead is quadratic on a long line of them).
        before = [-1, -1]  # the last two boundaries seen
        for match in _BOUNDARY.finditer(m):
            i = match.start()
            if m[i] == "{":
                start = before[-1] + 1
                header = self.text[start:i].strip()
                if not header and start > 0 and m[start - 1] == "\n":  # `release\n{`
                    prev = before[-2] + 1
                    header, start = self.text[prev:start - 1].strip(), prev
                block = Block(_block_name(header), start + (len(self.text[start:i]) - len(self.text[start:i].lstrip())), i, len(m), stack[-1])
                stack[-1].children.append(block)
                stack.append(block)
            elif m[i] == "}" and len(stack) > 1:
                stack.pop().close = i
            before = [before[-1], i]
        return root

    def find(self, *path: tuple[str, ...] | str) -> list[Block]:
        """Blocks reached by following names from the root, at any depth for the first step."""
        first, rest = path[0], path[1:]
        names = (first,) if isinstance(first, str) else first
        found = [b for b in self._all() if b.name in names]
        for step in rest:
            names = (step,) if isinstance(step, str) else step
            found = [c for b in found for c in b.children if c.name in names]
        return found

    def _all(self) -> list[Block]:
        if self._blocks_list is None:
            out, stack = [], [self.root]
            while stack:
                b = stack.pop()
                out.append(b)
                stack.extend(reversed(b.children))
            self._blocks_list = out[1:]
        return self._blocks_list

    def direct_text_ranges(self, block: Block) -> list[tuple[int, int]]:
        ranges, pos = [], block.open + 1
        for c in block.children:
            ranges.append((pos, c.header_start))
            pos = c.close + 1
        ranges.append((pos, block.close))
        return ranges

    def setting(self, block: Block, *keys: str) -> Setting | None:
        """The last `key value`, `key = value` or `key(value)` written directly in the block (looked up once per
        block and keys: the project model and the checks ask the same questions)."""
        memo = (block, keys)
        if memo not in self._settings:
            self._settings[memo] = self._setting(block, keys)
        return self._settings[memo]

    def _setting(self, block: Block, keys: tuple[str, ...]) -> Setting | None:
        # Where a key occurs is found with str.find; the pattern is then matched there only (a regex search over
        # the block cannot skip ahead, since the pattern starts with a lookbehind).
        pattern = _setting_pattern(keys)
        masked = self.masked
        found = None
        for start, end in self.direct_text_ranges(block):
            hits = sorted({i for key in keys for i in _occurrences(masked, key, start, end)})
            last_end = start
            for i in hits:
                begin = i - 3 if i - 3 >= start and masked.startswith("set", i - 3) else i
                if begin < last_end or (begin > 0 and (masked[begin - 1].isalnum() or masked[begin - 1] in "_.$")):
                    continue
                m = pattern.match(masked, i, end)
                if m is None:
                    continue
                last_end = m.end()
                value = self.text[m.start(2):m.end(2)]
                lit = self.literal_at(m.start(2))
                if lit:
                    value = lit.value
                found = Setting(m.group(1), value.strip(), m.start(1), m.end(2))
        return found

    def literal_at(self, offset: int) -> Literal | None:
        i = bisect.bisect_left(self._starts, offset)
        return self.literals[i] if i < len(self.literals) and self._starts[i] == offset else None

    def plugin_kind(self) -> str | None:
        code = self._code()
        if re.search(r"com\.android\.(?:application|dynamic-feature)\b|android[.\-]application\b|androidApplication\b|plugins\.android\.app\b", code):
            return "application"
        if re.search(r"com\.android\.library\b|android[.\-]library\b|androidLibrary\b|plugins\.android\.lib\b", code):
            return "library"
        return None

    def int_assignments(self) -> dict[str, int]:
        """`name = 31`, `name: 31`, `ext.name = 31`, `set("name", 31)`: for resolving `rootProject.ext.name`."""
        out: dict[str, int] = {}
        for m in re.finditer(r"""(?<![\w$])["']?([A-Za-z_]\w*)["']?\s*[:=,]\s*(\d{1,3})\b(?![.\w])""", self.masked):
            out[m.group(1)] = int(m.group(2))
        for lit in self.literals:  # set("targetSdk", 31) / ext["targetSdk"] = 31: the name is a literal
            m = re.match(r"""(?<!\s)\s*(?:[\])]\s*)?[:=,]\s*(\d{1,3})\b""", self.masked[lit.end:lit.end + 12])
            if m and re.fullmatch(r"[A-Za-z_]\w*", lit.value):
                out[lit.value] = int(m.group(1))
        return out

    def bound_name(self, lit: Literal) -> str | None:
        """The name a string literal is bound to: `name = "v"`, `name "v"`, `name: "v"`, `name("v")`,
        `buildConfigField("String", "NAME", "v")`, `resValue("string", "name", "v")`, `"name" to "v"`,
        `ext["name"] = "v"`. None when the literal stands alone.

        The patterns end where the literal starts, so they are matched backwards: anchored on the reversed text
        from the literal's start (at most 200 characters back), instead of searched for in the text before it."""
        if self._reversed is None:
            self._reversed = self.masked[::-1]
        rev, at = self._reversed, len(self.masked) - lit.start
        end = min(len(rev), at + 200)
        if _BEFORE_NAME_ARG.match(rev, at, end) or _BEFORE_KEY.match(rev, at, end):
            key = self._literal_before(lit.start)
            return key.value if key else None
        m = _BEFORE_IDENT.match(rev, at, end)
        if not m or not (m.group(2) or " " in m.group(1) or "\t" in m.group(1)):
            return None
        name = m.group(3)[::-1].rsplit(".", 1)[-1]
        return None if name in _NOT_NAMES else name

    def config_fields(self) -> list[tuple[Literal, Literal]]:
        """(name, value) of every `buildConfigField(TYPE, NAME, VALUE)` and `resValue(TYPE, NAME, VALUE)`."""
        if "buildConfigField" not in self.text and "resValue" not in self.text:
            return []
        if self._reversed is None:
            self._reversed = self.masked[::-1]
        rev, n, out = self._reversed, len(self.masked), []
        for lit in self.literals:
            at = n - lit.start
            if _BEFORE_NAME_ARG.match(rev, at, min(n, at + 200)):
                key = self._literal_before(lit.start)
                if key is not None:
                    out.append((key, lit))
        return out

    def enclosing(self, offset: int) -> list[Block]:
        """The blocks around an offset, innermost first."""
        out: list[Block] = []
        block = self.root
        while True:
            inner = next((c for c in block.children if c.open < offset < c.close), None)
            if inner is None:
                return out[::-1]
            out.append(inner)
            block = inner

    def _code(self) -> str:
        """The text with comments blanked but strings kept."""
        parts, pos = [], 0
        for lit in self.literals:
            parts.append(self.masked[pos:lit.start])
            parts.append(self.text[lit.start:lit.end])
            pos = lit.end
        parts.append(self.masked[pos:])
        return "".join(parts)

    def _literal_before(self, offset: int) -> Literal | None:
        i = bisect.bisect_left(self._starts, offset) - 1
        return self.literals[i] if i >= 0 else None


# What may stand right before a literal, written backwards (they are matched on the reversed text; see bound_name):
# `buildConfigField("String", "NAME", ` / `resValue("string", "name", `, then `"key" to ` / `"key": ` / `["key"] = `,
# then `name = ` / `name: ` / `name(` / `name `.
# Linear by construction: each starts only right after a quote (where a literal begins: the one try bound_name
# makes), and no two repeats of whitespace touch without a required character between them.
_BEFORE_NAME_ARG = re.compile(r"""(?<=["'])\s*,\s*(["'])\s*\1\s*,\s*(["'])\s*\2\s*(?:\(\s*)?(?:dleiFgifnoCdliub|eulaVser)""")
_BEFORE_KEY = re.compile(r"""(?<=["'])\s*(?:=\s*\]|\bot\b|:)\s*(["'])\s*\1""")
# `= name`, `: name`, `( name`, or blanks that include a space or tab: the blanks are checked in bound_name.
_BEFORE_IDENT = re.compile(r"""(?<=["'])(\s*)([=:(]\s*)?([\w.]*[A-Za-z_])(?![\w$])""")
_NOT_NAMES = frozenset({"def", "val", "var", "const", "return", "if", "else", "is", "in", "when", "file", "uri", "url",
                        "println", "print", "logger", "error", "throw"})


@functools.lru_cache(maxsize=64)
def _setting_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    """`key value`, `key = value`, `key(value)`, matched where a key starts (see GradleFile._setting: the key, or
    `setKey`, must not follow a word character, `.` or `$`)."""
    # `\s*(?<=[ \t])`: blanks ending in a space or tab, without a second repeat over the same blanks (linear).
    return re.compile(r"(" + "|".join(map(re.escape, keys)) + r")\b(?:\s*[=(]\s*|\s*(?<=[ \t]))([^\s)\n;,]+)")


def _occurrences(text: str, word: str, start: int, end: int) -> list[int]:
    out, i = [], text.find(word, start, end)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1, end)
    return out


def _block_name(header: str) -> str:
    m = _NAMED.match(header)
    if m:
        return m.group(1)
    m = _PLAIN.match(header)
    if m:
        return m.group(1).rsplit(".", 1)[-1]
    words = header.split("(", 1)[0].split()
    return words[-1] if words else ""  # `(x) {`, `"a" {`: no name


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", "'": "'", '"': '"', "$": "$"}
_BOUNDARY = re.compile(r"[\n;{}]")
_NEXT = re.compile(r"""//|/\*|\"\"\"|'''|["']""")
_BODY = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*'),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*"),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*', re.S),
    "'''": re.compile(r"(?:[^'\\]|\\.|'(?!''))*", re.S),
}
_UNESCAPE = re.compile(r"\\(.)", re.S)
_INTERPOLATION = re.compile(r"(?<!\\)\$[{A-Za-z_]")
_NOT_NEWLINE = re.compile(r"[^\n]")


def _unescape(m: re.Match[str]) -> str:
    return _ESCAPES.get(m.group(1), m.group(1))


def _mask(text: str) -> tuple[str, list[Literal]]:
    """Comments become spaces, string contents become spaces (quotes kept); newlines stay where they are."""
    out: list[str] = []
    literals: list[Literal] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _NEXT.search(text, pos)
        if m is None:
            out.append(text[pos:])
            break
        start, token = m.start(), m.group()
        out.append(text[pos:start])
        if token == "//":
            end = text.find("\n", start)
            end = n if end < 0 else end
            out.append(" " * (end - start))
        elif token == "/*":
            end = text.find("*/", start + 2)
            end = n if end < 0 else end + 2
            out.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        else:
            body_end = _BODY[token].match(text, m.end()).end()
            closed = text.startswith(token, body_end)
            end = body_end + len(token) if closed else body_end
            raw = text[m.end():body_end]
            out.append(token + (_NOT_NEWLINE.sub(" ", raw) if "\n" in raw else " " * len(raw)) + (token if closed else ""))
            value = _UNESCAPE.sub(_unescape, raw) if "\\" in raw else raw
            literals.append(Literal(start, end, value, token[0] == '"' and "$" in raw and bool(_INTERPOLATION.search(raw))))
        pos = end
    return "".join(out), literals
