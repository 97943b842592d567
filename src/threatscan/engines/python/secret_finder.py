"""The Python engine's secret finder: where Python code binds a literal to a secret-like name (an assignment, a
keyword argument, a dict entry, a default, a comparison, a password or key argument by the API's own definition),
and the redactor every Python finding's snippet goes through (`redact_snippet`: every hard-coded secret this finder
sees on the shown line, whichever rule reports the finding, and whatever threatscan.secrets detects there).

What counts as a secret is threatscan.secrets' decision (shared with the template and Android engines); the rules
that report hard-coded secrets (checks/secrets.py, PY201-PY205) and the engine (its snippets) both read this.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from ... import secrets
from ...secrets import lazy_compile, mask_card_numbers
from .context import PyContext, PyModule

# --- where a literal meets a name -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    literal: ast.Constant | ast.JoinedStr
    value: str
    match: secrets.SecretMatch
    name: str | None  # the secret-like name it is bound to; None for a known format found by its shape
    # How much the value says (see `sink_value`): "" judged by its shape (secrets.check_value); "real", "weak" or
    # "placeholder" for a literal at a known secret sink, judged whatever its entropy.
    strength: str = ""
    origin: str = "bind"


def name_of(node: ast.AST | None) -> str | None:
    """The name a target or operand stands for: `password`, `self.api_key`, `cfg["api_key"]`, `os.environ["X"]`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = node.value
        if isinstance(base, ast.Name):
            return f"{base.id}.{node.attr}"
        if isinstance(base, ast.Attribute):
            return f"{base.attr}.{node.attr}"
        return node.attr
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


AUTH_SCHEMES = ("Bearer ", "Token ", "Basic ", "token ", "bearer ")


def _final_name(node: ast.AST) -> str:
    """`DB_PASSWORD`, `settings.DB_PASSWORD`, `config["DB_PASSWORD"]`, `DB_PASSWORD.encode()` -> "DB_PASSWORD"; ""
    for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("encode", "decode"):
        node = node.func.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("bytes", "str") \
            and node.args:
        node = node.args[0]
    return (name_of(node) or "").rsplit(".", 1)[-1]


def literal_text(node: ast.AST | None) -> str | None:
    """The text of a string (or bytes) literal, including an f-string without placeholders."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
    return None


def _pairs(node: ast.AST, ctx: PyContext) -> Iterator[tuple[str | None, ast.AST, str]]:
    """(name, value expression, origin) where `node` binds or compares a value to a name. `origin` says how the
    literal is used: "bind" (assigned, a keyword argument, a dict entry), "fallback" (the default of an environment
    or config read: used only when the setting is missing), "sink" (an argument that is a key or a password by the
    API's own definition: `jwt.encode(p, KEY)`, `psycopg2.connect(password=...)`), "compare", "default"."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _target_pairs(target, node.value, ctx)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield from _target_pairs(node.target, node.value, ctx)
    elif isinstance(node, ast.Call):
        sink_kw = _sink_keywords(node, ctx)
        key_of = KEY_ARGUMENTS.get(ctx.call_name(node) or "") if sink_kw else None
        for kw in node.keywords:
            if kw.arg and key_of and kw.arg == key_of[1]:
                yield f"the key of `{ctx.call_name(node)}`", kw.value, "sink"
            elif kw.arg:
                yield kw.arg, kw.value, "sink" if kw.arg in sink_kw else "bind"
        yield from _call_pairs(node, ctx)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            yield arg.arg, default, "default"
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                yield arg.arg, default, "default"
    elif isinstance(node, ast.Dict):
        # (a presentation mapping, `attrs={...}`, has no secrets: _find asks, when an entry would be the first hit)
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value, value, "bind"
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        left, right = node.left, node.comparators[0]
        yield name_of(left), right, "compare"
        yield name_of(right), left, "compare"


def _target_pairs(target: ast.AST, value: ast.AST, ctx: PyContext) -> Iterator[tuple[str | None, ast.AST, str]]:
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
            for t, v in zip(target.elts, value.elts):
                yield from _target_pairs(t, v, ctx)
        return
    if isinstance(target, ast.Subscript) and is_presentation_name(name_of(target.value)):
        return  # css_classes["password"] = "input": the password widget's CSS class
    name = name_of(target)
    fallback = _reads_setting(value, ctx)
    for v in _values(value):
        yield name, v, "fallback" if fallback and v is not value else "bind"


# Mappings of how a form or page looks (CSS classes, HTML attributes, labels, icons): `css_classes["password"] =
# "input"`, `attrs={"password": "form-control"}` name the password widget's class, not the password.
PRESENTATION_WORDS = frozenset({"css", "class", "classes", "classname", "style", "styles", "attrs", "attributes",
                                "widget", "widgets", "label", "labels", "placeholder", "placeholders", "icon", "icons",
                                "tooltip", "tooltips", "hint", "hints", "html", "theme", "themes", "color", "colors"})


def is_presentation_name(name: str | None) -> bool:
    words = secrets.split_words((name or "").rsplit(".", 1)[-1])
    return bool(words) and words[-1] in PRESENTATION_WORDS


def _presentation_dict(node: ast.Dict, ctx: PyContext) -> bool:
    """A dict literal bound to, passed as or merged into a presentation mapping (`attrs={...}`,
    `css_classes = {...}`, `widget.attrs.update({...})`)."""
    parent = ctx.module.parents().get(id(node))
    if isinstance(parent, ast.keyword):
        return is_presentation_name(parent.arg)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        return any(is_presentation_name(name_of(t)) for t in targets)
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "update":
        return is_presentation_name(name_of(parent.func.value))
    return False


def _reads_setting(value: ast.AST, ctx: PyContext) -> bool:
    """`os.environ.get("K") or "<literal>"`, `"<literal>" if DEBUG else os.environ["K"]`: the literal is what the
    program falls back to when the environment (or a config file) does not set the value."""
    for part in ast.walk(value) if isinstance(value, (ast.BoolOp, ast.IfExp)) else ():
        if env_variable(part, ctx) is not None:
            return True
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Attribute) and part.func.attr in GETTER_METHODS:
            return True
    return False


WRAPPERS = {"Field", "field", "SecretStr", "SecretBytes", "attrib", "ib", "Column", "mapped_column", "Secret"}


def _values(value: ast.AST, depth: int = 0) -> Iterator[ast.AST]:
    """The literals a name may end up holding: `os.getenv("K") or "<literal>"`, `"<literal>" if DEBUG else x`,
    `Field(default="<literal>")`, `SecretStr("<literal>")`."""
    yield value
    if depth > 3:
        return
    if isinstance(value, ast.BoolOp):
        for v in value.values:
            yield from _values(v, depth + 1)
    elif isinstance(value, ast.IfExp):
        yield from _values(value.body, depth + 1)
        yield from _values(value.orelse, depth + 1)
    elif isinstance(value, ast.Call):
        func = value.func
        final = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if final in WRAPPERS:
            for kw in value.keywords:
                if kw.arg == "default":
                    yield from _values(kw.value, depth + 1)
            if value.args and final in ("Field", "SecretStr", "SecretBytes", "Secret"):
                yield from _values(value.args[0], depth + 1)


BASIC_AUTH_CLASSES = {
    "requests.auth.HTTPBasicAuth", "requests.auth.HTTPDigestAuth", "requests.auth.HTTPProxyAuth",
    "requests.HTTPBasicAuth", "httpx.BasicAuth", "httpx.DigestAuth", "aiohttp.BasicAuth", "aiohttp.helpers.BasicAuth",
}
BASIC_AUTH_NAMES = {name.rsplit(".", 1)[-1] for name in BASIC_AUTH_CLASSES}
GETTER_METHODS = {"get", "getenv", "setdefault", "pop", "getenvb"}
# Readers of a setting from the environment or a .env file whose fallback is the `default=` keyword: django-environ's
# `env(...)`, `env.str(...)`, python-decouple's `config(...)`, environs' `env.str(...)`.
ENV_READERS = {"env", "str", "config", "get_env", "getenv", "get_secret", "get_setting"}
ENV_SCHEMAS = frozenset({"environ.Env", "environ.environ.Env"})  # django-environ's schema (also read by _web.py)


# Arguments that hold a signing or encryption key by the API's definition: (position, keyword).
KEY_ARGUMENTS: dict[str, tuple[int, str]] = {
    **{f"{m}.{f}": (1, "key") for m in ("jwt", "jwt.api_jwt", "jose.jwt", "jwt.api_jws") for f in ("encode", "decode")},
    **{f"itsdangerous.{c}": (0, "secret_key") for c in (
        "Signer", "TimestampSigner", "Serializer", "URLSafeSerializer", "TimedSerializer", "URLSafeTimedSerializer",
        "JSONWebSignatureSerializer", "TimedJSONWebSignatureSerializer", "signer.Signer", "timed.TimestampSigner",
        "url_safe.URLSafeTimedSerializer", "url_safe.URLSafeSerializer", "serializer.Serializer")},
    "hmac.new": (0, "key"), "hmac.digest": (0, "key"), "hmac.HMAC": (0, "key"),
    "cryptography.fernet.Fernet": (0, "key"),
    **{f"{m}.Cipher.{c}.new": (0, "key") for m in ("Crypto", "Cryptodome") for c in ("AES", "ChaCha20", "Salsa20",
                                                                                         "DES3", "Blowfish")},
}
# Modules whose connect/login calls take the database, cache, mail or file-server password as `password=`.
PASSWORD_CALL_PREFIXES = (
    "psycopg2.", "psycopg.", "pymysql.", "MySQLdb.", "mysql.connector.", "redis.", "aioredis.", "asyncpg.",
    "aiomysql.", "aiopg.", "pymongo.", "motor.", "cx_Oracle.", "oracledb.", "pyodbc.", "pymssql.", "sqlalchemy.",
    "paramiko.", "ldap3.", "smtplib.", "ftplib.", "imaplib.", "poplib.", "pika.", "kombu.", "elasticsearch.",
    "clickhouse_driver.", "cassandra.", "neo4j.", "pysftp.", "fabric.", "databases.", "peewee.", "tortoise.",
)
PASSWORD_KEYWORDS = frozenset({"password", "passwd", "pwd", "db_password"})
LOGIN_CLASSES = ("smtplib.", "ftplib.", "imaplib.", "poplib.", "aiosmtplib.")


def _sink_keywords(call: ast.Call, ctx: PyContext) -> frozenset[str]:
    """Keyword names of `call` that are a password or a key by the API's own definition."""
    if not call.keywords:
        return frozenset()
    name = ctx.call_name(call) or ""
    entry = KEY_ARGUMENTS.get(name)
    if entry:
        return frozenset({entry[1]})
    if name.startswith(PASSWORD_CALL_PREFIXES):
        return PASSWORD_KEYWORDS
    return frozenset()


def _login_receiver(call: ast.Call, ctx: PyContext) -> bool:
    """`smtplib.SMTP(...).login(...)`, `server = smtplib.SMTP_SSL(...); server.login(...)`."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = ctx.resolve(func.value) if isinstance(func.value, ast.Name) else func.value
    return isinstance(receiver, ast.Call) and (ctx.call_name(receiver) or "").startswith(LOGIN_CLASSES)


def _call_pairs(call: ast.Call, ctx: PyContext) -> Iterator[tuple[str | None, ast.AST, str]]:
    """Calls whose positional arguments are a name and its value, or a user name and its password."""
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if method in BASIC_AUTH_NAMES and len(call.args) >= 2 and ctx.call_name(call) in BASIC_AUTH_CLASSES:
        if not _key_as_user(call.args[0], call.args[1]):
            yield "password", call.args[1], "sink"
    elif method == "login" and len(call.args) == 2 and _login_receiver(call, ctx):
        yield "password", call.args[1], "sink"  # smtp.login(user, "pw"), ftp.login(...)
    elif method == "login" and len(call.args) == 2 and literal_text(call.args[0]) is not None:
        yield "password", call.args[1], "bind"  # client.login("user", "pw")
    elif method in GETTER_METHODS and len(call.args) >= 2:
        key = literal_text(call.args[0])
        if key is not None:
            yield key, call.args[1], "fallback"  # os.getenv("API_KEY", "<fallback>"), cfg.get("password", "...")
    elif (method in GETTER_METHODS or method in ENV_READERS) and len(call.args) == 1 \
            and literal_text(call.args[0]) is not None:
        default = next((kw.value for kw in call.keywords if kw.arg == "default"), None)
        if default is not None:
            # `env.str("SECRET_KEY", default="<fallback>")` (django-environ), `config("API_KEY", default=...)`
            # (python-decouple), `os.getenv("K", default=...)`
            yield literal_text(call.args[0]), default, "fallback"
    if method == "Env" and ctx.call_name(call) in ENV_SCHEMAS:
        for kw in call.keywords:
            # `environ.Env(SECRET_KEY=(str, "<fallback>"))`: each setting's type and default (Horilla, §3w)
            if kw.arg and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2:
                yield kw.arg, kw.value.elts[1], "fallback"
    entry = KEY_ARGUMENTS.get(ctx.call_name(call) or "") if method else None
    if entry and len(call.args) > entry[0] and not any(isinstance(a, ast.Starred) for a in call.args[: entry[0] + 1]):
        yield f"the key of `{ctx.call_name(call)}`", call.args[entry[0]], "sink"
    for kw in call.keywords:
        if kw.arg == "auth" and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2 \
                and not _key_as_user(*kw.value.elts):
            yield "password", kw.value.elts[1], "sink"  # requests.get(url, auth=("user", "pw"))


def _key_as_user(user: ast.AST, password: ast.AST) -> bool:
    """Basic auth whose user name is the API key, read from somewhere (`BasicAuth(secrets["FRESHDESK_API_KEY"],
    "X")`, `auth=(api_token, "")`), and whose password is a filler, one character or words alone (`auth=(self.api_key,
    "AnyValueWorks")`): the convention of APIs that take the key as the user name and any value as the password
    (Freshdesk, Freshservice, Harvest, Stripe's `auth=(key, "")`). The literal is no password; the key is the
    secret, and it is not written here."""
    filler = literal_text(password)
    if filler is None or literal_text(user) is not None or \
            (len(filler.strip()) > 1 and not re.fullmatch(r"[A-Za-z]+(?:[ _-][A-Za-z]+)*", filler.strip())):
        return False
    name = name_of(user)
    if name is None and isinstance(user, ast.Call) and isinstance(user.func, ast.Attribute) and user.args:
        name = literal_text(user.args[0])  # secrets.get("FRESHSERVICE_API_KEY"), os.getenv("API_TOKEN")
    last = (name or "").rsplit(".", 1)[-1]
    kind = secrets.name_kind(last)
    if kind is None and len(filler.strip()) <= 1 and secrets.split_words(last)[-1:] == ["api"]:
        return True  # `auth=(settings.APPMONSTA_API, "X")`: a setting named for the service's API, a filler beside it
    return kind is not None and kind not in ("connection", "password")


def hits(node: ast.AST, ctx: PyContext) -> list[Hit]:
    """The hard-coded secrets at `node`, computed once per node for the three rules that share them."""
    state = ctx.memo.get("secrets.hits")
    if state is None:
        # (the lines holding a quote, where every string literal starts, in order: kept with the file's context, not
        # in a ModuleSecrets record, whose reference back to the module would keep the module's tree in a cycle
        # that only the collector frees)
        state = ctx.memo["secrets.hits"] = (
            {}, [n for n, line in enumerate(ctx.file.lines(), 1) if "'" in line or '"' in line])
    cache = state[0]
    found = cache.get(id(node))
    if found is None:
        found = cache[id(node)] = list(_find(node, ctx)) if _may_hold(node, ctx, state[1]) else _NO_HITS
    return found


_NO_HITS: list[Hit] = []  # (shared, never changed)


def _may_hold(node: ast.AST, ctx: PyContext, quoted: list[int]) -> bool:
    """Whether `node` may hold a hit (False: `_find` finds none). Every hit is a string, bytes or f-string literal
    under the node, whose opening quote is on one of the node's lines (`quoted`: the module's lines holding a quote,
    in order), except a name passed where a call takes a key or a password (`jwt.encode(p, KEY)`, with `KEY = "..."`
    elsewhere): most statements and calls have no quote on their lines (Django: two thirds), and are not asked for
    their names and values. A function's only pairs are its parameters' defaults."""
    cls = node.__class__
    if cls is ast.Constant:  # its own text, judged by its shape (secrets.known_format)
        value = node.value  # type: ignore[attr-defined]
        return isinstance(value, (str, bytes)) and len(value) >= secrets.KNOWN_FORMAT_MIN
    if cls in _FUNCTIONS:
        args = node.args  # type: ignore[attr-defined]
        if not args.defaults and not any(d is not None for d in args.kw_defaults):
            return False
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if first is None or last is None or last < first:
        return True
    i = bisect_left(quoted, first)
    if i < len(quoted) and quoted[i] <= last:
        return True
    return cls is ast.Call and _may_take_secret(node, ctx)  # type: ignore[arg-type]


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _may_take_secret(call: ast.Call, ctx: PyContext) -> bool:
    """Whether `_pairs` may give the call a pair of origin "sink" (an argument that is a key or a password by the
    API's definition): the cases of `_sink_keywords` and `_call_pairs`, each keyed on the call's name, its method or
    an `auth=` keyword. (Whoever adds a sink there adds it here: tests/test_secrets.py checks both agree.)"""
    name = ctx.call_name(call) or ""
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in KEY_ARGUMENTS or (bool(call.keywords) and name.startswith(PASSWORD_CALL_PREFIXES)) \
        or (method in BASIC_AUTH_NAMES and name in BASIC_AUTH_CLASSES) or method == "login" \
        or any(kw.arg == "auth" for kw in call.keywords)


DOCUMENTATION_KINDS = {"url-credentials", "connection-string-password"}


class ModuleSecrets:
    """What the secret rules work out from a whole module once (PyModule.derived). It keeps the module's nodes, not
    the module: kept on the module, a reference back would put the module and its tree in a cycle that only the
    collector frees, long after the file's scan (and a collection walks the tree)."""

    def __init__(self, module: PyModule):
        self.nodes = module.walk()
        self.values_by_line: dict[int, set[str]] = {}  # line -> the hard-coded secret values shown on it
        self._credential_names: frozenset[str] | None = None

    @cached_property
    def bare_strings(self) -> set[int]:
        """Strings that are statements of their own (docstrings and the like): documentation, not configuration."""
        return {id(n.value) for n in self.nodes
                if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}

    @cached_property
    def except_lines(self) -> list[tuple[int, int]]:
        """The lines of every `except` block's body."""
        return [(h.body[0].lineno, h.body[-1].end_lineno or h.body[-1].lineno) for h in self.nodes
                if isinstance(h, ast.ExceptHandler) and h.body]

    @cached_property
    def secret_nodes(self) -> dict[int, list[ast.AST]]:
        """The nodes that may hold a secret, by first line."""
        index: dict[int, list[ast.AST]] = {}
        for node in self.nodes:
            if isinstance(node, SECRET_NODES):
                index.setdefault(node.lineno, []).append(node)
        return index

    def credential_names(self, ctx: PyContext) -> frozenset[str]:
        """The names this module hands to something that takes a credential (README "Severity follows evidence"):
        the final part of a name, attribute or constant subscript passed where `_pairs` sees a key or a password by
        the API's definition (`jwt.encode(p, JWT_SECRET)`, `connect(password=settings.DB_PASSWORD)`,
        `smtp.login(user, MAIL_PASSWORD)`), a mapping spread into such a call (`connect(**DATABASE)`); and what
        the module passes on under a credential's name: a keyword argument named as a secret (`Client(api_key=KEY)`),
        a variable so named (`secret_key = DEFAULT_JWT_SECRET_KEY`),
        a mapping's entry under such a key or `Authorization` (`headers={"X-Api-Key": API_KEY}`), a scheme's prefix
        (`f"Bearer {TOKEN}"`, `"Token " + TOKEN`) or the password of a URL (`f"postgresql://u:{DB_PASSWORD}@h/db"`)."""
        if self._credential_names is None:
            names: set[str] = set()
            for node in self.nodes:
                if isinstance(node, ast.Call) and _may_take_secret(node, ctx):
                    for _name, expr, origin in _pairs(node, ctx):
                        if origin == "sink" or (origin == "bind" and _name == "password"):
                            names.add(_final_name(expr))
                    names.update(_final_name(kw.value) for kw in node.keywords if kw.arg is None)
                    if isinstance(node.func, ast.Attribute) and node.func.attr == "login":
                        names.update(_final_name(arg) for arg in node.args)  # box.login(pin)
                if isinstance(node, ast.Call):
                    names.update(_final_name(kw.value) for kw in node.keywords
                                 if kw.arg and secrets.name_kind(kw.arg) not in (None, "connection"))
                elif isinstance(node, ast.Dict):
                    names.update(_final_name(v) for k, v in zip(node.keys, node.values)
                                 if isinstance(k, ast.Constant) and isinstance(k.value, str)
                                 and (k.value.lower() == "authorization" or secrets.name_kind(k.value) not in (None, "connection")))
                elif isinstance(node, ast.JoinedStr):
                    parts = node.values
                    for before, value, after in zip(parts, parts[1:], [*parts[2:], None]):
                        if not (isinstance(value, ast.FormattedValue) and isinstance(before, ast.Constant)):
                            continue
                        text = str(before.value)
                        if text.endswith(AUTH_SCHEMES) or (text.endswith(":") and isinstance(after, ast.Constant)
                                                           and str(after.value).startswith("@")):
                            names.add(_final_name(value.value))
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and secrets.name_kind(_final_name(node.targets[0])) not in (None, "connection"):
                    names.add(_final_name(node.value))  # secret_key = DEFAULT_JWT_SECRET_KEY
                elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
                        and str(literal_text(node.left) or "").endswith(AUTH_SCHEMES):
                    names.add(_final_name(node.right))
            names.discard("")
            self._credential_names = frozenset(names)
        return self._credential_names

    @cached_property
    def class_of_line(self) -> dict[int, str]:
        """Line -> the class whose body binds something on it."""
        index: dict[int, str] = {}
        for cls in self.nodes:
            if isinstance(cls, ast.ClassDef):
                for stmt in cls.body:
                    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                        for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
                            index[line] = cls.name
        return index


def _find(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    if isinstance(node, ast.Constant):
        value = literal_text(node)
        if value is not None:
            match = secrets.reportable(secrets.known_format(value), value)
            if match and not (match.kind in DOCUMENTATION_KINDS and _is_documentation(node, ctx)):
                yield Hit(node, value, match, None)  # `postgres://scott:tiger@...` in a docstring is an example
        return
    seen: set[int] = set()
    # A dict literal that is a presentation mapping (`attrs={"password": "form-control"}`) holds no secret: asked
    # (its parent, from the module's parent map) only when one of its entries would be a hit, as few are.
    presentation = isinstance(node, ast.Dict)
    for name, expr, origin in _pairs(node, ctx):
        if name is None or id(expr) in seen:
            continue
        value = literal_text(expr)
        if value is None and origin == "sink" and isinstance(expr, ast.Name):
            expr, value = _bound_literal(expr, ctx)  # KEY = "..."; jwt.encode(payload, KEY)
            if value is None or id(expr) in seen:
                continue
        if value is None or secrets.known_format(value):
            continue  # a known format is reported once, by its shape, where the literal is (a public one: never)
        hit = _judge(name, value, origin, expr)
        if hit is not None and presentation:
            if _presentation_dict(node, ctx):  # type: ignore[arg-type]
                return
            presentation = False
        # (judged the same as "bind" but for the origin it records: the except blocks, a walk of the whole module,
        # are looked up only for a literal that is a hit)
        if hit is not None and origin == "bind" and _in_except_handler(expr, ctx):
            # try: SECRETS = json.load(...) / except OSError: SECRETS = {"secret_key": "a"}
            hit = _judge(name, value, "fallback", expr)
        if hit is not None and (_names_a_method(expr, value, ctx) or _grouping_map(node, expr)):
            continue
        if hit is not None:
            seen.add(id(expr))
            yield hit


# A sentinel stored in (or compared with) a password field names how the account logs in: `{"password": "LDAP",
# "auth_method": AuthMethod.LDAP}`, `user.password == "LDAP" or user.auth_method == AuthMethod.LDAP`.
METHOD_WORDS = frozenset({"auth", "authentication", "method", "provider", "backend", "source", "origin", "scheme",
                          "login", "sso", "idp", "realm"})


def _names_a_method(expr: ast.AST, value: str, ctx: PyContext) -> bool:
    """The literal is the name of an enum-like member (`AuthMethod.LDAP`) that the same statement (or the same
    condition) uses for the way the account authenticates: a marker, not a password."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{1,31}", value):
        return False
    parents = ctx.module.parents()
    scope, up = expr, parents.get(id(expr))
    while up is not None and not isinstance(up, ast.stmt):
        scope, up = up, parents.get(id(up))
    if isinstance(up, (ast.If, ast.While)) and scope is up.test or not isinstance(up, ast.stmt):
        region = scope  # the condition, not the body it guards
    else:
        region = up
    for sub in ast.walk(region):
        if isinstance(sub, ast.Attribute) and sub.attr == value and isinstance(sub.ctx, ast.Load):
            words = set(secrets.split_words(ast.unparse(sub.value)))
            holder = parents.get(id(sub))
            if isinstance(holder, ast.Dict):  # the key it is stored under: `"auth_method": AuthMethod.LDAP`
                keys = [k for k, v in zip(holder.keys, holder.values) if v is sub]
                words |= set(secrets.split_words(literal_text(keys[0]) or "")) if keys else set()
            elif isinstance(holder, ast.Compare):
                words |= {w for side in (holder.left, *holder.comparators) for w in
                          secrets.split_words(name_of(side) or "")}
            if words & METHOD_WORDS:
                return True
    return False


def _grouping_map(node: ast.AST, expr: ast.AST) -> bool:
    """A dict literal that groups many keys under a few names (`{"smtp_host": "mail_settings", "smtp_password":
    "mail_settings", ...}`: form fields to fieldsets): every value of the dict is an identifier and this one is
    shared by at least four keys, so it is a group's name, not the secret of one key (`{"name": "demo", "id":
    "demo", "password": "demo"}` is a demo account, not a grouping)."""
    if not isinstance(node, ast.Dict) or not isinstance(expr, ast.Constant) or not isinstance(expr.value, str) \
            or not all(isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.isidentifier()
                       for v in node.values):
        return False
    return sum(1 for v in node.values if v.value == expr.value) >= 4  # type: ignore[attr-defined]


def _is_documentation(node: ast.AST, ctx: PyContext) -> bool:
    """A docstring-like bare string, a module's documentation constant (`EXAMPLES = '''...'''`), or help text showing
    an example URL on the loopback host (`"Sentry dsn, i.e.: " + "http://key:secret@localhost:9000/2"`): the literal
    holds prose besides the URL, is concatenated with prose, or is the value of a `help=`/`description=` argument."""
    if id(node) in ctx.module.derived(ModuleSecrets).bare_strings:
        return True
    parent = ctx.module.parents().get(id(node))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name) \
            and ctx.module.parents().get(id(parent)) is ctx.module.tree \
            and _documentation_name(parent.targets[0].id):
        return True  # an Ansible module's `EXAMPLES = """..."""`, a `USAGE_EXAMPLE` text: documentation
    text = literal_text(node) or ""
    hosts = secrets.url_hosts(text)
    if not hosts or not all(h in secrets.LOOPBACK_HOSTS for h in hosts):
        return False
    if _prose(text):
        return True
    if isinstance(parent, ast.keyword):
        return (parent.arg or "") in HELP_KEYWORDS
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add):
        return any(_prose(literal_text(side) or "") for side in (parent.left, parent.right) if side is not node)
    return False


# Module constants that hold documentation (Ansible's DOCUMENTATION, EXAMPLES and RETURN; USAGE, HELP texts).
DOCUMENTATION_NAMES = frozenset({"documentation", "example", "examples", "usage", "help", "docs", "doc"})


def _documentation_name(name: str) -> bool:
    """`EXAMPLES`, `USAGE_TEXT`, Ansible's `RETURN` (alone: `RETURN_URL` is a setting)."""
    words = secrets.split_words(name)
    return words == ["return"] or bool(set(words) & DOCUMENTATION_NAMES)
HELP_KEYWORDS = frozenset({"help", "description", "doc", "docs", "example", "examples", "hint", "usage", "epilog"})


def _prose(text: str) -> bool:
    """Three or more words besides any URL in it."""
    return sum(1 for w in text.split() if "://" not in w and re.fullmatch(r"[A-Za-z][A-Za-z.,:;'()-]*", w)) >= 3


def _in_except_handler(node: ast.AST, ctx: PyContext) -> bool:
    """Inside an `except` block: the value used when loading the real configuration failed."""
    line = getattr(node, "lineno", 0)
    return any(a <= line <= b for a, b in ctx.module.derived(ModuleSecrets).except_lines)


def _bound_literal(name: ast.Name, ctx: PyContext) -> tuple[ast.AST, str | None]:
    """The literal a name passed to a secret sink is bound to, unless its own binding already reports it."""
    bound = ctx.resolve(name)
    value = literal_text(bound)
    if bound is None or value is None:
        return name, None
    if _judge(name.id, value, "bind", bound) is not None:
        return name, None  # `JWT_SECRET = "..."` is reported at its assignment
    return bound, value


def _judge(name: str, value: str, origin: str, expr: ast.AST) -> Hit | None:
    strong = origin == "sink" or (origin in ("bind", "fallback") and is_secret_setting(name))
    if strong:
        kind = "crypto-key" if origin == "sink" and name.startswith("the key") else secrets.name_kind(
            name.rsplit(".", 1)[-1]) or "password"
        strength = sink_value(value, name, kind)
        if strength is None:
            return None
        match = secrets.SecretMatch("generic-secret" if kind == "secret" else kind, SINK_DESCRIPTIONS[kind], "medium")
        return Hit(expr, value, match, name, strength, origin)  # type: ignore[arg-type]
    match = secrets.check_value(value, name)
    if match:
        return Hit(expr, value, match, name, "", origin)  # type: ignore[arg-type]
    return None


SINK_DESCRIPTIONS = {"password": "a password", "crypto-key": "a signing or encryption key",
                     "secret": "a secret or API token"}


def is_secret_setting(name: str | None) -> bool:
    """A name that holds a secret by convention, so that any literal bound to it is one: a constant or setting
    named `*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY` (upper case: `EMAIL_PASSWORD`, `app.config["JWT_SECRET"]`,
    `config.update(SECRET_KEY=...)`), and Flask's `app.secret_key`."""
    if not name:
        return False
    final = name.rsplit(".", 1)[-1]
    kind = secrets.name_kind(final)
    if kind is None or kind == "connection":
        return False
    if final.lower() == "secret_key":
        return True
    return final.upper() == final and any(c.isalpha() for c in final) and re.fullmatch(r"[A-Z0-9_]+", final) is not None


# Clearly a stand-in for the real value: left alone in template and example files, reported at medium severity in
# code that ships (an application that runs with `SECRET_KEY = "changeme"` signs with a key everyone knows).
PLACEHOLDER_WORDS = lazy_compile(
    r"change[-_ ]?(me|it|this)|replace[-_ ]?(me|this|with)|your[-_ ]|^my[-_ ]?(secret|key|password|token)$|"
    r"placeholder|dummy|example|sample|fake|redacted|^x{3,}$|^\*+$|^\.+$|^todo$|^tbd$|^fixme$|^<.*>$|set[-_ ]?me|"
    r"insert[-_ ]|not[-_ ]?a[-_ ]?(real[-_ ]?)?secret|notasecret|not[-_ ]?set|^-+$|^_+$", re.I)
# Text that refers to a value kept elsewhere: `${SECRET}`, `{{ secret }}`, `%(key)s`, `{key}`, `{realm-name}`, `%s`,
# `$SECRET`.
REFERENCE = lazy_compile(r"\$\{[^{}]*\}|\{\{[^{}]*\}\}|%\([^()]*\)[sdr]|%[sdr]\b|\{[A-Za-z_0-9.-]*\}|^\$[A-Za-z_][A-Za-z0-9_]*$|"
                       r"^(arn|ssm|secretsmanager|resolve|vault|env):", re.I)
NOT_A_VALUE = frozenset({"none", "null", "nil", "true", "false", "undefined", "n/a", "na", "unset", "required",
                         "optional", "string", "str", "bytes", "env", "environ"})
KEY_FILES = lazy_compile(r"\.(pem|key|crt|cer|der|p12|pfx|jks|json|txt|ya?ml|env|cfg|ini|conf|toml|pub|gpg|asc)$", re.I)


def _random_with_marks(v: str) -> bool:
    """A long random value in which a template mark (`%s`, `%d`, `{x}`) occurs by chance: Django's generated
    `SECRET_KEY` draws from letters, digits and `!@#$%^&*(-_=+)`, so one in a few dozen holds `%s` (§3v's
    Photonix). Whitespace or a `${...}`/`{{...}}` reference still makes it a template."""
    return len(v) >= 32 and not any(c.isspace() for c in v) and secrets.entropy(v) >= 4.0 \
        and "${" not in v and "{{" not in v and "%(" not in v and not v.startswith(("$", "arn:", "ssm:", "vault:"))


def sink_value(value: str, name: str, kind: str) -> str | None:
    """How a literal at a known secret sink reads: "real", "weak" (short, a word, low entropy: worse, not better),
    "placeholder", or None when it is not a secret value at all (empty, a reference, a file path, an environment
    variable's name, the setting's own name as a key: `ACCESS_TOKEN = "access_token"`)."""
    v = value.strip()
    if not v or len(v) > 4096 or v.lower() in NOT_A_VALUE or (REFERENCE.search(v) and not _random_with_marks(v)):
        return None
    if "://" in v or v.startswith(("/", "./", "../", "~/", "file:")) or KEY_FILES.search(v):
        return None  # a URL without credentials, a key file's path
    if secrets.not_a_secret_shape(v):
        return None  # a regular expression, a path or registry key (the name itself: below)
    if re.fullmatch(r"(?<![A-Z0-9_])[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", v):
        # "DB_PASSWORD": the environment variable that holds it; "SECRET_KEY_NOT_SET": a stand-in the app runs with
        return "placeholder" if PLACEHOLDER_WORDS.search(v) else None
    value_words = secrets.split_words(v)
    if secrets.names_itself(v, name):
        return None  # ACCESS_TOKEN = "access_token", CONF_PASSWORD = "password": a dictionary key or a header's name
    if any(c.isspace() for c in v) and (kind != "crypto-key" or len(value_words) > 5 or v.endswith((".", ":", "?"))):
        return None  # prose: "Enter the token", "Invalid password."
    if PLACEHOLDER_WORDS.search(v):
        return "placeholder"
    words_only = re.fullmatch(r"[A-Za-z]+(?:[-_ .][A-Za-z]+)*", v.strip("#._:-/@")) is not None
    if kind == "secret" and words_only:
        return None  # GITHUB_TOKEN = "github-token": a name (keyring entry, header) more often than a token
    if len(v) < 16 or words_only or secrets.entropy(v) < 3.0 or len(set(v.lower())) <= 3:
        return "weak"
    return "real"


def redact_snippet(ctx: PyContext, line: int, text: str) -> str:
    """`text` (the code shown for a finding starting at `line`) with every hard-coded secret of the file redacted."""
    module = ctx.module
    # The nodes that may hold a secret, by first line (one walk per file); the secrets of a line are found once.
    found = module.derived(ModuleSecrets)
    index, by_line = found.secret_nodes, found.values_by_line
    if line not in by_line:
        values: set[str] = set()
        probe = PyContext(module)
        for first, nodes in index.items():
            if first > line:
                continue
            for node in nodes:
                if (getattr(node, "end_lineno", None) or first) < line:
                    continue
                for hit in _find(node, probe):
                    if hit.literal.lineno <= line <= (hit.literal.end_lineno or hit.literal.lineno):
                        values.add(hit.value if len(hit.value) >= 4 else f'"{hit.value}"')
        by_line[line] = values
    return mask_card_numbers(secrets.redact_line(text, *by_line[line]))


SECRET_NODES = (ast.Constant, ast.Assign, ast.AnnAssign, ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                ast.Dict, ast.Compare)

ENV_CALLS = {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.setdefault", "os.environ.pop",
             "os.environ.__getitem__", "os.environb.get"}


ENV_METHODS = {name.rsplit(".", 1)[-1] for name in ENV_CALLS}


def _may_be(node: ast.AST, finals, ctx: PyContext, seen: frozenset[str] = frozenset()) -> bool:
    """A cheap test before the real resolution: `x.getenv`, `getenv`, or a name imported as one of them (`seen`: the
    local names already followed, so `line = line` or `a = b; b = a` ends)."""
    if isinstance(node, ast.Attribute):
        return node.attr in finals
    if isinstance(node, ast.Name):
        if node.id in finals or (ctx.names.qualname(node) or "").rsplit(".", 1)[-1] in finals:
            return True
        if ctx.function is not None and node.id not in seen:  # env = os.environ inside the function
            local = ctx.module.bindings(ctx.function).get(node.id) or ()
            return any(isinstance(v, (ast.Name, ast.Attribute)) and _may_be(v, finals, ctx, seen | {node.id})
                       for v in local)
    return False


def env_variable(node: ast.AST, ctx: PyContext) -> str | None:
    """The variable name an expression reads from the process environment, when it is a constant."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        if _may_be(node.value, ("environ", "environb"), ctx) and ctx.qualname(node.value) in ("os.environ", "os.environb"):
            name = ctx.const(node.slice)
            return name if isinstance(name, str) else None
    elif isinstance(node, ast.Call) and _may_be(node.func, ENV_METHODS, ctx) and ctx.call_name(node) in ENV_CALLS:
        arg = node.args[0] if node.args else (ctx.kwarg(node, "key") or ctx.kwarg(node, "name"))
        name = ctx.const(arg)
        return name if isinstance(name, str) else None
    return None
