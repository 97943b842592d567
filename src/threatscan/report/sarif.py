"""SARIF 2.1.0 built with sarif-om, shaped for GitHub code scanning.

Threat links are written twice: the spec's way (run.taxonomies with the threat catalogue, STRIDE and CWE; rule
relationships; result taxa) and GitHub's way (rule tags `threat/<id>`, `stride/<category>`,
`external/cwe/cwe-N`, and `security-severity`, which GitHub honours only beside the `security` tag).

partialFingerprints carries threatscan's own content hash (`threatscan/v1`, no line numbers) and GitHub's
`primaryLocationLineHash`, computed by the scan exactly as github/codeql-action's upload step would (linehash.py),
so uploads that bypass that action are tracked too and the action keeps the value without a warning.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import attr
import sarif_om as om

from .. import __version__
from ..catalog import Catalog
from ..model import STRIDE, Finding, Location, Notice, Rule
from .catalog_md import rule_markdown, rule_text  # rule documentation lives beside the catalogue

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/threatscan/threatscan"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "threatscan/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
MAX_TAGS = 20

THREATS_TAXONOMY = "threatscan-threats"
STRIDE_TAXONOMY = "STRIDE"
CWE_TAXONOMY = "CWE"


def to_json(obj: Any) -> Any:
    """Serialise sarif-om objects: schema property names, defaults left out."""
    if attr.has(type(obj)):
        out = {}
        for f in attr.fields(type(obj)):
            value = getattr(obj, f.name)
            default = f.default.factory() if isinstance(f.default, attr.Factory) else f.default  # type: ignore[attr-defined]
            if value is None or (default is not attr.NOTHING and value == default):
                continue
            out[f.metadata["schema_property_name"]] = to_json(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items() if v is not None}
    return obj


@attr.s
class _Suppression(om.Suppression):
    """sarif-om 1.0.4 predates SARIF 2.1.0's `suppression.status` (it still has the draft's `state`)."""

    status = attr.ib(default=None, metadata={"schema_property_name": "status"})


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
) -> dict:
    # rules[]: every rule that ran, plus any rule a finding names (e.g. a peer rule), once each.
    run_rules: dict[str, Rule] = {r.id: r for r in rules}
    for f in findings:
        if f.rule_id not in run_rules and f.rule_id in catalog.rules:
            run_rules[f.rule_id] = catalog.rules[f.rule_id]
    rule_list = sorted(run_rules.values(), key=lambda r: r.id)
    rule_index = {r.id: i for i, r in enumerate(rule_list)}

    threat_ids = sorted({t for r in rule_list for t in r.threats} | {t for f in findings for t in f.threats if t in catalog.threats})
    threat_index = {t: i for i, t in enumerate(threat_ids)}
    cwe_ids = sorted({c for r in rule_list for c in r.cwe})
    cwe_index = {c: i for i, c in enumerate(cwe_ids)}
    stride_index = {s: i for i, s in enumerate(STRIDE)}
    tax = {THREATS_TAXONOMY: 0, STRIDE_TAXONOMY: 1, CWE_TAXONOMY: 2}

    def taxon_ref(taxonomy: str, id_: str, index: int) -> om.ReportingDescriptorReference:
        return om.ReportingDescriptorReference(
            id=id_, index=index, tool_component=om.ToolComponentReference(name=taxonomy, index=tax[taxonomy]))

    descriptors = []
    for r in rule_list:
        relationships = [
            om.ReportingDescriptorRelationship(target=taxon_ref(THREATS_TAXONOMY, t, threat_index[t]), kinds=["relevant"])
            for t in r.threats
        ] + [
            om.ReportingDescriptorRelationship(target=taxon_ref(CWE_TAXONOMY, f"CWE-{c}", cwe_index[c]), kinds=["relevant"])
            for c in r.cwe
        ]
        descriptors.append(om.ReportingDescriptor(
            id=r.id,
            name=_pascal(r.name),
            short_description=_text(r.title),
            full_description=_text(r.finds),
            help=om.MultiformatMessageString(text=rule_text(r, catalog), markdown=rule_markdown(r, catalog)),
            help_uri=f"{INFORMATION_URI}/blob/main/docs/rules.md#{r.id.lower()}",
            default_configuration=om.ReportingConfiguration(level=r.severity.sarif_level),
            relationships=relationships,
            properties={
                "tags": rule_tags(r, catalog),
                "precision": r.precision,
                "security-severity": f"{r.security_severity:.1f}",
                "problem.severity": {"note": "recommendation"}.get(r.severity.sarif_level, r.severity.sarif_level),
                "threats": list(r.threats),
            },
        ))

    taxonomies = [
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

    results = []
    for f in findings:
        results.append(_result(f, rule_index, threat_index, taxon_ref, catalog))

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
        )),
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


def _result(f: Finding, rule_index, threat_index, taxon_ref, catalog: Catalog) -> om.Result:
    message = f.message
    related = []
    for i, rel in enumerate(f.related, start=1):
        related.append(_location(rel.location, rel.message, id_=i))
    if related and "](" not in message:
        message += " See " + ", ".join(f"[{r.message or 'related location'}]({i})" for i, r in enumerate(f.related, start=1)) + "."
    result = om.Result(
        message=om.Message(text=message),
        rule_id=f.rule_id,
        level=f.severity.sarif_level,
        locations=[_location(f.location, snippet=f.snippet or None)],
        partial_fingerprints={FINGERPRINT_KEY: f.fingerprint,
                              **({LINE_HASH_KEY: f.line_hash} if f.line_hash else {})},
        properties={
            "threats": list(f.threats),
            "severity": f.severity.label,
            "engine": f.engine,
            **({"precision": f.precision} if f.precision else {}),
            **{k: v for k, v in f.properties.items()},
        },
    )
    if f.rule_id in rule_index:
        result.rule_index = rule_index[f.rule_id]
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
        result.suppressions = [_Suppression(kind=f.suppression.kind, justification=f.suppression.justification,
                                              status=f.suppression.status)]
    return result


def _notification(n: Notice) -> om.Notification:
    note = om.Notification(message=om.Message(text=f"{n.path}: {n.message}" if n.path else n.message),
                           level=n.level, descriptor=om.ReportingDescriptorReference(id=n.kind))
    if n.path:
        note.locations = [om.Location(physical_location=om.PhysicalLocation(
            artifact_location=_artifact(n.path),
            region=om.Region(start_line=n.line) if n.line else None))]
    return note
