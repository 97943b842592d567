"""The project scans itself cleanly (issue 14): its own configuration leaves the test data out, and what remains in
its own code is neither a false positive nor a failing gate."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import REPO

from threatscan.cli import main


def test_threatscan_scan_of_this_repository_exits_0():
    out = CliRunner().invoke(main, ["scan", str(REPO), "--format", "json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output[-3000:]
    findings = json.loads(out.stdout)["findings"]
    paths = {f["location"]["path"] for f in findings}
    assert not [p for p in paths if p.startswith(("fixtures/", "tests/", "bench/"))], "the configuration excludes test data"
    assert not [f for f in findings if f["rule_id"] == "TS001"], "suppression examples in docstrings are not suppressions"
    assert not [f for f in findings if f["rule_id"] == "PY106"], "yaml.load with a SafeLoader (or a subclass) is safe"


def test_a_directory_named_on_the_command_line_is_scanned_although_the_configuration_excludes_it():
    out = CliRunner().invoke(main, ["scan", str(REPO / "fixtures" / "python" / "code_execution"), "-f", "json",
                                    "--fail-on", "none"], catch_exceptions=False)
    assert json.loads(out.stdout)["findings"], "fixtures/ is left out of `scan .`, not out of `scan fixtures/...`"
