"""Inline suppressions: `threatscan: ignore[RULE-ID,...] reason [until=YYYY-MM-DD]` in a comment.

    subprocess.run(cmd, shell=True)  # threatscan: ignore[PY101] cmd is a constant from settings.py
    <!-- threatscan: ignore[AND104] the provider is read-only and holds public data -->
    // threatscan: ignore[AND110] minified by the release pipeline's own R8 step

A comment applies to every finding of the named rules in the statement it sits on (any line of a multi-line
statement) or, alone on its line, in the statement that follows. Suppressed findings are kept, marked with a SARIF
`suppressions` entry (kind inSource, the reason as justification), so reviewers still see them. A suppression
without a reason, naming an unknown rule, past its `until` date, or suppressing nothing is itself reported
(rule TS001 of the meta engine, engines/meta, low severity).

A suppression is a comment, never text inside a string: in Python the directives are read from the tokenizer's
comment tokens, so a docstring that shows the syntax suppresses nothing.

Directives and statement spans are read while the file is scanned (`index_file`, in the per-file step, before the
file's trees are released) and travel with the file's findings as a `FileIndex`; `apply_suppressions` (a stage of
the findings' tail, tail.py) reads only these indexes, never a parse cache, so results are the same for any
number of processes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from ..engines.meta import ENGINE as META
from ..model import Finding, Suppression

if TYPE_CHECKING:
    from ..catalog import Catalog

_COMMENT = re.compile(r"(?:#|//|<!--)\s*threatscan:\s*ignore\[([^\]]*)\]\s*(.*?)\s*(?:-->\s*)?$", re.I)
_PY_COMMENT = re.compile(r"#\s*threatscan:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$", re.I)
_MARK = re.compile(r"threatscan:", re.I)
_UNTIL = re.compile(r"\buntil=(\d{4}-\d{2}-\d{2})\b")
_COMMENT_STARTS = ("#", "//", "<!--")


@dataclass(frozen=True)
class Directive:
    path: str
    line: int
    rules: tuple[str, ...]
    reason: str
    until: dt.date | None
    standalone: bool  # alone on its line: it applies to the next statement
    text: str
    next_code_line: int = -1  # the first line after it that is neither blank nor a comment (-1: none)


@dataclass(frozen=True)
class FileIndex:
    """What the suppression stage needs to know about one file, read while the file was scanned."""

    path: str
    directives: tuple[Directive, ...]
    # Python: (first, last) line of every simple statement and compound-statement header; None for other kinds.
    spans: tuple[tuple[int, int], ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The innermost statement around a line range (the range itself where no statement is known)."""
        best = (start, end)
        for s, e in self.spans or ():
            if s <= start and end <= e and (best == (start, end) or e - s < best[1] - best[0]):
                best = (s, e)
        return best


def _directive(rel: str, number: int, line: str, m: re.Match, lines: list[str], standalone: bool) -> Directive:
    rules = tuple(r.strip() for r in m.group(1).split(",") if r.strip())
    reason = re.split(r"(?:^|(?<!\s)\s+)(?:#|//)\s", m.group(2), maxsplit=1)[0]  # a further comment is not the reason
    until = None
    u = _UNTIL.search(reason)
    if u:
        try:
            until = dt.date.fromisoformat(u.group(1))
        except ValueError:
            until = None
        reason = (reason[:u.start()] + reason[u.end():]).strip()
    reason = reason.strip(" -:")
    return Directive(rel, number, rules, reason, until, standalone, line.strip(), _next_code_line(lines, number))


def parse_directives(rel: str, text: str, python: bool = False) -> list[Directive]:
    """Every suppression comment of a file. Python comments come from the tokenizer (never from a string);
    other kinds (YAML, XML, Gradle, Kotlin) from the comment markers on each line."""
    # (ASCII text: the mark in any letter case is the lowered text's "threatscan:", found four times faster than by
    # the case-blind pattern, which must also match the long s in other text)
    if ("threatscan:" not in text.lower()) if text.isascii() else _MARK.search(text) is None:
        return []
    lines = re.split(r"\r\n|\r|\n", text)
    if python:
        found = _python_comments(text)
        if found is not None:
            out = []
            for number, col, comment in found:
                m = _PY_COMMENT.match(comment)
                if m:
                    line = lines[number - 1]
                    out.append(_directive(rel, number, line, m, lines, line[:col].strip() == ""))
            return out
    out = []
    for number, line in enumerate(lines, start=1):
        if "threatscan:" not in line.lower():
            continue
        m = _COMMENT.search(line)
        if m:
            out.append(_directive(rel, number, line, m, lines, line[:m.start()].strip() == ""))
    return out


def _python_comments(text: str) -> list[tuple[int, int, str]] | None:
    """(line, column, text) of every comment token; None when the file does not tokenize."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and "threatscan:" in tok.string.lower():
                out.append((tok.start[0], tok.start[1], tok.string))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


def apply_suppressions(findings: list[Finding], indexes: Mapping[str, FileIndex], catalog: "Catalog",
                       today: dt.date | None = None) -> list[Finding]:
    """Mark the findings a directive suppresses; the meta engine then reports directives that are broken or
    suppress nothing (TS001)."""
    today = today or dt.date.today()
    used: set[tuple[str, int]] = set()
    out: list[Finding] = []
    for f in findings:
        index = indexes.get(f.location.path)
        if index is None or not index.directives:
            out.append(f)
            continue
        start = f.location.line
        s, e = index.span(start, max(f.location.end_line or start, start))
        suppression = None
        for d in index.directives:
            if f.rule_id not in d.rules:
                continue
            if not ((s <= d.line <= e) or (d.standalone and d.next_code_line == s)):
                continue
            used.add((d.path, d.line))
            if not d.reason or (d.until and d.until < today) or f.suppression is not None:
                continue
            suppression = Suppression("inSource", d.reason)
        out.append(f if suppression is None else f.with_(suppression=suppression))
    return out + META.review(indexes, used, catalog, today)


def _next_code_line(lines: list[str], line: int) -> int:
    n = line + 1
    while n <= len(lines):
        stripped = lines[n - 1].strip()
        if stripped and not stripped.startswith(_COMMENT_STARTS):
            return n
        n += 1
    return -1


def indexes_of(items: Iterable[FileIndex | None]) -> dict[str, FileIndex]:
    return {i.path: i for i in items if i is not None}
