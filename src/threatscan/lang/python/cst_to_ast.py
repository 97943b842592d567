"""Convert a libcst Module into the standard-library `ast.Module` the running interpreter would build.

Why: the interpreter's `ast.parse` only knows its own grammar. libcst parses newer grammar too (3.12 f-strings
nesting the same quotes, PEP 695 type parameters and `type` statements, `except*` on 3.10), so parse.py falls back
to libcst and converts the tree here; every check then sees the same `ast` nodes, with real positions.

The contract, checked by tests/test_cst_to_ast.py on thousands of real files: for code that `ast.parse` also
accepts, `ast.dump(convert(libcst.parse_module(src)), include_attributes=True)` equals the dump of
`ast.parse(src)`, positions included (lines 1-based, columns as UTF-8 byte offsets like ast's). Where the running
`ast` has no node for newer syntax, the nearest equivalent is built so that checks still see the code:

- type parameters (PEP 695) are dropped before 3.12 (no `type_params` field); `type X = v` becomes
  `X = v` (an `ast.Assign`) before 3.12; default values of type parameters (PEP 696) are dropped before 3.13;
- `except*` becomes `ast.Try` before 3.11 (no `ast.TryStar`);
- template strings (PEP 750) become `ast.JoinedStr` before 3.14 (`ast.TemplateStr` from 3.14);
- `except A, B:` (PEP 758) gets the tuple `(A, B)` it means; `lazy import` (PEP 810) becomes a plain import;
  `{**m for m in ms}` (PEP 798) becomes a DictComp whose key is `m` and whose value is None.

Positions of the parts of an f-string follow the running interpreter: before 3.12 the literal parts, the
`FormattedValue` nodes and format specs carry the span of the whole (concatenated) string, as CPython's old
f-string parser did (a format spec and its trailing text: the span of the string token holding them; a bare
tuple field `f"{a, b}"`: the span from `{` to the character ending it); from 3.12 on every part carries its own
span. One known difference: CPython 3.12 (not 3.13) adds an empty `Constant('')` after a format spec's last
replacement field (`f"{v:>{w}}"`); the converter does not.

Positions come from the same code generation libcst's PositionProvider runs, with a leaner state
(`_PositionState`, built on libcst's CodegenState); tests check it gives PositionProvider's positions.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import unicodedata
import warnings
from typing import Any, Callable

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEW_FSTRINGS = sys.version_info >= (3, 12)
_HAS_TYPE_PARAMS = sys.version_info >= (3, 12)
_HAS_TYPE_DEFAULTS = sys.version_info >= (3, 13)
_HAS_TRY_STAR = hasattr(ast, "TryStar")
_HAS_TEMPLATES = hasattr(ast, "TemplateStr")

_NEWLINE = re.compile(r"\r\n?|\n")
_ESCAPE = re.compile(r"\\(N\{[^}]*\}|x[0-9a-fA-F]{0,2}|u[0-9a-fA-F]{0,4}|U[0-9a-fA-F]{0,8}|[0-7]{1,3}|\r\n|[\s\S])")

_DEEP_RECURSION = 60_000
_DEEP_STACK = 512 * 1024 * 1024

_LOAD, _STORE, _DEL = ast.Load(), ast.Store(), ast.Del()

_BINOPS: dict[type, type] = {
    cst.Add: ast.Add, cst.Subtract: ast.Sub, cst.Multiply: ast.Mult, cst.Divide: ast.Div,
    cst.FloorDivide: ast.FloorDiv, cst.Modulo: ast.Mod, cst.Power: ast.Pow, cst.MatrixMultiply: ast.MatMult,
    cst.LeftShift: ast.LShift, cst.RightShift: ast.RShift, cst.BitOr: ast.BitOr, cst.BitXor: ast.BitXor,
    cst.BitAnd: ast.BitAnd,
}
_AUGOPS: dict[type, type] = {
    cst.AddAssign: ast.Add, cst.SubtractAssign: ast.Sub, cst.MultiplyAssign: ast.Mult,
    cst.DivideAssign: ast.Div, cst.FloorDivideAssign: ast.FloorDiv, cst.ModuloAssign: ast.Mod,
    cst.PowerAssign: ast.Pow, cst.MatrixMultiplyAssign: ast.MatMult, cst.LeftShiftAssign: ast.LShift,
    cst.RightShiftAssign: ast.RShift, cst.BitOrAssign: ast.BitOr, cst.BitXorAssign: ast.BitXor,
    cst.BitAndAssign: ast.BitAnd,
}
_UNARYOPS: dict[type, type] = {cst.Not: ast.Not, cst.Minus: ast.USub, cst.Plus: ast.UAdd, cst.BitInvert: ast.Invert}
_CMPOPS: dict[type, type] = {
    cst.Equal: ast.Eq, cst.NotEqual: ast.NotEq, cst.LessThan: ast.Lt, cst.LessThanEqual: ast.LtE,
    cst.GreaterThan: ast.Gt, cst.GreaterThanEqual: ast.GtE, cst.Is: ast.Is, cst.IsNot: ast.IsNot,
    cst.In: ast.In, cst.NotIn: ast.NotIn,
}
_SINGLETONS = {"True": True, "False": False, "None": None}


class ConversionError(ValueError):
    """The libcst tree holds something this converter cannot express as `ast` (it should not happen)."""


def convert(module: cst.Module, source: str | None = None) -> ast.Module:
    """The `ast.Module` for `module`. `source` is the text libcst parsed (default: regenerated from the tree)."""
    if source is None:
        source = module.code
    try:
        return _Converter(module, source).module(module)
    except RecursionError:
        return _convert_deep(module, source)


def _convert_deep(module: cst.Module, source: str) -> ast.Module:
    """Convert a deeply nested tree (libcst's code generation recurses per node) on a thread with a large stack."""
    result: list[Any] = []

    def work() -> None:
        try:
            result.append(_Converter(module, source).module(module))
        except BaseException as exc:  # handed back to the caller's thread
            result.append(exc)

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        sys.setrecursionlimit(max(old_limit, _DEEP_RECURSION))
        threading.stack_size(_DEEP_STACK)
        worker = threading.Thread(target=work, name="threatscan-cst-to-ast")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def _positions(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    """(start line, start column, end line, end column) of every node, as libcst's PositionProvider gives them.

    The same code generation PositionProvider runs, with a leaner state: going through MetadataWrapper first
    walks the whole tree with a batched visitor, and the provider's state splits every token with a regular
    expression and keeps a generator-based context manager per node; together about five times slower (measured
    on click's sources). The positions are the same: tests compare them with PositionProvider's.
    """
    state = _PositionState(module.default_indent, module.default_newline)
    module._codegen(state)
    return state.computed


class _Recorder:
    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state: "_PositionState", node: cst.CSTNode, start_node: Any, end_node: Any):
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.line, self.column = self.state.line, self.state.column

    def __exit__(self, *exc: Any) -> bool:
        state = self.state
        computed = state.computed
        if self.start_node is not None:
            sl, sc = computed[self.start_node][:2]
        else:
            sl, sc = self.line, self.column
        if self.end_node is not None:
            el, ec = computed[self.end_node][2:]
        else:
            el, ec = state.line, state.column
        computed[self.node] = (sl, sc, el, ec)
        return False


class _PositionState(CodegenState):
    """A CodegenState that tracks positions instead of collecting text (see _positions)."""

    __slots__ = ("line", "column", "computed", "stack")

    def __init__(self, default_indent: str, default_newline: str):
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = 1
        self.column = 0
        self.computed: dict[cst.CSTNode, tuple[int, int, int, int]] = {}
        self.stack: list[tuple[int, int]] = []
        self.tokens.append("")  # Module checks for "nothing generated" only to add a newline; positions ignore it

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.column += len(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        sl, sc = self.stack.pop()
        if node not in self.computed:
            self.computed[node] = (sl, sc, self.line, self.column)

    def pop_trailing_newline(self) -> None:
        pass

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Any:
        return _Recorder(self, node, start_node, end_node)


class _Pos:
    """A span in libcst's terms: 1-based lines, 0-based character columns."""

    __slots__ = ("sl", "sc", "el", "ec")

    def __init__(self, sl: int, sc: int, el: int, ec: int):
        self.sl, self.sc, self.el, self.ec = sl, sc, el, ec


class _Converter:
    def __init__(self, module: cst.Module, source: str):
        self.ranges = _positions(module)
        self.lines = _NEWLINE.split(source)
        self.wide = {i + 1 for i, line in enumerate(self.lines) if not line.isascii()}
        self.code_for = module.code_for_node
        self.ends: dict[int, tuple[int, int]] = {}  # id(ast statement) -> end of its block, when that differs
        self.expr_handlers: dict[type, Callable[[Any, ast.expr_context], ast.expr]] = {
            cst.Name: self.name, cst.Attribute: self.attribute, cst.Call: self.call, cst.Subscript: self.subscript,
            cst.BinaryOperation: self.binop, cst.BooleanOperation: self.boolop, cst.UnaryOperation: self.unaryop,
            cst.Comparison: self.compare, cst.IfExp: self.ifexp, cst.Lambda: self.lambda_,
            cst.Await: self.await_, cst.Yield: self.yield_, cst.NamedExpr: self.namedexpr,
            cst.Tuple: self.tuple_, cst.List: self.list_, cst.Set: self.set_, cst.Dict: self.dict_,
            cst.ListComp: self.listcomp, cst.SetComp: self.setcomp, cst.GeneratorExp: self.genexp,
            cst.DictComp: self.dictcomp, cst.Integer: self.number, cst.Float: self.number,
            cst.Imaginary: self.number, cst.Ellipsis: self.ellipsis, cst.SimpleString: self.string,
            cst.ConcatenatedString: self.string, cst.FormattedString: self.string,
            cst.StarredElement: self.starred,
        }
        if hasattr(cst, "TemplatedString"):
            self.expr_handlers[cst.TemplatedString] = self.string
        if hasattr(cst, "StarredDictComp"):
            self.expr_handlers[cst.StarredDictComp] = self.starred_dictcomp
        self.stmt_handlers: dict[type, Callable[[Any], Any]] = {
            cst.Expr: self.expr_stmt, cst.Assign: self.assign, cst.AnnAssign: self.annassign,
            cst.AugAssign: self.augassign, cst.Pass: self.simple(ast.Pass), cst.Break: self.simple(ast.Break),
            cst.Continue: self.simple(ast.Continue), cst.Return: self.return_, cst.Raise: self.raise_,
            cst.Assert: self.assert_, cst.Del: self.delete, cst.Import: self.import_,
            cst.ImportFrom: self.importfrom, cst.Global: self.global_, cst.Nonlocal: self.nonlocal_,
            cst.TypeAlias: self.typealias, cst.If: self.if_, cst.For: self.for_, cst.While: self.while_,
            cst.Try: self.try_, cst.TryStar: self.try_, cst.With: self.with_, cst.FunctionDef: self.functiondef,
            cst.ClassDef: self.classdef, cst.Match: self.match,
        }
        for lazy, plain in (("LazyImport", self.import_), ("LazyImportFrom", self.importfrom)):
            if hasattr(cst, lazy):  # PEP 810 (`lazy import`): the ast of older Pythons has only the plain import
                self.stmt_handlers[getattr(cst, lazy)] = plain

    # --- positions ------------------------------------------------------------------------------------------
    def col(self, line: int, column: int) -> int:
        if column and line in self.wide:
            return len(self.lines[line - 1][:column].encode("utf-8", "surrogatepass"))
        return column

    def pos(self, node: cst.CSTNode) -> _Pos:
        return _Pos(*self.ranges[node])

    def outer(self, node: cst.CSTNode) -> _Pos:
        """The span of `node` including its own parentheses."""
        p = self.pos(node)
        lpar = getattr(node, "lpar", None)
        if lpar:
            return _Pos(*self.ranges[lpar[0]][:2], *self.ranges[node.rpar[-1]][2:])
        return p

    def inner_parens(self, node: cst.CSTNode) -> _Pos:
        """The span of `node` with its innermost pair of parentheses (how ast places tuples and generators)."""
        return _Pos(*self.ranges[node.lpar[-1]][:2], *self.ranges[node.rpar[0]][2:])

    @staticmethod
    def join(a: _Pos, b: _Pos) -> _Pos:
        return _Pos(a.sl, a.sc, b.el, b.ec)

    def at(self, node: Any, p: _Pos) -> Any:
        node.lineno = p.sl
        node.col_offset = self.col(p.sl, p.sc)
        node.end_lineno = p.el
        node.end_col_offset = self.col(p.el, p.ec)
        return node

    def make(self, kind: type, p: _Pos, /, **fields: Any) -> Any:
        return self.at(kind(**fields), p)

    def comma_end(self, line: int, column: int, token: str = ",") -> tuple[int, int]:
        """Where the `token` after (line, column) ends: skips blanks, line continuations and comments."""
        lines = self.lines
        while line <= len(lines):
            text = lines[line - 1]
            while column < len(text):
                ch = text[column]
                if ch == token:
                    return line, column + 1
                if ch == "#" or ch == "\\":
                    break
                column += 1
            line, column = line + 1, 0
        raise ConversionError("no comma where the tree has one")

    def with_trailing_comma(self, p: _Pos, comma: Any) -> _Pos:
        if isinstance(comma, cst.Comma):
            el, ec = self.comma_end(p.el, p.ec)
            return _Pos(p.sl, p.sc, el, ec)
        return p

    # --- module and statements ------------------------------------------------------------------------------
    def module(self, module: cst.Module) -> ast.Module:
        return ast.Module(body=self.stmts(module.body), type_ignores=[])

    def stmts(self, body: Any) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                out.extend(self.small_stmts(stmt.body))
            else:
                out.append(self.stmt(stmt))
        return out

    def small_stmts(self, body: Any) -> list[ast.stmt]:
        out = [self.stmt(s) for s in body]
        if isinstance(body[-1].semicolon, cst.Semicolon):
            # `x = 1;` ends the line: ast ends the statement at `1` but an enclosing block at the `;`
            p = self.pos(body[-1])
            line, column = self.comma_end(p.el, p.ec, ";")
            self.ends[id(out[-1])] = (line, self.col(line, column))
        return out

    def block(self, suite: Any) -> list[ast.stmt]:
        if isinstance(suite, cst.SimpleStatementSuite):
            return self.small_stmts(suite.body)
        return self.stmts(suite.body)

    def stmt(self, node: cst.CSTNode) -> ast.stmt:
        handler = self.stmt_handlers.get(type(node))
        if handler is None:
            raise ConversionError(f"no ast statement for libcst {type(node).__name__}")
        return handler(node)

    def finish(self, node: Any, start: _Pos, last: Any) -> Any:
        """Place a compound statement: from `start` to the end of the ast node `last` (already placed)."""
        node.lineno = start.sl
        node.col_offset = self.col(start.sl, start.sc)
        node.end_lineno, node.end_col_offset = self.ends.get(id(last), (last.end_lineno, last.end_col_offset))
        return node

    def simple(self, cls: type) -> Callable[[Any], Any]:
        return lambda node: self.make(cls, self.pos(node))

    def expr_stmt(self, node: cst.Expr) -> ast.stmt:
        return self.make(ast.Expr, self.pos(node), value=self.expr(node.value))

    def assign(self, node: cst.Assign) -> ast.stmt:
        targets = [self.expr(t.target, _STORE) for t in node.targets]
        return self.make(ast.Assign, self.pos(node), targets=targets, value=self.expr(node.value), type_comment=None)

    def annassign(self, node: cst.AnnAssign) -> ast.stmt:
        target = node.target
        simple = int(isinstance(target, cst.Name) and not target.lpar)
        return self.make(ast.AnnAssign, self.pos(node), target=self.expr(target, _STORE),
                         annotation=self.expr(node.annotation.annotation),
                         value=self.expr(node.value) if node.value is not None else None, simple=simple)

    def augassign(self, node: cst.AugAssign) -> ast.stmt:
        return self.make(ast.AugAssign, self.pos(node), target=self.expr(node.target, _STORE),
                         op=_AUGOPS[type(node.operator)](), value=self.expr(node.value))

    def return_(self, node: cst.Return) -> ast.stmt:
        return self.make(ast.Return, self.pos(node), value=self.opt(node.value))

    def raise_(self, node: cst.Raise) -> ast.stmt:
        cause = node.cause.item if node.cause is not None else None
        return self.make(ast.Raise, self.pos(node), exc=self.opt(node.exc), cause=self.opt(cause))

    def assert_(self, node: cst.Assert) -> ast.stmt:
        return self.make(ast.Assert, self.pos(node), test=self.expr(node.test), msg=self.opt(node.msg))

    def delete(self, node: cst.Del) -> ast.stmt:
        target = node.target
        if isinstance(target, cst.Tuple) and not target.lpar:
            targets = [self.expr(e.value, _DEL) for e in target.elements]
        else:
            targets = [self.expr(target, _DEL)]
        return self.make(ast.Delete, self.pos(node), targets=targets)

    def alias(self, node: cst.ImportAlias) -> ast.alias:
        asname = _ident(node.asname.name.value) if node.asname is not None else None
        return self.make(ast.alias, self.pos(node), name=self.dotted(node.name), asname=asname)

    def dotted(self, node: cst.CSTNode) -> str:
        if isinstance(node, cst.Name):
            return _ident(node.value)
        if isinstance(node, cst.Attribute):
            return f"{self.dotted(node.value)}.{_ident(node.attr.value)}"
        raise ConversionError(f"not a dotted name: {type(node).__name__}")

    def import_(self, node: Any) -> ast.stmt:
        return self.make(ast.Import, self.pos(node), names=[self.alias(a) for a in node.names])

    def importfrom(self, node: Any) -> ast.stmt:
        if isinstance(node.names, cst.ImportStar):
            names = [self.make(ast.alias, self.pos(node.names), name="*", asname=None)]
        else:
            names = [self.alias(a) for a in node.names]
        module = self.dotted(node.module) if node.module is not None else None
        return self.make(ast.ImportFrom, self.pos(node), module=module, names=names, level=len(node.relative))

    def global_(self, node: cst.Global) -> ast.stmt:
        return self.make(ast.Global, self.pos(node), names=[_ident(n.name.value) for n in node.names])

    def nonlocal_(self, node: cst.Nonlocal) -> ast.stmt:
        return self.make(ast.Nonlocal, self.pos(node), names=[_ident(n.name.value) for n in node.names])

    def typealias(self, node: cst.TypeAlias) -> ast.stmt:
        name = self.expr(node.name, _STORE)
        value = self.expr(node.value)
        if _HAS_TYPE_PARAMS:
            return self.make(ast.TypeAlias, self.pos(node), name=name,
                             type_params=self.type_params(node.type_parameters), value=value)
        return self.make(ast.Assign, self.pos(node), targets=[name], value=value, type_comment=None)

    def type_params(self, node: cst.TypeParameters | None) -> list[Any]:
        if node is None:
            return []
        out = []
        for tp in node.params:
            param = tp.param
            extra: dict[str, Any] = {}
            if _HAS_TYPE_DEFAULTS:
                extra["default_value"] = self.opt(tp.default)
            p = self.pos(param)
            if _HAS_TYPE_DEFAULTS and tp.default is not None:
                p = self.join(p, self.outer(tp.default))
            if isinstance(param, cst.TypeVar):
                bound = param.bound.annotation if isinstance(param.bound, cst.Annotation) else param.bound
                out.append(self.make(ast.TypeVar, p, name=_ident(param.name.value), bound=self.opt(bound), **extra))
            elif isinstance(param, cst.TypeVarTuple):
                out.append(self.make(ast.TypeVarTuple, p, name=_ident(param.name.value), **extra))
            else:
                out.append(self.make(ast.ParamSpec, p, name=_ident(param.name.value), **extra))
        return out

    def if_(self, node: cst.If) -> ast.stmt:
        body = self.block(node.body)
        orelse = self.orelse(node.orelse)
        result = ast.If(test=self.expr(node.test), body=body, orelse=orelse)
        return self.finish(result, self.pos(node), (orelse or body)[-1])

    def orelse(self, node: Any) -> list[ast.stmt]:
        if node is None:
            return []
        if isinstance(node, cst.If):
            return [self.if_(node)]
        return self.block(node.body)

    def for_(self, node: cst.For) -> ast.stmt:
        cls = ast.AsyncFor if node.asynchronous is not None else ast.For
        body = self.block(node.body)
        orelse = self.orelse(node.orelse)
        result = cls(target=self.expr(node.target, _STORE), iter=self.expr(node.iter), body=body, orelse=orelse,
                     type_comment=None)
        return self.finish(result, self.pos(node), (orelse or body)[-1])

    def while_(self, node: cst.While) -> ast.stmt:
        body = self.block(node.body)
        orelse = self.orelse(node.orelse)
        result = ast.While(test=self.expr(node.test), body=body, orelse=orelse)
        return self.finish(result, self.pos(node), (orelse or body)[-1])

    def try_(self, node: Any) -> ast.stmt:
        body = self.block(node.body)
        handlers = []
        for h in node.handlers:
            hbody = self.block(h.body)
            name = _ident(h.name.name.value) if h.name is not None else None
            handler = ast.ExceptHandler(type=self.opt(h.type), name=name, body=hbody)
            handlers.append(self.finish(handler, self.pos(h), hbody[-1]))
        orelse = self.orelse(node.orelse)
        finalbody = self.block(node.finalbody.body) if node.finalbody is not None else []
        cls = ast.TryStar if isinstance(node, cst.TryStar) and _HAS_TRY_STAR else ast.Try
        result = cls(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
        return self.finish(result, self.pos(node), (finalbody or orelse or handlers or body)[-1])

    def with_(self, node: cst.With) -> ast.stmt:
        cls = ast.AsyncWith if node.asynchronous is not None else ast.With
        items = [ast.withitem(context_expr=self.expr(i.item),
                              optional_vars=self.expr(i.asname.name, _STORE) if i.asname is not None else None)
                 for i in node.items]
        body = self.block(node.body)
        return self.finish(cls(items=items, body=body, type_comment=None), self.pos(node), body[-1])

    def functiondef(self, node: cst.FunctionDef) -> ast.stmt:
        cls = ast.AsyncFunctionDef if node.asynchronous is not None else ast.FunctionDef
        body = self.block(node.body)
        extra: dict[str, Any] = {}
        if _HAS_TYPE_PARAMS:
            extra["type_params"] = self.type_params(node.type_parameters)
        result = cls(name=_ident(node.name.value), args=self.arguments(node.params), body=body,
                     decorator_list=[self.expr(d.decorator) for d in node.decorators],
                     returns=self.expr(node.returns.annotation) if node.returns is not None else None,
                     type_comment=None, **extra)
        return self.finish(result, self.pos(node), body[-1])

    def classdef(self, node: cst.ClassDef) -> ast.stmt:
        bases, keywords = [], []
        for arg in [*node.bases, *node.keywords]:
            if arg.keyword is not None or arg.star == "**":
                keywords.append(self.keyword(arg))
            else:
                bases.append(self.positional(arg))
        body = self.block(node.body)
        extra: dict[str, Any] = {}
        if _HAS_TYPE_PARAMS:
            extra["type_params"] = self.type_params(node.type_parameters)
        result = ast.ClassDef(name=_ident(node.name.value), bases=bases, keywords=keywords, body=body,
                              decorator_list=[self.expr(d.decorator) for d in node.decorators], **extra)
        return self.finish(result, self.pos(node), body[-1])

    # --- match statements -----------------------------------------------------------------------------------
    def match(self, node: cst.Match) -> ast.stmt:
        cases = []
        for case in node.cases:
            body = self.block(case.body)
            cases.append(ast.match_case(pattern=self.pattern(case.pattern), guard=self.opt(case.guard), body=body))
        last = cases[-1].body[-1]
        return self.finish(ast.Match(subject=self.expr(node.subject), cases=cases), self.pos(node), last)

    def pattern(self, node: Any) -> ast.pattern:
        p = self.pos(node)
        if isinstance(node, cst.MatchValue):  # libcst's span holds the value's parentheses, ast's does not
            return self.make(ast.MatchValue, self.pos(node.value), value=self.expr(node.value))
        if isinstance(node, cst.MatchSingleton):
            return self.make(ast.MatchSingleton, self.pos(node.value), value=_SINGLETONS[node.value.value])
        if isinstance(node, cst.MatchSequence):
            if node.lpar:
                p = self.inner_parens(node)
            elif isinstance(node, cst.MatchTuple) and node.patterns:
                p = self.with_trailing_comma(p, node.patterns[-1].comma)
                p = _Pos(p.sl, p.sc, p.el, p.ec)
            patterns = [self.seq_pattern(e) for e in node.patterns]
            return self.make(ast.MatchSequence, p, patterns=patterns)
        if isinstance(node, cst.MatchMapping):
            rest = _ident(node.rest.value) if node.rest is not None else None
            return self.make(ast.MatchMapping, p, keys=[self.expr(e.key) for e in node.elements],
                             patterns=[self.pattern(e.pattern) for e in node.elements], rest=rest)
        if isinstance(node, cst.MatchClass):
            return self.make(ast.MatchClass, p, cls=self.expr(node.cls),
                             patterns=[self.pattern(e.value) for e in node.patterns],
                             kwd_attrs=[_ident(k.key.value) for k in node.kwds],
                             kwd_patterns=[self.pattern(k.pattern) for k in node.kwds])
        if isinstance(node, cst.MatchAs):
            name = _ident(node.name.value) if node.name is not None else None
            if node.pattern is None and name == "_":
                name = None
            return self.make(ast.MatchAs, p, pattern=self.opt_pattern(node.pattern), name=name)
        if isinstance(node, cst.MatchOr):
            return self.make(ast.MatchOr, p, patterns=[self.pattern(e.pattern) for e in node.patterns])
        raise ConversionError(f"no ast pattern for libcst {type(node).__name__}")

    def opt_pattern(self, node: Any) -> ast.pattern | None:
        return self.pattern(node) if node is not None else None

    def seq_pattern(self, node: Any) -> ast.pattern:
        if isinstance(node, cst.MatchStar):
            p = self.pos(node)  # libcst's MatchStar holds its comma; ast's ends at the name
            if node.name is not None:
                end = self.pos(node.name)
                name = _ident(node.name.value)
                return self.make(ast.MatchStar, self.join(p, end), name=None if name == "_" else name)
            return self.make(ast.MatchStar, _Pos(p.sl, p.sc, *self.comma_end(p.sl, p.sc, "_")), name=None)
        return self.pattern(node.value)

    # --- expressions ----------------------------------------------------------------------------------------
    def opt(self, node: Any, ctx: ast.expr_context = _LOAD) -> ast.expr | None:
        return self.expr(node, ctx) if node is not None else None

    def expr(self, node: Any, ctx: ast.expr_context = _LOAD) -> ast.expr:
        handler = self.expr_handlers.get(type(node))
        if handler is None:
            raise ConversionError(f"no ast expression for libcst {type(node).__name__}")
        return handler(node, ctx)

    def name(self, node: cst.Name, ctx: ast.expr_context) -> ast.expr:
        if node.value in _SINGLETONS and ctx is _LOAD:
            return self.make(ast.Constant, self.pos(node), value=_SINGLETONS[node.value], kind=None)
        return self.make(ast.Name, self.pos(node), id=_ident(node.value), ctx=ctx)

    def attribute(self, node: cst.Attribute, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Attribute, self.pos(node), value=self.expr(node.value), attr=_ident(node.attr.value), ctx=ctx)

    def call(self, node: cst.Call, ctx: ast.expr_context) -> ast.expr:
        args, keywords = [], []
        for arg in node.args:
            if arg.keyword is not None or arg.star == "**":
                keywords.append(self.keyword(arg))
            else:
                args.append(self.positional(arg, node if len(node.args) == 1 else None))
        return self.make(ast.Call, self.pos(node), func=self.expr(node.func), args=args, keywords=keywords)

    def positional(self, arg: cst.Arg, call: cst.Call | None = None) -> ast.expr:
        if arg.star == "*":
            return self.make(ast.Starred, self.arg_span(arg), value=self.expr(arg.value), ctx=_LOAD)
        value = arg.value
        if call is not None and isinstance(value, cst.GeneratorExp) and not value.lpar:
            return self.genexp(value, _LOAD, self.call_parens(call))
        return self.expr(value)

    def call_parens(self, call: cst.Call) -> _Pos:
        """The span of a call's own parentheses: `f(x for x in y)` places its generator there."""
        func = self.outer(call.func)
        whole = self.pos(call)
        line, column = func.el, func.ec
        text = self.lines[line - 1]
        while True:  # skip to the opening parenthesis (blanks, continuations)
            while column < len(text) and text[column] != "(":
                column += 1
            if column < len(text):
                break
            line, column = line + 1, 0
            text = self.lines[line - 1]
        return _Pos(line, column, whole.el, whole.ec)

    def arg_span(self, arg: cst.Arg) -> _Pos:
        """An argument from its star or keyword to the end of its value (never its comma)."""
        start = self.pos(arg)
        end = self.outer(arg.value)
        return _Pos(start.sl, start.sc, end.el, end.ec)

    def keyword(self, arg: cst.Arg) -> ast.keyword:
        name = _ident(arg.keyword.value) if arg.keyword is not None else None
        return self.make(ast.keyword, self.arg_span(arg), arg=name, value=self.expr(arg.value))

    def subscript(self, node: cst.Subscript, ctx: ast.expr_context) -> ast.expr:
        elements = node.slice
        if len(elements) == 1 and not isinstance(elements[0].comma, cst.Comma) and not self.is_star(elements[0]):
            index = self.slice_(elements[0].slice)
        else:
            first = self.slice_span(elements[0].slice)
            last = self.with_trailing_comma(self.slice_span(elements[-1].slice), elements[-1].comma)
            index = self.make(ast.Tuple, self.join(first, last), elts=[self.slice_(e.slice) for e in elements],
                              ctx=_LOAD)
        return self.make(ast.Subscript, self.pos(node), value=self.expr(node.value), slice=index, ctx=ctx)

    @staticmethod
    def is_star(element: cst.SubscriptElement) -> bool:
        return isinstance(element.slice, cst.Index) and getattr(element.slice, "star", None) == "*"

    def slice_span(self, node: Any) -> _Pos:
        if isinstance(node, cst.Index):
            value = self.outer(node.value)
            if getattr(node, "star", None) == "*":
                return self.join(self.pos(node), value)
            return value
        p = self.outer(node.lower) if node.lower is not None else self.pos(node)
        if node.step is not None:
            end = self.outer(node.step)
            return _Pos(p.sl, p.sc, end.el, end.ec)
        first = self.comma_end(p.sl, p.sc if node.lower is None else p.ec, ":")
        if node.upper is not None:
            end = self.outer(node.upper)
            first = (end.el, end.ec)
        if isinstance(node.second_colon, cst.Colon):
            first = self.comma_end(*first, ":")
        return _Pos(p.sl, p.sc, *first)

    def slice_(self, node: Any) -> ast.expr:
        if isinstance(node, cst.Index):
            if getattr(node, "star", None) == "*":
                return self.make(ast.Starred, self.slice_span(node), value=self.expr(node.value), ctx=_LOAD)
            return self.expr(node.value)
        return self.make(ast.Slice, self.slice_span(node), lower=self.opt(node.lower), upper=self.opt(node.upper),
                         step=self.opt(node.step))

    def binop(self, node: cst.BinaryOperation, ctx: ast.expr_context) -> ast.expr:
        chain = [node]
        left = node.left
        while isinstance(left, cst.BinaryOperation) and len(chain) < 100_000:
            chain.append(left)
            left = left.left
        result = self.expr(left)
        for item in reversed(chain):
            result = self.make(ast.BinOp, self.pos(item), left=result, op=_BINOPS[type(item.operator)](),
                               right=self.expr(item.right))
        return result

    def boolop(self, node: cst.BooleanOperation, ctx: ast.expr_context) -> ast.expr:
        op = type(node.operator)
        operands = [node.right]
        left = node.left
        while isinstance(left, cst.BooleanOperation) and type(left.operator) is op and not left.lpar:
            operands.append(left.right)
            left = left.left
        operands.append(left)
        values = [self.expr(v) for v in reversed(operands)]
        return self.make(ast.BoolOp, self.pos(node), op=ast.And() if op is cst.And else ast.Or(), values=values)

    def unaryop(self, node: cst.UnaryOperation, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.UnaryOp, self.pos(node), op=_UNARYOPS[type(node.operator)](),
                         operand=self.expr(node.expression))

    def compare(self, node: cst.Comparison, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Compare, self.pos(node), left=self.expr(node.left),
                         ops=[_CMPOPS[type(c.operator)]() for c in node.comparisons],
                         comparators=[self.expr(c.comparator) for c in node.comparisons])

    def ifexp(self, node: cst.IfExp, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.IfExp, self.pos(node), test=self.expr(node.test), body=self.expr(node.body),
                         orelse=self.expr(node.orelse))

    def lambda_(self, node: cst.Lambda, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Lambda, self.pos(node), args=self.arguments(node.params), body=self.expr(node.body))

    def arguments(self, params: cst.Parameters) -> ast.arguments:
        posonly = [self.arg(p) for p in params.posonly_params]
        regular = [self.arg(p) for p in params.params]
        defaults = [self.expr(p.default) for p in [*params.posonly_params, *params.params] if p.default is not None]
        vararg = self.arg(params.star_arg) if isinstance(params.star_arg, cst.Param) else None
        kwonly = [self.arg(p) for p in params.kwonly_params]
        kw_defaults = [self.opt(p.default) for p in params.kwonly_params]
        kwarg = self.arg(params.star_kwarg) if params.star_kwarg is not None else None
        return ast.arguments(posonlyargs=posonly, args=regular, vararg=vararg, kwonlyargs=kwonly,
                             kw_defaults=kw_defaults, kwarg=kwarg, defaults=defaults)

    def arg(self, param: cst.Param) -> ast.arg:
        start = self.pos(param.name)
        annotation = None
        end = start
        if param.annotation is not None:
            annotation = self.expr(param.annotation.annotation)
            end = self.outer(param.annotation.annotation)
        return self.make(ast.arg, self.join(start, end), arg=_ident(param.name.value), annotation=annotation,
                         type_comment=None)

    def await_(self, node: cst.Await, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Await, self.pos(node), value=self.expr(node.expression))

    def yield_(self, node: cst.Yield, ctx: ast.expr_context) -> ast.expr:
        if isinstance(node.value, cst.From):
            return self.make(ast.YieldFrom, self.pos(node), value=self.expr(node.value.item))
        return self.make(ast.Yield, self.pos(node), value=self.opt(node.value))

    def namedexpr(self, node: cst.NamedExpr, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.NamedExpr, self.pos(node), target=self.expr(node.target, _STORE),
                         value=self.expr(node.value))

    def elements(self, elements: Any, ctx: ast.expr_context) -> list[ast.expr]:
        return [self.expr(e.value, ctx) if isinstance(e, cst.Element) else self.starred(e, ctx) for e in elements]

    def starred(self, node: cst.StarredElement, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Starred, self.pos(node), value=self.expr(node.value, ctx), ctx=ctx)

    def tuple_(self, node: cst.Tuple, ctx: ast.expr_context) -> ast.expr:
        if node.lpar:
            p = self.inner_parens(node)
        else:
            elements = node.elements
            first, last = elements[0], elements[-1]
            p = self.join(self.outer(first), self.with_trailing_comma(self.outer(last), last.comma))
        return self.make(ast.Tuple, p, elts=self.elements(node.elements, ctx), ctx=ctx)

    def list_(self, node: cst.List, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.List, self.pos(node), elts=self.elements(node.elements, ctx), ctx=ctx)

    def set_(self, node: cst.Set, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Set, self.pos(node), elts=self.elements(node.elements, ctx))

    def dict_(self, node: cst.Dict, ctx: ast.expr_context) -> ast.expr:
        keys: list[ast.expr | None] = []
        values = []
        for e in node.elements:
            if isinstance(e, cst.DictElement):
                keys.append(self.expr(e.key))
            else:
                keys.append(None)
            values.append(self.expr(e.value))
        return self.make(ast.Dict, self.pos(node), keys=keys, values=values)

    def comprehensions(self, node: cst.CompFor) -> list[ast.comprehension]:
        out = []
        current: cst.CompFor | None = node
        while current is not None:
            out.append(ast.comprehension(target=self.expr(current.target, _STORE), iter=self.expr(current.iter),
                                         ifs=[self.expr(i.test) for i in current.ifs],
                                         is_async=int(current.asynchronous is not None)))
            current = current.inner_for_in
        return out

    def listcomp(self, node: cst.ListComp, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.ListComp, self.pos(node), elt=self.comp_elt(node.elt),
                         generators=self.comprehensions(node.for_in))

    def setcomp(self, node: cst.SetComp, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.SetComp, self.pos(node), elt=self.comp_elt(node.elt),
                         generators=self.comprehensions(node.for_in))

    def genexp(self, node: cst.GeneratorExp, ctx: ast.expr_context, where: _Pos | None = None) -> ast.expr:
        p = where or (self.inner_parens(node) if node.lpar else self.pos(node))
        return self.make(ast.GeneratorExp, p, elt=self.comp_elt(node.elt), generators=self.comprehensions(node.for_in))

    def comp_elt(self, node: Any) -> ast.expr:
        return self.starred(node, _LOAD) if isinstance(node, cst.StarredElement) else self.expr(node)

    def dictcomp(self, node: cst.DictComp, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.DictComp, self.pos(node), key=self.expr(node.key), value=self.expr(node.value),
                         generators=self.comprehensions(node.for_in))

    def starred_dictcomp(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        # PEP 798 `{**m for m in ms}` (3.15): a DictComp whose key is the unpacked mapping and whose value is None
        return self.make(ast.DictComp, self.pos(node), key=self.expr(node.value), value=None,
                         generators=self.comprehensions(node.for_in))

    # --- literals -------------------------------------------------------------------------------------------
    def number(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Constant, self.pos(node), value=_literal(node.value), kind=None)

    def ellipsis(self, node: cst.Ellipsis, ctx: ast.expr_context) -> ast.expr:
        return self.make(ast.Constant, self.pos(node), value=..., kind=None)

    def string(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        parts: list[Any] = []
        stack = [node]
        while stack:  # ConcatenatedString nests to the right; flatten without recursion
            current = stack.pop()
            if isinstance(current, cst.ConcatenatedString):
                stack.append(current.right)
                stack.append(current.left)
            else:
                parts.append(current)
        whole = self.pos(node)
        if all(isinstance(part, cst.SimpleString) for part in parts):
            values = [_literal(part.value) for part in parts]
            value = values[0] if len(values) == 1 else values[0][:0].join(values)
            kind = "u" if parts[0].value.startswith("u") else None  # CPython checks the first token, lowercase only
            return self.make(ast.Constant, whole, value=value, kind=kind)
        return _FString(self, whole, parts[0]).build(parts)


class _FString:
    """Builds the JoinedStr of an f-string, possibly concatenated with other strings.

    Literal text is merged across pieces and tokens, as CPython does. Positions before 3.12 follow CPython's old
    f-string parser: literal parts and FormattedValues span the whole concatenation; a format spec's JoinedStr
    and its trailing literal span the token holding it. From 3.12 on every part spans its own text.
    """

    def __init__(self, conv: _Converter, whole: _Pos, first: Any):
        self.conv = conv
        self.whole = whole
        start = first.value if isinstance(first, cst.SimpleString) else getattr(first, "start", "")
        self.kind = "u" if start.startswith("u") else None

    def build(self, tokens: list[Any]) -> ast.expr:
        values: list[ast.expr] = []
        text = _Text()
        for token in tokens:
            if isinstance(token, cst.SimpleString):
                text.add(_literal(token.value), self.conv.pos(token))
            else:
                self.pieces(token.parts, token, "r" in token.prefix.lower(), values, text)
        self.flush(values, text, None)
        cls = ast.TemplateStr if _HAS_TEMPLATES and any(_is_template(t) for t in tokens) else ast.JoinedStr
        return self.conv.make(cls, self.whole, values=values)

    def pieces(self, pieces: Any, token: Any, raw: bool, values: list[ast.expr], text: "_Text") -> None:
        conv = self.conv
        for piece in pieces:
            if not hasattr(piece, "expression"):  # literal text
                text.add(_decode(piece.value, raw), conv.pos(piece))
                continue
            if piece.equal is not None:  # f"{x=}": the source text is a literal part of its own
                debug = "".join(conv.code_for(n) for n in (piece.whitespace_before_expression, piece.expression,
                                                           piece.equal, piece.whitespace_after_expression))
                p = conv.pos(piece)
                lines = _NEWLINE.split(debug)
                if len(lines) == 1:
                    where = _Pos(p.sl, p.sc + 1, p.sl, p.sc + 1 + len(debug))
                else:
                    where = _Pos(p.sl, p.sc + 1, p.sl + len(lines) - 1, len(lines[-1]))
                text.add(debug, where)
            self.flush(values, text, None)
            values.append(self.formatted(piece, token, raw))

    def flush(self, values: list[ast.expr], text: "_Text", spec_token: Any) -> None:
        if text.parts:
            joined = "".join(text.parts)
            if joined:
                if _NEW_FSTRINGS:
                    where, kind = self.conv.join(text.first, text.last), self.kind if not values else None
                elif spec_token is not None:  # a format spec's trailing text: CPython placed it on its token
                    where, kind = self.conv.pos(spec_token), None
                else:
                    where, kind = self.whole, self.kind
                values.append(self.conv.make(ast.Constant, where, value=joined, kind=kind))
        text.clear()

    def formatted(self, piece: Any, token: Any, raw: bool) -> ast.expr:
        conv = self.conv
        conversion = ord(piece.conversion) if piece.conversion else -1
        spec = None
        if piece.format_spec is not None:
            spec_values: list[ast.expr] = []
            spec_text = _Text()
            self.pieces(piece.format_spec, token, raw, spec_values, spec_text)
            self.flush(spec_values, spec_text, token)
            if _NEW_FSTRINGS:  # from the colon to the closing brace
                after = conv.outer(piece.expression)
                line, column = conv.comma_end(after.el, after.ec, ":")
                end = conv.pos(piece)
                where = _Pos(line, column - 1, end.el, end.ec - 1)
            else:
                where = conv.pos(token)
            spec = conv.make(ast.JoinedStr, where, values=spec_values)
        if piece.equal is not None and conversion == -1 and spec is None:
            conversion = ord("r")
        value = conv.expr(piece.expression)
        if not _NEW_FSTRINGS and isinstance(value, ast.Tuple) and not piece.expression.lpar:
            # CPython <3.12 parsed "(" + field + ")", so a bare tuple spans the braces' positions
            conv.at(value, self.field_span(piece))
        where = self.whole if not _NEW_FSTRINGS else conv.pos(piece)
        if _HAS_TEMPLATES and isinstance(piece, getattr(cst, "TemplatedStringExpression", ())):
            return conv.make(ast.Interpolation, where, value=value,  # type: ignore[attr-defined]
                             str=conv.code_for(piece.expression), conversion=conversion, format_spec=spec)
        return conv.make(ast.FormattedValue, where, value=value, conversion=conversion, format_spec=spec)

    def field_span(self, piece: Any) -> _Pos:
        """From the field's `{` to the character that ends its expression (`}`, `!`, `:` or `=`), inclusive."""
        conv = self.conv
        start = conv.pos(piece)
        end = conv.outer(piece.expression)
        line, column = end.el, end.ec
        while line <= len(conv.lines):
            text = conv.lines[line - 1]
            while column < len(text) and text[column] in " \t\f":
                column += 1
            if column < len(text):
                return _Pos(start.sl, start.sc, line, column + 1)
            line, column = line + 1, 0
        return start


class _Text:
    """Literal text waiting to become a Constant, with where its pieces are."""

    __slots__ = ("parts", "first", "last")

    def __init__(self) -> None:
        self.clear()

    def add(self, value: str, where: _Pos) -> None:
        if not self.parts:
            self.first = where
        self.parts.append(value)
        self.last = where

    def clear(self) -> None:
        self.parts: list[str] = []
        self.first: _Pos | None = None
        self.last: _Pos | None = None


def _is_template(part: Any) -> bool:
    return hasattr(cst, "TemplatedString") and isinstance(part, cst.TemplatedString)


def _ident(name: str) -> str:
    """An identifier as the parser stores it: non-ASCII names are NFKC-normalised (PEP 3131), so `ｗｉｄｔｈ` is
    `width`."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def _literal(token: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in scanned code warn; ast.parse stays quiet too here
        return ast.literal_eval(token)


def _decode(text: str, raw: bool) -> str:
    """The value of the literal text of an f-string part (escapes, and doubled braces)."""
    text = text.replace("{{", "{").replace("}}", "}")
    if raw or "\\" not in text:
        return text
    return _ESCAPE.sub(_escape, text)


def _escape(m: re.Match) -> str:
    body = m.group(1)
    if body in ("\n", "\r\n", "\r"):
        return ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.literal_eval('"\\' + body + '"')
    except (SyntaxError, ValueError):
        return "\\" + body
