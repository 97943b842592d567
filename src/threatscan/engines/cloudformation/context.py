"""What an IaC check sees: the template model (from a template or a CDK app), and how to report a finding.

A check is `func(template, ctx)`; it reads `template.resources` in CloudFormation shape and calls `ctx.report`
with the resource and, where it can, the mapping and key the finding is about, so the finding points at the
exact property (in the template, or at the keyword argument in the CDK source).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ...model import Finding, Location, Related, Rule, Severity
from ...secrets import shown_line
from ..base import ScanContext, new_finding
from ...lang.iac.model import Resource, Template, position

if TYPE_CHECKING:
    from ...discover import SourceFile


class IacContext:
    def __init__(self, template: Template, file: "SourceFile", scan: ScanContext):
        self.template = template
        self.file = file
        self.scan = scan
        self.rule: Rule | None = None
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int]] = set()

    def location(self, resource: Resource | None, container: Any = None, key: Any = None, value: bool = False,
                 line: int | None = None) -> Location:
        if line is not None and self.template.source == "cloudformation":
            text = self.file.line(line)
            col = len(text) - len(text.lstrip()) + 1
            return Location(self.template.rel, line, col, line, max(col + 1, len(text.rstrip()) + 1))
        if container is not None:
            line, col, end_line, end_col = position(container, key, value)
        elif resource is not None:
            line, col, end_line, end_col = resource.id_pos
        else:
            line, col, end_line, end_col = 1, 1, 1, 1
        if end_line != line:  # a whole block: point at its first line only
            end_line, end_col = line, max(col + 1, len(self.file.line(line)) + 1)
        return Location(self.template.rel, line, col, end_line, end_col)

    def report(
        self,
        resource: Resource | None,
        message: str,
        *,
        container: Any = None,
        key: Any = None,
        value: bool = False,
        severity: Severity | None = None,
        precision: str | None = None,
        secrets: Iterable[str] = (),
        related: Iterable[Related] = (),
        properties: dict[str, Any] | None = None,
        line: int | None = None,
        evidence: str | None = None,
    ) -> None:
        """Report a finding at `container[key]` (or, with `line`, at that line of a template), once per place."""
        assert self.rule is not None
        loc = self.location(resource, container, key, value, line)
        if (self.rule.id, loc.line, loc.column) in self._seen:
            return  # one place, one finding (SAM Globals are shared by every function)
        self._seen.add((self.rule.id, loc.line, loc.column))
        secrets = [s for s in secrets if isinstance(s, str) and s]
        line_text = self.file.line(loc.line)
        snippet = shown_line(line_text, secrets).strip()
        props = dict(properties or {})
        related = list(related)
        if resource is not None:
            props.setdefault("resource", resource.logical_id)
            props.setdefault("resourceType", resource.type)
            if resource.cdk_path:
                props["cdkPath"] = resource.cdk_path
                constructs = self.scan.facts.cdk_constructs.get(construct_id(resource.cdk_path), ())
                if len(constructs) == 1:  # only when the construct id names one construct in the CDK sources
                    related.append(Related(constructs[0], f"the CDK construct `{resource.cdk_path}`"))
        where = f"{resource.logical_id}:{key}" if resource is not None else str(key)
        self.findings.append(new_finding(
            self.rule, loc.path, loc.line, loc.column, message,
            code=f"{where}\n{snippet}", end_line=loc.end_line, end_column=loc.end_column, snippet=snippet,
            severity=severity, precision=precision, related=related, properties=props,
        ))
        if evidence:
            self.findings[-1] = self.findings[-1].with_(evidence=evidence)


def at_key(container: Any, key: str) -> dict[str, Any]:
    """report()'s place for `container[key]` when the container is a mapping that holds the key; else none (the
    finding points at the resource: the property is missing)."""
    return dict(container=container, key=key) if isinstance(container, dict) and key in container else {}


def construct_id(cdk_path: str) -> str:
    """`Stack/Api/Handler/Resource` -> `Handler`: the id of the construct (`Resource` is its L1 child)."""
    parts = [p for p in cdk_path.split("/") if p]
    while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts.pop()
    return parts[-1] if parts else ""
