"""Fixes for findings that have one right answer: `threatscan fix` and SARIF `fixes`.

A fixer is a small function registered for a rule id: given a file's text and one finding, it returns the file's
new text with that finding fixed, or None when the code is not in a shape it can fix with certainty (a value that
arrives through `**kwargs`, a JSON template, ...). Python is edited with libcst (formatting and comments kept),
templates, manifests and network configs by position-preserving text edits.

A fix is *safe* when it keeps behaviour a reviewer would accept without thinking (a cookie gains `Secure`, a YAML
load becomes a safe load); *unsafe* when a human must judge the change (a component stops being exported, a
cross-site cookie becomes same-site): unsafe fixes are shown by `--diff`/`--show-fixes` and applied only with
`--unsafe-fixes`, as ruff does.

Fixes of one file are applied from its last finding to its first, so every earlier finding's position stays valid.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..model import Finding
from .registry import FIXERS, Fixer, fixer  # noqa: F401  (the fixers register here; fix.fixer stays public)


@dataclass(frozen=True)
class Replacement:
    """One contiguous change of a file, in SARIF's terms: 1-based lines, 1-based columns in characters, the end
    exclusive; the inserted text replaces what the region covered."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    inserted: str


@dataclass(frozen=True)
class Fix:
    finding: Finding
    description: str
    safe: bool
    replacement: Replacement


def _load() -> None:
    from . import python, text  # noqa: F401  (importing them registers their fixers)


def fixable_rules() -> dict[str, Fixer]:
    _load()
    return dict(FIXERS)


def _apply_one(text: str, finding: Finding) -> str | None:
    fx = fixable_rules().get(finding.rule_id)
    if fx is None:
        return None
    try:
        new = fx.func(text, finding)
    except Exception:  # a fixer that cannot cope with the code fixes nothing, never breaks the scan
        return None
    return new if new is not None and new != text else None


def replacement(old: str, new: str) -> Replacement:
    """The lines whose replacement turns `old` into `new`: whole lines, so a reviewer reads the change as a diff
    shows it (SARIF: the region's end is the start of the first unchanged line after it)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    start = sum(len(x) for x in a[:head])
    end_old = len(old) - sum(len(x) for x in a[len(a) - tail:]) if tail else len(old)
    end_new = len(new) - sum(len(x) for x in b[len(b) - tail:]) if tail else len(new)
    line, col = _position(old, start)
    end_line, end_col = _position(old, end_old)
    return Replacement(line, col, end_line, end_col, new[start:end_new])


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def fix_for(finding: Finding, text: str) -> Fix | None:
    """The fix of one finding, computed on the file as scanned (for SARIF `fixes` and `--show-fixes`). None also
    when the inserted text would show a secret: a report never carries one, and a masked fix would be wrong."""
    new = _apply_one(text, finding)
    if new is None:
        return None
    fx = FIXERS[finding.rule_id]
    change = replacement(text, new)
    from ..secrets import redact

    if redact(change.inserted) != change.inserted:
        return None
    return Fix(finding, fx.description, fx.safe, change)


def fixes_by_position(findings: list[Finding], root: Path) -> dict[int, Fix]:
    """The fix of each open finding that has one, by its position in `findings` (for the SARIF report)."""
    fixers = fixable_rules()
    texts: dict[str, str | None] = {}
    out: dict[int, Fix] = {}
    for i, f in enumerate(findings):
        if f.suppression is not None or f.rule_id not in fixers:
            continue
        path = f.location.path
        if path not in texts:
            try:
                texts[path] = (root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                texts[path] = None
        if texts[path] is not None:
            fx = fix_for(f, texts[path])
            if fx is not None:
                out[i] = fx
    return out


@dataclass
class FileFix:
    path: str
    original: str
    fixed: str
    digest: str  # sha256 of the bytes the fixes were computed on: nothing is written if the file changed since
    applied: list[Finding]
    skipped_unsafe: list[Finding]

    def unified_diff(self) -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(True), self.fixed.splitlines(True),
                                            f"a/{self.path}", f"b/{self.path}"))


def plan(findings: Iterable[Finding], root: Path, *, unsafe: bool = False) -> list[FileFix]:
    """For each file with fixable open findings: its text with every (safe, or also unsafe) fix applied, last
    finding first."""
    fixers = fixable_rules()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.suppression is None and f.rule_id in fixers:
            by_path.setdefault(f.location.path, []).append(f)
    out = []
    for path, group in sorted(by_path.items()):
        try:
            data = (root / path).read_bytes()
            original = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text, applied, skipped = original, [], []
        for f in sorted(group, key=lambda f: (f.location.line, f.location.column), reverse=True):
            if not fixers[f.rule_id].safe and not unsafe:
                if _apply_one(original, f) is not None:
                    skipped.append(f)
                continue
            new = _apply_one(text, f)
            if new is not None:
                text = new
                applied.append(f)
        if applied or skipped:
            out.append(FileFix(path, original, text, hashlib.sha256(data).hexdigest(), applied[::-1], skipped[::-1]))
    return out


class ChangedSinceScan(Exception):
    """The file changed between the scan and the write: its fixes are not applied."""


def write(fix: FileFix, root: Path) -> None:
    target = root / fix.path
    if hashlib.sha256(target.read_bytes()).hexdigest() != fix.digest:
        raise ChangedSinceScan(fix.path)
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".fix", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(fix.fixed)
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
