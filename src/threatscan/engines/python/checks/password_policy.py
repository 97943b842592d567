"""Password length policy (rule PY530): Django's `AUTH_PASSWORD_VALIDATORS` without a MinimumLengthValidator, or with
a `min_length` below the threat model's `password-min-length` (default 8); Flask-Security's
`SECURITY_PASSWORD_LENGTH_MIN` below it."""

from __future__ import annotations

import ast

from ..context import PyContext
from ..registry import python_check
from ._web import is_test_path, report_review, settings_review

DJANGO_DEFAULT_MIN_LENGTH = 8  # MinimumLengthValidator's own default


def password_min_length(ctx: PyContext) -> int:
    value = ctx.scan.policy.password_min_length
    return int(value) if value is not None else 8


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


FLASK_SECURITY = "SECURITY_PASSWORD_LENGTH_MIN"


def _flask_security(node: ast.AST, ctx: PyContext) -> None:
    """`SECURITY_PASSWORD_LENGTH_MIN = 6` (a config module or class), `app.config["SECURITY_PASSWORD_LENGTH_MIN"] = 6`,
    `app.config.update(SECURITY_PASSWORD_LENGTH_MIN=6)`."""
    values = []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
        values = [kw.value for kw in node.keywords if kw.arg == FLASK_SECURITY]
    elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else \
                _literal(t.slice) if isinstance(t, ast.Subscript) else None
            if name == FLASK_SECURITY:
                values.append(node.value)
    minimum = password_min_length(ctx)
    for value in values:
        length = _literal(value)
        if isinstance(length, int) and not isinstance(length, bool) and length < minimum:
            ctx.report(node, f"Weak password policy: Flask-Security's `{FLASK_SECURITY}` is {length}, below the policy's "
                             f"password-min-length of {minimum}.")


@python_check("PY530", ast.Assign, ast.AnnAssign, ast.Call, raise_in_handler=False)
def django_password_validators(node: ast.AST, ctx: PyContext) -> None:
    if is_test_path(ctx.module.file.rel):
        return  # test settings relax validation on purpose
    _flask_security(node, ctx)
    if ctx.function is not None or isinstance(node, ast.Call):
        return  # Django settings are module-level
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not any(isinstance(t, ast.Name) and t.id == "AUTH_PASSWORD_VALIDATORS" for t in targets) or node.value is None:
        return
    if not isinstance(node.value, (ast.List, ast.Tuple)):
        return  # built at run time: its contents cannot be seen
    if not node.value.elts:
        return  # no validation configured at all: Django's own default (global_settings), not a length choice
    minimum = password_min_length(ctx)
    lengths = []
    custom = False
    for element in node.value.elts:
        if not isinstance(element, ast.Dict):
            return  # a validator the scan cannot read: say nothing
        entry = {(_literal(k) if k is not None else None): v for k, v in zip(element.keys, element.values)}
        name = _literal(entry["NAME"]) if "NAME" in entry else None
        if not isinstance(name, str):
            return
        if name.rsplit(".", 1)[-1] != "MinimumLengthValidator":
            if "Length" in name.rsplit(".", 1)[-1]:
                custom = True  # the project's own or a package's length validator (`CustomMinimumLengthValidator`)
            continue
        options = entry.get("OPTIONS")
        if options is None:
            lengths.append((DJANGO_DEFAULT_MIN_LENGTH, element))
            continue
        value = _literal(options)
        if not isinstance(value, dict):
            return
        length = value.get("min_length", DJANGO_DEFAULT_MIN_LENGTH)
        if not isinstance(length, int) or isinstance(length, bool):
            return
        lengths.append((length, element))
    review = settings_review(ctx, "AUTH_PASSWORD_VALIDATORS")
    report = (lambda where, message: report_review(ctx, where, message, review)) if review else ctx.report
    if not lengths and custom:
        return  # the length is checked by a validator whose minimum is not read here
    if not lengths:
        report(node, f"Weak password policy: `AUTH_PASSWORD_VALIDATORS` has no `MinimumLengthValidator`, so Django "
                     f"accepts passwords of any length; the policy's password-min-length is {minimum}.")
        return
    length, element = max(lengths, key=lambda item: item[0])
    if length < minimum:
        report(element, f"Weak password policy: Django's `MinimumLengthValidator` accepts passwords of {length} "
                        f"characters, below the policy's password-min-length of {minimum}.")
