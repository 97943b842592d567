"""Sharding a scan over a CI matrix: a stable partition of the files, and `threatscan merge` joining the shards'
SARIF logs into exactly the run a single scan writes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO, run_cli
from threatscan.shard import ShardError, merge_sarif, parse_shard, shard_of


def cli(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    """The installed command in a real process (exit codes as a CI job sees them); run_cli runs it in this one."""
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_every_file_is_in_exactly_one_shard_whatever_else_exists():
    paths = [p.relative_to(REPO).as_posix() for p in FIXTURES.rglob("*") if p.is_file()]
    for n in (1, 2, 3, 7):
        shards = [shard_of(p, n) for p in paths]
        assert all(1 <= s <= n for s in shards)
        # The partition of a path does not depend on the other paths (a new file moves no other file).
        assert shards == [shard_of(p, n) for p in paths[::-1]][::-1]
    assert len({shard_of(p, 3) for p in paths}) == 3  # the fixtures spread over every shard


@pytest.mark.parametrize("bad", ["0/3", "4/3", "a/b", "3", "1/0", ""])
def test_malformed_shard_values_are_refused(bad):
    with pytest.raises(ShardError):
        parse_shard(bad)
    proc = run_cli("scan", str(FIXTURES / "python"), "--shard", bad or "/")
    assert proc.returncode == 2, proc.stderr


def test_merged_shards_equal_the_single_run(tmp_path):
    # (in this process: the real process's exit codes are test_a_failed_shard_fails_the_merge's and test_cli's)
    single = tmp_path / "single.sarif"
    # --fail-on high: the single run's exit code is the one the merged log must give (1: the fixtures have high
    # findings; 2 would be a failed scan)
    proc = run_cli("scan", "fixtures", "--format", "sarif", "-o", str(single), "--fail-on", "high", "-j", "1", "-q",
                   cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    parts = []
    for i in (1, 2, 3):
        part = tmp_path / f"shard-{i}.sarif"
        proc = run_cli("scan", "fixtures", "--shard", f"{i}/3", "--format", "sarif", "-o", str(part), "--fail-on",
                       "none", "-j", "1", "-q", cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        parts.append(part)
    counts = [len(json.loads(p.read_text())["runs"][0]["results"]) for p in parts]
    assert all(counts), f"every shard should find something in the fixtures: {counts}"
    merged = tmp_path / "merged.sarif"
    proc = run_cli("merge", *map(str, parts), "-o", str(merged))
    assert proc.returncode == 0, proc.stderr
    want, got = json.loads(single.read_text())["runs"][0], json.loads(merged.read_text())["runs"][0]
    assert sum(counts) == len(want["results"])
    assert got["results"] == want["results"]  # result for result, rule and taxon indexes included
    assert got["tool"] == want["tool"] and got["taxonomies"] == want["taxonomies"]
    assert got["invocations"] == want["invocations"]
    # --fail-on judges the merged log as `scan --fail-on` judged the single run (exit 1, above).
    assert run_cli("merge", *map(str, parts), "--fail-on", "high", "-o", str(merged)).returncode == 1


def test_merge_refuses_logs_of_other_tools_or_categories():
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "threatscan", "version": "1"}}, "results": [],
                                         "automationDetails": {"id": "threatscan/"}}]}
    other_version = json.loads(json.dumps(log))
    other_version["runs"][0]["tool"]["driver"]["version"] = "2"
    with pytest.raises(ShardError, match="tool version"):
        merge_sarif([log, other_version])
    other_category = json.loads(json.dumps(log))
    other_category["runs"][0]["automationDetails"] = {"id": "threatscan-diff/"}
    with pytest.raises(ShardError, match="category"):
        merge_sarif([log, other_category])
    with pytest.raises(ShardError):
        merge_sarif([{"runs": []}])


def test_a_failed_shard_fails_the_merge(tmp_path):
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "threatscan", "version": "1", "rules": []}},
                                         "invocations": [{"executionSuccessful": True}], "results": []}]}
    failed = json.loads(json.dumps(log))
    failed["runs"][0]["invocations"][0]["executionSuccessful"] = False
    a, b = tmp_path / "a.sarif", tmp_path / "b.sarif"
    a.write_text(json.dumps(log)), b.write_text(json.dumps(failed))
    assert merge_sarif([log, failed])["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert cli("merge", str(a), str(b), "-o", str(tmp_path / "m.sarif")).returncode == 2
