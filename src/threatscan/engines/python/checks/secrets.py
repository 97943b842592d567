"""Secrets: read from the environment, written into the code, written to logs (rules PY201-PY205).

Every decision about what is a secret comes from threatscan.secrets (shared with the template and Android
engines); this module only knows where Python code binds a value to a name. No value ever reaches a message,
snippet or fingerprint: findings carry the redacted line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from .... import secrets
from ....links import is_claimed_env_secret
from ....model import Severity
from ..context import PyContext
from ..registry import python_check
from .sensitive_data import mask_card_numbers

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
    name = name_of(target)
    fallback = _reads_setting(value, ctx)
    for v in _values(value):
        yield name, v, "fallback" if fallback and v is not value else "bind"


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
        yield "password", call.args[1], "sink"
    elif method == "login" and len(call.args) == 2 and _login_receiver(call, ctx):
        yield "password", call.args[1], "sink"  # smtp.login(user, "pw"), ftp.login(...)
    elif method == "login" and len(call.args) == 2 and literal_text(call.args[0]) is not None:
        yield "password", call.args[1], "bind"  # client.login("user", "pw")
    elif method in GETTER_METHODS and len(call.args) >= 2:
        key = literal_text(call.args[0])
        if key is not None:
            yield key, call.args[1], "fallback"  # os.getenv("API_KEY", "<fallback>"), cfg.get("password", "...")
    entry = KEY_ARGUMENTS.get(ctx.call_name(call) or "") if method else None
    if entry and len(call.args) > entry[0] and not any(isinstance(a, ast.Starred) for a in call.args[: entry[0] + 1]):
        yield f"the key of `{ctx.call_name(call)}`", call.args[entry[0]], "sink"
    for kw in call.keywords:
        if kw.arg == "auth" and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2:
            yield "password", kw.value.elts[1], "sink"  # requests.get(url, auth=("user", "pw"))


def hits(node: ast.AST, ctx: PyContext) -> list[Hit]:
    """The hard-coded secrets at `node`, computed once per node for the three rules that share them."""
    cache: dict[int, list[Hit]] = ctx.__dict__.setdefault("_secret_hits", {})
    key = id(node)
    if key not in cache:
        cache[key] = list(_find(node, ctx))
    return cache[key]


DOCUMENTATION_KINDS = {"url-credentials", "connection-string-password"}


def _bare_strings(ctx: PyContext) -> set[int]:
    """Strings that are statements of their own (docstrings and the like): documentation, not configuration."""
    found = getattr(ctx.module, "_bare_strings", None)
    if found is None:
        found = {id(n.value) for n in ctx.module.walk()
                 if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        ctx.module._bare_strings = found  # type: ignore[attr-defined]
    return found


def _find(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    if isinstance(node, ast.Constant):
        value = literal_text(node)
        if value is not None:
            match = secrets.known_format(value)
            if match and not (match.kind in DOCUMENTATION_KINDS and id(node) in _bare_strings(ctx)):
                yield Hit(node, value, match, None)  # `postgres://scott:tiger@...` in a docstring is an example
        return
    seen: set[int] = set()
    for name, expr, origin in _pairs(node, ctx):
        if name is None or id(expr) in seen:
            continue
        value = literal_text(expr)
        if value is None and origin == "sink" and isinstance(expr, ast.Name):
            expr, value = _bound_literal(expr, ctx)  # KEY = "..."; jwt.encode(payload, KEY)
            if value is None or id(expr) in seen:
                continue
        if value is None or secrets.known_format(value):
            continue  # a known format is reported once, by its shape, where the literal is
        if origin == "bind" and _in_except_handler(expr, ctx):
            origin = "fallback"  # try: SECRETS = json.load(...) / except OSError: SECRETS = {"secret_key": "a"}
        hit = _judge(name, value, origin, expr)
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


def _in_except_handler(node: ast.AST, ctx: PyContext) -> bool:
    """Inside an `except` block: the value used when loading the real configuration failed."""
    ranges = getattr(ctx.module, "_except_lines", None)
    if ranges is None:
        ranges = [(h.body[0].lineno, h.body[-1].end_lineno or h.body[-1].lineno) for h in ctx.module.walk()
                  if isinstance(h, ast.ExceptHandler) and h.body]
        ctx.module._except_lines = ranges  # type: ignore[attr-defined]
    line = getattr(node, "lineno", 0)
    return any(a <= line <= b for a, b in ranges)


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
PLACEHOLDER_WORDS = re.compile(
    r"change[-_ ]?(me|it|this)|replace[-_ ]?(me|this|with)|your[-_ ]|^my[-_ ]?(secret|key|password|token)$|"
    r"placeholder|dummy|example|sample|fake|redacted|^x{3,}$|^\*+$|^\.+$|^todo$|^tbd$|^fixme$|^<.*>$|set[-_ ]?me|"
    r"insert[-_ ]|not[-_ ]?a[-_ ]?(real[-_ ]?)?secret|notasecret|not[-_ ]?set|^-+$|^_+$", re.I)
# Text that refers to a value kept elsewhere: `${SECRET}`, `{{ secret }}`, `%(key)s`, `{key}`, `%s`, `$SECRET`.
REFERENCE = re.compile(r"\$\{[^{}]*\}|\{\{[^{}]*\}\}|%\([^()]*\)[sdr]|%[sdr]\b|\{[A-Za-z_0-9.]*\}|^\$[A-Za-z_][A-Za-z0-9_]*$|"
                       r"^(arn|ssm|secretsmanager|resolve|vault|env):", re.I)
NOT_A_VALUE = frozenset({"none", "null", "nil", "true", "false", "undefined", "n/a", "na", "unset", "required",
                         "optional", "string", "str", "bytes", "env", "environ"})
KEY_FILES = re.compile(r"\.(pem|key|crt|cer|der|p12|pfx|jks|json|txt|ya?ml|env|cfg|ini|conf|toml|pub|gpg|asc)$", re.I)


def sink_value(value: str, name: str, kind: str) -> str | None:
    """How a literal at a known secret sink reads: "real", "weak" (short, a word, low entropy: worse, not better),
    "placeholder", or None when it is not a secret value at all (empty, a reference, a file path, an environment
    variable's name, the setting's own name as a key: `ACCESS_TOKEN = "access_token"`)."""
    v = value.strip()
    if not v or len(v) > 4096 or v.lower() in NOT_A_VALUE or REFERENCE.search(v):
        return None
    if "://" in v or v.startswith(("/", "./", "../", "~/", "file:")) or KEY_FILES.search(v):
        return None  # a URL without credentials, a key file's path
    if re.fullmatch(r"(?<![A-Z0-9_])[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", v):
        # "DB_PASSWORD": the environment variable that holds it; "SECRET_KEY_NOT_SET": a stand-in the app runs with
        return "placeholder" if PLACEHOLDER_WORDS.search(v) else None
    value_words = secrets.split_words(v)
    if value_words and value_words == secrets.split_words(name.rsplit(".", 1)[-1]):
        return None  # ACCESS_TOKEN = "access_token": a dictionary key or a header's name
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


RULE_OF_CWE = {259: "PY202", 321: "PY204"}


def rule_for(match: secrets.SecretMatch) -> str:
    return RULE_OF_CWE.get(match.cwe, "PY203")


def redacted_line(ctx: PyContext, literal: ast.AST, value: str) -> str:
    """The literal's line with the literal itself replaced by "***" (and any other secret on it redacted)."""
    number = literal.lineno
    raw = ctx.file.line(number).encode("utf-8")
    start = literal.col_offset
    end = literal.end_col_offset if literal.end_lineno == number and literal.end_col_offset is not None else len(raw)
    line = raw[:start].decode("utf-8", "replace") + '"***"' + raw[end:].decode("utf-8", "replace")
    # The literal itself is gone; a value too short to be told from ordinary text (`"a"`, `"dev"`) is not searched
    # for elsewhere on the line, where it would mangle the code around it.
    return secrets.redact_line(line, *([value] if len(value) >= 4 else [])).strip()


def redact_snippet(ctx: PyContext, line: int, text: str) -> str:
    """`text` (the code shown for a finding starting at `line`) with every hard-coded secret of the file redacted."""
    module = ctx.module
    # The nodes that may hold a secret, by first line (one walk per file); the secrets of a line are found once.
    index: dict[int, list[ast.AST]] | None = getattr(module, "_secret_nodes", None)
    if index is None:
        index = {}
        for node in module.walk():
            if isinstance(node, SECRET_NODES):
                index.setdefault(node.lineno, []).append(node)
        module._secret_nodes = index  # type: ignore[attr-defined]
        module._secret_values = {}  # type: ignore[attr-defined]
    by_line: dict[int, set[str]] = module._secret_values  # type: ignore[attr-defined]
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


HEADINGS = {
    "PY202": "Hard-coded password",
    "PY203": "Hard-coded credential",
    "PY204": "Hard-coded cryptographic key",
}


def _report_hits(node: ast.AST, ctx: PyContext) -> None:
    assert ctx.rule is not None
    for hit in hits(node, ctx):
        if rule_for(hit.match) != ctx.rule.id:
            continue
        if is_claimed_env_secret(ctx.scan.facts.claimed_env_literals, ctx.file.rel, hit.literal.lineno,
                                 ctx.location(hit.literal).column, hit.value):
            continue  # a CDK function's environment value: IAC101 reports it, with the handler's read
        judged = _severity(hit, ctx)
        if judged is None:
            continue
        severity, note = judged
        where = f" as `{hit.name}`" if hit.name and not hit.name.startswith("the ") else \
            f" as {hit.name}" if hit.name else ""
        what = hit.match.description
        if hit.strength == "weak":
            what += " (short and guessable: low entropy makes it worse, not safer)"
        elif hit.strength == "placeholder":
            what += " that reads like a placeholder"
        message = (f"{HEADINGS[ctx.rule.id]}: {what} is written into the code{where}; "
                   f"anyone who can read the source or the deployed package can use it.{note}")
        snippet = redacted_line(ctx, hit.literal, hit.value)
        precision = "high" if hit.strength in ("real", "weak") or hit.match.confidence == "high" else "medium"
        ctx.report(hit.literal, message, snippet=snippet, code=f"{snippet}\0{hit.name}\0{hit.match.kind}",
                   severity=severity, precision=precision,
                   properties={"secretKind": hit.match.kind, **({"secretSink": hit.origin} if hit.strength else {})})


DEV_CLASS = re.compile(r"test|dev|local|debug", re.I)


def _severity(hit: Hit, ctx: PyContext) -> tuple[Severity | None, str] | None:
    """The severity policy for a hard-coded secret (None: not reported). See rules/python/secrets.yaml."""
    test_code = in_test_code(ctx.file.rel)
    if not hit.strength:  # judged by its shape under a secret-like name, or a known format
        name_based = hit.match.confidence != "high"
        if name_based and _named_as_test_data(hit):
            return Severity.LOW, TEST_DATA_NOTE
        if name_based and _self_test_value(hit, ctx):
            return Severity.LOW, (" It is the sample input of a self-test (the function asserts what comes back "
                                  "from it), not a credential the program uses.")
        if (name_based or hit.match.kind in DOCUMENTATION_KINDS) and test_code:
            return Severity.LOW, " (It is in test code.)"  # a test's own password for a test server: rarely a leak
        return (Severity.MEDIUM if name_based else None), ""
    if hit.strength == "placeholder":
        if hit.origin == "fallback" or test_code or in_template_file(ctx.file.rel):
            return None  # `os.environ.get("SECRET_KEY", "change-me")`, a settings template: a documented stand-in
        if hit.origin == "bind" and _named_as_test_data(hit):
            return Severity.LOW, TEST_DATA_NOTE
        return Severity.MEDIUM, " The application runs with this value unless something replaces it."
    if hit.origin == "fallback":
        if hit.strength == "weak":
            return Severity.LOW, " It is the fallback used when the setting is missing: make the setting required."
        return Severity.MEDIUM, " It is the fallback used when the setting is missing."
    if test_code:
        return Severity.LOW, " (It is in test code.)"
    if hit.origin == "bind" and _named_as_test_data(hit):
        return Severity.LOW, TEST_DATA_NOTE
    settings = _development_settings(ctx.file.rel)
    if settings:
        return Severity.LOW, f" (It is in the `{settings}` settings module, for development or CI, not deployment.)"
    config = _enclosing_class(hit.literal, ctx)
    if config and DEV_CLASS.search(config):
        return Severity.LOW, f" (It is in the `{config}` configuration.)"
    return None, ""


TEST_DATA_NOTE = " It is named as test data (a test account's password): make sure no deployed account uses it."


def _named_as_test_data(hit: Hit) -> bool:
    """`TEST_USER_PASSWORD`, `test_password`: a name whose first word says it is test data."""
    return bool(hit.name) and secrets.split_words((hit.name or "").rsplit(".", 1)[-1])[:1] in (["test"], ["testing"])


DEV_SETTINGS = frozenset({"ci", "test", "tests", "testing", "dev", "development", "local", "debug"})
SETTINGS_PACKAGES = frozenset({"settings", "config", "configs", "conf", "configuration"})


def _development_settings(rel: str) -> str | None:
    """`settings/ci.py`, `config/development.py`: a settings module for development or CI by its name."""
    parts = rel.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return stem if len(parts) >= 2 and parts[-2] in SETTINGS_PACKAGES and stem in DEV_SETTINGS else None


def _self_test_value(hit: Hit, ctx: PyContext) -> bool:
    """`password = "..."` in a function that then asserts on that variable (`assert text == password`): the sample
    input of a built-in encrypt/decrypt self-test."""
    parent = ctx.module.parents().get(id(hit.literal))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    scope = ctx.function
    if scope is None:  # a module-level block (`if __name__ == "__main__":`): the top-level statement around it
        parents = ctx.module.parents()
        scope = parent
        while not isinstance(parents.get(id(scope)), ast.Module) and parents.get(id(scope)) is not None:
            scope = parents[id(scope)]
        if scope is parent:
            return False
    return any(isinstance(n, ast.Assert) and any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n.test))
               for n in ast.walk(scope))


def _enclosing_class(node: ast.AST, ctx: PyContext) -> str | None:
    """The class whose body binds `node` (class-style settings: `class DevelopmentConfig: SECRET_KEY = "dev"`)."""
    index = getattr(ctx.module, "_class_of_line", None)
    if index is None:
        index = {}
        for cls in ctx.module.walk():
            if isinstance(cls, ast.ClassDef):
                for stmt in cls.body:
                    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                        for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
                            index[line] = cls.name
        ctx.module._class_of_line = index  # type: ignore[attr-defined]
    return index.get(getattr(node, "lineno", 0))


def in_template_file(path: str) -> bool:
    """Settings templates and examples: `settings.example.py`, `config_sample.py`, `examples/`, `docs/`."""
    parts = path.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return (any(p in ("example", "examples", "sample", "samples", "template", "templates", "docs", "doc",
                      "skeleton", "scaffold", "boilerplate") for p in parts[:-1])
            or re.search(r"example|sample|template|\bdist\b|\.dist|_dist|skel", stem) is not None)


def in_test_code(path: str) -> bool:
    parts = path.lower().split("/")
    name = parts[-1]
    return (any(p in ("test", "tests", "testing", "unittests") for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name in ("conftest.py", "tests.py", "test.py"))


SECRET_NODES = (ast.Constant, ast.Assign, ast.AnnAssign, ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                ast.Dict, ast.Compare)

python_check("PY202", *SECRET_NODES)(_report_hits)
python_check("PY203", *SECRET_NODES)(_report_hits)
python_check("PY204", *SECRET_NODES)(_report_hits)


# --- PY201: secrets read from environment variables ---------------------------------------------------------------
ENV_CALLS = {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.setdefault", "os.environ.pop",
             "os.environ.__getitem__", "os.environb.get"}


ENV_METHODS = {name.rsplit(".", 1)[-1] for name in ENV_CALLS}


def _may_be(node: ast.AST, finals, ctx: PyContext) -> bool:
    """A cheap test before the real resolution: `x.getenv`, `getenv`, or a name imported as one of them."""
    if isinstance(node, ast.Attribute):
        return node.attr in finals
    if isinstance(node, ast.Name):
        if node.id in finals or (ctx.names.qualname(node) or "").rsplit(".", 1)[-1] in finals:
            return True
        if ctx.function is not None:  # env = os.environ inside the function
            local = ctx.module.bindings(ctx.function).get(node.id) or ()
            return any(isinstance(v, (ast.Name, ast.Attribute)) and _may_be(v, finals, ctx) for v in local)
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


@python_check("PY201", ast.Subscript, ast.Call, raise_in_handler=True)
def secret_from_environment(node: ast.AST, ctx: PyContext) -> None:
    variable = env_variable(node, ctx)
    if variable is None or not secrets.is_secret_name(variable):
        return
    defined = ctx.scan.links.env_definitions.get(ctx.file.rel, {})
    if variable in defined:
        return  # the template rule reports the plaintext definition once, with this read as related location
    ctx.report(node, f"Secret in an environment variable: `{variable}` is read from the process "
                     f"environment, where anyone who can read the function's configuration or exploit the code "
                     f"can take it; fetch it from a secrets manager instead.",
               properties={"environmentVariable": variable})


# --- PY205: secrets written to logs -------------------------------------------------------------------------------
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
LOGGER_FACTORIES = {"getLogger", "get_logger", "getChild", "bind", "new", "opt", "LoggerAdapter"}
NOT_LOGGED_KEYWORDS = {"exc_info", "stack_info", "stacklevel", "level", "lvl"}
# Calls that keep the secret out of the text (hashing, masking, measuring).
TRANSPARENT_CALLS = {"str", "repr", "format", "f"}


def _is_logger(func: ast.AST, ctx: PyContext) -> bool:
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    qualname = ctx.qualname(func) or ""
    if qualname.startswith(("logging.", "structlog.", "loguru.logger.")):
        return True
    bound = ctx.resolve(func.value)  # audit = structlog.get_logger(); audit.info(...)
    if isinstance(bound, ast.Call) and (ctx.call_name(bound) or "").rsplit(".", 1)[-1] in LOGGER_FACTORIES:
        return True
    receiver = name_of(func.value) or (func.value.func.attr if isinstance(func.value, ast.Call)
                                       and isinstance(func.value.func, ast.Attribute) else "")
    words = secrets.split_words(receiver or "")
    return bool(words) and (words[-1] in ("log", "logging", "structlog") or words[-1].endswith("logger"))


def _secret_refs(expr: ast.AST, ctx: PyContext, depth: int = 0) -> Iterator[tuple[ast.AST, str]]:
    """Secret-like variables, attributes and subscripts whose value ends up in the text of `expr`."""
    if depth > 60:
        return  # nested thousands deep: generated code; the recursion limit is not ours to test
    if isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript)):
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            return  # token[:4]: a prefix, logged on purpose to tell tokens apart
        name = name_of(expr)
        kind = secrets.name_kind(name) if name else None
        if kind and kind != "connection" and not (isinstance(expr, ast.Name) and _used_as_number(ctx, expr.id)) \
                and ast.unparse(expr) not in _opened_paths(ctx):
            yield expr, name  # type: ignore[misc]
        return
    if isinstance(expr, ast.JoinedStr):
        for v in expr.values:
            if isinstance(v, ast.FormattedValue):
                yield from _secret_refs(v.value, ctx, depth + 1)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        operands = [expr.right]
        left = expr.left  # a + b + c nests to the left: walk that spine without recursion
        while isinstance(left, ast.BinOp) and isinstance(left.op, (ast.Add, ast.Mod)):
            operands.append(left.right)
            left = left.left
        operands.append(left)
        for operand in reversed(operands):
            yield from _secret_refs(operand, ctx, depth + 1)
    elif isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        for e in expr.elts:
            yield from _secret_refs(e, ctx, depth + 1)
    elif isinstance(expr, ast.Dict):
        for k, v in zip(expr.keys, expr.values):
            key = literal_text(k)
            if key is not None and secrets.name_kind(key) not in (None, "connection") and literal_text(v) is None \
                    and not (isinstance(v, ast.Constant)):
                yield v, key
            else:
                yield from _secret_refs(v, ctx, depth + 1)
    elif isinstance(expr, ast.BoolOp):
        for v in expr.values:
            yield from _secret_refs(v, ctx, depth + 1)
    elif isinstance(expr, ast.IfExp):
        yield from _secret_refs(expr.body, ctx, depth + 1)
        yield from _secret_refs(expr.orelse, ctx, depth + 1)
    elif isinstance(expr, ast.Starred):
        yield from _secret_refs(expr.value, ctx, depth + 1)
    elif isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id in TRANSPARENT_CALLS and func.id not in ctx.names.defined:
            for a in expr.args:
                yield from _secret_refs(a, ctx, depth + 1)
        elif isinstance(func, ast.Attribute) and func.attr == "format":
            for a in expr.args:
                yield from _secret_refs(a, ctx, depth + 1)
            for kw in expr.keywords:
                yield from _secret_refs(kw.value, ctx, depth + 1)
        elif isinstance(func, ast.Attribute) and func.attr == "get" and expr.args:
            key = literal_text(expr.args[0])  # request.json.get("password")
            if key is not None and secrets.name_kind(key) not in (None, "connection"):
                yield expr, key


PATH_CALLS = frozenset({"open", "io.open", "pathlib.Path", "os.path.exists", "os.path.isfile", "os.stat",
                        "ssl.SSLContext.load_cert_chain"})


def _opened_paths(ctx: PyContext) -> set[str]:
    """Expressions the module opens as files (`open(self.ssl_client_key, "rb")`, `Path(key_file)`): a name like
    `ssl_client_key` then holds the key file's path, which a log may show."""
    memo = ctx.memo.setdefault("PY205-opened-paths", {})
    if "paths" not in memo:
        found: set[str] = set()
        for node in ctx.module.walk():
            if isinstance(node, ast.Call) and node.args and (
                    isinstance(node.func, ast.Name) and node.func.id == "open" and "open" not in ctx.names.defined
                    or (ctx.names.qualname(node.func) or "") in PATH_CALLS):
                found.add(ast.unparse(node.args[0]))
        memo["paths"] = found
    return memo["paths"]


NUMBER_TYPES = frozenset({"int", "float"})


def _numeric(ctx: PyContext, node: ast.AST | None) -> bool:
    """A number by its form: `0`, `2.5`, `x or 0`, `len(...)`, `int(...)`."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.BoolOp):
        return any(_numeric(ctx, v) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in ctx.names.defined:
        return node.func.id in ("len", "int", "float", "sum", "round", "abs")
    return False


def _number_parameters(ctx: PyContext) -> dict[str, dict[int | str, bool]]:
    """The module's functions -> their parameters (by position and by name) annotated `int` or `float`."""
    memo = ctx.memo.setdefault("PY205-number-parameters", {})
    if not memo:
        memo["?"] = {}
        for fn in ctx.module.walk():
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [*fn.args.posonlyargs, *fn.args.args]
                offset = 1 if params and params[0].arg in ("self", "cls") else 0
                found: dict[int | str, bool] = {}
                for i, a in enumerate(params):
                    if isinstance(a.annotation, ast.Name) and a.annotation.id in NUMBER_TYPES:
                        found[i - offset] = found[a.arg] = True
                for a in fn.args.kwonlyargs:
                    if isinstance(a.annotation, ast.Name) and a.annotation.id in NUMBER_TYPES:
                        found[a.arg] = True
                memo[fn.name] = found
    return memo


def _used_as_number(ctx: PyContext, name: str) -> bool:
    """The function uses the variable as a number (`total + tokens`, `tokens > 0`, `count += tokens`, passed to a
    parameter of this module annotated `int`): a count named like a secret (an LLM's `tokens`), which no secret
    is."""
    fn = ctx.function
    if fn is None:
        return False
    memo = ctx.memo.setdefault("PY205-numbers", {})
    key = (id(fn), name)
    if key in memo:
        return memo[key]
    params = None
    found = False
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv)):
            pair = (node.left, node.right)
            if any(isinstance(a, ast.Name) and a.id == name and _numeric(ctx, b) for a, b in (pair, pair[::-1])):
                found = True
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            found = isinstance(node.value, ast.Name) and node.value.id == name or \
                isinstance(node.target, ast.Name) and node.target.id == name and _numeric(ctx, node.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == name \
                and isinstance(node.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
            found = _numeric(ctx, node.comparators[0])
        elif isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == name
                                                for a in [*node.args, *(k.value for k in node.keywords)]):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            params = params if params is not None else _number_parameters(ctx)
            numbers = params.get(callee) or {}
            found = any(isinstance(a, ast.Name) and a.id == name and numbers.get(i) for i, a in enumerate(node.args)) \
                or any(isinstance(k.value, ast.Name) and k.value.id == name and numbers.get(k.arg or "")
                       for k in node.keywords)
        if found:
            break
    memo[key] = found
    return found


def _logged_args(call: ast.Call) -> Iterator[ast.AST]:
    yield from call.args
    for kw in call.keywords:
        if kw.arg not in NOT_LOGGED_KEYWORDS:
            yield kw.value


@python_check("PY205", ast.Call, raise_in_handler=False)
def secret_written_to_log(call: ast.Call, ctx: PyContext) -> None:
    is_print = isinstance(call.func, ast.Name) and call.func.id == "print" and "print" not in ctx.names.defined
    if is_print:
        if not ctx.handler():
            return  # print goes to the logs in a Lambda handler (CloudWatch); elsewhere it is not a log
        where = f"`print` in the Lambda handler `{ctx.handler()}` (its output goes to CloudWatch Logs)"
    elif _is_logger(call.func, ctx):
        where = f"`{name_of(call.func) or call.func.attr}`"  # type: ignore[attr-defined]
    else:
        return
    for arg in _logged_args(call):
        for expr, name in _secret_refs(arg, ctx):
            ctx.report(expr, f"Secret written to a log: `{name}` is passed to {where}; "
                             f"whoever reads the logs gets the secret.")
            return
