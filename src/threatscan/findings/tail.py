"""The findings' tail: everything that happens to a finding after a check reports it, as named stages in one order.

    peers          peer findings (bandit, semgrep, checkov) keyed to threats and merged with native ones
    evidence       the evidence tier: "review" findings capped at low (precision low, tag `review`); test and
                   example code classified (`code_kind` "test", tag `test-code`); vendored copies of other
                   projects (`vendor/`..., or packages in `lib/` with their own evidence, vendoring.py;
                   `code_kind` "vendored", tag `vendored`); non-shipping code tagged. Findings in
                   test, example and vendored code are capped at low too (the rule's severity kept in the
                   property `severityInShippingCode`), except a committed credential of a known format, unless
                   the scan keeps their severity (--fail-on-test-code)
    severity       the configuration's per-rule severity (`[severity]` in .threatscan.toml); never above low for a
                   review finding or a finding the evidence stage capped in test code
    threats        every finding keyed to its rule's threats; then the user's threat model: per-threat severity and
                   the escalation of code violating a threat marked mitigated (critical, with a message saying so).
                   Review findings and test/non-shipping code are never escalated.
    suppress       inline suppressions, from the statement index each file's scan returned (never a parse cache);
                   broken or unused suppressions become TS001 findings
    fingerprints   the n-th identical (rule, file, code) finding gets the n-th derived fingerprint: counted over all
                   findings, before the diff and the baseline set any aside, so a fingerprint never depends on
                   which other findings a filter removed
    non-shipping   findings in Android code that never ships (debug-only and test source sets, benchmark, sample and
                   test-utility modules) set aside unless --include-non-shipping, except committed credentials in a
                   known format (a leak wherever the file sits)
    diff           with --diff: a finding stays when its location, a related location or a step of its code flow
                   lies on a changed line (in any file), or a line changed between its flow's steps
    baseline       findings whose fingerprint the baseline records are set aside (and counted)
    redact         secrets masked in every text a finding carries (slot for secrets.redact_findings)
    line-hashes    GitHub's primaryLocationLineHash for every finding

Why this order: a configured severity is the user's word on a rule, the threat model's word on a threat comes
after it (so a finding that violates a mitigated threat is critical whatever the rule's configured severity, and
no message claims a violation that the severity denies); suppressions and filters come after every severity
decision, so a suppressed or baselined finding is still counted as what it is; redaction comes last but one, so
no stage after it adds text.

Each stage is a function (findings, Tail) -> findings. Nothing here reads a file except `line-hashes` (the bytes of
files that have findings).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..codekind import in_qa_dir, is_behave_file, is_demo_data_command, is_example_dir, is_example_file, is_test_dir, \
    is_test_file, is_vendored_code
from ..model import Finding, Location, Notice, Severity
from ..secrets import redact_findings
from ..vendoring import in_vendored
from .suppress import FileIndex, apply_suppressions

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..discover import SourceFile

REVIEW_TAG = "review"
TEST_CODE_TAG = "test-code"
NON_SHIPPING_TAG = "non-shipping"
VENDORED_TAG = "vendored"



JVM_SOURCES = (".java", ".kt", ".kts")
JVM_SOURCE_ROOTS = frozenset({"java", "kotlin"})  # below these, directories are a package name (`com/example/app`)


def is_test_code(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    dirs = parts[:-1]
    if name.endswith(JVM_SOURCES):
        roots = [i for i, p in enumerate(dirs) if p in JVM_SOURCE_ROOTS]
        dirs = dirs[: roots[0]] if roots else dirs
    # Test and example code: directories anywhere in the path, and file names (codekind; README "Severity pipeline").
    return any(is_test_dir(p) or is_example_dir(p) for p in dirs) or is_test_file(name) or is_example_file(name) \
        or is_demo_data_command(path) or is_behave_file(parts)


@dataclass
class Tail:
    """What the stages read besides the findings."""

    catalog: "Catalog"
    options: Any  # scan.ScanOptions
    files: Mapping[str, "SourceFile"] = field(default_factory=dict)  # every discovered file, by relative path
    indexes: Mapping[str, FileIndex] = field(default_factory=dict)  # suppression directives and statements
    changed: dict[str, set[int] | None] | None = None  # --diff: changed lines per file (None: the whole file)
    peers: Any = None  # the started peers (futures), or None
    scanned: list["SourceFile"] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    set_aside: Counter = field(default_factory=Counter)  # findings a stage removed, by reason
    vendored: frozenset[str] = frozenset()  # other distributions' packages in `lib/`-like directories (vendoring.py)


Stage = Callable[[list[Finding], Tail], list[Finding]]


# --- peers ------------------------------------------------------------------------------------------------------
def merge_peers(findings: list[Finding], tail: Tail) -> list[Finding]:
    if tail.peers is None:
        return findings
    from ..engines.peers import UNMAPPED_THREAT, deduplicate, load_mappings, peer_catalog, to_finding

    options = tail.options
    mappings = load_mappings()
    by_rel = {f.rel: f for f in tail.scanned}
    peer_findings: list[Finding] = []
    for name, future in tail.peers.items():
        try:
            raw, notices = future.result()
        except Exception as exc:  # a peer runner's own bug: a notice, never a lost native result
            tail.notices.append(Notice(f"{name} failed: {exc.__class__.__name__}: {exc}", None, "error", "peer-failed"))
            continue
        tail.notices.extend(notices)
        for r in raw:
            f = to_finding(name, r, mappings.get(name, {}), by_rel)
            if options.threat_model is not None:
                f = options.threat_model.rekey_peer_finding(f)
            if options.peer_unmapped == "drop" and UNMAPPED_THREAT in f.threats:
                continue
            peer_findings.append(f)
    tail.catalog = peer_catalog(tail.catalog, mappings, peer_findings)
    return deduplicate(findings, peer_findings)


# --- evidence tier ----------------------------------------------------------------------------------------------
def _tagged(f: Finding, tag: str) -> Finding:
    tags = list(f.properties.get("tags", ()))
    if tag in tags:
        return f
    return f.with_(properties={**f.properties, "tags": [*tags, tag]})


_KIND_TAGS = {"test": TEST_CODE_TAG, "non-shipping": NON_SHIPPING_TAG, "vendored": VENDORED_TAG}  # code_kind -> tag


SHIPPING_SEVERITY = "severityInShippingCode"  # what a finding capped in test/example/vendored code would be worth


def is_known_credential(f: Finding, catalog: "Catalog") -> bool:
    """A committed credential of a known format (an AWS key, a private key block): a leak wherever the file sits."""
    rule = catalog.rules.get(f.rule_id)
    return rule is not None and "secrets" in rule.tags and f.precision == "high"


def caps_test_code(f: Finding, tail: Tail) -> bool:
    """Whether a finding is capped at low because it is in test, example or vendored code: nothing there is deployed
    as the project's own code, so the finding cannot show that it is exploitable (README "Severity follows
    evidence"). A team that gates its test code (--fail-on-test-code) keeps the rules' severities."""
    return (f.code_kind in ("test", "vendored") and not getattr(tail.options, "test_code_severity", False)
            and not is_known_credential(f, tail.catalog))


def _capped(f: Finding, severity: Severity, tail: Tail) -> Finding:
    if f.evidence == "review":
        return f.with_(severity=min(severity, Severity.LOW))
    if caps_test_code(f, tail) and severity > Severity.LOW:
        return f.with_(severity=Severity.LOW, properties={**f.properties, SHIPPING_SEVERITY: severity.label})
    return f.with_(severity=severity) if severity != f.severity else f


def evidence_tier(findings: list[Finding], tail: Tail) -> list[Finding]:
    out = []
    for f in findings:
        if not f.code_kind and (is_test_code(f.location.path) or in_qa_dir(f.location.path, tail.files.__contains__)):
            f = f.with_(code_kind="test")
        elif not f.code_kind and (is_vendored_code(f.location.path) or in_vendored(f.location.path, tail.vendored)):
            f = f.with_(code_kind="vendored")
        if f.evidence == "review":
            f = _tagged(f.with_(precision="low"), REVIEW_TAG)
        f = _capped(f, f.severity, tail)
        if f.code_kind in _KIND_TAGS:
            f = _tagged(f, _KIND_TAGS[f.code_kind])
        out.append(f)
    return out


# --- configured severity ----------------------------------------------------------------------------------------
def configured_severity(findings: list[Finding], tail: Tail) -> list[Finding]:
    overrides = tail.options.severity or {}
    if not overrides:
        return findings
    out = []
    for f in findings:
        if f.rule_id in overrides:
            f = _capped(f, overrides[f.rule_id], tail)
        out.append(f)
    return out


# --- threats ----------------------------------------------------------------------------------------------------
def attach_threats(findings: list[Finding], catalog: "Catalog") -> list[Finding]:
    """Every finding names the threats of its rule (engines may add more, e.g. from a user's threat model)."""
    out = []
    for f in findings:
        rule = catalog.rules.get(f.rule_id)
        threats = tuple(dict.fromkeys((*f.threats, *(rule.threats if rule else ()))))
        out.append(f if threats == f.threats else f.with_(threats=threats))
    return out


def escalates(f: Finding) -> bool:
    """Whether the user's threat model may change a finding's severity: not a review finding (its evidence does
    not show the threat), not test or non-shipping code."""
    return f.evidence != "review" and not f.code_kind


def key_threats(findings: list[Finding], tail: Tail) -> list[Finding]:
    findings = attach_threats(findings, tail.catalog)
    tm = tail.options.threat_model
    if tm is None:
        return findings
    from ..threats.threatmodel import adjust_findings

    # Every finding is marked (suggested / accepted threats); only those that `escalates` may change severity:
    # adjust_findings asks the same question (threatmodel.may_escalate).
    return adjust_findings(findings, tm)


# --- suppressions -----------------------------------------------------------------------------------------------
def suppress(findings: list[Finding], tail: Tail) -> list[Finding]:
    return apply_suppressions(findings, tail.indexes, tail.catalog)


# --- fingerprints -----------------------------------------------------------------------------------------------
def assign_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Make fingerprints unique: the n-th identical (rule, file, code) finding gets the n-th derived hash."""
    seen: dict[str, int] = {}
    out = []
    for f in sorted(findings, key=_order):
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        if n:
            f = f.with_(fingerprint=hashlib.sha256(f"{f.fingerprint}:{n}".encode()).hexdigest()[:32])
        out.append(f)
    return out


def fingerprints(findings: list[Finding], tail: Tail) -> list[Finding]:
    return assign_fingerprints(findings)


# --- diff -------------------------------------------------------------------------------------------------------
def places(f: Finding) -> list[Location]:
    """Where a finding is: its location, its related locations and the steps of its code flow."""
    return [f.location, *(r.location for r in f.related), *(s.location for s in f.flow)]


def flow_regions(f: Finding) -> list[Location]:
    """Per file, the lines from the first to the last step of the finding's code flow: a change between the source
    and the sink (a sanitiser removed, a branch rewritten) changes the flow even when no step's own line changed."""
    spans: dict[str, tuple[int, int]] = {}
    for step in f.flow:
        loc = step.location
        lo, hi = spans.get(loc.path, (loc.line, loc.line))
        spans[loc.path] = (min(lo, loc.line), max(hi, loc.end_line or loc.line, loc.line))
    return [Location(path, lo, 1, hi) for path, (lo, hi) in spans.items()]


def on_changed_line(f: Finding, changed: Mapping[str, set[int] | None], whole_files: bool = False) -> bool:
    for loc in [*places(f), *flow_regions(f)]:
        if loc.path not in changed:
            continue
        lines = changed[loc.path]
        if lines is None or whole_files:
            return True
        end = max(loc.end_line or loc.line, loc.line)
        if any(n in lines for n in range(loc.line, end + 1)):
            return True
    return False


def diff_filter(findings: list[Finding], tail: Tail) -> list[Finding]:
    if tail.changed is None:
        return findings
    whole = tail.options.diff_scope == "file"
    kept = [f for f in findings if on_changed_line(f, tail.changed, whole)]
    tail.set_aside["outside-diff"] += len(findings) - len(kept)
    return kept


# --- non-shipping code ------------------------------------------------------------------------------------------
NON_SHIPPING_ASIDE = "in non-shipping code"


def is_non_shipping(f: Finding, catalog: "Catalog") -> bool:
    """Whether a finding is in Android code that never ships and is not a committed credential of a known format.

    Android marks debug-only source sets and benchmark/sample/test-utility modules "non-shipping", and its test
    source sets "test" with the source set named (Python's tests/ and examples/ are "test" without one: they are
    reported, tagged test-code, as before)."""
    if f.code_kind != "non-shipping" and not (f.code_kind == "test" and "sourceSet" in f.properties):
        return False
    return not is_known_credential(f, catalog)


def non_shipping_filter(findings: list[Finding], tail: Tail) -> list[Finding]:
    if getattr(tail.options, "include_non_shipping", False):
        return findings
    kept = [f for f in findings if not is_non_shipping(f, tail.catalog)]
    if len(kept) < len(findings):
        tail.set_aside[NON_SHIPPING_ASIDE] += len(findings) - len(kept)
    return kept


# --- baseline ---------------------------------------------------------------------------------------------------
def baseline_filter(findings: list[Finding], tail: Tail) -> list[Finding]:
    known = tail.options.baseline
    if known is None:
        return findings
    kept = [f for f in findings if f.fingerprint not in known]
    tail.set_aside["baselined"] += len(findings) - len(kept)
    return kept


# --- redaction --------------------------------------------------------------------------------------------------
def redact(findings: list[Finding], tail: Tail) -> list[Finding]:
    """Secrets masked in every text of every finding (snippet, message, related locations, flow steps), whichever
    rule reports them: the one redactor, secrets.redact_findings."""
    return redact_findings(findings, tail.files)


# --- line hashes ------------------------------------------------------------------------------------------------
def add_line_hashes(findings: list[Finding], files: Mapping[str, "SourceFile"]) -> list[Finding]:
    """GitHub's primaryLocationLineHash for every finding whose file could be read (see linehash.py). A finding that
    has one kept it from the scan's per-file step (scan._line_hashed: the same file's bytes, read then, or its
    cache entry): its file is not read again for it."""
    from .linehash import hashes_for_lines

    by_path: dict[str, set[int]] = {}
    for f in findings:
        if not f.line_hash:
            by_path.setdefault(f.location.path, set()).add(f.location.line)
    hashes: dict[str, dict[int, str]] = {}
    for path, lines in by_path.items():
        file = files.get(path)
        if file is not None:
            try:
                hashes[path] = hashes_for_lines(file.data(), lines)
            except OSError:
                pass
            file.release()
    return [f if f.line_hash or f.location.line not in hashes.get(f.location.path, ())
            else f.with_(line_hash=hashes[f.location.path][f.location.line]) for f in findings]


def line_hashes(findings: list[Finding], tail: Tail) -> list[Finding]:
    return add_line_hashes(findings, tail.files)


STAGES: tuple[tuple[str, Stage], ...] = (
    ("peers", merge_peers),
    ("evidence", evidence_tier),
    ("severity", configured_severity),
    ("threats", key_threats),
    ("suppress", suppress),
    ("fingerprints", fingerprints),
    ("non-shipping", non_shipping_filter),
    ("diff", diff_filter),
    ("baseline", baseline_filter),
    ("redact", redact),
    ("line-hashes", line_hashes),
)


def _order(f: Finding) -> tuple:
    return (f.location.path, f.location.line, f.location.column, f.rule_id, f.message, f.engine)


def run_tail(findings: list[Finding], tail: Tail, stages: tuple[tuple[str, Stage], ...] = STAGES) -> list[Finding]:
    """Every stage in order; the findings come out sorted by place."""
    for _name, stage in stages:
        findings = stage(findings, tail)
    return sorted(findings, key=_order)


# --- the gate ---------------------------------------------------------------------------------------------------
def gates(f: Finding, threshold: Severity, test_code: bool = False) -> bool:
    """Whether a finding fails a `--fail-on threshold` gate: open (not suppressed), at or above the threshold, not a
    review finding, and in the project's own shipping code (test, example and vendored code too when `test_code`)."""
    if f.suppression is not None or f.evidence == "review" or f.severity < threshold:
        return False
    return not f.code_kind or (test_code and f.code_kind in ("test", "vendored"))
