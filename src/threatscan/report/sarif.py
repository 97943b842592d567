"""SARIF 2.1.0 built with sarif-om, shaped for GitHub code scanning.

Threat links are written twice: the spec's way (run.taxonomies with the threat catalogue, STRIDE and CWE; rule
relationships; result taxa) and GitHub's way (rule tags `threat/<id>`, `stride/<category>`,
`external/cwe/cwe-N`, and `security-severity`, which GitHub honours only beside the `security` tag).

How a severity reaches GitHub: code scanning shows a result's severity from `security-severity` of the *rule* the
result names (low 0.1-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0), not from the result. A finding whose
severity is not its rule's (raised to critical by the threat model, lowered to low by the configuration or the
evidence tier, non-shipping Android code) therefore names a *variant* of its rule: `RULE/critical`, `RULE/low`, ...,
a copy of the rule's descriptor whose security-severity and default level are those of the tier; a review finding
names `RULE/review` (low, precision low, tag `review`). Findings at the rule's own severity keep the plain id, so
alerts keep their identity across runs unless their severity changes.

partialFingerprints carries threatscan's own content hash (`threatscan/v1`, no line numbers) and GitHub's
`primaryLocationLineHash`, computed by the scan exactly as github/codeql-action's upload step would (linehash.py),
so uploads that bypass that action are tracked too and the action keeps the value without a warning.
"""

from __future__ import annotations

import json

import re
from typing import Any, Iterable, Mapping

from . import sarif_model as om  # sarif-om's classes as plain data: importing sarif-om and attrs cost ~0.1 s

from .. import __version__
from ..catalog import Catalog
from ..model import STRIDE, Finding, Location, Notice, Rule, Severity
from .catalog_md import rule_markdown, rule_text  # rule documentation lives beside the catalogue

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/threatscan/threatscan"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "threatscan/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
MAX_TAGS = 20

# The security-severity a rule variant carries for each tier (GitHub: low 0.1-3.9, medium 4.0-6.9, high 7.0-8.9,
# critical 9.0-10.0).
TIER_SCORES = {Severity.LOW: 3.0, Severity.MEDIUM: 5.5, Severity.HIGH: 8.0, Severity.CRITICAL: 9.5}
REVIEW_VARIANT = "review"


def github_tier(score: float) -> Severity | None:
    """The severity GitHub shows for a security-severity score (None: 0.0, no security severity)."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else None


def variant_of(f: Finding, rule: Rule | None) -> str | None:
    """The rule variant a finding's result names so GitHub shows the finding's own severity (None: the rule)."""
    if rule is None:
        return None
    if f.evidence == "review":
        return REVIEW_VARIANT
    if github_tier(rule.security_severity) == f.severity and rule.severity.sarif_level == f.severity.sarif_level:
        return None
    return f.severity.label


def result_rule_id(f: Finding, rule: Rule | None) -> str:
    variant = variant_of(f, rule)
    return f.rule_id if variant is None else f"{f.rule_id}/{variant}"

THREATS_TAXONOMY = "threatscan-threats"
STRIDE_TAXONOMY = "STRIDE"
CWE_TAXONOMY = "CWE"


def to_json(obj: Any) -> Any:
    """Serialise the SARIF objects: schema property names, in sarif-om's order, properties left out when unset or
    equal to their default (sarif-om's defaults: see sarif_model)."""
    if isinstance(obj, om.SarifObject):
        out = {}
        values = obj.__dict__
        for name, schema, default in obj.FIELDS:
            value = values.get(name)
            if value is None or (default is not None and value == default):
                continue
            out[schema] = to_json(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items() if v is not None}
    return obj


def _text(s: str) -> om.MultiformatMessageString:
    return om.MultiformatMessageString(text=s)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_\s]+", name) if part)


def rule_tags(rule: Rule, catalog: Catalog) -> list[str]:
    tags = ["security"]
    tags += [f"external/cwe/cwe-{c}" for c in rule.cwe]
    tags += [f"threat/{t}" for t in rule.threats]
    for t in rule.threats:
        tags += [f"stride/{s}" for s in catalog.threats[t].stride]
    tags += list(rule.tags)
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _artifact(path: str) -> om.ArtifactLocation:
    return om.ArtifactLocation(uri=_uri(path), uri_base_id=SRCROOT)


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _region(loc: Location, snippet: str | None = None) -> om.Region:
    region = om.Region(start_line=loc.line, start_column=loc.column)
    if loc.end_line is not None and loc.end_line >= loc.line:
        region.end_line = loc.end_line
        if loc.end_column is not None and (loc.end_line > loc.line or loc.end_column > loc.column):
            region.end_column = loc.end_column
    if snippet:
        region.snippet = om.ArtifactContent(text=snippet)
    return region


def _location(loc: Location, message: str | None = None, id_: int | None = None, snippet: str | None = None) -> om.Location:
    out = om.Location(physical_location=om.PhysicalLocation(artifact_location=_artifact(loc.path), region=_region(loc, snippet)))
    if message:
        out.message = om.Message(text=message)
    if id_ is not None:
        out.id = id_
    return out


def build_log(
    findings: list[Finding],
    notices: Iterable[Notice],
    rules: list[Rule],
    catalog: Catalog,
    *,
    root_uri: str | None = None,
    category: str = "threatscan",
    successful: bool = True,
    engines: Iterable[tuple[str, str]] = (),
    fixes: Mapping[int, Any] | None = None,
    memo: Any = None,
) -> dict:
    """`engines`: (name, version) of each peer engine that ran, listed as tool.extensions (found something or not).
    `fixes`: the fix (threatscan.fix.Fix) of the finding at each position of `findings` that has one, written as the
    result's `fixes` (one artifact change, a replacement per run of changed lines) so editors and code scanning
    can offer it.
    `memo`: cache.memo_fact's signature without its directory (the CLI's, with a scan cache): the rules[] and
    taxonomies, most of the log and the same for every scan with the same rules and catalogue, are kept encoded
    under everything they are made of (the rules with their variants, the threats and CWEs listed, the catalogue's
    models, threats and CWE names, threatscan's code) and spliced into the text by `dumps` as they are (_Raw)."""
    # rules[]: every rule that ran, plus any rule a finding names (e.g. a peer rule), once each; then the variants
    # the findings need (see the module's docstring), each right after its rule.
    run_rules: dict[str, Rule] = {r.id: r for r in rules}
    for f in findings:
        if f.rule_id not in run_rules and f.rule_id in catalog.rules:
            run_rules[f.rule_id] = catalog.rules[f.rule_id]
    variants: dict[str, set[str]] = {}
    for f in findings:
        variant = variant_of(f, run_rules.get(f.rule_id))
        if variant is not None:
            variants.setdefault(f.rule_id, set()).add(variant)
    rule_list = sorted(run_rules.values(), key=lambda r: r.id)
    entries: list[tuple[str, Rule, str | None]] = []
    for r in rule_list:
        entries.append((r.id, r, None))
        entries += [(f"{r.id}/{v}", r, v) for v in variants.get(r.id, ())]
    entries.sort(key=lambda e: e[0])  # by id, as `threatscan merge` orders the rules of several logs
    rule_index = {rid: i for i, (rid, _, _) in enumerate(entries)}

    threat_ids = sorted({t for r in rule_list for t in r.threats} | {t for f in findings for t in f.threats if t in catalog.threats})
    threat_index = {t: i for i, t in enumerate(threat_ids)}
    cwe_ids = sorted({c for r in rule_list for c in r.cwe})
    cwe_index = {c: i for i, c in enumerate(cwe_ids)}
    stride_index = {s: i for i, s in enumerate(STRIDE)}
    tax = {THREATS_TAXONOMY: 0, STRIDE_TAXONOMY: 1, CWE_TAXONOMY: 2}

    def taxon_ref(taxonomy: str, id_: str, index: int) -> om.ReportingDescriptorReference:
        return om.ReportingDescriptorReference(
            id=id_, index=index, tool_component=om.ToolComponentReference(name=taxonomy, index=tax[taxonomy]))

    def catalog_part() -> tuple[list, list]:
        return _descriptors(entries, threat_index, cwe_index, catalog, taxon_ref), \
            _taxonomies(threat_ids, cwe_ids, stride_index, catalog, taxon_ref)

    if memo is None:
        descriptors, taxonomies = catalog_part()
    else:
        inputs = repr((entries, threat_ids, cwe_ids, catalog.models, catalog.threats, catalog.cwes))
        descriptors, taxonomies = memo(
            "sarif-rules-and-taxonomies", inputs, catalog_part,
            lambda part: [indented(to_json(x)) for x in part],
            _Raw.pair)

    results = []
    for i, f in enumerate(findings):
        result = _result(f, result_rule_id(f, run_rules.get(f.rule_id)), rule_index, threat_index, taxon_ref)
        if fixes and i in fixes:
            result.fixes = [_fix(fixes[i], f.location.path)]
        results.append(to_json(result))  # plain now: thousands of sarif-om objects need not live until the end

    notifications = [_notification(n) for n in notices]
    invocation = om.Invocation(execution_successful=successful)
    if notifications:
        invocation.tool_execution_notifications = notifications

    run = om.Run(
        tool=om.Tool(driver=om.ToolComponent(
            name="threatscan", version=__version__, semantic_version=__version__,
            information_uri=INFORMATION_URI, organization="threatscan",
            rules=descriptors,
            supported_taxonomies=[om.ToolComponentReference(name=n, index=i) for n, i in tax.items()],
        ), extensions=[om.ToolComponent(name=name, version=version) for name, version in engines] or None),
        taxonomies=taxonomies,
        invocations=[invocation],
        results=results,
        automation_details=om.RunAutomationDetails(id=f"{category.strip('/')}/"),
        column_kind="unicodeCodePoints",
    )
    if root_uri:
        run.original_uri_base_ids = {SRCROOT: om.ArtifactLocation(uri=root_uri)}
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    return to_json(log)


def _descriptors(entries: list, threat_index: dict, cwe_index: dict, catalog: Catalog, taxon_ref) -> list:
    descriptors = []
    for rid, r, variant in entries:
        relationships = [
            om.ReportingDescriptorRelationship(target=taxon_ref(THREATS_TAXONOMY, t, threat_index[t]), kinds=["relevant"])
            for t in r.threats
        ] + [
            om.ReportingDescriptorRelationship(target=taxon_ref(CWE_TAXONOMY, f"CWE-{c}", cwe_index[c]), kinds=["relevant"])
            for c in r.cwe
        ]
        severity, score, precision, tags = r.severity, r.security_severity, r.precision, rule_tags(r, catalog)
        name, title = _pascal(r.name), r.title
        if variant is not None:
            severity = Severity.LOW if variant == REVIEW_VARIANT else Severity.parse(variant)
            score = TIER_SCORES[severity]
            name += _pascal(variant)
            if variant == REVIEW_VARIANT:
                precision = "low"
                tags = list(dict.fromkeys([*tags[:MAX_TAGS - 1], "review"]))
                title += " (review: the value's origin could not be seen)"
            else:
                title += f" ({severity.label})"
        descriptors.append(om.ReportingDescriptor(
            id=rid,
            name=name,
            short_description=_text(title),
            full_description=_text(r.finds),
            help=om.MultiformatMessageString(text=rule_text(r, catalog), markdown=rule_markdown(r, catalog)),
            help_uri=f"{INFORMATION_URI}/blob/main/docs/rules.md#{r.id.lower()}",
            default_configuration=om.ReportingConfiguration(level=severity.sarif_level),
            relationships=relationships,
            properties={
                "tags": tags,
                "precision": precision,
                "security-severity": f"{score:.1f}",
                "problem.severity": {"note": "recommendation"}.get(severity.sarif_level, severity.sarif_level),
                "threats": list(r.threats),
            },
        ))
    return descriptors


def _taxonomies(threat_ids: list, cwe_ids: list, stride_index: dict, catalog: Catalog, taxon_ref) -> list:
    return [
        om.ToolComponent(
            name=THREATS_TAXONOMY, version=__version__, organization="threatscan",
            short_description=_text("Threats from the threat models threatscan's rules are derived from."),
            information_uri=f"{INFORMATION_URI}/blob/main/rules/threats.yaml",
            contents=["localizedData", "nonLocalizedData"], is_comprehensive=False,
            taxa=[
                om.ReportingDescriptor(
                    id=t, name=_pascal(catalog.threats[t].title)[:100] if t in catalog.threats else t,
                    short_description=_text(catalog.threats[t].title),
                    full_description=_text(catalog.threats[t].description or catalog.threats[t].title),
                    properties={"model": catalog.threats[t].model, "section": catalog.threats[t].section,
                                "stride": list(catalog.threats[t].stride)},
                    relationships=[
                        om.ReportingDescriptorRelationship(target=taxon_ref(STRIDE_TAXONOMY, s, stride_index[s]), kinds=["superset"])
                        for s in catalog.threats[t].stride
                    ],
                )
                for t in threat_ids
            ],
        ),
        om.ToolComponent(
            name=STRIDE_TAXONOMY, organization="Microsoft",
            short_description=_text("STRIDE threat categories."),
            contents=["localizedData", "nonLocalizedData"], is_comprehensive=True,
            taxa=[om.ReportingDescriptor(id=s, name=_pascal(s), short_description=_text(s.replace("-", " ").capitalize())) for s in STRIDE],
        ),
        om.ToolComponent(
            name=CWE_TAXONOMY, version="4.14", organization="MITRE",
            information_uri="https://cwe.mitre.org/data/published/cwe_v4.14.pdf",
            short_description=_text("The MITRE Common Weakness Enumeration"),
            contents=["localizedData", "nonLocalizedData"], is_comprehensive=False,
            taxa=[om.ReportingDescriptor(id=f"CWE-{c}", name=f"CWE-{c}", short_description=_text(catalog.cwes[c]),
                                         help_uri=f"https://cwe.mitre.org/data/definitions/{c}.html") for c in cwe_ids],
        ),
    ]


class _Raw:
    """A part of the log already encoded by `indented` (at level 0), written into the text as it is, each line after
    the first indented to where it lands. JSON text never holds a raw newline (strings escape theirs)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    @classmethod
    def pair(cls, texts: Any) -> tuple[Any, Any]:
        """The kept (rules, taxonomies) texts as parts of a log (an empty list stays a list: the log leaves it out
        as it leaves the plain one); anything else raises (the memo then works them out again)."""
        if not isinstance(texts, list) or len(texts) != 2 or not all(isinstance(t, str) and t for t in texts):
            raise ValueError("not two encoded parts")
        return tuple([] if t == "[]" else cls(t) for t in texts)  # type: ignore[return-value]


def dumps(log: dict) -> str:
    """`json.dumps(log, indent=2) + "\n"`, the same text, but result by result: json.dumps(indent=...) collects every
    small piece of the whole document in one list first (for 5,000 results, millions of strings). Each result's
    plain form is released once it is encoded. The text comes from `indented` (json's own indenting encoder is pure
    Python and generator-bound: a fifth of a warm rescan's SARIF), which falls back to json for anything unusual."""
    runs = log.get("runs") or []
    if len(runs) != 1 or not runs[0].get("results"):
        return indented(log) + "\n"
    results = runs[0]["results"]
    runs[0]["results"] = None
    try:
        text = indented(log) + "\n"
    finally:
        runs[0]["results"] = results
    marker = '"results": null'
    if text.count(marker) != 1:  # cannot happen (strings escape their quotes); never guess
        return indented(log) + "\n"
    head, tail = text.split(marker, 1)
    parts = [head, '"results": [\n']
    for i, result in enumerate(results):
        if i:
            parts.append(",\n")
        # log -> "runs" list -> the run -> "results" list -> a result: four levels in
        parts.append("        " + indented(result, 4))
        results[i] = None
    runs[0]["results"] = []  # the caller's log is spent: its results were released
    parts += ["\n      ]", tail]
    return "".join(parts)  # one copy of the text, not three (joined items, then replaced into the rest)


class _Unusual(Exception):
    """A value json.dumps would encode some other way (or refuse): `indented` leaves it to json."""


def indented(value: Any, level: int = 0) -> str:
    """`json.dumps(value, indent=2)` (its defaults: ASCII, ", " and ": " separators, keys in order), written
    `level` indents deep (the lines after the first start with 2 * level spaces more), without json's per-item
    generators: about three times faster on a SARIF log. Only plain JSON data takes the fast path (str keys; str,
    int, float, bool, None, list, tuple, dict values, subclasses included as json treats them); anything else,
    an unusual key for instance, is json's to encode (or refuse), exactly as before."""
    parts: list[str] = []
    try:
        _encode(value, "\n" + "  " * level, parts)
    except _Unusual:
        text = json.dumps(_decoded(value), indent=2)
        return text.replace("\n", "\n" + "  " * level) if level else text
    return "".join(parts)


def _decoded(value: Any) -> Any:
    """`value` with every _Raw part decoded (for json, which encodes what `indented` leaves to it)."""
    if isinstance(value, _Raw):
        return json.loads(value.text)
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decoded(v) for v in value]
    return value


_ENCODE_STR = json.encoder.encode_basestring_ascii


def _encode(o: Any, newline: str, out: list[str]) -> None:
    if isinstance(o, str):
        out.append(_ENCODE_STR(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(json.dumps(o))  # json's own spelling (NaN, Infinity)
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
            return
        inner = newline + "  "
        out.append("[" + inner)
        first = True
        for item in o:
            if not first:
                out.append("," + inner)
            first = False
            _encode(item, inner, out)
        out.append(newline + "]")
    elif isinstance(o, _Raw):
        out.append(o.text.replace("\n", newline))
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = newline + "  "
        out.append("{" + inner)
        first = True
        for key, item in o.items():
            if not isinstance(key, str):
                raise _Unusual  # json converts numbers, booleans and None to keys, or refuses
            if not first:
                out.append("," + inner)
            first = False
            out.append(_ENCODE_STR(key) + ": ")
            _encode(item, inner, out)
        out.append(newline + "}")
    else:
        raise _Unusual


def _result(f: Finding, rule_id: str, rule_index, threat_index, taxon_ref) -> om.Result:
    message = f.message
    related = []
    for i, rel in enumerate(f.related, start=1):
        related.append(_location(rel.location, rel.message, id_=i))
    if related and "](" not in message:
        message += " See " + ", ".join(f"[{r.message or 'related location'}]({i})" for i, r in enumerate(f.related, start=1)) + "."
    result = om.Result(
        message=om.Message(text=message),
        rule_id=rule_id,
        level=f.severity.sarif_level,
        locations=[_location(f.location, snippet=f.snippet or None)],
        partial_fingerprints={FINGERPRINT_KEY: f.fingerprint,
                              **({LINE_HASH_KEY: f.line_hash} if f.line_hash else {})},
        properties={
            "threats": list(f.threats),
            "severity": f.severity.label,
            "engine": f.engine,
            **({"precision": f.precision} if f.precision else {}),
            **({"evidence": f.evidence} if f.evidence else {}),
            **({"codeKind": f.code_kind} if f.code_kind else {}),
            **{k: v for k, v in f.properties.items()},
        },
    )
    if rule_id in rule_index:
        result.rule_index = rule_index[rule_id]
    taxa = [taxon_ref(THREATS_TAXONOMY, t, threat_index[t]) for t in f.threats if t in threat_index]
    if taxa:
        result.taxa = taxa
    if related:
        result.related_locations = related
    if f.flow:
        result.code_flows = [om.CodeFlow(thread_flows=[om.ThreadFlow(locations=[
            om.ThreadFlowLocation(location=_location(step.location, step.message), execution_order=i)
            for i, step in enumerate(f.flow)
        ])])]
    if f.suppression is not None:
        result.suppressions = [om.Suppression(kind=f.suppression.kind, justification=f.suppression.justification,
                                               status=f.suppression.status)]
    return result


def _fix(fx: Any, path: str) -> om.Fix:
    return om.Fix(
        description=om.Message(text=fx.description + ("" if fx.safe else " (unsafe: review the change)")),
        artifact_changes=[om.ArtifactChange(artifact_location=_artifact(path), replacements=[om.Replacement(
            deleted_region=om.Region(start_line=r.start_line, start_column=r.start_column, end_line=r.end_line,
                                     end_column=r.end_column),
            inserted_content=om.ArtifactContent(text=r.inserted) if r.inserted else None)
            for r in fx.replacements])])


def _notification(n: Notice) -> om.Notification:
    note = om.Notification(message=om.Message(text=f"{n.path}: {n.message}" if n.path else n.message),
                           level=n.level, descriptor=om.ReportingDescriptorReference(id=n.kind))
    if n.path:
        note.locations = [om.Location(physical_location=om.PhysicalLocation(
            artifact_location=_artifact(n.path),
            region=om.Region(start_line=n.line) if n.line else None))]
    return note
