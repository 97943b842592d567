"""Where checks register themselves: a rule id, the file kind it reads, and the function that checks.

Each engine defines a small decorator over `register` (see engines/python/registry.py); the catalogue then
verifies that every rule in rules/ has exactly one check and every check has its rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Check:
    rule_id: str
    kind: str
    func: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


# One check per (rule id, file kind): a rule may be checked in several kinds of file (a CloudFormation template
# and a CDK app, say), each by the engine for that kind.
_CHECKS: dict[tuple[str, str], Check] = {}


def register(rule_id: str, kind: str, func: Callable[..., Any], **options: Any) -> Check:
    key = (rule_id, kind)
    if key in _CHECKS and _CHECKS[key].func is not func:
        raise RuntimeError(f"two checks registered for rule {rule_id} on {kind} files")
    check = Check(rule_id, kind, func, options)
    _CHECKS[key] = check
    return check


def prefiltered(checks: list[Check], rules: dict[str, Any], text: str | bytes) -> list[Check]:
    """The checks worth running on a file: those whose rule names no `tokens`, or one that occurs in `text` (the
    decoded text, or UTF-8 bytes). Rules share tokens, so each token is searched for once."""
    plan = _token_plan(checks, rules, isinstance(text, bytes))
    present = {t for t in plan[1] if t in text}
    return [c for c, tokens in plan[0] if not tokens or not present.isdisjoint(tokens)]


# (checks, rules, as bytes) -> ([(check, its rule's tokens)], every token, the checks list, the rules): a scan asks
# with the same few lists for every file. Both objects are kept in the entry, so their ids cannot be reused.
_PLANS: dict[tuple[int, int, bool], tuple[list, tuple, list, dict]] = {}


def _token_plan(checks: list[Check], rules: dict[str, Any], as_bytes: bool) -> tuple[list, tuple, list, dict]:
    key = (id(checks), id(rules), as_bytes)
    hit = _PLANS.get(key)
    if hit is not None and hit[2] is checks and hit[3] is rules and len(hit[0]) == len(checks):
        return hit
    pairs = []
    for c in checks:
        tokens = tuple(rules[c.rule_id].tokens or ())
        pairs.append((c, frozenset(t.encode() for t in tokens) if as_bytes else frozenset(tokens)))
    every = tuple(sorted(set().union(*(t for _, t in pairs)))) if pairs else ()
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[key] = (pairs, every, checks, rules)
    return _PLANS[key]


def all_checks() -> list[Check]:
    """Every check, engine by engine in the order of engines.ENGINE_MODULES (an engine's own modules may register
    some of its checks before its load_checks() runs: the order does not depend on which was imported first)."""
    from . import engines  # (loading the engines' check modules registers their checks)

    engines.load_all()
    engines.load_checks()
    order = engines.ENGINE_MODULES

    def engine_of(check: Check) -> int:
        module = getattr(check.func, "__module__", "") or ""
        return next((i for i, name in enumerate(order) if module == name or module.startswith(name + ".")), len(order))

    return sorted(_CHECKS.values(), key=engine_of)  # stable: registration order within an engine
