"""Which files a scan reads, and what kind each one is.

Git-aware (tracked and untracked-but-not-ignored files), with excludes, a size cap, and symlinks followed only
while they stay inside the scan root. A file's kind is decided by its name *and* its content: a CloudFormation
template may be called anything ending in .yaml/.yml/.json/.template, and a CDK app is Python importing aws_cdk.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import json
import os
import re
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from .atomic import write_quietly
from .model import Notice

KINDS = (
    "python",          # Python source
    "cdk",             # Python source that imports aws_cdk (also "python")
    "cloudformation",  # CloudFormation / SAM template, YAML or JSON
    "android-manifest",
    "android-nsc",     # network security config
    "android-values",  # res/values*/ resources
    "gradle",          # build.gradle, build.gradle.kts
    "properties",      # gradle.properties, local.properties
    "gradle-catalog",  # Gradle version catalog: gradle/libs.versions.toml (read for targetSdk)
    "android-source",  # Java and Kotlin source (.java, .kt): the Android engine's code checks
)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages",
)

_CFN_EXTENSIONS = (".yaml", ".yml", ".json", ".template")
_CDK_IMPORT = re.compile(rb"^[ \t]*(?:from|import)[ \t]+aws_cdk\b", re.M)  # [ \t]: \s would cross lines (quadratic)
_CFN_MARKERS = re.compile(rb"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _split_lines(text: str) -> list[str]:
    # (str.split is several times faster than the pattern, and the same when no CR is in the text)
    return text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)


class DecodeError(Exception):
    pass


@dataclass
class SourceFile:
    """One file of the scan. Its bytes are read once; each representation is parsed once and cached."""

    path: Path
    rel: str
    kinds: frozenset[str]
    size: int
    _data: bytes | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # sha256 of the bytes discovery read whole to classify the file (see discover(digests=True)), for the scan
    # cache's keys: a warm rescan reads each small file once, not once to classify it and again to hash it.
    digest: str | None = field(default=None, repr=False, compare=False)
    # token -> whether the bytes discovery read whole hold it (discover(marks=...)): a fact over every file that asks
    # for one token (engines/base.py FACT_MARKS) does not read each file again on a cold scan.
    marks: dict[bytes, bool] | None = field(default=None, repr=False, compare=False)

    def data(self) -> bytes:
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data

    def noted(self, token: bytes) -> bool | None:
        """Whether the file's bytes hold `token`, as discovery noted while it held them; None when it did not."""
        return self.marks.get(token) if self.marks is not None else None

    def mentions(self, token: bytes) -> bool:
        """Whether the file's bytes hold `token`: what discovery noted, else read (OSError)."""
        noted = self.noted(token)
        return noted if noted is not None else self.data().find(token) != -1

    def text(self) -> str:
        """The decoded text. Raises DecodeError for binary or mis-encoded files."""
        if self._text is None:
            self._text = decode(self.data(), python="python" in self.kinds)
        return self._text

    def lines(self) -> list[str]:
        # Only CR, LF and CRLF end a line, as for Python's tokenizer and YAML: str.splitlines() would also split
        # at form feeds and other separators, and every line number after one would be off.
        return self.cached("lines", lambda: _split_lines(self.text()))

    def line(self, number: int) -> str:
        lines = self.lines()
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def forget(self, key: str) -> None:
        """Drop one cached representation (rebuilt on demand by `cached`)."""
        self._cache.pop(key, None)

    @property
    def loaded(self) -> bool:
        """Whether the file's bytes or text are held (read and not released since)."""
        return self._data is not None or self._text is not None

    def release(self) -> None:
        """Forget the bytes, text and parsed trees (rebuilt on demand): a scan keeps only one file's trees alive,
        which keeps memory flat and the garbage collector from re-walking every tree parsed so far."""
        self._data = self._text = None
        self._cache.clear()


def decode(data: bytes, python: bool = False) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not valid UTF-16 ({exc.reason} at byte {exc.start})") from None
    if b"\0" in data:
        raise DecodeError("binary file (contains NUL bytes)")
    encoding = "utf-8"
    if python:
        encoding = _python_encoding(data)
    return decode_as(data, encoding)


# Codecs a file may declare but that are not a character set: they fail on every input ("undefined"), or take
# quadratic time on hostile bytes (punycode), or are not text encodings at all (rot13, uu_codec, zlib: Python
# refuses them as source encodings). A file declaring one is skipped with a notice.
_REFUSED_CODECS = frozenset({"undefined", "punycode"})


def text_codec(name: str) -> str:
    """The codec a declared encoding names, if it may decode a scanned file; DecodeError (the reason) if not."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        raise DecodeError(f"unknown encoding {name!r}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        raise DecodeError(f"declared encoding {name!r} is not a character set this scanner reads")
    return info.name


def decode_as(data: bytes, encoding: str) -> str:
    """Strict decoding with a declared encoding; DecodeError (never another exception) when it cannot be done."""
    codec = text_codec(encoding)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not valid {encoding} ({exc.reason} at byte {exc.start})") from None
    except (UnicodeError, LookupError, ValueError, TypeError, MemoryError) as exc:
        raise DecodeError(f"cannot decode as {encoding!r} ({exc.__class__.__name__})") from None


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _python_encoding(data: bytes) -> str:
    """PEP 263: a coding cookie on one of the first two lines."""
    for line in data.split(b"\n", 2)[:2]:
        m = _CODING.match(line)
        if m:
            return m.group(1).decode("ascii", "replace")
    return "utf-8"


_KIND_SETS: dict[frozenset[str], frozenset[str]] = {}


def classify(rel: str, head: Callable[[], bytes]) -> frozenset[str]:
    """The kinds of a file, from its repository-relative path and (where the name is not enough) its bytes. Equal
    answers are one shared set (a file list of 50,000 Python files holds one `{"python"}`, not 50,000)."""
    kinds = _classify(rel, head)
    return _KIND_SETS.setdefault(kinds, kinds)


def _classify(rel: str, head: Callable[[], bytes]) -> frozenset[str]:
    name = rel.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower.endswith(".py"):
        kinds = {"python"}
        if b"aws_cdk" in head() and _CDK_IMPORT.search(head()):
            kinds.add("cdk")
        return frozenset(kinds)
    if lower.endswith(_CFN_EXTENSIONS):
        data = head()
        if _CFN_MARKERS.search(data) and (b"AWSTemplateFormatVersion" in data or b"Resources" in data):
            return frozenset({"cloudformation"})
        return frozenset()
    if name == "AndroidManifest.xml":
        return frozenset({"android-manifest"})
    if lower.endswith((".java", ".kt")):
        return frozenset({"android-source"})
    if lower in ("build.gradle", "build.gradle.kts"):
        return frozenset({"gradle"})
    if lower in ("gradle.properties", "local.properties"):
        return frozenset({"properties"})
    if lower.endswith(".versions.toml"):
        return frozenset({"gradle-catalog"})
    if lower.endswith(".xml"):
        # Android resources sit in a resource-type directory: values*/ for value resources, xml/ or xml-*/ for a
        # network security config (the manifest names it as @xml/...). Other XML (layouts, drawables, pom.xml)
        # is not read at all.
        parts = PurePosixPath(rel).parts
        folder = parts[-2] if len(parts) >= 2 else ""
        values = folder.startswith("values")
        if not (values or folder == "xml" or folder.startswith("xml-")):
            return frozenset()
        data = _utf8_head(head())
        if b"<network-security-config" in data:
            return frozenset({"android-nsc"})
        if values and b"<resources" in data:
            return frozenset({"android-values"})
    return frozenset()


def _utf8_head(data: bytes) -> bytes:
    """XML may be UTF-16 (with or without a BOM): look for markers in its UTF-8 form."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "ignore").encode("utf-8")
    if data.startswith((b"<\x00", b"\x00<")):
        return data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", "ignore").encode("utf-8")
    return data


@dataclass
class Discovery:
    root: Path
    files: list[SourceFile]
    notices: list[Notice]


def find_root(paths: Iterable[Path]) -> Path:
    """The scan root: the git work tree holding the first path, else the deepest directory holding every path (a
    file's own directory, the directory itself; never more than the paths: `threatscan scan projects/app/x.py` run
    from the home directory reads `projects/app`, not every Python file under home, for cross-file facts)."""
    paths = [p.resolve() for p in paths]
    first = paths[0] if paths else Path.cwd().resolve()
    start = first if first.is_dir() else first.parent
    top = _git(start, "rev-parse", "--show-toplevel")
    if top:
        return Path(top.strip()).resolve()
    dirs = [p if p.is_dir() else p.parent for p in paths] or [start]
    try:
        return Path(os.path.commonpath([str(d) for d in dirs]))
    except ValueError:  # (paths on different drives)
        return start


def _git(cwd: Path, *args: str) -> str | None:
    """git, hardened (gitsafe.py): a scanned directory's own .git/config cannot make it run anything."""
    from . import gitsafe

    try:
        out = gitsafe.run(cwd, *args, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.decode("utf-8", "surrogateescape")


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    parts = rel.split("/")
    for pat in patterns:
        if "/" not in pat.rstrip("/") and not any(ch in pat for ch in "*?["):
            if pat.rstrip("/") in parts:
                return True
        elif fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat.rstrip("/") + "/*"):
            return True
    return False


def _exclusion_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """`_excluded` with the patterns sorted once: plain names (any path component) and globs."""
    patterns = tuple(patterns)
    names = frozenset(p.rstrip("/") for p in patterns if "/" not in p.rstrip("/") and not any(ch in p for ch in "*?["))
    globs = tuple(p for p in patterns if p.rstrip("/") not in names)

    def excluded(rel: str) -> bool:
        if not names.isdisjoint(rel.split("/")):
            return True
        return bool(globs) and _excluded(rel, globs)

    return excluded


def _walk(directory: Path) -> Iterable[str]:
    """Every file below `directory` (git's view when it is a work tree), without following directory links.

    A directory that git ignores (a build output, a vendored tree) was asked for by name: its files are walked on
    disk, since git would list none of them."""
    ignored = _git(directory, "check-ignore", "-q", ".") is not None
    listed = None if ignored else _git(directory, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is not None:
        seen = set()
        for name in listed.split("\0"):
            if name and name not in seen:
                seen.add(name)
                yield os.path.join(directory, name)
        return
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in DEFAULT_EXCLUDES)
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def discover(
    paths: Iterable[str | os.PathLike],
    *,
    root: Path | None = None,
    excludes: Iterable[str] = (),
    includes: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    digests: bool = False,
    reuse: Path | None = None,
    marks: tuple[bytes, ...] = (),
) -> Discovery:
    """The files under `paths` that some engine reads, with their kinds. `digests`: keep the sha256 of each file
    whose kind was decided by reading it whole (every Python file under 256 KiB, most templates), for the cache.
    `marks`: tokens to note, for each file read whole, whether it holds (SourceFile.mentions).
    `reuse`: a directory (in the scan cache) where the last discovery of the same paths and settings is kept, so
    that an unchanged directory is not listed and an unchanged file is not read again (see _Reuse)."""
    given = [Path(p) for p in paths] or [Path(".")]
    root = (root or find_root(given)).resolve()
    excludes = tuple(DEFAULT_EXCLUDES) + tuple(excludes)
    includes = tuple(includes)
    notices: list[Notice] = []
    files: list[SourceFile] = []
    seen: set[str] = set()

    root_prefix = str(root).rstrip("/") + "/"
    excluded = _exclusion_matcher(excludes)

    def consider(candidate: str | Path, explicit: bool) -> None:
        abs_str = os.path.abspath(candidate)
        # Files found by walking lie under the resolved root: a string prefix is enough (pathlib is slow here).
        rel_guess = abs_str[len(root_prefix):] if abs_str.startswith(root_prefix) else _rel(Path(abs_str), root)
        if rel_guess is None:
            notices.append(Notice(f"{candidate} is outside the scan root {root}; skipped", str(candidate), "warning", "outside-root"))
            return
        if not explicit and excluded(rel_guess):
            return
        if includes and not any(fnmatch.fnmatch(rel_guess, pat) for pat in includes):
            return
        try:
            st = os.lstat(abs_str)
        except OSError:
            return
        real = abs_str
        if stat.S_ISLNK(st.st_mode):
            try:
                target = Path(abs_str).resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                notices.append(Notice(f"broken or looping symbolic link ({exc.__class__.__name__}); skipped", rel_guess, "warning", "symlink"))
                return
            if not _is_within(target, root):
                notices.append(Notice("symbolic link points outside the repository; not followed", rel_guess, "warning", "symlink"))
                return
            if target.is_dir():
                return  # the directory itself is scanned where it really lives
            real = str(target)
            st = target.stat()
        if not stat.S_ISREG(st.st_mode) or real in seen:
            return
        head: list[bytes] = []

        def read_head() -> bytes:
            if not head:
                head.append(_head(abs_str, st.st_size))
            return head[0]

        kinds = classify(rel_guess, read_head)
        if not kinds:
            return
        size = st.st_size
        if size > max_bytes:
            notices.append(Notice(
                f"file is {size / 1048576:.1f} MiB, over the {max_bytes / 1048576:.1f} MiB limit; skipped",
                rel_guess, "warning", "too-large"))
            return
        seen.add(real)
        # A small Android resource read whole to classify it is not read a second time by the scan.
        # Read whole: _head reads one byte past the size (a file that grew since the stat is not whole), and a file
        # of _HEAD_BYTES or more may have been cut at the cap.
        whole = bool(head) and len(head[0]) == size < _HEAD_BYTES
        data = head[0] if whole and kinds & _KEEP_HEAD_KINDS else None
        digest = hashlib.sha256(head[0]).hexdigest() if whole and digests else None
        # (`find`, not `in`: `token in data` on bytes first tries the token as an integer, raising and clearing a
        # TypeError each time; the same answers)
        noted = {token: head[0].find(token) != -1 for token in marks} if whole and marks else None
        files.append(SourceFile(Path(abs_str), rel_guess, kinds, size, data, digest=digest, marks=noted))

    memo = _Reuse.open(reuse, root, given, excludes, includes, max_bytes, digests) if reuse is not None else None
    for path in given:
        if path.is_symlink() or path.is_file():
            consider(path, explicit=True)
        elif path.is_dir():
            directory = path.resolve()
            if memo is not None and _git(directory, "rev-parse", "--is-inside-work-tree") is None:
                memo.walk(directory, root_prefix, consider, files, notices, seen)
                continue
            for candidate in _walk(directory):
                consider(candidate, explicit=False)
        else:
            notices.append(Notice(f"{path} does not exist", str(path), "error", "missing"))
    if memo is not None:
        memo.save()
    files.sort(key=lambda f: f.rel)
    return Discovery(root, files, notices)


def _name_decides_nothing(rel: str) -> bool:
    """Whether a file's name alone says no engine reads it (its bytes are never looked at): such a regular file
    needs no stat when its directory is unchanged."""
    looked: list[bool] = []
    kinds = _classify(rel, lambda: looked.append(True) or b"")
    return not kinds and not looked


class _Reuse:
    """The last discovery of the same paths and settings (kept in the scan cache), so that a warm rescan does not
    list every directory, stat every file and read the head of every Python file again.

    A directory whose modification time is what it was is listed from the record: its entries are the same (adding,
    removing or renaming an entry changes the directory's time). Each recorded file is checked with one lstat:
    unchanged size, modification and change time and inode give the recorded kinds and content hash; anything else
    is considered afresh, as is every symbolic link (its target may have changed). Files whose name alone rules
    them out are not recorded and not looked at. Times within two seconds of the recording are never trusted (a
    write in the same clock tick as the record would look unchanged: git's "racy" rule). Only for directories that
    are not in a git work tree (git lists those: its own index answers fast, and .gitignore decides the listing)."""

    FORMAT = 1
    RACY_NS = 2_000_000_000

    def __init__(self, path: Path, old: dict):
        self.path = path
        self.old = old.get("dirs", {}) if old.get("format") == self.FORMAT else {}
        self.new: dict[str, dict] = {}
        self.changed = not self.old
        self.started = time.time_ns()

    @classmethod
    def open(cls, directory: Path, root: Path, given: list[Path], excludes: tuple, includes: tuple, max_bytes: int,
             digests: bool) -> "_Reuse":
        key = json.dumps([cls.FORMAT, str(root), [str(p.resolve()) for p in given], list(excludes), list(includes),
                          max_bytes, digests])
        path = directory / "discovery" / f"{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()}.files"
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        return cls(path, old if isinstance(old, dict) else {})

    def _stamp(self, st: os.stat_result) -> list[int] | None:
        if self.started - max(st.st_mtime_ns, st.st_ctime_ns) < self.RACY_NS:
            return None  # too recent to tell a later write from this one
        return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    def walk(self, top: str | Path, root_prefix: str, consider: Callable, files: list, notices: list,
             seen: set) -> None:
        """Every file below `top`, in os.walk's order (sorted, directories after the files), handed to `consider`
        or replayed from the record."""
        todo = [str(top)]
        old_dirs, new_dirs, started, racy = self.old, self.new, self.started, self.RACY_NS
        while todo:
            directory = todo.pop()
            try:
                st = os.stat(directory)
            except OSError:
                continue
            # (self._stamp, inline: this loop runs once per directory, thousands of times in a large tree)
            stamp = None if started - max(st.st_mtime_ns, st.st_ctime_ns) < racy else \
                [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            old = old_dirs.pop(directory, None)  # consumed: the old record shrinks as the new one grows
            if old is not None and stamp is not None and old.get("stamp") == stamp:
                # Most directories of a tree hold no file an engine reads: their record is kept as it is.
                record = self._replay(directory, old, root_prefix, consider, files, notices, seen) \
                    if old.get("files") or not isinstance(old.get("dirs"), list) else old
            else:
                self.changed = True
                record = self._list(directory, consider, files, notices)
            record["stamp"] = stamp
            new_dirs[directory] = record
            prefix = directory if directory.endswith("/") else directory + "/"  # os.path.join, for names
            todo.extend([prefix + d for d in reversed(record["dirs"])])

    def _list(self, directory: str, consider: Callable, files: list, notices: list) -> dict:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            entries = []
        dirs, names = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry)
        record: dict[str, Any] = {"dirs": sorted(e.name for e in dirs if e.name not in DEFAULT_EXCLUDES
                                                 and not e.is_symlink()), "files": []}
        for entry in sorted(names, key=lambda e: e.name):
            record["files"].append(self._consider(entry.path, entry.name, consider, files, notices))
        record["files"] = [r for r in record["files"] if r is not None]
        return record

    def _consider(self, path: str, name: str, consider: Callable, files: list, notices: list) -> list | None:
        """consider() the file and record what it gave: [name, stamp or None, symlink?, file or None, notices]."""
        nf, nn = len(files), len(notices)
        consider(path, explicit=False)
        try:
            st = os.lstat(path)
        except OSError:
            return None
        link = stat.S_ISLNK(st.st_mode)
        if not link and len(files) == nf and len(notices) == nn and _name_decides_nothing(name):
            return None
        made = None
        if len(files) > nf:
            f = files[-1]
            made = [f.rel, sorted(f.kinds), f.size, f.digest]
        said = [[n.message, n.path, n.level, n.kind] for n in notices[nn:]]
        return [name, None if link else self._stamp(st), link, made, said]

    def _replay(self, directory: str, old: dict, root_prefix: str, consider: Callable, files: list, notices: list,
                seen: set) -> dict:
        out = []
        base = None
        prefix = directory if directory.endswith("/") else directory + "/"
        for entry in old.get("files", ()):
            name, stamp, link, made, said = entry
            path = prefix + name  # os.path.join, for a name
            if not link and stamp is not None:
                try:
                    st = os.lstat(path)
                except OSError:
                    st = None
                if st is not None and stat.S_ISREG(st.st_mode) and self._stamp(st) == stamp and path not in seen:
                    if made is not None:
                        rel, kinds, size, digest = made
                        seen.add(path)
                        if base is None:
                            base = Path(directory)
                        files.append(SourceFile(_child(base, name, path), rel,
                                                _KIND_SETS.setdefault(frozenset(kinds), frozenset(kinds)),
                                                size, digest=digest))
                    notices.extend(Notice(*n) for n in said)
                    out.append(entry)
                    continue
            self.changed = True
            got = self._consider(path, name, consider, files, notices)
            if got is not None:
                out.append(got)
        return {"dirs": old.get("dirs", []), "files": out}

    def save(self) -> None:
        if not self.changed:
            return
        # A read-only cache costs speed, never a result.
        write_quietly(self.path, json.dumps({"format": self.FORMAT, "dirs": self.new}), ".discovery.")


def _child(base: Path, name: str, path: str) -> Path:
    """Path(path) for `path` = base/name: built from the parsed parent when pathlib offers it (parsing every path
    again was a third of replaying a discovery)."""
    make = getattr(base, "_make_child_relpath", None)
    if make is not None:
        try:
            child = make(name)
            if str(child) == path:
                return child
        except Exception:
            pass
    return Path(path)


_HEAD_BYTES = 256 * 1024
_KEEP_HEAD_KINDS = frozenset({"android-nsc", "android-values"})


def _head(path: str | Path, size: int = _HEAD_BYTES) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(min(max(size, 0) + 1, _HEAD_BYTES))  # +1: a file that grew still reads as more
    except OSError:
        return b""


def _rel(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(root).as_posix()
        except (ValueError, OSError, RuntimeError):
            return None
