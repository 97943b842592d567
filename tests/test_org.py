"""Organisation scans: a list of repositories in, one SARIF per repository with its own category out, and the same
plan as a CI matrix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO
from threatscan.org import OrgError, plan, read_list


def cli(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _repos(tmp_path):
    """Two repositories: one with findings (a copy of a fixture), one with none."""
    bad = tmp_path / "shop"
    (bad / "app").mkdir(parents=True)
    shutil.copy(FIXTURES / "python" / "code_execution" / "dynamic_code.py", bad / "app" / "rules.py")
    shutil.copy(FIXTURES / "python" / "secrets" / "known_formats.py", bad / "app" / "keys.py")  # high findings
    clean = tmp_path / "docs-site"
    clean.mkdir()
    (clean / "build.py").write_text("def title(page):\n    return page.title().strip()\n")
    return bad, clean


def test_each_repository_gets_its_own_sarif_and_category(tmp_path):
    bad, clean = _repos(tmp_path)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# the organisation\n{bad}\n\n{clean}\n")
    out = tmp_path / "out"
    proc = cli("org", "--list", str(listing), "-o", str(out), "--category", "org-scan")
    assert proc.returncode == 0, proc.stderr
    shop = json.loads((out / "shop.sarif").read_text())
    site = json.loads((out / "docs-site.sarif").read_text())
    assert shop["runs"][0]["automationDetails"]["id"] == "org-scan/shop/"
    assert site["runs"][0]["automationDetails"]["id"] == "org-scan/docs-site/"
    shop_rules = {r["ruleId"].split("/")[0] for r in shop["runs"][0]["results"]}
    assert {"PY104", "PY105"} <= shop_rules
    # Paths are relative to each repository's own root, and nothing of one repository is in the other's log.
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in shop["runs"][0]["results"]}
    assert uris == {"app/rules.py", "app/keys.py"}
    assert site["runs"][0]["results"] == []


def test_the_gate_and_a_missing_checkout_decide_the_exit_code_and_every_repository_is_still_scanned(tmp_path):
    bad, clean = _repos(tmp_path)
    out = tmp_path / "out"
    gated = cli("org", str(clean), str(bad), "-o", str(out), "--fail-on", "high")
    assert gated.returncode == 1, gated.stderr
    missing = cli("org", str(tmp_path / "not-cloned"), str(clean), "-o", str(tmp_path / "out2"))
    assert missing.returncode == 2
    assert "not-cloned" in missing.stderr
    assert (tmp_path / "out2" / "docs-site.sarif").exists()  # the listed repository after the missing one


def test_scan_args_reach_every_repository(tmp_path):
    bad, _ = _repos(tmp_path)
    out = tmp_path / "out"
    proc = cli("org", str(bad), "-o", str(out), "--scan-args", "--select PY105")
    assert proc.returncode == 0, proc.stderr
    rules = {r["ruleId"].split("/")[0] for r in json.loads((out / "shop.sarif").read_text())["runs"][0]["results"]}
    assert rules == {"PY105"}


def test_matrix_plan_fans_out_over_owner_name_entries(tmp_path):
    listing = tmp_path / "repos.txt"
    listing.write_text("acme/api\nacme/web  \n# retired: acme/old\n")
    proc = cli("org", "--list", str(listing), "--matrix")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"include": [
        {"name": "acme/api", "path": "acme/api", "category": "threatscan/acme/api", "sarif": "acme+api.sarif"},
        {"name": "acme/web", "path": "acme/web", "category": "threatscan/acme/web", "sarif": "acme+web.sarif"},
    ]}


@pytest.mark.parametrize("entries", [[], ["a/x", "./a/x/"], ["../elsewhere"], ["/srv/one/api", "/srv/two/api"]])
def test_plans_that_would_mix_repositories_are_refused(entries):
    with pytest.raises(OrgError):
        plan(entries)


def test_list_reading_skips_comments_and_blank_lines():
    assert read_list("a\n  # no\n\n b \r\n") == ["a", "b"]
    assert [r.category for r in plan(["/srv/one/api", "svc/web"], "ts/")] == ["ts/api", "ts/svc/web"]
