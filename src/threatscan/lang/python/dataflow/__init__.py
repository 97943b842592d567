"""Taint tracking for Python: untrusted input (request data, a Lambda event) traced to dangerous calls.

The specification is data (rules/dataflow/*.yaml: sources, sinks, sanitizers, validators); the analysis
(interp.py) interprets one function at a time with constants folded, and module.py adds function summaries, the
module's own call sites and helpers imported from the repository. Checks ask through `PyContext.taint(node,
family)` (the flow steps from a source, or None) and `PyContext.taint_verdict(node, family)`; nothing is computed
for a function until a check asks about one of its sinks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Protocol

from ....model import FlowStep
from ..module import PyModule
from .interp import _PLAIN_TEXT_METHODS, BROWSER_HELD_LABELS, COOKIE_LABEL, CUSTOM_HEADER_LABEL, FORM_POST, LAMBDA_EVENT_LABEL, NAME_PREFIXED, plain_text_markup, \
    template_receiver
from .module import ADMIN_TRUST, CAPABILITY_TRUST, CUSTOM_RESOURCE_TRUST, DataflowModule, dataflow_of
from .spec import FAMILIES, Spec, load_spec
from .values import Taint, V


class PyContext(Protocol):
    """Where a question is asked: the module and the innermost enclosing function (None: module level). A
    Python check's context is one."""

    module: PyModule
    function: ast.AST | None


TAINTED, SANITIZED, CONSTANT, UNKNOWN_SOURCE, UNREACHABLE = "tainted", "sanitized", "constant", "no-source", "unreachable"


@dataclass(frozen=True)
class Verdict:
    """What reaches a sink argument: `state` is tainted (a source reaches it; `steps` is the path, `certain` False
    when only an unknown index or key connects them), sanitized, constant, no-source (built at run time from values
    whose origin is not visible) or unreachable (the code sits in a branch that constants rule out). `gap`: why
    the flow is not complete (Taint.gap; "" when every step is modelled). `trust`: who controls the source when it
    is not a caller's request (Taint.trust; "" for request data)."""

    state: str
    steps: tuple[FlowStep, ...] = ()
    certain: bool = True
    label: str = ""
    value: Any = None
    gap: str = ""
    trust: str = ""

    @classmethod
    def of(cls, taint: Taint, family: str | None = None) -> "Verdict":
        return cls(TAINTED, taint.steps, taint.certain, taint.label, gap=taint.gap_for(family), trust=taint.trust_for(family))

    @property
    def tainted(self) -> bool:
        return self.state == TAINTED


def verdict_of(value: V | None, family: str | None, *, dead: bool = False) -> Verdict:
    if dead:
        return Verdict(UNREACHABLE)
    if value is None:
        return Verdict(UNKNOWN_SOURCE)
    taints = [t for t in value.deep() if t.param is None]
    live = [t for t in taints if t.live_for(family)]
    if live:
        best = sorted(live, key=lambda t: flow_rank(t, family))[0]
        return Verdict(TAINTED, best.steps, best.certain, best.label, value, best.gap_for(family), best.trust_for(family))
    if value.known:
        return Verdict(CONSTANT, value=value)
    if taints:
        return Verdict(SANITIZED, value=value)
    return Verdict(UNKNOWN_SOURCE, value=value)


def flow_rank(t: Taint, family: str | None = None) -> tuple:
    """The order in which flows make a finding: a complete one from a caller's request first, then a certain one,
    then the shortest."""
    trust = bool(t.trust_for(family))
    return (bool(t.gap_for(family)) or trust, trust, not t.certain, len(t.steps))


def node_value(ctx: "PyContext", node: ast.AST) -> tuple[V | None, bool]:
    """The abstract value of `node` (an argument of a call, or a returned expression) in its function, and whether
    the node is unreachable."""
    dm = dataflow_of(ctx.module)
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    flow = dm.flow(scope)
    value = flow.values.get(id(node))
    dead = value is None and flow.complete and flow.is_dead(node)
    return value, dead


def operand_values(ctx: "PyContext", node: ast.BinOp) -> tuple[V, V] | None:
    """The abstract values of the two operands of the `+` at `node` in its function (None when not interpreted)."""
    dm = dataflow_of(ctx.module)
    return dm.flow(ctx.function if ctx.function is not None else ctx.module.tree).operands(node)


class _NamesPlainTextMethod:
    """Whether a module's text may name a method that turns markup into plain text (`unescape`, `striptags`): an
    ASCII text holds every attribute's name as the parser reads it; other text may hold it in another form (the
    parser normalises identifiers), so it may."""

    def __init__(self, module: PyModule):
        try:
            text = module.file.text()
        except Exception:  # (a file that cannot be read again: the parent map decides)
            text = None
        self.found = text is None or not text.isascii() or any(m in text for m in _PLAIN_TEXT_METHODS)


def plain_text_markup_in(module: PyModule, node: ast.Call) -> bool:
    """plain_text_markup(node, module.parents()), without the module's parent map (a walk of the whole tree) where
    its text names none of the methods that answer can hang on."""
    return module.derived(_NamesPlainTextMethod).found and plain_text_markup(node, module.parents())


def may_be_tainted(ctx: "PyContext") -> bool:
    """Whether a verdict in the context's scope can be tainted at all (DataflowModule.scope_may_hold_untrusted):
    False is certain, found without interpreting the scope. For a check that acts on tainted verdicts only."""
    dm = dataflow_of(ctx.module)
    return dm.scope_may_hold_untrusted(ctx.function if ctx.function is not None else ctx.module.tree)


def indirect_sinks(ctx: "PyContext", call: ast.Call, family: str) -> list[tuple[Taint, str]]:
    """Untrusted data that this call hands to a repository helper, which passes it to a sink of `family`."""
    dm = ctx.module.dataflow or dataflow_of(ctx.module)
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    # The helper's summary (None: no helper of another module can be handed untrusted data here), found once per
    # call and scope for every sink family that asks: after the first answer each step below is a cached lookup, so
    # the answer cannot change.
    hit = dm.indirect_helpers.get(id(call))
    if hit is None or hit[0] is not call or hit[1] is not scope:
        hit = _indirect_helper(dm, call, scope)
    if hit is None:
        hit = (call, scope, _helper_summary(dm, call, scope))
        first = dm.indirect_helpers.get(id(call))
        if first is not None and first[0] is call:  # (the same call asked in a second scope: kept apart)
            dm._other[("indirect", id(call), id(scope))] = hit
        else:
            dm.indirect_helpers[id(call)] = hit
    summary = hit[2]
    if summary is None or not any(fam == family for _, fam, _, _ in summary.param_sinks):
        return []
    flow = dm.flow(scope)
    return [(t, what) for fam, t, what in flow.indirect.get(id(call), []) if fam == family]


def known_no_indirect_sink(ctx: "PyContext", call: ast.Call, family: str) -> bool:
    """Whether `indirect_sinks(ctx, call, family)` is already known to be empty without computing anything: the
    helper's summary found for another family's check of the same call has no sink of `family` (or there is no
    helper). False when nothing is known yet. For a check that would do other work before asking."""
    dm = ctx.module.dataflow
    if dm is None:
        return False
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    hit = _indirect_helper(dm, call, scope)
    if hit is None:
        return False
    summary = hit[2]
    return summary is None or not any(fam == family for _, fam, _, _ in summary.param_sinks)


def _indirect_helper(dm: DataflowModule, call: ast.Call, scope: ast.AST) -> tuple | None:
    """What indirect_sinks found for the call in the scope: (call, scope, summary or None); None if not asked yet."""
    hit = dm.indirect_helpers.get(id(call))
    if hit is not None and hit[0] is call and hit[1] is scope:
        return hit
    if hit is None or hit[0] is not call:
        return None
    hit = dm._other.get(("indirect", id(call), id(scope)))
    return hit if hit is not None and hit[0] is call else None


def _helper_summary(dm: DataflowModule, call: ast.Call, scope: ast.AST):
    if not isinstance(call.func, (ast.Name, ast.Attribute)) or not dm.module_may_have_source() \
            or not dm.calls_repo_helper(call.func, scope) or not dm.may_have_source(scope, cheap=True):
        return None
    if not dm.helper_may_reach_sink(call.func, scope):
        return None  # (the helper's summary would have no param_sinks: not computed, its file often not parsed)
    callee = dm.callee(call.func, scope, {})
    if callee is None or callee[0] is dm:
        return None  # helpers of this module: their own sinks are reported there, with the caller's taint
    summary = callee[0].summary(callee[1])
    # Whether untrusted data can enter the scope (which may interpret its callers) is asked last, for a helper with
    # a sink: the same answer as asking first (summaries do not depend on what was computed before them)
    if summary is None or not summary.param_sinks or not dm.may_have_source(scope):
        return None
    return summary


__all__ = [
    "ADMIN_TRUST", "BROWSER_HELD_LABELS", "CAPABILITY_TRUST", "COOKIE_LABEL", "CUSTOM_HEADER_LABEL", "FORM_POST", "NAME_PREFIXED", "CUSTOM_RESOURCE_TRUST", "LAMBDA_EVENT_LABEL", "FAMILIES", "DataflowModule", "Spec", "Taint", "V", "Verdict", "dataflow_of", "indirect_sinks", "operand_values", "known_no_indirect_sink",
    "flow_rank", "load_spec", "may_be_tainted", "node_value", "plain_text_markup", "plain_text_markup_in", "template_receiver", "verdict_of", "TAINTED", "SANITIZED", "CONSTANT", "UNKNOWN_SOURCE", "UNREACHABLE",
]
