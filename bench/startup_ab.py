#!/usr/bin/env python3
"""Start-up of two versions of threatscan, interleaved: `threatscan --version` and `threatscan rules`.

    python bench/startup_ab.py --before OLD/src --after NEW/src [--runs 21]

Runs each command of each version `--runs` times, alternating between the versions, and prints the median and the
spread of CPU seconds (user+sys of the child): on a shared machine, CPU time of interleaved runs is the figure to
trust. Bytecode caching is left on (PYTHONDONTWRITEBYTECODE is dropped), as for an installed package; one untimed
run of each first writes the bytecode. A benchmark, not a test: the suite never runs it. OLD/src is any exported
tree, e.g. `git archive REV src rules | tar -x -C OLD`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

COMMANDS = (("--version",), ("rules",))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the src/ directory of the old version")
    ap.add_argument("--after", type=Path, required=True, help="the src/ directory of the new version")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    env0 = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    versions = {"before": args.before.resolve(), "after": args.after.resolve()}

    def run(name: str, command: tuple[str, ...]) -> float:
        start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "threatscan.cli", *command], env=dict(env0, PYTHONPATH=str(versions[name])),
                       check=True, stdout=subprocess.DEVNULL)
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        return end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime

    for name in versions:
        for command in COMMANDS:
            run(name, command)  # writes the bytecode
    results: dict[tuple[str, tuple], list[float]] = {(n, c): [] for n in versions for c in COMMANDS}
    for _ in range(args.runs):
        for command in COMMANDS:
            for name in versions:
                results[(name, command)].append(run(name, command))
    print(f"{args.runs} interleaved runs; CPU seconds (user+sys)")
    for (name, command), xs in results.items():
        xs.sort()
        print(f"{name:7} threatscan {' '.join(command):10} median {statistics.median(xs):5.3f}   "
              f"min {xs[0]:.3f}  max {xs[-1]:.3f}  share <= 0.150: {sum(x <= 0.150 for x in xs)}/{len(xs)}")


if __name__ == "__main__":
    main()
