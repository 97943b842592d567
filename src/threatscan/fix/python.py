"""Fixers for Python findings, written with libcst so formatting and comments are kept.

Each finds the node the finding points at (its start, and its end when the finding gives one) and rewrites only that
node; code in a shape the fixer is not certain about (a flag arriving through `**options`, a non-literal value)
is left alone.
"""

from __future__ import annotations

import functools
import re
import shlex
from typing import Callable, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..model import Finding
from .registry import Edit, fixer

# Flags of `set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)` by position.
COOKIE_POSITIONS = {"set_cookie": {"secure": 6, "httponly": 7, "samesite": 8}}
SHELL_META = set("|&;<>()$`\\\"'*?[]#~=%!{}\n")


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> tuple[cst.Module, Mapping[cst.CSTNode, CodeRange], dict[tuple[int, int], list[cst.CSTNode]]]:
    """The module, every node's position, and the nodes by where they start. Kept for the last few texts: the
    findings of one file are fixed, for SARIF, each on the same text (libcst trees are immutable, so sharing one is
    safe), and resolving positions costs far more than the fix."""
    module = cst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    starts: dict[tuple[int, int], list[cst.CSTNode]] = {}
    for node, rng in positions.items():
        starts.setdefault((rng.start.line, rng.start.column), []).append(node)
    return module, positions, starts


def _replaced(text: str, node: cst.CSTNode, new: cst.CSTNode) -> str:
    """`text` with `node` (a node of `_parsed(text)`) written as `new`: only the node's characters change. (Splicing
    the new node's code in is what `deep_replace(...).code` gives, without walking and re-printing the whole
    module, which cost about a second per fix in a long file.)"""
    module, positions, _ = _parsed(text)
    rng = positions[node]
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]  # libcst's line breaks
    start = line_starts[rng.start.line - 1] + rng.start.column
    end = line_starts[rng.end.line - 1] + rng.end.column
    spliced = text[:start] + module.code_for_node(new) + text[end:]
    if text[start:end] != module.code_for_node(node):  # positions that do not frame the node: the slow, sure way
        return module.deep_replace(node, new).code
    return spliced


def _node_at(text: str, finding: Finding, types: tuple[type, ...]) -> tuple[cst.Module, cst.CSTNode] | None:
    module, positions, starts = _parsed(text)
    loc = finding.location
    candidates = []
    for node in starts.get((loc.line, loc.column - 1), ()):
        rng = positions[node]
        if isinstance(node, types):
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
    return _replaced(text, node, new)


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
        # The old last argument is now followed by the new one: separate them as the earlier arguments are,
        # keeping the comment at the end of its own line with it.
        between = args[-2].comma if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma) else \
            last_comma.with_changes(whitespace_after=call.whitespace_before_args) if isinstance(
                call.whitespace_before_args, cst.ParenthesizedWhitespace) else \
            last_comma.with_changes(whitespace_after=cst.SimpleWhitespace(" "))
        ws_last, ws_between = last_comma.whitespace_after, between.whitespace_after
        if isinstance(ws_last, cst.ParenthesizedWhitespace) and isinstance(ws_between, cst.ParenthesizedWhitespace):
            between = between.with_changes(whitespace_after=ws_between.with_changes(first_line=ws_last.first_line))
            last_comma = last_comma.with_changes(whitespace_after=ws_last.with_changes(
                first_line=cst.TrailingWhitespace(newline=ws_last.first_line.newline)))
        args[-1] = args[-1].with_changes(comma=between)
        args.append(cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")), comma=last_comma))
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


# aiohttp's switches, removed only on its calls (a module that imports aiohttp, a `TCPConnector` or a request
# method): the same `verify_ssl` keyword defaults to False elsewhere (InfluxDB's client), where removing it would
# change nothing, and `ssl=False` elsewhere can mean "plain TCP".
AIOHTTP_TLS_KEYWORDS = ("ssl", "verify_ssl")
AIOHTTP_TLS_CALLEES = frozenset({"TCPConnector", "get", "post", "put", "patch", "delete", "head", "options",
                                 "request", "ws_connect"})
AIOHTTP_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+aiohttp\b", re.M)


def _literal_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


@fixer("PY505", "certificates verified again: `verify=False` and aiohttp's `ssl=False` / `verify_ssl=False` "
                "removed, `session.verify = False` made `True`")
def tls_verify(text: str, finding: Finding) -> str | None:
    def change(node: cst.CSTNode):
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            # `session.verify = False` (reported only on a requests/httpx session): `True`, the session's default,
            # rather than the statement removed, which could leave an empty block.
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if len(targets) != 1 or not (isinstance(targets[0], cst.Attribute) and targets[0].attr.value == "verify") \
                    or node.value is None or not _literal_false(node.value):
                return None
            return node.with_changes(value=cst.Name("True"))
        names = {"verify"}
        if _callee_name(node) in AIOHTTP_TLS_CALLEES and AIOHTTP_IMPORT.search(text):
            names.update(AIOHTTP_TLS_KEYWORDS)
        off = [a for a in node.args if a.keyword is not None and a.keyword.value in names and _literal_false(a.value)]
        if not off:
            return None  # `verify=0`, `ssl=settings.ssl`: not the literal False, a human's call
        args = [a for a in node.args if all(a is not o for o in off)]
        if args and args[-1] is not node.args[-1]:  # the last argument went: its comma (or none) is the new last's
            args[-1] = args[-1].with_changes(comma=node.args[-1].comma)
        return node.with_changes(args=args)
    new = _rewrite(text, finding, (cst.Call, cst.Assign, cst.AnnAssign), change)
    if new is not None and finding.properties.get("optInSwitch"):
        # Behind an opt-in switch (`if not validate_certs:`, named by the check whatever severity the configuration
        # gives the rule): verifying anyway takes away a choice the caller made, which a human must judge.
        return Edit(new, safe=False, description="certificates verified even when the opt-in switch asks not to "
                                                 "(the switch stops working)")
    return new


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


# --- JSON Web Tokens ------------------------------------------------------------------------------------------
#
# PY501 (a decode that does not verify the signature) is fixed by turning verification back on: the
# `verify_signature: False` entry (the whole `options=` when nothing else is in it) and PyJWT 1's `verify=False` go,
# and a decode without `algorithms` gets the algorithm this module signs with (PyJWT 2 refuses a verifying decode
# without one; a list named by the code itself is what stops algorithm confusion). The fix is UNSAFE, always:
# every token not signed with the key the call passes is now rejected. That is the point, but a decode without
# verification is sometimes deliberate (a token issued by someone else whose key this code does not hold, claims
# read to pick the key before a second, verified decode) and only a human knows whether the key passed is the
# issuer's. No fix when the call passes no key, when the options arrive in a variable or `**kwargs`, or when the
# module signs with no single visible algorithm (it is never guessed).
#
# PY502 (`"none"` among the accepted algorithms) is SAFE when the list also names a real algorithm: dropping
# "none" only rejects unsigned tokens, which no issuer of this code produces (a signed token still verifies).
# When "none" is the only algorithm, it is replaced by the one this module signs with: UNSAFE (the tokens this
# code accepts today may all be unsigned).

DEFAULT_SIGNING_ALGORITHM = '"HS256"'  # PyJWT's and python-jose's `encode` default


def _drop_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = [a for a in call.args if a is not arg]
    if args and arg is call.args[-1]:
        args[-1] = args[-1].with_changes(comma=arg.comma)
    return call.with_changes(args=args)


def _module_names(module: cst.Module) -> set[str]:
    """Names bound at module level (assignments, imports): what a decode anywhere in the module can read."""
    names: set[str] = set()
    for stmt in module.body:
        for small in getattr(stmt, "body", ()) if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign):
                names.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                names.add(small.target.value)
            elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    while isinstance(bound, cst.Attribute):
                        bound = bound.value
                    if isinstance(bound, cst.Name):
                        names.add(bound.value)
    return names


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _is_token_module(node: cst.BaseExpression) -> bool:
    name = _root_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    last = node.attr.value if isinstance(node, cst.Attribute) else name
    return bool(name) and any(word in (last or "").lower() for word in ("jwt", "jws"))


def _signing_algorithm(module: cst.Module) -> str | None:
    """The one algorithm this module signs tokens with (`jwt.encode(..., algorithm=X)`, `jws.sign`), as code a
    decode anywhere in the module can use: a string, or a module-level name; None when none or several."""
    found: set[str] = set()
    visible = _module_names(module)

    class Signs(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in ("encode", "sign")
                    and _is_token_module(func.value)):
                return
            if _has_star(node):
                found.add("?")
                return
            arg = _keyword(node, "algorithm")
            positional = [a for a in node.args if a.keyword is None]
            value = arg.value if arg is not None else positional[2].value if len(positional) > 2 else None
            if value is None:
                found.add(DEFAULT_SIGNING_ALGORITHM)
            elif isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                found.add('"' + value.evaluated_value + '"' if value.evaluated_value.isprintable()
                          and '"' not in value.evaluated_value and "\\" not in value.evaluated_value else "?")
            elif isinstance(value, (cst.Name, cst.Attribute)) and _root_name(value) in visible \
                    and _root_name(value) not in ("self", "cls"):
                found.add(module.code_for_node(value))
            else:
                found.add("?")

    module.visit(Signs())
    if len(found) != 1:
        return None
    [algorithm] = found
    return None if algorithm == "?" or algorithm.strip('"').strip().lower() == "none" else algorithm


def _algorithms_list(code: str) -> cst.List:
    return cst.List([cst.Element(cst.parse_expression(code))])


@fixer("PY501", "verify the token's signature again (`algorithms=[...]` as the module signs; "
                "`verify_signature: False` / `verify=False` removed): tokens not signed with the key are rejected",
       safe=False)
def jwt_verify(text: str, finding: Finding) -> str | None:
    found = _node_at(text, finding, (cst.Call,))
    if found is None:
        return None
    module, call = found
    if _has_star(call) or not isinstance(call.func, (cst.Attribute, cst.Name)) or _callee_name(call) not in (
            "decode", "decode_complete"):
        return None
    positional = [a for a in call.args if a.keyword is None]
    if len(positional) < 2 and _keyword(call, "key") is None:
        return None  # no key: verification cannot work until a human says which key
    new = call
    options = _keyword(call, "options")
    if options is not None:
        if not isinstance(options.value, cst.Dict):
            return None
        entries = list(options.value.elements)
        off = [e for e in entries if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
               and e.key.evaluated_value == "verify_signature" and _is_false(e.value)]
        if off:
            kept = [e for e in entries if e not in off]
            if not kept:
                new = _drop_arg(new, _keyword(new, "options"))
            else:
                if entries[-1] in off:
                    kept[-1] = kept[-1].with_changes(comma=entries[-1].comma)
                value = options.value.with_changes(elements=kept)
                new = new.with_changes(args=[a.with_changes(value=value) if a.keyword is not None
                                             and a.keyword.value == "options" else a for a in new.args])
    verify = _keyword(new, "verify")
    if verify is not None and _is_false(verify.value):
        new = _drop_arg(new, verify)
    if new is call:
        return None
    if _keyword(new, "algorithms") is None and len(positional) < 3:
        algorithm = _signing_algorithm(module)
        if algorithm is None:
            return None
        new = _add_keyword(new, "algorithms", _algorithms_list(algorithm))
    return _replaced(text, call, new)


@fixer("PY502", "drop `\"none\"` from the accepted algorithms (unsigned tokens are rejected)")
def jwt_no_none(text: str, finding: Finding) -> "str | Edit | None":
    found = _node_at(text, finding, (cst.Call,))
    if found is None:
        return None
    module, call = found
    if _callee_name(call) not in ("decode", "decode_complete"):
        return None
    arg = _keyword(call, "algorithms")
    if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple)):
        return None

    def is_none(e: cst.BaseElement) -> bool:
        return isinstance(e.value, cst.SimpleString) and str(e.value.evaluated_value).strip().lower() == "none"

    elements = list(arg.value.elements)
    if any(isinstance(e, cst.StarredElement) for e in elements) or not any(is_none(e) for e in elements):
        return None
    kept = [e for e in elements if not is_none(e)]
    if kept:
        if is_none(elements[-1]):
            kept[-1] = kept[-1].with_changes(comma=elements[-1].comma)
        value = arg.value.with_changes(elements=kept)
        safe = True
    else:
        algorithm = _signing_algorithm(module)
        if algorithm is None:
            return None
        value, safe = _algorithms_list(algorithm), False
    new = call.with_changes(args=[a.with_changes(value=value) if a is arg else a for a in call.args])
    return Edit(_replaced(text, call, new), safe, None if safe else
                "accept the algorithm this module signs with instead of `\"none\"` (unsigned tokens are rejected)")


# --- weak hashes ----------------------------------------------------------------------------------------------
#
# PY512: `hashlib.md5(x)` / `hashlib.sha1(x)` -> `hashlib.sha256(x)`, `hashlib.new("md5")` -> `hashlib.new("sha256")`
# (the quote kept), `cryptography`'s `hashes.MD5()` / `hashes.SHA1()` -> `hashes.SHA256()`. UNSAFE, always: the
# digest changes value and length (32 or 40 hex characters become 64), so a digest that was stored (a database
# column, a cache, a file, a signature someone else checks) or is compared with one computed before the change
# stops matching. Proving that a digest never leaves the computation would mean following it through every
# caller, column and peer, which the scan does not do: a human confirms the digest is fresh on both sides (or
# migrates the stored ones). In the construct-then-`update` form the finding sits on the `update`: the constructor
# bound to that name last before it, in the same function, is changed. Not fixed: a name imported from hashlib
# (`from hashlib import md5`: the import would have to change too) and PyCryptodome's `MD5.new()` (another module).

WEAK_HASH_NAMES = {"md5", "sha1", "sha", "md4", "md2"}


def _to_sha256(call: cst.CSTNode):
    func = call.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, (cst.Name, cst.Attribute)):
        return None
    attr = func.attr.value
    if attr in ("md5", "sha1") and not any(a.keyword is not None and a.keyword.value == "usedforsecurity"
                                           for a in call.args):
        return call.with_changes(func=func.with_changes(attr=cst.Name("sha256")))
    if attr in ("MD5", "SHA1") and not call.args:  # cryptography: hashes.MD5() passed to a signature
        return call.with_changes(func=func.with_changes(attr=cst.Name("SHA256")))
    if attr == "Hash" and call.args and isinstance(call.args[0].value, cst.Call):  # hashes.Hash(hashes.MD5())
        inner = _to_sha256(call.args[0].value)
        return None if inner is None else call.with_changes(
            args=[call.args[0].with_changes(value=inner), *call.args[1:]])
    receiver = func.value.attr.value if isinstance(func.value, cst.Attribute) else func.value.value
    if attr == "new" and receiver.upper() not in ("MD5", "SHA1", "SHA", "MD4", "MD2"):  # hashlib.new("md5", data)
        name = next((a for a in call.args if a.keyword is not None and a.keyword.value == "name"), None) \
            or (call.args[0] if call.args and call.args[0].keyword is None and not call.args[0].star else None)
        if name is None or not isinstance(name.value, cst.SimpleString):
            return None
        value = name.value.evaluated_value
        if not isinstance(value, str) or value.lower().replace("-", "").replace("_", "") not in WEAK_HASH_NAMES:
            return None
        quote = name.value.quote
        return call.with_changes(args=[a.with_changes(value=cst.SimpleString(f"{quote}sha256{quote}"))
                                       if a is name else a for a in call.args])
    return None


def _hasher_of_update(text: str, finding: Finding) -> str | None:
    """`h = hashlib.md5()` ... `h.update(data)` (the finding on the update): the constructor bound to `h` last
    before the update, in the same function."""
    found = _node_at(text, finding, (cst.Call,))
    if found is None:
        return None
    module, call = found
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name)):
        return None
    name, line = func.value.value, finding.location.line
    _, positions, _ = _parsed(text)
    scopes = [rng for node, rng in positions.items() if isinstance(node, cst.FunctionDef)
              and rng.start.line <= line <= rng.end.line]
    first = max((rng.start.line for rng in scopes), default=1)
    bound = [(rng.start.line, node) for node, rng in positions.items()
             if isinstance(node, cst.Assign) and first <= rng.start.line < line and len(node.targets) == 1
             and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == name]
    if not bound:
        return None
    _, assign = max(bound, key=lambda b: b[0])
    if not isinstance(assign.value, cst.Call):
        return None
    new = _to_sha256(assign.value)
    return None if new is None else _replaced(text, assign.value, new)


@fixer("PY512", "hash with SHA-256 (a digest that is stored, or compared with a stored one, stops matching)",
       safe=False)
def weak_hash_sha256(text: str, finding: Finding) -> str | None:
    return _rewrite(text, finding, (cst.Call,), _to_sha256) or _hasher_of_update(text, finding)
