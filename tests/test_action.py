"""The GitHub Action: its files pass GitHub's schemas and zizmor, and its steps, run locally in a simulated
GitHub environment (a workspace repository with a base commit and a change, a pull_request event), produce the
summary, outputs, annotations and exit codes a user sees."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, validate_schema

ACTION = REPO / "action.yml"
WORKFLOW = REPO / "docs" / "github-workflow.yml"
SHARDS_WORKFLOW = REPO / "docs" / "github-workflow-shards.yml"
ORG_WORKFLOW = REPO / "docs" / "github-workflow-org.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is installed by the test extras (pip install -e '.[test]')"
    return str(path)


@pytest.mark.external
@pytest.mark.parametrize("schema, path", [("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW),
                                          ("vendor.github-workflows", SHARDS_WORKFLOW),
                                          ("vendor.github-workflows", ORG_WORKFLOW)])
def test_github_schemas_accept_action_and_workflow(schema, path):
    out = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.external
def test_zizmor_finds_nothing():
    out = subprocess.run([tool("zizmor"), "--offline", "--format", "json", str(ACTION), str(WORKFLOW), str(SHARDS_WORKFLOW),
                          str(ORG_WORKFLOW)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout) == []


def test_no_expression_inside_run_scripts():
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"step {step['name']!r} puts an expression inside run:"


def test_upload_action_is_pinned_to_a_full_sha():
    uses = [s["uses"] for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses)


@pytest.mark.parametrize("path", [SHARDS_WORKFLOW, ORG_WORKFLOW], ids=lambda p: p.name)
def test_example_workflows_install_threatscan_from_its_repository_not_a_pypi_name(path):
    """threatscan is not published on PyPI: `pip install threatscan` would install whatever anyone registers
    under that name. The example workflows install it from its own repository at a commit the user pins."""
    steps = [s for job in yaml.safe_load(path.read_text())["jobs"].values() for s in job["steps"]]
    installs = [s for s in steps if "pip install" in s.get("run", "")]
    assert installs, "the workflow installs threatscan"
    for step in installs:
        run = step["run"]
        assert "git+https://github.com/threatscan/threatscan@$THREATSCAN_COMMIT" in run, run
        requirements = re.findall(r'"(threatscan[^"]*)"', run)
        assert requirements and all(r.startswith("threatscan @ git+https://") for r in requirements), run
        assert step["env"]["THREATSCAN_COMMIT"], step


# --- running the steps -----------------------------------------------------------------------------------------

CLEAN = "def greet(name):\n    return f'hello {name}'\n"
# Request data reaching a shell: a flow, so a high finding that fails the default gate (line 5).
VULNERABLE = "import subprocess\nfrom flask import request\n\ndef deploy():\n    subprocess.run(request.args['cmd'], shell=True)\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


# Modules a pull request could add at its root to run code in the job, if the workspace were on sys.path: each
# writes a marker file and exits 0 (which, before, skipped both the upload and the fail-on step).
SHADOWING = ("json.py", "click.py", "venv/__init__.py", "venv/__main__.py", "pip/__init__.py", "pip/__main__.py",
             "threatscan/__init__.py", "threatscan/cli/__init__.py", "threatscan/cli/github_action.py", "threatscan/cli.py",
             "sitecustomize.py",
             "yaml/__init__.py", "encodings/__init__.py")


def shadow(ws: Path, marker: Path) -> dict:
    files = {}
    for name in SHADOWING:
        # posix, not open(): encodings/ is imported before io exists
        files[name] = (f"import posix, sys\nfd = posix.open({str(marker)!r}, posix.O_WRONLY | posix.O_CREAT | posix.O_APPEND, 0o644)\n"
                       f"posix.write(fd, {(name + chr(10)).encode()!r})\nsys.exit(0)\n")
    for name, text in files.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(text)
    return files


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """RUNNER_TEMP after the action's own install step ran (a real pip install of this checkout), run as GitHub
    runs it: in the workspace, which here holds a pull request's shadowing modules and sets PYTHONPATH to itself."""
    runner_temp = tmp_path_factory.mktemp("runner")
    ws = tmp_path_factory.mktemp("install-ws")
    shadow(ws, runner_temp.parent / "install-marker.txt")
    step = _step("Install threatscan")
    out = subprocess.run(["bash", "-c", step["run"]], cwd=ws, env=_env(runner_temp, step, {}, {"PYTHONPATH": str(ws)}),
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return runner_temp


def test_install_step_imports_nothing_from_the_workspace(installed):
    assert not (installed.parent / "install-marker.txt").exists()


def _steps() -> list[dict]:
    return yaml.safe_load(ACTION.read_text())["runs"]["steps"]


def _step(name: str) -> dict:
    return next(s for s in _steps() if s.get("name") == name)


def _env(runner_temp: Path, step: dict, inputs: dict, extra: dict | None = None, outputs: dict | None = None) -> dict:
    defaults = {k: str(v.get("default", "")) for k, v in yaml.safe_load(ACTION.read_text())["inputs"].items()}
    values = {**defaults, **inputs}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TS_"))}
    env.update({"GITHUB_ACTION_PATH": str(REPO), "RUNNER_TEMP": str(runner_temp)})
    for key, value in (step.get("env") or {}).items():
        value = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], str(value))
        env[key] = re.sub(r"\$\{\{\s*steps\.[\w-]+\.outputs\.([\w-]+)\s*\}\}",
                          lambda m: (outputs or {}).get(m.group(1), ""), value)
    env.update(extra or {})
    return env


def _condition(expr: str, outputs: dict) -> bool:
    m = re.fullmatch(r"steps\.[\w-]+\.outputs\.([\w-]+) == '([^']*)'", expr.strip())
    assert m, f"the simulation does not understand the condition {expr!r}"
    return outputs.get(m.group(1)) == m.group(2)


def run_action(tmp_path: Path, runner_temp: Path, *, fork: bool = False, inputs: dict | None = None,
               files: dict | None = None, base_files: dict | None = None, extra_env: dict | None = None,
               prepare=None):
    """The base commit holds app.py (CLEAN), the pull request adds deploy.py (VULNERABLE) and `files`; with
    `base_files`, the base holds exactly those and the pull request changes exactly `files`."""
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.email", "ci@example.invalid")
    git(ws, "config", "user.name", "ci")
    for name, text in (base_files or {"app.py": CLEAN}).items():
        (ws / name).write_text(text)
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "base")
    base = git(ws, "rev-parse", "HEAD")
    if base_files is None:
        (ws / "deploy.py").write_text(VULNERABLE)
    for name, text in (files or {}).items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(text)
    if prepare is not None:
        prepare(ws)
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "change")
    head_repo = "someone/fork" if fork else "acme/shop"
    event = {"pull_request": {"base": {"sha": base, "repo": {"full_name": "acme/shop"}},
                              "head": {"sha": git(ws, "rev-parse", "HEAD"), "repo": {"full_name": head_repo}}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    github = {
        "GITHUB_WORKSPACE": str(ws), "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": git(ws, "rev-parse", "HEAD"), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "1", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
        **(extra_env or {}),
    }
    (tmp_path / "summary.md").write_text("")
    (tmp_path / "output.txt").write_text("")
    ran = []
    outputs: dict = {}
    stdout = stderr = ""
    exit_code = 0
    for step in _steps():
        if step.get("name") == "Install threatscan":  # done once, by the `installed` fixture
            continue
        if "if" in step and not _condition(step["if"], outputs):
            continue
        if "uses" in step:
            ran.append(("uses", step["uses"].split("@")[0], {k: re.sub(r"\$\{\{\s*steps\.[\w-]+\.outputs\.([\w-]+)\s*\}\}",
                                                                    lambda m: outputs.get(m.group(1), ""), str(v))
                                                            for k, v in step.get("with", {}).items()}))
            continue
        out = subprocess.run(["bash", "-c", step["run"]], cwd=ws, env=_env(runner_temp, step, inputs or {}, github, outputs),
                             capture_output=True, text=True, timeout=300)
        stdout += out.stdout
        stderr += out.stderr
        ran.append(("run", step["name"], out.returncode))
        outputs = dict(line.split("=", 1) for line in (tmp_path / "output.txt").read_text().splitlines() if "=" in line)
        if out.returncode != 0:
            exit_code = out.returncode
            break
    return {"ran": ran, "outputs": outputs, "stdout": stdout, "stderr": stderr, "exit": exit_code,
            "summary": (tmp_path / "summary.md").read_text()}


@pytest.mark.external
def test_pull_request_scan_uploads_annotates_summarises_and_fails(tmp_path, installed):
    r = run_action(tmp_path, installed)
    assert r["outputs"]["upload"] == "true"
    assert r["outputs"]["category"] == "threatscan-diff", "a diff scan uploads under its own category"
    assert r["outputs"]["findings"] == "1" and r["outputs"]["high"] == "1"
    sarif = json.loads(Path(r["outputs"]["sarif-file"]).read_text())
    assert validate_schema(sarif) == []
    assert [res["ruleId"] for res in sarif["runs"][0]["results"]] == ["PY101"]
    assert _uploads(r) == [("uses", "github/codeql-action/upload-sarif",
                       {"sarif_file": r["outputs"]["sarif-file"], "category": "threatscan-diff"})]
    assert "::error file=deploy.py,line=5," in r["stdout"] and "PY101" in r["stdout"]
    assert "| high | 1 |" in r["summary"] and "TS-EXEC-CODE" in r["summary"]
    assert "https://github.com/acme/shop/blob/" in r["summary"]
    assert r["exit"] == 1 and r["ran"][-1] == ("run", "Enforce fail-on", 1)


@pytest.mark.external
def test_scan_imports_nothing_from_the_workspace(tmp_path, installed):
    """A pull request adding threatscan/, json.py, click.py (and friends) at its root, with PYTHONPATH and
    PYTHONSTARTUP pointing into the workspace, still gets scanned by the installed threatscan and fails the job."""
    marker = tmp_path / "marker.txt"
    startup = tmp_path / "ws" / "startup.py"
    r = run_action(tmp_path, installed, prepare=lambda ws: shadow(ws, marker),
                   extra_env={"PYTHONPATH": str(tmp_path / "ws"), "PYTHONSTARTUP": str(startup),
                              "PYTHONSAFEPATH": "", "PYTHONHOME": ""})
    assert not marker.exists(), marker.read_text()
    assert r["outputs"]["findings"] == "1" and r["outputs"]["high"] == "1"
    assert r["outputs"]["upload"] == "true"
    assert r["exit"] == 1 and r["ran"][-1] == ("run", "Enforce fail-on", 1)


def test_a_scan_step_that_reports_nothing_fails_the_job(tmp_path):
    """Fail closed: if the scan step ends with exit 0 but wrote no outputs (what code that is not threatscan's
    would do), the enforcing step fails the job."""
    fake = tmp_path / "runner"
    (fake / "threatscan-venv" / "bin").mkdir(parents=True)
    python = fake / "threatscan-venv" / "bin" / "python"
    python.write_text("#!/bin/sh\nexit 0\n")
    python.chmod(0o755)
    r = run_action(tmp_path, fake)
    assert ("run", "Scan", 0) in r["ran"] and "exit-code" not in r["outputs"]
    assert not _uploads(r)
    assert r["exit"] == 1 and r["ran"][-1] == ("run", "Enforce fail-on", 1)
    assert "failing closed" in r["stdout"]


@pytest.mark.external
def test_untrusted_names_reach_log_annotations_and_summary_escaped(tmp_path, installed):
    """File names with new lines and workflow commands, Markdown and HTML: every line of the step's output that
    the runner would obey is threatscan's own, and the summary renders the names as text."""
    nasty = "x\n::add-mask::hidden\n::stop-commands::zzz\n::error::pwned <img src=x> @acme-corp ![i](https:e).py"
    r = run_action(tmp_path, installed, files={nasty: VULNERABLE, "y\n::warning::bin.py": "x = 1\0\n"})
    own = re.compile(r"::(error|warning|notice) [^\n]*|::stop-commands::[0-9a-f]{32}|::[0-9a-f]{32}::")
    commands = [line for line in r["stdout"].splitlines() if line.lstrip().startswith("::")]
    assert commands and all(own.fullmatch(line) for line in commands), commands
    token = next(line for line in commands if line.startswith("::stop-commands::")).split("::")[2]
    assert f"::{token}::" in commands  # commands are switched back on after the scan
    assert not [line for line in r["stderr"].splitlines() if line.lstrip().startswith("::")]
    annotation = next(line for line in commands if "PY101" in line and line.startswith("::error file=x"))
    assert annotation.startswith("::error file=x%0A%3A%3Aadd-mask%3A%3Ahidden%0A")  # the real name, escaped
    prose = re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", "CODE", r["summary"])  # code spans show HTML as text
    assert "CODE" in prose and "<img" not in prose and "@acme-corp" not in prose and "![" not in prose
    assert r["exit"] == 1


@pytest.mark.external
def test_fork_pull_request_skips_upload_and_says_so(tmp_path, installed):
    r = run_action(tmp_path, installed, fork=True)
    assert r["outputs"]["upload"] == "false"
    assert not _uploads(r)
    assert "fork" in r["summary"]


@pytest.mark.external
def test_findings_below_fail_on_pass(tmp_path, installed):
    r = run_action(tmp_path, installed, inputs={"fail-on": "critical"})
    assert r["exit"] == 0 and r["outputs"]["exit-code"] == "0"
    assert r["outputs"]["findings"] == "1" and r["outputs"]["upload"] == "true"


@pytest.mark.external
def test_failed_scan_uploads_nothing_and_fails_the_step(tmp_path, installed):
    r = run_action(tmp_path, installed, files={".threatscan.toml": "colour = 'red'\n"})
    assert r["exit"] == 2
    assert r["outputs"]["upload"] == "false" and r["outputs"]["sarif-file"] == ""
    assert not _uploads(r)
    assert not (installed / "threatscan.sarif").exists()
    assert "The scan failed" in r["summary"]


def _uploads(r) -> list:
    return [x for x in r["ran"] if x[0] == "uses" and x[1] == "github/codeql-action/upload-sarif"]


def _plan_caches(tmp_path, event: str, extra: str = "") -> dict:
    step = _step("Plan the caches")
    out_file = tmp_path / f"plan-{event}-{len(extra)}.txt"
    out_file.write_text("")
    env = _env(tmp_path, step, {"extra-requirements": extra},
               {"GITHUB_EVENT_NAME": event, "GITHUB_OUTPUT": str(out_file), "GITHUB_SHA": "a" * 40,
                "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "1", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"})
    out = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return dict(line.split("=", 1) for line in out_file.read_text().splitlines())


def test_caches_are_saved_only_by_runs_of_trusted_branches(tmp_path):
    """GitHub scopes a pull request's saved caches to the pull request, but pull_request_target and workflow_run jobs
    save into the base branch's scope: only push, schedule and workflow_dispatch runs save the environment or the
    scan cache that later runs (pull requests included) restore."""
    for event in ("push", "schedule", "workflow_dispatch"):
        assert _plan_caches(tmp_path, event)["save"] == "true"
    for event in ("pull_request", "pull_request_target", "workflow_run", "issue_comment", "merge_group"):
        assert _plan_caches(tmp_path, event)["save"] == "false"
    steps = {s["name"]: s for s in _steps()}
    assert steps["Save the scan cache"]["if"] == "steps.cache-plan.outputs.save == 'true'"
    assert steps["Save the installed environment"]["if"] == "steps.install.outputs.save-venv == 'true'"
    plain, extra = _plan_caches(tmp_path, "push"), _plan_caches(tmp_path, "push", "bandit")
    assert plain["venv-key"] != extra["venv-key"]  # a venv with peers installed is another environment
    assert plain["results-key"].startswith(plain["results-prefix"]) and "a" * 40 in plain["results-key"]
    assert "venv" not in plain["results-prefix"]


@pytest.mark.external
def test_pull_request_restores_the_caches_fills_the_scan_cache_and_saves_nothing(tmp_path, installed):
    r = run_action(tmp_path, installed, extra_env={"THREATSCAN_NO_CACHE": ""})  # (the suite turns the cache off)
    used = [x[1] for x in r["ran"] if x[0] == "uses"]
    assert used.count("actions/cache/restore") == 2 and "actions/cache/save" not in used
    restored = next(x[2] for x in r["ran"] if x[0] == "uses" and x[2].get("path", "").endswith("threatscan-cache"))
    assert restored["key"].startswith(restored["restore-keys"])
    assert any((installed / "threatscan-cache").rglob("*.json")), "the scan writes its cache where it is restored"


def test_annotations_respect_github_limits():
    from threatscan.cli.github_action import annotations

    findings = [{"rule_id": "PY101", "threats": ["ECOM-2"], "severity": "high", "message": "m, with: 100%\nnew line",
                 "location": {"path": f"a,{i}.py", "line": i + 1, "column": 1, "end_line": None}} for i in range(15)]
    lines, left = annotations(findings, None)
    assert len(lines) == 10 and left == 5
    assert lines[0] == "::error file=a%2C0.py,line=1,title=threatscan PY101 [ECOM-2],col=1::m, with: 100%25%0Anew line"


def test_limit_sarif_keeps_the_most_severe_results():
    from threatscan.cli.github_action import limit_sarif

    rules = [{"id": "A", "properties": {"security-severity": "9.0"}}, {"id": "B", "properties": {"security-severity": "2.0"}}]
    results = [{"ruleIndex": i % 2, "level": "error" if i % 2 == 0 else "note", "message": {"text": "x"}} for i in range(30_000)]
    log = {"runs": [{"tool": {"driver": {"rules": rules}}, "results": results}]}
    log, dropped = limit_sarif(log)
    kept = log["runs"][0]["results"]
    assert len(kept) == 25_000 and dropped == 5_000
    assert sum(r["level"] == "error" for r in kept) == 15_000


GUEST = """\
import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = "guest"
    os.system("echo hello " + name)
    return "ok"
"""


@pytest.mark.external
def test_pull_request_that_only_changes_the_source_line_of_a_flow_fails(tmp_path, installed):
    """issue 14: the PR turns `name = "guest"` into request data; the os.system line is unchanged. The diff scan
    must report the injection (its flow starts on a changed line) and fail the job."""
    changed = GUEST.replace('name = "guest"', 'name = request.args.get("name")')
    r = run_action(tmp_path, installed, base_files={"app.py": GUEST}, files={"app.py": changed})
    sarif = json.loads(Path(r["outputs"]["sarif-file"]).read_text())
    results = sarif["runs"][0]["results"]
    assert [(res["ruleId"], res["locations"][0]["physicalLocation"]["region"]["startLine"]) for res in results] \
        == [("PY102", 11)], "the sink line did not change, the flow's source did"
    steps = [loc["location"]["physicalLocation"]["region"]["startLine"]
             for loc in results[0]["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert 10 in steps
    assert "::error file=app.py,line=11," in r["stdout"]
    assert "1 files scanned" in r["summary"] or "1 file scanned" in r["summary"]
    assert r["exit"] == 1 and r["ran"][-1] == ("run", "Enforce fail-on", 1)
