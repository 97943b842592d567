"""What a Python check sees: the parsed module, resolved names, the enclosing function, and how to report.

Checks receive one node and this context; they never read files or print. The helpers here are the shared
answers to the questions every check asks (what does this call resolve to, what is this keyword's value even
when it is passed through a dict, is this expression a constant, is this code inside a Lambda handler).
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable, Iterable

from ...lang.python.dataflow import node_value, verdict_of
from ...lang.python.dataflow.values import fold_fits  # the one size guard for folded constants
from ...lang.python.module import (  # noqa: F401  (checks read the library's helpers through their context module)
    LAMBDA_CONTEXT_NAMES, LAMBDA_EVENT_NAMES, UNKNOWN, FunctionNode, PyModule, char_column, child_nodes,
    _walk_scope, node_location, push_children,
)
from ...model import Finding, FlowStep, Location, Related, Rule, Severity
from ..base import ScanContext, new_finding


_NOT_ASKED = object()  # (PyContext.call_name before its first answer)


class PyContext:
    """Per-file context handed to every Python check, positioned at the node being checked."""

    def __init__(self, module: PyModule, scan: ScanContext | None = None,
                 redact: Callable[["PyContext", int, str], str] | None = None):
        self.module = module
        # How the line shown for a finding loses every hard-coded secret of the file (the engine passes the secret
        # rules' redactor, checks/secrets.py); None: a context that never reports.
        self.redact = redact
        # The scan's facts and policy (options), links and notices. None: a context that only asks questions of
        # a module (a helper the data flow reached), never reports.
        self.scan = scan
        self.file = module.file
        self.names = module.names
        self.function: ast.AST | None = None  # innermost enclosing function
        self.outer_function: ast.AST | None = None  # outermost enclosing (module-level) function
        self.rule: Rule | None = None
        self.raise_in_handler = False
        self._call_names: dict[int, tuple[ast.Call, ast.AST | None, str | None]] = {}
        self._last_call_name: tuple = (_NOT_ASKED, None, None)  # (call_name's last answer, as kept in _call_names)
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
        # Several checks ask for the same call's name: computed once per call and enclosing function (kept by the
        # call, with the function it was asked in; asked in another, it is worked out again).
        # The last answer first: the checks of a node ask about it one after another.
        hit = self._last_call_name
        if hit[0] is call and hit[1] is self.function:
            return hit[2]
        hit = self._call_names.get(id(call))
        if hit is None or hit[0] is not call or hit[1] is not self.function:  # (the node is kept: an id alone could
            hit = self._call_names[id(call)] = (call, self.function, self.qualname(call.func))  # be reused)
        self._last_call_name = hit
        return hit[2]

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

    # --- data flow (lang/python/dataflow: computed per function, only when a check asks) -------------------
    def taint_verdict(self, node: ast.AST, family: str | None = None) -> Any:
        """What reaches `node` (an argument of a call or a returned expression) for sinks of `family`: a
        dataflow.Verdict whose state is tainted (with the path), sanitized, constant, no-source or unreachable."""
        value, dead = node_value(self, node)
        return verdict_of(value, family, dead=dead)

    def request_flow(self, node: ast.AST | None) -> tuple[FlowStep, ...]:
        """The steps by which `node` is a caller's request data, every one modelled (no gap, no trusted sender), else
        (): the evidence rules that need it ask for (a token the request carries, content the attacker chooses)."""
        if node is None:
            return ()
        verdict = self.taint_verdict(node)
        return verdict.steps if verdict.tainted and not verdict.gap and not verdict.trust else ()

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
        confirmed: bool = False,
    ) -> None:
        """Report a finding at `node`. `code` replaces the node's source as the fingerprint's input: a check about
        a secret passes redacted code so that not even a hash of the value leaves the scan. `evidence` is
        Finding.evidence: "flow" (untrusted data seen reaching the sink) or "review" (origin not visible: never
        raised, e.g. by the Lambda-handler escalation). A rule with a `review` text reports review findings unless the
        check passes evidence ("flow") or `confirmed` (what it saw is itself the evidence: a setting that turns the
        protection off for the whole application)."""
        assert self.rule is not None
        severity = severity or self.rule.severity
        properties = dict(properties or {})
        handler = self.handler()
        if handler:
            properties["lambdaHandler"] = handler
            if self.raise_in_handler and evidence != "review":
                severity = severity.raised()
                message = f"{message} This runs inside the Lambda handler `{handler}`."
        if "algorithm-choice" in self.rule.tags and evidence != "review" and severity > Severity.LOW:
            spec = self.module.derived(Specification).cited
            if spec:
                message = (f"{message} (Review: this module implements a published protocol (it cites {spec}), "
                           f"which may prescribe this algorithm; a program that speaks the protocol has no other "
                           f"choice. Make sure the choice is the protocol's, not this code's.)")
                properties["severityIfChosen"] = severity.label
                severity, precision, evidence = Severity.LOW, "low", "review"
        if self.rule.review and not evidence and not confirmed and severity > Severity.LOW:
            message = f"{message} (Review: {self.rule.review})"
            properties["severityIfEvidence"] = severity.label
            precision, evidence = "low", "review"
        where = self.location(node)
        line = where.line
        if self.module.derived(PythonTwoOnly).covers(line):
            return  # code that runs only on Python 2 (`if sys.version_info < (3,):`): no Python 3 program runs it
        code = self.source(node) if code is None else code
        if snippet is None:
            # Whatever the rule, a hard-coded secret on the shown line is redacted (see checks/secrets.py).
            assert self.redact is not None, "a context that reports needs the redactor"
            snippet = self.redact(self, line, code.strip().splitlines()[0] if code.strip() else "")
        finding = new_finding(
            self.rule, self.file.rel, where.line, where.column, message,
            code=code,
            end_line=where.end_line,
            end_column=where.end_column,
            snippet=snippet,
            severity=severity, related=related, flow=flow, precision=precision, properties=properties,
        )
        self.findings.append(finding.with_(evidence=evidence) if evidence else finding)


# A published protocol specification a module says it implements: an IETF RFC, a Microsoft Open Specification
# (`[MS-NLMP]`), an IEEE 802.11/802.15 standard, an OASIS specification (its docs.oasis-open.org URL), a Bitcoin
# Improvement Proposal (`BIP39`: the mnemonic seed's 2,048 PBKDF2 rounds), as written in comments and docstrings.
_SPECIFICATION = re.compile(r"\bRFC[ -]?(\d{3,5})\b|\[(MS-[A-Z0-9]{2,10})\]|(?:ietf\.org|rfc-editor\.org)/\S{0,40}?rfc(\d{3,5})\b"
                            r"|\b(?:IEEE[ -]?)?(802\.1[15][a-z]{0,2})\b|docs\.oasis-open\.org/(\w{2,20})/"
                            r"|\bBIP[ -]?(\d{2,3})\b")


class PythonTwoOnly:
    """The lines of a module that run only on Python 2 (PyModule.derived): the body of a module-level or nested `if`
    whose condition no Python 3 meets (`sys.version_info < (3,)`, `sys.version_info[0] == 2`, `sys.hexversion <
    0x020603F0`, `six.PY2`, a name the module sets from such a test: Satchmo's `runningPython26`), and the `else` of
    one every Python 3 meets. Satchmo's SSLv2 handler and PulseGuardian's patched SMTP_SSL socket (§3ad) are there."""

    _WORDS = ("version_info", "hexversion", "PY2", "PY3")

    def __init__(self, module: PyModule):
        self.ranges: list[tuple[int, int]] = []
        if not any(w in module.file.text() for w in self._WORDS):
            return
        names: dict[str, bool] = {}
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.If):
                continue
            holds = _on_python3(node.test, names)
            if holds is None:
                continue
            if isinstance(node.test, ast.Compare):  # `if sys.hexversion >= X: ok = True else: ok = False`
                for body, value in ((node.body, holds), (node.orelse, not holds)):
                    for stmt in body:
                        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                                and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Constant) \
                                and isinstance(stmt.value.value, bool):
                            names[stmt.targets[0].id] = stmt.value.value if value else not stmt.value.value
            dead = node.body if holds is False else node.orelse
            if dead:
                self.ranges.append((dead[0].lineno, dead[-1].end_lineno or dead[-1].lineno))

    def covers(self, line: int) -> bool:
        return any(a <= line <= b for a, b in self.ranges)


def _on_python3(test: ast.AST, names: dict[str, bool]) -> bool | None:
    """Whether `test` holds on every Python 3 from 3.6 (True), on none (False), or depends (None)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _on_python3(test.operand, names)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [_on_python3(v, names) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (True if all(v is True for v in values) else None)
        return True if True in values else (False if all(v is False for v in values) else None)
    if isinstance(test, (ast.Name, ast.Attribute)):
        name = test.attr if isinstance(test, ast.Attribute) else test.id
        if name in ("PY2", "PY3"):
            return name == "PY3"
        return names.get(name) if isinstance(test, ast.Name) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    try:
        bound = ast.literal_eval(right)
    except ValueError:
        return None
    text = ast.unparse(left)
    if text in ("sys.version_info", "version_info"):
        lows, highs = (3, 6), (3, 99)
    elif text in ("sys.version_info[0]", "sys.version_info.major", "version_info[0]"):
        lows, highs = 3, 3
    elif text in ("sys.hexversion", "hexversion"):
        lows, highs = 0x030600F0, 0x0363FFFF
    else:
        return None
    compare = {ast.Lt: lambda a: a < bound, ast.LtE: lambda a: a <= bound, ast.Gt: lambda a: a > bound,
               ast.GtE: lambda a: a >= bound, ast.Eq: lambda a: a == bound, ast.NotEq: lambda a: a != bound}.get(type(op))
    if compare is None:
        return None
    try:
        first, last = compare(lows), compare(highs)
    except TypeError:
        return None
    return first if first == last else None


class Specification:
    """The protocol specification a module cites (`RFC 4120`, `[MS-NLMP]`), or "" (PyModule.derived). Only comment
    and docstring text counts: a string the code uses (a URL, a message) does not say what the module implements."""

    def __init__(self, module: PyModule):
        self.cited = ""
        text = module.file.text()
        if "RFC" not in text and "[MS-" not in text and "ietf.org" not in text and "rfc-editor.org" not in text \
                and "802.1" not in text and "oasis-open.org" not in text and "BIP" not in text:
            return
        docs = [n.value.value for n in ast.walk(module.tree) if isinstance(n, ast.Expr)
                and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]
        comments = [line.split("#", 1)[1] for line in module.file.lines() if "#" in line]
        for chunk in docs + comments:
            match = _SPECIFICATION.search(chunk)
            if match:
                number = match.group(1) or match.group(3)
                self.cited = (f"RFC {number}" if number else f"[{match.group(2)}]" if match.group(2)
                              else f"IEEE {match.group(4)}" if match.group(4)
                              else f"the OASIS {match.group(5)} specification" if match.group(5)
                              else f"Bitcoin's BIP {match.group(6)}")
                return


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
