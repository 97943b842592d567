"""A helper of another file is summarised for the sinks it may reach only when it can reach one (issue 19: the cold
scan's data flow, made cheaper without changing what it finds).

Every call that may hand untrusted data to a repository helper asks whether the helper passes a parameter to a sink
in its own body (dataflow `indirect_sinks`). That answer is now found without summarising the helper when no call
in its body can match a sink of the specification, and without parsing its file when the file defines no function
of the called name (a class, a constant). What a helper returns is still summarised wherever a flow uses it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import threatscan.engines.python as python_engine
import threatscan.lang.python.dataflow.module as dataflow_module
from threatscan.discover import discover
from threatscan.engines import ScanContext
from threatscan.engines.python import ENGINE
from threatscan.lang.python.dataflow import dataflow_of
from threatscan.registry import all_checks


@pytest.fixture
def analysed(monkeypatch) -> dict[str, list[str]]:
    """The flows computed for the scanned file, the functions summarised and the helper files parsed."""
    seen: dict[str, list[str]] = {"flows": [], "summaries": [], "parsed": []}
    release = python_engine.release_dataflow
    monkeypatch.setattr(python_engine, "release_dataflow", lambda module: (
        seen["flows"].extend(getattr(f.scope, "name", "<module>") for f in dataflow_of(module)._flows.values()),
        release(module)))
    summary = dataflow_module.DataflowModule.summary

    def summarised(self, fn, *args, **kwargs):
        seen["summaries"].append(f"{self.rel}:{getattr(fn, 'name', '?')}")
        return summary(self, fn, *args, **kwargs)

    monkeypatch.setattr(dataflow_module.DataflowModule, "summary", summarised)
    module_for = dataflow_module._module_for
    monkeypatch.setattr(dataflow_module, "_module_for", lambda file, *a: (
        seen["parsed"].append(file.rel), module_for(file, *a))[1])
    return seen


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, text in files.items():
        path = root / rel
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text))


def _scan(root: Path, catalog, rel: str) -> list[tuple]:
    found = discover([str(root)], root=root).files
    file = next(f for f in found if f.rel == rel)
    ctx = ScanContext(root=root, catalog=catalog)
    ctx.facts = ENGINE.prepare([f for f in found if "python" in f.kinds], ctx)
    checks = [c for c in all_checks() if c.kind == "python"]
    return sorted((f.rule_id, f.location.line, f.properties.get("dataflow"), f.message)
                  for f in ENGINE.scan_file(file, checks, ctx))


APP = """
    import sqlite3
    import subprocess

    from flask import Flask, request

    from db import {names}

    app = Flask(__name__)


    def backup():
        subprocess.run(["tar", "czf", "/tmp/backup.tgz", "/srv"])
"""


def _views(names: str, body: str) -> str:
    return APP.format(names=names) + textwrap.indent(textwrap.dedent(body), "    ")


def test_a_helper_that_only_returns_its_argument_still_carries_taint_to_the_callers_sink(tmp_path, catalog):
    _write(tmp_path, {
        "db.py": """
            def echo(value):
                return value


            def shout(value):
                print(value)
                return value.upper()
        """,
        "app.py": _views("echo, shout", """

        @app.route("/a")
        def a():
            name = echo(request.args["q"])
            sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '" + name + "'")


        @app.route("/b")
        def b():
            name = shout(request.args["q"])
            sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '" + name + "'")
        """)})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted"), ("PY401", "tainted")]
    assert all("passed to `echo()`" in m or "passed to `shout()`" in m or "Source:" in m for *_, m in found)


def test_a_helper_with_a_sink_still_reports_at_the_call(tmp_path, catalog):
    _write(tmp_path, {
        "db.py": """
            import sqlite3
            from pandas import read_sql as load_rows


            def run_query(q):
                sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '" + q + "'")


            def purge(q):
                cur = sqlite3.connect("app.db").cursor()
                cur.execute("DELETE FROM t WHERE id = " + q)


            def \\
                    continued(q):
                sqlite3.connect("app.db").execute("DELETE FROM t WHERE id = " + q)


            def report(name):
                return load_rows("SELECT * FROM t WHERE owner = '" + name + "'", sqlite3.connect("app.db"))
        """,
        "app.py": _views("continued, purge, report, run_query", """

        @app.route("/a")
        def a():
            run_query(request.args["q"])


        @app.route("/b")
        def b():
            purge(request.args["q"])


        @app.route("/c")
        def c():
            continued(request.args["q"])


        @app.route("/d")
        def d():
            report(request.args["q"])
        """)})
    found = _scan(tmp_path, catalog, "app.py")
    got = [(rule, state, message.split(" Source:")[0]) for rule, _, state, message in found]
    assert got == [
        ("PY401", "tainted", "SQL injection: untrusted data passed to `run_query` reaches `execute` as SQL."),
        ("PY401", "tainted", "SQL injection: untrusted data passed to `purge` reaches `cur.execute` as SQL."),
        ("PY401", "tainted", "SQL injection: untrusted data passed to `continued` reaches `execute` as SQL."),
        ("PY401", "tainted", "SQL injection: untrusted data passed to `report` reaches `pandas.read_sql` as SQL."),
    ]


def test_a_helper_without_a_sink_is_not_summarised_for_its_sinks(tmp_path, catalog, analysed):
    _write(tmp_path, {
        "db.py": """
            def log(value):
                print("asked for", value.strip())
        """,
        "models.py": """
            class Store:
                def __init__(self, q):
                    self.q = q
        """,
        "app.py": _views("log", """
        from models import Store


        @app.route("/a")
        def a():
            log(request.args["q"])
            Store(request.args["q"])
        """)})
    assert _scan(tmp_path, catalog, "app.py") == []
    assert "a" not in analysed["flows"]  # no helper of the view can reach a sink: the view is not interpreted
    assert "db.py:log" not in analysed["summaries"]
    assert "models.py" not in analysed["parsed"]  # it defines no function `Store`: read, never parsed


def test_a_helper_file_not_read_as_plain_ascii_is_parsed_to_find_the_function(tmp_path, catalog, analysed):
    # (a function named in letters beyond ASCII: only the parser knows it is `def requête`)
    _write(tmp_path, {
        "db.py": "import sqlite3\n\n\n"
                 "def requête(q):\n"
                 "    sqlite3.connect('app.db').execute(\"SELECT * FROM t WHERE name = '\" + q + \"'\")\n",
        "app.py": _views("requête", """

        @app.route("/a")
        def a():
            requête(request.args["q"])
        """)})
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY401", "tainted")]
    assert "db.py" in analysed["parsed"]


def test_def_names_are_read_as_the_tokenizer_reads_them():
    names = dataflow_module._DEF_NAME.findall(
        b"def a(): pass\nasync def b(): pass\nclass C:\n    def  c(self): pass\ndef \\\n    d(): pass\n"
        b"def\t\\\r\n e(): pass\nundefined = 1\n")
    assert set(names) >= {b"a", b"b", b"c", b"d", b"e"}


def test_a_helper_called_as_a_statement_still_reports_its_sink_with_the_callers_taint(tmp_path, catalog, analysed):
    # `store(q)` as a statement: its result is dropped, so its summary is not needed where it is called; the helper of
    # this module reports its own sink with the caller's taint, the helper of another module at the call
    _write(tmp_path, {
        "db.py": """
            import sqlite3


            def purge(q):
                sqlite3.connect("app.db").execute("DELETE FROM t WHERE id = " + q)
        """,
        "app.py": _views("purge", """

        def store(q):
            sqlite3.connect("app.db").execute("INSERT INTO t VALUES ('" + q + "')")


        def note(q):
            print("stored", q)


        async def save(q):
            sqlite3.connect("app.db").execute("UPDATE t SET v = '" + q + "'")


        @app.route("/a")
        def a():
            q = request.args["q"]
            note(q)
            store(q)
            purge(q)


        @app.route("/b")
        async def b():
            await save(request.args["q"])
        """)})
    found = _scan(tmp_path, catalog, "app.py")
    got = [(rule, line, state, message.split(" Source:")[0]) for rule, line, state, message in found]
    assert got == [
        ("PY401", 17, "tainted", 'SQL injection: `sqlite3.connect("app.db").execute` runs SQL built from Flask request data.'),
        ("PY401", 25, "tainted", 'SQL injection: `sqlite3.connect("app.db").execute` runs SQL built from Flask request data.'),
        ("PY401", 33, "tainted", "SQL injection: untrusted data passed to `purge` reaches `execute` as SQL."),
    ]
    assert not {"app.py:note", "app.py:store", "app.py:save"} & set(analysed["summaries"])


# --- checks that report tainted verdicts only do not interpret a scope no untrusted data can reach ---------------

def test_a_sink_no_untrusted_data_can_reach_is_not_interpreted_but_formatted_sql_is_still_reviewed(
        tmp_path, catalog, analysed):
    _write(tmp_path, {"tasks.py": """
        import os
        import sqlite3


        def rotate(name):
            return open(os.path.join("/var/log", name + ".1"), "w")


        def purge(table):
            sqlite3.connect("app.db").execute("DELETE FROM " + table)


        def count():
            sqlite3.connect("app.db").execute("SELECT count(*) FROM t")
        """})
    found = _scan(tmp_path, catalog, "tasks.py")
    # the query built by concatenation is a review finding, as before; nothing else is reported
    assert [(rule, line, state) for rule, line, state, _ in found] == [("PY401", 11, "no-source")]
    assert "rotate" not in analysed["flows"] and "count" not in analysed["flows"]  # (PY408, PY401: tainted only)
    assert "purge" in analysed["flows"]  # (PY401 reports a formatted query whose origin is not visible)


def test_taint_from_a_caller_or_a_helpers_source_still_reaches_sinks_that_report_tainted_only(tmp_path, catalog):
    _write(tmp_path, {
        "forms.py": """
            from flask import request


            def wanted_name():
                return request.args.get("name", "")
        """,
        "app.py": _views("echo", """
        import os

        from flask import redirect
        from forms import wanted_name


        def send(name):
            return open(os.path.join("/srv/files", name))


        @app.route("/a")
        def a():
            return send(request.args["f"])


        def go():
            return redirect(wanted_name())
        """)})
    (tmp_path / "db.py").write_text("def echo(value):\n    return value\n")
    found = _scan(tmp_path, catalog, "app.py")
    assert [(rule, state) for rule, _, state, _ in found] == [("PY403", "tainted"), ("PY408", "tainted")]


def test_may_taint_answers_inferred_across_depths_are_those_computed_at_each_depth(tmp_path, catalog):
    # A summary's "may it carry untrusted data of its own" only grows with the depth left: the answers one scan infers
    # from another depth's (DataflowModule._summary_may_taint) are those a fresh analysis computes at that depth.
    _write(tmp_path, {
        "reader.py": """
            from flask import request


            def raw():
                return request.args.get("q", "")


            def once():
                return raw()


            def twice():
                return once()


            def thrice():
                return twice()


            def loop(n):
                return loop(n - 1) if n else thrice()


            def plain(n):
                return n + 1
        """,
        "app.py": """
            from reader import loop, once, plain, raw, thrice, twice


            def use():
                return [raw(), once(), twice(), thrice(), loop(3), plain(1)]
        """})
    names = ["raw", "once", "twice", "thrice", "loop", "plain"]

    def answers(order: list[tuple[str, int]], fresh: bool) -> dict[tuple[str, int], bool]:
        out: dict[tuple[str, int], bool] = {}
        dm = None
        for name, left in order:
            if dm is None or fresh:
                found = discover([str(tmp_path)], root=tmp_path).files
                ctx = ScanContext(root=tmp_path, catalog=catalog)
                ctx.facts = ENGINE.prepare([f for f in found if "python" in f.kinds], ctx)
                dm = dataflow_of(ctx.python_module(next(f for f in found if f.rel == "reader.py")))
            out[(name, left)] = dm._summary_may_taint(dm._top_defs()[name], left, {}, [False])
        return out

    every = [(name, left) for name in names for left in (1, 2, 3)]
    expected = answers(every, fresh=True)
    # (each call spends a level: `once` needs two, `twice` three, `thrice` more than a summary nests)
    assert {name: [expected[(name, left)] for left in (1, 2, 3)] for name in names} == {
        "raw": [True, True, True], "once": [False, True, True], "twice": [False, False, True],
        "thrice": [False, False, False], "loop": [False, False, False], "plain": [False, False, False]}
    assert expected[("plain", 3)] is False and expected[("raw", 1)] is True
    for order in (every, list(reversed(every)), sorted(every, key=lambda p: (p[1], p[0]))):
        assert answers(order, fresh=False) == expected
