"""Every git command threatscan runs, run so that the scanned repository cannot make git execute anything.

A scanned directory may carry its own `.git/config` (a downloaded project, a pull request's workspace): git would
start its `core.fsmonitor` program on `status`, `diff` or `ls-files`, run hooks from `core.hooksPath` when it
refreshes the index, and run external diff and textconv programs named in the configuration. So every command:

- disables fsmonitor and hooks on the command line (`-c core.fsmonitor=false -c core.hooksPath=/dev/null`),
  which wins over the repository's configuration;
- reads no system or global configuration (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_SYSTEM and GIT_CONFIG_GLOBAL point
  at nothing): a runner's or a user's git settings do not change what a scan sees;
- takes no optional locks (GIT_OPTIONAL_LOCKS=0: a scan never rewrites the index), never prompts, never pages;
- for diffs, callers add `--no-ext-diff --no-textconv` and explicit prefixes (see gitdiff.py).

Known limit: a clean/smudge filter that a scanned repository's own `.git/config` defines and its attributes
assign can still run on `git diff` over modified working-tree files (git has no switch to turn filters off
before 2.40's `--attr-source`); the Action's checkout has no such configuration.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

HARDENING = (
    "--no-pager",
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.quotePath=false",
    "-c", "diff.external=",
    "-c", "core.pager=cat",
)


def command(*args: str) -> list[str]:
    return ["git", *HARDENING, *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_ASKPASS", "SSH_ASKPASS"):
        env.pop(name, None)
    env.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
    })
    return env


def run(cwd: str | os.PathLike, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `git ARGS` in `cwd`, hardened; output as bytes. Raises OSError / SubprocessError like subprocess."""
    return subprocess.run(command(*args), cwd=Path(cwd), env=environment(), capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False)
