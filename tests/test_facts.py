"""What the engines' prepare() learn across files travels as typed, frozen Facts, never as string keys."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from threatscan.engines.base import Facts

SRC = Path(__file__).resolve().parent.parent / "src" / "threatscan"


def test_facts_merge_and_are_frozen():
    python = Facts(python_files={"app.py": "file"})
    iac = Facts(link_when_scanned=frozenset({"t.yaml"}), cdk_constructs={"Fn": ()}, role_users={"role:r": ()})
    merged = python.merged(iac).merged(None)
    assert merged.python_files == {"app.py": "file"} and merged.link_when_scanned == {"t.yaml"}
    assert set(merged.cdk_constructs) == {"Fn"} and set(merged.role_users) == {"role:r"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        merged.android_project = object()  # type: ignore[misc]
    with pytest.raises(TypeError):
        merged.python_files["other.py"] = "file"  # type: ignore[index]


def test_engines_read_facts_and_policy_not_option_strings():
    """No engine (nor links.py, which the engines' prepare calls) reads an `options` bag (ScanContext has none):
    cross-file facts come from prepare() as Facts, the policy numbers as Policy."""
    offenders = []
    for path in [*sorted((SRC / "engines").rglob("*.py")), SRC / "links.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "options":
                holder = node.value
                if (isinstance(holder, ast.Name) and holder.id in ("ctx", "scan", "self")) or \
                        (isinstance(holder, ast.Attribute) and holder.attr == "scan"):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offenders, offenders
