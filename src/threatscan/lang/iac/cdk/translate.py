"""Python CDK source -> the CloudFormation-shaped resource model the IaC checks read.

The app is read with the shared `ast` parse (threatscan.lang.python.module.parsed_module), never synthesized or
imported. Construct calls are recognised through imports and aliases (`from aws_cdk import aws_lambda as
_lambda`, `import aws_cdk.aws_s3 as s3`, `from aws_cdk.aws_iam import PolicyStatement`, CDK v1 and v2 alike);
keyword arguments are followed through local variables and dict literals. Each construct becomes a `Resource`
with a CloudFormation type and properties in CloudFormation shape, every key and value carrying its position in
the Python file, so one check per rule serves templates and CDK apps. CDK defaults that matter to a rule are
modelled (a `Distribution` without `viewer_protocol_policy` allows HTTP; a `UserPool` without `mfa` has MFA off).
What cannot be evaluated statically is UNKNOWN.
"""

from __future__ import annotations

import ast
from contextvars import ContextVar
from typing import Any, Callable

from ..loader import PDict, PList, Pos
from ..model import UNKNOWN, Resource, Template
from ...python.module import PyModule, char_column

FunctionScope = ast.AST


# The lines of the CDK file being read (set by cdk_template), so that positions count characters, as SARIF does,
# not the UTF-8 bytes of ast's col_offset.
SOURCE_LINE: ContextVar[Callable[[int], str] | None] = ContextVar("cdk_source_line", default=None)


def pos_of(node: ast.AST) -> Pos:
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    offset, end_offset = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", None)
    source_line = SOURCE_LINE.get()
    if source_line is None:
        col = offset + 1
        end_col = (end_offset or offset) + 1
    else:
        col = char_column(source_line(line), offset)
        end_col = char_column(source_line(end_line), end_offset) if end_offset else col
    return (line, col, end_line, end_col)


class Expr:
    """A CDK expression we keep symbolically: its resolved dotted name (for enums and factory calls) and node."""

    __slots__ = ("qual", "node", "call")

    def __init__(self, qual: str | None, node: ast.AST, call: ast.Call | None = None):
        self.qual = qual
        self.node = node
        self.call = call

    def __repr__(self) -> str:
        return f"Expr({self.qual})"


class CdkReader:
    def __init__(self, module: PyModule, rel: str, root_rel: str):
        self.module = module
        self.rel = rel
        self.app_dir = root_rel  # the directory `cdk synth` runs in (where cdk.json is), repository-relative
        self.template = Template(rel, "cdk", PDict(), sam=False)
        self.scope: ast.AST | None = None
        self.counter: dict[str, int] = {}
        self.apis: dict[int, Resource] = {}
        self.by_call: dict[int, Resource] = {}  # id(construct call) -> the resource it made
        self.self_attrs: dict[str, ast.AST] = {}  # `self.fn = Function(...)` -> "fn": the bound expression
        # id(__init__) -> {parameter: "FILE#ConstructId@LINE"}: what every caller of this file's construct classes passes
        # (app.py, filled by the engine's prepare); read by `passed`
        self.params: dict[int, dict[str, str]] = {}

    # --- names and values -----------------------------------------------------------------------------------
    def qual(self, node: ast.AST) -> str | None:
        """The dotted name of a name/attribute chain, normalised: `aws_cdk.aws_lambda.Function`."""
        node = self.follow(node)
        q = self.module.names.qualname(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if q is None and isinstance(node, ast.Attribute):
            base = self.qual(node.value)
            q = f"{base}.{node.attr}" if base else None
        return q

    def follow(self, node: ast.AST, depth: int = 0) -> ast.AST:
        """A local name bound once -> the expression bound to it (in the enclosing function, else the module)."""
        return self.module.follow(node, self.scope, depth)

    def owner(self, node: ast.AST, types: tuple[str, ...]) -> Resource | None:
        """The resource an expression (a variable, `self.x`, the call itself) names, when it is one of `types`."""
        for _ in range(4):
            node = self.follow(node)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                    and node.attr in self.self_attrs:
                node = self.self_attrs[node.attr]
                continue
            break
        r = self.by_call.get(id(node)) if isinstance(node, ast.Call) else None
        return r if r is not None and r.type in types else None

    def passed(self, node: ast.AST) -> str | None:
        """"FILE#ConstructId@LINE" when `node` is a constructor parameter every caller gives the same construct."""
        node = self.follow(node)
        if not isinstance(node, ast.Name) or self.scope is None:
            return None
        passed = self.params.get(id(self.scope), {}).get(node.id)
        return passed if passed and self.module.bindings(self.scope).get(node.id) == [None] else None

    def value(self, node: ast.AST | None, depth: int = 0) -> Any:
        """A Python expression as a CloudFormation-shaped value (PDict/PList/str/...), Expr or UNKNOWN."""
        if node is None:
            return None
        if depth > 10:
            return UNKNOWN
        node = self.follow(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Dict):
            out = PDict(pos=pos_of(node))
            for k, v in zip(node.keys, node.values):
                if k is None:
                    spread = self.value(v, depth + 1)
                    if isinstance(spread, PDict):
                        for kk, vv in spread.items():
                            out[kk] = vv
                            out.key_pos[kk], out.val_pos[kk] = spread.key_pos[kk], spread.val_pos[kk]
                    continue
                key = self.value(k, depth + 1)
                if not isinstance(key, (str, int)):
                    continue
                out[key] = self.value(v, depth + 1)
                out.key_pos[key] = pos_of(k)
                out.val_pos[key] = pos_of(v)
            return out
        if isinstance(node, (ast.List, ast.Tuple)):
            out_list = PList(pos=pos_of(node))
            for e in node.elts:
                out_list.append(self.value(e, depth + 1))
                out_list.item_pos.append(pos_of(e))
            return out_list
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                else:
                    return UNKNOWN
            return "".join(parts)
        if isinstance(node, ast.Call):
            q = self.qual(node.func)
            if q == "dict":
                out = PDict(pos=pos_of(node))
                for kw in node.keywords:
                    if kw.arg:
                        out[kw.arg] = self.value(kw.value, depth + 1)
                        out.key_pos[kw.arg] = pos_of(kw)
                        out.val_pos[kw.arg] = pos_of(kw.value)
                return out
            return Expr(q, node, node)
        if isinstance(node, ast.Attribute):
            return Expr(self.qual(node), node)
        return UNKNOWN

    def kwargs(self, call: ast.Call) -> dict[str, tuple[ast.AST, ast.AST]]:
        """keyword -> (keyword node for its position, value node), through `**{...}` and `**opts`."""
        out: dict[str, tuple[ast.AST, ast.AST]] = {}
        for kw in call.keywords:
            if kw.arg is not None:
                out[kw.arg] = (kw, kw.value)
                continue
            mapping = self.follow(kw.value)
            if isinstance(mapping, ast.Dict):
                for k, v in zip(mapping.keys, mapping.values):
                    if isinstance(k, ast.Constant) and isinstance(k.value, str):
                        out[k.value] = (k, v)
            elif isinstance(mapping, ast.Call) and self.qual(mapping.func) == "dict":
                for inner in mapping.keywords:
                    if inner.arg:
                        out[inner.arg] = (inner, inner.value)
        return out

    def arg(self, call: ast.Call, index: int, name: str) -> ast.AST | None:
        if len(call.args) > index:
            return call.args[index]
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
        return None

    # --- resources ------------------------------------------------------------------------------------------
    def construct_id(self, call: ast.Call, fallback: str) -> str:
        node = self.arg(call, 1, "id")
        value = self.value(node) if node is not None else None
        if isinstance(value, str):
            base = value
        else:
            base = f"{fallback}@{call.lineno}"
        n = self.counter.get(base, 0)
        self.counter[base] = n + 1
        return base if n == 0 else f"{base}{n + 1}"

    def add(self, rtype: str, logical_id: str, call: ast.AST, props: PDict, **learned: Any) -> Resource:
        """Add a resource; `learned`: Resource fields the front end knows (code_dir, inline_node, default_auth)."""
        node = PDict({"Type": rtype, "Properties": props}, pos=pos_of(call))
        r = Resource(logical_id, rtype, props, node, pos_of(call), self.template, **learned)
        self.template.resources[logical_id] = r
        self.by_call.setdefault(id(call), r)
        return r


def enum_member(value: Any) -> str | None:
    """`aws_cdk.aws_s3.BucketEncryption.S3_MANAGED` -> "S3_MANAGED" (also for factory calls: the method name)."""
    if isinstance(value, Expr) and value.qual:
        return value.qual.rsplit(".", 1)[-1]
    return None


def setp(props: PDict, key: str, value: Any, kw: ast.AST | None, value_node: ast.AST | None = None) -> None:
    props[key] = value
    if kw is not None:
        props.key_pos[key] = pos_of(kw)
        props.val_pos[key] = pos_of(value_node if value_node is not None else kw)


def sub(pos_node: ast.AST, **items: Any) -> PDict:
    out = PDict(pos=pos_of(pos_node))
    for k, v in items.items():
        out[k] = v
        out.key_pos[k] = out.val_pos[k] = pos_of(pos_node)
    return out
