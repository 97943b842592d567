"""Request-body models (pydantic `BaseModel`, FastAPI's body parameters): which of a model's fields cannot carry
attacker text that matters to a sink family. A field declared as a number, a UUID, a date, a boolean, an `Enum`
or a `Literal` of constants is clean for every family; a text field whose declared regular expression (`constr`,
`Field(regex=/pattern=)`, `StringConstraints(pattern=)`, or a validator that raises unless the value matches one)
admits only letters, digits, `_`, `-` (and `.`) is clean for every family but paths when it admits `.` (`..` is
a parent directory). Any other field, and a validator the analysis cannot read, leaves the value as it is."""

from __future__ import annotations

import ast
from typing import Any

from .shapes import regex_families
from .spec import ALL

# annotations whose values are never text
_SCALARS = frozenset({
    "int", "float", "bool", "complex", "UUID", "UUID1", "UUID3", "UUID4", "UUID5", "date", "datetime", "time",
    "timedelta", "Decimal", "PositiveInt", "NegativeInt", "NonNegativeInt", "NonPositiveInt", "PositiveFloat",
    "NegativeFloat", "NonNegativeFloat", "NonPositiveFloat", "StrictInt", "StrictFloat", "StrictBool",
    "PastDate", "FutureDate", "AwareDatetime", "NaiveDatetime", "PastDatetime", "FutureDatetime", "None",
})
_SCALAR_CALLS = frozenset({"conint", "confloat", "condecimal", "condate"})
_CONTAINERS = frozenset({"Optional", "Union", "List", "list", "Set", "set", "FrozenSet", "frozenset", "Tuple",
                         "tuple", "Sequence", "conlist", "conset"})
_MODEL_BASES = frozenset({"BaseModel", "SQLModel", "BaseSettings"})
_ALL = frozenset({ALL})

# the module a model is written in (a DataflowModule): `model_class(name)` -> (the module defining the class that
# name means there, its ClassDef) or None; `model_consts()` -> its module-level assignments (name -> value)
Resolver = Any


def _short(node: ast.AST | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def is_model(cls: ast.ClassDef, resolve: Resolver, depth: int = 0) -> bool:
    """A pydantic model: a class deriving from `BaseModel` (or `SQLModel`), directly or through classes found."""
    for base in cls.bases:
        if _short(base) in _MODEL_BASES:
            return True
        found = resolve.model_class(_short(base)) if depth < 3 and isinstance(base, ast.Name) else None
        if found is not None and is_model(found[1], found[0], depth + 1):
            return True
    return False


def _is_enum(cls: ast.ClassDef) -> bool:
    return any(_short(b).endswith("Enum") or _short(b) == "Flag" for b in cls.bases)


def _const_str(node: ast.AST | None, consts: dict[str, ast.AST]) -> str | None:
    if isinstance(node, ast.Name) and node.id in consts:
        node = consts[node.id]
    if isinstance(node, ast.Call) and _short(node.func) == "compile" and node.args:
        node = node.args[0]
        if isinstance(node, ast.Name) and node.id in consts:
            node = consts[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _regex_keyword(call: ast.Call, consts: dict[str, ast.AST]) -> frozenset[str] | None:
    """`constr(regex=...)`, `Field(pattern=...)`, `StringConstraints(pattern=...)`: None when no pattern is given."""
    for kw in call.keywords:
        if kw.arg in ("regex", "pattern"):
            text = _const_str(kw.value, consts)
            return regex_families(text) if text is not None else frozenset()
    return None


def _type_families(ann: ast.AST | None, resolve: Resolver, consts: dict[str, ast.AST], depth: int = 0
                   ) -> frozenset[str]:
    if ann is None or depth > 4:
        return frozenset()
    if isinstance(ann, ast.Constant) and ann.value is None:
        return _ALL
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # `int | None`
        return _type_families(ann.left, resolve, consts, depth + 1) & _type_families(ann.right, resolve, consts,
                                                                                      depth + 1)
    if isinstance(ann, ast.Call):
        name = _short(ann.func)
        if name in _SCALAR_CALLS:
            return _ALL
        if name == "constr":
            return _regex_keyword(ann, consts) or frozenset()
        return frozenset()
    if isinstance(ann, ast.Subscript):
        outer = _short(ann.value)
        args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if outer == "Literal":
            return _ALL if all(isinstance(a, ast.Constant) for a in args) else frozenset()
        if outer == "Annotated" and args:
            base = _type_families(args[0], resolve, consts, depth + 1)
            for extra in args[1:]:
                if isinstance(extra, ast.Call) and _short(extra.func) in ("StringConstraints", "Field", "constr"):
                    found = _regex_keyword(extra, consts)
                    if found is not None:
                        base = base | found
            return base
        if outer in _CONTAINERS:
            items = [a for a in args if not (isinstance(a, ast.Constant) and a.value is Ellipsis)]
            out = _ALL
            for a in items:
                out = out & _type_families(a, resolve, consts, depth + 1)
            return out if items else frozenset()
        return frozenset()
    if isinstance(ann, (ast.Name, ast.Attribute)):
        name = _short(ann)
        if name in _SCALARS:
            return _ALL
        found = resolve.model_class(name) if isinstance(ann, ast.Name) else None
        if found is not None and _is_enum(found[1]):
            return _ALL
    return frozenset()


def _validator_families(fn: ast.AST, consts: dict[str, ast.AST]) -> frozenset[str]:
    """A validator whose body starts by raising unless its value matches a regular expression the analysis
    reads (`if not re.match(P, v): raise ValueError(...)`, `if P_RE.fullmatch(v) is None: raise ...`)."""
    args = [*fn.args.posonlyargs, *fn.args.args]  # type: ignore[attr-defined]
    if len(args) < 2:
        return frozenset()
    value = args[1].arg
    out: frozenset[str] = frozenset()
    for stmt in fn.body:  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Return):
            break
        if not (isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Raise)):
            continue
        test, call = stmt.test, None
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            call = test.operand
        elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            call = test.left
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        method = call.func.attr
        if method not in ("match", "fullmatch", "search"):
            continue
        if isinstance(call.func.value, ast.Name) and call.func.value.id == "re" and len(call.args) >= 2:
            pattern, target = _const_str(call.args[0], consts), call.args[1]
        elif call.args:
            pattern, target = _const_str(call.func.value, consts), call.args[0]
        else:
            continue
        if pattern is None or not (isinstance(target, ast.Name) and target.id == value):
            continue
        out = out | regex_families(pattern, full=method == "fullmatch", start=method == "match")
    return out


def _validated(deco: ast.AST) -> list[str] | None:
    """The fields a `@validator("a", "b")` / `@field_validator("a")` decorator names (None: no such decorator)."""
    if isinstance(deco, ast.Call) and _short(deco.func) in ("validator", "field_validator"):
        return [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return None


def model_fields(cls: ast.ClassDef, resolve: Resolver, depth: int = 0) -> dict[str, frozenset[str]]:
    """field name -> the sink families its value is clean for (only fields clean for some family), base models'
    fields included."""
    out: dict[str, frozenset[str]] = {}
    for base in cls.bases:
        found = resolve.model_class(base.id) if depth < 3 and isinstance(base, ast.Name) else None
        if found is not None and is_model(found[1], found[0]):
            out.update(model_fields(found[1], found[0], depth + 1))
    consts = resolve.model_consts()
    declared: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            declared.add(name)
            fams = _type_families(stmt.annotation, resolve, consts)
            if isinstance(stmt.value, ast.Call) and _short(stmt.value.func) == "Field":
                fams = fams | (_regex_keyword(stmt.value, consts) or frozenset())
            if fams:
                out[name] = fams
            else:
                out.pop(name, None)
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in stmt.decorator_list:
                names = _validated(deco)
                if not names:
                    continue
                fams = _validator_families(stmt, consts)
                if not fams:
                    continue
                for name in (declared if "*" in names else names):
                    out[name] = out.get(name, frozenset()) | fams
    return {k: v for k, v in out.items() if v}
