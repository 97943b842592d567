"""`--diff BASE`: which files and lines changed since a git revision (the working tree against BASE).

Added, modified and renamed files count (deleted ones are skipped), and so do untracked files that git does not
ignore (all their lines). Line sets come from `git diff -U0`; a pure rename with no edits has no changed lines; where lines were only deleted,
the lines on both sides of the deletion count as changed (a removed sanitiser changes the code around it).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .. import gitsafe

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
# What git's diff would otherwise take from the repository's or the user's configuration: prefixes
# (diff.noprefix, diff.mnemonicPrefix), relative paths, colour, external diff and textconv programs.
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/",
                 "--ignore-submodules=all", "-M", "--diff-filter=AMR")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


class DiffError(ValueError):
    pass


def _git(root: Path, *args: str) -> str:
    try:
        out = gitsafe.run(root, *args)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(f"git is needed for --diff: {exc}") from None
    if out.returncode != 0:
        raise DiffError(out.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return out.stdout.decode("utf-8", "surrogateescape")


def unquote_path(text: str) -> str:
    """A path as git prints it in a patch header: C-quoted ("a\\tb\\303\\251") when it holds a quote, a
    backslash, a control or (with core.quotePath) a non-ASCII character; otherwise as is."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _C_ESCAPES:
                out.append(_C_ESCAPES[nxt])
                i += 2
                continue
            if re.fullmatch(r"[0-3][0-7]{2}", body[i + 1:i + 4]):
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _target(header: str, names: set[str]) -> str | None:
    """The new path of a `+++ ` line: C-quoted, or plain with a tab after it when the name holds a space."""
    text = header[4:]
    if text == "/dev/null":
        return None
    for candidate in (text, text.rstrip("\t"), text[:-1] if text.endswith("\t") else text):
        name = unquote_path(candidate)
        if name.startswith("b/") and name[2:] in names:
            return name[2:]
    return None


def changed_lines(root: Path, base: str) -> dict[str, set[int] | None]:
    """path relative to root -> changed line numbers (None: the whole file is new)."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except DiffError as exc:
        # `--quiet` says nothing when the name is no commit; anything on stderr is git failing for another reason
        # (no repository, an unreadable configuration), which the user needs to see instead.
        detail = "" if str(exc).startswith("git rev-parse") else f" ({exc})"
        raise DiffError(f"--diff: {base!r} is not a commit in {root}{detail}") from None
    # The names, NUL-separated (never quoted): every changed file is scanned, also one whose patch git does not
    # show (binary to git) or whose header cannot be read back.
    changed: dict[str, set[int] | None] = {}
    no_filters = gitsafe.filter_overrides(root)  # the repository's clean filters do not run
    fields = _git(root, *no_filters, "diff", "-z", "--name-status", *_DIFF_OPTIONS, base, "--").split("\0")
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status.startswith(("R", "C")):
            changed[fields[i + 2]] = set()
            i += 3
        else:
            changed[fields[i + 1]] = set()
            i += 2
    names = set(changed)
    current: str | None = None
    header = False  # between "diff --git" and the first hunk: an added line "++ x" shows as "+++ x" in a hunk
    for line in _git(root, *no_filters, "diff", "-U0", *_DIFF_OPTIONS, base, "--").split("\n"):
        if line.startswith("diff --git "):
            header, current = True, None
        elif header and line.startswith("+++ "):
            current = _target(line, names)
        elif line.startswith("@@"):
            header = False
            m = _HUNK.match(line)
            if m and current is not None:
                start, count = int(m.group(1)), int(m.group(2) or 1)
                lines = changed[current]
                if lines is not None:
                    # A pure deletion (`+N,0`: lines removed after line N) changes the lines on both sides of it.
                    lines.update(range(start, start + count) if count else (start, start + 1))
    for name in _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if name:
            changed[name] = None
    return changed
