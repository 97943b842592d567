"""Where a value derived from a password goes in this module: out in a request to the other side of a login
protocol (`api.post(LOGIN, data={"md5Pass": md5(pw).hexdigest()})`), as a key that decrypts what that side sent,
or somewhere it is kept (an attribute, a database call, a comparison with a stored hash, a caller not seen).

Used by the password-hashing rules (PY508, PY509): a digest or key derivation whose every output leaves in a
request is fixed by the protocol of the service that asks for it; it builds no table of password hashes here.
The walk follows a value upwards through conversions (`.hexdigest()`, slicing, `base64_encode(...)`, string
building), names it is assigned to (every later read), dict payloads (every read of the payload, and every read
of the same key in the module when the dict is not a local one), and `return` (every call of the function in the
module). Anything else ends the walk as "kept".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ....secrets import split_words
from ..context import PyContext

HTTP_CLIENT_PREFIXES = ("requests.", "httpx.", "aiohttp.", "urllib.request.", "urllib3.", "http.client.")
# A call that sends by its name: `requests.post`, `session.request`, `self.api_request`, `client.send`.
SEND_WORDS = frozenset({"request", "requests", "post", "send", "fetch", "submit", "upload", "urlopen"})
# Keywords that carry a request's payload when the first argument is a URL (`self.load(API_URL, post=...)`).
PAYLOAD_KEYWORDS = frozenset({"data", "json", "params", "post", "get", "body", "payload", "fields", "form",
                              "query", "headers", "cookies"})
URL_WORDS = frozenset({"url", "uri", "endpoint"})
# Calls that put a value into a list payload (`params.append(("sign", digest))`): the list goes on.
LIST_STORES = ("append", "extend", "insert")
# Conversions that keep the value (its digest in hex, bytes, base64, JSON, a query string).
CONVERT_METHODS = frozenset({"hexdigest", "digest", "hex", "encode", "decode", "upper", "lower", "strip", "rstrip",
                             "lstrip", "derive"})
CONVERT_NAMES = re.compile(r"(?:^|_)(?:to|from)_|_to(?:_|$)|encode|decode|hexlify|b64|base64|dumps|quote|urlencode|"
                           r"^(?:str|bytes|bytearray|hex)$", re.I)
# A call that uses its argument as a key (MEGA-style: the derived key decrypts what the server sent back).
KEY_USE = re.compile(r"encrypt|decrypt|wrap|cipher", re.I)


# An in-memory cache of a password check (`self._cache_successful[login] = (digest, t)`,
# `self._checked_passwords[password_hash] = True`): an instance attribute named for caching.
CACHE_WORDS = frozenset({"cache", "cached", "checked", "memo", "seen", "recent"})
IN_MEMORY_CALLS = frozenset({"len", "list", "sorted", "iter", "any", "all", "bool"})
CONTAINER_READS = frozenset({"get", "pop", "keys", "items", "values", "clear", "setdefault", "update", "__contains__"})


@dataclass
class Outflow:
    """What the walk saw: the requests the value leaves in, the calls that use it as a key, the in-memory caches
    it is kept in (only when the walk was asked to accept those)."""
    sends: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    caches: set[str] = field(default_factory=set)
    # (only when asked for) the comparisons it ends in (`digest == stored`, `hmac.compare_digest(digest, stored)`,
    # `user.check_password(digest)`) and the functions they sit in
    compares: set[str] = field(default_factory=set)
    compare_functions: list[ast.AST] = field(default_factory=list)


# A call that compares its arguments with a stored value (`hmac.compare_digest`, passlib's `consteq`,
# `constant_time.bytes_eq`, `user.check_password(digest)`), by the words of its name.
COMPARE_WORDS = frozenset({"compare", "consteq", "eq", "equal", "equals", "verify", "check", "matches", "match"})


class _Walk:
    def __init__(self, ctx: PyContext, memory: bool = False, compare: bool = False):
        self.compare = compare
        self.ctx = ctx
        self.parents = ctx.module.parents()
        self.out = Outflow()
        self.seen: set[int] = set()
        self.budget = 2000
        self.memory = memory
        self._index: dict[str, dict[str, list[ast.AST]]] | None = None

    def index(self, kind: str, key: str) -> list[ast.AST]:
        """The module's calls by called name, subscript reads by constant key, functions by name (built once)."""
        if self._index is None:
            calls: dict[str, list[ast.AST]] = {}
            reads: dict[str, list[ast.AST]] = {}
            defs: dict[str, list[ast.AST]] = {}
            for n in self.ctx.module.walk():
                if isinstance(n, ast.Call):
                    called = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", None)
                    if called:
                        calls.setdefault(called, []).append(n)
                elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) \
                        and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
                    reads.setdefault(n.slice.value, []).append(n)
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    defs.setdefault(n.name, []).append(n)
            self._index = {"calls": calls, "reads": reads, "defs": defs}
        return self._index[kind].get(key, [])

    def cache(self, node: ast.AST | None) -> str | None:
        """`self.<cache>` when `node` is an instance attribute named for caching, set to an empty dict or set in
        this module, and never handed whole to a call, returned or assigned elsewhere (it stays in memory)."""
        if not (self.memory and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self" and set(split_words(node.attr)) & CACHE_WORDS):
            return None
        made = False
        for n in self.ctx.module.walk():
            if not (isinstance(n, ast.Attribute) and n.attr == node.attr):
                continue
            up = self.parents.get(id(n))
            if isinstance(n.ctx, ast.Store):
                value = up.value if isinstance(up, (ast.Assign, ast.AnnAssign)) else None
                if isinstance(value, (ast.Dict, ast.Set)) or isinstance(value, ast.Call) and getattr(
                        value.func, "id", getattr(value.func, "attr", "")) in ("dict", "set", "OrderedDict",
                                                                              "defaultdict"):
                    made = True
                    continue
                return None
            if isinstance(up, ast.Subscript) and up.value is n or isinstance(up, ast.Attribute) \
                    and up.attr in CONTAINER_READS or isinstance(up, ast.Compare) and n in up.comparators \
                    or isinstance(up, (ast.For, ast.comprehension)) and up.iter is n \
                    or isinstance(up, ast.Call) and getattr(up.func, "id", "") in IN_MEMORY_CALLS:
                continue  # a lookup, `for k in self._cache`, `len(self._cache)`
            return None
        return node.attr if made else None

    # --- the walk ---------------------------------------------------------------------------------------------
    def goes(self, node: ast.AST, depth: int = 0) -> bool:
        """Every use of `node`'s value ends in a request (or as a key)."""
        self.budget -= 1
        if depth > 40 or self.budget <= 0:
            return False
        if id(node) in self.seen:
            return True  # a cycle: judged where it started
        self.seen.add(id(node))
        up = self.parents.get(id(node))
        if isinstance(up, ast.Attribute) and up.value is node:
            call = self.parents.get(id(up))
            if isinstance(call, ast.Call) and call.func is up and up.attr in CONVERT_METHODS:
                return self.goes(call, depth + 1)
            return False
        if isinstance(up, ast.Subscript) and up.value is node and isinstance(up.ctx, ast.Load):
            return self.goes(up, depth + 1)  # pbkdf[16:], .hex()[:32]
        if isinstance(up, ast.Subscript) and up.slice is node and isinstance(up.ctx, ast.Load) \
                and isinstance(self.ctx.const(up.value), str):
            return self.goes(up, depth + 1)  # ALPHABET[t & 0x3f]: an encoding table read with the value
        if isinstance(up, ast.AugAssign) and up.value is node and isinstance(up.target, ast.Name):
            fn = self.function_of(up)  # encoded += ALPHABET[...]
            return fn is not None and self.container(up.target.id, None, fn, depth + 1, since=up)
        if isinstance(up, (ast.BinOp, ast.JoinedStr, ast.FormattedValue, ast.Tuple, ast.List)):
            return self.goes(up, depth + 1)
        if isinstance(up, ast.IfExp) and node is not up.test:  # `None if pw is None else md5(pw).hexdigest()`
            return self.goes(up, depth + 1)
        if isinstance(up, ast.Dict) and any(v is node for v in up.values):
            return self.goes(up, depth + 1)
        if self.memory and isinstance(up, (ast.Call, ast.Subscript, ast.Compare)) and self.kept_in_memory(node, up):
            return True
        if isinstance(up, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot)) for op in up.ops) and all(
                isinstance(side, ast.Constant) and side.value is None for side in (up.left, *up.comparators)
                if side is not node):
            return True  # `if params is None:` keeps nothing
        if self.compare and isinstance(up, ast.Compare) and all(
                isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in up.ops):
            self.compared({ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}[type(up.ops[0])], up)
            return True
        if isinstance(up, ast.keyword):
            call = self.parents.get(id(up))
            return isinstance(call, ast.Call) and self.argument(call, node, up.arg, depth)
        if isinstance(up, ast.Call) and any(a is node for a in up.args):
            return self.argument(up, node, None, depth)
        if isinstance(up, ast.Assign) and up.value is node and len(up.targets) == 1:
            return self.assigned(up.targets[0], up, depth)
        if isinstance(up, ast.Return):
            return self.returned(up, depth)
        return False

    def read_from_cache(self, side: ast.AST, where: ast.AST, hops: int = 0) -> bool:
        """`digest_cache` bound (directly, by unpacking, through one more name) to a read of an in-memory cache
        (`entry = self._cache.get(login)`; `digest_cache, stamp = entry`): a cached digest, not a stored hash."""
        if self.cache(side) or isinstance(side, ast.Subscript) and self.cache(side.value) \
                or isinstance(side, ast.Call) and isinstance(side.func, ast.Attribute) and self.cache(side.func.value):
            return True
        fn = self.function_of(where)
        if not isinstance(side, ast.Name) or fn is None or hops > 2:
            return False
        values = []
        for n in ast.walk(fn):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == side.id
                                                 or isinstance(t, ast.Tuple) and any(
                                                     isinstance(e, ast.Name) and e.id == side.id for e in t.elts)
                                                 for t in n.targets):
                values.append(n.value)
        return bool(values) and all(self.read_from_cache(v, where, hops + 1) for v in values)

    def kept_in_memory(self, node: ast.AST, up: ast.AST | None) -> bool:
        """A cache key or entry (`self._cache[digest] = ...`, `digest in self._checked`, `self._cache.get(digest)`),
        or a comparison (with a cached digest, with "")."""
        if isinstance(up, ast.Subscript) and up.slice is node and self.cache(up.value):
            self.out.caches.add(self.cache(up.value) or "")
            return True
        if isinstance(up, ast.Compare):
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in up.ops):
                target = up.comparators[0]
                if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                    target = target.func.value  # digest in self._checked.keys()
                return self.cache(target) is not None
            others = [side for side in (up.left, *up.comparators) if side is not node]
            return all(isinstance(op, (ast.Eq, ast.NotEq)) for op in up.ops) and all(
                isinstance(side, ast.Constant) or self.read_from_cache(side, up) for side in others)
        if isinstance(up, ast.Call) and isinstance(up.func, ast.Attribute) and up.func.attr in ("get", "pop") \
                and up.args and up.args[0] is node and self.cache(up.func.value):
            return True
        return False

    def argument(self, call: ast.Call, node: ast.AST, keyword: str | None, depth: int) -> bool:
        name = self.ctx.qualname(call.func) or ""
        short = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        fed = self.hasher_outputs(call)
        if fed is not None:  # ctx_c.update(value): on to what that hasher puts out
            return bool(fed) and all(self.goes(out, depth + 1) for out in fed)
        if self.compare and set(split_words(short)) & COMPARE_WORDS:
            self.compared(short, call)
            return True
        if self.sends(call, name, short, keyword):
            self.out.sends.add(short or name)
            return True
        if short in LIST_STORES and keyword is None and isinstance(call.func, ast.Attribute) \
                and isinstance(call.func.value, ast.Name):  # params.append(("sign", digest)): on with the list
            fn, held = self.function_of(call), call.func.value.id
            # (a list this function made: one it was given, or a global, is kept wherever it came from)
            return fn is not None and held not in {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)} \
                and any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == held for t in n.targets)
                        for n in ast.walk(fn)) \
                and self.container(held, None, fn, depth + 1, since=call)
        if CONVERT_NAMES.search(short) or name.startswith("hashlib.") \
                or name in ("json.dumps", "urllib.parse.urlencode", "urllib.parse.quote"):  # sha1(md5(pw).hexdigest())
            return self.goes(call, depth + 1)
        if KEY_USE.search(short) and (keyword and "key" in keyword.lower()
                                      or keyword is None and call.args and call.args[0] is not node):
            self.out.keys.add(short)
            return True
        return self.into(call, short, node, keyword, depth)

    def hasher_outputs(self, call: ast.Call) -> list[ast.AST] | None:
        """`h.update(value)` where `h` is bound in the function to a hash object (`hashlib.sha1()`,
        `hashes.Hash(hashes.SHA1())`): the calls that put out its digest (`h.finalize()`, `h.hexdigest()`); None
        when `call` is no such update."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "update" and isinstance(func.value, ast.Name)):
            return None
        fn = self.function_of(call)
        if fn is None:
            return None
        holder = func.value.id
        made = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == holder]
        names = [self.ctx.qualname(v.func) or "" for v in made if isinstance(v, ast.Call)]
        if not made or len(names) != len(made) or not all(
                n.startswith("hashlib.") or n.endswith("hashes.Hash") for n in names):
            return None
        return [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and n.func.attr in ("finalize", "digest", "hexdigest") and isinstance(n.func.value, ast.Name)
                and n.func.value.id == holder]

    def into(self, call: ast.Call, short: str, node: ast.AST, keyword: str | None, depth: int) -> bool:
        """A function or method of this module (`self.user_hash(user, key)`): every read of the parameter the value
        is passed to goes out."""
        defs = self.index("defs", short)
        if len(defs) != 1 or depth > 6:
            return False
        fn = defs[0]
        params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        if isinstance(call.func, ast.Attribute) and params and params[0] in ("self", "cls"):
            params = params[1:]
        if keyword is not None:
            param = keyword if keyword in params or keyword in {a.arg for a in fn.args.kwonlyargs} else None
        else:
            # (a value handed on inside `**kwargs` or a starred list is no positional argument: Aether's
            # `build_digest_header(**auth_kwargs)`, §3w, where this raised StopIteration)
            position = next((i for i, a in enumerate(call.args) if a is node), None)
            param = params[position] if position is not None and position < len(params) else None
        if param is None:
            return False
        loads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == param and isinstance(n.ctx, ast.Load)]
        return bool(loads) and self.container(param, None, fn, depth + 1)

    def sends(self, call: ast.Call, name: str, short: str, keyword: str | None) -> bool:
        if name.startswith(HTTP_CLIENT_PREFIXES):
            return True
        if set(split_words(short)) & SEND_WORDS:
            return True
        if keyword in PAYLOAD_KEYWORDS and call.args:  # self.load(self.API_URL + method, post=payload)
            first = call.args[0]
            text = self.ctx.const(first)
            if isinstance(text, str) and re.match(r"https?://", text):
                return True
            return any(isinstance(n, (ast.Name, ast.Attribute)) and set(split_words(
                n.id if isinstance(n, ast.Name) else n.attr)) & URL_WORDS for n in ast.walk(first))
        return False

    def compared(self, how: str, where: ast.AST) -> None:
        self.out.compares.add(how)
        fn = self.function_of(where)
        if fn is not None and all(f is not fn for f in self.out.compare_functions):
            self.out.compare_functions.append(fn)

    def assigned(self, target: ast.AST, stmt: ast.Assign, depth: int) -> bool:
        fn = self.function_of(stmt)
        if isinstance(target, ast.Tuple) and target.elts and all(isinstance(e, ast.Name) for e in target.elts):
            # `salt, token = make_token()`: every name unpacked is followed (the value is one of them)
            return all(self.assigned(e, stmt, depth) for e in target.elts)
        if isinstance(target, ast.Name):
            loads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == target.id
                     and isinstance(n.ctx, ast.Load)] if fn is not None else []
            return bool(loads) and self.container(target.id, None, fn, depth, since=stmt)  # type: ignore[arg-type]
        if isinstance(target, ast.Subscript):
            key = self.ctx.const(target.slice)
            base = target.value
            if self.cache(base):  # self._cache[login] = (digest, t)
                self.out.caches.add(self.cache(base) or "")
                return True
            checked = False
            if isinstance(base, ast.Name) and fn is not None:
                if not self.container(base.id, key, fn, depth, since=stmt):
                    return False
                checked = True
                if self.local_dict(base.id, fn):
                    return True
            # a dict that outlives the function (a parameter, `self.info["data"]`): every read of the key
            if not isinstance(key, str):
                return False
            reads = self.index("reads", key)
            return (bool(reads) or checked) and all(self.goes(n, depth + 1) for n in reads)
        return False

    def container(self, name: str, key: object, fn: ast.AST, depth: int, since: ast.AST | None = None) -> bool:
        """Every read of the payload `name` in `fn` goes out (stores into it and other keys' reads aside). Reads
        inside a `for name in ...:` loop that does not hold `since` (the assignment followed) see the loop's own
        values."""
        shadows = [(loop.lineno, loop.end_lineno or loop.lineno) for loop in ast.walk(fn)
                   if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name)
                   and loop.target.id == name and not (since is not None
                                                       and loop.lineno <= since.lineno <= (loop.end_lineno or 0))]
        loops = [(loop.lineno, loop.end_lineno or loop.lineno) for loop in ast.walk(fn)
                 if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) and since is not None
                 and loop.lineno <= since.lineno <= (loop.end_lineno or 0)]
        stores = [s for s in ast.walk(fn) if isinstance(s, (ast.Assign, ast.AnnAssign)) and s is not since
                  and (since is None or s.lineno > (since.end_lineno or since.lineno))
                  and any(isinstance(t, ast.Name) and t.id == name
                          for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
        for n in ast.walk(fn):
            if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
                continue
            if any(a <= n.lineno <= b for a, b in shadows):
                continue
            if since is not None and n.lineno < since.lineno and not any(a <= n.lineno <= b for a, b in loops):
                continue  # read before the assignment, in straight-line code: an earlier value
            if any(self.replaced_before(s, n) for s in stores):
                continue  # `data = requests.post(..., data=data).json()` before it: a read of the new value
            up = self.parents.get(id(n))
            if isinstance(up, ast.Subscript) and up.value is n:
                if isinstance(up.ctx, ast.Store):
                    continue  # payload["other"] = ...
                other = self.ctx.const(up.slice)
                if isinstance(other, str) and other != key:
                    continue  # another field read back
            if isinstance(up, ast.Attribute) and up.attr in ("update", "setdefault", *LIST_STORES) \
                    and isinstance(self.parents.get(id(up)), ast.Call):
                continue  # a store into the payload, not a read of it
            if not self.goes(n, depth + 1):
                return False
        return True

    def replaced_before(self, store: ast.AST, read: ast.AST) -> bool:
        """`store` (an assignment of the name followed) runs on every path to `read` after the followed value was
        bound: it stands before a statement holding `read` in the same block (its own right-hand side still reads
        the earlier value). A store on one branch only, or later in a loop body than the read, replaces nothing."""
        block_of = self.parents.get(id(store))
        block = next((getattr(block_of, f) for f in ("body", "orelse", "finalbody")
                      if store in (getattr(block_of, f, None) or ())), None)
        if block is None:
            return False
        node = read
        while node is not None and node is not block_of:
            up = self.parents.get(id(node))
            if up is block_of and node in block:
                return block.index(node) > block.index(store)
            node = up
        return False

    def local_dict(self, name: str, fn: ast.AST) -> bool:
        """`payload = {...}` / `dict(...)` in the function, and not a parameter: a payload built here."""
        args = getattr(fn, "args", None)
        if args is not None and name in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}:
            return False
        values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
        return bool(values) and all(isinstance(v, ast.Dict) or isinstance(v, ast.Call)
                                    and getattr(v.func, "id", "") == "dict" for v in values)

    def returned(self, stmt: ast.Return, depth: int) -> bool:
        fn = self.function_of(stmt)
        name = getattr(fn, "name", None)
        if not name:
            return False
        calls = self.index("calls", name)
        return bool(calls) and all(self.goes(c, depth + 1) for c in calls)

    def function_of(self, node: ast.AST) -> ast.AST | None:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            current = self.parents.get(id(current))
        return current


def outflow(ctx: PyContext, outputs: list[ast.AST], memory: bool = False, compare: bool = False) -> Outflow | None:
    """Where the values `outputs` (a digest call, `kdf.derive(...)`) go: None when any of them may be kept (with
    `memory`, an in-memory cache of the instance and comparisons do not count as kept; with `compare`, a
    comparison with another value, `==` or a call named for comparing, ends the walk as a use that keeps nothing)."""
    if not outputs:
        return None
    walk = _Walk(ctx, memory, compare)
    if all(walk.goes(out) for out in outputs) and (walk.out.sends or walk.out.caches or walk.out.compares):
        return walk.out
    return None
