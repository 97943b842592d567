#!/usr/bin/env python3
"""CPU time of the Android engine alone, in one process: `prepare` (the project model) and `scan_file` over every
file, as the sequential scan loop calls them. Discovery, report rendering and interpreter start-up are left out.

    python bench/android_engine_cpu.py [--modules 1000] [--rounds 7] [--keep DIR]

Generates the same tree as bench/android_bench.py, discovers it once, then runs --rounds rounds on fresh file
objects (nothing parsed carries over) and prints the fastest round and the median. CPU time (process_time), not
wall time: the figure stays comparable while other processes share the machine. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from android_bench import generate  # noqa: E402

from threatscan.catalog import load_catalog  # noqa: E402
from threatscan.discover import SourceFile, discover  # noqa: E402
from threatscan.engines import ScanContext, load_all  # noqa: E402
from threatscan.engines.android import ENGINE  # noqa: E402
from threatscan.registry import all_checks  # noqa: E402


def one_round(found, catalog, checks) -> tuple[float, float, int]:
    files = [SourceFile(f.path, f.rel, f.kinds, f.size, f._data) for f in found.files]
    ctx = ScanContext(root=found.root, catalog=catalog)
    ctx.files = {f.rel: f for f in files}
    started = time.process_time()
    ENGINE.prepare([f for f in files if f.kinds & ENGINE.kinds], ctx)
    prepared = time.process_time()
    findings = 0
    for f in files:
        wanted = [c for c in checks if c.kind in f.kinds & ENGINE.kinds]
        if wanted:
            findings += len(list(ENGINE.scan_file(f, wanted, ctx)))
        f.release()
    return prepared - started, time.process_time() - prepared, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into this (empty or new) directory and keep it")
    args = parser.parse_args()
    tree = args.keep or Path(tempfile.mkdtemp(prefix="threatscan-android-cpu-"))
    tree.mkdir(parents=True, exist_ok=True)
    try:
        if not any(tree.iterdir()):
            generate(tree, args.modules)
        catalog, checks = load_catalog(), all_checks()
        load_all()
        gc.freeze()  # as the CLI does
        gc.set_threshold(20_000, 50, 100)
        found = discover([tree])
        rounds = sorted((one_round(found, catalog, checks) for _ in range(args.rounds)), key=lambda r: r[0] + r[1])
        prepare, scan, findings = rounds[0]
        print(f"files: {len(found.files)}; findings: {findings}; python {sys.version.split()[0]}")
        print(f"fastest of {args.rounds} rounds: prepare {prepare:.3f} s + scan_file {scan:.3f} s = {prepare + scan:.3f} s CPU")
        print(f"median round: {statistics.median(r[0] + r[1] for r in rounds):.3f} s CPU")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
