#!/usr/bin/env python3
"""threatscan vs bandit on the same large real Python tree: wall time, peak memory and the ratio.

    python bench/python_vs_bandit.py [--package django==5.1.4] [--runs 3] [--tree DIR]

Sets itself up under bench/.work/ (git-ignored): a virtual environment with bandit (from PyPI, first run only)
and the package's wheel unpacked as the tree to scan (unless --tree names another). Each tool runs once to warm
the page cache, then --runs times; the median wall time and the largest peak memory are printed. Peak memory is
the summed PSS of the tool's process tree (bench/_measure.py): threatscan forks one worker per core, and the
largest single process would understate it. threatscan runs with every native rule on (`--engines native
--fail-on none`, one process per core; `--jobs 1` adds a one-process run); bandit with `-r TREE -f json -q`
(bandit has no option to use more than one core).
This is a benchmark, not a test: it is never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run  # noqa: E402

WORK = HERE / ".work"
VENV = WORK / "venv"


def ensure_bandit() -> Path:
    bandit = VENV / "bin" / "bandit"
    if not bandit.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "bandit"], check=True)
    return bandit


def ensure_tree(spec: str) -> Path:
    name = spec.split("==")[0].split(">")[0].split("<")[0]
    tree = WORK / "tree" / spec.replace("==", "-")
    if tree.exists():
        return tree
    dl = WORK / "download"
    dl.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "-d", str(dl), spec], check=True)
    wheels = sorted(dl.glob(f"{name.replace('-', '_')}-*.whl"), key=lambda p: p.stat().st_mtime) or \
        sorted(dl.glob(f"{name.capitalize()}-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        sys.exit(f"no wheel for {spec} in {dl}")
    tmp = tree.with_name(tree.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheels[-1]) as zf:
        zf.extractall(tmp)
    tmp.rename(tree)
    return tree


def threatscan_command() -> list[str]:
    beside = Path(sys.executable).with_name("threatscan")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("threatscan")
    if not found:
        sys.exit("threatscan is not installed (pip install -e .)")
    return [found]


def tree_size(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for p in tree.rglob("*.py"):
        files += 1
        with p.open("rb") as fh:
            lines += sum(1 for _ in fh)
    return files, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="django==5.1.4", help="wheel to unpack and scan (pip requirement)")
    ap.add_argument("--tree", type=Path, help="scan this directory instead of a downloaded package")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    bandit = ensure_bandit()
    tree = args.tree.resolve() if args.tree else ensure_tree(args.package)
    files, lines = tree_size(tree)
    version = subprocess.run([str(bandit), "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    ts = threatscan_command()
    ts_version = subprocess.run([*ts, "--version"], capture_output=True, text=True).stdout.strip()

    commands = {
        # --engines native: threatscan's own rules only, never bandit run as a peer engine inside it.
        "threatscan": [*ts, "scan", str(tree), "--format", "json", "--fail-on", "none", "--engines", "native"],
        "ts -j 1": [*ts, "scan", str(tree), "--format", "json", "--fail-on", "none", "--engines", "native", "--jobs", "1"],
        "bandit": [str(bandit), "-r", str(tree), "-f", "json", "-q"],
    }
    print(f"tree: {tree} ({files} Python files, {lines} lines)")
    print(f"{ts_version}; {version}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; {args.runs} runs after one warm-up")
    results: dict[str, dict] = {}
    for tool, cmd in commands.items():
        out = WORK / f"{tool.replace(' ', '')}.json"
        run(cmd, out)  # warm-up: page cache, .pyc files
        walls, cpus, rss = [], [], []
        for _ in range(args.runs):
            m = run(cmd, out)
            walls.append(m.wall)
            cpus.append(m.cpu)
            rss.append(m.peak_mib)
            code, how = m.exit_code, m.how
        try:
            data = json.loads(out.read_text())
            count = len(data.get("findings", data.get("results", [])))
        except (OSError, ValueError):
            count = -1
        results[tool] = {"median": statistics.median(walls), "cpu": statistics.median(cpus), "rss": max(rss)}
        print(f"  {tool:<10} wall median {statistics.median(walls):6.2f} s (runs: {', '.join(f'{w:.2f}' for w in walls)})"
              f"  CPU median {statistics.median(cpus):6.2f} s  peak memory {max(rss):4d} MiB ({how})  findings {count}  exit {code}")
        print(f"             $ {' '.join(cmd)}")
    ratio = results["bandit"]["median"] / results["threatscan"]["median"]
    cpu_ratio = results["bandit"]["cpu"] / results["threatscan"]["cpu"]
    one = results["bandit"]["median"] / results["ts -j 1"]["median"]
    print(f"threatscan is {ratio:.1f}x faster than bandit by median wall time ({cpu_ratio:.1f}x by CPU time; "
          f"{one:.1f}x with --jobs 1); target >= 3x: {'met' if ratio >= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
