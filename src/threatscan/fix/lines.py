"""A file's lines, split once per text: a file with many findings is fixed (and its fix diffed against the scanned
text) once per finding, so the same text is split again and again otherwise."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=8)
def split_lines(text: str) -> tuple[str, ...]:
    """`text.splitlines(keepends=True)`, kept for the few texts in use (a tuple: callers copy before editing)."""
    return tuple(text.splitlines(keepends=True))
