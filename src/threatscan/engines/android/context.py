"""What an Android check sees: the parsed file, its module and source set, the project model, and how to report.

A finding in a debug-only source set is reported as such (low severity and a note in the message), never as a
release problem; test source sets never ship, so only checks registered with `tests=True` (secrets) see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...model import Finding, Location, Related, Rule, Severity, Suppression
from ...registry import register
from ...secrets import shown_line
from ..base import ScanContext, new_finding
from .gradle import GradleFile
from .xmlparse import Element, Span, XmlDoc

if TYPE_CHECKING:
    from ...discover import SourceFile
    from .source import SourceCode
    from .project import Module, Project


def android_check(rule_id: str, *kinds: str, tests: bool = False) -> Callable:
    """Register `func(afile)` for files of `kinds`. tests=True: also run on test source sets (secrets leak from
    any committed file)."""

    def decorate(func: Callable) -> Callable:
        for kind in kinds:
            register(rule_id, kind, func, tests=tests)
        return func

    return decorate


@dataclass(frozen=True)
class Prop:
    key: str
    value: str
    line: int
    key_column: int
    value_column: int


# Modules that are never part of the shipped app: benchmarks, samples, demos, example and test apps.
NON_SHIPPING_MODULE = re.compile(r"/(?:[\w-]*[-_])?(?:benchmarks?|macrobenchmark|microbenchmark|samples?|sample-?app|demos?|"
                                 r"examples?|testapp|test-app|testing|playground|sandbox)(?:[-_][\w-]*)?/|"
                                 r"/[\w-]*(?:TestUtils?|TestShared|TestFixtures|test-?utils?|test-?fixtures|"
                                 r"test-?shared|testlib)/", re.I)

_PROP = re.compile(r"^(\s*)((?:[^\s:=\\]|\\.)+)(\s*[:=]\s*|\s+)(.*)$")


def parse_properties(text: str) -> list[Prop]:
    """Java properties: `key=value`, `key: value`, `key value`; `#`/`!` comments; backslash continuations."""
    out: list[Prop] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        i += 1
        stripped = raw.lstrip()
        if not stripped or stripped[0] in "#!":
            continue
        m = _PROP.match(raw)
        if not m:
            continue
        value = m.group(4)
        if value.endswith("\\") and not value.endswith("\\\\"):
            parts = [value[:-1]]  # joined once: concatenating line by line is quadratic on a long continuation
            while i < len(lines):
                part = lines[i].lstrip()
                i += 1
                if part.endswith("\\") and not part.endswith("\\\\"):
                    parts.append(part[:-1])
                    continue
                parts.append(part)
                break
            value = "".join(parts)
        key = m.group(2).replace("\\", "")
        out.append(Prop(key, value.rstrip(), number, len(m.group(1)) + 1, len(m.group(1)) + len(m.group(2)) + len(m.group(3)) + 1))
    return out


@dataclass
class AndroidFile:
    file: "SourceFile"
    project: "Project"
    module: "Module"
    source_set: str
    shipping: str  # "release", "debug" or "test"
    scan: ScanContext
    xml: XmlDoc | None = None
    gradle: GradleFile | None = None
    properties: list[Prop] | None = None
    code: "SourceCode | None" = None  # Java/Kotlin source, lexed (source.py)
    rule: Rule | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return self.file.rel

    # --- positions ----------------------------------------------------------------------------------------
    def xml_span(self, el: Element, attr: str | None = None) -> Span:
        assert self.xml is not None
        return self.xml.where(el, attr)

    def gradle_span(self, start: int, end: int) -> Span:
        assert self.gradle is not None
        line, col = self.gradle.position(start)
        end_line, end_col = self.gradle.position(end)
        return Span(line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        if self.xml is not None:
            return self.xml.line_text(line)
        if self.gradle is not None:
            return self.gradle.line_text(line)
        if self.code is not None:
            return self.code.line_text(line)
        return self.file.line(line)

    def code_span(self, start: int, end: int) -> Span:
        assert self.code is not None
        line, col = self.code.position(start)
        end_line, end_col = self.code.position(end)
        if end_line != line:
            end_line, end_col = line, len(self.code.line_text(line)) + 1
        return Span(line, col, end_line, end_col)

    def location_of(self, file: "SourceFile", span: Span) -> Location:
        return Location(file.rel, span.line, span.column, span.end_line, span.end_column)

    # --- reporting ------------------------------------------------------------------------------------------
    def report(
        self,
        span: Span,
        message: str,
        *,
        severity: Severity | None = None,
        secret_values: Iterable[str] = (),
        related: Iterable[Related] = (),
        precision: str | None = None,
        properties: dict[str, Any] | None = None,
        suppression: Suppression | None = None,
    ) -> None:
        assert self.rule is not None
        severity = severity or self.rule.severity
        properties = dict(properties or {})
        secrets = tuple(secret_values)
        if self.shipping != "release":
            properties["sourceSet"] = self.source_set
            if secrets:
                severity = severity.lowered()
                where = "a test" if self.shipping == "test" else "the debug-only"
                message += f" It sits in {where} source set `{self.source_set}`, so release builds do not ship it, but the repository still holds it."
            else:
                severity = Severity.LOW
                message += f" Only in the debug-only source set `{self.source_set}`, which release builds do not include."
        line_text = self.line_text(span.line)
        shown = shown_line(line_text, secrets)
        finding = new_finding(
            self.rule, self.rel, span.line, span.column, message,
            code=shown, end_line=span.end_line, end_column=span.end_column, snippet=shown.strip(),
            severity=severity, related=related, precision=precision, properties=properties,
        )
        kind = self.code_kind
        if kind:
            # Code that never ships is not a release problem: low, except a secret in a known format (a real key
            # committed anywhere is a leak), which keeps one step more.
            if kind == "non-shipping" and self.shipping == "release":
                known = secrets and precision == "high"
                finding = finding.with_(severity=finding.severity.lowered() if known else Severity.LOW,
                                        message=finding.message + " The module is not part of the shipped app "
                                        "(a benchmark, sample or test utility).")
            elif kind == "test" and not (secrets and precision == "high"):
                finding = finding.with_(severity=Severity.LOW)
            finding = finding.with_(code_kind=kind)
        if suppression is not None:
            finding = finding.with_(suppression=suppression)
        self.findings.append(finding)

    @property
    def code_kind(self) -> str:
        """Finding.code_kind: "test" for test source sets, "non-shipping" for debug-only source sets and for
        modules that are never part of the app (benchmarks, samples, demos), "" for what ships."""
        if self.shipping == "test":
            return "test"
        if self.shipping == "debug" or NON_SHIPPING_MODULE.search("/" + self.module.dir + "/"):
            return "non-shipping"
        return ""

    def report_xml(self, el: Element, message: str, attr: str | None = None, **kw: Any) -> None:
        """Report at an element (or one of its attributes); Android Lint's `tools:ignore` naming the matching
        check on the element or an ancestor suppresses the finding, with the ignore shown as the reason."""
        assert self.rule is not None
        ignored = lint_ignored(el, self.rule.id)
        if ignored is not None and "suppression" not in kw:
            kw["suppression"] = Suppression("inSource", f'Android Lint `tools:ignore="{ignored}"` on the element')
        self.report(self.xml_span(el, attr), message, **kw)


# Android Lint ids that silence our rules when named in `tools:ignore` on the element or an ancestor.
LINT_IDS = {
    "AND109": {"ExportedService", "ExportedReceiver", "ExportedActivity", "ExportedContentProvider",
               "ExportedPreferenceActivity", "UnprotectedSMSBroadcastReceiver", "UnsafeProtectedBroadcastReceiver"},
    "AND115": {"ExportedActivity", "AppLinkUrlError", "AppLinksAutoVerify"},
    "AND102": {"AllowBackup", "DataExtractionRules"},
    "AND101": {"HardcodedDebugMode"},
    "AND103": {"InsecureBaseConfiguration", "UsesCleartextTraffic"},
    "AND104": {"InsecureBaseConfiguration"},
    "AND105": {"AcceptsUserCertificates"},
    "AND110": {"ExportedContentProvider"},
}


def lint_ignored(el: Element, rule_id: str) -> str | None:
    """The `tools:ignore` value that silences `rule_id` on `el` (or an ancestor), else None."""
    ids = LINT_IDS.get(rule_id, set())
    node: Element | None = el
    while node is not None:
        value = node.get("tools:ignore")
        if value:
            named = {v.strip() for v in value.split(",")}
            if "all" in named or named & ids:
                return value
        node = node.parent
    return None
