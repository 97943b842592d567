"""Best-effort atomic writes of the files threatscan keeps for itself (scan cache entries, the discovery record,
the catalogue memo): a new temporary file beside the target, renamed over it, so a reader never sees half a file
and two scans writing at once leave one whole file. A write that fails (read-only or full disk) costs speed on the
next run, never a result: it is not an error."""

from __future__ import annotations

import os


def write_quietly(path: str | os.PathLike, text: str, prefix: str = ".entry.") -> bool:
    """Write `text` to `path` atomically; True when it was written."""
    path = os.fspath(path)
    parent = os.path.dirname(path) or "."
    try:
        os.makedirs(parent, exist_ok=True)
        import tempfile  # here: a rescan that writes nothing never imports it (random, shutil: ~4 ms)

        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return True
    except OSError:
        return False
