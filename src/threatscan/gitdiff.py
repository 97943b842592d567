"""`--diff BASE`: which files and lines changed since a git revision (the working tree against BASE).

Added, modified and renamed files count (deleted ones are skipped), and so do untracked files that git does not
ignore (all their lines). Line sets come from `git diff -U0`; a pure rename with no edits has no changed lines; where lines were only deleted,
the lines on both sides of the deletion count as changed (a removed sanitiser changes the code around it).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class DiffError(ValueError):
    pass


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(f"git is needed for --diff: {exc}") from None
    if out.returncode != 0:
        raise DiffError(out.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return out.stdout.decode("utf-8", "surrogateescape")


def changed_lines(root: Path, base: str) -> dict[str, set[int] | None]:
    """path relative to root -> changed line numbers (None: the whole file is new)."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except DiffError:
        raise DiffError(f"--diff: {base!r} is not a commit in {root}") from None
    changed: dict[str, set[int] | None] = {}
    current: str | None = None
    for line in _git(root, "diff", "-U0", "-M", "--no-color", "--no-ext-diff", "--diff-filter=AMR", base, "--").splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                changed.setdefault(current, set())
        elif current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or 1)
                lines = changed[current]
                if lines is not None:
                    # A pure deletion (`+N,0`: lines removed after line N) changes the lines on both sides of it.
                    lines.update(range(start, start + count) if count else (start, start + 1))
    for name in _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if name:
            changed[name] = None
    return changed
