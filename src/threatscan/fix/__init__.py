"""Fixes for findings that have one right answer: `threatscan fix`, `threatscan scan --fix` and SARIF `fixes`.

A fixer is a small function registered for a rule id: given a file's text and one finding, it returns the file's
new text with that finding fixed, or None when the code is not in a shape it can fix with certainty (a value that
arrives through `**kwargs`, a JWT decode without a key, a JSON file that is not strict JSON, ...). Python is edited
with libcst (formatting and comments kept); YAML and JSON templates, manifests and network configs by
position-preserving text edits (`text.py`, `jsonpos.py`).

A fix is *safe* when it keeps behaviour a reviewer would accept without thinking (a cookie gains `Secure`, a YAML
load becomes a safe load); *unsafe* when a human must judge the change (a component stops being exported, a
cross-site cookie becomes same-site): unsafe fixes are shown by `--diff`/`--show-fixes` and applied only with
`--unsafe-fixes`, as ruff does. A fixer's safety is its rule's, unless it returns `Edit(text, safe=...)` to say
that this one change is safer or less safe than the rule's usual one.

Fixes of one file are applied from its last finding to its first; a fix that also changes lines above the next
finding (a template parameter added before `Resources`) moves that finding's line with the unchanged lines.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..atomic import replace_atomically
from ..findings.linehash import hashes_for_lines
from ..model import Finding
from .lines import split_lines
from .registry import FIXERS, Edit, Fixer, fixer  # noqa: F401  (the fixers register here; fix.fixer stays public)


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
    replacements: tuple[Replacement, ...]


def _load() -> None:
    from . import python, text  # noqa: F401  (importing them registers their fixers)


def fixable_rules() -> dict[str, Fixer]:
    _load()
    return dict(FIXERS)


def _apply_one(text: str, finding: Finding) -> Edit | None:
    """The file's text with the finding fixed, and whether that fix is safe; None when there is no fix."""
    fx = fixable_rules().get(finding.rule_id)
    if fx is None or finding.engine != "native":  # a peer's finding points where the peer says: not fixed here
        return None
    try:
        new = fx.func(text, finding)
    except Exception:  # a fixer that cannot cope with the code fixes nothing, never breaks the scan
        return None
    if isinstance(new, str):
        new = Edit(new, fx.safe)
    return new if new is not None and new.text != text else None


def replacement(old: str, new: str) -> Replacement:
    """The lines whose replacement turns `old` into `new`: whole lines, so a reviewer reads the change as a diff
    shows it (SARIF: the region's end is the start of the first unchanged line after it)."""
    a, b = list(split_lines(old)), new.splitlines(keepends=True)
    head, tail = _common_ends(a, b)
    start = len("".join(a[:head]))
    end_old = len(old) - len("".join(a[len(a) - tail:])) if tail else len(old)
    end_new = len(new) - len("".join(b[len(b) - tail:])) if tail else len(new)
    line, col = _position(old, start)
    end_line, end_col = _position(old, end_old)
    return Replacement(line, col, end_line, end_col, new[start:end_new])


def _common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many lines two versions share at the start, and then at the end (never overlapping the start)."""
    head = _common_prefix(a, b, min(len(a), len(b)))
    tail = _common_prefix(a[::-1], b[::-1], min(len(a), len(b)) - head)
    return head, tail


def _common_prefix(a: list[str], b: list[str], limit: int) -> int:
    """How many leading items `a` and `b` share, at most `limit`. Runs of doubling length are compared as slices
    (C speed), then the run holding the first difference is halved: a file's SARIF fixes each diff the whole file,
    and a template with a thousand findings would otherwise compare its lines a thousand times in Python."""
    i, step = 0, 16
    while i < limit:
        j = min(i + step, limit)
        if a[i:j] == b[i:j]:
            i, step = j, step * 2
            continue
        lo, hi = i, j - 1  # the first difference is in [i, j): the longest equal run from i ends there
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if a[i:mid] == b[i:mid]:
                lo = mid
            else:
                hi = mid - 1
        return lo
    return limit


MAX_DIFF_LINES = 4000  # beyond this many changed-region lines, the region is one replacement (no line matching)


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes for two versions of a file that a fix changed in a few places: the common head and tail
    are equal without matching them line by line (difflib is quadratic on repeated lines, such as a template's
    `}`), and only the region between is matched."""
    head, tail = _common_ends(a, b)
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    ops = [("equal", 0, head, 0, head)] if head else []
    if not mid_a and not mid_b:
        inner = []
    elif len(mid_a) + len(mid_b) > MAX_DIFF_LINES or not mid_a or not mid_b:
        inner = [("replace", 0, len(mid_a), 0, len(mid_b))]
    else:
        inner = difflib.SequenceMatcher(None, mid_a, mid_b).get_opcodes()
    ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in inner]
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def replacements(old: str, new: str) -> tuple[Replacement, ...]:
    """Each run of changed lines as its own whole-line replacement (a parameter added at the top of a template and
    the rule that uses it further down are two replacements, not one that spans the lines between)."""
    a, b = list(split_lines(old)), new.splitlines(keepends=True)
    out = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            continue
        if i1 == len(a) and a and not a[-1].endswith("\n"):  # appended after a last line without a newline
            out.append(Replacement(len(a), len(a[-1]) + 1, len(a), len(a[-1]) + 1, "".join(b[j1:j2])))
            continue
        end_line, end_col = (i2 + 1, 1) if i2 < len(a) or not a or a[-1].endswith("\n") else (len(a), len(a[-1]) + 1)
        out.append(Replacement(i1 + 1, 1, end_line, end_col, "".join(b[j1:j2])))
    return tuple(out)


def moved_lines(old: str, new: str) -> dict[int, int]:
    """1-based line numbers of `old` that `new` keeps unchanged, mapped to their new numbers."""
    a, b = list(split_lines(old)), new.splitlines(keepends=True)
    out = {}
    for tag, i1, i2, j1, _ in _opcodes(a, b):
        if tag == "equal":
            out.update({i1 + k + 1: j1 + k + 1 for k in range(i2 - i1)})
    return out


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def fix_for(finding: Finding, text: str) -> Fix | None:
    """The fix of one finding, computed on the file as scanned (for SARIF `fixes` and `--show-fixes`). None also
    when the inserted text would show a secret: one the detector finds, or one the engine masked in the finding's
    snippet (its secret finder knows more than the detector: `auth=("user", "...")`). A report never carries one,
    and a masked fix would be wrong."""
    edit = _apply_one(text, finding)
    if edit is None:
        return None
    fx = FIXERS[finding.rule_id]
    changes = replacements(text, edit.text)
    from ..secrets import masked_behind, redact

    if not changes or any(redact(c.inserted) != c.inserted for c in changes):
        return None
    hidden = [v for v in masked_behind(finding.snippet, _line(text, finding.location.line)) if len(v.strip()) >= 4]
    if any(v in c.inserted for v in hidden for c in changes):
        return None
    return Fix(finding, edit.description or fx.description, edit.safe, changes)


def _line(text: str, number: int) -> str:
    lines = split_lines(text)
    return lines[number - 1] if 0 < number <= len(lines) else ""


def fixes_by_position(findings: list[Finding], root: Path) -> dict[int, Fix]:
    """The fix of each open finding that has one, by its position in `findings` (for the SARIF report)."""
    fixers = fixable_rules()
    texts: dict[str, str | None] = {}
    out: dict[int, Fix] = {}
    for i, f in enumerate(findings):
        if f.suppression is not None or f.rule_id not in fixers or f.engine != "native":
            continue
        path = f.location.path
        if path not in texts:
            # The findings come grouped by file: only the current file's text is kept (a report with fixable
            # findings in thousands of files would otherwise hold every one of their texts until the end).
            texts.clear()
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
    stale: bool = False  # the file no longer has the lines the scan saw: no fix is worked out for it

    def unified_diff(self) -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(True), self.fixed.splitlines(True),
                                            f"a/{self.path}", f"b/{self.path}"))


def plan(findings: Iterable[Finding], root: Path, *, unsafe: bool = False) -> list[FileFix]:
    """For each file with fixable open findings: its text with every (safe, or also unsafe) fix applied, last
    finding first; a file whose lines changed since the scan is planned as `stale`, with no fix."""
    fixers = fixable_rules()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.suppression is None and f.rule_id in fixers and f.engine == "native":
            by_path.setdefault(f.location.path, []).append(f)
    out = []
    for path, group in sorted(by_path.items()):
        try:
            data = (root / path).read_bytes()
            original = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _changed_since_scan(data, group):
            out.append(FileFix(path, original, original, hashlib.sha256(data).hexdigest(), [], [], stale=True))
            continue
        text, applied, skipped = original, [], []
        moved: dict[int, int] | None = None  # the lines an earlier fix moved (it also edited above them)
        for f in sorted(group, key=lambda f: (f.location.line, f.location.column), reverse=True):
            if moved is not None:
                f = _moved(f, moved)
                if f is None:
                    continue  # its line was changed by a fix of a later finding: left for the next run
            edit = _apply_one(text, f)
            if edit is None:
                continue
            if not edit.safe and not unsafe:
                skipped.append(f)
                continue
            lines = moved_lines(text, edit.text)
            shifted = any(old != new for old, new in lines.items() if old < f.location.line)
            moved = (lines if moved is None else {k: lines[v] for k, v in moved.items() if v in lines}) \
                if shifted or moved is not None else None
            text = edit.text
            applied.append(f)
        if applied or skipped:
            out.append(FileFix(path, original, text, hashlib.sha256(data).hexdigest(), applied[::-1], skipped[::-1]))
    return out


def _changed_since_scan(data: bytes, findings: list[Finding]) -> bool:
    """Whether the file's lines at its findings differ from those the scan saw (each finding carries the hash of
    its line and its context as scanned, GitHub's primaryLocationLineHash): a finding's position would be stale."""
    hashed = [f for f in findings if f.line_hash]
    if not hashed:
        return False
    now = hashes_for_lines(data, {f.location.line for f in hashed})
    return any(now.get(f.location.line) != f.line_hash for f in hashed)


def _moved(f: Finding, moved: dict[int, int]) -> Finding | None:
    from dataclasses import replace as _replace

    loc = f.location
    line = moved.get(loc.line)
    if line is None:
        return None
    end = None if loc.end_line is None else moved.get(loc.end_line, loc.end_line + line - loc.line)
    return f.with_(location=_replace(loc, line=line, end_line=end))


class ChangedSinceScan(Exception):
    """The file changed between the scan and the write: its fixes are not applied."""


def write(fix: FileFix, root: Path) -> None:
    target = root / fix.path
    if hashlib.sha256(target.read_bytes()).hexdigest() != fix.digest:
        raise ChangedSinceScan(fix.path)
    replace_atomically(target, fix.fixed, f".{target.name}.", ".fix", mode=target.stat().st_mode & 0o7777, newline="")
