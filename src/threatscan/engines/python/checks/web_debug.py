"""Debug mode left on (rules PY320 Werkzeug debugger, PY321 debug error pages).

PY320: Flask's debug mode starts the Werkzeug debugger, an interactive Python console in the browser:
`app.run(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True` / `.update(DEBUG=True)` /
`.from_mapping(DEBUG=True)`, a Flask config class with `DEBUG = True` (named `...Config` or loaded with
`app.config.from_object(Class)`), a module-level `DEBUG = True` in a module that calls
`app.config.from_object(__name__)`, `werkzeug.run_simple(..., use_debugger=True)` and `DebuggedApplication(app, evalex=True)`.
PY321: frameworks that answer errors with tracebacks, settings and SQL: Django's `DEBUG = True` in a settings
module, `FastAPI(debug=True)` / `Starlette(debug=True)`.
Files for local development or tests (see _web.DEV_WORDS) are not reported, except settings modules: in settings
production does not run (python/deployment.py) `DEBUG` is a review finding. So is `app.run(debug=True)` under
`__main__` beside a production server of the same project, and a debug flag on an app the module serves with
another WSGI server (no Werkzeug console there). A switch set only inside `if <debug setting>:` or
`if <development switch>:` (`if args.dev:`, `if settings.DEVELOPMENT_MODE:`, never a request parameter) is the
operator's opt-in: low (a review finding for a development switch).
"""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ..context import UNKNOWN, PyContext
from ..registry import python_check
from ._web import (
    FAIL_OPEN, SET, SETTINGS_MARKERS, argument, callee, config_items, in_development_function, is_development_path,
    last_identifier, main_block_nodes, report_review, setting_verdict, settings_module, settings_review, settings_view,
)

APP_WORDS = frozenset({"app", "application", "server", "socketio", "sio", "flask_app", "webapp"})
FLASK_FACTORIES = ("Flask", "Quart", "SocketIO", "create_app", "make_app")
ASGI_APPS = ("FastAPI", "Starlette")
# Frameworks whose `app.debug = True` puts tracebacks in error responses but starts no Werkzeug console (PY320 is
# about that console): an app they make is not Flask-like whatever its variable is called.
OTHER_FRAMEWORK_APPS = frozenset({"chalice.Chalice", "chalice.app.Chalice", "bottle.Bottle", "sanic.Sanic",
                                  "falcon.App", "falcon.API", "tornado.web.Application", "aiohttp.web.Application"})
RUN_SIMPLE = {"werkzeug.run_simple", "werkzeug.serving.run_simple"}
DEBUG_CALLEES = frozenset({"run", "run_simple", "DebuggedApplication"})
ALL_INTERFACES = {"0.0.0.0", "::", "", "[::]"}
CONSOLE = "Exposed debug console"
PAGES = "Exposed debug pages"


def _app_kind(receiver: ast.AST, ctx: PyContext) -> str | None:
    """"flask" for a Flask-like app (by how it was made, else by its name), "asgi" for FastAPI/Starlette."""
    bound = ctx.resolve(receiver)
    if isinstance(bound, ast.Call):
        if ctx.call_name(bound) in OTHER_FRAMEWORK_APPS:
            return "other"  # app = Chalice(app_name="..."): its debug flag is no Werkzeug debugger
        made_by = (ctx.call_name(bound) or last_identifier(bound)).rsplit(".", 1)[-1]
        if made_by in ASGI_APPS:
            return "asgi"
        if made_by.endswith(FLASK_FACTORIES):
            return "flask"
    word = last_identifier(receiver).lower()
    if word in APP_WORDS or word.endswith("_app"):
        return "flask"
    return None


def _on(value) -> bool:
    return value is not UNKNOWN and bool(value)


# Words of a switch that turns development on (`--dev`, `settings.DEVELOPMENT_MODE`, `isDev`, `ENV == "development"`).
DEVELOPMENT_SWITCH_WORDS = frozenset({"dev", "devel", "develop", "development", "developer"})


def _switch_words(test: ast.AST) -> set[str]:
    """The words of the names, attributes and strings a condition reads (`args.dev_mode` -> args, dev, mode)."""
    words: set[str] = set()
    for node in ast.walk(test):
        text = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else             node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 64             else ""
        words.update(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", text))
    return words


def _debug_guarded(ctx: PyContext, where: ast.AST) -> str | None:
    """`if settings.debug: app.run(debug=True)`: on only when a debug setting is: the configuration decides ("a debug
    setting"). `if args.dev: app.config["DEBUG"] = True`: on only when the operator asks for development ("a
    development switch"; not under `if not args.dev:`, and not in the `else` branch). None elsewhere."""
    def build() -> list[tuple[int, int, str]]:
        spans = []
        for node in ctx.module.walk():
            if not isinstance(node, ast.If) or not node.body:
                continue
            span = (node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno)
            if "debug" in ast.dump(node.test).lower():
                spans.append((*span, "a debug setting"))
            elif not isinstance(node.test, ast.UnaryOp) and (words := _switch_words(node.test)) \
                    & DEVELOPMENT_SWITCH_WORDS and not words & {"request", "req"}:  # (`?dev=1` is anyone's switch)
                spans.append((*span, "a development switch"))
        return spans

    line = getattr(where, "lineno", 0)
    return next((what for a, b, what in ctx.file.cached("debug-guarded-spans", build) if a <= line <= b), None)


def _report(ctx: PyContext, where: ast.AST, value: ast.AST | None, threat: str, subject: str, effect: str,
            severity: Severity | None = None, review: str | None = None) -> None:
    """Report `subject` (a switch) when `value` turns it on: as written at the rule's severity, or only when an
    environment variable is unset (a fail-open default) at low severity and precision; low inside `if <debug
    setting>:`; a review finding (low, tag `review`) inside `if <development switch>:` and with `review`, the
    reason the switch is not what production runs."""
    guard = _debug_guarded(ctx, where)
    if guard:
        subject = f"{subject} (only when {guard} is on)"
        severity = Severity.LOW
        if guard == "a development switch" and not review:
            review = "the operator turns it on by asking for development, with a flag or setting named for it"
    verdict = setting_verdict(ctx, value, _on)
    if verdict is not None and review:
        how = "is on" if verdict == SET else "is on whenever the environment variable it reads is unset"
        report_review(ctx, where, f"{threat}: {subject} {how}, {effect}", review)
    elif verdict == SET:
        ctx.report(where, f"{threat}: {subject} is on, {effect}", severity=severity)
    elif verdict == FAIL_OPEN:
        ctx.report(where, f"{threat}: {subject} is on whenever the environment variable it reads is unset, {effect}",
                   severity=Severity.LOW, precision="low")


# Production WSGI servers a module may hand its Flask app to: Flask's debug flag starts the Werkzeug debugger only
# in Werkzeug's own development server (`app.run`, `run_simple`), never in these.
OTHER_SERVERS = ("gevent.pywsgi.WSGIServer", "gevent.wsgi.WSGIServer", "waitress.serve", "waitress.server.create_server",
                 "cheroot.wsgi.Server", "cheroot.wsgi.WSGIServer", "bjoern.run", "meinheld.server.run",
                 "eventlet.wsgi.server", "gunicorn.app.base.BaseApplication")


def _served_elsewhere(ctx: PyContext) -> str | None:
    """The production server this module hands its app to (gevent's `WSGIServer(..., app)`, `waitress.serve(app)`)
    when the module never starts Werkzeug's development server (`app.run(...)`, `run_simple(...)`), else None."""

    def build() -> str | None:
        server = None
        for node in ctx.module.walk():
            if not isinstance(node, ast.Call):
                continue
            name = ctx.names.qualname(node.func) or ""
            if name in OTHER_SERVERS and server is None:
                server = name
            elif name in RUN_SIMPLE or (isinstance(node.func, ast.Attribute) and node.func.attr == "run"
                                        and _app_kind(node.func.value, ctx) == "flask"):
                return None
        return server

    return ctx.file.cached("debug-served-elsewhere", build)


def _console_review(ctx: PyContext) -> str | None:
    """Why a Flask debug flag set in this module starts no debugger console in production, or None."""
    server = _served_elsewhere(ctx)
    if server is None:
        return None
    return (f"this module serves its app with `{server}`, never with Werkzeug's development server (`app.run`, "
            "`run_simple`), and Flask's debug flag starts the debugger console only there")


def _development_entry(ctx: PyContext, node: ast.AST) -> str | None:
    """Why `app.run(...)` (or `app.debug = True`) at `node` belongs to a development entry point: it runs under
    `if __name__ == "__main__":` (directly or in a function only that block calls), or at the top level of a
    command-line script (a module that parses its arguments with argparse at its top level and starts Werkzeug's
    server there), and the repository serves its app with a production server configured in the module's own
    project (its directory, one above or one below it)."""
    here = _directory(ctx.file.rel)
    servers = [s for s in (ctx.scan.facts.production_servers if ctx.scan is not None else ())
               if _related(_directory(s.path), here)]
    if not servers:
        return None
    if id(node) in main_block_nodes(ctx) or _called_only_from_main(ctx):
        how = "it runs only as `python <this file>` (under `__main__`)"
    elif ctx.function is None and _command_line_script(ctx):
        how = "it runs only as `python <this file>` (a command-line script: it parses its arguments at its top level)"
    elif ctx.function is None and _profiling_runner(ctx):
        how = ("it runs the app under a profiler at its top level (werkzeug's ProfilerMiddleware or cProfile: a "
               "developer's measuring script)")
    else:
        return None
    server = min(servers, key=lambda s: (s.line == 0, s.path, s.line))
    return f"a development entry point: {how}, and the repository serves its app with {server.describe()}"


PROFILERS = ("werkzeug.middleware.profiler", "werkzeug.contrib.profiler", "cProfile", "profile", "pyinstrument",
             "yappi")


def _profiling_runner(ctx: PyContext) -> bool:
    """The module imports a profiler (werkzeug's ProfilerMiddleware, cProfile, pyinstrument, yappi): with the app
    started at its top level it is a script that measures the app, never imported by the deployed one (Otter
    Wiki's `profiler.py`)."""
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) and any(
        (m or "") == p or (m or "").startswith(p + ".")
        for p in PROFILERS for m in ([n.module] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names]))
        for n in ctx.module.tree.body)


PARSE_ARGS = frozenset({"parse_args", "parse_known_args"})


def _command_line_script(ctx: PyContext) -> bool:
    """The module parses command-line arguments at its top level (`parser.parse_args()` in a module-level statement,
    outside any function, class or `__main__` block) and starts Werkzeug's development server at its top level:
    importing it would run a server, so it is run as a program, never imported by the deployed app."""

    def build() -> bool:
        parses = starts = False
        for stmt in ctx.module.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for node in ast.walk(stmt):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                parses = parses or node.func.attr in PARSE_ARGS
                starts = starts or (node.func.attr == "run" and _app_kind(node.func.value, ctx) == "flask")
        return parses and starts

    return ctx.file.cached("web-command-line-script", build)


def _directory(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _related(server_dir: str, module_dir: str) -> bool:
    """A server configured in the module's own project: its directory is the module's, one above it, or one
    below it (`docker/entrypoint.sh` for `run.py` at the root). A server of another project in a monorepo (a
    sibling directory) serves another app."""
    def inside(a: str, b: str) -> bool:
        return b == "" or a == b or a.startswith(b + "/")
    return inside(module_dir, server_dir) or inside(server_dir, module_dir)


def _called_only_from_main(ctx: PyContext) -> bool:
    """The enclosing module-level function is called in the `__main__` block and nowhere else in the module."""
    fn = ctx.outer_function
    if fn is None or not isinstance(ctx.module.parents().get(id(fn)), ast.Module):
        return False
    inside = main_block_nodes(ctx)
    calls = [n for n in ctx.module.walk() if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == fn.name]  # type: ignore[attr-defined]
    return bool(calls) and all(id(c) in inside for c in calls)


def _is_config_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("update", "from_mapping")


CONSOLE_EFFECT = "and with it the Werkzeug debugger: a Python console in the browser on every error page."


@python_check("PY320", ast.Call, ast.Assign, ast.Module)
def werkzeug_debugger(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Call) and callee(node, ctx) not in DEBUG_CALLEES and not _is_config_call(node):
        return
    if isinstance(node, ast.Assign) and not any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets):
        return
    if is_development_path(ctx.file.rel) or in_development_function(ctx):
        return
    if isinstance(node, ast.Module):
        view = settings_view(ctx)
        for setting in view.config_settings("DEBUG"):
            _report(ctx, setting.node, setting.value, CONSOLE, f"`DEBUG` in config class `{setting.owner}`",
                    CONSOLE_EFFECT)
        own = view.effective("DEBUG") if _flask_module_config(view) else None
        if own is not None:
            _report(ctx, own.node, own.value, CONSOLE, "`DEBUG` in this module, which `app.config.from_object"
                    "(__name__)` loads into the app's config,", CONSOLE_EFFECT)
        return
    for item in config_items(node, ctx):
        if item.key == "DEBUG":
            _report(ctx, item.node, item.value, CONSOLE, "the app's `DEBUG` config", CONSOLE_EFFECT,
                    review=_console_review(ctx))
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "debug" and _app_kind(target.value, ctx) == "flask":
                _report(ctx, node, node.value, CONSOLE, "`debug` on the app", CONSOLE_EFFECT,
                        review=_console_review(ctx) or _development_entry(ctx, node))
    elif isinstance(node, ast.Call):
        _debug_call(node, ctx)


def _debug_call(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call) or ""
    if name in RUN_SIMPLE:
        _report(ctx, call, argument(call, ctx, "use_debugger", 4).node, CONSOLE, "`run_simple`'s `use_debugger`",
                "so it serves the Werkzeug debugger: a Python console in the browser on every error page.")
        return
    if name.rsplit(".", 1)[-1] == "DebuggedApplication" and name.startswith("werkzeug"):
        _report(ctx, call, argument(call, ctx, "evalex", 1).node, CONSOLE, "`DebuggedApplication`'s `evalex`",
                "so anyone who reaches a traceback can run Python in the server.")
        return
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "run" or _app_kind(func.value, ctx) != "flask":
        return
    position = None if "socketio" in last_identifier(func.value).lower() else 2  # Flask.run(host, port, debug)
    debug = argument(call, ctx, "debug", position).node or ctx.kwarg(call, "use_debugger")
    host = ctx.const(argument(call, ctx, "host", 0 if position is not None else 1).node)
    everyone = isinstance(host, str) and host.strip() in ALL_INTERFACES
    loopback = isinstance(host, str) and host.strip() in LOOPBACK
    local_only = id(call) in main_block_nodes(ctx) and not everyone
    where = "the development server on a loopback address (this machine only)" if loopback \
        else "the development server started under `__main__` (this machine only)" if local_only \
        else "a server that listens on every interface" if everyone else "the app"
    _report(ctx, call, debug, CONSOLE, f"debug mode of {where}", "and with it the Werkzeug debugger, a Python console "
            "in the browser.", severity=Severity.LOW if loopback else Severity.MEDIUM if local_only else None,
            review=_development_entry(ctx, call))


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


PAGES_EFFECT = "so error pages show the traceback with local variables"


@python_check("PY321", ast.Module, ast.Call, ast.Assign)
def debug_error_pages(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Call) and callee(node, ctx) not in ASGI_APPS:
        return
    if isinstance(node, ast.Assign) and not any(isinstance(t, ast.Attribute) and t.attr == "debug" for t in node.targets):
        return
    module = isinstance(node, ast.Module)
    if (is_development_path(ctx.file.rel) and not (module and settings_module(ctx) is not None)) \
            or in_development_function(ctx):
        return
    if module:
        view = settings_view(ctx)
        setting = view.effective("DEBUG")
        if setting is not None and _settings_module(ctx, view.top.keys()) and not _flask_module_config(view):
            review = settings_review(ctx, "DEBUG")
            if review:
                if setting_verdict(ctx, setting.value, _on) is not None:
                    report_review(ctx, setting.node, f"{PAGES}: `DEBUG` is on in these settings, {PAGES_EFFECT} "
                                  "wherever they are used.", review)
                return
            _report(ctx, setting.node, setting.value, PAGES, "`DEBUG` in this settings module",
                    f"{PAGES_EFFECT}, the settings and the SQL that ran.")
    elif isinstance(node, ast.Call):
        made_by = (ctx.call_name(node) or "").rsplit(".", 1)
        if made_by[-1] in ASGI_APPS and made_by[0].startswith(("fastapi", "starlette")) \
                and not _replaced_unused(node, ctx):
            _report(ctx, node, ctx.kwarg(node, "debug"), PAGES, f"debug mode of this `{made_by[-1]}` app",
                    f"{PAGES_EFFECT}.")
    else:
        for target in node.targets:  # type: ignore[attr-defined]
            if isinstance(target, ast.Attribute) and target.attr == "debug" and _app_kind(target.value, ctx) == "asgi":
                _report(ctx, node, node.value, PAGES, "`debug` on the app", f"{PAGES_EFFECT}.")


def _replaced_unused(call: ast.Call, ctx: PyContext) -> bool:
    """The app `call` makes is bound at module level (`APP = Starlette(debug=True)`) and bound again later at module
    level (`APP = Starlette(routes=...)`) with no read of the name in between: the first object is never served (the
    server imports the module's final `APP`), so its debug flag answers nothing."""
    stmt = ctx.module.parents().get(id(call))
    body = ctx.module.tree.body
    if not (isinstance(stmt, ast.Assign) and stmt in body and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return False
    name = stmt.targets[0].id
    later = next((s for s in body[body.index(stmt) + 1:] if isinstance(s, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)), None)
    if later is None:
        return False
    between = body[body.index(stmt) + 1: body.index(later)] + [later.value]
    return not any(isinstance(sub, ast.Name) and sub.id == name for part in between for sub in ast.walk(part))


def _flask_module_config(view) -> bool:
    """A Flask app module that loads its own upper-case names as config (`app.config.from_object(__name__)`): its
    `DEBUG` switches the Werkzeug debugger on (PY320), not Django's error pages."""
    return view.loads_itself and not view.django


def _settings_module(ctx: PyContext, names) -> bool:
    """Django settings (it assigns INSTALLED_APPS, MIDDLEWARE, DATABASES, ...) or a module named like settings."""
    parts = ctx.file.rel.lower().split("/")
    return bool(SETTINGS_MARKERS & set(names)) or "settings" in parts[-1] or "settings" in parts[:-1]
