"""The meta engine: rules about threatscan's own directives in the scanned files rather than about their code.

TS001 (a suppression that is broken or suppresses nothing) is its rule. The engine reads no file: each file's
engines return its directives with its findings (suppress.FileIndex), and the findings' tail hands them to this
engine once every finding is known and marked, since "suppresses nothing" can be told only then.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from ...model import Finding
from ...registry import register
from ..base import Engine, ScanContext, new_finding

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ...discover import SourceFile
    from ...registry import Check
    from ...findings.suppress import Directive, FileIndex

KIND = "suppression"  # what the meta rules read: the directives, not a kind of file
_META_CHECKS: list[tuple[str, Callable[..., str | None]]] = []


def meta_check(rule_id: str) -> Callable:
    """Register `func(directive, used, known_rules, today) -> message or None` for rule `rule_id`."""

    def decorate(func: Callable) -> Callable:
        register(rule_id, KIND, func)
        _META_CHECKS.append((rule_id, func))
        return func

    return decorate


@meta_check("TS001")
def invalid_suppression(d: "Directive", used: bool, known: set[str], today: dt.date) -> str | None:
    problems = []
    unknown = [r for r in d.rules if r not in known]
    if not d.rules:
        problems.append("names no rule")
    if unknown:
        problems.append(f"names unknown rule{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    if not d.reason:
        problems.append("gives no reason, so it does not suppress anything")
    if d.until and d.until < today:
        problems.append(f"expired on {d.until.isoformat()}, so the finding is reported again")
    elif not used and not unknown and d.rules:
        problems.append("suppresses nothing (no such finding on this statement)")
    return f"This suppression {'; '.join(problems)}." if problems else None


class MetaEngine(Engine):
    name = "meta"
    kinds = frozenset({KIND})

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        return []  # no file is of this kind: see review

    def review(self, indexes: Mapping[str, "FileIndex"], used: set[tuple[str, int]], catalog: "Catalog",
               today: dt.date) -> list[Finding]:
        """The meta rules' findings on every directive of the scan (`used`: the (path, line) of the directives
        that matched a finding), for the rules the catalogue holds."""
        known = set(catalog.rules)
        active = [(catalog.rules[rule_id], func) for rule_id, func in _META_CHECKS if rule_id in catalog.rules]
        out: list[Finding] = []
        for path in sorted(indexes):
            for d in indexes[path].directives:
                for rule, func in active:
                    message = func(d, (d.path, d.line) in used, known, today)
                    if message is not None:
                        out.append(new_finding(rule, d.path, d.line, 1, message, code=d.text, snippet=d.text))
        return out


ENGINE = MetaEngine()
