"""Injection found by data flow: SQL, HTML, redirects, XML and session cookies (rules PY401-PY406).

The sinks, sources and sanitizers are data (rules/dataflow/python.yaml); these checks decide what to report from
the data-flow verdict at each sink (see _taint.py).
"""

from __future__ import annotations

import ast
import re

from ..context import PyContext
from ....lang.python.dataflow import (BROWSER_HELD_LABELS, COOKIE_LABEL, CUSTOM_HEADER_LABEL, FORM_POST, TAINTED,
                                      UNKNOWN_SOURCE, V, Verdict, dataflow_of, known_no_indirect_sink, may_be_tainted,
                                      node_value, plain_text_markup_in, verdict_of)
from ....model import Severity
from ....secrets import split_words
from ..registry import python_check
from ._web import imports_from, last_identifier, leading_text
from ._taint import label, report_indirect, report_tainted, report_unknown, route_segment, sink_args, sink_entries, spec, \
    worst

SQL_WORDS = re.compile(r"\b(select|insert|update|delete|where|from|into|values|order\s+by|drop|create|alter)\b", re.I)
SESSION_COOKIE = re.compile(r"sess|sid|auth|token|jwt|login|remember|csrf|xsrf", re.I)
# Words of a cookie's name that say what else it holds, next to a session-like word: `login_hint` (the e-mail an
# OpenID Connect login form is pre-filled with), `login_redirect`, `auth_next_url`, `login_lang`.
NOT_SESSION_WORDS = frozenset({"hint", "hints", "redirect", "next", "url", "return", "lang", "language", "locale",
                               "theme", "timezone", "tz", "email", "username", "prefill", "banner", "tour"})


def _session_cookie_name(text: str) -> bool:
    return bool(SESSION_COOKIE.search(text)) and not set(split_words(text)) & NOT_SESSION_WORDS


def _what(ctx: PyContext, call: ast.Call) -> str:
    name = ctx.call_name(call)
    if name and not name.startswith("<"):
        return name
    if isinstance(call.func, ast.Attribute):
        func = call.func
        if func.lineno == func.end_lineno and func.end_col_offset is not None:
            text = ctx.file.line(func.lineno).encode()[func.col_offset:func.end_col_offset].decode(errors="replace")
            if len(text) <= 60:
                return text
        return f"….{func.attr}"
    return name.rsplit(".", 1)[-1] if name else "call"


def _sink(ctx: PyContext, call: ast.Call, family: str, message: str, indirect: str, pick=None,
          low_because: str = "", states: bool = False) -> str | None:
    """Report a tainted sink argument of `call`; returns the verdict's state (None when `call` is no sink).
    `pick` maps each sink argument to the part that matters (the body of a `(body, headers)` tuple);
    `low_because`: why a tainted finding here is only low (appended to the message). `states`: the caller acts on
    other states than tainted; otherwise None is returned too where no verdict of the scope can be tainted (the
    scope is then not interpreted)."""
    entries = sink_entries(ctx, call, family)
    if not entries:
        report_indirect(ctx, call, family, indirect)
        return None
    if not states and not may_be_tainted(ctx):
        return None
    # `session.execute(text(q))`: the inner sink call is the one reported.
    args = [a for a in sink_args(call, entries) if not (isinstance(a, ast.Call) and sink_entries(ctx, a, family))]
    verdict = worst(ctx, args, family) if pick is None else _worst_picked(ctx, args, family)
    if verdict is None:
        return None
    if verdict.state == TAINTED:
        what = _what(ctx, call)
        text, severity = _reflected_header(verdict, family, message.format(what=what, label=label(verdict)))
        if severity is None and family in ("redirect", "html"):
            text, severity = _csrf_protected_form(ctx, verdict, text, family)
        if severity is None and family in ("redirect", "html"):
            text, severity = _script_request_only(ctx, call, text)
        if severity is None and family == "redirect":
            text, severity = _path_segment_target(ctx, args, verdict, text)
        if low_because:
            text, severity = f"{text} {low_because}", Severity.LOW
        report_tainted(ctx, call, verdict, text, what, severity=severity)
    return verdict.state


# Families whose harm needs a victim's browser to send the value (a reflected page, a redirect, a cookie set).
VICTIM_FAMILIES = frozenset({"html", "redirect", "cookie"})


def _reflected_header(verdict: Verdict, family: str, message: str) -> tuple[str, Severity | None]:
    """A value that only a request header or a cookie brings in: no cross-site page can make a victim's browser send
    a header with a value of its choosing (a proxy or the site's own script sets a custom one; the browser its own;
    what a page may set holds none of `<>"()`), nor a cookie (the site sets it), so a reflection of it needs a cache
    that keys pages without the header, or a cookie planted some other way; kept, at low severity."""
    if family not in VICTIM_FAMILIES or verdict.value is None:
        return message, None
    live = [t for t in verdict.value.deep() if t.param is None and t.live_for(family)]
    if not live or not all(t.label.startswith(BROWSER_HELD_LABELS) for t in live):
        return message, None
    if all(t.label.startswith(COOKIE_LABEL) for t in live):
        return (message + " The site sets that cookie itself, and no cross-site page can choose its value for a "
                "victim, so this needs a cookie planted some other way (low severity)."), Severity.LOW
    if all(t.label.startswith(CUSTOM_HEADER_LABEL) for t in live):
        return (message + " Only a proxy or the site's own script sends that header, so this needs a shared cache "
                "that ignores it (low severity)."), Severity.LOW
    return (message + " No cross-site page can make a victim's browser send that header with a value of its "
            "choosing, so this needs a shared cache that ignores it (low severity)."), Severity.LOW


# What only the site's own script sends: htmx's `HX-Request` header, jQuery's `X-Requested-With`, and a method no
# HTML form or link uses. A cross-site page can send none of them without a CORS preflight the site does not answer.
_SCRIPT_HEADERS = re.compile(r"hx[_-]request|x[_-]requested[_-]with|\.htmx\b|is_ajax\(", re.I)
_SCRIPT_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
_SCRIPT_DECORATORS = re.compile(r"(?:^|_)(?:hx|htmx|ajax)(?:_|$)", re.I)


def _script_request_only(ctx: PyContext, call: ast.Call, message: str) -> tuple[str, Severity | None]:
    """A reflection or redirect that runs only for a request the site's own script makes: inside `if
    request.META.get("HTTP_HX_REQUEST"):` (or `request.htmx`, `request.is_ajax()`, `X-Requested-With`), inside `if
    request.method == "DELETE":` (also PUT, PATCH), or in a view decorated to refuse other requests
    (`@hx_request_required`, `@ajax_required`): no link or cross-site form can make a victim's browser send such a
    request with a value of its choosing (horilla §3w's htmx spans), so a reflection is the user's own. Kept, at low
    severity."""
    parents = ctx.module.parents()
    node: ast.AST = call
    up = parents.get(id(node))
    why = ""
    while up is not None and not why:
        if isinstance(up, ast.If) and any(node is b for b in up.body):
            text = ast.unparse(up.test)
            method = _method_test(up.test)
            if _SCRIPT_HEADERS.search(text) and not isinstance(up.test, ast.UnaryOp) \
                    and not (isinstance(up.test, ast.BoolOp) and isinstance(up.test.op, ast.Or)):
                why = f"the branch runs only for a request the site's own script sends (`{text[:60]}`)"
            elif method:
                why = f"the branch runs only for a {method} request, which no link or HTML form sends"
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not why:
                why = _script_only_view(up, parents.get(id(up)))
            break
        node, up = up, parents.get(id(up))
    if not why:
        return message, None
    return message + f" Review: {why}, so no cross-site page can make a victim send a value of its choosing (low " \
                     "severity).", Severity.LOW


def _script_only_view(fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: ast.AST | None) -> str:
    """Why the view `fn` (a method of `owner` when that is a class) answers only the site's own script: a decorator
    that refuses other requests, or a class-based view's method for one unsafe method; else ""."""
    names = [last_identifier(d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list]
    found = next((n for n in names if _SCRIPT_DECORATORS.search(n)), None)
    if found:
        return f"the view is decorated with `@{found}`, which refuses requests the site's own script does not send"
    if isinstance(owner, ast.ClassDef) and (fn.name in ("put", "patch", "delete") or fn.name in _DRF_ACTIONS and any(
            last_identifier(b).endswith(("ViewSet", "Mixin", "APIView")) for b in owner.bases)):
        verb = _DRF_ACTIONS.get(fn.name, fn.name.upper())
        return f"the view's `{fn.name}` method answers only {verb} requests, which no link or HTML form sends"
    return ""


# rest_framework's actions that answer one unsafe method (a viewset's or an UpdateModelMixin's `partial_update`:
# astrobin §3y's tus upload)
_DRF_ACTIONS = {"update": "PUT", "partial_update": "PATCH", "destroy": "DELETE"}


def _method_test(test: ast.AST) -> str:
    """`request.method == "DELETE"` / `request.method in ("PUT", "PATCH")`: the methods (all no form sends), else ""."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Attribute)
            and test.left.attr == "method"):
        return ""
    right = test.comparators[0]
    if isinstance(test.ops[0], ast.Eq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        methods = [right.value.upper()]
    elif isinstance(test.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in right.elts):
        methods = [e.value.upper() for e in right.elts]
    else:
        return ""
    return "/".join(methods) if methods and all(m in _SCRIPT_METHODS for m in methods) else ""


# Django's class-based API views (rest_framework) are exempt from the CSRF middleware (they check CSRF only with
# session authentication).
_CSRF_EXEMPT_BASES = ("APIView", "ViewSet")


def _csrf_protected_form(ctx: PyContext, verdict: Verdict, message: str,
                         family: str = "redirect") -> tuple[str, Severity | None]:
    """A redirect target (or, since session 15, a value put into HTML) that only the body of a Django form POST brings
    in (`request.POST["next"]`), where the deployed settings turn the CSRF middleware on and the view is not exempt:
    an open redirect or a reflected script is used through a link, and no cross-site page can make a victim's
    browser submit the form with a value of its choosing (the site's own page that renders the form decides what it
    holds; a login form that copies `?next=` from its link into a hidden field is the case to review; what is
    reflected to its own sender is self-XSS: §3v's Reminiscence and §3s-§3t's post-only findings, all false). Kept,
    at low severity; a flow from the query string (`request.GET`) beside it keeps the rule's severity. Since session
    16 also Flask's `request.form`/`request.files` where the application calls Flask-WTF's `CSRFProtect` (§3s's
    Abilian), unless a deployed configuration sets `WTF_CSRF_ENABLED` off or the view is `@csrf.exempt`."""
    roots = ctx.scan.facts.csrf_middleware if ctx.scan is not None else {}
    rel = ctx.file.rel
    settings = next((roots[r] for r in sorted(roots, key=len, reverse=True) if not r or rel.startswith(r + "/")), "")
    if not settings or verdict.value is None:
        return message, None
    live = [t for t in verdict.value.deep() if t.param is None and t.live_for(family)]
    # (a view that answers only POST is no reason by itself: its form posts to its own URL, `?next=` of the link
    # included, so the query string is still a link's; newspipe's and Open Humans' true redirects, §3m-§3q)
    if not live or not all(FORM_POST in t.cleaned for t in live) or _csrf_exempt(ctx):
        return message, None
    framework = "Django's CSRF middleware" if settings in ctx.scan.facts.settings_modules \
        else "Flask-WTF's CSRF protection"
    return (message + f" Only a form POST brings it in, and `{settings}` turns {framework} on, so no "
            "cross-site page can make a browser submit a value of its choosing: review the page that renders the "
            "form (a field copied from the link's query string would make it a link again; low severity)."), Severity.LOW


def _path_segment_target(ctx: PyContext, args: list[ast.AST], verdict: Verdict,
                         message: str) -> tuple[str, Severity | None]:
    """A redirect target written after a leading `/` of the program's (`'/{}'.format(group_id)`) whose request part
    is only a segment of the route's path that cannot hold a `/` (Flask's `<name>`, `<int:id>`, a regex converter;
    FastAPI's `{name}`): it cannot make `//host` (Werkzeug and Django percent-encode a backslash in the Location).
    Kept, at low severity, for review. Alone, such a segment can still name another scheme (`https:host` from an
    http:// page): that keeps the rule's severity."""
    if verdict.value is None or route_segment(ctx, verdict) != "no-slash":
        return message, None
    if not all(_rooted_text(ctx, a) for a in args):
        return message, None
    source = verdict.steps[0].message
    live = [t for t in verdict.value.deep() if t.param is None and t.live_for("redirect")]
    if not live or not all(t.steps and t.steps[0].message == source for t in live):
        return message, None
    return (message + " The request part is one segment of the route's path, which cannot hold a `/`, written after "
            "a leading `/`: it cannot name another host; review (low severity)."), Severity.LOW


def _rooted_text(ctx: PyContext, node: ast.AST) -> bool:
    """Text that starts with one `/` the program wrote (`"/" + x`, `f"/groups/{x}"`, `"/{}".format(x)`), also through
    a name bound once to it."""
    if isinstance(node, ast.Name):
        node = ctx.resolve(node) or node
    text = leading_text(ctx, node)
    return text is not None and text[0].startswith("/") and not text[0].startswith("//")


def _csrf_exempt(ctx: PyContext) -> bool:
    """The view around the sink is exempt from CSRF checks: `@csrf_exempt` on it or its class's method, or a
    rest_framework class-based view."""
    if "csrf.exempt(" in ctx.file.text():
        return True  # `csrf.exempt(api_blueprint)`: a whole blueprint of this module may be exempt
    parents = ctx.module.parents()
    node = ctx.function
    while node is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if any("csrf_exempt" in ast.unparse(d) or ast.unparse(d).endswith("csrf.exempt")
                   for d in node.decorator_list):
                return True  # (Django's `@csrf_exempt`, Flask-WTF's `@csrf.exempt`)
            if isinstance(node, ast.ClassDef) and any(ast.unparse(b).endswith(_CSRF_EXEMPT_BASES) for b in node.bases):
                return True
        node = parents.get(id(node))
    return False


# asyncpg's connection and pool methods take SQL first; matched only in modules that import asyncpg (`fetch` and
# `prepare` are common names for other things).
ASYNCPG_METHODS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare", "cursor",
                             "copy_from_query"})
QUOTED_PLACEHOLDER = re.compile(r"""(['"])%(?:\(\w+\))?s\1""")


def _library_sql_arg(ctx: PyContext, call: ast.Call) -> ast.AST | None:
    """SQL arguments of calls the name tables cannot state: asyncpg's methods, and Flask-SQLAlchemy's `db.text()`
    (`db = SQLAlchemy(app)`)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    first = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None
    if func.attr in ASYNCPG_METHODS and "asyncpg" in ctx.file.text() and imports_from(ctx, "asyncpg"):
        return first or ctx.kwarg(call, "query")
    if func.attr == "text":
        owner = ctx.resolve(func.value)
        if isinstance(owner, ast.Call) and (ctx.call_name(owner) or "").startswith("flask_sqlalchemy."):
            return first or ctx.kwarg(call, "text")
    return None


SQLA_BUILDERS = frozenset({"select", "insert", "update", "delete", "union", "union_all", "exists"})
SQLA_RAW = frozenset({"text", "literal_column", "column", "table", "literal"})


def _sqlalchemy_statement(ctx: PyContext, node: ast.AST) -> bool:
    """A SQLAlchemy statement object (`select(Model).where(Model.id == x)`, `db.select(...)`, `insert(t).values(...)`,
    through a variable bound once), not SQL text: every value in it is a bound parameter. Raw fragments
    (`text(...)`, `literal_column(...)`) anywhere in it disqualify it."""
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        if not isinstance(bound, ast.Call):
            return False
        node = bound
    if not isinstance(node, ast.Call):
        return False
    if any(isinstance(n, ast.Call) and last_identifier(n.func) in SQLA_RAW for n in ast.walk(node)):
        return False
    root = node
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) \
            and root.func.attr not in SQLA_BUILDERS:
        root = root.func.value  # .where(...).order_by(...).limit(...)
    if not (isinstance(root, ast.Call) and last_identifier(root.func) in SQLA_BUILDERS):
        return False
    name = ctx.call_name(root) or ""
    # `select(...)` imported from sqlalchemy, or a method of an object (`db.select`, `sa.select`)
    return name.startswith(("sqlalchemy.", "flask_sqlalchemy.")) or isinstance(root.func, ast.Attribute)


@python_check("PY401", ast.Call, raise_in_handler=True)
def sql_injection(call: ast.Call, ctx: PyContext) -> None:
    extra = _library_sql_arg(ctx, call)
    if extra is not None:
        verdict = ctx.taint_verdict(extra, "sql")
        if verdict.state == TAINTED:
            what = _what(ctx, call)
            report_tainted(ctx, call, verdict, f"SQL injection: `{what}` runs SQL built from "
                                               f"{label(verdict)}.", what)
        return
    args = sink_args(call, sink_entries(ctx, call, "sql"))
    if args and _graphql_schema(ctx, call):
        return  # `devicesSchema.execute(query)`: a GraphQL schema runs the query through its resolvers
    if args and all(_sqlalchemy_statement(ctx, a) or _object_argument(ctx, a) or _other_language(ctx, a) for a in args):
        return  # `session.execute(select(Topic).where(Topic.id.in_(ids)))`: values are bound parameters
    _quoted_placeholder(ctx, call)
    # (only then is a verdict other than tainted reported; most calls are no sink: no arguments to look at)
    formatted = bool(args) and any(_formatted_sql(ctx, a) for a in args)
    state = _sink(ctx, call, "sql",
                  "SQL injection: `{what}` runs SQL built from {label}.",
                  "SQL injection: untrusted data passed to `{helper}` reaches `{sink}` as SQL.", states=formatted)
    if state == UNKNOWN_SOURCE and formatted:
        report_unknown(ctx, call, f"SQL injection: `{_what(ctx, call)}` runs SQL built by formatting "
                                  "values whose origin is not visible; pass them as query parameters.")


# Classes that wrap SQL text (psycopg's `sql.SQL(...)`, SQLAlchemy's `TextClause`, Django's `RawSQL`): still SQL.
SQL_TEXT_CLASSES = frozenset({"SQL", "TextClause", "RawSQL", "Composed", "Literal", "Text", "Query", "Statement"})


def _object_argument(ctx: PyContext, node: ast.AST) -> bool:
    """An instance of a class the code builds (`scheduler.execute(ToolExecutionRequest(tool_kwargs=...))`,
    PrivateGPT): a `*.execute` sink takes SQL text, and an object of a class named in CapWords that wraps no SQL
    text is a job, a request or a command of another kind, not a query."""
    node = ctx.resolve(node)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return len(name) > 1 and name[0].isupper() and any(c.islower() for c in name) and name not in SQL_TEXT_CLASSES \
        and "sql" not in name.lower() and "query" not in name.lower()


GRAPHQL_SCHEMAS = frozenset({"graphene.Schema", "graphene.types.schema.Schema", "strawberry.Schema",
                             "strawberry.federation.Schema", "graphql.GraphQLSchema"})


def _graphql_schema(ctx: PyContext, call: ast.Call) -> bool:
    """`schema.execute(query)` on a GraphQL schema (graphene's, strawberry's, graphql-core's), built in this module
    or named as one (`devicesSchema`, NetAlertX §3z): GraphQL, which its resolvers answer, not SQL."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("execute", "execute_async", "execute_sync")):
        return False
    made = ctx.resolve(func.value)
    if isinstance(made, ast.Call) and (ctx.call_name(made) or "") in GRAPHQL_SCHEMAS:
        return True
    return last_identifier(func.value).lower().endswith("schema")


def _other_language(ctx: PyContext, node: ast.AST) -> bool:
    """Text built from a template of braces and no SQL word (`schema.execute(PERSON_QUERY % (lat, lon))` with a
    GraphQL query `{ people(...) { edges { ... } } }`, Open States): a `*.execute` of another query language."""
    node = ctx.resolve(node)
    template: ast.AST | None = None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = ctx.resolve(node.left)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = ctx.resolve(node.func.value)
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return "{" in text and "}" in text and not SQL_WORDS.search(text)
    text = template.value if isinstance(template, ast.Constant) and isinstance(template.value, str) else ""
    return text.lstrip().startswith(("{", "query", "mutation", "subscription")) and "}" in text \
        and not SQL_WORDS.search(text)


def _quoted_placeholder(ctx: PyContext, call: ast.Call) -> None:
    """`Model.objects.raw("... WHERE name = '%s'", [name])`: the driver quotes the parameter itself, so quotes
    around the placeholder close the string literal and the parameter lands in the SQL (Django's docs warn)."""
    entries = sink_entries(ctx, call, "sql")
    if not entries or len(call.args) < 2:
        return
    query = ctx.const(call.args[0])
    if not isinstance(query, str) or not QUOTED_PLACEHOLDER.search(query):
        return
    verdict = ctx.taint_verdict(call.args[1], "sql")
    if verdict.state == TAINTED:
        what = _what(ctx, call)
        report_tainted(ctx, call, verdict, f"SQL injection: `{what}` quotes a placeholder (`'%s'`), so "
                                           f"{label(verdict)} passed as a parameter ends up inside the SQL text.", what)


def _formatted_sql(ctx: PyContext, node: ast.AST) -> bool:
    """An f-string, `%`, `+` or `.format` that puts a non-constant value into text that reads like SQL."""
    node = ctx.resolve(node)
    text = ""
    dynamic = False
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        dynamic = any(isinstance(v, ast.FormattedValue) for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        parts = [node.left, node.right]
        text = " ".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
        if isinstance(node.left, ast.BinOp):
            return _formatted_sql(ctx, node.left) or bool(SQL_WORDS.search(text))
        dynamic = True
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        text, dynamic = node.func.value.value, True
    return dynamic and not ctx.is_constant(node) and bool(SQL_WORDS.search(text))


DJANGO_RESPONSES = frozenset({"django.http.HttpResponse", "django.http.response.HttpResponse"})
AIOHTTP_RESPONSES = frozenset({"aiohttp.web.Response", "aiohttp.web_response.Response"})


def _aiohttp_may_be_html(ctx: PyContext, call: ast.Call) -> bool:
    """aiohttp's `web.Response(text=...)` is sent as text/plain (and `body=` bytes as application/octet-stream)
    unless `content_type=` or a Content-Type header names another type: it may be HTML only when one of them says
    html or is not known."""
    content_type = ctx.kwarg(call, "content_type")
    if content_type is not None:
        kind = ctx.const(content_type)
        return not isinstance(kind, str) or "html" in kind.lower()
    headers = ctx.kwarg(call, "headers")
    if headers is None:
        return False
    found = ctx.resolve(headers)
    if not isinstance(found, ast.Dict):
        return True  # headers built elsewhere: the type is not known
    for k, v in zip(found.keys, found.values):
        key = ctx.const(k) if k is not None else None
        if k is None or not isinstance(key, str):
            return True  # `**extra` or a computed name: may set the type
        if key.lower() == "content-type":
            kind = ctx.const(v)
            return not isinstance(kind, str) or "html" in kind.lower()
    return False


@python_check("PY402", ast.Call, ast.Return)
def cross_site_scripting(node: ast.Call | ast.Return, ctx: PyContext) -> None:
    if isinstance(node, ast.Return):
        _xss_return(node, ctx)
        return
    if not sink_entries(ctx, node, "html") and (
            not dataflow_of(ctx.module).module_may_have_source()
            or (known_no_indirect_sink(ctx, node, "html") and (ctx.call_name(node) or "") not in FLASK_MAKE_RESPONSE)):
        # no HTML sink, and no helper can be handed untrusted data here (indirect_sinks), or is already known not to
        # pass it to an HTML sink (another family's check asked first): nothing to report. (The tests below only
        # return, but for _json_argument's data flow.)
        return
    for key in ("mimetype", "content_type", "media_type"):  # Response(json.dumps(x), mimetype="application/json")
        kind = ctx.const(ctx.kwarg(node, key))
        if isinstance(kind, str) and "html" not in kind.lower() or _types_not_html(ctx, ctx.kwarg(node, key)):
            return
    if (ctx.call_name(node) or "") in DJANGO_RESPONSES and len(node.args) >= 2:
        kind = ctx.const(node.args[1])  # `HttpResponse(text, "application/json")`: Django's second argument is the type
        if isinstance(kind, str) and "html" not in kind.lower():
            return
    if _not_html_headers(ctx, node) or _mimetype_set_later(ctx, node) or plain_text_markup_in(ctx.module, node):
        return
    if (ctx.call_name(node) or "") in FLASK_MAKE_RESPONSE and node.args and _json_argument(ctx, node):
        return  # `make_response({"name": x}, 201)`: Flask sends a dict or list as application/json
    if (ctx.call_name(node) or "") in AIOHTTP_RESPONSES and not _aiohttp_may_be_html(ctx, node):
        return  # aiohttp's Response is text/plain for `text`, application/octet-stream for `body`
    if (ctx.call_name(node) or "") in ("werkzeug.Response", "werkzeug.wrappers.Response", "werkzeug.wrappers.response.Response"):
        kind = ctx.const(ctx.kwarg(node, "mimetype") or ctx.kwarg(node, "content_type"))
        if not (isinstance(kind, str) and "html" in kind.lower()):
            return  # werkzeug's Response defaults to text/plain
    _sink(ctx, node, "html",
          "Cross-site scripting: `{what}` puts {label} into HTML without escaping.",
          "Cross-site scripting: untrusted data passed to `{helper}` reaches `{sink}` unescaped.",
          pick=True, low_because="The response's Content-Type is set afterwards to a type the same call returned with "
                                  "the body (an asset and its type), which may not be HTML (low severity)."
          if _type_returned_with_body(ctx, node) else "")


def _worst_picked(ctx: PyContext, args: list[ast.AST], family: str):
    """Like `worst`, but `make_response((body, {"X-Tag": v}))` and `(body, status, headers)` count by their body
    only: a value placed in a header is not HTML."""
    order = {TAINTED: 0, UNKNOWN_SOURCE: 1, "sanitized": 2, "constant": 3, "unreachable": 4}
    verdicts = []
    for a in args:
        if isinstance(a, ast.Tuple) and a.elts and not isinstance(a.elts[0], ast.Starred):
            value, dead = node_value(ctx, a)
            body = value.elts[0] if value is not None and value.elts else None
            verdicts.append(verdict_of(body, family, dead=dead) if body is not None or dead else Verdict(UNKNOWN_SOURCE))
        else:
            verdicts.append(ctx.taint_verdict(a, family))
    if not verdicts:
        return None
    return sorted(verdicts, key=lambda v: (order[v.state], bool(v.gap) or bool(v.trust), not v.certain))[0]


def _types_not_html(ctx: PyContext, node: ast.AST | None) -> bool:
    """A name every assignment of which in the function is a constant type that is no HTML (`mimetype =
    "application/json"`, then `mimetype = "application/javascript"` for JSONP: Aleph's jsonify)."""
    if not isinstance(node, ast.Name) or ctx.function is None:
        return False
    values = ctx.module.bindings(ctx.function).get(node.id) or []
    return bool(values) and all(isinstance(v, ast.Constant) and isinstance(v.value, str)
                                and "html" not in v.value.lower() for v in values)


def _mimetype_set_later(ctx: PyContext, call: ast.Call) -> bool:
    """`r = make_response(text); r.mimetype = "text/plain"` (or `r.content_type`, `r.headers["Content-Type"]`,
    `r.headers.set("Content-Type", ...)`): the response is not HTML."""
    if ctx.function is None:
        return False
    assigned, setters = _response_assignments(ctx)
    target = assigned.get(id(call))
    if target is None or target[0] is not call:
        return False
    for header, value in setters.get(target[1], ()):
        if header is not None and str(ctx.const(header)).lower() != "content-type":
            continue
        kind = ctx.const(value)
        if isinstance(kind, str) and "html" not in kind.lower():
            return True
    return False


def _type_returned_with_body(ctx: PyContext, call: ast.Call) -> bool:
    """`data, ctype = asset(name); r = make_response(data); r.headers["Content-Type"] = ctype`: the body and the
    Content-Type come out of one call's result, so that code chose the type with the content (an image, a CSV);
    whether the page is HTML is not known."""
    if ctx.function is None or not call.args or not isinstance(call.args[0], ast.Name):
        return False
    assigned, setters = _response_assignments(ctx)
    target = assigned.get(id(call))
    if target is None or target[0] is not call:
        return False
    kinds = [value.id for header, value in setters.get(target[1], ())
             if isinstance(value, ast.Name) and (header is None or str(ctx.const(header)).lower() == "content-type")]
    if not kinds:
        return False
    body = call.args[0].id
    for node in ctx.module.walk(ctx.function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple):
            names = {e.id for e in node.targets[0].elts if isinstance(e, ast.Name)}
            if body in names and any(k in names for k in kinds):
                return True
    return False


_HEADER_SETTERS = frozenset({"set", "add", "__setitem__", "setdefault"})


def _response_assignments(ctx: PyContext):
    """For the enclosing function (nested ones included), walked once per file scan:
    id(call) -> (call, name) for `name = call(...)`, and name -> [(header name node or None, value node)] for
    `name.mimetype = ...`, `name.content_type = ...` (no header name), `name.headers[...] = ...`, `name[...] = ...`
    (a Django response) and
    `name.headers.set(..., ...)` (also `add`, `setdefault`)."""
    memo = ctx.memo.setdefault("response-assignments", {})
    hit = memo.get(id(ctx.function))
    if hit is not None and hit[0] is ctx.function:
        return hit[1], hit[2]
    assigned: dict[int, tuple[ast.AST, str]] = {}
    setters: dict[str, list[tuple[ast.AST | None, ast.AST]]] = {}
    for node in ctx.module.walk(ctx.function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _HEADER_SETTERS \
                and len(node.args) == 2 and isinstance(node.func.value, ast.Attribute) \
                and node.func.value.attr == "headers" and isinstance(node.func.value.value, ast.Name):
            setters.setdefault(node.func.value.value.id, []).append((node.args[0], node.args[1]))
            continue
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        t = node.targets[0]
        if isinstance(t, ast.Name):
            assigned[id(node.value)] = (node.value, t.id)
        elif isinstance(t, ast.Attribute) and t.attr in ("mimetype", "content_type") and isinstance(t.value, ast.Name):
            setters.setdefault(t.value.id, []).append((None, node.value))
        elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute) and t.value.attr == "headers" \
                and isinstance(t.value.value, ast.Name):
            setters.setdefault(t.value.value.id, []).append((t.slice, node.value))
        elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):  # Django: `response["Content-Type"] = ...`
            setters.setdefault(t.value.id, []).append((t.slice, node.value))
    memo[id(ctx.function)] = (ctx.function, assigned, setters)
    return assigned, setters


def _not_html_headers(ctx: PyContext, call: ast.Call) -> bool:
    """A response whose headers set a Content-Type without `html` (`make_response(body, 200, {"Content-Type":
    "application/json"})`, `Response(body, headers={...})`, `make_response((body, {...}))`)."""
    candidates = [*call.args[1:], *(kw.value for kw in call.keywords if kw.arg == "headers")]
    if call.args and isinstance(call.args[0], ast.Tuple):
        candidates += call.args[0].elts[1:]
    return any(_not_html_type(ctx, cand) for cand in candidates)


def _content_types(ctx: PyContext, headers: ast.AST) -> list[object]:
    """The Content-Type values (constants, or None when not known) that headers set, as a dict or a list of (name,
    value) pairs (what Flask and Werkzeug take)."""
    found = ctx.resolve(headers)
    if isinstance(found, ast.Dict):
        pairs = [(k, v) for k, v in zip(found.keys, found.values) if k is not None]
    elif isinstance(found, (ast.List, ast.Tuple)):
        pairs = [(e.elts[0], e.elts[1]) for e in found.elts if isinstance(e, (ast.Tuple, ast.List)) and len(e.elts) == 2]
    else:
        return []
    out = []
    for k, v in pairs:
        key = ctx.const(k)
        if isinstance(key, str) and key.lower() == "content-type":
            out.append(ctx.const(v))
    return out


def _not_html_type(ctx: PyContext, headers: ast.AST) -> bool:
    """Headers that set a Content-Type without `html`."""
    return any(isinstance(kind, str) and "html" not in kind.lower() for kind in _content_types(ctx, headers))


JSON_BUILDERS = frozenset({"dict", "builtins.dict", "list", "builtins.list"})


def _json_shaped(ctx: PyContext, node: ast.AST | None, depth: int = 0) -> bool:
    """A dict or a list the code builds: a literal, a comprehension, `dict(...)`/`list(...)`, or a name of the
    view bound only to such values."""
    if isinstance(node, (ast.Dict, ast.DictComp, ast.List, ast.ListComp)):
        return True
    if isinstance(node, ast.Call):
        return (ctx.call_name(node) or "") in JSON_BUILDERS
    if isinstance(node, ast.Name) and ctx.function is not None and depth < 3:
        bound = ctx.module.bindings(ctx.function).get(node.id)
        return bool(bound) and all(_json_shaped(ctx, b, depth + 1) for b in bound)
    return False


def _json_body(ctx: PyContext, returned: ast.AST, body: V | None) -> bool:
    """What a Flask (>= 1.1 for a dict, >= 2.2 for a list) or Quart view returns is sent as JSON with
    `application/json` when its body, alone or first in a `(body, status)` / `(body, headers)` /
    `(body, status, headers)` tuple, is a dict (known keys) or a dict or list the code builds; unless the tuple's
    headers set an HTML Content-Type."""
    if isinstance(returned, ast.Tuple):
        if not returned.elts or isinstance(returned.elts[0], ast.Starred) \
                or any(_html_type(ctx, e) for e in returned.elts[1:]):
            return False
        node = returned.elts[0]
    else:
        node = returned
    return (body is not None and body.keys is not None) or _json_shaped(ctx, node)


FLASK_MAKE_RESPONSE = frozenset({"flask.make_response", "quart.make_response"})


def _json_argument(ctx: PyContext, call: ast.Call) -> bool:
    """`make_response(body, ...)` / `make_response((body, status))` whose body is JSON (as a view's return)."""
    if any(_html_type(ctx, a) for a in call.args[1:]) or any(_html_type(ctx, kw.value) for kw in call.keywords):
        return False
    returned = call.args[0] if len(call.args) == 1 else ast.Tuple(elts=list(call.args), ctx=ast.Load())
    value, _ = node_value(ctx, call.args[0])
    if value is not None and isinstance(call.args[0], ast.Tuple):
        value = value.elts[0] if value.elts else None
    return _json_body(ctx, returned, value)


def _html_type(ctx: PyContext, headers: ast.AST) -> bool:
    """Headers (a dict or a list of pairs) that set a Content-Type naming html."""
    return any(isinstance(kind, str) and "html" in kind.lower() for kind in _content_types(ctx, headers))


def _xss_return(ret: ast.Return, ctx: PyContext) -> None:
    if ret.value is None or ctx.function is None:
        return
    if "html" in spec(ctx).view_return and _is_flask_view(ctx):
        if _response_object(ctx, ret.value):
            return
        if isinstance(ret.value, ast.Tuple) and any(_not_html_type(ctx, e) for e in ret.value.elts[1:]):
            return  # `return body, 200, {"Content-Type": "text/plain"}`: Flask sends it with that type
        value, dead = node_value(ctx, ret.value)
        if value is not None and value.keys is None:
            body = value.elts[0] if value.elts else value
            if _json_body(ctx, ret.value, body):
                return  # `return {"name": x}, 201` / `return [x]`: Flask sends it as application/json
            verdict = verdict_of(body, "html", dead=dead)
            if verdict.state == TAINTED:
                text, severity = _reflected_header(verdict, "html", f"Cross-site scripting: the view returns "
                                                   f"{label(verdict)} as an HTML page without escaping.")
                report_tainted(ctx, ret.value, verdict, text, "the HTML response", severity=severity)
        return
    _lambda_response(ctx, ret, "html")


@python_check("PY403", ast.Call, ast.Return)
def open_redirect(node: ast.Call | ast.Return, ctx: PyContext) -> None:
    if isinstance(node, ast.Return):
        if node.value is not None and ctx.function is not None:
            _lambda_response(ctx, node, "redirect")
        return
    if _model_redirect(ctx, node):
        return
    _sink(ctx, node, "redirect",
          "Open redirect: `{what}` sends the user to a URL taken from {label}.",
          "Open redirect: untrusted data passed to `{helper}` reaches `{sink}` as the redirect target.")


DJANGO_REDIRECTS = frozenset({"django.shortcuts.redirect", "django.shortcuts.resolve_url"})
MODEL_LOOKUPS = frozenset({"django.shortcuts.get_object_or_404"})
MODEL_MANAGER_METHODS = frozenset({"get", "create"})


def _model_redirect(ctx: PyContext, call: ast.Call) -> bool:
    """Django's `redirect(obj)` of a model instance goes to `obj.get_absolute_url()`, a URL the site builds: the
    instance a model form saved (`item = form.save()`), a row looked up (`get_object_or_404(Item, pk=pk)`,
    `Item.objects.get(...)`, `Item.objects.create(...)`). Every binding of the name must be one; text is not."""
    if (ctx.call_name(call) or "") not in DJANGO_REDIRECTS or not call.args or call.keywords:
        return False
    target = call.args[0]
    if isinstance(target, ast.Name) and ctx.function is not None:
        bound = ctx.module.bindings(ctx.function).get(target.id)
        return bool(bound) and all(isinstance(v, ast.Call) and _model_instance(ctx, v) for v in bound)
    return isinstance(target, ast.Call) and _model_instance(ctx, target)


def _model_instance(ctx: PyContext, call: ast.Call) -> bool:
    if (ctx.call_name(call) or "") in MODEL_LOOKUPS:
        return True
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if func.attr in MODEL_MANAGER_METHODS:  # Item.objects.get(...)
        return isinstance(receiver, ast.Attribute) and receiver.attr == "objects"
    if func.attr == "save" and isinstance(receiver, ast.Name):  # form.save(): a ModelForm's instance
        if re.search(r"(^|_)form$", receiver.id, re.I):
            return True
        made = ctx.resolve(receiver)
        return isinstance(made, ast.Call) and last_identifier(made.func).lower().endswith("form")
    return False


def _lambda_response(ctx: PyContext, ret: ast.Return, family: str) -> None:
    """A Lambda proxy response: {"statusCode": ..., "headers": {...}, "body": ...} returned by the handler."""
    config = spec(ctx).lambda_response.get(family)
    if not config or not ctx.handler() or getattr(ctx.function, "name", None) != ctx.handler():
        return
    value, dead = node_value(ctx, ret.value)  # type: ignore[arg-type]
    if value is None or value.keys is None:
        return
    headers = value.keys.get("headers")
    path = str(config.get("key", "body")).split(".")
    target = value
    for part in path:
        target = target.keys.get(part) if target is not None and target.keys is not None else None
    if target is None:
        return
    header = config.get("header")
    if header:
        content_type = None
        if headers is not None and headers.keys is not None:
            for k, v in headers.keys.items():
                if isinstance(k, str) and k.lower() == str(header).lower():
                    content_type = v.const if v.known else None
        if not isinstance(content_type, str) or str(config.get("contains", "")).lower() not in content_type.lower():
            return
    verdict = verdict_of(target, family, dead=dead)
    if verdict.state != TAINTED:
        return
    if family == "html":
        message = f"Cross-site scripting: the handler returns an HTML body built from {label(verdict)}."
    else:
        message = f"Open redirect: the handler's Location header is taken from {label(verdict)}."
    report_tainted(ctx, ret.value, verdict, message, "the Lambda response")  # type: ignore[arg-type]


# Calls whose result is text as often as not (`request.args.get(...)`, `f.read()`, `json.dumps(...)`).
TEXT_CALLS = frozenset({"get", "getlist", "pop", "read", "readline", "decode", "dumps", "getvalue", "get_data",
                        "repr", "input", "gettext", "ngettext", "_", "escape"})
RESPONSE_NAMES = frozenset({"response", "resp", "http_response", "flask_response"})
STRING_METHODS = frozenset({"format", "join", "replace", "strip", "lower", "upper", "format_map", "encode", "decode"})


def _response_object(ctx: PyContext, node: ast.AST) -> bool:
    """A view returning `redirect(...)`, `make_response(...)`, `render_template(...)` returns a response object or a
    rendered template, not a raw string (`make_response` and friends are sinks of their own)."""
    original = node
    if isinstance(original, ast.Name) and original.id in RESPONSE_NAMES and ctx.function is not None \
            and not _bound_to_text(ctx.function, original.id):
        # a variable named for a response, bound only to calls' results (`command, data, response =
        # parse_command(request)`; `response = plugin.on_api_command(command, data)`): what those calls return
        # is a response object, whatever their arguments were
        return True
    node = ctx.resolve(node)
    if node is None and isinstance(original, ast.Name) and ctx.function is not None:
        bound = ctx.module.bindings(ctx.function).get(original.id) or []
        # `response = plugin.on_command(...)` on two paths: a response object when every binding is one
        return bool(bound) and all(b is not None and _response_object(ctx, b) for b in bound)
    if isinstance(node, ast.Tuple) and node.elts:
        node = ctx.resolve(node.elts[0])
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr in STRING_METHODS:
        return False
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    callee = dataflow_of(ctx.module).callee(node.func, scope, {}) if isinstance(node.func, (ast.Name, ast.Attribute)) \
        else None
    if callee:
        return not _returns_text(callee[1])  # a helper of the project: a response unless it returns built text
    return (ctx.call_name(node) or "") not in ("str", "builtins.str")


def _returns_text(fn: ast.AST) -> bool:
    """Whether a helper returns text it builds (an f-string, `+`, `%`, `.format`, `.join`, a string constant) on some
    path, rather than a response object or a rendered template. A returned variable is text unless every value
    bound to it is a call's result (`resp = storage.as_response(...)`), or the return sits where an `isinstance`
    test proved it no string (`elif isinstance(msg, Response): return msg`)."""
    narrowed = _non_text_returns(fn)
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if _text_expression(value):
                return True
            if isinstance(value, ast.Name) and id(node) not in narrowed and _bound_to_text(fn, value.id):
                return True
    return False


def _text_expression(value: ast.AST) -> bool:
    return isinstance(value, (ast.JoinedStr, ast.BinOp)) or (
        isinstance(value, ast.Constant) and isinstance(value.value, str)) or (
        isinstance(value, ast.Call) and (isinstance(value.func, ast.Attribute) and value.func.attr in STRING_METHODS
                                         or isinstance(value.func, ast.Name) and value.func.id == "str"))


def _bound_to_text(fn: ast.AST, name: str) -> bool:
    """Whether a variable of `fn` may hold text: a parameter, or any binding that is not a call's result (tuple
    unpacking of a call counts as a call's result)."""
    args = getattr(fn, "args", None)
    if args is not None and name in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                        *([args.vararg] if args.vararg else []),
                                                        *([args.kwarg] if args.kwarg else [])]}:
        return True
    found = False
    for node in ast.walk(fn):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.withitem, ast.NamedExpr)):
            target = node.target if not isinstance(node, ast.withitem) else node.optional_vars
            if target is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                return True
            continue
        for target in targets:
            if _binds(target, name):  # (`response.headers["X"] = "v"` sets a header; it does not rebind `response`)
                found = True
                if isinstance(node, ast.AugAssign) or not isinstance(value, ast.Call) or _text_expression(value) \
                        or last_identifier(value.func) in TEXT_CALLS:
                    return True
    return not found  # bound nowhere here (a global, a closure's variable): unknown, so text


def _binds(target: ast.AST, name: str) -> bool:
    """Whether an assignment target binds the variable `name` itself (directly or by unpacking)."""
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_binds(e, name) for e in target.elts)
    if isinstance(target, ast.Starred):
        return _binds(target.value, name)
    return False


def _non_text_returns(fn: ast.AST) -> set[int]:
    """ids of `return x` statements inside an `if isinstance(x, SomethingResponse):` (or `not isinstance(x, str)`)."""
    out: set[int] = set()
    for node in ast.walk(fn):
        if not isinstance(node, ast.If):
            continue
        name = _isinstance_non_text(node.test)
        if name is None:
            continue
        for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
            if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Name) and inner.value.id == name:
                out.add(id(inner))
    return out


def _isinstance_non_text(test: ast.AST) -> str | None:
    """`isinstance(x, Response)` / `isinstance(x, (Response, Redirect))` / `not isinstance(x, str)` -> "x"."""
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for value in test.values:
            name = _isinstance_non_text(value)
            if name is not None:
                return name
        return None
    call = test.operand if negated else test
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "isinstance"
            and len(call.args) == 2 and isinstance(call.args[0], ast.Name)):
        return None
    kinds = call.args[1].elts if isinstance(call.args[1], ast.Tuple) else [call.args[1]]
    names = [k.attr if isinstance(k, ast.Attribute) else getattr(k, "id", "") for k in kinds]
    if negated:
        return call.args[0].id if names and all(n in ("str", "bytes") for n in names) else None
    return call.args[0].id if names and all("Response" in n or "Redirect" in n for n in names) else None


def _is_flask_view(ctx: PyContext) -> bool:
    fn = ctx.function
    flask = ctx.memo.get("xss.flask-imported")  # (once per file: every `return` asks)
    if flask is None:
        flask = ctx.memo["xss.flask-imported"] = any(v.split(".")[0] in ("flask", "quart")
                                                     for v in ctx.names.aliases.values())
    if not flask:
        return False
    for d in getattr(fn, "decorator_list", ()):
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr in ("route", "get", "post", "put", "patch", "delete"):
            return True
    return False


SAX_EXTERNAL = ("feature_external_ges", "feature_external_pes", "http://xml.org/sax/features/external-general-entities",
                "http://xml.org/sax/features/external-parameter-entities")


def _sax_parser_with_external_entities(ctx: PyContext, node: ast.AST | None) -> bool:
    """`p = xml.sax.make_parser(); p.setFeature(feature_external_ges, True)`: the stdlib parsers resolve no
    external entity by default, but this one does."""
    if not isinstance(node, ast.Name):
        return False
    made = ctx.resolve(node)
    if not (isinstance(made, ast.Call) and (ctx.call_name(made) or "") in (
            "xml.sax.make_parser", "xml.sax.expatreader.create_parser")):
        return False
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    for inner in ast.walk(scope):
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "setFeature" \
                and isinstance(inner.func.value, ast.Name) and inner.func.value.id == node.id and len(inner.args) == 2:
            feature = inner.args[0]
            text = ctx.const(feature)
            named = feature.attr if isinstance(feature, ast.Attribute) else feature.id if isinstance(feature, ast.Name) \
                else text
            if (named in SAX_EXTERNAL or text in SAX_EXTERNAL) and ctx.truthy(inner.args[1]) is True:
                return True
    return False


def _sax_xxe(ctx: PyContext, call: ast.Call) -> bool:
    """A parse with a SAX parser that resolves external entities: `parser.parse(src)`, or
    `xml.dom.minidom.parse(src, parser)` / `pulldom.parse(src, parser)`."""
    func = call.func
    data = None
    if isinstance(func, ast.Attribute) and func.attr in ("parse", "feed") and call.args \
            and _sax_parser_with_external_entities(ctx, func.value):
        data = call.args[0]
    elif (ctx.call_name(call) or "") in ("xml.dom.minidom.parse", "xml.dom.minidom.parseString", "xml.dom.pulldom.parse",
                                          "xml.dom.pulldom.parseString") and call.args:
        parser = ctx.kwarg(call, "parser") or (call.args[1] if len(call.args) > 1 else None)
        if _sax_parser_with_external_entities(ctx, parser):
            data = call.args[0]
    if data is None:
        return False
    what = _what(ctx, call)
    verdict = ctx.taint_verdict(data, "xml")
    if verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, f"XML external entities: `{what}` parses {label(verdict)} with a SAX "
                                           "parser whose external-entity feature is switched on.", what)
    elif verdict.state == UNKNOWN_SOURCE:
        report_unknown(ctx, call, f"XML external entities: `{what}` parses XML with a SAX parser whose "
                                  "external-entity feature is switched on; where the data comes from is not visible.")
    return True


@python_check("PY404", ast.Call)
def lxml_xxe(call: ast.Call, ctx: PyContext) -> None:
    if _sax_xxe(ctx, call):
        return
    entries = sink_entries(ctx, call, "xml")
    if not entries:
        report_indirect(ctx, call, "xml", "XML external entities: untrusted data passed to `{helper}` "
                                          "reaches `{sink}`, which resolves entities.")
        return
    if _hardened_parser(ctx, call):
        return
    verdict = worst(ctx, sink_args(call, entries), "xml")
    what = _what(ctx, call)
    if verdict is None:
        return
    if verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, f"XML external entities: `{what}` parses {label(verdict)} with "
                                           "entity resolution on.", what)
    elif verdict.state == UNKNOWN_SOURCE:
        report_unknown(ctx, call, f"XML external entities: `{what}` parses XML with a parser that resolves "
                                  "entities; where the data comes from is not visible.")


def _hardened_parser(ctx: PyContext, call: ast.Call) -> bool:
    parser = ctx.kwarg(call, "parser")
    if parser is None and len(call.args) > 1:
        parser = call.args[1]
    parser = ctx.resolve(parser)
    if not isinstance(parser, ast.Call):
        return False
    if (ctx.call_name(parser) or "").rsplit(".", 1)[-1] not in ("XMLParser", "ETCompatXMLParser", "XMLPullParser"):
        return False
    resolve = ctx.kwarg(parser, "resolve_entities")
    return resolve is not None and ctx.truthy(resolve) is False


@python_check("PY405", ast.Call)
def xml_expansion(call: ast.Call, ctx: PyContext) -> None:
    _sink(ctx, call, "xml-expansion",
          "XML entity expansion: `{what}` parses {label}, and nested entities can exhaust memory.",
          "XML entity expansion: untrusted data passed to `{helper}` reaches `{sink}`.")


@python_check("PY406", ast.Call)
def session_fixation(call: ast.Call, ctx: PyContext) -> None:
    entries = sink_entries(ctx, call, "cookie")
    if not entries:
        return
    name = call.args[0] if call.args else ctx.kwarg(call, "key")
    cookie = ctx.const(name) if name is not None else None
    if isinstance(cookie, str) and not _session_cookie_name(cookie):
        return
    if not isinstance(cookie, str) and name is not None and name.lineno == name.end_lineno:
        # a name not known statically: judged by the code that names it (`settings.LANGUAGE_COOKIE_NAME`)
        text = ctx.file.line(name.lineno).encode()[name.col_offset:name.end_col_offset].decode(errors="replace")
        if not _session_cookie_name(text):
            return
    _sink(ctx, call, "cookie",
          "Session fixation: `{what}` sets a session cookie to {label}.",
          "Session fixation: untrusted data passed to `{helper}` becomes a session cookie.")
