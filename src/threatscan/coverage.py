"""Threat coverage: for each threat of the user's model, the rules that check it, the findings open against it,
and a status: violated, checked and clean, or not checked by any rule (those need a manual review or a new rule)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .catalog import Catalog
from .model import Finding
from .threatmodel import UserThreatModel

VIOLATED, CLEAN, UNCHECKED = "violated", "checked-clean", "unchecked"


@dataclass
class ThreatCoverage:
    id: str
    title: str
    status: str
    model_status: str  # open / mitigated / accepted, as the threat model says
    rules: list[str]
    findings: int
    suggested: bool


def coverage(tm: UserThreatModel, catalog: Catalog, findings: list[Finding], rules_run: set[str]) -> list[ThreatCoverage]:
    out = []
    open_findings = [f for f in findings if f.suppression is None]
    for t in tm.threats:
        rules = sorted(r.id for r in catalog.rules_for_threat(t.id) if r.id in rules_run)
        n = sum(1 for f in open_findings if t.id in f.threats)
        status = VIOLATED if n else (CLEAN if rules else UNCHECKED)
        out.append(ThreatCoverage(t.id, t.title, status, t.status, rules, n, bool(t.suggested) and not t.controls))
    return out


def render_text(rows: list[ThreatCoverage], system: str) -> str:
    lines = [f"Threat coverage for {system}", ""]
    for r in rows:
        mark = {VIOLATED: "VIOLATED", CLEAN: "clean", UNCHECKED: "NOT CHECKED"}[r.status]
        extra = " (marked mitigated in the model!)" if r.status == VIOLATED and r.model_status == "mitigated" else ""
        lines.append(f"  {r.id:<14} {mark:<12} {r.title}{extra}")
        lines.append(f"  {'':<14} rules: {', '.join(r.rules) or 'none'}; open findings: {r.findings}"
                     + ("; controls are import suggestions to review" if r.suggested else ""))
    counts = {s: sum(1 for r in rows if r.status == s) for s in (VIOLATED, CLEAN, UNCHECKED)}
    lines += ["", f"{len(rows)} threats: {counts[VIOLATED]} violated, {counts[CLEAN]} checked and clean, "
                  f"{counts[UNCHECKED]} not checked by any rule (review them by hand or add a rule)."]
    return "\n".join(lines) + "\n"


def render_markdown(rows: list[ThreatCoverage], system: str) -> str:
    icon = {VIOLATED: "violated", CLEAN: "checked, clean", UNCHECKED: "not checked by any rule"}
    out = [f"### Threat coverage: {system}", "", "| threat | title | status | rules | open findings |", "|---|---|---|---|---|"]
    for r in rows:
        status = icon[r.status] + (" (marked mitigated!)" if r.status == VIOLATED and r.model_status == "mitigated" else "")
        out.append(f"| {r.id} | {r.title} | {status} | {', '.join(r.rules) or '—'} | {r.findings} |")
    from .report.markdown import mermaid_pie

    out += mermaid_pie("Threats by status", ((icon[s], sum(1 for r in rows if r.status == s)) for s in icon))
    return "\n".join(out) + "\n"


def render_json(rows: list[ThreatCoverage], system: str) -> str:
    return json.dumps({"system": system, "threats": [r.__dict__ for r in rows]}, indent=2) + "\n"
