"""The decorator Python checks use to register: the rule id and the AST node types the check wants to see."""

from __future__ import annotations

import ast
from typing import Callable

from ...registry import register


def python_check(rule_id: str, *node_types: type[ast.AST], raise_in_handler: bool = False,
                 kind: str = "python", gate: Callable | None = None) -> Callable:
    """Register `func(node, ctx)` for every node of `node_types` in files that contain one of the rule's tokens.

    raise_in_handler: findings inside an AWS Lambda handler (or code it calls) get one severity step more.
    gate: `gate(node, ctx)`, false only where the check would do nothing at the node (and not depending on which
    rule asks); checks sharing one gate (the three hard-coded secret rules) have it asked once per node, and are
    not called where it is false. A speed-up only: a walker that ignores it finds the same.
    """

    def decorate(func: Callable) -> Callable:
        register(rule_id, kind, func, node_types=tuple(node_types) or (ast.AST,), raise_in_handler=raise_in_handler,
                 gate=gate)
        return func

    return decorate
