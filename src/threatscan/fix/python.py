"""Fixers for Python findings, written with libcst so formatting and comments are kept.

Each finds the node the finding points at (its start, and its end when the finding gives one) and rewrites only that
node; code in a shape the fixer is not certain about (a flag arriving through `**options`, a non-literal value)
is left alone.
"""

from __future__ import annotations

import shlex
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..model import Finding
from .registry import fixer

# Flags of `set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)` by position.
COOKIE_POSITIONS = {"set_cookie": {"secure": 6, "httponly": 7, "samesite": 8}}
SHELL_META = set("|&;<>()$`\\\"'*?[]#~=%!{}\n")


def _node_at(text: str, finding: Finding, types: tuple[type, ...]) -> tuple[cst.Module, cst.CSTNode] | None:
    module = cst.parse_module(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    loc = finding.location
    candidates = []
    for node, rng in positions.items():
        if isinstance(node, types) and rng.start.line == loc.line and rng.start.column == loc.column - 1:
            exact_end = loc.end_line is not None and (rng.end.line, rng.end.column) == (loc.end_line, (loc.end_column or 1) - 1)
            candidates.append((not exact_end, -(rng.end.line * 10_000 + rng.end.column), node))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]))
    return module, candidates[0][2]


def _rewrite(text: str, finding: Finding, types: tuple[type, ...],
             change: Callable[[cst.CSTNode], "cst.CSTNode | None"]) -> str | None:
    found = _node_at(text, finding, types)
    if found is None:
        return None
    module, node = found
    new = change(node)
    if new is None or new is node:
        return None
    return module.deep_replace(node, new).code


def _callee_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("False", "None")


def _add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    args = list(call.args)
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    elif args and isinstance(args[-1].comma, cst.Comma):
        # A trailing comma (often before a newline): keep the layout, the new keyword takes the last place.
        last_comma = args[-1].comma
        args.append(cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")), comma=last_comma))
        # The old last argument is now followed by the new one: separate them as the earlier arguments are.
        between = args[-3].comma if len(args) >= 3 and isinstance(args[-3].comma, cst.Comma) else last_comma
        args[-2] = args[-2].with_changes(comma=between)
        return call.with_changes(args=args)
    args.append(cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def _set_flag(call: cst.Call, name: str, value: cst.BaseExpression, replace_if: Callable[[cst.BaseExpression], bool]):
    """Give keyword `name` the value `value`: replace it (or the positional argument in its place) when
    `replace_if` says its current value is the weak one, add it when absent; None when unsure."""
    if _has_star(call):
        return None
    kw = _keyword(call, name)
    if kw is not None:
        return call.with_changes(args=[a.with_changes(value=value) if a is kw else a for a in call.args]) \
            if replace_if(kw.value) else None
    position = COOKIE_POSITIONS.get(_callee_name(call), {}).get(name)
    positional = [a for a in call.args if a.keyword is None]
    if position is not None and len(positional) > position:
        arg = positional[position]
        return call.with_changes(args=[a.with_changes(value=value) if a is arg else a for a in call.args]) \
            if replace_if(arg.value) else None
    return _add_keyword(call, name, value)


@fixer("PY301", "set `secure=True` on the cookie")
def cookie_secure(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Call,), lambda c: _set_flag(c, "secure", cst.Name("True"), _is_false))


@fixer("PY302", "set `httponly=True` on the cookie")
def cookie_httponly(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Call,), lambda c: _set_flag(c, "httponly", cst.Name("True"), _is_false))


def _samesite_none(node: cst.BaseExpression) -> bool:
    return _is_false(node) or (isinstance(node, cst.SimpleString) and node.evaluated_value.lower() == "none")


@fixer("PY303", "send the cookie with `samesite=\"Lax\"` (cross-site requests stop carrying it)", safe=False)
def cookie_samesite(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Call,),
                    lambda c: _set_flag(c, "samesite", cst.SimpleString('"Lax"'), _samesite_none))


@fixer("PY505", "remove `verify=False`: certificates are verified again")
def tls_verify(text: str, finding: Finding) -> str | None:
    def change(call: cst.CSTNode):
        kw = _keyword(call, "verify")
        if kw is None or not (isinstance(kw.value, cst.Name) and kw.value.value == "False"):
            return None
        args = [a for a in call.args if a is not kw]
        if args and kw is call.args[-1]:
            args[-1] = args[-1].with_changes(comma=kw.comma)
        return call.with_changes(args=args)
    return _rewrite(text, finding, (cst.Call,), change)


@fixer("PY106", "load YAML with the safe loader (`yaml.safe_load` / `Loader=yaml.SafeLoader`)")
def yaml_safe_load(text: str, finding: Finding) -> str | None:
    def change(call: cst.CSTNode):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("load", "load_all")) or _has_star(call):
            return None
        safe_name = "safe_load" if func.attr.value == "load" else "safe_load_all"
        loader = _keyword(call, "Loader")
        positional = [a for a in call.args if a.keyword is None]
        if loader is None and len(positional) >= 2:
            loader = positional[1]
        if loader is None:
            return call.with_changes(func=func.with_changes(attr=cst.Name(safe_name)))
        safe_loader = cst.Attribute(value=func.value, attr=cst.Name("SafeLoader"))
        return call.with_changes(args=[a.with_changes(value=safe_loader) if a is loader else a for a in call.args])
    return _rewrite(text, finding, (cst.Call,), change)


def _true_to_false(node: cst.BaseExpression):
    return cst.Name("False") if isinstance(node, cst.Name) and node.value == "True" else None


def _debug_off(node: cst.CSTNode):
    if isinstance(node, (cst.Assign,)):
        new_value = _true_to_false(node.value)
        return node.with_changes(value=new_value) if new_value is not None else None
    if isinstance(node, cst.Call):
        kw = _keyword(node, "debug") or _keyword(node, "use_debugger")
        if kw is None:
            return None
        new_value = _true_to_false(kw.value)
        return node.with_changes(args=[a.with_changes(value=new_value) if a is kw else a for a in node.args]) \
            if new_value is not None else None
    return None


@fixer("PY320", "switch the debugger off (`debug=False`)")
def debugger_off(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Assign, cst.Call), _debug_off)


@fixer("PY321", "switch debug error pages off (`debug=False` / `DEBUG = False`)")
def debug_pages_off(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Assign, cst.Call), _debug_off)


@fixer("PY107", "run the constant command without a shell, as an argument list (`shlex.split`)")
def shell_constant(text: str, finding: Finding) -> str | None:
    def change(call: cst.CSTNode):
        shell = _keyword(call, "shell")
        if shell is None or not (isinstance(shell.value, cst.Name) and shell.value.value == "True"):
            return None
        first = call.args[0] if call.args and call.args[0].keyword is None and not call.args[0].star else None
        if first is None or not isinstance(first.value, cst.SimpleString):
            return None
        command = first.value.evaluated_value
        if not isinstance(command, str) or not command.strip() or set(command) & SHELL_META:
            return None  # pipes, redirections, variables, globs: the shell is doing work, a human must decide
        argv = cst.List([cst.Element(cst.SimpleString(repr(word))) for word in shlex.split(command)])
        args = [first.with_changes(value=argv) if a is first else a for a in call.args if a is not shell]
        if shell is call.args[-1] and args:
            args[-1] = args[-1].with_changes(comma=shell.comma)
        return call.with_changes(args=args)
    return _rewrite(text, finding, (cst.Call,), change)
