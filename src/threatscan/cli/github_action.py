"""The scan step of the GitHub Action (action.yml): scan, write SARIF within GitHub's limits, a job summary,
annotations on the pull request's changed lines, and step outputs. Run as `python -I -m threatscan.cli.github_action`
from outside the workspace.

Inputs arrive as TS_* environment variables (action.yml maps them with `env:`, never inside `run:` scripts).
The step exits 0 when the scan ran (findings or not: a later step enforces fail-on after the upload) and 2 when
the scan failed, in which case no SARIF is left to upload. The enforcing step fails the job unless this step
wrote an `exit-code` of 0 or 1, so a scan that never ran cannot pass the gate.

The workspace is the pull request's code: nothing here imports from it or runs with it on `sys.path` (the
Python processes run isolated, `-I`, in RUNNER_TEMP), git runs hardened (gitsafe.py), and every string that
comes from it reaches the log, the annotations and the summary escaped for that medium (escape.py); while the
scan runs, workflow commands are switched off (`::stop-commands::`) so nothing it prints can issue one.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from .. import gitsafe
from ..escape import workflow_data, workflow_property
from ..findings.gitdiff import DiffError, changed_lines

# GitHub's documented limits (docs: "SARIF support for code scanning", "SARIF results exceed limits",
# actions/toolkit problem-matchers.md, job summaries).
MAX_RESULTS_PER_RUN = 25_000
MAX_SARIF_GZIP_BYTES = 10 * 1024 * 1024
ANNOTATIONS_PER_LEVEL = 10  # per step, for each of error / warning / notice
MAX_SUMMARY_BYTES = 1024 * 1024
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
_LEVEL_RANK = {"error": 3, "warning": 2, "note": 1, "none": 0}


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


escape_data = workflow_data
escape_property = workflow_property


def limit_sarif(log: dict) -> tuple[dict, int]:
    """Keep GitHub's limits: at most 25,000 results per run and 10 MB gzipped, the most severe results first.
    Returns the log and how many results were left out."""
    run = log["runs"][0]
    results = run.get("results", [])
    rules = run["tool"]["driver"].get("rules", [])

    def weight(r: dict) -> tuple:
        rule = rules[r["ruleIndex"]] if 0 <= r.get("ruleIndex", -1) < len(rules) else {}
        sec = float(rule.get("properties", {}).get("security-severity", 0) or 0)
        return (-_LEVEL_RANK.get(r.get("level", "warning"), 2), -sec)

    ordered = sorted(results, key=weight)
    keep = ordered[:MAX_RESULTS_PER_RUN]
    while keep:
        run["results"] = keep
        if len(gzip.compress(json.dumps(log).encode())) <= MAX_SARIF_GZIP_BYTES:
            break
        keep = keep[: len(keep) // 2]
    else:
        run["results"] = []
    return log, len(results) - len(run["results"])


def event() -> dict:
    path = _env("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_fork_pull_request(name: str, payload: dict) -> bool:
    if name not in PULL_REQUEST_EVENTS:
        return False
    pr = payload.get("pull_request") or {}
    head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
    return head != base


def diff_base(requested: str, name: str, payload: dict) -> str | None:
    """'auto': the pull request's base commit on pull_request events, a full scan otherwise; 'none': full."""
    if requested in ("", "auto"):
        if name in PULL_REQUEST_EVENTS:
            return ((payload.get("pull_request") or {}).get("base") or {}).get("sha")
        return None
    if requested == "none":
        return None
    return requested


def _ensure_commit(workspace: Path, sha: str) -> None:
    """actions/checkout fetches one commit by default: fetch the base too (this is the Action, not the scan)."""
    try:
        probe = gitsafe.run(workspace, "cat-file", "-e", f"{sha}^{{commit}}")
        if probe.returncode != 0:
            gitsafe.run(workspace, "fetch", "--no-tags", "--depth=1", "origin", sha, timeout=600)
    except (OSError, subprocess.SubprocessError):
        pass  # the scan then says the base is missing


def _changed(loc: dict, changed: dict) -> bool:
    if loc["path"] not in changed:
        return False
    lines = changed[loc["path"]]
    return lines is None or any(n in lines for n in range(loc["line"], (loc.get("end_line") or loc["line"]) + 1))


def annotations(findings: list[dict], changed: dict | None) -> tuple[list[str], int]:
    """Workflow commands for the most severe findings on changed lines, within GitHub's per-step limits."""
    level_of = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    candidates = []
    for f in findings:
        # A finding belongs to the change when its location, a related location or a flow step is on a changed line.
        steps = [s["location"] for s in f.get("flow") or ()]
        places = [f["location"], *(r["location"] for r in f.get("related") or ()), *steps]
        for path in {s["path"] for s in steps}:  # and the lines between its flow's steps (tail.flow_regions)
            lines = [n for s in steps if s["path"] == path for n in (s["line"], s.get("end_line") or s["line"])]
            places.append({"path": path, "line": min(lines), "end_line": max(lines)})
        if changed is not None and not any(_changed(p, changed) for p in places):
            continue
        candidates.append(f)
    candidates.sort(key=lambda f: (order.get(f["severity"], 9), f["location"]["path"], f["location"]["line"]))
    used = {"error": 0, "warning": 0, "notice": 0}
    out = []
    for f in candidates:
        level = level_of.get(f["severity"], "warning")
        if used[level] >= ANNOTATIONS_PER_LEVEL:
            continue
        used[level] += 1
        loc = f["location"]
        title = f"threatscan {f['rule_id']} [{', '.join(f['threats'])}]"
        props = [f"file={escape_property(loc['path'])}", f"line={loc['line']}", f"title={escape_property(title)}"]
        if loc.get("end_line"):
            props.append(f"endLine={loc['end_line']}")
        if loc.get("column"):
            props.append(f"col={loc['column']}")
        out.append(f"::{level} {','.join(props)}::{escape_data(f['message'])}")
    return out, len(candidates) - len(out)


def main() -> int:
    workspace = Path(_env("GITHUB_WORKSPACE") or ".").resolve()
    temp = Path(_env("RUNNER_TEMP") or "/tmp")
    sarif_path = temp / "threatscan.sarif"
    json_path = temp / "threatscan.json"
    md_path = temp / "threatscan.md"
    for stale in (sarif_path, json_path, md_path):
        stale.unlink(missing_ok=True)
    name = _env("GITHUB_EVENT_NAME")
    payload = event()
    base = diff_base(_env("TS_DIFF_BASE", "auto"), name, payload)
    category = _env("TS_CATEGORY") or "threatscan"
    if base:
        _ensure_commit(workspace, base)
        category = f"{category}-diff"  # a diff-only upload must never close alerts found by full scans
    fail_on = _env("TS_FAIL_ON") or "high"
    server, repo, sha = _env("GITHUB_SERVER_URL", "https://github.com"), _env("GITHUB_REPOSITORY"), _env("GITHUB_SHA")
    # The scan runs isolated (-I: no workspace or PYTHON* variables on sys.path), in a directory outside the
    # workspace, on absolute paths; paths from inputs are relative to the workspace, as documented.
    cmd = [sys.executable, "-I", "-m", "threatscan.cli", "scan",
           *(str(workspace / p) for p in (_env("TS_PATHS") or ".").split()),
           "--format", "sarif", "--output", str(sarif_path), "--format", "json", "--output", str(json_path),
           "--format", "markdown", "--output", str(md_path), "--fail-on", fail_on, "--category", category,
           "--exclude-suppressed", "--quiet"]
    if repo and sha:
        cmd += ["--link-base", f"{server}/{repo}/blob/{sha}"]
    for flag, value in (("--config", _env("TS_CONFIG")), ("--baseline", _env("TS_BASELINE")),
                        ("--threat-model", _env("TS_THREAT_MODEL")), ("--diff", base), ("--engines", _env("TS_ENGINES"))):
        if value:
            cmd += [flag, value if flag in ("--diff", "--engines") else str(workspace / value)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)  # nothing the scan prints can be a workflow command
    try:
        proc = subprocess.run(cmd, cwd=temp, env=env, stdin=subprocess.DEVNULL)
    finally:
        print(f"::{token}::", flush=True)
    outputs = {"category": category, "exit-code": str(proc.returncode)}
    summary: list[str] = []
    if proc.returncode not in (0, 1) or not sarif_path.exists():
        sarif_path.unlink(missing_ok=True)  # never upload a half-written or stale SARIF
        outputs.update({"upload": "false", "sarif-file": ""})
        summary.append("## threatscan\n\nThe scan failed (exit code %d): nothing was uploaded. See the step log.\n" % proc.returncode)
        _write_outputs(outputs)
        _write_summary(summary)
        return 2

    log, dropped = limit_sarif(json.loads(sarif_path.read_text(encoding="utf-8")))
    sarif_path.write_text(json.dumps(log), encoding="utf-8")
    findings = json.loads(json_path.read_text(encoding="utf-8"))["findings"]
    summary.append(md_path.read_text(encoding="utf-8"))
    if dropped:
        summary.append(f"\n> {dropped} of the least severe results were left out of the uploaded SARIF to stay within "
                       "GitHub's limits (25,000 results per run, 10 MB gzipped).\n")

    upload = _env("TS_UPLOAD", "true").lower() not in ("false", "0", "no", "off")
    if upload and is_fork_pull_request(name, payload):
        upload = False
        summary.append("\n> This pull request comes from a fork, whose token cannot write security events: the SARIF "
                       "was not uploaded to code scanning. The findings are in this summary and the annotations.\n")
    changed = None
    if name in PULL_REQUEST_EVENTS:
        pr_base = diff_base("auto", name, payload)
        if pr_base:
            try:
                changed = changed_lines(workspace, pr_base)
            except DiffError:
                changed = None
    commands, left = annotations(findings, changed)
    for line in commands:
        print(line)
    if left:
        print(f"::notice title=threatscan::{left} more findings are not annotated (GitHub shows 10 annotations of "
              "each level per step); see the job summary and code scanning.")
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("critical", "high", "medium", "low")}
    outputs.update({"sarif-file": str(sarif_path), "upload": "true" if upload else "false",
                    "findings": str(len(findings)), **counts})
    _write_outputs(outputs)
    _write_summary(summary)
    return 0


def _write_outputs(outputs: dict[str, str]) -> None:
    path = _env("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            for key, value in outputs.items():
                fh.write(f"{key}={value}\n")


def _write_summary(parts: list[str]) -> None:
    path = _env("GITHUB_STEP_SUMMARY")
    if not path:
        return
    text = "".join(parts)
    if len(text.encode()) > MAX_SUMMARY_BYTES:
        text = text.encode()[: MAX_SUMMARY_BYTES - 200].decode("utf-8", "ignore") + "\n\n(summary truncated)\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
