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
    present: dict[str, bool] = {}

    def found(token: str) -> bool:
        if token not in present:
            present[token] = (token.encode() if isinstance(text, bytes) else token) in text
        return present[token]

    return [c for c in checks if not rules[c.rule_id].tokens or any(found(t) for t in rules[c.rule_id].tokens)]


def all_checks() -> list[Check]:
    from . import engines  # (loading the engines registers their checks)

    engines.load_all()
    return list(_CHECKS.values())
