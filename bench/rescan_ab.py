#!/usr/bin/env python3
"""Warm rescans of two versions of threatscan, interleaved: which one waits less on a shared machine.

    python bench/rescan_ab.py --before OLD/src --after NEW/src [--tree DIR] [--runs 11] [--format json|sarif]

Each version gets its own copy of the tree and its own cache directory, scanned cold once (-j 1) to fill the cache.
Then, `--runs` times and alternating between the versions: a warm rescan with nothing changed, and a rescan after
one Python file changed (a line appended to it, -j 1), and `threatscan --version` (the start-up the targets add).
Prints the median and every run's CPU seconds (user+sys of the scan process and its children): on a loaded
machine, CPU time of interleaved runs is the figure to trust.
Bytecode caching is left on (PYTHONDONTWRITEBYTECODE is dropped), as for an installed package. A benchmark, not
a test: the suite never runs it. OLD/src is any exported tree, e.g. `git archive REV src rules | tar -x -C OLD`.
"""

from __future__ import annotations

import argparse
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
from python_vs_bandit import ensure_tree  # noqa: E402

VICTIM = "django/contrib/admin/templatetags/log.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the src/ directory of the old version")
    ap.add_argument("--after", type=Path, required=True, help="the src/ directory of the new version")
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--victim", default=VICTIM, help="the file changed before each one-change rescan")
    ap.add_argument("--format", default="json", choices=("json", "sarif"),
                    help="the report written (sarif: what a CI gate uploads; also works out each finding's fix)")
    args = ap.parse_args()
    tree = args.tree or ensure_tree(args.package)
    work = Path(tempfile.mkdtemp(prefix="threatscan-rescan-ab-"))
    env0 = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    versions = {"before": args.before.resolve(), "after": args.after.resolve()}
    for name in versions:
        shutil.copytree(tree, work / name / "tree")

    def scan(name: str, *extra: str) -> float:
        cmd = [sys.executable, "-m", "threatscan.cli", "scan", str(work / name / "tree"), "--engines", "native",
               "--fail-on", "none", "-q", "--format", args.format, "-o", str(work / name / f"out.{args.format}"),
               "--cache-dir", str(work / name / "cache"), *extra]
        return cpu(name, cmd)

    def cpu(name: str, cmd: list[str]) -> float:
        start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=dict(env0, PYTHONPATH=str(versions[name])), check=True, stdout=subprocess.DEVNULL)
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        return end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime

    for name in versions:
        scan(name, "-j", "1")  # cold: fills the cache
    results: dict[tuple[str, str], list[float]] = {(n, k): [] for n in versions for k in ("warm", "one", "version")}
    for i in range(args.runs):
        for name in versions:
            results[(name, "version")].append(cpu(name, [sys.executable, "-m", "threatscan.cli", "--version"]))
        for name in versions:
            results[(name, "warm")].append(scan(name))
        for name in versions:
            with open(work / name / "tree" / args.victim, "a", encoding="utf-8") as fh:
                fh.write(f"\n# touched {i}\n")
            results[(name, "one")].append(scan(name, "-j", "1"))
    print(f"tree: {tree}; {args.runs} interleaved runs; --format {args.format}; CPU seconds")
    labels = {"warm": "warm rescan, nothing changed", "one": "rescan after one .py changed, 1 process",
              "version": "start-up: threatscan --version"}
    for (name, kind), xs in results.items():
        print(f"{name:7} {labels[kind]:42} median {statistics.median(xs):6.3f}   "
              + " ".join(f"{x:.3f}" for x in sorted(xs)))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
