"""What a Python check sees: the parsed module, resolved names, the enclosing function, and how to report.

Checks receive one node and this context; they never read files or print. The helpers here are the shared
answers to the questions every check asks (what does this call resolve to, what is this keyword's value even
when it is passed through a dict, is this expression a constant, is this code inside a Lambda handler).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...model import Finding, FlowStep, Location, Related, Rule, Severity
from ..base import ScanContext, new_finding
from .names import Names

if TYPE_CHECKING:
    from ...discover import SourceFile


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

LAMBDA_EVENT_NAMES = frozenset({"event", "evt", "_event", "lambda_event"})
LAMBDA_CONTEXT_NAMES = frozenset({"context", "ctx", "_context", "_ctx", "lambda_context", "_"})

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)


class PyModule:
    """One parsed Python file and the facts derived from it once (names, bindings, handlers)."""

    def __init__(self, file: "SourceFile", tree: ast.Module, parser: str, scan: ScanContext):
        self.file = file
        self.tree = tree
        self.parser = parser
        self.scan = scan
        self.names = Names(tree)
        self._bindings: dict[int, dict[str, list[ast.AST | None]]] = {}
        self._handlers: dict[str, str] | None = None
        self._parents: dict[int, ast.AST] | None = None
        self._walks: dict[int, tuple[ast.AST, list[ast.AST]]] = {}

    def walk(self, scope: ast.AST | None = None) -> list[ast.AST]:
        """`scope` (default: the module) and every node under it, in `ast.walk`'s breadth-first order but without
        the Load/Store/Del context nodes; about twice as fast. Kept for the module and for functions and classes,
        which several checks each walk once per call or per file."""
        scope = self.tree if scope is None else scope
        hit = self._walks.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        out = [scope]
        push = out.append
        i = 0
        while i < len(out):
            push_children(out[i], push)
            i += 1
        if scope is self.tree or scope.__class__ in _NESTED_SCOPES:
            self._walks[id(scope)] = (scope, out)
        return out

    def parents(self) -> dict[int, ast.AST]:
        """id(node) -> the node that contains it, for the whole tree: built once, on the first check that asks."""
        if self._parents is None:
            self._parents = {id(child): node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        return self._parents

    # --- bindings and constants -----------------------------------------------------------------------------
    def bindings(self, scope: ast.AST) -> dict[str, list[ast.AST | None]]:
        """name -> the values assigned to it in `scope` (a function or the module), None for opaque bindings
        (parameters, loop targets, augmented assignments, with/except targets), the Import node for imports."""
        key = id(scope)
        if key not in self._bindings:
            found: dict[str, list[ast.AST | None]] = {}
            if isinstance(scope, FunctionNode):
                args = scope.args
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                    if a is not None:
                        found.setdefault(a.arg, []).append(None)
            for node in _binding_nodes(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        _bind_target(found, target, node.value)
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    _bind_target(found, node.target, node.value)
                elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
                    _bind_target(found, node.target, None)
                elif isinstance(node, ast.NamedExpr):
                    _bind_target(found, node.target, node.value)
                elif isinstance(node, (ast.With, ast.AsyncWith)):
                    for item in node.items:
                        if item.optional_vars is not None:
                            _bind_target(found, item.optional_vars, None)
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    found.setdefault(node.name, []).append(None)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    # The import node itself marks the binding: Names already resolves what it imports.
                    for a in node.names:
                        found.setdefault((a.asname or a.name).split(".")[0], []).append(node)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    for name in node.names:
                        found.setdefault(name, []).append(None)
            self._bindings[key] = found
        return self._bindings[key]

    def follow(self, node: ast.AST | None, scope: ast.AST | None, depth: int = 0) -> ast.AST | None:
        """Follow a name to the single expression bound to it (in `scope`, else the module), a few steps deep."""
        while isinstance(node, ast.Name) and depth < 8:
            bound = self.value_of(node.id, scope)
            if bound is None:
                return node
            node, depth = bound, depth + 1
        return node

    def value_of(self, name: str, scope: ast.AST | None) -> ast.AST | None:
        """The single expression bound to `name` in the nearest scope defining it, or None if not exactly one."""
        for s in ([scope] if scope is not None else []) + [self.tree]:
            values = self.bindings(s).get(name)
            if values is not None:
                value = values[0] if len(values) == 1 else None
                return None if isinstance(value, (ast.Import, ast.ImportFrom)) else value
        return None

    # --- Lambda handlers ------------------------------------------------------------------------------------
    def handler_of(self, function: ast.AST | None) -> str | None:
        """The handler whose code `function` is: a handler itself (by its (event, context) shape or because a
        template names it) or a module-level function a handler calls, directly or through others."""
        if function is None:
            return None
        if self._handlers is None:
            self._handlers = self._find_handlers()
        return self._handlers.get(getattr(function, "name", ""))

    def _find_handlers(self) -> dict[str, str]:
        top = {n.name: n for n in self.tree.body if isinstance(n, FunctionNode)}
        linked = self.scan.links.handlers.get(self.file.rel, {})
        result: dict[str, str] = {}
        work = []
        for name, fn in top.items():
            if name in linked or _has_handler_shape(fn):
                result[name] = name
                work.append(name)
        while work:
            current = work.pop()
            for node in _walk_scope(top[current]):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    callee = node.func.id
                    if callee in top and callee not in result:
                        result[callee] = result[current]
                        work.append(callee)
        return result


def _has_handler_shape(fn: ast.AST) -> bool:
    args = fn.args  # type: ignore[attr-defined]
    positional = [*args.posonlyargs, *args.args]
    if len(positional) != 2 or args.vararg or args.kwonlyargs:
        return False
    return positional[0].arg in LAMBDA_EVENT_NAMES and positional[1].arg in LAMBDA_CONTEXT_NAMES


# Fields that never hold a node worth visiting: names and other scalars, and the Load/Store/Del context of names.
_SCALAR_FIELDS = frozenset({
    "ctx", "id", "attr", "name", "arg", "module", "asname", "kind", "type_comment", "conversion", "is_async",
    "level", "simple", "tag",
})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


# The node classes `PyModule.bindings` acts on; every other node is only walked through.
_BINDING_CLASSES = frozenset({
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr, ast.With,
    ast.AsyncWith, ast.ExceptHandler, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
})


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold child nodes (cached)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SCALAR_FIELDS)
    return fields


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The direct children of `node`, as `ast.iter_child_nodes` gives them but about twice as fast (per-type
    field lists; expression contexts, names and other scalars are skipped). Every tree walk in the engine uses it."""
    out: list[ast.AST] = []
    push_children(node, out.append)
    return out


def _binding_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of `scope` that may bind a name (see _BINDING_CLASSES), without descending into nested functions,
    classes or lambdas: `_walk_scope` inlined, since every function with a call in it is walked once for this."""
    stack = child_nodes(scope)
    out = []
    binding, nested = _BINDING_CLASSES, _NESTED_SCOPES
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        cls = node.__class__
        if cls in binding:
            out.append(node)
        elif cls in nested:
            continue
        push_children(node, push)
    return out


def push_children(node: ast.AST, push: Callable[[ast.AST], None]) -> None:
    """push(child) for each direct child of `node`, in field order (the inner step of every tree walk here)."""
    cls = node.__class__
    for name in _CHILD_FIELDS.get(cls) or child_fields(cls):
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast.AST):
                    push(item)
        elif isinstance(value, ast.AST):
            push(value)


_NESTED_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def _walk_scope(scope: ast.AST) -> Iterable[ast.AST]:
    """Every node of `scope` without descending into nested functions, classes or lambdas."""
    stack = child_nodes(scope)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(child_nodes(node))


def _bind_target(found: dict[str, list[ast.AST | None]], target: ast.AST, value: ast.AST | None) -> None:
    if isinstance(target, ast.Name):
        found.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        elts = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
        for i, elt in enumerate(target.elts):
            _bind_target(found, elt, elts[i] if elts else None)
    elif isinstance(target, ast.Starred):
        _bind_target(found, target.value, None)


class PyContext:
    """Per-file context handed to every Python check, positioned at the node being checked."""

    def __init__(self, module: PyModule):
        self.module = module
        self.file = module.file
        self.names = module.names
        self.function: ast.AST | None = None  # innermost enclosing function
        self.outer_function: ast.AST | None = None  # outermost enclosing (module-level) function
        self.rule: Rule | None = None
        self.raise_in_handler = False
        self._call_names: dict[tuple[int, int], tuple[ast.Call, str | None]] = {}
        self.memo: dict[str, Any] = {}  # per-file answers a check computes once (keyed by the check's own name)
        self.findings: list[Finding] = []

    # --- names ----------------------------------------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str | None:
        """Like Names.qualname, but a local variable bound once to a plain name resolves through it."""
        if isinstance(node, ast.Name) and self.function is not None:
            local = self.module.bindings(self.function).get(node.id)
            if local is not None:
                if all(isinstance(v, (ast.Import, ast.ImportFrom)) for v in local):
                    return self.names.qualname(node)  # `import os` inside the function
                if len(local) == 1 and isinstance(local[0], (ast.Name, ast.Attribute)):
                    resolved = self.names.qualname(local[0])
                    if resolved and "." in resolved:
                        return resolved
                return f"<local>.{node.id}"
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return self.names.qualname(node)

    def call_name(self, call: ast.Call) -> str | None:
        # Several checks ask for the same call's name: computed once per call and enclosing function.
        key = (id(call), id(self.function))
        hit = self._call_names.get(key)
        if hit is not None and hit[0] is call:  # (the node is kept: an id alone could be reused)
            return hit[1]
        name = self.qualname(call.func)
        self._call_names[key] = (call, name)
        return name

    # --- values ---------------------------------------------------------------------------------------------
    def resolve(self, node: ast.AST | None, depth: int = 0) -> ast.AST | None:
        """Follow a name to the single expression bound to it (in this function, else the module)."""
        return self.module.follow(node, self.function, depth)

    def kwarg(self, call: ast.Call, name: str) -> ast.AST | None:
        """The expression passed as keyword `name`, directly or through `**{...}` / `**opts` / `**dict(...)`."""
        found = None
        for kw in call.keywords:
            if kw.arg == name:
                found = kw.value
            elif kw.arg is None:
                mapping = self.resolve(kw.value)
                value = _lookup_mapping(mapping, name)
                if value is not None:
                    found = value
        return found

    def mapping_value(self, node: ast.AST | None, key: str) -> ast.AST | None:
        """The value under the constant `key` in the dict literal (or `dict(...)`) that `node` is or is bound to."""
        return _lookup_mapping(self.resolve(node), key)

    def const(self, node: ast.AST | None, depth: int = 0) -> Any:
        """The constant value of an expression, folding names bound once, string concatenation, f-strings
        with constant parts, and containers of constants. UNKNOWN when it cannot be known statically."""
        if node is None or depth > 12:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            bound = self.module.value_of(node.id, self.function)
            return self.const(bound, depth + 1) if bound is not None else UNKNOWN
        if isinstance(node, (ast.Tuple, ast.List)):
            values = [self.const(e, depth + 1) for e in node.elts]
            if any(v is UNKNOWN for v in values):
                return UNKNOWN
            return tuple(values) if isinstance(node, ast.Tuple) else values
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    inner = self.const(v.value, depth + 1)
                    if inner is UNKNOWN:
                        return UNKNOWN
                    parts.append(str(inner))
                else:
                    parts.append(str(self.const(v, depth + 1)))
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod, ast.Mult)):
            left, right = self.const(node.left, depth + 1), self.const(node.right, depth + 1)
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            from .dataflow.values import fold_fits  # the one size guard for folded constants

            kind = "add" if isinstance(node.op, ast.Add) else "mod" if isinstance(node.op, ast.Mod) else "mul"
            if not fold_fits(kind, left, right):
                return UNKNOWN
            try:
                if isinstance(node.op, ast.Add):
                    return left + right
                if isinstance(node.op, ast.Mod):
                    return left % right
                return left * right
            except Exception:
                return UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            v = self.const(node.operand, depth + 1)
            if v is UNKNOWN:
                return UNKNOWN
            try:
                return -v if isinstance(node.op, ast.USub) else (not v)
            except Exception:
                return UNKNOWN
        return UNKNOWN

    def is_constant(self, node: ast.AST | None) -> bool:
        return self.const(node) is not UNKNOWN

    def truthy(self, node: ast.AST | None) -> bool | None:
        """True/False when the expression's truth value is known, None when it is not."""
        value = self.const(node)
        return None if value is UNKNOWN else bool(value)

    # --- data flow (engines/python/dataflow: computed per function, only when a check asks) -------------------
    def taint_verdict(self, node: ast.AST, family: str | None = None) -> Any:
        """What reaches `node` (an argument of a call or a returned expression) for sinks of `family`: a
        dataflow.Verdict whose state is tainted (with the path), sanitized, constant, no-source or unreachable."""
        from .dataflow import node_value, verdict_of

        value, dead = node_value(self, node)
        return verdict_of(value, family, dead=dead)

    def taint(self, node: ast.AST, family: str | None = None) -> tuple[FlowStep, ...] | None:
        """The flow steps from an untrusted source to `node`, or None when no source reaches it."""
        verdict = self.taint_verdict(node, family)
        return verdict.steps if verdict.tainted else None

    # --- Lambda ---------------------------------------------------------------------------------------------
    def handler(self) -> str | None:
        return self.module.handler_of(self.outer_function)

    # --- reporting ------------------------------------------------------------------------------------------
    def source(self, node: ast.AST, max_lines: int = 6) -> str:
        start = getattr(node, "lineno", 1)
        end = min(getattr(node, "end_lineno", start) or start, start + max_lines - 1)
        return "\n".join(self.file.line(n) for n in range(start, end + 1))

    def location(self, node: ast.AST) -> Location:
        """Where `node` is, with 1-based columns in Unicode code points (see `node_location`). Related locations
        and flow steps are built with it too, never from raw `col_offset`s."""
        return node_location(self.file, node)

    def report(
        self,
        node: ast.AST,
        message: str,
        *,
        severity: Severity | None = None,
        snippet: str | None = None,
        related: Iterable[Related] = (),
        flow: Iterable[FlowStep] = (),
        precision: str | None = None,
        properties: dict[str, Any] | None = None,
        code: str | None = None,
        evidence: str = "",
    ) -> None:
        """Report a finding at `node`. `code` replaces the node's source as the fingerprint's input: a check about
        a secret passes redacted code so that not even a hash of the value leaves the scan. `evidence` is
        Finding.evidence: "flow" (untrusted data seen reaching the sink) or "review" (origin not visible: never
        raised, e.g. by the Lambda-handler escalation)."""
        assert self.rule is not None
        severity = severity or self.rule.severity
        properties = dict(properties or {})
        handler = self.handler()
        if handler:
            properties["lambdaHandler"] = handler
            if self.raise_in_handler and evidence != "review":
                severity = severity.raised()
                message = f"{message} This runs inside the Lambda handler `{handler}`."
        where = self.location(node)
        line = where.line
        code = self.source(node) if code is None else code
        if snippet is None:
            # Whatever the rule, a hard-coded secret on the shown line is redacted (see checks/secrets.py).
            from .checks.secrets import redact_snippet

            snippet = redact_snippet(self, line, code.strip().splitlines()[0] if code.strip() else "")
        finding = new_finding(
            self.rule, self.file.rel, where.line, where.column, message,
            code=code,
            end_line=where.end_line,
            end_column=where.end_column,
            snippet=snippet,
            severity=severity, related=related, flow=flow, precision=precision, properties=properties,
        )
        self.findings.append(finding.with_(evidence=evidence) if evidence else finding)


def node_location(file: "SourceFile", node: ast.AST) -> Location:
    """Where `node` is in `file`, with 1-based columns in Unicode code points (SARIF's columnKind), converted from
    the UTF-8 byte offsets that `ast` gives (a converted libcst tree must give the same byte offsets)."""
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    return Location(
        file.rel, line, char_column(file.line(line), getattr(node, "col_offset", 0)),
        end_line,
        char_column(file.line(end_line), end_col) if end_line is not None and end_col is not None else None,
    )


def char_column(line: str, byte_offset: int) -> int:
    """The 1-based column, in code points, of a UTF-8 byte offset into `line` (ast's col_offset)."""
    if line.isascii():
        return byte_offset + 1
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "ignore")) + 1


def _lookup_mapping(mapping: ast.AST | None, key: str) -> ast.AST | None:
    if isinstance(mapping, ast.Dict):
        for k, v in zip(mapping.keys, mapping.values):
            if isinstance(k, ast.Constant) and k.value == key:
                return v
    elif isinstance(mapping, ast.Call) and isinstance(mapping.func, ast.Name) and mapping.func.id == "dict":
        for kw in mapping.keywords:
            if kw.arg == key:
                return kw.value
    return None
