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


def line_hashes(data: bytes | str, upto: int | None = None) -> list[str]:
    """The hash of every line, in order (index 0 is line 1); only lines 1..`upto` when it is given.

    A file ending in a newline has one more (empty) line than it shows, as in the action."""
    units, starts = _prepare(data, upto)
    counts: dict[bytes, int] = {}
    out = []
    for s in starts:
        window = units[2 * s:2 * s + 2 * BLOCK_SIZE]
        counts[window] = counts.get(window, 0) + 1
        out.append(f"{_hash(window):x}:{counts[window]}")
    return out


def hashes_for_lines(data: bytes | str, lines: Iterable[int]) -> dict[int, str]:
    """{line: primaryLocationLineHash} for the given 1-based line numbers (lines past the end are left out).

    Only the wanted lines are hashed; the `:N` suffix counts the earlier lines whose 100-character window is the
    same (identical windows are what give identical hashes), so a 50 MB file costs a few slices, not a loop over
    every character."""
    wanted = sorted({n for n in lines if n >= 1})
    if not wanted:
        return {}
    units, starts = _prepare(data, wanted[-1])
    want = set(wanted)
    counts: dict[bytes, int] = {}
    out = {}
    for number, s in enumerate(starts, start=1):
        window = units[2 * s:2 * s + 2 * BLOCK_SIZE]
        counts[window] = counts.get(window, 0) + 1
        if number in want:
            out[number] = f"{_hash(window):x}:{counts[window]}"
    return out


def _prepare(data: bytes | str, upto: int | None) -> tuple[bytes, list[int]]:
    """(the hashed characters as UTF-16-LE bytes, padded with the end mark and zeros; where each line starts, in
    code units). Spaces and tabs are dropped; CRLF and CR become LF (a CR, then a space, then LF is two breaks)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = text.encode("utf-16-le")
    starts = [0]
    limit = upto if upto is not None else -1
    pos = units.find(b"\n\x00")
    while pos != -1 and len(starts) != limit:
        if pos % 2:  # the two bytes straddle two code units: not a line feed
            pos = units.find(b"\n\x00", pos + 1)
            continue
        starts.append(pos // 2 + 1)
        pos = units.find(b"\n\x00", pos + 2)
    return units + EOF.to_bytes(2, "little") + bytes(2 * BLOCK_SIZE), starts


def _hash(window: bytes) -> int:
    h = 0
    codes = array("H")
    codes.frombytes(window)
    for c in codes:
        h = (h * MOD + c) & MASK
    return h
