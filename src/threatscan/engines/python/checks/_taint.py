"""What the taint-aware checks share: find a call's sink arguments (from rules/dataflow), judge them, and report
a finding whose severity follows what the data-flow pass proved (README "Severity follows evidence").

    tainted    -> from a trusted source (Verdict.trust: a Lambda event only the account's own services send, or, for
                  a sink acting on the server, a request of a view only administrators may call, or only users
                  granted a permission for the sink's capability): a *review* finding naming the source,
                  `sourceClass` "internal", "admin" or "granted", the rule's severity kept as
                  `severityIfUntrusted`
               -> complete flow (every step modelled): the rule's severity, evidence "flow", precision high
                  (medium when only an unknown key or index links them), and the path as Finding.flow (SARIF codeFlows)
               -> incomplete flow (Verdict.gap: the data passes through a call the analysis does not model, or is
                  tested by a check it does not know): a *review* finding with the same path, the rule's severity
                  kept as `severityIfUntrusted`, the message naming the step it could not see through
    no-source  -> built at run time from values whose origin is not visible: a *review* finding (evidence
                  "review", severity low, precision low), never critical, never failing the default gate
    constant / sanitized -> no injection finding; a hygiene point that remains (a constant command run by a shell)
                  is a separate rule with its own CWE (PY107), reported by the check itself
    unreachable -> nothing: a constant condition rules the code out
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ....model import FlowStep, Severity
from ..context import PyContext
from ....lang.python.dataflow import ADMIN_TRUST, CAPABILITY_TRUST, CUSTOM_RESOURCE_TRUST, TAINTED, UNKNOWN_SOURCE, Verdict, flow_rank, indirect_sinks, load_spec, \
    template_receiver

# Who controls a data-flow finding's source (`properties.sourceClass`): a caller's request (web request data, an
# API's Lambda event: an attacker's text) or an internal event (a Lambda event only the account's own services send)
# or a request only the site's administrators can send (for the sinks that act on the server only)
SOURCE_CALLER, SOURCE_INTERNAL, SOURCE_ADMIN = "caller", "internal", "admin"
# ... or a request only users granted a permission for the sink's very capability can send (a file manager's path)
SOURCE_GRANTED = "granted"

_PRECISION_DOWN = {"very-high": "high", "high": "medium", "medium": "low", "low": "low"}


def spec(ctx: PyContext | None = None):
    """The data-flow specification; with `ctx`, looked up once per file (load_spec reads the environment for
    every call, and sink checks ask for every call node)."""
    if ctx is None:
        return load_spec()
    found = ctx.memo.get("spec")
    if found is None:
        found = ctx.memo["spec"] = load_spec()
    return found


def sink_entries(ctx: PyContext, call: ast.Call, family: str) -> list:
    # Every sink family's check asks about every call: the table is matched once per call and enclosing function
    # (the call's name depends on both), then filtered by family.
    # (kept by family: most calls match no sink, and ten families ask about each)
    memo = ctx.memo.get("sink-entries")
    if memo is None:
        memo = ctx.memo["sink-entries"] = {}
    # (kept by the call, with the function it was asked in: asked in another, it is worked out again)
    hit = memo.get(id(call))
    if hit is None or hit[0] is not call or hit[1] is not ctx.function:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else None
        by_family: dict[str, list] = {}
        for e in spec(ctx).sinks.match(ctx.call_name(call), method) or ():
            by_family.setdefault(e.family, []).append(e)
        if method == "from_string" and "html" in by_family and not template_receiver(call, ctx.module, ctx.function):
            del by_family["html"]  # `UserID.from_string(s)`: a class's parser, not a template engine
        hit = memo[id(call)] = (call, ctx.function, by_family)
    found = hit[2].get(family)
    return list(found) if found else []


def sink_args(call: ast.Call, entries: list) -> list[ast.AST]:
    out: list[ast.AST] = []
    for entry in entries:
        for p in entry.positions:
            if p < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: p + 1]):
                out.append(call.args[p])
        for kw in call.keywords:
            if kw.arg in entry.keywords:
                out.append(kw.value)
    return list(dict.fromkeys(out))


def worst(ctx: PyContext, nodes: list[ast.AST], family: str) -> Verdict | None:
    """The most serious verdict over several arguments (tainted > no-source > sanitized/constant)."""
    order = {TAINTED: 0, UNKNOWN_SOURCE: 1, "sanitized": 2, "constant": 3, "unreachable": 4}
    verdicts = [ctx.taint_verdict(n, family) for n in nodes]
    if not verdicts:
        return None
    return sorted(verdicts, key=lambda v: (order[v.state], bool(v.gap) or bool(v.trust), not v.certain))[0]


def sink_step(ctx: PyContext, node: ast.AST, what: str) -> FlowStep:
    return FlowStep(ctx.location(node), f"reaches `{what}`")


def report_tainted(ctx: PyContext, node: ast.AST, verdict: Verdict, message: str, what: str, *,
                   severity: Severity | None = None, sink_inside: bool = False) -> None:
    """`sink_inside`: the path already ends at the sink (in a helper the call at `node` leads to)."""
    flow = tuple(verdict.steps) + (() if sink_inside else (sink_step(ctx, node, what),))
    source = verdict.steps[0] if verdict.steps else None
    where = f" (line {source.location.line})" if source and source.location.path == ctx.file.rel else \
        f" ({source.location.path}:{source.location.line})" if source else ""
    if not verdict.certain:
        message = message.replace(" built from ", " that may be built from ", 1)
    if verdict.trust:  # a source no anonymous caller writes: its author is not visible, or is the site's admin
        assert ctx.rule is not None
        admin = verdict.trust.startswith(ADMIN_TRUST)
        granted = verdict.trust.startswith(CAPABILITY_TRUST)
        properties = {"dataflow": "trusted-source", "sourceClass": SOURCE_ADMIN if admin else SOURCE_GRANTED
                      if granted else SOURCE_INTERNAL, "severityIfUntrusted": (severity or ctx.rule.severity).label}
        if verdict.gap:
            properties["flowGap"] = verdict.gap
        why = "and this sink acts on the server only, where an administrator's own choice is by design" if admin \
            else "and this sink does what that permission grants (a file manager's path, a terminal's command)" \
            if granted else "not a caller's request" if verdict.trust == CUSTOM_RESOURCE_TRUST \
            else "not a caller's request, and who wrote its data is not visible"
        ctx.report(node, f"{message} Source: {verdict.label or 'untrusted input'}{where}. Review: the source is "
                         f"{verdict.trust}, {why}, so it is not a confirmed finding (low severity, does not fail the "
                         f"default gate).",
                   severity=Severity.LOW, flow=flow, precision="low", properties=properties, evidence="review")
        return
    if verdict.gap:
        assert ctx.rule is not None
        ctx.report(node, f"{message} Source: {verdict.label or 'untrusted input'}{where}. Review: the flow is not "
                         f"complete: {verdict.gap}, so it is not a confirmed finding (low severity, does not fail "
                         f"the default gate).", severity=Severity.LOW, flow=flow, precision="low",
                   properties={"dataflow": "incomplete", "flowGap": verdict.gap, "sourceClass": SOURCE_CALLER,
                               "severityIfUntrusted": (severity or ctx.rule.severity).label}, evidence="review")
        return
    ctx.report(node, f"{message} Source: {verdict.label or 'untrusted input'}{where}.", severity=severity, flow=flow,
               precision="high" if verdict.certain else "medium",
               properties={"dataflow": "tainted" if verdict.certain else "possibly-tainted", "sourceClass": SOURCE_CALLER},
               evidence="flow")


REVIEW_NOTE = " Review: not a confirmed injection (low severity, does not fail the default gate)."


def report_unknown(ctx: PyContext, node: ast.AST, message: str, *, severity: Severity | None = None) -> None:
    """A value whose origin the data flow cannot see: a review finding (README "Severity follows evidence"). The
    `severity` a check passes is what the finding would be worth if the value were untrusted; it is kept in the
    properties (`severityIfUntrusted`) for people who want to triage reviews, never as the finding's severity."""
    assert ctx.rule is not None
    ctx.report(node, message + REVIEW_NOTE, severity=Severity.LOW, precision="low",
               properties={"dataflow": "no-source",
                           "severityIfUntrusted": (severity or ctx.rule.severity).label}, evidence="review")


def report_indirect(ctx: PyContext, call: ast.Call, family: str, message: str) -> bool:
    """A call handing untrusted data to a repository helper that passes it to a sink of `family`."""
    found = indirect_sinks(ctx, call, family)
    if not found:
        return False
    taint, what = sorted(found, key=lambda f: flow_rank(f[0], family))[0]
    verdict = Verdict.of(taint, family)
    name = ctx.call_name(call) or "a helper"
    report_tainted(ctx, call, verdict, message.format(helper=name.rsplit(".", 1)[-1], sink=what), what, sink_inside=True)
    return True


def label(verdict: Verdict) -> str:
    return verdict.label or "untrusted input"


def const_of(ctx: PyContext, node: ast.AST) -> Any:
    verdict = ctx.taint_verdict(node)
    if verdict.value is not None and verdict.value.known:
        return verdict.value.const
    return ctx.const(node)


# --- route segments -----------------------------------------------------------------------------------------------
SEGMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>|\{(\w+)(?::(\w+))?\}")


def route_segment(ctx: PyContext, verdict) -> str:
    """For a route parameter source: "no-slash" when its converter cannot match `/` (Flask `<name>`, `<int:id>`;
    FastAPI and Starlette `{name}`), "unknown" when no route string is visible (Django's URL captures live in
    urls.py), "" otherwise (a `path` converter, a query parameter, or not a route parameter at all)."""
    if verdict.label == "URL parameter":
        return "unknown"  # a view taking (request, *captures) without a route decorator: Django's URL captures
    if verdict.label != "route parameter" or not verdict.steps or ctx.function is None:
        return ""
    m = re.search(r"source: `([A-Za-z_]\w*)`", verdict.steps[0].message)
    if not m:
        return ""
    param = m.group(1)
    seen_route = False
    for d in getattr(_source_function(ctx, verdict.steps[0]), "decorator_list", ()):
        if not isinstance(d, ast.Call) or not d.args:
            continue
        route = _route_text(ctx, d.args[0])
        if route is None:
            continue
        seen_route = True
        for seg in SEGMENT.finditer(route):
            name, converter = (seg.group(2), seg.group(1)) if seg.group(2) else (seg.group(3), seg.group(4))
            if name == param:
                return "" if (converter or "string") in ("path", "any") else "no-slash"
    return "" if seen_route else "unknown"


def _route_text(ctx: PyContext, node: ast.AST) -> str | None:
    """A route decorator's pattern: its constant value, or the template of one built with `.format()` or an
    f-string (`'/<regex("{}"):avg>'.format(GROUP_RE)`), whose `<converter:name>` segments are written out."""
    route = ctx.const(node)
    if isinstance(route, str):
        return route
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        return node.func.value.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in node.values)
    return None


def _source_function(ctx: PyContext, source) -> ast.AST | None:
    """The module-level function whose parameter the flow starts from: the one holding the sink, or (a route
    handing its parameter to a helper of the same module) the one the source step lies in."""
    here = ctx.outer_function or ctx.function
    line = source.location.line
    if source.location.path != ctx.file.rel or here is None or \
            here.lineno <= line <= (getattr(here, "end_lineno", None) or here.lineno):  # type: ignore[attr-defined]
        return here
    for node in ctx.module.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            return node
    return here
