"""The data flow interprets what can matter, and a file's findings do not depend on what was analysed before it
(issue 19: the cold scan's data flow, made cheaper without changing what it finds).

- The callers of a function are interpreted (to see what they pass it) only when some flow among them can hold
  untrusted data: a source of its own, or one that reaches it through a helper's summary, a module-level name or
  a class interpreted inline. Each of those still makes the finding it made.
- A summary is a function of the function, its flags and the depth left: summarising a helper earlier, for another
  file, does not change what a later file finds.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import threatscan.engines.python as python_engine
from threatscan.discover import discover
from threatscan.engines import ScanContext
from threatscan.engines.python import ENGINE
from threatscan.lang.python.dataflow import dataflow_of
from threatscan.registry import all_checks


@pytest.fixture
def analysed(monkeypatch) -> list[str]:
    """The flows computed for the scanned file, read just before the engine frees them."""
    names: list[str] = []
    release = python_engine.release_dataflow
    monkeypatch.setattr(python_engine, "release_dataflow", lambda module: (
        names.extend(getattr(f.scope, "name", "<module>") for f in dataflow_of(module)._flows.values()),
        release(module)))
    return names


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).write_text(textwrap.dedent(text))


def _scan(root: Path, catalog, rel: str, ctx: ScanContext | None = None) -> list[tuple]:
    found = discover([str(root)], root=root).files
    file = next(f for f in found if f.rel == rel)
    ctx = ctx or ScanContext(root=root, catalog=catalog)
    ctx.facts = ENGINE.prepare([f for f in found if "python" in f.kinds], ctx)
    checks = [c for c in all_checks() if c.kind == "python"]
    return sorted((f.rule_id, f.location.line, f.properties.get("dataflow"), f.message)
                  for f in ENGINE.scan_file(file, checks, ctx))


QUERY = """
    import sqlite3


    def lookup(name):
        sqlite3.connect("app.db").execute("SELECT * FROM users WHERE name = '" + name + "'")
"""


def test_callers_that_hold_no_untrusted_data_are_not_interpreted(tmp_path, catalog, analysed):
    _write(tmp_path, {"report.py": QUERY + """

    def default_name():
        return "admin"


    def nightly():
        lookup(default_name())


    def weekly():
        lookup(default_name().upper())
    """})
    found = _scan(tmp_path, catalog, "report.py")
    # the query's origin is not visible (a review finding), as before; the two callers were never interpreted
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "no-source")]
    assert analysed == ["lookup"]


def test_a_source_behind_a_helper_still_reaches_through_the_callers(tmp_path, catalog, analysed):
    _write(tmp_path, {"app.py": QUERY + """
    from flask import request


    def read_name():
        return request.args["name"]


    def view():
        lookup(read_name())
    """})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]
    assert sorted(analysed) == ["lookup", "view"]  # `view` names no source itself: its helper's summary does


def test_a_source_in_another_files_helper_still_reaches_through_the_callers(tmp_path, catalog):
    _write(tmp_path, {
        "forms.py": """
            from flask import request


            def read_name():
                return request.args.get("name", "")
        """,
        "app.py": QUERY + """
    from forms import read_name


    def index(request):
        return "ok"


    def view():
        lookup(read_name())
    """})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]


def test_a_source_bound_to_a_module_level_name_still_reaches_through_the_callers(tmp_path, catalog):
    _write(tmp_path, {"app.py": QUERY + """
    from flask import request as req

    ARGS = req.args


    def view():
        lookup(ARGS["name"])
    """})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]


def test_a_source_read_by_a_class_interpreted_inline_still_reaches_through_the_callers(tmp_path, catalog):
    _write(tmp_path, {"app.py": QUERY + """
    from django.http import HttpResponse  # (a web application: a parameter named request is one)


    class Form:
        def __init__(self, request):
            self.request = request

        def name(self):
            return self.request.args["name"]


    def view(req):
        form = Form(req)
        lookup(form.name())


    def run(req):
        view(req)
    """})
    found = _scan(tmp_path, catalog, "app.py")
    assert ("PY401", "no-source") not in [(rule, state) for rule, _, state, _ in found]
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]


def test_a_source_read_by_a_models_property_still_reaches_through_the_callers(tmp_path, catalog):
    _write(tmp_path, {"app.py": QUERY + """
    from flask import request
    from pydantic import BaseModel


    class Search(BaseModel):
        scope: str

        @property
        def term(self):
            return request.args["q"]


    def make(scope):
        return Search(scope=scope).term


    def view(scope):
        lookup(make(scope))


    def run():
        view("all")
    """})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]


CHAIN = {
    "store.py": """
        import shlex


        def quoted(q):
            return shlex.quote(q)


        def level3(q):
            return quoted(q)


        def level2(q):
            return level3(q)


        def level1(q):
            return level2(q)
    """,
    "first.py": """
        import os

        from flask import request

        from store import level3


        def search():
            os.system("grep " + level3(request.args["q"]) + " index.txt")
    """,
    "second.py": """
        import os

        from flask import request

        from store import level1


        def search():
            os.system("grep " + level1(request.args["q"]) + " index.txt")
    """,
}


def test_a_files_findings_do_not_depend_on_the_files_analysed_before_it(tmp_path, catalog):
    _write(tmp_path, CHAIN)
    alone = _scan(tmp_path, catalog, "second.py")
    ctx = ScanContext(root=tmp_path, catalog=catalog)
    first = _scan(tmp_path, catalog, "first.py", ctx)  # summarises level3 fully: two calls from the quoting
    after = _scan(tmp_path, catalog, "second.py", ctx)
    assert [(rule, state) for rule, _, state, _ in first] == [("PY107", "sanitized")]  # quoted: shell use only
    # second.py's call is four summaries from the quoting, past the depth limit: the flow is reported incomplete,
    # whether or not level3 was summarised in full (for first.py, from a shallower call) before
    assert [(rule, state) for rule, _, state, _ in alone] == [("PY102", "incomplete")]
    assert after == alone
