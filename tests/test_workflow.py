"""Configuration, suppressions, baselines and diff scans, as a user runs them (the real CLI in this process, in real
git repos)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

VULNERABLE = '''import subprocess
from flask import request

def deploy():
    subprocess.run(request.args["cmd"], shell=True)
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    git(tmp_path, "config", "user.name", "t")
    return tmp_path


def commit(repo: Path, message: str = "c") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def threatscan(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=repo)


def findings(repo: Path, *args: str) -> list[dict]:
    out = threatscan(repo, "scan", ".", "--format", "json", "--fail-on", "none", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["findings"]


# --- configuration -------------------------------------------------------------------------------------------

def test_pyproject_config_selects_rules_and_overrides_severity(repo):
    (repo / "app.py").write_text(VULNERABLE + "\n\ndef run(x):\n    return eval(x)\n")
    (repo / "pyproject.toml").write_text('[tool.threatscan]\nselect = ["PY101"]\nseverity = { PY101 = "critical" }\n')
    got = findings(repo)
    assert [(f["rule_id"], f["severity"]) for f in got] == [("PY101", "critical")]
    # flags win over the file
    assert {f["rule_id"] for f in findings(repo, "--select", "PY104")} == {"PY104"}


def test_threatscan_toml_fail_on_and_exclude(repo):
    (repo / "app.py").write_text(VULNERABLE)
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.py").write_text(VULNERABLE)
    (repo / ".threatscan.toml").write_text('fail-on = "critical"\nexclude = ["vendor/*"]\n')
    out = threatscan(repo, "scan", ".", "--format", "json")
    assert out.returncode == 0, "a high finding does not fail a run configured to fail on critical only"
    assert {f["location"]["path"] for f in json.loads(out.stdout)["findings"]} == {"app.py"}
    assert threatscan(repo, "scan", ".", "--fail-on", "high").returncode == 1


@pytest.mark.parametrize("content, message", [
    ('colour = "red"\n', "unknown key"),
    ('select = 3\n', "expected a string or a list of strings"),
    ('select = ["PY999"]\n', "unknown rule id 'PY999'"),
    ('fail-on = "sometimes"\n', "expected one of"),
    ('severity = { PY101 = "dire" }\n', "unknown severity"),
    ('select = [\n', "not valid TOML"),
])
def test_bad_config_is_a_clear_error_naming_file_and_key(repo, content, message):
    (repo / "app.py").write_text(VULNERABLE)
    (repo / ".threatscan.toml").write_text(content)
    out = threatscan(repo, "scan", ".")
    assert out.returncode == 2
    assert ".threatscan.toml" in out.stderr and message in out.stderr


# --- suppressions --------------------------------------------------------------------------------------------

def test_suppressed_findings_stay_in_sarif_with_justification_unless_excluded(repo, tmp_path):
    (repo / "app.py").write_text(VULNERABLE.replace("shell=True)", "shell=True)  # threatscan: ignore[PY101] reviewed: cmd is constant"))
    out = threatscan(repo, "scan", ".", "--format", "sarif", "--output", "out.sarif")
    assert out.returncode == 0, "a suppressed finding does not fail the run"
    results = json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    assert [r["suppressions"] for r in results] == [[{"kind": "inSource", "justification": "reviewed: cmd is constant", "status": "accepted"}]]
    threatscan(repo, "scan", ".", "--format", "sarif", "--output", "up.sarif", "--exclude-suppressed")
    assert json.loads((repo / "up.sarif").read_text())["runs"][0]["results"] == []


def test_suppression_on_the_line_above_and_inside_a_multiline_call(repo):
    (repo / "app.py").write_text(
        "import subprocess\n\n\ndef a(cmd):\n"
        "    # threatscan: ignore[PY101] constant from settings\n"
        "    subprocess.run(cmd, shell=True)\n"
        "    subprocess.run(\n        cmd,\n        shell=True,  # threatscan: ignore[PY101] constant from settings\n    )\n"
        "    subprocess.run(cmd, shell=True)\n"
    )
    open_ = [f for f in findings(repo) if f["suppression"] is None]
    assert [(f["rule_id"], f["location"]["line"]) for f in open_] == [("PY101", 11)]


# --- baseline ------------------------------------------------------------------------------------------------

def test_baseline_survives_moves_and_reindent_but_not_a_changed_line(repo):
    app = repo / "app.py"
    app.write_text(VULNERABLE)
    out = threatscan(repo, "baseline", "write", "baseline.json", ".")
    assert out.returncode == 0, out.stderr
    text = (repo / "baseline.json").read_text()
    assert '"line"' not in text and "shell=True" not in text
    assert findings(repo, "--baseline", "baseline.json") == []
    # code moved down and re-indented, edits elsewhere: still known
    app.write_text("import os\nimport subprocess\nfrom flask import request\n\n\nclass Deployer:\n    def deploy(self):\n"
                   "        os.getcwd()\n        subprocess.run(request.args[\"cmd\"],  shell=True)\n")
    assert findings(repo, "--baseline", "baseline.json") == []
    # the finding's own line changes: new
    app.write_text(VULNERABLE.replace('subprocess.run(request.args["cmd"], shell=True)',
                                      'subprocess.run(request.args["cmd"] + " --force", shell=True)'))
    assert [f["rule_id"] for f in findings(repo, "--baseline", "baseline.json")] == ["PY101"]


def test_baseline_rewrite_is_byte_identical(repo):
    (repo / "app.py").write_text(VULNERABLE)
    threatscan(repo, "baseline", "write", "b1.json", ".")
    threatscan(repo, "baseline", "write", "b2.json", "app.py")
    assert (repo / "b1.json").read_bytes() == (repo / "b2.json").read_bytes()


def test_broken_baseline_is_a_usage_error(repo):
    (repo / "app.py").write_text(VULNERABLE)
    (repo / "b.json").write_text("{not json")
    out = threatscan(repo, "scan", ".", "--baseline", "b.json")
    assert out.returncode == 2 and "not a threatscan baseline" in out.stderr


# --- diff scans ----------------------------------------------------------------------------------------------

def test_diff_reports_only_changed_lines_of_changed_files(repo):
    (repo / "old.py").write_text(VULNERABLE)
    (repo / "app.py").write_text(VULNERABLE)
    (repo / "gone.py").write_text(VULNERABLE)
    commit(repo)
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "gone.py").unlink()
    (repo / "app.py").write_text(VULNERABLE + "\n\ndef again(cmd):\n    subprocess.call(cmd, shell=True)\n")
    (repo / "new.py").write_text("def run(expression):\n    return eval(expression)\n")
    commit(repo, "change")
    got = {(f["location"]["path"], f["location"]["line"]) for f in findings(repo, "--diff", base)}
    assert got == {("app.py", 9), ("new.py", 2)}
    whole = {(f["location"]["path"], f["location"]["line"]) for f in findings(repo, "--diff", base, "--diff-scope", "file")}
    assert whole == {("app.py", 5), ("app.py", 9), ("new.py", 2)}


def test_diff_with_unknown_base_is_a_usage_error(repo):
    (repo / "app.py").write_text(VULNERABLE)
    commit(repo)
    out = threatscan(repo, "scan", ".", "--diff", "no-such-rev")
    assert out.returncode == 2 and "no-such-rev" in out.stderr


def test_diff_outside_a_repository_says_why_git_failed(tmp_path):
    """Not 'no-such-rev is not a commit' alone: git's own reason (here: no repository) is shown with it."""
    (tmp_path / "app.py").write_text(VULNERABLE)
    out = threatscan(tmp_path, "scan", ".", "--diff", "HEAD")
    assert out.returncode == 2 and "'HEAD' is not a commit" in out.stderr
    assert "not a git repository" in out.stderr.lower(), out.stderr


def test_markdown_summary_counts_and_links(repo):
    (repo / "app.py").write_text(VULNERABLE)
    out = threatscan(repo, "scan", ".", "--format", "markdown", "--fail-on", "none",
                     "--link-base", "https://github.com/o/r/blob/abc")
    assert "| high | 1 |" in out.stdout
    assert "| TS-EXEC-CODE |" in out.stdout
    assert "(https://github.com/o/r/blob/abc/app.py#L5)" in out.stdout
