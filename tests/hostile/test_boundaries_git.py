"""git, as threatscan runs it, executes nothing a scanned repository configures, and diff scans see every changed
file whatever its name. The repositories are generated here, in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VULNERABLE = "import os\n\n\ndef handler(event, context):\n    os.system('ping ' + event['host'])\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def scan(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-m", "threatscan.cli", "scan", ".", *args],
                          cwd=repo, capture_output=True, text=True, timeout=600)


def new_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.invalid")
    git(path, "config", "user.name", "t")
    (path / "app.py").write_text("x = 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    return path


@pytest.fixture
def booby_trapped(tmp_path) -> tuple[Path, Path]:
    """A repository whose own .git/config names programs for fsmonitor, hooks, textconv, external diff and a filter:
    each writes to a marker file when git runs it."""
    repo = new_repo(tmp_path / "repo")
    marker = tmp_path / "ran.txt"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name, path in (("fsmonitor", tmp_path / "fsmonitor.sh"), ("textconv", tmp_path / "textconv.sh"),
                       ("clean", tmp_path / "clean.sh"), ("smudge", tmp_path / "smudge.sh"),
                       ("extdiff", tmp_path / "extdiff.sh"), ("post-index-change", hooks / "post-index-change")):
        path.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\ncat \"$1\" 2>/dev/null\nexit 0\n")
        path.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(tmp_path / "fsmonitor.sh"))
    git(repo, "config", "core.hooksPath", str(hooks))
    git(repo, "config", "diff.evil.textconv", str(tmp_path / "textconv.sh"))
    git(repo, "config", "diff.external", str(tmp_path / "extdiff.sh"))
    git(repo, "config", "filter.evil.clean", str(tmp_path / "clean.sh"))
    git(repo, "config", "filter.evil.smudge", str(tmp_path / "smudge.sh"))
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "diff.noprefix", "true")
    git(repo, "config", "diff.relative", "true")
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n")
    (repo / "handler.py").write_text(VULNERABLE)
    (repo / "app.py").write_text("x = 2\n")
    return repo, marker


def test_the_trap_is_real(booby_trapped):
    """Control: plain git in this repository does run the configured programs."""
    repo, marker = booby_trapped
    subprocess.run(["git", "status"], cwd=repo, capture_output=True)
    subprocess.run(["git", "diff", "HEAD"], cwd=repo, capture_output=True)
    subprocess.run(["git", "diff", "--no-ext-diff", "HEAD"], cwd=repo, capture_output=True)
    assert {"fsmonitor", "extdiff", "textconv", "clean"} <= set(marker.read_text().split())


def test_scans_run_nothing_the_repository_configures(booby_trapped):
    repo, marker = booby_trapped
    full = scan(repo, "--format", "json")
    assert full.returncode == 1, full.stderr
    diff = scan(repo, "--format", "json", "--diff", "HEAD")
    assert diff.returncode == 1, diff.stderr
    assert not marker.exists(), marker.read_text()
    # and the repository's diff settings (no prefixes, relative paths) do not change what the diff scan sees
    assert [f["location"]["path"] for f in json.loads(diff.stdout)["findings"]] == ["handler.py"]


NAMES = ["with space.py", "with\ttab.py", 'with"quote.py', "with\\backslash.py", "non-ascii-é-日本.py",
         "new\nline.py", "trailing space .py", "-dash.py", "$(touch pwned).py", "a;b|c&d.py", "`touch pwned2`.py",
         "'single'.py", "--output=x.py", "\x7fdel.py"]


def test_diff_scans_see_files_whose_names_git_quotes(tmp_path):
    repo = new_repo(tmp_path / "repo")
    for name in NAMES:
        (repo / name).write_text("import os\n\n\ndef handler(event, context):\n    return 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    base = git(repo, "rev-parse", "HEAD").strip()
    for name in NAMES:  # an edited line in each tracked file...
        (repo / name).write_text(VULNERABLE)
    (repo / "untracked \"new\" é.py").write_text(VULNERABLE)  # ...and a new, untracked one
    git(repo, "mv", "with space.py", "renamed\tnow.py")
    out = scan(repo, "--format", "json", "--diff", base)
    assert out.returncode == 1, out.stderr
    got = sorted(f["location"]["path"] for f in json.loads(out.stdout)["findings"] if f["rule_id"] == "PY102")
    expected = sorted([n for n in NAMES if n != "with space.py"] + ["renamed\tnow.py", "untracked \"new\" é.py"])
    assert got == expected
    # only the changed line is reported: line 5
    assert {f["location"]["line"] for f in json.loads(out.stdout)["findings"]} == {5}
    assert not list(tmp_path.rglob("pwned*")) and not (repo / "x.py").exists()  # names are never run or obeyed


def test_a_broken_git_index_still_scans_every_file(tmp_path):
    repo = new_repo(tmp_path / "repo")
    (repo / "handler.py").write_text(VULNERABLE)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "handler")
    (repo / ".git" / "index").write_bytes(b"DIRC\0\0\0\2garbage" * 10)
    out = scan(repo, "--format", "json")
    assert out.returncode == 1, out.stderr
    assert [f["location"]["path"] for f in json.loads(out.stdout)["findings"]] == ["handler.py"]
    diff = scan(repo, "--format", "json", "--diff", "HEAD")  # a diff needs the index: a clear usage error
    assert diff.returncode == 2 and "Traceback" not in diff.stderr and diff.stderr.strip()


def test_unquote_path_decodes_git_c_quoting():
    from threatscan.findings.gitdiff import unquote_path

    assert unquote_path('"b/a\\tb\\n\\"q\\\\\\303\\251"') == 'b/a\tb\n"q\\é'
    assert unquote_path("b/plain name.py") == "b/plain name.py"


def test_an_added_line_that_looks_like_a_header_is_not_one(tmp_path):
    repo = new_repo(tmp_path / "repo")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a")
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.py").write_text("x = 1\n++ b/other.py\n" + VULNERABLE)  # the added line shows as "+++ b/other.py"
    from threatscan.findings.gitdiff import changed_lines

    changed = changed_lines(repo, base)
    assert set(changed) == {"a.py"} and changed["a.py"] == set(range(2, 8))
