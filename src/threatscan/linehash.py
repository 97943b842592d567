"""GitHub's `primaryLocationLineHash`, computed the way github/codeql-action's upload step computes it.

The upload step (src/fingerprints.ts in github/codeql-action) fills `partialFingerprints.primaryLocationLineHash`
for every result that lacks it, from the checked-out file: a rolling polynomial hash (base 37, 64-bit wrap-around)
over the 100 characters that start at the result's line, counting UTF-16 code units of the file read as UTF-8,
skipping spaces and tabs, with CR and CRLF read as LF, one end-of-file mark (65535) and zeros after it. The value is
the hash in lower-case hex, `:`, and how many lines of the file so far had the same hash (1 for the first).

threatscan writes the same value itself, so SARIF uploaded without that action (the REST API, other CI systems)
still lets GitHub track alerts across commits, and the action, finding the value it would have computed, keeps
it without a warning. The hash depends on the line's content and the ~100 characters after it, never on its line
number: inserting lines above a finding keeps it, editing the finding's line changes it.
"""

from __future__ import annotations

from array import array
from typing import Iterable

BLOCK_SIZE = 100
MOD = 37
MASK = (1 << 64) - 1
EOF = 65535
_FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def line_hashes(data: bytes | str, upto: int | None = None) -> list[str]:
    """The hash of every line, in order (index 0 is line 1); only lines 1..`upto` when it is given.

    A file ending in a newline has one more (empty) line than it shows, as in the action."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    units = array("H")
    units.frombytes(text.encode("utf-16-le"))

    seq: list[int] = []
    starts: list[int] = []
    line_start = True
    prev_cr = False
    append = seq.append
    for c in units:
        if c == _SPACE or c == _TAB or (prev_cr and c == _LF):
            prev_cr = False
            continue
        if c == _CR:
            c = _LF
            prev_cr = True
        else:
            prev_cr = False
        if line_start:
            line_start = False
            starts.append(len(seq))
        if c == _LF:
            line_start = True
        append(c)
    if line_start:
        starts.append(len(seq))
    append(EOF)
    if upto is not None:
        del starts[upto:]

    # prefix[i] = hash of seq[:i]; the window [s, s + 100) is prefix[s + 100] - prefix[s] * 37^100.
    needed = (starts[-1] + BLOCK_SIZE) if starts else 0
    seq.extend([0] * max(0, needed - len(seq)))
    prefix = [0] * (needed + 1)
    h = 0
    for i in range(needed):
        h = (h * MOD + seq[i]) & MASK
        prefix[i + 1] = h

    counts: dict[int, int] = {}
    out = []
    for s in starts:
        value = (prefix[s + BLOCK_SIZE] - prefix[s] * _FIRST_MOD) & MASK
        counts[value] = counts.get(value, 0) + 1
        out.append(f"{value:x}:{counts[value]}")
    return out


def hashes_for_lines(data: bytes | str, lines: Iterable[int]) -> dict[int, str]:
    """{line: primaryLocationLineHash} for the given 1-based line numbers (lines past the end are left out)."""
    wanted = sorted({n for n in lines if n >= 1})
    if not wanted:
        return {}
    hashes = line_hashes(data, upto=wanted[-1])
    return {n: hashes[n - 1] for n in wanted if n <= len(hashes)}
