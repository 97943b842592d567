#!/usr/bin/env python3
"""How many worker processes should a scan use by default? Cold scans of one tree with -j 1, 2, ... interleaved.

    python bench/jobs.py [--tree DIR] [--jobs 1,2] [--runs 3]

Each run is `threatscan scan TREE --engines native --format json --no-cache -j N` as a child process measured by
bench/_measure.py (wall time, CPU of the process and its workers, peak PSS summed over the process tree); the
commands alternate so that a change in the machine's load hits every setting alike. Prints the medians and each
setting's wall-time speed-up and CPU cost against -j 1. Uses the Django tree of bench/python_vs_bandit.py unless
--tree names another. A benchmark, not a test: the suite never runs it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run  # noqa: E402
from python_vs_bandit import ensure_tree  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tree = args.tree or ensure_tree(args.package)
    settings = [int(j) for j in args.jobs.split(",")]
    out = Path(tempfile.mkdtemp(prefix="threatscan-jobs-")) / "out.json"
    env = dict(os.environ, THREATSCAN_NO_CACHE="1")
    results: dict[int, list] = {j: [] for j in settings}
    for _ in range(args.runs):
        for j in settings:
            cmd = [sys.executable, "-m", "threatscan.cli", "scan", str(tree), "--engines", "native", "--fail-on",
                   "none", "-q", "--format", "json", "-o", str(out), "--no-cache", "-j", str(j)]
            results[j].append(run(cmd, env=env))
            print(f"-j {j}: {results[j][-1].wall:.1f} s wall, {results[j][-1].cpu:.1f} s CPU", file=sys.stderr)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"tree: {tree}; {os.cpu_count()} CPUs; load average at the end {load:.1f}")
    print(f"{'jobs':>4} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'speed-up':>9} {'CPU cost':>9}")
    base_wall = statistics.median(r.wall for r in results[settings[0]])
    base_cpu = statistics.median(r.cpu for r in results[settings[0]])
    for j in settings:
        wall = statistics.median(r.wall for r in results[j])
        cpu = statistics.median(r.cpu for r in results[j])
        peak = statistics.median(r.peak_mib for r in results[j])
        print(f"{j:>4} {wall:>8.1f} {cpu:>8.1f} {peak:>9.0f} {base_wall / wall:>8.2f}x {cpu / base_cpu:>8.2f}x")


if __name__ == "__main__":
    main()
