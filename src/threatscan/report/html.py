"""The HTML report: one self-contained file (no script, no font, no network) a person would rather look at than
read. The threat model as a matrix of threats × status, findings by severity and by STRIDE as small charts, each
finding with its code, its data flow as numbered steps and its threats, and the links between templates and the
handlers they deploy as a small graph. Works with JavaScript disabled; every chart has a text equivalent.

Like every report it renders findings and computes nothing: the statuses come from coverage.py's rows (the user's
model) or, without a model, from which rules ran and which threats the open findings evidence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape as _escape
from typing import Iterable, Mapping

from ..escape import visible
from ..model import STRIDE, Finding, Location, Notice, Severity

VIOLATED, CLEAN, UNCHECKED, ACCEPTED = "violated", "checked-clean", "unchecked", "accepted"
STATUSES = ((VIOLATED, "violated"), (CLEAN, "checked and clean"), (UNCHECKED, "not checked"), (ACCEPTED, "accepted"))

# Colours chosen for a contrast of at least 4.5:1 against white text or the light background (WCAG AA).
SEVERITY_COLOUR = {Severity.CRITICAL: "#8b0000", Severity.HIGH: "#b3261e", Severity.MEDIUM: "#8a4b00",
                   Severity.LOW: "#3b5b7a"}
STATUS_COLOUR = {VIOLATED: "#b3261e", CLEAN: "#1e6b34", UNCHECKED: "#5f5f5f", ACCEPTED: "#3b5b7a"}


@dataclass(frozen=True)
class ThreatRow:
    id: str
    title: str
    status: str
    rules: tuple[str, ...]
    findings: int
    note: str = ""


def escape(text: object) -> str:
    """HTML-escape untrusted text (file names, ids, messages), control and bidi characters shown visibly."""
    return _escape(visible(text, keep_tab=True), quote=True)


def threat_rows(findings: list[Finding], catalog, rules_run: set[str], coverage_rows=None) -> list[ThreatRow]:
    """The matrix rows: the user's model (coverage rows) when there is one, else every catalogue threat."""
    if coverage_rows is not None:
        rows = []
        for r in coverage_rows:
            status = ACCEPTED if getattr(r, "model_status", "") == "accepted" else r.status
            note = "marked mitigated in the model" if r.status == VIOLATED and r.model_status == "mitigated" else ""
            if getattr(r, "suggested", False):
                note = (note + "; " if note else "") + "controls are suggestions to review"
            rows.append(ThreatRow(r.id, r.title, status if status in dict(STATUSES) else UNCHECKED,
                                  tuple(r.rules), r.findings, note))
        return rows
    open_findings = [f for f in findings if f.suppression is None]
    counts = Counter(t for f in open_findings for t in f.threats)
    rows = []
    for t in catalog.threats.values():
        rules = tuple(sorted(r.id for r in catalog.rules_for_threat(t.id) if r.id in rules_run))
        status = VIOLATED if counts[t.id] else (CLEAN if rules else UNCHECKED)
        rows.append(ThreatRow(t.id, t.title, status, rules, counts[t.id]))
    order = {VIOLATED: 0, CLEAN: 1, ACCEPTED: 2, UNCHECKED: 3}
    return sorted(rows, key=lambda r: (order[r.status], -r.findings, r.id))


def _bar_chart(title: str, items: list[tuple[str, int, str]], chart_id: str) -> str:
    """A horizontal bar chart as inline SVG (role=img, labelled), followed by the same numbers as a table."""
    width, bar_h, gap, label_w = 420, 22, 8, 170
    top = max((n for _, n, _ in items), default=0) or 1
    height = len(items) * (bar_h + gap) + gap
    bars = []
    for i, (label, n, colour) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = round((width - label_w - 50) * n / top)
        bars.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.0f}" text-anchor="end" class="lbl">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" fill="{colour}" rx="3"></rect>'
            f'<text x="{label_w + max(w, 1) + 6}" y="{y + bar_h * 0.7:.0f}" class="num">{n}</text>')
    summary = ", ".join(f"{label}: {n}" for label, n, _ in items)
    rows = "".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{n}</td></tr>" for label, n, _ in items)
    return (f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
            f'<svg role="img" aria-labelledby="{chart_id}-t" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title id="{chart_id}-t">{escape(title)}: {escape(summary)}</title>'
            f'{"".join(bars)}</svg>'
            f'<details><summary>{escape(title)} as a table</summary><table class="data"><thead><tr><th scope="col">'
            f'category</th><th scope="col">findings</th></tr></thead><tbody>{rows}</tbody></table></details></figure>')


def _loc(loc: Location) -> str:
    return f"{loc.path}:{loc.line}:{loc.column}"


def _finding(f: Finding, n: int, catalog) -> str:
    threats = "".join(
        f"<li><code>{escape(t)}</code> {escape(catalog.threats[t].title) if t in catalog.threats else ''}</li>"
        for t in f.threats)
    rule = catalog.rules.get(f.rule_id)
    name = f" {escape(rule.name)}" if rule else ""
    parts = [f'<article class="finding sev-{f.severity.label}" id="finding-{n}" aria-labelledby="finding-{n}-h">',
             f'<h3 id="finding-{n}-h"><span class="badge sev-{f.severity.label}">{f.severity.label}</span> '
             f'<code>{escape(f.rule_id)}</code>{name} <span class="where">{escape(_loc(f.location))}</span></h3>',
             f'<p>{escape(f.message)}</p>']
    if f.snippet:
        parts.append(f'<pre class="code"><code><span class="ln" aria-hidden="true">{f.location.line}</span>'
                     f'{escape(f.snippet)}</code></pre>')
    if f.flow:
        steps = "".join(f'<li><span class="where">{escape(_loc(s.location))}</span> {escape(s.message)}</li>'
                        for s in f.flow)
        parts.append(f'<div class="flow"><h4>Data flow, {len(f.flow)} steps</h4><ol class="steps">{steps}</ol></div>')
    if f.related:
        rel = "".join(f'<li><span class="where">{escape(_loc(r.location))}</span> {escape(r.message)}</li>'
                      for r in f.related)
        parts.append(f'<div class="related"><h4>Related</h4><ul>{rel}</ul></div>')
    if threats:
        parts.append(f'<div class="threats"><h4>Threats</h4><ul>{threats}</ul></div>')
    tags = [t for t in (f.evidence == "review" and "review", f.code_kind and f"{f.code_kind} code",
                        f.suppression and "suppressed") if t]
    if tags:
        parts.append('<p class="tags">' + " ".join(f'<span class="tag">{escape(t)}</span>' for t in tags) + "</p>")
    parts.append("</article>")
    return "".join(parts)


def _links_graph(handlers: Mapping[str, Mapping[str, Location]]) -> str:
    """Templates (left) and the handler modules they deploy (right) as an SVG graph, with a list beside it."""
    edges = sorted({(loc.path, f"{module}:{function}") for module, funcs in handlers.items()
                    for function, loc in funcs.items()})
    if not edges:
        return ""
    lefts = sorted({a for a, _ in edges})
    rights = sorted({b for _, b in edges})
    row_h, width, box_w = 34, 760, 300
    height = max(len(lefts), len(rights)) * row_h + 16
    ly = {name: 8 + i * row_h for i, name in enumerate(lefts)}
    ry = {name: 8 + i * row_h for i, name in enumerate(rights)}
    parts = []
    for a, b in edges:
        parts.append(f'<line x1="{box_w}" y1="{ly[a] + 12}" x2="{width - box_w}" y2="{ry[b] + 12}" class="edge"></line>')
    for name, y in ly.items():
        parts.append(f'<rect x="0" y="{y}" width="{box_w}" height="24" rx="4" class="node tpl"></rect>'
                     f'<text x="8" y="{y + 16}" class="nodetext">{escape(_short(name))}</text>')
    for name, y in ry.items():
        parts.append(f'<rect x="{width - box_w}" y="{y}" width="{box_w}" height="24" rx="4" class="node fn"></rect>'
                     f'<text x="{width - box_w + 8}" y="{y + 16}" class="nodetext">{escape(_short(name))}</text>')
    listing = "".join(f"<li><code>{escape(a)}</code> deploys <code>{escape(b)}</code></li>" for a, b in edges)
    return (f'<section aria-labelledby="links-h"><h2 id="links-h">Templates and the code they deploy</h2>'
            f'<svg role="img" aria-labelledby="links-t" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<title id="links-t">{len(edges)} links from {len(lefts)} templates to {len(rights)} handlers</title>'
            f'{"".join(parts)}</svg><ul class="links">{listing}</ul></section>')


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


CSS = """
:root{color-scheme:light}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b;
background:#f6f7f9}header,main{max-width:1100px;margin:0 auto;padding:0 20px}header{padding-top:18px}
h1{font-size:1.6em;margin:.3em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccd;padding-bottom:4px}
h3{font-size:1em;margin:.2em 0}h4{font-size:.9em;margin:.6em 0 .2em}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace}
.counts{display:flex;flex-wrap:wrap;gap:10px;padding:0;list-style:none}.counts li{background:#fff;border:1px solid #ccd;
border-radius:6px;padding:6px 12px}.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{background:#fff;border:1px solid #ccd;
border-radius:6px;padding:10px;margin:0}.chart figcaption{font-weight:600}.lbl,.num{font-size:13px;fill:#1b1b1b}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}
.matrix td.mark{text-align:center;font-weight:700}.matrix td.on{color:#fff}.st-violated{background:#b3261e}
.st-checked-clean{background:#1e6b34}.st-unchecked{background:#5f5f5f}.st-accepted{background:#3b5b7a}
.finding{background:#fff;border:1px solid #ccd;border-left:6px solid #5f5f5f;border-radius:6px;padding:10px 14px;margin:12px 0}
.finding.sev-critical{border-left-color:#8b0000}.finding.sev-high{border-left-color:#b3261e}
.finding.sev-medium{border-left-color:#8a4b00}.finding.sev-low{border-left-color:#3b5b7a}
.badge{color:#fff;border-radius:4px;padding:1px 6px;font-size:.85em;text-transform:uppercase}
.badge.sev-critical{background:#8b0000}.badge.sev-high{background:#b3261e}.badge.sev-medium{background:#8a4b00}
.badge.sev-low{background:#3b5b7a}.where{color:#444;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre.code{background:#1f2430;color:#f0f0f0;padding:8px;border-radius:4px;overflow-x:auto}.ln{color:#c8c8c8;margin-right:12px}
ol.steps{counter-reset:none;padding-left:1.6em}ol.steps li{margin:2px 0}.tag{background:#e6e8ee;border-radius:4px;padding:1px 6px}
.edge{stroke:#5f5f5f;stroke-width:1.5}.node.tpl{fill:#e3ecf7;stroke:#3b5b7a}.node.fn{fill:#e6f2e8;stroke:#1e6b34}
.nodetext{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1b1b1b}.notices li{margin:2px 0}
.skip{position:absolute;left:-999px}.skip:focus{left:10px;top:10px;background:#fff;padding:4px}
"""


def render(findings: list[Finding], notices: Iterable[Notice], catalog, *, files: int, rules_run: set[str],
           coverage_rows=None, system: str | None = None, handlers: Mapping[str, Mapping[str, Location]] | None = None,
           title: str = "threatscan report") -> str:
    open_findings = sorted((f for f in findings if f.suppression is None),
                           key=lambda f: (-int(f.severity), f.location.path, f.location.line, f.rule_id))
    suppressed = len(findings) - len(open_findings)
    notices = [n for n in notices if n.level != "note"]
    rows = threat_rows(findings, catalog, rules_run, coverage_rows)
    sev = Counter(f.severity for f in open_findings)
    stride = Counter(s for f in open_findings for s in
                     dict.fromkeys(s for t in f.threats if t in catalog.threats for s in catalog.threats[t].stride))
    status_counts = Counter(r.status for r in rows)

    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # No script, no remote resource: a strict policy makes the promise enforceable by the browser.
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
           f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
           '<a class="skip" href="#main">Skip to the report</a>',
           f'<header><h1>{escape(title)}</h1><p>{escape(system or "No threat model of your own: threats from the built-in catalogue")}'
           f" · {files} files scanned</p>",
           '<ul class="counts" aria-label="Open findings by severity">',
           f"<li><strong>{len(open_findings)}</strong> open findings</li>"]
    out += [f"<li>{sev[s]} {s.label}</li>" for s in sorted(Severity, reverse=True)]
    if suppressed:
        out.append(f"<li>{suppressed} suppressed</li>")
    out.append("</ul></header><main id=\"main\">")

    out.append('<section aria-labelledby="charts-h"><h2 id="charts-h">At a glance</h2><div class="charts">')
    out.append(_bar_chart("Findings by severity", [(s.label, sev[s], SEVERITY_COLOUR[s]) for s in sorted(Severity, reverse=True)],
                          "chart-severity"))
    out.append(_bar_chart("Findings by STRIDE category", [(s.replace("-", " "), stride[s], "#3b5b7a") for s in STRIDE],
                          "chart-stride"))
    out.append(_bar_chart("Threats by status", [(label, status_counts[key], STATUS_COLOUR[key]) for key, label in STATUSES],
                          "chart-status"))
    out.append("</div></section>")

    out.append('<section aria-labelledby="matrix-h"><h2 id="matrix-h">Threats × status</h2>')
    out.append('<table class="matrix"><caption>Each threat and what the scan shows about it</caption><thead><tr>'
               '<th scope="col">threat</th><th scope="col">title</th>'
               + "".join(f'<th scope="col">{escape(label)}</th>' for _, label in STATUSES)
               + '<th scope="col">rules</th><th scope="col">open findings</th></tr></thead><tbody>')
    for r in rows:
        marks = "".join(
            f'<td class="mark on st-{key}" aria-label="{escape(label)}">●</td>' if r.status == key
            else '<td class="mark"></td>' for key, label in STATUSES)
        note = f"<br><small>{escape(r.note)}</small>" if r.note else ""
        out.append(f'<tr class="threat st-row-{r.status}"><th scope="row"><code>{escape(r.id)}</code></th>'
                   f"<td>{escape(r.title)}{note}</td>{marks}<td>{escape(', '.join(r.rules)) or '—'}</td>"
                   f"<td>{r.findings}</td></tr>")
    out.append("</tbody></table></section>")

    if handlers:
        out.append(_links_graph(handlers))

    out.append(f'<section aria-labelledby="findings-h"><h2 id="findings-h">Findings ({len(open_findings)})</h2>')
    if not open_findings:
        out.append("<p>No open findings.</p>")
    out += [_finding(f, n, catalog) for n, f in enumerate(open_findings, start=1)]
    out.append("</section>")

    if notices:
        items = "".join(f"<li><code>{escape(n.path or '-')}</code>: {escape(n.message)}</li>" for n in notices[:200])
        more = f"<p>{len(notices) - 200} more in the SARIF report.</p>" if len(notices) > 200 else ""
        out.append(f'<section aria-labelledby="notices-h"><h2 id="notices-h">Files not fully scanned ({len(notices)})</h2>'
                   f'<ul class="notices">{items}</ul>{more}</section>')
    out.append("</main></body></html>\n")
    return "".join(out)
