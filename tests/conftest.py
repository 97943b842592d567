"""Shared test helpers: the repository paths, a scan of fixtures/ done once, SARIF validation both ways (the
SARIF Multitool once per session over every SARIF the suite wrote), and the CLI run in-process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from threatscan.catalog import load_catalog
from threatscan.scan import ScanOptions, run_scan

# Scans the tests start through the CLI share no user cache (tests/test_cache.py passes its own directory).
os.environ.setdefault("THREATSCAN_NO_CACHE", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# The OASIS SARIF 2.1.0 schema and the Multitool wrapper are the project's own copies: a plain clone tests alone.
SCHEMA = REPO / "schemas" / "sarif-schema-2.1.0.json"
VALIDATOR = REPO / "scripts" / "validate-sarif"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(check_implementations=True)


@pytest.fixture(scope="session")
def fixtures_scan(catalog):
    # every finding the fixtures annotate, Android code that never ships included (tests/test_android.py checks
    # that a default scan leaves those out)
    return run_scan(ScanOptions(paths=[str(FIXTURES)], include_non_shipping=True), catalog)


def validate_schema(log: dict) -> list[str]:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(log)]


# Every SARIF a test hands to validate_multitool, copied here; one Multitool run validates them all when the session
# ends (each run costs 20-40 s of start-up; the suite writes a dozen of them) and fails the session on any problem.
_MULTITOOL_DIR: Path | None = None
_MULTITOOL_FILES: list[tuple[Path, str]] = []


def validate_multitool(path: Path) -> None:
    """Queue a SARIF file for Microsoft's SARIF Multitool with GitHub's ingestion rules (run once, at session end)."""
    global _MULTITOOL_DIR
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: the SARIF validator ships in scripts/"
    if shutil.which("npm") is None and not (Path.home() / ".cache/sarif-multitool").exists():
        pytest.fail("npm is needed to install the SARIF Multitool (scripts/test installs it)")
    if _MULTITOOL_DIR is None:
        _MULTITOOL_DIR = Path(tempfile.mkdtemp(prefix="threatscan-multitool-"))
    copy = _MULTITOOL_DIR / f"{len(_MULTITOOL_FILES):03d}-{Path(path).name}"
    shutil.copyfile(path, copy)
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    _MULTITOOL_FILES.append((copy, test))


def pytest_addoption(parser):
    parser.addoption("--update-snapshot", action="store_true",
                     help="Rewrite tests/snapshots/*.jsonl from this run instead of comparing with them.")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist, in the controller: take the SARIF files a worker queued (it leaves them on disk)."""
    queued = getattr(node, "workeroutput", {}).get("multitool")
    if queued:
        _MULTITOOL_FILES.extend((Path(path), test) for path, test in json.loads(queued))


def pytest_sessionfinish(session, exitstatus):
    if not _MULTITOOL_FILES:
        return
    if hasattr(session.config, "workerinput"):
        # A pytest-xdist worker hands its files to the controller, which validates every worker's in one run (and
        # fails the whole session on a problem: a worker's exit status would not).
        session.config.workeroutput["multitool"] = json.dumps([(str(p), test) for p, test in _MULTITOOL_FILES])
        return
    if "not external" in (session.config.getoption("markexpr", "") or ""):
        return  # the Multitool is an external tool too
    try:
        files = {str(p.resolve()): test for p, test in _MULTITOOL_FILES}
        proc = subprocess.run(["bash", str(VALIDATOR), *files], capture_output=True, text=True, timeout=900)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
        if proc.returncode != 0:
            lines = proc.stdout.splitlines() + proc.stderr.splitlines()
            for path, test in files.items():
                lines = [line.replace(path, f"{Path(path).name} (from {test})") for line in lines]
            text = "\n".join(line for line in lines if not line.endswith(": 0 errors, 0 warnings"))
            if reporter is not None:
                reporter.write_sep("=", "SARIF Multitool: problems in SARIF written by the tests", red=True)
                reporter.write_line(text)
            session.exitstatus = 1
        elif reporter is not None:
            reporter.write_sep("-", f"SARIF Multitool: {len(files)} SARIF files, 0 errors, 0 warnings")
    finally:
        for folder in {p.parent for p, _ in _MULTITOOL_FILES}:
            shutil.rmtree(folder, ignore_errors=True)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command line in this process (a subprocess proves nothing more and costs an interpreter start-up each)."""
    from click.testing import CliRunner

    from threatscan.cli import main

    with _chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(["threatscan", *args], result.exit_code, result.stdout, result.stderr)


@contextlib.contextmanager
def _chdir(path: Path):  # contextlib.chdir is Python 3.11+
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def on_a_terminal(*args: str, stderr: bool = True, term: str = "xterm") -> str:
    """threatscan with stdout (and stderr, unless told not to) on one pseudo-terminal, as a user sees it: a
    subprocess, since the point is a real terminal."""
    import pty
    import sys

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "threatscan.cli", *args], stdout=follower,
                                stderr=follower if stderr else subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                env={**os.environ, "TERM": term})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=120)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")
