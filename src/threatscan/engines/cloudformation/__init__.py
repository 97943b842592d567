"""The CloudFormation engine: SAM and CloudFormation templates (YAML or JSON, cdk.out included).

prepare: parse every template once (cached on the file), link each Lambda function to its Python handler.
scan_file: run the IaC checks on the template model; scan inline Lambda code (`Code.ZipFile`, SAM
`InlineCode`) with the Python rules, line numbers mapped back into the template.

Checks live in checks/, one module per family, registered with `@iac_check(RULE_ID)`; the CDK engine runs the
same checks on the model it builds from Python CDK apps.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from ...links import FUNCTION_TYPES
from ...model import Finding, FlowStep, Location, Related
from ...registry import prefiltered
from ..base import Engine, ScanContext
from .context import IacContext
from ...lang.iac.loader import PDict, PList, TemplateError, load_template
from ...lang.iac.model import Template, build_template, is_intrinsic, position

if TYPE_CHECKING:
    from ...discover import SourceFile
    from ...registry import Check


LINKED_TYPES = frozenset(FUNCTION_TYPES)


def collect_role_users(template: Template, options: dict[str, Any]) -> None:
    from .checks.isolation import collect_role_users as collect

    collect(template, options)


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
                code = inline_code(resource)
                if code is not None:
                    resource.extra["inline_code"] = code
        return Parsed(template, None, duplicates)

    return build() if only_types is not None else file.cached("cfn-template", build)


def run_checks(template: Template, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> list[Finding]:
    """Run IaC checks (prefiltered by their rule's tokens) on one template model."""
    from ...lang.iac.conditions import with_conditions

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
    kinds = frozenset({"cloudformation"})

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> None:
        from ...discover import DecodeError
        from ...links import link_functions

        linked: dict[str, dict[str, Any]] = ctx.options.setdefault("cfn_links", {})
        # A repository without Python code (templates only): no file scanned needs to know its handlers first,
        # so a template that cannot share a role across files is linked when it is scanned (parsed once, not twice).
        deferred: set[str] = ctx.options.setdefault("cfn_link_when_scanned", set())
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
                link_functions(parsed.template, ctx)
                collect_role_users(parsed.template, ctx.options)
                linked[file.rel] = {r.logical_id: r.extra["handler"] for r in parsed.template.resources.values()
                                    if "handler" in r.extra}
            # Parsing again when the file is scanned costs less than holding every template of a large
            # repository in memory at once (the position-keeping trees are ~40x the text).

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
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
        file._cache.pop("cfn-template", None)
        if template is None:
            return []  # YAML/JSON that is not a template after all: skipped quietly
        if file.rel in ctx.options.get("cfn_link_when_scanned", ()):
            from ...links import link_functions

            link_functions(template, ctx)
        for logical_id, link in ctx.options.get("cfn_links", {}).get(file.rel, {}).items():
            if logical_id in template.resources:
                template.resources[logical_id].extra["handler"] = link
        findings = run_checks(template, file, checks, ctx)
        findings.extend(scan_inline_code(template, file, ctx))
        return findings


# --- inline Lambda code ---------------------------------------------------------------------------------------

@dataclass
class InlineCode:
    text: str
    lines: list[tuple[int, int]]  # Python line n (1-based) -> (template line, column offset)
    handler: str | None
    reindent: bool = False  # a YAML block scalar: the column offset is the block's indentation


def inline_code(resource: Any) -> InlineCode | None:
    """`Code.ZipFile` (AWS::Lambda::Function) or `InlineCode` (SAM) as text, with a line map into the template."""
    props = resource.props
    if resource.type == "AWS::Lambda::Function":
        code = props.get("Code")
        if not isinstance(code, PDict) or "ZipFile" not in code:
            return None
        container, key = code, "ZipFile"
    elif resource.type == "AWS::Serverless::Function" and "InlineCode" in props:
        container, key = props, "InlineCode"
    else:
        return None
    handler = props.get("Handler")
    function = handler.rpartition(".")[2] if isinstance(handler, str) and "." in handler else None
    value = container[key]
    if isinstance(value, dict) and is_intrinsic(value):
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            value = arg if isinstance(arg, str) else None
        elif fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and arg[0] == "\n" and isinstance(arg[1], PList):
            parts = arg[1]
            if all(isinstance(p, str) for p in parts):
                lines = [(pos[0], pos[1]) for pos in parts.item_pos]
                return InlineCode("\n".join(parts), lines, function)
            return None
        else:
            return None
    if not isinstance(value, str):
        return None
    line, col, end_line, _ = position(container, key, value=True)
    text_lines = value.split("\n")
    if end_line > line:  # a block scalar: the code starts on the next line (indentation added when scanned)
        return InlineCode(value, [(line + i + 1, 0) for i in range(len(text_lines))], function, reindent=True)
    return InlineCode(value, [(line, col) for _ in text_lines], function)


def inline_runtime(resource: Any, template: Template) -> str | None:
    """The function's `Runtime` (SAM Globals included) when the template states it plainly, else None."""
    from ...lang.iac.model import UNKNOWN, literal

    value = literal(resource.get("Runtime"), template)
    return value.strip().lower() if isinstance(value, str) and value is not UNKNOWN and value.strip() else None


def scan_inline_code(template: Template, file: "SourceFile", ctx: ScanContext) -> list[Finding]:
    from ...discover import SourceFile
    from ...registry import all_checks
    from ..python import PythonEngine
    from ...lang.python.parse import ParseFailure, parse_python

    inline = [r for r in template.resources.values() if r.extra.get("inline_code") is not None]
    if not inline:
        return []
    checks = [c for c in all_checks() if c.kind == "python" and (ctx.rule_ids is None or c.rule_id in ctx.rule_ids)]
    if not checks:
        return []
    findings: list[Finding] = []
    for resource in inline:
        code: InlineCode = resource.extra["inline_code"]
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
        if code.handler:
            ctx.links.add_handler(file.rel, code.handler, Location(file.rel, *position(resource.props, "Handler")[:2]))
        for f in PythonEngine().scan_file(pseudo, checks, ctx):
            findings.append(_shift(f, lines, file, resource.logical_id))
        ctx.links.handlers.get(file.rel, {}).pop(code.handler or "", None)
    return findings


def _map(loc: Location, lines: list[tuple[int, int]], rel: str) -> Location:
    def one(line: int, col: int | None) -> tuple[int, int | None]:
        if not lines:
            return line, col
        t_line, offset = lines[min(max(line - 1, 0), len(lines) - 1)]
        same_line_map = len(lines) > 1 and lines[0][0] == lines[-1][0]
        if same_line_map:  # a one-line string: point at the string itself
            return t_line, offset
        return t_line, (col + offset - 1) if col is not None else None

    line, col = one(loc.line, loc.column)
    end_line, end_col = (one(loc.end_line, loc.end_column) if loc.end_line is not None else (None, None))
    if end_line is not None and (end_line < line or (end_line == line and end_col is not None and end_col <= (col or 1))):
        end_line, end_col = None, None
    return Location(rel, line, col or 1, end_line, end_col)


def _shift(f: Finding, lines: list[tuple[int, int]], file: "SourceFile", logical_id: str) -> Finding:
    loc = _map(f.location, lines, file.rel)
    related = tuple(Related(_map(r.location, lines, file.rel), r.message) for r in f.related)
    flow = tuple(FlowStep(_map(s.location, lines, file.rel), s.message) for s in f.flow)
    props = dict(f.properties)
    props["inlineCodeOf"] = logical_id
    return f.with_(location=loc, related=related, flow=flow, properties=props)


load_checks()
ENGINE = CloudFormationEngine()
