"""Where fixers register: the rule id, what the fix does, whether it is safe, and the function (fix/python.py and
fix/text.py register theirs on import; fix/__init__.py loads them when a fix is asked for)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..model import Finding


@dataclass(frozen=True)
class Edit:
    """A fixer's result when this change's safety (or what it does) differs from its rule's usual fix."""

    text: str
    safe: bool
    description: str | None = None  # None: the fixer's


@dataclass(frozen=True)
class Fixer:
    rule_id: str
    description: str
    safe: bool  # the rule's usual safety; one fix may say otherwise by returning an Edit
    func: Callable[[str, Finding], "str | Edit | None"]


FIXERS: dict[str, Fixer] = {}


def fixer(rule_id: str, description: str, *, safe: bool = True):
    def register(func: Callable[[str, Finding], "str | Edit | None"]):
        FIXERS[rule_id] = Fixer(rule_id, description, safe, func)
        return func
    return register
