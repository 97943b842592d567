"""Transport security: TLS certificate and hostname checks switched off, and plain http:// (or ws://) URLs to hosts
that are not local (rules PY505-PY507)."""

from __future__ import annotations

import ast
import functools
import ipaddress
import re
from urllib.parse import urlsplit

from ....model import Severity
from ....secrets import redact_line, split_words
from ..context import UNKNOWN, PyContext
from ..registry import python_check
from . import _http_evidence as http_evidence
from ._web import is_test_path, last_identifier, leading_text

HTTP_MODULES = ("requests.", "httpx.", "aiohttp.", "urllib3.", "boto3.", "botocore.", "aiobotocore.", "hvac.")
# Methods of clients and sessions whose objects we cannot resolve (`session.get(..., verify=False)`).
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
                          "ws_connect", "client", "resource"})
UNVERIFIED_CONTEXTS = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
UNVERIFIED_NAMES = frozenset(n.rsplit(".", 1)[-1] for n in UNVERIFIED_CONTEXTS)
CERT_NONE = frozenset({"ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"})

APIGW = "Insecure API communications"


def _known_false(ctx: PyContext, node: ast.AST | None) -> bool:
    """False, 0 or "" (None means "the default", which verifies)."""
    if node is None:
        return False
    value = ctx.const(node)
    return value is not UNKNOWN and value is not None and not value


def _is_http_call(ctx: PyContext, call: ast.Call) -> bool:
    name = ctx.call_name(call) or ""
    if name.startswith(HTTP_MODULES):
        return True
    return isinstance(call.func, ast.Attribute) and call.func.attr in HTTP_METHODS


def _is_session(ctx: PyContext, node: ast.AST) -> bool:
    """`requests.Session()` / `httpx.Client()` objects, or something named like a session."""
    resolved = ctx.resolve(node)
    if isinstance(resolved, ast.Call):
        name = ctx.call_name(resolved) or ""
        if name.startswith(HTTP_MODULES):
            return True
    return "session" in last_identifier(node).lower()


# A switch the caller sets (`if not validate_certs:`, `if self.insecure:`, `if conf.get("verify_ssl") is False:`):
# verification is off only when someone asks for it. Still worth a look (is the switch reachable in production?),
# but not the high finding a literal `verify=False` on every request is.
SWITCH_WORDS = frozenset({"verify", "verified", "verification", "validate", "validation", "insecure", "unverified",
                          "cert", "certs", "certificate", "certificates", "unsafe"})
# `use_ssl` only says whether TLS is used at all (then verification is off whenever it is): with `ssl`/`tls` the
# name must also say it skips checks (`ignore_ssl_errors`, `no_tls_check`).
TLS_WORDS = frozenset({"ssl", "tls", "https"})
SKIP_WORDS = frozenset({"ignore", "skip", "check", "no", "disable", "disabled", "allow", "strict", "errors"})


def _switch_names(ctx: PyContext, test: ast.AST) -> list[str]:
    """The TLS-switch-like names a condition reads, when it reads no constant-only value."""
    found = []
    for node in ast.walk(test):
        name = ""
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = last_identifier(node)
        elif isinstance(node, ast.Subscript) and isinstance(ctx.const(node.slice), str):
            name = ctx.const(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args and isinstance(ctx.const(node.args[0]), str):
            name = ctx.const(node.args[0])
        words = set(split_words(name)) if name else set()
        if words & SWITCH_WORDS or (words & TLS_WORDS and words & SKIP_WORDS):
            found.append(name)
    return found


def _named_option(ctx: PyContext, test: ast.AST) -> str | None:
    """`name == "nosslcheck"` (xhtml2pdf §3x's `--http_nosslcheck`): an option the user names on the command line or
    in a setting, its words run together, that turns certificate checks off; where the test holds, the user asked."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.In))):
        return None
    option = ctx.const(test.comparators[0])
    squashed = re.sub(r"[^a-z]", "", option.lower()) if isinstance(option, str) else ""
    if any(w in squashed for w in ("ssl", "tls", "cert", "verif")) and (
            squashed.startswith("no") or any(w in squashed for w in ("skip", "insecure", "disable", "ignore"))):
        return option
    return None


def _opt_in_switch(ctx: PyContext, node: ast.AST, callers: bool = True) -> str | None:
    """The switch a TLS setting depends on: an `if` (or `x if c else y`) around `node`, inside its function, whose
    condition reads a TLS-like setting that is not a constant, or a value chosen by `x if c else y` on a user-facing
    option (a parameter of the function, an attribute or key of `self` or a configuration object); else, when every call of the enclosing function in this module
    sits behind such a switch (`elif cfg.check_ssl_certificate: ... else: make_unverified_context()`), that switch."""
    parents = ctx.module.parents()
    restored = _restored_later(ctx, node)
    if restored:
        return restored
    alternative = _insecure_alternative(ctx, node)
    if alternative:
        return alternative
    child, current = node, parents.get(id(node))
    option = None
    while current is not None and not isinstance(current, ast.Module):
        guard = _early_exit_switch(ctx, current, child)
        if guard:
            return guard
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            break
        if isinstance(current, ast.If) and child is not current.test and ctx.const(current.test) is not UNKNOWN:
            shipped = ctx.const(current.test)
            in_body = any(child is stmt for stmt in current.body)
            if in_body != bool(shipped):  # `verifyssl = True` ... `if not verifyssl:`: off only if someone edits it
                names = [n.id for n in ast.walk(current.test) if isinstance(n, ast.Name)]
                if names:
                    return names[0]
        if isinstance(current, (ast.If, ast.IfExp)) and child is not current.test \
                and ctx.const(current.test) is UNKNOWN:
            if not _truthy_side(current, child) and _names_ca_bundle(ctx, current.test):
                # `if self.ca_certs: ... CERT_REQUIRED else: ... CERT_NONE`: unverified unless someone configures
                # a CA bundle, an insecure default rather than a switch anyone turns on
                child, current = current, parents.get(id(current))
                continue
            names = _switch_names(ctx, current.test)
            if names:
                return names[0]
            named = _named_option(ctx, current.test) if _truthy_side(current, child) else None
            if named:
                return named
            if isinstance(current, ast.IfExp) or _branches_set_the_same(current, child) and (
                    _truthy_side(current, child) or _function_named_for_switch(ctx, current)):
                # the value itself is chosen by the caller's option (`x if opt else y`; `if opt: ctx.x = A else:
                # ctx.x = B`, with the weak value on the side the option turns on, or in a function named for the
                # switch: `def set_https_verification(value): if value: ... else: unverified`)
                option = option or _user_option(ctx, current.test, current)
        child, current = current, parents.get(id(current))
    if option:
        return option
    if callers and isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _callers_switch(ctx, current)
    return None


def _class_of(ctx: PyContext, node: ast.AST) -> ast.ClassDef | None:
    """The class whose body, at any depth, holds `node`."""
    parents = ctx.module.parents()
    current = parents.get(id(node))
    while current is not None and not isinstance(current, ast.ClassDef):
        current = parents.get(id(current))
    return current


INSECURE_CLASS_WORDS = frozenset({"insecure", "unverified", "unsafe", "noverify", "noverification", "nocheck"})


def _insecure_alternative(ctx: PyContext, node: ast.AST) -> str | None:
    """The class around `node` when its name says it is the unverified variant (`NoVerificationSMTPBackend`,
    `InsecureHTTPAdapter`, `UnverifiedTransport`) and no Python file of the repository names it but where it is
    defined (tests aside): an alternative the operator picks by name in the configuration (Django's `EMAIL_BACKEND = "..."`), not
    what the code runs. A class the code itself uses (`session.mount("https://", InsecureAdapter())`) is no switch."""
    current = _class_of(ctx, node)
    if current is None:
        return None
    words = split_words(current.name)
    joined = {a + b for a, b in zip(words, words[1:])}
    if not (set(words) | joined) & INSECURE_CLASS_WORDS:
        return None
    name = current.name
    here = ctx.file.text()
    if here.count(name) > 1:
        return None  # used (or named again) in its own module
    needle = name.encode()
    for rel, other in ctx.scan.facts.python_files.items() if ctx.scan is not None else ():
        if rel == ctx.file.rel or is_test_path(rel):
            continue  # (a test that exercises it is no use by the program)
        loaded = other.loaded
        try:
            found = other.mentions(needle)  # (what discovery noted, else the bytes, read here and let go)
        except OSError:
            found = False
        finally:
            if not loaded:
                other.release()
        if found:
            return None
    return name  # (the message: "Only when `NoVerificationSMTPBackend` asks for it")


def _later_in_block(ctx: PyContext, stmt: ast.stmt) -> list[ast.stmt]:
    """The statements after `stmt` in the block that holds it (a body, an else, a finally); [] when none is found."""
    block = ctx.module.parents().get(id(stmt))
    body = next((b for b in (getattr(block, f, None) for f in ("body", "orelse", "finalbody"))
                 if isinstance(b, list) and stmt in b), None)
    return body[body.index(stmt) + 1:] if body is not None else []


def _restored_later(ctx: PyContext, node: ast.AST) -> str | None:
    """The option that turns the check back on just after `node`'s statement set it off: `ctx.verify_mode =
    CERT_NONE` followed, in the same block, by `if mode in VERIFY_MODES: ctx.verify_mode = CERT_REQUIRED` on a
    parameter or setting (a table of modes the operator picks from, as libpq's `sslmode=require` means encryption
    without verification). None when nothing later in the block restores the same attribute."""
    parents = ctx.module.parents()
    stmt = node
    while stmt is not None and not isinstance(stmt, ast.stmt):
        stmt = parents.get(id(stmt))
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Attribute):
        return None
    target = ast.unparse(stmt.targets[0])
    for later in _later_in_block(ctx, stmt):
        if not isinstance(later, ast.If) or ctx.const(later.test) is not UNKNOWN:
            continue
        restores = any(isinstance(sub, ast.Assign) and any(ast.unparse(t) == target for t in sub.targets)
                       and (ctx.qualname(sub.value) in VERIFYING_MODES or ctx.const(sub.value) is True)
                       for inner in later.body for sub in ast.walk(inner))
        option = restores and (next(iter(_switch_names(ctx, later.test)), None) or _user_option(ctx, later.test, later))
        if option:
            return option
    return None


def _truthy_side(node: ast.AST, child: ast.AST) -> bool:
    """Whether `child` runs when the condition of `node` (an `if` or `x if c else y`) is true (`if not c:` flips)."""
    negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)  # type: ignore[attr-defined]
    in_body = child in node.body if isinstance(node, ast.If) else child is node.body  # type: ignore[attr-defined]
    return in_body != negated


CA_WORDS = frozenset({"ca", "cafile", "capath", "cadata", "cacert", "cacerts", "cabundle", "bundle", "truststore"})


def _names_ca_bundle(ctx: PyContext, test: ast.AST) -> bool:
    """A condition about a CA bundle being configured (`self.ca_certs`, `cfg.get("smtpCACerts")`, `cafile`)."""
    for sub in ast.walk(test):
        name = ""
        if isinstance(sub, (ast.Name, ast.Attribute)):
            name = last_identifier(sub)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            name = sub.value
        lowered = name.lower()
        if set(split_words(name)) & CA_WORDS or any(w in lowered for w in ("cacert", "cafile", "capath", "ca_cert")):
            return True
    return False


def _function_named_for_switch(ctx: PyContext, node: ast.AST) -> bool:
    """The enclosing function's name says it switches verification (`set_https_verification`, `use_insecure_tls`)."""
    parents = ctx.module.parents()
    fn = parents.get(id(node))
    while fn is not None and not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        fn = parents.get(id(fn))
    words = set(split_words(getattr(fn, "name", "")))
    return bool(words & SWITCH_WORDS or words & TLS_WORDS and words & SKIP_WORDS)


# What makes a TLS setting weak, as source text: the other branch of a switch must have none of it.
INSECURE_TEXT = re.compile(r"verify(?:_ssl|_certs)?\s*=\s*(?:False|0)\b|CERT_NONE|_create_unverified_context|"
                           r"check_hostname\s*=\s*False|MINIMUM_SUPPORTED|\bTLSv1(?:_1)?\b|SSLv[23]|ssl\s*=\s*False")


def _assignments(stmts: list[ast.stmt]) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}
    for stmt in stmts:
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                for t in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                    found.setdefault(ast.unparse(t), []).append(sub)
    return found


def _branches_set_the_same(node: ast.AST, child: ast.AST) -> bool:
    """An `if` whose two branches assign the same target, the one holding `child` and the other a value with
    nothing weak in it: the condition chooses between a weak and a sound setting (`if verify: ... =
    create_default_context else: ... = _create_unverified_context`)."""
    if not isinstance(node, ast.If) or not node.orelse or child is node.test:
        return False
    here, other = (node.body, node.orelse) if child in node.body else (node.orelse, node.body)
    mine, theirs = _assignments(here), _assignments(other)
    common = set(mine) & set(theirs)
    return bool(common) and not any(INSECURE_TEXT.search(ast.unparse(a)) for t in common for a in theirs[t])


def opt_in_switch(ctx: PyContext, node: ast.AST) -> str | None:
    """The user's switch (a setting, an option, a parameter) that a TLS setting at `node` depends on, else None
    (see _opt_in_switch; PY514 asks it for protocol versions too)."""
    return _opt_in_switch(ctx, node)


def _early_exit_switch(ctx: PyContext, block: ast.AST, child: ast.AST) -> str | None:
    """A switch that an earlier statement of the same block tests and leaves on (`if cfg.check_certificate:
    return verified_context()`): reaching `child` means the switch asked for no check."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(block, name, None)
        if not isinstance(body, list) or child not in body:
            continue
        for stmt in reversed(body[: body.index(child)]):  # the nearest guard first
            if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], (ast.Return, ast.Raise)) \
                    and ctx.const(stmt.test) is UNKNOWN:
                names = _switch_names(ctx, stmt.test)
                if names:
                    return names[0]
    return None


def _user_option(ctx: PyContext, test: ast.AST, where: ast.AST, depth: int = 0) -> str | None:
    """The first user-facing option a condition reads: a parameter of the enclosing function, or an attribute or a
    string key of an object that is not an imported module (`self.insecure`, `cfg.check`, `opts["k"]`), also through
    a local name bound once to one (`ssl_mode = self.ssl_mode.lower()`); not `sys.platform` or a module's constant."""
    fn = where
    parents = ctx.module.parents()
    while fn is not None and not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        fn = parents.get(id(fn))
    params = set()
    if fn is not None:
        a = fn.args  # type: ignore[attr-defined]
        params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]} - {"self", "cls"}
    # `.lower` of `x.lower()`: a string method, not the option (the receiver is)
    methods = {id(n.func) for n in ast.walk(test) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in _STRING_METHODS}
    for sub in ast.walk(test):
        if id(sub) in methods:
            continue
        if isinstance(sub, ast.Name) and sub.id in params and _option_name(sub.id):
            return sub.id
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and depth < 2 and fn is not None \
                and sub.id not in params and _option_name(sub.id):
            bound = ctx.module.value_of(sub.id, fn)
            if isinstance(bound, ast.expr) and _user_option(ctx, bound, where, depth + 1):
                return sub.id  # (named as the code names it: `ssl_mode`, `wanted`)
        if isinstance(sub, (ast.Attribute, ast.Subscript)):
            root = sub.value
            while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                root = root.func if isinstance(root, ast.Call) else root.value
            leaf = last_identifier(sub) if isinstance(sub, ast.Attribute) else str(ctx.const(sub.slice))
            chain = [n.attr for n in ast.walk(sub) if isinstance(n, ast.Attribute) and n is not sub]
            if isinstance(root, ast.Name) and _option_name(leaf) and (
                    root.id in params or root.id in ("self", "cls") or set(split_words(root.id)) & CONFIG_ROOTS
                    or any(set(split_words(part)) & CONFIG_ROOTS for part in chain)):
                text = ast.unparse(sub)
                return text if len(text) <= 60 else text[:57] + "..."
    return None


_STRING_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip"})
# Objects that hold a program's options: `cfg.x`, `self.options["x"]`, `args.x`, `settings.X`.
CONFIG_ROOTS = frozenset({"cfg", "conf", "config", "configuration", "settings", "options", "opts", "args", "params",
                          "kwargs", "flags", "env", "environ", "preferences", "prefs"})
# Saying only that TLS is used (`if use_ssl:`, `if self.https:`) is not asking for it to be unchecked.
TLS_ONLY_WORDS = TLS_WORDS | {"use", "secure", "enabled", "enable", "is", "on", "with"}


# A question about something else (`if self.is_url():`, `has_proxy`) is no option for certificate checks unless it
# names them (`is_insecure`, `has_verify`).
_QUESTION_WORDS = frozenset({"is", "has", "can"})
_VERIFY_WORDS = SKIP_WORDS | TLS_WORDS | frozenset({"verify", "verification", "verified", "insecure", "unverified",
                                                    "cert", "certs", "certificate", "certificates", "validate",
                                                    "validation", "trust", "unsafe", "secure"})


def _option_name(name: str) -> bool:
    parts = split_words(name or "")
    words = set(parts)
    if parts[:1] and parts[0] in _QUESTION_WORDS and not words & _VERIFY_WORDS:
        return False
    return bool(words) and not words <= TLS_ONLY_WORDS


def _callers_switch(ctx: PyContext, fn: ast.AST) -> str | None:
    """The switch every call of `fn` (by its name, as `fn(...)`, `self.fn(...)`, `Cls.fn(...)`) in this module sits
    behind, when there is at least one call and each has one."""
    name = getattr(fn, "name", "")
    memo = ctx.memo.setdefault("PY505-callers-switch", {})
    if name in memo:
        return memo[name]
    memo[name] = None  # (recursion guard)
    switch = None
    calls = [n for n in ctx.module.walk() if isinstance(n, ast.Call) and last_identifier(n.func) == name
             and not isinstance(n.func, ast.Call)]
    for call in calls:
        found = _opt_in_switch(ctx, call, callers=False)
        if found is None:
            switch = None
            break
        switch = switch or found
    memo[name] = switch
    return switch


# Reading the peer's certificate (to report its expiry, to pin it) is what an unverified handshake is for; sending
# or authenticating over the connection is not.
CERT_READS = frozenset({"getpeercert", "get_peer_certificate", "get_peer_cert_chain", "get_unverified_chain"})
SENDS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile", "write", "writelines", "request", "urlopen",
                   "post", "put", "patch", "bind", "simple_bind_s", "bind_s", "search", "search_s", "login",
                   "authenticate", "auth", "execute", "query", "starttls_and_login", "makefile", "recv", "read"})


def _certificate_probe(ctx: PyContext) -> str | None:
    """The certificate read of the enclosing function (`ssock.getpeercert(binary_form=True)`) when it reads the
    peer's certificate and neither sends, receives nor authenticates over any connection: a certificate probe."""
    fn = ctx.function
    if fn is None:
        return None
    memo = ctx.memo.setdefault("PY505-probe", {})
    if id(fn) not in memo:
        reads = sends = None
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                if sub.func.attr in CERT_READS:
                    reads = reads or sub.func.attr
                elif sub.func.attr in SENDS:
                    sends = sub.func.attr
        memo[id(fn)] = (fn, reads if reads and not sends else None)
    return memo[id(fn)][1]


def _report(ctx: PyContext, node: ast.AST, message: str) -> None:
    probe = None if isinstance(node, ast.Call) and _is_http_call(ctx, node) else _certificate_probe(ctx)
    if probe:
        ctx.report(node, f"{message} Here the connection only reads the peer's certificate (`{probe}`) and sends "
                         "nothing over it: a certificate probe (expiry, fingerprint) needs the checks off. Review that "
                         "nothing it returns is trusted as verified.", severity=Severity.LOW)
        return
    switch = _opt_in_switch(ctx, node)
    if switch is None:
        ctx.report(node, message)
    else:
        ctx.report(node, f"{message} Only when `{switch}` asks for it (an opt-in switch): make sure it cannot be "
                         "turned on in production.", severity=Severity.LOW,
                   properties={"optInSwitch": switch})



@python_check("PY505", ast.Call, ast.Assign, ast.AnnAssign, ast.Dict, ast.Attribute, raise_in_handler=True)
def tls_verification_disabled(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Attribute):  # the most frequent node: a string test first
        if node.attr in UNVERIFIED_NAMES and isinstance(node.ctx, ast.Load):
            _unverified_context(ctx, node)
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in UNVERIFIED_NAMES:
            _unverified_context(ctx, node.func)  # from ssl import _create_unverified_context
        else:
            _tls_call(node, ctx)
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in ("verify", "verify_ssl", "verify_certs") \
                    and _known_false(ctx, node.value):
                if target.attr == "verify" and _is_session(ctx, target.value):
                    _report(ctx, node, f"{APIGW}: the session's `verify = False` turns off certificate checks for "
                                       "every request it sends.")
                elif target.attr in ("verify_ssl", "verify_certs"):
                    _report(ctx, node, f"{APIGW}: `{target.attr} = False` turns off certificate checks.")
        if node.value is not None and _is_cert_none_ref(node.value) and not any(
                isinstance(t, ast.Attribute) and _server_context(ctx, t.value) for t in targets) \
                and not _only_client_cert_mode(ctx, targets):
            _cert_none(ctx, node.value)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            _cert_none(ctx, value)
            if key is not None and ctx.const(key) == "cert_reqs" and _is_cert_none_name(ctx.const(value)):
                _report(ctx, value, f"{APIGW}: `cert_reqs` of `CERT_NONE` accepts any certificate.")


def _unverified_context(ctx: PyContext, node: ast.AST) -> None:
    if ctx.qualname(node) not in UNVERIFIED_CONTEXTS:
        return
    call = ctx.module.parents().get(id(node))
    cert_reqs = ctx.kwarg(call, "cert_reqs") if isinstance(call, ast.Call) and call.func is node else None
    if cert_reqs is not None and not _is_cert_none_ref(cert_reqs) and ctx.const(cert_reqs) is UNKNOWN:
        # `_create_unverified_context(cert_reqs=cert_reqs)`: the caller's value decides whether certificates are
        # checked (the host name is not: PY506's question)
        ctx.report(node, f"{APIGW}: `{ctx.qualname(node)}` takes its certificate check from `{ast.unparse(cert_reqs)}`, "
                         "a value this code does not fix: certificates go unchecked only when that value is "
                         "`CERT_NONE`. Make sure nothing in production sets it so.", severity=Severity.LOW,
                   properties={"optInSwitch": ast.unparse(cert_reqs)[:60]})
        return
    if isinstance(call, ast.Call) and _verify_mode_set_after(ctx, call):
        return  # `ctx = _create_unverified_context(cafile=ca)` then `ctx.verify_mode = CERT_REQUIRED`: checked
    _report(ctx, node, f"{APIGW}: `{ctx.qualname(node)}` makes an SSL context that checks neither the certificate "
                       "nor the host name.")


def _verify_mode_set_after(ctx: PyContext, call: ast.Call) -> bool:
    """`context = ssl._create_unverified_context(...)` followed, in the same block and unconditionally, by
    `context.verify_mode = ssl.CERT_REQUIRED` (or OPTIONAL): the context checks certificates after all (the host name
    is PY506's question)."""
    parents = ctx.module.parents()
    stmt = parents.get(id(call))
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 \
            or not isinstance(stmt.targets[0], (ast.Name, ast.Attribute)):
        return False
    target = ast.unparse(stmt.targets[0])
    return any(isinstance(later, ast.Assign) and ctx.qualname(later.value) in VERIFYING_MODES
               and any(isinstance(t, ast.Attribute) and t.attr == "verify_mode" and ast.unparse(t.value) == target
                       for t in later.targets)
               for later in _later_in_block(ctx, stmt))


def _server_context(ctx: PyContext, node: ast.AST) -> bool:
    """An SSL context for the server side (`SSLContext(PROTOCOL_TLS_SERVER)`,
    `create_default_context(Purpose.CLIENT_AUTH)`, or one the function only wraps with `server_side=True`: a
    honeypot's emulated server, heralding §3w): there CERT_NONE only means "no client certificates", and no host
    name is checked."""
    if _wrapped_server_side(ctx, node):
        return True
    made = ctx.resolve(node)
    if not isinstance(made, ast.Call):
        return False
    args = [ctx.qualname(a) or "" for a in [*made.args, *(kw.value for kw in made.keywords)]]
    name = ctx.call_name(made)
    return (name == "ssl.SSLContext" and "ssl.PROTOCOL_TLS_SERVER" in args) or (
        name == "ssl.create_default_context" and "ssl.Purpose.CLIENT_AUTH" in args)


def _wrapped_server_side(ctx: PyContext, node: ast.AST) -> bool:
    """Every `wrap_socket`/`wrap_bio` of the context `node` (a name) in the enclosing function passes
    `server_side=True`, and there is at least one."""
    fn = ctx.function
    if not isinstance(node, ast.Name) or fn is None:
        return False
    wraps = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in ("wrap_socket", "wrap_bio") and isinstance(n.func.value, ast.Name)
             and n.func.value.id == node.id]
    uses = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, ast.Load)
            and not any(w.func.value is n for w in wraps)]
    return bool(wraps) and all(ctx.truthy(ctx.kwarg(w, "server_side")) for w in wraps) \
        and all(isinstance(ctx.module.parents().get(id(u)), ast.Attribute) for u in uses)


# Keywords of a server's settings that say whether clients must present certificates (uvicorn's `ssl_cert_reqs`):
# CERT_NONE there asks no client certificate; the server's own certificate is what clients check
SERVER_CLIENT_CERT_MODES = frozenset({"ssl_cert_reqs"})


def _only_client_cert_mode(ctx: PyContext, targets: list[ast.AST]) -> bool:
    """`ssl_cert_reqs: int = ssl.CERT_NONE` whose every read in the function (or module) is a server's client
    certificate mode (`uvicorn.run(app, ssl_cert_reqs=ssl_cert_reqs)`, Karapace §3ab)."""
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    if len(names) != 1 or len(targets) != 1:
        return False
    name = names.pop()
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    parents = ctx.module.parents()
    reads = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    return bool(reads) and all(isinstance(parents.get(id(n)), ast.keyword)
                               and parents[id(n)].arg in SERVER_CLIENT_CERT_MODES for n in reads)


def _is_cert_none_name(value: object) -> bool:
    return isinstance(value, str) and value.upper() in ("CERT_NONE", "NONE")


def _is_cert_none_ref(value: ast.AST) -> bool:
    return isinstance(value, ast.Attribute) and value.attr == "CERT_NONE" or isinstance(value, ast.Name) \
        and value.id == "CERT_NONE"


VERIFYING_MODES = frozenset({"ssl.CERT_REQUIRED", "ssl.CERT_OPTIONAL", "ssl.VerifyMode.CERT_REQUIRED",
                             "ssl.VerifyMode.CERT_OPTIONAL"})


def _cert_none(ctx: PyContext, value: ast.AST) -> None:
    if _is_cert_none_ref(value):
        up = ctx.module.parents().get(id(value))
        if isinstance(up, ast.Dict) and any(ctx.qualname(v) in VERIFYING_MODES for v in up.values
                                            if isinstance(v, (ast.Name, ast.Attribute))) \
                and ctx.qualname(value) in CERT_NONE:
            ctx.report(value, f"{APIGW}: `ssl.CERT_NONE` is one entry of a table of verification levels (beside "
                              "`CERT_REQUIRED`) that a setting picks from: certificates go unchecked only when the "
                              "configuration asks for it. Make sure production cannot select it.",
                       severity=Severity.LOW)
            return
        if ctx.qualname(value) in CERT_NONE:
            _report(ctx, value, f"{APIGW}: `ssl.CERT_NONE` accepts any certificate, so anyone on the path can read "
                                "and alter the traffic.")


TLS_KEYWORDS = frozenset({"verify", "ssl", "verify_ssl", "verify_certs", "cert_reqs", "server_side", None})


def _tls_call(call: ast.Call, ctx: PyContext) -> None:
    # Most calls have nothing to do with TLS: decide that from the syntax alone before resolving any name.
    if not (any(kw.arg in TLS_KEYWORDS for kw in call.keywords) or last_identifier(call.func) == "wrap_socket"
            or any(_is_cert_none_ref(a) for a in [*call.args, *(kw.value for kw in call.keywords)])):
        return
    name = ctx.call_name(call) or ""
    if ctx.truthy(ctx.kwarg(call, "server_side")):
        return  # a server that asks no client certificate: not a verification switched off
    if last_identifier(call.func).lower().startswith("assert"):
        return  # `assertEqual(context.verify_mode, ssl.CERT_NONE)`: a comparison, no setting
    for arg in [*call.args, *(kw.value for kw in call.keywords if kw.arg and kw.arg not in SERVER_CLIENT_CERT_MODES)]:
        _cert_none(ctx, arg)
    if _is_http_call(ctx, call):
        if _known_false(ctx, ctx.kwarg(call, "verify")):
            if _bare_head(call):
                ctx.report(call, f"{APIGW}: `{_display(call, name)}` with `verify=False` accepts any certificate. "
                                 "(Review: a HEAD request that sends no credential, cookie, header or body: only the "
                                 "status comes back, so a forger can at most fake that a URL exists; check what the "
                                 "code decides from it.)", severity=Severity.LOW, precision="low", evidence="review",
                           properties={"severityIfSent": Severity.HIGH.label})
                return
            cleartext, local = _fixed_destination(ctx, call)
            if cleartext:  # `requests.get("http://...", verify=False)`: no TLS at all, nothing to verify
                evidence = "" if local else (http_evidence.sent(ctx, call, None) or http_evidence.trusted(ctx, call)
                                             or _credentialed_instance(ctx, call))
                if evidence:  # (bunkerweb's retry over http:// with the API token)
                    ctx.report(call, f"{APIGW}: `{_display(call, name)}` sends its request over plain `http://` "
                                     f"(`verify=False` changes nothing there: there is no TLS at all), and {evidence}: "
                                     "anyone on the path can read and alter the traffic.")
                return
            if local:
                ctx.report(call, f"{APIGW}: `{_display(call, name)}` with `verify=False` accepts any certificate. "
                                 f"(Review: the request goes to {local}, so no one on a network path sits between "
                                 "the two ends; check that the address cannot be configured to another host.)",
                           severity=Severity.LOW, precision="low", evidence="review",
                           properties={"severityIfRemote": Severity.HIGH.label})
                return
            if not _one_request(ctx, call):  # a client or a resource made without checks: every request it sends
                _report(ctx, call, f"{APIGW}: `{_display(call, name)}` with `verify=False` accepts any certificate, so "
                                   "anyone on the path can read and alter the traffic.")
                return
            evidence = http_evidence.sent(ctx, call, None) or http_evidence.trusted(ctx, call) \
                or _credentialed_instance(ctx, call)
            if evidence:
                _report(ctx, call, f"{APIGW}: `{_display(call, name)}` with `verify=False` accepts any certificate, "
                                   f"and {evidence}: anyone on the path can read and alter the traffic.")
                return
            ctx.report(call, f"{APIGW}: `{_display(call, name)}` with `verify=False` accepts any certificate. "
                             "(Review: nothing in this module shows a secret or personal data sent on the request "
                             "(credentials, an `Authorization` header, a token, a cookie, a password) nor its answer "
                             "trusted for anything dangerous (run, deserialised, unpacked, installed): a forger on the "
                             "path can alter what comes back; check what the code decides from it, and what the "
                             "request carries if it is built elsewhere.)", severity=Severity.LOW, precision="low",
                       evidence="review", properties={"severityIfSent": Severity.HIGH.label})
            return
        if (name.startswith("aiohttp.") or isinstance(call.func, ast.Attribute) and call.func.attr in HTTP_METHODS) \
                and ctx.const(ctx.kwarg(call, "ssl")) is False:
            _report(ctx, call, f"{APIGW}: `{_display(call, name)}` with `ssl=False` skips certificate checks.")
            return
    for keyword in ("verify_ssl", "verify_certs"):
        if _known_false(ctx, ctx.kwarg(call, keyword)):
            _report(ctx, call, f"{APIGW}: `{_display(call, name)}` with `{keyword}=False` accepts any certificate.")
            return
    direct = {kw.arg: kw.value for kw in call.keywords if kw.arg}  # a **{...} dict is checked as a Dict
    if _is_cert_none_name(ctx.const(direct.get("cert_reqs"))):
        _report(ctx, call, f"{APIGW}: `{_display(call, name)}` with `cert_reqs` of `CERT_NONE` accepts any certificate.")
        return
    if name == "ssl.wrap_socket" and ctx.kwarg(call, "cert_reqs") is None and len(call.args) < 5 \
            and not ctx.truthy(ctx.kwarg(call, "server_side")) and not (len(call.args) > 3 and ctx.truthy(call.args[3])):
        _report(ctx, call, f"{APIGW}: `ssl.wrap_socket` without `cert_reqs` does not check the server's certificate.")


def _fixed_destination(ctx: PyContext, call: ast.Call) -> tuple[bool, str]:
    """For one request whose URL the code writes out (a literal, a template, or a name bound once to one): whether
    it is an `http://` URL (verify=False changes nothing there), and the loopback host it names ("this machine
    (`127.0.0.1`)") when the whole host is written out and is one, else ""."""
    url = _url_argument(ctx, call) if _one_request(ctx, call) else None
    if isinstance(url, ast.Name):
        url = ctx.resolve(url)
    text = leading_text(ctx, url)
    if text is None or "://" not in text[0][:8]:
        return False, ""
    scheme = text[0].split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        return False, ""
    host = _http_host("http" + text[0][len(scheme):], text[1])
    local = host is not None and _host_class(host[1]) == "local" and host[1] not in DOCUMENTATION_HOSTS \
        and not host[1].endswith(RESERVED_SUFFIXES)
    return scheme == "http", f"this machine (`{host[1]}`)" if local and host is not None else ""


REQUEST_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"})


def _one_request(ctx: PyContext, call: ast.Call) -> bool:
    """`requests.get(url, verify=False)`, `session.post(...)`: one request, whose arguments show what it carries (a
    client or a resource made without checks, `httpx.Client(verify=False)`, serves every request it sends)."""
    last = (ctx.call_name(call) or "").rsplit(".", 1)[-1]
    return last in REQUEST_METHODS or isinstance(call.func, ast.Attribute) and call.func.attr in REQUEST_METHODS


def _credentialed_instance(ctx: PyContext, call: ast.Call) -> str:
    """`self.session.get(..., verify=False)` in a class whose instances hold credentials (`self.password`,
    `self.auth`, `self.api_key` read or set anywhere in the class): a client that logs in, whose session may carry
    them (set here or by a base class of another module, which the analysis does not read)."""
    func = call.func
    receiver = func.value if isinstance(func, ast.Attribute) else None
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    if not (isinstance(receiver, ast.Name) and receiver.id == "self"):
        return ""
    owner = _class_of(ctx, call)
    if owner is None:
        return ""
    for node in ctx.module.walk(owner):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                and http_evidence.secret_words(node.attr) & CLIENT_CREDENTIAL_WORDS:
            return f"the client belongs to a class whose instances hold credentials (`self.{node.attr}`)"
    return ""


CLIENT_CREDENTIAL_WORDS = frozenset({"password", "passwd", "auth", "token", "secret", "key", "apikey", "credentials",
                                     "cookie", "cookies", "sid"})


def _bare_head(call: ast.Call) -> bool:
    """`requests.head(url, verify=False, timeout=5)`: a HEAD request with nothing of the program's or the user's on
    it (no auth, cookies, headers, client certificate, body or query parameters)."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "head" and not any(
        kw.arg is None or kw.arg in ("auth", "cookies", "headers", "cert", "data", "json", "params", "files")
        for kw in call.keywords)


def _display(call: ast.Call, name: str) -> str:
    if name and not name.startswith("<"):
        return name
    func = call.func
    return f"….{func.attr}" if isinstance(func, ast.Attribute) else name or "call"


@python_check("PY506", ast.Call, ast.Assign, ast.AnnAssign, raise_in_handler=True)
def tls_hostname_check_disabled(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Call):
        value = ctx.kwarg(node, "assert_hostname")
        if value is not None and ctx.const(value) is False:
            _report(ctx, node, f"{APIGW}: `assert_hostname=False` accepts a valid certificate for any host name, so a "
                               "certificate for another site passes.")
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if any(isinstance(t, ast.Attribute) and t.attr == "check_hostname" and not _server_context(ctx, t.value)
           for t in targets) and _known_false(ctx, node.value):
        later = _hostname_checked_later(ctx)
        if later:
            ctx.report(node, f"{APIGW}: `check_hostname = False` turns the handshake's host-name check off, and this "
                             f"module checks the host name itself after connecting (`{later}`): review that every "
                             "connection made with this context goes through that check.", severity=Severity.LOW,
                       precision="low", evidence="review")
            return
        trust = _opt_in_switch(ctx, node) is None and _private_trust(
            ctx, next(t for t in targets if isinstance(t, ast.Attribute) and t.attr == "check_hostname").value)
        if trust:
            ctx.report(node, f"{APIGW}: `check_hostname = False` accepts a valid certificate for any host name; here the "
                             f"certificate must chain to the application's own CA (`{trust}`), so only a holder of "
                             "a certificate from that CA passes. Review whether that CA signs certificates for parties "
                             "that must not stand in for each other.", severity=Severity.LOW, precision="low",
                       evidence="review")
            return
        _report(ctx, node, f"{APIGW}: `check_hostname = False` accepts a valid certificate for any host name, so a "
                           "certificate for another site passes.")


TRUST_KEYWORDS = ("cafile", "capath", "cadata")


def _private_trust(ctx: PyContext, context: ast.AST) -> str | None:
    """The application's own trust store given to the SSL context `context` (a name or attribute): a `cafile=`,
    `capath=` or `cadata=` of the call that made it, or `context.load_verify_locations(...)` in the same function.
    None when the context trusts the system's CAs (or nothing this code shows)."""
    made = ctx.resolve(context)
    if isinstance(made, ast.Call):
        for kw in made.keywords:
            if kw.arg in TRUST_KEYWORDS and ctx.const(kw.value) is not None:
                return f"{kw.arg}={ast.unparse(kw.value)[:40]}"
    fn = ctx.function
    if fn is None:
        return None
    text = ast.unparse(context)
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and sub.func.attr == "load_verify_locations" and ast.unparse(sub.func.value) == text \
                and (sub.args or sub.keywords):
            return f"{text}.load_verify_locations(...)"
    return None


HOSTNAME_CHECKS = frozenset({"match_hostname", "_dnsname_match", "verify_hostname", "check_hostname",
                             "match_host_name", "verify_host_name"})


def _hostname_checked_later(ctx: PyContext) -> str | None:
    """The host-name check this module performs on the peer's certificate after connecting: a call of
    `ssl.match_hostname` (or a method of that name, `conn.match_hostname()`), or a function that reads
    `getpeercert()` and compares the host name (`def verify_hostname(...)`). None when there is none."""

    def build() -> str | None:
        if "hostname" not in ctx.file.text() and "host_name" not in ctx.file.text():
            return None
        for node in ctx.module.walk():
            if isinstance(node, ast.Call) and last_identifier(node.func) in HOSTNAME_CHECKS \
                    and not isinstance(node.func, ast.Call):
                return f"{ast.unparse(node.func)}(...)"
        for node in ctx.module.walk():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "host" in node.name.lower():
                reads = any(isinstance(n, ast.Call) and last_identifier(n.func) == "getpeercert" for n in ast.walk(node))
                compares = any(isinstance(n, ast.Compare) for n in ast.walk(node))
                if reads and compares:
                    return f"{node.name}(...)"
        return None

    return ctx.file.cached("PY506-hostname-checked-later", build)


# --- plain http:// ---------------------------------------------------------------------------------------------

# Hosts that never carry real traffic (RFC 2606/6761 names) or are not transport at all (XML namespaces, schemas).
DOCUMENTATION_HOSTS = frozenset({
    "example.com", "example.org", "example.net", "www.w3.org", "w3.org", "schemas.xmlsoap.org",
    "schemas.microsoft.com", "schemas.openxmlformats.org", "schemas.android.com", "purl.org", "xmlns.com",
    "json-schema.org", "ns.adobe.com", "www.opengis.net", "java.sun.com", "docs.oasis-open.org",
    "www.openarchives.org",
})
RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".example.com", ".example.org", ".example.net")
# Local to the machine (or its metadata service, which only speaks HTTP): never reported.
LOCAL_HOSTS = frozenset({"localhost", "0.0.0.0", "metadata.google.internal", "host.docker.internal", "metadata"})
# Private networks: reported at low severity (the threat models ask for TLS inside the network too).
PRIVATE_SUFFIXES = (".internal", ".local", ".lan", ".home.arpa", ".intranet", ".corp", ".svc", ".private")

CLEARTEXT_SCHEMES = ("http", "ws")
URL_WORDS = frozenset({"url", "uri", "urls", "uris", "endpoint", "endpoints", "webhook", "baseurl", "apiurl",
                       "baseuri"})
# A name that is only `url` says nothing about what the URL is for (a homepage? a reference?): such assignments
# are reported where the value reaches an HTTP call instead.
BARE_URL_WORDS = frozenset({"url", "uri", "urls", "uris"})
NOT_TRANSPORT_WORDS = frozenset({"ns", "namespace", "xmlns", "schema", "doc", "docs", "documentation", "help",
                                 "license", "homepage", "repo", "repository", "issues", "website", "project", "manual", "wiki",
                                 "spec", "specs"})
URL_ARG_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "urlopen", "Request",
                             "ws_connect", "stream", "urlretrieve"})


@functools.lru_cache(maxsize=4096)
def _url_like_name(name: str | None) -> bool:
    if not name:
        return False
    words = split_words(name)
    return any(w in URL_WORDS for w in words) and not any(w in NOT_TRANSPORT_WORDS for w in words)


@functools.lru_cache(maxsize=4096)
def _endpoint_name(name: str | None) -> bool:
    """A URL-like name that says what it points at (`API_URL`, `base_url`, `endpoint`), not a bare `url`."""
    return _url_like_name(name) and not set(split_words(name or "")) <= BARE_URL_WORDS


def _http_host(text: str, complete: bool) -> tuple[str, str] | None:
    """(scheme, host) of an http:// or ws:// URL when the text shows all of the host, else None."""
    scheme = text.split("://", 1)[0].lower() if "://" in text[:8] else ""
    if scheme not in CLEARTEXT_SCHEMES:
        return None
    rest = text[len(scheme) + 3:]
    end = re.search(r"[/?#]", rest)
    if end is None and not complete:
        return None  # f"http://{host}" or "http://api." + domain: the host is not visible
    authority = rest[: end.start()] if end else rest
    if "{" in authority or "$" in authority or "%" in authority or "<" in authority:
        return None
    try:
        host = urlsplit("http://" + authority).hostname
    except ValueError:
        return None
    return (scheme, host) if host else None


def _host_class(host: str) -> str:
    """"local", "private" or "public"."""
    host = host.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if ip.is_loopback or ip.is_unspecified or ip.is_link_local:
            return "local"
        if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
            return "private"
        return "public"
    if host in LOCAL_HOSTS or host in DOCUMENTATION_HOSTS or host.endswith(RESERVED_SUFFIXES):
        return "local"
    if host.startswith("localhost.") or host.endswith(".onion"):
        # `localhost.<domain>` names the loopback by convention (`localhost.localdomain`, development domains that
        # resolve to 127.0.0.1); a Tor onion service is encrypted end to end by Tor, http:// or not (RFC 7686)
        return "local"
    if "." not in host or host.endswith(PRIVATE_SUFFIXES):
        return "private"
    return "public"


def _unread_attribute(ctx: PyContext, node: ast.stmt, target: ast.AST) -> str:
    """The name of a class attribute (`service_url = "http://..."` in a class body) or of an instance attribute
    (`self.home_url = ...`) that no code of this file reads (`self.service_url`, `cls.service_url`, the bare name in
    the class body, `getattr(obj, "service_url")`), else "". Such an attribute describes the class to whatever
    lists it (a plugin's homepage link): nothing here shows it being requested."""
    parent = ctx.module.parents().get(id(node))
    if isinstance(parent, ast.ClassDef) and isinstance(target, ast.Name):
        name = target.id
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        name = target.attr
    else:
        return ""
    memo = ctx.memo.setdefault("PY507-read-attributes", {})
    if "names" not in memo:
        read: set[str] = set()
        for sub in ast.walk(ctx.module.tree):
            if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Load):
                read.add(sub.attr)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                read.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.isidentifier():
                read.add(sub.value)  # getattr(self, "service_url"), a template's field list
        memo["names"] = read
    return "" if name in memo["names"] else name


def _reported_url(ctx: PyContext, value: ast.AST) -> tuple | None:
    """What _report_url reports of `value`: (its leading text, scheme, host, host class) for a plain http:// URL to a
    host that is not local, outside tests (which talk to fixtures and fakes, not to production hosts), else None."""
    found = leading_text(ctx, value)
    url = _http_host(*found) if found is not None else None
    if url is None or is_test_path(ctx.file.rel):
        return None
    where = _host_class(url[1])
    return None if where == "local" else (found, *url, where)


def _report_url(ctx: PyContext, node: ast.AST, value: ast.AST, how: str, *, unread: bool = False) -> bool:
    reported = _reported_url(ctx, value)
    if reported is None:
        return False
    found, scheme, host, where = reported
    line = ctx.file.line(getattr(node, "lineno", 1))
    if not unread and _fetch_use(ctx, value) is False:
        ctx.report(node, f"Unencrypted data in transit (review): {how} a plain {scheme}:// URL to `{host}`, but this "
                         "module never passes it to a call that could fetch it (it is only compared, displayed or "
                         "written into a document: an identifier, a namespace or a link), so nothing shows it being "
                         "requested; use https:// if it is.", severity=Severity.LOW, precision="low",
                   snippet=redact_line(line.strip()), evidence="review")
        return True
    if unread:
        ctx.report(node, f"Unencrypted data in transit (review): {how} a plain {scheme}:// URL to `{host}`, but no "
                         "code in this file reads it, so nothing shows it being requested (a homepage or "
                         "documentation link a plugin declares is no endpoint); use https:// if it is one.",
                   severity=Severity.LOW, precision="low", snippet=redact_line(line.strip()), evidence="review")
        return True
    evidence = _cleartext_evidence(ctx, value, *found)
    snippet = redact_line(line.strip())
    if not evidence:
        private = " on a private network" if where == "private" else ""
        ctx.report(node, f"Unencrypted data in transit (review): {how} a plain {scheme}:// URL to `{host}`{private}, "
                         "but nothing in this module shows a secret or personal data sent on it (credentials, an "
                         "`Authorization` header, a token, a password, an e-mail address) or its answer trusted for "
                         "anything dangerous (run, deserialised, unpacked, installed): public data fetched in clear "
                         "text. Use https:// where the service offers it; review what the request carries if it is "
                         "built elsewhere.", severity=Severity.LOW, precision="low", snippet=snippet,
                   evidence="review", properties={"cleartextEvidence": "none"})
    elif where == "private":
        ctx.report(node, f"Unencrypted data in transit: {how} a plain {scheme}:// URL to `{host}` on a "
                         f"private network, and {evidence}; the traffic is readable by anything on that network.",
                   severity=Severity.LOW, snippet=snippet, properties={"cleartextEvidence": evidence})
    else:
        ctx.report(node, f"Unencrypted data in transit: {how} a plain {scheme}:// URL to `{host}`, and {evidence}; "
                         "anyone on the path can read and alter the traffic.", snippet=snippet,
                   properties={"cleartextEvidence": evidence})
    return True


def _cleartext_evidence(ctx: PyContext, value: ast.AST, text: str, complete: bool) -> str:
    """Why a plain-http URL matters (see _http_evidence): what secret or personal data goes out on it (in the URL,
    the request's arguments, the client object), or what dangerous use its answer reaches; "" when nothing shows."""
    carried = http_evidence.in_url_text(text)
    if carried:
        return carried
    if complete:
        suffix = http_evidence.download_suffix(text)
        if suffix:
            return f"it downloads a `{suffix}` file (code, a package or an archive)"
    for site in _fetch_sites(ctx, value):
        if site is None:
            continue
        found = http_evidence.sent(ctx, site, None) or http_evidence.trusted(ctx, site)
        if found:
            return found
    return ""


# Calls that take a URL without fetching it: display, logging, translation, comparison and string tests, building
# a document or a container, type checks. Any other call may fetch what it is given.
NOT_FETCHING = frozenset({
    "print", "str", "repr", "len", "isinstance", "hash", "id", "bool", "format_html", "mark_safe", "escape", "Markup",
    "_", "gettext", "ngettext", "lazy_gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext",
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "secho", "write",
    "startswith", "endswith", "find", "index", "count", "split", "rsplit", "partition", "lower", "upper",
    "SubElement", "Element", "set", "append", "add", "extend", "insert", "setdefault", "register_namespace",
    "dict", "list", "tuple", "frozenset", "namedtuple", "assertEqual", "assertIn", "assertTrue",
})
# Calls that turn a URL into another URL (the result is followed on): formatting, joining, quoting.
URL_TRANSFORMS = frozenset({"format", "replace", "strip", "rstrip", "lstrip", "encode", "urljoin", "join", "quote",
                            "urlunparse", "urlunsplit", "urlparse", "urlsplit", "geturl", "Path", "URL", "furl"})


def _fetch_use(ctx: PyContext, value: ast.AST) -> bool | None:
    """Whether the module passes this URL (or what it is assigned to, joined into, formatted into) to a call that
    could fetch it: True when some use may (any call not in NOT_FETCHING, a return, a store into a container);
    False when every use only compares, displays or writes it into a document; None when the module never reads
    what holds it (a module-level constant other modules may import)."""
    memo = ctx.memo.setdefault("PY507-fetch-use", {})
    key = id(value)
    if key not in memo:
        memo[key] = _climb(ctx, value, 0, set())
    return memo[key]


def _climb(ctx: PyContext, node: ast.AST, depth: int, seen: set[str], sites: list | None = None) -> bool | None:
    """See _fetch_use. With `sites`, also collects the calls the URL may be fetched by (None for a use that is no
    call: returned, stored into a container, a default)."""
    parents = ctx.module.parents()
    child, current = node, parents.get(id(node))

    def site(call: ast.AST | None) -> bool:
        if sites is not None:
            sites.append(call if isinstance(call, ast.Call) else None)
        return True

    while current is not None:
        if isinstance(current, (ast.BinOp, ast.JoinedStr, ast.FormattedValue, ast.Dict, ast.List, ast.Tuple, ast.Set,
                                ast.IfExp, ast.BoolOp, ast.Starred, ast.Subscript)) \
                and not (isinstance(current, ast.Subscript) and child is current.slice):
            child, current = current, parents.get(id(current))
            continue
        if isinstance(current, ast.Attribute):  # `URL.format(...)`: the method's call decides
            call = parents.get(id(current))
            if isinstance(call, ast.Call) and call.func is current and current.attr in URL_TRANSFORMS:
                child, current = call, parents.get(id(call))
                continue
            return False if current.attr in NOT_FETCHING else site(call if isinstance(call, ast.Call)
                                                                   and call.func is current else None)
        if isinstance(current, ast.keyword):
            call = parents.get(id(current))
            if current.arg and _url_like_name(current.arg):
                return site(call)
            if isinstance(call, ast.Call) and current.arg in ("help", "description", "title", "label", "verbose_name",
                                                              "help_text", "doc", "epilog", "text", "message", "msg"):
                return False
            child, current = current, call
        if isinstance(current, ast.Call):
            if child is current.func:
                return site(current)
            name = last_identifier(current.func)
            if name in URL_TRANSFORMS:
                child, current = current, parents.get(id(current))
                continue
            return site(current) if name not in NOT_FETCHING else False
        if isinstance(current, (ast.Compare, ast.Expr, ast.Assert)) or isinstance(current, ast.If) and child is current.test:
            return False
        if isinstance(current, (ast.Assign, ast.AnnAssign)):
            targets = current.targets if isinstance(current, ast.Assign) else [current.target]
            if any(not isinstance(t, (ast.Name, ast.Attribute)) for t in targets):
                return site(None)  # stored into a container or unpacked: followed no further
            # `self.name = URI`: a field that is no URL by its name holds an identifier (a grantee, a type); a
            # URL-named one (`self.base_url = ...`) is followed to its reads, as is every plain variable
            names = [t.id if isinstance(t, ast.Name) else t.attr for t in targets
                     if isinstance(t, ast.Name) or _url_like_name(t.attr)]
            if not names:
                return False
            return _reads_fetch(ctx, names, depth, seen, sites)
        return site(None)  # returned, yielded, a default, a decorator: it may be fetched wherever it goes
    return site(None)


def _reads_fetch(ctx: PyContext, names: list[str], depth: int, seen: set[str], sites: list | None = None) -> bool | None:
    """Whether any read of these names (plain or as an attribute, anywhere in the module) may reach a fetching call."""
    if depth > 4:
        if sites is not None:
            sites.append(None)
        return True
    reads = []
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        reads.extend(_reads_of(ctx).get(name, ()))
    if not reads:
        return None if depth == 0 else False
    verdicts = [_climb(ctx, read, depth + 1, seen, sites) for read in reads[:40]]
    if len(reads) > 40 and sites is not None:
        sites.append(None)
    if any(v is True for v in verdicts) or len(reads) > 40:
        return True
    return False


def _fetch_sites(ctx: PyContext, value: ast.AST) -> list:
    """The calls this URL may be fetched by (see _climb), None among them for a use that is no call."""
    memo = ctx.memo.setdefault("PY507-fetch-sites", {})
    if id(value) not in memo:
        sites: list = []
        _climb(ctx, value, 0, set(), sites)
        memo[id(value)] = (value, sites)
    return memo[id(value)][1]


def _reads_of(ctx: PyContext) -> dict[str, list[ast.AST]]:
    """Every name and attribute the module reads (`NAME`, `obj.NAME`, `getattr(obj, "NAME")`), by name."""
    memo = ctx.memo.setdefault("PY507-reads", {})
    if "reads" not in memo:
        reads: dict[str, list[ast.AST]] = {}
        for sub in ast.walk(ctx.module.tree):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                reads.setdefault(sub.id, []).append(sub)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Load):
                reads.setdefault(sub.attr, []).append(sub)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "getattr" \
                    and len(sub.args) >= 2 and isinstance(sub.args[1], ast.Constant) and isinstance(sub.args[1].value, str):
                reads.setdefault(sub.args[1].value, []).append(sub)
        memo["reads"] = reads
    return memo["reads"]


def _target_name(ctx: PyContext, target: ast.AST) -> str | None:
    if isinstance(target, (ast.Name, ast.Attribute)):
        return last_identifier(target)
    if isinstance(target, ast.Subscript):
        key = ctx.const(target.slice)
        return key if isinstance(key, str) else None
    return None


PACKAGE_METADATA = frozenset({"setuptools.setup", "distutils.core.setup"})


@python_check("PY507", ast.Call, ast.Assign, ast.AnnAssign, ast.Dict, raise_in_handler=False)
def cleartext_http_url(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        named = [t for t in targets if _endpoint_name(_target_name(ctx, t))]
        # (whether the attribute is read, a walk of the module and its parent map, is asked only of a value that
        # _report_url reports: a plain http:// URL to a host that is not local, outside tests)
        if node.value is not None and named and _reported_url(ctx, node.value) is not None:
            unread = _unread_attribute(ctx, node, named[0])
            if unread:
                _report_url(ctx, node.value, node.value, f"the attribute `{unread}` holds", unread=True)
            else:
                _report_url(ctx, node.value, node.value, "the URL-valued name holds")
        return
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if key is not None and _endpoint_name(ctx.const(key) if isinstance(ctx.const(key), str) else None):
                _report_url(ctx, value, value, f"the `{ctx.const(key)}` entry holds")
        return
    call: ast.Call = node  # type: ignore[assignment]
    if ctx.call_name(call) in PACKAGE_METADATA:
        return  # `setup(download_url="http://...")`: metadata written into PKG-INFO; nothing fetches it
    seen: set[int] = set()
    for kw in call.keywords:
        if kw.arg and _endpoint_name(kw.arg):
            seen.add(id(kw.value))
            _report_url(ctx, kw.value, kw.value, f"the `{kw.arg}` argument is")
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in URL_ARG_METHODS | {"request"}
            or isinstance(func, ast.Name) and (func.id in ctx.names.aliases or func.id in URL_ARG_METHODS)):
        return  # not an HTTP call, whatever the names resolve to
    url = _url_argument(ctx, call)
    if url is None or id(url) in seen:
        return
    if isinstance(url, ast.Name):
        if _endpoint_name(url.id):
            return  # its assignment is reported
        bound = ctx.resolve(url)
        if bound is not url and bound is not None:
            _report_url(ctx, url, bound, f"`{url.id}` passed to the HTTP call is")
        return
    _report_url(ctx, url, url, "the HTTP call requests")


def _url_argument(ctx: PyContext, call: ast.Call) -> ast.AST | None:
    name = ctx.call_name(call) or ""
    method = name.rsplit(".", 1)[-1] if name else (call.func.attr if isinstance(call.func, ast.Attribute) else "")
    known_module = name.startswith(HTTP_MODULES) or name.startswith(("urllib.request.", "urllib2."))
    client_method = False
    if isinstance(call.func, ast.Attribute):
        method = call.func.attr
        client_method = not known_module and _maybe_client(ctx, call.func.value)
    if not (known_module or client_method):
        return None
    direct = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    if method == "request":
        return call.args[1] if len(call.args) > 1 else direct.get("url")
    if method in URL_ARG_METHODS:
        return call.args[0] if call.args else direct.get("url")
    return None


def _maybe_client(ctx: PyContext, base: ast.AST) -> bool:
    """Could `base` be an HTTP client or session? Not a dict, list or set, nor a module we know is not HTTP."""
    resolved = ctx.resolve(base)
    if isinstance(resolved, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.Constant, ast.JoinedStr)):
        return False
    if isinstance(resolved, ast.Call) and ctx.call_name(resolved) in ("dict", "list", "set", "collections.OrderedDict",
                                                                       "collections.defaultdict"):
        return False
    root = base
    while isinstance(root, ast.Attribute):
        root = root.value
    return not (isinstance(root, ast.Name) and root.id in ctx.names.aliases)
