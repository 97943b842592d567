"""Start-up stays cheap: the catalogue is data (loading it imports no check), and `--version` / `rules` load neither
the engines nor the report writers. Measured as what gets imported, not as time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO

PROBE = """
import json, sys, runpy
sys.argv = ["threatscan", *json.loads(sys.argv[1])]
try:
    runpy.run_module("threatscan.cli", run_name="__main__")
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.startswith(("threatscan.engines", "threatscan.scan", "sarif_om", "libcst")))
print(json.dumps(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["rules"], ["rules", "show", "PY101"], ["threats"]])
def test_catalogue_commands_import_no_engine_and_no_writer(args):
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "the command printed nothing"
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []


def test_loading_the_catalogue_registers_no_check_and_verifying_finds_every_check():
    code = ("import sys; from threatscan.catalog import load_catalog, verify_checks; c = load_catalog(); "
            "print(any(m.startswith('threatscan.engines') for m in sys.modules)); verify_checks(c); print(len(c.rules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    imported_engines, rules = proc.stdout.split()
    assert imported_engines == "False" and int(rules) > 80


def test_rules_check_reports_a_rule_without_its_check(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    extra = (rules / "python" / "code-execution.yaml").read_text()
    first = extra.index("- id:")
    entry = extra[first:extra.index("\n- id:", first + 1) + 1]
    (rules / "python" / "zz-orphan.yaml").write_text(entry.replace(entry.split()[2], "PY999", 1))
    proc = subprocess.run([sys.executable, "-m", "threatscan.cli", "rules", "--check"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**__import__("os").environ, "THREATSCAN_RULES_DIR": str(rules)})
    assert proc.returncode == 2 and "PY999" in proc.stderr, proc.stdout + proc.stderr
    ok = subprocess.run([sys.executable, "-m", "threatscan.cli", "rules", "--check"], cwd=REPO, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "each with its check" in ok.stdout, ok.stderr


WARM = """
import json, sys, runpy
sys.argv = ["threatscan", "scan", sys.argv[1], "--cache-dir", sys.argv[2], "--format", "json", "-o", sys.argv[3],
            "--fail-on", "none", "-q", "-j", "1"]
try:
    runpy.run_module("threatscan.cli", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if ".checks." in m or ".dataflow" in m)), file=sys.stderr)
"""


def test_a_rescan_served_from_the_cache_imports_no_check_and_reports_the_same_findings(tmp_path):
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    (repo / "infra" / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n'
        "    Properties:\n      AccessControl: PublicReadWrite\n")
    runs = []
    for n in (1, 2):
        out = tmp_path / f"run{n}.json"
        proc = subprocess.run([sys.executable, "-c", WARM, str(repo), str(tmp_path / "cache"), str(out)], cwd=repo,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(out.read_text())
        runs.append((json.loads(proc.stderr.strip().splitlines()[-1]), report["findings"],
                     [x for x in report["notices"] if x.get("kind") == "cache"]))
    (first_checks, first, first_cache), (second_checks, second, second_cache) = runs
    assert first_checks and first and not first_cache  # the cold scan loaded the checks and found something
    # Every file came from the cache: the checks modules were not imported (the few an engine itself imports for
    # shared helpers aside).
    assert second_cache and set(second_checks) < set(first_checks)
    assert "threatscan.engines.python.checks.injection" in first_checks
    assert "threatscan.engines.python.checks.injection" not in second_checks
    # Nor the data flow (the Python engine imports it with the first file it analyses).
    assert "threatscan.lang.python.dataflow" in first_checks
    assert not [m for m in second_checks if ".dataflow" in m]
    assert second == first


def test_a_rescan_imports_only_the_engines_its_files_need(tmp_path):
    """engines.ENGINE_KINDS names each engine's kinds without importing it (and agrees with the engines); a rescan
    of a Python repository served from the cache imports neither the CloudFormation nor the Android engine (a scan
    that loads the checks imports every engine's, as before), and reports what the cold scan did."""
    import importlib

    from threatscan import engines

    for name, kinds in engines.ENGINE_KINDS.items():
        if kinds is not None:
            assert importlib.import_module(name).ENGINE.kinds == kinds, name
    assert list(engines.ENGINE_KINDS) == list(engines.ENGINE_MODULES)

    probe = ("import json, sys, runpy\n"
             "sys.argv = ['threatscan', 'scan', sys.argv[1], '--cache-dir', sys.argv[3], '-f', 'json', '-o', "
             "sys.argv[2], '--fail-on', 'none', '-q', '-j', '1']\n"
             "try:\n    runpy.run_module('threatscan.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(m for m in sys.modules if m in ("
             "'threatscan.engines.cloudformation', 'threatscan.engines.android', 'threatscan.engines.python'))),"
             " file=sys.stderr)\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    seen = []
    for step in (1, 2, 3):
        if step == 3:
            (repo / "template.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n'
                                                "    Type: AWS::S3::Bucket\n    Properties:\n"
                                                "      AccessControl: PublicReadWrite\n")
        out = tmp_path / f"out{step}.json"
        proc = subprocess.run([sys.executable, "-c", probe, str(repo), str(out), str(tmp_path / "cache")], cwd=repo,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        seen.append((json.loads(proc.stderr.strip().splitlines()[-1]),
                     [(f["rule_id"], f["location"]["path"]) for f in json.loads(out.read_text())["findings"]]))
    (cold, cold_findings), (warm, warm_findings), (with_template, template_findings) = seen
    assert cold_findings and warm_findings == cold_findings
    assert warm == ["threatscan.engines.python"]
    assert "threatscan.engines.cloudformation" in with_template
    assert any(rule.startswith("IAC") for rule, _ in template_findings)


def test_a_rescan_without_peers_or_toml_configuration_imports_neither(tmp_path):
    """A rescan served from the cache with no peer asked for does not import the peers' package (an unknown engine
    is still refused), nor, without a TOML configuration, the TOML parser (a cold scan loads every engine's checks,
    the Android project reader's TOML included); a pyproject.toml's [tool.threatscan] still takes effect."""
    probe = ("import json, sys, runpy\n"
             "sys.argv = ['threatscan', 'scan', sys.argv[1], '--cache-dir', sys.argv[3], '-f', 'json', '-o', "
             "sys.argv[2], '--fail-on', 'none', '-q', '-j', '1', *sys.argv[4:]]\n"
             "try:\n    runpy.run_module('threatscan.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(m for m in sys.modules if m in ('threatscan.engines.peers', 'tomllib', "
             "'tomli'))), file=sys.stderr)\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")

    def scan(*extra: str) -> tuple[list, list, subprocess.CompletedProcess]:
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        proc = subprocess.run([sys.executable, "-c", probe, str(repo), str(out), str(tmp_path / "cache"), *extra],
                              cwd=repo, capture_output=True, text=True, timeout=300)
        findings = [f["rule_id"] for f in json.loads(out.read_text())["findings"]] if out.exists() else []
        return json.loads(proc.stderr.strip().splitlines()[-1]), findings, proc

    cold, cold_findings, _ = scan()
    warm, warm_findings, _ = scan("--engines", "native")
    assert "threatscan.engines.peers" not in cold
    assert warm == [] and cold_findings and warm_findings == cold_findings
    _, _, refused = scan("--engines", "nonsense")
    assert "unknown engine 'nonsense'" in refused.stderr
    (repo / "pyproject.toml").write_text('[tool.threatscan]\nexclude = ["app.py"]\n')
    configured, configured_findings, _ = scan()
    assert "tomllib" in configured or "tomli" in configured
    assert configured_findings == []


def test_every_check_reads_only_kinds_of_its_own_engine_so_a_scan_loads_only_its_engines_checks(tmp_path):
    """A scan imports the checks of the engines its files need (registry.all_checks(engine_modules)): sound only
    while every check reads files of its own engine's kinds (a check registered by one engine's module for another
    engine's kind would be lost to scans without the first engine's files). A cold scan of a Python repository
    imports no CloudFormation or Android check and finds what a scan with every check finds."""
    import importlib

    from threatscan import engines
    from threatscan.registry import all_checks

    readers = {name: importlib.import_module(name).ENGINE.kinds for name in engines.ENGINE_MODULES}
    for check in all_checks():
        owner = next(n for n in engines.ENGINE_MODULES if check.func.__module__.startswith(n))
        assert check.kind in readers[owner], (check.rule_id, check.kind, owner)
    assert [c.rule_id for c in all_checks(("threatscan.engines.python",))] == \
        [c.rule_id for c in all_checks() if c.func.__module__.startswith("threatscan.engines.python")]

    probe = ("import json, sys, runpy\n"
             "sys.argv = ['threatscan', 'scan', sys.argv[1], '--no-cache', '-f', 'json', '-o', sys.argv[2], "
             "'--fail-on', 'none', '-q', '-j', '1']\n"
             "try:\n    runpy.run_module('threatscan.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(m for m in sys.modules if '.checks' in m)), file=sys.stderr)\n")
    def scan(repo):
        out = repo.parent / f"{repo.name}.json"
        proc = subprocess.run([sys.executable, "-c", probe, str(repo), str(out)], cwd=repo, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stderr.strip().splitlines()[-1]), json.loads(out.read_text())["findings"]

    python_only, with_template = tmp_path / "python", tmp_path / "both"
    for repo in (python_only, with_template):
        repo.mkdir()
        (repo / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    (with_template / "template.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n'
                                                 "    Type: AWS::S3::Bucket\n")
    loaded, findings = scan(python_only)
    every, all_findings = scan(with_template)
    assert "threatscan.engines.python.checks.injection" in loaded
    assert not [m for m in loaded if m.startswith(("threatscan.engines.cloudformation", "threatscan.engines.android"))]
    assert any(m.startswith("threatscan.engines.cloudformation") for m in every)
    assert findings and findings == [f for f in all_findings if f["location"]["path"] == "app.py"]
