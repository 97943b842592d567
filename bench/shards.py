#!/usr/bin/env python3
"""Scale past one machine, simulated: a synthetic monorepo scanned whole and in N shards, one shard after another.

    python bench/shards.py [--files 50000] [--shards 1,2,4] [--tree DIR] [--keep DIR]

Builds (or reuses, with --keep) the synthetic monorepo of bench/scale.py: `--files` Python files of real code (the
Django 5.1.4 wheel's tree, fetched by bench/python_vs_bandit.py, or --tree), copied service by service. Then, for
each N: N = 1 is the single run, `threatscan scan TREE --format sarif`; for N > 1, `threatscan scan TREE --shard I/N`
for I = 1..N in sequence (as N jobs of a CI matrix would run them on N machines), joined by `threatscan merge`.
Every scan is cold (`--no-cache`), native engines, `-j 1` (one process, as one matrix job on a small runner), a
child process measured by bench/_measure.py (CPU of the process, peak PSS of its process tree).

Prints each shard's CPU seconds (the wall time of a matrix is that of its slowest shard: about 1/N of the single run
plus what every shard repeats, discovery and the cross-file facts), and checks that each merged log equals the
single run's result for result (every field: rule, locations, message, fingerprints, ...). Exits 1 when one does
not. A benchmark, not a test: the suite never runs it (tests/test_shard.py checks the same equality on fixtures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run  # noqa: E402
from python_vs_bandit import ensure_tree  # noqa: E402
from scale import build_monorepo, python_files  # noqa: E402

THREATSCAN = [sys.executable, "-m", "threatscan.cli"]


def scan(tree: Path, out: Path, shard: str | None, jobs: str):
    cmd = THREATSCAN + ["scan", str(tree), "--engines", "native", "--fail-on", "none", "-q", "--format", "sarif",
                        "-o", str(out), "--no-cache", "-j", jobs]
    if shard:
        cmd += ["--shard", shard]
    m = run(cmd, env=dict(os.environ, THREATSCAN_NO_CACHE="1"))
    if m.exit_code != 0:
        sys.exit(f"{' '.join(cmd)} exited {m.exit_code}")
    return m


def key(result: dict) -> tuple:
    """What a reader compares: rule, place, message, fingerprints."""
    loc = result["locations"][0]["physicalLocation"]
    return (result["ruleId"], loc["artifactLocation"]["uri"], loc["region"].get("startLine"),
            loc["region"].get("startColumn"), result["message"]["text"],
            json.dumps(result.get("partialFingerprints"), sort_keys=True),
            json.dumps(result.get("fingerprints"), sort_keys=True))


def compare(single: dict, merged: dict) -> list[str]:
    """The differences between two runs' results, as lines to print (empty: equal, result for result)."""
    want, got = single["runs"][0]["results"], merged["runs"][0]["results"]
    if want == got:
        return []
    problems = [f"{len(got)} results merged, {len(want)} in the single run"]
    wk, gk = [key(r) for r in want], [key(r) for r in got]
    missing, extra = set(wk) - set(gk), set(gk) - set(wk)
    problems += [f"  missing: {k}" for k in sorted(missing)[:10]]
    problems += [f"  extra:   {k}" for k in sorted(extra)[:10]]
    if not missing and not extra:
        for n, (w, g) in enumerate(zip(want, got)):
            if w != g:
                problems.append(f"  result {n} differs: {key(w)}")
                problems += [f"    {field}: {w.get(field)!r} != {g.get(field)!r}"
                             for field in sorted(set(w) | set(g)) if w.get(field) != g.get(field)]
                break
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path, help="the code to copy (default: the --package wheel's tree)")
    ap.add_argument("--files", type=int, default=50000, help="Python files in the synthetic monorepo")
    ap.add_argument("--shards", default="1,2,4", help="the shard counts to run (1: the single run, always run)")
    ap.add_argument("--jobs", default="1", help="threatscan's -j for every scan (default 1)")
    ap.add_argument("--keep", type=Path, help="build the monorepo here and keep it (default: a temporary directory)")
    args = ap.parse_args()
    source = args.tree or ensure_tree(args.package)
    work = args.keep or Path(tempfile.mkdtemp(prefix="threatscan-shards-"))
    tree = work / f"mono{args.files}"
    if not tree.exists():
        build_monorepo(source, tree, args.files)
    files = len(python_files(tree))
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    counts = sorted({1, *(int(n) for n in args.shards.split(",") if n)})
    rows: list[tuple[int, int, float, float, int, int]] = []  # N, I, CPU, wall, peak MiB, results
    failed = False
    single = None
    try:
        for n in counts:
            parts = []
            for i in range(1, n + 1):
                part = out / f"n{n}-{i}.sarif"
                m = scan(tree, part, f"{i}/{n}" if n > 1 else None, args.jobs)
                results = len(json.loads(part.read_text())["runs"][0]["results"])
                rows.append((n, i, m.cpu, m.wall, m.peak_mib, results))
                print(f"N={n} shard {i}: {m.cpu:.1f} s CPU, {m.wall:.1f} s wall, {m.peak_mib} MiB, {results} results",
                      file=sys.stderr)
                parts.append(part)
            if n == 1:
                single = json.loads(parts[0].read_text())
                continue
            merged_path = out / f"n{n}-merged.sarif"
            proc = subprocess.run(THREATSCAN + ["merge", *map(str, parts), "-o", str(merged_path)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"N={n}: merge exited {proc.returncode}: {proc.stderr.strip()}")
                failed = True
                continue
            problems = compare(single, json.loads(merged_path.read_text()))
            print(f"N={n}: merged log {'EQUALS' if not problems else 'DIFFERS FROM'} the single run"
                  + (" result for result" if not problems else ""))
            for line in problems:
                print(line)
            failed = failed or bool(problems)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    base = rows[0][2]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"monorepo: {files} Python files from {source}; threatscan -j {args.jobs}; load average at the end {load:.1f}")
    print(f"{'N':>3} {'shard':>5} {'CPU s':>8} {'x single':>9} {'x 1/N':>6} {'wall s':>8} {'peak MiB':>9} {'results':>8}")
    for n, i, cpu, wall, peak, results in rows:
        print(f"{n:>3} {i:>5} {cpu:>8.1f} {cpu / base:>9.2f} {cpu / base * n:>6.2f} {wall:>8.1f} {peak:>9} {results:>8}")
    for n in counts[1:]:
        shard_cpu = [r[2] for r in rows if r[0] == n]
        print(f"N={n}: slowest shard {max(shard_cpu):.1f} s CPU = {max(shard_cpu) / base:.2f} of the single run "
              f"(1/N = {1 / n:.2f}); all shards together {sum(shard_cpu):.1f} s = {sum(shard_cpu) / base:.2f}x")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
