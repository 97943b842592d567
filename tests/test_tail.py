"""The findings' tail (tail.py): each stage in its place, and every order-sensitive pair of stages tested as a user
would notice it (severity and message agree, a review finding is never escalated, a suppressed or baselined finding
is not counted, the gate ignores what it should ignore); the same results for any number of processes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import on_a_terminal
from threatscan.findings import tail as tail_mod
from threatscan.cli import main
from threatscan.model import Finding, FlowStep, Location, Related, Severity
from threatscan.scan import PARALLEL_MIN_FILES, ScanOptions, run_scan
from threatscan.findings.suppress import parse_directives
from threatscan.findings.tail import STAGES, Tail, gates, is_test_code, is_vendored_code, run_tail
from threatscan.threats.threatmodel import apply_threat_model, load_threat_model

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
                                            "non-shipping", "diff", "baseline", "redact", "line-hashes"]
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
    seen, review, in_tests = run_tail([_finding(line=5), _finding(line=9, evidence="review"),
                                       _finding("tests/test_app.py", 3)],
                                      _tail(cat, threat_model=tm, severity={"PY102": Severity.HIGH}))
    assert in_tests.severity == Severity.LOW and "mitigated" not in in_tests.message, "test code is capped, not raised"
    assert in_tests.properties["severityInShippingCode"] == "high", "the configured severity is kept for triage"
    assert "SHOP-1" in in_tests.threats and "violatesMitigatedThreats" not in in_tests.properties
    assert seen.severity == Severity.CRITICAL and "marked mitigated" in seen.message
    assert review.severity == Severity.LOW and "mitigated" not in review.message
    assert review.precision == "low" and "review" in review.properties["tags"]
    assert not gates(review, Severity.LOW), "a review finding never fails the gate"
    assert gates(seen, Severity.HIGH)


def test_test_code_is_classified_tagged_and_gated_only_when_asked(catalog):
    assert is_test_code("tests/test_app.py") and is_test_code("pkg/app_test.py") and is_test_code("conftest.py")
    assert is_test_code("examples/demo.py") and is_test_code("docs/conf.py")
    assert not is_test_code("app/testimony.py") and not is_test_code("contest.py") and not is_test_code("src/app.py")
    assert not is_test_code("app/src/main/java/com/example/shop/Pay.kt"), "a Java package name is not a directory kind"
    assert is_test_code("end_to_end_tests/helpers.py") and is_test_code("integration-tests/conftest_utils.py")
    assert is_test_code("e2e/login_flow.py") and is_test_code("e2e_suite/harness.py") and is_test_code("web/e2e-ui/a.py")
    assert not is_test_code("integrations/slack.py") and not is_test_code("ab_test/variant.py")
    assert is_test_code("contrib/loadtesting/locust/locustfile2.py") and is_test_code("bench/locustfile.py")
    assert is_test_code("loadtests/users.py") and not is_test_code("app/locust_stats.py")
    assert is_test_code("shop/tests.py") and is_test_code("testing/util.py") and not is_test_code("shop/latest.py")
    assert is_test_code("chalice/token_authorizer_tests.py") and not is_test_code("shop/contests.py")
    assert is_test_code("backend/mock_oidc_provider/views.py") and not is_test_code("app/mockups/views.py")
    assert not is_test_code("contests/views.py") and not is_test_code("attestations/sign.py")
    assert is_test_code("api/e2etests/e2e_seed_data.py") and is_test_code("functionaltests/test_x.py")
    assert not is_test_code("chat/e2ee/keys.py"), "end-to-end encryption is production code"
    assert is_test_code("test_project/test_project/settings.py") and is_test_code("testproject/settings.py")
    assert is_test_code("test-harness/run.py") and not is_test_code("testimonials/views.py")
    assert is_test_code(".github/upgrade-test/upgrade_check.py") and is_test_code(".gitlab/ci/seed.py")
    # behave's acceptance tests (mytardis, §3x): step definitions and hooks; a `features` app is production code
    assert is_test_code("features/steps/exp_sharing.py") and is_test_code("features/environment.py")
    assert is_test_code("integtests/clients/cognito_client.py"), "genai-llm-chatbot's integration tests (§3y)"
    assert not is_test_code("shop/features/views.py") and not is_test_code("features/steps.py")
    assert not is_test_code("app/integrations/github.py"), "a GitHub integration is production code"
    assert is_test_code("examples/demo-app/src/main/java/com/acme/Main.java")
    [shipping, test] = run_tail([_finding("app.py"), _finding("tests/test_app.py")], _tail(catalog))
    assert (shipping.code_kind, test.code_kind) == ("", "test")
    assert "test-code" in test.properties["tags"] and "tags" not in shipping.properties
    assert (shipping.severity, test.severity) == (Severity.HIGH, Severity.LOW), "test code is capped at low"
    assert test.properties["severityInShippingCode"] == "high"
    assert gates(shipping, Severity.HIGH) and not gates(test, Severity.HIGH) and not gates(test, Severity.LOW)
    [kept] = run_tail([_finding("tests/test_app.py")], _tail(catalog, test_code_severity=True))
    assert kept.severity == Severity.HIGH and gates(kept, Severity.HIGH, test_code=True), "a team gating tests"


def test_mocks_nox_sessions_and_benchmark_packages_are_test_code(catalog):
    for path in ("pkg/mocks/mock_store.py", "docker/mockservices/main.py", "dev/mock_server/app.py",
                 "noxfiles/ci_nox.py", "noxfile.py", "benchmarks/bench_parse.py",
                 "packages/shop-benchmark/shop_benchmark/runner.py", "perf/load_benchmarks/users.py",
                 "king_phisher/testing.py", "common/testutils.py",  # a package's test support
                 "pytest_pootle/fixtures/models/user.py", "tools/stress_testing/add_test_users.py"):
        assert is_test_code(path), path
    # production code that carries a near name: a benchmark feature, a Q&A app, a CI API, a mocking feature
    for path in ("dojo/benchmark/views.py", "qa/views.py", "forge/api/ci/jenkins.py", "emulator/mock/engine.py",
                 "services/local_mocking/mock_config.py", "backend/product-mock-service/handler.py",
                 "bench/run.py", "app/mockup.py", "app/mocks.py", "aws_sra_examples/solutions/app.py",
                 "abtests/ab_testing.py"):
        assert not is_test_code(path), path
    mock, seeded, own = run_tail([_finding("site/mocks/mock_db.py"), _finding("noxfiles/ci_nox.py"),
                                  _finding("site/models.py")], _tail(catalog))
    assert (mock.code_kind, seeded.code_kind, own.code_kind) == ("test", "test", "")
    assert not gates(mock, Severity.LOW) and not gates(seeded, Severity.LOW) and gates(own, Severity.HIGH)


def test_qa_scripts_and_sample_apps_are_test_code_but_packages_of_those_names_are_not(tmp_path, catalog):
    seed = "import psycopg2\n\nconn = psycopg2.connect(host='db', user='admin', password='Qa-Seed-7f3k!x2')\n"
    for rel, text in {"qa/scenarios/seed_users.py": seed, "qa/__main__.py": "print('run a scenario')\n",
                      "forum/qa/__init__.py": "", "forum/qa/models.py": seed,
                      "forum/settings_db.py": seed, "sample/obo_app.py": seed,
                      "lab/samples/__init__.py": "", "lab/samples/models.py": seed}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = {f.location.path: f for f in run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path),
                                                  catalog).findings if f.rule_id == "PY202"}
    script = found["qa/scenarios/seed_users.py"]
    assert script.code_kind == "test" and not gates(script, Severity.LOW), "a QA script's seeded password"
    app = found["forum/qa/models.py"]
    assert app.code_kind == "" and gates(app, Severity.MEDIUM), "the Q&A app is a package: production code"
    assert found["forum/settings_db.py"].code_kind == ""
    assert found["sample/obo_app.py"].code_kind == "test", "a sample application beside the code"
    assert found["lab/samples/models.py"].code_kind == "", "a laboratory's samples app is a package"


def test_a_management_command_that_makes_demo_or_test_data_is_test_code(catalog):
    for path in ("reports/home/management/commands/generate_test_data.py", "gym/management/commands/dummy-generator.py",
                 "core/management/commands/devdata.py", "base/management/commands/create_random_data.py",
                 "shop/management/commands/fake.py", "trans/management/commands/import_demo.py"):
        assert is_test_code(path), path
    for path in ("cookbook/management/commands/seed_basic_data.py", "base/management/commands/load_initial_data.py",
                 "dojo/management/commands/initialize_test_types.py", "users/management/commands/createadmin.py",
                 "shop/demo_data.py", "shop/commands/generate_test_data_view.py"):
        assert not is_test_code(path), path
    admin, seeded = run_tail([_finding("site/management/commands/generate_test_data.py", rule="PY202"),
                              _finding("site/management/commands/createadmin.py", rule="PY202")], _tail(catalog))
    assert seeded.code_kind == "test" and not gates(seeded, Severity.LOW), "the demo users' password"
    assert admin.code_kind == "" and gates(admin, Severity.HIGH), "an admin made on a production site"


def test_a_directory_of_snippets_to_copy_is_example_code(catalog):
    assert is_test_code("config/settings/local.d.examples/debug_toolbar.py")
    assert is_test_code("conf/plugins.example/extra.py")
    assert not is_test_code("config/settings/local.d/debug_toolbar.py"), "the directory the snippets go to is real"
    [snippet] = run_tail([_finding("config/settings/local.d.examples/debug_toolbar.py")], _tail(catalog))
    assert snippet.code_kind == "test" and snippet.severity == Severity.LOW


def test_a_known_format_credential_in_test_code_keeps_its_severity(catalog):
    key = Finding("PY203", Location("tests/test_api.py", 3, 1), "An AWS access key id.", Severity.HIGH,
                  precision="high")
    guess = key.with_(rule_id="PY202", precision="medium", location=Location("tests/test_api.py", 4, 1))
    leaked, named = run_tail([key, guess], _tail(catalog))
    assert leaked.severity == Severity.HIGH and "test-code" in leaked.properties["tags"], "a leak wherever it sits"
    assert named.severity == Severity.LOW, "a password-like name in a test is a test's own value"


def test_example_plugins_and_vendored_copies_are_classified_and_kept_out_of_the_gate(catalog):
    assert is_test_code("ckanext/example_iauthenticator/plugin.py") and is_test_code("pkg/examples_v2/app.py")
    assert not is_test_code("app/exampleview.py") and not is_test_code("app/example_views.py")
    assert is_vendored_code("src/pkg/vendor/sockjs/handler.py") and is_vendored_code("pip/_vendor/requests/api.py")
    assert is_vendored_code("third_party/lib.py") and not is_vendored_code("app/vendors.py")
    assert not is_vendored_code("shop/vendor.py"), "a module named vendor is the project's own"
    example, own, vendored = run_tail([_finding("ckanext/example_auth/plugin.py"), _finding("pkg/vendor/x/y.py"),
                                       _finding("pkg/vendor.py")], _tail(catalog))
    assert (example.code_kind, vendored.code_kind, own.code_kind) == ("test", "vendored", "")
    assert "vendored" in vendored.properties["tags"] and vendored.severity == Severity.LOW < own.severity, \
        "tagged and capped: another project's code"
    assert not gates(vendored, Severity.HIGH) and not gates(example, Severity.LOW)
    assert not gates(example, Severity.HIGH) and gates(own, Severity.HIGH)


def test_test_code_does_not_fail_the_default_gate_unless_configured(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(FLASK_RUN)
    out = invoke("scan", str(tmp_path))
    assert out.exit_code == 0 and "tests/test_app.py" in out.stdout, out.output
    assert "LOW  (test-code)" in out.stdout, "the report says why it does not fail the gate"
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
    data = json.loads(invoke("scan", str(tmp_path), "--baseline", str(tmp_path / "base.json"), "-f", "json").stdout)
    assert data["set_aside"] == {"suppressed": 1, "baselined": 1}


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
    """The PR only removes the quoting inside a helper of another module: the caller's sink line is unchanged, the
    flow passes through the changed helper, so the diff reports the new injection."""
    repo = _git_repo(tmp_path, {
        "web/__init__.py": "",
        "web/util.py": "import shlex\n\n\ndef clean(value):\n    return shlex.quote(value)\n",
        "web/views.py": "import os\nfrom flask import request\nfrom web.util import clean\n\n\ndef view():\n"
                        "    os.system('echo ' + clean(request.args['x']))\n",
        "web/other.py": "def unrelated():\n    return 1\n",
    })
    (repo / "web" / "util.py").write_text("import shlex\n\n\ndef clean(value):\n    return value.strip()\n")
    result = run_scan(ScanOptions(paths=[str(repo)], diff_base="HEAD"), catalog)
    assert {f.rel for f in result.files} == {"web/util.py", "web/views.py"}
    [f] = result.findings
    assert (f.rule_id, f.location.path, f.location.line, f.severity) == ("PY102", "web/views.py", 7, Severity.HIGH)
    assert any(step.location.path == "web/util.py" for step in f.flow)


def test_a_one_file_diff_says_one_file_scanned(tmp_path):
    repo = _git_repo(tmp_path, {f"m{i}.py": "x = 1\n" for i in range(12)})
    (repo / "m3.py").write_text("x = 2\n")
    out = invoke("scan", str(repo), "--diff", "HEAD")
    assert out.exit_code == 0 and "0 findings in 1 file scanned" in out.stdout, out.output


# --- reports agree ------------------------------------------------------------------------------------------------
def test_markdown_top_findings_rank_eval_of_request_data_before_a_cookie_flag(catalog):
    from threatscan.report import markdown

    cookie = Finding("PY301", Location("a_cookies.py", 3), "Cookie without Secure.", Severity.HIGH, fingerprint="c")
    evaluated = Finding("PY104", Location("z_views.py", 9), "eval of request data.", Severity.HIGH, fingerprint="e",
                        evidence="flow")
    unseen = Finding("PY104", Location("b.py", 1), "eval of something.", Severity.HIGH, fingerprint="u")
    text = markdown.render([cookie, unseen, evaluated], [], catalog, files=3)
    rows = [line for line in text.splitlines() if line.startswith("| high | PY")]
    assert [r.split("|")[2].strip() for r in rows] == ["PY104", "PY104", "PY301"]
    assert "z_views.py" in rows[0], "a shown flow first"


def test_markdown_mentions_the_sarif_report_only_when_one_was_written(catalog):
    from threatscan.report import markdown

    many = [Finding("PY102", Location(f"m{i:02}.py", 1), "x", Severity.HIGH, fingerprint=str(i)) for i in range(25)]
    assert "5 more findings are in the SARIF report" in markdown.render(many, [], catalog, files=25, sarif_written=True)
    without = markdown.render(many, [], catalog, files=25)
    assert "SARIF report" not in without and "5 more findings" in without


def test_quiet_shows_no_notice_the_normal_output_hides(tmp_path):
    (tmp_path / "broken.py").write_text("import subprocess\n\ndef f(:\n    subprocess.run('ls', shell=True)\n")
    (tmp_path / "new.py").write_text("def f(x):\n    match x:\n        case 1:\n            return 1\n")
    normal = invoke("scan", str(tmp_path), "-f", "json")
    quiet = invoke("scan", str(tmp_path), "-f", "json", "-q")
    assert "broken.py" in normal.stderr
    assert quiet.stderr == "", "-q prints only the summary line (and here the report goes to stdout)"
    summary = invoke("scan", str(tmp_path), "-q").stdout.strip()
    assert summary.endswith("; 1 notice"), "the count is of the notices the normal output shows, not the hidden notes"


def _on_a_terminal(*args: str) -> str:
    """stdout and stderr on one pseudo-terminal, as a user sees them."""
    return on_a_terminal(*args, term="dumb")


def test_a_notice_prints_once_on_a_terminal(tmp_path):
    (tmp_path / "broken.py").write_text("import subprocess\n\ndef f(:\n    subprocess.run('ls', shell=True)\n")
    screen = _on_a_terminal("scan", str(tmp_path), "--no-color")
    assert screen.count("broken.py") == 1, screen
    assert screen.count("syntax error") == 1, screen


def test_a_pull_request_that_removes_a_sanitiser_reports_the_flow(tmp_path, catalog):
    before = ("import os\nfrom flask import request\nfrom shlex import quote\n\n\ndef view():\n"
              "    name = request.args['name']\n    step = 1\n    step += 1\n    name = quote(name)\n"
              "    step += 1\n    step += 1\n    os.system('echo ' + name)\n")
    repo = _git_repo(tmp_path, {"app.py": before})
    assert not [f for f in run_scan(ScanOptions(paths=[str(repo)]), catalog).findings if f.severity >= Severity.HIGH]
    (repo / "app.py").write_text(before.replace("    name = quote(name)\n", ""))  # only a deletion, between steps
    result = run_scan(ScanOptions(paths=[str(repo)], diff_base="HEAD"), catalog)
    [f] = result.findings
    assert (f.rule_id, f.location.line, f.severity) == ("PY102", 12, Severity.HIGH)
    assert not {s.location.line for s in f.flow} & {9, 10}, "no step lies next to the deleted line"


def test_a_configuration_file_users_copy_and_edit_is_example_code(catalog, fixtures_scan):
    for path in ("peering/configuration.example.py", "conf/settings.sample.py", "config.dist.py",
                 "site/local_settings_example.py", "deploy/config.example.yaml"):
        assert is_test_code(path), path
    for path in ("peering/configuration.py", "infra/stack.template.yaml", "app/examples_of_use.py", "sample.py"):
        assert not is_test_code(path), path
    rel = "fixtures/python/secrets/deploy/configuration.example.py"
    found = [f for f in fixtures_scan.findings if f.location.path == rel]
    assert {f.rule_id for f in found} == {"PY202", "PY204"}
    assert all(f.code_kind == "test" and "test-code" in f.properties["tags"] for f in found)
    capped, = run_tail([_finding("peering/configuration.example.py")], _tail(catalog))
    assert capped.code_kind == "test" and not gates(capped, Severity.HIGH), "an example's finding is not the gate's"
