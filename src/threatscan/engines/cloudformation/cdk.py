"""The CloudFormation engine's CDK front end: Python CDK apps read as source (never synthesized or executed) into
the same resource model the engine builds from templates (lang/iac/cdk translates), so every IaC check runs on both.

prepare (the engine's): build the model of every CDK file (cached on the file), link each function to its handler
(`Code.from_asset(...)` + `handler=`, `PythonFunction(entry=..., index=..., handler=...)`), and index construct
ids so findings in synthesized `cdk.out` templates can point back to the construct (`aws:cdk:path`).
scan_file (the engine's): run the IaC checks; hand inline code (`Code.from_inline`, `InlineCode`) back to the scan
for the Python engine.
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ...lang.iac.cdk.app import passed_parameters
from ...lang.iac.cdk.constructs import CONSTRUCTS, METHODS, cdk_class
from ...lang.iac.cdk.l1 import l1_translator
from ...lang.iac.cdk.translate import SOURCE_LINE, CdkReader
from ...lang.iac.inline import InlineCode
from ...lang.iac.model import Template
from ...lang.python.module import FunctionNode, char_column
from ...lang.python.parse import ParseFailure
from ...model import Location
from ..base import ScanContext

if TYPE_CHECKING:
    from ...discover import SourceFile


def cdk_template(file: "SourceFile", ctx: ScanContext, ctor_args: Mapping[str, Any] | None = None) -> Template | None:
    """The CDK file's resource model, built once (None when the file does not parse: the Python engine says so).
    `ctor_args`: what other files pass the app's construct classes (the engine's prepare builds the models before
    the facts are merged; afterwards they come from ScanContext.facts)."""

    def build() -> Template | None:
        try:
            module = ctx.python_module(file)
        except ParseFailure:
            return None
        reader = CdkReader(module, file.rel, _app_dir(file.rel, ctx))
        args = ctx.facts.cdk_ctor_args if ctor_args is None else ctor_args
        reader.params = passed_parameters(module, file.rel, args)
        token = SOURCE_LINE.set(file.line)  # positions in characters (see pos_of)
        try:
            _read(reader, module.tree)
        finally:
            SOURCE_LINE.reset(token)
        for resource in reader.template.resources.values():
            node, resource.inline_node = resource.inline_node, None
            text = resource.get("Code", "ZipFile")
            if node is not None and isinstance(text, str):
                resource.inline_code = _inline(node, text, resource.get("Handler"), file.line)
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


def constructs_of(template: Template, rel: str, constructs: dict[str, list[Location]]) -> None:
    """Index construct ids, so findings in synthesized `cdk.out` templates can point back to the construct."""
    for r in template.resources.values():
        line, col, end_line, end_col = r.id_pos
        if "@" not in r.logical_id:
            constructs.setdefault(r.logical_id, []).append(Location(rel, line, col))
