"""The pre-commit hook, run by the real `pre-commit try-repo` against this checkout in a temporary repository, and by
`pre-commit run` with a configuration naming this checkout (the hook installed once for those tests)."""

from __future__ import annotations

import os
import shutil
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
    """`pre-commit try-repo` of this checkout (its uncommitted changes included): it installs the hook in a store
    of its own temporary directory, every time."""
    assert PRE_COMMIT.exists(), "pre-commit is installed by the test extras"
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "NO_COLOR": "1"}
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), "threatscan", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def hook_config(tmp_path_factory) -> Path:
    """A pre-commit configuration naming this checkout as a hook repository at a commit of its working tree, as
    try-repo makes one (a clone, tracked files as they are on disk, committed), so that `pre-commit run` with the
    module's PRE_COMMIT_HOME installs the hook once for the tests below instead of once per test."""
    tmp = tmp_path_factory.mktemp("hook-repo")
    shadow = tmp / "threatscan"
    subprocess.run(["git", "clone", "-q", str(REPO), str(shadow)], check=True, capture_output=True)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        source, dest = REPO / rel, shadow / rel
        if source.is_symlink() or source.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.unlink(missing_ok=True)
            shutil.copy2(source, dest, follow_symlinks=False)
        else:
            dest.unlink(missing_ok=True)  # deleted in the working tree
    git(shadow, "add", "-A")
    git(shadow, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "tree")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=shadow, check=True, capture_output=True, text=True).stdout.strip()
    config = tmp / "pre-commit-config.yaml"
    config.write_text(f"repos:\n- repo: {shadow}\n  rev: {rev}\n  hooks:\n  - id: threatscan\n")
    return config


def run_hook(repo: Path, cache: Path, config: Path) -> subprocess.CompletedProcess:
    """`pre-commit run` on the staged files, the hook from `hook_config` (installed once in `cache`)."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "NO_COLOR": "1"}
    return subprocess.run([str(PRE_COMMIT), "run", "--config", str(config), "--color", "never"],
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


def test_hook_passes_on_a_clean_file(tmp_path, cache, hook_config):
    repo = make_repo(tmp_path, "good", "import subprocess\n\n\ndef handler(event, context):\n"
                                       "    subprocess.run(['ping', '-c1', event['host']], check=True)\n")
    out = run_hook(repo, cache, hook_config)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Passed" in out.stdout, out.stdout  # the hook ran on the staged file (not "no files to check")


OPEN_SSH = ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"AdminGroup": {"Type": "AWS::EC2::SecurityGroup", '
            '"Properties": {"GroupDescription": "admin", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, '
            '"ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}\n')


def test_a_staged_file_named_like_an_option_is_scanned_as_a_file(tmp_path, cache, hook_config):
    """pre-commit passes staged names after the entry: `--baseline=x.json` must not become an option (it would
    make the hook fail for the wrong reason, or, with a baseline that exists, hide findings)."""
    repo = make_repo(tmp_path, "option", "x = 1\n")
    (repo / "--baseline=x.json").write_text(OPEN_SSH)
    git(repo, "add", "--", "--baseline=x.json")
    out = run_hook(repo, cache, hook_config)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "IAC150" in out.stdout and "--baseline=x.json" in out.stdout
    assert "baseline" not in out.stderr.lower()
