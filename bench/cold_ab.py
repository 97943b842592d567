#!/usr/bin/env python3
"""Cold scans of two versions of threatscan, interleaved with the parse floor: CPU of one process, no cache.

    python bench/cold_ab.py --before OLD/src --after NEW/src [--tree DIR] [--runs 3]

Each round runs, one after another: the old version, the new version (`threatscan scan TREE --engines native -j 1
--no-cache -f json`) and the parse floor (read + `ast.parse` of every `.py` file in a fresh interpreter, start-up
included). Prints every round's CPU seconds (user+sys of the child), the medians, each version's ratio to the floor,
and whether the two versions' findings and notices are identical. Bytecode caching is left on. A benchmark, not a
test: the suite never runs it. OLD/src is any exported tree, e.g. `git archive REV src rules | tar -x -C OLD`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from python_vs_bandit import ensure_tree  # noqa: E402

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
    args = ap.parse_args()
    tree = (args.tree or ensure_tree(args.package)).resolve()
    work = Path(tempfile.mkdtemp(prefix="threatscan-cold-ab-"))
    env0 = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    versions = {"before": args.before.resolve(), "after": args.after.resolve()}

    def cpu(cmd: list[str], env: dict) -> float:
        start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        return end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime

    def scan(name: str) -> float:
        return cpu([sys.executable, "-m", "threatscan.cli", "scan", str(tree), "--engines", "native", "-j", "1",
                    "--no-cache", "--fail-on", "none", "-q", "-f", "json", "-o", str(work / f"{name}.json")],
                   dict(env0, PYTHONPATH=str(versions[name])))

    results: dict[str, list[float]] = {"before": [], "after": [], "floor": []}
    for _ in range(args.runs):
        for name in versions:
            results[name].append(scan(name))
        results["floor"].append(cpu([sys.executable, "-c", FLOOR, str(tree)], env0))
    reports = {name: json.loads((work / f"{name}.json").read_text()) for name in versions}
    same = all(reports["before"][k] == reports["after"][k] for k in ("findings", "notices"))
    floor = statistics.median(results["floor"])
    print(f"tree: {tree}; {args.runs} interleaved rounds; CPU seconds (user+sys)")
    for name, xs in results.items():
        med = statistics.median(xs)
        print(f"{name:7} median {med:6.2f}  x floor {med / floor:5.2f}   " + " ".join(f"{x:.2f}" for x in xs))
    print(f"findings and notices identical: {same} ({len(reports['after']['findings'])} findings)")


if __name__ == "__main__":
    main()
