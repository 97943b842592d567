"""`Fn::If` evaluated both ways: a value chosen by a condition is UNKNOWN to the checks (the deploy decides), so
a port opened to the world in one branch would go unseen. For each condition whose `Fn::If` branches differ,
the template is rebuilt with the condition true and with it false, the checks run on both, and what only one
branch shows is reported with the condition named in the message. A finding both branches show is reported
once without a condition: whichever way the deploy goes, it is there.
"""

from __future__ import annotations

from typing import Any, Callable

from ...model import Finding
from .loader import PDict, PList
from .model import Template, build_template, is_no_value

MAX_CONDITIONS = 6  # conditions evaluated per template (each costs two more passes of the checks)


def if_conditions(doc: Any, limit: int = MAX_CONDITIONS) -> list[str]:
    """Names of the conditions used in an `Fn::If` whose two branches differ, in order of first use."""
    found: list[str] = []
    stack = [doc.get("Resources")] if isinstance(doc, dict) else []
    while stack and len(found) < limit:
        node = stack.pop()
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::If" in node:
                arg = node["Fn::If"]
                if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str) and arg[1] != arg[2] \
                        and arg[0] not in found:
                    found.append(arg[0])
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found


_DROP = object()


def resolve(node: Any, name: str, branch: bool) -> Any:
    """A copy of `node` with every `Fn::If` on condition `name` replaced by its chosen branch (positions kept;
    a branch that is `AWS::NoValue` removes the key or item)."""
    if isinstance(node, PDict):
        if len(node) == 1 and "Fn::If" in node:
            arg = node["Fn::If"]
            if isinstance(arg, list) and len(arg) == 3 and arg[0] == name:
                chosen = arg[1] if branch else arg[2]
                return _DROP if is_no_value(chosen) else resolve(chosen, name, branch)
        out = PDict(pos=node.pos)
        for k, v in node.items():
            r = resolve(v, name, branch)
            if r is _DROP:
                continue
            out[k] = r
            if k in node.key_pos:
                out.key_pos[k] = node.key_pos[k]
            if k in node.val_pos:
                out.val_pos[k] = node.val_pos[k]
        return out
    if isinstance(node, PList):
        out_list = PList(pos=node.pos)
        for i, v in enumerate(node):
            r = resolve(v, name, branch)
            if r is _DROP:
                continue
            out_list.append(r)
            out_list.item_pos.append(node.item_pos[i] if i < len(node.item_pos) else node.pos)
        return out_list
    return node


def variant(template: Template, name: str, branch: bool) -> Template | None:
    doc = resolve(template.doc, name, branch)
    built = build_template(template.rel, doc)
    if built is None:
        return None
    for logical_id, resource in built.resources.items():
        original = template.resources.get(logical_id)
        if original is not None:
            resource.learned_from(original)
    return built


def _key(f: Finding) -> tuple:
    return (f.rule_id, f.location.line, f.location.column)


def with_conditions(template: Template, run: Callable[[Template], list[Finding]], base: list[Finding]) -> list[Finding]:
    """`base` (the findings of the template as written) plus those only a branch of a condition shows."""
    if template.source != "cloudformation":
        return base
    names = if_conditions(template.doc)
    if not names:
        return base
    seen = {_key(f) for f in base}
    out = list(base)
    for name in names:
        by_branch: dict[bool, dict[tuple, Finding]] = {}
        for branch in (True, False):
            built = variant(template, name, branch)
            by_branch[branch] = {_key(f): f for f in run(built)} if built is not None else {}
        for branch in (True, False):
            for key, f in by_branch[branch].items():
                if key in seen:
                    continue
                seen.add(key)
                if key in by_branch[not branch]:
                    out.append(f)  # both ways: the condition does not matter
                    continue
                word = "true" if branch else "false"
                props = dict(f.properties)
                props["condition"] = {"name": name, "value": branch}
                out.append(f.with_(message=f"{f.message.rstrip('.')} (when the condition `{name}` is {word}).",
                                   properties=props))
    return out
