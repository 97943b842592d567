"""The CloudFormation engine: SAM and CloudFormation templates (YAML or JSON, cdk.out included), and Python CDK
apps, which are templates written in Python (cdk.py reads them into the same model through lang/iac/cdk).

prepare: parse every template once (cached on the file), link each Lambda function to its Python handler.
scan_file: run the IaC checks on the template model; hand inline Lambda code (`Code.ZipFile`, SAM `InlineCode`,
CDK `Code.from_inline`) back to the scan as a derived file for the Python engine, its findings mapped back into
the template.

Checks live in checks/, one module per family, registered with `@iac_check(RULE_ID)`: they run on templates and
CDK apps alike.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from ...discover import DecodeError, SourceFile
from ...lang.iac.conditions import with_conditions
from ...lang.iac.inline import InlineCode, inline_code, inline_runtime
from ...lang.iac.loader import TemplateError, load_template
from ...lang.iac.model import Template, build_template, position
from ...lang.python.parse import ParseFailure, parse_python
from ...links import FUNCTION_TYPES, Linked, claim_env_secret_literals, link_functions
from ...model import Finding, Location
from ...registry import prefiltered
from ..base import Derived, Engine, Facts, ScanContext
from .checks.isolation import collect_role_users
from ...lang.iac.cdk.app import index_constructor_arguments
from .cdk import cdk_template, constructs_of
from .context import IacContext

if TYPE_CHECKING:
    from ...registry import Check


LINKED_TYPES = frozenset(FUNCTION_TYPES)
PARSED = "cfn-template"  # the file's Parsed, in its cache (SourceFile.cached) from prepare until it is scanned


def load_checks() -> None:
    from . import checks

    for info in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{info.name}")


@dataclass
class Parsed:
    template: Template | None
    error: TemplateError | None = None
    duplicates: list[tuple[str, int]] = field(default_factory=list)


def parsed_template(file: "SourceFile", only_types: frozenset[str] | None = None) -> Parsed:
    """The file's template model, parsed once (a DecodeError/OSError propagates to the scan loop). With
    `only_types` (prepare: linking), a partial model holding only those resources, not cached."""

    def build() -> Parsed:
        text = file.text()
        try:
            doc, duplicates = load_template(text, only_types)
        except TemplateError as exc:
            return Parsed(None, exc)
        except RecursionError:
            return Parsed(None, TemplateError("too deeply nested to read"))
        template = build_template(file.rel, doc)
        if template is not None:
            for resource in template.resources.values():
                resource.inline_code = inline_code(resource)
        return Parsed(template, None, duplicates)

    return build() if only_types is not None else file.cached(PARSED, build)


def run_checks(template: Template, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> list[Finding]:
    """Run IaC checks (prefiltered by their rule's tokens) on one template model."""
    rules = ctx.catalog.rules
    text = file.text()
    active = prefiltered(checks, rules, text)

    def run(model: Template) -> list[Finding]:
        ictx = IacContext(model, file, ctx)
        for check in active:
            ictx.rule = rules[check.rule_id]
            check.func(model, ictx)
        return ictx.findings

    findings = run(template)
    if "Fn::If" in text or "!If" in text:
        findings = with_conditions(template, run, findings)
    return findings


def _may_share_role(text: str) -> bool:
    """Whether a template can name a role the way IAC114 compares across files (a role ARN, an import)."""
    return ":role/" in text or ":role\\/" in text or "ImportValue" in text


class CloudFormationEngine(Engine):
    name = "cloudformation"
    kinds = frozenset({"cloudformation", "cdk"})

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> Facts:
        linked: dict[str, dict[str, Any]] = {}
        deferred: set[str] = set()
        role_users: dict[str, list[tuple[str, str, int, int, bool]]] = {}
        constructs: dict[str, list[Location]] = {}
        claimed: dict[str, frozenset[tuple[int, int, str]]] = {}
        log_buckets: set[str] = set()
        found = Linked()
        self._prepare_templates([f for f in files if "cloudformation" in f.kinds], ctx, found, linked, deferred,
                                role_users)
        ctor_args = self._prepare_cdk([f for f in files if "cdk" in f.kinds], ctx, found, role_users, constructs,
                                      claimed, log_buckets)
        return Facts(handlers=found.handlers, internal_handlers=found.internal_handlers(), env_definitions=found.env_definitions, outside_files=found.outside_files,
                     template_links=linked, link_when_scanned=frozenset(deferred),
                     role_users={k: tuple(v) for k, v in role_users.items()},
                     cdk_constructs={k: tuple(v) for k, v in constructs.items()}, claimed_env_literals=claimed,
                     cdk_ctor_args=ctor_args, cdk_log_buckets=frozenset(log_buckets))

    def _prepare_templates(self, files: list["SourceFile"], ctx: ScanContext, found: Linked,
                           linked: dict[str, dict[str, Any]], deferred: set[str], role_users: dict) -> None:
        # A repository without Python code (templates only): no file scanned needs to know its handlers first,
        # so a template that cannot share a role across files is linked when it is scanned (parsed once, not twice).
        python = any("python" in f.kinds for f in ctx.files.values())
        for file in files:
            try:
                if not python and not _may_share_role(file.text()):
                    deferred.add(file.rel)
                    continue
                # Linking reads only the functions: the rest of the template is composed but not built.
                parsed = parsed_template(file, only_types=LINKED_TYPES)
            except (DecodeError, OSError):
                continue  # reported when the file is scanned
            if parsed.template is not None:
                link_functions(parsed.template, ctx, found)
                collect_role_users(parsed.template, role_users)
                linked[file.rel] = {r.logical_id: r.handler for r in parsed.template.resources.values()
                                    if r.handler is not None}
            # Parsing again when the file is scanned costs less than holding every template of a large
            # repository in memory at once (the position-keeping trees are ~40x the text).

    def _prepare_cdk(self, files: list["SourceFile"], ctx: ScanContext, found: Linked, role_users: dict,
                     constructs: dict[str, list[Location]], claimed: dict, log_buckets: set[str]) -> dict:
        """The CDK apps' models; returns the constructor-argument index the models were built with."""
        modules = {}
        for file in files:  # constructor arguments first: a file's model depends on what other files pass it
            try:
                modules[file.rel] = ctx.python_module(file)
            except (ParseFailure, DecodeError, OSError):
                continue
        ctor_args = index_constructor_arguments(modules)
        for file in files:
            try:
                template = cdk_template(file, ctx, ctor_args)
            except (DecodeError, OSError):
                continue
            if template is None:
                continue
            link_functions(template, ctx, found)
            collect_role_users(template, role_users)
            for logged in template.of_type("AWS::S3::Bucket", "AWS::CloudFront::Distribution"):
                # a bucket that a construct in another file logs into
                dest = logged.get("LoggingConfiguration", "DestinationBucketName") \
                    if logged.type == "AWS::S3::Bucket" else logged.get("DistributionConfig", "Logging", "Bucket")
                if isinstance(dest, dict) and str(dest.get("Fn::ImportValue", "")).startswith("python:"):
                    log_buckets.add(dest["Fn::ImportValue"].removeprefix("python:"))
            literals = claim_env_secret_literals(template, ctx)
            if literals:
                claimed[template.rel] = literals
            constructs_of(template, file.rel, constructs)
        return ctor_args

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        if "cdk" in file.kinds:
            return self._scan_cdk(file, checks, ctx)
        parsed = parsed_template(file)
        if parsed.error is not None:
            ctx.notice(f"template not analysed: {parsed.error}", file.rel, "warning", "parse-error", parsed.error.line)
            return []
        for key, line in parsed.duplicates:
            if not line:  # the loader's count of the duplicates past its cap
                ctx.notice(key, file.rel, "warning", "duplicate-key")
                continue
            ctx.notice(f"duplicate key `{key}` (the last value is used)", file.rel, "warning", "duplicate-key", line)
        template = parsed.template
        file.forget(PARSED)
        if template is None:
            return []  # YAML/JSON that is not a template after all: skipped quietly
        if file.rel in ctx.facts.link_when_scanned:
            link_functions(template, ctx)
        for logical_id, link in ctx.facts.template_links.get(file.rel, {}).items():
            if logical_id in template.resources:
                template.resources[logical_id].handler = link
        findings = run_checks(template, file, checks, ctx)
        hand_back_inline_code(template, file, ctx)
        return findings

    def _scan_cdk(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> list[Finding]:
        template = cdk_template(file, ctx)
        if template is None or not template.resources and not template.parameters:
            return []
        findings = run_checks(template, file, checks, ctx)
        hand_back_inline_code(template, file, ctx)
        return findings


# --- inline Lambda code ---------------------------------------------------------------------------------------

def hand_back_inline_code(template: Template, file: "SourceFile", ctx: ScanContext) -> None:
    """Hand the template's (or CDK app's) inline Python code back to the scan, for the Python engine: each piece
    as a derived file whose findings the scan maps back to where the code sits in `file`."""
    inline = [r for r in template.resources.values() if r.inline_code is not None]
    if not inline or not ctx.checks_kind("python"):
        return
    for resource in inline:
        code: InlineCode = resource.inline_code
        runtime = inline_runtime(resource, template)
        if runtime is not None and not runtime.startswith("python"):
            # Inline code is parsed by its runtime: threatscan reads Python only, so other languages are skipped.
            ctx.notice(f"inline code of `{resource.logical_id}` is not analysed: its runtime is {runtime}, and "
                       "threatscan reads inline code only for Python runtimes", file.rel, "note", "other-language",
                       code.lines[0][0] if code.lines else None)
            continue
        lines = code.lines
        if code.reindent and lines:
            # block scalar: the column offset is the indentation of the first code line in the template
            first = file.line(lines[0][0])
            indent = len(first) - len(first.lstrip(" "))
            lines = [(ln, indent + 1) for ln, _ in lines]
        try:
            parse_python(code.text, file.rel)
        except ParseFailure as exc:
            where = lines[min(max((exc.line or 1) - 1, 0), len(lines) - 1)][0] if lines else None
            ctx.notice(f"inline code of `{resource.logical_id}` not analysed: {exc}", file.rel, "warning", "parse-error", where)
            continue
        pseudo = SourceFile(file.path, file.rel, frozenset({"python"}), len(code.text), _text=code.text)
        at = Location(file.rel, *position(resource.props, "Handler")[:2]) if code.handler else None
        ctx.hand_back(Derived(pseudo, tuple(lines), {"inlineCodeOf": resource.logical_id}, code.handler, at))


ENGINE = CloudFormationEngine()
