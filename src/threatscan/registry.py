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


_CHECKS: dict[str, Check] = {}


def register(rule_id: str, kind: str, func: Callable[..., Any], **options: Any) -> Check:
    if rule_id in _CHECKS and _CHECKS[rule_id].func is not func:
        raise RuntimeError(f"two checks registered for rule {rule_id}")
    check = Check(rule_id, kind, func, options)
    _CHECKS[rule_id] = check
    return check


def all_checks() -> dict[str, Check]:
    from . import engines  # noqa: F401  (importing the engines registers their checks)

    engines.load_all()
    return dict(_CHECKS)
