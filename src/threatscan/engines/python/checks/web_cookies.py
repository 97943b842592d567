"""Cookies without Secure, HttpOnly or SameSite (rules PY301-PY306).

PY301-PY303 read `set_cookie` / `set_signed_cookie` calls on response objects (Flask/Werkzeug, Django,
Starlette/FastAPI, aiohttp: all take `key, value, max_age, expires, path, domain, secure, httponly, samesite` in
that order, or keywords only). PY304-PY306 read the session and CSRF cookie settings: Django settings modules,
Flask config classes and `app.config[...]` / `app.config.update(...)` / `app.config.from_mapping(...)`.

A value that is not known statically (`secure=settings.SECURE_COOKIES`, `**options` from a parameter) is neither
called safe nor reported: making the flag configurable is the usual way to keep it off in local development.
"""

from __future__ import annotations

import ast
import re

from ....lang.python.dataflow import TAINTED
from ....model import Severity
from ..context import UNKNOWN, PyContext
from ..registry import python_check
from ._web import (
    FAIL_OPEN, Arg, argument, config_items, imports_from, in_development_function, in_testing_branch,
    is_development_path, is_test_path,
    last_identifier, report_review, setting_verdict, settings_module, settings_review, settings_view,
    testing_condition,
)

# method -> position of `secure` (httponly and samesite follow it); None: keywords only (Django's
# set_signed_cookie(key, value, salt="", **kwargs)).
SETTERS = {"set_cookie": 6, "set_signed_cookie": None}
NOT_RESPONSES = ("client", "jar")  # test clients and cookie jars also have set_cookie; they set no header
SENSITIVE_NAME = re.compile(r"sess|(?:^|[^a-z])sid(?:$|[^a-z])|token|auth|jwt|login|remember|credential|api[-_]?key", re.I)
NOT_SENSITIVE = re.compile(r"csrf|xsrf", re.I)


def _cookie_setter(call: ast.Call, ctx: PyContext) -> str | None:
    """The setter method's name when `call` sets a cookie on a response, else None."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in SETTERS or is_test_path(ctx.file.rel):
        return None
    receiver = func.value
    words = [last_identifier(receiver).lower()]
    bound = ctx.resolve(receiver)
    if bound is not receiver and bound is not None:
        words.append(last_identifier(bound).lower())  # c = app.test_client(); c.set_cookie(...)
    if any(bad in w for w in words for bad in NOT_RESPONSES) or words[0] == "cookies":
        return None  # requests' session.cookies.set_cookie(cookie), a CookieJar
    qual = ctx.qualname(receiver) or ""
    if qual.startswith(("http.cookiejar", "http.cookies", "requests.", "httpx.", "selenium.")):
        return None
    if len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred):
        return None  # CookieJar.set_cookie(cookie): one Cookie object, a client's store (a response needs key, value)
    if isinstance(receiver, ast.Name) and receiver.id == "self" and _in_cookie_jar_class(call, ctx):
        return None
    if _deletes(call, ctx, SETTERS[func.attr]):
        return None
    return func.attr


def _in_cookie_jar_class(call: ast.Call, ctx: PyContext) -> bool:
    """`self.set_cookie(...)` in a class deriving from a cookie jar (requests' RequestsCookieJar): a client store."""
    for cls in ctx.module.walk():
        if isinstance(cls, ast.ClassDef) and cls.lineno <= call.lineno <= (cls.end_lineno or cls.lineno):
            if any("jar" in last_identifier(b).lower() for b in cls.bases) or "jar" in cls.name.lower():
                return True
    return False


def _deletes(call: ast.Call, ctx: PyContext, secure_position: int | None) -> bool:
    """`set_cookie(key, max_age=0)` or `expires=0` is how delete_cookie is written: it sends no value to steal; nor
    does a cookie set to no value (`set_cookie("admin_session", None, expires=1)`, LinOTP's `dropsession`)."""
    for keyword, position in (("max_age", 2), ("expires", 3)):
        arg = argument(call, ctx, keyword, position if secure_position is not None else None)
        if arg.present and ctx.const(arg.node) in (0, "0"):
            return True
    value = argument(call, ctx, "value", 1)
    return value.present and value.node is not None and isinstance(value.node, ast.Constant) \
        and value.node.value in (None, "")


def _cookie_name(call: ast.Call, ctx: PyContext) -> str | None:
    arg = argument(call, ctx, "key", 0)
    if not arg.present:
        arg = argument(call, ctx, "name")  # aiohttp
    value = ctx.const(arg.node) if arg.present else UNKNOWN
    return value if isinstance(value, str) else None


# Cookies scripts are meant to read and that grant nothing: a CSRF token (the double-submit pattern reads it),
# the language, theme, time zone or consent choice. Matched against the name, or the code naming it
# (`settings.LANGUAGE_COOKIE_NAME`).
PUBLIC_COOKIE = re.compile(r"csrf|xsrf|lang|locale|theme|timezone|(?:^|[^a-z])tz(?:$|[^a-z])|consent|colou?r", re.I)


def _name_text(call: ast.Call, ctx: PyContext) -> str:
    arg = argument(call, ctx, "key", 0)
    if not arg.present:
        arg = argument(call, ctx, "name")
    if not arg.present or arg.node is None:
        return ""
    value = ctx.const(arg.node)
    if isinstance(value, str):
        return value
    node = arg.node
    if node.lineno != node.end_lineno or node.end_col_offset is None:  # type: ignore[attr-defined]
        return ""
    return ctx.file.line(node.lineno).encode()[node.col_offset:node.end_col_offset].decode(errors="replace")


def _describe(name: str | None) -> str:
    return f"cookie `{name}`" if name else "a cookie"


def _severity(ctx: PyContext, name: str | None, call: ast.Call | None = None) -> Severity | None:
    """Severity follows evidence: a cookie named like a session or auth token is one step more severe than the
    rule; a cookie whose name shows nothing of the kind (a preference, a flag, a name not known statically) is low,
    since a missing attribute matters for what the cookie unlocks; and, for the attributes that keep a value secret
    (Secure, HttpOnly: `call` given), so is a cookie whose value the request itself carried (see _request_value)."""
    assert ctx.rule is not None
    if name and SENSITIVE_NAME.search(name) and not NOT_SENSITIVE.search(name) \
            and not (call is not None and (_request_value(call, ctx) or _no_value(call, ctx))):
        return ctx.rule.severity.raised()
    return Severity.LOW


REQUEST_VALUE_NOTE = (" Its value is the request's own data (a query or form value), which travelled in the request "
                      "already: the attribute cannot keep it secret, so this is low.")


def _no_value(call: ast.Call, ctx: PyContext) -> bool:
    """The cookie is set with no value at all (`set_cookie("ngw-oauth-logout", max_age=600)`, a marker that stops
    an OAuth login loop): a flag every client gets alike is no credential to steal."""
    return argument(call, ctx, "value", 1).state == Arg.ABSENT


def _request_value(call: ast.Call, ctx: PyContext) -> bool:
    """The cookie's value is a caller's request data (`set_cookie("token", request.GET["token"])`, webvirtcloud's
    console routing token): the URL or body that brought it exposed it already, so no missing attribute exposes a
    secret of the server's (a session the server mints is no request value)."""
    memo = ctx.memo.setdefault("cookie-request-value", {})
    hit = memo.get(id(call))
    if hit is not None and hit[0] is call:
        return hit[1]
    arg = argument(call, ctx, "value", 1)
    found = False
    if arg.present and arg.node is not None:
        verdict = ctx.taint_verdict(arg.node)
        found = verdict.state == TAINTED and not verdict.trust and not verdict.gap
    memo[id(call)] = (call, found)
    return found


def _note(call: ast.Call, ctx: PyContext, name: str | None) -> str:
    return REQUEST_VALUE_NOTE if name and SENSITIVE_NAME.search(name) and _request_value(call, ctx) else ""


# Where each attribute's argument sits after `secure` in the setters' positional order.
FLAG_OFFSETS = {"secure": 0, "httponly": 1, "samesite": 2}


def _cookie_flag(call: ast.Call, ctx: PyContext, flag: str) -> tuple[Arg, str | None] | None:
    """For a call that sets a cookie on a response: the argument giving `flag` ("secure", "httponly" or
    "samesite", by keyword, position or a visible `**mapping`) and the cookie's name when it is a constant.
    None for every other call."""
    setter = _cookie_setter(call, ctx)
    if setter is None:
        return None
    position = SETTERS[setter]
    arg = argument(call, ctx, flag, None if position is None else position + FLAG_OFFSETS[flag])
    return arg, _cookie_name(call, ctx)


# Values a cookie carries when it is a flag or a preference: nothing to steal, so nothing a missing Secure or
# HttpOnly attribute exposes (`set_cookie("is_logged_in", "true")`, `set_cookie("sidebar", "1")`). A fixed
# vocabulary, not a length or entropy test: a constant like "value1" or "abc" may stand for a real session id.
FLAG_WORDS = frozenset({
    "", "true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "none", "null", "enabled", "disabled",
    "enable", "disable", "accepted", "accept", "declined", "dismissed", "closed", "open", "opened", "hidden", "shown",
    "visible", "collapsed", "expanded", "seen", "done", "ok", "dark", "light", "auto", "grid", "list", "compact",
})
SMALL_NUMBER = re.compile(r"-?\d{1,3}")


def _constant_flag_value(call: ast.Call, ctx: PyContext) -> bool:
    """True when the cookie's value resolves to a literal bool, a small number or a flag word (FLAG_WORDS)."""
    arg = argument(call, ctx, "value", 1)
    if not arg.present or arg.node is None:
        return False
    value = ctx.const(arg.node)
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        value = str(value)
    return isinstance(value, str) and (value.strip().lower() in FLAG_WORDS or bool(SMALL_NUMBER.fullmatch(value.strip())))


def _flag_off(call: ast.Call, ctx: PyContext, flag: str) -> tuple[str, str | None] | None:
    """For a cookie setter call whose `flag` is "absent" or "off" (an explicit false value): that state and the
    cookie's name. None when the flag is on or not known statically, or when `call` sets no cookie."""
    found = _cookie_flag(call, ctx, flag)
    if found is None or found[0].state == Arg.UNKNOWN:
        return None
    arg, name = found
    if _constant_flag_value(call, ctx):
        return None  # a constant flag or preference ("true", "1", "dark"): nothing a missing attribute exposes
    if arg.state == Arg.ABSENT:
        return "absent", name
    return ("off", name) if ctx.truthy(arg.node) is False else None


@python_check("PY301", ast.Call)
def cookie_without_secure(call: ast.Call, ctx: PyContext) -> None:
    off = _flag_off(call, ctx, "secure")
    if off is None:
        return
    state, name = off
    how = "without the Secure attribute" if state == "absent" else "with `secure` false"
    ctx.report(call, f"Session hijacking: {_describe(name)} is set {how}, so the browser also sends it "
                     f"over plain HTTP where anyone on the network can read it.{_note(call, ctx, name)}",
               severity=_severity(ctx, name, call))


@python_check("PY302", ast.Call)
def cookie_without_httponly(call: ast.Call, ctx: PyContext) -> None:
    off = _flag_off(call, ctx, "httponly")
    if off is None:
        return
    state, name = off
    if PUBLIC_COOKIE.search(_name_text(call, ctx)):
        return  # a language, theme or CSRF cookie: pages are meant to read it, and it unlocks nothing
    how = "without the HttpOnly attribute" if state == "absent" else "with `httponly` false"
    ctx.report(call, f"Session hijacking: {_describe(name)} is set {how}, so any script on the page, "
                     f"an XSS payload included, can read it.{_note(call, ctx, name)}",
               severity=_severity(ctx, name, call))


@python_check("PY303", ast.Call)
def cookie_samesite_none(call: ast.Call, ctx: PyContext) -> None:
    found = _cookie_flag(call, ctx, "samesite")
    if found is None:
        return
    arg, name = found
    chosen = False  # SameSite=None written out: the program asks every browser to send it cross-site
    if arg.state == Arg.ABSENT:
        if imports_from(ctx, "starlette", "fastapi"):
            return  # Starlette's set_cookie defaults to samesite="lax"
        how = "without a SameSite attribute (Flask, Werkzeug and Django send none by default)"
    elif arg.state == Arg.UNKNOWN:
        return
    else:
        value = ctx.const(arg.node)
        if value is None or value is False:
            how = "with `samesite` unset, so no SameSite attribute is sent"
        elif isinstance(value, str) and value.strip().lower() == "none":
            how, chosen = "with SameSite=None", True
        else:
            return
    message = (f"Session hijacking: {_describe(name)} is set {how}; browsers may attach it to requests other sites "
               f"trigger (cross-site request forgery).")
    if not chosen:
        # pooled independent samples §3d-§3r: 0 true of 15 at the gate, the cookie a marker, a hand-off or an
        # anti-CSRF value its name made look like the login, and logins a CSRF header or token protects as well
        report_review(ctx, call, message, "no SameSite attribute is the frameworks' default, which Chrome and Edge "
                      "read as `Lax` (Firefox and Safari do not), and only the cookie's name says it is the login; "
                      "if it is, and no CSRF token guards what it unlocks, pass `samesite=\"Lax\"`")
        return
    ctx.report(call, message, severity=_severity(ctx, name))


# --- session and CSRF cookie settings ---------------------------------------------------------------------

SECURE_SETTINGS = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")
HTTPONLY_SETTINGS = ("SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY")
SAMESITE_SETTINGS = ("SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE")
# Django's defaults for these are False: missing from a Django settings module is as bad as False.
DJANGO_DEFAULT_INSECURE = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


def _is_false(value) -> bool:
    return value is not UNKNOWN and not value


def _samesite_off(value) -> bool:
    return value is None or value is False or (isinstance(value, str) and value.strip().lower() == "none")


def _setting_findings(node: ast.AST, ctx: PyContext, names: tuple[str, ...], unsafe) -> list[tuple[str, ast.AST, str]]:
    """(setting name, node to report, what: "" or a fail-open note) for every unsafe value of `names` this node
    assigns: the module and its config classes when `node` is the module, a config object otherwise. A settings
    module for development is read too (its findings are review findings, see _report_setting); other development
    files are not."""
    module = isinstance(node, ast.Module)
    if is_development_path(ctx.file.rel) and not (module and settings_module(ctx) is not None):
        return []
    found: list[tuple[str, ast.AST, str]] = []
    if module:
        view = settings_view(ctx)
        for name in names:
            setting = view.effective(name)
            settings = ([setting] if setting is not None else []) + list(view.config_settings(name))
            for setting in settings:
                verdict = setting_verdict(ctx, setting.value, unsafe)
                if verdict is not None:
                    found.append((name, setting.node, verdict))
    else:
        for item in config_items(node, ctx):
            if item.key in names:
                verdict = setting_verdict(ctx, item.value, unsafe)
                if verdict is not None and not in_development_function(ctx) and not in_testing_branch(item.node, ctx):
                    found.append((item.key, item.node, verdict))
    return found


def _report_setting(ctx: PyContext, where: ast.AST, name: str, verdict: str, text: str) -> None:
    review = settings_review(ctx, name) if ctx.function is None else None
    if verdict == FAIL_OPEN:
        message = (f"Session hijacking: `{name}` is off whenever the environment variable it reads is unset (its "
                   f"default), {text}")
        if review:
            report_review(ctx, where, message, review)
        else:
            ctx.report(where, message, severity=Severity.LOW, precision="low")
    elif review:
        report_review(ctx, where, f"Session hijacking: `{name}` is off, {text}", review)
    else:
        ctx.report(where, f"Session hijacking: `{name}` is off, {text}")


@python_check("PY304", ast.Module, ast.Assign, ast.Call)
def session_cookie_not_secure(node: ast.AST, ctx: PyContext) -> None:
    for name, where, verdict in _setting_findings(node, ctx, SECURE_SETTINGS, _is_false):
        _report_setting(ctx, where, name, verdict, f"so the {_which(name)} cookie is also sent over plain HTTP where "
                                                   f"anyone on the network can read it.")
    if isinstance(node, ast.Module):
        _missing_secure_settings(ctx)


MIDDLEWARE_NAMES = frozenset({"MIDDLEWARE", "MIDDLEWARE_CLASSES"})


def _missing_secure_settings(ctx: PyContext) -> None:
    """A Django settings module that never sets SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE runs with Django's
    default False. Reported at the MIDDLEWARE assignment (else INSTALLED_APPS), where the session and CSRF
    middleware are switched on. Not when names may come from elsewhere: a star import, django-split-settings, or
    a module inside a `settings/` package (split settings, where production.py completes base.py). Not in a module
    that is a settings module by no evidence but an `INSTALLED_APPS` list (a package exporting the apps it needs,
    `myapp/__init__.py`): without `MIDDLEWARE` there is no session middleware, hence no session cookie to judge."""
    view = settings_view(ctx)
    role = settings_module(ctx)
    if not view.django or (view.development and role is None) or view.star_import \
            or (role is None and not any(_middleware_list(view.top[n][0].node)
                                         for n in MIDDLEWARE_NAMES & view.top.keys())) \
            or imports_from(ctx, "split_settings") or (ctx.file.rel.split("/")[-2:-1] == ["settings"] and role is None):
        return
    if not _names_django(ctx):
        return  # `INSTALLED_APPS = []` of an Eve or home-made framework: no Django session cookie to judge
    anchor = next((view.top[n][0].node for n in ("MIDDLEWARE", "MIDDLEWARE_CLASSES", "INSTALLED_APPS")
                   if n in view.top), None)
    if anchor is None:
        return  # (a deployed settings module naming none of them: no middleware list here to anchor a finding on)
    target = anchor.targets[0] if isinstance(anchor, ast.Assign) else getattr(anchor, "target", anchor)
    csrf_in_session = view.effective("CSRF_USE_SESSIONS")
    named = _set_by_name(ctx)
    middleware = _literal_middleware(ctx)
    for name in DJANGO_DEFAULT_INSECURE:
        if name in view.anywhere or name in named:
            continue  # (also `set_from_env("SESSION_COOKIE_SECURE", ...)`: a helper that sets the setting by its name)
        needed = COOKIE_MIDDLEWARE.get(name)
        if middleware is not None and needed and not any(m.endswith(needed) for m in middleware):
            continue  # no middleware sets that cookie: koku §3w's API (an identity header, no session, no CSRF)
        if middleware is not None and name == "CSRF_COOKIE_SECURE" \
                and not any(m.endswith(COOKIE_MIDDLEWARE["SESSION_COOKIE_SECURE"]) for m in middleware):
            continue  # no session: no login a forged request could ride on, so the CSRF token guards nothing (deSEC)
        if name == "CSRF_COOKIE_SECURE" and csrf_in_session is not None and ctx.truthy(csrf_in_session.value):
            continue  # the CSRF token lives in the session: there is no CSRF cookie
        if settings_review(ctx, name):
            continue  # development settings, or base settings whose deployed module sets it: nothing missing
        if role is not None and name in role.set_elsewhere:
            continue  # another part of the deployed settings sets it (settings/security.py beside settings/django.py)
        ctx.report(target, f"Session hijacking: this Django settings module never sets `{name}`, and Django's "
                           f"default is False, so the {_which(name)} cookie is also sent over plain HTTP.",
                   precision="medium")


# The middleware that sets each cookie a missing `*_SECURE` setting concerns
COOKIE_MIDDLEWARE = {"SESSION_COOKIE_SECURE": ".SessionMiddleware", "CSRF_COOKIE_SECURE": ".CsrfViewMiddleware"}


def _literal_middleware(ctx: PyContext) -> tuple[str, ...] | None:
    """The module's MIDDLEWARE when it is one literal list of strings that nothing in the module extends (no
    `+=`, `append`, `insert`, `extend`, no second assignment); else None (not known)."""
    def binds(stmt: ast.AST) -> bool:  # `MIDDLEWARE = ...`, `MIDDLEWARE += ...`, `MIDDLEWARE: list = ...`
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        return any(isinstance(t, ast.Name) and t.id in MIDDLEWARE_NAMES for t in targets)

    # (what a branch that runs only under the test runner does is the tests' business: Adjutant's `if "test" in
    # sys.argv: MIDDLEWARE = list(MIDDLEWARE); MIDDLEWARE.append(...)`)
    testing = {id(n) for stmt in ctx.module.tree.body if isinstance(stmt, ast.If) and testing_condition(stmt.test)
               for n in ast.walk(stmt)}
    bound = [s for s in ctx.module.tree.body if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and binds(s)]
    if len(bound) != 1 or isinstance(bound[0], ast.AugAssign) or not isinstance(bound[0].value, (ast.List, ast.Tuple)):
        return None
    values = [ctx.const(e) for e in bound[0].value.elts]
    if not all(isinstance(v, str) for v in values):
        return None
    for node in ctx.module.walk():
        if id(node) in testing:
            continue
        if isinstance(node, ast.Attribute) and node.attr in ("append", "insert", "extend", "__iadd__") \
                and isinstance(node.value, ast.Name) and node.value.id in MIDDLEWARE_NAMES:
            return None  # `MIDDLEWARE.append(...)`
        if isinstance(node, (ast.Assign, ast.AugAssign)) and node is not bound[0] and binds(node):
            return None  # (in a branch: `if DEBUG: MIDDLEWARE += [...]`)
    return tuple(values)


def _middleware_list(stmt: ast.AST) -> bool:
    """`MIDDLEWARE = [...]` (a list, a tuple, a sum of them, `list(...)`/`tuple(...)` or a name bound to one), the
    setting Django reads; not a plug-in loaded under the same name (`MIDDLEWARE = __import__(settings.X)`)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return False  # `from oioioi.default_settings import MIDDLEWARE`: a module that reads the setting
    value = getattr(stmt, "value", None)
    while isinstance(value, ast.BinOp):
        value = value.left
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Name) and value.func.id in ("list", "tuple")
    return not isinstance(value, (ast.Constant, ast.Lambda, ast.Dict))


def _set_by_name(ctx: PyContext) -> frozenset[str]:
    """Upper-case names a module-level call of the settings module passes as text (`set_from_env("X", default)`,
    `env_setting("X")`): a helper that sets the setting of that name in the module's globals."""
    out = set()
    for stmt in ctx.module.tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant) \
                and isinstance(call.args[0].value, str) and call.args[0].value.isupper():
            out.add(call.args[0].value)
    return frozenset(out)


def _names_django(ctx: PyContext) -> bool:
    """The settings module shows it is Django's: it imports Django, or a string of it names a `django.` app,
    middleware or backend (`DJANGO_APPS = ["django.contrib.admin", ...]`; Superdesk's Eve settings also call a list
    INSTALLED_APPS, empty there)."""
    return imports_from(ctx, "django") or any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("django.")
        for n in ctx.module.walk())


def _which(name: str) -> str:
    return {"SESSION": "session", "CSRF": "CSRF", "REMEMBER": "remember-me"}[name.split("_", 1)[0]]


@python_check("PY305", ast.Module, ast.Assign, ast.Call)
def session_cookie_httponly_off(node: ast.AST, ctx: PyContext) -> None:
    for name, where, verdict in _setting_findings(node, ctx, HTTPONLY_SETTINGS, _is_false):
        _report_setting(ctx, where, name, verdict, f"so any script on the page, an XSS payload included, can read the "
                                                   f"{_which(name)} cookie.")


@python_check("PY306", ast.Module, ast.Assign, ast.Call)
def session_cookie_samesite_none(node: ast.AST, ctx: PyContext) -> None:
    for name, where, verdict in _setting_findings(node, ctx, SAMESITE_SETTINGS, _samesite_off):
        _report_setting(ctx, where, name, verdict, f"so browsers attach the {_which(name)} cookie to requests other "
                                                   f"sites trigger (cross-site request forgery).")
