#!/usr/bin/env python3
"""Cold scans of two versions of threatscan, interleaved with the parse floor: CPU of one process, no cache.

    python bench/cold_ab.py --before OLD/src --after NEW/src [--tree DIR] [--runs 3] [--anchors [--bandit-runs 3]]

Each round runs, one after another: the old version, the new version (`threatscan scan TREE --engines native -j 1
--no-cache -f json`) and the parse floor (read + `ast.parse` of every `.py` file in a fresh interpreter, start-up
included). Prints every round's CPU seconds (user+sys of the child), the medians, each version's ratio to the floor,
and whether the two versions' findings and notices are identical. With --anchors, each round also runs
`ruff check --select S --no-cache` and (in the first --bandit-runs rounds) `bandit -r -f json`, when on PATH or in
bench/.work/venv, and their ratios to the new version are printed. Bytecode caching is left on. A benchmark, not a
test: the suite never runs it. OLD/src is any exported tree, e.g. `git archive REV src rules | tar -x -C OLD`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from python_vs_bandit import VENV, ensure_tree  # noqa: E402

FLOOR = """
import ast, os, sys
for d, _, names in os.walk(sys.argv[1]):
    for n in names:
        if n.endswith(".py"):
            try:
                with open(os.path.join(d, n), "rb") as fh:
                    ast.parse(fh.read())
            except (SyntaxError, ValueError):
                pass
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the src/ directory of the old version")
    ap.add_argument("--after", type=Path, required=True, help="the src/ directory of the new version")
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--anchors", action="store_true", help="also time ruff --select S and bandit in each round")
    ap.add_argument("--bandit-runs", type=int, default=3, help="rounds that run bandit (it takes the longest)")
    args = ap.parse_args()
    tree = (args.tree or ensure_tree(args.package)).resolve()
    work = Path(tempfile.mkdtemp(prefix="threatscan-cold-ab-"))
    env0 = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    versions = {"before": args.before.resolve(), "after": args.after.resolve()}

    def cpu(cmd: list[str], env: dict, check: bool = True) -> float:  # (bandit exits 1 when it finds anything)
        start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, check=check, stdout=subprocess.DEVNULL)
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        return end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime

    def scan(name: str) -> float:
        return cpu([sys.executable, "-m", "threatscan.cli", "scan", str(tree), "--engines", "native", "-j", "1",
                    "--no-cache", "--fail-on", "none", "-q", "-f", "json", "-o", str(work / f"{name}.json")],
                   dict(env0, PYTHONPATH=str(versions[name])))

    def tool(name: str) -> str | None:
        found = shutil.which(name) or (str(VENV / "bin" / name) if (VENV / "bin" / name).exists() else None)
        return found if args.anchors else None

    ruff, bandit = tool("ruff"), tool("bandit")
    results: dict[str, list[float]] = {"before": [], "after": [], "floor": []}
    for i in range(args.runs):
        for name in versions:
            results[name].append(scan(name))
        results["floor"].append(cpu([sys.executable, "-c", FLOOR, str(tree)], env0))
        if ruff:
            results.setdefault("ruff S", []).append(cpu([ruff, "check", "--select", "S", "--no-cache", "--exit-zero",
                                                         "-q", str(tree)], env0, check=False))
        if bandit and i < args.bandit_runs:
            results.setdefault("bandit", []).append(cpu([bandit, "-r", str(tree), "-f", "json", "-q", "-o",
                                                         str(work / "bandit.json")], env0, check=False))
    reports = {name: json.loads((work / f"{name}.json").read_text()) for name in versions}
    same = all(reports["before"][k] == reports["after"][k] for k in ("findings", "notices"))
    floor = statistics.median(results["floor"])
    print(f"tree: {tree}; {args.runs} interleaved rounds; CPU seconds (user+sys)")
    for name, xs in results.items():
        med = statistics.median(xs)
        print(f"{name:7} median {med:6.2f}  x floor {med / floor:5.2f}   " + " ".join(f"{x:.2f}" for x in xs))
    after = statistics.median(results["after"])
    for name in ("ruff S", "bandit"):
        if name in results:
            med = statistics.median(results[name])
            print(f"{name}: after / {name} = {after / med:.2f} (the target is bandit / after >= 10: "
                  f"{statistics.median(results.get('bandit', [0])) / after:.2f})" if name == "bandit" else
                  f"{name}: after / {name} = {after / med:.1f}")
    print(f"findings and notices identical: {same} ({len(reports['after']['findings'])} findings)")


if __name__ == "__main__":
    main()
