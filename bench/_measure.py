"""Run one command and measure it honestly: wall time, CPU time of it and its children, and peak memory summed
over every process it starts (threatscan forks workers; the largest single process would understate it).

Memory is sampled every 50 ms from /proc (Linux): the sum of PSS (proportional set size: a page shared by the
forked workers is counted once in total, not once per process) over the command's process tree. Where /proc is
missing, the peak RSS of the largest process (getrusage) is all there is, and the result says so.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and every child it waited for
    peak_mib: int  # peak memory in MiB: summed PSS of the process tree, or the largest RSS (see `how`)
    exit_code: int
    how: str  # "pss-sum" or "max-rss"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_pss(root: int) -> int:
    children = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kib(pid)
        todo.extend(children.get(pid, ()))
    return total


def run(cmd: list[str], out: Path | None = None, env: dict[str, str] | None = None, cwd: Path | None = None,
        err: Path | None = None, interval: float = 0.05) -> Measured:
    """Run `cmd` with stdout to `out` and stderr to `err` (each discarded when None) and measure it."""
    sampling = Path("/proc/self/smaps_rollup").exists()
    peak = [0]
    with open(out or os.devnull, "wb") as fh, open(err or os.devnull, "wb") as eh:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=eh, env=env, cwd=cwd)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_pss(proc.pid))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        if sampling:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        if sampling:
            sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    max_rss = usage.ru_maxrss // 1024
    if sampling and peak[0]:
        return Measured(wall, usage.ru_utime + usage.ru_stime, max(peak[0] // 1024, 1), proc.returncode, "pss-sum")
    return Measured(wall, usage.ru_utime + usage.ru_stime, max_rss, proc.returncode, "max-rss")
