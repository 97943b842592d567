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

_LOADED: list[Engine] = []


def load_all() -> list[Engine]:
    if not _LOADED:
        for name in ENGINE_MODULES:
            _LOADED.append(importlib.import_module(name).ENGINE)
    return list(_LOADED)


def load_checks() -> None:
    """Import every engine's check modules (each registers its checks on import), engine by engine."""
    for name in ENGINE_MODULES:
        load = getattr(importlib.import_module(name), "load_checks", None)
        if load is not None:
            load()
