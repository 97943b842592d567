"""JSON Web Tokens: signatures not verified, the `none` algorithm, tokens without an expiry or with a long one,
expiry not checked (rules PY501-PY504, PY511).

Libraries: PyJWT (`import jwt`), python-jose (`from jose import jwt`), authlib (`from authlib.jose import jwt`)
and Flask-JWT-Extended. A payload or lifetime that is not statically visible is never guessed at: no finding.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from typing import Any

from ....model import Related, Severity
from ..context import PyContext, _walk_scope
from ..registry import python_check
from ._web import last_identifier

# The threat model's horizon ("JWT tokens with short expiration (7 days)", STRIDE model). A user's threatmodel.yaml
# (`policy: jwt-max-lifetime-days`) sets Policy.jwt_max_lifetime_days; read it only through `jwt_max_lifetime`.
DEFAULT_JWT_MAX_LIFETIME = timedelta(days=7)


def jwt_max_lifetime(ctx: PyContext) -> timedelta:
    """The longest token lifetime the policy accepts: Policy.jwt_max_lifetime_days, else 7 days."""
    days = ctx.scan.policy.jwt_max_lifetime_days
    return timedelta(days=float(days)) if days is not None else DEFAULT_JWT_MAX_LIFETIME


PYJWT_DECODE = {
    f"jwt.{m}{f}" for m in ("", "api_jwt.", "api_jws.") for f in ("decode", "decode_complete")
}
JOSE_DECODE = {"jose.jwt.decode"}
UNVERIFIED_CLAIMS = {"jose.jwt.get_unverified_claims", "jose.jws.get_unverified_claims"}
# call name -> index of the positional payload argument and its keyword names
ENCODE_CALLS: dict[str, tuple[int, tuple[str, ...]]] = {
    "jwt.encode": (0, ("payload",)),
    "jwt.api_jwt.encode": (0, ("payload",)),
    "jose.jwt.encode": (0, ("claims",)),
    "authlib.jose.jwt.encode": (1, ("payload",)),
}
SIGN_CALLS = {"jwt.encode", "jwt.api_jwt.encode", "jwt.api_jws.encode", "jose.jwt.encode", "jose.jws.sign"}
FLASK_JWT_TOKENS = {
    "flask_jwt_extended.create_access_token": "access",
    "flask_jwt_extended.create_refresh_token": "refresh",
    "flask_jwt_extended.utils.create_access_token": "access",
    "flask_jwt_extended.utils.create_refresh_token": "refresh",
}
NOW_CALLS = {
    "datetime.datetime.utcnow", "datetime.datetime.now", "datetime.datetime.today", "time.time",
    "django.utils.timezone.now", "arrow.utcnow", "arrow.now", "pendulum.now",
}
TIMEDELTA = {"datetime.timedelta"}
TIMEDELTA_ARGS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
TIMEDELTA_SECONDS = {"days": 86400, "seconds": 1, "microseconds": 1e-6, "milliseconds": 1e-3, "minutes": 60,
                     "hours": 3600, "weeks": 604800}


def _is_false(ctx: PyContext, node: ast.AST | None) -> bool:
    return node is not None and ctx.truthy(node) is False


@python_check("PY501", ast.Call, raise_in_handler=True)
def jwt_signature_not_verified(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in UNVERIFIED_CLAIMS:
        flow = _request_token(ctx, call)
        ctx.report(call, f"Authentication bypass: `{name.rsplit('.', 1)[-1]}` returns the token's claims "
                         "without checking its signature; anyone can forge them.",
                   severity=Severity.MEDIUM, precision="medium", flow=flow, evidence="flow" if flow else "")
        return
    if name not in PYJWT_DECODE and name not in JOSE_DECODE:
        return
    options = ctx.kwarg(call, "options")
    verify_signature = ctx.mapping_value(options, "verify_signature") if options is not None else None
    if _is_false(ctx, verify_signature):
        if _after_verified_signature(ctx, call):
            return  # `except jwt.ImmatureSignatureError: claims = decode(token, ..., verify_signature=False)`
        verified = _verified_after(ctx, call)
        if verified:
            ctx.report(call, f"Authentication bypass (review): `{name}` with `verify_signature: False` reads the "
                             f"token's claims unchecked, but only to choose how to verify it: {verified}. Review "
                             "that nothing else trusts the unverified claims.", severity=Severity.LOW,
                       precision="low", evidence="review", properties={"verifiedBy": "decode with a key"})
            return
        flow = _request_token(ctx, call)
        ctx.report(call, f"Authentication bypass: `{name}` with `verify_signature: False` accepts tokens "
                         "with any signature, so anyone can forge them.", flow=flow, evidence="flow" if flow else "")
    elif name in PYJWT_DECODE and _is_false(ctx, ctx.kwarg(call, "verify")):
        flow = _request_token(ctx, call)
        ctx.report(call, f"Authentication bypass: `{name}` with `verify=False` skips the signature check "
                         "on PyJWT 1.x (PyJWT 2 ignores the argument), so anyone can forge the token.",
                   precision="medium", flow=flow, evidence="flow" if flow else "")


# PyJWT's errors about claims, raised only after the signature checked out (jwt.api_jwt decodes and verifies the
# signature first, then the claims): in their handlers the token's signature is known good
CLAIM_ERRORS = frozenset({"ImmatureSignatureError", "ExpiredSignatureError", "InvalidAudienceError",
                          "InvalidIssuerError", "InvalidIssuedAtError", "MissingRequiredClaimError"})


def _after_verified_signature(ctx: PyContext, call: ast.Call) -> bool:
    """The unverified decode sits in a handler of PyJWT's claim errors (CLAIM_ERRORS) whose `try` decodes the same
    token with a key (Firefox Relay §3ad logs the age of a token whose `iat` is in the future): the handler runs only
    for a token whose signature the keyed decode accepted."""
    parents = ctx.module.parents()
    token = ast.unparse(call.args[0]) if call.args else None
    up = parents.get(id(call))
    while up is not None and not isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        if isinstance(up, ast.ExceptHandler) and up.type is not None:
            caught = up.type.elts if isinstance(up.type, ast.Tuple) else [up.type]
            names = {c.attr if isinstance(c, ast.Attribute) else getattr(c, "id", "") for c in caught}
            attempt = parents.get(id(up))
            if token and names and names <= CLAIM_ERRORS and isinstance(attempt, ast.Try) and any(
                    isinstance(n, ast.Call) and _verifies(ctx, n) and n.args and ast.unparse(n.args[0]) == token
                    for stmt in attempt.body for n in ast.walk(stmt)):
                return True
        up = parents.get(id(up))
    return False


def _request_token(ctx: PyContext, call: ast.Call) -> tuple:
    """The flow by which the decoded token is request data (a header, a cookie, a parameter), else (): only a token
    from the request is one an attacker forges (rule review)."""
    return ctx.request_flow(call.args[0] if call.args else ctx.kwarg(call, "jwt") or ctx.kwarg(call, "token"))


def _verifies(ctx: PyContext, call: ast.Call) -> bool:
    """A decode that checks the signature: a key (second argument or `key=`) and no `verify_signature: False`."""
    if ctx.call_name(call) not in PYJWT_DECODE | JOSE_DECODE:
        return False
    options = ctx.kwarg(call, "options")
    if options is not None and _is_false(ctx, ctx.mapping_value(options, "verify_signature")):
        return False
    return len(call.args) > 1 or ctx.kwarg(call, "key") is not None


def _verified_after(ctx: PyContext, call: ast.Call) -> str:
    """How the unverified claims of `call` only serve a verified decode of the same token: they are bound to a name
    (here, or where every call in this module of the function that returns them binds it), and that function
    decodes the same token with a key, returns nothing built from the unverified claims and stores them nowhere
    (the claims pick the issuer or the key, as OpenID Connect's multi-tenant flows do). Else ""."""
    if not call.args:
        return ""
    parents = ctx.module.parents()
    token = ast.unparse(call.args[0])
    up = parents.get(id(call))
    while isinstance(up, (ast.Attribute, ast.Subscript)) or isinstance(up, ast.Call) and isinstance(
            up.func, ast.Attribute) and up.func.attr == "get":
        up = parents.get(id(up))  # `jwt.decode(t, options=...).get("iss")`: one claim of the unverified token
    sites: list[tuple[ast.AST, str]] = []  # (the name's assignment, the token's text there)
    if isinstance(up, ast.Assign):
        sites.append((up, token))
    elif isinstance(up, ast.Return) and ctx.function is not None:
        fn = ctx.function
        args = fn.args  # type: ignore[attr-defined]
        params = [a.arg for a in [*args.posonlyargs, *args.args]]
        if params and params[0] in ("self", "cls"):
            params = params[1:]
        if token not in params:
            return ""
        uses = [n for n in ctx.module.walk() if isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name))
                and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) == fn.name]  # type: ignore[attr-defined]
        for use in uses:
            index = params.index(token)
            if index >= len(use.args) or not isinstance(parents.get(id(use)), ast.Assign):
                return ""
            sites.append((parents.get(id(use)), ast.unparse(use.args[index])))  # type: ignore[arg-type]
    if not sites:
        return ""
    found = ""
    for assign, text in sites:
        if not (len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name)):  # type: ignore[attr-defined]
            return ""
        claims = assign.targets[0].id  # type: ignore[attr-defined]
        scope = parents.get(id(assign))
        while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope = parents.get(id(scope))
        if scope is None:
            return ""
        decodes = [n for n in ast.walk(scope) if isinstance(n, ast.Call) and n.args and ast.unparse(n.args[0]) == text
                   and (_verifies(ctx, n) or _verifying_helper(n)) and _chosen_by(n, assign, claims, scope, parents)]
        if not decodes:
            return ""
        for n in ast.walk(scope):
            leaks = isinstance(n, ast.Return) and n.value is not None and any(
                isinstance(x, ast.Name) and x.id == claims for x in ast.walk(n.value)) and not any(
                d in list(ast.walk(n.value)) for d in decodes)
            stored = isinstance(n, ast.Assign) and any(not isinstance(t, ast.Name) for t in n.targets) and any(
                isinstance(x, ast.Name) and x.id == claims for x in ast.walk(n.value))
            if leaks or stored:
                return ""
        found = found or f"`{getattr(scope, 'name', '?')}` decodes `{text}` again with a key and returns that"
    return found


def _verifying_helper(call: ast.Call) -> bool:
    """A function of the program's named for decoding or verifying a token that is handed the same token and more
    (`decode_jwt(token, node, request)`, Magpie §3z, verifying with the issuing node's key): the claim read without
    checks chose what it verifies with."""
    name = last_identifier(call).lower()
    return len(call.args) + len(call.keywords) >= 2 and ("decode" in name or "verif" in name) \
        and name not in ("decode", "b64decode", "urlsafe_b64decode")


def _chosen_by(decode: ast.Call, assign: ast.AST, claims: str, scope: ast.AST, parents) -> bool:
    """The keyed `decode` runs after the unverified claims are bound by `assign`, on the same path (not in the other
    branch of an `if`/`try` that binds them), and the claims are read on the way to it (they choose the issuer or
    the key): `if verify: claims = decode(t, key) else: claims = decode(t, verify_signature=False)` is no such use."""
    start, end = assign.lineno, decode.lineno  # type: ignore[attr-defined]
    if end <= start or _exclusive(decode, assign, parents):
        return False
    return any(isinstance(n, ast.Name) and n.id == claims and isinstance(n.ctx, ast.Load)
               and start <= n.lineno <= end for n in ast.walk(scope))


def _exclusive(a: ast.AST, b: ast.AST, parents) -> bool:
    """`a` and `b` sit in different arms of one `if` (body and orelse) or `try` (body and a handler)."""
    def arms(node: ast.AST) -> dict[int, int]:
        out, child, up = {}, node, parents.get(id(node))
        while up is not None:
            if isinstance(up, ast.If):
                out[id(up)] = 0 if child in up.body else 1 if child in up.orelse else 2
            elif isinstance(up, ast.Try):
                out[id(up)] = 0 if child in up.body else 1 if child in up.handlers else 2
            child, up = up, parents.get(id(up))
        return out
    ours, theirs = arms(a), arms(b)
    return any(k in theirs and theirs[k] != v and {v, theirs[k]} == {0, 1} for k, v in ours.items())


def _names_none(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "none"
    if isinstance(value, (list, tuple, set)):
        return any(isinstance(v, str) and v.strip().lower() == "none" for v in value)
    return False


@python_check("PY502", ast.Call, raise_in_handler=True)
def jwt_none_algorithm(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in PYJWT_DECODE or name in JOSE_DECODE:
        algorithms = ctx.kwarg(call, "algorithms")
        if algorithms is not None and _names_none(ctx.const(algorithms)):
            ctx.report(call, f"Authentication bypass: `{name}` accepts the `none` algorithm, so an "
                             "unsigned token passes as valid.")
    elif name in SIGN_CALLS:
        algorithm = ctx.kwarg(call, "algorithm")
        if algorithm is None and len(call.args) > 2:
            algorithm = call.args[2]
        if algorithm is not None and _names_none(ctx.const(algorithm)):
            ctx.report(call, f"JWT manipulation: `{name}` issues an unsigned token (`none` "
                             "algorithm) that anyone can alter.")


# --- expiry ---------------------------------------------------------------------------------------------------

def _payload_keys(ctx: PyContext, node: ast.AST | None, depth: int = 0) -> dict[str, ast.AST] | None:
    """The claims of a payload that is a visible dict (a literal, `dict(...)`, or a name bound once to one and
    not changed in ways we cannot follow), as {key: value node}; None when the payload is not visible."""
    if node is None or depth > 4:
        return None
    resolved = ctx.resolve(node)
    keys: dict[str, ast.AST] = {}
    if isinstance(resolved, ast.Dict):
        for k, v in zip(resolved.keys, resolved.values):
            if k is None:  # {**base, ...}
                inner = _payload_keys(ctx, v, depth + 1)
                if inner is None:
                    return None
                keys.update(inner)
                continue
            key = ctx.const(k)
            if not isinstance(key, str):
                return None
            keys[key] = v
    elif isinstance(resolved, ast.Call) and ctx.call_name(resolved) == "dict" and not resolved.args:
        for kw in resolved.keywords:
            if kw.arg is None:
                return None
            keys[kw.arg] = kw.value
    else:
        return None
    if isinstance(node, ast.Name):
        changes = _later_changes(ctx, node.id)
        if changes is None:
            return None
        keys.update(changes)
    return keys


def _later_changes(ctx: PyContext, name: str) -> dict[str, ast.AST] | None:
    """Keys a function adds to the dict bound to `name` (`d["k"] = v`, `d.update(k=v)`); None when the dict
    is changed or handed to other code in a way we cannot follow."""
    scope = ctx.function if ctx.function is not None and name in ctx.module.bindings(ctx.function) else ctx.module.tree
    added: dict[str, ast.AST] = {}
    for node in _walk_scope(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name:
                    key = ctx.const(target.slice)
                    if not isinstance(key, str):
                        return None
                    added[key] = node.value
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == name:
                if func.attr in ("update", "setdefault", "__setitem__", "pop", "clear", "popitem"):
                    if func.attr == "update" and len(node.args) <= 1 and all(kw.arg for kw in node.keywords):
                        # d.update(exp=...) or d.update({"exp": ...}) (the FastAPI tutorial's way)
                        inner = _payload_keys(ctx, node.args[0], 1) if node.args else {}
                        if inner is None:
                            return None
                        added.update(inner)
                        added.update({kw.arg: kw.value for kw in node.keywords})  # type: ignore[misc]
                    elif func.attr in ("setdefault", "__setitem__") and node.args and isinstance(ctx.const(node.args[0]), str) and len(node.args) > 1:
                        added[ctx.const(node.args[0])] = node.args[1]
                    else:
                        return None
            elif ctx.call_name(node) not in ENCODE_CALLS and any(
                isinstance(a, ast.Name) and a.id == name for a in [*node.args, *(kw.value for kw in node.keywords)]
            ):
                return None  # handed to other code that may add the claim
    return added


def _payload_arg(call: ast.Call, ctx: PyContext, name: str) -> ast.AST | None:
    index, keywords = ENCODE_CALLS[name]
    if len(call.args) > index:
        return call.args[index]
    for kw in keywords:
        value = ctx.kwarg(call, kw)
        if value is not None:
            return value
    return None


def _related_payload(ctx: PyContext, payload: ast.AST) -> list[Related]:
    resolved = ctx.resolve(payload)
    if resolved is payload or not hasattr(resolved, "lineno"):
        return []
    return [Related(ctx.location(resolved), "the token's claims")]


@python_check("PY503", ast.Call, ast.Assign, raise_in_handler=True)
def jwt_without_expiry(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if _config_key(ctx, target) in ("JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES") \
                    and ctx.const(node.value) is False:
                ctx.report(node, "JWT manipulation: Flask-JWT-Extended is configured to issue tokens "
                                 "that never expire, so a stolen token works forever.", confirmed=True)
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call)
    if name in FLASK_JWT_TOKENS:
        if ctx.const(ctx.kwarg(call, "expires_delta")) is False:
            ctx.report(call, f"JWT manipulation: `{name.rsplit('.', 1)[-1]}` with `expires_delta=False` "
                             "issues a token that never expires, so a stolen token works forever.", confirmed=True)
        return
    if name not in ENCODE_CALLS:
        return
    payload = _payload_arg(call, ctx, name)
    keys = _payload_keys(ctx, payload)
    if keys is None or "exp" in keys:
        return
    ctx.report(call, f"JWT manipulation: `{name}` issues a token without an `exp` claim, so a stolen "
                     "token stays valid forever.", related=_related_payload(ctx, payload))


def _config_key(ctx: PyContext, target: ast.AST) -> str | None:
    """`JWT_X = ...` at module level (a config object or settings module) or `app.config["JWT_X"] = ...`."""
    if isinstance(target, ast.Name) and ctx.function is None:
        return target.id
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) and target.value.attr == "config":
        key = ctx.const(target.slice)
        return key if isinstance(key, str) else None
    return None


def _timedelta_seconds(ctx: PyContext, node: ast.AST | None) -> float | None:
    node = ctx.resolve(node)
    if not isinstance(node, ast.Call) or ctx.call_name(node) not in TIMEDELTA:
        return None
    total = 0.0
    pairs = list(zip(TIMEDELTA_ARGS, node.args)) + [(kw.arg, kw.value) for kw in node.keywords]
    for arg, value in pairs:
        if arg not in TIMEDELTA_SECONDS:
            return None
        number = ctx.const(value)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return None
        total += number * TIMEDELTA_SECONDS[arg]
    return total


def _is_now(ctx: PyContext, node: ast.AST) -> bool:
    node = _strip_conversions(ctx, ctx.resolve(node))
    return isinstance(node, ast.Call) and ctx.call_name(node) in NOW_CALLS


def _strip_conversions(ctx: PyContext, node: ast.AST | None) -> ast.AST | None:
    """int(x), round(x), x.timestamp(), calendar.timegm(x.utctimetuple()) -> x"""
    for _ in range(4):
        if isinstance(node, ast.Call) and ctx.call_name(node) in ("int", "round", "math.floor", "calendar.timegm") and node.args:
            node = node.args[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
                and node.func.attr in ("timestamp", "utctimetuple", "timetuple"):
            node = node.func.value
        else:
            break
    return node


def _lifetime(ctx: PyContext, exp: ast.AST) -> float | None:
    """Seconds from now until `exp` (`now + timedelta(...)` or `time.time() + N`), when statically visible."""
    node = _strip_conversions(ctx, ctx.resolve(exp))
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    for now, delta in ((node.left, node.right), (node.right, node.left)):
        if _is_now(ctx, now):
            seconds = _timedelta_seconds(ctx, delta)
            if seconds is None:
                number = ctx.const(delta)
                if isinstance(number, (int, float)) and not isinstance(number, bool):
                    seconds = float(number)
            return seconds
    return None


def _describe(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds / 3600:g} hours"


@python_check("PY504", ast.Call, ast.Assign, raise_in_handler=False)
def jwt_long_expiry(node: ast.AST, ctx: PyContext) -> None:
    limit = jwt_max_lifetime(ctx).total_seconds()
    policy = f"the threat model's limit of {_describe(limit)}"
    if isinstance(node, ast.Assign):
        if any(_config_key(ctx, t) == "JWT_ACCESS_TOKEN_EXPIRES" for t in node.targets):
            seconds = _timedelta_seconds(ctx, node.value)
            if seconds is not None and seconds > limit:
                ctx.report(node, f"JWT manipulation: access tokens live {_describe(seconds)}, longer "
                                 f"than {policy}.")
        elif any(_config_key(ctx, t) == "SIMPLE_JWT" for t in node.targets):
            value = ctx.mapping_value(node.value, "ACCESS_TOKEN_LIFETIME")
            seconds = _timedelta_seconds(ctx, value)
            if value is not None and seconds is not None and seconds > limit:
                ctx.report(value, f"JWT manipulation: SIMPLE_JWT access tokens live "
                                  f"{_describe(seconds)}, longer than {policy}.")
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call)
    if FLASK_JWT_TOKENS.get(name or "") == "access":
        seconds = _timedelta_seconds(ctx, ctx.kwarg(call, "expires_delta"))
        if seconds is not None and seconds > limit:
            ctx.report(call, f"JWT manipulation: the access token lives {_describe(seconds)}, longer "
                             f"than {policy}.")
        return
    if name not in ENCODE_CALLS:
        return
    keys = _payload_keys(ctx, _payload_arg(call, ctx, name))
    exp = (keys or {}).get("exp")
    if exp is None:
        return
    seconds = _lifetime(ctx, exp)
    if seconds is not None and seconds > limit:
        ctx.report(exp, f"JWT manipulation: `{name}` issues a token valid for {_describe(seconds)}, "
                          f"longer than {policy}.")



class ExpiryRead:
    """Where the module reads a token's `exp` claim itself (`payload["exp"]`, `payload.get("exp")`, `claims.exp`),
    as code that decodes with `verify_exp: False` and then checks the expiry on its own path does; "" when it
    does not (PyModule.derived)."""

    def __init__(self, module: Any):
        self.found = ""
        if "exp" not in module.file.text():
            return
        for node in ast.walk(module.tree):
            read = ((isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "exp")
                    or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                        and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "exp")
                    or (isinstance(node, ast.Attribute) and node.attr == "exp" and isinstance(node.ctx, ast.Load)))
            if read and not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)):
                self.found = f"line {node.lineno}"
                return


@python_check("PY511", ast.Call, raise_in_handler=True)
def jwt_expiry_not_verified(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in PYJWT_DECODE and name not in JOSE_DECODE:
        return
    options = ctx.kwarg(call, "options")
    if options is not None and _is_false(ctx, ctx.mapping_value(options, "verify_signature")):
        return  # PY501: nothing is verified at all
    if options is not None and _is_false(ctx, ctx.mapping_value(options, "verify_exp")):
        message = f"JWT manipulation: `{name}` with `verify_exp: False` accepts expired tokens, so a stolen token works forever."
        read = ctx.module.derived(ExpiryRead).found
        if read:
            ctx.report(call, f"{message} (Review: this module reads the `exp` claim itself ({read}): "
                             "make sure every path that accepts the token compares it with the current time.)",
                       severity=Severity.LOW, precision="low", evidence="review",
                       properties={"severityIfUnchecked": Severity.MEDIUM.label})
            return
        flow = _request_token(ctx, call)
        ctx.report(call, message, flow=flow, evidence="flow" if flow else "")
        return
    leeway = ctx.kwarg(call, "leeway")
    seconds = _timedelta_seconds(ctx, leeway)
    if seconds is None:
        number = ctx.const(leeway)
        seconds = float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
    limit = jwt_max_lifetime(ctx).total_seconds()
    if seconds is not None and seconds > limit:
        flow = _request_token(ctx, call)
        ctx.report(call, f"JWT manipulation: `{name}` accepts tokens up to {_describe(seconds)} after "
                         f"they expire, longer than the threat model's limit of {_describe(limit)} for a whole token.",
                   flow=flow, evidence="flow" if flow else "")
