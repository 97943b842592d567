"""What the engines' prepare() learn across files travels as typed, frozen Facts, never as string keys."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Mapping

import pytest

from threatscan import scan as scan_module
from threatscan.discover import SourceFile
from threatscan.engines.android.gradle import Block, GradleFile
from threatscan.engines.android.xmlparse import Element
from threatscan.engines.base import Facts
from threatscan.model import Location

SRC = Path(__file__).resolve().parent.parent / "src" / "threatscan"
FIXTURES = SRC.parent.parent / "fixtures"


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


def test_a_scalar_fact_survives_an_engine_that_prepared_after_it_and_left_it_at_its_default():
    # the Python engine decides these; the CloudFormation or Android engine, merged after it, knows nothing of them
    python = Facts(distributed_program="a program its users install", web_framework=False)
    for later in (Facts(), Facts(cdk_constructs={"Fn": ()})):
        merged = python.merged(later)
        assert merged.distributed_program == "a program its users install" and merged.web_framework is False
    assert Facts().merged(python).web_framework is False


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


def _writable(value, path: str, out: list[str], seen: set[int]) -> None:
    """Every place in `value` an engine could write to: a dict, list or set, a dataclass that is neither frozen nor
    sealed (the Android project model). Parsed files (a SourceFile, Gradle and XML trees) are read, not facts."""
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, type(None), SourceFile, Block, GradleFile,
                                               Element)):
        return
    seen.add(id(value))
    if isinstance(value, (dict, list, set)):
        out.append(path)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _writable(v, f"{path}[{k!r}]", out, seen)
    elif isinstance(value, (tuple, frozenset)):
        for i, v in enumerate(value):
            _writable(v, f"{path}[{i}]", out, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not value.__dataclass_params__.frozen and not getattr(value, "_sealed", False):
            out.append(f"{path} ({type(value).__name__})")
            return
        for f in dataclasses.fields(value):
            _writable(getattr(value, f.name), f"{path}.{f.name}", out, seen)


def test_an_engine_cannot_mutate_the_facts(catalog, monkeypatch):
    """After prepare() the cross-file facts every worker inherits are read-only all the way down (handlers,
    plaintext definitions, template links and their environment reads, roles, CDK constructs, claimed literals),
    and the scan's file map too; the handler a derived file adds lives in a context of its own."""
    seen: dict = {}

    class Prepared(Exception):
        """The context the file scan would start from was taken: scanning the files adds nothing to it."""

    def spy(files, plan, *args, **kwargs):
        seen["ctx"] = plan.ctx
        raise Prepared

    monkeypatch.setattr(scan_module, "_scan_files", spy)
    with pytest.raises(Prepared):
        scan_module.run_scan(scan_module.ScanOptions(paths=[str(FIXTURES)], jobs=1), catalog)
    ctx = seen["ctx"]
    facts = ctx.facts
    assert facts.handlers and facts.env_definitions and facts.template_links  # the fixtures link handlers
    writable: list[str] = []
    assert facts.android_project is not None and facts.android_project.modules  # the fixtures hold Android code
    for f in dataclasses.fields(facts):
        _writable(getattr(facts, f.name), f.name, writable, set())
    assert not writable, writable
    module = next(iter(facts.android_project.modules.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        module.target_sdk = 1
    with pytest.raises(TypeError):
        module.manifests["other"] = None  # type: ignore[index]
    assert facts.android_project.module("not/a/module").dir == "not/a/module"
    assert "not/a/module" not in facts.android_project.modules  # asking is not writing
    py_rel, functions = next(iter(facts.handlers.items()))
    with pytest.raises(TypeError):
        facts.handlers[py_rel] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        functions["other"] = next(iter(functions.values()))  # type: ignore[index]
    with pytest.raises(TypeError):
        ctx.files["new.py"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        ctx.module_facts().handlers[py_rel] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        ctx.module_facts().files["new.py"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.module_facts().handlers = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.module_facts().record_imports = True  # type: ignore[misc]
    link = next(link for links in facts.template_links.values() for link in links.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.function = "other"
    with pytest.raises(TypeError):
        link.env_reads["X"] = None  # type: ignore[index]

    where = next(iter(functions.values()))
    derived = ctx.with_handler("template.yaml", "inline_handler", where)
    assert derived.facts.handlers["template.yaml"] == {"inline_handler": where}
    assert derived.module_facts().handlers["template.yaml"] == {"inline_handler": where}
    assert "template.yaml" not in ctx.facts.handlers and "template.yaml" not in ctx.module_facts().handlers
    assert derived.notices is ctx.notices and derived.analysis_state() is ctx.analysis_state()


def test_module_facts_are_frozen_and_the_analysis_state_stays_in_its_process(tmp_path):
    """What the Python library reads from other files (ModuleFacts) cannot be written; what it keeps while it runs
    (caches, notes) lives in an AnalysisState beside it, which the facts do not hold and which cannot be sent to
    another process."""
    import pickle

    from threatscan.lang.python.module import AnalysisState, ModuleFacts, parsed_module

    facts = ModuleFacts(handlers=Facts(handlers={"app.py": {"handler": Location("t.yaml", 3)}}).handlers)
    for name, value in (("handlers", {}), ("files", {}), ("record_imports", True)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(facts, name, value)
    with pytest.raises(TypeError):
        facts.handlers["other.py"] = {}  # type: ignore[index]
    assert not any(isinstance(getattr(facts, f.name), (dict, list, set, AnalysisState))
                   for f in dataclasses.fields(facts))
    assert ModuleFacts().files == {} and ModuleFacts().handlers == {}
    notes: list = []
    state = AnalysisState(notice=lambda *a, **k: notes.append(a))
    with pytest.raises(TypeError):
        pickle.dumps(state)
    with pytest.raises(AttributeError):  # its caches are declared slots: a misspelt one is an error, not a new key
        state.helper_module = {}  # type: ignore[attr-defined]
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n", encoding="utf-8")
    file = SourceFile(tmp_path / "app.py", "app.py", frozenset({"python"}), 40)
    module = parsed_module(file, facts, state)
    assert module.facts is facts and module.state is state
    assert parsed_module(file, facts, state) is module  # parsed once


def test_facts_freeze_what_an_engine_hands_in():
    """An engine returning plain dicts, lists and sets still hands the scan read-only facts."""
    handlers = {"app.py": {"handler": Location("t.yaml", 3)}}
    facts = Facts(handlers=handlers, role_users={"r": [("t.yaml", "Fn", 1, 1, False)]})
    handlers["app.py"]["other"] = Location("t.yaml", 4)  # the engine's own dict changes afterwards...
    assert set(facts.handlers["app.py"]) == {"handler"}  # ...the facts do not
    assert facts.role_users["r"] == (("t.yaml", "Fn", 1, 1, False),)
    with pytest.raises(TypeError):
        facts.handlers["app.py"]["x"] = Location("t.yaml", 5)  # type: ignore[index]
