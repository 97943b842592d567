"""Which configuration a repository deploys: the cross-file facts behind the severity of configuration findings.

A setting is a gate-tier finding only when the evidence shows it is what runs in production. For Django settings
that means knowing which settings module is the deployed one, decided here once per scan (in the engine's
prepare()) from names and entry points, never from one file alone:

- *deployed*: a module named for production (`production.py`, `prod.py`, `settings_live.py`, `deploy.py`...), or
  the module a WSGI/ASGI entry point (`wsgi.py`, `asgi.py`) names as its `DJANGO_SETTINGS_MODULE` default, or
  any other settings module nothing shows to be replaced (the repository's settings, and modules that deployed
  or unknown modules extend without a deployed one in sight);
- *development*: a module for development, local use, CI, tests, documentation or examples by the words of its
  path (`settings/dev.py`, `local_settings.py`, `settings/ci.py`, `devproject/settings.py`, `settings.example.py`),
  for unit tests, profiling or benchmarks (`settings/unittests.py`, `profiling/settings_mixin.py`: words that mark
  a settings module only, not other code), or a module that serves localhost only: it sets `ALLOWED_HOSTS = []`
  as its last word (Django's startproject quick-start), nothing sets it again (no later star import, no other
  assignment or call on it, no `globals()`/`setattr`/`exec`/dynaconf/split-settings `include` that could) and no
  module extends it; Django then answers only requests for `localhost`/`127.0.0.1`/`[::1]` with DEBUG on, and none
  with DEBUG off (what is left: a reverse proxy that forwards requests with `Host: 127.0.0.1`, so its findings are
  review findings, not hidden);
- *base*: a module that deployed modules extend (`from .base import *`): a setting in it is what production runs
  unless a deployed module (or a module between the two) sets the same name again;
- *not deployed*: a module that only development modules extend (the deployed settings are not in the
  repository), or one that cannot start without a module from outside the repository that it star-imports after
  its own settings (`from settings_local import *`, required: a site installer writes it).

Findings in modules that are not deployed (and base settings a deployed module overrides) are review findings:
low, tagged `review`, saying which module it is and why it is not the deployed one.

The production servers a repository runs (gunicorn, uWSGI, Waitress, gevent, uvicorn, ... named in a Procfile,
a Dockerfile, a shell entry point, a server configuration, or a `wsgi.py`/`asgi.py` module) are collected too:
an `app.run(debug=True)` under `if __name__ == "__main__":` beside one of them is a development entry point.
"""

from __future__ import annotations

import ast
import functools
import os
import posixpath
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from ...codekind import is_test_path, is_vendored_code
from ..base import AMBIENT_CREDENTIAL_MARKS, CORS_ORIGINS_MARK, CSRF_PROTECT_MARKS

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...discover import SourceFile

DEPLOYED, DEVELOPMENT, BASE, NOT_DEPLOYED = "deployed", "development", "base", "not-deployed"

# Words of a path (file stem split at `_`, `-`, `.`, and whole directory names) that make a module one for
# development, local use, CI, tests, documentation or examples.
DEVELOPMENT_WORDS = frozenset({"dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci",
                               "docs", "doc", "documentation", "example", "examples", "sample", "samples", "demo"})
# A directory or file named `devproject`, `testsite`, `example_project`: a development word joined to a generic one.
_COMPOUND_TAILS = ("project", "site", "server", "app", "settings")
# Words that make a *settings module* one for tests or tooling (not other code: a `profiling/` package of an app
# may be a feature): `settings/unittests.py`, `server/profiling/settings_mixin.py`.
SETTINGS_DEVELOPMENT_WORDS = {"unittest": "tests", "unittests": "tests", "profiling": "profiling",
                              "benchmark": "benchmarks", "benchmarks": "benchmarks",
                              # a CI service's runs (`settings/github.py`; an `integrations/github.py` is no settings)
                              "github": "CI runs", "gitlab": "CI runs", "travis": "CI runs", "circleci": "CI runs",
                              "jenkins": "CI runs", "buildkite": "CI runs",
                              # a build step's settings (`settings/build.py`: `from .production import *` with a
                              # dummy SECRET_KEY for collectstatic and compilemessages; adhocracy+, meinBerlin)
                              "build": "build steps"}
PRODUCTION_WORDS = frozenset({"prod", "production", "live", "deploy", "deployment", "deployed"})
SETTINGS_WORDS = frozenset({"settings"})
ENTRY_POINTS = frozenset({"wsgi.py", "asgi.py"})

# Files outside the Python sources that say how the repository is served (told by plain string tests on the name).
_SERVER_WORD = re.compile(r"\b(gunicorn|uwsgi|waitress|uvicorn|hypercorn|daphne|gevent|bjoern|meinheld|mod_wsgi"
                          r"|cheroot|granian)\b", re.I)


def _server_file(name: str) -> bool:
    """Procfile, Dockerfiles, compose files, shell scripts and entry points, uWSGI/gunicorn/supervisord
    configurations, systemd units, platform manifests (app.yaml, fly.toml, render.yaml, heroku.yml)."""
    low = name.lower()
    if low in ("procfile", "app.yaml", "app.yml", "fly.toml", "render.yaml", "render.yml", "heroku.yml"):
        return True
    if low.startswith(("dockerfile", "docker-compose", "compose.", "compose-", "gunicorn", "supervisor")) \
            or low.endswith((".dockerfile", ".sh", ".service")) or "entrypoint" in low:
        return True
    return "uwsgi" in low and low.endswith((".ini", ".yaml", ".yml"))


_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", ".tox", "__pycache__", "site-packages"})
_MAX_DEPTH = 3
_MAX_SERVER_FILE = 256 * 1024


@dataclass(frozen=True)
class SettingsModule:
    """One settings module and its part in the deployment.

    role: DEPLOYED, DEVELOPMENT, BASE or NOT_DEPLOYED; why: the evidence, in words ("named for production",
    "`proj/wsgi.py` names it as DJANGO_SETTINGS_MODULE", ...); overridden: for a base module, setting name -> the
    deployed (or in-between) module that sets it again (whether or not the base sets it: a setting the base leaves
    at the framework's default is not production's either when the deployed module sets it)."""

    rel: str
    role: str
    why: str
    overridden: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # for a base module: setting name -> another module of the deployed settings' star-import closure that sets it
    # (a part beside it in a split settings package, `settings/security.py` beside `settings/django.py`): a setting
    # this module leaves out is not missing from production
    set_elsewhere: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "overridden", MappingProxyType(dict(self.overridden)))
        object.__setattr__(self, "set_elsewhere", MappingProxyType(dict(self.set_elsewhere)))

    def review_reason(self, name: str | None = None) -> str | None:
        """Why a finding about `name` (None: the module as a whole) in this module is not what production runs,
        or None when it is (a gate-tier finding)."""
        module = f"`{self.rel}`"
        if self.role == DEVELOPMENT:
            return f"{module} is a settings module for {self.why}, not the deployed one"
        if self.role == NOT_DEPLOYED:
            return f"{module} is not the deployed settings module: {self.why}"
        if self.role == BASE and name is not None and name in self.overridden:
            return (f"{module} holds base settings, and `{self.overridden[name]}`, the deployed settings that extend "
                    f"them, sets `{name}` itself")
        return None


@dataclass(frozen=True)
class ServerEntry:
    """Where the repository runs a production server: the file, the line, and the server's name."""

    path: str
    line: int
    server: str

    def describe(self) -> str:
        return f"{self.server} in `{self.path}`" + (f" (line {self.line})" if self.line else "")


@functools.lru_cache(maxsize=8192)
def path_words(rel: str) -> frozenset[str]:
    """The words of a file's name and its whole directory names, compounds split (`devproject` -> dev, project):
    `cfg/settings/local_dev.py` -> {"cfg", "settings", "local", "dev"}."""
    *dirs, name = rel.lower().split("/")
    words = set(re.split(r"[_.\-]", name.rsplit(".", 1)[0] if name.endswith(".py") else name)) | set(dirs)
    for word in list(words):
        for tail in _COMPOUND_TAILS:
            head = word[: -len(tail)].rstrip("_-")
            if word.endswith(tail) and head in DEVELOPMENT_WORDS:
                words.add(head)
    return frozenset(words)


def development_reason(rel: str) -> str | None:
    """What a module is for when its path says development, local use, CI, tests, docs or examples, else None."""
    found = path_words(rel) & DEVELOPMENT_WORDS
    if "demo" in found and "demo" not in rel.lower().split("/")[:-1]:
        found = found - {"demo"}  # (a `demo/` directory: a demo project; not `demo_block.py` nor `demo_settings/`)
    if not found:
        return None
    labels = {"ci": "CI", "docs": "documentation", "doc": "documentation", "documentation": "documentation",
              "local": "local use"}
    word = sorted(found, key=lambda w: (w not in ("ci", "local", "docs", "doc", "documentation", "example", "examples",
                                                  "sample", "samples", "demo"), w))[0]
    if word in ("test", "tests", "testing"):
        return "tests"
    if word in ("example", "examples", "sample", "samples", "demo"):  # (a demo project shipped beside an app)
        return "an example"
    return labels.get(word, "development")


def settings_development_reason(rel: str) -> str | None:
    """What a settings module is for when its path says development, tests, profiling or benchmarks, else None."""
    found = sorted(path_words(rel) & SETTINGS_DEVELOPMENT_WORDS.keys())
    return development_reason(rel) or (SETTINGS_DEVELOPMENT_WORDS[found[0]] if found else None)


def production_named(rel: str) -> bool:
    stem = rel.lower().rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return bool(set(re.split(r"[_.\-]", stem)) & PRODUCTION_WORDS)


CONFIG_PACKAGES = frozenset({"settings", "config", "configs", "conf", "configuration"})


def _is_settings_path(rel: str) -> bool:
    """`settings.py`, `local_settings.py`, `settings/prod.py`, `demo_settings/base.py`, `config/development.py`."""
    parts = rel.lower().split("/")
    return any(SETTINGS_WORDS.intersection(re.split(r"[_.\-]", p)) for p in parts) \
        or (len(parts) >= 2 and parts[-2] in CONFIG_PACKAGES)


@dataclass
class _Parsed:
    rel: str
    assigns: set[str]
    star_imports: list[str]  # rels of the repository modules it star-imports
    # a module outside the repository it star-imports after settings of its own, and cannot start without (the
    # import is bare, or its ImportError handler exits): `from settings_local import *`, which the deployment supplies
    required_outside: str | None = None
    # the line of `ALLOWED_HOSTS = []` when that is the module's last word on it (nothing can set it again)
    localhost_only: int | None = None
    # it reads the settings (`from django.conf import settings`, `from horilla import settings`): a module of the
    # application's constants beside the settings (horilla_settings.py, §3w), never the settings module itself
    reads_settings: bool = False


def _module_rel(dotted: str, files: Mapping[str, object]) -> str | None:
    """The repository file of a dotted module name (`proj.settings.prod` -> `src/proj/settings/prod.py`): the
    shortest path that ends with it."""
    tail = dotted.replace(".", "/")
    best = None
    for suffix in (f"{tail}.py", f"{tail}/__init__.py"):
        for rel in files:
            if (rel == suffix or rel.endswith("/" + suffix)) and (best is None or len(rel) < len(best)):
                best = rel
    return best


def _relative_rel(here: str, module: str | None, level: int, files: Mapping[str, object]) -> str | None:
    parts = here.split("/")[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = "/".join(parts + (module.split(".") if module else []))
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate.lstrip("/") in files:
            return candidate.lstrip("/")
    return None


def _parse(file: "SourceFile") -> ast.Module | None:
    try:
        return ast.parse(file.text())
    except (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeError, OSError):
        return None
    except Exception:  # a file discovery could not decode (DecodeError)
        return None


def _fatal_handlers(stmt: ast.Try) -> bool:
    """Every handler of the `try` ends the program or re-raises (`sys.exit(1)`, `raise`): the import is required."""
    def ends(handler: ast.ExceptHandler) -> bool:
        last = handler.body[-1] if handler.body else None
        if isinstance(last, ast.Raise):
            return True
        call = last.value if isinstance(last, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in ("exit", "_exit", "abort")
    return bool(stmt.handlers) and all(ends(h) for h in stmt.handlers)


def _required_outside(tree: ast.Module, first_assign: int | None, rel: str,
                      files: Mapping[str, object]) -> str | None:
    """The module outside the repository that `tree` requires and star-imports after its first setting (line
    `first_assign`), else None."""
    for stmt in tree.body:
        imports = [stmt] if isinstance(stmt, ast.ImportFrom) else \
            [n for n in stmt.body if isinstance(n, ast.ImportFrom)] if isinstance(stmt, ast.Try) and \
            _fatal_handlers(stmt) else []
        for node in imports:
            if not any(a.name == "*" for a in node.names) or not node.module:
                continue
            if node.level:
                inside = _relative_rel(rel, node.module, node.level, files) is not None
            else:  # (copies in docs/ or examples/ are samples of the file the deployment writes)
                tail = node.module.replace(".", "/")
                inside = any((r == f"{tail}.py" or r.endswith(f"/{tail}.py")) and not development_reason(r)
                             for r in files)
            if not inside and first_assign is not None and first_assign < node.lineno:
                return node.module
    return None


def _module_facts(rel: str, tree: ast.Module, files: Mapping[str, object]) -> _Parsed:
    assigns: set[str] = set()
    stars: list[str] = []
    first_assign: int | None = None  # the line of the first top-level statement that sets a setting
    for stmt in tree.body:
        for node in ast.walk(stmt) if isinstance(stmt, (ast.If, ast.Try, ast.With)) else [stmt]:
            if isinstance(node, ast.Assign):
                assigns.update(t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper())
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id.isupper():
                assigns.add(node.target.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id.isupper():
                assigns.add(node.target.id)
            elif isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                found = (_relative_rel(rel, node.module, node.level, files) if node.level
                         else _module_rel(node.module or "", files))
                if found and found != rel:
                    stars.append(found)
        if assigns and first_assign is None:
            first_assign = stmt.lineno
    stars.extend(r for r in _split_settings_includes(rel, tree, files) if r != rel and r not in stars)
    outside = _required_outside(tree, first_assign, rel, files)
    return _Parsed(rel, assigns, stars, outside, _localhost_only(tree), _reads_settings(rel, tree, files))


def _reads_settings(rel: str, tree: ast.Module, files: Mapping[str, object]) -> bool:
    """The module imports Django's settings object or the repository's settings module by the name `settings`:
    Django imports a settings module before `django.conf.settings` can be read, so one never reads itself so."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "settings" for a in node.names):
            if node.module == "django.conf":
                return True
            base = (_relative_rel(rel, node.module, node.level, files) if node.level
                    else _module_rel(node.module or "", files))
            package = base[:-len("__init__.py")] if base and base.endswith("__init__.py") else None
            if package is not None and any(f"{package}settings{tail}" in files and f"{package}settings{tail}" != rel
                                           for tail in (".py", "/__init__.py")):
                return True
    return False


def _split_settings_includes(rel: str, tree: ast.Module, files: Mapping[str, object]) -> list[str]:
    """The sibling files a settings module reads with django-split-settings (`include("base.py", "auth.py")`, or
    `include(*configs)` of a module-level list of such names): they run in the module's namespace, as a star
    import's names do. Names that are globs, absolute paths or not literal text are not followed."""
    lists: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, (ast.List, ast.Tuple)):
            lists[stmt.targets[0].id] = list(stmt.value.elts)
    imported = any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("split_settings")
                   and any(a.name == "include" for a in n.names) for n in tree.body)
    if not imported:
        return []
    base = posixpath.dirname(rel)
    out: list[str] = []
    for stmt in tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "include"):
            continue
        names: list[ast.AST] = []
        for arg in call.args:
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
                names.extend(lists.get(arg.value.id, []))
            else:
                names.append(arg)
        for name in names:
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and not name.value.startswith("/") \
                    and not any(c in name.value for c in "*?["):
                found = posixpath.normpath(posixpath.join(base, name.value))
                if found in files:
                    out.append(found)
    return out


_SETTINGS_WRITERS = frozenset({"globals", "locals", "vars", "setattr", "exec", "include", "DjangoDynaconf",
                               "LazySettings", "update"})


def _localhost_only(tree: ast.Module) -> int | None:
    """The line of a module-level `ALLOWED_HOSTS = []` that nothing can change: the only mention of the name, no
    star import after it, no call that could write module globals (`globals().update(...)`, `setattr`, `exec`,
    split-settings' `include`, dynaconf's `DjangoDynaconf(__name__)`)."""
    empty = [n for n in tree.body if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "ALLOWED_HOSTS"
             and isinstance(n.value, (ast.List, ast.Tuple)) and not n.value.elts]
    if len(empty) != 1:
        return None
    line = empty[0].lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "ALLOWED_HOSTS" and node is not empty[0].targets[0]:
            return None
        if isinstance(node, (ast.Attribute, ast.Constant)) and "ALLOWED_HOSTS" in (
                node.attr if isinstance(node, ast.Attribute) else node.value if isinstance(node.value, str) else ""):
            return None
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) and node.lineno > line:
            return None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _SETTINGS_WRITERS:
                return None
    return line


def _settings_default(tree: ast.Module) -> str | None:
    """The `DJANGO_SETTINGS_MODULE` an entry point sets by default (`os.environ.setdefault(...)`, `os.environ[...] =`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) == 2 and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value == "DJANGO_SETTINGS_MODULE" and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str):
            return node.args[1].value
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
                and any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
                        and t.slice.value == "DJANGO_SETTINGS_MODULE" for t in node.targets):
            return node.value.value
    return None


def settings_modules(files: list["SourceFile"]) -> dict[str, SettingsModule]:
    """Every settings module of the repository (a module with `settings` in its path, one an entry point names,
    one they star-import) with its role in the deployment."""
    by_rel = {f.rel: f for f in files}
    parsed: dict[str, _Parsed] = {}
    entry_named: dict[str, str] = {}  # settings rel -> the entry point that names it

    def load(rel: str) -> _Parsed | None:
        if rel not in parsed:
            tree = _parse(by_rel[rel])
            if tree is None:
                return None
            parsed[rel] = _module_facts(rel, tree, by_rel)
        return parsed[rel]

    for f in files:
        name = f.rel.rsplit("/", 1)[-1]
        if name in ENTRY_POINTS and not development_reason(f.rel):
            tree = _parse(f)
            dotted = _settings_default(tree) if tree is not None else None
            target = _module_rel(dotted, by_rel) if dotted else None
            if target:
                entry_named.setdefault(target, f.rel)
    todo = sorted({f.rel for f in files if _is_settings_path(f.rel) and f.rel.endswith(".py")} | set(entry_named))
    seen: set[str] = set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        found = load(rel)
        if found is not None:
            todo.extend(r for r in found.star_imports if r not in seen)
    modules = {rel: p for rel, p in parsed.items() if (p.assigns or p.star_imports) and not p.reads_settings}

    def closure(rel: str) -> set[str]:
        out, stack = set(), [rel]
        while stack:
            for nxt in modules.get(stack.pop(), _Parsed("", set(), [])).star_imports:
                if nxt not in out and nxt in modules:
                    out.add(nxt)
                    stack.append(nxt)
        return out

    closures = {rel: closure(rel) for rel in modules}
    roles: dict[str, SettingsModule] = {}
    for rel in modules:
        dev = settings_development_reason(rel)
        extended = any(rel in closures[r] for r in modules)
        if dev:
            roles[rel] = SettingsModule(rel, DEVELOPMENT, f"{dev} (by its name)")
        elif modules[rel].localhost_only and not extended:
            roles[rel] = SettingsModule(rel, DEVELOPMENT, f"local use only (`ALLOWED_HOSTS = []` on line "
                                        f"{modules[rel].localhost_only} and nothing sets it again: Django then "
                                        "answers only requests for localhost, and none with DEBUG off)")
        elif modules[rel].required_outside:
            roles[rel] = SettingsModule(rel, NOT_DEPLOYED, f"it cannot start without `{modules[rel].required_outside}`, "
                                        "a module outside the repository that the deployment supplies and that it "
                                        "star-imports after its own settings, so production runs that module's values")
        elif production_named(rel):
            roles[rel] = SettingsModule(rel, DEPLOYED, "named for production")
        elif rel in entry_named:
            roles[rel] = SettingsModule(rel, DEPLOYED, f"`{entry_named[rel]}` names it as DJANGO_SETTINGS_MODULE")
    deployed = [r for r, m in roles.items() if m.role == DEPLOYED]
    for rel in modules:
        if rel in roles:
            continue
        extended_by = [r for r in modules if rel in closures[r]]
        deployed_users = [d for d in deployed if rel in closures[d]]
        if deployed_users:
            overridden: dict[str, str] = {}
            chains = {d: [d, *(m for m in closures[d] if rel in closures[m])] for d in deployed_users}
            for name in sorted({n for chain in chains.values() for m in chain for n in modules[m].assigns}):
                setters = []
                for d in deployed_users:
                    setter = next((m for m in chains[d] if name in modules[m].assigns), None)
                    setters.append(setter)
                if setters and all(setters):
                    overridden[name] = setters[0]
            elsewhere = {n: m for d in deployed_users for m in sorted({d, *closures[d]}) if m != rel
                         for n in modules[m].assigns}
            roles[rel] = SettingsModule(rel, BASE, f"extended by {', '.join(f'`{d}`' for d in deployed_users)}",
                                        overridden, elsewhere)
        elif extended_by and all(roles.get(r) is not None and roles[r].role == DEVELOPMENT for r in extended_by):
            roles[rel] = SettingsModule(rel, NOT_DEPLOYED, "only the development settings "
                                        f"{', '.join(f'`{r}`' for r in sorted(extended_by))} extend it; the deployed "
                                        "settings are not in the repository")
        else:
            roles[rel] = SettingsModule(rel, DEPLOYED, "the repository's settings (nothing shows another module "
                                        "replacing them)")
    return roles


# --- production servers -------------------------------------------------------------------------------------

def production_servers(root: str, files: list["SourceFile"]) -> frozenset[ServerEntry]:
    """Where the repository runs a production WSGI/ASGI server: Procfile, Dockerfiles, compose files, shell entry
    points, server configurations and WSGI script files (`*.wsgi`) (in the root and in the directories, up to three
    levels deep, that hold scanned Python code or lead to it), Python modules named like a server's configuration
    (`gunicorn.conf.py`), and `wsgi.py`/`asgi.py` entry points, each outside development, test and example code."""
    found: set[ServerEntry] = set()
    for f in files:
        name = f.rel.rsplit("/", 1)[-1]
        # (the name first: asking every module's path for development words cost a warm rescan ~5 ms)
        if name not in ENTRY_POINTS and not (name.startswith(("gunicorn", "uwsgi")) and name.endswith(".py")):
            continue
        if development_reason(f.rel):
            continue
        if name in ENTRY_POINTS:
            found.add(ServerEntry(f.rel, 0, f"the WSGI/ASGI entry point `{name}`"))
        elif name.startswith(("gunicorn", "uwsgi")) and name.endswith(".py"):
            found.add(ServerEntry(f.rel, 0, name.split(".", 1)[0].split("_", 1)[0]))
    for rel_dir, entries in _walk(root):
        for entry in entries:
            if entry.name.lower().endswith(".wsgi") and not entry.is_symlink():
                # A `.wsgi` file is a WSGI script file: what mod_wsgi (or uWSGI's `wsgi-file`) loads to serve the app.
                found.add(ServerEntry(f"{rel_dir}/{entry.name}" if rel_dir else entry.name, 0,
                                      f"the WSGI script file `{entry.name}`"))
                continue
            if not _server_file(entry.name):
                continue
            server = _server_named(entry)
            if server:
                found.add(ServerEntry(f"{rel_dir}/{entry.name}" if rel_dir else entry.name, *server))
    return frozenset(found)


def _walk(root: str):
    """(directory relative to root, its file entries) for the root and the directories up to three levels below it,
    leaving out hidden, virtual-environment, development, test and example directories."""
    todo = [""]
    while todo:
        rel_dir = todo.pop()
        try:
            entries = list(os.scandir(os.path.join(root, rel_dir) if rel_dir else root))
        except OSError:
            continue
        files = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                child = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if child.count("/") < _MAX_DEPTH and entry.name not in _SKIP_DIRS and not entry.name.startswith(".") \
                        and not development_reason(child + "/x"):
                    todo.append(child)
            else:
                files.append(entry)
        yield rel_dir, files


def _server_named(entry: os.DirEntry) -> tuple[int, str] | None:
    """(line, server) of the first line of a deployment file that names a production server, outside comments."""
    try:
        if entry.is_symlink() or not entry.is_file() or entry.stat().st_size > _MAX_SERVER_FILE:
            return None
        with open(entry.path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if line.lstrip().startswith("#"):
                    continue
                match = _SERVER_WORD.search(line)
                if match:
                    return number, match.group(1).lower()
    except OSError:
        return None
    return None


# --- flask-cors origins configured in the app's config ------------------------------------------------------

@dataclass(frozen=True)
class CorsOriginsSetting:
    """Where a Python module sets flask-cors's `CORS_ORIGINS` (which replaces the "*" default of a `CORS(...)` or
    `@cross_origin(...)` without `origins`): the file, the line, and the origins when they are literal (a tuple of
    strings), or None when they are not known (read from the environment, computed); `owner`: the class whose
    attribute it is (a config class for `app.config.from_object`), "" at module level or on `app.config`."""

    path: str
    line: int
    origins: tuple[str, ...] | None
    owner: str = ""


CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"


def csrf_middleware(files: list["SourceFile"], roles: Mapping[str, SettingsModule]) -> dict[str, str]:
    """The import roots whose Django project turns the CSRF middleware on in what is deployed: root directory ("" for
    the repository's) -> the first settings module (by path; no development or undeployed one) whose code, outside
    comments, names `django.middleware.csrf.CsrfViewMiddleware`. A settings module's root is the first directory
    above it that is no package (no `__init__.py`): the views of that project are below it, another project of the
    repository (a second site, an example) is not. Whether a list that names it is the one production uses is the
    settings roles' judgement."""
    by_rel = {f.rel: f for f in files}
    found: dict[str, str] = {}
    for rel in sorted(roles):
        if roles[rel].role in (DEVELOPMENT, NOT_DEPLOYED) or rel not in by_rel:
            continue
        text = _text_of(by_rel[rel])
        if text is not None and CSRF_MIDDLEWARE in text and any(CSRF_MIDDLEWARE in line.split("#", 1)[0] for line in text.splitlines()):
            found.setdefault(import_root(rel, by_rel), rel)
    flask = _csrf_protect(files, by_rel)
    for root, rel in flask.items():
        found.setdefault(root, rel)
    return found


def _text_of(f: "SourceFile", tokens: tuple[bytes, ...] = ()) -> str | None:
    """The text of `f` (bytes discovery did not keep are read for this only, then let go); None when it cannot be
    read, or mentions none of `tokens` when they are given."""
    loaded = f.loaded
    try:
        if tokens and not any(f.noted(token) is not False and f.mentions(token) for token in tokens):
            return None
        return f.text()
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        if not loaded:
            f.release()


# Flask-WTF's CSRF checks turned on for the whole application, and the setting that turns them off again (outside
# a class for tests or development: `class TestingConfig: WTF_CSRF_ENABLED = False`)
_CSRF_PROTECT_CALL = re.compile(r"^[^#\n]*\bCSRFProtect\(", re.M)
_CSRF_OFF = re.compile(r"""^[^#\n]*WTF_CSRF_ENABLED["']?\]?\s*[=:]\s*(?:False|0)\b""", re.M)
_TEST_CLASS = re.compile(r"^class\s+\w*(?:Test|Dev|Debug|Local)\w*", re.M | re.I)


def _csrf_protect(files: list["SourceFile"], by_rel: Mapping[str, "SourceFile"]) -> dict[str, str]:
    """Import root -> the first module (by path) below it, outside development, test, example and vendored code,
    that calls Flask-WTF's `CSRFProtect(...)`; none for a root whose code turns `WTF_CSRF_ENABLED` off outside a
    class for tests or development (which configuration is deployed is not known then)."""
    found: dict[str, str] = {}
    off: set[str] = set()
    for f in sorted(files, key=lambda f: f.rel):
        if not f.rel.endswith(".py") or all(f.noted(token) is False for token in CSRF_PROTECT_MARKS):
            continue
        if development_reason(f.rel) or is_test_path(f.rel) or is_vendored_code(f.rel):
            continue
        text = _text_of(f, CSRF_PROTECT_MARKS)
        if text is None:
            continue
        root = import_root(f.rel, by_rel)
        for m in _CSRF_OFF.finditer(text):
            # (an indented line belongs to the last class above it, when that class is for tests or development)
            owner = list(re.finditer(r"^class\s.*", text[:m.start()], re.M))
            if not (text[m.start()] in " \t" and owner and _TEST_CLASS.match(owner[-1].group())):
                off.add(root)
        if _CSRF_PROTECT_CALL.search(text):
            found.setdefault(root, f.rel)
    return {root: rel for root, rel in found.items() if root not in off}


def ambient_credentials(files: list["SourceFile"]) -> dict[str, str]:
    """For each import root ("" for the repository's), the first Python module below it, outside development, test,
    example and vendored code, that sets or reads a cookie, keeps a session or asks for HTTP Basic/Digest
    credentials, as "path: token" (Facts.ambient_credentials). A module's root is the first directory above it that
    is no package: another service of the repository (a plug-in server beside a backend that reads a cookie) has its
    own."""
    rels = {f.rel for f in files}
    found: dict[str, str] = {}
    for f in files:
        if not f.rel.endswith(".py") or development_reason(f.rel) or is_test_path(f.rel) or is_vendored_code(f.rel):
            continue
        root = import_root(f.rel, rels)
        if root in found or all(f.noted(token) is False for token in AMBIENT_CREDENTIAL_MARKS):
            continue
        loaded = f.loaded  # (bytes discovery did not note or keep are read for this only, once, then let go)
        try:
            hit = next((t for t in AMBIENT_CREDENTIAL_MARKS if f.noted(t) is not False and f.mentions(t)), None)
        except OSError:
            hit = None
        if not loaded:
            f.release()
        if hit is not None:
            found[root] = f"{f.rel}: {hit.decode()}"
    return found


def import_root(rel: str, rels) -> str:
    """The first directory above `rel` that is no package (no `__init__.py` in `rels`), "" for the repository's."""
    root = rel.rsplit("/", 1)[0] if "/" in rel else ""
    while root and f"{root}/__init__.py" in rels:
        root = root.rsplit("/", 1)[0] if "/" in root else ""
    return root


def cors_origins_settings(files: list["SourceFile"]) -> frozenset[CorsOriginsSetting]:
    """The `CORS_ORIGINS` settings of the repository's Python modules outside development, test and example code:
    module-level and class-level assignments (a settings module, a config class for `app.config.from_object`, a
    file for `from_pyfile`), `app.config["CORS_ORIGINS"] = ...`, `app.config.update(CORS_ORIGINS=...)` and
    `app.config.update({"CORS_ORIGINS": ...})`."""
    found: set[CorsOriginsSetting] = set()
    for f in files:
        if not f.rel.endswith(".py") or f.noted(CORS_ORIGINS_MARK) is False or development_reason(f.rel):
            continue
        loaded = f.loaded  # (bytes discovery did not note or keep are read for this only, then let go)
        try:
            mentioned = f.mentions(CORS_ORIGINS_MARK)
        except OSError:
            continue
        tree = _parse(f) if mentioned else None
        if not loaded:
            f.release()
        if tree is None:
            continue
        constants = _module_constants(tree)
        for node, value, owner in _cors_origins_assignments(tree):
            if isinstance(value, ast.Name) and value.id in constants:  # CORS_ORIGINS = ALLOWED_ORIGINS
                value = constants[value.id]
            found.add(CorsOriginsSetting(f.rel, node.lineno, _literal_origins(value), owner))
    return frozenset(found)


def _module_constants(tree: ast.Module) -> dict[str, ast.AST]:
    """Names assigned once at module level, to the value assigned."""
    seen: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            seen.setdefault(stmt.targets[0].id, []).append(stmt.value)
    return {name: values[0] for name, values in seen.items() if len(values) == 1}


def _cors_origins_assignments(tree: ast.Module):
    bodies = [(tree.body, "")] + [(n.body, n.name) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body, owner in bodies:  # module-level and class-level `CORS_ORIGINS = ...`
        for stmt in body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else []
            if any(isinstance(t, ast.Name) and t.id == "CORS_ORIGINS" for t in targets):
                yield stmt, stmt.value, owner
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):  # app.config["CORS_ORIGINS"] = ...
            for t in node.targets:
                if isinstance(t, ast.Subscript) and _is_config(t.value) and isinstance(t.slice, ast.Constant) \
                        and t.slice.value == "CORS_ORIGINS":
                    yield node, node.value, ""
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update" \
                and _is_config(node.func.value):  # app.config.update(CORS_ORIGINS=...) / update({...})
            for kw in node.keywords:
                if kw.arg == "CORS_ORIGINS":
                    yield node, kw.value, ""
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for k, v in zip(arg.keys, arg.values):
                        if isinstance(k, ast.Constant) and k.value == "CORS_ORIGINS":
                            yield node, v, ""


def _is_config(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _literal_origins(value: ast.AST) -> tuple[str, ...] | None:
    try:
        origins = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(origins, str):
        return (origins,)
    if isinstance(origins, (list, tuple, set)) and all(isinstance(o, str) for o in origins):
        return tuple(sorted(origins))
    return None


# --- a program its users install --------------------------------------------------------------------------------

# Packaging metadata that installs commands: `[project.scripts]`/`[project.gui-scripts]`, Poetry's scripts,
# setuptools' `console_scripts`/`gui_scripts` entry points (setup.cfg, setup.py).
_SCRIPTS_DECLARED = re.compile(rb"^[ \t]*\[(?:project\.(?:gui-)?scripts|tool\.poetry\.scripts)\]|\b(?:console|gui)_scripts\b",
                               re.M)  # ([ \t], not \s: with re.M, \s* would run over every following newline)
_PACKAGING_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# An import of a web server framework: the repository serves requests, so a key in it may be a server's own.
# (one literal, so tests/hostile/test_regex_linear.py reads and checks it)
_SERVER_FRAMEWORK = re.compile(
    rb"^[ \t]*(?:(?:from|import)[ \t]+(?:flask|quart|django|fastapi|starlette|sanic|falcon|bottle|pyramid|cherrypy"
    rb"|tornado\.web|aiohttp\.web|litestar|masonite|webob|werkzeug\.(?:wrappers|routing|serving))\b"
    rb"|from[ \t]+aiohttp[ \t]+import[ \t]+(?:[^\n]*\b)?web\b)", re.M)


# A subpackage holding a program's optional plugins or its local web interface (`beetsplug/web`, `tools/web`,
# `core_plugins`, `addons`): a web framework imported only there serves the user's own machine, the program stays one
# its users install. (`web` counts only inside a package: a top-level `web/` is a site of its own.)
_OPTIONAL_PART = re.compile(r"(?:^|_)(?:plugins?|addons)$|plug$", re.I)
_WEB_PARTS = frozenset({"web", "webui"})
# `name = "package.module:function"` in packaging metadata: the module a command runs
_ENTRY_TARGET = re.compile(rb"=[ \t]*[\"']?([A-Za-z_][\w.]*)[ \t]*:[ \t]*[A-Za-z_]")


def distributed_program(root: str, files: list["SourceFile"],
                        serving: "Callable[[], tuple[bool, str]] | None" = None) -> str:
    """"" unless the repository is a program its users install and run themselves (a command-line or desktop tool):
    its packaging metadata at the root installs commands, and no Python module outside development, test and example
    code imports a web server framework, except modules of an optional plugin or local web subpackage that no
    installed command runs directly (see web_framework_use); then a phrase saying so. A client credential such a
    program carries (an OAuth client id and secret, an API key it sends to a service) is in every user's copy: it
    identifies the program, and cannot be kept secret (RFC 8252, section 8.5). `serving`: web_framework_use(files)
    (memoised by the caller), else computed here."""
    declared, data = "", b""
    for name in _PACKAGING_FILES:
        try:
            with open(os.path.join(root, name), "rb") as fh:
                data = fh.read(1 << 20)
        except OSError:
            continue
        if _SCRIPTS_DECLARED.search(data):
            declared = name
            break
    if not declared:
        return ""
    serves, optional = (serving or (lambda: web_framework_use(files)))()
    if serves:
        return ""
    if not optional:
        return f"a program its users install and run (`{declared}` installs commands; no module imports a web framework)"
    parts = optional.split("/")
    dotted = ".".join(parts[1:] if parts[0] == "src" else parts).encode()
    if any(t == dotted or t.startswith(dotted + b".") for t in _ENTRY_TARGET.findall(data)):
        return ""  # a command that runs the web subpackage: the program's server
    return (f"a program its users install and run (`{declared}` installs commands; a web framework is imported only "
            f"by its optional `{optional}` subpackage)")


def _optional_part(rel: str) -> str:
    """The plugin or local web subpackage a module lies in (`beetsplug/web` of `beetsplug/web/__init__.py`), else ""."""
    dirs = rel.split("/")[:-1]
    start = 1 if dirs[:1] == ["src"] else 0
    for i in range(start, len(dirs)):
        if _OPTIONAL_PART.search(dirs[i]) or (dirs[i].lower() in _WEB_PARTS and i > start):
            return "/".join(dirs[:i + 1])
    return ""


def web_framework_use(files: list["SourceFile"]) -> tuple[bool, str]:
    """Whether a Python module outside development, test and example code and outside an optional plugin or local
    web subpackage imports a web server framework, and the first such subpackage whose modules import one."""
    optional = ""
    for f in sorted(files, key=lambda f: f.rel):
        if not f.rel.endswith(".py") or development_reason(f.rel):
            continue
        loaded = f.loaded
        try:
            data = f.data()
        except OSError:
            continue
        finally:
            if not loaded:
                f.release()
        if _SERVER_FRAMEWORK.search(data):
            part = _optional_part(f.rel)
            if not part:
                return True, ""
            optional = optional or part
    return False, optional

