"""Every policy number a threat model can set reaches a rule: one typed, frozen Policy, each field read by a check."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from threatscan.policy import Policy
from threatscan.threats.threatmodel import POLICY, default_options

CHECKS = Path(__file__).resolve().parent.parent / "src" / "threatscan" / "engines"


def _policy_reads() -> dict[str, set[str]]:
    """Policy field -> the check modules that read it (`<...>.policy.<field>`), found with ast."""
    reads: dict[str, set[str]] = {}
    for path in CHECKS.glob("*/checks/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                holder = node.value
                if (isinstance(holder, ast.Attribute) and holder.attr == "policy") or \
                        (isinstance(holder, ast.Name) and holder.id == "policy"):
                    reads.setdefault(node.attr, set()).add(path.name)
    return reads


def test_every_policy_field_is_read_by_a_rule():
    reads = _policy_reads()
    unread = [f.name for f in dataclasses.fields(Policy) if not reads.get(f.name)]
    assert not unread, f"policy numbers no rule reads: {unread}"


def test_policy_fields_are_the_threat_model_keys():
    # the threat model's table (names, defaults, docs) and the typed policy list the same numbers
    assert {key.option for key in POLICY.values()} | {"stated"} == {f.name for f in dataclasses.fields(Policy)}
    defaults = Policy()
    assert all(getattr(defaults, key.option) == key.default for key in POLICY.values())


def test_policy_from_a_threat_model_is_frozen_and_typed():
    options = {**default_options(), "rpo_minutes": 15, "policy_set": ["rpo-minutes"]}
    policy = Policy.from_options(options)
    assert policy.rpo_minutes == 15 and policy.stated == ("rpo-minutes",) and policy.password_min_length == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.rpo_minutes = 1  # type: ignore[misc]
