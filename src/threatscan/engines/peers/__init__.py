"""Peer engines: bandit, semgrep and checkov, run as subprocesses on the files of their kind, concurrently with
threatscan's own engines, their output normalised into Findings keyed to threats through rules/peers/*.yaml.

Peer output is untrusted input like any scanned file: a peer that is missing when asked for is a usage error,
one that crashes, times out or prints garbage becomes a notice, and never costs a native result. Peers never
touch the network: semgrep runs with --metrics=off and only threatscan's own rule files, checkov with
--skip-download and no API key.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ...catalog import Catalog, load_threat_catalogue, rules_dir, translate_legacy
from ...model import Finding, Location, Notice, Rule, Severity, Suppression, Threat, ThreatModel, fingerprint_of
from ...secrets import redact_line
from .bandit import Bandit
from .checkov import Checkov
from .peer import Peer, RawResult, parse_json  # noqa: F401  (the peers' interface, read here too)
from .semgrep import Semgrep


def _yaml_load(text: str):
    import yaml  # here: a scan without peers (the CLI imports this module for its engine names) loads no YAML

    return yaml.safe_load(text)


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


def load_dropped(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """Peer rule ids that are no finding of any threat (bandit's import warnings): engine -> {id: why}."""
    directory = (directory or rules_dir()) / "peers"
    out: dict[str, dict[str, str]] = {}
    for engine in PEER_NAMES:
        path = directory / f"{engine}.yaml"
        data = _yaml_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        out[engine] = {str(k): str(v) for k, v in ((data or {}).get("drop") or {}).items()}
    return out


def load_mappings(directory: Path | None = None) -> dict[str, dict[str, PeerRule]]:
    directory = (directory or rules_dir()) / "peers"
    generic = load_threat_catalogue(directory.parent)[1]
    out: dict[str, dict[str, PeerRule]] = {}
    for engine in PEER_NAMES:
        path = directory / f"{engine}.yaml"
        data = _yaml_load(path.read_text(encoding="utf-8")) if path.exists() else {}
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


# Environment variables a peer may see: nothing that loads code or configuration (PYTHONPATH, PYTHONSTARTUP,
# CKV_*, SEMGREP_*, BC_API_KEY, ...), no home directory with the user's settings. Locale and PATH only.
_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "TZ")


def peer_environment(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env.update({"HOME": str(home), "USERPROFILE": str(home), "TMPDIR": str(home), "XDG_CONFIG_HOME": str(home),
                "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "NO_COLOR": "1"})
    env.update(extra)
    return env


def stage_files(files: list["SourceFile"], work: Path) -> tuple[list[str], list[Notice]]:
    """Copy the files a peer reads into `work` (same relative paths) and return those paths. The peer runs there:
    it sees no configuration of the repository (.checkov.yaml and its external checks, .bandit, pyproject.toml,
    .semgrepignore, .git), only the files threatscan selected."""
    staged, notices = [], []
    for f in files:
        dest = work / f.rel
        try:
            if Path(f.rel).is_absolute() or ".." in Path(f.rel).parts:
                raise ValueError("outside the repository")
            # Read from the path, not through the SourceFile: the native engines may be using its cached text and
            # trees in another thread right now.
            if not stat.S_ISREG(os.stat(f.path).st_mode):
                raise ValueError("not a regular file")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(f.path, "rb") as src:
                dest.write_bytes(src.read(max(f.size, 0) + 1))
            staged.append(f.rel)
        except (OSError, ValueError) as exc:
            notices.append(Notice(f"not handed to the peer engines: {exc}", f.rel, "warning", "peer-error"))
    return staged, notices


def run_peer(peer: Peer, files: list["SourceFile"], root: Path, timeout: int = DEFAULT_TIMEOUT) -> tuple[list[RawResult], list[Notice]]:
    """Run one peer over copies of `files` in a scratch directory outside the repository, with an environment and
    a home directory threatscan controls and an explicit, empty configuration: nothing in the scanned repository
    can change what the peer loads, runs, skips or fetches."""
    if not files:
        return [], []
    exe = executable(peer.name)
    if exe is None:
        raise PeerUnavailable(peer.name)
    with tempfile.TemporaryDirectory(prefix=f"threatscan-{peer.name}-") as tmp:
        scratch = Path(tmp).resolve()
        work, home, out = scratch / "src", scratch / "home", scratch / "out.json"
        work.mkdir()
        home.mkdir()
        staged, notices = stage_files(files, work)
        if not staged:
            return [], notices
        peer.stage(work)
        cmd = peer.command(exe, staged, out, home)
        try:
            # threatscan: ignore[PY103] the peer's own executable (executable()) with the flags Peer.command builds
            proc = subprocess.run(cmd, cwd=work, env=peer_environment(home, peer.env()), capture_output=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return [], notices + [Notice(f"{peer.name} did not finish within {timeout} s; its findings are missing", None, "error", "peer-failed")]
        except OSError as exc:
            return [], notices + [Notice(f"{peer.name} could not be started: {exc}", None, "error", "peer-failed")]
        text = out.read_text(encoding="utf-8", errors="replace") if out.exists() else proc.stdout.decode("utf-8", "replace")
        if not peer.ok_exit(proc.returncode) and not text.strip():
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return [], notices + [Notice(f"{peer.name} failed (exit {proc.returncode}): {tail[0][:300]}", None, "error", "peer-failed")]
        try:
            results, errors = peer.parse(text, work)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return [], notices + [Notice(f"{peer.name} wrote output threatscan cannot read ({exc.__class__.__name__}: {str(exc)[:200]}); "
                                         "its findings are missing", None, "error", "peer-failed")]
        notices += [Notice(f"{peer.name}: {e.replace(str(work) + os.sep, '')}", None, "warning", "peer-error") for e in errors]
    dropped = load_dropped().get(peer.name, {})
    kept = [r for r in results if r.peer_id not in dropped]
    if len(kept) < len(results):
        ids = sorted({r.peer_id for r in results if r.peer_id in dropped})
        notices.append(Notice(f"{peer.name}: {len(results) - len(kept)} results of {', '.join(ids)} left out: they name "
                              "an imported module, not a flaw (rules/peers/" + peer.name + ".yaml, drop)", None, "note",
                              "peer-dropped"))
    return kept, notices


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
    suppressed = raw.suppressed
    if suppressed is None and line_text:
        peer = peer_instances().get(engine)
        suppressed = peer.inline_suppression(raw, line_text) if peer is not None else None
    severity = rule.severity if rule else _PEER_SEVERITY.get((raw.severity or "").lower(), Severity.LOW)
    threats = rule.threats if rule else (UNMAPPED_THREAT,)
    title = rule.title if rule else raw.peer_id
    message = raw.message.strip() or title
    if rule is None or rule.secret:  # "Possible hardcoded password: 'hunter2'": the quoted value is the secret
        message = _STRINGS.sub(lambda m: f"{m.group('q')}***{m.group('q')}", message)
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
        fingerprint=fingerprint_of(f"{engine}/{raw.peer_id}", raw.path, snippet if rule is None or rule.secret else line_text),
        engine=engine,
        properties={"engine": engine, "peerRuleId": raw.peer_id, **raw.extra},
        suppression=Suppression("inSource", f"{engine}'s own suppression comment in the file: {suppressed.strip()}"
                                if suppressed.strip() else f"{engine}'s own suppression comment in the file (no reason given)")
        if suppressed is not None else None,
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


def deduplicate(native: list[Finding], peers: list[Finding],
                mappings: dict[str, dict[str, PeerRule]] | None = None) -> list[Finding]:
    """A peer finding merges into a native finding about the same thing, which then lists every engine that saw it:
    on the same file and line when they share a threat, or, for a peer rule whose mapping names native rules
    (`native:` in rules/peers/), a finding of one of those rules on the same resource (checkov reports at the
    resource, the native rule at the property: same logical id, or the native line inside the peer's lines).
    Two peers on the same spot merge the same way. A peer finding its own suppression comment silenced stays a
    result of its own, marked suppressed."""
    mappings = load_mappings() if mappings is None else mappings
    merged: list[Finding] = []
    index: dict[tuple[str, int], list[int]] = {}
    by_path: dict[str, list[int]] = {}
    for f in native:
        index.setdefault((f.location.path, f.location.line), []).append(len(merged))
        by_path.setdefault(f.location.path, []).append(len(merged))
        merged.append(f)
    for p in peers:
        target = None
        if p.suppression is not None:  # the peer's own suppression comment: kept as its own, suppressed, result
            merged.append(p)
            continue
        if UNMAPPED_THREAT not in p.threats:
            for i in index.get((p.location.path, p.location.line), []):
                if set(merged[i].threats) & set(p.threats):
                    target = i
                    break
        if target is None:
            target = _same_resource(p, merged, by_path.get(p.location.path, []), mappings)
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


def _same_resource(p: Finding, merged: list[Finding], candidates: list[int],
                   mappings: dict[str, dict[str, PeerRule]]) -> int | None:
    engine, _, peer_id = p.rule_id.partition("/")
    rule = mappings.get(engine, {}).get(peer_id)
    if rule is None or not rule.native:
        return None
    logical_id = str(p.properties.get("resource", "")).rsplit(".", 1)[-1]  # checkov: "AWS::S3::Bucket.Bucket"
    first, last = p.location.line, max(p.location.end_line or p.location.line, p.location.line)
    for i in candidates:
        n = merged[i]
        if n.engine != "native" or n.rule_id not in rule.native:
            continue
        resource = str(n.properties.get("resource", ""))
        if (logical_id and resource == logical_id) or (not resource and first <= n.location.line <= last):
            return i
    return None


def peer_instances() -> dict[str, Peer]:
    return {"bandit": Bandit(), "semgrep": Semgrep(), "checkov": Checkov()}
