"""The Markdown report: a GitHub job summary or pull-request comment (counts by severity and threat, top findings)."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..model import Finding, Notice, Severity

TOP = 20


def _link(f: Finding, base_url: str | None) -> str:
    where = f"{f.location.path}:{f.location.line}"
    if base_url:
        return f"[`{where}`]({base_url.rstrip('/')}/{f.location.path}#L{f.location.line})"
    return f"`{where}`"


def mermaid_pie(title: str, items: Iterable[tuple[str, int]]) -> list[str]:
    """A Mermaid pie chart, which GitHub renders in job summaries and comments. Labels are threatscan's own words
    (severities, statuses), never text from the scanned repository."""
    rows = [(label, n) for label, n in items if n]
    if not rows:
        return []
    return ["", "```mermaid", f"pie showData title {title}", *(f'    "{label}" : {n}' for label, n in rows), "```"]


def render(findings: list[Finding], notices: Iterable[Notice], catalog, *, files: int, base_url: str | None = None,
           title: str = "threatscan") -> str:
    open_findings = [f for f in findings if f.suppression is None]
    suppressed = len(findings) - len(open_findings)
    notices = [n for n in notices if n.level != "note"]
    sev = Counter(f.severity for f in open_findings)
    out = [f"## {title}", ""]
    if not open_findings:
        out.append(f"No findings in {files} files scanned.")
    else:
        out.append(f"**{len(open_findings)} findings** in {files} files scanned"
                   + (f" ({suppressed} suppressed)" if suppressed else "") + ".")
        out += ["", "| severity | findings |", "|---|---|"]
        out += [f"| {s.label} | {sev[s]} |" for s in sorted(Severity, reverse=True) if sev[s]]
        out += mermaid_pie("Findings by severity", ((s.label, sev[s]) for s in sorted(Severity, reverse=True)))
        by_threat = Counter(t for f in open_findings for t in f.threats)
        out += ["", "| threat | title | findings |", "|---|---|---|"]
        for tid, n in by_threat.most_common():
            title_ = catalog.threats[tid].title if tid in catalog.threats else ""
            out.append(f"| {tid} | {title_} | {n} |")
        ranked = sorted(open_findings, key=lambda f: (-int(f.severity), f.location.path, f.location.line))
        out += ["", f"### Top findings", "", "| severity | rule | where | message |", "|---|---|---|---|"]
        for f in ranked[:TOP]:
            message = f.message.replace("|", "\\|").replace("\n", " ")
            out.append(f"| {f.severity.label} | {f.rule_id} | {_link(f, base_url)} | {message} |")
        if len(ranked) > TOP:
            out.append(f"\n{len(ranked) - TOP} more findings are in the SARIF report.")
    if notices:
        out += ["", f"<details><summary>{len(notices)} files could not be fully scanned</summary>", ""]
        out += [f"- `{n.path or '-'}`: {n.message}" for n in notices[:50]]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
