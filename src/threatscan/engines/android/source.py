"""Java and Kotlin source, read with a small lexer: enough for the checks Android security reviews always make.

The lexer blanks comments and the contents of string and character literals (keeping every offset, so positions
in the masked text are positions in the file), and lists the string literals with their offsets and, for
Kotlin templates, the names they interpolate (`"$token"`, `"${user.token}"`). Checks match on the masked text,
so a commented-out `handler.proceed()` or a string that mentions `MODE_WORLD_READABLE` is never a finding.
Nothing is compiled or run.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StringLit:
    start: int  # offset of the opening quote
    end: int  # offset after the closing quote
    value: str  # the contents, escapes as written
    templates: tuple[str, ...] = ()  # Kotlin: the expressions interpolated with $name / ${expr}


@dataclass
class SourceCode:
    text: str
    masked: str
    strings: list[StringLit] = field(default_factory=list)
    kotlin: bool = False
    _lines: list[int] = field(default_factory=list)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        if not self._lines:
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        i = bisect.bisect_right(self._lines, offset) - 1
        return i + 1, offset - self._lines[i] + 1

    def line_text(self, line: int) -> str:
        lines = self.text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def matching(self, open_at: int) -> int:
        """The offset of the bracket closing the one at `open_at` (in the masked text), or -1."""
        pairs = {"(": ")", "{": "}", "[": "]"}
        opener = self.masked[open_at]
        closer = pairs[opener]
        depth = 0
        for i in range(open_at, len(self.masked)):
            c = self.masked[i]
            if c == opener:
                depth += 1
            elif c == closer:
                depth -= 1
                if depth == 0:
                    return i
        return -1

    def strings_in(self, start: int, end: int) -> list[StringLit]:
        return [s for s in self.strings if start <= s.start and s.end <= end]


_TEMPLATE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_]\w*))")


def lex(text: str, kotlin: bool = False) -> SourceCode:
    out = list(text)
    strings: list[StringLit] = []
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == '"' and text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            while j < n and text[j] == '"':
                j += 1
            value = text[i + 3:max(i + 3, j - 3)]
            strings.append(StringLit(i, j, value, _templates(value) if kotlin else ()))
            blank(i + 1, j - 1)
            i = j
        elif c == '"':
            j = i + 1
            depth = 0
            while j < n:
                d = text[j]
                if d == "\\":
                    j += 2
                    continue
                if kotlin and d == "$" and j + 1 < n and text[j + 1] == "{":
                    depth += 1
                elif depth and d == "}":
                    depth -= 1
                elif d == '"' and not depth:
                    break
                elif d == "\n":
                    break
                j += 1
            value = text[i + 1:j]
            strings.append(StringLit(i, min(j + 1, n), value, _templates(value) if kotlin else ()))
            blank(i + 1, j)
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return SourceCode(text, "".join(out), strings, kotlin)


def _templates(value: str) -> tuple[str, ...]:
    """The expressions a Kotlin string interpolates: `$token` -> "token", `${user.token}` -> "user.token"."""
    return tuple(m.group(1) if m.group(1) is not None else m.group(2) for m in _TEMPLATE.finditer(value))
