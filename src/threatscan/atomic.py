"""Atomic writes: a new temporary file beside the target, renamed over it, so a reader never sees half a file and
two writers at once leave one whole file. `replace_atomically` raises (a fix written into the user's file);
`write_quietly` is for the files threatscan keeps for itself (scan cache entries, the discovery record, the
catalogue memo), where a write that fails (read-only or full disk) costs speed on the next run, never a result."""

from __future__ import annotations

import os


def replace_atomically(path: str | os.PathLike, text: str, prefix: str, suffix: str = "", mode: int | None = None,
                       newline: str | None = None) -> None:
    """Write `text` to `path` through a temporary file in its directory (`mode`: the new file's permission bits;
    `newline`: as open()'s). The temporary file is removed when anything fails."""
    path = os.fspath(path)
    import tempfile  # here: a rescan that writes nothing never imports it (random, shutil: ~4 ms)

    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_quietly(path: str | os.PathLike, text: str, prefix: str = ".entry.") -> bool:
    """Write `text` to `path` atomically, creating its directory; True when it was written."""
    try:
        os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
        replace_atomically(path, text, prefix)
        return True
    except OSError:
        return False
