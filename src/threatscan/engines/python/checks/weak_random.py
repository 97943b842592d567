"""Secrets drawn from a predictable random generator (rule PY515).

Python's `random` module (and numpy's) is a Mersenne Twister: fast and fine for simulations, shuffles and jitter,
but whoever sees about 624 of its outputs can compute every later one, and its seed is often guessable. A token,
password, nonce or one-time code made with it can be predicted. The finding needs evidence that the value
is such a secret: the name it is bound to, the keyword it is passed as or the function that returns it says so
(`token = "".join(random.choice(chars) ...)`, `User(password=...)`, `def _randomise_token(): return ...`; mytardis
§3x's share tokens). A random call whose value is named for nothing secret is not reported (bandit's B311 reports
every call, at low severity: the peer tool, if wanted).
"""

from __future__ import annotations

import ast

from ....secrets import split_words
from ..context import PyContext
from ..registry import python_check

# The stdlib's and numpy's module-level generators (a `random.SystemRandom()` draws from the OS: not these)
RANDOM_FUNCTIONS = frozenset({"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits",
                              "randbytes", "shuffle", "uniform", "rand", "random_sample", "bytes", "integers"})
RANDOM_MODULES = ("random.", "numpy.random.")
# Words that name a secret by themselves, and words that do with a qualifier (`api_key`, `reset_code`)
# (not a salt: it must be unique, not secret; nor a name that says the value only stands in: `dummy_token`, a path
# a scanner requests to learn a site's 404 page)
# (nor an id: a session id that only tracks a stream, Dispatcharr §3y, identifies rather than authenticates)
SECRET_WORDS = frozenset({"token", "tokens", "password", "passwords", "passwd", "pwd", "passphrase", "secret",
                          "secrets", "nonce", "otp", "totp", "csrf", "captcha", "apikey"})
STAND_IN_WORDS = frozenset({"dummy", "fake", "placeholder", "sample", "example", "test", "mock"})
QUALIFIED = {
    "key": frozenset({"api", "secret", "access", "private", "signing", "encryption", "auth", "session"}),
    "code": frozenset({"verification", "verify", "reset", "confirm", "confirmation", "activation", "otp", "auth",
                       "login", "invite", "invitation", "recovery", "security", "access"}),
}
# Expressions a drawn value passes through on its way to a name (`"".join(...)`, `str(...)`, `f"{...}"`, `x + y`);
# a call passes it on only if it converts or joins it (`secrets.token_hex(random.randint(16, 32))` draws a length)
PASSING = (ast.GeneratorExp, ast.ListComp, ast.comprehension, ast.JoinedStr, ast.FormattedValue, ast.BinOp, ast.List,
           ast.Tuple, ast.Starred, ast.Attribute)
CONVERTING_CALLS = frozenset({"join", "format", "hex", "encode", "decode", "hexdigest", "digest", "upper", "lower",
                              "str", "int", "bytes", "bytearray", "list", "tuple", "b64encode", "urlsafe_b64encode",
                              "md5", "sha1", "sha256", "sha512", "new"})


def secret_name(name: str) -> bool:
    """`token`, `reset_code`, `api_key`, `_randomise_token`: a name that says the value is a secret."""
    words = {w.lower() for w in split_words(name)}
    if words & STAND_IN_WORDS:
        return False
    if words & SECRET_WORDS:
        return True
    return any(word in words and words & qualifiers for word, qualifiers in QUALIFIED.items())


def _named_for(ctx: PyContext, call: ast.Call) -> str | None:
    """The name the drawn value ends up under: an assignment's target, a keyword argument, a returning function."""
    parents = ctx.module.parents()
    node: ast.AST = call
    up = parents.get(id(node))
    while isinstance(up, PASSING) or isinstance(up, ast.keyword) or isinstance(up, ast.Call) and _converts(up):
        if isinstance(up, ast.keyword):
            return up.arg
        node, up = up, parents.get(id(up))
    if isinstance(up, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = up.targets if isinstance(up, ast.Assign) else [up.target]
        names = [t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute)
                 else t.slice.value if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
                 and isinstance(t.slice.value, str) else "" for t in targets]
        return next((n for n in names if n and secret_name(n)), names[0] if names else None)
    if isinstance(up, ast.Return):
        return getattr(ctx.function, "name", None)  # (the function around the call returns the draw)
    return None


def _converts(call: ast.Call) -> bool:
    func = call.func
    short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return short in CONVERTING_CALLS


@python_check("PY515", ast.Call)
def weak_random_secret(call: ast.Call, ctx: PyContext) -> None:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in RANDOM_FUNCTIONS
            or isinstance(func, ast.Name) and func.id in RANDOM_FUNCTIONS):
        return  # (the syntax first: most calls are no draw)
    name = ctx.call_name(call) or ""
    if not name.startswith(RANDOM_MODULES) or name.rsplit(".", 1)[-1] not in RANDOM_FUNCTIONS:
        return
    target = _named_for(ctx, call)
    if not target or not secret_name(target):
        return
    ctx.report(call, f"Predictable secret: `{name}` draws `{target}` from a Mersenne Twister, whose later outputs "
                     "anyone who sees a few hundred earlier ones (or guesses the seed) can compute; a token, password, "
                     "nonce or one-time code made with it can be predicted.")
