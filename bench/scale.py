#!/usr/bin/env python3
"""Memory and linearity: does a scan's cost grow with the repository only as the number of files does?

    python bench/scale.py [--copies 1,2,4,8] [--monorepo 50000] [--jobs 1] [--tree DIR]

Builds, under a temporary directory, the Django 5.1.4 wheel's tree (bench/python_vs_bandit.py fetches it; `--tree`
names any other) copied 1, 2, 4 and 8 times side by side (`copyK/django/...`: each copy is a separate package, so
cross-file facts grow with the tree), and with `--monorepo N` a synthetic monorepo of N Python files made of real
code: the same tree copied as many times as needed, each copy in its own service directory, cut at N files. Each
tree is scanned once, cold (`--no-cache`), by `threatscan scan TREE --engines native --format json` as a child
process measured by bench/_measure.py (CPU of the process and its workers; peak memory as the PSS summed over the
process tree). Prints, per tree: files, CPU seconds, CPU milliseconds per file (linearity: flat within 20% is the
target) and peak MiB (target: at most 200 MiB whatever the size). A benchmark, not a test: the suite never runs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run  # noqa: E402
from python_vs_bandit import ensure_tree  # noqa: E402

THREATSCAN = [sys.executable, "-m", "threatscan.cli"]


def python_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file())


def build_copies(source: Path, dest: Path, copies: int) -> int:
    for k in range(copies):
        target = dest / f"copy{k}"
        if not target.exists():
            shutil.copytree(source, target)
    return len(python_files(dest))


def build_monorepo(source: Path, dest: Path, files: int) -> int:
    """`files` Python files: the source tree's files copied service by service (`svcK/<relative path>`)."""
    sources = python_files(source)
    made, k = 0, 0
    while made < files:
        for path in sources:
            if made >= files:
                break
            target = dest / f"svc{k}" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            made += 1
        k += 1
    return made


def scan(tree: Path, out: Path, jobs: str) -> tuple[float, float, int]:
    cmd = THREATSCAN + ["scan", str(tree), "--engines", "native", "--fail-on", "none", "-q", "--format", "json",
                        "-o", str(out), "--no-cache"]
    if jobs != "auto":
        cmd += ["-j", jobs]
    env = dict(os.environ, THREATSCAN_NO_CACHE="1")
    m = run(cmd, env=env)
    if m.exit_code != 0:
        sys.exit(f"scan of {tree} exited {m.exit_code}")
    return m.wall, m.cpu, m.peak_mib


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="django==5.1.4")
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--copies", default="1,2,4,8")
    ap.add_argument("--monorepo", type=int, default=0, help="also scan a synthetic monorepo of this many files")
    ap.add_argument("--jobs", default="1", help="threatscan's -j (default 1: one process); 'auto' for its default")
    ap.add_argument("--keep", type=Path, help="build the trees here and keep them (default: a temporary directory)")
    args = ap.parse_args()
    source = args.tree or ensure_tree(args.package)
    work = args.keep or Path(tempfile.mkdtemp(prefix="threatscan-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for copies in [int(c) for c in args.copies.split(",") if c]:
            tree = work / f"x{copies}"
            n = build_copies(source, tree, copies)
            rows.append((f"x{copies}", n, *scan(tree, work / f"x{copies}.json", args.jobs)))
            print(f"{rows[-1][0]}: {n} files, {rows[-1][3]:.1f} s CPU, {rows[-1][4]} MiB", file=sys.stderr)
        if args.monorepo:
            tree = work / f"mono{args.monorepo}"
            n = build_monorepo(source, tree, args.monorepo) if not tree.exists() else len(python_files(tree))
            rows.append((f"monorepo {args.monorepo}", n, *scan(tree, work / "mono.json", args.jobs)))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    base = rows[0][3] / rows[0][1] if rows else 1.0
    print(f"source: {source}; threatscan -j {args.jobs}")
    print(f"{'tree':<16} {'files':>7} {'wall s':>8} {'CPU s':>8} {'CPU ms/file':>12} {'vs first':>9} {'peak MiB':>9}")
    for name, n, wall, cpu, peak in rows:
        per = cpu / n
        print(f"{name:<16} {n:>7} {wall:>8.1f} {cpu:>8.1f} {1000 * per:>12.2f} {per / base:>9.2f} {peak:>9}")


if __name__ == "__main__":
    main()
