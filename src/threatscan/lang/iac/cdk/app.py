"""Constructor arguments across a CDK app: a construct made in one file and handed to a construct class defined in
the same or another file (`OrdersService(self, "Orders", role=shared, logs=log_bucket)`) is followed into that
class's `__init__`, so `role=role` there names the caller's `shared` role.

prepare indexes every CDK file of the repository: the construct classes it defines (top-level classes with an
`__init__`), and every call of such a class, resolved through the app's own imports (`from .service import
OrdersService`, `from app import service` + `service.OrdersService`, absolute module paths). Each argument is
described by where its construct is made: `FILE#ConstructId@LINE` for a CDK construct call with a literal id (found
through local variables and `self.x = ...` attributes), or the caller's own constructor parameter, followed up the
chain. A parameter is followed only when every call of the class in the repository passes the same construct;
otherwise (or with no call at all) it stays unknown, as before. Nothing is imported or run.
"""

from __future__ import annotations

import ast
from types import SimpleNamespace
from typing import Iterable, Optional, Union

from ...python.module import FunctionNode, PyModule
from .constructs import cdk_class, imported_name

# A descriptor: "FILE#ConstructId@LINE" (a construct), or ("param", FILE, CLASS, NAME) until the chain is resolved.
Described = Optional[Union[str, tuple]]

# The index this module builds (engines' Facts.cdk_ctor_args): {file: {class: {parameter: "FILE#ConstructId@LINE"}}}


def construct_key(rel: str, construct_id: str, line: int) -> str:
    """How a construct is named across files: its file, construct id and line (two stacks of one file may both
    have a `ServiceRole`)."""
    return f"{rel}#{construct_id}@{line}"


def module_names(rel: str) -> list[str]:
    """`infra/app/service.py` -> `infra.app.service`, `app.service`, `service` (every import path that may name it)."""
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i:]]


def _init_of(cls: ast.ClassDef) -> ast.FunctionDef | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
            return stmt
    return None


def _params(init: ast.FunctionDef) -> tuple[list[str], set[str]]:
    """(positional parameter names after `self`, every named parameter)."""
    positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args]][1:]
    return positional, set(positional) | {a.arg for a in init.args.kwonlyargs}


class _App:
    def __init__(self, modules: dict[str, PyModule]):
        self.modules = modules
        self.classes: dict[tuple[str, str], ast.FunctionDef] = {}
        self.init_class: dict[int, tuple[str, str]] = {}  # id(__init__) -> (file, class)
        by_module: dict[str, set[str]] = {}
        for rel, module in modules.items():
            for stmt in module.tree.body:
                if isinstance(stmt, ast.ClassDef):
                    init = _init_of(stmt)
                    if init is not None:
                        self.classes[(rel, stmt.name)] = init
                        self.init_class[id(init)] = (rel, stmt.name)
            for name in module_names(rel):
                by_module.setdefault(name, set()).add(rel)
        self.by_module = {name: next(iter(rels)) for name, rels in by_module.items() if len(rels) == 1}
        self.names = {name for _, name in self.classes}

    def class_of(self, rel: str, module: PyModule, func: ast.AST) -> tuple[str, str] | None:
        """The app's construct class a call's callee names, or None."""
        last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if last not in self.names:
            return None
        if isinstance(func, ast.Name) and (rel, func.id) in self.classes and \
                all(not isinstance(v, (ast.Import, ast.ImportFrom)) for v in module.bindings(module.tree).get(func.id, [])):
            return rel, func.id
        dotted = imported_name(SimpleNamespace(rel=rel, module=module), func)
        if not dotted or "." not in dotted:
            return None
        where, _, name = dotted.rpartition(".")
        target = self.by_module.get(where)
        return (target, name) if target is not None and (target, name) in self.classes else None

    def describe(self, rel: str, module: PyModule, node: ast.AST, scope: ast.AST | None, depth: int = 0) -> Described:
        if depth > 4:
            return None
        target = module.follow(node, scope)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            bound = self._self_attribute(module, scope, target.attr)
            return self.describe(rel, module, bound[0], bound[1], depth + 1) if bound else None
        if isinstance(target, ast.Call) and cdk_class(module.names.qualname(target.func)
                                                      if isinstance(target.func, (ast.Name, ast.Attribute)) else None):
            cid = target.args[1] if len(target.args) > 1 else next((k.value for k in target.keywords if k.arg == "id"), None)
            if isinstance(cid, ast.Constant) and isinstance(cid.value, str):
                return construct_key(rel, cid.value, target.lineno)
            return None
        if isinstance(target, ast.Name) and scope is not None and id(scope) in self.init_class and \
                module.bindings(scope).get(target.id) == [None]:
            owner_rel, owner = self.init_class[id(scope)]
            return ("param", owner_rel, owner, target.id)
        return None

    def _self_attribute(self, module: PyModule, scope: ast.AST | None, attr: str) -> tuple[ast.AST, ast.AST] | None:
        """`self.attr = value` assigned once in the class whose method `scope` is: (value, the method)."""
        cls = next((c for c in module.tree.body if isinstance(c, ast.ClassDef) and scope is not None
                    and any(m is scope for m in c.body)), None)
        if cls is None:
            return None
        found = []
        for method in cls.body:
            if not isinstance(method, FunctionNode):
                continue
            for node in ast.walk(method):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    t = node.targets[0]
                    if isinstance(t, ast.Attribute) and t.attr == attr and isinstance(t.value, ast.Name) and t.value.id == "self":
                        found.append((node.value, method))
        return found[0] if len(found) == 1 else None


def _calls(tree: ast.Module) -> Iterable[tuple[ast.Call, ast.AST | None]]:
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, ast.Call):
            yield node, scope
        inner = node if isinstance(node, FunctionNode) else scope
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def index_constructor_arguments(modules: dict[str, PyModule]) -> dict[str, dict[str, dict[str, str]]]:
    """{file: {class: {parameter: "FILE#ConstructId@LINE"}}} for every parameter all of whose calls pass one
    construct."""
    app = _App(modules)
    seen: dict[tuple[str, str], dict[str, list[Described]]] = {}
    for rel, module in modules.items():
        for call, scope in _calls(module.tree):
            target = app.class_of(rel, module, call.func)
            if target is None:
                continue
            positional, named = _params(app.classes[target])
            args = seen.setdefault(target, {})
            bound: dict[str, ast.AST] = {}
            for i, arg in enumerate(call.args):
                if isinstance(arg, ast.Starred):
                    break
                if i < len(positional):
                    bound[positional[i]] = arg
            for kw in call.keywords:
                if kw.arg in named:
                    bound[kw.arg] = kw.value
            for param in named:
                args.setdefault(param, []).append(app.describe(rel, module, bound[param], scope) if param in bound else None)
    resolved: dict[tuple[str, str], dict[str, str]] = {}
    for _ in range(5):  # a construct handed down a chain of constructors
        changed = False
        for target, params in seen.items():
            for param, described in params.items():
                concrete = {_resolve(d, resolved) for d in described}
                if len(concrete) == 1 and isinstance(next(iter(concrete)), str):
                    value = next(iter(concrete))
                    if resolved.setdefault(target, {}).get(param) != value:
                        resolved[target][param] = value
                        changed = True
        if not changed:
            break
    out: dict[str, dict[str, dict[str, str]]] = {}
    for (rel, cls), params in resolved.items():
        out.setdefault(rel, {})[cls] = params
    return out


def _resolve(d: Described, resolved: dict[tuple[str, str], dict[str, str]]) -> Described:
    if isinstance(d, tuple):
        _, rel, cls, param = d
        return resolved.get((rel, cls), {}).get(param)
    return d


def passed_parameters(module: PyModule, rel: str, index: dict) -> dict[int, dict[str, str]]:
    """id(__init__) -> {parameter: "FILE#ConstructId@LINE"} for the construct classes of one file."""
    classes = index.get(rel) or {}
    out: dict[int, dict[str, str]] = {}
    for stmt in module.tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name in classes:
            init = _init_of(stmt)
            if init is not None:
                out[id(init)] = classes[stmt.name]
    return out
