"""The gate trusts a flow it can show end to end (README "Severity follows evidence"): a data-flow finding keeps its
rule's severity only when every step from the source to the sink is modelled; a flow through a call the analysis
does not model, or past a check it does not know, is a review finding (low, precision low, tag `review`, never
failing the gate), and its message names the step. Fixtures: fixtures/python/dataflow/complete_flow/."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import FIXTURES, REPO
from threatscan.cli import main
from threatscan.model import Severity

DIR = FIXTURES / "python" / "dataflow" / "complete_flow"
VIEWS = "fixtures/python/dataflow/complete_flow/views.py"


def _line(needle: str, nth: int = 1) -> int:
    lines = (REPO / VIEWS).read_text().splitlines()
    return [i for i, text in enumerate(lines, 1) if needle in text][nth - 1]


def _found(fixtures_scan, rule: str, line: int):
    hits = [f for f in fixtures_scan.findings if f.location.path == VIEWS and f.rule_id == rule and f.location.line == line]
    assert len(hits) == 1, (rule, line, hits)
    return hits[0]


COMPLETE = [  # (rule, the sink's line): every step modelled
    ("PY403", 'return redirect(target)  # expect: PY403 (complete: str methods'),
    ("PY403", "return redirect(target)  # expect: PY403\n"),
    ("PY403", "return redirect(raw_next(request))"),
    ("PY101", 'subprocess.check_output("convert "'),
    ("PY408", 'open(os.path.join("/srv/files", name))'),
    ("PY408", "return open(path).read()"),
    ("PY403", "return redirect(target)  # expect: PY403 (complete: the branch where the check failed)"),
    ("PY403", "return redirect(target)  # expect: PY403 (complete)"),
    ("PY403", 'return redirect(target or "/")  # expect: PY403'),  # a length limit is no check
    ("PY408", 'open(os.path.join("/srv/layouts", data["layout"]))'),  # a key's presence is no check of the value
]

INCOMPLETE = [  # (rule, the sink's line, the step the message must name)
    ("PY403", "return redirect(data)", "thumbnailer.render()"),
    ("PY402", "return page.text", "requests.get()"),
    ("PY403", "return redirect(target)  # expect: PY403 (review: tested by an unknown check)", "url_is_ours(target)"),
    ("PY403", "return redirect(target)  # expect: PY403 (review)\n", "host not in ALLOWED_HOSTS"),
    ("PY403", "return redirect(target)  # expect: PY403 (review)\n    return", "re.match(HOST_PATTERN, target)"),
    ("PY403", "return redirect(path)  # expect: PY403 (review: a `try` guard)", "resolve_route(path)"),
    ("PY403", "return redirect(checked_next(request, ADAPTER))", "adapter.accepts(url)"),
    ("PY403", "return redirect(target)  # expect: PY403 (review)\n    return redirect(target)", "is_trusted_target(target)"),
]


def _line_of(needle: str) -> int:
    text = (REPO / VIEWS).read_text()
    assert text.count(needle) >= 1, needle
    return text[: text.index(needle)].count("\n") + 1


def test_a_flow_every_step_of_which_is_modelled_keeps_the_rules_severity(fixtures_scan):
    for rule, needle in COMPLETE:
        f = _found(fixtures_scan, rule, _line_of(needle))
        assert f.evidence == "flow" and f.severity >= Severity.MEDIUM, (needle, f.severity, f.message)
        assert "review" not in f.properties.get("tags", ()), needle
        assert "not complete" not in f.message


def test_a_flow_through_an_unmodelled_call_or_past_an_unknown_check_is_a_review_finding(fixtures_scan, catalog):
    for rule, needle, step in INCOMPLETE:
        f = _found(fixtures_scan, rule, _line_of(needle))
        assert (f.severity, f.evidence, f.precision) == (Severity.LOW, "review", "low"), (needle, f.message)
        assert "review" in f.properties["tags"]
        assert f.properties["dataflow"] == "incomplete"
        assert f.properties["severityIfUntrusted"] == catalog.rules[rule].severity.label
        # the message says why, naming the step the analysis could not see through
        assert "the flow is not complete" in f.message and step in f.message, (step, f.message)
        assert step in f.properties["flowGap"]
        assert f.flow, "the path is still shown"


def test_a_value_tested_empty_or_equal_to_the_programs_own_carries_no_request_data(fixtures_scan):
    lines = {f.location.line for f in fixtures_scan.findings if f.location.path == VIEWS}
    assert _line_of('return redirect(target or "/")  # ok: PY403') not in lines, "empty or accepted by a validator"
    assert _line_of('return "verification: " + token') not in lines, "equal to the configured token"
    rel = "fixtures/python/dataflow/complete_flow/django_views.py"
    found = {f.location.line for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY402"}
    text = (REPO / rel).read_text().splitlines()
    assert [i for i, t in enumerate(text, 1) if '"application/json")' in t][0] not in found, "Django's 2nd argument"
    assert len(found) == 2


def test_the_ssrf_of_a_proxied_request_stays_a_gate_finding(fixtures_scan):
    f = _found(fixtures_scan, "PY410", _line_of('requests.get(request.args["url"], timeout=5)'))
    assert f.evidence == "flow" and f.severity == Severity.HIGH


def test_a_fastapi_dependency_declared_by_its_type_is_no_source(fixtures_scan):
    rel = "fixtures/python/dataflow/complete_flow/deps.py"
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY401"}
    lines = (REPO / rel).read_text().splitlines()
    order = [i for i, t in enumerate(lines, 1) if '"SELECT id FROM item ORDER BY " + order' in t][0]
    assert set(found) == {order}, "the session and the `Annotated[..., Depends()]` value are the framework's"
    assert found[order].severity == Severity.HIGH and found[order].evidence == "flow"


def test_sarif_and_the_gate_see_the_review_tier(tmp_path):
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(main, ["scan", str(DIR), "--engines", "native", "--no-cache", "--format", "sarif",
                                       "-o", str(out), "--fail-on", "medium"])
    assert result.exit_code == 1, result.output  # the complete flows fail a medium gate
    run = json.loads(out.read_text())["runs"][0]
    line = _line_of("return redirect(data)")
    (hit,) = [r for r in run["results"] if r["ruleId"].startswith("PY403")
              and r["locations"][0]["physicalLocation"]["region"]["startLine"] == line]
    rule = run["tool"]["driver"]["rules"][hit["ruleIndex"]]
    assert hit["ruleId"] == "PY403/review" and rule["properties"]["precision"] == "low"
    assert "review" in rule["properties"]["tags"]

    # a project whose only data flow is incomplete passes even a `--fail-on low` gate
    app = tmp_path / "app"
    app.mkdir()
    (app / "views.py").write_text(
        "import imaging\nfrom flask import Flask, redirect, request\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/t')\ndef t():\n    return redirect(imaging.render(request.args['u']))\n")
    result = CliRunner().invoke(main, ["scan", str(app), "--engines", "native", "--no-cache", "--format", "json",
                                       "-o", str(tmp_path / "app.json"), "--fail-on", "low"])
    findings = json.loads((tmp_path / "app.json").read_text())["findings"]
    assert [f["rule_id"] for f in findings] == ["PY403"] and findings[0]["evidence"] == "review"
    assert result.exit_code == 0, result.output


def test_request_data_after_a_start_the_program_chose_is_a_review_redirect_or_ssrf(fixtures_scan):
    """`settings.THEMES_DIR + path`, `f"{settings.MEDIA_PREFIX}{id}"`, `"%s%s" % (themes_root(), to)`, a configured
    template: the request does not choose where the URL starts, so PY403/PY410 are review findings naming the
    program's value; request data at the start, right after a setting named for a host (`@evil.example`), or after
    `request.script_root` or a separator that may be `/`, stays at the gate."""
    rel = "fixtures/python/dataflow/precision/chosen_starts.py"
    lines = (REPO / rel).read_text().splitlines()
    found = {(f.location.line, f.rule_id): f for f in fixtures_scan.findings if f.location.path == rel}
    review = [(i, t) for i, t in enumerate(lines, 1) if "(review: `" in t]
    gate = [(i, t) for i, t in enumerate(lines, 1) if "(gate" in t]
    assert len(review) == 7 and len(gate) == 6
    for number, text in review:
        rule = text.split("# expect: ")[1].split()[0]
        f = found[(number, rule)]
        assert (f.severity, f.evidence) == (Severity.LOW, "review"), text
        first = text.split("(review: `")[1].rsplit("`", 1)[0]
        assert f"it follows `{first}`, a value the program chose at the start of the URL" in f.message, f.message
        assert "review" in f.properties["tags"]
    for number, text in gate:
        rule = text.split("# expect: ")[1].split()[0]
        f = found[(number, rule)]
        assert f.evidence == "flow" and f.severity >= Severity.MEDIUM, text
    safe = [i for i, t in enumerate(lines, 1) if "# ok: PY403" in t]
    assert safe and not any((i, "PY403") in found for i in safe)
