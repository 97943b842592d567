#!/usr/bin/env python3
"""Warm rescans and start-up: what a developer waits for on the second run.

    python bench/rescan.py [--package django==5.1.4] [--tree DIR] [--runs 3]

Prints, side by side, the CPU and wall time of: `threatscan --version` and `threatscan rules` (start-up); a cold
scan with an empty cache; a warm rescan with nothing changed; a rescan after one Python file changed; and, as
anchors, `ruff check --select S` and `bandit -r` (each when on PATH or installed in bench/.work/venv) and read + `ast.parse` of
the same files in one process (the parse floor). Uses the tree of bench/python_vs_bandit.py (a wheel unpacked
under bench/.work/). A benchmark, not a test: the suite never runs it.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run  # noqa: E402
from python_vs_bandit import VENV, ensure_tree  # noqa: E402

THREATSCAN = [sys.executable, "-m", "threatscan.cli"]


def median(cmd: list[str], runs: int):
    results = [run(cmd) for _ in range(runs)]
    return statistics.median(r.wall for r in results), statistics.median(r.cpu for r in results)


def parse_floor(tree: Path) -> float:
    start = time.process_time()
    for path in tree.rglob("*.py"):
        try:
            ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            pass
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tree = args.tree or ensure_tree(args.package)
    work = Path(tempfile.mkdtemp(prefix="threatscan-rescan-"))
    copy = work / "tree"
    shutil.copytree(tree, copy)
    cache = work / "cache"
    scan = THREATSCAN + ["scan", str(copy), "--engines", "native", "--fail-on", "none", "-q", "--format", "json",
                         "-o", str(work / "out.json"), "--cache-dir", str(cache)]
    rows = []
    rows.append(("threatscan --version", *median(THREATSCAN + ["--version"], args.runs)))
    rows.append(("threatscan rules", *median(THREATSCAN + ["rules"], args.runs)))
    cold = run(scan + ["-j", "1"])
    rows.append(("cold scan, empty cache, 1 process", cold.wall, cold.cpu))
    rows.append(("warm rescan, nothing changed", *median(scan, args.runs)))
    victim = sorted(copy.rglob("*.py"), key=lambda p: p.stat().st_size)[len(list(copy.rglob("*.py"))) // 2]
    victim.write_text(victim.read_text() + "\n# touched\n")
    touched = run(scan + ["-j", "1"])
    rows.append(("rescan after one .py changed, 1 process", touched.wall, touched.cpu))
    floor = parse_floor(copy)
    rows.append(("parse floor: read + ast.parse, 1 process", float("nan"), floor))
    ruff = shutil.which("ruff") or (str(VENV / "bin" / "ruff") if (VENV / "bin" / "ruff").exists() else None)
    if ruff:
        rows.append(("ruff check --select S (anchor)", *median([ruff, "check", "--select", "S", "--no-cache",
                                                                "--exit-zero", "-q", str(copy)], args.runs)))
    bandit = shutil.which("bandit") or (str(VENV / "bin" / "bandit") if (VENV / "bin" / "bandit").exists() else None)
    if bandit:
        rows.append(("bandit -r (anchor)", *median([bandit, "-r", str(copy), "-f", "json", "-q", "-o",
                                                   str(work / "bandit.json")], args.runs)))
    print(f"tree: {tree} ({len(list(copy.rglob('*.py')))} Python files)")
    print(f"{'command':<44} {'wall s':>8} {'CPU s':>8} {'CPU / parse floor':>18}")
    for name, wall, cpu in rows:
        print(f"{name:<44} {wall:>8.2f} {cpu:>8.2f} {cpu / floor:>18.2f}")
    by_name = {name: cpu for name, _, cpu in rows}
    cold = by_name["cold scan, empty cache, 1 process"]
    for anchor in ("bandit -r (anchor)", "ruff check --select S (anchor)"):
        if anchor in by_name:
            print(f"{anchor.split(' (')[0]} CPU / threatscan cold CPU: {by_name[anchor] / cold:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
