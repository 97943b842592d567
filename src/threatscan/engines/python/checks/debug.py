"""Debug mode left on (rules PY320 Werkzeug debugger, PY321 debug error pages).

PY320: Flask's debug mode starts the Werkzeug debugger, an interactive Python console in the browser:
`app.run(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True` / `.update(DEBUG=True)`, a Flask config
class with `DEBUG = True`, `werkzeug.run_simple(..., use_debugger=True)` and `DebuggedApplication(app, evalex=True)`.
PY321: frameworks that answer errors with tracebacks, settings and SQL: Django's `DEBUG = True` in a settings
module, `FastAPI(debug=True)` / `Starlette(debug=True)`.
Files for local development or tests (see _web.DEV_WORDS) are not reported.
"""

from __future__ import annotations

import ast

from ....model import Severity
from ..context import PyContext
from ..registry import python_check
from ._web import SETTINGS_MARKERS, argument, config_items, is_development_path, last_identifier, settings_view

APP_WORDS = frozenset({"app", "application", "server", "socketio", "sio", "flask_app", "webapp"})
FLASK_FACTORIES = ("Flask", "Quart", "SocketIO", "create_app", "make_app")
ASGI_APPS = ("FastAPI", "Starlette")
RUN_SIMPLE = {"werkzeug.run_simple", "werkzeug.serving.run_simple"}
ALL_INTERFACES = {"0.0.0.0", "::", "", "[::]"}


def _app_kind(receiver: ast.AST, ctx: PyContext) -> str | None:
    """"flask" for a Flask-like app (by how it was made, else by its name), "asgi" for FastAPI/Starlette."""
    bound = ctx.resolve(receiver)
    if isinstance(bound, ast.Call):
        made_by = (ctx.call_name(bound) or last_identifier(bound)).rsplit(".", 1)[-1]
        if made_by in ASGI_APPS:
            return "asgi"
        if made_by.endswith(FLASK_FACTORIES):
            return "flask"
    word = last_identifier(receiver).lower()
    if word in APP_WORDS or word.endswith("_app"):
        return "flask"
    return None


def _is_true(ctx: PyContext, node: ast.AST | None) -> bool:
    return node is not None and ctx.truthy(node) is True


def _main_block_nodes(ctx: PyContext) -> set[int]:
    """ids of the nodes inside `if __name__ == "__main__":` blocks at module level."""

    def build() -> set[int]:
        inside: set[int] = set()
        for stmt in ctx.module.tree.body:
            if isinstance(stmt, ast.If) and "__main__" in ast.dump(stmt.test) and "__name__" in ast.dump(stmt.test):
                for child in stmt.body:
                    inside.update(id(n) for n in ast.walk(child))
        return inside

    return ctx.file.cached("web-main-block", build)


@python_check("PY320", ast.Call, ast.Assign, ast.Module)
def werkzeug_debugger(node: ast.AST, ctx: PyContext) -> None:
    if is_development_path(ctx.file.rel):
        return
    if isinstance(node, ast.Module):
        for setting in settings_view(ctx).config_settings("DEBUG"):
            if _is_true(ctx, setting.value):
                ctx.report(setting.node, f"Exposed debug console (STRIDE-5.3): config class `{setting.owner}` sets "
                                         f"`DEBUG = True`; a Flask app run with it serves the Werkzeug debugger, "
                                         f"which runs Python typed into the browser.")
        return
    for item in config_items(node, ctx):
        if item.key == "DEBUG" and _is_true(ctx, item.value):
            ctx.report(item.node, "Exposed debug console (STRIDE-5.3): the app's `DEBUG` config is true, which turns "
                                  "on the Werkzeug debugger, a Python console in the browser.")
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "debug" and _is_true(ctx, node.value) \
                    and _app_kind(target.value, ctx) == "flask":
                ctx.report(node, "Exposed debug console (STRIDE-5.3): `debug = True` on the app turns on the Werkzeug "
                                 "debugger, a Python console in the browser.")
    elif isinstance(node, ast.Call):
        _debug_call(node, ctx)


def _debug_call(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call) or ""
    if name in RUN_SIMPLE:
        if _is_true(ctx, argument(call, ctx, "use_debugger", 4).node):
            ctx.report(call, "Exposed debug console (STRIDE-5.3): `run_simple(..., use_debugger=True)` serves the "
                             "Werkzeug debugger, a Python console in the browser.")
        return
    if name.rsplit(".", 1)[-1] == "DebuggedApplication" and name.startswith("werkzeug"):
        if _is_true(ctx, argument(call, ctx, "evalex", 1).node):
            ctx.report(call, "Exposed debug console (STRIDE-5.3): `DebuggedApplication(..., evalex=True)` lets "
                             "anyone who reaches a traceback run Python in the server.")
        return
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "run" or _app_kind(func.value, ctx) != "flask":
        return
    position = None if "socketio" in last_identifier(func.value).lower() else 2  # Flask.run(host, port, debug)
    debug = argument(call, ctx, "debug", position).node
    if not (_is_true(ctx, debug) or _is_true(ctx, ctx.kwarg(call, "use_debugger"))):
        return
    host = ctx.const(argument(call, ctx, "host", 0 if position is not None else 1).node)
    local_only = id(call) in _main_block_nodes(ctx) and not (isinstance(host, str) and host.strip() in ALL_INTERFACES)
    where = "the development server started under `__main__`, reachable from this machine only" if local_only else \
        "a server reachable from the network" if isinstance(host, str) and host.strip() in ALL_INTERFACES else "the app"
    ctx.report(call, f"Exposed debug console (STRIDE-5.3): debug mode turns on the Werkzeug debugger, a Python console "
                     f"in the browser, for {where}.", severity=Severity.MEDIUM if local_only else None)


@python_check("PY321", ast.Module, ast.Call, ast.Assign)
def debug_error_pages(node: ast.AST, ctx: PyContext) -> None:
    if is_development_path(ctx.file.rel):
        return
    if isinstance(node, ast.Module):
        view = settings_view(ctx)
        setting = view.effective("DEBUG")
        if setting is None or not _is_true(ctx, setting.value) or not _settings_module(ctx, view.top.keys()):
            return
        ctx.report(setting.node, "Exposed debug pages (STRIDE-5.3): `DEBUG = True` in this settings module makes "
                                 "every error page show the traceback, local variables, settings and SQL.")
    elif isinstance(node, ast.Call):
        made_by = (ctx.call_name(node) or "").rsplit(".", 1)
        if made_by[-1] in ASGI_APPS and made_by[0].startswith(("fastapi", "starlette")) \
                and _is_true(ctx, ctx.kwarg(node, "debug")):
            ctx.report(node, f"Exposed debug pages (STRIDE-5.3): `{made_by[-1]}(debug=True)` answers server errors "
                             f"with the traceback.")
    else:
        for target in node.targets:  # type: ignore[attr-defined]
            if isinstance(target, ast.Attribute) and target.attr == "debug" and _is_true(ctx, node.value) \
                    and _app_kind(target.value, ctx) == "asgi":
                ctx.report(node, "Exposed debug pages (STRIDE-5.3): `debug = True` on the app answers server errors "
                                 "with the traceback.")


def _settings_module(ctx: PyContext, names) -> bool:
    """Django settings (it assigns INSTALLED_APPS, MIDDLEWARE, DATABASES, ...) or a module named like settings."""
    parts = ctx.file.rel.lower().split("/")
    return bool(SETTINGS_MARKERS & set(names)) or "settings" in parts[-1] or "settings" in parts[:-1]
