"""The shape of the code: engines side by side, libraries below them, no import circles.

Every module under src/threatscan is read with `ast` (nothing is imported) by scripts/import-graph, which also
prints the layers: `scripts/import-graph --lazy`. Imports under `if TYPE_CHECKING:` are annotations, not arrows.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load_graph_module():
    path = REPO / "scripts" / "import-graph"
    loader = importlib.machinery.SourceFileLoader("import_graph", str(path))
    spec = importlib.util.spec_from_loader("import_graph", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module  # (dataclasses look their module up)
    loader.exec_module(module)
    return module


ig = _load_graph_module()

# Imports made inside a function, on purpose, by (importing module, imported module or package prefix); each with
# its reason. None of them may close an import circle (test_no_function_level_import_dodges_a_cycle).
STARTUP = "start-up: a command imports only what it runs (tests/test_startup.py)"
PLUGINS = "an engine imports its checks package by package (they register on import)"
WARM = "the data flow loads with the first file the engine analyses: a rescan served from the cache imports none"
LAZY_ALLOWED: dict[tuple[str, str], str] = {
    ("threatscan.cli", "threatscan"): STARTUP,
    ("threatscan.coverage", "threatscan"): "the coverage command's renderers load only when rendered",
    ("threatscan.scan", "threatscan.findings.gitdiff"): "only --diff runs git",
    ("threatscan.scan", "threatscan.shard"): "only --shard splits",
    ("threatscan.scan", "threatscan.cache"): "only a cached scan hashes the settings",
    ("threatscan.scan", "threatscan.isolate"): "only a file that crashed a worker is rescanned alone",
    ("threatscan.scan", "threatscan.engines.peers"): "the peers load only when asked for (--engines)",
    ("threatscan.findings.tail", "threatscan.engines.peers"): "the peers load only when asked for (--engines)",
    ("threatscan.findings.tail", "threatscan.threats.threatmodel"): "threat keying loads the user's model only when there is one",
    ("threatscan.findings.tail", "threatscan.findings.linehash"): "line hashes only for the reports that carry them",
    ("threatscan.cache", "threatscan.catalog"): "the rules' digest only for a cached scan",
    ("threatscan.cache", "threatscan.findings.suppress"): "a cache hit's suppression index only when an entry is read "
                                                          "(the catalogue's memo imports the cache at start-up)",
    ("threatscan.cache", "threatscan.secrets"): "the redactor only when an entry is written (the catalogue's memo "
                                                "imports the cache at start-up)",
    ("threatscan.cache", "threatscan.fix"): "the fixers (libcst for Python) only when a cached fix is missing",
    ("threatscan.threats.threatmodel", "threatscan.safeyaml"): "YAML only when a threat model is read: a rescan "
                                                                 "without one imports no YAML",
    ("threatscan.fix", "threatscan.secrets"): "the secret redactor's patterns compile only when fixing",
    ("threatscan.fix", "threatscan.fix"): "a fixer (libcst for Python) loads only for files that have a fix",
    ("threatscan.model", "threatscan.secrets"): "the secret redactor's patterns compile only when fingerprinting",
    ("threatscan.discover", "threatscan.gitsafe"): "git only when the scan is asked to list tracked files",
    ("threatscan.threats.importers", "threatscan.safeyaml"): "YAML documents only when one is imported",
    ("threatscan.threats.threatmodel", "threatscan.threats.importers"): "the readers of foreign formats (Threat Dragon, pytm, "
                                                         "Threagile) load only for a model written elsewhere",
    ("threatscan.catalog", "threatscan.registry"): "rules --check: the checks load only for the consistency check",
    ("threatscan.registry", "threatscan.engines"): "all_checks loads every engine (rules --check, the scan)",
    ("threatscan.lang.python.parse", "threatscan.lang.python.cst_to_ast"): "libcst only for newer syntax than "
                                                                             "the interpreter's ast reads",
    ("threatscan.engines.android", "threatscan.engines.android.checks"): PLUGINS,
    ("threatscan.engines.android", "threatscan.engines.android.source"): "Java/Kotlin sources only when read",
    ("threatscan.engines.python", "threatscan.engines.python.checks"): PLUGINS,
    ("threatscan.engines.python", "threatscan.lang.python.dataflow"): WARM,
    ("threatscan.engines.python", "threatscan.engines.python.context"): WARM,
    ("threatscan.engines.python", "threatscan.engines.python.secret_finder"): WARM,
    ("threatscan.scan", "threatscan.findings.linehash"): "line hashes only for a file with findings",
    ("threatscan.engines.cloudformation", "threatscan.engines.cloudformation.checks"): PLUGINS,
}


@pytest.fixture(scope="module")
def graph():
    return ig.build(REPO / "src")


def _arrows(graph, lazy=True):
    return [i for i in graph.imports if lazy or not i.lazy]


def _show(imports) -> str:
    return "\n".join(f"  {i.source}:{i.line}{' (in ' + i.function + ')' if i.lazy else ''} -> {i.target}"
                     for i in imports)


def test_the_graph_sees_the_whole_package(graph):
    # a guard on the reader itself: the engines, the libraries and the arrows between them are found
    assert {"threatscan.engines.python", "threatscan.engines.cloudformation", "threatscan.engines.cloudformation.cdk",
            "threatscan.engines.android", "threatscan.lang.python.parse", "threatscan.lang.iac.model"} <= set(graph.modules)
    assert any(i.source == "threatscan.engines.cloudformation.cdk" and i.target.startswith("threatscan.lang.iac") for i in graph.imports)
    assert any(i.lazy for i in graph.imports)


def test_no_engine_imports_another_engine(graph):
    crossing = [i for i in _arrows(graph) if ig.engine_of(i.source) and ig.engine_of(i.target)
                and ig.engine_of(i.source) != ig.engine_of(i.target)]
    assert not crossing, "engines import each other:\n" + _show(crossing)


def test_no_library_imports_an_engine_the_scan_context_a_registry_or_a_check(graph):
    wrong = [i for i in _arrows(graph) if ig.layer(i.source) == "library"
             and (ig.within(i.target, "threatscan.engines") or ig.is_registry(i.target) or ig.is_check(i.target))]
    assert not wrong, "libraries import what sits above them:\n" + _show(wrong)


def test_no_import_cycle_outside_one_library(graph):
    circles = [c for c in ig.cycles(graph.edges(lazy=True))
               if len({ig.library_of(m) for m in c}) != 1 or ig.library_of(c[0]) is None]
    assert not circles, "import circles:\n" + "\n".join("  " + " <-> ".join(c) for c in circles)


def test_no_function_level_import_dodges_a_cycle(graph):
    """An import inside a function is there for start-up time or for plug-ins, never to break a circle: moved to
    the top of its module, it would not close one."""
    edges = graph.edges(lazy=True)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(edges.get(m, ()))
        return False

    dodging = [i for i in graph.imports if i.lazy and reaches(i.target, i.source)]
    assert not dodging, "function-level imports that close a circle:\n" + _show(dodging)


def test_every_function_level_import_has_a_reason(graph):
    unexplained = [i for i in graph.imports if i.lazy and not any(
        i.source == src and ig.within(i.target, target) for src, target in LAZY_ALLOWED)]
    assert not unexplained, ("function-level imports without a reason (hoist them, or list them in "
                             "LAZY_ALLOWED with why):\n" + _show(unexplained))


def test_every_allowed_function_level_import_still_exists(graph):
    used = {(src, target) for src, target in LAZY_ALLOWED
            if any(i.lazy and i.source == src and ig.within(i.target, target) for i in graph.imports)}
    assert set(LAZY_ALLOWED) == used, f"stale LAZY_ALLOWED entries: {sorted(set(LAZY_ALLOWED) - used)}"


# Python families whose check module has another name than the rules file that holds their metadata (issue 17,
# "one rule, one name, one place"): none since session 6 renamed the five web/path modules. An entry here needs a
# reason; the test below says when one is stale.
FAMILY_MODULE_EXCEPTIONS: dict[str, str] = {}


def test_every_check_sits_in_the_module_named_after_its_rules_family(catalog):
    """A rule's checks (one per kind of file it reads) live in engines/<engine>/checks/<family>.py, where <family>
    is its rules/<area>/<family>.yaml: a rule is found in one place under one name. (This test imports the checks;
    the ones above only read the source.)"""
    from threatscan.registry import all_checks

    wrong, excepted = [], set()
    for check in all_checks():
        module = check.func.__module__
        if ".checks." not in module:
            continue  # the meta engine: one module, no checks package
        family = catalog.rules[check.rule_id].family
        expected = FAMILY_MODULE_EXCEPTIONS.get(family, family.replace("-", "_"))
        if family in FAMILY_MODULE_EXCEPTIONS:
            excepted.add(family)
        if module.rsplit(".", 1)[-1] != expected:
            wrong.append(f"{check.rule_id} (rules family {family}) is checked in {module}")
    assert not wrong, "\n".join(wrong)
    assert excepted == set(FAMILY_MODULE_EXCEPTIONS), f"stale exceptions: {set(FAMILY_MODULE_EXCEPTIONS) - excepted}"


def test_readme_how_it_is_built_names_every_module():
    """README's "How it is built" draws the tree: every module of the package is named there (a check module is
    covered by its engine's `checks/`, a package by its directory), so the drawing cannot fall behind the code."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## How it is built")
    block = readme[start:readme.index("\n## ", start + 1)]
    src = REPO / "src" / "threatscan"
    missing = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if "checks" in rel.parts[:-1]:
            continue
        if path.name in ("__init__.py", "__main__.py"):
            if rel.parent.parts and f"{rel.parent.name}/" not in block:
                missing.append(str(rel))
        elif path.name not in block:
            missing.append(str(rel))
    assert not missing, f"modules README's 'How it is built' does not name: {missing}"
