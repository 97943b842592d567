"""The terminal report: findings grouped by file, each with its line of code, rule, severity and threats.

Every string from the scanned repository is shown with its control characters visible (escape.visible): a file
name or a line of code cannot recolour the terminal, move the cursor or start a new line in a CI log.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import click

from ..escape import visible as _v
from ..model import Finding, Notice, Severity

_COLOURS = {Severity.CRITICAL: "magenta", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def summary_line(findings: list[Finding], files: int, notices: int, set_aside: dict[str, int] | None = None) -> str:
    """`findings`: the open ones; `set_aside`: how many the scan did not count, by reason (suppressed, baselined)."""
    counts = Counter(f.severity for f in findings)
    by_sev = ", ".join(f"{counts[s]} {s.label}" for s in sorted(Severity, reverse=True) if counts[s])
    total = len(findings)
    text = f"{total} finding{'s' if total != 1 else ''}"
    if by_sev:
        text += f" ({by_sev})"
    text += f" in {files} file{'s' if files != 1 else ''} scanned"
    aside = ", ".join(f"{n} {why}" for why, n in (set_aside or {}).items() if n)
    if aside:
        text += f" ({aside})"
    if notices:
        text += f"; {notices} notice{'s' if notices != 1 else ''}"
    return text


def render(findings: list[Finding], notices: Iterable[Notice], rules: dict, *, files: int, colour: bool,
           verbose: bool = False, set_aside: dict[str, int] | None = None, threats: dict | None = None) -> str:
    """`threats`: the catalogue's (or the active threat model's) threats by id; the first threat of each finding is
    named with its title under the message (messages themselves never name threats)."""
    known = threats or {}
    style = (lambda s, **kw: click.style(s, **kw)) if colour else (lambda s, **kw: s)
    notices = list(notices)
    out: list[str] = []
    current = None
    for f in findings:
        if f.location.path != current:
            current = f.location.path
            if out:
                out.append("")
            out.append(style(_v(current), bold=True, underline=True))
        rule = rules.get(f.rule_id)
        name = rule.name if rule else f.rule_id
        sev = style(f.severity.label.upper(), fg=_COLOURS[f.severity], bold=True)
        suggested = f.properties.get("suggestedThreats") or ()
        threats = _v(", ".join(f"{t} (suggested)" if t in suggested else t for t in f.threats))
        # Why a finding does not fail the gate: a review finding, test/example, vendored or non-shipping code (tail.gates).
        kind = " ".join(t for t in ("review" if f.evidence == "review" else "",
                                    {"test": "test-code", "non-shipping": "non-shipping", "vendored": "vendored"}.get(f.code_kind, "")) if t)
        kind = f"  ({style(kind, dim=True)})" if kind else ""
        out.append(f"  {f.location.line}:{f.location.column}  {style(_v(f.rule_id), bold=True)} {_v(name)}  {sev}{kind}  [{threats}]")
        if f.snippet:
            for line in f.snippet.splitlines()[:3]:
                out.append("      " + style(_v(line.strip(), keep_tab=True), dim=True))
        out.append(f"      {_v(f.message)}")
        first = next((known[t] for t in f.threats if t in known), None)
        if first is not None:
            out.append(f"      {style('threat', fg='blue')} {_v(first.id)}: {_v(first.title)}")
        for step in f.flow:
            out.append(f"      {style('flow', fg='blue')} {_v(step.location.path)}:{step.location.line}  {_v(step.message)}")
        for rel in f.related:
            out.append(f"      {style('see', fg='blue')} {_v(rel.location.path)}:{rel.location.line}  {_v(rel.message)}")
        if f.suppression is not None:
            out.append(f"      {style('suppressed', fg='green')}: {_v(f.suppression.justification)}")
    shown_notices = notices if verbose else [n for n in notices if n.level != "note"]
    if shown_notices:
        if out:
            out.append("")
        out.append(style("Notices", bold=True))
        for n in shown_notices:
            where = f"{n.path}:{n.line}" if n.path and n.line else (n.path or "")
            out.append(f"  {n.level}: {_v(where) + ': ' if where else ''}{_v(n.message)}")
    if out:
        out.append("")
    open_findings = [f for f in findings if f.suppression is None]
    aside = set_aside if set_aside is not None else {"suppressed": len(findings) - len(open_findings)}
    out.append(summary_line(open_findings, files, len(shown_notices), aside))
    return "\n".join(out) + "\n"
