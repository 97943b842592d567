"""The CDK engine: Python CDK apps read as source (never synthesized or executed) into the same resource model
the CloudFormation engine builds from templates, so every IaC check runs on both.

prepare: build the model of every CDK file (cached on the file), link each function to its handler
(`Code.from_asset(...)` + `handler=`, `PythonFunction(entry=..., index=..., handler=...)`), and index construct
ids so findings in synthesized `cdk.out` templates can point back to the construct (`aws:cdk:path`).
scan_file: run the IaC checks; scan inline code (`Code.from_inline`, `InlineCode`) with the Python rules.
"""

from __future__ import annotations

import ast
import posixpath
import textwrap
from typing import TYPE_CHECKING, Callable, Iterable

from ...model import Finding, Location
from ..base import Engine, ScanContext
from ..cloudformation import InlineCode, collect_role_users, run_checks, scan_inline_code
from ..cloudformation.model import Template
from ..python import parsed_module
from ..python.context import FunctionNode, char_column
from ..python.parse import ParseFailure
from .app import CTOR_ARGS, index_constructor_arguments, passed_parameters
from .constructs import CONSTRUCTS, METHODS, cdk_class
from .l1 import l1_translator
from .translate import SOURCE_LINE, CdkReader, pos_of

if TYPE_CHECKING:
    from ...discover import SourceFile
    from ...registry import Check


def cdk_template(file: "SourceFile", ctx: ScanContext) -> Template | None:
    """The CDK file's resource model, built once (None when the file does not parse: the Python engine says so)."""

    def build() -> Template | None:
        try:
            module = parsed_module(file, ctx)
        except ParseFailure:
            return None
        reader = CdkReader(module, file.rel, _app_dir(file.rel, ctx))
        reader.params = passed_parameters(module, file.rel, ctx.options.get(CTOR_ARGS) or {})
        token = SOURCE_LINE.set(file.line)  # positions in characters (see pos_of)
        try:
            _read(reader, module.tree)
        finally:
            SOURCE_LINE.reset(token)
        for resource in reader.template.resources.values():
            node = resource.extra.pop("inline_node", None)
            text = resource.get("Code", "ZipFile")
            if node is not None and isinstance(text, str):
                resource.extra["inline_code"] = _inline(node, text, resource.get("Handler"), file.line)
        return reader.template

    return file.cached("cdk-template", build)


def _app_dir(rel: str, ctx: ScanContext) -> str:
    """Where `cdk synth` runs: the nearest directory up from the file holding cdk.json, else the file's own."""
    here = posixpath.dirname(rel)
    probe = here
    while True:
        if (ctx.root / probe / "cdk.json").is_file():
            return probe
        if not probe:
            return here
        probe = posixpath.dirname(probe)


def _read(reader: CdkReader, tree: ast.Module) -> None:
    """Visit every call once, in source order, knowing the enclosing function (for local variables)."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    calls: list[tuple[ast.Call, ast.AST | None]] = []
    while stack:
        node, scope = stack.pop()
        if isinstance(node, ast.Call):
            calls.append((node, scope))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                # `self.fn = Function(...)` bound once in the file: `self.fn.add_environment(...)` finds it
                reader.self_attrs[target.attr] = node.value if target.attr not in reader.self_attrs else ast.Constant(None)
        inner = node if isinstance(node, FunctionNode) else scope
        for child in reversed(list(ast.iter_child_nodes(node))):
            stack.append((child, inner))
    calls.sort(key=lambda c: (c[0].lineno, c[0].col_offset))
    for call, scope in calls:
        reader.scope = scope
        cls = cdk_class(reader.qual(call.func))
        translate = (CONSTRUCTS.get(cls) or l1_translator(cls)) if cls else None
        if translate is None and isinstance(call.func, ast.Attribute) and call.func.attr in METHODS:
            if cls is None or call.func.attr == "from_aws_managed_policy_name":
                translate = METHODS[call.func.attr]
        if translate is not None:
            translate(reader, call, cls[1] if cls else call.func.attr if isinstance(call.func, ast.Attribute) else "Construct")


def _inline(node: ast.AST, text: str, handler: object, source_line: Callable[[int], str]) -> InlineCode:
    """Inline code with a map from its lines to the Python source: a multi-line string literal (possibly inside
    `textwrap.dedent(...)`) maps line by line; anything else maps every line to the expression."""
    function = handler.rpartition(".")[2] if isinstance(handler, str) and "." in handler else None
    n = text.count("\n") + 1
    if isinstance(node, ast.Call) and node.args:  # textwrap.dedent("""...""")
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and (node.end_lineno or 0) > node.lineno:
        indent = 0
        if node.value != text:  # dedented: the columns lost the common indentation
            indent = min((len(l) - len(l.lstrip()) for l in node.value.splitlines()[1:] if l.strip()), default=0)
        first = char_column(source_line(node.lineno), node.col_offset) + 3  # after the opening quotes
        lines = [(node.lineno + i, 1 + indent if i else first) for i in range(n)]
        return InlineCode(text, lines, function)
    line = getattr(node, "lineno", 1)
    col = char_column(source_line(line), getattr(node, "col_offset", 0))
    return InlineCode(text, [(line, col)] * n, function)


class CdkEngine(Engine):
    name = "cdk"
    kinds = frozenset({"cdk"})

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> None:
        from ...discover import DecodeError
        from ...links import claim_env_secret_literals, link_functions

        constructs: dict[str, list[Location]] = ctx.options.setdefault("cdk_constructs", {})
        modules = {}
        for file in files:  # constructor arguments first: a file's model depends on what other files pass it
            try:
                modules[file.rel] = parsed_module(file, ctx)
            except (ParseFailure, DecodeError, OSError):
                continue
        ctx.options[CTOR_ARGS] = index_constructor_arguments(modules)
        log_buckets: set[str] = ctx.options.setdefault("cdk_log_buckets", set())
        for file in files:
            try:
                template = cdk_template(file, ctx)
            except (DecodeError, OSError):
                continue
            if template is None:
                continue
            link_functions(template, ctx)
            collect_role_users(template, ctx.options)
            for logged in template.of_type("AWS::S3::Bucket", "AWS::CloudFront::Distribution"):
                # a bucket that a construct in another file logs into
                dest = logged.get("LoggingConfiguration", "DestinationBucketName") \
                    if logged.type == "AWS::S3::Bucket" else logged.get("DistributionConfig", "Logging", "Bucket")
                if isinstance(dest, dict) and str(dest.get("Fn::ImportValue", "")).startswith("python:"):
                    log_buckets.add(dest["Fn::ImportValue"].removeprefix("python:"))
            claim_env_secret_literals(template, ctx)
            for r in template.resources.values():
                line, col, end_line, end_col = r.id_pos
                if "@" not in r.logical_id:
                    constructs.setdefault(r.logical_id, []).append(Location(file.rel, line, col))

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        template = cdk_template(file, ctx)
        if template is None or not template.resources and not template.parameters:
            return []
        findings = run_checks(template, file, checks, ctx)
        findings.extend(scan_inline_code(template, file, ctx))
        return findings


ENGINE = CdkEngine()
