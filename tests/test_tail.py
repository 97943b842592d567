"""The findings' tail (tail.py): each stage in its place, and every order-sensitive pair of stages tested as a user
would notice it (severity and message agree, a review finding is never escalated, a suppressed or baselined finding
is not counted, the gate ignores what it should ignore); the same results for any number of processes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from threatscan import tail as tail_mod
from threatscan.cli import main
from threatscan.model import Finding, FlowStep, Location, Related, Severity
from threatscan.scan import PARALLEL_MIN_FILES, ScanOptions, run_scan
from threatscan.suppress import parse_directives
from threatscan.tail import STAGES, Tail, gates, is_test_code, run_tail
from threatscan.threatmodel import apply_threat_model, load_threat_model

FLASK_RUN = """\
import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    name = request.args.get("name")
    os.system("echo " + name)
    subprocess.run(
        "echo " + name,
        shell=True,
    )  # threatscan: ignore[PY101] the name is checked by the proxy in front
    return "ok"
"""

MITIGATED = """\
system: shop
threats:
  - id: SHOP-1
    title: Commands built from request data
    stride: [elevation-of-privilege]
    status: mitigated
    controls: [PY102]
"""


def invoke(*args: str, cwd: Path | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _rows(result):
    return [(f.rule_id, f.location.path, f.location.line, f.severity, f.message, f.fingerprint,
             f.suppression is not None, tuple(r.location for r in f.related)) for f in result.findings]


def test_the_stages_run_in_the_documented_order():
    assert [name for name, _ in STAGES] == ["peers", "evidence", "severity", "threats", "suppress", "fingerprints",
                                            "diff", "baseline", "redact", "line-hashes"]
    doc = tail_mod.__doc__
    assert [doc.index(f"\n    {name} ") for name, _ in STAGES] == sorted(doc.index(f"\n    {name} ") for name, _ in STAGES)


# --- suppressions: the same for any number of processes ----------------------------------------------------------
def test_suppression_on_the_closing_line_of_a_statement_for_every_jobs(tmp_path, catalog):
    for i in range(PARALLEL_MIN_FILES + 6):
        (tmp_path / f"app{i:02}.py").write_text(FLASK_RUN)
    one = run_scan(ScanOptions(paths=[str(tmp_path)], jobs=1), catalog)
    two = run_scan(ScanOptions(paths=[str(tmp_path)], jobs=2), catalog)
    assert (one.jobs, two.jobs) == (1, 2)
    assert _rows(one) == _rows(two)
    by_rule = {}
    for f in one.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    assert len(by_rule["PY101"]) == PARALLEL_MIN_FILES + 6
    assert all(f.suppression is not None and "proxy" in f.suppression.justification for f in by_rule["PY101"])
    assert all(f.suppression is None for f in by_rule["PY102"]), "the suppression names PY101 only"
    assert "TS001" not in by_rule


def test_a_suppression_shown_in_a_docstring_is_not_a_suppression(tmp_path, catalog):
    (tmp_path / "helpers.py").write_text(
        '"""Suppress a finding like this:\n\n    os.system(cmd)  # threatscan: ignore[PY102] reason\n"""\n'
        "import os\n\n\ndef run(cmd):\n    return 1\n")
    assert parse_directives("helpers.py", (tmp_path / "helpers.py").read_text(), python=True) == []
    result = run_scan(ScanOptions(paths=[str(tmp_path)]), catalog)
    assert [f.rule_id for f in result.findings] == [], "no TS001 'suppresses nothing' for text in a string"


def test_yaml_and_xml_comments_still_suppress():
    yaml_text = "Resources:\n  B:  # threatscan: ignore[IAC001] public website\n    Type: AWS::S3::Bucket\n"
    [d] = parse_directives("t.yaml", yaml_text)
    assert (d.line, d.rules, d.reason) == (2, ("IAC001",), "public website")
    xml = '<manifest>\n  <!-- threatscan: ignore[AND104] read-only -->\n  <provider android:exported="true"/>\n</manifest>\n'
    [d] = parse_directives("AndroidManifest.xml", xml)
    assert d.standalone and d.next_code_line == 3


def test_a_suppressed_finding_is_not_counted_and_does_not_gate(tmp_path):
    (tmp_path / "app.py").write_text(
        "import os\nfrom flask import request\n\n\ndef view():\n"
        "    os.system(request.args['x'])  # threatscan: ignore[PY102] sandboxed worker, see ADR-7\n")
    out = invoke("scan", str(tmp_path))
    assert out.exit_code == 0, out.output
    assert "0 findings" in out.stdout and "1 suppressed" in out.stdout


# --- severity: configured severity, then the threat model ---------------------------------------------------------
@pytest.fixture
def shop(tmp_path):
    (tmp_path / "app.py").write_text(FLASK_RUN.replace("  # threatscan: ignore[PY101] the name is checked by the proxy in front", ""))
    (tmp_path / "threatmodel.yaml").write_text(MITIGATED)
    return tmp_path


def test_a_low_override_never_says_a_mitigated_threat_is_violated(shop):
    (shop / ".threatscan.toml").write_text('[severity]\nPY102 = "low"\n')
    data = json.loads(invoke("scan", str(shop), "-f", "json", "--fail-on", "none").stdout)
    [f] = [f for f in data["findings"] if f["rule_id"] == "PY102"]
    violated = "marked mitigated" in f["message"]
    assert violated == (f["severity"] == "critical"), "message and severity tell the same story"
    assert violated, "the threat model's word on a mitigated threat comes after the rule's configured severity"
    assert invoke("scan", str(shop)).exit_code == 1


def _finding(path="app.py", line=5, evidence="", rule="PY102", **kw) -> Finding:
    return Finding(rule, Location(path, line, 5), "Command injection.", Severity.HIGH, threats=("SHOP-1",),
                   fingerprint=f"fp-{path}-{line}", evidence=evidence, **kw)


def _tail(catalog, **kw) -> Tail:
    return Tail(catalog=catalog, options=ScanOptions(**kw))


def test_a_review_finding_is_low_tagged_and_never_escalated(shop, catalog):
    tm = load_threat_model(shop / "threatmodel.yaml", catalog)
    cat = apply_threat_model(catalog, tm)
    seen, review = run_tail([_finding(line=5), _finding(line=9, evidence="review")],
                            _tail(cat, threat_model=tm, severity={"PY102": Severity.HIGH}))
    assert seen.severity == Severity.CRITICAL and "marked mitigated" in seen.message
    assert review.severity == Severity.LOW and "mitigated" not in review.message
    assert review.precision == "low" and "review" in review.properties["tags"]
    assert not gates(review, Severity.LOW), "a review finding never fails the gate"
    assert gates(seen, Severity.HIGH)


def test_test_code_is_classified_tagged_and_gated_only_when_asked(catalog):
    assert is_test_code("tests/test_app.py") and is_test_code("pkg/app_test.py") and is_test_code("conftest.py")
    assert is_test_code("examples/demo.py") and is_test_code("docs/conf.py")
    assert not is_test_code("app/testimony.py") and not is_test_code("contest.py") and not is_test_code("src/app.py")
    [shipping, test] = run_tail([_finding("app.py"), _finding("tests/test_app.py")], _tail(catalog))
    assert (shipping.code_kind, test.code_kind) == ("", "test")
    assert "test-code" in test.properties["tags"] and "tags" not in shipping.properties
    assert gates(shipping, Severity.HIGH) and not gates(test, Severity.HIGH) and gates(test, Severity.HIGH, test_code=True)


def test_test_code_does_not_fail_the_default_gate_unless_configured(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(FLASK_RUN)
    out = invoke("scan", str(tmp_path))
    assert out.exit_code == 0 and "tests/test_app.py" in out.stdout, out.output
    assert invoke("scan", str(tmp_path), "--fail-on-test-code").exit_code == 1
    (tmp_path / ".threatscan.toml").write_text("fail-on-test-code = true\n")
    assert invoke("scan", str(tmp_path)).exit_code == 1


# --- fingerprints, diff and baseline ----------------------------------------------------------------------------
def test_fingerprints_do_not_depend_on_what_the_diff_sets_aside(catalog):
    twins = [_finding(line=3), _finding(line=8)]  # the same code twice: the second gets a derived fingerprint
    full = run_tail(list(twins), _tail(catalog))
    diff = run_tail(list(twins), Tail(catalog=catalog, options=ScanOptions(), changed={"app.py": {8}}))
    assert [f.line_hash for f in diff] == [""] and diff[0].fingerprint == full[1].fingerprint != full[0].fingerprint


def test_a_finding_stays_in_a_diff_through_its_flow_or_a_related_location(catalog):
    flow = _finding(line=12, flow=(FlowStep(Location("app.py", 11, 12), "source"), FlowStep(Location("app.py", 12, 5), "sink")))
    linked = _finding("handler.py", 4, related=(Related(Location("template.yaml", 9, 7), "handler"),))
    elsewhere = _finding("other.py", 2)
    changed = {"app.py": {11}, "template.yaml": {9}, "other.py": {7}}
    t = Tail(catalog=catalog, options=ScanOptions(), changed=changed)
    kept = run_tail([flow, linked, elsewhere], t)
    assert [f.location.path for f in kept] == ["app.py", "handler.py"]
    assert t.set_aside["outside-diff"] == 1


def test_baselined_findings_are_counted_in_the_summary(tmp_path):
    (tmp_path / "app.py").write_text(FLASK_RUN)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert invoke("baseline", "write", str(tmp_path / "base.json"), str(tmp_path)).exit_code == 0
    out = invoke("scan", str(tmp_path), "--baseline", str(tmp_path / "base.json"))
    assert out.exit_code == 0, out.output
    assert "0 findings" in out.stdout and "1 baselined" in out.stdout and "1 suppressed" in out.stdout
    quiet = invoke("scan", str(tmp_path), "--baseline", str(tmp_path / "base.json"), "-q")
    assert quiet.stdout.strip() == out.stdout.strip().splitlines()[-1]


# --- diff scans that see what a change affects -------------------------------------------------------------------
HANDLER = """\
import subprocess


def run(event, context):
    return helper(event)


def helper(event):
    subprocess.run(event["cmd"], shell=True)
"""
TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
FUNCTION = ("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.run\n"
            "      Runtime: python3.12\n")


def _git_repo(path: Path, files: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    for args in (["add", "-A"], ["-c", "user.email=a@b.invalid", "-c", "user.name=a", "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


def test_a_template_that_newly_links_a_handler_brings_its_findings_into_the_diff(tmp_path, catalog):
    repo = _git_repo(tmp_path, {"src/app.py": HANDLER, "template.yaml": TEMPLATE})
    (repo / "template.yaml").write_text(TEMPLATE + FUNCTION)  # only the template changes
    result = run_scan(ScanOptions(paths=[str(repo)], diff_base="HEAD"), catalog)
    [py] = [f for f in result.findings if f.location.path == "src/app.py"]
    assert py.rule_id == "PY101" and py.location.line == 9
    assert any(r.location.path == "template.yaml" and r.location.line == 9 for r in py.related), \
        "the finding points at the template line that deploys its code"
    assert {f.rel for f in result.files} == {"template.yaml", "src/app.py"}


def test_a_changed_helper_brings_its_callers_into_the_diff(tmp_path, catalog):
    repo = _git_repo(tmp_path, {
        "web/util.py": "def clean(value):\n    return value.strip()\n",
        "web/views.py": "import os\nfrom flask import request\nfrom web.util import clean\n\n\ndef view():\n"
                        "    os.system(clean(request.args['x']))\n",
        "web/other.py": "def unrelated():\n    return 1\n",
    })
    (repo / "web" / "util.py").write_text("def clean(value):\n    return value\n")
    result = run_scan(ScanOptions(paths=[str(repo)], diff_base="HEAD"), catalog)
    assert {f.rel for f in result.files} == {"web/util.py", "web/views.py"}


def test_a_one_file_diff_says_one_file_scanned(tmp_path):
    repo = _git_repo(tmp_path, {f"m{i}.py": "x = 1\n" for i in range(12)})
    (repo / "m3.py").write_text("x = 2\n")
    out = invoke("scan", str(repo), "--diff", "HEAD")
    assert out.exit_code == 0 and "0 findings in 1 file scanned" in out.stdout, out.output
