"""The decorator IaC checks register with: one function per rule, run on templates and on CDK apps alike."""

from __future__ import annotations

from typing import Callable

from ...registry import register

IAC_KINDS = ("cloudformation", "cdk")


def iac_check(rule_id: str, kinds: tuple[str, ...] = IAC_KINDS) -> Callable:
    """Register `func(template, ctx)` for rule `rule_id` on every kind in `kinds`."""

    def decorate(func: Callable) -> Callable:
        for kind in kinds:
            register(rule_id, kind, func)
        return func

    return decorate
