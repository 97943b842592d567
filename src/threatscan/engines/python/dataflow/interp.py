"""The intra-procedural pass: interpret one function's statements in order over abstract values.

Each name holds a `V`: a constant when one is known (so `if 3 * n > 5` after `n = 4` takes one branch only), the
elements of a list or the entries of a dict (so a popped element or another key is not the tainted one), and the
taints that reached it, each with its path. Branches are interpreted separately and joined; loops twice. Calls to
functions of the same module or of the repository apply their summaries (which parameters reach the return value);
the values of every call's arguments are recorded for the checks (`PyContext.taint`).
"""

from __future__ import annotations

import ast
import operator
from typing import TYPE_CHECKING, Any

from ....model import FlowStep, Location
from ..context import UNKNOWN, node_location
from .values import OPAQUE, UNKNOWN_V, MAX_ELTS, Taint, V, const_v, expand, fold_fits, join, join_all, uncertain, union

if TYPE_CHECKING:
    from .module import DataflowModule

BUDGET = 40_000  # expressions evaluated per function before the analysis gives up (the checks fall back)

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_FOLD_NAMES = {ast.Add: "add", ast.Mult: "mul", ast.Mod: "mod", ast.LShift: "lshift"}
_STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "replace", "format",
    "zfill", "center", "ljust", "rjust", "removeprefix", "removesuffix", "swapcase", "expandtabs",
})
_SCALARS = (str, bytes, int, float, bool, type(None), complex)
_CONFIGPARSERS = frozenset({"configparser.ConfigParser", "configparser.RawConfigParser", "configparser.SafeConfigParser",
                            "ConfigParser.ConfigParser", "collections.OrderedDict", "collections.defaultdict"})
_PURE_PREFIXES = ("base64.", "binascii.", "zlib.", "codecs.", "json.dumps", "json.loads", "urllib.parse.", "hashlib.",
                  "html.", "shlex.", "os.path.", "posixpath.", "textwrap.", "string.", "datetime.", "decimal.",
                  "uuid.UUID")
_PURE_BUILTINS = frozenset({"str", "bytes", "int", "float", "repr", "format", "sorted", "list", "tuple", "min", "max",
                            "sum", "abs", "round", "chr", "ord", "hex", "oct", "bin", "len"})
_IMPURE_METHODS = frozenset({"read", "readline", "readlines", "recv", "fetchone", "fetchall", "fetchmany", "get_json",
                             "json", "text", "body", "input", "getenv", "pop", "popitem"})
_SELF_VALIDATING = frozenset({"isdigit", "isnumeric", "isdecimal", "isalnum", "isidentifier"})


class Flow:
    """The result of interpreting one scope (a function, or the module's top-level code)."""

    def __init__(self, dm: "DataflowModule", scope: ast.AST, summary: bool = False):
        self.dm = dm
        self.scope = scope
        self.summary = summary
        self.values: dict[int, V] = {}  # id(argument node) -> its value where the call happens
        self.call_args: dict[int, tuple[list[V], dict[str | None, V]]] = {}
        self.indirect: dict[int, list[tuple[str, Taint, str]]] = {}  # id(call) -> (family, taint, what) via helpers
        self.sink_hits: list[tuple[ast.Call, str, V, str]] = []  # (call, family, value, sink name)
        self.returns: V | None = None
        self.dead: list[tuple[int, int]] = []
        self.complete = True
        self._budget = BUDGET

    # --- entry ------------------------------------------------------------------------------------------------
    def run(self) -> "Flow":
        env: dict[str, V] = {}
        if isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            env.update(self.dm.entry_env(self.scope, self.summary))
            body = self.scope.body
        else:
            body = self.scope.body  # the module
        try:
            self.block(body, env)
        except _OutOfBudget:
            self.complete = False
        except RecursionError:
            self.complete = False
        return self

    def is_dead(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return any(a <= line <= b for a, b in self.dead)

    # --- helpers ----------------------------------------------------------------------------------------------
    def loc(self, node: ast.AST) -> Location:
        return node_location(self.dm.module.file, node)

    def code(self, node: ast.AST, limit: int = 60) -> str:
        line = self.dm.file_line(getattr(node, "lineno", 1))
        if getattr(node, "end_lineno", None) == getattr(node, "lineno", None) and getattr(node, "end_col_offset", None):
            text = line.encode()[node.col_offset:node.end_col_offset].decode(errors="replace")  # type: ignore[attr-defined]
        else:
            text = line.strip()
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def step(self, node: ast.AST, message: str) -> FlowStep:
        return FlowStep(self.loc(node), message)

    def source(self, node: ast.AST, label: str) -> V:
        return V(taints=(Taint((self.step(node, f"source: `{self.code(node)}` ({label})"),), label=label),))

    def assigned(self, v: V, target: ast.AST, name: str) -> V:
        if not v.deep():
            return v
        st = self.step(target, f"assigned to `{name}`")
        return expand(v, lambda t: (t.step(st),))

    # --- statements -------------------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], env: dict[str, V]) -> bool:
        """Interpret statements in order; True when the block always leaves (return, raise, abort())."""
        for i, stmt in enumerate(stmts):
            if self.stmt(stmt, env):
                if i + 1 < len(stmts):
                    self.dead.append((stmts[i + 1].lineno, getattr(stmts[-1], "end_lineno", stmts[-1].lineno) or 0))
                return True
        return False

    def stmt(self, node: ast.stmt, env: dict[str, V]) -> bool:
        if isinstance(node, ast.Assign):
            value = self.eval(node.value, env)
            for target in node.targets:
                self.bind(target, value, env, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value, env), env, node.value)
        elif isinstance(node, ast.AugAssign):
            current = self.eval(node.target, env) if not isinstance(node.target, ast.Subscript) else self.eval(node.target, env)
            right = self.eval(node.value, env)
            self.bind(node.target, self.binop(node.op, current, right), env, None)
        elif isinstance(node, ast.Expr):
            self.eval(node.value, env)
            return self.terminates_call(node.value, env)
        elif isinstance(node, ast.Return):
            value = self.eval(node.value, env) if node.value is not None else const_v(None)
            if node.value is not None:
                self.values[id(node.value)] = join(self.values.get(id(node.value)), value)
            self.returns = join(self.returns, value)
            return True
        elif isinstance(node, (ast.Raise, ast.Continue, ast.Break)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                self.eval(node.exc, env)
            return True
        elif isinstance(node, ast.If):
            return self.if_(node, env)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            items = self.eval(node.iter, env)
            self.loop(node, env, lambda e: self.bind(node.target, self.element(items), e, None))
        elif isinstance(node, ast.While):
            test = self.truth(self.eval(node.test, env))
            if test is False:
                self.dead.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))
                self.block(node.orelse, env)
            else:
                self.loop(node, env, lambda e: None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self.eval(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, value.flat() if value.deep() else V(), env, None)
            return self.block(node.body, env)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            start = dict(env)
            left = self.block(node.body, env)
            if not left:
                self.block(node.orelse, env)
            outs = [] if left else [dict(env)]
            for handler in node.handlers:
                h_env = _join_envs([start, env])
                if handler.name:
                    h_env[handler.name] = V()
                if not self.block(handler.body, h_env):
                    outs.append(h_env)
            merged = _join_envs(outs) if outs else _join_envs([start, env])
            env.clear()
            env.update(merged)
            if node.finalbody:
                self.block(node.finalbody, env)
            return not outs
        elif isinstance(node, ast.Match):
            subject = self.eval(node.subject, env)
            outs = []
            for case in node.cases:
                c_env = dict(env)
                self.bind_pattern(case.pattern, subject, c_env)
                if case.guard is not None:
                    self.eval(case.guard, c_env)
                if not self.block(case.body, c_env):
                    outs.append(c_env)
            outs.append(dict(env))
            env.clear()
            env.update(_join_envs(outs))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            env[node.name] = V()
        elif isinstance(node, ast.ClassDef):
            c_env = dict(env)
            for stmt in node.body:
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.stmt(stmt, c_env)
            env[node.name] = V()
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    env.pop(target.id, None)
                elif isinstance(target, ast.Subscript):
                    self.delete_item(target, env)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                name = (a.asname or a.name).split(".")[0]
                env.pop(name, None)  # the module-level resolution (Names) answers for it
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Pass)):
            pass
        elif isinstance(node, ast.Assert):
            self.eval(node.test, env)
            self.narrow(node.test, env, True)
        return False

    def if_(self, node: ast.If, env: dict[str, V]) -> bool:
        truth = self.truth(self.eval(node.test, env))
        if truth is not None:
            taken, skipped = (node.body, node.orelse) if truth else (node.orelse, node.body)
            if skipped:
                self.dead.append((skipped[0].lineno, skipped[-1].end_lineno or skipped[-1].lineno))
            return self.block(taken, env)
        t_env, f_env = dict(env), dict(env)
        self.narrow(node.test, t_env, True)
        self.narrow(node.test, f_env, False)
        t_left = self.block(node.body, t_env)
        f_left = self.block(node.orelse, f_env)
        outs = [e for e, left in ((t_env, t_left), (f_env, f_left)) if not left]
        env.clear()
        env.update(_join_envs(outs) if outs else _join_envs([t_env, f_env]))
        return t_left and f_left

    def loop(self, node: ast.AST, env: dict[str, V], bind_target) -> None:
        start = dict(env)
        current = dict(env)
        for _ in range(2):
            bind_target(current)
            self.block(node.body, current)  # type: ignore[attr-defined]
            current = _join_envs([start, current])
        env.clear()
        env.update(current)
        self.block(node.orelse, env)  # type: ignore[attr-defined]

    def terminates_call(self, expr: ast.AST, env: dict[str, V]) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not isinstance(expr, ast.Call):
            return False
        name = self.qualname(expr.func, env)
        return bool(name) and (name in self.dm.spec.terminators or name.rsplit(".", 1)[-1] in ("abort",))

    # --- narrowing: allow-lists and validators ----------------------------------------------------------------
    def narrow(self, test: ast.AST, env: dict[str, V], holds: bool) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.narrow(test.operand, env, not holds)
            return
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And) == holds:
                for v in test.values:
                    self.narrow(v, env, holds)
            return
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, left, right = test.ops[0], test.left, test.comparators[0]
            key = _var_key(left)
            if key is None:
                return
            if isinstance(op, (ast.In, ast.NotIn)) and holds == isinstance(op, ast.In):
                allowed = self.eval(right, env)  # a constant collection: the value is one of its members
                if (allowed.known and isinstance(allowed.const, (tuple, list, frozenset, set, str))) or \
                        (allowed.keys is not None and not allowed.deep()):
                    self.set_var(key, V(const=OPAQUE), env)  # one of the collection's constants
            elif isinstance(op, (ast.Eq, ast.NotEq)) and holds == isinstance(op, ast.Eq):
                value = self.eval(right, env)
                if value.known:
                    self.set_var(key, value, env)
            return
        if isinstance(test, ast.Call) and holds:
            name = self.qualname(test.func, env)
            method = test.func.attr if isinstance(test.func, ast.Attribute) else None
            found = self.dm.spec.validators.match(name, method)
            if not found:
                return
            arg, families = found
            if name is not None and name in self.dm.spec.validators.exact:
                target = test.args[arg] if len(test.args) > arg else None
            else:  # `value.isdigit()`, `pattern.fullmatch(value)`
                target = test.func.value if method in _SELF_VALIDATING else (test.args[0] if test.args else None)  # type: ignore[attr-defined]
            key = _var_key(target) if target is not None else None
            if key is not None:
                current = self.eval(target, env)
                self.set_var(key, _cleaned(current, families), env)

    # --- binding ----------------------------------------------------------------------------------------------
    def set_var(self, key: str, value: V, env: dict[str, V]) -> None:
        env[key] = value

    def bind(self, target: ast.AST, value: V, env: dict[str, V], source: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = self.assigned(value, target, target.id)
            for k in [k for k in env if k.startswith(target.id + ".")]:
                del env[k]
        elif isinstance(target, ast.Attribute):
            key = _var_key(target)
            if key is not None:
                env[key] = self.assigned(value, target, key)
        elif isinstance(target, (ast.Tuple, ast.List)):
            stars = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            if value.elts is not None and not stars and len(value.elts) == len(target.elts):
                for elt, v in zip(target.elts, value.elts):
                    self.bind(elt, v, env, None)
            else:
                each = self.element(value)
                for elt in target.elts:
                    self.bind(elt.value if isinstance(elt, ast.Starred) else elt, each, env, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value, env, None)
        elif isinstance(target, ast.Subscript):
            self.store_item(target, value, env)

    def store_item(self, target: ast.Subscript, value: V, env: dict[str, V]) -> None:
        """`d["k"] = v`, `cfg["section"]["k"] = v`, `items[0] = v`: update the container held by a variable."""
        path: list[ast.AST] = []
        node: ast.AST = target
        while isinstance(node, ast.Subscript):
            path.append(node.slice)
            node = node.value
        key = _var_key(node)
        index_values = [self.eval(s, env) for s in reversed(path)]
        if key is None:
            return
        container = env.get(key) or self.eval(node, env)
        env[key] = self.assigned(_store(container, index_values, value), target, key) if value.deep() else _store(container, index_values, value)

    def delete_item(self, target: ast.Subscript, env: dict[str, V]) -> None:
        key = _var_key(target.value)
        if key is None or key not in env:
            return
        container, index = env[key], self.eval(target.slice, env)
        if container.keys is not None and index.known and _hashable(index.const):
            keys = dict(container.keys)
            keys.pop(index.const, None)
            env[key] = V(container.const, container.taints, container.elts, keys, container.obj)
        elif container.elts is not None and index.known and isinstance(index.const, int):
            elts = list(container.elts)
            try:
                del elts[index.const]
                env[key] = V(UNKNOWN, container.taints, tuple(elts), None, container.obj)
            except IndexError:
                pass

    def bind_pattern(self, pattern: ast.AST, subject: V, env: dict[str, V]) -> None:
        for node in ast.walk(pattern):
            name = getattr(node, "name", None) if not isinstance(node, ast.MatchMapping) else getattr(node, "rest", None)
            if isinstance(name, str):
                env[name] = subject.flat()

    def element(self, container: V) -> V:
        """The value of an element whose position is unknown."""
        if container.elts is not None:
            return join_all([*container.elts, V(taints=container.taints)])
        if container.keys is not None:
            return V(taints=container.taints)  # iterating a dict gives its keys
        if container.known and isinstance(container.const, (tuple, list, frozenset, set)) and container.const:
            values = [const_v(c) for c in container.const]
            return join_all(values)
        return V(taints=container.deep())

    # --- expressions ------------------------------------------------------------------------------------------
    def eval(self, node: ast.AST | None, env: dict[str, V]) -> V:
        if node is None:
            return const_v(None)
        self._budget -= 1
        if self._budget < 0:
            raise _OutOfBudget()
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child, env)
            return V()
        return method(node, env)

    def e_Constant(self, node: ast.Constant, env) -> V:
        return const_v(node.value)

    def e_Name(self, node: ast.Name, env) -> V:
        if node.id in env:
            return env[node.id]
        return self.dm.global_value(node, self)

    def e_Attribute(self, node: ast.Attribute, env) -> V:
        key = _var_key(node)
        if key is not None and key in env:
            return env[key]
        return self.attribute(node, self.eval(node.value, env), env)

    def attribute(self, node: ast.Attribute, base: V, env) -> V:
        if base.obj is not None:
            src = base.obj
            if node.attr in src.attributes:
                return self.source(node, src.label)
            return V()
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            src = self.dm.self_attribute_source(node.attr)
            if src is not None:
                return V(obj=src)
        if base.deep():
            return V(taints=base.deep())
        if base.keys is not None and node.attr in base.keys:  # a namespace-like object built from a dict
            return base.keys[node.attr]
        return V()

    def e_Subscript(self, node: ast.Subscript, env) -> V:
        base = self.eval(node.value, env)
        if isinstance(node.slice, ast.Slice):
            for part in (node.slice.lower, node.slice.upper, node.slice.step):
                if part is not None:
                    self.eval(part, env)
            if base.elts is not None:
                lo, hi, st = (self.eval(p, env).const if p is not None else None
                              for p in (node.slice.lower, node.slice.upper, node.slice.step))
                if all(x is None or isinstance(x, int) for x in (lo, hi, st)) and UNKNOWN not in (lo, hi, st):
                    try:
                        return V(UNKNOWN, base.taints, base.elts[slice(lo, hi, st)])
                    except (ValueError, TypeError):
                        pass
            if base.known and isinstance(base.const, (str, bytes, tuple, list)):
                try:
                    lo, hi, st = (self.eval(p, env).const if p is not None else None
                                  for p in (node.slice.lower, node.slice.upper, node.slice.step))
                    return const_v(base.const[slice(lo, hi, st)])
                except Exception:
                    return V()
            return V(taints=base.deep())
        index = self.eval(node.slice, env)
        return self.item(base, index)

    def item(self, base: V, index: V) -> V:
        if base.obj is not None:
            return V()
        if base.elts is not None:
            if index.known and isinstance(index.const, int) and not isinstance(index.const, bool):
                try:
                    return join(base.elts[index.const], V(taints=base.taints)) if base.taints else base.elts[index.const]
                except IndexError:
                    return V(taints=base.taints)
            return V(taints=uncertain(base.deep()))
        if base.keys is not None:
            if index.known and _hashable(index.const):
                if index.const in base.keys:
                    found = base.keys[index.const]
                    return join(found, V(taints=uncertain(base.taints))) if base.taints else found
                return V(taints=uncertain(base.taints))
            return V(taints=uncertain(base.deep()))
        if base.known and index.known:
            try:
                value = base.const[index.const]
                return const_v(value) if isinstance(value, _SCALARS) or isinstance(value, tuple) else V()
            except Exception:
                return V()
        return V(taints=base.deep())

    def e_JoinedStr(self, node: ast.JoinedStr, env) -> V:
        parts = [self.eval(v, env) for v in node.values]
        taints: tuple[Taint, ...] = ()
        for p in parts:
            taints = union(taints, p.deep())
        if all(p.known for p in parts):
            try:
                return V(const="".join(str(p.const) for p in parts), taints=taints)
            except TypeError:
                return V(const=OPAQUE) if not taints else V(taints=taints)
        return V(taints=taints)

    def e_FormattedValue(self, node: ast.FormattedValue, env) -> V:
        value = self.eval(node.value, env)
        if node.format_spec is not None:
            self.eval(node.format_spec, env)
        if value.known and node.conversion in (-1, None) and node.format_spec is None and isinstance(value.const, _SCALARS):
            return V(const=format(value.const), taints=value.deep())
        if value.known and not value.deep():
            return V(const=OPAQUE)
        return V(taints=value.deep())

    def e_BinOp(self, node: ast.BinOp, env) -> V:
        return self.binop(node.op, self.eval(node.left, env), self.eval(node.right, env))

    def binop(self, op: ast.operator, left: V, right: V) -> V:
        taints = union(left.deep(), right.deep())
        if isinstance(op, ast.Add) and left.elts is not None and right.elts is not None:
            return V(UNKNOWN, union(left.taints, right.taints), (left.elts + right.elts)[:MAX_ELTS])
        if left.known and right.known:
            fn = _BINOPS.get(type(op))
            if isinstance(op, ast.Pow) and isinstance(right.const, int) and abs(right.const) < 64:
                fn = operator.pow
            if fn is not None and _small(left.const) and _small(right.const) \
                    and fold_fits(_FOLD_NAMES.get(type(op), ""), left.const, right.const):
                try:
                    value = fn(left.const, right.const)
                    if not isinstance(value, (str, bytes)) or len(value) < 100_000:
                        return V(const=value, taints=taints)
                except Exception:
                    pass
            if not taints:
                return V(const=OPAQUE)
        return V(taints=taints)

    def e_UnaryOp(self, node: ast.UnaryOp, env) -> V:
        v = self.eval(node.operand, env)
        if v.known:
            try:
                fn = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(node.op)]
                return const_v(fn(v.const))
            except Exception:
                return V()
        return V(taints=() if isinstance(node.op, ast.Not) else v.deep())

    def e_BoolOp(self, node: ast.BoolOp, env) -> V:
        values = []
        for part in node.values:
            v = self.eval(part, env)
            truth = self.truth(v)
            values.append(v)
            if truth is not None and truth == isinstance(node.op, ast.Or):
                return join_all(values) if len(values) > 1 and any(self.truth(x) is None for x in values[:-1]) else v
        if all(self.truth(v) is not None for v in values[:-1]):
            return values[-1]
        return join_all(values) if not all(v.known for v in values) else V(taints=join_all(values).deep())

    def e_Compare(self, node: ast.Compare, env) -> V:
        left = self.eval(node.left, env)
        rights = [self.eval(c, env) for c in node.comparators]
        if left.known and all(r.known for r in rights):
            try:
                result, current = True, left.const
                for op, r in zip(node.ops, rights):
                    if not _CMPOPS[type(op)](current, r.const):
                        result = False
                        break
                    current = r.const
                return const_v(result)
            except Exception:
                return V()
        return V()

    def e_IfExp(self, node: ast.IfExp, env) -> V:
        truth = self.truth(self.eval(node.test, env))
        if truth is True:
            return self.eval(node.body, env)
        if truth is False:
            return self.eval(node.orelse, env)
        t_env, f_env = dict(env), dict(env)
        self.narrow(node.test, t_env, True)
        self.narrow(node.test, f_env, False)
        return join(self.eval(node.body, t_env), self.eval(node.orelse, f_env))

    def e_NamedExpr(self, node: ast.NamedExpr, env) -> V:
        value = self.eval(node.value, env)
        self.bind(node.target, value, env, node.value)
        return value

    def e_List(self, node, env) -> V:
        return self._sequence(node, env, list)

    def e_Tuple(self, node, env) -> V:
        return self._sequence(node, env, tuple)

    def e_Set(self, node, env) -> V:
        values = [self.eval(e, env) for e in node.elts]
        if all(v.known and _hashable(v.const) for v in values):
            return const_v(frozenset(v.const for v in values))
        return V(taints=join_all(values).deep() if values else ())

    def _sequence(self, node, env, kind) -> V:
        values: list[V] = []
        extra: tuple[Taint, ...] = ()
        structured = True
        for e in node.elts:
            if isinstance(e, ast.Starred):
                inner = self.eval(e.value, env)
                if inner.elts is not None:
                    values.extend(inner.elts)
                else:
                    structured = False
                    extra = union(extra, inner.deep())
            else:
                values.append(self.eval(e, env))
        if not structured:
            return V(taints=union(extra, join_all(values).deep() if values else ()))
        const = kind(v.const for v in values) if all(v.known for v in values) else UNKNOWN
        return V(const, (), tuple(values[:MAX_ELTS]))

    def e_Dict(self, node: ast.Dict, env) -> V:
        keys: dict = {}
        taints: tuple[Taint, ...] = ()
        for k, v in zip(node.keys, node.values):
            value = self.eval(v, env)
            if k is None:  # **other
                if value.keys is not None:
                    keys.update(value.keys)
                taints = union(taints, value.taints if value.keys is not None else value.deep())
                continue
            key = self.eval(k, env)
            if key.known and _hashable(key.const):
                keys[key.const] = value
            else:
                taints = union(taints, uncertain(union(value.deep(), key.deep())))
        return V(UNKNOWN, taints, None, keys)

    def e_Await(self, node: ast.Await, env) -> V:
        return self.eval(node.value, env)

    def e_Starred(self, node: ast.Starred, env) -> V:
        return self.eval(node.value, env)

    def e_Lambda(self, node: ast.Lambda, env) -> V:
        return V()

    def _comprehension(self, node, env, elts: list[ast.AST]) -> V:
        c_env = dict(env)
        for gen in node.generators:
            items = self.eval(gen.iter, c_env)
            self.bind(gen.target, self.element(items), c_env, None)
            for cond in gen.ifs:
                self.eval(cond, c_env)
                self.narrow(cond, c_env, True)
        taints: tuple[Taint, ...] = ()
        for e in elts:
            taints = union(taints, self.eval(e, c_env).deep())
        return V(taints=taints)

    def e_ListComp(self, node, env) -> V:
        return self._comprehension(node, env, [node.elt])

    e_SetComp = e_ListComp
    e_GeneratorExp = e_ListComp

    def e_DictComp(self, node, env) -> V:
        return self._comprehension(node, env, [node.key, node.value])

    # --- calls ------------------------------------------------------------------------------------------------
    def qualname(self, func: ast.AST, env: dict[str, V]) -> str | None:
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and (root.id in env or self.dm.is_local(self.scope, root.id)):
            parts = []
            node = func
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            return ".".join(["<local>", root.id, *reversed(parts)])
        return self.dm.names.qualname(func)

    def e_Call(self, node: ast.Call, env) -> V:
        func = node.func
        receiver: V | None = None
        if isinstance(func, ast.Attribute):
            key = _var_key(func)
            receiver = self.eval(func.value, env)
            fv = env[key] if key is not None and key in env else self.attribute(func, receiver, env)
        else:
            fv = self.eval(func, env) if not isinstance(func, ast.Name) else env.get(func.id, V())
        args: list[V] = []
        for a in node.args:
            v = self.eval(a, env)
            self.values[id(a)] = join(self.values.get(id(a)), v)
            args.append(v)
        kwargs: dict[str | None, V] = {}
        for kw in node.keywords:
            v = self.eval(kw.value, env)
            self.values[id(kw.value)] = join(self.values.get(id(kw.value)), v)
            kwargs[kw.arg] = join(kwargs.get(kw.arg), v) if kw.arg is None else v
        self.call_args[id(node)] = _join_call(self.call_args.get(id(node)), (args, kwargs))
        name = self.qualname(func, env)
        method = func.attr if isinstance(func, ast.Attribute) else None
        spec = self.dm.spec

        if self.summary or self.dm.collect_sinks:
            for entry in spec.sinks.match(name, method) or ():
                for v in _sink_args(node, entry, args, kwargs):
                    self.sink_hits.append((node, entry.family, v, name or (method or "call")))

        families = spec.sanitizers.match(name, method)
        if families:
            inputs = [*args, *kwargs.values(), *([receiver] if receiver is not None and method else [])]
            if "all" in families and inputs and all(v.known for v in inputs):
                return V(const=OPAQUE)
            return _cleaned(V(const=OPAQUE) if inputs and all(v.known for v in inputs) else V(taints=join_all(inputs).deep()),
                            families)

        # Where nothing untrusted can be (no source anywhere in this module, and this is no summary of parameters),
        # another file's helper could only fold a constant: not worth parsing and summarising that file.
        local_only = not self.summary and not self.dm.module_may_have_source()
        callee = self.dm.callee(func, self.scope, env, local_only=local_only)
        if callee is not None:
            return self.apply(node, callee, args, kwargs)

        if receiver is not None and method is not None:
            result = self.method_call(node, func, receiver, method, args, kwargs, env)
            if result is not None:
                return result
        result = self.builtin_call(name, args, kwargs)
        if result is not None:
            return result
        taints = fv.deep()
        if receiver is not None and method is not None:
            taints = union(taints, receiver.deep())
        for v in [*args, *kwargs.values()]:
            taints = union(taints, v.deep())
        if not taints and all(v.known for v in [*args, *kwargs.values()]) and (
                (receiver is not None and method is not None and receiver.known and method not in _IMPURE_METHODS)
                or (name is not None and (name.startswith(_PURE_PREFIXES) or name in _PURE_BUILTINS))):
            return V(const=OPAQUE)  # a pure function of constants
        return V(taints=taints)

    def apply(self, node: ast.Call, callee, args: list[V], kwargs: dict[str | None, V]) -> V:
        """A call to a function of this module or of the repository: its summary, with this call's arguments."""
        target_dm, fn = callee
        summary = target_dm.summary(fn)
        if summary is None:
            taints: tuple[Taint, ...] = ()
            for v in [*args, *kwargs.values()]:
                taints = union(taints, v.deep())
            return V(taints=taints)
        bound = target_dm.bind_args(fn, args, kwargs)
        call_step = self.step(node, f"passed to `{fn.name}()`")

        def subst(t: Taint) -> tuple[Taint, ...]:
            if t.param is None:
                return (t,)
            actual = bound.get(t.param)
            if actual is None:
                return ()
            out = []
            for a in actual.deep():
                steps = a.steps + (call_step,) + t.steps
                out.append(Taint(steps[-12:] if len(steps) > 12 else steps, a.cleaned | t.cleaned,
                                 a.certain and t.certain, a.param, a.label))
            return tuple(out)

        result = expand(summary.returns or V(), subst)
        if target_dm is not self.dm:
            for param, family, t, what in summary.param_sinks:
                actual = bound.get(param)
                for a in actual.deep() if actual is not None else ():
                    combined = Taint(a.steps + (call_step,) + t.steps, a.cleaned | t.cleaned, a.certain and t.certain,
                                     a.param, a.label)
                    if combined.live_for(family):
                        self.indirect.setdefault(id(node), []).append((family, combined, what))
        return result

    def method_call(self, node, func, receiver: V, method: str, args: list[V], kwargs, env) -> V | None:
        key = _var_key(func.value)
        rec = receiver
        if rec.elts is not None or (rec.known and isinstance(rec.const, (list, tuple))):
            elts = list(rec.elts) if rec.elts is not None else [const_v(c) for c in rec.const]
            if method == "append" and args:
                return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple((elts + [args[0]])[:MAX_ELTS])))
            if method == "extend" and args:
                if args[0].elts is not None:
                    return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple((elts + list(args[0].elts))[:MAX_ELTS])))
                return self._mutate(key, env, V(UNKNOWN, union(rec.taints, args[0].deep()), tuple(elts)))
            if method == "insert" and len(args) == 2:
                if args[0].known and isinstance(args[0].const, int):
                    elts.insert(args[0].const, args[1])
                    return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts[:MAX_ELTS])))
                return self._mutate(key, env, V(UNKNOWN, union(rec.taints, args[1].deep()), tuple(elts)))
            if method == "pop":
                if not args:
                    index = -1
                elif args[0].known and isinstance(args[0].const, int):
                    index = args[0].const
                else:
                    self._mutate(key, env, V(taints=rec.deep()))
                    return V(taints=uncertain(rec.deep()))
                try:
                    popped = elts.pop(index)
                except IndexError:
                    return V(taints=rec.taints)
                self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts)))
                return popped
            if method == "remove" and args and args[0].known:
                for i, e in enumerate(elts):
                    if e.known and e.const == args[0].const:
                        del elts[i]
                        break
                self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts)))
                return const_v(None)
            if method == "clear":
                return self._mutate(key, env, V(UNKNOWN, (), ()))
            if method == "copy":
                return V(UNKNOWN, rec.taints, tuple(elts))
            if method in ("reverse", "sort"):
                self._mutate(key, env, V(UNKNOWN, union(rec.taints, join_all(elts).deep()), None))
                return const_v(None)
        if rec.keys is not None:
            keys = dict(rec.keys)
            k = args[0] if args else None
            const_key = k is not None and k.known and _hashable(k.const)
            section = keys.get(k.const) if const_key else None
            if method == "get" and len(args) == 2 and section is not None and section.keys is not None \
                    and args[1].known and _hashable(args[1].const):  # ConfigParser.get(section, option)
                found = section.keys.get(args[1].const)
                return found if found is not None else V(taints=uncertain(section.taints))
            if method in ("get", "setdefault", "pop") and args:
                default = args[1] if len(args) > 1 else const_v(None)
                if const_key and k.const in keys:
                    found = keys[k.const]
                    if method == "pop":
                        del keys[k.const]
                        self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
                    value = found
                elif const_key:
                    value = join(default, V(taints=uncertain(rec.taints))) if rec.taints else default
                    if method == "setdefault":
                        keys[k.const] = default
                        self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
                else:
                    value = join(default, V(taints=uncertain(rec.deep())))
                return value
            if method == "set" and len(args) == 3 and args[0].known and args[1].known:  # ConfigParser.set
                section = keys.get(args[0].const) or V(keys={})
                inner = dict(section.keys or {})
                inner[args[1].const] = args[2]
                keys[args[0].const] = V(UNKNOWN, section.taints, None, inner)
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method in ("get", "getint", "getfloat", "getboolean") and len(args) >= 2 and args[0].known and args[1].known:
                section = keys.get(args[0].const)
                if method != "get":
                    return V()
                if section is None or section.keys is None:
                    return V(taints=uncertain(rec.deep()))
                found = section.keys.get(args[1].const)
                return found if found is not None else V(taints=uncertain(section.taints))
            if method == "add_section" and args and args[0].known:
                keys.setdefault(args[0].const, V(keys={}))
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method in ("update", "read_dict"):
                for a in args:
                    if a.keys is not None:
                        keys.update(a.keys)
                    else:
                        return self._mutate(key, env, V(UNKNOWN, union(rec.taints, uncertain(a.deep())), None, keys))
                for kname, v in kwargs.items():
                    if kname is None:
                        if v.keys is not None:
                            keys.update(v.keys)
                        else:
                            rec = V(UNKNOWN, union(rec.taints, uncertain(v.deep())), None, keys)
                    else:
                        keys[kname] = v
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method == "copy":
                return V(UNKNOWN, rec.taints, None, keys)
            if method == "values":
                return V(UNKNOWN, rec.taints, tuple(keys.values())[:MAX_ELTS])
            if method == "keys":
                return V(taints=rec.taints)
            if method == "items":
                return V(taints=rec.deep())
            if method == "clear":
                return self._mutate(key, env, V(keys={}))
        if method == "join" and args:
            parts = args[0]
            pieces = list(parts.elts) if parts.elts is not None else None
            taints = union(rec.deep(), parts.deep())
            if rec.known and isinstance(rec.const, str) and pieces is not None and all(p.known for p in pieces):
                try:
                    return V(const=rec.const.join(p.const for p in pieces), taints=taints)
                except TypeError:
                    return V(taints=taints)
            if rec.known and parts.known and isinstance(parts.const, (list, tuple)) and isinstance(rec.const, str):
                try:
                    return const_v(rec.const.join(parts.const))
                except TypeError:
                    return V()
            return V(taints=taints)
        if rec.known and isinstance(rec.const, str) and method in _STR_METHODS and all(a.known for a in args) \
                and all(v.known for v in kwargs.values()) and None not in kwargs:
            if not fold_fits(method, rec.const, [a.const for a in args]) or kwargs and method == "format" \
                    and not fold_fits("format", rec.const, list(v.const for v in kwargs.values())):
                return V(const=OPAQUE)
            try:
                value = getattr(rec.const, method)(*(a.const for a in args), **{k: v.const for k, v in kwargs.items()})
                if isinstance(value, str) and len(value) < 100_000:
                    return const_v(value)
            except Exception:
                return V(const=OPAQUE)
        if rec.known and isinstance(rec.const, str) and method == "split" and all(a.known for a in args):
            try:
                return const_v(rec.const.split(*(a.const for a in args)))
            except Exception:
                return V(const=OPAQUE)
        return None

    def _mutate(self, key: str | None, env: dict[str, V], value: V) -> V:
        if key is not None:
            env[key] = value
        return const_v(None)

    def builtin_call(self, name: str | None, args: list[V], kwargs) -> V | None:
        if name is None:
            return None
        if name in ("dict", "builtins.dict"):
            keys: dict = {}
            taints: tuple[Taint, ...] = ()
            if args:
                if args[0].keys is not None:
                    keys.update(args[0].keys)
                    taints = args[0].taints
                else:
                    taints = uncertain(args[0].deep())
            for k, v in kwargs.items():
                if k is None:
                    taints = union(taints, v.deep())
                else:
                    keys[k] = v
            return V(UNKNOWN, taints, None, keys)
        if name in _CONFIGPARSERS:
            return V(keys={})
        if name in ("list", "tuple", "builtins.list", "builtins.tuple") and len(args) == 1:
            a = args[0]
            if a.elts is not None:
                return V(UNKNOWN, a.taints, a.elts)
            if a.known and isinstance(a.const, (list, tuple, str)):
                return const_v(list(a.const) if name.endswith("list") else tuple(a.const))
            return V(taints=a.deep())
        if name in ("str", "builtins.str") and len(args) == 1 and not kwargs:
            a = args[0]
            if a.known and isinstance(a.const, _SCALARS):
                return const_v(str(a.const))
            return V(taints=a.deep())
        if name in ("list", "dict", "set", "tuple") and not args and not kwargs:
            return V(UNKNOWN, (), ()) if name in ("list", "tuple") else V(keys={}) if name == "dict" else V()
        return None

    # --- truth ------------------------------------------------------------------------------------------------
    def truth(self, v: V) -> bool | None:
        if v.known:
            try:
                return bool(v.const)
            except Exception:
                return None
        if v.elts is not None and not v.taints:
            return bool(v.elts)
        return None


class _OutOfBudget(Exception):
    pass


def _var_key(node: ast.AST | None) -> str | None:
    """`x` -> "x", `self.x` -> "self.x" (attribute chains on a name are tracked like variables)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _hashable(value: Any) -> bool:
    if value is OPAQUE:
        return False
    try:
        hash(value)
        return True
    except TypeError:
        return False


def _small(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return len(value) < 100_000
    if isinstance(value, int):
        return abs(value) < 10 ** 18
    return isinstance(value, (float, bool, type(None), tuple, frozenset, list))


def _cleaned(v: V, families: frozenset[str]) -> V:
    """The value with its taints marked harmless for `families` (kept, so a finding can say it was sanitized)."""
    return expand(v, lambda t: (t.clean(families),))


def _store(container: V, path: list[V], value: V) -> V:
    index = path[0]
    rest = path[1:]
    if container.keys is not None and index.known and _hashable(index.const):
        keys = dict(container.keys)
        inner = keys.get(index.const) or V(keys={})
        keys[index.const] = _store(inner, rest, value) if rest else value
        return V(UNKNOWN, container.taints, None, keys, container.obj)
    if container.elts is not None and index.known and isinstance(index.const, int) and not rest:
        elts = list(container.elts)
        try:
            elts[index.const] = value
            return V(UNKNOWN, container.taints, tuple(elts), None, container.obj)
        except IndexError:
            pass
    if container.keys is None and container.elts is None and not container.deep() and not container.known and not rest \
            and index.known and _hashable(index.const) and container.obj is None:
        return V(UNKNOWN, (), None, {index.const: value})
    return V(UNKNOWN, union(container.deep(), uncertain(value.deep()) if not index.known else value.deep()), None, None,
             container.obj)


def _join_envs(envs: list[dict[str, V]]) -> dict[str, V]:
    if not envs:
        return {}
    if len(envs) == 1:
        return dict(envs[0])
    out: dict[str, V] = {}
    names = set().union(*envs)
    for name in names:
        present = [e[name] for e in envs if name in e]
        value = join_all(present)
        if len(present) < len(envs):
            value = join(value, UNKNOWN_V) if value.known else value
        out[name] = value
    return out


def _join_call(old, new):
    if old is None:
        return new
    args = [join(a, b) for a, b in zip(old[0], new[0])]
    kwargs = dict(old[1])
    for k, v in new[1].items():
        kwargs[k] = join(kwargs.get(k), v)
    return args, kwargs


def _sink_args(node: ast.Call, entry, args: list[V], kwargs: dict) -> list[V]:
    if entry.when_keyword:
        flag = kwargs.get(entry.when_keyword)
        if flag is None or (flag.known and not flag.const):
            return []
    out = [args[p] for p in entry.positions if p < len(args) and not any(isinstance(a, ast.Starred) for a in node.args[:p + 1])]
    out += [kwargs[k] for k in entry.keywords if k in kwargs]
    return out
