"""Inline suppressions: `threatscan: ignore[RULE-ID,...] reason [until=YYYY-MM-DD]` in a comment.

    subprocess.run(cmd, shell=True)  # threatscan: ignore[PY101] cmd is a constant from settings.py
    <!-- threatscan: ignore[AND104] the provider is read-only and holds public data -->
    // threatscan: ignore[AND110] minified by the release pipeline's own R8 step

A comment applies to every finding of the named rules in the statement it sits on (any line of a multi-line
statement) or, alone on its line, in the statement that follows. Suppressed findings are kept, marked with a SARIF
`suppressions` entry (kind inSource, the reason as justification), so reviewers still see them. A suppression
without a reason, naming an unknown rule, past its `until` date, or suppressing nothing is itself reported
(rule TS001, low severity).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from .engines.base import new_finding
from .model import Finding, Suppression

if TYPE_CHECKING:
    from .catalog import Catalog
    from .discover import SourceFile

META_RULE = "TS001"
_COMMENT = re.compile(r"(?:#|//|<!--)\s*threatscan:\s*ignore\[([^\]]*)\]\s*(.*?)\s*(?:-->\s*)?$", re.I)
_UNTIL = re.compile(r"\buntil=(\d{4}-\d{2}-\d{2})\b")


@dataclass
class Directive:
    path: str
    line: int
    rules: tuple[str, ...]
    reason: str
    until: dt.date | None
    standalone: bool  # alone on its line: it applies to the next statement
    text: str
    used: bool = False


def parse_directives(file: "SourceFile") -> list[Directive]:
    try:
        lines = file.lines()
    except Exception:
        return []
    out = []
    for number, line in enumerate(lines, start=1):
        if "threatscan:" not in line:
            continue
        m = _COMMENT.search(line)
        if not m:
            continue
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
        standalone = line[:m.start()].strip() == ""
        out.append(Directive(file.rel, number, rules, reason, until, standalone, line.strip()))
    return out


def _python_statement_spans(file: "SourceFile") -> Callable[[int, int], tuple[int, int]] | None:
    """For Python: the innermost simple statement (or compound header) around a line range."""
    module = file.cached("python-module", lambda: None) if "python" in file.kinds else None
    tree = getattr(module, "tree", None)
    if tree is None:
        return None
    spans: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            end = node.end_lineno or node.lineno
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                first = body[0]
                decorators = getattr(node, "decorator_list", [])
                start = min([node.lineno, *(d.lineno for d in decorators)])
                end = max(node.lineno, first.lineno - 1)
                spans.append((start, end))
            else:
                spans.append((node.lineno, end))

    def span(start: int, end: int) -> tuple[int, int]:
        best = (start, end)
        for s, e in spans:
            if s <= start and end <= e and (best == (start, end) or e - s < best[1] - best[0]):
                best = (s, e)
        return best

    return span


def apply_suppressions(findings: list[Finding], files: Iterable["SourceFile"], catalog: "Catalog",
                       today: dt.date | None = None) -> list[Finding]:
    today = today or dt.date.today()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.location.path, []).append(f)
    known = set(catalog.rules)
    meta_rule = catalog.rules.get(META_RULE)
    out: list[Finding] = []
    meta: list[Finding] = []
    handled = set()
    for file in files:
        directives = parse_directives(file)
        file_findings = by_path.get(file.rel, [])
        handled.add(file.rel)
        if not directives:
            out.extend(file_findings)
            continue
        span_of = _python_statement_spans(file)
        for f in file_findings:
            start = f.location.line
            end = max(f.location.end_line or start, start)
            s, e = span_of(start, end) if span_of else (start, end)
            suppression = None
            for d in directives:
                if f.rule_id not in d.rules:
                    continue
                applies = (s <= d.line <= e) or (d.standalone and _next_code_line(file, d.line) == s)
                if not applies:
                    continue
                d.used = True
                if not d.reason or (d.until and d.until < today) or f.suppression is not None:
                    continue
                suppression = Suppression("inSource", d.reason)
            out.append(f if suppression is None else f.with_(suppression=suppression))
        if meta_rule is None:
            continue
        for d in directives:
            problems = []
            unknown = [r for r in d.rules if r not in known]
            if not d.rules:
                problems.append("names no rule")
            if unknown:
                problems.append(f"names unknown rule{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
            if not d.reason:
                problems.append("gives no reason, so it does not suppress anything")
            if d.until and d.until < today:
                problems.append(f"expired on {d.until.isoformat()}, so the finding is reported again")
            elif not d.used and not unknown and d.rules:
                problems.append("suppresses nothing (no such finding on this statement)")
            if problems:
                meta.append(new_finding(
                    meta_rule, file.rel, d.line, 1,
                    f"This suppression {'; '.join(problems)}.",
                    code=d.text, snippet=d.text,
                ))
    out.extend(f for path, fs in by_path.items() if path not in handled for f in fs)
    return out + meta


def _next_code_line(file: "SourceFile", line: int) -> int:
    lines = file.lines()
    n = line + 1
    while n <= len(lines):
        stripped = lines[n - 1].strip()
        if stripped and not stripped.startswith(("#", "//", "<!--")):
            return n
        n += 1
    return -1


def _no_check(*_args, **_kwargs) -> None:
    """TS001 is reported by apply_suppressions, not by an engine: it reads no kind of file."""


from .registry import register  # noqa: E402

register(META_RULE, "suppression", _no_check)
