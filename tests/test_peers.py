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


def test_unmapped_peer_rules_are_kept_under_a_named_threat(all_peers):
    findings, _, _ = all_peers
    b404 = [f for f in findings if f["rule_id"] == "bandit/B404"]
    assert b404 and b404[0]["threats"] == ["PEER-UNMAPPED"]


def test_one_sarif_run_that_validates(all_peers):
    _, sarif, _ = all_peers
    log = json.loads(sarif.read_text())
    assert len(log["runs"]) == 1
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    engines = {r["properties"]["engine"] for r in log["runs"][0]["results"]}
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


def test_default_runs_installed_peers_only(tmp_path):
    (tmp_path / "app.py").write_text("import subprocess\n")
    out = cli("scan", ".", "--fail-on", "none", "--format", "json", path=peer_path("bandit"), cwd=tmp_path)
    assert {f["engine"] for f in json.loads(out.stdout)["findings"]} == {"bandit"}


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
