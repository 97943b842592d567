"""CORS that lets any origin in (rules PY310 with credentials, PY311 without).

Three places declare CORS in Python web apps: flask-cors (`CORS(app, ...)`, `@cross_origin(...)`, per-resource
options in `resources={...}`), Starlette/FastAPI's `CORSMiddleware` (`app.add_middleware(...)`,
`Middleware(...)`, or wrapping the app directly) and django-cors-headers settings. "Any origin" is `"*"`, or a
regular expression that accepts an attacker's origin (checked by matching probe origins, with the library's own
matching: `re.match` for flask-cors and django-cors-headers, `re.fullmatch` for Starlette).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ....model import Location, Related
from ..context import UNKNOWN, PyContext
from ..registry import python_check
from ..deployment import import_root
from ._web import (
    Arg, argument, callee, in_development_function, is_development_class, is_development_path, report_review,
    settings_module, settings_review, settings_view,
)

FLASK_CORS = {"flask_cors.CORS", "flask_cors.extension.CORS"}
FLASK_CROSS_ORIGIN = {"flask_cors.cross_origin", "flask_cors.decorator.cross_origin"}
# Origins an attacker can register. Scanned patterns are never run by the backtracking engine (see _admits).
PROBES = ("https://x.io", "http://x.io")
REGEX_CHARS = set("*\\]?$^[]()+")
CORS_CALLEES = frozenset({"CORS", "cross_origin", "CORSMiddleware", "Middleware", "add_middleware"})


@dataclass(frozen=True)
class Verdict:
    credentials: bool  # credentials are certainly allowed together with any origin
    how: str  # how any origin gets in, for the message
    related: tuple[Related, ...] = ()
    review: str | None = None  # settings that are not the deployed ones: why (a review finding)


def _any_origin(value, fullmatch: bool) -> bool | None:
    """True when the origins value admits any origin, False when it does not, None when unknown."""
    if value is UNKNOWN:
        return None
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple, set)) else []
    for item in items:
        if isinstance(item, str) and (item.strip() == "*" or _regex_admits_anyone(item, fullmatch)):
            return True
    return False


def _regex_admits_anyone(pattern: str, fullmatch: bool) -> bool:
    """Whether the scanned pattern accepts an attacker's origin (a probe), decided without running it: the pattern
    is parsed, and a table of which probe positions each part leads to is built bottom-up (time linear in the
    pattern's size; the pattern is never handed to the backtracking engine). Constructs the table cannot express
    (back-references, local flags) leave the answer unknown: False, no finding."""
    if len(pattern) > 1000 or not REGEX_CHARS & set(pattern):
        return False
    try:
        return any(_admits(pattern, probe, fullmatch) for probe in PROBES)
    except (_Unsupported, RecursionError):
        return False


class _Unsupported(Exception):
    pass


def _admits(pattern: str, probe: str, fullmatch: bool) -> bool:
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found]
        from re import _constants as c  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as c  # type: ignore[no-redef]
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, OverflowError, ValueError, TypeError):
        raise _Unsupported from None
    flags = parsed.state.flags
    icase, dotall = bool(flags & re.IGNORECASE), bool(flags & re.DOTALL)
    n = len(probe)
    word = [ch.isalnum() or ch == "_" for ch in probe]

    def same(a: str, b: str) -> bool:
        return a == b or (icase and a.lower() == b.lower())

    def in_class(items, ch: str) -> bool:
        negate, hit = False, False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                hit = hit or same(chr(av), ch)
            elif op is c.RANGE:
                hit = hit or av[0] <= ord(ch) <= av[1] or (icase and any(av[0] <= ord(x) <= av[1] for x in (ch.lower(), ch.upper())))
            elif op is c.CATEGORY:
                name = str(av).upper()
                test = ch.isdigit() if "DIGIT" in name else ch.isspace() if "SPACE" in name else (ch.isalnum() or ch == "_")
                hit = hit or (test != ("NOT" in name))
            else:
                raise _Unsupported
        return hit != negate

    def one(test) -> list[set[int]]:
        return [{i + 1} if i < n and test(probe[i]) else set() for i in range(n + 1)]

    def seq(items) -> list[set[int]]:
        rel = [{i} for i in range(n + 1)]
        for item in items:
            step = node(*item)
            rel = [set().union(*(step[j] for j in ends)) if ends else set() for ends in rel]
        return rel

    def node(op, av) -> list[set[int]]:
        if op is c.LITERAL:
            return one(lambda ch: same(chr(av), ch))
        if op is c.NOT_LITERAL:
            return one(lambda ch: not same(chr(av), ch))
        if op is c.ANY:
            return one(lambda ch: dotall or ch != "\n")
        if op is c.IN:
            return one(lambda ch: in_class(av, ch))
        if op is c.BRANCH:
            parts = [seq(alt) for alt in av[1]]
            return [set().union(*(p[i] for p in parts)) for i in range(n + 1)]
        if op is c.SUBPATTERN:
            if av[1] or av[2]:  # local flags
                raise _Unsupported
            return seq(av[3])
        if op is getattr(c, "ATOMIC_GROUP", None):
            return seq(av)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
            low, high, body = av
            step = seq(body)
            compose = lambda rel: [set().union(*(step[j] for j in ends)) if ends else set() for ends in rel]  # noqa: E731
            rel = [{i} for i in range(n + 1)]
            # Positions only grow, so a path longer than n waits somewhere (the body matched empty there) and
            # one wait more or less changes nothing: past n + 1 repeats the relation is fixed. No huge loop.
            for _ in range(min(low, n + 2)):
                rel = compose(rel)
            reach = [set(r) for r in rel]
            extra = high - low if high != c.MAXREPEAT else n + 1
            for _ in range(min(extra, n + 1)):
                rel = compose(rel)
                grown = [reach[i] | rel[i] for i in range(n + 1)]
                if grown == reach:
                    break
                reach = grown
            return reach
        if op is c.AT:
            name = str(av).upper()
            if "BEGINNING" in name:
                return [{0} if i == 0 else set() for i in range(n + 1)]
            if name.endswith("AT_END"):
                return [{i} if i == n or (i == n - 1 and probe[-1] == "\n") else set() for i in range(n + 1)]
            if "END_STRING" in name:
                return [{n} if i == n else set() for i in range(n + 1)]
            if "BOUNDARY" in name:
                edge = [(i > 0 and word[i - 1]) != (i < n and word[i]) for i in range(n + 1)]
                want = "NON" not in name
                return [{i} if edge[i] == want else set() for i in range(n + 1)]
            raise _Unsupported
        if op in (c.ASSERT, c.ASSERT_NOT):
            direction, body = av
            inner = seq(body)
            if direction == 1:
                found = [bool(inner[i]) for i in range(n + 1)]
            else:
                found = [any(i in inner[j] for j in range(i + 1)) for i in range(n + 1)]
            want = op is c.ASSERT
            return [{i} if found[i] == want else set() for i in range(n + 1)]
        raise _Unsupported  # back-references, conditionals

    ends = seq(parsed)[0]
    return n in ends if fullmatch else bool(ends)


def _credentials(ctx: PyContext, arg: Arg, default: bool | None) -> bool | None:
    if arg.state == Arg.ABSENT:
        return default
    if arg.state == Arg.UNKNOWN:
        return None
    return ctx.truthy(arg.node)


# --- flask-cors ------------------------------------------------------------------------------------------

def _flask_cors(call: ast.Call, ctx: PyContext) -> Verdict | None:
    name = ctx.call_name(call)
    if name not in FLASK_CORS and name not in FLASK_CROSS_ORIGIN:
        return None
    text = ctx.file.text()
    origins_arg = argument(call, ctx, "origins")
    review = None
    related: tuple[Related, ...] = ()
    if origins_arg.state == Arg.ABSENT:
        # flask-cors's default is "*", unless the app's configuration sets CORS_ORIGINS (options given at the call
        # win over the app's CORS_* settings, which win over the defaults).
        top_origins, how, related, review = _configured_origins(ctx, text)
    elif origins_arg.state == Arg.UNKNOWN:
        top_origins, how = None, ""
    else:
        top_origins, how = _any_origin(ctx.const(origins_arg.node), False), "`origins` admits any origin"
    top_creds = _credentials(ctx, argument(call, ctx, "supports_credentials"),
                             None if "CORS_SUPPORTS_CREDENTIALS" in text else False)
    combos = [(top_origins, top_creds, how)]
    resources = ctx.resolve(ctx.kwarg(call, "resources")) if name in FLASK_CORS else None
    if isinstance(resources, ast.Dict):
        combos = []
        for value in resources.values:
            options = ctx.resolve(value)
            if not isinstance(options, ast.Dict):
                combos.append((top_origins, top_creds, how))
                continue
            per = {ctx.const(k): v for k, v in zip(options.keys, options.values) if k is not None}
            origins, res_how = top_origins, how
            if "origins" in per:
                origins, res_how = _any_origin(ctx.const(per["origins"]), False), "a resource's `origins` admits any origin"
            creds = top_creds if "supports_credentials" not in per else ctx.truthy(per["supports_credentials"])
            combos.append((origins, creds, res_how))
    with_creds = [h for o, c, h in combos if o and c]
    if with_creds:
        return Verdict(True, with_creds[0], related if with_creds[0] == how else (),
                       review if with_creds[0] == how else None)
    anyone = [h for o, c, h in combos if o]
    if not anyone:
        return None
    return Verdict(False, anyone[0], related if anyone[0] == how else (), review if anyone[0] == how else None)


def _configured_origins(ctx: PyContext, text: str) -> tuple[bool | None, str, tuple[Related, ...], str | None]:
    """(any origin?, how, related lines, review reason) for a flask-cors call without `origins`: "*" by default,
    unless the repository sets `CORS_ORIGINS` (Facts.cors_origins): any origin when a setting admits any; a review
    finding when a setting's value is not known (read from the environment); no finding when every setting names
    its origins. Settings of development config classes are left out."""
    default = "flask-cors allows every origin by default (no `origins`)"
    if ctx.scan is None:  # (no scan-wide facts: only this file is known)
        return (None if "CORS_ORIGINS" in text else True), default, (), None
    # (a development config class's origins, `class DevelopmentConfig: CORS_ORIGINS = "*"`, are not the deployed ones)
    settings = sorted((s for s in ctx.scan.facts.cors_origins if not (s.owner and is_development_class(s.owner))),
                      key=lambda s: (s.path, s.line))
    if not settings:
        return True, default, (), None
    for setting in settings:
        if setting.origins is not None and _any_origin(list(setting.origins), False):
            where = Location(setting.path, setting.line)
            return True, f"`CORS_ORIGINS` in `{setting.path}` admits any origin (no `origins` at the call)", \
                (Related(where, "CORS_ORIGINS admits any origin"),), None
    unknown = [s for s in settings if s.origins is None]
    if unknown:
        where = Location(unknown[0].path, unknown[0].line)
        return True, default, (Related(where, "CORS_ORIGINS set here"),), \
            f"`CORS_ORIGINS` in `{unknown[0].path}` (line {unknown[0].line}) replaces the default, and its value " \
            f"is not known from the code"
    return False, default, (), None


# --- Starlette / FastAPI CORSMiddleware --------------------------------------------------------------------

def _is_cors_middleware(node: ast.AST | None, ctx: PyContext) -> bool:
    return node is not None and (ctx.qualname(node) or "").rsplit(".", 1)[-1] == "CORSMiddleware"


def _starlette(call: ast.Call, ctx: PyContext) -> Verdict | None:
    func = call.func
    first = call.args[0] if call.args else None
    name = ctx.call_name(call) or ""
    if isinstance(func, ast.Attribute) and func.attr == "add_middleware":
        wanted = _is_cors_middleware(first, ctx) or _is_cors_middleware(ctx.kwarg(call, "middleware_class"), ctx)
    elif name.rsplit(".", 1)[-1] == "Middleware":
        wanted = _is_cors_middleware(first, ctx) or _is_cors_middleware(ctx.kwarg(call, "cls"), ctx)
    else:
        wanted = name.rsplit(".", 1)[-1] == "CORSMiddleware"
    if not wanted:
        return None
    origins = argument(call, ctx, "allow_origins")
    regex = argument(call, ctx, "allow_origin_regex")
    by_list = _any_origin(ctx.const(origins.node), True) if origins.present else None
    by_regex = _any_origin(ctx.const(regex.node), True) if regex.present else None
    if not (by_list or by_regex):
        return None
    how = "`allow_origins` contains \"*\"" if by_list else "`allow_origin_regex` matches any origin"
    creds = _credentials(ctx, argument(call, ctx, "allow_credentials"), False)
    return Verdict(bool(creds), how)


# --- django-cors-headers settings --------------------------------------------------------------------------

def _django(ctx: PyContext) -> tuple[ast.AST, Verdict] | None:
    if is_development_path(ctx.file.rel) and settings_module(ctx) is None:
        return None
    view = settings_view(ctx)
    anchor, how = None, ""
    for name in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"):
        setting = view.effective(name)
        if setting is not None and ctx.truthy(setting.value):
            anchor, how = setting, f"`{name}` is true"
            break
    if anchor is None:
        for name in ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST"):
            setting = view.effective(name)
            if setting is not None and _any_origin(ctx.const(setting.value), False):
                anchor, how = setting, f"`{name}` matches any origin"
                break
    if anchor is None:
        return None
    review = settings_review(ctx, anchor.name)
    creds = view.effective("CORS_ALLOW_CREDENTIALS")
    if creds is not None and ctx.truthy(creds.value):
        node = creds.node
        related = (Related(ctx.location(node), "credentials allowed"),)
        return anchor.node, Verdict(True, how, related, review)
    return anchor.node, Verdict(False, how, review=review)


# --- headers written by hand: response["Access-Control-Allow-Origin"] = request.headers["Origin"] -----------

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ORIGIN_KEYS = frozenset({"origin", "http_origin"})


def _header_pairs(scope: ast.AST, ctx: PyContext) -> list[tuple[str, ast.AST, ast.AST]]:
    """(lower-case header name, value, node to report) for `x["Header"] = v` and `{"Header": v}` in `scope`."""
    pairs = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript):
                    key = ctx.const(target.slice)
                    if isinstance(key, str):
                        pairs.append((key.lower(), node.value, node))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                key = ctx.const(k) if k is not None else None
                if isinstance(key, str):
                    pairs.append((key.lower(), v, k))
    return pairs


def _reflects_origin(value: ast.AST, ctx: PyContext) -> bool:
    """`request.headers["Origin"]`, `request.headers.get("origin")`, `request.META["HTTP_ORIGIN"]`,
    `request.origin`, or a variable bound to one."""
    value = ctx.resolve(value) or value
    for node in ast.walk(value):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in ORIGIN_KEYS:
            return True
        if isinstance(node, ast.Attribute) and node.attr == "origin":
            return True
    return False


def _checks_origin(name: str) -> bool:
    """`origin.endswith(...)`, `re.match(...)`, `is_allowed_origin(...)`, `check_origin(...)`."""
    lowered = name.lower()
    return lowered in ("endswith", "startswith", "match", "fullmatch", "search") or "origin" in lowered \
        or "allow" in lowered


def _origin_checked(scope: ast.AST, value: ast.AST, ctx: PyContext) -> bool:
    """The function compares the origin with something (`if origin in ALLOWED`, `origin.endswith(...)`,
    `re.match(PATTERN, origin)`) before echoing it: an allow-list, which this rule does not judge."""
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    for node in ast.walk(scope):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call) and _checks_origin(callee(node, ctx)):
            operands = [*node.args, *(kw.value for kw in node.keywords), node.func]
        else:
            continue
        for operand in operands:
            for inner in ast.walk(operand):
                if isinstance(inner, ast.Name) and inner.id in names and inner.id not in ("request", "self"):
                    return True
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and inner.value.lower() in ORIGIN_KEYS:
                    return True
    return False


def _manual_headers(node: ast.AST, ctx: PyContext) -> tuple[ast.AST, Verdict] | None:
    if isinstance(node, ast.Assign):
        keys = [ctx.const(t.slice) for t in node.targets if isinstance(t, ast.Subscript)]
        if not any(isinstance(k, str) and k.lower() == ACAO for k in keys):
            return None
        value, where = node.value, node
    elif isinstance(node, ast.Dict):
        entry = next(((k, v) for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.lower() == ACAO), None)
        if entry is None:
            return None
        where, value = entry
    else:
        return None
    origin = ctx.const(value)
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    if isinstance(origin, str) and origin.strip() == "*":
        # Browsers refuse credentialed responses to a literal "*": with or without credentials, PY311.
        return where, Verdict(False, "the `Access-Control-Allow-Origin` header is \"*\"")
    if origin is UNKNOWN and _reflects_origin(value, ctx) and not _origin_checked(scope, value, ctx):
        how = "the `Access-Control-Allow-Origin` header echoes the request's Origin"
    else:
        return None
    for key, header_value, at in _header_pairs(scope, ctx):
        credentials = ctx.const(header_value)
        if key == ACAC and isinstance(credentials, str) and credentials.strip().lower() == "true":
            related = (Related(ctx.location(at), "credentials allowed"),)
            return where, Verdict(True, how, related)
    return where, Verdict(False, how)


def _verdict(node: ast.AST, ctx: PyContext) -> tuple[ast.AST, Verdict] | None:
    if isinstance(node, ast.Module):
        return _django(ctx)
    if isinstance(node, (ast.Assign, ast.Dict)):
        return _manual_headers(node, ctx)
    if isinstance(node, ast.Call) and callee(node, ctx) in CORS_CALLEES and not in_development_function(ctx):
        verdict = _flask_cors(node, ctx) or _starlette(node, ctx)
        if verdict is not None:
            return node, verdict
    return None


@python_check("PY310", ast.Module, ast.Call, ast.Assign, ast.Dict)
def cors_any_origin_with_credentials(node: ast.AST, ctx: PyContext) -> None:
    found = _verdict(node, ctx)
    if found is None or not found[1].credentials:
        return
    where, verdict = found
    message = f"Session misuse across sites: {verdict.how} and credentials are allowed, so any website a " \
              f"logged-in user visits can call this API with the user's cookies and read the answers."
    if not verdict.review and ctx.scan is not None and not _ambient_credentials(ctx):
        # what a browser adds on its own is what credentialed CORS gives away: with no cookie, session or HTTP
        # authentication in the service, the API's clients add their tokens themselves, and a foreign page has none
        report_review(ctx, where, message, "no module of this service (its import root) sets or reads a cookie, "
                      "keeps a session or asks for HTTP Basic or Digest credentials, so a browser sends this API "
                      "nothing on its own: its clients add their tokens (an `Authorization` header) themselves, which "
                      "a foreign page cannot. If a proxy in front of it logs users in with a cookie, it is not a "
                      "review finding",
                      related=verdict.related)
        return
    _report(ctx, where, verdict, message, related=verdict.related)


@python_check("PY311", ast.Module, ast.Call, ast.Assign, ast.Dict)
def cors_any_origin(node: ast.AST, ctx: PyContext) -> None:
    found = _verdict(node, ctx)
    if found is None or found[1].credentials:
        return
    where, verdict = found
    _report(ctx, where, verdict, f"Permissive CORS: {verdict.how}, so scripts on any website can read this "
                                 f"API's responses.")


def _ambient_credentials(ctx: PyContext) -> bool:
    """Whether a browser may send this module's service a credential on its own (Facts.ambient_credentials of its
    import root; True when the fact was not decided)."""
    found = ctx.scan.facts.ambient_credentials if ctx.scan is not None else None
    if found is None:
        return True
    # (the same root or one below it: `api/main.py` and `api/routers/auth.py` where `api/routers` is no package are
    # one service; one above it too, unless this module makes its own app: a plug-in server's `main.py` below the
    # server that keeps sessions is another process (Open-Assistant); `backend/` and `inference/server/` are two)
    mine = import_root(ctx.file.rel, ctx.scan.facts.python_files)
    below = any(r == mine or not mine or r.startswith(mine + "/") for r in found)
    return below or (not _makes_its_app(ctx) and any(not r or mine.startswith(r + "/") for r in found))


WEB_APPS = frozenset({"FastAPI", "Flask", "Starlette", "Quart", "Sanic", "APIRouter"})


def _makes_its_app(ctx: PyContext) -> bool:
    """The module creates at module level the web application it configures (`app = FastAPI()`)."""
    for stmt in ctx.module.tree.body:
        value = getattr(stmt, "value", None)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Call):
            func = value.func
            if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in WEB_APPS:
                return True
    return False


def _report(ctx: PyContext, where: ast.AST, verdict: Verdict, message: str, **kwargs) -> None:
    if verdict.review:
        report_review(ctx, where, message, verdict.review, **kwargs)
    else:
        ctx.report(where, message, **kwargs)
