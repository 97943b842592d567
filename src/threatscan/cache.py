"""A content-addressed cache of each file's scan: a second scan of an unchanged repository reads no parse tree.

What a file's scan gives (its findings, its suppression index and its notices, before the findings' tail) depends
on more than the file: the checks (threatscan's own code and rules/), the rules selected, the policy numbers of the
threat model, the size limit, and facts that span files: the templates and CDK apps that deploy a handler, the
helper modules a data flow follows, the Android project a manifest belongs to. Every key starts from

    base = sha256(threatscan's code and rules, the scan's settings)

and then depends on the kind of file:

- a Python module (not a CDK app): sha256(base, its path and bytes, the facts prepare() drew for it: the template
  lines that deploy its functions, the environment variables they define, the secret literals a template check
  claims in it). The entry also records what the scan read from other files: the content hash of every repository
  module its data flow reached (helpers, their helpers, ...) and how every import on the way resolved. It answers
  only while each of those hashes and resolutions is the same, so editing a module rescans that module and the
  modules whose flows read it, nothing else (O(change)). The resolutions are asked again only when the list of
  Python files differs from the one the entry was written under (a digest of their paths: an import resolves by
  which files exist, nothing else);
- an Android file: sha256(base, the path and content hash of every Android file, its path and bytes);
- any other file (templates, CDK apps): the same over every non-Android file. Conservative: a template's result is
  cheap, and links run both ways between templates and code.

A cache that returned yesterday's verdict for today's code would be worse than none: when in doubt (a read the scan
did not record, an entry of another format) it is a miss. Everything after the checks (severity, threat keying,
suppressions, diff, baseline, redaction) runs on every scan, so configuration of the tail never needs a new entry.

Entries are JSON (never pickle: a cache directory is not trusted to run code), written atomically (temporary file
and rename, so two scans may share a directory), and the directory is kept under a size bound by removing the
least recently used entries.

The index: a scan also keeps every entry it used in one file (`index/*.idx`, one per scope: the scanned paths and
the scan's settings), so a rescan reads one file instead of one entry per file (879 opens and reads on Django). It
holds the entries' own text under their keys, so an entry found there is the entry its file would hold and is
checked the same way (its format, what its scan read); a key it lacks is looked up in the entry files. A header
carries the sha256 of the rest: an index cut short, edited or of another format is ignored whole (the entry files,
else a scan, answer). A scan rewrites it only when it used an entry the index did not hold or left one unused.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import __version__
from .atomic import write_quietly
from .model import Finding, FlowStep, Location, Notice, Related, Severity, Suppression

if TYPE_CHECKING:
    from .findings.suppress import Directive, FileIndex

FORMAT = 2
INDEX_FORMAT = 1
PYTHON_ONLY = frozenset({"python"})
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# A hit marks its entry used (pruning removes the least recently used first) when the mark is older than this: an
# hour's precision is enough for a bound measured in days of scans, and most rescans then write nothing.
TOUCH_AFTER = 3600
ANDROID_KINDS = frozenset({"gradle", "properties", "gradle-catalog"})  # and every "android-*" kind


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "threatscan"


_CODE_DIGEST: str | None = None
RACY_NS = 2_000_000_000  # a file modified this close to now is not vouched for by its size and times (git's rule)


def code_digest(directory: str | os.PathLike | None = None) -> str:
    """threatscan's own code and rules: an upgrade, a local edit or a changed rule invalidates every entry.

    The sha256 of every file's bytes (about 2 MB, ~10 ms); with a cache `directory`, kept there under a digest of
    the files' paths, sizes, modification and change times and inodes, so a rescan reads it instead of the files
    (~1 ms). Nothing modified within two seconds is vouched for by its times (a same-size edit in the same clock
    tick would look unchanged): the sum is then worked out again and not kept."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        from .catalog import rules_dir

        files = [*_code_files(Path(__file__).resolve().parent, ".py"), *_code_files(rules_dir(), "")]
        stamp = hashlib.sha256(f"threatscan {__version__} cache {FORMAT}".encode())
        newest = 0
        for rel, path, st in files:
            stamp.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode(
                "utf-8", "surrogateescape"))
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        memo = None if directory is None else os.path.join(directory, "code", stamp.hexdigest())
        if memo is not None:
            try:
                with open(memo, encoding="ascii") as fh:
                    known = fh.read()
                if len(known) == 64 and all(c in "0123456789abcdef" for c in known):
                    _CODE_DIGEST = known
                    return known
            except (OSError, ValueError):
                pass
        h = hashlib.sha256(f"threatscan {__version__} cache {FORMAT}".encode())
        for rel, path, _st in files:
            with open(path, "rb") as fh:
                h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + fh.read() + b"\0")
        _CODE_DIGEST = h.hexdigest()
        if memo is not None and newest < time.time_ns() - RACY_NS:
            write_quietly(memo, _CODE_DIGEST)
    return _CODE_DIGEST


def _code_files(base: Path, suffix: str) -> list[tuple[str, str, os.stat_result]]:
    """(path relative to `base`, path, stat) of the files under `base` ending in `suffix`, outside __pycache__,
    sorted by relative path."""
    out = []
    todo = [("", str(base))]
    while todo:
        rel_dir, directory = todo.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                rel = f"{rel_dir}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        todo.append((rel + "/", entry.path))
                elif entry.name.endswith(suffix) and entry.is_file():
                    out.append((rel, entry.path, entry.stat()))
    return sorted(out, key=lambda x: x[0])


def _is_android(kinds: Iterable[str]) -> bool:
    return any(k in ANDROID_KINDS or k.startswith("android") for k in kinds)


class ScanCache:
    """Per-file results of one scan's settings, looked up and stored by content."""

    def __init__(self, directory: Path, settings: dict[str, Any], files: list, max_bytes: int = DEFAULT_MAX_BYTES,
                 facts: Callable[[Any], str] | None = None, dependencies: Any = None, scope: str | None = None):
        """`facts(file)`: the cross-file facts prepare() drew for a file (its links); `dependencies`: the Python
        engine's record of the files each file's data flow read (engines/python: _Dependencies). With both, a
        Python file's entry is keyed on its own bytes and facts and checked against what it read (see below).
        `scope`: what names this scan's index (the paths scanned); None: no index."""
        self.directory = directory
        self.max_bytes = max_bytes
        self.hits = self.misses = 0
        self.written = 0  # entries this scan wrote (prune() has nothing to do when none was)
        self.written_bytes = 0  # their size, for the ledger (see prune)
        self._hashes: dict[str, str] = {}
        self._files = {f.rel: f for f in files}
        self._facts = facts
        self._dependencies = dependencies
        android, rest = hashlib.sha256(), hashlib.sha256()
        for f in sorted(files, key=lambda f: f.rel):
            digest = self.content_hash(f)
            target = android if _is_android(f.kinds) else rest
            target.update(f"{f.rel}\0{sorted(f.kinds)}\0{digest}\n".encode("utf-8", "surrogateescape"))
        base = hashlib.sha256((code_digest(directory) + json.dumps(settings, sort_keys=True, default=str)).encode())
        self._state = {"android": _mix(base, android), "rest": _mix(base, rest),
                       "python": hashlib.sha256(("python\0" + base.hexdigest()).encode()).hexdigest()}
        directory.mkdir(parents=True, exist_ok=True)
        self._index_path: str | None = None
        self._index: dict[str, str] = {}  # key -> the entry's text, as the index held it
        self._used: dict[str, str] = {}  # key -> the text of every entry this scan used or wrote
        self._index_stale = False  # an entry used that the index did not hold (or held differently)
        if scope is not None:
            name = hashlib.sha256(f"{base.hexdigest()}\0index\0{scope}".encode("utf-8", "surrogateescape")).hexdigest()
            self._index_path = os.path.join(directory, "index", f"{name}.idx")
            self._index = _read_index(self._index_path)

    def content_hash(self, file) -> str:
        if file.rel not in self._hashes:
            if getattr(file, "digest", None) is not None:  # discovery hashed the bytes it read whole
                self._hashes[file.rel] = file.digest
                return file.digest
            try:
                # Not file.data(): that would keep every file's bytes in memory until the file is scanned.
                data = file._data if file._data is not None else file.path.read_bytes()
                self._hashes[file.rel] = hashlib.sha256(data).hexdigest()
            except OSError:
                self._hashes[file.rel] = "unreadable"
        return self._hashes[file.rel]

    def _python(self, file) -> bool:
        """A plain Python module (not a CDK app): keyed on its own bytes and facts, checked against its reads."""
        return file.kinds == PYTHON_ONLY and self._facts is not None and self._dependencies is not None

    def key(self, file) -> str:
        if self._python(file):
            own = f"{self._state['python']}\0{file.rel}\0{self.content_hash(file)}\0{self._facts(file)}"
            return hashlib.sha256(own.encode("utf-8", "surrogateescape")).hexdigest()
        state = self._state["android" if _is_android(file.kinds) else "rest"]
        return hashlib.sha256(f"{state}\0{file.rel}\0{self.content_hash(file)}".encode("utf-8", "surrogateescape")).hexdigest()

    def _still_valid(self, file, deps: Any) -> bool:
        """A Python entry holds what its scan read from other files: each file's content hash then, and how each
        import resolved. It answers only while all of them are the same."""
        if not self._python(file):
            return True
        if not isinstance(deps, dict):
            return False
        for rel, digest in deps.get("files", {}).items():
            other = self._files.get(rel)
            if other is None or self.content_hash(other) != digest:
                return False
        imports = deps.get("imports", [])
        if not imports or deps.get("layout") == self._dependencies.layout():
            return True  # the same Python files as when the entry was written: every import resolves as it did
        return self._dependencies.still_resolve([tuple(x) for x in imports])

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, file) -> tuple[list[Finding], FileIndex | None, list[Notice]] | None:
        key = self.key(file)
        text = self._index.get(key)
        path = None
        try:
            if text is None:
                path = os.path.join(self.directory, key[:2], f"{key}.json")  # strings: pathlib costs a tenth of a warm scan
                fd = os.open(path, os.O_RDONLY)
                try:
                    st = os.fstat(fd)
                    chunks = []
                    while chunk := os.read(fd, max(st.st_size, 1 << 16)):
                        chunks.append(chunk)
                finally:
                    os.close(fd)
                text = b"".join(chunks).decode("utf-8")
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError("other format")
            if not self._still_valid(file, data.get("deps")):
                raise ValueError("a file it read changed")
            result = ([_finding(f) for f in data["findings"]], _index(data["index"]),
                      [Notice(**n) for n in data["notices"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        if path is not None:  # an entry file, not the index: the index is written again with it
            self._index_stale = True
            if time.time() - st.st_mtime > TOUCH_AFTER:
                try:
                    os.utime(path)  # recently used: kept when the directory is pruned
                except OSError:
                    pass
        self._used[key] = text
        self.hits += 1
        return result

    def put(self, file, findings: list[Finding], index: FileIndex | None, notices: list[Notice],
            deps: dict | None = None) -> None:
        if any(n.level == "error" or n.kind in ("file-crashed", "limit", "timeout", "worker-failed") for n in notices):
            return  # a crash or a limit may not happen next time: never remember it
        key = self.key(file)
        path = self._path(key)
        # An entry outlives the scan, outside the repository: it holds no secret value either. The findings come
        # from the scan's per-file step, which masked them after the engines' walk (scan._redacted); the notices
        # and the suppression index are masked here (the findings' tail masks everything again for the reports).
        from .secrets import redact, redact_data, redact_notices  # (start-up: the catalogue's memo imports this module)

        notices = redact_notices(notices)
        recorded = None
        if self._python(file):
            deps = deps or {}
            hashes = {}
            for rel in deps.get("files", ()):
                other = self._files.get(rel)
                if other is None:
                    return  # it read a file discovery did not list: not cacheable
                hashes[rel] = self.content_hash(other)
            imports = deps.get("imports", [])
            # The layout of the Python files the imports resolved in (checked here, so an entry that names it
            # resolves now as it did): a rescan of the same file list then need not resolve any import again.
            layout = self._dependencies.layout() if imports and self._dependencies.still_resolve(
                [tuple(x) for x in imports]) else None
            recorded = {"files": hashes, "imports": imports, "layout": layout}
        payload = json.dumps({"format": FORMAT, "deps": recorded, "findings": [_plain(asdict(f)) for f in findings],
                              "index": None if index is None else redact_data(_plain(asdict(index)), redact),
                              "notices": [asdict(n) for n in notices]})
        if write_quietly(path, payload):  # a read-only or full disk costs speed, never a result
            self.written += 1
            self.written_bytes += len(payload)
        self._used[key] = payload
        self._index_stale = True

    def finish(self) -> None:
        """Write the index again when this scan used an entry it did not hold, or left one of its entries unused (a
        file deleted or changed: the index holds exactly the entries of the last scan), then prune."""
        if self._index_path is not None and (self._index_stale or self._index.keys() != self._used.keys()):
            size = _write_index(self._index_path, self._used)
            if size:
                self.written += 1
                self.written_bytes += size
        elif self._index_path is not None and self._index:
            try:
                if time.time() - os.stat(self._index_path).st_mtime > TOUCH_AFTER:
                    os.utime(self._index_path)  # recently used: kept when the directory is pruned
            except OSError:
                pass
        self.prune()

    def prune(self) -> None:
        """Keep the directory under its size bound: the least recently used files go first. A scan that wrote
        nothing did not grow the directory (a hit only touches its entry's time), so it has nothing to remove.

        Measuring the directory means a stat of every file in it (0.03-0.1 s for a few thousand entries, and it
        grows with the cache): the ledger (`size`) says instead how much was there at the last measure and what
        each scan wrote since, and the directory is measured (and pruned) only when that sum would pass the bound,
        the ledger is a day old or long, or it cannot be read. Files written elsewhere (the discovery record, the
        catalogue memo) are counted at the next measure."""
        if not self.written:
            return
        if _ledger_add(str(self.directory), self.written_bytes, self.max_bytes):
            return
        prune_directory(str(self.directory), self.max_bytes)


def memo_fact(directory: Path, name: str, inputs: str, compute: Callable[[], Any], encode: Callable[[Any], Any],
              decode: Callable[[Any], Any]) -> Any:
    """A fact that is a pure function of `inputs` (a text naming everything it reads: paths and content hashes),
    kept in `directory/facts` under sha256(threatscan's code and rules, `name`, `inputs`) as `encode(value)` (JSON);
    computed and kept when there is no entry, or it cannot be read or decoded (never a crash, never another
    fact's answer: the key names the fact and its inputs)."""
    key = hashlib.sha256("\0".join((code_digest(directory), "fact", str(FORMAT), name, inputs)).encode(
        "utf-8", "surrogateescape")).hexdigest()
    path = os.path.join(directory, "facts", f"{key}.json")
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
        if data.get("format") == FORMAT and data.get("fact") == name:
            return decode(data["value"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    value = compute()
    try:
        payload = json.dumps({"format": FORMAT, "fact": name, "value": encode(value)})
    except (TypeError, ValueError):  # a value JSON cannot hold: worked out every time, never a lost fact
        return value
    write_quietly(path, payload)
    return value


LEDGER = "size"
LEDGER_HEAD = "threatscan-cache-size"
LEDGER_MAX_LINES = 256
LEDGER_MAX_AGE = 24 * 3600
_PRUNED_DIRS = ("index", "code", "catalog", "discovery", "facts")  # and the entries' two-character directories


def _ledger_add(directory: str, written: int, max_bytes: int) -> bool:
    """Add what a scan wrote to the ledger; True when the ledger then still says the directory is within
    `max_bytes` (nothing to measure), False when it must be measured."""
    path = os.path.join(directory, LEDGER)
    try:
        with open(path, "rb") as fh:
            lines = fh.read(1 << 16).decode("ascii").split("\n")
        head = lines[0].split(" ")
        if len(head) != 2 or head[0] != LEDGER_HEAD or time.time() - int(head[1]) > LEDGER_MAX_AGE \
                or len(lines) > LEDGER_MAX_LINES or lines[-1] != "":
            return False
        total = sum(int(n) for n in lines[1:-1])
        if total + written > max_bytes:
            return False
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # one short write: concurrent scans' lines never interleave
        try:
            os.write(fd, f"{written}\n".encode("ascii"))
        finally:
            os.close(fd)
        return True
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def prune_directory(directory: str, max_bytes: int) -> None:
    """Measure the cache directory and remove its least recently used files until it is within `max_bytes`; then
    start the ledger again from what is left."""
    entries = []
    try:
        tops = [e for e in os.scandir(directory) if e.is_dir(follow_symlinks=False)
                and (len(e.name) == 2 or e.name in _PRUNED_DIRS)]
    except OSError:
        return
    for top in tops:
        try:
            with os.scandir(top.path) as listing:
                for e in listing:
                    if not e.name.startswith("."):  # another scan's temporary file, about to be renamed
                        st = e.stat(follow_symlinks=False)
                        entries.append((st.st_mtime, st.st_size, e.path))
        except OSError:
            continue
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.unlink(path)
            total -= size
        except OSError:
            pass
    write_quietly(os.path.join(directory, LEDGER), f"{LEDGER_HEAD} {int(time.time())}\n{total}\n")


def _read_index(path: str) -> dict[str, str]:
    """{key: entry text} of an index file; empty when there is none, or it is cut short, altered or of another
    format (its header's sha256 of the rest must match: a half-written or edited index is never half used)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        head, _, body = raw.partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("index") != INDEX_FORMAT \
                or header.get("sha256") != hashlib.sha256(body).hexdigest():
            return {}
        index = {}
        for line in body.decode("utf-8").split("\n"):
            if line:
                key, tab, text = line.partition("\t")
                if not tab:
                    return {}
                index[key] = text
        if len(index) != header.get("count"):
            return {}
        return index
    except (OSError, ValueError, UnicodeDecodeError):
        return {}


def _write_index(path: str, entries: dict[str, str]) -> int:
    """The index of `entries` ({key: entry text}), written atomically; its size, 0 when it could not be written. An entry's text as json.dumps wrote it holds
    no raw newline or tab (ASCII, control characters escaped); one that does (an entry file someone reformatted) is
    left to its file."""
    body = "".join(f"{key}\t{text}\n" for key, text in sorted(entries.items()) if "\n" not in text and "\t" not in text)
    try:
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    except UnicodeError:
        return 0
    header = json.dumps({"format": FORMAT, "index": INDEX_FORMAT, "count": body.count("\n"), "sha256": digest})
    text = header + "\n" + body
    return len(text) if write_quietly(path, text) else 0


def _mix(base, part) -> str:
    return hashlib.sha256(base.hexdigest().encode() + part.hexdigest().encode()).hexdigest()


def _plain(value: Any) -> Any:
    """asdict() output made JSON-able: enums by name, tuples as lists, mappings with string keys."""
    if isinstance(value, Severity):
        return value.name
    if hasattr(value, "isoformat"):  # a suppression's `until` date
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def _location(d: dict) -> Location:
    return Location(**d)


def _finding(d: dict) -> Finding:
    return Finding(
        rule_id=d["rule_id"], location=_location(d["location"]), message=d["message"],
        severity=Severity[d["severity"]], threats=tuple(d["threats"]), snippet=d["snippet"],
        fingerprint=d["fingerprint"], line_hash=d["line_hash"],
        related=tuple(Related(_location(r["location"]), r["message"]) for r in d["related"]),
        flow=tuple(FlowStep(_location(s["location"]), s["message"]) for s in d["flow"]),
        precision=d["precision"], engine=d["engine"],
        suppression=Suppression(**d["suppression"]) if d["suppression"] else None,
        evidence=d.get("evidence", ""), code_kind=d.get("code_kind", ""), properties=d["properties"])


def _index(d: dict | None) -> FileIndex | None:
    if d is None:
        return None
    from .findings.suppress import FileIndex

    directives = tuple(_directive(x) for x in d["directives"])
    spans = None if d["spans"] is None else tuple(tuple(s) for s in d["spans"])
    return FileIndex(d["path"], directives, spans)


def _directive(d: dict) -> Directive:
    import datetime as dt

    from .findings.suppress import Directive

    values = {name: d.get(name) for name in Directive.__dataclass_fields__}
    values["rules"] = tuple(values["rules"] or ())
    if values["until"]:
        values["until"] = dt.date.fromisoformat(values["until"])
    return Directive(**values)


def cached_fixes(findings: list[Finding], root: Path, directory: Path,
                 digests: Mapping[str, str | None] | None = None) -> dict[int, Any]:
    """`fix.fixes_by_position(findings, root)`, kept in the cache: the SARIF `fixes` of each file's findings, by the
    file's bytes and the findings themselves (each key also holds threatscan's code and rules, which hold the
    fixers). Working a fix out parses its file with libcst (and imports libcst: about 0.4 s of a warm rescan of
    Django, for 3 files); a rescan whose files and findings are unchanged reads the answers instead. An entry lives
    beside the files' entries (pruned with them), under a key no file's entry can have.

    `digests`: the sha256 of each file's bytes as the scan's discovery knew them (SourceFile.digest), so a rescan
    need not read the files with findings for their keys; a file without one is read. The findings are told apart
    by their repr (every field, nested values included). An answer worked out for bytes that no longer match the
    digest (a file edited during the scan) is given, never kept."""
    from .fix import Fix, Replacement, fix_for

    groups: dict[str, list[int]] = {}
    for i, f in enumerate(findings):
        if f.suppression is None and f.engine == "native":  # the findings fixes_by_position may fix
            groups.setdefault(f.location.path, []).append(i)
    out: dict[int, Any] = {}
    written = 0
    for rel, positions in groups.items():
        data = None
        digest = digests.get(rel) if digests is not None else None
        if digest is None:
            try:
                data = (root / rel).read_bytes()
            except OSError:
                continue  # fixes_by_position gives no fix for a file it cannot read either
            digest = hashlib.sha256(data).hexdigest()
        own = [findings[i] for i in positions]
        key = hashlib.sha256("\0".join((code_digest(directory), "fixes", str(FORMAT), rel, digest,
                                        repr(own))).encode("utf-8", "surrogateescape")).hexdigest()
        path = os.path.join(directory, key[:2], f"{key}.json")
        answers = _read_fixes(path, len(own))
        if answers is None:
            if data is None:
                try:
                    data = (root / rel).read_bytes()
                except OSError:
                    continue
            try:
                # What fixes_by_position reads: the file's text as read_text() gives it (universal newlines).
                text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError:
                text = None
            answers = [None if text is None else fix_for(f, text) for f in own]
            if hashlib.sha256(data).hexdigest() == digest:
                payload = json.dumps({"format": FORMAT, "fixes": [
                    None if fx is None else {"description": fx.description, "safe": fx.safe,
                                             "replacements": [_plain(asdict(r)) for r in fx.replacements]}
                    for fx in answers]})
                if write_quietly(path, payload):
                    written += len(payload)
        else:
            answers = [None if a is None else Fix(f, a["description"], a["safe"],
                                                  tuple(Replacement(**r) for r in a["replacements"]))
                       for f, a in zip(own, answers)]
        for i, fx in zip(positions, answers):
            if fx is not None:
                out[i] = fx
    if written:
        _ledger_note(str(directory), written)
    return out


def _ledger_note(directory: str, written: int) -> None:
    """Count bytes written outside a scan's own prune (the fixes' entries) in the ledger, when there is one."""
    try:
        fd = os.open(os.path.join(directory, LEDGER), os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"{written}\n".encode("ascii"))
        finally:
            os.close(fd)
    except OSError:
        pass


def _read_fixes(path: str, count: int) -> list | None:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
            mtime = os.fstat(fh.fileno()).st_mtime
        if data.get("format") != FORMAT or not isinstance(data.get("fixes"), list) or len(data["fixes"]) != count:
            return None
        for a in data["fixes"]:
            if a is not None and not (isinstance(a.get("description"), str) and isinstance(a.get("safe"), bool)
                                      and isinstance(a.get("replacements"), list)):
                return None
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    if time.time() - mtime > TOUCH_AFTER:
        try:
            os.utime(path)
        except OSError:
            pass
    return data["fixes"]
