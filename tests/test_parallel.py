"""A scan spread over several processes reports exactly what a scan in one process reports."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from threatscan.cli import main
from threatscan.engines.python import PythonEngine
from threatscan.scan import PARALLEL_MIN_FILES, ScanOptions, run_scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _key(result):
    findings = [(f.rule_id, f.location.path, f.location.line, f.location.column, f.message, f.fingerprint)
                for f in result.findings]
    notices = [(n.path, n.kind, n.message) for n in result.notices]
    return findings, notices


def test_two_processes_find_what_one_finds(catalog):
    one = run_scan(ScanOptions(paths=[str(FIXTURES)], jobs=1), catalog)
    two = run_scan(ScanOptions(paths=[str(FIXTURES)], jobs=2), catalog)
    assert len(one.files) >= PARALLEL_MIN_FILES
    assert one.jobs == 1 and two.jobs == 2
    assert one.findings, "the fixtures have findings"
    assert any(n.kind == "fallback-parser" for n in one.notices), "and notices, which must keep their order"
    assert _key(two) == _key(one)


def _tree(tmp_path: Path, n: int) -> Path:
    for i in range(n):
        (tmp_path / f"mod{i:02}.py").write_text(f"import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)  # {i}\n")
    return tmp_path


def test_small_scans_stay_in_one_process(tmp_path, catalog):
    result = run_scan(ScanOptions(paths=[str(_tree(tmp_path, PARALLEL_MIN_FILES - 1))], jobs=2), catalog)
    assert result.jobs == 1
    assert len(result.findings) == PARALLEL_MIN_FILES - 1


def test_a_dead_worker_loses_nothing(tmp_path, catalog, monkeypatch):
    """A worker killed mid-scan (out of memory, say): its files are scanned again, each in a process of its own."""
    parent = os.getpid()
    real = PythonEngine.scan_file
    died = tmp_path.parent / f"{tmp_path.name}-died"

    def dies_once(self, file, checks, ctx):
        if os.getpid() != parent and file.rel == "mod07.py" and not died.exists():
            died.write_text("x")
            os._exit(9)
        return real(self, file, checks, ctx)

    monkeypatch.setattr(PythonEngine, "scan_file", dies_once)
    result = run_scan(ScanOptions(paths=[str(_tree(tmp_path, 40))], jobs=2), catalog)
    assert sorted(f.location.path for f in result.findings) == [f"mod{i:02}.py" for i in range(40)]
    assert any(n.kind == "worker-failed" for n in result.notices)


def test_a_file_that_crashes_every_process_costs_only_itself(tmp_path, catalog, monkeypatch):
    """A file that kills whichever process scans it (a native parser's SIGSEGV) never reaches the main process:
    it is skipped with a notice naming it, and every other file's findings are reported."""
    parent = os.getpid()
    real = PythonEngine.scan_file

    def segfaults(self, file, checks, ctx):
        if file.rel == "mod07.py":
            assert os.getpid() != parent, "the crashing file was scanned in the main process"
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(self, file, checks, ctx)

    monkeypatch.setattr(PythonEngine, "scan_file", segfaults)
    result = run_scan(ScanOptions(paths=[str(_tree(tmp_path, 40))], jobs=2), catalog)
    assert sorted(f.location.path for f in result.findings) == [f"mod{i:02}.py" for i in range(40) if i != 7]
    crashed = [n for n in result.notices if n.kind == "file-crashed"]
    assert [n.path for n in crashed] == ["mod07.py"] and "SIGSEGV" in crashed[0].message


@pytest.mark.parametrize("args", [["-j", "0"], ["--jobs", "many"]])
def test_jobs_must_be_a_positive_number(args, tmp_path):
    result = CliRunner().invoke(main, ["scan", str(tmp_path), *args])
    assert result.exit_code == 2


def test_jobs_from_the_configuration_file(tmp_path):
    _tree(tmp_path, 30)
    (tmp_path / ".threatscan.toml").write_text("jobs = 1\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--verbose", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    assert "30 files in" in result.stderr and "with 1 process" in result.stderr
    (tmp_path / ".threatscan.toml").write_text("jobs = 0\n")
    assert CliRunner().invoke(main, ["scan", str(tmp_path)]).exit_code == 2


def test_templates_alone_stay_in_one_process_unless_asked(tmp_path, catalog):
    """A pool pays off for Python; for templates it would mostly cost memory, so only --jobs asks for one."""
    for i in range(40):
        (tmp_path / f"stack{i:02}.yaml").write_text(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Data:\n    Type: AWS::S3::Bucket\n")
    default = run_scan(ScanOptions(paths=[str(tmp_path)]), catalog)
    asked = run_scan(ScanOptions(paths=[str(tmp_path)], jobs=2), catalog)
    assert default.findings and _key(default) == _key(asked)
    assert (default.jobs, asked.jobs) == (1, 2)
