"""Engines: one per kind of file. Each parses a file once and runs the checks registered for its kind.

To add an engine, write a module that defines `ENGINE` (an `Engine`) and `load_checks()`, which imports the modules
that register its checks, then list the module in ENGINE_MODULES. Importing an engine does not load its checks: a
scan whose every file comes from the cache never needs them (registry.all_checks loads them).
"""

from __future__ import annotations

import importlib

from .base import Engine, ScanContext, new_finding  # noqa: F401  (re-exported for engines)

ENGINE_MODULES = (
    "threatscan.engines.python",
    "threatscan.engines.cloudformation",
    "threatscan.engines.android",
    "threatscan.engines.meta",
)

# The kinds of file each engine reads (its ENGINE.kinds, tests/test_startup.py checks they agree), known without
# importing it: a scan imports only the engines some file needs (importing the Android and CloudFormation engines
# was ~0.025 s CPU of a warm rescan of a Python repository). None: always loaded (the Python engine also reads the
# code templates hold inline, which the CloudFormation engine hands back; the meta engine reads directives).
ENGINE_KINDS: dict[str, frozenset[str] | None] = {
    "threatscan.engines.python": None,
    "threatscan.engines.cloudformation": frozenset({"cloudformation", "cdk"}),
    "threatscan.engines.android": frozenset({"android-manifest", "android-nsc", "android-values", "gradle",
                                             "properties", "gradle-catalog", "android-source"}),
    "threatscan.engines.meta": None,
}


def load_all(kinds: frozenset[str] | None = None) -> list[Engine]:
    """The engines in ENGINE_MODULES order: every one, or (`kinds`: the kinds of the scan's files) those that read
    a file of one of those kinds, and the ones always loaded."""
    return [importlib.import_module(name).ENGINE for name in ENGINE_MODULES
            if kinds is None or ENGINE_KINDS.get(name) is None or ENGINE_KINDS[name] & kinds]


def load_checks(names: tuple[str, ...] | None = None) -> None:
    """Import every engine's check modules (each registers its checks on import), engine by engine; `names`: only
    those engines' (modules of ENGINE_MODULES)."""
    for name in ENGINE_MODULES if names is None else [n for n in ENGINE_MODULES if n in names]:
        load = getattr(importlib.import_module(name), "load_checks", None)
        if load is not None:
            load()
