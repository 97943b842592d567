"""Path traversal: request data reaching a file path, and archives extracted without a member filter (rules PY408,
PY409).

The sinks and sanitizers are data (rules/dataflow/python-families.yaml: family `path`); this module adds what the
data-flow verdict cannot see on its own:
- a containment check on a *normalised* path (`os.path.realpath(p).startswith(BASE)`, `Path.resolve()
  .is_relative_to(base)`, `os.path.commonpath(...) == BASE`) guarding the sink, either around it or as an early
  exit before it; a check on a path that was not normalised (`p.startswith(BASE)` with `..` still in it) or that
  does not guard the sink is no protection;
- route segments that cannot hold a `/` (Flask `<name>`, `<int:id>`, FastAPI `{name}`): only a `path` converter
  lets a request name a file in another directory.
`zipfile`'s `extractall` drops `..` and absolute member names itself and is not reported; `tarfile` extracts them
unless a filter (`filter="data"`) or a members function says otherwise (PY409).
"""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ..context import PyContext
from ....lang.python.module import parameter_defaults
from ....lang.python.dataflow import CONSTANT, NAME_PREFIXED, TAINTED, UNKNOWN_SOURCE, Verdict, dataflow_of, flow_rank, \
    indirect_sinks, may_be_tainted
from ..registry import python_check
from ._taint import label, report_tainted, sink_args, sink_entries
from ._taint import const_of, route_segment
from ._web import last_identifier

NORMALISERS = frozenset({"os.path.realpath", "os.path.abspath", "os.path.normpath", "posixpath.realpath",
                         "posixpath.abspath", "posixpath.normpath", "os.path.commonpath", "os.path.commonprefix"})
NORMALISER_METHODS = frozenset({"resolve", "absolute"})  # pathlib: Path(p).resolve()
CONTAINMENT_METHODS = frozenset({"startswith", "is_relative_to"})
COMMON = frozenset({"os.path.commonpath", "os.path.commonprefix", "posixpath.commonpath", "posixpath.commonprefix"})
CONTAINMENT_HELPER = re.compile(r"^_*(is_relative_to|is_subpath|is_sub_path|is_safe_path|is_within(?:_dir|_directory)?|within_directory|"
                                r"path_is_within|is_inside|inside_directory|is_path_safe|safe_path)$", re.I)
TERMINATORS = frozenset({"abort", "exit", "Http404", "HTTPException", "PermissionDenied", "SuspiciousOperation"})


def _what(ctx: PyContext, call: ast.Call) -> str:
    name = ctx.call_name(call) or ""
    if name and not name.startswith("<"):
        return name
    return call.func.attr if isinstance(call.func, ast.Attribute) else name or "call"


@python_check("PY408", ast.Call, raise_in_handler=True)
def path_traversal(call: ast.Call, ctx: PyContext) -> None:
    entries = sink_entries(ctx, call, "path")
    receiver = _path_object(ctx, call)
    if not entries and receiver is None:
        _indirect(ctx, call)
        return
    if not may_be_tainted(ctx):
        return  # (only a tainted verdict is reported below)
    for arg in sink_args(call, entries) if entries else [receiver]:
        if _upload_object(ctx, arg):
            continue
        verdict = ctx.taint_verdict(arg, "path")
        if verdict.state != TAINTED or _passed_upload(ctx, arg, verdict):
            continue
        segment = route_segment(ctx, verdict)
        if _guarded(ctx, call, arg) or segment == "no-slash":
            continue
        what = _what(ctx, call)
        checked, condition = _checked_before(ctx, call, _names(arg, ctx))
        if not checked:
            checked, condition = _checked_by_caller(ctx, verdict.steps)
        if checked and not condition or _checked_helper_result(ctx, arg):
            continue
        if checked:
            _report_mode_checked(ctx, call, verdict, what, condition, sink_inside=False)
            return
        live = [t for t in verdict.value.deep() if t.live_for("path")] if verdict.value is not None else []
        if live and all(NAME_PREFIXED in t.cleaned for t in live):
            _review_path(ctx, call, verdict, what, f"built from {label(verdict)}, but the request's text follows fixed "
                         "text in the same path component (a name prefix): a `../` after it names a directory that "
                         "does not exist, and no absolute path can start there. Review whether such a directory can "
                         "be made.")
            return
        if segment == "unknown":  # a Django view's URL capture: its pattern (urls.py) decides what it can hold
            _review_path(ctx, call, verdict, what, "built from a URL capture; whether it can hold `/` or `..` depends "
                         "on the URL pattern, which is not visible here (a `path:` converter or `.*` can).")
            return
        admin = admin_only_view(ctx, verdict.steps) if not verdict.trust else ""  # (trust: the data flow's own gate)
        if admin:
            report_tainted(ctx, call, verdict, f"Path traversal: `{what}` uses a file path built from "
                                               f"{label(verdict)} in a view only administrators reach ({admin}); "
                                               f"review whether they should be able to name any file.", what,
                           severity=Severity.LOW)
            _mark(ctx, "flow")
            return
        report_tainted(ctx, call, verdict, f"Path traversal: `{what}` uses a file path built "
                                           f"from {label(verdict)}; `../` or an absolute path reaches any file the "
                                           f"process can read or write.", what)
        _mark(ctx, "flow")
        return


UPLOAD_MAPPINGS = frozenset({"FILES", "files"})


def _upload_object(ctx: PyContext, arg: ast.AST, scope: ast.AST | None = None) -> bool:
    """`pandas.read_excel(request.FILES["f"])`, or a name bound only to such an element in `scope` (the function
    around the sink by default: `file = request.FILES.get("f")`): an uploaded file object (Django's UploadedFile,
    Flask's FileStorage) handed to a reader that also takes paths is read as a file, not named as a path (horilla,
    §3w: ten imports). What is read from it (`.read()`, its lines) or its name is judged as the data flow says."""
    scope = scope if scope is not None else ctx.function
    if isinstance(arg, ast.Name) and scope is not None:
        bound = ctx.module.bindings(scope).get(arg.id)
        return bool(bound) and all(_upload_element(b) for b in bound)
    return _upload_element(arg)


def _passed_upload(ctx: PyContext, arg: ast.AST, verdict) -> bool:
    """`def excel_holiday_import(file): pd.read_excel(file)` where the flow comes in through a parameter that the
    call it names, in this module, fills with an uploaded file object (`excel_holiday_import(request.FILES.get("f"))`
    or a name bound to one): the helper reads that file, as the caller would."""
    fn = ctx.function
    if not isinstance(arg, ast.Name) or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if arg.id not in params:
        return False
    step = next((st for st in reversed(verdict.steps) if st.message == f"passed to `{fn.name}()`"), None)
    if step is None or step.location.path != ctx.file.rel:
        return False
    parents = ctx.module.parents()
    calls = [n for n in ctx.module.walk() if isinstance(n, ast.Call) and n.lineno == step.location.line
             and last_identifier(n.func) == fn.name]
    index = params.index(arg.id) - (1 if params[:1] in (["self"], ["cls"]) else 0)
    found = False
    for call in calls:
        given = next((kw.value for kw in call.keywords if kw.arg == arg.id), None)
        if given is None and 0 <= index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
            given = call.args[index]
        caller = _enclosing_function(parents, call)
        if given is None or not (_upload_object(ctx, given, caller) if caller is not None else _upload_element(given)):
            return False
        found = True
    return found


def _upload_element(node: ast.AST | None) -> bool:
    """`request.FILES["f"]`, `request.FILES.get("f")`, `request.files["f"]` (also on `self.request`)."""
    if isinstance(node, ast.Subscript):
        mapping = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        mapping = node.func.value
    else:
        return False
    return isinstance(mapping, ast.Attribute) and mapping.attr in UPLOAD_MAPPINGS \
        and last_identifier(mapping.value) in ("request", "req")


def _review_path(ctx: PyContext, call: ast.Call, verdict, what: str, why: str) -> None:
    """A path-traversal review finding (low, tag `review`): `what` uses a file path `why` says more of."""
    report_tainted(ctx, call, verdict, f"Path traversal (review): `{what}` uses a file path {why}", what,
                   severity=Severity.LOW)
    _mark(ctx, "review")


# Decorators that let only administrators in (`@Permissions.ADMIN.require(403)`, `@admin_required`,
# `@staff_member_required`, `@user_passes_test(lambda u: u.is_superuser)`, `@roles_required("admin")`).
_ADMIN_DECORATOR = re.compile(r"admin|superuser|staff_member|is_staff", re.I)
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "websocket"})


def admin_only_view(ctx: PyContext, steps) -> str:
    """The admin-only decorator of the function (in this file) where the flow's data entered, or "": an
    administrator naming a server path is how admin tools (folder settings, backups) work, so such a flow is a low
    finding to review rather than a path traversal any user can drive."""
    lines = [s.location.line for s in steps if s.location.path == ctx.file.rel]
    if not lines:
        return ""
    for node in ast.walk(ctx.module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list \
                and node.lineno <= lines[0] <= (node.end_lineno or node.lineno):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if isinstance(target, ast.Attribute) and target.attr in _ROUTE_DECORATORS:
                    continue  # `@app.route("/admin/...")` names a URL, not who may call it
                text = ast.unparse(d)
                if _ADMIN_DECORATOR.search(text):
                    return f"`@{text}`"
    return ""


PATH_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir", "mkdir",
                          "touch", "iterdir", "rename", "replace", "symlink_to", "hardlink_to", "chmod"})
PATH_FACTORIES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
                            "pathlib.PurePosixPath", "anyio.Path", "trio.Path"})


def _path_object(ctx: PyContext, call: ast.Call) -> ast.AST | None:
    """`(BASE / name).open()`, `Path(BASE, name).read_text()`, `p = root / name; p.unlink()`: the receiver, when it
    is a path object built in view (a `/` join, `pathlib.Path(...)`, `.joinpath`, `.resolve()`)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in PATH_METHODS:
        return None
    built = func.value
    for _ in range(3):
        if isinstance(built, ast.Name):
            bound = ctx.resolve(built)
            if bound is None or bound is built:
                return None
            built = bound
            continue
        if isinstance(built, ast.BinOp) and isinstance(built.op, ast.Div):
            return func.value
        if isinstance(built, ast.Call):
            if (ctx.call_name(built) or "") in PATH_FACTORIES:
                return func.value
            if isinstance(built.func, ast.Attribute) and built.func.attr in ("joinpath", "resolve", "absolute",
                                                                              "with_name", "with_suffix"):
                built = built.func.value
                continue
        return None
    return None


def _indirect(ctx: PyContext, call: ast.Call) -> None:
    """Untrusted data handed to a repository helper that uses it as a path, judged like a direct sink: a route
    segment that cannot hold `/` is not reported, a Django URL capture is a review finding."""
    sinks = indirect_sinks(ctx, call, "path")
    if not sinks:  # first: most calls reach no helper's path sink, and the containment search below runs data flow
        return
    checked, condition = _checked_before(ctx, call, set().union(*(_names(a, ctx) for a in _call_args(call))))
    if checked and not condition:
        return
    uploads = None
    found = []
    for taint, what in sinks:
        if taint.steps and "`request.FILES`" in taint.steps[0].message:
            if uploads is None:  # (Django's uploads: a helper reading `upload.name` reads a base name, too)
                tainted = [a for a in _call_args(call) if ctx.taint_verdict(a, "path").state == TAINTED]
                uploads = bool(tainted) and all(_upload_object(ctx, a) for a in tainted)
            if uploads:
                continue  # `excel_holiday_import(request.FILES.get("f"))`: the helper is handed a file object
        verdict = Verdict.of(taint, "path")
        segment = route_segment(ctx, verdict)
        if segment != "no-slash" and not _guarded_in_helper(ctx, call, taint.steps):
            found.append((segment == "unknown", *flow_rank(taint, "path"), verdict, what))
    if not found:
        return
    review, *_, verdict, what = sorted(found, key=lambda f: f[:4])[0]
    helper = (ctx.call_name(call) or "a helper").rsplit(".", 1)[-1]
    if checked and not review:
        _report_mode_checked(ctx, call, verdict, what, condition, sink_inside=True)
        return
    if review:
        report_tainted(ctx, call, verdict, f"Path traversal (review): a URL capture passed to `{helper}` reaches "
                                           f"`{what}` as a file path; whether it can hold `/` or `..` depends on the "
                                           f"URL pattern, which is not visible here.", what, severity=Severity.LOW,
                       sink_inside=True)
        _mark(ctx, "review")
        return
    report_tainted(ctx, call, verdict, f"Path traversal: untrusted data passed to `{helper}` "
                                       f"reaches `{what}` as a file path.", what, sink_inside=True)
    _mark(ctx, "flow")


def _report_mode_checked(ctx: PyContext, call: ast.Call, verdict, what: str, condition: str, *,
                         sink_inside: bool) -> None:
    """The path is checked for containment on one side of a switch that is not about the path (`if
    config.SERVER_MODE:`): a review finding naming the switch, since whether the other side can be reached by whoever
    sends the request (a desktop mode, a command line) is the program's deployment, not visible in the code."""
    report_tainted(ctx, call, verdict, f"Path traversal (review): `{what}` uses a file path built from "
                                       f"{label(verdict)}, checked to stay inside its directory only when "
                                       f"`{condition}`; review whether the unchecked side is reachable by "
                                       f"whoever sends the request.", what, severity=Severity.LOW,
                   sink_inside=sink_inside)
    _mark(ctx, "review")


def _call_args(call: ast.Call) -> list[ast.AST]:
    return [*call.args, *(kw.value for kw in call.keywords)]


_PASSED = re.compile(r"passed to `([\w.]+)\(\)`")


def _checked_by_caller(ctx: PyContext, steps) -> tuple[bool, str]:
    """A containment check before a call of this file through which the flow entered the function of the sink
    (`try: Path(os.path.realpath(p)).relative_to(root) except ValueError: return` and then `_open_target(p)`):
    every path the flow took runs it. (checked, condition) as `_checked_before`."""
    parents = ctx.module.parents()
    result = (False, "")
    for step in steps:
        m = _PASSED.match(step.message) if step.location.path == ctx.file.rel else None
        if m is None:
            continue
        for node in ast.walk(ctx.module.tree):
            if not (isinstance(node, ast.Call) and node.lineno == step.location.line):
                continue
            func = node.func
            short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if short != m.group(1).rsplit(".", 1)[-1]:
                continue
            inner = PyContext(ctx.module)
            inner.function = inner.outer_function = _enclosing_function(parents, node)
            names = set().union(*(_names(a, inner) for a in _call_args(node)))
            if any(_guarded(inner, node, a) for a in _call_args(node)):
                return True, ""
            checked, condition = _checked_before(inner, node, names)
            if checked and not condition:
                return True, ""
            if checked:
                result = (True, condition)
    return result


def _repository_callee(ctx: PyContext, func: ast.AST):
    """The repository function a call at this place reaches, as (its module's data flow, its definition), or None
    (not a repository function, or one the data flow cannot read: it then checks and guards nothing)."""
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    try:
        return dataflow_of(ctx.module).callee(func, scope, {})
    except Exception:  # noqa: BLE001 - a helper we cannot read checks nothing
        return None


def _checked_helper_result(ctx: PyContext, arg: ast.AST, depth: int = 0) -> bool:
    """The path is what a repository helper returned, and the helper checks the containment of every value it
    returns before returning it (`j = os.path.join(base, *parts); if os.path.commonpath([realpath(base),
    realpath(j)]) != realpath(base): raise ValueError; return j`): the sink gets a contained path or nothing."""
    if isinstance(arg, ast.Name) and depth == 0:
        bound = ctx.resolve(arg)
        return bound is not None and bound is not arg and _checked_helper_result(ctx, bound, 1)
    if not (isinstance(arg, ast.Call) and isinstance(arg.func, (ast.Name, ast.Attribute))):
        return False
    callee = _repository_callee(ctx, arg.func)
    if callee is None:
        return False
    target_dm, fn = callee
    inner = PyContext(target_dm.module)
    inner.function = inner.outer_function = fn
    returns = [r.value for r in ast.walk(fn) if isinstance(r, ast.Return)]
    return bool(returns) and all(r is not None and _checked_before(inner, r, _names(r, inner)) in
                                 ((True, ""), (True, _default_on(fn, arg))) for r in returns)


def _default_on(fn: ast.AST, call: ast.Call) -> str:
    """The name of a parameter of `fn` that defaults to a true constant and that `call` leaves at its default
    (`def safejoin(*args, traversal=True)` called as `safejoin(base, name)`): a check under `if traversal:` runs
    for this call. "" when there is none."""
    args = fn.args  # type: ignore[attr-defined]
    if any(k.arg is None for k in call.keywords):
        return ""
    passed = {k.arg for k in call.keywords}
    positional = [*args.posonlyargs, *args.args]
    defaults = parameter_defaults(fn)
    starred = any(isinstance(a, ast.Starred) for a in call.args)
    for name, default in defaults.items():
        index = next((i for i, a in enumerate(positional) if a.arg == name), None)
        if name in passed or (index is not None and (starred or index < len(call.args))):
            continue
        if isinstance(default, ast.Constant) and default.value is True:
            return name
    return ""


def _enclosing_function(parents: dict, node: ast.AST) -> ast.AST | None:
    current = parents.get(id(node))
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
        current = parents.get(id(current))
    return current


def _guarded_in_helper(ctx: PyContext, call: ast.Call, steps) -> bool:
    """The helper's own sink is guarded by a containment check (`if not is_relative_to(target, root): return`)."""
    if not steps or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return False
    callee = _repository_callee(ctx, call.func)
    if callee is None:
        return False
    target_dm, fn = callee
    sink = steps[-1].location
    if sink.path != target_dm.module.file.rel:
        return False
    inner = PyContext(target_dm.module)
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and node.lineno == sink.line:
            inner.function = inner.outer_function = fn
            entries = sink_entries(inner, node, "path")
            if entries and all(_guarded(inner, node, a) for a in sink_args(node, entries)):
                return True
    return False


def _mark(ctx: PyContext, evidence: str) -> None:
    """Finding.evidence of the finding just reported: "flow" (a source seen reaching the sink) or "review" (what
    decides it is not visible: low severity, low precision; README "Severity follows evidence")."""
    if ctx.findings:
        last = ctx.findings[-1]
        if last.evidence == "review":  # an incomplete flow (report_tainted) stays a review finding
            return
        ctx.findings[-1] = last.with_(evidence=evidence, precision="low" if evidence == "review" else last.precision)


# --- containment checks -------------------------------------------------------------------------------------------
def _names(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> set[str]:
    """The variables an expression is built from, following assignments two steps back."""
    out: set[str] = set()
    if node is None:
        return out
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
            if depth < 2:
                bound = ctx.resolve(sub)
                if bound is not None and bound is not sub:
                    out |= _names(bound, ctx, depth + 1)
    return out


def _normalised(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> bool:
    """`os.path.realpath(p)`, `Path(p).resolve()`, a name bound to one, or a repository helper returning one."""
    if node is None or depth > 3:
        return False
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        return bound is not None and bound is not node and _normalised(bound, ctx, depth + 1)
    if not isinstance(node, ast.Call):
        return False
    name = ctx.call_name(node) or ""
    if name in NORMALISERS or (isinstance(node.func, ast.Attribute) and node.func.attr in NORMALISER_METHODS):
        return True
    if name in PATH_FACTORIES and len(node.args) == 1:  # Path(os.path.realpath(p)): a path object of one
        return _normalised(node.args[0], ctx, depth + 1)
    if isinstance(node.func, ast.Name):  # def normalize(x): return os.path.normpath(x)
        for fn in ctx.module.walk():
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == node.func.id:
                returns = [r.value for r in ast.walk(fn) if isinstance(r, ast.Return) and r.value is not None]
                saved, ctx.function = ctx.function, fn
                try:
                    return bool(returns) and all(_normalised(r, ctx, depth + 1) for r in returns)
                finally:
                    ctx.function = saved
    return False


def _checks(test: ast.AST, ctx: PyContext, names: set[str]) -> tuple[bool, bool]:
    """(positive, negative): the test holds only for a contained path / fails only for one (`not ...`, `!=`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        pos, neg = _checks(test.operand, ctx, names)
        return neg, pos
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_checks(v, ctx, names)[0] for v in test.values), False
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return False, any(_checks(v, ctx, names)[1] for v in test.values)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in CONTAINMENT_METHODS:
        receiver = test.func.value
        if _normalised(receiver, ctx) and _names(receiver, ctx) & names:
            return True, False
        return False, False
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and CONTAINMENT_HELPER.search(test.func.id) \
            and test.args and _names(test.args[0], ctx) & names:
        return True, False  # is_relative_to(path, root), is_safe_path(...): a project's helper named for the check
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        sides = [test.left, test.comparators[0]]
        common = [s for s in sides if isinstance(s, ast.Call) and (ctx.call_name(s) or "") in COMMON]
        if common and any(_normalised(a, ctx) or _names(a, ctx) & names
                          for c in common for a in ast.walk(c) if isinstance(a, ast.Call))\
                and _names(common[0], ctx) & names:
            if isinstance(test.ops[0], ast.Eq):
                return True, False
            if isinstance(test.ops[0], ast.NotEq):
                return False, True
    return False, False


def _leaves(body: list[ast.stmt]) -> bool:
    last = body[-1] if body else None
    if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        func = last.value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in TERMINATORS
    return False


def _inside(node: ast.AST, body: list[ast.stmt]) -> bool:
    line = getattr(node, "lineno", 0)
    return bool(body) and body[0].lineno <= line <= (body[-1].end_lineno or body[-1].lineno)


def _guards(ctx: PyContext, call: ast.Call):
    """The `if` statements that decide whether `call` runs: (if, "body"|"orelse") for those around it, (if,
    "before") for those earlier in an enclosing block (an early exit guards what follows)."""
    parents = ctx.module.parents()
    child: ast.AST = call
    current = parents.get(id(call))
    while current is not None:
        if isinstance(current, ast.If) and child is not current.test:
            yield current, "body" if child in current.body else "orelse"
        for field in ("body", "orelse", "finalbody"):
            block = getattr(current, field, None)
            if isinstance(block, list) and child in block:
                for stmt in block[: block.index(child)]:
                    if isinstance(stmt, ast.If):
                        yield stmt, "before"
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            break
        child, current = current, parents.get(id(current))


# `Path(real).relative_to(root)` raises ValueError when `real` is not inside `root`: as a statement, a check
RAISING_CONTAINMENT_METHODS = frozenset({"relative_to"})
_CAUGHT = frozenset({"ValueError", "Exception", "BaseException"})
MAX_SWITCH_DEPTH = 3


def _raising_check(stmt: ast.stmt, ctx: PyContext, names: set[str]) -> bool:
    """`Path(os.path.realpath(p)).relative_to(root)` (or `Path(p).resolve().relative_to(root)`) as a statement."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr in RAISING_CONTAINMENT_METHODS):
        return False
    receiver = stmt.value.func.value
    return _normalised(receiver, ctx) and bool(_names(receiver, ctx) & names)


def _handlers_leave(node: ast.Try) -> bool:
    """Every handler that catches what a failed check raises (ValueError, or broader) leaves the function."""
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        caught = handler.type is None or any(
            (k.attr if isinstance(k, ast.Attribute) else getattr(k, "id", "")) in _CAUGHT for k in kinds)
        if caught and not _leaves(handler.body):
            return False
    return True


def _stmt_checks(stmt: ast.stmt, ctx: PyContext, names: set[str], depth: int) -> tuple[bool, str]:
    """Whether `stmt`, run before the sink, stops a path that leaves its directory: (True, "") on every path
    through it, (True, condition) only on one side of a switch about something else (`if config.SERVER_MODE:`),
    (False, "") when it holds no check."""
    if _raising_check(stmt, ctx, names):
        return True, ""
    if isinstance(stmt, ast.Try) and _handlers_leave(stmt):
        return _block_checks(stmt.body, ctx, names, depth)
    if isinstance(stmt, ast.If):
        if _checks(stmt.test, ctx, names)[1] and _leaves(stmt.body):
            return True, ""
        switch = ctx.taint_verdict(stmt.test)
        if depth >= MAX_SWITCH_DEPTH or _names(stmt.test, ctx) & _assigned(ctx, names) or switch.state == TAINTED:
            return False, ""  # a test about the path itself, or one the request decides, is no mode switch
        body = _block_checks(stmt.body, ctx, names, depth + 1)
        orelse = _block_checks(stmt.orelse, ctx, names, depth + 1)
        if switch.state == CONSTANT and switch.value is not None:  # `if SERVER_MODE:` with SERVER_MODE = True
            try:
                return body if switch.value.const else orelse
            except Exception:  # noqa: BLE001 - a constant whose truth is not computed (opaque)
                pass
        if _leaves(stmt.body):  # only the other side reaches the sink
            return orelse
        if stmt.orelse and _leaves(stmt.orelse):
            return body
        if body[0] and orelse[0] and not body[1] and not orelse[1]:
            return True, ""
        if body[0]:
            return True, body[1] or ast.unparse(stmt.test)
        if orelse[0]:
            return True, orelse[1] or ast.unparse(ast.UnaryOp(ast.Not(), stmt.test))
    return False, ""


def _assigned(ctx: PyContext, names: set[str]) -> set[str]:
    """The names among `names` that the enclosing function assigns (the path's own variables, not the request
    object, a parameter or a module's setting they were read from)."""
    if ctx.function is None:
        return names
    bound = ctx.module.bindings(ctx.function)
    return {n for n in names if any(v is not None and not isinstance(v, (ast.Import, ast.ImportFrom))
                                    for v in bound.get(n, ()))}


def _block_checks(stmts: list[ast.stmt], ctx: PyContext, names: set[str], depth: int) -> tuple[bool, str]:
    found = (False, "")
    for stmt in stmts:
        checked, condition = _stmt_checks(stmt, ctx, names, depth)
        if checked and not condition:
            return True, ""
        if checked and not found[0]:
            found = (True, condition)
    return found


def _checked_before(ctx: PyContext, call: ast.Call, names: set[str]) -> tuple[bool, str]:
    """A statement earlier in a block enclosing `call` that checks the path's containment (see _stmt_checks):
    a raising `relative_to` on the normalised path (in a `try` whose handlers leave), or such a check on one side
    of a mode switch. (checked, condition): condition "" when it runs on every path to the sink."""
    if not names:
        return False, ""
    parents = ctx.module.parents()
    child: ast.AST = call
    current = parents.get(id(call))
    found = (False, "")
    while current is not None:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(current, field, None)
            if isinstance(block, list) and child in block:
                checked, condition = _block_checks(block[: block.index(child)], ctx, names, 0)
                if checked and not condition:
                    return True, ""
                if checked and not found[0]:
                    found = (True, condition)
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            break
        child, current = current, parents.get(id(current))
    return found


def _guarded(ctx: PyContext, call: ast.Call, arg: ast.AST) -> bool:
    names = _names(arg, ctx)
    if not names:
        return False
    for node, where in _guards(ctx, call):
        positive, negative = _checks(node.test, ctx, names)
        if positive and where == "body":
            return True
        if negative and (where == "orelse" or (where == "before" and _leaves(node.body))):
            return True
    return False


# --- PY409: archives extracted without a filter -----------------------------------------------------------------
TAR_OPENERS = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "tarfile.TarFile.gzopen",
                         "tarfile.TarFile.bz2open", "tarfile.TarFile.xzopen"})
SAFE_FILTERS = frozenset({"data", "tar"})
SAFE_FILTER_NAMES = frozenset({"tarfile.data_filter", "tarfile.tar_filter"})


def _const(ctx: PyContext, node: ast.AST):
    return const_of(ctx, node)


def _latest_binding(ctx: PyContext, name: ast.Name, before: int) -> ast.AST | None:
    """The value last assigned to `name` before line `before` in this scope (`with ... as name` too): a name
    rebound for each archive (`tar = tarfile.open(a)` ... `tar = tarfile.open(b)`) is judged by the right one."""
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    best: tuple[int, ast.AST] | None = None
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and node.lineno < before and any(
                isinstance(t, ast.Name) and t.id == name.id for t in node.targets):
            found: ast.AST = node.value
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name) \
                and node.optional_vars.id == name.id and node.context_expr.lineno < before:
            found = node.context_expr
        else:
            continue
        line = getattr(found, "lineno", 0)
        if best is None or line > best[0]:
            best = (line, found)
    return best[1] if best else ctx.resolve(name)


def _archive(ctx: PyContext, node: ast.AST | None, before: int = 0) -> ast.AST | None:
    """The archive (path or file object) a tarfile object was opened from, when `node` is one."""
    if isinstance(node, ast.Name):
        node = _latest_binding(ctx, node, before)
    if isinstance(node, ast.withitem):
        node = node.context_expr
    if not isinstance(node, ast.Call) or (ctx.call_name(node) or "") not in TAR_OPENERS:
        return None
    for key in ("fileobj", "name"):
        value = ctx.kwarg(node, key)
        if value is not None:
            return value
    return node.args[0] if node.args else node


@python_check("PY409", ast.Call, raise_in_handler=True)
def archive_extraction(call: ast.Call, ctx: PyContext) -> None:
    func = call.func
    name = ctx.call_name(call) or ""
    if name == "shutil.unpack_archive" and (call.args or ctx.kwarg(call, "filename")):
        archive = call.args[0] if call.args else ctx.kwarg(call, "filename")
        if _safe_filter(ctx, call):
            return
        _report_archive(ctx, call, archive, "shutil.unpack_archive")  # type: ignore[arg-type]
        return
    if name.split(".")[0] == "subprocess" and call.args and isinstance(call.args[0], (ast.List, ast.Tuple)):
        parts = call.args[0].elts
        first = _const(ctx, parts[0]) if parts else None
        flags = [_const(ctx, p) for p in parts[1:]]
        if first == "tar" and any(isinstance(f, str) and f.startswith("-") and ("x" in f or f == "--extract")
                                  and not f.startswith("--") or f == "--extract" for f in flags):
            for p, f in zip(parts[1:], flags):
                if not isinstance(f, str):
                    _report_archive(ctx, call, p, "tar -x")
                    return
        return
    if not isinstance(func, ast.Attribute) or func.attr not in ("extractall", "extract"):
        return
    archive = _archive(ctx, func.value, call.lineno)
    if archive is None or _safe_filter(ctx, call):
        return
    if func.attr == "extractall":
        members = ctx.kwarg(call, "members") or (call.args[1] if len(call.args) > 1 else None)
        if isinstance(members, ast.Call) and not (isinstance(members.func, ast.Attribute)
                                                  and members.func.attr == "getmembers"):
            return  # extractall(members=safe_members(tar)): a filter of the project's own
    elif _member_checked(ctx, call):
        return
    _report_archive(ctx, call, archive, f"TarFile.{func.attr}")


def _safe_filter(ctx: PyContext, call: ast.Call) -> bool:
    flt = ctx.kwarg(call, "filter")
    if flt is None:
        return False
    value = _const(ctx, flt)
    if isinstance(value, str):
        return value in SAFE_FILTERS
    if (ctx.qualname(flt) or "") in SAFE_FILTER_NAMES:
        return True
    return False  # None, "fully_trusted", or not known


def _member_checked(ctx: PyContext, call: ast.Call) -> bool:
    """`tar.extract(entry)` under a check that rules out both `..` and absolute names for that entry."""
    member = call.args[0] if call.args else ctx.kwarg(call, "member")
    if not isinstance(member, ast.Name):
        return False
    for node, where in _guards(ctx, call):
        bad = _rejects(node.test, member.id)
        if bad is None:
            continue
        rejected, when = bad  # `when` True: the test is true for bad names
        if {"dotdot", "absolute"} <= rejected:
            if when and where in ("before", "orelse") and (where == "orelse" or _leaves(node.body)):
                return True
            if not when and where == "body":
                return True
    return False


def _rejects(test: ast.AST, member: str) -> tuple[set[str], bool] | None:
    """The kinds of bad member names a test is about ("dotdot", "absolute"), and whether it is true for them."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _rejects(test.operand, member)
        return (inner[0], not inner[1]) if inner else None
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        found: set[str] = set()
        for v in test.values:
            inner = _rejects(v, member)
            if inner is None or not inner[1]:
                continue
            found |= inner[0]
        return found, True
    mentions = any(isinstance(n, ast.Name) and n.id == member for n in ast.walk(test))
    if not mentions:
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In) \
            and isinstance(test.left, ast.Constant) and test.left.value in ("..", "../"):
        return {"dotdot"}, True
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "isabs":
        return {"absolute"}, True
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and any(isinstance(a, ast.Constant) and a.value in ("/", ("/", "\\")) for a in test.args):
        return {"absolute"}, True
    return None


def _report_archive(ctx: PyContext, call: ast.Call, archive: ast.AST, what: str) -> None:
    verdict = ctx.taint_verdict(archive, "path") if archive is not call else None
    const = _const(ctx, archive) if archive is not call else None
    if verdict is not None and verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, f"Archive extraction: `{what}` unpacks an archive "
                                           f"from {label(verdict)} without a member filter; a member named "
                                           f"`../../app.py` or `/etc/cron.d/x` is written outside the target.", what)
        _mark(ctx, "flow")
        return
    if isinstance(const, str) or (verdict is not None and verdict.state not in (UNKNOWN_SOURCE,)):
        return  # an archive the program names itself
    ctx.report(call, f"Archive extraction (review): `{what}` unpacks an archive whose origin is not visible without a "
                     f"member filter; if the archive can come from outside, pass `filter=\"data\"` (Python 3.12+, "
                     f"backported to 3.8.17+) or check each member's name.",
               severity=Severity.LOW, precision="low", properties={"dataflow": "no-source"}, evidence="review")
