"""The command line as a user meets it: formats and output files, exit codes, rule selection, terminal output,
the catalogue commands, and output files that are never half-written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import on_a_terminal
from threatscan import __version__
from threatscan.cli import main

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# A high finding (request data reaches a shell) and a low one (a constant command through a shell).
HIGH_AND_LOW = """\
import os
from flask import request

def run():
    os.system(request.args["cmd"])


def listing():
    os.system("ls -l")
"""
LOW_ONLY = 'import os\n\nos.system("ls -l")\n'


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for rel, content in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(content)
    return path


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", {"app.py": HIGH_AND_LOW})


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def threatscan(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The installed command in a real process: exit codes as a CI job sees them."""
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, **kwargs)


# --- formats and outputs ----------------------------------------------------------------------------------------

def test_sarif_to_a_file_and_text_to_stdout_in_one_run(repo, tmp_path):
    out = tmp_path / "reports" / "scan.sarif"
    result = invoke("scan", str(repo), "--format", "sarif", "--output", str(out), "--format", "text", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text())
    assert sorted(r["ruleId"].split("/")[0] for r in log["runs"][0]["results"]) == ["PY102", "PY107"]  # (PY102/low: a variant)
    # The text report went to stdout: per file, line:column, rule id and name, severity, threats, a summary.
    assert "app.py" in result.stdout
    assert re.search(r"5:5\s+PY102 os-shell-command\s+HIGH\s+\[TS-EXEC-CODE", result.stdout)
    assert re.search(r"9:5\s+PY107 shell-constant-command\s+LOW", result.stdout)
    assert 'os.system(request.args["cmd"])' in result.stdout
    assert "2 findings (1 high, 1 low) in 1 file scanned" in result.stdout
    assert not list(out.parent.glob(".*.tmp"))


def test_json_and_sarif_files_with_nothing_on_stdout_but_the_summary(repo, tmp_path):
    sarif, data = tmp_path / "a.sarif", tmp_path / "a.json"
    result = invoke("scan", str(repo), "-f", "sarif", "-o", str(sarif), "-f", "json", "-o", str(data), "--fail-on", "none")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "2 findings" in result.stderr
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert [f["rule_id"] for f in json.loads(data.read_text())["findings"]] == ["PY102", "PY107"]


def test_two_formats_for_stdout_or_more_outputs_than_formats_are_usage_errors(repo, tmp_path):
    assert invoke("scan", str(repo), "-f", "json", "-f", "sarif").exit_code == 2
    assert invoke("scan", str(repo), "-f", "json", "-o", str(tmp_path / "a"), "-o", str(tmp_path / "b")).exit_code == 2


# --- exit codes ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fail_on,code", [("none", 0), ("low", 1), ("medium", 1), ("high", 1), ("critical", 0)])
def test_fail_on_with_a_high_finding(repo, fail_on, code):
    assert threatscan("scan", str(repo), "--fail-on", fail_on, "--quiet").returncode == code


@pytest.mark.parametrize("fail_on,code", [("low", 1), ("medium", 0), ("high", 0)])
def test_fail_on_with_only_a_low_finding(tmp_path, fail_on, code):
    repo = make_repo(tmp_path / "low", {"tool.py": LOW_ONLY})
    assert threatscan("scan", str(repo), "--fail-on", fail_on, "--quiet").returncode == code


def test_default_fail_on_is_high(repo, tmp_path):
    assert threatscan("scan", str(repo), "--quiet").returncode == 1
    low = make_repo(tmp_path / "low", {"tool.py": LOW_ONLY})
    assert threatscan("scan", str(low), "--quiet").returncode == 0


def test_usage_errors_exit_2(repo):
    unknown_rule = threatscan("scan", str(repo), "--select", "PY999999")
    assert unknown_rule.returncode == 2
    assert "PY999999" in unknown_rule.stderr
    assert threatscan("scan", str(repo), "--ignore", "NOPE1").returncode == 2
    assert threatscan("scan", str(repo), "--no-such-option").returncode == 2
    assert threatscan("scan", str(repo), "--fail-on", "sometimes").returncode == 2
    assert threatscan("scan", str(repo), "--format", "pdf").returncode == 2
    assert threatscan("rules", "show", "PY999999").returncode == 2
    assert threatscan("frobnicate").returncode == 2


# --- selection ----------------------------------------------------------------------------------------------------

def test_select_and_ignore(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": HIGH_AND_LOW + "\n\ndef calc(expr):\n    return eval(expr)\n"})

    def rules_found(*args):
        result = invoke("scan", str(repo), "-f", "json", "--fail-on", "none", *args)
        assert result.exit_code == 0, result.output
        return sorted(f["rule_id"] for f in json.loads(result.stdout)["findings"])

    assert rules_found() == ["PY102", "PY104", "PY107"]
    assert rules_found("--select", "PY104") == ["PY104"]
    assert rules_found("--select", "os-shell-command") == ["PY102"]  # a rule name works too
    assert rules_found("--select", "PY102,PY104", "--ignore", "PY104") == ["PY102"]
    assert rules_found("--ignore", "PY102", "--ignore", "PY104", "--ignore", "PY107") == []
    assert rules_found("--select", "PY10*") == ["PY102", "PY104", "PY107"]


# --- terminal output ----------------------------------------------------------------------------------------------

def test_quiet_prints_only_the_summary_line(repo):
    result = invoke("scan", str(repo), "--quiet", "--fail-on", "none")
    assert result.stdout.strip().splitlines() == ["2 findings (1 high, 1 low) in 1 file scanned"]


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Code:
        S3Bucket: artefacts
        S3Key: worker.zip
"""


def test_verbose_adds_notes_that_are_hidden_otherwise(tmp_path):
    repo = make_repo(tmp_path / "r", {"template.yaml": TEMPLATE, "app.py": HIGH_AND_LOW})
    plain = invoke("scan", str(repo), "--fail-on", "none")
    verbose = invoke("scan", str(repo), "--fail-on", "none", "--verbose")
    assert "note:" not in plain.output
    assert "note:" in verbose.stdout and "template.yaml" in verbose.stdout, "in the text report, once"
    assert "note:" not in verbose.stderr


def test_colour_only_on_a_terminal_unless_forced(repo):
    piped = invoke("scan", str(repo), "--fail-on", "none")
    assert not ANSI.search(piped.stdout)
    forced = invoke("scan", str(repo), "--fail-on", "none", "--color")
    assert ANSI.search(forced.stdout)
    assert ANSI.sub("", forced.stdout) == piped.stdout
    # A real terminal: colour by default, and --no-color turns it off.
    assert ANSI.search(_on_a_tty("scan", str(repo), "--fail-on", "none"))
    assert not ANSI.search(_on_a_tty("scan", str(repo), "--fail-on", "none", "--no-color"))


def _on_a_tty(*args: str) -> str:
    return on_a_terminal(*args, stderr=False)


# --- catalogue commands -------------------------------------------------------------------------------------------

def test_rules_lists_every_rule(catalog):
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for rule in catalog.rules.values():
        line = next((ln for ln in lines if ln.split()[:1] == [rule.id]), None)
        assert line is not None, rule.id
        assert rule.name in line and rule.severity.label in line
        for threat in rule.threats:
            assert threat in line


def test_rules_show_prints_the_whole_documentation(catalog):
    rule = catalog.rules["PY101"]
    result = invoke("rules", "show", "PY101")
    assert result.exit_code == 0
    out = result.stdout
    assert rule.title in out and rule.name in out
    for cwe in rule.cwe:
        assert f"CWE-{cwe}" in out
    for threat in rule.threats:
        assert threat in out
    assert "How to fix" in out and "Why it matters" in out
    assert invoke("rules", "show", rule.name).stdout == out  # by name too


def test_threats_lists_the_catalogue_and_the_uncovered_threats_honestly(catalog):
    result = invoke("threats")
    assert result.exit_code == 0
    out = result.stdout
    for threat in catalog.threats.values():
        assert threat.id in out
    uncovered = catalog.uncovered_threats()
    assert uncovered, "a catalogue with every threat checked would be news: check this test"
    summary = out.strip().splitlines()[-1]
    assert f"{len(uncovered)} with no rule yet" in summary
    for threat in uncovered:
        assert threat.id in summary
    only = invoke("threats", "--uncovered").stdout
    for threat in catalog.threats.values():
        listed = re.search(rf"^\s+{re.escape(threat.id)}\s", only, re.M) is not None
        assert listed == (threat in uncovered), threat.id


def test_threats_names_the_example_models_not_their_files(catalog):
    out = invoke("threats").stdout
    assert "000_" not in out and ".txt" not in out
    assert "ECOM-1 (Serverless e-commerce backend on AWS)" in out
    assert re.search(r"^\s+TS-INJ-SQL\s+SQL injection", out, re.M)


def test_version():
    result = threatscan("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout and "threatscan" in result.stdout


def test_python_dash_m_threatscan_is_the_command():
    """`python -m threatscan` works like the installed command (people reach for it in a venv without PATH)."""
    out = subprocess.run([sys.executable, "-m", "threatscan", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout, out.stderr


# --- never a half-written output file -----------------------------------------------------------------------------

def _crash(*_args, **_kwargs):
    raise RuntimeError("simulated crash while rendering")


def test_a_crash_while_rendering_leaves_no_output_file(repo, tmp_path, monkeypatch):
    out = tmp_path / "scan.sarif"
    monkeypatch.setattr("threatscan.report.sarif.build_log", _crash)
    result = invoke("scan", str(repo), "-f", "sarif", "-o", str(out), "--fail-on", "none")
    assert result.exit_code == 2
    assert "simulated crash" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".scan.sarif.*"))


def test_a_crash_while_rendering_keeps_the_old_file(repo, tmp_path, monkeypatch):
    out = tmp_path / "scan.sarif"
    out.write_text('{"previous": true}\n')
    monkeypatch.setattr("threatscan.report.sarif.build_log", _crash)
    result = invoke("scan", str(repo), "-f", "sarif", "-o", str(out), "--fail-on", "none")
    assert result.exit_code == 2
    assert out.read_text() == '{"previous": true}\n'


def test_a_crash_while_writing_keeps_the_old_file(repo, tmp_path, monkeypatch):
    out = tmp_path / "scan.json"
    out.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("threatscan.cli.os.replace", broken_replace)
    result = invoke("scan", str(repo), "-f", "json", "-o", str(out), "--fail-on", "none")
    assert result.exit_code == 2
    assert out.read_text() == "old\n"
    assert not list(tmp_path.glob(".scan.json.*"))


def test_an_output_is_first_written_to_a_new_private_file_beside_it(tmp_path):
    """What tempfile.mkstemp gave (the CLI no longer imports tempfile): a file beside the target that did not exist
    (never an existing name, never through a symlink), readable and writable by its owner only until written."""
    import os
    import stat

    from threatscan.cli import _temporary_file

    target = tmp_path / "out" / "scan.sarif"
    target.parent.mkdir()
    made = []
    for _ in range(3):
        fd, path = _temporary_file(target)
        os.close(fd)
        made.append(path)
        assert os.path.isabs(path) and os.path.dirname(path) == str(target.parent)
        assert os.path.basename(path).startswith(".scan.sarif.") and path.endswith(".tmp")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(set(made)) == 3
    victim = tmp_path / "victim"
    victim.write_text("keep")
    real = os.open
    names = iter([made[0], str(target.parent / ".scan.sarif.link.tmp"), str(target.parent / ".scan.sarif.new.tmp")])
    os.symlink(victim, target.parent / ".scan.sarif.link.tmp")

    def scripted_open(path, flags, mode=0o777):
        return real(next(names), flags, mode)

    import threatscan.cli as cli_module

    original = cli_module.os.open
    cli_module.os.open = scripted_open
    try:
        fd, path = _temporary_file(target)  # an existing file and a symlink are skipped, not opened
    finally:
        cli_module.os.open = original
    os.close(fd)
    assert victim.read_text() == "keep"


def test_a_failed_scan_exits_2_and_writes_nothing(repo, tmp_path, monkeypatch):
    out = tmp_path / "scan.sarif"

    def failing_scan(*_args, **_kwargs):
        raise RuntimeError("simulated engine failure")

    monkeypatch.setattr("threatscan.scan.run_scan", failing_scan)  # the CLI imports it when it runs a scan
    result = invoke("scan", str(repo), "-f", "sarif", "-o", str(out), "-f", "text")
    assert result.exit_code == 2
    assert "scan failed" in result.stderr and "simulated engine failure" in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_outside_git_a_scan_reads_only_the_directories_it_was_given(tmp_path, monkeypatch):
    """Security promise "nothing read outside the repository": outside a git work tree the scan root is the deepest
    directory holding the given paths, not the current directory. A sibling directory's Flask app (which would make
    `request.password` request data) is not read when only `proto/` is scanned from their parent; report paths are
    relative to that root."""
    from threatscan.cli import main

    (tmp_path / "proto").mkdir()
    (tmp_path / "proto" / "coap.py").write_text(
        "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def start(request):\n    log.debug(\"new request password=%s\", request.password)\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "web.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.json"

    def logged(*targets: str) -> list[tuple[str, str]]:
        result = CliRunner().invoke(main, ["scan", *targets, "--no-cache", "-f", "json", "-o", str(out),
                                           "--fail-on", "none"])
        assert result.exit_code == 0, result.output
        return [(f["location"]["path"], f["severity"]) for f in json.loads(out.read_text())["findings"]
                if f["rule_id"] == "PY205"]

    assert logged("proto/coap.py") == [("coap.py", "low")]
    assert logged("proto") == [("coap.py", "low")]
    assert logged("proto", "site") == [("proto/coap.py", "medium")]  # both given: the Flask app is the repository's
