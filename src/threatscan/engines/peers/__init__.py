"""Peer engines: bandit, semgrep and checkov, run as subprocesses on the files of their kind, concurrently with
threatscan's own engines, their output normalised into Findings keyed to threats through rules/peers/*.yaml.

Peer output is untrusted input like any scanned file: a peer that is missing when asked for is a usage error,
one that crashes, times out or prints garbage becomes a notice, and never costs a native result. Peers never
touch the network: semgrep runs with --metrics=off and only threatscan's own rule files, checkov with
--skip-download and no API key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from ...catalog import Catalog, load_threat_catalogue, rules_dir, translate_legacy
from ...model import Finding, Location, Notice, Rule, Severity, Threat, ThreatModel, fingerprint_of
from ...secrets import redact_line

if TYPE_CHECKING:
    from ...discover import SourceFile

PEER_NAMES = ("bandit", "semgrep", "checkov")
UNMAPPED_MODEL = "PEERS"
UNMAPPED_THREAT = "PEER-UNMAPPED"
DEFAULT_TIMEOUT = 900


class PeerUnavailable(Exception):
    pass


@dataclass(frozen=True)
class PeerRule:
    """One peer rule id and what it evidences (from rules/peers/<engine>.yaml)."""

    engine: str
    peer_id: str
    title: str
    threats: tuple[str, ...]
    cwe: tuple[int, ...]
    severity: Severity
    native: tuple[str, ...] = ()  # native rules that find the same thing (for deduplication)
    secret: bool = False  # the peer's finding is about a secret value: redact the whole snippet

    @property
    def rule_id(self) -> str:
        return f"{self.engine}/{self.peer_id}"


@dataclass
class RawResult:
    peer_id: str
    path: str  # relative to the scan root
    line: int
    column: int = 1
    end_line: int | None = None
    message: str = ""
    severity: str | None = None  # the peer's own severity word, used for unmapped rules
    cwe: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_mappings(directory: Path | None = None) -> dict[str, dict[str, PeerRule]]:
    directory = (directory or rules_dir()) / "peers"
    generic = load_threat_catalogue(directory.parent)[1]
    out: dict[str, dict[str, PeerRule]] = {}
    for engine in PEER_NAMES:
        path = directory / f"{engine}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        rules = {}
        for peer_id, entry in (data.get("rules") or {}).items():
            cwe = (tuple(int(c) for c in (entry.get("cwe") or [])) if isinstance(entry.get("cwe"), list)
                   else ((int(entry["cwe"]),) if entry.get("cwe") else ()))
            rules[str(peer_id)] = PeerRule(
                engine, str(peer_id), str(entry["title"]), translate_legacy(entry["threats"], cwe, generic, str(entry["title"])), cwe,
                Severity.parse(entry["severity"]), tuple(entry.get("native") or ()), bool(entry.get("secret")),
            )
        out[engine] = rules
    return out


def check_mappings(catalog: Catalog, mappings: dict[str, dict[str, PeerRule]]) -> list[str]:
    """Problems in the mapping tables (unknown threats, CWEs, native rules): empty when all is well."""
    problems = []
    for engine, rules in mappings.items():
        for r in rules.values():
            for t in r.threats:
                if t not in catalog.threats:
                    problems.append(f"peers/{engine}.yaml: {r.peer_id} names unknown threat {t}")
            for c in r.cwe:
                if c not in catalog.cwes:
                    problems.append(f"peers/{engine}.yaml: {r.peer_id} names CWE-{c}, not in cwe.yaml")
            for n in r.native:
                if n not in catalog.rules:
                    problems.append(f"peers/{engine}.yaml: {r.peer_id} names unknown native rule {n}")
    return problems


# --- running ----------------------------------------------------------------------------------------------------

def executable(name: str) -> str | None:
    """The peer's command: beside this Python first (same virtual environment), then on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which(name)


def available() -> list[str]:
    return [name for name in PEER_NAMES if executable(name)]


class Peer:
    name = "peer"
    kinds: frozenset[str] = frozenset()

    def command(self, exe: str, files: list[str], out: Path) -> list[str]:
        raise NotImplementedError

    def parse(self, text: str, root: Path) -> tuple[list[RawResult], list[str]]:
        """(results, errors the peer reported about individual files)."""
        raise NotImplementedError

    def ok_exit(self, code: int) -> bool:
        return code in (0, 1)

    def env(self) -> dict[str, str]:
        return {}


def run_peer(peer: Peer, files: list["SourceFile"], root: Path, timeout: int = DEFAULT_TIMEOUT) -> tuple[list[RawResult], list[Notice]]:
    if not files:
        return [], []
    exe = executable(peer.name)
    if exe is None:
        raise PeerUnavailable(peer.name)
    notices: list[Notice] = []
    with tempfile.TemporaryDirectory(prefix=f"threatscan-{peer.name}-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = peer.command(exe, [f.rel for f in files], out)
        env = {**os.environ, **peer.env()}
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return [], [Notice(f"{peer.name} did not finish within {timeout} s; its findings are missing", None, "error", "peer-failed")]
        except OSError as exc:
            return [], [Notice(f"{peer.name} could not be started: {exc}", None, "error", "peer-failed")]
        text = out.read_text(encoding="utf-8", errors="replace") if out.exists() else proc.stdout.decode("utf-8", "replace")
        if not peer.ok_exit(proc.returncode) and not text.strip():
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return [], [Notice(f"{peer.name} failed (exit {proc.returncode}): {tail[0][:300]}", None, "error", "peer-failed")]
        try:
            results, errors = peer.parse(text, root)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return [], [Notice(f"{peer.name} wrote output threatscan cannot read ({exc.__class__.__name__}: {str(exc)[:200]}); "
                               "its findings are missing", None, "error", "peer-failed")]
        notices += [Notice(f"{peer.name}: {e}", None, "warning", "peer-error") for e in errors]
    return results, notices


# --- normalising ------------------------------------------------------------------------------------------------

_STRINGS = re.compile(r"(?P<q>['\"]).*?(?P=q)")
_PEER_SEVERITY = {"low": Severity.LOW, "info": Severity.LOW, "medium": Severity.MEDIUM, "warning": Severity.MEDIUM,
                  "moderate": Severity.MEDIUM, "high": Severity.HIGH, "error": Severity.HIGH, "critical": Severity.CRITICAL}


def to_finding(engine: str, raw: RawResult, mapping: dict[str, PeerRule], files: dict[str, "SourceFile"]) -> Finding:
    rule = mapping.get(raw.peer_id)
    line_text = ""
    file = files.get(raw.path)
    if file is not None:
        try:
            line_text = file.line(raw.line)
        except Exception:
            line_text = ""
    snippet = redact_line(line_text.strip())
    if rule is None or rule.secret:
        snippet = _STRINGS.sub(lambda m: f"{m.group('q')}***{m.group('q')}", snippet)  # a peer may flag any secret
    severity = rule.severity if rule else _PEER_SEVERITY.get((raw.severity or "").lower(), Severity.LOW)
    threats = rule.threats if rule else (UNMAPPED_THREAT,)
    title = rule.title if rule else raw.peer_id
    message = raw.message.strip() or title
    if not message.endswith("."):
        message += "."
    prefix = "" if rule else " (not mapped to a threat)"  # threat ids come from the catalogue at report time
    return Finding(
        rule_id=f"{engine}/{raw.peer_id}",
        location=Location(raw.path, max(raw.line, 1), max(raw.column, 1), raw.end_line),
        message=f"{engine} {raw.peer_id}{prefix}: {message}",
        severity=severity,
        threats=threats,
        snippet=snippet,
        fingerprint=fingerprint_of(f"{engine}/{raw.peer_id}", raw.path, line_text),
        engine=engine,
        properties={"engine": engine, "peerRuleId": raw.peer_id, **raw.extra},
    )


def peer_catalog(catalog: Catalog, mappings: dict[str, dict[str, PeerRule]], findings: Iterable[Finding]) -> Catalog:
    """The catalogue plus a Rule for every peer rule that produced a finding (and the 'unmapped' threat)."""
    rules = dict(catalog.rules)
    threats = dict(catalog.threats)
    models = dict(catalog.models)
    for f in findings:
        if f.engine == "native" or f.rule_id in rules:
            continue
        engine, peer_id = f.rule_id.split("/", 1)
        pr = mappings.get(engine, {}).get(peer_id)
        if pr is None:
            models.setdefault(UNMAPPED_MODEL, ThreatModel(UNMAPPED_MODEL, "Peer findings without a threat mapping", "rules/peers/",
                                                          "Findings of bandit, semgrep or checkov rules that rules/peers/ does not map to a threat yet."))
            threats.setdefault(UNMAPPED_THREAT, Threat(UNMAPPED_THREAT, "Peer finding not mapped to a threat",
                                                       "A peer engine's rule that no threat in the catalogue names yet; map it in rules/peers/.",
                                                       ("tampering",), UNMAPPED_MODEL, "unmapped"))
        rules[f.rule_id] = peer_rule_descriptor(engine, peer_id, pr, f, catalog)
    return Catalog(models, threats, rules, catalog.cwes, catalog.examples)


def peer_rule_descriptor(engine: str, peer_id: str, pr: PeerRule | None, sample: Finding | None, catalog: Catalog) -> Rule:
    severity = pr.severity if pr else (sample.severity if sample else Severity.LOW)
    title = pr.title if pr else f"{engine} rule {peer_id} (not mapped to a threat)"
    return Rule(
        id=f"{engine}/{peer_id}", name=f"{engine}-{peer_id}".lower().replace("_", "-"), title=title,
        kinds=("peer",), threats=pr.threats if pr else (UNMAPPED_THREAT,),
        cwe=tuple(c for c in (pr.cwe if pr else ()) if c in catalog.cwes),
        severity=severity, security_severity={1: 3.0, 2: 5.5, 3: 7.5, 4: 9.3}[int(severity)],
        precision="medium",
        finds=f"Reported by {engine} as {peer_id}: {title}.",
        why=("Mapped to the threats above in rules/peers/" + engine + ".yaml." if pr else
             "No threat mapping exists for this rule yet; it is kept so that nothing the peer found is lost."),
        fix=f"See {engine}'s documentation for {peer_id}.",
        tags=("peer", engine), engine=engine,
    )


def deduplicate(native: list[Finding], peers: list[Finding]) -> list[Finding]:
    """A peer finding on the same file and line as a native finding sharing a threat merges into the native one,
    which then lists every engine that saw it. Two peers on the same spot merge the same way."""
    merged: list[Finding] = []
    index: dict[tuple[str, int], list[int]] = {}
    for f in native:
        index.setdefault((f.location.path, f.location.line), []).append(len(merged))
        merged.append(f)
    for p in peers:
        target = None
        for i in index.get((p.location.path, p.location.line), []):
            if set(merged[i].threats) & set(p.threats) and UNMAPPED_THREAT not in p.threats:
                target = i
                break
        if target is None:
            index.setdefault((p.location.path, p.location.line), []).append(len(merged))
            merged.append(p)
            continue
        base = merged[target]
        props = dict(base.properties)
        props["engines"] = sorted(set(props.get("engines", [base.engine])) | {p.engine})
        props["peerRules"] = sorted(set(props.get("peerRules", [])) | {p.rule_id})
        merged[target] = replace(base, properties=props)
    return merged


def peer_instances() -> dict[str, Peer]:
    from .bandit import Bandit
    from .checkov import Checkov
    from .semgrep import Semgrep

    return {"bandit": Bandit(), "semgrep": Semgrep(), "checkov": Checkov()}


def parse_json(text: str) -> Any:
    """Peers sometimes print log lines before their JSON: take the first JSON value in the text."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start = min([i for i in (text.find("{"), text.find("[")) if i >= 0] or [-1])
        if start < 0:
            raise ValueError("no JSON in the output") from None
        return json.JSONDecoder().raw_decode(text[start:])[0]
