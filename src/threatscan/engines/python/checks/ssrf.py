"""Server-side request forgery: request data choosing where the server sends a request (rules PY410, PY411).

The sinks are data (rules/dataflow/python-families.yaml: family `ssrf`); this module decides how much of the
address the attacker holds, from how the URL is written:
- full (PY410): the scheme and host are not fixed before the untrusted part (`requests.get(url)`,
  `f"https://{host}/x"`, `"https://" + host`, `HTTPConnection(host)`): any server, including the cloud metadata
  service and internal admin endpoints, is reachable;
- partial (PY411, low): a constant `scheme://host/` comes first and the untrusted part is only the path, query or
  fragment (`f"https://api.example.com/users/{name}"`, `conn.request("GET", path)` on a fixed host).
Requests made through a session or client object (`requests.Session().get`, `httpx.Client().post`,
`aiohttp.ClientSession().get`) are followed to the object they are made on. A URL whose origin is not visible is
not reported.
"""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ..context import PyContext
from ....lang.python.dataflow import LAMBDA_EVENT_LABEL, TAINTED, V, Verdict, dataflow_of, flow_rank, indirect_sinks, \
    verdict_of
from ....lang.python.dataflow.shapes import fullmatch_families
from ..registry import python_check
from ._taint import label, report_tainted, sink_args, sink_entries
from .path_traversal import _guards, _leaves, _names

FIXED_HOST = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/?#{}%]+[/?#]", re.I)
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream",
                          "send", "ws_connect"})
CLIENT_CLASSES = frozenset({"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client",
                            "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.client.ClientSession",
                            "urllib3.PoolManager", "urllib3.poolmanager.PoolManager"})
CONNECTIONS = frozenset({"http.client.HTTPConnection", "http.client.HTTPSConnection", "httplib.HTTPConnection",
                         "httplib.HTTPSConnection"})
# Names of configuration that holds a base URL: the host is the application's, not the user's.
CONFIG_NAME = re.compile(r"(^|_)(base|host|hostname|endpoint|server|domain|origin|api|service)(_|$)|url$", re.I)


def _what(ctx: PyContext, call: ast.Call) -> str:
    name = ctx.call_name(call) or ""
    if name and not name.startswith("<"):
        return name
    func = call.func
    if isinstance(func, ast.Attribute):
        base = func.value.id if isinstance(func.value, ast.Name) else "…"
        return f"{base}.{func.attr}"
    return name or "call"


def _client_object(ctx: PyContext, node: ast.AST) -> str | None:
    """The class of the client a method is called on (`s = requests.Session()`, `with httpx.Client() as c`)."""
    if isinstance(node, ast.Call):
        name = ctx.call_name(node) or ""
        return name if name in CLIENT_CLASSES or name in CONNECTIONS else None
    if not isinstance(node, ast.Name):
        return None
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    for sub in ctx.module.walk(scope):
        if isinstance(sub, ast.withitem) and isinstance(sub.optional_vars, ast.Name) \
                and sub.optional_vars.id == node.id and isinstance(sub.context_expr, ast.Call):
            return _client_object(ctx, sub.context_expr)
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name) \
                and sub.targets[0].id == node.id and isinstance(sub.value, ast.Call):
            found = _client_object(ctx, sub.value)
            if found:
                return found
    return None


def _url_args(ctx: PyContext, call: ast.Call) -> tuple[list[ast.AST], str]:
    """The arguments of `call` that hold a URL or host, and "url", "host" or "path" for what they are."""
    entries = sink_entries(ctx, call, "ssrf")
    if entries:
        name = ctx.call_name(call) or ""
        return sink_args(call, entries), "host" if name in CONNECTIONS or name.endswith(
            ("FTP", "SMTP", "Telnet", "create_connection")) else "url"
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in HTTP_METHODS:
        return [], ""
    client = _client_object(ctx, func.value)
    if client is None:
        return [], ""
    if client in CONNECTIONS:  # conn.request("GET", path): the host is the connection's
        if func.attr != "request":
            return [], ""
        arg = call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "url")
        return ([arg] if arg is not None else []), "path"
    position = 1 if func.attr in ("request", "stream") else 0
    arg = call.args[position] if len(call.args) > position else ctx.kwarg(call, "url")
    return ([arg] if arg is not None else []), "url"


@python_check("PY410", ast.Call, raise_in_handler=True)
def full_ssrf(call: ast.Call, ctx: PyContext) -> None:
    _check(call, ctx, partial=False)


@python_check("PY411", ast.Call)
def partial_ssrf(call: ast.Call, ctx: PyContext) -> None:
    _check(call, ctx, partial=True)


def _check(call: ast.Call, ctx: PyContext, partial: bool) -> None:
    args, kind = _url_args(ctx, call)
    if not args:
        _indirect(ctx, call, partial)
        return
    for arg in args:
        verdict = ctx.taint_verdict(arg, "ssrf")
        if verdict.state != TAINTED or _matched(ctx, call, arg):
            continue
        fixed = kind == "path" or (kind == "url" and (_host_fixed(ctx, arg) or _host_chosen(verdict)))
        if fixed != partial:
            continue
        if not partial:
            verdict = _host_choosing(verdict)
        what = _what(ctx, call)
        if partial:
            where = "the path of a request on a fixed connection" if kind == "path" else \
                "the path or query of a URL whose scheme and host are fixed"
            report_tainted(ctx, call, verdict, f"Partial server-side request forgery (review): `{what}` puts "
                                               f"{label(verdict)} into {where}; the attacker chooses the endpoint "
                                               f"(`../admin`, extra query parameters) but not the server.", what,
                           severity=Severity.LOW)
        elif verdict.label == LAMBDA_EVENT_LABEL and _invoking_host(ctx, arg):
            report_tainted(ctx, call, verdict, f"Server-side request forgery (review): `{what}` sends a request to "
                                               f"the host the invoking request was addressed to (its `Host` "
                                               f"header or `requestContext.domainName`): API Gateway and function "
                                               f"URLs deliver only requests for their own domain, so it names this "
                                               f"API unless a proxy in front forwards any host.", what,
                           severity=Severity.LOW)
            _review(ctx)
            return
        elif _rendered(ctx, verdict.steps):
            report_tainted(ctx, call, verdict, f"Server-side request forgery (review): `{what}` sends a request to a "
                                               f"URL rendered from a template (`{_rendered(ctx, verdict.steps)}`) "
                                               f"with {label(verdict)} only in its context: the template, which is "
                                               f"configuration, decides where those values go; review that it "
                                               f"cannot put them in the host.", what, severity=Severity.LOW)
            _review(ctx)
            return
        else:
            part = "host" if kind == "host" else "URL"
            report_tainted(ctx, call, verdict, f"Server-side request forgery: `{what}` sends a "
                                               f"request to a {part} taken from {label(verdict)}; the attacker makes "
                                               f"the server call internal services or the cloud metadata endpoint "
                                               f"(169.254.169.254) and read the answer.", what)
        if ctx.findings:
            ctx.findings[-1] = ctx.findings[-1].with_(evidence=ctx.findings[-1].evidence or "flow")
        return


def _host_choosing(verdict: Verdict) -> Verdict:
    """The verdict of the untrusted parts that may choose the server, when others of the URL cannot (they sit after
    a fixed `scheme://host/`, a `?` or a `#`: the marker `host`): `f"{stored['url']}/validate?id={service_id}"` is
    judged by the stored URL's flow (a record loaded through a call the analysis does not follow: review), not
    reported as the query parameter's SSRF."""
    value = verdict.value
    if verdict.state != TAINTED or value is None:
        return verdict
    live = [t for t in value.deep() if t.param is None and t.live_for("ssrf")]
    choosing = [t for t in live if "host" not in t.cleaned]
    if not choosing or len(choosing) == len(live):
        return verdict
    return verdict_of(V(taints=tuple(choosing)), "ssrf")


def _host_chosen(verdict) -> bool:
    """Every untrusted part of the URL is one the data flow proved cannot choose the server (the marker `host`):
    appended after a constant or configured `scheme://host/`, after `?` or `#`, or in a URL whose host a check
    compared with a constant, an allow-list or a setting (`if urlparse(u).hostname not in ALLOWED: abort()`)."""
    value = verdict.value
    if value is None:
        return False
    live = [t for t in value.deep() if t.param is None and t.live_for("ssrf")]
    return bool(live) and all("host" in t.cleaned for t in live)


def _review(ctx: PyContext) -> None:
    if ctx.findings:
        ctx.findings[-1] = ctx.findings[-1].with_(evidence="review", precision="low")


def _invoking_host(ctx: PyContext, node: ast.AST | None, depth: int = 0) -> bool:
    """`event["headers"]["Host"]` (any case, `.get("host")` too) or `event["requestContext"]["domainName"]`, as
    the whole host or URL argument, directly or through a name."""
    if node is None or depth > 3:
        return False
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        return bound is not None and bound is not node and _invoking_host(ctx, bound, depth + 1)
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):  # f"https://{host}/x": the host part
        text, first = _prefix(ctx, node)
        scheme, sep, rest = text.partition("://")
        return bool(sep and not rest and re.fullmatch(r"[a-z][a-z0-9+.\-]*", scheme, re.I)) \
            and _invoking_host(ctx, first, depth + 1)
    keys = []
    while True:
        if isinstance(node, ast.Subscript):
            key = ctx.const(node.slice)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args:
            key = ctx.const(node.args[0])
            node = node.func.value
        else:
            break
        if not isinstance(key, str):
            return False
        keys.append(key.lower())
    keys.reverse()
    return keys[-2:] in (["headers", "host"], ["requestcontext", "domainname"])


_ASSIGNED = re.compile(r"assigned to `(\w+)`")
RENDER = re.compile(r"^_*render(?:_|$)", re.I)


def _rendered(ctx: PyContext, steps) -> str:
    """The template rendering the flow went through with the untrusted data only in its context (`url =
    webhook.render_payload_url(context)`, `render_jinja2(hook.url_template, context)`, `Template(t).render(**ctx)`):
    a step assigns the result of a `render...` call, and the step before it is the variable given to that call as
    an argument other than the template (the first of two positional arguments); "" when there is none."""
    if ctx.function is None:
        return ""
    assigns = {}
    for node in ast.walk(ctx.function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call):
            assigns[(node.lineno, node.targets[0].id)] = node.value
    previous = None
    for step in steps:
        if step.message.startswith(("passed to `", "returned by `")):
            continue  # into and out of the render helper's summary
        m = _ASSIGNED.match(step.message) if step.location.path == ctx.file.rel else None
        if m is None:
            previous = None
            continue
        call = assigns.get((step.location.line, m.group(1)))
        func = call.func if call is not None else None
        short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if call is not None and previous and RENDER.match(short):
            context_args = [*(call.args[1:] if len(call.args) > 1 else call.args), *(k.value for k in call.keywords)]
            if any(isinstance(a, ast.Name) and a.id == previous for a in context_args) \
                    and not (len(call.args) > 1 and previous in _names(call.args[0], ctx)):
                return ast.unparse(call)[:80]
        previous = m.group(1)
    return ""


# --- how much of the URL is fixed ---------------------------------------------------------------------------------
def _host_fixed(ctx: PyContext, node: ast.AST, depth: int = 0) -> bool:
    """A constant `scheme://host/` (or `?`, `#`) comes before anything built at run time, or the first part built
    at run time is the application's own base URL (`settings.API_BASE`, `self.base_url`, `BASE_URL`)."""
    if depth > 4 or node is None:
        return False
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        return bound is not None and bound is not node and _host_fixed(ctx, bound, depth + 1)
    if isinstance(node, ast.Call):
        joined = _urljoin_fixed(ctx, node, depth)
        if joined is not None:
            return joined
        returned = _returns_fixed(ctx, node, depth)
        if returned is not None:
            return returned
    prefix, first = _prefix(ctx, node)
    if FIXED_HOST.match(prefix):
        return True
    if prefix == "" and first is not None:
        text = first.attr if isinstance(first, ast.Attribute) else first.id if isinstance(first, ast.Name) else ""
        if text and CONFIG_NAME.search(text) and "request" not in ast.dump(first) and not _is_param(ctx, first):
            return True
    return False


URLJOIN = frozenset({"urllib.parse.urljoin", "urlparse.urljoin", "urljoin", "requests.compat.urljoin"})
# A relative reference that stays on the base's server whatever follows it: a path segment or `?`/`#` comes first
# (`users/`, `./x/`, `?q=`), or one `/` and a character other than `/` and `\` (`/api/`). Not `//`, not `/` alone
# (`"/" + "/evil.example"` is a network-path reference), not text that can still become a scheme (`a` + `://evil`).
RELATIVE_PREFIX = re.compile(r"^(?:/[^/\\]|[^/\\:?#]+[/?#]|[?#])")


def _urljoin_fixed(ctx: PyContext, call: ast.Call, depth: int) -> bool | None:
    """`urljoin(BASE, ref)`: the base's host stays only when `ref` is relative whatever the run-time part holds
    (`urljoin(API, "users/" + name)`); a whole untrusted `ref` may be `https://evil.example/` or `//evil.example`,
    which replace the base's server. None when `call` is no urljoin."""
    if (ctx.call_name(call) or "") not in URLJOIN or len(call.args) < 2:
        return None
    if not _host_fixed(ctx, call.args[0], depth + 1):
        return False
    ref = call.args[1]
    if isinstance(ref, ast.Name):
        bound = ctx.resolve(ref)
        ref = bound if bound is not None and bound is not ref else ref
    prefix, _first = _prefix(ctx, ref)
    return bool(RELATIVE_PREFIX.match(prefix))


def _returns_fixed(ctx: PyContext, call: ast.Call, depth: int) -> bool | None:
    """A URL returned by a repository helper (`url=store_url()`): fixed when every `return` of the helper writes a
    constant scheme and host first (`return STORE + "/" + path`). None when the helper is not found."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    callee = dataflow_of(ctx.module).callee(call.func, scope, {})
    if callee is None:
        return None
    target_dm, fn = callee
    if fn is ctx.function:
        return False
    inner = PyContext(target_dm.module)
    inner.function = inner.outer_function = fn
    values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None
              and not (isinstance(n.value, ast.Constant) and n.value.value is None)]
    return bool(values) and all(_host_fixed(inner, v, depth + 1) for v in values)


def _is_param(ctx: PyContext, node: ast.AST) -> bool:
    fn = ctx.function
    if fn is None or not isinstance(node, ast.Name):
        return False
    args = fn.args  # type: ignore[attr-defined]
    return node.id in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _prefix(ctx: PyContext, node: ast.AST) -> tuple[str, ast.AST | None]:
    """The constant text before the first part built at run time, and that part."""
    parts: list[ast.AST] = []
    if isinstance(node, ast.JoinedStr):
        for v in node.values:
            parts.append(v.value if isinstance(v, ast.FormattedValue) else v)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        stack: list[ast.AST] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            stack.append(current.right)
            current = current.left
        parts = [current, *reversed(stack)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = ctx.const(node.left)
        if isinstance(template, str):
            return template.split("%", 1)[0], node.right
        return "", node.left
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = ctx.const(node.func.value)
        if isinstance(template, str):
            return template.split("{", 1)[0], (node.args[0] if node.args else None)
        return "", node.func.value
    else:
        value = ctx.const(node)
        return (value, None) if isinstance(value, str) else ("", node)
    text = ""
    for part in parts:
        value = ctx.const(part)
        if isinstance(value, (str, int)):
            text += str(value)
            continue
        return text, part
    return text, None


MATCHERS = frozenset({"fullmatch", "prefixmatch"})


def _matched(ctx: PyContext, call: ast.Call, arg: ast.AST) -> bool:
    """The call runs only where a whole-string regular expression accepted the value: `if re.fullmatch(P, url):`,
    `if pattern.prefixmatch(string=url):` (the keyword forms the data-flow validators do not read)."""
    names = _names(arg, ctx)
    for node, where in _guards(ctx, call):
        test, positive = node.test, True
        while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, positive = test.operand, not positive
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in MATCHERS):
            continue
        module_level = (ctx.call_name(test) or "").startswith("re.")
        subject = ctx.kwarg(test, "string") or (test.args[1] if module_level and len(test.args) > 1 else
                                                 test.args[0] if not module_level and test.args else None)
        if subject is None or not (_names(subject, ctx) & names) or not _fixes_host(ctx, test, module_level):
            continue
        if (positive and where == "body") or (not positive and (where == "orelse" or (where == "before" and _leaves(node.body)))):
            return True
    return False


def _fixes_host(ctx: PyContext, test: ast.Call, module_level: bool) -> bool:
    """A full-match test whose pattern may fix the host: one the data-flow reading does not know (built elsewhere,
    a lookaround), or one it reads whole that keeps the value clean for outgoing requests (a literal scheme and
    host, `https://hooks\\.example\\.com/...`, or only letters, digits, `_`, `-`, `.`); `https?://.*` fixes none."""
    if test.func.attr != "fullmatch":  # type: ignore[attr-defined]
        return True
    if module_level:
        pattern = ctx.kwarg(test, "pattern") or (test.args[0] if test.args else None)
        flags = [*test.args[2:], *(k.value for k in test.keywords if k.arg == "flags")]
    else:
        compiled = ctx.resolve(test.func.value)  # type: ignore[attr-defined]
        if not (isinstance(compiled, ast.Call) and (ctx.call_name(compiled) or "") == "re.compile" and compiled.args):
            return True
        pattern, flags = compiled.args[0], [*compiled.args[1:], *(k.value for k in compiled.keywords)]
    text = ctx.const(pattern)
    if not isinstance(text, str) or any(isinstance(n, (ast.Name, ast.Attribute)) and
                                        (getattr(n, "id", None) or getattr(n, "attr", "")) in ("X", "VERBOSE")
                                        for f in flags for n in ast.walk(f)):
        return True
    families = fullmatch_families(text)
    return families is None or bool(families & {"all", "ssrf"})


def _indirect(ctx: PyContext, call: ast.Call, partial: bool) -> None:
    """Untrusted data handed to a repository helper that sends a request with it: full or partial by how the
    helper writes the URL (`requests.post("https://api.example.com/x?to={}".format(lang))` is partial)."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return
    found = indirect_sinks(ctx, call, "ssrf")
    if not found:
        return
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    callee = dataflow_of(ctx.module).callee(call.func, scope, {})
    taint, what = sorted(found, key=lambda f: flow_rank(f[0], "ssrf"))[0]
    fixed = "host" in taint.cleaned or (callee is not None and _helper_host_fixed(callee, taint.steps))
    if fixed != partial:
        return
    verdict = Verdict.of(taint, "ssrf")
    helper = (ctx.call_name(call) or "a helper").rsplit(".", 1)[-1]
    if partial:
        report_tainted(ctx, call, verdict, f"Partial server-side request forgery (review): untrusted data passed to "
                                           f"`{helper}` reaches the path or query of a request to a fixed host in "
                                           f"`{what}`.", what, severity=Severity.LOW, sink_inside=True)
    else:
        report_tainted(ctx, call, verdict, f"Server-side request forgery: untrusted data passed "
                                           f"to `{helper}` reaches `{what}` as the address of a request.", what,
                       sink_inside=True)
    if ctx.findings:
        ctx.findings[-1] = ctx.findings[-1].with_(evidence=ctx.findings[-1].evidence or "flow")


def _helper_host_fixed(callee, steps) -> bool:
    target_dm, fn = callee
    if not steps or steps[-1].location.path != target_dm.module.file.rel:
        return False
    inner = PyContext(target_dm.module)
    inner.function = inner.outer_function = fn
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and node.lineno <= steps[-1].location.line <= (node.end_lineno or node.lineno):
            args, kind = _url_args(inner, node)
            if args:
                return kind == "path" or all(_host_fixed(inner, a) for a in args)
    return False
