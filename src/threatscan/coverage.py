"""Threat coverage: for each threat of the user's model, the rules that check it, the findings open against it,
and a status:

- violated: a rule the model names in `controls` found this code breaking the threat (with evidence; findings
  whose origin cannot be seen count as "review");
- review: only "review" findings (origin unseen) are open against it;
- checked-clean: a rule named in `controls` ran over files that hold what it looks for (its kind, and one of its
  tokens) and found nothing; the rules are named, with each policy number they compared;
- unchecked: no rule named in `controls` looked at anything: not checked, however many rules exist. Suggested
  controls never make a threat violated or clean: they are listed for review;
- accepted: the model marks the threat accepted: findings are reported, the threat is not called violated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .catalog import Catalog
from .model import Finding, Rule
from .threats.threatmodel import POLICY, UserThreatModel

VIOLATED, REVIEW, CLEAN, UNCHECKED, ACCEPTED = "violated", "review", "checked-clean", "unchecked", "accepted"


@dataclass
class ThreatCoverage:
    id: str
    title: str
    status: str
    model_status: str  # open / mitigated / accepted, as the threat model says
    rules: list[str]  # rules named by `controls` that actually checked something
    findings: int  # open findings with evidence, through `controls`
    suggested: bool  # the threat has suggested controls not yet accepted
    compared: list[str] = field(default_factory=list)  # "IAC131: password-min-length = 14"
    review_findings: int = 0
    suggested_rules: list[str] = field(default_factory=list)
    suggested_findings: int = 0
    idle_rules: list[str] = field(default_factory=list)  # named by controls but found nothing to look at


def rules_that_looked(rules: list[Rule], files) -> set[str]:
    """The rules that had something to check: a scanned file of one of their kinds that holds one of their tokens
    (the same test the scan's prefilter applies). A rule whose kind no file has, or whose tokens no file holds,
    checked nothing."""
    out: set[str] = set()
    datas: dict[str, bytes] = {}
    for rule in rules:
        for f in files:
            if not (set(rule.kinds) & set(f.kinds)):
                continue
            if not rule.tokens:
                out.add(rule.id)
                break
            if f.rel not in datas:
                try:
                    datas[f.rel] = f.data()
                except OSError:
                    datas[f.rel] = b""
            if any(t.encode() in datas[f.rel] for t in rule.tokens):
                out.add(rule.id)
                break
    return out


def policy_read_by(rule_id: str) -> list[str]:
    return [name for name, key in POLICY.items() if rule_id in key.rules]


def coverage(tm: UserThreatModel, catalog: Catalog, findings: list[Finding], rules_run: set[str],
             looked: set[str] | None = None) -> list[ThreatCoverage]:
    """`rules_run`: the rules the scan ran; `looked`: those that had something to check (rules_that_looked);
    None means every rule that ran."""
    looked = rules_run if looked is None else looked
    open_findings = [f for f in findings if f.suppression is None]
    options = tm.options()
    out = []
    for t in tm.threats:
        linked = {r.id: tm.link(r.id, t.id) for r in catalog.rules_for_threat(t.id)}
        confirmed = sorted(r for r, k in linked.items() if k == "control" and r in rules_run)
        suggested = sorted(r for r, k in linked.items() if k == "suggested")
        mine = [f for f in open_findings if t.id in f.threats]
        through_controls = [f for f in mine if t.id not in (f.properties.get("suggestedThreats") or ())]
        evidence = [f for f in through_controls if f.evidence != "review"]
        review = [f for f in through_controls if f.evidence == "review"]
        checked = [r for r in confirmed if r in looked]
        if t.status == "accepted":
            status = ACCEPTED
        elif evidence:
            status = VIOLATED
        elif review:
            status = REVIEW
        elif checked:
            status = CLEAN
        else:
            status = UNCHECKED
        compared = [f"{r}: {name} = {options[POLICY[name].option]}" for r in checked for name in policy_read_by(r)
                    if options.get(POLICY[name].option) is not None]
        out.append(ThreatCoverage(t.id, t.title, status, t.status, checked, len(evidence), bool(t.suggested),
                                  compared, len(review), suggested, len(mine) - len(through_controls),
                                  [r for r in confirmed if r not in looked]))
    return out


_MARK = {VIOLATED: "VIOLATED", REVIEW: "review", CLEAN: "clean", UNCHECKED: "NOT CHECKED", ACCEPTED: "accepted"}


def _detail(r: ThreatCoverage) -> str:
    parts = [f"checked by: {', '.join(r.rules) or 'no rule'}"]
    if r.compared:
        parts.append("compared " + "; ".join(r.compared))
    parts.append(f"open findings: {r.findings}" + (f" (+{r.review_findings} to review)" if r.review_findings else ""))
    if r.idle_rules:
        parts.append(f"nothing to check for {', '.join(r.idle_rules)}")
    if r.suggested_rules:
        parts.append(f"suggested, not counted until accepted: {', '.join(r.suggested_rules)}"
                     + (f" ({r.suggested_findings} findings)" if r.suggested_findings else "")
                     + f" (threatscan threats accept {r.id})")
    return "; ".join(parts)


def render_text(rows: list[ThreatCoverage], system: str) -> str:
    from .escape import visible  # ids, titles and the system name come from the repository's model

    lines = [f"Threat coverage for {visible(system)}", ""]
    for r in rows:
        extra = " (marked mitigated in the model!)" if r.status == VIOLATED and r.model_status == "mitigated" else ""
        lines.append(f"  {visible(r.id):<14} {_MARK[r.status]:<12} {visible(r.title)}{extra}")
        lines.append(f"  {'':<14} {visible(_detail(r))}")
    counts = {s: sum(1 for r in rows if r.status == s) for s in _MARK}
    lines += ["", f"{len(rows)} threats: {counts[VIOLATED]} violated, {counts[REVIEW]} with findings to review, "
                  f"{counts[CLEAN]} checked and clean, {counts[ACCEPTED]} accepted, {counts[UNCHECKED]} not checked by "
                  "any rule (review them by hand, accept suggested controls, or add a rule)."]
    return "\n".join(lines) + "\n"


def render_markdown(rows: list[ThreatCoverage], system: str) -> str:
    from .escape import md_text  # ids, titles and the system name come from the repository's model
    from .report.markdown import mermaid_pie

    label = {VIOLATED: "violated", REVIEW: "findings to review", CLEAN: "checked, clean", UNCHECKED: "not checked by any rule",
             ACCEPTED: "accepted"}
    out = [f"### Threat coverage: {md_text(system)}", "", "| threat | title | status | checked by | open findings |",
           "|---|---|---|---|---|"]
    for r in rows:
        status = label[r.status] + (" (marked mitigated!)" if r.status == VIOLATED and r.model_status == "mitigated" else "")
        checked = ", ".join(md_text(rule) for rule in r.rules) or "—"
        if r.compared:
            checked += " (" + "; ".join(md_text(c) for c in r.compared) + ")"
        if r.suggested_rules:
            checked += f"; suggested: {', '.join(md_text(rule) for rule in r.suggested_rules)}"
        out.append(f"| {md_text(r.id)} | {md_text(r.title)} | {status} | {checked} | {r.findings} |")
    out += mermaid_pie("Threats by status", ((label[s], sum(1 for r in rows if r.status == s)) for s in label))
    return "\n".join(out) + "\n"


def render_json(rows: list[ThreatCoverage], system: str) -> str:
    return json.dumps({"system": system, "threats": [r.__dict__ for r in rows]}, indent=2) + "\n"
