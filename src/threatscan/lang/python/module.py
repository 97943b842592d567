"""One parsed Python module and what is derived from it once: names, bindings, Lambda handlers, locations.

The Python source library's view of a file (no check, no scan context, no registry): the facts it needs from outside
the file (which functions templates deploy as handlers, the repository's other Python files for the data flow) come
in a frozen `ModuleFacts`, built by whoever holds them; what the analysis keeps and says while it runs (its caches,
where notices go) in an `AnalysisState` of the process, never shared.
"""

from __future__ import annotations

import ast
import posixpath
import re
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from ...model import Location
from .names import Names
from .parse import parse_python

if TYPE_CHECKING:
    from ...discover import SourceFile


def _no_notice(message: str, path: str | None = None, level: str = "warning", kind: str = "skipped",
               line: int | None = None) -> None:
    return None


_NONE: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class ModuleFacts:
    """What the analysis of one module needs to know from outside the file: facts that span files, read-only.

    handlers: repository-relative Python path -> {function name: where a template or CDK app names it a handler}.
    files: the repository's Python files by repository-relative path (helpers the data flow follows calls into;
    parsed, never imported).
    record_imports: whether the data flow records how each repository import resolved (a scan cache asks).
    internal_handlers: repository-relative Python path -> {function name: the services that invoke it}, for handlers
    a template shows invoked only by the account's own services (their event is no caller's request).
    web_framework: whether any module of the repository imports a web server framework, asked when a parameter
    is a request by its name alone (read as the scan's facts stand).
    Both mappings are read-only (the scan hands in views of its frozen Facts); nothing is written here while files
    are analysed: that goes to the process's AnalysisState.
    """

    handlers: Mapping[str, Mapping[str, Location]] = field(default_factory=lambda: _NONE)
    files: Mapping[str, "SourceFile"] = field(default_factory=lambda: _NONE)
    record_imports: bool = False  # keep how each repository import resolved (AnalysisState.resolved_imports)
    internal_handlers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: _NONE)
    web_framework: Callable[[], bool] = lambda: True  # whether the repository serves web requests (Facts)


class AnalysisState:
    """What the analysis of modules keeps and says in one process while files are scanned, beside the frozen
    ModuleFacts: its per-process caches, one typed slot each (no string key to misspell), and `notice`, where a note
    about the analysis goes (`ScanContext.notice`'s signature). Never shared: a forked worker writes its own copy,
    and it cannot be pickled to another process. lang/python/dataflow/module.py reads and writes the caches."""

    __slots__ = ("notice", "helper_modules", "retired", "resolved_imports", "django_routes", "helper_callers",
                 "word_index", "summary_depth", "summary_cut", "summary_height", "summaries", "may_taint",
                 "def_names", "helper_sinks")

    def __init__(self, notice: Callable[..., None] = _no_notice):
        self.notice = notice
        # path -> the DataflowModule of a repository helper the data flow followed calls into, or None (the last
        # few, most recently used last; parsed_module reuses a helper's parse for the file itself)
        self.helper_modules: OrderedDict[str, Any] = OrderedDict()
        self.retired: list[Any] = []  # helpers dropped from helper_modules, maybe in use: cleared after the file
        # path -> {(module, level, the path it resolved to or None)}: every repository import the data flow of that
        # file resolved (names only), kept when ModuleFacts.record_imports (the scan cache keys results on them)
        self.resolved_imports: dict[str, set[tuple[str, int, str | None]]] = {}
        # (routers, names routes call, what their patterns capture: see dataflow/module.py django_routes)
        self.django_routes: tuple[tuple[str, ...], frozenset[str], Any] | None = None
        self.helper_callers: dict[str, tuple[str, ...]] = {}  # function name -> files (not tests) calling it
        # (path, a Bloom filter (an int) of the words of the file's bytes, or None: unreadable) for every file but
        # tests: which files may call a function of a name, once two names were asked (dataflow/module.py _callers)
        self.word_index: tuple[tuple[str, int | None], ...] | None = None
        self.summary_depth = 0  # how deep the summaries being computed nest (across modules)
        self.summary_cut = False  # a summary being built met the depth limit
        self.summary_height = 0  # how many levels of summaries the one being built used (itself not counted)
        # The summaries of the repository's functions (dataflow/module.py DataflowModule.summary): a summary is a
        # function of (file, function, constant flags, inline depth, depth left), so it is computed once per scan
        # and shared by every file and helper parse that calls the function (the most recently used kept).
        self.summaries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        # (file, function line and column, depth left) -> whether its summary may carry untrusted data of its own
        # (dataflow/module.py DataflowModule._summary_may_taint), the most recently used kept
        self.may_taint: OrderedDict[tuple, bool] = OrderedDict()
        # path -> the names a repository file may define functions with, read from its bytes (dataflow/module.py
        # _def_names; None: not known without parsing it): one small set per helper file asked about
        self.def_names: dict[str, frozenset[bytes] | None] = {}
        # (path, function name) -> whether that top-level function of a repository file may hand a parameter to a
        # sink of its own (dataflow/module.py DataflowModule.helper_may_reach_sink): names only
        self.helper_sinks: dict[tuple[str, str], bool] = {}

    def __reduce__(self):
        raise TypeError("an AnalysisState belongs to one process: it is never sent to another")


def parsed_module(file: "SourceFile", facts: ModuleFacts, state: AnalysisState) -> "PyModule":
    """The file's PyModule, parsed once and shared by every engine that reads Python (raises ParseFailure)."""

    def build() -> PyModule:
        # A module the data flow of an earlier file parsed as a helper, and still holds, is not parsed again.
        helper = state.helper_modules.get(file.rel)
        if helper is not None and helper.module.file is file and helper.module.facts is facts \
                and helper.module.state is state:
            return helper.module
        tree, parser = parse_python(file.text(), file.rel)
        return PyModule(file, tree, parser, facts, state)

    return file.cached("python-module", build)

class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

LAMBDA_EVENT_NAMES = frozenset({"event", "evt", "_event", "lambda_event"})
LAMBDA_CONTEXT_NAMES = frozenset({"context", "ctx", "_context", "_ctx", "lambda_context", "_"})

# The modules a Django router imports its route functions from (dataflow/module.py django_routes reads only files
# naming one): discovery notes them for every file it reads whole (engines/base.py FACT_MARKS), so the cold scan
# does not read every Python file of the repository again to find the routers.
DJANGO_URLS_MARKS = (b"django.urls", b"django.conf.urls")

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)


R = TypeVar("R")
_UNSET: Any = object()
# a `global` statement inside a block (the pre-screen of PyModule.rebound_globals)
_GLOBAL_STATEMENT = re.compile(rb"^[ \t]+global[ \t]", re.M)


class PyModule:
    """One parsed Python file and the facts derived from it once (names, bindings, handlers).

    Slots: nobody sets an attribute the class does not declare. What a check derives from a module once goes in a
    record of its own class (`derived`); the data-flow analysis of the file being scanned in `dataflow`."""

    __slots__ = ("file", "tree", "parser", "facts", "state", "names", "dataflow", "_bindings", "_handlers", "_parents",
                 "_walks", "_derived", "_inner_binding_lines", "_rebound_globals")

    def __init__(self, file: "SourceFile", tree: ast.Module, parser: str, facts: ModuleFacts,
                 state: AnalysisState):
        self.file = file
        self.tree = tree
        self.parser = parser
        self.facts = facts  # frozen: what the module needs from other files
        self.state = state  # the process's caches and notices (never shared)
        self.names = Names(tree)
        self.dataflow: Any = None  # lang/python/dataflow's analysis of this module while its file is scanned
        self._bindings: dict[int, dict[str, list[ast.AST | None]]] = {}
        self._handlers: dict[str, str] | None = None
        self._parents: dict[int, ast.AST] | None = None
        self._walks: dict[int, tuple[ast.AST, list[ast.AST]]] = {}
        self._derived: dict[type, Any] = {}
        self._inner_binding_lines: Any = _UNSET
        self._rebound_globals: frozenset[str] | None = None

    def derived(self, kind: "type[R]") -> R:
        """The module's record of `kind`, made on first ask as `kind(self)`: what a check works out from the whole
        module once (an index of its strings, ...), kept as long as the module, keyed by the record's class (no
        string key to misspell)."""
        record = self._derived.get(kind)
        if record is None:
            record = self._derived[kind] = kind(self)
        return record

    def walk(self, scope: ast.AST | None = None) -> list[ast.AST]:
        """`scope` (default: the module) and every node under it, in `ast.walk`'s breadth-first order but without
        the Load/Store/Del context nodes; about twice as fast. Kept for the module and for functions and classes,
        which several checks each walk once per call or per file."""
        scope = self.tree if scope is None else scope
        hit = self._walks.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        out = [scope]
        push, leaves, fields_of, AST = out.append, LEAF_CLASSES, _CHILD_FIELDS.get, ast.AST
        for node in out:  # (grows while it is read: breadth-first; push_children inlined, children in field order)
            cls = node.__class__
            if cls in leaves:
                continue
            for name in fields_of(cls) or child_fields(cls):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, AST):
                            push(item)
                elif isinstance(value, AST):
                    push(value)
        if scope is self.tree or scope.__class__ in _NESTED_SCOPES:
            self._walks[id(scope)] = (scope, out)
        return out

    def parents(self) -> dict[int, ast.AST]:
        """id(node) -> the node that contains it, for the whole tree: built once, on the first check that asks."""
        if self._parents is None:
            # The same map as `{id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}`
            # (breadth-first, children in field order, so a shared context or operator node keeps the same last
            # parent), with per-class field lists instead of the generators: about three times as fast.
            parents: dict[int, ast.AST] = {}
            order = [self.tree]
            push, AST, fields_of, childless = order.append, ast.AST, _PARENT_FIELDS.get, _NO_PARENT_OF
            # (a node of a class that is parent of no node, a context, an operator or a constant, is given its
            # parent but not read: half the nodes; a name is read, as its context's parent)
            for node in order:  # (grows while it is read: breadth-first)
                cls = node.__class__
                fields = fields_of(cls)
                if fields is None:
                    fields = _PARENT_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NEVER_NODES)
                for name in fields:
                    value = getattr(node, name, None)
                    if value.__class__ is list:
                        for item in value:
                            if isinstance(item, AST):
                                parents[id(item)] = node
                                if item.__class__ not in childless:
                                    push(item)
                    elif isinstance(value, AST):
                        parents[id(value)] = node
                        if value.__class__ not in childless:
                            push(value)
            self._parents = parents
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
            for node in _binding_nodes(scope, self.inner_binding_lines()):
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

    def inner_binding_lines(self) -> list[int] | None:
        """The lines whose text holds `for` or `:=`, in order: an expression spanning none of them holds no comprehension and
        no assignment expression, the only nodes inside expressions that bind a name (see _binding_nodes). None
        when the text cannot be read again (then every expression is walked)."""
        if self._inner_binding_lines is _UNSET:
            try:
                lines = self.file.lines()
            except Exception:  # (a helper's text is released after use and read again: gone, unreadable)
                lines = None
            self._inner_binding_lines = None if lines is None else [
                n for n, line in enumerate(lines, 1) if "for" in line or ":=" in line]
        return self._inner_binding_lines

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
                if s is self.tree and name in self.rebound_globals():
                    return None  # a function rebinds it (`global name; name = ...`): not its one value
                value = values[0] if len(values) == 1 else None
                return None if isinstance(value, (ast.Import, ast.ImportFrom)) else value
        return None

    def rebound_globals(self) -> frozenset[str]:
        """Module-level names some function of the module declares `global` (and so may rebind at run time: a
        setting read from the configuration into `verify_cert = False`'s name)."""
        if self._rebound_globals is None:
            found: set[str] = set()
            try:
                text = self.file.data()
            except Exception:  # (released and unreadable: walk the tree)
                text = b"global"
            if b"global" in text and _GLOBAL_STATEMENT.search(text):  # (the word first: most files have none)
                # (a `global` is a statement: only the statement lists are read, the expressions skipped)
                stack, Global = list(self.tree.body), ast.Global
                while stack:
                    node = stack.pop()
                    if node.__class__ is Global:
                        found.update(node.names)  # type: ignore[attr-defined]
                        continue
                    for name in _STATEMENT_LISTS:
                        block = getattr(node, name, None)
                        if block.__class__ is list:
                            stack.extend(block)
            self._rebound_globals = frozenset(found)
        return self._rebound_globals

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
        linked = self.facts.handlers.get(self.file.rel, {})
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
# For the parent map: every field that may hold a node, the context nodes included (ast.iter_child_nodes' children).
_NEVER_NODES = _SCALAR_FIELDS - {"ctx"}
_PARENT_FIELDS: dict[type, tuple[str, ...]] = {}


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


# The node classes that never hold a child node (a Name, a constant, an operator, an import's alias, a context: half
# the nodes of a module): a walk that looks for nodes of other classes need not visit them.
LEAF_CLASSES = frozenset(c for c in vars(ast).values()
                         if isinstance(c, type) and issubclass(c, ast.AST) and not child_fields(c))
# The same, for the parent map, which counts a name's Load/Store/Del context node as its child: every leaf but a name
_NO_PARENT_OF = LEAF_CLASSES - {ast.Name}


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The direct children of `node`, as `ast.iter_child_nodes` gives them but about twice as fast (per-type
    field lists; expression contexts, names and other scalars are skipped). Every tree walk in the engine uses it."""
    out: list[ast.AST] = []
    push_children(node, out.append)
    return out


def _binding_nodes(scope: ast.AST, inner_lines: list[int] | None = None) -> list[ast.AST]:
    """The nodes of `scope` that may bind a name (see _BINDING_CLASSES), without descending into nested functions,
    classes or lambdas: `_walk_scope` inlined, since every function with a call in it is walked once for this.

    `inner_lines` (PyModule.inner_binding_lines): an expression under a statement (or another node outside
    expressions) whose lines hold neither `for` nor `:=` holds no comprehension and no assignment expression, so
    it is not walked (most of a function's nodes); the nodes found, and their order, are the same."""
    stack = child_nodes(scope)
    out = []
    binding, nested, inside, leaves = _BINDING_CLASSES, _NESTED_SCOPES, _INSIDE_EXPRESSIONS, LEAF_CLASSES
    pop, push, expr, AST = stack.pop, stack.append, ast.expr, ast.AST
    count = len(inner_lines) if inner_lines is not None else 0
    while stack:
        node = pop()
        cls = node.__class__
        if cls in binding:
            out.append(node)
        elif cls in nested or cls in leaves:
            continue
        if inner_lines is None or cls in inside or isinstance(node, expr):
            push_children(node, push)
            continue
        # a statement (or its arguments, handlers, items, cases): its expressions are screened by their lines,
        # whose numbers are exact here (unlike some positions inside f-strings before Python 3.12)
        for name in _CHILD_FIELDS.get(cls) or child_fields(cls):
            value = getattr(node, name, None)
            if value is None:
                continue
            for item in value if value.__class__ is list else (value,):
                if isinstance(item, expr):
                    first, last = getattr(item, "lineno", None), getattr(item, "end_lineno", None)
                    if first is not None and last is not None:
                        i = bisect_left(inner_lines, first)
                        if i == count or inner_lines[i] > last:
                            continue  # (no line of the expression holds `for` or `:=`)
                    push(item)
                elif isinstance(item, AST):
                    push(item)
    return out


# Nodes only found inside an expression (their expressions' positions are not screened, see _binding_nodes).
_INSIDE_EXPRESSIONS = frozenset({ast.comprehension, ast.keyword})


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
# The fields holding lists of statements (an `except` handler's and a `case`'s own, reached through `handlers` and
# `cases`): every statement of a module is in one of them.
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _walk_scope(scope: ast.AST) -> Iterable[ast.AST]:
    """Every node of `scope` without descending into nested functions, classes or lambdas."""
    stack = child_nodes(scope)
    push, leaves, nested = stack.append, LEAF_CLASSES, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    while stack:
        node = stack.pop()
        yield node
        # (children pushed in field order, as extending the stack with child_nodes did; a leaf has none)
        if node.__class__ not in leaves and not isinstance(node, nested):
            push_children(node, push)


def _bind_target(found: dict[str, list[ast.AST | None]], target: ast.AST, value: ast.AST | None) -> None:
    if isinstance(target, ast.Name):
        found.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        elts = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
        for i, elt in enumerate(target.elts):
            _bind_target(found, elt, elts[i] if elts else None)
    elif isinstance(target, ast.Starred):
        _bind_target(found, target.value, None)


def named_parameter(fn: ast.AST, name: str) -> ast.arg | None:
    """The positional or keyword-only parameter of `fn` called `name` (not `*args`/`**kwargs`), or None."""
    a = fn.args  # type: ignore[attr-defined]
    return next((p for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.arg == name), None)


def parameter_defaults(fn: ast.AST) -> dict[str, ast.AST]:
    """A function's parameters that have a default -> the default's expression (positional and keyword-only)."""
    a = fn.args  # type: ignore[attr-defined]
    positional = [*a.posonlyargs, *a.args]
    defaults = {p.arg: d for p, d in zip(positional[len(positional) - len(a.defaults):], a.defaults)}
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    return defaults


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


def resolve_repo_path(files, rel: str, module: str, level: int) -> str | None:
    """The repository file (in `files`, other than `rel`) that `import module` at relative `level` in `rel` loads."""
    parts = [p for p in module.split(".") if p]
    here = posixpath.dirname(rel)
    if level:
        bases = [here]
        for _ in range(level - 1):
            bases = [posixpath.dirname(b) for b in bases]
    else:
        bases, d = [], here
        while True:
            bases.append(d)
            if not d:
                break
            d = posixpath.dirname(d)
    for base in bases:
        stem = posixpath.join(base, *parts) if parts else base
        for candidate in (f"{stem}.py", posixpath.join(stem, "__init__.py")):
            candidate = candidate.lstrip("/")
            if candidate in files and candidate != rel:
                return candidate
    return None
