"""What the data-flow pass costs: scan a large Python tree with all Python rules, with the pass and without it
(every sink then sees a value of unknown origin, the pattern rules' view), and print the wall times and ratio.

    .venv/bin/python bench/dataflow_speed.py [TREE]     # default: this environment's site-packages
"""

from __future__ import annotations

import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from threatscan.catalog import load_catalog  # noqa: E402
from threatscan.scan import ScanOptions, run_scan  # noqa: E402


def scan(tree: Path, dataflow: bool) -> tuple[float, int, int]:
    import threatscan.engines.python.context as context
    from threatscan.lang.python import dataflow as df
    from threatscan.engines.python.checks import _taint

    original, indirect = context.PyContext.taint_verdict, _taint.indirect_sinks
    if not dataflow:
        context.PyContext.taint_verdict = lambda self, node, family=None: df.Verdict(df.UNKNOWN_SOURCE)
        _taint.indirect_sinks = lambda *a, **k: []
    try:
        started = time.perf_counter()
        result = run_scan(ScanOptions(paths=[str(tree)], root=tree, select=("PY*",), jobs=1), load_catalog())  # one process: the cost, not the cores
        seconds = time.perf_counter() - started
    finally:
        context.PyContext.taint_verdict, _taint.indirect_sinks = original, indirect
    flows = sum(1 for f in result.findings if f.flow)
    return seconds, len(result.files), flows


def main() -> int:
    tree = Path(sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["purelib"]).resolve()
    scan(tree, False)  # warm the file-system cache
    off = min(scan(tree, False)[0] for _ in range(2))
    runs = [scan(tree, True) for _ in range(2)]
    on = min(r[0] for r in runs)
    files, flows = runs[0][1], runs[0][2]
    print(f"tree: {tree} ({files} files)")
    print(f"without the data-flow pass: {off:.2f} s")
    print(f"with the data-flow pass:    {on:.2f} s  ({flows} findings with a data flow)")
    print(f"ratio: {on / off:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
