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

- for diffs, which read working-tree files through the repository's clean filters, `filter_overrides()` blanks
  the command of every filter driver the repository's configuration defines (read with `git config`, which runs
  nothing); git has no switch that turns filters off before 2.40's `--attr-source`.
"""

from __future__ import annotations

import os
import re
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


_DRIVER_KEY = re.compile(r"^filter\.(.+)\.(?:clean|smudge|process|required)$", re.I)


def filter_overrides(cwd: str | os.PathLike) -> tuple[str, ...]:
    """`-c filter.NAME.clean= ...` for every filter driver configured for the repository at `cwd`: an empty command
    is no filter, so git reads the working tree's bytes as they are."""
    try:
        out = run(cwd, "config", "--null", "--name-only", "--get-regexp", r"^filter\.")
    except (OSError, subprocess.SubprocessError):
        return ()
    names = {m.group(1) for key in out.stdout.decode("utf-8", "surrogateescape").split("\0")
             if (m := _DRIVER_KEY.match(key.strip()))}
    args: list[str] = []
    for name in sorted(names):
        for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            args += ["-c", f"filter.{name}.{key}={value}"]
    return tuple(args)


def run(cwd: str | os.PathLike, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `git ARGS` in `cwd`, hardened; output as bytes. Raises OSError / SubprocessError like subprocess."""
    return subprocess.run(command(*args), cwd=Path(cwd), env=environment(), capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False)
