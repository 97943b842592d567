"""Packages of other projects copied into a `lib/`-like directory, told by evidence on disk (README "Severity
pipeline").

Directories named `vendor/`, `_vendor/`, `third_party/`... hold other projects' code by their name alone
(codekind.VENDORED_DIRS). A directory named `lib`, `libs`, `external`, `extern` or `deps`, or `<what>_libs`/
`<what>-libs` (`custom_libs/`, `bundled_libs/`), is as often the project's own code (`lib/` as the source root, `pkg/lib/` a package of helpers), so its name is not enough. Such a
directory at the repository's top or one level down (`lib/`, `app/lib/`, also `ext/`) that is not named by the
packaging as the project's source directory (`package_dir={"": "lib"}`, `where = ["lib"]`) holds copies of other
distributions when a package or module `P` in it carries its own evidence (when the directory is itself a package,
`lib/__init__.py`, only when two of its entries or more do: one could be the project's own module with metadata):

- a `P-<version>.dist-info` / `.egg-info` beside it (or one whose `top_level.txt` names `P`);
- a licence file inside it (`LICENSE*`, `LICENCE*`, `COPYING*`, `NOTICE*`);
- it is a declared dependency of the project (requirements files, pyproject, setup.py/setup.cfg), so the copy is
  another distribution's source (`cherrypy-cors` -> `cherrypy_cors`, `PyJWT` -> `jwt`);
- its top module sets distribution metadata (`__version__`, `__author__`, `__license__`, `__copyright__`) and the
  project's own code lives outside this directory.

A package the packaging names as the project's own (its `name`, `packages`, `py_modules`) is never tagged, nor is
anything without evidence (a helper module `lib/utils.py`)."""

from __future__ import annotations

import re
from pathlib import Path

LIB_DIRS = frozenset({"lib", "libs", "vendor", "vendored", "_vendor", "third_party", "thirdparty", "external",
                      "extern", "deps", "ext"})
# Distributions whose import name is not their name (nor the name without a `py`/`python-` prefix).
IMPORT_NAMES = {"beautifulsoup4": "bs4", "attrs": "attr", "pillow": "PIL", "scikit_learn": "sklearn",
                "msgpack_python": "msgpack", "protobuf": "google", "pyopenssl": "OpenSSL", "pycryptodome": "Crypto",
                "pycryptodomex": "Cryptodome", "setuptools": "pkg_resources", "python_twitter": "twitter",
                "pygithub": "github", "pysocks": "socks", "dnspython": "dns", "pyserial": "serial"}
LIB_DIR_SUFFIXES = ("_libs", "-libs")  # custom_libs/, bundled-libs/ (not `_lib`: `my_lib/` is a package name)
PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg")
LICENCE_PREFIXES = ("license", "licence", "copying", "notice")
MAX_READ = 256 * 1024  # bytes of a packaging file or a top module read
MAX_ENTRIES = 2000  # entries of a lib directory looked at
# A lib directory in which at least this many packages, and at least half of them, carry their own evidence of being
# copies holds copies only (Headphones' `lib/`: the rest, `apscheduler`, `mutagen`, lack a licence file or metadata);
# not one named for customised code (Bazarr's `custom_libs/` holds its own `subliminal_patch` beside copies).
MIN_COPIES_FOR_DIR = 10

_METADATA = re.compile(r"^[ \t]*(?:__(?:version|author|license|copyright)__\s*=|(?:from|import)\b[^\n]*\b"
                       r"__(?:version|author)__\b)|^version[ \t]*=[ \t]*[\"']\d+\.\d+[\w.]*[\"'][ \t]*$", re.M)
_NAME = re.compile(r"""^[ \t]*name\s*[=:]\s*["']?([A-Za-z0-9][\w.-]*)""", re.M)
_OWN_LIST = re.compile(r"""\b(?:packages|py_modules|py-modules|include)\b\s*[=:]\s*(\[[^\]]*\]|\{[^}]*\}|[^\n]*)""")
_QUOTED = re.compile(r"""["']([A-Za-z_][\w.-]*)""")
_REQUIREMENT = re.compile(r"""["']\s*([A-Za-z0-9][\w.-]*)\s*(?=[<>=!~\[;@ ]|["'])""")
# Where packaging declares dependencies: pyproject/setup.py lists, setup.cfg's indented block, poetry's table.
_DEP_LIST = re.compile(r"""\b(?:dependencies|install_requires|requires)\b["']?\s*[=:]\s*\[([^\]]*)\]""")
_DEP_BLOCK = re.compile(r"^install_requires\s*=[^\n]*((?:\n[ \t]+[^\n]*)*)", re.M)
_DEP_TABLE = re.compile(r"^\[tool\.poetry\.(?:group\.\w+\.)?dependencies\]((?:\n(?!\[)[^\n]*)*)", re.M)
_REQ_LINE = re.compile(r"^[ \t]*([A-Za-z0-9][\w.-]*)", re.M)  # ([ \t], not \s: linear on runs of newlines)


def normalise(name: str) -> str:
    return re.sub(r"[-.]+", "_", name.lower())


def _import_names(dist: str) -> set[str]:
    """The import names a distribution name may stand for: `python-twitter` -> twitter, `PyJWT` -> jwt."""
    n = normalise(dist)
    if n == "python":  # poetry's interpreter constraint
        return set()
    names = {n}
    for prefix in ("python_", "py"):
        if n.startswith(prefix) and len(n) > len(prefix) + 1:
            names.add(n[len(prefix):].lstrip("_"))
    if n in IMPORT_NAMES:
        names.add(normalise(IMPORT_NAMES[n]))
    first = re.split(r"[-.]", dist.lower(), maxsplit=1)[0]
    if first != dist.lower() and len(first) > 3:
        names.add(normalise(first))  # dogpile.cache -> dogpile, jsonrpclib-pelix -> jsonrpclib
    return names


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_READ).decode("utf-8", "replace")
    except OSError:
        return ""


class _Project:
    """What the repository's packaging and requirement files say, for a lib directory's parent and the root."""

    def __init__(self, dirs: list[Path]):
        self.packaging = ""
        requirements = ""
        for d in dirs:
            self.packaging += "\n".join(_read(d / name) for name in PACKAGING if (d / name).is_file()) + "\n"
            reqs = [p for p in d.glob("requirements*.txt") if p.is_file()]
            if (d / "requirements").is_dir():
                reqs += [p for p in (d / "requirements").glob("*.txt") if p.is_file()]
            requirements += "\n".join(_read(p) for p in reqs[:20]) + "\n"
        self.own = {normalise(n) for n in _NAME.findall(self.packaging)}
        for m in _OWN_LIST.finditer(self.packaging):
            self.own |= {normalise(q.split(".")[0]) for q in _QUOTED.findall(m.group(1))}
            self.own |= {normalise(w.split(".")[0]) for w in re.findall(r"[A-Za-z_][\w.]*", m.group(1))
                         if "\n" not in m.group(1) and not m.group(1).lstrip().startswith(("[", "{"))}
        deps: set[str] = set()
        declared = [d for m in _DEP_LIST.finditer(self.packaging) for d in _REQUIREMENT.findall(m.group(1))]
        declared += [d for m in _DEP_BLOCK.finditer(self.packaging) for d in _REQ_LINE.findall(m.group(1))]
        declared += [d for m in _DEP_TABLE.finditer(self.packaging) for d in _REQ_LINE.findall(m.group(1))]
        for dist in _REQ_LINE.findall(requirements) + declared:
            deps |= _import_names(dist)
        self.dependencies = deps - self.own

    def names_source_dir(self, name: str) -> bool:
        """The packaging points at the directory as the project's sources: `package_dir={"": "lib"}`,
        `where = ["lib"]`, setup.cfg's `= lib`."""
        quoted = rf"""["'](?:\./)?{re.escape(name)}/?["']"""
        return re.search(rf"""package_dir\s*=\s*\{{[^}}]*["']\s*["']\s*:\s*{quoted}|\bwhere\s*=\s*\[[^\]]*{quoted}|"""
                         rf"""^[ \t]*=\s*(?:\./)?{re.escape(name)}/?[ \t]*$""", self.packaging, re.M) is not None


def _dist_info_names(lib: Path, entries: list[Path]) -> set[str]:
    names: set[str] = set()
    for e in entries:
        if e.is_dir() and e.name.endswith((".dist-info", ".egg-info")):
            names.add(normalise(e.name.rsplit(".", 1)[0].split("-")[0]))
            top = e / "top_level.txt"
            if top.is_file():
                names |= {normalise(n) for n in _read(top).split()}
    return names


def _has_licence(pkg: Path) -> bool:
    try:
        return any(e.name.lower().startswith(LICENCE_PREFIXES) and e.is_file() for e in pkg.iterdir())
    except OSError:
        return False


# `# This file is part of aDBa.`: the licence header of a GPL project's files, naming the project they belong to.
_PART_OF = re.compile(r"^[ \t]*#[ \t]*This file is part of[ \t]+([A-Za-z][\w.\- ]{0,40}?)[ \t]*[.,:;]?[ \t]*$", re.M)


def _part_of_another(text: str, mine: set[str]) -> bool:
    """The module's header (`text`, its source) says it is part of a project other than this repository's (`This file
    is part of aDBa.` in SickGear's `lib/adba`): a copy. `mine`: this repository's names (_own_names)."""
    found = _PART_OF.search(text[:4096])
    if found is None:
        return False
    name = normalise(found.group(1).strip())
    return name not in mine and not any(name.startswith(m) or m.startswith(name) for m in mine if len(m) >= 4)


def _copy_header(text: str, mine: set[str]) -> bool:
    """A top module's text shows another distribution's metadata or says it is part of another project."""
    return _METADATA.search(text) is not None or _part_of_another(text, mine)


def _own_names(root: Path, project: "_Project") -> set[str]:
    """The repository's own project names: its packaging's, its directory's, and the packages at its root (SickGear's
    own `lib/sg_futures` says it is part of SickGear)."""
    mine = project.own | {normalise(root.name)}
    try:
        mine |= {normalise(e.name) for e in root.iterdir() if e.is_dir() and (e / "__init__.py").is_file()}
    except OSError:
        pass
    return mine


def _top_module(entry: Path) -> Path | None:
    if entry.is_file():
        return entry
    init = entry / "__init__.py"
    if init.is_file():
        return init
    subs = sorted(entry.glob("*/__init__.py"))[:1]  # a namespace package (`jaraco/`): its first subpackage
    return subs[0] if subs else None


def _own_code_outside(parent: Path, lib: Path) -> bool:
    """The project has Python code beside the lib directory: a module or package that is not the lib directory."""
    try:
        for e in parent.iterdir():
            if e == lib or e.name.startswith("."):
                continue
            if (e.is_file() and e.suffix == ".py" and e.name != "setup.py") or (e / "__init__.py").is_file():
                return True
    except OSError:
        pass
    return False


def is_lib_dir(name: str) -> bool:
    name = name.lower()
    return name in LIB_DIRS or name.endswith(LIB_DIR_SUFFIXES)


def _lib_dirs(root: Path) -> list[Path]:
    found = []
    try:
        top = sorted(e for e in root.iterdir() if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
    for d in top:
        if is_lib_dir(d.name):
            found.append(d)
        else:
            try:
                found += sorted(s for s in d.iterdir() if s.is_dir() and is_lib_dir(s.name))
            except OSError:
                pass
    # a lib directory that is a package is a package of the project's own (`ckan/lib/`), except at the top, where a
    # repository that puts its copies on sys.path may still mark it one (`lib/__init__.py` beside `ext/`)
    return [d for d in found if d.parent == root or not (d / "__init__.py").is_file()]


def vendored_packages(root: Path) -> frozenset[str]:
    """Relative paths (`lib/cheroot`, `lib/six.py`) of other distributions' packages copied into the repository."""
    out: set[str] = set()
    for lib in _lib_dirs(root):
        dirs = [root] if lib.parent == root else [lib.parent, root]
        project = _Project(dirs)
        if any(project.names_source_dir(lib.relative_to(d).as_posix()) for d in dirs):
            continue  # the project's own src layout (`package_dir={"": "lib"}`)
        try:
            entries = sorted(lib.iterdir())[:MAX_ENTRIES]
        except OSError:
            continue
        dist_info = _dist_info_names(lib, entries)
        own_elsewhere = _own_code_outside(lib.parent, lib) or (lib.parent != root and _own_code_outside(root, lib))
        copies: set[str] = set()
        candidates: set[str] = set()
        mine = _own_names(root, project) if own_elsewhere else set()  # (once per lib directory)
        for e in entries:
            if e.name.startswith((".", "_")) or e.name.endswith((".dist-info", ".egg-info")):
                continue
            if e.is_file() and e.suffix != ".py":
                continue
            name = normalise(e.stem if e.is_file() else e.name)
            if name in project.own:
                continue
            top = _top_module(e)
            if top is not None:
                candidates.add(e.relative_to(root).as_posix())
            if (name in dist_info or name in project.dependencies or (e.is_dir() and _has_licence(e))
                    or (own_elsewhere and top is not None and _copy_header(_read(top), mine))):
                copies.add(e.relative_to(root).as_posix())
        if (lib / "__init__.py").is_file() and len(copies) < 2:
            continue  # a package of the project's own (`lib/__init__.py`): copies there only as several, each with evidence
        if len(copies) >= MIN_COPIES_FOR_DIR and 2 * len(copies) >= len(candidates) \
                and not lib.name.lower().startswith("custom"):
            copies = candidates  # a directory of copies: half its packages or more show it, the rest came the same way
        out |= copies
    return frozenset(out)


def in_vendored(path: str, vendored: frozenset[str]) -> bool:
    parts = path.split("/")
    return any("/".join(parts[:i]) in vendored for i in range(2, min(len(parts), 3) + 1))
