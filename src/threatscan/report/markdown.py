"""The Markdown report: a GitHub job summary or pull-request comment (counts by severity and threat, top findings).

Every string that comes from the scanned repository (paths, rule and threat ids, threat titles, messages quoting
code, notices) is escaped for Markdown (escape.py): no HTML, images, links, mentions or broken tables.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable
from urllib.parse import quote

from ..escape import md_code, md_message, md_text, visible
from ..model import Finding, Notice, Severity

TOP = 20


def _link(f: Finding, base_url: str | None) -> str:
    where = md_code(f"{f.location.path}:{f.location.line}")
    if base_url:
        return f"[{where}]({base_url.rstrip('/')}/{quote(f.location.path, safe='/')}#L{f.location.line})"
    return where


def rank(f: Finding, catalog) -> tuple:
    """Most important first: severity, then shipping code before test code, evidence shown (a flow) before a
    review finding, then the rule's security-severity (eval of request data before a cookie flag), then place."""
    rule = catalog.rules.get(f.rule_id) if catalog is not None else None
    evidence = {"flow": 0, "": 1, "review": 2}.get(f.evidence, 1)
    return (-int(f.severity), bool(f.code_kind), evidence, -(rule.security_severity if rule else 0.0),
            f.location.path, f.location.line)


def mermaid_pie(title: str, items: Iterable[tuple[str, int]]) -> list[str]:
    """A Mermaid pie chart, which GitHub renders in job summaries and comments. Labels are threatscan's own words
    (severities, statuses), never text from the scanned repository."""
    rows = [(label, n) for label, n in items if n]
    if not rows:
        return []
    def clean(text: str) -> str:  # one line, no quote to end the label, no backtick to end the fence
        return visible(text).replace('"', "'").replace("`", "'")

    return ["", "```mermaid", f"pie showData title {clean(title)}", *(f'    "{clean(label)}" : {n}' for label, n in rows),
            "```"]


def render(findings: list[Finding], notices: Iterable[Notice], catalog, *, files: int, base_url: str | None = None,
           title: str = "threatscan", sarif_written: bool = False, set_aside: dict[str, int] | None = None) -> str:
    open_findings = [f for f in findings if f.suppression is None]
    aside = set_aside if set_aside is not None else {"suppressed": len(findings) - len(open_findings)}
    aside_text = ", ".join(f"{n} {why}" for why, n in aside.items() if n)
    notices = [n for n in notices if n.level != "note"]
    sev = Counter(f.severity for f in open_findings)
    out = [f"## {md_text(title)}", ""]
    if not open_findings:
        out.append(f"No findings in {files} files scanned" + (f" ({aside_text})" if aside_text else "") + ".")
    else:
        out.append(f"**{len(open_findings)} findings** in {files} files scanned"
                   + (f" ({aside_text})" if aside_text else "") + ".")
        out += ["", "| severity | findings |", "|---|---|"]
        out += [f"| {s.label} | {sev[s]} |" for s in sorted(Severity, reverse=True) if sev[s]]
        out += mermaid_pie("Findings by severity", ((s.label, sev[s]) for s in sorted(Severity, reverse=True)))
        by_threat = Counter(t for f in open_findings for t in f.threats)
        suggested = {t for f in open_findings for t in (f.properties.get("suggestedThreats") or ())}
        out += ["", "| threat | title | findings |", "|---|---|---|"]
        for tid, n in by_threat.most_common():
            title_ = catalog.threats[tid].title if tid in catalog.threats else ""
            mark = " (suggested control, not yet accepted)" if tid in suggested else ""
            out.append(f"| {md_text(tid)} | {md_text(title_)}{mark} | {n} |")
        ranked = sorted(open_findings, key=lambda f: rank(f, catalog))
        out += ["", "### Top findings", "", "| severity | rule | where | message |", "|---|---|---|---|"]
        for f in ranked[:TOP]:
            out.append(f"| {f.severity.label} | {md_text(f.rule_id)} | {_link(f, base_url)} | {md_message(f.message)} |")
        if len(ranked) > TOP:
            where = "in the SARIF report" if sarif_written else "not shown here (write a SARIF or text report for all)"
            out.append(f"\n{len(ranked) - TOP} more findings {'are ' if sarif_written else ''}{where}.")
    if notices:
        out += ["", f"<details><summary>{len(notices)} files could not be fully scanned</summary>", ""]
        out += [f"- {md_code(n.path or '-', table=False)}: {md_message(n.message, table=False)}" for n in notices[:50]]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
