"""The user's own threat model (threatmodel.yaml): their threat ids, the controls that check each threat, policy
numbers for the rules, and per-threat severity overrides.

    version: 1
    system: Orders service
    threat-ids: both            # "both": findings carry the model's ids and the built-in ones; "model": only yours
    policy:
      password-min-length: 12
      bcrypt-min-rounds: 12
    threats:
      - id: TM-3
        title: Database credentials leak from the Lambda environment
        stride: [information-disclosure]
        status: mitigated        # open (default), mitigated, accepted
        severity: critical       # findings evidencing this threat get this severity
        controls: [PY201, "tag:secrets", "family:code-execution", "threat:ECOM-6"]

A control names a rule id, `tag:<tag>` (every rule with that tag), `family:<family>` (every rule of one
rules/<area>/<family>.yaml file) or `threat:<built-in threat id>` (every rule evidencing it). Applying the model
to the catalogue adds the user's threats and re-keys the rules, so every report (text, JSON, Markdown, SARIF
taxonomy, tags and result taxa) speaks in the user's ids without knowing about threat models.

Also read directly: OWASP Threat Dragon v1/v2 JSON, pytm JSON reports and Threagile models (see importers.py).
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..model import STRIDE, Severity, Threat, ThreatModel, normalise_stride, stride_list  # noqa: F401  (stride_list: kept public here)

USER_MODEL_ID = "USER"
STATUSES = ("open", "mitigated", "accepted")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@*-]*$")  # @ and * for Threagile risk ids


@dataclass(frozen=True)
class PolicyKey:
    option: str  # the key of the scan options a threat model gives (Policy reads it by this name)
    kind: type
    default: Any
    doc: str
    rules: tuple[str, ...] = ()  # the rules that read it (tests/test_threat_model.py checks each one bites)


# The numbers a threat model can set, the option each rule reads, the rules that read it, and the documented default
# used when the model says nothing (each default is the example threat models' own figure, or OWASP's where they
# name none). A number no rule reads is not offered.
POLICY: dict[str, PolicyKey] = {
    "password-min-length": PolicyKey("password_min_length", int, 8,
                                     "minimum password length; STRIDE model: min 8 chars", ("IAC131", "PY530")),
    "bcrypt-min-rounds": PolicyKey("bcrypt_min_rounds", int, 10, "minimum bcrypt cost; STRIDE model: bcrypt (10 rounds)",
                                   ("PY509",)),
    # The example models name no PBKDF2 figure: these are OWASP's (Password Storage Cheat Sheet, equal defence).
    "pbkdf2-sha1-min-iterations": PolicyKey("pbkdf2_sha1_min_iterations", int, 1_300_000,
                                            "minimum PBKDF2-HMAC-SHA1 iterations; OWASP: 1,300,000", ("PY509",)),
    "pbkdf2-sha256-min-iterations": PolicyKey("pbkdf2_sha256_min_iterations", int, 600_000,
                                              "minimum PBKDF2-HMAC-SHA256 iterations; OWASP: 600,000", ("PY509",)),
    "pbkdf2-sha512-min-iterations": PolicyKey("pbkdf2_sha512_min_iterations", int, 210_000,
                                              "minimum PBKDF2-HMAC-SHA512 iterations; OWASP: 210,000", ("PY509",)),
    "jwt-max-lifetime-days": PolicyKey("jwt_max_lifetime_days", float, 7,
                                       "longest JWT lifetime; STRIDE model: short expiration (7 days)", ("PY504", "PY511")),
    # No default: compared only when the threat model states them (the STRIDE example states 100 and 20).
    "rate-limit-authenticated": PolicyKey("rate_limit_authenticated", int, None,
                                          "requests per minute per authenticated client (per API key); no default, "
                                          "STRIDE model: 100 req/min", ("IAC121",)),
    "rate-limit-unauthenticated": PolicyKey("rate_limit_unauthenticated", int, None,
                                            "requests per minute per anonymous client (per address); no default, "
                                            "STRIDE model: 20 req/min", ("IAC121",)),
    "rpo-minutes": PolicyKey("rpo_minutes", int, 5, "recovery point objective; e-commerce model: RPO 5 minutes",
                             ("IAC144",)),
}


class ThreatModelError(ValueError):
    pass


@dataclass
class UserThreat:
    id: str
    title: str
    stride: tuple[str, ...]
    description: str = ""
    status: str = "open"
    severity: Severity | None = None
    controls: tuple[str, ...] = ()
    suggested: tuple[str, ...] = ()  # controls proposed by an import, in force until reviewed


@dataclass
class UserThreatModel:
    path: str
    system: str
    threats: list[UserThreat]
    policy: dict[str, Any] = field(default_factory=dict)
    threat_ids: str = "both"  # "both" or "model"
    # rule id -> {user threat id: "control" | "suggested"}: filled by apply_threat_model
    links: dict[str, dict[str, str]] = field(default_factory=dict)

    def rekey_peer_finding(self, finding):
        """Peer findings are keyed to built-in threats by rules/peers/; a threat of this model that lists
        `threat:<built-in id>` as a control (or a suggested one) claims them too."""
        confirmed = [t.id for t in self.threats if any(c == f"threat:{b}" for c in t.controls for b in finding.threats)]
        suggested = [t.id for t in self.threats if t.id not in confirmed
                     and any(c == f"threat:{b}" for c in t.suggested for b in finding.threats)]
        if not confirmed and not suggested:
            return finding
        rest = () if self.threat_ids == "model" and confirmed else finding.threats
        properties = dict(finding.properties)
        if suggested:
            properties["suggestedThreats"] = suggested
        if confirmed:
            properties["confirmedThreats"] = confirmed
        return finding.with_(threats=tuple(dict.fromkeys((*confirmed, *suggested, *rest))), properties=properties)

    def link(self, rule_id: str, threat_id: str) -> str | None:
        """How a rule is tied to one of this model's threats: "control", "suggested", or None."""
        return self.links.get(rule_id, {}).get(threat_id)

    def options(self) -> dict[str, Any]:
        """Scan options for the rules: every policy number, the model's or the documented default."""
        out = {key.option: self.policy.get(name, key.default) for name, key in POLICY.items()}
        out["policy_set"] = tuple(self.policy)  # the keys the model states (rules may check more when it does)
        return out


def default_options() -> dict[str, Any]:
    return {**{key.option: key.default for key in POLICY.values()}, "policy_set": ()}


MAX_MODEL_BYTES = 4 * 1024 * 1024  # a threat model is pages of text, not megabytes


# --- loading and validation -------------------------------------------------------------------------------------

def _positions(text: str) -> dict[tuple, int]:
    """(key path) -> line number, from the YAML node tree, so errors can name the line."""
    import yaml  # here: a scan without a threat model imports no YAML

    from .. import safeyaml

    out: dict[tuple, int] = {}
    try:
        root = safeyaml.compose(text)
    except yaml.YAMLError:
        return out
    # Iterative, and each node once (an aliased node is named by its first path only): a deep or aliased document
    # cannot make this walk recurse or repeat.
    seen: set[int] = set()
    stack = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            stack.extend((v, path + (k.value,)) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, path + (i,)) for i, v in enumerate(node.value))
    return out


def load_threat_model(path: str | Path, catalog: Catalog) -> UserThreatModel:
    import yaml  # here: a scan without a threat model imports no YAML

    from .. import safeyaml

    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ThreatModelError(f"{path}: the threat model is not a regular file; not read")
        if info.st_size > MAX_MODEL_BYTES:
            raise ThreatModelError(f"{path}: the threat model is {info.st_size:,} bytes, over the "
                                   f"{MAX_MODEL_BYTES:,}-byte limit; not read")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThreatModelError(f"{path}: cannot read the threat model: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ThreatModelError(f"{path}: the threat model is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if path.suffix.lower() == ".json" or (path.suffix.lower() in (".yaml", ".yml") and re.search(
            r"^(threagile_version|risk_tracking|technical_assets)\s*:", text, re.M)):
        return to_user_model(path, text, catalog)  # Threat Dragon, pytm or Threagile: read as the model, controls suggested
    try:
        data = safeyaml.load(text)
    except RecursionError:
        raise ThreatModelError(f"{path}: nested too deeply to read") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ThreatModelError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return validate(data, str(path), _positions(text), catalog)


def validate(data: Any, path: str, lines: dict[tuple, int], catalog: Catalog) -> UserThreatModel:
    def fail(where: tuple, message: str) -> ThreatModelError:
        line = lines.get(where) or lines.get(where[:-1]) or lines.get(())
        key = ".".join(str(p) for p in where) or "(top level)"
        return ThreatModelError(f"{path}:{line or 1}: {key}: {message}")

    if not isinstance(data, dict):
        raise fail((), "expected a mapping with `system` and `threats`")
    known_top = {"version", "system", "threats", "policy", "threat-ids"}
    for key in data:
        if key not in known_top:
            raise fail((key,), f"unknown key (known: {', '.join(sorted(known_top))})")
    if data.get("version", 1) != 1:
        raise fail(("version",), "only version 1 is supported")
    system = data.get("system")
    if not isinstance(system, str) or not system.strip():
        raise fail(("system",), "the system's name is required (a string)")
    threat_ids = data.get("threat-ids", "both")
    if threat_ids not in ("both", "model"):
        raise fail(("threat-ids",), "expected `both` or `model`")
    policy = data.get("policy") or {}
    if not isinstance(policy, dict):
        raise fail(("policy",), "expected a mapping of policy numbers")
    for name, value in policy.items():
        if name not in POLICY:
            raise fail(("policy", name), f"unknown policy key (known: {', '.join(POLICY)})")
        kind = POLICY[name].kind
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)) or value <= 0:
            raise fail(("policy", name), f"expected a positive {'whole ' if kind is int else ''}number")
    threats_data = data.get("threats")
    if not isinstance(threats_data, list) or not threats_data:
        raise fail(("threats",), "expected a non-empty list of threats")
    threats: list[UserThreat] = []
    seen: set[str] = set()
    known_threat_keys = {"id", "title", "stride", "description", "status", "severity", "controls", "suggested-controls",
                         "mitigation"}
    for i, t in enumerate(threats_data):
        where = ("threats", i)
        if not isinstance(t, dict):
            raise fail(where, "each threat is a mapping with id, title, stride and controls")
        for key in t:
            if key not in known_threat_keys:
                raise fail(where + (key,), f"unknown key (known: {', '.join(sorted(known_threat_keys))})")
        tid = str(t.get("id", "")).strip()
        if not tid or not _ID.match(tid):
            raise fail(where + ("id",), "a threat id is required: letters, digits and . _ - : / (e.g. TM-1, INP01)")
        if tid in seen:
            raise fail(where + ("id",), f"duplicate threat id {tid}")
        seen.add(tid)
        title = t.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(where + ("title",), "a title is required")
        stride = t.get("stride", [])
        stride = [stride] if isinstance(stride, str) else stride
        if not isinstance(stride, list) or not stride:
            raise fail(where + ("stride",), f"one or more STRIDE categories are required ({', '.join(STRIDE)})")
        norm = []
        for s in stride:
            n = normalise_stride(str(s))
            if n is None:
                raise fail(where + ("stride",), f"unknown STRIDE category {s!r} ({', '.join(STRIDE)})")
            norm.append(n)
        status = str(t.get("status", "open")).lower()
        if status not in STATUSES:
            raise fail(where + ("status",), f"expected one of {', '.join(STATUSES)}")
        severity = None
        if t.get("severity") is not None:
            try:
                severity = Severity.parse(str(t["severity"]))
            except ValueError as exc:
                raise fail(where + ("severity",), str(exc)) from None
        controls = []
        for key in ("controls", "suggested-controls"):
            value = t.get(key) or []
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                raise fail(where + (key,), "expected a list of rule ids, tag:<tag>, family:<family> or threat:<id>")
            for j, control in enumerate(value):
                if not resolve_control(control, catalog):
                    raise fail(where + (key, j), f"{control!r} matches no rule (see `threatscan rules`)")
            controls.append(tuple(value))
        threats.append(UserThreat(tid, title.strip(), tuple(dict.fromkeys(norm)), " ".join(str(t.get("description", "")).split()),
                                  status, severity, controls[0], controls[1]))
    return UserThreatModel(path, system.strip(), threats, dict(policy), threat_ids)


def resolve_control(control: str, catalog: Catalog) -> list[str]:
    """The rule ids a control names (empty when it names nothing)."""
    control = control.strip()
    kind, _, value = control.partition(":")
    if not value:
        return [control] if control in catalog.rules else []
    if kind == "tag":
        return [r.id for r in catalog.rules.values() if value in r.tags]
    if kind == "family":
        return [r.id for r in catalog.rules.values() if r.family == value]
    if kind == "threat":
        return [r.id for r in catalog.rules_for_threat(value)]
    return []


def apply_threat_model(catalog: Catalog, tm: UserThreatModel) -> Catalog:
    """A catalogue in which the user's threats exist and every rule names the user's threats it checks.

    A rule named by a threat's `controls` checks it; one named only by `suggested-controls` keys its findings to
    the threat (marked as suggested) but does not check it: no severity override or escalation, and `coverage`
    never counts it (see adjust_findings and coverage.py). The links are kept in `tm.links`."""
    models = dict(catalog.models)
    models[USER_MODEL_ID] = ThreatModel(USER_MODEL_ID, tm.system, tm.system, f"The threat model in {Path(tm.path).name}.")
    threats = dict(catalog.threats)
    links: dict[str, dict[str, str]] = {}
    for t in tm.threats:
        # A user threat may reuse a built-in id (the shipped examples do): the user's definition wins.
        threats[t.id] = Threat(t.id, t.title, t.description or t.title, t.stride, USER_MODEL_ID, "user threat model")
        for kind, controls in (("control", t.controls), ("suggested", t.suggested)):
            for control in controls:
                for rid in resolve_control(control, catalog):
                    links.setdefault(rid, {})
                    if links[rid].get(t.id) != "control":
                        links[rid][t.id] = kind
    tm.links = links
    rules = {}
    for rid, rule in catalog.rules.items():
        mine = links.get(rid, {})
        confirmed = tuple(t for t, k in mine.items() if k == "control")
        suggested = tuple(t for t, k in mine.items() if k == "suggested")
        if tm.threat_ids == "model" and confirmed:
            new = (*confirmed, *suggested)  # a rule no user threat confirms keeps its built-in threats
        else:
            new = tuple(dict.fromkeys((*confirmed, *suggested, *rule.threats)))
        rules[rid] = replace(rule, threats=new)
    if tm.threat_ids == "model":
        used = {t for r in rules.values() for t in r.threats}
        threats = {k: v for k, v in threats.items() if v.model == USER_MODEL_ID or k in used}
    return Catalog(models, threats, rules, catalog.cwes, catalog.examples)


def find_threat_model(root: Path) -> Path | None:
    for name in ("threatmodel.yaml", "threatmodel.yml", ".threatmodel.yaml"):
        if (root / name).is_file():
            return root / name
    return None


def may_escalate(f) -> bool:
    """Whether the threat model may change a finding's severity: its evidence shows the threat (not a "review"
    finding whose origin is unseen) and the code ships (not tests or non-shipping code). tail.escalates agrees."""
    return f.evidence != "review" and not f.code_kind


def adjust_findings(findings: list, tm: UserThreatModel) -> list:
    """The threat model's say on each finding (one stage of the findings' tail; the gate calls it after threats are
    attached and before suppressions):

    - threats a rule is tied to only by a suggested control are listed in `properties["suggestedThreats"]` and
      change nothing else;
    - a threat's `severity` override applies through confirmed controls only;
    - code violating a threat the model marks `mitigated` becomes CRITICAL, with the reason in the message, but
      only on evidence (may_escalate: never a "review" finding whose origin is unseen, nor test or non-shipping
      code) and never through a suggestion;
    - threats marked `accepted` are listed in `properties["acceptedThreats"]`: reported as accepted, not violated.
    """
    by_id = {t.id: t for t in tm.threats}
    out = []
    for f in findings:
        mine = [t for t in f.threats if t in by_id]
        if not mine:
            out.append(f)
            continue
        properties = dict(f.properties)
        if f.rule_id in tm.links:
            confirmed = [t for t in mine if tm.link(f.rule_id, t) == "control"]
            suggested = [t for t in mine if tm.link(f.rule_id, t) == "suggested"]
        else:  # a peer finding re-keyed by rekey_peer_finding
            suggested = [t for t in properties.get("suggestedThreats", ()) if t in by_id]
            confirmed = [t for t in mine if t not in suggested]
        if suggested:
            properties["suggestedThreats"] = suggested
        if confirmed:
            properties["confirmedThreats"] = confirmed
        severity = f.severity
        message = f.message
        overrides = [by_id[t].severity for t in confirmed if by_id[t].severity is not None]
        if overrides and may_escalate(f):
            severity = max(overrides)
        accepted = [t for t in confirmed if by_id[t].status == "accepted"]
        if accepted:
            properties["acceptedThreats"] = accepted
        mitigated = [t for t in confirmed if by_id[t].status == "mitigated"]
        if mitigated and may_escalate(f):
            severity = Severity.CRITICAL
            message = (f"Threat {', '.join(mitigated)} is marked mitigated in the threat model, but this code violates "
                       f"it. {message}")
            properties["violatesMitigatedThreats"] = mitigated
        out.append(f.with_(severity=severity, message=message, properties=properties))
    return out


def accept_suggestions(text: str, threat_ids, only=()) -> tuple[str, dict[str, list[str]]]:
    """Move suggested controls to `controls` in a threatmodel.yaml text, keeping its comments and layout where the
    lists are written inline (as `threats import` writes them). Returns the new text and what moved."""
    import yaml  # here: a scan without a threat model imports no YAML

    from .. import safeyaml

    data = safeyaml.load(text) or {}
    threats = data.get("threats") or []
    known = [str(t.get("id")) for t in threats if isinstance(t, dict)]
    wanted = known if "all" in threat_ids else list(threat_ids)
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise ThreatModelError(f"no threat {', '.join(unknown)} in the model (threats: {', '.join(known)})")
    lines = text.splitlines()
    moved: dict[str, list[str]] = {}
    starts = [i for i, line in enumerate(lines) if re.match(r"^\s*-\s+id:\s*", line)]
    for n in range(len(starts) - 1, -1, -1):  # from the end, so inserting a line moves nothing still to do
        start = starts[n]
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        tid = str(yaml.safe_load(re.sub(r"^\s*-\s+id:\s*", "", lines[start]).split(" #")[0]))
        if tid not in wanted:
            continue
        sug = next((i for i in range(start, end) if re.match(r"^\s*suggested-controls:", lines[i])), None)
        if sug is None:
            moved[tid] = []
            continue
        indent = re.match(r"^(\s*)", lines[sug]).group(1)
        value = lines[sug].split(":", 1)[1].split(" #")[0].strip()
        if not value.startswith("["):
            raise ThreatModelError(f"{tid}: suggested-controls is not an inline list; move them to controls by hand")
        suggested = yaml.safe_load(value) or []
        take = [c for c in suggested if not only or c in only]
        keep = [c for c in suggested if c not in take]
        ctl = next((i for i in range(start, end) if re.match(r"^\s*controls:", lines[i])), None)
        if ctl is not None:
            current = lines[ctl].split(":", 1)[1].split(" #")[0].strip()
            if not current.startswith("[") and current:
                raise ThreatModelError(f"{tid}: controls is not an inline list; move the suggestions by hand")
            have = yaml.safe_load(current) or []
            lines[ctl] = f"{indent}controls: {json.dumps(list(dict.fromkeys([*have, *take])))}"
        else:
            lines.insert(sug, f"{indent}controls: {json.dumps(take)}")
            sug += 1
        lines[sug] = f"{indent}suggested-controls: {json.dumps(keep)}"
        moved[tid] = take
    return "\n".join(lines) + "\n", moved


def to_user_model(path: Path, text: str, catalog: Catalog) -> UserThreatModel:
    """Read a foreign model directly as the threat model (`--threat-model model.json`): every control suggested."""
    from .importers import ImportError_, _stride_of, read_document, suggest  # only for a model written elsewhere

    try:
        model = read_document(path, text)
    except ImportError_ as exc:
        raise ThreatModelError(str(exc)) from None
    threats = []
    for row in model.rows:
        suggested = suggest(row.title, row.description, catalog, row.mitigation)
        stride, _ = _stride_of(row, suggested, catalog)
        threats.append(UserThreat(row.id, row.title, tuple(stride), row.description, row.status, None, (),
                                  tuple(f"threat:{s}" for s in suggested)))
    return UserThreatModel(str(path), model.system, threats)


# kept for callers of the first version
from_threat_dragon = to_user_model
