"""Shared helpers of the web-configuration family (cookies, CORS, debug; rules PY301-PY399).

Three ways a web application states its configuration in Python, each answered once here:
- a *settings module* (Django's settings.py, a Flask config.py): upper-case names assigned at module level;
- a *config class* (Flask's `class ProductionConfig: SESSION_COOKIE_SECURE = True`);
- a *config object* (Flask's `app.config["KEY"] = v`, `app.config.update(KEY=v)`, `app.config.from_mapping(...)`).
And the question every call-based rule asks: is this keyword set, absent, or unknowable (`**opts` from elsewhere)?
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from typing import Iterator

from ....model import Severity
from ..context import UNKNOWN, PyContext
from ..deployment import DEPLOYED, DEVELOPMENT_WORDS, development_reason, path_words
from ..secret_finder import ENV_SCHEMAS

# A module or class for local development, CI, tests or examples: its insecure values are expected there. Matched
# against the words of the file's name (split at `_`, `-`, `.`: settings/dev.py, local_settings.py, settings_ci.py),
# whole directory names (tests/, dev/, devproject/), and the words of a config class's name (DevelopmentConfig,
# TestingConfig). One list for every rule (python/deployment.py).
DEV_WORDS = DEVELOPMENT_WORDS
TEST_WORDS = frozenset({"test", "tests", "testing", "conftest"})
DJANGO_MARKERS = frozenset({"INSTALLED_APPS", "MIDDLEWARE", "MIDDLEWARE_CLASSES"})
SETTINGS_MARKERS = DJANGO_MARKERS | {"ROOT_URLCONF", "ALLOWED_HOSTS", "DATABASES", "WSGI_APPLICATION", "SECRET_KEY"}
CONFIG_CLASS_SUFFIXES = ("Config", "Settings", "Configuration")


@dataclass(frozen=True)
class Setting:
    """One assignment of an upper-case name: where it is (`node`, the statement) and its value."""

    name: str
    value: ast.AST | None  # None: bound by an import, value not known here
    node: ast.AST
    owner: str = ""  # the config class's name, "" at module level


@dataclass
class SettingsView:
    """The upper-case names a module (and its config classes) assigns, computed once per file."""

    top: dict[str, list[Setting]] = field(default_factory=dict)  # unconditional module-level, in order
    anywhere: set[str] = field(default_factory=set)  # assigned anywhere at module scope (if/try blocks too)
    conditional: set[str] = field(default_factory=set)  # assigned inside a module-level if/try/with/for block
    classes: dict[str, dict[str, Setting]] = field(default_factory=dict)  # config class -> name -> last setting
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # config class -> names of its base classes
    star_import: bool = False  # `from .base import *`: names may come from elsewhere
    loads_itself: bool = False  # `app.config.from_object(__name__)`: the module's own names are the app's config
    development: bool = False  # the file is for local development or tests

    def effective(self, name: str) -> Setting | None:
        """The module-level setting that stays in force, or None when there is none or a conditional block may
        replace it (`if not DEBUG: SESSION_COOKIE_SECURE = True` makes the value environment-dependent)."""
        found = self.top.get(name)
        if not found or name in self.conditional:
            return None
        return found[-1]

    @property
    def django(self) -> bool:
        """Clearly a Django settings module: it assigns INSTALLED_APPS or MIDDLEWARE itself."""
        return bool(DJANGO_MARKERS & self.top.keys())

    def config_settings(self, name: str) -> Iterator[Setting]:
        """Every config class's setting of `name`, unless a non-development subclass in the module assigns it
        again (a base class's value overridden for production is not the value production runs with)."""
        for owner, names in self.classes.items():
            if name in names and not any(owner in self.bases.get(c, ()) and name in n for c, n in self.classes.items()):
                yield names[name]


def is_development_path(rel: str) -> bool:
    return development_reason(rel) is not None


def is_test_path(rel: str) -> bool:
    return bool(path_words(rel) & TEST_WORDS)


# --- which settings module is deployed (python/deployment.py decides it in prepare()) ---------------------------

def settings_module(ctx: PyContext):
    """This file's SettingsModule (its role in the deployment), or None when it is no settings module."""
    return ctx.scan.facts.settings_modules.get(ctx.file.rel) if ctx.scan is not None else None


def settings_review(ctx: PyContext, name: str | None = None) -> str | None:
    """Why a module-level setting `name` of this file is not what production runs (a development, CI, test or
    example settings module, base settings a deployed module sets again, settings no deployed module uses), or
    None when it is (or the file is no settings module)."""
    module = settings_module(ctx)
    if module is None:
        return None
    reason = module.review_reason(name)
    if reason is None and module.role == DEPLOYED and not (ctx.rule is not None and ctx.rule.id in EXPLICIT_CHOICES
                                                           and name in settings_view(ctx).top):
        reason = _local_override(ctx, name)
    return reason


# Rules whose finding is an explicit choice of the settings (`SESSION_COOKIE_SAMESITE = "None"`): local settings
# loaded later may keep it, and what the file chose is what it says (§3p's Scirius): only a missing setting of these
# is a default the installation's local settings may supply
EXPLICIT_CHOICES = frozenset({"PY304", "PY305", "PY306", "PY310"})


# The per-installation settings a Django settings module loads at its end, replacing what it set before: `from
# .local_settings import *` (in a `try:` when the file may be missing) or `exec(open(".../local_settings.py").read())`
LOCAL_SETTINGS = re.compile(r"(?:^|[._])(?:local_?settings|settings_local)(?:\.py)?$")


def _local_override(ctx: PyContext, name: str | None) -> str | None:
    """Why the module's `name` (None: the module as a whole) is a default each installation replaces: the module
    loads its local settings (see LOCAL_SETTINGS) at module level after the last assignment of `name` (DMOJ's and
    Scirius's quick-start keys), else None."""
    # (a load that names what it takes, `from .local_settings import SECRET_KEY`, replaces only those names:
    # DFIRTrack takes five, and its missing CSRF_COOKIE_SECURE stays missing)
    loads = [n.lineno for n in ctx.module.walk() if _loads_local_settings(n, name) and _module_level(ctx, n)]
    if not loads:
        return None
    assigned = [s.node.lineno for s in settings_view(ctx).top.get(name, [])] if name else []
    if assigned and max(assigned) > max(loads):
        return None
    return (f"`{ctx.file.rel}` loads the installation's local settings at line {max(loads)}, after this "
            f"{'value' if assigned else 'module'}: each installation sets its own there, so this is a default")


def _loads_local_settings(node: ast.AST, name: str | None) -> bool:
    """`node` loads local settings that may replace `name` (None: any setting): a star import, an `exec` of the
    file, or an import that names it."""
    if isinstance(node, ast.ImportFrom):
        return bool(node.module) and bool(LOCAL_SETTINGS.search(node.module)) \
            and any(a.name == "*" or a.name == name for a in node.names)
    if isinstance(node, ast.Import):
        return any(LOCAL_SETTINGS.search(a.name) for a in node.names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("exec", "execfile", "open"):
        # (`with open(os.path.join(HERE, "local_settings.py")) as f: exec(f.read(), globals())`: DMOJ)
        return any(isinstance(c, ast.Constant) and isinstance(c.value, str) and LOCAL_SETTINGS.search(c.value)
                   for c in ast.walk(node))
    return False


def _module_level(ctx: PyContext, node: ast.AST) -> bool:
    """`node` runs when the module is imported: no function or class encloses it."""
    parents = ctx.module.parents()
    up = parents.get(id(node))
    while up is not None:
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return False
        up = parents.get(id(up))
    return True


def main_block_nodes(ctx: PyContext) -> set[int]:
    """ids of the nodes inside `if __name__ == "__main__":` blocks at module level."""

    def build() -> set[int]:
        inside: set[int] = set()
        for stmt in ctx.module.tree.body:
            if isinstance(stmt, ast.If) and "__main__" in ast.dump(stmt.test) and "__name__" in ast.dump(stmt.test):
                for child in stmt.body:
                    inside.update(id(n) for n in ast.walk(child))
        return inside

    return ctx.file.cached("web-main-block", build)


def testing_condition(test: ast.AST) -> bool:
    """An `if` condition that names the test runner (`if TESTING:`, `if "test" in sys.argv:`, `if ENVIRONMENT ==
    "testing":`, `"pytest" in sys.modules`, `if args.testmode:`): what its branch does is in force only while tests
    run."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", ast.unparse(test))}
    return bool(words & {"test", "tests", "testing", "pytest", "unittest"}) \
        or any(w.startswith("test") and w[4:] in ("mode", "run", "env", "server") for w in words)


def in_testing_branch(node: ast.AST, ctx: PyContext) -> bool:
    """`node` runs only while tests run: in the body of `if TESTING:` or the `else` of `if not args.testmode:`
    (webcompat's runner turns HttpOnly off for Selenium there, §3ad)."""
    parents = ctx.module.parents()
    child, up = node, parents.get(id(node))
    while up is not None and not isinstance(up, ast.Module):
        if isinstance(up, ast.If):
            negated = isinstance(up.test, ast.UnaryOp) and isinstance(up.test.op, ast.Not)
            test = up.test.operand if negated else up.test
            if testing_condition(test) and child in (up.orelse if negated else up.body):
                return True
        child, up = up, parents.get(id(up))
    return False


def report_review(ctx: PyContext, where: ast.AST, message: str, reason: str, **kwargs) -> None:
    """Report a configuration finding in settings that are not deployed: a review finding (low, tag `review`)
    whose message says which module it is and why it is not the deployed one."""
    kwargs.pop("severity", None)
    kwargs.pop("precision", None)
    ctx.report(where, f"{message} (Review: {reason}.)", severity=Severity.LOW, precision="low",
               evidence="review", **kwargs)


@functools.lru_cache(maxsize=4096)
def is_development_class(name: str) -> bool:
    """`DevelopmentConfig`, `TestingSettings`, `LocalConfig`, `DebugConfig`, `create_dev_app`: by the words of the
    name (so `DeviceConfig` is not one)."""
    words = {w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)}
    return bool(words & CLASS_DEV_WORDS)


# A class or function named for debugging is for development too (a file or directory named `debug` is not:
# `debug.py` holds an app's debugging helpers, and the debug rules' own fixtures live in `debug/`).
CLASS_DEV_WORDS = DEV_WORDS | {"debug"}


def settings_view(ctx: PyContext) -> SettingsView:
    return ctx.file.cached("web-settings-view", lambda: _build_view(ctx))


def _build_view(ctx: PyContext) -> SettingsView:
    tree = ctx.module.tree
    view = SettingsView(development=is_development_path(ctx.file.rel))
    loaded = _loaded_objects(ctx)
    view.loads_itself = "__name__" in loaded
    for stmt in tree.body:
        for name, value in _assigned(stmt):
            view.top.setdefault(name, []).append(Setting(name, value, stmt))
            view.anywhere.add(name)
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            view.star_import = True
        if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or type(stmt).__name__ == "TryStar":
            for inner in ast.walk(stmt):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    continue
                for name, _ in _assigned(inner):
                    view.conditional.add(name)
                    view.anywhere.add(name)
                if isinstance(inner, ast.ImportFrom) and any(a.name == "*" for a in inner.names):
                    view.star_import = True
        if isinstance(stmt, ast.ClassDef) and (stmt.name.endswith(CONFIG_CLASS_SUFFIXES) or stmt.name in loaded) \
                and not is_development_class(stmt.name):
            names: dict[str, Setting] = {}
            for inner in stmt.body:
                for name, value in _assigned(inner):
                    names[name] = Setting(name, value, inner, stmt.name)
            view.classes[stmt.name] = names
            view.bases[stmt.name] = tuple(last_identifier(b) for b in stmt.bases)
    return view


def _loaded_objects(ctx: PyContext) -> set[str]:
    """The plain names a Flask-style config loads with `from_object(NAME)` anywhere in the module: config classes
    whatever they are called, and `__name__` for a module that loads its own upper-case names."""
    if "from_object" not in ctx.file.text():
        return set()
    loaded = set()
    for node in ctx.module.walk():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_object" \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and _is_config_object(node.func.value, ctx):
            loaded.add(node.args[0].id)
    return loaded


def _assigned(stmt: ast.AST) -> Iterator[tuple[str, ast.AST | None]]:
    """Upper-case names a statement binds, with the value (None for an import: not known here)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for alias in stmt.names:
            name = alias.asname or alias.name.split(".")[0]
            if name.isupper():
                yield name, None
    elif isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                yield target.id, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        if isinstance(stmt.target, ast.Name) and stmt.target.id.isupper():
            yield stmt.target.id, stmt.value


# --- config objects: app.config[...] = ..., app.config.update(...), app.config.from_mapping(...) -------------

@dataclass(frozen=True)
class ConfigItem:
    key: str
    value: ast.AST
    node: ast.AST  # where to report: the assignment, the keyword or the dict key


def config_items(node: ast.AST, ctx: PyContext) -> list[ConfigItem]:
    """Keys a Flask-style config object receives at this node (an Assign or a Call), with constant keys only."""
    items: list[ConfigItem] = []
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and _is_config_object(target.value, ctx):
                key = ctx.const(target.slice)
                if isinstance(key, str):
                    items.append(ConfigItem(key, node.value, node))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("update", "from_mapping") and _is_config_object(node.func.value, ctx):
        for kw in node.keywords:
            if kw.arg is not None:
                items.append(ConfigItem(kw.arg, kw.value, kw))
            else:
                items.extend(_mapping_items(ctx.resolve(kw.value), ctx))
        for arg in node.args:
            items.extend(_mapping_items(ctx.resolve(arg), ctx))
    return items


def _is_config_object(node: ast.AST, ctx: PyContext) -> bool:
    """`app.config`, `current_app.config`, or a name bound to one (`cfg = app.config`)."""
    if isinstance(node, ast.Name):
        node = ctx.resolve(node)
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _mapping_items(mapping: ast.AST | None, ctx: PyContext) -> list[ConfigItem]:
    items = []
    if isinstance(mapping, ast.Dict):
        for k, v in zip(mapping.keys, mapping.values):
            key = ctx.const(k) if k is not None else None
            if isinstance(key, str):
                items.append(ConfigItem(key, v, k))
    elif isinstance(mapping, ast.Call) and isinstance(mapping.func, ast.Name) and mapping.func.id == "dict":
        for kw in mapping.keywords:
            if kw.arg is not None:
                items.append(ConfigItem(kw.arg, kw.value, kw))
    return items


# --- keyword arguments: set, absent, or unknowable -----------------------------------------------------------

class Arg:
    """The state of one argument of a call."""

    ABSENT = "absent"  # certainly not passed: the callee's default applies
    UNKNOWN = "unknown"  # may be passed through `*args` or a `**mapping` we cannot see

    def __init__(self, state: str, node: ast.AST | None = None):
        self.state, self.node = state, node

    @property
    def present(self) -> bool:
        return self.node is not None


def argument(call: ast.Call, ctx: PyContext, name: str, position: int | None = None) -> Arg:
    node = ctx.kwarg(call, name)
    if node is not None:
        return Arg("set", node)
    starred = next((i for i, a in enumerate(call.args) if isinstance(a, ast.Starred)), None)
    if position is not None and len(call.args) > position and (starred is None or starred > position):
        return Arg("set", call.args[position])
    if starred is not None:
        return Arg(Arg.UNKNOWN)
    for kw in call.keywords:
        if kw.arg is None and (not _literal_mapping(ctx.resolve(kw.value)) or _mutated(kw.value, ctx)):
            return Arg(Arg.UNKNOWN)
    return Arg(Arg.ABSENT)


def _mutated(node: ast.AST, ctx: PyContext) -> bool:
    """`opts = {...}; opts["secure"] = True` or `opts.update(...)`: the literal is not the whole story."""
    if not isinstance(node, ast.Name):
        return False
    scope = ctx.function if ctx.function is not None and node.id in ctx.module.bindings(ctx.function) else ctx.module.tree
    for inner in ast.walk(scope):
        if isinstance(inner, (ast.Assign, ast.AugAssign)):
            targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
            if any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == node.id
                   for t in targets):
                return True
        elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                and isinstance(inner.func.value, ast.Name) and inner.func.value.id == node.id \
                and inner.func.attr in ("update", "setdefault", "__setitem__", "pop"):
            return True
    return False


def in_development_function(ctx: PyContext) -> bool:
    """Inside `def configure_dev(app)`, `def create_test_app()`: code for development or tests."""
    return any(fn is not None and is_development_class(getattr(fn, "name", ""))
               for fn in (ctx.function, ctx.outer_function))


def _literal_mapping(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Dict):
        return all(k is not None for k in node.keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return not node.args and all(kw.arg is not None for kw in node.keywords)
    return False


def const_or_unknown(ctx: PyContext, node: ast.AST | None):
    return UNKNOWN if node is None else ctx.const(node)


def last_identifier(node: ast.AST) -> str:
    """`self.app.client` -> "client"; `make_client()` -> "make_client"; anything else -> ""."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def callee(call: ast.Call, ctx: PyContext) -> str:
    """The last part of what a call names, cheaply, for prefiltering before `ctx.call_name`: `app.run(...)` ->
    "run"; `serve(...)` after `from werkzeug.serving import run_simple as serve` -> "run_simple"."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return ctx.names.aliases.get(func.id, func.id).rsplit(".", 1)[-1]
    return ""


def imports_from(ctx: PyContext, *packages: str) -> bool:
    prefixes = tuple(f"{p}." for p in packages)
    return any(v in packages or v.startswith(prefixes) for v in ctx.names.aliases.values()) \
        or any(m in packages or m.startswith(prefixes) for m in ctx.names.star_modules)


# --- fail-open defaults: what a setting read from the environment is when the variable is unset ----------------

SET, FAIL_OPEN = "set", "fail-open"


def setting_verdict(ctx: PyContext, node: ast.AST | None, unsafe) -> str | None:
    """SET when the value is unsafe as written, FAIL_OPEN when it is read from the environment and unsafe when the
    variable is unset, None otherwise (safe, or not known statically)."""
    if node is None:
        return None
    value = ctx.const(node)
    if value is not UNKNOWN:
        return SET if unsafe(value) else None
    fallback = default_when_unset(ctx, node)
    return FAIL_OPEN if fallback is not UNKNOWN and unsafe(fallback) else None


ENV_GETTERS = {"os.environ.get", "os.getenv"}
# django-environ's env.bool(...), env(...), env.str(...); python-decouple's config(..., cast=bool); environs.
DEFAULT_TAKING = frozenset({"env", "config", "bool", "str", "int", "get_value", "get", "getenv", "get_env"})
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})


def default_when_unset(ctx: PyContext, node: ast.AST | None, depth: int = 0):
    """The value `node` takes when every environment variable it reads is unset, or UNKNOWN when it reads none
    (then `ctx.const` answers) or does something this does not follow. `os.getenv("DEBUG", "True") == "True"`,
    `env.bool("DEBUG", default=True)` and `config("DEBUG", default=True, cast=bool)` all give True."""
    value, read_env = _unset(ctx, node, depth)
    return value if read_env else UNKNOWN


def _unset(ctx: PyContext, node: ast.AST | None, depth: int) -> tuple[object, bool]:
    if node is None or depth > 6:
        return UNKNOWN, False
    if isinstance(node, ast.Call):
        func = node.func
        name = ctx.call_name(node) or ""
        if name in ENV_GETTERS:
            default = node.args[1] if len(node.args) > 1 else ctx.kwarg(node, "default")
            return (None if default is None else ctx.const(default)), True
        if isinstance(func, ast.Attribute) and func.attr in ("lower", "upper", "strip", "casefold") and not node.args:
            inner, read = _unset(ctx, func.value, depth + 1)
            return (getattr(inner, func.attr)() if isinstance(inner, str) else UNKNOWN), read
        if isinstance(func, ast.Name) and func.id in ("bool", "int", "str") and len(node.args) == 1:
            inner, read = _unset(ctx, node.args[0], depth + 1)
            return _cast(func.id, inner), read
        last = name.rsplit(".", 1)[-1]
        default = ctx.kwarg(node, "default")
        first = ctx.const(node.args[0]) if node.args else UNKNOWN
        if last in DEFAULT_TAKING and default is None and isinstance(first, str) and first.isupper():
            schema = _env_schema_default(ctx, func, first)  # `env = environ.Env(DEBUG=(bool, True))`; `env("DEBUG")`
            if schema is not None:
                return schema, True
        if last in DEFAULT_TAKING and default is not None and isinstance(first, str) and first.isupper():
            value = ctx.const(default)
            cast = ctx.kwarg(node, "cast")
            if last == "bool" or (isinstance(cast, ast.Name) and cast.id == "bool"):
                value = _cast("bool", value)
            return value, True
        return UNKNOWN, False
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, read_left = _unset(ctx, node.left, depth + 1)
        right, read_right = _unset(ctx, node.comparators[0], depth + 1)
        if not (read_left or read_right):
            return UNKNOWN, False
        left = ctx.const(node.left) if not read_left else left
        right = ctx.const(node.comparators[0]) if not read_right else right
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN, True
        op = node.ops[0]
        try:
            if isinstance(op, ast.Eq):
                return left == right, True
            if isinstance(op, ast.NotEq):
                return left != right, True
            if isinstance(op, ast.In):
                return left in right, True
            if isinstance(op, ast.NotIn):
                return left not in right, True
        except TypeError:
            pass
        return UNKNOWN, True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner, read = _unset(ctx, node.operand, depth + 1)
        return (UNKNOWN if inner is UNKNOWN else not inner), read
    return UNKNOWN, False


def _env_schema_default(ctx: PyContext, func: ast.AST, name: str):
    """The default django-environ's schema gives `name` (`env = environ.Env(DEBUG=(bool, True))`, read with
    `env("DEBUG")` or `env.bool("DEBUG")`), cast to its type; None when the reader is no such `Env` or the schema
    gives no default for it (Horilla's settings, §3w: DEBUG on and a published SECRET_KEY unless the environment
    says otherwise)."""
    reader = func.value if isinstance(func, ast.Attribute) else func
    made = ctx.resolve(reader) if isinstance(reader, ast.Name) else None
    if not (isinstance(made, ast.Call) and (ctx.call_name(made) or "") in ENV_SCHEMAS):
        return None
    entry = ctx.kwarg(made, name)
    if not (isinstance(entry, ast.Tuple) and len(entry.elts) == 2):
        return None
    value = ctx.const(entry.elts[1])
    kind = entry.elts[0].id if isinstance(entry.elts[0], ast.Name) else ""
    return _cast(kind, value) if kind in ("bool", "int", "str") else value


def _cast(kind: str, value):
    if value is UNKNOWN:
        return UNKNOWN
    try:
        if kind == "bool":
            return value.strip().lower() in TRUE_WORDS if isinstance(value, str) else bool(value)
        return int(value) if kind == "int" else str(value)
    except (TypeError, ValueError):
        return UNKNOWN


def leading_text(ctx: PyContext, node: ast.AST | None) -> tuple[str, bool] | None:
    """The constant text a string expression starts with, and whether that is the whole string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, True
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            else:
                return "".join(parts), False
        return "".join(parts), True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = leading_text(ctx, node.left)
        if left is None:
            return None
        if isinstance(node.op, ast.Add) and left[1]:
            right = ctx.const(node.right)
            if isinstance(right, str):
                return left[0] + right, True
        return left[0], False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        inner = leading_text(ctx, node.func.value)
        return (inner[0].split("{", 1)[0], False) if inner else None
    return None
