"""Loads the threat catalogue and rule metadata from rules/ and checks every link, failing loudly."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import write_quietly
from .model import PRECISIONS, STRIDE, Rule, Severity, Threat, ThreatModel


class CatalogError(Exception):
    """The rules/ data is inconsistent: an unknown threat or CWE, a duplicate id, a rule without a check."""


RULE_KEYS = {
    "id", "name", "title", "kinds", "threats", "cwe", "severity", "security_severity", "precision",
    "finds", "why", "fix", "tags", "tokens", "references", "review",
}
REQUIRED_RULE_KEYS = RULE_KEYS - {"tags", "tokens", "references", "review"}


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
    # The example models' own threats (ECOM-1, APIGW-9, ...): not keyed to findings unless that example is the
    # active threat model; each generic threat in `threats` names the ones it generalises in `references`.
    examples: dict[str, Threat] = field(default_factory=dict)
    # Built by __post_init__, never passed in: `dataclasses.replace(catalog, ...)` must index its own rules, not
    # append them to the original's index (which it would share).
    _by_threat: dict[str, list[Rule]] = field(default_factory=dict, repr=False, init=False, compare=False)

    def __post_init__(self) -> None:
        for rule in self.rules.values():
            for tid in rule.threats:
                self._by_threat.setdefault(tid, []).append(rule)

    def rules_for_threat(self, threat_id: str) -> list[Rule]:
        """The rules evidencing a threat; an example model's id (ECOM-1) means the generic threats that
        generalise it."""
        if threat_id not in self._by_threat and threat_id in self.examples:
            rules = [r for g in self.generalising(threat_id) for r in self._by_threat.get(g, [])]
            return list({r.id: r for r in rules}.values())
        return list(self._by_threat.get(threat_id, []))

    def generalising(self, example_id: str) -> list[str]:
        """The generic threats that list an example model's threat among their references."""
        return [t.id for t in self.threats.values() if example_id in t.references]

    def uncovered_threats(self) -> list[Threat]:
        return [t for t in self.threats.values() if not self._by_threat.get(t.id)]


def _load_yaml(path: Path) -> Any:
    if _MEMO is not None:
        return _MEMO.load(path)
    import yaml  # here: a catalogue read from the memo needs no YAML (importing it costs ~0.02 s of start-up)

    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: same result, faster


class _ParsedMemo:
    """The catalogue's YAML files as parsed the last time, kept as JSON in the scan cache directory (the CLI's
    `--cache-dir`, `THREATSCAN_CACHE_DIR` or the user's cache; never with `--no-cache` or THREATSCAN_NO_CACHE):
    building the YAML's Python objects cost about a third of `threatscan rules` and a tenth of a warm rescan, and
    JSON loads several times faster. Each file is looked up by the sha256 of its bytes (an edited rule is parsed
    again); a file whose parsed form JSON does not give back exactly (a date, say) is always parsed. Data only: the
    memo runs no code, and at worst (someone who can write the cache directory) it changes the rules, which the
    scan cache's own entries could too."""

    FORMAT = 2

    def __init__(self, directory: Path, rules: Path):
        import hashlib

        key = hashlib.sha256(str(rules.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        self.path = directory / "catalog" / f"{key}.json"
        self.old: dict[str, list] = {}
        self.new: dict[str, list] = {}
        self.changed = False
        try:
            data = json.loads(self.path.read_bytes())
            if isinstance(data, dict) and data.get("format") == self.FORMAT and isinstance(data.get("files"), dict):
                self.old = data["files"]
        except (OSError, ValueError):
            pass

    def load(self, path: Path) -> Any:
        import hashlib

        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        name = str(path)
        got = self.old.get(name)
        if isinstance(got, list) and len(got) == 3 and got[0] == digest:
            self.new[name] = got
            return _untagged(got[1]) if got[2] else got[1]  # most files hold no mapping with other than text keys
        import yaml

        # As path.open(encoding="utf-8") reads it: universal newlines.
        value = yaml.load(data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"),
                          Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.changed = True
        try:
            tagged = _tagged(value)
            if _untagged(json.loads(json.dumps(tagged))) == value:
                self.new[name] = [digest, tagged, _has_pairs(tagged)]
        except (TypeError, ValueError):
            pass  # not JSON: parsed every time
        return value

    def save(self) -> None:
        if not self.changed and self.new.keys() == self.old.keys():
            return
        # A read-only cache costs speed, never a result.
        write_quietly(self.path, json.dumps({"format": self.FORMAT, "files": self.new}), ".catalog.")


_PAIRS = "\0pairs"  # a mapping whose keys are not all strings (cwe.yaml's numbers), as [key, value] pairs


def _tagged(value: Any) -> Any:
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _PAIRS not in value:
            return {k: _tagged(v) for k, v in value.items()}
        return {_PAIRS: [[k, _tagged(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(type(value).__name__)


def _has_pairs(value: Any) -> bool:
    if isinstance(value, dict):
        return _PAIRS in value or any(_has_pairs(v) for v in value.values())
    return isinstance(value, list) and any(_has_pairs(v) for v in value)


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _PAIRS in value:
            return {k: _untagged(v) for k, v in value[_PAIRS]}
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value


_MEMO: _ParsedMemo | None = None


def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


GENERIC_MODEL = "TS"  # the model id of the built-in generic threats


def _threat(t: dict, model: str, where: str) -> Threat:
    tid = t["id"]
    stride = _tuple(t.get("stride"))
    bad = [s for s in stride if s not in STRIDE]
    if bad or not stride:
        raise CatalogError(f"{where}: threat {tid} has STRIDE categories {list(stride)}; allowed: {', '.join(STRIDE)}")
    return Threat(tid, t["title"], " ".join(str(t.get("description", "")).split()), stride, model, t.get("section", ""),
                  tuple(int(c) for c in _tuple(t.get("cwe"))), tuple(str(r) for r in _tuple(t.get("references"))))


def _load_threats(directory: Path) -> tuple[dict[str, ThreatModel], dict[str, Threat], dict[str, Threat]]:
    """(models, generic threats, the example models' threats)."""
    data = _load_yaml(directory / "threats.yaml")
    models: dict[str, ThreatModel] = {GENERIC_MODEL: ThreatModel(
        GENERIC_MODEL, "threatscan's generic threat catalogue", "built in",
        "Generic threats that read right in any system, derived from the five example threat models.")}
    examples: dict[str, Threat] = {}
    for m in data.get("models", []):
        if m["id"] in models:
            raise CatalogError(f"threats.yaml: duplicate model id {m['id']}")
        models[m["id"]] = ThreatModel(m["id"], m["title"], str(m.get("document") or m["title"]),
                                      " ".join(str(m.get("summary", "")).split()))
        for t in m.get("threats") or []:
            if t["id"] in examples:
                raise CatalogError(f"threats.yaml: duplicate threat id {t['id']}")
            examples[t["id"]] = _threat(t, m["id"], "threats.yaml")
    threats: dict[str, Threat] = {}
    for t in data.get("threats", []):
        tid = t["id"]
        if tid in threats or tid in examples:
            raise CatalogError(f"threats.yaml: duplicate threat id {tid}")
        threats[tid] = _threat(t, GENERIC_MODEL, "threats.yaml")
        for ref in threats[tid].references:
            if ref not in examples:
                raise CatalogError(f"threats.yaml: threat {tid} references {ref}, which no example model states")
    unreferenced = sorted(set(examples) - {r for t in threats.values() for r in t.references})
    if unreferenced:
        raise CatalogError(f"threats.yaml: example threats no generic threat generalises: {', '.join(unreferenced)}")
    return models, threats, examples


def load_threat_catalogue(directory: Path | None = None):
    """(models, generic threats, the example models' threats) from threats.yaml."""
    return _load_threats(directory or rules_dir())


@functools.lru_cache(maxsize=4)
def threat_signals(directory: str) -> dict[str, list]:
    """rules/suggest.yaml: for each generic threat, the phrases (regular expressions) that name it."""
    import re

    path = Path(directory) / "suggest.yaml"
    data = _load_yaml(path) if path.is_file() else {}
    return {tid: [re.compile(p) for p in patterns] for tid, patterns in (data or {}).items()}


def translate_legacy(threat_ids, cwes=(), threats: dict[str, Threat] | None = None, title: str = "") -> tuple[str, ...]:
    """Generic threat ids for a list that may still name example models' threats (ECOM-1): rules and peer mappings
    written before the generic catalogue keep loading (scripts/migrate-threat-ids rewrites them for good). An example
    id becomes the generic threats generalising it that share a CWE with the rule; else those whose phrases
    (rules/suggest.yaml) the rule's title names; else the only generic threat generalising one of the ids."""
    if threats is None:
        threats = _load_threats(rules_dir())[1]
    out: list[str] = []
    candidates: list[str] = []
    single: list[str] = []
    wanted = {int(c) for c in cwes}
    for tid in threat_ids:
        if tid in threats or not any(tid in t.references for t in threats.values()):
            out.append(tid)
            continue
        gen = [t.id for t in threats.values() if tid in t.references]
        candidates += gen
        single += gen if len(gen) == 1 else []
        out += [g for g in gen if set(threats[g].cwe) & wanted]
    if candidates and not any(c in out for c in candidates):
        signals = threat_signals(str(rules_dir()))
        named = [c for c in dict.fromkeys(candidates) if any(p.search(title.lower()) for p in signals.get(c, []))]
        out += named or single or candidates[:1]
    return tuple(dict.fromkeys(out))


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
    rule_threats = translate_legacy(_tuple(entry["threats"]), _tuple(entry.get("cwe")), threats, str(entry.get("title", "")))
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
        review=str(entry.get("review") or "").strip(),
    )


def load_catalog(directory: Path | None = None, *, check_implementations: bool = False,
                 memo: Path | None = None) -> Catalog:
    """The rules and threats of rules/, as data: loading them imports no check. `check_implementations` also
    verifies that every rule has its check and every check its rule (`verify_checks`; the tests and
    `threatscan rules --check` do). `memo`: a cache directory where the parsed YAML is kept (_ParsedMemo)."""
    global _MEMO
    directory = directory or rules_dir()
    if memo is not None:
        _MEMO = _ParsedMemo(memo, directory)
        try:
            catalog = load_catalog(directory, check_implementations=check_implementations)
        finally:
            memo_used, _MEMO = _MEMO, None
        memo_used.save()
        return catalog
    cwes = {int(k): str(v) for k, v in (_load_yaml(directory / "cwe.yaml") or {}).items()}
    models, threats, examples = _load_threats(directory)
    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("*/*.yaml")):
        if path.parent.name in ("semgrep", "peers", "examples", "dataflow"):
            continue  # not native rule metadata (dataflow/: the taint specification, lang/python/dataflow)
        where = str(path.relative_to(directory))
        entries = _load_yaml(path) or []
        if not isinstance(entries, list):
            raise CatalogError(f"{where}: expected a list of rules")
        for entry in entries:
            rule = _rule_from(entry, where, path.stem, threats, cwes)
            if rule.id in rules:
                raise CatalogError(f"{where}: duplicate rule id {rule.id}")
            rules[rule.id] = rule
    catalog = Catalog(models, threats, rules, cwes, examples)
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
