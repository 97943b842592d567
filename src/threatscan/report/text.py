"""The terminal report: findings grouped by file, each with its line of code, rule, severity and threats."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import click

from ..model import Finding, Notice, Severity

_COLOURS = {Severity.CRITICAL: "magenta", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def summary_line(findings: list[Finding], files: int, notices: int) -> str:
    counts = Counter(f.severity for f in findings)
    by_sev = ", ".join(f"{counts[s]} {s.label}" for s in sorted(Severity, reverse=True) if counts[s])
    total = len(findings)
    text = f"{total} finding{'s' if total != 1 else ''}"
    if by_sev:
        text += f" ({by_sev})"
    text += f" in {files} file{'s' if files != 1 else ''} scanned"
    if notices:
        text += f"; {notices} notice{'s' if notices != 1 else ''}"
    return text


def render(findings: list[Finding], notices: Iterable[Notice], rules: dict, *, files: int, colour: bool,
           verbose: bool = False, threats: dict | None = None) -> str:
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
            out.append(style(current, bold=True, underline=True))
        rule = rules.get(f.rule_id)
        name = rule.name if rule else f.rule_id
        sev = style(f.severity.label.upper(), fg=_COLOURS[f.severity], bold=True)
        suggested = f.properties.get("suggestedThreats") or ()
        threats = ", ".join(f"{t} (suggested)" if t in suggested else t for t in f.threats)
        out.append(f"  {f.location.line}:{f.location.column}  {style(f.rule_id, bold=True)} {name}  {sev}  [{threats}]")
        if f.snippet:
            for line in f.snippet.splitlines()[:3]:
                out.append("      " + style(line.strip(), dim=True))
        out.append(f"      {f.message}")
        first = next((known[t] for t in f.threats if t in known), None)
        if first is not None:
            out.append(f"      {style('threat', fg='blue')} {first.id}: {first.title}")
        for step in f.flow:
            out.append(f"      {style('flow', fg='blue')} {step.location.path}:{step.location.line}  {step.message}")
        for rel in f.related:
            out.append(f"      {style('see', fg='blue')} {rel.location.path}:{rel.location.line}  {rel.message}")
        if f.suppression is not None:
            out.append(f"      {style('suppressed', fg='green')}: {f.suppression.justification}")
    shown_notices = notices if verbose else [n for n in notices if n.level != "note"]
    if shown_notices:
        if out:
            out.append("")
        out.append(style("Notices", bold=True))
        for n in shown_notices:
            where = f"{n.path}:{n.line}" if n.path and n.line else (n.path or "")
            out.append(f"  {n.level}: {where + ': ' if where else ''}{n.message}")
    if out:
        out.append("")
    out.append(summary_line([f for f in findings if f.suppression is None], files, len(shown_notices)))
    return "\n".join(out) + "\n"
