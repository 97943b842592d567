"""Request-body models (pydantic `BaseModel`, FastAPI's body parameters): which of a model's fields cannot carry
attacker text that matters to a sink family. A field declared as a number, a UUID, a date, a boolean, an `Enum`
or a `Literal` of constants is clean for every family; a text field whose declared regular expression (`constr`,
`Field(regex=/pattern=)`, `StringConstraints(pattern=)`, or a validator that raises unless the value matches one)
admits only letters, digits, `_`, `-` (and `.`) is clean for every family but paths when it admits `.` (`..` is
a parent directory). Any other field, and a validator the analysis cannot read, leaves the value as it is."""

from __future__ import annotations

import ast
from typing import Any

from .shapes import SAFE_CHARS, regex_families
from .spec import ALL, FAMILIES

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
_NOT_PATH = frozenset(FAMILIES - {"path"})

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


# What an ORM model class derives from: SQLAlchemy's `DeclarativeBase` (or a `Base = declarative_base()`),
# Flask-SQLAlchemy's `db.Model`, Django's `models.Model`
_ORM_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta", "Model"})


def is_orm_model(cls: ast.ClassDef, resolve: Resolver, depth: int = 0) -> bool:
    """An ORM model: built from keyword arguments, each attribute named by one holds it, and one no argument
    names holds its default or what the database assigns (openrelik §3x's `Folder(display_name=..., uuid=...)`,
    whose `path` property reads only the uuid)."""
    for base in cls.bases:
        short = _short(base)
        if short in _ORM_BASES:
            return True
        if depth >= 3 or not isinstance(base, ast.Name):
            continue
        alias = resolve.model_alias(base.id)
        if alias is not None and isinstance(alias[1], ast.Call) and _short(alias[1].func) == "declarative_base":
            return True
        found = resolve.model_class(base.id)
        if found is not None and is_orm_model(found[1], found[0], depth + 1):
            return True
    return False


def _is_enum(cls: ast.ClassDef) -> bool:
    return any(_short(b).endswith("Enum") or _short(b) == "Flag" for b in cls.bases)


def _const_str(node: ast.AST | None, resolve: Resolver, depth: int = 0) -> tuple[str | None, bool]:
    """The text of a pattern written as a literal, a module constant (of this module or imported from a repository
    module) or `re.compile(...)` of one, and whether it was compiled with `re.MULTILINE` (whose `^`/`$` match at
    every line: no anchor at all)."""
    if depth > 3:
        return None, False
    if isinstance(node, ast.Name):
        found = resolve.model_alias(node.id)
        if found is None:
            return None, False
        return _const_str(found[1], found[0], depth + 1)
    if isinstance(node, ast.Call) and _short(node.func) == "compile" and node.args:
        text, multi = _const_str(node.args[0], resolve, depth + 1)
        return text, multi or _multiline([*node.args[1:], *(k.value for k in node.keywords if k.arg == "flags")])
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, False
    return None, False


def _multiline(flags: list[ast.AST]) -> bool:
    return any(isinstance(n, (ast.Name, ast.Attribute)) and _short(n) in ("M", "MULTILINE")
               for f in flags for n in ast.walk(f))


def _regex_keyword(call: ast.Call, resolve: Resolver) -> frozenset[str] | None:
    """`constr(regex=...)`, `Field(pattern=...)`, `StringConstraints(pattern=...)`: None when no pattern is given."""
    for kw in call.keywords:
        if kw.arg in ("regex", "pattern"):
            text, multi = _const_str(kw.value, resolve)
            return regex_families(text) if text is not None and not multi else frozenset()
    return None


def _type_families(ann: ast.AST | None, resolve: Resolver, depth: int = 0) -> frozenset[str]:
    if ann is None or depth > 4:
        return frozenset()
    if isinstance(ann, ast.Constant) and ann.value is None:
        return _ALL
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str) and ann.value.isidentifier():
        return _type_families(ast.Name(ann.value), resolve, depth + 1)  # a forward reference, `"Colour"`
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # `int | None`
        return _type_families(ann.left, resolve, depth + 1) & _type_families(ann.right, resolve, depth + 1)
    if isinstance(ann, ast.Call):
        name = _short(ann.func)
        if name in _SCALAR_CALLS:
            return _ALL
        if name == "constr":
            return _regex_keyword(ann, resolve) or frozenset()
        return frozenset()
    if isinstance(ann, ast.Subscript):
        outer = _short(ann.value)
        args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if outer == "Literal":
            return _ALL if all(isinstance(a, ast.Constant) for a in args) else frozenset()
        if outer == "Annotated" and args:
            base = _type_families(args[0], resolve, depth + 1)
            checks: frozenset[str] = frozenset()
            for extra in args[1:]:
                if isinstance(extra, ast.Call) and _short(extra.func) in _CONSTRAINTS:
                    found = _regex_keyword(extra, resolve)
                    if found is not None:
                        base = base | found
                elif isinstance(extra, ast.Call) and _short(extra.func) in _FUNCTIONAL and extra.args:
                    # `AfterValidator(check)`: a function raising unless the value has a shape
                    helper = resolve.model_function(extra.args[0])
                    if helper is None:
                        continue
                    fams, keeps = _raise_guards(helper[1], 0, helper[0], depth)
                    if not keeps and _short(extra.func) != "BeforeValidator":
                        return frozenset()  # it returns another value: neither the type nor a check describes it
                    checks = checks | fams
            return base | checks
        if outer in _CONTAINERS:
            items = [a for a in args if not (isinstance(a, ast.Constant) and a.value is Ellipsis)]
            out = _ALL
            for a in items:
                out = out & _type_families(a, resolve, depth + 1)
            return out if items else frozenset()
        return frozenset()
    if isinstance(ann, (ast.Name, ast.Attribute)):
        name = _short(ann)
        if name in _SCALARS:
            return _ALL
        found = resolve.model_class(name) if isinstance(ann, ast.Name) else None
        if found is not None:
            return _ALL if _is_enum(found[1]) else frozenset()
        alias = resolve.model_alias(name) if isinstance(ann, ast.Name) else None
        if alias is not None:  # `Slug = Annotated[str, StringConstraints(pattern=...)]`, `Name = constr(...)`
            return _type_families(alias[1], alias[0], depth + 1)
    return frozenset()


_FUNCTIONAL = frozenset({"AfterValidator", "BeforeValidator"})
# what declares a pattern: pydantic's, and FastAPI's parameter declarations
_CONSTRAINTS = frozenset({"StringConstraints", "Field", "constr", "Query", "Path", "Body", "Form", "Header",
                          "Cookie"})


def parameter_families(ann: ast.AST | None, default: ast.AST | None, resolve: Resolver) -> frozenset[str]:
    """A FastAPI route parameter validated by its declaration: its type (`int`, an `Enum`, a `Literal`, a
    constrained alias) or the pattern of its `Query(pattern=...)`/`Path(regex=...)` default."""
    fams = _type_families(ann, resolve)
    if isinstance(default, ast.Call) and _short(default.func) in _CONSTRAINTS:
        fams = fams | (_regex_keyword(default, resolve) or frozenset())
    return fams
# holders of one model: `Optional[Meta]`, `list[Meta]`, `Meta | None`, `Annotated[Meta, ...]`
_HOLDERS = frozenset({"Optional", "Union", "List", "list", "Sequence", "Set", "set", "FrozenSet", "frozenset",
                      "Tuple", "tuple", "Annotated", "conlist", "conset"})
# mappings whose values are models (`dict[str, Meta]`): the keys are text of their own, the values the model
_MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict", "defaultdict"})


def held_model(ann: ast.AST | None, depth: int = 0) -> str | None:
    """The name of the model a body annotation holds: `Meta`, `list[Meta]`, `Optional[Meta]`, `Annotated[Meta,
    ...]`, `dict[str, Meta]` (the values of a mapping); None for any other shape."""
    while isinstance(ann, ast.Subscript) and depth < 4:
        outer = _short(ann.value)
        elts = list(ann.slice.elts) if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if outer in _MAPPINGS and len(elts) == 2:
            ann = elts[1]
        elif outer in ("Annotated", "Optional", "List", "list", "Sequence") and elts:
            ann = elts[0]
        else:
            return None
        depth += 1
    return ann.id if isinstance(ann, ast.Name) else None


def _nested_model(ann: ast.AST | None, resolve: Resolver, depth: int = 0) -> tuple[Any, ast.ClassDef] | None:
    """The model a field holds (alone, in an optional or in a list): `meta: Meta`, `items: list[Item]`."""
    if ann is None or depth > 3:
        return None
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str) and ann.value.isidentifier():
        ann = ast.Name(ann.value)
    if isinstance(ann, ast.Name):
        found = resolve.model_class(ann.id)
        return found if found is not None and not _is_enum(found[1]) and is_model(found[1], found[0]) else None
    parts: list[ast.AST] = []
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        parts = [ann.left, ann.right]
    elif isinstance(ann, ast.Subscript) and _short(ann.value) in _HOLDERS:
        parts = list(ann.slice.elts) if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if _short(ann.value) == "Annotated":
            parts = parts[:1]
    elif isinstance(ann, ast.Subscript) and _short(ann.value) in _MAPPINGS and isinstance(ann.slice, ast.Tuple) \
            and len(ann.slice.elts) == 2:
        parts = [ann.slice.elts[1]]  # `dict[str, Meta]`: `metas["k"].id` reads a Meta's field
    models = []
    for part in parts:
        if isinstance(part, ast.Constant) and part.value in (None, Ellipsis) or _short(part) == "None":
            continue
        found = _nested_model(part, resolve, depth + 1)
        if found is None:
            return None  # `Union[Meta, str]`: not one model
        models.append(found)
    return models[0] if len(models) == 1 else None


# --- validators -------------------------------------------------------------------------------------------------
# str methods true only of letters and digits (`_` for identifiers): no separator, dot, quote or space
_STR_SHAPES = frozenset({"isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric", "isidentifier"})
# str methods whose result holds only characters of the value (what a validator may return instead of it)
_SHRINKS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "casefold"})
_MAX_HELPERS = 3


def _const_families(text: str) -> frozenset[str]:
    """An allowed constant: clean for every family when it is letters, digits, `_`, `-` and `.`, not paths if it
    holds `..`."""
    if not text or not set(text) <= SAFE_CHARS:
        return frozenset()
    return _NOT_PATH if ".." in text or text == "." else _ALL


def _allowed_constants(node: ast.AST, resolve: Resolver) -> frozenset[str]:
    """`v in ("a", "b")`, `v in ALLOWED` (a module constant): what the value is then one of."""
    if isinstance(node, ast.Name):
        found = resolve.model_alias(node.id)
        if found is None:
            return frozenset()
        node, resolve = found[1], found[0]
    if isinstance(node, ast.Call) and _short(node.func) in ("frozenset", "set", "tuple", "list") and \
            len(node.args) == 1:
        node = node.args[0]
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not node.elts:
        return frozenset()
    out = _ALL
    for e in node.elts:
        if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
            return frozenset()
        out = out & _const_families(e.value)
    return out


def _is_value(node: ast.AST | None, value: str) -> bool:
    return isinstance(node, ast.Name) and node.id == value


def _truth(test: ast.AST | None, value: str, want: bool, resolve: Resolver, depth: int) -> frozenset[str]:
    """The sink families the text `value` (a parameter's name) is clean for once `test` evaluated to `want`:
    `re.fullmatch(P, v)`, `P.match(v) is not None`, `bool(...)`, `v.isidentifier()`, `v in ALLOWED`, `not`,
    `and`/`or`, and a call of a function of the repository deciding the same (`is_snake_case(v)`), followed."""
    if test is None:
        return frozenset()
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _truth(test.operand, value, not want, resolve, depth)
    if isinstance(test, ast.BoolOp):
        parts = [_truth(v, value, want, resolve, depth) for v in test.values]
        if isinstance(test.op, ast.And) == want:  # every part held (`a and b` true, `a or b` false)
            out: frozenset[str] = frozenset()
            for p in parts:
                out = out | p
            return out
        common = parts[0]
        for p in parts[1:]:
            common = common & p
        return common
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)) and _is_value(test.left, value):
            return _allowed_constants(right, resolve) if want == isinstance(op, ast.In) else frozenset()
        if isinstance(op, (ast.Eq, ast.NotEq)) and _is_value(test.left, value) and want == isinstance(op, ast.Eq) \
                and isinstance(right, ast.Constant) and isinstance(right.value, str):
            return _const_families(right.value)
        if isinstance(right, ast.Constant) and isinstance(right.value, bool) and isinstance(test.left, ast.Call) \
                and _short(test.left.func) in ("match", "fullmatch", "search"):
            return frozenset()  # (a match is never `False`: `if re.match(P, v) is False: raise` never raises)
        if isinstance(right, ast.Constant) and (right.value is None or isinstance(right.value, bool)):
            positive = isinstance(op, (ast.IsNot, ast.NotEq)) if right.value is None else \
                (isinstance(op, (ast.Is, ast.Eq)) == right.value)
            if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
                return _truth(test.left, value, want == positive, resolve, depth)
        return frozenset()
    if not isinstance(test, ast.Call):
        return frozenset()
    func = test.func
    if _short(func) == "bool" and isinstance(func, ast.Name) and len(test.args) == 1:
        return _truth(test.args[0], value, want, resolve, depth)
    if isinstance(func, ast.Attribute) and func.attr in _STR_SHAPES and not test.args and _is_value(func.value, value):
        return _ALL if want else frozenset()
    if isinstance(func, ast.Attribute) and func.attr in ("match", "fullmatch", "search"):
        if not want:
            return frozenset()
        flags: list[ast.AST] = [k.value for k in test.keywords if k.arg == "flags"]
        if isinstance(func.value, ast.Name) and func.value.id == "re" and len(test.args) >= 2:
            (pattern, multi), target = _const_str(test.args[0], resolve), test.args[1]
            flags += test.args[2:]
        elif test.args:
            (pattern, multi), target = _const_str(func.value, resolve), test.args[0]
        else:
            return frozenset()
        if pattern is None or multi or _multiline(flags) or not _is_value(target, value):
            return frozenset()
        return regex_families(pattern, full=func.attr == "fullmatch", start=func.attr == "match")
    # a helper deciding the shape: `is_snake_case(v)`, in this module or imported from a repository module
    where = [i for i, a in enumerate(test.args) if _is_value(a, value)]
    if len(where) != 1 or depth >= _MAX_HELPERS or any(isinstance(a, ast.Starred) for a in test.args):
        return frozenset()
    helper = resolve.model_function(func)
    if helper is None:
        return frozenset()
    return _returns_when(helper[1], where[0], want, helper[0], depth + 1)


def _body(fn: ast.AST) -> list[ast.stmt]:
    body = list(fn.body)  # type: ignore[attr-defined]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body


def _param(fn: ast.AST, index: int) -> str | None:
    args = fn.args  # type: ignore[attr-defined]
    params = [*args.posonlyargs, *args.args]
    return params[index].arg if index < len(params) else None


def _touches(stmt: ast.stmt, value: str) -> bool:
    """A statement that returns, yields or rebinds `value`: what follows it no longer speaks of every value."""
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.Name,)) and node.id == value and isinstance(node.ctx, (ast.Store, ast.Del)):
            return True
    return False


def _raising_if(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and not stmt.orelse and bool(stmt.body) and isinstance(stmt.body[-1], ast.Raise) \
        and not any(_touches(s, "") for s in stmt.body[:-1])


def _returns_when(fn: ast.AST, index: int, want: bool, resolve: Resolver, depth: int) -> frozenset[str]:
    """The families the `index`-th argument of the function `fn` is clean for when `fn` returned something whose
    truth is `want` (every path returning such a value agrees): `return re.match(P, v) is not None`, or
    `if not P.fullmatch(v): return False` ... `return True`."""
    value = _param(fn, index)
    if value is None or isinstance(fn, ast.Lambda):
        return frozenset()
    ways: list[frozenset[str]] = []
    held: frozenset[str] = frozenset()
    for stmt in _body(fn):
        if isinstance(stmt, ast.Return):
            r = stmt.value
            if r is None or isinstance(r, ast.Constant):
                if bool(r.value if r is not None else None) == want:
                    ways.append(held)
            else:
                ways.append(held | _truth(r, value, want, resolve, depth))
            break
        if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return):
            r = stmt.body[0].value
            if r is None or isinstance(r, ast.Constant):
                if bool(r.value if r is not None else None) == want:
                    ways.append(held | _truth(stmt.test, value, True, resolve, depth))
            else:
                ways.append(held | _truth(stmt.test, value, True, resolve, depth) | _truth(r, value, want, resolve, depth))
            held = held | _truth(stmt.test, value, False, resolve, depth)
            continue
        if _raising_if(stmt):
            held = held | _truth(stmt.test, value, False, resolve, depth)  # type: ignore[attr-defined]
            continue
        if _touches(stmt, value):
            return frozenset()
    else:
        if not want:  # it ends without a return: None
            ways.append(held)
    if not ways:
        return frozenset()
    out = ways[0]
    for w in ways[1:]:
        out = out & w
    return out


def _empty_guard(stmt: ast.stmt, value: str) -> bool:
    """`if not v: return v` / `if v is None: return None`: an empty value let through is harmless."""
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Return)):
        return False
    test, r = stmt.test, stmt.body[0].value
    empty = (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_value(test.operand, value)) or \
        (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq))
         and _is_value(test.left, value) and isinstance(test.comparators[0], ast.Constant)
         and test.comparators[0].value in (None, ""))
    return empty and (r is None or _is_value(r, value) or (isinstance(r, ast.Constant) and r.value in (None, "")))


def _kept(node: ast.AST | None, value: str) -> bool:
    """What a validator returns is its value (or the value stripped or case-folded: no new character)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SHRINKS \
            and not node.args:
        node = node.func.value
    return _is_value(node, value)


def _raise_guards(fn: ast.AST, index: int, resolve: Resolver, depth: int) -> tuple[frozenset[str], bool]:
    """A validator (or a checking function it calls on its value, `ensure_slug(v)`): the families its `index`-th
    argument is clean for once it returned, from the `if <test>: raise ...` statements before anything else can
    return, and whether every `return` gives the value back (else it is a new value, which no check describes)."""
    value = _param(fn, index)
    if value is None or isinstance(fn, ast.Lambda):
        return frozenset(), False
    held: frozenset[str] = frozenset()
    guarding = True
    keeps = True
    for stmt in _body(fn):
        if guarding and _raising_if(stmt):
            held = held | _truth(stmt.test, value, False, resolve, depth)  # type: ignore[attr-defined]
            continue
        if guarding and _empty_guard(stmt, value):
            continue
        if guarding and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and depth < _MAX_HELPERS:
            call = stmt.value
            where = [i for i, a in enumerate(call.args) if _is_value(a, value)]
            helper = resolve.model_function(call.func) if len(where) == 1 else None
            if helper is not None:
                fams, _ = _raise_guards(helper[1], where[0], helper[0], depth + 1)
                held = held | fams
            continue
        if guarding and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _is_value(stmt.targets[0], value) \
                and _kept(stmt.value, value):
            continue  # `v = v.strip()`: what was checked still holds
        for node in ast.walk(stmt):
            if isinstance(node, ast.Return) and not _kept(node.value, value) and not (
                    node.value is None or isinstance(node.value, ast.Constant) and node.value.value in (None, "")):
                keeps = False
        if isinstance(stmt, ast.Return) or _touches(stmt, value):
            guarding = False  # (a check after an early return, or after the value changed, holds for some values)
    return held, keeps


def _validated(deco: ast.AST) -> tuple[list[str], bool] | None:
    """The fields a `@validator("a", "b")` / `@field_validator("a")` decorator names, and whether it runs before the
    type's own validation (`pre=True`, `mode="before"`), None: no such decorator."""
    if isinstance(deco, ast.Call) and _short(deco.func) in ("validator", "field_validator"):
        before = any((k.arg == "pre" and isinstance(k.value, ast.Constant) and k.value.value is True) or
                     (k.arg == "mode" and isinstance(k.value, ast.Constant) and k.value.value == "before")
                     for k in deco.keywords)
        return [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)], before
    return None


def _validators(stmt: ast.stmt, resolve: Resolver):
    """The field validators a statement of a model's body declares: ((field names, before), (module, function),
    index of the value among the function's parameters) for a decorated method (`@field_validator("a")`, the value
    after `cls`) and for one assigned (`_ok = field_validator("a")(check)`, pydantic 1's `validator("a",
    allow_reuse=True)(check)`: a function of this or a repository module, the value its first parameter, or its
    second after `cls`)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for deco in stmt.decorator_list:
            seen = _validated(deco)
            if seen is not None and seen[0]:
                yield seen, (resolve, stmt), 1
        return
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
    if not (isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords):
        return
    seen = _validated(value.func)
    target = value.args[0]
    if isinstance(target, ast.Call) and _short(target.func) in ("classmethod", "staticmethod") and target.args:
        target = target.args[0]
    fn = resolve.model_function(target) if seen is not None and seen[0] else None
    if fn is None or isinstance(fn[1], ast.Lambda) or not isinstance(fn[1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    params = [a.arg for a in [*fn[1].args.posonlyargs, *fn[1].args.args]]
    yield seen, fn, 1 if params[:1] == ["cls"] else 0


_NESTING = 2  # a model's models' models, no deeper
# the mark of a field whose validator returns a value of its own (`return secure_filename(v)`): what the field holds
# is that function's result, a step the analysis does not see through
TRANSFORMED = frozenset({"~validator"})


def model_fields(cls: ast.ClassDef, resolve: Resolver, depth: int = 0) -> dict[str, frozenset[str]]:
    """field name -> the sink families its value is clean for (only fields clean for some family), base models'
    fields included; a field holding another model (`meta: Meta`, `items: list[Item]`) gives that model's
    fields as `meta.id`, `items.id`."""
    memo = resolve.model_fields_memo if depth == 0 else None
    if memo is not None and id(cls) in memo:
        return memo[id(cls)]
    if memo is not None:
        memo[id(cls)] = {}  # (a model holding itself)
    out: dict[str, frozenset[str]] = {}
    for base in cls.bases:
        found = resolve.model_class(base.id) if depth < 3 and isinstance(base, ast.Name) else None
        if found is not None and is_model(found[1], found[0]):
            out.update(model_fields(found[1], found[0], depth + 1))
    declared: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            declared.add(name)
            for key in [k for k in out if k == name or k.startswith(name + ".")]:
                del out[key]
            fams = _type_families(stmt.annotation, resolve)
            if isinstance(stmt.value, ast.Call) and _short(stmt.value.func) == "Field":
                fams = fams | (_regex_keyword(stmt.value, resolve) or frozenset())
            if fams:
                out[name] = fams
            nested = _nested_model(stmt.annotation, resolve) if depth < _NESTING else None
            if nested is not None and nested[1] is not cls:
                for key, sub in model_fields(nested[1], nested[0], depth + 1).items():
                    out[f"{name}.{key}"] = sub
    for stmt in cls.body:
        for seen, fn, index in _validators(stmt, resolve):
            names, before = seen
            fams, keeps = _raise_guards(fn[1], index, fn[0], 0)
            for name in (declared if "*" in names else names):
                if not keeps:  # a validator returning another value: only a type applied after it holds
                    out[name] = out.get(name, frozenset()) if before else TRANSFORMED
                else:
                    out[name] = out.get(name, frozenset()) | fams
    result = {k: v for k, v in out.items() if v}
    if memo is not None:
        memo[id(cls)] = result
    return result


def default_field(cls: ast.ClassDef, resolve: Resolver, attr: str, depth: int = 0) -> bool:
    """`attr` is a field the model declares (here or in a base model) and no model-wide validator computes: an
    object built without it holds its default, the program's value."""
    if depth > 3:
        return False
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                _short(d.func if isinstance(d, ast.Call) else d) in ("model_validator", "root_validator")
                for d in stmt.decorator_list):
            return False
    if any(isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.target.id == attr
           for s in cls.body):
        return True
    for base in cls.bases:
        found = resolve.model_class(base.id) if isinstance(base, ast.Name) else None
        if found is not None and default_field(found[1], found[0], attr, depth + 1):
            return True
    return False
