"""The pre-commit hook, run by the real `pre-commit try-repo` against this checkout in a temporary repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.external  # runs tools installed outside this package

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-cache")


def try_repo(repo: Path, cache: Path) -> subprocess.CompletedProcess:
    assert PRE_COMMIT.exists(), "pre-commit is installed by the test extras"
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "NO_COLOR": "1"}
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), "threatscan", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def make_repo(tmp_path: Path, name: str, text: str) -> Path:
    repo = tmp_path / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "handler.py").write_text(text)
    git(repo, "add", "handler.py")  # staged, not committed: what pre-commit sees
    return repo


def test_hook_fails_on_a_staged_vulnerable_file_naming_rule_and_threat(tmp_path, cache):
    repo = make_repo(tmp_path, "bad", "import os\n\n\ndef handler(event, context):\n    os.system('ping ' + event['host'])\n")
    out = try_repo(repo, cache)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "PY102" in out.stdout and "TS-EXEC-CODE" in out.stdout and "handler.py" in out.stdout


def test_hook_passes_on_a_clean_file(tmp_path, cache):
    repo = make_repo(tmp_path, "good", "import subprocess\n\n\ndef handler(event, context):\n"
                                       "    subprocess.run(['ping', '-c1', event['host']], check=True)\n")
    out = try_repo(repo, cache)
    assert out.returncode == 0, out.stdout + out.stderr


OPEN_SSH = ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"AdminGroup": {"Type": "AWS::EC2::SecurityGroup", '
            '"Properties": {"GroupDescription": "admin", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, '
            '"ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}\n')


def test_a_staged_file_named_like_an_option_is_scanned_as_a_file(tmp_path, cache):
    """pre-commit passes staged names after the entry: `--baseline=x.json` must not become an option (it would
    make the hook fail for the wrong reason, or, with a baseline that exists, hide findings)."""
    repo = make_repo(tmp_path, "option", "x = 1\n")
    (repo / "--baseline=x.json").write_text(OPEN_SSH)
    git(repo, "add", "--", "--baseline=x.json")
    out = try_repo(repo, cache)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "IAC150" in out.stdout and "--baseline=x.json" in out.stdout
    assert "baseline" not in out.stderr.lower()
