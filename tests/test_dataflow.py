"""The data-flow pass as a user meets it: injection findings carry the path from the source (SARIF codeFlows that
validate), helpers in the module and in the repository are followed, and the taint specification is data a user
can extend."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, REPO, validate_multitool, validate_schema
from threatscan.catalog import load_catalog
from threatscan.discover import discover
from threatscan.engines import ScanContext
from threatscan.engines.python import ENGINE
from threatscan.engines.base import Facts
from threatscan.lang.python.dataflow.spec import load_spec
from threatscan.model import Location
from threatscan.registry import all_checks
from threatscan.report.sarif import build_log
from threatscan.report.text import render
from threatscan.scan import ScanOptions, run_scan

DATAFLOW = FIXTURES / "python" / "dataflow"


@pytest.fixture(scope="module")
def dataflow_scan(catalog):
    return run_scan(ScanOptions(paths=[str(DATAFLOW)], root=REPO), catalog)


def _find(scan, path_end: str, line: int, rule: str):
    found = [f for f in scan.findings if f.location.path.endswith(path_end) and f.location.line == line and f.rule_id == rule]
    assert found, f"no {rule} at {path_end}:{line}"
    return found[0]


def test_sarif_with_code_flows_validates(dataflow_scan, catalog, tmp_path):
    log = build_log(dataflow_scan.findings, dataflow_scan.notices, dataflow_scan.rules, catalog)
    results = log["runs"][0]["results"]
    flows = [r for r in results if r.get("codeFlows")]
    assert len(flows) >= 50
    locations = flows[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert locations[0]["location"]["message"]["text"].startswith("source:")
    assert locations[-1]["location"]["message"]["text"].startswith("reaches")
    assert validate_schema(log) == []
    out = tmp_path / "dataflow.sarif"
    out.write_text(json.dumps(log))
    validate_multitool(out)


def test_lambda_flow_runs_from_the_event_through_the_call_to_the_sink(fixtures_scan):
    f = _find(fixtures_scan, "code_execution/lambda_handler.py", 7, "PY101")
    assert [(s.location.line, s.message.split(" ")[0]) for s in f.flow] == [
        (10, "source:"), (11, "assigned"), (12, "passed"), (7, "reaches")]
    assert f.precision == "high" and f.properties["dataflow"] == "tainted"


def test_severity_follows_evidence(dataflow_scan):
    """Untrusted data seen reaching the sink: the rule's severity with the path (evidence "flow"). A value
    proven constant: no injection finding, only the hygiene rule PY107. Origin not visible: a low review finding."""
    vuln = _find(dataflow_scan, "flask_handlers.py", _line("flask_handlers.py", "def os_system_vuln") + 2, "PY102")
    line = _line("flask_handlers.py", "def os_system_constant_branch") + 5
    assert vuln.severity.label == "high" and vuln.flow and vuln.evidence == "flow"
    assert not [f for f in dataflow_scan.findings if f.location.path.endswith("flask_handlers.py")
                and f.location.line == line and f.rule_id == "PY102"]
    hygiene = _find(dataflow_scan, "flask_handlers.py", line, "PY107")
    assert hygiene.severity.label == "low" and not hygiene.flow and hygiene.properties["dataflow"] == "constant"
    inside = _find(dataflow_scan, "shop/queries.py", 5, "PY401")  # the helper's parameter: origin not visible
    assert (inside.severity.label, inside.precision, inside.evidence) == ("low", "low", "review") and not inside.flow


def test_repository_helper_is_followed_into_its_file(dataflow_scan):
    f = _find(dataflow_scan, "shop/views.py", 16, "PY401")
    paths = [s.location.path for s in f.flow]
    assert paths[0].endswith("shop/views.py") and any(p.endswith("shop/queries.py") for p in paths)
    assert f.flow[-1].location.path.endswith("shop/queries.py") and f.flow[-1].location.line == 5


def test_text_output_shows_source_and_sink(dataflow_scan, catalog):
    f = _find(dataflow_scan, "module_helpers.py", 22, "PY101")
    text = render([f], [], catalog.rules, files=1, colour=False)
    assert "flow fixtures/python/dataflow/module_helpers.py:41  source: `request.args`" in text
    assert "reaches `subprocess.run`" in text


def test_template_linked_handler_event_is_a_source(tmp_path, catalog):
    app = tmp_path / "worker.py"
    app.write_text("import os\n\n\ndef process(message, runtime):\n    os.system('convert ' + message['key'])\n")
    found = discover([str(app)], root=tmp_path)
    file = found.files[0]
    ctx = ScanContext(root=tmp_path, catalog=catalog)
    checks = [c for c in all_checks() if c.kind == "python" and c.rule_id == "PY102"]
    assert ENGINE.scan_file(file, checks, ctx)[0].properties["dataflow"] == "no-source"
    file._cache.clear()
    handlers = {file.rel: {"process": Location("template.yaml", 3)}}
    ctx = ScanContext(root=tmp_path, catalog=catalog, facts=Facts(handlers=handlers))
    f = ENGINE.scan_file(file, checks, ctx)[0]
    assert f.properties["dataflow"] == "tainted" and f.flow[0].message == "source: `message` (Lambda event)"


def test_user_can_add_a_sink_as_data(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "dataflow" / "zz-company.yaml").write_text(
        "sinks:\n  - family: sql\n    calls:\n      - {names: [legacydb.run_sql], args: [0]}\n")
    monkeypatch.setenv("THREATSCAN_RULES_DIR", str(rules))
    app = tmp_path / "app" / "views.py"
    app.parent.mkdir()
    app.write_text("import legacydb\nfrom flask import request\n\n\ndef search():\n"
                   "    legacydb.run_sql('SELECT * FROM t WHERE a = ' + request.args['a'])\n")
    result = run_scan(ScanOptions(paths=[str(app.parent)], root=tmp_path), load_catalog(rules))
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("PY401", 6)]


def test_library_models_are_data_a_user_can_extend(tmp_path, monkeypatch):
    """The interpreter's models of library calls come from rules/dataflow/python-library.yaml: a company helper
    declared pure makes a command built from constants through it a constant, not an unseen origin."""
    app = tmp_path / "app" / "jobs.py"
    app.parent.mkdir()
    app.write_text('import os\n\nimport companylib\n\n\ndef run():\n    os.system("ls " + companylib.quote("docs"))\n')

    def py102(extra: str | None) -> list[str]:
        rules = tmp_path / f"rules-{bool(extra)}"  # (the specification is cached per rules directory)
        shutil.copytree(REPO / "rules", rules)
        if extra:
            (rules / "dataflow" / "zz-company.yaml").write_text(extra)
        monkeypatch.setenv("THREATSCAN_RULES_DIR", str(rules))
        result = run_scan(ScanOptions(paths=[str(app.parent)], root=tmp_path, select=("PY102",)), load_catalog(rules))
        return [f.properties.get("dataflow") for f in result.findings]

    assert py102(None) == ["no-source"]  # an unknown helper: its result's origin is not seen
    assert py102("library:\n  pure_prefixes: [companylib.]\n") == []  # constants in, a constant out
    spec = load_spec(tmp_path / "rules-True")
    assert "companylib." in spec.library.pure_prefixes and "base64." in spec.library.pure_prefixes
    assert "configparser.ConfigParser" in spec.library.mappings and "lower" in spec.library.str_methods


def test_unknown_library_keys_fail_loudly(tmp_path):
    from threatscan.catalog import CatalogError

    (tmp_path / "dataflow").mkdir()
    (tmp_path / "dataflow" / "bad.yaml").write_text("library:\n  pure_prefix: [x.]\n")
    with pytest.raises(CatalogError, match="library has unknown keys"):
        load_spec(tmp_path)


def test_unknown_spec_keys_fail_loudly(tmp_path):
    from threatscan.catalog import CatalogError
    from threatscan.lang.python.dataflow.spec import load_spec

    (tmp_path / "dataflow").mkdir()
    (tmp_path / "dataflow" / "bad.yaml").write_text("sanitizers:\n  - {names: [x.y], families: [sqll]}\n")
    with pytest.raises(CatalogError, match="unknown families"):
        load_spec(tmp_path)


def _line(name: str, text: str) -> int:
    for n, line in enumerate((DATAFLOW / name).read_text().splitlines(), start=1):
        if text in line:
            return n
    raise AssertionError(text)


def test_only_functions_with_a_sink_are_analysed(tmp_path, catalog, monkeypatch):
    import threatscan.engines.python as python_engine
    from threatscan.lang.python.dataflow import dataflow_of

    analysed: list[str] = []  # the flows computed, read just before the engine frees them
    release = python_engine.release_dataflow
    monkeypatch.setattr(python_engine, "release_dataflow", lambda module: (
        analysed.extend(getattr(f.scope, "name", "<module>") for f in dataflow_of(module)._flows.values()),
        release(module)))

    helpers = "".join(f"def helper_{i}(x):\n    return x * {i}\n\n\n" for i in range(40))
    app = tmp_path / "app.py"
    app.write_text("import os\nfrom flask import request\n\n\n" + helpers + "def run():\n    os.system(request.args['c'])\n")
    file = discover([str(app)], root=tmp_path).files[0]
    ctx = ScanContext(root=tmp_path, catalog=catalog)
    checks = [c for c in all_checks() if c.kind == "python"]
    findings = ENGINE.scan_file(file, checks, ctx)
    assert [(f.rule_id, f.properties.get("dataflow")) for f in findings] == [("PY102", "tainted")]
    assert analysed == ["run"]


def test_code_flow_columns_count_code_points(tmp_path, catalog):
    """Every step of a path points at its expression in characters, as SARIF's columnKind says, also on a line
    with accents or emoji before it (ast gives UTF-8 byte offsets)."""
    app = tmp_path / "app.py"
    app.write_text(
        "import os\n"
        "from flask import request\n"
        "\n"
        "\n"
        "def run(réf=None):\n"
        "    étiquette = '🎉'; cmd = request.args['c']\n"
        "    msg = 'café'; os.system(cmd)\n",
        encoding="utf-8",
    )
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path, select=("PY102",)), catalog)
    [finding] = result.findings
    lines = app.read_text(encoding="utf-8").splitlines()
    source, sink = finding.flow[0], finding.flow[-1]
    assert (source.location.line, sink.location.line) == (6, 7)
    for step in finding.flow:
        line = lines[step.location.line - 1]
        assert not line.isascii()
        # code points, not UTF-8 bytes: the step's columns cut exactly its expression out of the line
        shown = line[step.location.column - 1:step.location.end_column - 1]
        assert shown in {"request.args", "cmd", "os.system(cmd)"}, (step, shown)
    assert lines[5][source.location.column - 1:].startswith("request.args")
    assert lines[6][sink.location.column - 1:].startswith("os.system(cmd)")


def test_an_opaque_constant_compared_by_a_string_method_does_not_crash_the_file(tmp_path):
    # `sep` is one of two constants (an opaque constant): `.replace(sep, ...)` compared it with "\\" and raised,
    # which lost every finding of the file (an engine-crash notice instead)
    app = tmp_path / "app.py"
    app.write_text("import os\nfrom flask import request\n\n\ndef view(windows):\n    sep = '\\\\' if windows else '/'\n"
                   "    name = request.args['n'].replace(sep, '_')\n    os.system('ls ' + name)\n")
    result = run_scan(ScanOptions(paths=[str(app)]), load_catalog())
    assert not [n for n in result.notices if n.kind == "engine-crash"]
    assert [f.rule_id for f in result.findings if f.rule_id.startswith("PY1")]


def test_the_lambda_event_label_the_checks_compare_with_is_the_one_the_source_table_gives():
    from threatscan.lang.python.dataflow import LAMBDA_EVENT_LABEL, load_spec

    assert [s.label for s in load_spec().sources if s.lambda_event] == [LAMBDA_EVENT_LABEL]
