"""Loads the threat catalogue and rule metadata from rules/ and checks every link, failing loudly."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import PRECISIONS, STRIDE, Rule, Severity, Threat, ThreatModel


class CatalogError(Exception):
    """The rules/ data is inconsistent: an unknown threat or CWE, a duplicate id, a rule without a check."""


RULE_KEYS = {
    "id", "name", "title", "kinds", "threats", "cwe", "severity", "security_severity", "precision",
    "finds", "why", "fix", "tags", "tokens", "references",
}
REQUIRED_RULE_KEYS = RULE_KEYS - {"tags", "tokens", "references"}


def rules_dir() -> Path:
    """rules/ beside src/ in a checkout, or threatscan/_rules inside an installed wheel."""
    return _rules_dir(os.environ.get("THREATSCAN_RULES_DIR"))


@functools.lru_cache(maxsize=8)
def _rules_dir(override: str | None) -> Path:
    # Cached: checks ask for it on hot paths (the data-flow spec), and resolving it costs file-system calls.
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent.parent / "rules"):
        if (candidate / "threats.yaml").is_file():
            return candidate
    raise CatalogError(f"cannot find the rules directory (looked in {here / '_rules'} and {here.parent.parent / 'rules'})")


@dataclass
class Catalog:
    models: dict[str, ThreatModel]
    threats: dict[str, Threat]
    rules: dict[str, Rule]
    cwes: dict[int, str]
    _by_threat: dict[str, list[Rule]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for rule in self.rules.values():
            for tid in rule.threats:
                self._by_threat.setdefault(tid, []).append(rule)

    def rules_for_threat(self, threat_id: str) -> list[Rule]:
        return list(self._by_threat.get(threat_id, []))

    def uncovered_threats(self) -> list[Threat]:
        return [t for t in self.threats.values() if not self._by_threat.get(t.id)]


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: same result, faster


def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _load_threats(directory: Path) -> tuple[dict[str, ThreatModel], dict[str, Threat]]:
    data = _load_yaml(directory / "threats.yaml")
    models: dict[str, ThreatModel] = {}
    for m in data.get("models", []):
        if m["id"] in models:
            raise CatalogError(f"threats.yaml: duplicate model id {m['id']}")
        models[m["id"]] = ThreatModel(m["id"], m["title"], m.get("source", ""), " ".join(str(m.get("summary", "")).split()))
    threats: dict[str, Threat] = {}
    for t in data.get("threats", []):
        tid = t["id"]
        if tid in threats:
            raise CatalogError(f"threats.yaml: duplicate threat id {tid}")
        if t["model"] not in models:
            raise CatalogError(f"threats.yaml: threat {tid} names unknown model {t['model']}")
        stride = _tuple(t.get("stride"))
        bad = [s for s in stride if s not in STRIDE]
        if bad or not stride:
            raise CatalogError(f"threats.yaml: threat {tid} has STRIDE categories {list(stride)}; allowed: {', '.join(STRIDE)}")
        threats[tid] = Threat(tid, t["title"], " ".join(str(t.get("description", "")).split()), stride, t["model"], t.get("section", ""))
    return models, threats


def _rule_from(entry: dict, where: str, family: str, threats: dict, cwes: dict) -> Rule:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: each rule must be a mapping")
    unknown = set(entry) - RULE_KEYS
    missing = REQUIRED_RULE_KEYS - set(entry)
    rid = entry.get("id", "?")
    if unknown:
        raise CatalogError(f"{where}: rule {rid} has unknown keys {sorted(unknown)}")
    if missing:
        raise CatalogError(f"{where}: rule {rid} lacks {sorted(missing)}")
    rule_threats = _tuple(entry["threats"])
    if not rule_threats:
        raise CatalogError(f"{where}: rule {rid} names no threat")
    for tid in rule_threats:
        if tid not in threats:
            raise CatalogError(f"{where}: rule {rid} names unknown threat {tid}")
    rule_cwes = tuple(int(c) for c in _tuple(entry["cwe"]))
    for c in rule_cwes:
        if c not in cwes:
            raise CatalogError(f"{where}: rule {rid} names CWE-{c}, which is not in cwe.yaml")
    if entry["precision"] not in PRECISIONS:
        raise CatalogError(f"{where}: rule {rid} has precision {entry['precision']!r}; allowed: {', '.join(PRECISIONS)}")
    try:
        severity = Severity.parse(entry["severity"])
    except ValueError as exc:
        raise CatalogError(f"{where}: rule {rid}: {exc}") from None
    sec = float(entry["security_severity"])
    if not 0.0 <= sec <= 10.0:
        raise CatalogError(f"{where}: rule {rid} has security_severity {sec} outside 0.0-10.0")
    text = lambda k: str(entry[k]).strip()  # noqa: E731
    return Rule(
        id=str(rid), name=str(entry["name"]), title=text("title"), kinds=_tuple(entry["kinds"]),
        threats=rule_threats, cwe=rule_cwes, severity=severity, security_severity=sec,
        precision=entry["precision"], finds=text("finds"), why=text("why"), fix=text("fix"),
        tags=_tuple(entry.get("tags")), tokens=_tuple(entry.get("tokens")),
        references=_tuple(entry.get("references")), family=family,
    )


def load_catalog(directory: Path | None = None, *, check_implementations: bool = False) -> Catalog:
    """The rules and threats of rules/, as data: loading them imports no check. `check_implementations` also
    verifies that every rule has its check and every check its rule (`verify_checks`; the tests and
    `threatscan rules --check` do)."""
    directory = directory or rules_dir()
    cwes = {int(k): str(v) for k, v in (_load_yaml(directory / "cwe.yaml") or {}).items()}
    models, threats = _load_threats(directory)
    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("*/*.yaml")):
        if path.parent.name in ("semgrep", "peers", "examples", "dataflow"):
            continue  # not native rule metadata (dataflow/: the taint specification, engines/python/dataflow)
        where = str(path.relative_to(directory))
        entries = _load_yaml(path) or []
        if not isinstance(entries, list):
            raise CatalogError(f"{where}: expected a list of rules")
        for entry in entries:
            rule = _rule_from(entry, where, path.stem, threats, cwes)
            if rule.id in rules:
                raise CatalogError(f"{where}: duplicate rule id {rule.id}")
            rules[rule.id] = rule
    catalog = Catalog(models, threats, rules, cwes)
    if check_implementations:
        verify_checks(catalog)
    return catalog


def verify_checks(catalog: "Catalog") -> None:
    """Every rule in rules/ has exactly one check per kind it reads, and every registered check has its rule."""
    from .registry import all_checks

    rules = catalog.rules
    checks = all_checks()
    checked = {c.rule_id for c in checks}
    no_check = sorted(set(rules) - checked)
    no_rule = sorted(checked - set(rules))
    if no_check:
        raise CatalogError(f"rules without a check: {', '.join(no_check)}")
    if no_rule:
        raise CatalogError(f"checks without rule metadata in rules/: {', '.join(no_rule)}")
    for check in checks:
        if check.kind not in rules[check.rule_id].kinds:
            raise CatalogError(f"rule {check.rule_id}: a check reads {check.kind!r} files but the metadata says {rules[check.rule_id].kinds}")
