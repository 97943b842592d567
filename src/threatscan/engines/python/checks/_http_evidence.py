"""What makes a plain-http request matter (PY507's evidence): a secret or personal data sent on it, or an answer
trusted for something dangerous.

A plain http:// URL is only readable and changeable on the path; whether that matters depends on what goes out
and what is done with what comes back. The evidence this module looks for, in the module that makes the request:
- *sent*: credentials in the URL itself (`http://user:pass@host`, a `{api_key}` placeholder, `?token=`), an
  `auth=` argument, a header, cookie or payload whose keys or values are named for secrets or personal data
  (`Authorization`, `X-API-Key`, `password`, `token`, `email`), also through a payload built by a helper of the
  module (`post=self.auth_query()`) or passed in by the callers (`get=kwargs`), and AWS SDK clients, which sign
  every request with the account's keys;
- *trusted*: the answer reaching code execution, deserialisation, a shell, an archive extraction, or the URL
  naming an executable, package or archive to download.
Anything else (a public feed, a search API, a metadata lookup) is no evidence: PY507 reports it for review.
"""

from __future__ import annotations

import ast
import re

from ....lang.python.dataflow.spec import load_spec
from ....secrets import PAGING_WORDS, PASSWORD_WORDS, SECRET_WORDS as CREDENTIAL_WORDS, split_words
from ..context import PyContext

# Names of what must not travel in clear text: the credential words of the secret rules (secrets.py: one
# vocabulary), and what matters on the wire only: `auth`, a session's cookie or id, a one-time password, a JWT, a
# CSRF token.
SECRET_WORDS = PASSWORD_WORDS | CREDENTIAL_WORDS | frozenset({
    "auth", "cookie", "cookies", "sessionid", "sid", "otp", "jwt", "csrftoken",
})
# `key` only with a word that makes it a credential (`api_key`, `access-key`, `apikey`), not a lookup key or a cache
# key. Any word of a name counts here, where the secret rules read the word before the last (secrets.KEY_QUALIFIERS):
# so only those of their qualifiers that make a credential wherever they stand (not `rsa`: `rsa_public_key`), and a
# password's, a user's or a session's key.
KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "auth", "app", "client", "license", "account",
                            "pass", "user", "subscription", "session", "signing", "master"})
PERSONAL_WORDS = frozenset({"email", "phone", "ssn", "birthdate", "dob", "iban"})
# An IP address is personal data when the name says whose (`ip`, `client_ip`, `user_ip`, `remote_addr`), not in
# `ip_version` or `ip_range`.
IP_OWNERS = frozenset({"client", "remote", "user", "visitor", "customer", "address", "addr"})
HASH_WORDS = frozenset({"hash", "hashed", "digest", "md5", "sha1", "sha256", "hex"})
# Pairs: `session_key`, `session_id`, `pass_word`.
PAIRS = ({"session", "id"}, {"session", "key"}, {"pass", "word"}, {"user", "pass"}, {"e", "mail"})
PAYLOAD_KEYWORDS = frozenset({"data", "json", "params", "headers", "cookies", "post", "get", "body", "payload",
                              "fields", "form", "query", "files", "content", "message", "msg"})
# AWS SDK clients sign every request with the account's keys (SigV4 `Authorization` header).
SIGNING_CLIENTS = frozenset({"boto3.client", "boto3.resource", "boto3.session.Session.client", "botocore.client",
                             "aiobotocore.session.AioSession.create_client"})
SIGNING_METHODS = frozenset({"client", "resource", "create_client"})

# Uses of an answer that run or unpack it: the data-flow sinks of these families (rules/dataflow/*.yaml; every
# `subprocess.` function too; `yaml.load` unless its Loader is a safe one) and what runs or unpacks an answer
# without being a data-flow sink (archives, model files, pip; `os.spawnl`, not among the spec's process sinks).
RUNNING_FAMILIES = ("shell", "process", "code", "deserialise")
DANGEROUS_CALLS = frozenset({
    "os.spawnl", "tarfile.open", "zipfile.ZipFile", "shutil.unpack_archive", "runpy.run_path", "pip.main",
    "torch.load", "numpy.load",
})
YAML_LOADS = ("yaml.load", "yaml.load_all")
DANGEROUS_METHODS = frozenset({"extractall", "extract", "unpack_archive", "exec_module", "load_module"})
SUBPROCESS = "subprocess."
# A download of something that runs or unpacks: by the URL's extension.
EXECUTABLE_SUFFIXES = (".exe", ".msi", ".dmg", ".pkg", ".deb", ".rpm", ".apk", ".jar", ".sh", ".bat", ".ps1",
                       ".py", ".pyz", ".whl", ".egg", ".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz",
                       ".gz", ".bz2", ".xz", ".7z", ".bin", ".appimage", ".so", ".dll", ".pkl", ".pickle")


def secret_words(name: str | None) -> set[str]:
    """The credential or personal-data words of a name (`X-API-Key` -> {api, key}; `cache_key` -> {})."""
    if not name or len(name) > 80:
        return set()
    words = set(split_words(name))
    found = words & SECRET_WORDS
    if found <= {"token", "tokens"} and words & PAGING_WORDS:  # `next_page_token`, `pageToken`
        found = set()
    if not words & HASH_WORDS:  # `email_hash`: a pseudonym (Gravatar's public id), not the address
        found |= words & PERSONAL_WORDS
        if "ip" in words and (words == {"ip"} or words & IP_OWNERS) or {"remote", "addr"} <= words:
            found.add("ip")
    if "key" in words and words & KEY_QUALIFIERS:
        found |= {"key"} | (words & KEY_QUALIFIERS)
    found |= {w for w in words if w.endswith("key") and w[:-3] in KEY_QUALIFIERS}  # `apikey`, `passkey`
    for pair in PAIRS:
        if pair <= words:
            found |= pair
    return found


def _shown(words: set[str]) -> str:
    return "/".join(sorted(words)[:3])


# --- the URL's own text -----------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}|%\(([A-Za-z_]\w*)\)s|[?&;]([A-Za-z_][\w.-]*)=")


def in_url_text(text: str) -> str:
    """Credentials or personal data the URL's constant text carries: `user:password@` before the host, a
    placeholder (`{api_key}`, `%(email)s`) or a query parameter (`?token=`) named for them."""
    rest = text.split("://", 1)[1] if "://" in text else text
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority and ":" in authority.split("@", 1)[0]:
        return "the URL carries a user name and password before the host"
    for m in PLACEHOLDER.finditer(text):
        name = next(g for g in m.groups() if g)
        words = secret_words(name)
        if words:
            return f"the URL itself carries `{name}`"
    return ""


def download_suffix(text: str) -> str:
    path = re.split(r"[?#]", text, maxsplit=1)[0].lower()
    return next((s for s in EXECUTABLE_SUFFIXES if path.endswith(s)), "")


# --- what a request sends ---------------------------------------------------------------------------------------

class _Look:
    """Walks expressions for credential-named keys, names and attributes, following (a bounded number of steps) a
    local name to what the function assigns it, `self.x` to what the module assigns it, a helper of the module to
    the keys its body builds, and a parameter to what the callers pass."""

    def __init__(self, ctx: PyContext):
        self.ctx = ctx
        self.parents = ctx.module.parents()
        self.budget = 400
        self.seen: set[int] = set()

    def function_of(self, node: ast.AST) -> ast.AST | None:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            current = self.parents.get(id(current))
        return current

    def expr(self, node: ast.AST | None, depth: int = 0) -> str:
        if node is None or depth > 4 or self.budget <= 0 or id(node) in self.seen:
            return ""
        self.seen.add(id(node))
        for sub in ast.walk(node):
            self.budget -= 1
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) <= 60 \
                    and "/" not in sub.value:
                parent = self.parents.get(id(sub))
                # a dict key, a subscript key, a header name: the name of what is sent
                if isinstance(parent, ast.Dict) and any(k is sub for k in parent.keys) \
                        or isinstance(parent, ast.Subscript) and parent.slice is sub \
                        or isinstance(parent, ast.Call) and parent.args and parent.args[0] is sub \
                        and isinstance(parent.func, ast.Attribute) and parent.func.attr in ("get", "setdefault"):
                    words = secret_words(sub.value)
                    if words:
                        return f"`{sub.value}`"
            elif isinstance(sub, ast.keyword) and sub.arg:
                words = secret_words(sub.arg)
                if words:
                    return f"`{sub.arg}=`"
            elif isinstance(sub, ast.Name):
                words = secret_words(sub.id)
                if words and not self.literal_name(sub):
                    return f"`{sub.id}`"
                found = self.name(sub, depth)
                if found:
                    return found
            elif isinstance(sub, ast.Attribute):
                words = secret_words(sub.attr)
                if words and not self.literal_attribute(sub.attr):
                    return f"`{sub.attr}`"
                if isinstance(sub.value, ast.Name) and sub.value.id == "self" and isinstance(sub.ctx, ast.Load):
                    found = self.attribute(sub.attr, depth)
                    if found:
                        return found
            elif isinstance(sub, ast.Call):
                found = self.helper(sub, depth)
                if found:
                    return found
        return ""

    # A credential-named value the code itself writes as a literal (`_tmdb_api_key = "f7f5..."` in the class, a
    # module constant): the application's own key, known to every reader of the source, so sending it in clear text
    # leaks nothing more (the key itself is PY203's question).
    def literal_name(self, node: ast.Name) -> bool:
        value = self.ctx.module.value_of(node.id, self.function_of(node))
        return isinstance(value, ast.Constant) and isinstance(value.value, str) and bool(value.value)

    def literal_attribute(self, attr: str) -> bool:
        """Every assignment of `attr` in the module (`self.attr = ...`, `obj.attr = ...`, or `attr = ...` in a class
        body) gives it a non-empty string literal (answered once per module and name)."""
        memo = self.ctx.memo.setdefault("PY507-literal-attributes", {})
        if attr not in memo:
            values = []
            for sub in self.ctx.module.walk():
                if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                    for t in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                        if (isinstance(t, ast.Attribute) and t.attr == attr) or (
                                isinstance(t, ast.Name) and t.id == attr
                                and isinstance(self.parents.get(id(sub)), ast.ClassDef)):
                            values.append(sub.value)
            memo[attr] = bool(values) and all(isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value
                                              for v in values)
        return memo[attr]

    def name(self, node: ast.Name, depth: int) -> str:
        """A local name: what the function assigns it (`payload = {...}`, `payload["k"] = v`, `payload.update(...)`);
        a parameter: what the callers of the function in this module pass for it."""
        fn = self.function_of(node)
        if fn is None or isinstance(fn, ast.Lambda):
            return ""
        args = fn.args  # type: ignore[attr-defined]
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.id
                    or isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == node.id
                    for t in sub.targets):
                for t in sub.targets:
                    if isinstance(t, ast.Subscript):
                        found = self.expr(t.slice, depth + 1)
                        if found:
                            return found
                found = self.expr(sub.value, depth + 1)
                if found:
                    return found
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in ("update", "setdefault", "__setitem__") \
                    and isinstance(sub.func.value, ast.Name) and sub.func.value.id == node.id:
                found = self.expr(sub, depth + 1)
                if found:
                    return found
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        if node.id in positional or node.id in {a.arg for a in args.kwonlyargs} \
                or args.kwarg is not None and args.kwarg.arg == node.id:
            return self.callers(fn, node.id, depth)
        return ""

    def callers(self, fn: ast.AST, param: str, depth: int) -> str:
        """What the module's calls of `fn` pass for `param` (every keyword when it is the `**kwargs`)."""
        name = getattr(fn, "name", "")
        args = fn.args  # type: ignore[attr-defined]
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        if positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        is_kwargs = args.kwarg is not None and args.kwarg.arg == param
        for call in self.ctx.module.walk():
            if not (isinstance(call, ast.Call) and (getattr(call.func, "attr", None) == name
                                                   or getattr(call.func, "id", None) == name)):
                continue
            if is_kwargs:
                for kw in call.keywords:
                    if kw.arg and secret_words(kw.arg):
                        return f"`{kw.arg}=`"
                    found = self.expr(kw.value, depth + 1) if kw.arg and kw.arg not in positional else ""
                    if found:
                        return found
                continue
            for kw in call.keywords:
                if kw.arg == param:
                    found = self.expr(kw.value, depth + 1)
                    if found:
                        return found
            if param in positional:
                index = positional.index(param)
                if index < len(call.args):
                    found = self.expr(call.args[index], depth + 1)
                    if found:
                        return found
        return ""

    def attribute(self, attr: str, depth: int) -> str:
        """`self.headers`: what the module assigns to (or stores into) that attribute."""
        for sub in self.ctx.module.walk():
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    base = t.value if isinstance(t, ast.Subscript) else t
                    if isinstance(base, ast.Attribute) and base.attr == attr and isinstance(base.value, ast.Name) \
                            and base.value.id == "self":
                        found = (self.expr(t.slice, depth + 1) if isinstance(t, ast.Subscript) else "") \
                            or self.expr(sub.value, depth + 1)
                        if found:
                            return found
        return ""

    def helper(self, call: ast.Call, depth: int) -> str:
        """`self.auth_query()`, `build_payload(user)`: the keys and names the module's function of that name
        builds (its body), when there is exactly one."""
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        if not name or depth > 3:
            return ""
        defs = [n for n in self.ctx.module.walk() if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and n.name == name]
        if len(defs) != 1:
            return ""
        for stmt in defs[0].body:
            found = self.expr(stmt, depth + 1)
            if found:
                return found
        return ""


def sent(ctx: PyContext, call: ast.Call, url: ast.AST | None) -> str:
    """What secret or personal data the request `call` (which takes the URL `url`) sends, described, else ""."""
    look = _Look(ctx)
    name = ctx.call_name(call) or ""
    if name in SIGNING_CLIENTS or isinstance(call.func, ast.Attribute) and call.func.attr in SIGNING_METHODS \
            and any(kw.arg == "endpoint_url" for kw in call.keywords):
        return "an AWS SDK client signs every request with the account's keys"
    for kw in call.keywords:
        value = ctx.const(kw.value)
        if kw.value is url or value is None or value is False or value == "" or value == 0:
            continue  # `auth=None`, `cookies=False`: nothing sent
        if kw.arg == "auth":
            return f"the request sends `{kw.arg}=`"
        if kw.arg and secret_words(kw.arg):
            return f"the request sends `{kw.arg}=`"
        if kw.arg is None or kw.arg in PAYLOAD_KEYWORDS:
            found = look.expr(kw.value)
            if found:
                return f"the request's `{kw.arg or '**'}` carries {found}"
    for arg in call.args:
        if arg is url or url is not None and any(sub is url for sub in ast.walk(arg)):
            continue
        found = look.expr(arg)
        if found:
            return f"the request carries {found}"
    carried = _session_credentials(ctx, call)
    if carried:
        return carried
    return ""


def _session_credentials(ctx: PyContext, call: ast.Call) -> str:
    """A client object that carries credentials into every request (`session.auth = ...`, `session.headers.update(
    {"Authorization": ...})`, `requests.Session()` then `s.headers["X-Api-Key"] = ...`, `httpx.Client(auth=...)`)."""
    if not isinstance(call.func, ast.Attribute):
        return ""
    receiver = call.func.value
    label = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", None)
    if not label or label in ("requests", "httpx", "urllib3", "aiohttp"):
        return ""
    look = _Look(ctx)
    # a local client (`session = requests.Session()`) is looked for in its function; `self.session` in the module
    scope = look.function_of(call) if isinstance(receiver, ast.Name) else None
    for sub in (ast.walk(scope) if scope is not None else ctx.module.walk()):
        if isinstance(sub, ast.Assign):
            for t in sub.targets:
                base = t.value if isinstance(t, ast.Subscript) else t
                if isinstance(base, ast.Attribute) and base.attr in ("auth", "headers", "cookies") \
                        and _label(base.value) == label:
                    if base.attr == "auth" and not isinstance(t, ast.Subscript):
                        return f"`{label}.auth` is set"
                    found = (look.expr(t.slice) if isinstance(t, ast.Subscript) else "") or look.expr(sub.value)
                    if found:
                        return f"`{label}.{base.attr}` carries {found}"
                if _label(t) == label and isinstance(sub.value, ast.Call):
                    for kw in sub.value.keywords:
                        if kw.arg in ("auth", "headers", "cookies") and (kw.arg == "auth" or look.expr(kw.value)):
                            return f"`{label}` is made with `{kw.arg}=`"
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "update" \
                and isinstance(sub.func.value, ast.Attribute) and sub.func.value.attr in ("headers", "cookies") \
                and _label(sub.func.value.value) == label:
            found = look.expr(sub)
            if found:
                return f"`{label}.{sub.func.value.attr}` carries {found}"
    return ""


def _label(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


# --- what is done with the answer -------------------------------------------------------------------------------

def trusted(ctx: PyContext, call: ast.Call) -> str:
    """The dangerous use the answer of `call` reaches in its function (directly, or through names assigned from it
    and its `.content`/`.read()`), described, else ""."""
    parents = ctx.module.parents()
    current = parents.get(id(call))
    while current is not None and not isinstance(current, ast.stmt):
        if isinstance(current, ast.Call):
            danger = _dangerous(ctx, current)
            if danger:
                return f"the answer goes to `{danger}`"
        current = parents.get(id(current))
    fn = current
    while fn is not None and not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        fn = parents.get(id(fn))
    if fn is None or not isinstance(current, (ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith)):
        return ""
    tainted: set[str] = set()
    if isinstance(current, (ast.With, ast.AsyncWith)):
        for item in current.items:
            if any(n is call for n in ast.walk(item.context_expr)) and isinstance(item.optional_vars, ast.Name):
                tainted.add(item.optional_vars.id)
    else:
        targets = current.targets if isinstance(current, ast.Assign) else [current.target]
        tainted |= {t.id for t in targets if isinstance(t, ast.Name)}
    if isinstance(call.func, (ast.Attribute, ast.Name)) and \
            (call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id) == "urlretrieve" \
            and len(call.args) > 1 and isinstance(call.args[1], ast.Name):
        tainted.add(call.args[1].id)  # urlretrieve(url, path): the file is the answer
    if not tainted:
        return ""
    body = sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.Call, ast.With))),
                  key=lambda n: (n.lineno, n.col_offset))
    for node in body:
        if node.lineno < call.lineno:
            continue
        if isinstance(node, ast.Assign) and _mentions(node.value, tainted):
            tainted |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.With):
            for item in node.items:
                if _mentions(item.context_expr, tainted) and isinstance(item.optional_vars, ast.Name):
                    tainted.add(item.optional_vars.id)
        elif isinstance(node, ast.Call):
            danger = _dangerous(ctx, node)
            if danger and any(_mentions(a, tainted) for a in [*node.args, *(k.value for k in node.keywords)]) \
                    or danger and isinstance(node.func, ast.Attribute) and _mentions(node.func.value, tainted):
                return f"the answer goes to `{danger}`"
    return ""


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _dangerous(ctx: PyContext, call: ast.Call) -> str:
    name = ctx.call_name(call) or ""
    if name in YAML_LOADS:
        loader = ctx.kwarg(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
        text = ast.unparse(loader) if loader is not None else ""
        return "" if "Safe" in text else name
    sinks = load_spec().sink_names
    if name in DANGEROUS_CALLS or name.startswith(SUBPROCESS) \
            or any(name in sinks.get(family, ()) for family in RUNNING_FAMILIES):
        return name
    if isinstance(call.func, ast.Attribute) and call.func.attr in DANGEROUS_METHODS:
        return call.func.attr
    if isinstance(call.func, ast.Name) and call.func.id in ("exec", "eval"):
        return call.func.id
    return ""
