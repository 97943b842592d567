"""Password hashing: fast digests of passwords, bcrypt with too few rounds or PBKDF2 with too few iterations,
weak hashers configured (rules PY508-PY510)."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ....model import Severity
from ....secrets import PASSWORD_WORDS, split_words
from ..context import PyContext
from ..registry import python_check
from ._outflow import CONVERT_NAMES, outflow
from ._web import (
    TEST_WORDS, is_development_class, is_test_path, last_identifier, report_review, settings_review, testing_condition,
)

# The threat model's cost ("Password hashing with bcrypt (10 rounds)", STRIDE model). A user's threatmodel.yaml
# (`policy: bcrypt-min-rounds`) sets Policy.bcrypt_min_rounds; read it only through `bcrypt_min_rounds`.
DEFAULT_BCRYPT_MIN_ROUNDS = 10


def bcrypt_min_rounds(ctx: PyContext) -> int:
    """The smallest bcrypt cost (log2 rounds) the policy accepts: Policy.bcrypt_min_rounds, else 10."""
    value = ctx.scan.policy.bcrypt_min_rounds
    return int(value) if value is not None else DEFAULT_BCRYPT_MIN_ROUNDS


# PBKDF2 iterations: the example threat models name no figure, so the defaults are OWASP's Password Storage Cheat
# Sheet (PBKDF2-HMAC-SHA1 1,300,000, -SHA256 600,000, -SHA512 210,000: equal defence per hash). A user's
# threatmodel.yaml (`policy: pbkdf2-sha256-min-iterations`, ...) sets Policy.pbkdf2_*_min_iterations; read them only
# through `pbkdf2_min_iterations`.
# The inner hash -> the OWASP figure that applies (MD5 is faster than SHA-1; SHA-224/384 cost what SHA-256/512 do).
PBKDF2_FIGURE = {"md5": "sha1", "sha1": "sha1", "sha224": "sha256", "sha256": "sha256", "sha384": "sha512",
                 "sha512": "sha512"}


def pbkdf2_min_iterations(ctx: PyContext, digest: str | None) -> tuple[int, str | None]:
    """The fewest PBKDF2 iterations the policy accepts for the inner hash `digest`, and the hash whose figure that
    is. For a hash without a figure (or not known), the smallest of the three: only what is low for any hash."""
    policy = ctx.scan.policy
    minimums = {"sha1": policy.pbkdf2_sha1_min_iterations, "sha256": policy.pbkdf2_sha256_min_iterations,
                "sha512": policy.pbkdf2_sha512_min_iterations}

    def minimum(figure: str) -> int:
        return int(minimums[figure])

    figure = PBKDF2_FIGURE.get(digest or "")
    if figure is not None:
        return minimum(figure), figure
    return min(minimum(f) for f in minimums), None


FAST_DIGESTS = frozenset(
    {f"hashlib.{n}" for n in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256",
                              "sha3_384", "sha3_512", "blake2b", "blake2s")}
    | {f"{pkg}.Hash.{n}.new" for pkg in ("Crypto", "Cryptodome") for n in ("MD5", "SHA1", "SHA224", "SHA256",
                                                                           "SHA384", "SHA512")}
)
# A password's names are secrets.PASSWORD_WORDS (one vocabulary with the secret rules), but not words about the
# password rather than the password itself: tokens, reset links, lengths, hints, file names.
NOT_PASSWORD_WORDS = frozenset({"token", "reset", "hash", "hashed", "digest", "length", "len", "hint", "policy",
                                "file", "path", "field", "label", "salt", "nonce", "otp", "checksum", "etag", "url",
                                "cache", "key", "random", "rand", "generate", "generated", "gen"})
# (`get_random_password(length=512)`, `generate_password()`: a fresh random value, a reset or sign-up key's seed,
# not a password someone chose: a fast digest of it is no password store)

# `hash_password(raw)`, `check_password(pw, stored)`: functions whose parameters are the password.
HASHING_VERBS = frozenset({"hash", "hashed", "encrypt", "encode", "digest", "make", "set", "check", "verify",
                           "compare", "validate", "store", "crypt"})
FUNCTION_NOT_PASSWORD_WORDS = frozenset({"file", "checksum", "etag", "cache", "token", "reset", "url", "path"})

BRUTE = "Brute-force login attempts"


def _words(name: str) -> set[str]:
    return set(split_words(name))


def _password_name(name: str | None) -> bool:
    if not name:
        return False
    words = _words(name)
    return bool(words & PASSWORD_WORDS) and not words & NOT_PASSWORD_WORDS


def _mentions_password(ctx: PyContext, node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and _password_name(sub.id):
            return True
        if isinstance(sub, ast.Attribute) and _password_name(sub.attr):
            return True
        if isinstance(sub, ast.Subscript):
            key = ctx.const(sub.slice)
            if isinstance(key, str) and _password_name(key):
                return True
    return False


def _from_password_parameter(ctx: PyContext, node: ast.AST) -> bool:
    """Inside `def hash_password(raw)`, data derived from the function's parameters is the password."""
    fn = ctx.function
    words = _words(getattr(fn, "name", ""))
    if fn is None or not words & PASSWORD_WORDS or not words & HASHING_VERBS or words & FUNCTION_NOT_PASSWORD_WORDS:
        return False
    args = fn.args  # type: ignore[attr-defined]
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]} - {"self", "cls"}
    params = {p for p in params if not _words(p) & SALT_WORDS}  # (`salt`: the random half, not the password)
    return any(isinstance(sub, ast.Name) and sub.id in params for sub in ast.walk(node))


SALT_WORDS = frozenset({"salt", "nonce", "iv", "pepper", "rounds", "iterations", "cost"})


def _digest_data(call: ast.Call, ctx: PyContext, name: str) -> ast.AST | None:
    if name == "hashlib.new":
        if not _fast_new(call, ctx):
            return None
        return call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "data")
    if name in FAST_DIGESTS:
        return call.args[0] if call.args else (ctx.kwarg(call, "data") or ctx.kwarg(call, "string"))
    return None


def _algorithm(call: ast.Call, ctx: PyContext, name: str) -> str:
    if name == "hashlib.new":
        return f"hashlib.new({ctx.const(call.args[0] if call.args else ctx.kwarg(call, 'name'))!r})"
    return name


@python_check("PY508", ast.Call, raise_in_handler=False)
def password_fast_hash(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call) or ""
    hasher: ast.Call | None = call
    data = _digest_data(call, ctx, name) if name in FAST_DIGESTS or name == "hashlib.new" else None
    if data is None and isinstance(call.func, ast.Attribute) and call.func.attr == "update" and call.args:
        # h = hashlib.sha256(); h.update(password)
        hasher = ctx.resolve(call.func.value)  # type: ignore[assignment]
        if isinstance(hasher, ast.Call):
            hname = ctx.call_name(hasher) or ""
            if hname in FAST_DIGESTS or (hname == "hashlib.new" and _fast_new(hasher, ctx)):
                name, data = hname, call.args[0]
            elif hname == "cryptography.hazmat.primitives.hashes.Hash" and hasher.args \
                    and isinstance(hasher.args[0], ast.Call) \
                    and (ctx.call_name(hasher.args[0]) or "").rsplit(".", 1)[-1] in CRYPTOGRAPHY_FAST:
                name, data = f"hashes.{ctx.call_name(hasher.args[0]).rsplit('.', 1)[-1]}", call.args[0]  # type: ignore[union-attr]
    if data is None or any(kw.arg == "usedforsecurity" and ctx.truthy(kw.value) is False for kw in
                           (hasher.keywords if isinstance(hasher, ast.Call) else [])):
        return
    if _mentions_password(ctx, data) or _from_password_parameter(ctx, data) or resolved_password(ctx, data):
        shown = _algorithm(hasher, ctx, name) if isinstance(hasher, ast.Call) else name
        cache = _cached_check(ctx, call, hasher)
        if cache:
            ctx.report(call, f"{BRUTE}: `{shown}` hashes a password only for `self.{cache}`, an in-memory cache of "
                             "successful or failed checks, not storage: nothing is written where a leak would expose "
                             "it, but a memory dump could; prefer a keyed hash (HMAC with a random per-process key).",
                       severity=Severity.LOW)
            return
        sent = _sent_in_request(ctx, call, hasher)
        if sent:
            ctx.report(call, f"{BRUTE}: `{shown}` hashes a password whose digest is only sent with `{sent}` (a login "
                             "protocol that asks for it), not stored: no table of password hashes is built here, but "
                             "whoever sees the request can crack a weak password from it; prefer the protocol's "
                             "plain-text field over TLS if it has one.", severity=Severity.LOW)
            return
        strong = _prehash(ctx, call)
        if strong:
            _review(ctx, call, "pre-hash",
                    f"{BRUTE} (review): `{shown}` only shortens a long password before `{strong}` hashes it (bcrypt "
                    "reads 72 bytes at most): the slow hash is what is stored. Review that a raw digest is encoded "
                    "(hex or base64) first, since bcrypt stops at the first NUL byte of its input.")
            return
        stretch = _stretching_loop(ctx)
        if stretch:
            _review(ctx, call, "stretching",
                    f"{BRUTE} (review): `{shown}` is one step of a key-stretching scheme this function runs "
                    f"(`{stretch}`, as SHA-512-crypt or PBKDF2 do), not a single fast hash of the password: the "
                    "scheme's cost is its number of rounds. Review that count against the policy, and prefer a "
                    "maintained library (passlib, hashlib.pbkdf2_hmac, argon2) to a hand-written one.")
            return
        legacy = _legacy_verification(ctx, call, hasher)
        if legacy:
            _review(ctx, call, "legacy-verification",
                    f"{BRUTE} (review): `{shown}` hashes a password only to compare it with a stored hash ({legacy}): "
                    "it verifies hashes made in an older format and makes no new one. Review that the old hashes are "
                    "replaced with the strong ones at the next login, since those still stored fall quickly if the "
                    "table leaks.")
            return
        prefix = _prefix_lookup(ctx, call)
        if prefix:
            _review(ctx, call, "prefix-lookup",
                    f"{BRUTE} (review): `{shown}` hashes a password only to look it up by a {prefix}-character prefix "
                    "of the digest, the rest compared here (a k-anonymity range query, as the Have I Been Pwned "
                    "API prescribes SHA-1 for): neither the digest nor the password is stored or sent whole. Review "
                    "that the digest is not kept elsewhere.")
            return
        protocol = _protocol_digest(ctx, call, data)
        if protocol:
            _review(ctx, call, "protocol",
                    f"{BRUTE} (review): `{shown}` computes a digest an authentication protocol prescribes (it is "
                    f"built from or named {protocol}, as HTTP Digest's HA1 = MD5(user:realm:password) or the answer "
                    "to a challenge), not a hash this code chose for storing passwords. Review whether such digests "
                    "are stored: a leaked HA1 table is as good as the passwords.")
            return
        if _configured_secret(ctx, data):
            ctx.report(call, f"{BRUTE}: `{shown}` hashes a password read from the configuration (the program's own "
                             "secret, not a user's password to store): a leaked digest still lets a weak secret be "
                             "guessed quickly, but no table of users' passwords is at stake.", severity=Severity.LOW)
            return
        stored = _stored_where(ctx, _digest_outputs(ctx, call, hasher))
        if stored:  # the evidence that keeps the severity (the rule's `review` text says what else it is)
            ctx.report(call, f"{BRUTE}: `{shown}` hashes a password with a fast digest ({stored}), so a leaked hash "
                             "is cracked at billions of guesses per second; use bcrypt, scrypt or Argon2.",
                       confirmed=True, properties={"use": "store"})
        else:
            ctx.report(call, f"{BRUTE}: `{shown}` hashes a password with a fast digest; if the digest is stored, a "
                             "leaked hash is cracked at billions of guesses per second: use bcrypt, scrypt or Argon2.")


# Names under which a password's hash is kept: `user.password`, `row["password_hash"]`, `hashed_password`.
STORE_WORDS = PASSWORD_WORDS | {"passhash", "pwhash", "pwdhash"}
# Calls that write their arguments somewhere lasting (a database, a file, a store): `db.insert(name, digest)`.
STORE_CALLS = frozenset({"save", "insert", "insert_one", "insert_many", "create", "add", "put", "write", "execute",
                         "executemany", "store", "hset", "upsert", "update_one", "replace_one", "save_user"})
# Containers named for the accounts they hold: `self.users[name] = digest`.
USER_TABLES = frozenset({"users", "accounts", "credentials", "passwords", "logins", "htpasswd", "userdb"})
# Conversions a digest passes through on its way to where it is kept.
_STORE_CONVERSIONS = frozenset({"hexdigest", "digest", "hex", "encode", "decode", "upper", "lower", "strip",
                                "b64encode", "urlsafe_b64encode", "hexlify", "str", "format", "join"})


def _store_name(node: ast.AST, ctx: PyContext) -> str:
    """The name a target or operand is kept under when it names a password (`user.password`, `row["pwd"]`,
    `form.password.data`, `hashed_password`), else ""."""
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if isinstance(sub, ast.Subscript):
            key = ctx.const(sub.slice)
            name = key if isinstance(key, str) else None
        if name and set(split_words(name)) & STORE_WORDS:
            return ast.unparse(node)[:60]
    return ""


def _stored_where(ctx: PyContext, outputs: list[ast.AST]) -> str:
    """Where this function shows a password's digest kept as the password (the evidence that keeps PY508's
    severity), else "": assigned to an attribute, key or name named for the password (followed through the name
    to its uses), passed as a `password=` argument or a dict's password entry, compared with the stored password
    (`user.password == digest`), or returned by a function named for hashing or checking passwords
    (`def hash_password(pw)`, `def get_hashed_password()`)."""
    parents = ctx.module.parents()
    fn = ctx.function
    todo = [(out, 0) for out in outputs]
    seen: set[int] = set()
    while todo:
        node, depth = todo.pop()
        if id(node) in seen or depth > 6:
            continue
        seen.add(id(node))
        up = parents.get(id(node))
        if isinstance(up, ast.Attribute) and up.value is node:
            call = parents.get(id(up))
            if isinstance(call, ast.Call) and call.func is up and up.attr in _STORE_CONVERSIONS:
                todo.append((call, depth + 1))
            continue
        if isinstance(up, ast.Call) and any(a is node for a in up.args) and (
                last_identifier(up.func) in _STORE_CONVERSIONS or CONVERT_NAMES.search(last_identifier(up.func))):
            todo.append((up, depth + 1))
            continue
        if isinstance(up, (ast.BinOp, ast.JoinedStr, ast.FormattedValue)) or (
                isinstance(up, ast.Subscript) and up.value is node and isinstance(up.ctx, ast.Load)) or (
                isinstance(up, ast.IfExp) and up.test is not node):
            todo.append((up, depth + 1))  # `salt + digest`, `f"{salt}${digest}"`, `digest[:32]`
            continue
        if isinstance(up, ast.keyword) and up.arg and set(split_words(up.arg)) & STORE_WORDS:
            return f"passed as `{up.arg}=`"
        if isinstance(up, ast.Call) and any(a is node for a in up.args) and isinstance(up.func, ast.Attribute) \
                and up.func.attr in STORE_CALLS:
            return f"written by `{ast.unparse(up.func)[:60]}()`"
        if isinstance(up, ast.Dict):
            for key, value in zip(up.keys, up.values):
                text = ctx.const(key) if key is not None else None
                if value is node and isinstance(text, str) and set(split_words(text)) & STORE_WORDS:
                    return f"kept under `{text!r}`"
            continue
        if isinstance(up, ast.Compare) and all(isinstance(op, (ast.Eq, ast.NotEq)) for op in up.ops):
            for side in (up.left, *up.comparators):
                name = _store_name(side, ctx) if side is not node else ""
                if name:
                    return f"compared with `{name}`"
            if _password_function(fn):
                return f"compared in `{getattr(fn, 'name', '')}`"
            continue
        if isinstance(up, (ast.Assign, ast.AnnAssign)) and up.value is node:
            for target in (up.targets if isinstance(up, ast.Assign) else [up.target]):
                if isinstance(target, (ast.Attribute, ast.Subscript)) and _store_name(target, ctx):
                    return f"stored in `{_store_name(target, ctx)}`"
                if isinstance(target, ast.Subscript) and set(split_words(last_identifier(target.value))) & USER_TABLES:
                    return f"stored in `{ast.unparse(target)[:60]}`"  # self.users[name] = digest
                if isinstance(target, ast.Name) and fn is not None:
                    todo += [(n, depth + 1) for n in ctx.module.walk(fn) if isinstance(n, ast.Name)
                             and n.id == target.id and isinstance(n.ctx, ast.Load)]
            continue
        if isinstance(up, ast.Return) and _password_function(fn):
            return f"returned by `{getattr(fn, 'name', '')}`"
        if isinstance(up, ast.Return) and fn is not None and depth < 3:  # what the module's callers do with it
            todo += [(c, depth + 1) for c in _calls_named(ctx, getattr(fn, "name", ""))[:20]]
    return ""


def _calls_named(ctx: PyContext, name: str) -> list[ast.Call]:
    """The module's calls of a function so named (`hash_pw(...)`, `self.hash_pw(...)`), found once per module."""
    index = ctx.memo.get("PY508-calls-by-name")
    if index is None:
        index = ctx.memo["PY508-calls-by-name"] = {}
        for c in ctx.module.walk(ctx.module.tree):
            if isinstance(c, ast.Call):
                index.setdefault(last_identifier(c.func), []).append(c)
    return index.get(name, [])


def _password_function(fn: ast.AST | None) -> bool:
    """A function named for hashing or checking passwords (`hash_password`, `check_password`, `encrypt_pwd`)."""
    words = _words(getattr(fn, "name", "") or "")
    return bool(words & PASSWORD_WORDS and words & HASHING_VERBS)


def _prehash(ctx: PyContext, call: ast.Call) -> str:
    """The password hasher fit for storage (STRONG_HASHERS) that the digest `call` makes is handed to in the same
    function (`b = sha256(pw).digest()[:72]` then `bcrypt.hashpw(b, salt)`, Xinference), else ""."""
    fn = ctx.function
    if fn is None:
        return ""
    names = {t.id for n in ast.walk(fn) if isinstance(n, ast.Assign) and any(sub is call for sub in ast.walk(n.value))
             for t in n.targets if isinstance(t, ast.Name)}
    for hasher, text in _strong_hashers(fn):
        given = [*hasher.args, *(k.value for k in hasher.keywords)]
        if any(n is call or (isinstance(n, ast.Name) and n.id in names) for arg in given for n in ast.walk(arg)):
            return text
    return ""


def _prefix_lookup(ctx: PyContext, call: ast.Call) -> int | None:
    """The prefix length when the digest `call` makes (`sha = hashlib.sha1(pw).hexdigest().upper()`) is used only as
    a short prefix and the rest (`lookup(sha[:5])`, `sha[5:] in hashes`): a range query that sends a few characters
    of the digest and compares the rest locally. None when the variable is used whole anywhere in the function."""
    parents = ctx.module.parents()
    node: ast.AST = call
    parent = parents.get(id(node))
    while isinstance(parent, ast.Attribute) or isinstance(parent, ast.Call) and parent.func is node:
        node, parent = parent, parents.get(id(parent))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return None
    fn = ctx.function
    name = parent.targets[0].id
    cuts: set[int] = set()
    prefix = False
    for use in ast.walk(fn) if fn is not None else ():
        if not (isinstance(use, ast.Name) and use.id == name and isinstance(use.ctx, ast.Load)):
            continue
        sub = parents.get(id(use))
        cut = sub.slice if isinstance(sub, ast.Subscript) and sub.value is use else None
        if not isinstance(cut, ast.Slice) or cut.step is not None:
            return None
        lower, upper = ctx.const(cut.lower) if cut.lower else None, ctx.const(cut.upper) if cut.upper else None
        if lower is None and isinstance(upper, int) and 0 < upper <= 10:
            cuts.add(upper)
            prefix = True
        elif upper is None and isinstance(lower, int):
            cuts.add(lower)
        else:
            return None
    return cuts.pop() if prefix and len(cuts) == 1 else None


def _review(ctx: PyContext, where: ast.AST, use: str, message: str) -> None:
    """A password-hashing finding whose use of the digest makes it a review one (low, precision low, `use`)."""
    ctx.report(where, message, severity=Severity.LOW, precision="low", evidence="review", properties={"use": use})


DIGEST_OUTPUTS = frozenset({"hexdigest", "digest", "finalize"})
# The count of a key-stretching loop, by its name (`for i in range(rounds):`), or a constant of at least this many.
STRETCH_WORDS = frozenset({"rounds", "iterations", "iteration", "cost", "stretch", "stretching", "work"})
STRETCH_MIN = 1000


def _stretching_loop(ctx: PyContext) -> str:
    """`for _ in range(rounds):` (a count named as rounds or iterations, or a constant of 1,000 or more) in the
    function, whose body computes a digest again (a hashlib call or a hash object's `update`): the function
    implements a key-stretching scheme, and its fast digests are steps of it. The loop's header, else ""."""
    fn = ctx.function
    if fn is None:
        return ""
    for loop in ast.walk(fn):
        if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name)
                and loop.iter.func.id == "range" and loop.iter.args):
            continue
        count = loop.iter.args[-1] if len(loop.iter.args) < 3 else loop.iter.args[1]
        value = ctx.const(count)
        named = count.id if isinstance(count, ast.Name) else count.attr if isinstance(count, ast.Attribute) else ""
        if not (set(split_words(named)) & STRETCH_WORDS
                or isinstance(value, int) and not isinstance(value, bool) and value >= STRETCH_MIN):
            continue
        if any(isinstance(n, ast.Call) and ((ctx.call_name(n) or "").startswith("hashlib.")
                                            or isinstance(n.func, ast.Attribute) and n.func.attr == "update")
               for stmt in loop.body for n in ast.walk(stmt)):
            return f"for ... in {ast.unparse(loop.iter)}"
    return ""


def _sent_in_request(ctx: PyContext, call: ast.Call, hasher: ast.AST | None) -> str:
    """The request that every output of this digest (`md5(pw).hexdigest()`, `h.update(pw)` ... `h.hexdigest()`)
    goes out with, through conversions, names, payload dicts and returns to callers in this module (see
    _outflow), else "". A digest also kept anywhere (an attribute, a comparison, a database call, a caller not
    seen) or used as a key is not only sent."""
    fn = ctx.function
    if fn is None:
        return ""
    if hasher is call:  # hashlib.md5(pw).hexdigest()
        outputs: list[ast.AST] = [call]
    else:  # h = hashlib.md5(); h.update(pw); h.hexdigest()
        holder = call.func.value if isinstance(call.func, ast.Attribute) else None
        if not isinstance(holder, ast.Name):
            return ""
        outputs = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and n.func.attr in DIGEST_OUTPUTS and isinstance(n.func.value, ast.Name)
                   and n.func.value.id == holder.id]
    flow = outflow(ctx, outputs)
    return sorted(flow.sends)[0] if flow is not None and flow.sends and not flow.keys else ""


def _digest_outputs(ctx: PyContext, call: ast.Call, hasher: ast.AST | None) -> list[ast.AST]:
    fn = ctx.function
    if fn is None:
        return []
    if hasher is call:
        return [call]
    holder = call.func.value if isinstance(call.func, ast.Attribute) else None
    if not isinstance(holder, ast.Name):
        return []
    return [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in DIGEST_OUTPUTS and isinstance(n.func.value, ast.Name) and n.func.value.id == holder.id]


def _cached_check(ctx: PyContext, call: ast.Call, hasher: ast.AST | None) -> str:
    """The instance's in-memory cache (`self._cache_successful`, `self._checked_passwords`) that every output of
    this digest is only a key or an entry of (or compared with), else "": a cache of a password check that spares
    the backend, not password storage."""
    flow = outflow(ctx, _digest_outputs(ctx, call, hasher), memory=True)
    return sorted(flow.caches)[0] if flow is not None and flow.caches and not flow.sends and not flow.keys else ""


# Hashers fit for passwords: a function that calls one beside the fast digest verifies old hashes during a move to
# it (`if stored.startswith("$2b$"): bcrypt.checkpw(...) else: sha256(pw).hexdigest() == stored`).
STRONG_HASHERS = re.compile(r"bcrypt|scrypt|argon2|pbkdf2|hashpw|checkpw|generate_password_hash|check_password_hash|"
                            r"make_password|CryptContext|set_password|change_password|change_user_password|"
                            r"check_password\b|\bauthenticate\b", re.I)
# (Django's `set_password`, `check_password` and `auth.authenticate` store and check with the configured hashers,
# PBKDF2 by default: a fast digest handed to them is a pre-hash, django-vue-admin's MD5 of the typed password)
LEGACY_WORDS = frozenset({"legacy", "upgrade", "upgraded", "migrate", "migrated", "migration", "compat",
                          "compatibility", "deprecated", "obsolete"})


def _strong_hasher(fn: ast.AST) -> str:
    """The first call in `fn` of a password hasher fit for storage (bcrypt, scrypt, Argon2, PBKDF2, passlib's and
    the frameworks' helpers, a `set_password` that stores a new hash), else ""."""
    return next((text for _, text in _strong_hashers(fn)), "")


def _strong_hashers(fn: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    """Each call in `fn` of a password hasher fit for storage, with its callee's text (at most 50 characters)."""
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call):
            text = ast.unparse(sub.func)
            if STRONG_HASHERS.search(text):
                yield sub, text if len(text) <= 50 else text[-50:]


def _legacy_verification(ctx: PyContext, call: ast.Call, hasher: ast.AST | None) -> str:
    """How a fast digest of a password is only a verification of an old stored hash: every output of the digest
    ends in a comparison (`==`, `in`, `hmac.compare_digest`, a `check_password(digest)` call) and the function
    that hashes or compares also uses a strong hasher (it checks the new format too, or stores the password anew)
    or is named for legacy hashes (`check_legacy_password`, `_verify_and_upgrade_from_sha1`). Else ""."""
    flow = outflow(ctx, _digest_outputs(ctx, call, hasher), compare=True)
    if flow is None or not flow.compares or flow.sends or flow.keys or flow.caches:
        return ""
    functions = [f for f in [ctx.function, *flow.compare_functions] if f is not None]
    for fn in functions:
        strong = _strong_hasher(fn)
        if strong:
            return f"compared by `{sorted(flow.compares)[0]}`; `{getattr(fn, 'name', '?')}` also calls `{strong}`"
    for fn in functions:
        if _words(getattr(fn, "name", "")) & LEGACY_WORDS:
            return f"compared by `{sorted(flow.compares)[0]}` in `{getattr(fn, 'name', '?')}`"
    return ""


# Digests that an authentication protocol defines: HTTP Digest (RFC 7616) HA1 = H(user:realm:password) and
# HA2, challenge-response answers computed from a server's nonce.
PROTOCOL_WORDS = frozenset({"realm", "nonce", "cnonce", "qop", "ha1", "ha2", "challenge", "www", "authenticate"})


def _protocol_digest(ctx: PyContext, call: ast.Call, data: ast.AST) -> str:
    """The protocol words of a digest's input (`f"{user}:{realm}:{password}"`, `password + nonce`) or of where it
    goes (`ha1 = md5(...)`, a function `digest_response(challenge, password)`), else ""."""
    words: set[str] = set()
    for sub in ast.walk(data):
        if isinstance(sub, ast.Name):
            words |= _words(sub.id)
            bound = ctx.resolve(sub)
            if bound is not None and bound is not sub and not isinstance(bound, ast.Name):
                for inner in ast.walk(bound):
                    if isinstance(inner, (ast.Name, ast.Attribute)):
                        words |= _words(inner.id if isinstance(inner, ast.Name) else inner.attr)
        elif isinstance(sub, ast.Attribute):
            words |= _words(sub.attr)
    parents = ctx.module.parents()
    up = parents.get(id(call))
    while up is not None and not isinstance(up, ast.stmt):
        up = parents.get(id(up))
    if isinstance(up, ast.Assign):
        for target in up.targets:
            if isinstance(target, (ast.Name, ast.Attribute)):
                words |= _words(target.id if isinstance(target, ast.Name) else target.attr)
    if ctx.function is not None:
        words |= _words(getattr(ctx.function, "name", ""))
    found = sorted(words & PROTOCOL_WORDS - {"www", "authenticate"})
    return ", ".join(f"`{w}`" for w in found[:3]) if found else ""


# Objects that hold the program's configuration: a password read from them is the program's own secret (a cache's
# key, a service account), hashed to derive or compare a token, not a user's password stored as a verifier.
CONFIG_WORDS = frozenset({"cfg", "config", "conf", "configuration", "settings", "options", "opts", "environ", "env",
                          "getenv"})


def _chain(node: ast.AST) -> list[str]:
    """`self.cfg.password` -> [self, cfg, password]; `settings["PW"]` -> [settings, PW]; `conf.get("pw")` -> [conf, get]."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            names.append(key if isinstance(key, str) else "[]")
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def _configured_secret(ctx: PyContext, data: ast.AST) -> bool:
    """Every password-named value in `data` is read from a configuration object (`self.cfg.password`,
    `settings.DB_PASSWORD`, `os.environ["ADMIN_PASSWORD"]`, `config.get("password")`)."""
    if isinstance(data, ast.Call) and isinstance(data.func, ast.Attribute) and data.func.attr == "encode":
        data = data.func.value
    if isinstance(data, ast.Name):
        bound = ctx.resolve(data)
        if bound is None or bound is data or isinstance(bound, ast.Name):
            return False
        data = bound
    if isinstance(data, ast.Call) and isinstance(data.func, ast.Attribute) and data.func.attr == "encode":
        data = data.func.value
    if not isinstance(data, (ast.Attribute, ast.Subscript, ast.Call)):
        return False
    chain = _chain(data)
    return len(chain) >= 2 and any(w in CONFIG_WORDS for part in chain[:-1] for w in _words(part)) \
        and not any(isinstance(sub, ast.Name) and sub.id in {"request", "form", "user"} for sub in ast.walk(data))


CRYPTOGRAPHY_FAST = frozenset({"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3_256", "SHA3_512",
                               "BLAKE2b", "BLAKE2s"})


def resolved_password(ctx: PyContext, data: ast.AST) -> bool:
    """`secret = get_password(); h.update(secret)`: a name bound (once) to a password or a call that returns one."""
    if isinstance(data, ast.Call) and isinstance(data.func, ast.Attribute) and data.func.attr == "encode":
        data = data.func.value
    if not isinstance(data, ast.Name):
        return False
    bound = ctx.resolve(data)
    if bound is None or bound is data or isinstance(bound, ast.Name):
        return False
    if isinstance(bound, ast.Call):
        func = bound.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if _password_name(called):
            return True
        if _words(called) & TRANSFORMS:
            # `encrypt(password, data)`, `PBKDF2(password=pw, ...)`: what comes out is a ciphertext or a derived key,
            # not the password (rotki's upload digest, LinOTP's keys split from a PBKDF2 master key)
            return False
    return _mentions_password(ctx, bound)


# calls whose result is no longer the password they were given (an encryption, a key derivation, a MAC)
TRANSFORMS = frozenset({"encrypt", "encrypted", "encryption", "cipher", "seal", "wrap", "derive", "kdf", "pbkdf",
                        "hkdf", "scrypt", "argon", "bcrypt", "hashpw", "hmac", "sign"})


def _fast_new(call: ast.Call, ctx: PyContext) -> bool:
    """hashlib.new("md5" / "sha256" / ...): a fast digest named by a constant."""
    algorithm = ctx.const(call.args[0] if call.args else ctx.kwarg(call, "name"))
    return isinstance(algorithm, str) and f"hashlib.{algorithm.lower().replace('-', '_')}" in FAST_DIGESTS


def _is_test_module(ctx: PyContext) -> bool:
    return is_test_path(ctx.file.rel)


# --- bcrypt cost -----------------------------------------------------------------------------------------------

PASSLIB_BCRYPT = {f"passlib.hash.{s}.{m}" for s in ("bcrypt", "bcrypt_sha256") for m in ("using", "hash", "encrypt")}
CRYPT_CONTEXT = {"passlib.context.CryptContext", "passlib.apps.CryptContext"}
DJANGO_BCRYPT = ("BCryptSHA256PasswordHasher", "BCryptPasswordHasher")


# --- PBKDF2 iterations -------------------------------------------------------------------------------------------

# call -> (position of the iteration count, its keyword, the library's default count when it is not given)
PBKDF2_CALLS: dict[str, tuple[int, str, int | None]] = {
    "hashlib.pbkdf2_hmac": (3, "iterations", None),
    "cryptography.hazmat.primitives.kdf.pbkdf2.PBKDF2HMAC": (3, "iterations", None),
    **{f"{pkg}.Protocol.KDF.PBKDF2": (3, "count", 1000) for pkg in ("Crypto", "Cryptodome")},
}
PASSLIB_PBKDF2 = re.compile(r"passlib\.hash\.(?:django_|ldap_|atlassian_)?pbkdf2_(sha1|sha256|sha512)\.(?:using|hash|encrypt)")
DJANGO_PBKDF2 = {"PBKDF2PasswordHasher": "sha256", "PBKDF2SHA1PasswordHasher": "sha1"}
WERKZEUG_METHOD = re.compile(r"pbkdf2:([a-z0-9_-]+):(\d+)", re.I)


def _digest_name(value: object) -> str | None:
    """"SHA-256", "sha256", hashes.SHA256 -> "sha256"; hashes without an OWASP figure keep their name ("sha3_256")."""
    if not isinstance(value, str):
        return None
    compact = value.lower().replace("-", "").replace("_", "")
    return compact if compact in PBKDF2_FIGURE else value.lower()


def _pbkdf2_digest(ctx: PyContext, call: ast.Call, name: str) -> str | None:
    """The inner hash of a PBKDF2 call, when statically visible."""
    if name == "hashlib.pbkdf2_hmac":
        return _digest_name(ctx.const(call.args[0] if call.args else ctx.kwarg(call, "hash_name")))
    if name.endswith("PBKDF2HMAC"):
        algorithm = ctx.resolve(call.args[0] if call.args else ctx.kwarg(call, "algorithm"))
        return _digest_name((ctx.call_name(algorithm) or "").rsplit(".", 1)[-1]) if isinstance(algorithm, ast.Call) else None
    # PyCryptodome: HMAC-SHA1 unless hmac_hash_module (or a custom prf) says otherwise
    if ctx.kwarg(call, "prf") is not None or len(call.args) > 4:
        return None
    module = ctx.kwarg(call, "hmac_hash_module")
    if module is None:
        return "sha1"
    return _digest_name((ctx.qualname(module) or "").rsplit(".", 1)[-1])


def _low_iterations(ctx: PyContext, count: int | None, digest: str | None, where: ast.AST, what: str,
                    default: bool = False, sent: str = "", random: str = "", named: str = "") -> None:
    minimum, figure = pbkdf2_min_iterations(ctx, digest)
    if count is None or count >= minimum or _is_test_module(ctx):
        return
    inner = f"PBKDF2-HMAC-{digest.upper()}" if digest else "PBKDF2"
    given = f"the library's default of {count:,} iterations" if default else f"{count:,} iterations"
    policy = f"the policy's minimum of {minimum:,} (`pbkdf2-{figure}-min-iterations`)" if figure else \
        f"{minimum:,}, the policy's lowest minimum for any hash"
    if random or named:
        source = f"random key material on a path this module shows (`{random}`)" if random \
            else f"named as key material, not as a password ({named})"
        _review(ctx, where, "random-key",
                f"{BRUTE} (review): {what} runs {inner} with {given}, below {policy}, but what it derives from is "
                f"{source}, which no number of guesses recovers: the iteration count only matters where a person's "
                "password reaches it. Review whether one can; if so, raise the count.")
        return
    if sent:
        ctx.report(where, f"{BRUTE}: {what} runs {inner} with {given}, below {policy}, but its output is only sent "
                          f"with `{sent}` (or used as a key for what comes back): the login protocol of the service "
                          "that asks for it fixes the count, and no table of password hashes is built here.",
                   severity=Severity.LOW)
        return
    ctx.report(where, f"{BRUTE}: {what} runs {inner} with {given}, below {policy}, so stolen hashes are cheaper to "
                      "crack.")


# Random key material (not a person's password): a KDF over it needs no work factor.
RANDOM_SOURCES = frozenset({"os.urandom", "secrets.token_bytes", "secrets.token_hex", "secrets.token_urlsafe",
                            "cryptography.fernet.Fernet.generate_key", "Crypto.Random.get_random_bytes",
                            "Cryptodome.Random.get_random_bytes", "nacl.utils.random"})
RANDOM_METHODS = frozenset({"generate_key", "get_random_bytes", "token_bytes", "token_hex", "token_urlsafe",
                            "urandom", "randbytes"})
PASS_THROUGH = frozenset({"bytes", "str", "encode", "decode", "bytearray", "b64encode", "urlsafe_b64encode", "hexlify"})


def _kdf_input(ctx: PyContext, call: ast.Call, name: str) -> list[ast.AST]:
    """What a PBKDF2 derivation derives from: `pbkdf2_hmac(hash, password, ...)`'s and PyCryptodome's `PBKDF2(
    password, ...)`'s argument, or `kdf.derive(password)` / `kdf.verify(password, ...)` of a `PBKDF2HMAC` object."""
    if name == "hashlib.pbkdf2_hmac":
        arg = call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "password")
        return [arg] if arg is not None else []
    if not name.endswith("PBKDF2HMAC"):
        arg = call.args[0] if call.args else ctx.kwarg(call, "password")
        return [arg] if arg is not None else []
    up = ctx.module.parents().get(id(call))
    if ctx.function is None or not (isinstance(up, ast.Assign) and len(up.targets) == 1
                                    and isinstance(up.targets[0], ast.Name)):
        return []
    holder = up.targets[0].id
    return [n.args[0] for n in ast.walk(ctx.function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("derive", "verify") and isinstance(n.func.value, ast.Name)
            and n.func.value.id == holder and n.args]


# What a KDF's input is named when it is machine key material (a wallet's secret, a seed, a master key), and what
# it is named when a person may have chosen it.
KEY_MATERIAL_WORDS = frozenset({"secret", "seed", "key", "entropy", "privkey", "master"})
PERSON_WORDS = frozenset({"password", "passwd", "passphrase", "pass", "pwd", "pw", "pin", "phrase", "mnemonic",
                          "user", "login", "credential", "credentials"})


def _key_material_input(ctx: PyContext, call: ast.Call, name: str) -> str:
    """The inputs' names, shown, when every input of the derivation is a name (through conversions such as
    `.encode()`) whose words say key material (`secret`, `seed`, `master_key`) and none says a person's secret
    (`password`, `passphrase`, `pin`); else ""."""
    shown = []
    for node in _kdf_input(ctx, call, name):
        while isinstance(node, ast.Call) and (
                isinstance(node.func, ast.Attribute) and node.func.attr in PASS_THROUGH
                or isinstance(node.func, ast.Name) and node.func.id in PASS_THROUGH and node.args):
            # (`secret.encode()`, `bytearray(key, "utf-8")`, `str(seed)`)
            node = node.func.value if isinstance(node.func, ast.Attribute) else node.args[0]
        label = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        words = set(split_words(label))
        if not words & KEY_MATERIAL_WORDS or words & PERSON_WORDS:
            return ""
        shown.append(f"`{label}`")
    return ", ".join(shown)


def _random_input(ctx: PyContext, call: ast.Call, name: str) -> str:
    """A random-key source (`Fernet.generate_key()`, `os.urandom(32)`) among the values the derivation's input may
    hold: followed through the function's assignments of a name, conversions, and, for a parameter, the arguments
    of the module's calls of the function. Else ""."""
    parents = ctx.module.parents()
    seen: set[int] = set()

    def function_of(node: ast.AST) -> ast.AST | None:
        current = parents.get(id(node))
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            current = parents.get(id(current))
        return current

    def look(node: ast.AST | None, depth: int) -> str:
        if node is None or depth > 6 or id(node) in seen:
            return ""
        seen.add(id(node))
        if isinstance(node, ast.Call):
            called = ctx.call_name(node) or ""
            short = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in RANDOM_SOURCES or short in RANDOM_METHODS:
                return ast.unparse(node.func) + "()"
            if short in PASS_THROUGH:
                inner = [*node.args] + ([node.func.value] if isinstance(node.func, ast.Attribute) else [])
                return next((found for found in (look(a, depth + 1) for a in inner) if found), "")
            return ""
        if not isinstance(node, ast.Name):
            return ""
        fn = function_of(node)
        if fn is None:
            return ""
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in sub.targets):
                found = look(sub.value, depth + 1)
                if found:
                    return found
        args = fn.args  # type: ignore[attr-defined]
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        if node.id not in positional and node.id not in {a.arg for a in args.kwonlyargs}:
            return ""
        offset = 1 if positional and positional[0] in ("self", "cls") else 0
        for use in ctx.module.walk():
            if isinstance(use, ast.Call) and (getattr(use.func, "attr", None) == fn.name  # type: ignore[attr-defined]
                                              or getattr(use.func, "id", None) == fn.name):  # type: ignore[attr-defined]
                passed = [kw.value for kw in use.keywords if kw.arg == node.id]
                if node.id in positional and positional.index(node.id) - offset < len(use.args):
                    passed.append(use.args[positional.index(node.id) - offset])
                for value in passed:
                    found = look(value, depth + 1)
                    if found:
                        return found
        return ""

    for node in _kdf_input(ctx, call, name):
        found = look(node, 0)
        if found:
            return found
    return ""


def _pbkdf2_sent(ctx: PyContext, call: ast.Call, name: str) -> str:
    """The request a PBKDF2 derivation's output is only sent with (`hashlib.pbkdf2_hmac(...)` itself,
    `kdf = PBKDF2HMAC(...)` then every use of `kdf` a `kdf.derive(...)`), else "" (see _outflow)."""
    if ctx.function is None:
        return ""
    outputs: list[ast.AST] = []
    if name.endswith("PBKDF2HMAC"):
        up = ctx.module.parents().get(id(call))
        if not (isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(up.targets[0], ast.Name)):
            return ""
        holder = up.targets[0].id
        parents = ctx.module.parents()
        for n in ast.walk(ctx.function):
            if isinstance(n, ast.Name) and n.id == holder and isinstance(n.ctx, ast.Load):
                attr = parents.get(id(n))
                used = parents.get(id(attr))
                if not (isinstance(attr, ast.Attribute) and attr.attr == "derive" and isinstance(used, ast.Call)):
                    return ""  # kdf.verify(...): checked against a stored value
                outputs.append(used)
    else:
        outputs = [call]
    flow = outflow(ctx, outputs)
    return sorted(flow.sends)[0] if flow is not None else ""


def _pbkdf2_call(ctx: PyContext, call: ast.Call, name: str) -> None:
    if name in PBKDF2_CALLS:
        position, keyword, library_default = PBKDF2_CALLS[name]
        node = call.args[position] if len(call.args) > position else ctx.kwarg(call, keyword)
        if node is None and (library_default is None or any(kw.arg is None for kw in call.keywords)
                             or any(isinstance(a, ast.Starred) for a in call.args)):
            return
        count = _rounds_value(ctx, node) if node is not None else library_default
        digest = _pbkdf2_digest(ctx, call, name)
        if count is not None and count < pbkdf2_min_iterations(ctx, digest)[0]:
            _low_iterations(ctx, count, digest, call, f"`{name.rsplit('.', 1)[-1]}`", default=node is None,
                            sent=_pbkdf2_sent(ctx, call, name),
                            random=_random_input(ctx, call, name), named=_key_material_input(ctx, call, name))
        return
    match = PASSLIB_PBKDF2.fullmatch(name)
    if match:
        _low_iterations(ctx, _rounds_value(ctx, ctx.kwarg(call, "rounds")), match.group(1), call,
                        f"passlib's `{name.split('.')[2]}`")
    elif name in CRYPT_CONTEXT:
        for kw in call.keywords:
            found = re.fullmatch(r"(?:django_|ldap_)?pbkdf2_(sha1|sha256|sha512)__(?:default_)?rounds", kw.arg or "")
            if found:
                _low_iterations(ctx, _rounds_value(ctx, kw.value), found.group(1), call, f"`CryptContext({kw.arg}=...)`")
    elif name in ("werkzeug.security.generate_password_hash", "werkzeug.generate_password_hash"):
        method = ctx.const(call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "method"))
        found = WERKZEUG_METHOD.fullmatch(method) if isinstance(method, str) else None
        if found:
            _low_iterations(ctx, int(found.group(2)), _digest_name(found.group(1)), call,
                            f"Werkzeug's `generate_password_hash(method=\"{method}\")`")


def _is_test_class(name: str) -> bool:
    return bool(_words(name) & TEST_WORDS)


def _rounds_value(ctx: PyContext, node: ast.AST | None) -> int | None:
    value = ctx.const(node)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _low(ctx: PyContext, node: ast.AST | None, where: ast.AST, what: str) -> None:
    rounds = _rounds_value(ctx, node)
    minimum = bcrypt_min_rounds(ctx)
    # test suites lower the cost on purpose, to run fast
    if rounds is not None and rounds < minimum and not _is_test_module(ctx):
        owner = ctx.module.parents().get(id(where))
        if isinstance(owner, ast.ClassDef) and is_development_class(owner.name):
            # (the fast cost of a development configuration: `DevelopmentConfig.BCRYPT_LOG_ROUNDS = 4`)
            report_review(ctx, where, f"{BRUTE}: {what} uses a bcrypt cost of {rounds}, below the threat model's "
                                      f"{minimum}", f"it is set in the development configuration `{owner.name}`; "
                                      "check that the production configuration keeps the full cost")
            return
        ctx.report(where, f"{BRUTE}: {what} uses a bcrypt cost of {rounds}, below the threat model's {minimum}, "
                          "so stolen hashes are cheaper to crack.")


@python_check("PY509", ast.Call, ast.Assign, ast.Module, ast.ClassDef, raise_in_handler=False)
def bcrypt_low_rounds(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Module):
        for stmt in node.body:
            _config_rounds(ctx, stmt)
        return
    if isinstance(node, ast.ClassDef):
        if _is_test_class(node.name):
            return  # test configurations lower the cost on purpose
        bases = {(ctx.qualname(b) or "").rsplit(".", 1)[-1] for b in node.bases}
        pbkdf2 = next((DJANGO_PBKDF2[b] for b in bases if b in DJANGO_PBKDF2), None)
        for stmt in node.body:
            if bases & set(DJANGO_BCRYPT) and _assigns(stmt, "rounds"):
                _low(ctx, stmt.value, stmt, f"the Django hasher `{node.name}`")  # type: ignore[attr-defined]
            elif pbkdf2 and _assigns(stmt, "iterations"):
                _low_iterations(ctx, _rounds_value(ctx, stmt.value), pbkdf2, stmt,  # type: ignore[attr-defined]
                                f"the Django hasher `{node.name}`")
            else:
                _config_rounds(ctx, stmt)
        return
    if isinstance(node, ast.Assign):
        if ctx.function is not None:
            _config_rounds(ctx, node)  # app.config["BCRYPT_LOG_ROUNDS"] = 4 inside create_app()
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call) or ""
    if name == "bcrypt.gensalt":
        _low(ctx, call.args[0] if call.args else ctx.kwarg(call, "rounds"), call, "`bcrypt.gensalt`")
    elif name in PASSLIB_BCRYPT:
        _low(ctx, ctx.kwarg(call, "rounds"), call, f"`{name}`")
    elif name in CRYPT_CONTEXT:
        for kw in call.keywords:
            if kw.arg and re.fullmatch(r"(bcrypt|bcrypt_sha256|all)__(default_)?rounds", kw.arg):
                _low(ctx, kw.value, call, f"`CryptContext({kw.arg}=...)`")
    elif name == "flask_bcrypt.generate_password_hash" or _flask_bcrypt_method(ctx, call):
        _low(ctx, call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "rounds"), call,
             "Flask-Bcrypt's `generate_password_hash`")
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "update" and _is_app_config(call.func.value):
        _low(ctx, ctx.kwarg(call, "BCRYPT_LOG_ROUNDS"), call, "`BCRYPT_LOG_ROUNDS`")
    _pbkdf2_call(ctx, call, name)


def _assigns(stmt: ast.AST, name: str) -> bool:
    return isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)


def _flask_bcrypt_method(ctx: PyContext, call: ast.Call) -> bool:
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "generate_password_hash"):
        return False
    owner = ctx.resolve(call.func.value)
    return isinstance(owner, ast.Call) and ctx.call_name(owner) in ("flask_bcrypt.Bcrypt", "flask.ext.bcrypt.Bcrypt")


def _is_app_config(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _config_rounds(ctx: PyContext, stmt: ast.AST) -> None:
    """`BCRYPT_LOG_ROUNDS = 4` in a config module or class, `app.config["BCRYPT_LOG_ROUNDS"] = 4`."""
    if not isinstance(stmt, ast.Assign):
        return
    for target in stmt.targets:
        if isinstance(target, ast.Name) and target.id == "BCRYPT_LOG_ROUNDS" or isinstance(target, ast.Subscript) \
                and _is_app_config(target.value) and ctx.const(target.slice) == "BCRYPT_LOG_ROUNDS":
            _low(ctx, stmt.value, stmt, "`BCRYPT_LOG_ROUNDS`")


# --- weak hashers ----------------------------------------------------------------------------------------------

DJANGO_WEAK_HASHERS = frozenset({"MD5PasswordHasher", "UnsaltedMD5PasswordHasher", "SHA1PasswordHasher",
                                 "UnsaltedSHA1PasswordHasher", "CryptPasswordHasher"})
PASSLIB_WEAK = frozenset({
    "md5_crypt", "apr_md5_crypt", "sun_md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16",
    "hex_md4", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "ldap_md5", "ldap_sha1", "ldap_salted_md5",
    "ldap_salted_sha1", "ldap_hex_md5", "ldap_hex_sha1", "ldap_plaintext", "ldap_des_crypt", "plaintext",
    "mysql323", "mysql41", "postgres_md5", "oracle10", "oracle11", "lmhash", "nthash", "msdcc", "msdcc2",
    "cisco_pix", "cisco_asa", "cisco_type7", "htdigest", "roundup_plaintext", "unix_disabled",
})
WERKZEUG_STRONG_PREFIXES = ("pbkdf2", "scrypt")


def _testing_branch(node: ast.AST, ctx: PyContext) -> str | None:
    """Why a setting is only in force while tests run: a module-level `if` whose test names them (`if TESTING:`,
    `if "test" in sys.argv:`, `if ENVIRONMENT == "testing":`) holds it (a fast hasher to speed the suite up:
    HydroShare, RapidPro, ScanCode.io, Mediathread), else None."""
    parents = ctx.module.parents()
    child, up = node, parents.get(id(node))
    while up is not None and not isinstance(up, ast.Module):
        if isinstance(up, ast.If) and child in up.body and testing_condition(up.test):
            return f"it is set only while the tests run (`if {ast.unparse(up.test)[:60]}:`)"
        child, up = up, parents.get(id(up))
    return None


PASSLIB_STRONG = frozenset({"bcrypt", "bcrypt_sha256", "argon2", "scrypt", "sha256_crypt", "sha512_crypt",
                            "pbkdf2_sha256", "pbkdf2_sha512", "ldap_pbkdf2_sha256", "ldap_pbkdf2_sha512"})


def _strong_scheme_offered(ctx: PyContext) -> str | None:
    """A strong passlib scheme this module hashes with too (`sha512_crypt.hash`, `bcrypt.hash`), or None: a module
    that offers one scheme per configured choice (iredadmin, jumpserver, modoboa) beside weak legacy ones."""
    def build() -> str | None:
        for node in ctx.module.walk():
            if isinstance(node, ast.Call):
                name = ctx.call_name(node) or ""
                if name.startswith("passlib.hash.") and name.split(".")[2] in PASSLIB_STRONG:
                    return name.split(".")[2]
        return None
    return ctx.file.cached("passlib-strong-scheme", build)


def _named_for_scheme(ctx: PyContext, scheme: str) -> bool:
    """The call sits in a function or class named for its scheme (`def generate_md5_password`, `def des():` in a
    table of algorithms): the code of one scheme among those the module offers."""
    words = set(split_words(scheme)) - {"crypt", "hex", "ldap"}
    owners = [ctx.function, ctx.module.parents().get(id(ctx.function)) if ctx.function is not None else None]
    return any(isinstance(o, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               and words & set(split_words(o.name)) for o in owners)


def _development_class_of(node: ast.AST, ctx: PyContext) -> str | None:
    """Why a setting in a configuration class is not production's: the class is named for development or tests
    (django-configurations' `class TestBase(Base): PASSWORD_HASHERS = [MD5...]`, froide), else None."""
    owner = ctx.module.parents().get(id(node))
    if isinstance(owner, ast.ClassDef) and is_development_class(owner.name):
        return f"it is set in the development or test configuration `{owner.name}`"
    return None


@python_check("PY510", ast.Call, ast.Assign, raise_in_handler=False)
def weak_password_hasher(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Assign):
        if ctx.function is None and any(isinstance(t, ast.Name) and t.id == "PASSWORD_HASHERS" for t in node.targets):
            value = ctx.resolve(node.value)
            if isinstance(value, (ast.List, ast.Tuple)) and value.elts and not _is_test_module(ctx):
                first = ctx.const(value.elts[0])
                if isinstance(first, str) and first.rsplit(".", 1)[-1] in DJANGO_WEAK_HASHERS:
                    message = (f"{BRUTE}: Django hashes new passwords with `{first.rsplit('.', 1)[-1]}`, a fast "
                               "digest that leaked hashes fall to quickly; put PBKDF2, Argon2 or bcrypt first.")
                    review = settings_review(ctx, "PASSWORD_HASHERS") or _testing_branch(node, ctx) \
                        or _development_class_of(node, ctx)
                    if review:
                        report_review(ctx, value.elts[0], message, review)
                    else:
                        ctx.report(value.elts[0], message)
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call) or ""
    if name.startswith("passlib.hash."):
        scheme = name.split(".")[2]
        if scheme in PASSLIB_WEAK and name.rsplit(".", 1)[-1] in ("hash", "encrypt", "using"):
            message = f"{BRUTE}: passlib's `{scheme}` is a weak password scheme; use `argon2` or `bcrypt`."
            strong = _strong_scheme_offered(ctx) if _named_for_scheme(ctx, scheme) else None
            if strong:
                report_review(ctx, call, message, f"this module also hashes with `{strong}`: the weak scheme is one "
                              "the deployment may choose (mail servers' legacy schemes, Dovecot's MD5-CRYPT), so "
                              "whether it is used depends on configuration not visible here")
            else:
                ctx.report(call, message)
    elif name in CRYPT_CONTEXT:
        schemes = ctx.const(ctx.kwarg(call, "schemes"))
        default = ctx.const(ctx.kwarg(call, "default"))
        chosen = default if isinstance(default, str) else schemes[0] if isinstance(schemes, (list, tuple)) and schemes else None
        if isinstance(chosen, str) and chosen in PASSLIB_WEAK:
            ctx.report(call, f"{BRUTE}: this CryptContext hashes new passwords with the weak scheme `{chosen}`; "
                             "make `argon2` or `bcrypt` the default.")
    elif name == "werkzeug.security.generate_password_hash" or name == "werkzeug.generate_password_hash":
        method = ctx.const(call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "method"))
        if isinstance(method, str) and not method.startswith(WERKZEUG_STRONG_PREFIXES):
            ctx.report(call, f"{BRUTE}: `generate_password_hash` with method `{method}` stores a single fast "
                             "digest (or the plain password); use the default `scrypt` or `pbkdf2`.")
