"""The Python engine: parse once into `ast`, walk once, dispatch each node to the checks registered for its type.

Checks live in checks/, one module per family; each registers with `@python_check(RULE_ID, ast.NodeType)`.
A check runs only on files containing at least one of its rule's `tokens` (the prefilter), so most files are
never parsed at all.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from typing import TYPE_CHECKING, Any, Iterable

from ...model import Finding, Related
from ...registry import prefiltered
from ...lang.python.module import _CHILD_FIELDS, LEAF_CLASSES, PyModule, child_fields
from ...lang.python.module import resolve_repo_path as lang_resolve_repo_path
from ...lang.python.parse import ParseFailure
from ..base import Engine, Facts, ScanContext
from .deployment import (
    CorsOriginsSetting, SettingsModule, cors_origins_settings, distributed_program, production_servers,
    ambient_credentials, csrf_middleware, settings_modules, web_framework_use,
)

if TYPE_CHECKING:
    from ...discover import SourceFile
    from .context import PyContext
    from ...registry import Check


# The data-flow package (~10 ms to import) is imported when a file is analysed or an import resolved, not with the
# engine: a rescan whose every file comes from the cache needs neither. (Module-level names, so tests can wrap them.)
def file_dependencies(state: Any, rel: str) -> Any:
    from ...lang.python.dataflow.module import file_dependencies as work

    return work(state, rel)


def release_dataflow(module: PyModule) -> None:
    from ...lang.python.dataflow.module import release_dataflow as work

    work(module)


def resolve_repo_path(files: Any, rel: str, module: str, level: int) -> str | None:
    return lang_resolve_repo_path(files, rel, module, level)


def load_checks() -> None:
    from ...lang.python.dataflow.spec import load_spec
    from . import checks

    # The data-flow specification (YAML), loaded with the checks: once, before the first file is scanned and
    # before workers fork, and never by a rescan whose every file comes from the cache. A broken one is reported
    # where it is used (each file's scan), as when prepare() loaded it.
    try:
        load_spec()
    except Exception:
        pass

    for info in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{info.name}")


# The rules whose severity depends on what the repository deploys (secrets, web configuration, crypto/TLS; open
# redirects and reflected pages: whether the deployed settings turn Django's CSRF middleware on).
DEPLOYMENT_RULES = ("PY2", "PY3", "PY5", "PY402", "PY403")


class PythonEngine(Engine):
    name = "python"
    kinds = frozenset({"python"})

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> Facts:
        # The data-flow pass follows calls into helpers imported from the repository (never imported, only parsed);
        # its specification is loaded with the checks (load_checks), once, not once in every worker process.
        if ctx.wants_dependencies:  # the scan keeps a cache: record what each file reads
            ctx.dependencies = _Dependencies(ctx)  # a per-process recorder for the scan cache, not a fact
        # Which settings module is deployed, and which production servers run the app (configuration findings
        # are gate-tier only in what production runs).
        # Whether any module serves web requests: without one, a parameter named `request` holds no web request.
        key: str | None = None
        try:
            key = _python_files_key(files, ctx)
            # (serving outside optional plugins, the first optional subpackage that imports a framework)
            use = _kept(ctx, key, "web_framework_use", lambda: web_framework_use(files), list, tuple)
            web = bool(use[0] or use[1])
        except Exception as exc:
            ctx.notice(f"whether the repository serves web requests could not be decided: {exc.__class__.__name__}: "
                       f"{exc}", None, "warning", "analysis-limit")
            use, web = (True, ""), True
        if ctx.rule_ids is not None and not any(r.startswith(DEPLOYMENT_RULES) for r in ctx.rule_ids):
            return Facts(python_files={f.rel: f for f in files}, web_framework=web)
        try:
            roles = _kept(ctx, key, "settings_modules", lambda: settings_modules(files), _encode_settings,
                          _decode_settings)
            deployment = {"settings_modules": roles,
                          "csrf_middleware": _kept(ctx, key, "csrf_middleware", lambda: csrf_middleware(files, roles),
                                                   dict, dict),
                          "production_servers": production_servers(str(ctx.root), files),
                          "cors_origins": _kept(ctx, key, "cors_origins", lambda: cors_origins_settings(files),
                                                _encode_cors, _decode_cors),
                          "distributed_program": distributed_program(str(ctx.root), files, lambda: use),
                          "ambient_credentials": _kept(ctx, key, "ambient_credentials",
                                                       lambda: ambient_credentials(files), dict, dict)}
        except Exception as exc:  # (never lose the file list for it: configuration findings then keep their tier)
            ctx.notice(f"which settings module is deployed could not be decided: {exc.__class__.__name__}: {exc}",
                       None, "warning", "analysis-limit")
            deployment = {}
        return Facts(python_files={f.rel: f for f in files}, web_framework=web, **deployment)

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        text = file.text()
        rules = ctx.catalog.rules
        active = prefiltered(checks, rules, text)
        if not active:
            return []
        try:
            module = ctx.python_module(file)
        except ParseFailure as exc:
            ctx.notice(str(exc), file.rel, "warning", "parse-error", exc.line)
            return []
        if module.parser.startswith("libcst:except-comma:"):
            line = int(module.parser.rsplit(":", 1)[1] or 0) or None
            ctx.notice("parsed with the fallback parser: `except X, e:` is Python 2's way to name the exception, or "
                       "Python 3.14's list of exception classes without brackets; it is read as 3.14 reads it (the "
                       "rest of the file as Python 3)", file.rel, "note", "fallback-parser", line)
        elif module.parser != "ast":
            ctx.notice("parsed with the fallback parser (newer Python syntax than this interpreter knows)",
                       file.rel, "note", "fallback-parser")
        dispatch: dict[type, list["Check"]] = {}
        for check in active:
            for t in check.options["node_types"]:
                dispatch.setdefault(t, []).append(check)
        from .context import PyContext  # (with the data flow: imported by the first file analysed, see above)
        from .secret_finder import redact_snippet

        pyctx = PyContext(module, ctx, redact_snippet)
        try:
            _Walker(pyctx, dispatch, rules).visit(module.tree)
        finally:
            release_dataflow(module)
        deps = ctx.dependencies
        if deps is not None:
            deps.record(file.rel)
        return _with_template_links(pyctx.findings, module, ctx)

    def statements(self, file: "SourceFile", ctx: ScanContext) -> tuple[tuple[int, int], ...] | None:
        try:
            module = ctx.python_module(file)
        except ParseFailure:
            return None
        return statement_spans(module.tree)


# Facts that read only the Python files (which exist, and their text) are kept in the scan cache (ctx.memo) under
# every Python file's path and content hash: a rescan with no Python file changed reads them instead of parsing
# settings, entry points and every module mentioning CORS_ORIGINS again (Django: ~0.015 s CPU).
def _python_files_key(files: list["SourceFile"], ctx: ScanContext) -> str | None:
    """The memo key of those facts, computed once per scan; None (no memo) without a cache, or when a file has no
    content hash (not read whole by discovery)."""
    if ctx.memo is None or any(f.digest is None for f in files):
        return None
    return "\n".join(sorted(f"{f.rel}\0{f.digest}" for f in files))


def _kept(ctx: ScanContext, key: str | None, name: str, compute: Any, encode: Any, decode: Any) -> Any:
    return compute() if key is None else ctx.memo(name, key, compute, encode, decode)


def _encode_settings(roles: dict) -> list:
    return [[m.rel, m.role, m.why, list(map(list, m.overridden.items())), list(map(list, m.set_elsewhere.items()))]
            for m in roles.values()]


def _decode_settings(rows: list) -> dict:
    out = {}
    for rel, role, why, overridden, *rest in rows:  # (a damaged row: ValueError, and the memo is worked out again)
        out[rel] = SettingsModule(rel, role, why, dict(overridden), dict(rest[0]) if rest else {})
    return out


def _encode_cors(found: frozenset[CorsOriginsSetting]) -> list:
    return sorted([s.path, s.line, list(s.origins) if s.origins is not None else None, s.owner] for s in found)


def _decode_cors(rows: list) -> frozenset[CorsOriginsSetting]:
    return frozenset(CorsOriginsSetting(path, line, tuple(origins) if origins is not None else None, owner)
                     for path, line, origins, owner in rows)


class _Dependencies:
    """The other files a Python file's result depends on, for the scan cache (cache.py): the repository modules its
    data flow followed, transitively, and how each import resolved (a new module could shadow one). Recorded when
    the file's scan ends (in the process that scanned it) and taken by the scan loop with the file's results."""

    def __init__(self, ctx: ScanContext):
        self.ctx = ctx
        self.recorded: dict[str, dict] = {}
        # (importer, module, level) -> the file it resolves to: a warm rescan asks the same few thousand questions
        # for every cached module, over a file list that stays the same for the whole scan.
        self._resolved: dict[tuple, str | None] = {}
        self._layout: tuple[Any, str] | None = None  # (the file mapping, its layout())

    def record(self, rel: str) -> None:
        files, lookups = file_dependencies(self.ctx.analysis_state(), rel)
        self.recorded[rel] = {"files": files, "imports": [list(x) for x in lookups]}

    def take(self, rel: str) -> dict | None:
        return self.recorded.pop(rel, None)

    def layout(self) -> str:
        """A digest of the repository's Python file paths: while it is the same, every import resolves as it did
        (resolve_repo_path reads nothing else), so a cache entry recorded under it need not ask again."""
        files = self.ctx.facts.python_files
        if self._layout is None or self._layout[0] is not files:
            import hashlib

            joined = "\0".join(sorted(files)).encode("utf-8", "surrogateescape")
            self._layout = (files, hashlib.sha256(joined).hexdigest())
        return self._layout[1]

    def still_resolve(self, imports: list) -> bool:
        """Whether every recorded import resolves as it did (no module added or removed in the way)."""
        files = self.ctx.module_facts().files
        resolved = self._resolved
        for here, module, level, found in imports:
            key = (here, module, level)
            if key not in resolved:
                resolved[key] = resolve_repo_path(files, here, module, level)
            if resolved[key] != found:
                return False
        return True


def statement_spans(tree: ast.AST) -> tuple[tuple[int, int], ...]:
    """(first, last) line of every simple statement, and of the header of every compound statement (decorators
    included, up to the line before its body)."""
    spans: set[tuple[int, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            end = node.end_lineno or node.lineno
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                decorators = getattr(node, "decorator_list", [])
                start = min([node.lineno, *(d.lineno for d in decorators)])
                spans.add((start, max(node.lineno, body[0].lineno - 1)))
            else:
                spans.add((node.lineno, end))
    return tuple(sorted(spans))


def _with_template_links(findings: list[Finding], module: PyModule, ctx: ScanContext) -> list[Finding]:
    """A finding in code that a template or CDK app deploys as a Lambda handler points at where the template names
    the handler: the reader sees why the code counts as a handler, and a diff that links the handler (changing
    only the template) reports the finding."""
    linked = ctx.facts.handlers.get(module.file.rel)
    if not linked or not findings:
        return findings
    top = [n for n in module.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    out = []
    for f in findings:
        fn = next((n for n in top if n.lineno <= f.location.line <= (n.end_lineno or n.lineno)), None)
        handler = module.handler_of(fn) if fn is not None else None
        at = linked.get(handler or "")
        # (inline template code names its own file: the template is the code, no pointer needed)
        if at is None or at.path == module.file.rel or any(r.location == at for r in f.related):
            out.append(f)
            continue
        out.append(f.with_(related=(*f.related, Related(at, f"`{handler}` is deployed as a Lambda handler here"))))
    return out


class _Walker:
    """Visits every node once, keeping track of the enclosing functions, and calls the checks for its type."""

    def __init__(self, ctx: "PyContext", dispatch: dict[type, list["Check"]], rules: dict):
        self.ctx = ctx
        self.rules = rules
        self.dispatch = dispatch
        self.catch_all = dispatch.get(ast.AST, [])
        self.too_deep: set[str] = set()
        # Node classes with no check of this file and no child node (a Name, an operator, an import's alias: a
        # third of the nodes): never pushed onto the walk, as visiting them would do nothing.
        self.inert = frozenset() if self.catch_all else LEAF_CLASSES.difference(dispatch)

    def visit(self, root: ast.AST) -> None:
        # Iterative, so deeply nested generated code cannot exhaust the recursion limit. The hottest loop of a
        # scan: children are pushed straight onto one stack (reversed, to pop in source order) and the enclosing
        # functions live on a second stack, left through the _LEAVE marker.
        ctx = self.ctx
        dispatch = self.dispatch
        catch_all = self.catch_all
        rules = self.rules
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        scopes: list[tuple[ast.AST | None, ast.AST | None]] = [(None, None)]
        stack: list = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        fields_of, AST = _CHILD_FIELDS.get, ast.AST
        inert = self.inert
        plans: dict[type, tuple] = {}
        while stack:
            node = pop()
            if node is _LEAVE:
                scopes.pop()
                continue
            cls = node.__class__
            plan = plans.get(cls)
            if plan is None:  # the checks of a node class, with what each sets on the context, whether the class is
                # a function's and its child fields: once per class
                fields = fields_of(cls)
                plan = plans[cls] = (
                    tuple((c, c.func, rules[c.rule_id], c.options["raise_in_handler"], c.options.get("gate"))
                          for c in [*(dispatch.get(cls) or ()), *catch_all]),
                    cls in functions, fields if fields is not None else child_fields(cls))
            todo, is_function, fields = plan
            if todo:
                ctx.function, ctx.outer_function = scopes[-1]
                opened = None  # gate -> its answer at this node (python_check's `gate`: asked once per node)
                for check, func, rule, raise_in_handler, gate in todo:
                    ctx.rule = rule
                    ctx.raise_in_handler = raise_in_handler
                    if gate is not None:
                        if opened is None:
                            opened = {}
                        if gate not in opened:
                            try:
                                opened[gate] = bool(gate(node, ctx))
                            except RecursionError:  # (the checks then run, and each meets it as before)
                                opened[gate] = True
                        if not opened[gate]:
                            continue
                    try:
                        func(node, ctx)
                    except RecursionError:  # this node, this check: every other finding of the file is kept
                        self._too_deep(check, node)
                    except Exception as exc:  # a check's own bug: it loses its finding here, not the file's others
                        self._failed(check, node, exc)
            if is_function:
                outer = scopes[-1][1]
                scopes.append((node, outer or node))
                push(_LEAVE)
            # push_children inlined (a call per node is a tenth of the walk): the children in field order, pushed
            # reversed
            if fields:
                kids = []
                for name in fields:
                    value = getattr(node, name, None)
                    if value is None:
                        continue
                    if value.__class__ is list:
                        for item in value:
                            if isinstance(item, AST) and item.__class__ not in inert:
                                kids.append(item)
                    elif isinstance(value, AST) and value.__class__ not in inert:
                        kids.append(value)
                if kids:
                    kids.reverse()
                    extend(kids)


    def _failed(self, check: "Check", node: ast.AST, exc: Exception) -> None:
        """A check that raised at one node: an error notice (the scan is then not successful, so a gate run fails
        rather than passing on missing findings), once per rule and exception type in the file; the walk goes on,
        so the file's other findings, and this rule's elsewhere, are kept. A crafted construct that trips one check
        cannot hide every other finding of its file."""
        key = f"{check.rule_id}:{exc.__class__.__name__}"
        if key in self.too_deep:
            return
        self.too_deep.add(key)
        self.ctx.scan.notice(f"engine python failed on this file: rule {check.rule_id} raised "
                             f"{exc.__class__.__name__}: {exc} here; its findings at this place are missing",
                             self.ctx.module.file.rel, "error", "engine-crash", getattr(node, "lineno", None))

    def _too_deep(self, check: "Check", node: ast.AST) -> None:
        if check.rule_id in self.too_deep:
            return
        self.too_deep.add(check.rule_id)
        self.ctx.scan.notice(f"rule {check.rule_id} could not finish its analysis here (nested or chained "
                                    "too deeply: RecursionError); its findings at this place may be missing",
                                    self.ctx.module.file.rel, "warning", "analysis-limit", getattr(node, "lineno", None))


_LEAVE = object()  # marks where a function's children end on the walker's stack


ENGINE = PythonEngine()
