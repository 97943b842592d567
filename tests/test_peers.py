"""Peer engines run for real (bandit, semgrep and checkov from .peers/, installed by scripts/test): their findings
are keyed to threats, merged with native findings on the same spot, kept in one SARIF run that validates, and a
peer that fails or prints garbage never costs a native result."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, validate_multitool, validate_schema

pytestmark = pytest.mark.external  # runs tools installed outside this package

PEERS = REPO / ".peers"
TARGETS = [str(FIXTURES / "python" / "code_execution"), str(FIXTURES / "cloudformation"),
           str(REPO / "rules" / "semgrep" / "python-web.py")]


def peer_path(*engines: str) -> str:
    dirs = []
    for e in engines:
        exe = PEERS / e / "bin" / e
        if not exe.exists():
            pytest.fail(f"{exe} is missing: run `bash scripts/install-peers` (scripts/test does)")
        dirs.append(str(exe.parent))
    return os.pathsep.join([*dirs, os.environ.get("PATH", "")])


def cli(*args: str, path: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path if path is not None else os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1200)


@pytest.fixture(scope="module")
def all_peers(tmp_path_factory):
    out = tmp_path_factory.mktemp("peers")
    proc = cli("scan", *TARGETS, "--engines", "bandit,semgrep,checkov", "--fail-on", "none",
               "--format", "json", "--output", str(out / "r.json"), "--format", "sarif", "--output", str(out / "r.sarif"),
               path=peer_path("bandit", "semgrep", "checkov"))
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "r.json").read_text())["findings"], out / "r.sarif", proc


def test_bandit_finding_merges_into_the_native_one(all_peers):
    findings, _, _ = all_peers
    shell = [f for f in findings if f["location"]["path"].endswith("shell_commands.py") and f["location"]["line"] == 13]
    assert [f["rule_id"] for f in shell] == ["PY101"], "bandit's B602 on the same line merged into PY101"
    assert shell[0]["properties"]["engines"] == ["bandit", "native"]
    assert shell[0]["properties"]["peerRules"] == ["bandit/B602"]


def test_semgrep_runs_threatscans_own_rules(all_peers):
    findings, _, _ = all_peers
    # bandit's B608 sees the same two queries: the three engines' findings merge into one per line
    sql = [f for f in findings if f["location"]["path"] == "rules/semgrep/python-web.py" and f["location"]["line"] in (50, 52)]
    assert len(sql) == 2
    for f in sql:
        assert "TS-INJ-SQL" in f["threats"]
        assert "semgrep/ts-dbapi-execute-formatted-sql" in {f["rule_id"], *f["properties"].get("peerRules", [])}
    # a semgrep finding on a line where a native rule (PY402, PY403 data flow) finds the same flaw folds into it
    semgrep_rules = {f["rule_id"] for f in findings if f["engine"] == "semgrep"}
    semgrep_rules |= {r for f in findings for r in f["properties"].get("peerRules", []) if r.startswith("semgrep/")}
    assert semgrep_rules >= {
        "semgrep/ts-flask-template-string-from-request", "semgrep/ts-flask-redirect-from-request",
        "semgrep/ts-flask-send-file-from-request"}


def test_checkov_findings_are_keyed_to_threats(all_peers):
    findings, _, _ = all_peers
    checkov = [f for f in findings if f["engine"] == "checkov"]
    assert checkov, "checkov reported on the CloudFormation fixtures"
    assert all(f["location"]["path"].startswith("fixtures/cloudformation/") for f in checkov)
    dlq = [f for f in checkov if f["properties"]["peerRuleId"] == "CKV_AWS_116"]
    assert dlq and dlq[0]["threats"] == ["TS-LOGGING"]
    # checkov's "Lambda in a VPC" sees what the native IAC110 sees, on the same line: one finding, both engines
    vpc = [f for f in findings if "checkov/CKV_AWS_117" in f["properties"].get("peerRules", [])]
    assert vpc and vpc[0]["rule_id"] == "IAC110" and vpc[0]["threats"] == ["TS-PRIV-ISOLATION"]


def test_unmapped_peer_rules_are_kept_under_a_named_threat_and_import_warnings_dropped(tmp_path):
    (tmp_path / "app.py").write_text("import pickle\nimport subprocess\n\n\ndef f(g):\n    try:\n        g()\n"
                                     "    except Exception:\n        pass\n")
    out = cli("scan", ".", "--engines", "bandit", "--fail-on", "none", "--format", "json", "--verbose",
              path=peer_path("bandit"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    findings = json.loads(out.stdout)["findings"]
    b110 = [f for f in findings if f["rule_id"] == "bandit/B110"]
    assert b110 and b110[0]["threats"] == ["PEER-UNMAPPED"]
    # an import is no finding of any threat: B403 (pickle) and B404 (subprocess) are left out, with a note
    assert not [f for f in findings if f["rule_id"] in ("bandit/B403", "bandit/B404")]
    assert "2 results of B403, B404 left out" in out.stderr


def test_one_sarif_run_that_validates(all_peers):
    _, sarif, _ = all_peers
    log = json.loads(sarif.read_text())
    assert len(log["runs"]) == 1
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    # every engine's findings are in the run: standalone, or merged into a native result that names them
    engines = {r["properties"]["engine"] for r in log["runs"][0]["results"]}
    engines |= {e for r in log["runs"][0]["results"] for e in r["properties"].get("engines", [])}
    assert engines == {"native", "bandit", "semgrep", "checkov"}
    assert all(r["ruleId"] in ids for r in log["runs"][0]["results"])
    assert validate_schema(log) == []
    validate_multitool(sarif)


def test_secret_values_from_peers_are_not_echoed(tmp_path):
    secret = "Sup3rS3cretPw!x9"
    (tmp_path / "settings.py").write_text(f'import requests\n\nDB_PASSWORD = "{secret}"\n'
                                          f'requests.post("https://api.example.net", auth=("u", "{secret}"))\n')
    out = cli("scan", ".", "--engines", "bandit", "--fail-on", "none", "--format", "sarif", "--output", "r.sarif",
              "--format", "json", "--output", "r.json", "--format", "text", path=peer_path("bandit"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    reports = (tmp_path / "r.sarif").read_text() + (tmp_path / "r.json").read_text() + out.stdout + out.stderr
    assert "B105" in reports or "PY202" in reports
    assert secret not in reports


def test_drop_unmapped_by_config(tmp_path):
    (tmp_path / "app.py").write_text("import subprocess\n\n\ndef f(cmd):\n    subprocess.run(cmd, shell=True)\n")
    (tmp_path / ".threatscan.toml").write_text('engines = ["bandit"]\npeer-unmapped = "drop"\n')
    out = cli("scan", ".", "--fail-on", "none", "--format", "json", path=peer_path("bandit"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    ids = [f["rule_id"] for f in json.loads(out.stdout)["findings"]]
    assert ids == ["PY101"] and "bandit/B404" not in ids


def test_peers_run_only_when_asked(tmp_path):
    """A bandit on PATH does not join a default scan (local and CI results would differ); --engines, the
    configuration's `engines` and `auto` ask for it."""
    (tmp_path / "app.py").write_text("import subprocess\n\n\ndef f(cmd):\n    subprocess.run(cmd, shell=True)\n")

    def engines(*args: str) -> set[str]:
        out = cli("scan", ".", "--fail-on", "none", "--format", "json", *args, path=peer_path("bandit"), cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        found = json.loads(out.stdout)["findings"]
        return {f["engine"] for f in found} | {e for f in found for e in f["properties"].get("engines", [])}

    assert engines() == {"native"}
    assert engines("--engines", "auto") == {"native", "bandit"}
    assert engines("--engines", "bandit") == {"native", "bandit"}
    (tmp_path / ".threatscan.toml").write_text('engines = ["bandit"]\n')
    assert engines() == {"native", "bandit"}


def test_requested_peer_that_is_missing_is_a_usage_error(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    out = cli("scan", ".", "--engines", "semgrep", path="/usr/bin:/bin", cwd=tmp_path)
    assert out.returncode == 2 and "semgrep was requested but is not installed" in out.stderr


@pytest.mark.parametrize("script, message", [
    ("echo 'Traceback: boom' >&2; exit 3", "bandit failed (exit 3)"),
    ("echo 'this is not json {'; exit 1", "bandit wrote output threatscan cannot read"),
    ("sleep 30", "did not finish"),
])
def test_a_broken_peer_is_a_notice_and_native_results_survive(tmp_path, script, message):
    fake = tmp_path / "bin"
    fake.mkdir()
    exe = fake / "bandit"
    exe.write_text(f"#!/bin/sh\n{script}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def f(x):\n    return eval(x)\n")
    env_path = f"{fake}{os.pathsep}/usr/bin{os.pathsep}/bin"
    args = ["scan", ".", "--engines", "bandit", "--fail-on", "none", "--format", "json"]
    if "sleep" in script:
        (repo / ".threatscan.toml").write_text("")
        os.environ["THREATSCAN_PEER_TIMEOUT"] = "2"
    try:
        out = cli(*args, path=env_path, cwd=repo)
    finally:
        os.environ.pop("THREATSCAN_PEER_TIMEOUT", None)
    assert out.returncode == 0, out.stderr
    assert [f["rule_id"] for f in json.loads(out.stdout)["findings"]] == ["PY104"]
    assert message in out.stderr


def test_semgrep_rule_tests_pass():
    semgrep = Path(peer_path("semgrep").split(os.pathsep)[0]) / "semgrep"
    out = subprocess.run([str(semgrep), "--test", "--metrics=off", "--disable-version-check", str(REPO / "rules" / "semgrep")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "All tests passed" in out.stdout + out.stderr


def test_mapping_tables_name_real_threats_cwes_and_rules(catalog):
    from threatscan.engines.peers import check_mappings, load_mappings

    mappings = load_mappings()
    assert check_mappings(catalog, mappings) == []
    assert len(mappings["bandit"]) >= 40 and len(mappings["checkov"]) >= 30 and len(mappings["semgrep"]) == 4


def test_rules_engine_lists_the_mapping():
    out = cli("rules", "--engine", "bandit")
    assert out.returncode == 0
    assert any(line.startswith("B602") and "TS-EXEC-CODE" in line and "PY101" in line for line in out.stdout.splitlines())


MERGE_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      StorageEncrypted: true
      MasterUsername: admin
      ManageMasterUserPassword: true
      PubliclyAccessible: true
  Ssh:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicRead
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/fn
      Code: {ZipFile: "def handler(e, c): return 1"}
      Environment:
        Variables:
          DB_PASSWORD: !Ref DbPassword
"""


@pytest.fixture(scope="module")
def steered(tmp_path_factory):
    """Configuration files a peer would honour, each doing harm if honoured: checkov's external checks (Python it
    imports) and a git URL it would clone, skip lists and ignore files that would silence every peer, modules
    that shadow the peers' own imports. None of them may run or change a result."""
    tmp_path = tmp_path_factory.mktemp("steer")
    marker = tmp_path / "MARKER"
    repo = tmp_path / "repo"
    (repo / "checks").mkdir(parents=True)
    harm = f"import pathlib\npathlib.Path({str(marker)!r}).write_text(__file__)\n"
    (repo / "checks" / "__init__.py").write_text(harm)
    (repo / "checks" / "evil_check.py").write_text(harm)
    for shadow in ("yaml.py", "json.py", "sitecustomize.py", "bandit.py", "checkov.py", "typing_extensions.py"):
        (repo / shadow).write_text(harm)
    # (external-checks-git, a URL to clone in the same file, is left out: with an unreachable URL there, checkov
    # never got as far as importing the directory, which would hide the import this test looks for)
    (repo / ".checkov.yaml").write_text("external-checks-dir: [checks]\n"
                                        "skip-check: [CKV_AWS_20, CKV_AWS_53, CKV_AWS_55]\nsoft-fail: true\n")
    (repo / ".bandit").write_text("[bandit]\nskips: B602,B404\nexclude: app.py\n")
    (repo / "pyproject.toml").write_text('[tool.bandit]\nskips = ["B602", "B404"]\nexclude_dirs = ["."]\n')
    (repo / ".semgrepignore").write_text("*.py\n")
    (repo / "app.py").write_text("import subprocess\nfrom flask import Flask, request, redirect\n\napp = Flask(__name__)\n\n\n"
                                 "@app.route('/go')\ndef go():\n    subprocess.run(request.args['c'], shell=True)\n"
                                 "    return redirect(request.args.get('next'))\n")
    # the template test_checkov_merges_with_the_native_finding_on_the_same_resource reads (its public bucket is
    # what the repository's skip-check would silence)
    (repo / "template.yaml").write_text(MERGE_TEMPLATE)
    # threatscan itself runs isolated (-I: the working directory is not on sys.path); the peers are what is tested
    env = {**os.environ, "PATH": peer_path("bandit", "semgrep", "checkov")}
    out = subprocess.run([sys.executable, "-I", "-m", "threatscan.cli", "scan", ".", "--engines", "bandit,semgrep,checkov",
                          "--fail-on", "none", "--format", "json"], cwd=repo, env=env, capture_output=True, text=True,
                         timeout=1200)
    assert out.returncode == 0, out.stderr
    return marker, json.loads(out.stdout)["findings"]


def test_a_repository_cannot_steer_the_peers(steered):
    """(The repository: see the `steered` fixture.) None of its configuration may run or change a result."""
    marker, findings = steered
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"
    rules = {f["rule_id"] for f in findings} | {r for f in findings for r in f["properties"].get("peerRules", [])}
    assert "bandit/B602" in rules, "the repository's .bandit / [tool.bandit] skips were honoured"
    assert any(r.startswith("semgrep/") for r in rules), "the repository's .semgrepignore was honoured"
    assert {"checkov/CKV_AWS_20", "checkov/CKV_AWS_53"} & rules, "the repository's .checkov.yaml skip-check was honoured"
    assert not any(r.startswith("checkov/CKV2_EVIL") or "evil" in r.lower() for r in rules)


def test_checkov_merges_with_the_native_finding_on_the_same_resource(steered):
    """checkov reports at the resource, the native rule at the property: RDS publicly accessible, SSH open to the
    Internet, S3 public ACLs, Lambda environment without a customer-managed key each give one result."""
    # MERGE_TEMPLATE, scanned with bandit, semgrep and checkov by the `steered` fixture (whose repository's
    # attempts to steer checkov are ignored: test_a_repository_cannot_steer_the_peers)
    _, found = steered
    findings = [f for f in found if f["location"]["path"] == "template.yaml"]
    by_rule = {f["rule_id"]: f for f in findings}
    expected = {"IAC143": "checkov/CKV_AWS_17", "IAC150": "checkov/CKV_AWS_24", "IAC141": "checkov/CKV_AWS_53",
                "IAC102": "checkov/CKV_AWS_173"}
    for native, peer in expected.items():
        assert native in by_rule, f"{native} missing: {sorted(by_rule)}"
        assert peer in by_rule[native]["properties"].get("peerRules", []), (native, by_rule[native]["properties"])
        assert peer not in by_rule, f"{peer} stayed a second result beside {native}"


def test_peer_suppression_comments_are_reported_as_suppressed_not_dropped(tmp_path):
    """`# nosec`, `# nosemgrep` and `checkov:skip=` in a scanned file do not make a peer finding vanish without a
    word: it is reported as suppressed (SARIF `suppressions`), with the comment's reason, and does not fail the
    gate."""
    (tmp_path / "app.py").write_text(
        "import subprocess\nfrom flask import Flask, request, redirect\n\napp = Flask(__name__)\n\n\n"
        "def f(cmd):\n    subprocess.Popen(cmd, shell=True)  # nosec B602 cmd comes from our own settings\n\n\n"
        "@app.route('/go')\ndef go():\n    return redirect(request.args.get('next'))  # nosemgrep\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Site:\n    # checkov:skip=CKV_AWS_53: a public website bucket\n    Type: AWS::S3::Bucket\n"
        "    Properties:\n      AccessControl: PublicRead\n")
    out = cli("scan", ".", "--engines", "bandit,semgrep,checkov", "--select", "AND114", "--fail-on", "low",
              "--format", "json", path=peer_path("bandit", "semgrep", "checkov"), cwd=tmp_path)
    findings = json.loads(out.stdout)["findings"]
    by_rule = {f["rule_id"]: f for f in findings}
    for rule, reason in (("bandit/B602", "cmd comes from our own settings"),
                         ("semgrep/ts-flask-redirect-from-request", "no reason given"),
                         ("checkov/CKV_AWS_53", "a public website bucket")):
        assert rule in by_rule, f"{rule} vanished: {sorted(by_rule)}"
        assert by_rule[rule]["suppression"] and reason in by_rule[rule]["suppression"]["justification"], by_rule[rule]
    unsuppressed = [f["rule_id"] for f in findings if not f["suppression"]]
    assert (out.returncode == 1) == bool(unsuppressed), (out.returncode, unsuppressed)
