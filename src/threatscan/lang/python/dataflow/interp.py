"""The intra-procedural pass: interpret one function's statements in order over abstract values.

Each name holds a `V`: a constant when one is known (so `if 3 * n > 5` after `n = 4` takes one branch only), the
elements of a list or the entries of a dict (so a popped element or another key is not the tainted one), and the
taints that reached it, each with its path. Branches are interpreted separately and joined; loops twice. Calls to
functions of the same module or of the repository apply their summaries (which parameters reach the return value);
the values of every call's arguments are recorded for the checks (`PyContext.taint`).
"""

from __future__ import annotations

import ast
import operator
import re
import string
import weakref
from typing import TYPE_CHECKING, Any
from dataclasses import replace

from ....model import FlowStep, Location
from ..module import UNKNOWN, named_parameter, node_location, parameter_defaults, push_children, resolve_repo_path
from .models import TRANSFORMED, default_field, held_model, is_orm_model
from .shapes import fullmatch_families, safe_shape_pattern
from .values import OPAQUE, UNKNOWN_V, MAX_CHOICES, MAX_ELTS, _choices, _eq, Taint, V, const_v, expand, fold_fits, \
    join, join_all, through, uncertain, union
from .spec import FAMILIES

if TYPE_CHECKING:
    from .module import DataflowModule

BUDGET = 40_000
_INLINE = [0]  # depth of methods interpreted inline (instance_call)  # expressions evaluated per function before the analysis gives up (the checks fall back)

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_FOLD_NAMES = {ast.Add: "add", ast.Mult: "mul", ast.Mod: "mod", ast.LShift: "lshift"}
_SCALARS = (str, bytes, int, float, bool, type(None), complex)
# Library calls (str methods, ConfigParser, base64, urllib.parse, dict, list, ...) are modelled from the data in
# rules/dataflow/python-library.yaml (spec.Library, self.dm.spec.library).
_URL_CHECK = re.compile(r"safe|allow|valid|trusted|permitted|whitelist", re.I)
_CHECK_VERB = r"_?(?:check|validate|verify|ensure|assert|require|enforce)"
_PATH_CHECK = re.compile(_CHECK_VERB + r"_?\w*?(?:access|permission|path|sandbox|travers|inside|within|contain)", re.I)
# Django's URL resolver: raises unless one of the site's own URL patterns matches the path it is given
_URL_RESOLVERS = frozenset({"django.urls.resolve", "django.urls.base.resolve", "django.core.urlresolvers.resolve"})
# A function named for making a path or file name safe (`sanitize_path`, `secure_filename`, `clean_file_name`,
# `safe_join_path`): what it returns is fit for the file system, and called for its check alone (its result unused)
# it can only work by raising (lollms' `sanitize_path(path)` raises on `..` and absolute paths).
_PATH_SANITIZER = re.compile(r"^_?(?:sanitize|sanitise|secure|clean|safe)_?\w*?(?:path|filename|file_name|filepath|"
                             r"dirname|dir_name)s?(?:_[a-z]+)*$", re.I)  # (docassemble's secure_filename_spaces_ok)


def _path_sanitizer(func: ast.AST) -> bool:
    """`func` (a name or an attribute) is named for making a path safe (see _PATH_SANITIZER)."""
    return bool(_PATH_SANITIZER.match(_short_name(func) or ""))
# A function named as a check (`validate_name`, `check`): the same verbs, as the whole name or its first word.
_NAMED_CHECK = re.compile(_CHECK_VERB + r"(?:_\w*)?$", re.I)
# A pattern that pins a string's start to `/` and then a character that is neither `/` nor `\\`: `^/[a-z]`,
# `/[A-Za-z0-9_-]`, `^/\\w` (re.match anchors at the start).
_LOCAL_PATH_PATTERN = re.compile(r"^\^?/(?:\[(?:[A-Za-z0-9_-]|[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9])+\]|\\w|[A-Za-z0-9_])")
_URL_HOST_WORD = re.compile(r"url|uri|host|endpoint|domain", re.I)
_URL_WORD = re.compile(r"url|redirect|next|path|host|target|location", re.I)
# This request's own path and URL: a redirect there stays on the site the browser asked for (a browser sends the
# Host of the URL it visits, so no third party chooses it for a victim).
_REQUEST_PATHS = frozenset({"path", "path_info", "get_full_path", "full_path", "get_full_path_info", "url", "base_url",
                            "host_url", "url_root", "host", "build_absolute_uri", "get_host"})
_BACK_LINKS = frozenset({"referrer", "referer"})
# what a URL capture can be (a string, a number, a UUID, a path converter's string): any other attribute read on a
# route parameter says that a decorator loaded an object in its place (`@load_models(...)`, a converter that returns
# a database row), whose fields are stored data, not the URL's text
_CAPTURE_ATTRIBUTES = frozenset(a for kind in (str, int, float, bytes, __import__("uuid").UUID) for a in dir(kind))
# The same header read by name: `request.headers["Referer"]`, the WSGI environ's or Django's META's `HTTP_REFERER`.
_HEADER_MAPS = frozenset({"headers", "environ", "META"})
# ... and the Host header read by name (`request.headers.get("host")`, `META["HTTP_HOST"]`): this server's own host
# as the browser names it, like `request.host` (see _REQUEST_PATHS)
_BACK_LINK_KEYS = frozenset({"referer", "referrer", "http_referer", "host", "http_host"})
_JSON_BODY = frozenset({"json", "get_json"})
# A marker (Taint.cleaned, no sink family) on what Django's `request.POST` and `request.FILES` hold: a form's body
# (its fields and its uploads' names), which a cross-site page can make a browser send only where CSRF protection is
# off (the checks decide: engines/python/checks)
FORM_POST = "form-post"
# ... and on what `request.FILES` holds: Django's uploaded files, whose `.name` Django reduces to the upload's base
# name (UploadedFile strips any directory part), so a path joined from it stays in its folder
DJANGO_UPLOAD = "django-upload"
# Of those, the ones that start with this request's scheme and host: whatever is appended stays on this site.
_URL_NAME = re.compile(r"ur[li]$", re.I)  # a setting holding one URL (text), not a collection of hosts
_URL_JOINS = frozenset({"urllib.parse.urljoin", "urlparse.urljoin", "requests.compat.urljoin"})
_URL_UNPARSERS = {"urllib.parse.urlunparse": 6, "urllib.parse.urlunsplit": 5}
_URL_PARSERS = frozenset({"urlparse", "urlsplit", "URL", "urlsplit_", "url_parse"})
_REQUEST_URLS = frozenset({"url", "base_url", "host_url", "url_root", "build_absolute_uri"})
# Django's request methods whose text is percent-encoded but for `'` (and the marker on their taint)
_URI_ENCODED = frozenset({"get_full_path", "get_full_path_info", "build_absolute_uri"})
URI_ENCODED = "uri-encoded"
# The Referer a browser sends: the URL of the page it came from, so a redirect back sends the user nowhere its author
# could not link to; and that URL as browsers serialise it, with `"`, `<` and `>` percent-encoded (URI_ENCODED, as
# Django's get_full_path: no tag and no way out of a double-quoted attribute or string; a `'` stays, judged where
# the text is built), horilla §3w's `window.location.href = "{referer}"`
_BACK_LINK_CLEAN = frozenset({"redirect", "html", URI_ENCODED})
_DB_READS = frozenset({"fetchone", "fetchall", "fetchmany", "fetchval", "fetchrow", "scalar", "scalar_one",
                        "scalar_one_or_none", "scalars", "one_or_none", "first_or_404", "get_or_404"})
# Methods whose receiver is what a check asks about (pathlib objects opened, read, written or removed): their
# receiver's value is recorded like an argument's.
RECEIVER_SINK_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir",
                                   "mkdir", "touch", "iterdir", "rename", "replace", "symlink_to", "hardlink_to",
                                   "chmod", "rmtree"})


class Flow:
    """The result of interpreting one scope (a function, or the module's top-level code)."""

    def __init__(self, dm: "DataflowModule", scope: ast.AST, summary: bool = False, fixed: dict | None = None):
        self.dm = dm
        self.scope = scope
        self.summary = summary
        self.fixed = fixed or {}  # flag parameters a caller passes as constants (DataflowModule.flag_params)
        self.values: dict[int, V] = {}  # id(argument node) -> its value where the call happens
        self.call_args: dict[int, tuple[list[V], dict[str | None, V]]] = {}
        self.indirect: dict[int, list[tuple[str, Taint, str]]] = {}  # id(call) -> (family, taint, what) via helpers
        self.sink_hits: list[tuple[ast.Call, str, V, str]] = []  # (call, family, value, sink name)
        self.returns: V | None = None
        self.dead: list[tuple[int, int]] = []
        self.complete = True
        self._budget = BUDGET
        self._loops: list[tuple[list[dict[str, V]], list[dict[str, V]]]] = []  # (break states, continue states)
        self._expr_keys = False  # some call expression was narrowed by a validator (see expr_key)
        self._discarded: ast.Call | None = None  # the call of the expression statement being interpreted (see _call)
        self._forced_json: set[int] = set()  # `request.get_json(force=True)` attributes (see attribute)
        self._operands: dict[int, tuple[V, V]] = {}  # id(`a + b`) -> the values of a and b (see e_BinOp)
        self._receivers: dict[int, V] = {}  # id(method of a call) -> its receiver, when it is a database query
        # `ok, err = validate_name(name)`: ok's variable -> (ok's value, [(validated variable, its value)])
        self._verdicts: dict[str, tuple[V, list[tuple[str, V]]]] = {}
        # `parts = urlparse(u)`: parts -> (u's key, the value u held); `host = urlparse(u).netloc`: host (note_parsed)
        self._parsed: dict[str, tuple[str, V]] = {}
        self._hosts: set[str] = set()
        # `same = urlparse(u).netloc == own`: same -> (its value, the comparison, [(name, the value it held)])
        self._host_tests: dict[str, tuple[V, ast.Compare | ast.Call, list[tuple[str, V | None]]]] = {}
        # `valid = is_md5(h)`, a check the analysis does not know, kept in a name: valid -> (its value, the call,
        # [(name, the value it held)]); `if not valid: return` tests what the call was given (check_marks)
        self._check_names: dict[str, tuple[V, ast.Call, list[tuple[str, V | None]]]] = {}
        self._in_helper_check = False  # reading a helper predicate's own test (see helper_check)

    # --- entry ------------------------------------------------------------------------------------------------
    def run(self) -> "Flow":
        env: dict[str, V] = {}
        if isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            env.update(self.dm.entry_env(self.scope, self.summary))
            env.update({k: const_v(v) for k, v in self.fixed.items()})
            body = self.scope.body
        else:
            body = self.scope.body  # the module
        try:
            self.block(body, env)
        except _OutOfBudget:
            self.complete = False
        except RecursionError:
            self.complete = False
        return self

    def is_dead(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return any(a <= line <= b for a, b in self.dead)

    # --- helpers ----------------------------------------------------------------------------------------------
    def loc(self, node: ast.AST) -> Location:
        return node_location(self.dm.module.file, node)

    def code(self, node: ast.AST, limit: int = 60) -> str:
        line = self.dm.file_line(getattr(node, "lineno", 1))
        if getattr(node, "end_lineno", None) == getattr(node, "lineno", None) and getattr(node, "end_col_offset", None):
            text = line.encode()[node.col_offset:node.end_col_offset].decode(errors="replace")  # type: ignore[attr-defined]
        else:
            text = line.strip()
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def step(self, node: ast.AST, message: str) -> FlowStep:
        return FlowStep(self.loc(node), message)

    def source(self, node: ast.AST, label: str) -> V:
        trust = self.dm.admin_gate(self.scope)
        return V(taints=(Taint((self.step(node, f"source: `{self.code(node)}` ({label})"),), label=label, trust=trust,
                               trust_families=self.dm.trust_families(trust)),))

    def assigned(self, v: V, target: ast.AST, name: str) -> V:
        if not v.deep():
            return v
        st = self.step(target, f"assigned to `{name}`")
        return expand(v, lambda t: (t.step(st),))

    # --- statements -------------------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], env: dict[str, V]) -> bool:
        """Interpret statements in order; True when the block always leaves (return, raise, abort())."""
        for i, stmt in enumerate(stmts):
            if self.stmt(stmt, env):
                if i + 1 < len(stmts):
                    self.dead.append((stmts[i + 1].lineno, getattr(stmts[-1], "end_lineno", stmts[-1].lineno) or 0))
                return True
        return False

    def stmt(self, node: ast.stmt, env: dict[str, V]) -> bool:
        if isinstance(node, ast.Assign):
            value = self.eval(node.value, env)
            for target in node.targets:
                self.bind(target, value, env, node.value)
            self.note_verdict(node, env)
            self.note_parsed(node, env)
            if node.value.__class__ is ast.Subscript:
                self.narrow_lookup(node.value, env)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value, env), env, node.value)
        elif isinstance(node, ast.AugAssign):
            current = self.eval(node.target, env) if not isinstance(node.target, ast.Subscript) else self.eval(node.target, env)
            right = self.eval(node.value, env)
            if isinstance(node.op, ast.Add) and right.deep() and (current.tail or _appends_parameter(current, node.value)):
                right = _cleaned(right, frozenset({"redirect", "host"}))  # `url += f"&k={v}"`: in the query
            if isinstance(node.op, ast.Add) and right.deep():
                right = self.after_start(right, node.target, [current, right])  # `url = settings.DIR; url += p`
            self.bind(node.target, self.binop(node.op, current, right), env, None)
        elif isinstance(node, ast.Expr):
            call = node.value.value if node.value.__class__ is ast.Await else node.value  # (`await helper(x)` too)
            if call.__class__ is ast.Call:
                self._discarded = call
                try:
                    self.eval(node.value, env)
                finally:
                    self._discarded = None
            else:
                self.eval(node.value, env)
            if isinstance(node.value, ast.Call):
                self.narrow_raising_check(node.value, env)
            return self.terminates_call(node.value, env)
        elif isinstance(node, ast.Return):
            value = self.eval(node.value, env) if node.value is not None else const_v(None)
            if node.value is not None:
                self.values[id(node.value)] = join(self.values.get(id(node.value)), value)
            self.returns = join(self.returns, value)
            return True
        elif isinstance(node, (ast.Break, ast.Continue)):
            if self._loops:  # the state at `break` reaches the code after the loop; at `continue`, the next round
                self._loops[-1][0 if isinstance(node, ast.Break) else 1].append(dict(env))
            return True
        elif isinstance(node, ast.Raise):
            if node.exc is not None:
                self.eval(node.exc, env)
            return True
        elif isinstance(node, ast.If):
            return self.if_(node, env)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            item = self.loop_item(node.iter, env)
            self.loop(node, env, lambda e: self.bind(node.target, item, e, None))
        elif isinstance(node, ast.While):
            test = self.truth(self.eval(node.test, env))
            if test is False:
                self.dead.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))
                self.block(node.orelse, env)
            else:
                if test is None:
                    self.note_check(node.test, env)
                self.loop(node, env, lambda e: None, forever=test is True)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self.eval(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, value.flat() if value.deep() else V(), env, None)
            return self.block(node.body, env)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.note_try_guard(node, env)
            start = dict(env)
            left = self.block(node.body, env)
            if not left:
                self.block(node.orelse, env)
            outs = [] if left else [dict(env)]
            for handler in node.handlers:
                h_env = _join_envs([start, env])
                if handler.name:
                    h_env[handler.name] = V()
                if not self.block(handler.body, h_env):
                    outs.append(h_env)
            merged = _join_envs(outs) if outs else _join_envs([start, env])
            env.clear()
            env.update(merged)
            if node.finalbody:
                self.block(node.finalbody, env)
            return not outs
        elif isinstance(node, ast.Match):
            return self.match(node, env)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            env[node.name] = V()
        elif isinstance(node, ast.ClassDef):
            c_env = dict(env)
            for stmt in node.body:
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.stmt(stmt, c_env)
            env[node.name] = V()
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    env.pop(target.id, None)
                elif isinstance(target, ast.Subscript):
                    self.delete_item(target, env)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                name = (a.asname or a.name).split(".")[0]
                env.pop(name, None)  # the module-level resolution (Names) answers for it
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Pass)):
            pass
        elif isinstance(node, ast.Assert):
            self.eval(node.test, env)
            self.note_check(node.test, env)
            self.narrow(node.test, env, True)
        return False

    def match(self, node: ast.Match, env: dict[str, V]) -> bool:
        """Each case on its own; a constant subject takes only the first case that surely matches (later cases are
        dead), and after an irrefutable case (`case _`, `case x`) no path falls through the statement."""
        subject = self.eval(node.subject, env)
        outs = []
        exhaustive = False
        for i, case in enumerate(node.cases):
            verdict = _pattern_matches(case.pattern, subject) if case.guard is None else None
            if verdict is False:
                self.dead.append((case.body[0].lineno, case.body[-1].end_lineno or case.body[-1].lineno))
                continue
            c_env = dict(env)
            self.bind_pattern(case.pattern, subject, c_env)
            if case.guard is not None:
                self.eval(case.guard, c_env)
            if not self.block(case.body, c_env):
                outs.append(c_env)
            if verdict is True:
                exhaustive = True
                for later in node.cases[i + 1:]:
                    self.dead.append((later.body[0].lineno, later.body[-1].end_lineno or later.body[-1].lineno))
                break
        if not exhaustive:
            outs.append(dict(env))
        env.clear()
        env.update(_join_envs(outs) if outs else {})
        return not outs

    def if_(self, node: ast.If, env: dict[str, V]) -> bool:
        test = self.eval(node.test, env)
        self.values[id(node.test)] = join(self.values.get(id(node.test)), test)  # is a switch request data?
        truth = self.truth(test)
        if truth is not None:
            taken, skipped = (node.body, node.orelse) if truth else (node.orelse, node.body)
            if skipped:
                self.dead.append((skipped[0].lineno, skipped[-1].end_lineno or skipped[-1].lineno))
            return self.block(taken, env)
        cond = _truth_test(node.test)  # (`if ok is False:` read as `if not ok:`)
        marks = self.check_marks(cond, env)
        t_env, f_env = dict(env), dict(env)
        if marks is not None:  # the branch where the check accepts the value (both, when that is not known)
            if marks[3][0]:
                self.apply_marks(t_env, marks)
            if marks[3][1]:
                self.apply_marks(f_env, marks)
        t_marked, f_marked = dict(t_env), dict(f_env)
        self.narrow(cond, t_env, True)
        self.narrow(cond, f_env, False)
        before = dict(self._host_tests)
        t_left = self.block(node.body, t_env)
        after_body = dict(self._host_tests)
        f_left = self.block(node.orelse, f_env)
        if marks is not None and not t_left and not f_left:
            # a check that stops nothing (no branch leaves): after it, what neither branch changed is as before
            for key, value in env.items():
                if t_env.get(key) is t_marked.get(key) and f_env.get(key) is f_marked.get(key) \
                        and (t_marked.get(key) is not value or f_marked.get(key) is not value):
                    t_env[key] = f_env[key] = value
        outs = [e for e, left in ((t_env, t_left), (f_env, f_left)) if not left]
        env.clear()
        env.update(_join_envs(outs) if outs else _join_envs([t_env, f_env]))
        if len(outs) == 2:
            self._join_checks(outs, env, (before, after_body, dict(self._host_tests)))
        return t_left and f_left

    def _join_checks(self, outs: list[dict[str, V]], merged: dict[str, V], seen: tuple[dict, ...]) -> None:
        """A check's verdict kept in a name (`allowed = url_has_allowed_host_and_scheme(url=nxt)`) that each branch
        of an `if` still holds, the same check of the same names, though one branch bound it anew (`if nxt is None:
        nxt = default; allowed = url_has_allowed_host_and_scheme(url=nxt)`: froide's get_redirect_url): after the
        join the name still holds that check of the joined values, so `if not allowed:` narrows as before."""
        for name in {n for h in seen for n in h}:
            if name not in merged or name in self._host_tests and _still_held(self._host_tests[name], name, merged):
                continue
            held = [next((h[name] for h in seen if name in h and _still_held(h[name], name, out)), None)
                    for out in outs]
            records = [r for r in held if r is not None]
            if not records or len({ast.unparse(r[1]) for r in records}) != 1:
                continue
            record = records[0]
            if all(r is not None or self._check_adds_nothing(record, out) for r, out in zip(held, outs)):
                self._host_tests[name] = (merged[name], record[1], [(n, merged.get(n)) for n, _ in record[2]])

    def _check_adds_nothing(self, record: tuple, env: dict[str, V]) -> bool:
        """Whether the check `record` keeps would clean nothing more of the values it reads in `env`, a branch where
        it was not made (froide: `next` validated before, the check then made only for a default in the other
        branch): asserting it there after a join changes nothing on that path."""
        trial = dict(env)
        self.narrow(record[1], trial, True)
        return all(trial.get(n) is env.get(n) or _taint_marks(trial.get(n)) == _taint_marks(env.get(n))
                   for n, _ in record[2])

    def loop(self, node: ast.AST, env: dict[str, V], bind_target, forever: bool = False) -> None:
        """Two rounds of the body, joined with the state before it (zero rounds). `break` states join the state
        after the loop (and skip `else`); `continue` states join the next round. `while True` ends only by break."""
        start = dict(env)
        current = dict(env)
        breaks: list[dict[str, V]] = []
        for _ in range(2):
            self._loops.append(([], []))
            bind_target(current)
            left = self.block(node.body, current)  # type: ignore[attr-defined]
            round_breaks, continues = self._loops.pop()
            breaks.extend(round_breaks)
            ends = [] if left else [current]
            current = _join_envs([start, *ends, *continues])
        env.clear()
        if forever:
            env.update(_join_envs(breaks) if breaks else current)
            return
        env.update(current)
        self.block(node.orelse, env)  # type: ignore[attr-defined]
        if breaks:
            merged = _join_envs([dict(env), *breaks])
            env.clear()
            env.update(merged)

    def terminates_call(self, expr: ast.AST, env: dict[str, V]) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not isinstance(expr, ast.Call):
            return False
        name = self.qualname(expr.func, env)
        if bool(name) and (name in self.dm.spec.terminators or name.rsplit(".", 1)[-1] in ("abort",)):
            return True
        # a repository function that always raises (MetaboLights' `raise_deprecation_error(request)` first thing in
        # a retired endpoint, §3af): what follows the call never runs
        try:
            found = self.dm.callee(expr.func, self.scope, env)
        except Exception:  # noqa: BLE001 - a callee the analysis cannot read ends nothing
            return False
        return found is not None and _always_raises(found[1])

    # --- narrowing: allow-lists and validators ----------------------------------------------------------------
    def narrow(self, test: ast.AST, env: dict[str, V], holds: bool) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.narrow(test.operand, env, not holds)
            return
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And) == holds:
                for v in test.values:
                    self.narrow(v, env, holds)
                self.narrow_quoted_literal(test, env, holds)
            else:  # `a == "x" or a == "y"` holds: one of the branches holds; what every branch proves survives
                outs = []
                for v in test.values:
                    b_env = dict(env)
                    self.narrow(v, b_env, holds)
                    outs.append(b_env)
                merged = _join_envs(outs)
                for k, v in merged.items():
                    if k in env and v is not env[k]:
                        env[k] = v
            return
        if holds and self.narrow_has_query(test, env):
            return
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and self.narrow_netloc(test, env, holds):
            return
        first = _first_char_test(test)
        if first is not None and self.narrow_rooted(first, env, holds):
            return  # `u[0] == "/"`: as `u.startswith("/")`
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, left, right = test.ops[0], test.left, test.comparators[0]
            key = _var_key(left)
            rkey = _var_key(right)
            if key is None and rkey is not None and isinstance(op, (ast.In, ast.NotIn)) and rkey in env \
                    and holds != isinstance(op, ast.In) and isinstance(left, ast.Constant) \
                    and isinstance(left.value, str) and len(left.value) == 1 and left.value in _CLOSERS:
                # `"]" in s` fails: a character the value does not hold (it cannot close a quoted name)
                self.set_var(rkey, expand(env[rkey], lambda t: (t.clean(frozenset({"no" + left.value})),)), env)
                return
            if key is None:
                return
            if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None \
                    and holds == isinstance(op, ast.Is):
                self.set_var(key, const_v(None), env)  # `x is None` holds (`x is not None` fails): x is None
                return
            if isinstance(op, (ast.In, ast.NotIn)) and holds == isinstance(op, ast.In):
                allowed = self.eval(right, env)  # a constant collection: the value is one of its members
                if (allowed.known and isinstance(allowed.const, (tuple, list, frozenset, set, str))) or \
                        (allowed.keys is not None and not allowed.deep()) or _program_collection(right, allowed):
                    self.set_var(key, V(const=OPAQUE), env)  # one of the collection's constants
            elif isinstance(op, (ast.Eq, ast.NotEq)) and holds == isinstance(op, ast.Eq):
                value = self.eval(right, env)
                if value.known:
                    self.set_var(key, value, env)
                elif not value.deep() and value.obj is None and env.get(key) is not None and env[key].deep():
                    # `if token != settings.TOKEN: raise`: past it, the value is the program's own, not the request's
                    self.set_var(key, V(), env)
            return
        if isinstance(test, ast.Name) and test.id in self._host_tests:
            record = self._host_tests[test.id]
            if _still_held(record, test.id, env):
                compare = record[1]
                if isinstance(compare, (ast.Call, ast.BoolOp)):  # `ok = url_has_allowed_host_and_scheme(u, h)`; `if ok:`
                    self.narrow(compare, env, holds)
                else:
                    self.narrow_netloc(compare, env, holds)  # `if not same_host:` with `same_host = ... == ...`
                return
        if isinstance(test, ast.Name) and holds:
            self.narrow_verdict(test, env)
            return
        if isinstance(test, ast.Name) and not holds and test.id in env and env[test.id].deep():
            # where `x` tested false it is empty (`""`, None): `if x and not is_safe_url(x): x = None` lets through
            # only what the validator accepted or nothing
            self.set_var(test.id, V(const=OPAQUE), env)
            return
        if isinstance(test, ast.Call) and not holds and self.narrow_relative(test, env):
            return
        if isinstance(test, ast.Call) and self.narrow_rooted(test, env, holds):
            return
        if isinstance(test, ast.Attribute) and not holds and test.attr == "netloc":
            self.narrow_same_origin(test.value, env)  # `if not urlparse(u).netloc:`
            return
        if isinstance(test, ast.Call) and holds and _response_instance_test(test):
            # `if isinstance(x, Response): return x` (Dallinger's helper returns a value or a JSON error response):
            # where it holds, x is a response object the program built, whose body its own construction decided
            key = _var_key(test.args[0])
            if key is not None and key in env:
                self.set_var(key, _cleaned(env[key], frozenset({"html"})), env)
            return
        if isinstance(test, ast.Call) and holds and self.narrow_regex(test, env):
            return
        if isinstance(test, ast.Call) and holds and self.narrow_route_match(test, env):
            return
        if isinstance(test, ast.Call) and holds:
            narrowed = self.helper_check(test, env)
            if narrowed is not None:
                for key, value in narrowed.items():
                    self.set_var(key, value, env)
                return
            name = self.qualname(test.func, env)
            method = test.func.attr if isinstance(test.func, ast.Attribute) else None
            found = self.dm.spec.validators.match(name, method)
            if not found:
                self.narrow_project_url_check(test, env)
                return
            arg, families = found[0], found[1]
            if name is not None and name in self.dm.spec.validators.exact:
                target = test.args[arg] if len(test.args) > arg else \
                    next((k.value for k in test.keywords if len(found) > 2 and k.arg == found[2]), None)
            else:  # `value.isdigit()`, `pattern.fullmatch(value)`
                target = test.func.value if method in self.dm.spec.library.self_validating else (test.args[0] if test.args else None)  # type: ignore[attr-defined]
            key = (_var_key(target) or self.expr_key(target)) if target is not None else None
            if key is not None:
                current = self.eval(target, env)
                self.set_var(key, _cleaned(current, families), env)

    # --- checks the analysis does not know: the flow is not complete -------------------------------------------
    def note_check(self, test: ast.AST, env: dict[str, V], always: bool = False) -> None:
        """Mark `env` after `test` (see check_marks), whatever its outcome."""
        marks = self.check_marks(test, env, always)
        if marks is not None:
            self.apply_marks(env, marks)

    def check_marks(self, test: ast.AST, env: dict[str, V], always: bool = False) -> tuple | None:
        """Untrusted data tested by a check the analysis does not model as a validator (`if not
        is_safe_url(u)`, `u.startswith(...)`, `u in allowed`, a repository function's verdict, `re.match` of a
        pattern it cannot judge): the check may be one, so from there on the flow of that data (the very value and
        every value derived from the same origin) has a gap (Taint.gap) and a sink it reaches is a review finding.
        `==`/`!=` against a value and truthiness tests are no such check (`if nxt != own_url:`); a test the
        analysis does model (a known validator, a constant allow-list, `is_absolute()`) narrows the value or is
        judged insufficient. `always`: `test` is a call made for its check alone (`validate_url(u)` as a
        statement). Returns (origins, gap, families the check is known not to guard, polarity) or None; polarity is
        +1 when the test holding accepts the value (`is_safe(u)`, `u in allowed`), -1 when it rejects it
        (`is_unsafe(u)`, `".." in p`), 0 when the analysis cannot tell."""
        targets: list[ast.AST] = []
        self._check_targets(test, env, targets, always)
        if not targets:
            return None
        origins = set()
        for target in targets:
            for node in ast.walk(target):
                key = _var_key(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
                value = env.get(key) if key is not None else None
                if value is None and isinstance(node, (ast.Call, ast.Subscript)):
                    ekey = self.expr_key(node)
                    if ekey is not None:  # `is_safe(request.args.get("next"))`: the same read, written again
                        value = env.get(ekey) or self.eval(node, dict(env))
                        env[ekey] = value
                for t in value.deep() if value is not None else ():
                    if t.param is not None or t.steps:
                        origins.add(_origin_key(t))
        if not origins:
            return None
        text = self.code(test)
        kept = [f"`{n.id} = {self.code(c, 60)}`" for n in ast.walk(test) if isinstance(n, ast.Name)
                for c in [self.stored_check(n, env)] if c is not None]
        if kept:  # "tested by `not ok` with `ok = is_md5(h)` (...)"
            text += "` with " + ", ".join(kept)[:-1]
        gap = f"it is tested by `{text}` ({self.where(test)}), a check the analysis does not know " \
              f"(it may be a validator)"
        return frozenset(origins), gap, self._unguarded_families(test, env), self._branch_marks(test, env)

    def _branch_marks(self, test: ast.AST, env: dict[str, V]) -> tuple[bool, bool]:
        """Whether the check may have accepted the value where `test` holds, and where it fails: a check named as
        a validator (`is_safe_url(u)`) accepted it only where it holds, so the branch where it fails (`else:`) keeps
        a complete flow; a check whose sense the name does not give marks both branches."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            t, f = self._branch_marks(test.operand, env)
            return f, t
        if isinstance(test, ast.BoolOp):
            parts = [self._branch_marks(v, env) for v in test.values]
            if isinstance(test.op, ast.And):  # true: every part held; false: some part failed after others held
                return any(t for t, _ in parts), any(t or f for t, f in parts)
            return any(t or f for t, f in parts), any(f for _, f in parts)
        found: list[ast.AST] = []
        self._check_targets(test, env, found)
        if not found:
            return False, False
        stored = self.stored_check(test, env) if isinstance(test, ast.Name) else None
        polarity = _atom_polarity(stored) or _name_polarity(test) if stored is not None else _atom_polarity(test)
        return polarity >= 0, polarity <= 0

    def apply_marks(self, env: dict[str, V], marks: tuple) -> None:
        origins, gap, skip, _ = marks

        def mark(t: Taint) -> tuple[Taint, ...]:
            return (t.through(gap, skip),) if _origin_key(t) in origins else (t,)

        for key, value in list(env.items()):
            if any(_origin_key(t) in origins for t in value.deep()):
                env[key] = expand(value, mark)

    def _unguarded_families(self, test: ast.AST, env: dict[str, V]) -> frozenset[str]:
        """Sink families a check is known not to guard (for them the flow stays complete): a prefix or suffix test
        of a path that was not normalised first (`p.startswith("uploads/")` holds for `uploads/../../x`), a test for
        `..` in a path (an absolute name or `..\\` escapes all the same), and a test that a URL starts with `/`
        (`//evil.com` does). Over `and`/`or`, what every check of the test leaves unguarded."""
        while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test = test.operand
        if isinstance(test, ast.Name):
            test = self.stored_check(test, env) or test
        if isinstance(test, ast.BoolOp):
            out: frozenset[str] | None = None
            for v in test.values:
                if self._is_check(v, env):
                    part = self._unguarded_families(v, env)
                    out = part if out is None else out & part
            return out or frozenset()
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.In, ast.NotIn)) \
                and isinstance(test.left, ast.Constant) and isinstance(test.left.value, str) and ".." in test.left.value:
            if test.left.value == ".." and self._joined_below_base(test.comparators[0], env):
                return frozenset()  # no `..` left in `join(BASE, segment)`: an unknown check, the flow has a gap
            return frozenset({"path"})
        if not isinstance(test, ast.Call):
            return frozenset()
        if isinstance(test.func, ast.Attribute) and test.func.attr in ("startswith", "endswith"):
            out = set()
            receiver = test.func.value
            bound = receiver
            if isinstance(receiver, ast.Name) and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bound = self.dm.module.value_of(receiver.id, self.scope) or receiver
            if not any(isinstance(n, ast.Call) and (_short_name(n.func) or "") in _NORMALISERS for n in ast.walk(bound)):
                out.add("path")
            if test.func.attr == "startswith" and test.args and isinstance(test.args[0], ast.Constant) \
                    and test.args[0].value in ("/", "//"):
                out.add("redirect")  # modelled (narrow_rooted): what they prove is judged there
            return frozenset(out)
        parts = self._regex_parts(test, env)
        if parts is not None and parts[0].known and isinstance(parts[0].const, str) \
                and parts[0].const in ("^/", "/", "\\A/") and not parts[3]:  # (one of a list's patterns: OPAQUE)
            return frozenset({"redirect"})
        return frozenset()

    def _joined_below_base(self, node: ast.AST, env: dict[str, V]) -> bool:
        """`p` in `".." in p` is (a name bound once to) `os.path.join(BASE, name)`, or its `dirname`, `normpath`
        or a `.replace(...)` of it, with BASE holding no request data and `name` a parameter of a Flask/Quart
        (werkzeug-routed) view's route, which can never start with `/`: with no `..` in it, the path cannot leave
        BASE (an absolute name, the other way out a `..` test leaves open, is not possible)."""
        if not isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for _ in range(8):
            if isinstance(node, ast.Name):
                bound = self.dm.module.value_of(node.id, self.scope)
                if not isinstance(bound, ast.expr):
                    return False
                node = bound
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
                node = node.func.value
            elif isinstance(node, ast.Call) and len(node.args) == 1 and (self.qualname(node.func, env) or "") in (
                    "os.path.dirname", "os.path.normpath", "posixpath.dirname", "posixpath.normpath"):
                node = node.args[0]
            else:
                break
        if not (isinstance(node, ast.Call) and (self.qualname(node.func, env) or "") in ("os.path.join", "posixpath.join")
                and len(node.args) >= 2 and not node.keywords):
            return False
        if self.eval(node.args[0], dict(env)).deep():
            return False
        routed = _werkzeug_route_parameters(self.scope)
        return all(isinstance(a, ast.Name) and a.id in routed and not self._rebound(a.id) for a in node.args[1:]
                   if self.eval(a, dict(env)).deep())

    def _rebound(self, name: str) -> bool:
        """A parameter this function assigns again (its value is no longer the route's)."""
        return len(self.dm.module.bindings(self.scope).get(name, ())) > 1

    def _is_check(self, test: ast.AST, env: dict[str, V]) -> bool:
        found: list[ast.AST] = []
        self._check_targets(test, env, found)
        return bool(found)

    def _check_targets(self, test: ast.AST, env: dict[str, V], out: list[ast.AST], always: bool = False) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self._check_targets(test.operand, env, out)
        elif isinstance(test, ast.BoolOp):
            for v in test.values:
                self._check_targets(v, env, out)
        elif isinstance(test, ast.NamedExpr):
            self._check_targets(test.value, env, out)
        elif isinstance(test, ast.Name):
            stored = self.stored_check(test, env)
            if stored is not None:  # `if not valid_md5:` with `valid_md5 = is_md5(h)`
                self._check_targets(stored, env, out)
        elif isinstance(test, ast.Await):
            self._check_targets(test.value, env, out, always)
        elif isinstance(test, ast.Compare):
            left = test.left
            for op, right in zip(test.ops, test.comparators):
                if isinstance(op, (ast.In, ast.NotIn)) and self._host_of(left, env) is not None \
                        and not self._is_param(right):
                    pass  # `urlparse(u).netloc in ALLOWED`: a host check the analysis models (narrow_netloc)
                elif isinstance(op, (ast.In, ast.NotIn)):
                    # `u in allowed_hosts` (on the branch where it holds, a value narrowed to a constant collection's
                    # member has no taint left to mark; a value derived from the one tested keeps it), `".." in p`
                    if isinstance(left, ast.Constant) and isinstance(left.value, str) and left.value.isidentifier():
                        pass  # `"connection_info" in data`: whether a key is there, not what the value holds
                    else:
                        out.append(right if isinstance(left, ast.Constant) else left)
                else:
                    for side in (left, right):
                        out.extend(self._unmodelled_calls(side, env))
                left = right
        elif isinstance(test, ast.Call):
            name = self.qualname(test.func, env)
            method = test.func.attr if isinstance(test.func, ast.Attribute) else None
            lib = self.dm.spec.library
            if name and (name in lib.non_checks or name.rsplit(".", 1)[-1] in ("isinstance", "hasattr", "callable")):
                return
            if self.dm.spec.validators.match(name, method) or method == "is_absolute" or self.regex_read(test, env) \
                    or self.helper_check(test, env) is not None:
                return  # a validator the analysis knows: it narrows the value (narrow) or is judged insufficient
            if not always and self.propagator(name, method):
                return  # `if u.strip():` is a truthiness test
            out.extend(test.args)
            out.extend(kw.value for kw in test.keywords)
            if isinstance(test.func, ast.Attribute) and not (name and _imported_call(name, method or "")):
                out.append(test.func.value)  # `u.startswith("/")`: the receiver is what is checked

    def _unmodelled_calls(self, expr: ast.AST, env: dict[str, V]) -> list[ast.AST]:
        """The arguments of calls in `expr` that the analysis does not model (`resolve(path).url_name`,
        `urlparse(u).netloc` is modelled and `len(u)` checks no content)."""
        out: list[ast.AST] = []
        for node in ast.walk(expr):
            if not isinstance(node, ast.Call):
                continue
            name = self.qualname(node.func, env)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if self.propagator(name, method) or (name and name in self.dm.spec.library.non_checks):
                continue
            out.extend(node.args)
            out.extend(kw.value for kw in node.keywords)
        return out

    def note_try_guard(self, node: ast.AST, env: dict[str, V]) -> None:
        """`try: resolve(path)` / `validate_url(u)` with a handler that leaves (returns, raises, aborts): the calls of
        the `try` body are checks whose failure ends the function, so what they were given is tested there (see
        note_check)."""
        leaves = False
        for handler in getattr(node, "handlers", ()):
            last = handler.body[-1] if handler.body else None
            if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)) or \
                    (isinstance(last, ast.Expr) and self.terminates_call(last.value, env)):
                leaves = True
        if not leaves:
            return
        for stmt in getattr(node, "body", ()):
            # a call whose result is not used (`resolve(path)`, `validate_url(u)`): one whose result is kept is a
            # computation (a lookup, a fetch, a parse), not a check
            value = stmt.value if isinstance(stmt, ast.Expr) else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                name = self.qualname(value.func, env)
                method = value.func.attr if isinstance(value.func, ast.Attribute) else None
                if self.propagator(name, method) or self.dm.spec.sanitizers.match(name, method) \
                        or self.dm.spec.sinks.match(name, method) or (name and name in self.dm.spec.library.non_checks):
                    continue  # `try: subprocess.check_call(cmd)` runs the command; it checks nothing
                callee = self.dm.callee(value.func, self.scope, env, local_only=not self.dm.module_may_have_source())
                summary = callee[0].summary(callee[1]) if callee is not None else None
                if summary is not None and summary.param_sinks:
                    continue  # a helper that uses the value in a sink: the use, not a check of it
                self.note_check(value, env, always=True)

    def note_verdict(self, node: ast.Assign, env: dict[str, V]) -> None:
        """`ok, err = validate_persona_name(name)`: a function named as a check whose result is unpacked; where its
        first element is later found true (see narrow_verdict), the variables it was given are fit for file paths."""
        call = node.value
        if not (isinstance(call, ast.Call) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)):
            return
        first = node.targets[0].elts[0] if node.targets[0].elts else None
        if not isinstance(first, ast.Name) or len(node.targets[0].elts) < 2:
            return
        func = call.func
        short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        checked = []
        for arg in [*call.args, *(kw.value for kw in call.keywords)]:
            key = _var_key(arg)
            if key is not None and key in env and key != first.id:
                checked.append((key, env[key]))
        if _NAMED_CHECK.match(short) and checked and first.id in env:
            self._verdicts[first.id] = (env[first.id], checked)
        else:
            self._verdicts.pop(first.id, None)

    def narrow_has_query(self, test: ast.AST, env: dict[str, V]) -> bool:
        """`"?" in url` or `re.search("[?]", url)` (the pattern also written with a backslash) holds: the URL has a
        query already, so text appended to it (`url + "&js_target=" + t`: docassemble's do_redirect) lands in that
        query (V.tail)."""
        target = None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In) \
                and isinstance(test.left, ast.Constant) and test.left.value == "?":
            target = test.comparators[0]
        elif isinstance(test, ast.Call) and len(test.args) >= 2 and isinstance(test.args[0], ast.Constant) \
                and test.args[0].value in ("\\?", "[?]") \
                and (self.dm.names.qualname(test.func) or "") in ("re.search", "re.findall"):
            target = test.args[1]
        key = _var_key(target) if target is not None else None
        if key is None or key not in env or env[key].known:
            return False
        marked = expand(env[key], lambda t: (t,))
        marked.tail = True
        self.set_var(key, marked, env)
        return True

    def narrow_verdict(self, test: ast.Name, env: dict[str, V]) -> None:
        """Where `ok` (the first element a named check returned) holds, what the check was given, if neither it
        nor `ok` has been assigned since (the very values are still held), is fit for file paths."""
        verdict = self._verdicts.get(test.id)
        if verdict is None or env.get(test.id) is not verdict[0]:
            return
        for key, value in verdict[1]:
            if env.get(key) is value:
                self.set_var(key, _cleaned(value, frozenset({"path"})), env)

    def narrow_lookup(self, lookup: ast.Subscript, env: dict[str, V]) -> None:
        """`suffix = SUFFIXES[language]` with a constant mapping: the lookup raises KeyError unless the value is one
        of its keys, so past it the value is one of the program's constants, as after `if language in SUFFIXES`
        (jumpserver's code_suffix_mapper; a `try:` that catches the KeyError joins the value from before)."""
        key = _var_key(lookup.slice)
        if key is None or key not in env or not env[key].deep():
            return
        table = self.eval(lookup.value, env)
        if (table.keys is not None and not table.deep()) or (table.known and isinstance(table.const, dict)):
            self.set_var(key, V(const=OPAQUE), env)

    def narrow_raising_check(self, call: ast.Call, env: dict[str, V]) -> None:
        """`check_access_permission(storage_dir, name)` as a statement: a check named for a file-system
        containment check whose result is not used can only work by raising, so after it the values it was given
        are fit for file paths (a check's own flaws are for whoever reads it, not for every use after it)."""
        if call.args and self.qualname(call.func, env) in _URL_RESOLVERS:
            # `resolve(next_page)` (Django): raises Resolver404 unless one of the site's own URL patterns matches
            # the path, so after it the value is a path of this site, fit for redirects
            key = _var_key(call.args[0])
            if key is not None and key in env:
                self.set_var(key, _cleaned(env[key], frozenset({"redirect"})), env)
            return
        sanitizer = _path_sanitizer(call.func)
        if not (sanitizer or _PATH_CHECK.match(_short_name(call.func) or "")):
            return  # (`sanitize_path(path)` as a statement: named to make a path safe, its result unused)
        for arg in [*call.args[:1], *(kw.value for kw in call.keywords if kw.arg in ("path", "filename", "name"))] \
                if sanitizer else [*call.args, *(kw.value for kw in call.keywords)]:
            key = _var_key(arg)
            if key is not None and (key in env or isinstance(arg, ast.Attribute)):
                # (`sanitize_path(file.filename)`: the attribute read afterwards is the checked one)
                current = env[key] if key in env else self.eval(arg, env)
                self.set_var(key, _cleaned(current, frozenset({"path"})), env)

    def narrow_project_url_check(self, test: ast.Call, env: dict[str, V]) -> None:
        """`if _allow_redirect(url):` / `if is_safe_next_url(url):`: the project's own check of a redirect
        target, named as one (allow/safe/valid/trusted and url/redirect/next/path), proves its argument fit for
        redirects where it holds; one named for a URL or host (`validate_api_url(u)`, `is_allowed_host(h)`), fit
        for outgoing requests too (an allow-list of where the server may connect)."""
        func = test.func
        short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if not _URL_CHECK.search(short) or not _URL_WORD.search(short):
            return
        if self.dm.callee(func, self.scope, env, local_only=True) is None and not self.dm.calls_repo_helper(func, self.scope) \
                and not (isinstance(func, ast.Name) and self._enclosing_def(func.id)):
            return
        families = frozenset({"redirect", "ssrf"}) if _URL_HOST_WORD.search(short) else frozenset({"redirect"})
        for arg in test.args[:1]:
            key = _var_key(arg) or self.expr_key(arg)
            if key is not None:
                self.set_var(key, _cleaned(self.eval(arg, env), families), env)

    def narrow_route_match(self, test: ast.Call, env: dict[str, V]) -> bool:
        """`len(adapter.allowed_methods(target))` / `adapter.match(target)` with `adapter = app.url_map.bind(host)`:
        where it holds, `target` is a path one of the application's own routes matches, so a redirect there stays
        on the site (also through `remove_prefix(target, script_name)` / `target.removeprefix(...)`)."""
        if isinstance(test.func, ast.Name) and test.func.id == "len" and len(test.args) == 1 \
                and isinstance(test.args[0], ast.Call):
            test = test.args[0]
        func = test.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("allowed_methods", "match") and test.args):
            return False
        adapter: ast.AST | None = func.value
        if isinstance(adapter, ast.Name) and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            adapter = self.dm.module.value_of(adapter.id, self.scope)
        if not (isinstance(adapter, ast.Call) and isinstance(adapter.func, ast.Attribute)
                and adapter.func.attr in ("bind", "bind_to_environ")
                and _var_key(adapter.func.value) is not None and _var_key(adapter.func.value).endswith("url_map")):
            return False
        target = test.args[0]
        if isinstance(target, ast.Call) and target.args and (
                isinstance(target.func, ast.Attribute) and target.func.attr == "removeprefix"
                or re.fullmatch(r"(?:remove|strip)_?prefix", _short_name(target.func) or "")):
            target = target.func.value if isinstance(target.func, ast.Attribute) and target.func.attr == "removeprefix" \
                else target.args[0]
        key = _var_key(target)
        if key is None:
            return False
        self.set_var(key, _cleaned(self.eval(target, env), frozenset({"redirect"})), env)
        return True

    def _enclosing_def(self, name: str) -> bool:
        """`def is_safe_url(t): return _is_safe_url(t, app)` written in the body of a function this scope is nested
        in (an app factory defining its views): the project's own function."""
        parents = self.dm.module.parents()
        node = parents.get(id(self.scope))
        while node is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in node.body):
                return True
            node = parents.get(id(node))
        return False

    def narrow_quoted_literal(self, test: ast.BoolOp, env: dict[str, V], holds: bool) -> None:
        """A guard that pins a string literal's shape: where `t[0] == t[-1]`, `t[0] in "'\\""` and
        `t[0] not in t[1:-1]` all hold (an `and` that holds, or the `or` of their negations that fails: the
        early-return guard), `t` is one quoted string literal, and `eval(t)` can only build that string."""
        facts: dict[str, set[str]] = {}
        for atom in test.values:
            negate = not holds
            while isinstance(atom, ast.UnaryOp) and isinstance(atom.op, ast.Not):
                atom, negate = atom.operand, not negate
            if not (isinstance(atom, ast.Compare) and len(atom.ops) == 1):
                continue
            op, left, right = atom.ops[0], atom.left, atom.comparators[0]
            positive = isinstance(op, (ast.Eq, ast.In)) != negate  # the relation that holds here
            if not isinstance(left, ast.Subscript) or _index_of(left) != 0:
                continue
            key = _var_key(left.value)
            if key is None:
                continue
            if isinstance(op, (ast.Eq, ast.NotEq)) and positive and isinstance(right, ast.Subscript) \
                    and _var_key(right.value) == key and _index_of(right) == -1:
                facts.setdefault(key, set()).add("ends")
            elif isinstance(op, (ast.In, ast.NotIn)) and positive:
                quotes = self.eval(right, env)
                if quotes.known and isinstance(quotes.const, str) and quotes.const and set(quotes.const) <= set("'\""):
                    facts.setdefault(key, set()).add("quote")
            elif isinstance(op, (ast.In, ast.NotIn)) and not positive and isinstance(right, ast.Subscript) \
                    and _var_key(right.value) == key and isinstance(right.slice, ast.Slice):
                facts.setdefault(key, set()).add("inside")
        for key, found in facts.items():
            if found == {"ends", "quote", "inside"}:
                self.set_var(key, _cleaned(env.get(key) or V(), frozenset({"code"})), env)

    def _allow_list_sub(self, call: ast.Call, name: str | None, env: dict[str, V]) -> frozenset[str] | None:
        """`re.sub(r"[^a-zA-Z0-9]", "-", v)` (or a compiled pattern's `.sub("-", v)`): every character outside an
        allow-list class replaced by constant text, so the result holds only the class's characters and the
        replacement's (KoboToolbox KPI's host header reduced to letters, digits and dashes): clean for the families
        none of whose meaningful characters are among them (shapes.fullmatch_families)."""
        if name == "re.sub" and len(call.args) >= 3:
            pattern, repl = self.eval(call.args[0], dict(env)), call.args[1]
        elif isinstance(call.func, ast.Attribute) and len(call.args) >= 2:
            compiled = self._compiled_pattern(call.func.value)
            if compiled is None or len(compiled.args) != 1 or compiled.keywords:
                return None  # (flags: a case-blind class takes more than it names)
            pattern, repl = self.eval(compiled.args[0], dict(env)), call.args[0]
        else:
            return None
        positional = 3 if name == "re.sub" else 2  # (`count`: only the first n replaced, the rest left as it was)
        if len(call.args) > positional or any(k.arg == "count" for k in call.keywords):
            return None
        text = self.eval(repl, dict(env))
        if not (pattern.known and isinstance(pattern.const, str) and text.known and isinstance(text.const, str)):
            return None
        body = pattern.const[:-1] if pattern.const.endswith(("]+", "]*")) else pattern.const
        if len(body) < 4 or not body.startswith("[^") or not body.endswith("]") or "]" in body[2:-1] \
                or "\\" in text.const or "[" in body[2:-1]:
            return None
        kept = "".join("\\" + c if c in "\\]^-[" else c for c in text.const)
        return fullmatch_families(f"[{body[2:-1]}{kept}]*")

    def regex_read(self, test: ast.Call, env: dict[str, V]) -> bool:
        """A regular-expression test whose pattern the analysis reads whole (see safe_shape_pattern): it narrows
        the value or is known to let the dangerous characters through, so it is no unknown check."""
        parts = self._regex_parts(test, env)
        return parts is not None and parts[0].known and isinstance(parts[0].const, str) and safe_shape_pattern(
            parts[0].const, full=parts[2], search=parts[3], chars=False)

    def _regex_parts(self, test: ast.Call, env: dict[str, V]) -> tuple | None:
        name = self.qualname(test.func, env) or ""
        method = test.func.attr if isinstance(test.func, ast.Attribute) else ""
        if name in ("re.match", "re.fullmatch", "re.search") and len(test.args) >= 2:
            return self.eval(test.args[0], dict(env)), test.args[1], name == "re.fullmatch", name == "re.search"
        if method in ("match", "fullmatch", "search") and test.args and isinstance(test.func, ast.Attribute):
            compiled = self._compiled_pattern(test.func.value)
            if compiled is not None:
                return self.eval(compiled.args[0], dict(env)), test.args[0], method == "fullmatch", method == "search"
        return None

    def _compiled_pattern(self, receiver: ast.AST) -> ast.Call | None:
        """The `re.compile(pattern, ...)` call a method's receiver is bound to (`SLUG = re.compile(...)`), or None."""
        compiled = self.dm.module.follow(receiver, self.scope if isinstance(self.scope, ast.FunctionDef) else None, 0)
        if isinstance(compiled, ast.Call) and self.dm.names.qualname(compiled.func) == "re.compile" and compiled.args:
            return compiled
        return None

    def narrow_regex(self, test: ast.Call, env: dict[str, V]) -> bool:
        """`re.match(r"^[a-z0-9_-]+$", x)` (also `re.fullmatch`, `re.search`, and a compiled pattern's methods):
        where it holds, `x` is made only of the characters the pattern allows; when none of them means anything
        to a shell, SQL, HTML or a URL, the value is clean for every family."""
        name = self.qualname(test.func, env) or ""
        method = test.func.attr if isinstance(test.func, ast.Attribute) else ""
        compiled_call = None
        if name in ("re.match", "re.fullmatch", "re.search") and len(test.args) >= 2:
            pattern, target, full = self.eval(test.args[0], env), test.args[1], name == "re.fullmatch"
        elif method in ("match", "fullmatch", "search") and test.args and isinstance(test.func, ast.Attribute):
            compiled = self._compiled_pattern(test.func.value)
            if compiled is None:
                return False
            pattern, target, full = self.eval(compiled.args[0], env), test.args[0], method == "fullmatch"
            compiled_call = compiled
        else:
            return False
        key = _var_key(target)
        if key is None or not pattern.known or not isinstance(pattern.const, str) or _verbose(test, compiled_call):
            return False
        searching = name == "re.search" or method == "search"
        if not safe_shape_pattern(pattern.const, full=full, search=searching):
            if not searching and _LOCAL_PATH_PATTERN.match(pattern.const):
                # `re.match(r"^/[a-z]+", url)`: a path on this site (one `/`, then a character that is neither
                # `/` nor `\`): fit for redirects, whatever follows
                self.set_var(key, _cleaned(self.eval(target, env), frozenset({"redirect"})), env)
                return True
            families = fullmatch_families(pattern.const, full=full, start=not searching)
            if families is None:
                return False  # a pattern the reading does not know: the spec's validator entry decides
            # a pattern read whole: clean for the families it keeps out, and no unknown check for the others
            # (`re.fullmatch(r"[^/]+", name)` lets `..` through, `r".*"` anything)
            if families:
                self.set_var(key, _cleaned(self.eval(target, env), families), env)
            return True
        self.set_var(key, _cleaned(self.eval(target, env), frozenset({"all"})), env)
        return True

    def narrow_netloc(self, test: ast.Compare, env: dict[str, V], holds: bool) -> bool:
        """A host check of a parsed URL: `urlparse(u).netloc` (also `.hostname`, `.netloc.lower()`, `urlsplit`, a
        name bound to either) compared `==` / `in` where it holds, `!=` / `not in` where it fails, with:
        - `""` (or a collection holding `""` besides hosts): `u` has no host, a same-origin path once backslashes
          were normalised (see narrow_same_origin);
        - a constant host, a constant collection of hosts, or a value no request data went into (a setting, an
          environment variable, a configured allow-list): `u` names a host the program chose, so it is clean for
          redirects and, for outgoing requests, only its path is the request's (the marker `host`: PY411);
        - this server's own host (`request.host`, `request.get_host()`, `request.base_url.netloc`): request data
          a browser sends for the URL it visits, so clean for redirects; not for outgoing requests (whoever sends
          the request writes its `Host` header).
        Compared with other request data (a query parameter), nothing is proven."""
        left, op, right = test.left, test.ops[0], test.comparators[0]
        target = self._host_of(left, env)
        if target is None and isinstance(op, (ast.Eq, ast.NotEq)):
            target, right = self._host_of(right, env), left  # `if own_host != urlparse(u).netloc:`
        if target is None:
            return False
        positive = isinstance(op, (ast.Eq, ast.In))
        if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) or positive != holds:
            return True
        parsed, attr = target
        if any(self._is_param(n) for n in ([right] if not isinstance(right, (ast.List, ast.Tuple, ast.Set))
                                           else right.elts)):
            return False  # `host in allowed_domains`, a parameter: the caller's list, unknown here (a check: a gap)
        if isinstance(op, (ast.Eq, ast.NotEq)):
            members = [self.eval(right, env)]
        elif isinstance(right, (ast.List, ast.Tuple, ast.Set)) and not any(isinstance(e, ast.Starred) for e in right.elts):
            members = [self.eval(e, env) for e in right.elts]
        else:
            allowed = self.eval(right, env)
            if allowed.known and isinstance(allowed.const, (tuple, list, frozenset, set)):
                members = [const_v(c) for c in allowed.const]
            elif allowed.elts is not None and not allowed.taints:
                members = list(allowed.elts)
            elif _program_collection(right, allowed) and _URL_NAME.search(_short_name(right) or ""):
                members = [V(), const_v("")]  # `netloc in settings.SITE_URL`: a substring test, which "" passes
            elif _program_collection(right, allowed) or (allowed.keys is not None and not allowed.deep()):
                members = [V()]  # a configured allow-list: hosts the program chose
            else:
                return True
        if not members:
            return True
        empty = False
        families = {"redirect", "host"}
        for m in members:
            if m.known and m.const is not OPAQUE and not isinstance(m.const, str):
                return True  # `netloc == None`: never holds (netloc is a str); nothing to learn
            if _holds(m, ""):
                empty = True
            elif m.known and m.const is OPAQUE and (m.choices is None or "" in m.choices):
                return True  # one of several constants, perhaps ""
            elif any(t.live_for("redirect") for t in m.deep()):
                return True  # another request value: the attacker chose both sides
            elif m.deep() or m.obj is not None:
                families.discard("host")  # the server's own host, as the request names it
        if attr != "netloc" and empty:
            return True  # `.hostname` is None, never "", for a URL without a host
        if empty:  # no host (a path, once backslashes were normalised), or one of the chosen hosts
            kept = frozenset({"redirect"}) if len(members) == 1 else frozenset(families)
            self._clean_parsed(parsed, env, lambda t: (t.clean(kept),) if "backslash" in t.cleaned
                               else (t.clean(kept - {"redirect"}),) if kept - {"redirect"} else (t,))
            return True
        self._clean_parsed(parsed, env, lambda t: (t.clean(frozenset(families)),))
        return True

    def _host_of(self, node: ast.AST, env: dict[str, V]) -> tuple[ast.AST, str] | None:
        """`urlparse(u).netloc` / `.hostname` (through `.lower()`, `.casefold()`, `.strip()`): (the parsed URL's
        expression, "netloc" or "hostname"); a name bound once, in this function, to such an expression counts."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
                and not node.keywords and node.func.attr in ("lower", "casefold", "strip"):
            node = node.func.value
        if isinstance(node, ast.Name) and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bound = self.dm.module.value_of(node.id, self.scope)
            if isinstance(bound, (ast.Call, ast.Attribute)) and node.id in self._hosts:
                return self._host_of(bound, env)
            return None
        if isinstance(node, ast.Attribute) and node.attr in ("netloc", "hostname", "host", "raw_host"):
            parsed = node.value
            if isinstance(parsed, ast.Name) and parsed.id in self._parsed:
                return parsed, node.attr
            if isinstance(parsed, ast.Call) and parsed.args and \
                    (self.qualname(parsed.func, env) or "").rsplit(".", 1)[-1] in _URL_PARSERS:
                return parsed, node.attr
        return None

    def _clean_parsed(self, parsed: ast.AST, env: dict[str, V], fn) -> None:
        """Apply `fn` to the taints of the URL `parsed` parses (`urlparse(u)`: `u`; a name bound to it: that name
        and, while it still holds the very value parsed, `u`)."""
        if isinstance(parsed, ast.Name):
            found = self._parsed.get(parsed.id)
            if found is None:
                return
            if parsed.id in env:
                self.set_var(parsed.id, expand(env[parsed.id], fn), env)
            key, value = found
            if env.get(key) is value:
                self.set_var(key, expand(value, fn), env)
            return
        if not isinstance(parsed, ast.Call) or not parsed.args:
            return
        name = self.qualname(parsed.func, env) or ""
        if name.rsplit(".", 1)[-1] not in _URL_PARSERS:
            return
        key = _var_key(parsed.args[0]) or self.expr_key(parsed.args[0])
        if key is None:
            return
        self.set_var(key, expand(self.eval(parsed.args[0], env), fn), env)

    def note_parsed(self, node: ast.Assign, env: dict[str, V]) -> None:
        """`parts = urlparse(u)` / `host = urlparse(u).netloc`: remember what was parsed (its variable and the very
        value it held), so a later check of `parts.netloc` or `host` speaks for `u` while `u` still holds it."""
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        self._parsed.pop(name, None)
        self._hosts.discard(name)
        self._host_tests.pop(name, None)
        self._check_names.pop(name, None)
        value = node.value
        if isinstance(value, ast.Compare) and len(value.ops) == 1 and name in env and (
                self._host_of(value.left, env) is not None or (isinstance(value.ops[0], (ast.Eq, ast.NotEq))
                                                                and self._host_of(value.comparators[0], env) is not None)):
            self._host_tests[name] = _record(name, value, env)
            return
        if name in env and (self._known_validator(value, env) or (
                isinstance(value, ast.BoolOp) and isinstance(value.op, ast.And)
                and any(self._known_validator(v, env) for v in value.values))):
            # a known validator's verdict kept in a name: `if is_allowed:` narrows as the call would, while the
            # name and every value the call was given are unchanged; also with the value's own truthiness test
            # before it (`ok = nxt and url_has_allowed_host_and_scheme(nxt, host)`: where `ok` holds, both did)
            self._host_tests[name] = _record(name, value, env)
            return
        if name in env and isinstance(value, ast.Call) and self.helper_check(value, env) is not None:
            self._host_tests[name] = _record(name, value, env)  # `valid = is_sha1(h)`, the module's own predicate
            return
        if name in env and isinstance(value, ast.Call) and self._predicate_call(value, name, env):
            # `valid_act = re.match(r"^[\w.]+$", act)` (a pattern the analysis reads: it narrows where `valid_act`
            # holds) or `valid_md5 = is_md5(h)` (a check it does not know: testing the name tests `h`)
            (self._host_tests if self.regex_read(value, env) else self._check_names)[name] = _record(name, value, env)
            return
        host = self._host_of(value, env) if isinstance(value, (ast.Attribute, ast.Call)) else None
        if host is not None:
            self._hosts.add(name)
            return
        if isinstance(value, ast.Call) and value.args:
            qual = self.qualname(value.func, env) or ""
            key = _var_key(value.args[0])
            if qual.rsplit(".", 1)[-1] in _URL_PARSERS and key is not None and key in env:
                self._parsed[name] = (key, env[key])

    def helper_check(self, test: ast.Call, env: dict[str, V]) -> dict[str, V] | None:
        """`if is_valid_filename(name):` where the module defines `def is_valid_filename(n): return
        SAFE.match(n)` (after plain assignments such as the pattern's compilation; also `bool(...)`, `... is not
        None`): where the helper says yes, its argument passed the helper's own test, so the caller's variables
        narrow as that test would inline. Returns {caller's variable: its narrowed value} ({} for a pattern the
        analysis reads that narrows nothing: a check known to be insufficient), or None when the call is no such
        helper or its test is one the analysis cannot read (an unknown check)."""
        if self._in_helper_check or not isinstance(test.func, ast.Name) or test.keywords or not test.args \
                or test.func.id in env:
            return None
        fn = self.dm.top.get(test.func.id)
        if not isinstance(fn, ast.FunctionDef) or fn.decorator_list or fn.args.vararg or fn.args.kwarg:
            return None
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        body = [st for st in fn.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
        loop = _any_loop(body)  # `for h in hosts: if ok(url, h): return True` then `return False`
        if loop is not None:
            body = [*body[:-2], ast.Return(value=loop.body[0].test)]
        if len(test.args) > len(params) or not body or not isinstance(body[-1], ast.Return) \
                or body[-1].value is None or not all(
                    isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                    for st in body[:-1]):
            return None
        verdict = _verdict_of(body[-1].value)
        keys = {param: _var_key(arg) or self.expr_key(arg) for param, arg in zip(params, test.args)}
        if not isinstance(verdict, ast.Call):
            return None
        for arg, key in zip(test.args, keys.values()):
            if key is not None and key.startswith("$") and key not in env:
                env[key] = self.eval(arg, dict(env))  # (`is_safe(request.GET["next"])`: that read, narrowed below)
        if not any(k and k in env for k in keys.values()):
            return None
        local = {param: self.eval(arg, dict(env)) for param, arg in zip(params, test.args)}
        before = dict(local)
        saved, self.scope, self._in_helper_check = self.scope, fn, True
        try:
            for st in body[:-1]:
                local[st.targets[0].id] = self.eval(st.value, local)  # type: ignore[attr-defined]
            if loop is not None:  # (the loop's variable: an element of what it walks)
                self.bind(loop.target, self.loop_item(loop.iter, local), local, None)
            self.narrow(verdict, local, True)
            read = self.regex_read(verdict, local)
        finally:
            self.scope, self._in_helper_check = saved, False
        narrowed = {key: local[param] for param, key in keys.items()
                    if key is not None and key in env and local.get(param) is not before[param]}
        return narrowed or ({} if read else None)  # {}: a pattern it reads that lets the dangerous characters by

    def _predicate_call(self, call: ast.Call, name: str, env: dict[str, V]) -> bool:
        """Whether `name = call` keeps a check's verdict: a regular-expression match, or a call of untrusted data
        named as a question (`is_md5(h)`, `check_name(n)`, `validate(x)`) or bound to a name that is one
        (`valid = ...`, `ok = ...`), which is then tested. A value computed from the data (`data = loads(body)`)
        is no check, whatever tests it later."""
        if self._regex_parts(call, env) is not None:
            return True
        short = (_short_name(call.func) or "").lower().lstrip("_")
        if not (short.startswith(_QUESTION_PREFIXES) or _name_polarity(call.func) or _name_polarity(ast.Name(name))):
            return False
        return self._is_check(call, env)

    def stored_check(self, test: ast.Name, env: dict[str, V]) -> ast.Call | None:
        """The call whose verdict the name `test` still holds (see note_parsed), or None."""
        found = self._check_names.get(test.id)
        return found[1] if found is not None and _still_held(found, test.id, env) else None

    def _known_validator(self, value: ast.AST, env: dict[str, V]) -> bool:
        """A call of a validator the specification names exactly (`url_has_allowed_host_and_scheme(...)`)."""
        return isinstance(value, ast.Call) and (self.qualname(value.func, env) or "") in self.dm.spec.validators.exact

    def narrow_rooted(self, test: ast.Call, env: dict[str, V], holds: bool) -> bool:
        """`u.startswith("/")` where it holds, `u.startswith("//")` (or `("//", "/\\")`) where it fails: the
        markers `rooted` and `no-netpath` on `u`'s taints. Both together make a path of the site's own: relative to
        a base URL the program fixed, `urljoin(base, u)` keeps the base's host (see _joined); sent as a redirect it
        also needs backslashes normalised (`/\\evil.example`)."""
        func = test.func
        if not (isinstance(func, ast.Attribute) and func.attr == "startswith" and len(test.args) == 1
                and not test.keywords):
            return False
        key = _var_key(func.value)
        arg = self.eval(test.args[0], env)
        prefixes = arg.const if arg.known and isinstance(arg.const, tuple) else (arg.const,) if arg.known else ()
        if key is None or not prefixes or not all(isinstance(p, str) for p in prefixes):
            return False
        if key not in env:
            if "." not in key or key.split(".", 1)[0] not in env:
                return False
            # an attribute of a tracked value (`parsed.path` of `parsed = urlparse(u)`): tracked from the test on
            env[key] = self.eval(func.value, env)
        if holds and prefixes == ("/",):
            marker = "rooted"
        elif not holds and "//" in prefixes and all(p in ("//", "/\\", "\\") for p in prefixes):
            marker = "no-netpath"
        else:
            return False
        def mark(t: Taint) -> tuple[Taint, ...]:
            t = t.clean(frozenset({marker}))
            # rooted, not `//`, backslashes normalised: a path on this site, whatever follows
            return (t.clean(frozenset({"redirect"})),) if {"rooted", "no-netpath", "backslash"} <= t.cleaned else (t,)

        self.set_var(key, expand(env[key], mark), env)
        return True

    def narrow_relative(self, test: ast.Call, env: dict[str, V]) -> bool:
        """`if not yarl.URL(u).is_absolute():` (where the test fails): `u` is a relative URL."""
        if not (isinstance(test.func, ast.Attribute) and test.func.attr == "is_absolute"):
            return False
        return self.narrow_same_origin(test.func.value, env)

    def narrow_same_origin(self, parsed: ast.AST, env: dict[str, V]) -> bool:
        """`parsed` is `urlparse(u)` / `urlsplit(u)` / `yarl.URL(u)`, proven to have no host: `u` is a same-origin
        path, clean for redirects once backslashes were normalised (browsers read `/\\evil.com` as
        `//evil.com`, which urlparse does not see as a host). A name bound to such a call counts (see
        _clean_parsed)."""
        if isinstance(parsed, ast.Name) and parsed.id in self._parsed:
            self._clean_parsed(parsed, env, lambda t: (t.clean(frozenset({"redirect"})),) if "backslash" in t.cleaned
                               else (t,))
            return True
        if not isinstance(parsed, ast.Call) or not parsed.args:
            return False
        name = self.qualname(parsed.func, env) or ""
        if name.rsplit(".", 1)[-1] not in _URL_PARSERS:
            return False
        key = _var_key(parsed.args[0])
        if key is None:
            return False
        current = self.eval(parsed.args[0], env)
        self.set_var(key, expand(current, lambda t: (t.clean(frozenset({"redirect"})),) if "backslash" in t.cleaned
                                 else (t,)), env)
        return True

    # --- binding ----------------------------------------------------------------------------------------------
    def set_var(self, key: str, value: V, env: dict[str, V]) -> None:
        env[key] = value

    def bind(self, target: ast.AST, value: V, env: dict[str, V], source: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = self.assigned(value, target, target.id)
            if self._verdicts:  # assigned again: a verdict about the old value no longer speaks for it
                for ok in [k for k, (_, checked) in self._verdicts.items()
                           if k == target.id or any(key.split(".")[0] == target.id for key, _ in checked)]:
                    del self._verdicts[ok]
            for k in [k for k in env if k.startswith(target.id + ".")]:
                del env[k]
        elif isinstance(target, ast.Attribute):
            key = _var_key(target)
            if key is not None:
                env[key] = self.assigned(value, target, key)
        elif isinstance(target, (ast.Tuple, ast.List)):
            stars = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            if value.elts is not None and not stars and len(value.elts) == len(target.elts):
                for elt, v in zip(target.elts, value.elts):
                    self.bind(elt, v, env, None)
            else:
                each = self.element(value)
                for elt in target.elts:
                    self.bind(elt.value if isinstance(elt, ast.Starred) else elt, each, env, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value, env, None)
        elif isinstance(target, ast.Subscript):
            self.store_item(target, value, env)

    def store_item(self, target: ast.Subscript, value: V, env: dict[str, V]) -> None:
        """`d["k"] = v`, `cfg["section"]["k"] = v`, `items[0] = v`: update the container held by a variable."""
        path: list[ast.AST] = []
        node: ast.AST = target
        while isinstance(node, ast.Subscript):
            path.append(node.slice)
            node = node.value
        key = _var_key(node)
        index_values = [self.eval(s, env) for s in reversed(path)]
        if key is None:
            return
        container = env.get(key) or self.eval(node, env)
        env[key] = self.assigned(_store(container, index_values, value), target, key) if value.deep() else _store(container, index_values, value)

    def delete_item(self, target: ast.Subscript, env: dict[str, V]) -> None:
        key = _var_key(target.value)
        if key is None or key not in env:
            return
        container, index = env[key], self.eval(target.slice, env)
        if container.keys is not None and index.known and _hashable(index.const):
            keys = dict(container.keys)
            keys.pop(index.const, None)
            env[key] = V(container.const, container.taints, container.elts, keys, container.obj)
        elif container.elts is not None and index.known and isinstance(index.const, int):
            elts = list(container.elts)
            try:
                del elts[index.const]
                env[key] = V(UNKNOWN, container.taints, tuple(elts), None, container.obj)
            except IndexError:
                pass

    def bind_pattern(self, pattern: ast.AST, subject: V, env: dict[str, V]) -> None:
        for node in ast.walk(pattern):
            name = getattr(node, "name", None) if not isinstance(node, ast.MatchMapping) else getattr(node, "rest", None)
            if isinstance(name, str):
                env[name] = subject.flat()

    def loop_item(self, iterable: ast.AST, env: dict[str, V]) -> V:
        """What a `for` loop (or a comprehension) binds on each pass over `iterable`: an element of it, and for
        `enumerate(x)` the pair of a counter (a number: nothing of `x`) and an element of `x`."""
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "enumerate" \
                and len(iterable.args) == 1 and not iterable.keywords and "enumerate" not in env \
                and self.qualname(iterable.func, env) in (None, "enumerate"):
            return V(elts=(V(), self.element(self.eval(iterable.args[0], env))))
        return self.element(self.eval(iterable, env))

    def element(self, container: V) -> V:
        """The value of an element whose position is unknown."""
        if container.elts is not None:
            # (a list of tuples keeps their positions: `for path, name in staged:` after `staged.append((p, n))`)
            return join_all([*container.elts, V(taints=container.taints)] if container.taints or not container.elts
                            else container.elts)
        if container.keys is not None:
            return V(taints=container.taints)  # iterating a dict gives its keys
        if container.known and isinstance(container.const, (tuple, list, frozenset, set)) and container.const:
            values = [const_v(c) for c in container.const]
            return join_all(values)
        return V(taints=container.deep())

    # --- expressions ------------------------------------------------------------------------------------------
    def eval(self, node: ast.AST | None, env: dict[str, V]) -> V:
        if node is None:
            return const_v(None)
        self._budget -= 1
        if self._budget < 0:
            raise _OutOfBudget()
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child, env)
            return V()
        return method(node, env)

    def e_Constant(self, node: ast.Constant, env) -> V:
        return const_v(node.value)

    def e_Name(self, node: ast.Name, env) -> V:
        if node.id in env:
            return env[node.id]
        return self.dm.global_value(node, self)

    def e_Attribute(self, node: ast.Attribute, env) -> V:
        key = _var_key(node)
        if key is not None and key in env:
            return env[key]
        return self.attribute(node, self.eval(node.value, env), env)

    def attribute(self, node: ast.Attribute, base: V, env) -> V:
        if node.attr == "errors" and base.deep() and _FORM_NAME.search(_short_name(node.value) or ""):
            # `form.errors` of a form bound to the request: the validators' messages, which Django renders with
            # format_html (escaped) and WTForms keeps as fixed text, not the submitted values (Airmozilla §3aa)
            return _cleaned(V(taints=base.deep()), frozenset({"html"}))
        if base.obj is not None:
            src = base.obj
            if node.attr in ("path", "path_info"):
                fixed = _static_route(self.scope)
                if fixed is not None:  # the route has no variable segment: the path is one of its constants
                    return const_v(fixed)
            if node.attr in src.attributes:
                value = self.source(node, src.label)
                if node.attr in _JSON_BODY and src.id == "flask-request" and id(node) not in self._forced_json:
                    # Flask parses a body as JSON only when it is sent as application/json, which a cross-site form
                    # cannot send (nor a page's script, without a CORS preflight): no victim's browser can be made to
                    # submit it, so an echo of it is no reflected XSS (`get_json(force=True)` parses any body)
                    value = _cleaned(value, frozenset({"html"}))
                if node.attr in ("POST", "FILES", "body") and src.id == "request-parameter":
                    # Django's request body (a form, an upload, a JSON body: FORM_POST): only an unsafe method sends
                    # one, and that is what the CSRF middleware checks
                    value = _cleaned(value, frozenset({FORM_POST} | ({DJANGO_UPLOAD} if node.attr == "FILES" else set())))
                elif node.attr in ("form", "files") and src.id == "flask-request":
                    value = _cleaned(value, frozenset({FORM_POST}))  # (Flask's form body: the same question)
                if node.attr in ("cookies", "COOKIES"):  # what the browser already holds: setting it again as a
                    value = _cleaned(value, frozenset({"cookie"}))  # cookie fixes no session a third party chose
                if node.attr in _BACK_LINKS:  # the page the browser came from (see _BACK_LINK_CLEAN)
                    value = _cleaned(value, _BACK_LINK_CLEAN)
                if node.attr in _REQUEST_PATHS:  # this request's own path: a same-site target for redirects
                    value = _cleaned(value, frozenset({"redirect"}))
                    value.site = node.attr in _REQUEST_URLS
                if node.attr in _URI_ENCODED and src.id == "request-parameter":
                    # Django percent-encodes `"`, `<`, `>` (escape_uri_path, iri_to_uri): no tag, no way out of a
                    # double-quoted attribute; `'` stays, so a single-quoted one is judged where the text is built
                    value = _cleaned(value, frozenset({"html", URI_ENCODED}))
                return value
            value = V()
            value.site = node.attr in _REQUEST_URLS
            return value
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            src = self.dm.self_attribute_source(node.attr)
            if src is not None:
                return V(obj=src)
            constant = self.dm.class_constant(self.scope, node.attr) if not base.deep() else None
            if constant is not None:
                return const_v(constant)  # `self.API_URL`: the class's own constant
        if node.attr == "name" and base.deep() and all(DJANGO_UPLOAD in t.cleaned for t in base.deep()):
            # `request.FILES["f"].name`: Django's UploadedFile keeps only the base name of what the client sent
            return _cleaned(V(taints=base.deep()), frozenset({"path"}))
        if node.attr in ("suffix", "suffixes") and base.deep():
            # `Path(name).suffix`: the extension of the last component, which never holds a separator: no directory
            # a path built with it can climb to (`f"{digest}{Path(upload.filename).suffix}"`), in a helper too
            return _cleaned(V(taints=base.deep()), frozenset({"path"}))
        if self.summary and base.taints and base.keys is None and base.elts is None and all(
                isinstance(t.param, str) and t.param.count(".") < _PARAM_DEPTH for t in base.taints):
            # an attribute of a parameter: the caller's object may be one built from keyword arguments, whose
            # attribute reads that argument only, or a request-body model, whose field may be clean (`_bound_param`)
            return V(taints=tuple(t.with_(param=f"{t.param}.{node.attr}") for t in base.taints))
        if base.keys is not None and not base.taints and node.attr in base.keys:
            return base.keys[node.attr]  # an object built from keyword arguments (or a dict): that entry
        if base.klass is not None and base.keys is not None and not base.taints:
            prop = self.property_read(node, base)
            if prop is not None:
                return prop
            if default_field(base.klass[1], base.klass[0], node.attr):
                return V()  # a field no keyword argument gave: its default
        if base.keys is not None and not base.taints and (node.attr in _IDENTITY or base.record):
            # its primary key, which the database assigns (no keyword argument named it); any attribute of a row an
            # ORM call wrote that no keyword argument named (a default, a value computed from stored fields)
            return V()
        if base.taints and node.attr not in _CAPTURE_ATTRIBUTES and _untyped_parameter(self.scope, node.value) \
                and all(t.label == ROUTE_PARAMETER and t.param is None and t.fields is None for t in base.taints):
            return V()  # `action.link` of a view argument `@load_models` made a row: stored data
        if base.deep():
            return V(taints=tuple(_field_of(t, node.attr) if t.fields is not None else t for t in base.deep()))
        if base.keys is not None and node.attr in base.keys:  # a namespace-like object built from a dict
            return base.keys[node.attr]
        return V()

    def _param_entry(self, base: V, index: V) -> V | None:
        """`kwargs["name"]` in a summary, on a parameter: the caller's entry of that name when it passed a dict of
        known keys (a `**kwargs` parameter always receives one), else its whole value (`_bound_param`)."""
        if self.summary and base.taints and base.keys is None and base.elts is None and index.known \
                and isinstance(index.const, str) and index.const.isidentifier() \
                and all(isinstance(t.param, str) and "." not in t.param for t in base.taints):
            # (`.[name]`: an entry, told apart from an attribute, `.name`, by _bound_param)
            return V(taints=tuple(t.with_(param=f"{t.param}.[{index.const}]") for t in base.taints))
        return None

    def e_Subscript(self, node: ast.Subscript, env) -> V:
        if self._expr_keys:
            key = self.expr_key(node)
            if key is not None and key in env:
                return env[key]
        base = self.eval(node.value, env)
        if isinstance(node.slice, ast.Slice):
            for part in (node.slice.lower, node.slice.upper, node.slice.step):
                if part is not None:
                    self.eval(part, env)
            if base.elts is not None:
                lo, hi, st = (self.eval(p, env).const if p is not None else None
                              for p in (node.slice.lower, node.slice.upper, node.slice.step))
                if all(x is None or isinstance(x, int) for x in (lo, hi, st)) and UNKNOWN not in (lo, hi, st):
                    try:
                        return V(UNKNOWN, base.taints, base.elts[slice(lo, hi, st)])
                    except (ValueError, TypeError):
                        pass
            if base.known and isinstance(base.const, (str, bytes, tuple, list)):
                try:
                    lo, hi, st = (self.eval(p, env).const if p is not None else None
                                  for p in (node.slice.lower, node.slice.upper, node.slice.step))
                    return const_v(base.const[slice(lo, hi, st)])
                except Exception:
                    return V()
            out = V(taints=base.deep())
            # `request.url[:cut]`: a leading part of this site's URL is still this site's (up to its host at least)
            out.site = base.site and node.slice.lower is None and node.slice.step is None
            return out
        index = self.eval(node.slice, env)
        if _last_component(node):  # `p.split("/")[-1]`: the text after the last separator holds none
            return _cleaned(self.item(base, index), frozenset({"path"}))
        if _back_link(node.value, node.slice):  # `request.environ["HTTP_REFERER"]`, `request.META[...]`
            return _cleaned(self.item(base, index), _BACK_LINK_CLEAN)
        header = _custom_header(node.value, node.slice)
        if header:
            return _relabelled(self.item(base, index), header)
        if _platform_field(base, node.slice):
            return _cleaned(self.item(base, index), frozenset({"all"}))
        if isinstance(node.value, ast.Attribute) and node.value.attr == "META" and index.known \
                and _holds(index, "CSRF_COOKIE"):  # Django's CSRF middleware's token (from the browser's own cookie)
            return _cleaned(self.item(base, index), frozenset({"cookie"}))
        return self.item(base, index)

    def item(self, base: V, index: V) -> V:
        if base.obj is not None:
            return V()
        keyed = self._param_entry(base, index)
        if keyed is not None:
            return keyed
        if base.elts is not None:
            if index.known and isinstance(index.const, int) and not isinstance(index.const, bool):
                try:
                    return join(base.elts[index.const], V(taints=base.taints)) if base.taints else base.elts[index.const]
                except IndexError:
                    return V(taints=base.taints)
            return V(taints=uncertain(base.deep()))
        if base.keys is not None:
            if index.known and _hashable(index.const):
                if index.const in base.keys:
                    found = base.keys[index.const]
                    return join(found, V(taints=uncertain(base.taints))) if base.taints else found
                return V(taints=uncertain(base.taints))
            return V(taints=uncertain(base.deep()))
        if base.known and index.known:
            try:
                value = base.const[index.const]
                return const_v(value) if isinstance(value, _SCALARS) or isinstance(value, tuple) else V()
            except Exception:
                return V()
        return V(taints=base.deep())

    def e_JoinedStr(self, node: ast.JoinedStr, env) -> V:
        parts = _name_prefixed(_quoted_parts([self.eval(v, env) for v in node.values]))
        taints: tuple[Taint, ...] = ()
        for p in parts:
            taints = union(taints, p.deep())
        if all(p.known for p in parts):
            try:
                return V(const="".join(str(p.const) for p in parts), taints=taints)
            except TypeError:
                return V(const=OPAQUE) if not taints else V(taints=taints)
        if parts and parts[0].site or _after_query(parts):
            out = _cleaned(V(taints=taints), _URL_PATH)
            if parts and parts[0].site:  # f"{url}sort:{s}" of this site's (or a fixed server's) URL: still that one
                out.site, out.origin = True, parts[0].origin
        elif len(parts) >= 2 and parts[0].deep() == () and isinstance(node.values[0], ast.FormattedValue) \
                and node.values[0].format_spec is None and _path_slash(parts[1]) \
                and (parts[0].origin or self._configured_base(node.values[0].value, parts[0])):
            # f"{settings.SITE_URL}/reset/{uid}": as `settings.SITE_URL + "/reset/" + uid` (configured_origin)
            out = _cleaned(V(taints=taints), frozenset({"redirect", "host"}))
            out.site = out.origin = True
        else:
            out = _prefixed(_leading_text(parts, pinned=True), V(taints=taints))
            if len(parts) >= 2 and isinstance(node.values[0], ast.FormattedValue):
                out = self.after_start(out, node.values[0].value, parts)  # f"{settings.MEDIA_PREFIX}{name}"
            out = _query_tail_cleaned(out, parts)
        out = _in_single_quotes(out, parts)
        out.tail = any(p.tail or _query_text(p) for p in parts)
        return out

    def e_FormattedValue(self, node: ast.FormattedValue, env) -> V:
        value = self.eval(node.value, env)
        if value.site and node.format_spec is None:
            return value
        if node.format_spec is not None:
            self.eval(node.format_spec, env)
        if value.known and node.conversion in (-1, None) and node.format_spec is None and isinstance(value.const, _SCALARS):
            return V(const=format(value.const), taints=value.deep())
        if value.known and not value.deep():
            return V(const=OPAQUE)
        return V(taints=value.deep())

    def e_BinOp(self, node: ast.BinOp, env) -> V:
        left, right = self.eval(node.left, env), self.eval(node.right, env)
        if isinstance(node.op, ast.Add):
            self._operands[id(node)] = (left, right)
            inner = self._operands.get(id(node.left)) if isinstance(node.left, ast.BinOp) \
                and isinstance(node.left.op, ast.Add) else None
            if inner is not None and inner[0].known and right.known and _quoted(inner[0].const, right.const, inner[1]):
                # `"`" + name.replace("`", "``") + "`"`: a quoted identifier
                left = self.binop(node.left.op, inner[0], _cleaned(inner[1], frozenset({"sql"})))
        if isinstance(node.op, ast.Add) and right.deep() and (left.tail or
                _ends_in_query(node.left) or self._ends_in_query(node.left, left) or _appends_parameter(left, node.right)):
            # `base + "?q=" + q`, `url + f"&k={v}"`: the query cannot move the origin (the base's own data keeps
            # its taint)
            right = _cleaned(right, frozenset({"redirect", "host"}))
        if isinstance(node.op, ast.Add) and right.deep() and right.lead and self._configured_base(node.left, left):
            right = _cleaned(right, _URL_PATH)  # `settings.API_URL + ("/" + path)`: a path on that server
        if isinstance(node.op, ast.Add) and right.deep() and left.known and isinstance(left.const, str):
            right = _in_single_quotes(right, [left, right])  # `"<a href='" + request.get_full_path()`
        if isinstance(node.op, ast.Add) and right.deep():
            right = self.after_start(right, node.left, [left, right])  # `settings.THEMES_DIR + path`
        if isinstance(node.op, ast.Add) and right.deep() and left.known and isinstance(left.const, str) \
                and _component_tail(left.const):
            right = _cleaned(right, frozenset({NAME_PREFIXED}))  # `"/speech/art_" + article_id`
        value = self.binop(node.op, left, right)
        if not value.deep() and self.configured_origin(node, left, right):
            value.site = value.origin = True
        if isinstance(node.op, ast.Add) and not value.known and left.known and isinstance(left.const, str) \
                and left.const.startswith("/"):
            value.lead = True  # `"/" + path`
        if isinstance(node.op, ast.Mod) and right.deep() and not left.known and self.chosen(left, node.left):
            # `settings.RESET_LINK % (token, t)`: a template the program chose; where its placeholders sit is not
            # visible, so the request data is judged as after a chosen start
            return _after_chosen(value, self.code(node.left, 40))
        if isinstance(node.op, ast.Mod) and not value.known and value.deep() and left.known \
                and isinstance(left.const, str) and not left.deep():
            tuple_ = isinstance(node.right, ast.Tuple)
            if tuple_ and (right.elts is None or any(isinstance(e, ast.Starred) for e in node.right.elts)):
                return value
            args = list(right.elts) if tuple_ else [right]
            filled = _percent_parts(left.const, args)
            value = _in_single_quotes(self.after_start(value, node.right.elts[0] if tuple_ else node.right, filled),
                                      filled)
            if _query_only(filled):
                return _cleaned(value, _URL_PATH)  # `"%s?%s" % (reverse("x"), query)`
            return _query_tail_cleaned(value, filled)  # `"%s?state=%s" % (redirect_uri, state)`: state's part
        return value

    def operands(self, node: ast.BinOp) -> tuple[V, V] | None:
        """The values the operands of the `+` at `node` were evaluated to (None when it was not interpreted)."""
        return self._operands.get(id(node))

    def _ends_in_query(self, node: ast.AST, value: V) -> bool:
        """`base + sep + q` with `sep = "?"`: the last piece added on the left is known text holding `?` or `#`
        (the values the `+` operands were evaluated to, so names bound to constants count)."""
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            operands = self._operands.get(id(node))
            if operands is None:
                return False
            node, value = node.right, operands[1]
        return value.known and isinstance(value.const, str) and ("?" in value.const or "#" in value.const)

    def binop(self, op: ast.operator, left: V, right: V) -> V:
        result = self._binop_url(op, left, right)
        if isinstance(op, ast.Add) and not result.known and (left.tail or right.tail or _query_text(left)
                                                             or _query_text(right)):
            result.tail = True  # `url + "?a=1"`: what is appended next stays in the query (_appends_parameter)
        return result

    def _binop_url(self, op: ast.operator, left: V, right: V) -> V:
        if left.origin and isinstance(op, (ast.Add, ast.Mod)):  # "https://api.example/" + a + b: still that server
            right = _cleaned(right, frozenset({"redirect", "host"}))
        result = self._binop(op, left, right)
        if left.site and isinstance(op, (ast.Add, ast.Mod)):  # reverse("x") + "?q=" + q: still this site's URL
            result = _cleaned(result, frozenset({"redirect"})) if result.deep() else result
            result.site = True
            result.origin = left.origin
            return result
        if not result.known and result.taints and left.known and isinstance(left.const, str) \
                and isinstance(op, (ast.Add, ast.Mod)):
            text = left.const.split("%", 1)[0] if isinstance(op, ast.Mod) else left.const
            return _prefixed(text, result)
        return result

    def _joined(self, node: ast.Call, base: V, ref: V) -> V | None:
        """`urljoin(base, ref)` with a base whose host the program fixed (this site's URL, a constant or
        configured `scheme://host`) and a reference proven rooted and not network-path (`ref.startswith("/")` held,
        `ref.startswith("//")` failed: see narrow_rooted): the result stays on the base's host, so the reference's
        taint is clean for redirects (and, after a constant or configured base, for the choice of server).
        None when the call is not read so (the taint passes through as for any urllib.parse call)."""
        if not ref.deep():
            return None
        chosen = base.origin or (base.known and isinstance(base.const, str) and bool(_BASE_ORIGIN.match(base.const))) \
            or (not base.known and not base.deep() and base.obj is None and self._configured(node.args[0]))
        if not (chosen or base.site):
            return None
        families = frozenset({"redirect", "host"}) if chosen else frozenset({"redirect"})
        local = expand(ref, lambda t: (t.clean(families),) if {"rooted", "no-netpath"} <= t.cleaned else (t,))
        out = V(taints=union(base.deep(), local.deep()))
        out.site = bool(base.site or chosen) and not any(t.live_for("redirect") for t in local.deep())
        out.origin = bool(chosen) and not any(t.live_for("host") or t.live_for("redirect") for t in local.deep())
        return out

    def after_start(self, value: V, first: ast.AST, parts: list[V] | None) -> V:
        """`value`, built from `parts` whose first was evaluated at `first`, with the gap of a chosen start
        (_after_chosen) when that first part is a value the program chose (see chosen), unless it is a setting named
        for a base URL or host followed directly by request data: `f"{settings.SITE_URL}{uid}"` sends the user
        wherever `@evil.example` leads when the setting ends at its host (Helios strips its slash), so that flow
        stays complete; with text or another value between them (`"{url}{sep}{q}"`) it is a chosen start."""
        if not parts or not self.chosen(parts[0], first):
            return value
        if self._configured(first) and len(parts) >= 2 and parts[1].deep():
            return value
        return _after_chosen(value, self.code(first, 40))

    def chosen(self, v: V, node: ast.AST) -> bool:
        """`node`, evaluated to `v`, is a value the program chose whose text is not known: a setting, a stored value,
        a helper's result. Not request data, nor anything read from the request object (`request.script_root` is
        often empty, `request.base_url.rstrip("/")` ends at the host), a parameter of the function, a container or
        an object, or one of a few known constants (`"?"` or `"/"`: judged as constants are)."""
        if v.known and (v.const is not OPAQUE or v.choices is not None):
            return False
        if v.deep() or v.obj is not None or v.keys is not None or v.elts is not None:
            return False
        for n in ast.walk(node):
            if n.__class__ is ast.Attribute and n.attr in _REQUEST_NAMES:
                return False
            if n.__class__ is ast.Name and (n.id in _REQUEST_NAMES or self._is_param(n) or
                                            (self.dm.names.qualname(n) or "").rsplit(".", 1)[-1] in _REQUEST_NAMES):
                return False
        return True

    def configured_origin(self, node: ast.BinOp, left: V, right: V) -> bool:
        """`settings.API_URL + "/"` (also `+ "/v1/"`): a base URL the program is configured with (a setting, an
        environment variable, a constant named for a base URL or host, no request data in it) followed by a path
        slash: whatever is appended next is in its path, on the configured server."""
        return isinstance(node.op, ast.Add) and _path_slash(right) and self._configured_base(node.left, left)

    def _configured_base(self, node: ast.AST, value: V) -> bool:
        """`node` (evaluated to `value`) reads a configured base URL (see _configured) and holds no request data."""
        if value.known or value.deep() or value.obj is not None or value.keys is not None or value.elts is not None:
            return False
        return self._configured(node)

    def _is_param(self, node: ast.AST) -> bool:
        """`node` is a name of one of this function's parameters (the caller's value)."""
        if not (isinstance(node, ast.Name) and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef))):
            return False
        args = self.scope.args
        return node.id in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]} \
            or node.id in {a.arg for a in (args.vararg, args.kwarg) if a is not None}

    def _configured(self, node: ast.AST) -> bool:
        """`node` reads a setting or constant named for a base URL or host (see _configured_name), directly or
        through a name bound once in this function (a parameter is the caller's value, not a setting)."""
        if self._is_param(node):
            return False
        if isinstance(node, ast.Name) and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bound = self.dm.module.value_of(node.id, self.scope)
            if bound is not None and not isinstance(bound, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
                return False
            node = bound if bound is not None else node
        return _configured_name(node)

    def _binop(self, op: ast.operator, left: V, right: V) -> V:
        taints = union(left.deep(), right.deep())
        if isinstance(op, ast.Add) and left.elts is not None and right.elts is not None:
            return V(UNKNOWN, union(left.taints, right.taints), (left.elts + right.elts)[:MAX_ELTS])
        if left.known and right.known:
            fn = _BINOPS.get(type(op))
            if isinstance(op, ast.Pow) and isinstance(right.const, int) and abs(right.const) < 64:
                fn = operator.pow
            if fn is not None and _small(left.const) and _small(right.const) \
                    and fold_fits(_FOLD_NAMES.get(type(op), ""), left.const, right.const):
                try:
                    value = fn(left.const, right.const)
                    if not isinstance(value, (str, bytes)) or len(value) < 100_000:
                        return V(const=value, taints=taints)
                except Exception:
                    pass
            if not taints:
                return _added_choices(op, left, right)
        return V(taints=taints)

    def e_UnaryOp(self, node: ast.UnaryOp, env) -> V:
        v = self.eval(node.operand, env)
        if v.known:
            try:
                fn = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(node.op)]
                return const_v(fn(v.const))
            except Exception:
                return V()
        return V(taints=() if isinstance(node.op, ast.Not) else v.deep())

    def e_BoolOp(self, node: ast.BoolOp, env) -> V:
        values = []
        for part in node.values:
            v = self.eval(part, env)
            truth = self.truth(v)
            values.append(v)
            if truth is not None and truth == isinstance(node.op, ast.Or):
                return join_all(values) if len(values) > 1 and any(self.truth(x) is None for x in values[:-1]) else v
        if all(self.truth(v) is not None for v in values[:-1]):
            return values[-1]
        return join_all(values) if not all(v.known for v in values) else V(taints=join_all(values).deep())

    def e_Compare(self, node: ast.Compare, env) -> V:
        left = self.eval(node.left, env)
        rights = [self.eval(c, env) for c in node.comparators]
        if left.known and all(r.known for r in rights):
            if any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) and any(
                    v.const is OPAQUE for v in (left, *rights)):
                return V()  # `ok is False` with `ok` a constant of unknown value: identity does not fold
            try:
                result, current = True, left.const
                for op, r in zip(node.ops, rights):
                    if not _CMPOPS[type(op)](current, r.const):
                        result = False
                        break
                    current = r.const
                return const_v(result)
            except Exception:
                return V()
        return V()

    def e_IfExp(self, node: ast.IfExp, env) -> V:
        truth = self.truth(self.eval(node.test, env))
        if truth is True:
            return self.eval(node.body, env)
        if truth is False:
            return self.eval(node.orelse, env)
        c_env = dict(env)
        self.note_check(node.test, c_env)
        t_env, f_env = c_env, dict(c_env)
        self.narrow(node.test, t_env, True)
        self.narrow(node.test, f_env, False)
        return join(self.eval(node.body, t_env), self.eval(node.orelse, f_env))

    def e_NamedExpr(self, node: ast.NamedExpr, env) -> V:
        value = self.eval(node.value, env)
        self.bind(node.target, value, env, node.value)
        return value

    def e_List(self, node, env) -> V:
        return self._sequence(node, env, list)

    def e_Tuple(self, node, env) -> V:
        return self._sequence(node, env, tuple)

    def e_Set(self, node, env) -> V:
        values = [self.eval(e, env) for e in node.elts]
        if all(v.known and _hashable(v.const) for v in values):
            return const_v(frozenset(v.const for v in values))
        return V(taints=join_all(values).deep() if values else ())

    def _sequence(self, node, env, kind) -> V:
        values: list[V] = []
        extra: tuple[Taint, ...] = ()
        structured = True
        for e in node.elts:
            if isinstance(e, ast.Starred):
                inner = self.eval(e.value, env)
                if inner.elts is not None:
                    values.extend(inner.elts)
                else:
                    structured = False
                    extra = union(extra, inner.deep())
            else:
                values.append(self.eval(e, env))
        if not structured:
            return V(taints=union(extra, join_all(values).deep() if values else ()))
        const = kind(v.const for v in values) if all(v.known for v in values) else UNKNOWN
        return V(const, (), tuple(values[:MAX_ELTS]))

    def e_Dict(self, node: ast.Dict, env) -> V:
        keys: dict = {}
        taints: tuple[Taint, ...] = ()
        for k, v in zip(node.keys, node.values):
            value = self.eval(v, env)
            if k is None:  # **other
                if value.keys is not None:
                    keys.update(value.keys)
                taints = union(taints, value.taints if value.keys is not None else value.deep())
                continue
            key = self.eval(k, env)
            if key.known and _hashable(key.const):
                keys[key.const] = value
            else:
                taints = union(taints, uncertain(union(value.deep(), key.deep())))
        return V(UNKNOWN, taints, None, keys)

    def e_Await(self, node: ast.Await, env) -> V:
        return self.eval(node.value, env)

    def e_Starred(self, node: ast.Starred, env) -> V:
        return self.eval(node.value, env)

    def e_Lambda(self, node: ast.Lambda, env) -> V:
        return V()

    def _comprehension(self, node, env, elts: list[ast.AST]) -> V:
        c_env = dict(env)
        for gen in node.generators:
            self.bind(gen.target, self.loop_item(gen.iter, c_env), c_env, None)
            for cond in gen.ifs:
                self.eval(cond, c_env)
                # what the condition lets through, as an `if` statement's accepting branch: a check the analysis
                # does not know leaves a gap (a review finding), one it models narrows the value
                marks = self.check_marks(cond, c_env)
                if marks is not None and marks[3][0]:
                    self.apply_marks(c_env, marks)
                self.narrow(cond, c_env, True)
        taints: tuple[Taint, ...] = ()
        for e in elts:
            taints = union(taints, self.eval(e, c_env).deep())
        return V(taints=taints)

    def e_ListComp(self, node, env) -> V:
        return self._comprehension(node, env, [node.elt])

    e_SetComp = e_ListComp
    e_GeneratorExp = e_ListComp

    def e_DictComp(self, node, env) -> V:
        return self._comprehension(node, env, [node.key, node.value])

    # --- calls ------------------------------------------------------------------------------------------------
    def qualname(self, func: ast.AST, env: dict[str, V]) -> str | None:
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and (root.id in env or self.dm.is_local(self.scope, root.id)) \
                and not self.dm.imported_locally(self.scope, root.id):
            parts = []
            node = func
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            return ".".join(["<local>", root.id, *reversed(parts)])
        return self.dm.names.qualname(func)

    def e_Call(self, node: ast.Call, env) -> V:
        if isinstance(node.func, ast.Name) and node.func.id == "filter" and len(node.args) == 2 \
                and not node.keywords and isinstance(node.args[0], (ast.Name, ast.Attribute)) \
                and self.qualname(node.func, env) in ("filter", "builtins.filter"):
            # `filter(is_valid, items)`: the items the predicate accepts, as `[x for x in items if is_valid(x)]`
            comp = _filter_comprehension(node)
            return self._comprehension(comp, env, [comp.elt])
        value = self._call(node, env)
        func = node.func
        if value.deep() and _path_sanitizer(func):
            value = _cleaned(value, frozenset({"path"}))  # (a repository helper so named too: its summary aside)
        if value.deep() and isinstance(func, (ast.Name, ast.Attribute)) and _sqla_statement(node, self.dm):
            # `select(T).filter_by(name=x)`, `update(T).where(T.id == i).values(**d)`: a statement object whose
            # values SQLAlchemy binds as parameters (also once it is handed to a helper that executes it)
            value = _cleaned(value, frozenset({"sql"}))
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args and _back_link(func.value, node.args[0]):
            # `request.headers.get("Referer", default)`: the page the browser came from (the default is what it is)
            default = self.values.get(id(node.args[1])) if len(node.args) > 1 else None
            kept = default.deep() if default is not None else ()
            out = _cleaned(V(taints=tuple(t for t in value.deep() if t not in kept)), _BACK_LINK_CLEAN)
            return join(out, default) if default is not None else out
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args \
                and _platform_field(value, node.args[0]):
            return _cleaned(value, frozenset({"all"}))
        header = _custom_header(func.value, node.args[0]) if isinstance(func, ast.Attribute) and func.attr == "get" \
            and node.args else None
        if header:
            default = self.values.get(id(node.args[1])) if len(node.args) > 1 else None
            kept = default.deep() if default is not None else ()
            out = _relabelled(V(taints=tuple(t for t in value.deep() if t not in kept)), header)
            return join(out, default) if default is not None else out
        if _reads_database(node.func, self.dm.names.qualname(node.func) or "") or self._queries_stored(node.func) \
                or _keyword_lookup(node, self.dm.names):
            return _stored_row(node, value, self.call_args.get(id(node)))
        return value

    def _queries_stored(self, func: ast.AST) -> bool:
        """`qs.filter(...)`, `qs.order_by(...).first()` on a query set held in a variable or returned by a helper
        (`qs = Note.objects.filter(...)`, `Note.matching(url).get()`): a query of the database too."""
        if not (isinstance(func, ast.Attribute) and func.attr in _QUERYSET_STEPS | _QUERYSET_ENDS | _QUERYSET_READS):
            return False
        receiver = self._receivers.get(id(func))
        return receiver is not None and receiver.stored

    def expr_key(self, node: ast.AST) -> str | None:
        """`request.args.get("next")` checked by a validator and used again: the same read, written the same way,
        gives the same value (a key for the environment, like a variable's). A request mapping's item read by
        subscript or by `.get` (`request.GET["next"]`, `request.GET.get("next")`) is one read: the value when it is
        there (inyoka §3ac: `request.GET["next"] if is_safe_domain(request.GET.get("next")) else ...`)."""
        if isinstance(node, ast.Subscript):
            item = _request_item_key(node.value, node.slice)
            if item is not None:
                self._expr_keys = True
            return item
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _var_key(node.func)
                and all(isinstance(a, ast.Constant) for a in node.args) and not node.keywords):
            return None
        self._expr_keys = True
        if node.func.attr == "get" and len(node.args) == 1:
            item = _request_item_key(node.func.value, node.args[0])
            if item is not None:
                return item
        return "$" + ast.unparse(node)

    def _call(self, node: ast.Call, env) -> V:
        if self._expr_keys and isinstance(node.func, ast.Attribute):
            key = self.expr_key(node)
            if key is not None and key in env:
                for a in node.args:
                    self.values[id(a)] = join(self.values.get(id(a)), self.eval(a, env))
                return env[key]
        func = node.func
        receiver: V | None = None
        if isinstance(func, ast.Attribute) and func.attr == "get_json" and any(
                not (isinstance(v, ast.Constant) and not v.value)
                for v in [*node.args[:1], *(k.value for k in node.keywords if k.arg == "force")]):
            self._forced_json.add(id(func))
        if isinstance(func, ast.Attribute):
            key = _var_key(func)
            receiver = self.eval(func.value, env)
            if receiver.stored:
                self._receivers[id(func)] = receiver
            if func.attr in RECEIVER_SINK_METHODS:  # `(BASE / name).open()`: the object is the path (checks/path_traversal)
                self.values[id(func.value)] = join(self.values.get(id(func.value)), receiver)
            fv = env[key] if key is not None and key in env else self.attribute(func, receiver, env)
        else:
            fv = self.eval(func, env) if not isinstance(func, ast.Name) else env.get(func.id, V())
        args: list[V] = []
        for a in node.args:
            v = self.eval(a, env)
            self.values[id(a)] = join(self.values.get(id(a)), v)
            args.append(v)
        kwargs: dict[str | None, V] = {}
        for kw in node.keywords:
            v = self.eval(kw.value, env)
            self.values[id(kw.value)] = join(self.values.get(id(kw.value)), v)
            kwargs[kw.arg] = join(kwargs.get(kw.arg), v) if kw.arg is None else v
        self.call_args[id(node)] = _join_call(self.call_args.get(id(node)), (args, kwargs))
        name = self.qualname(func, env)
        method = func.attr if isinstance(func, ast.Attribute) else None
        spec = self.dm.spec

        if (self.summary or self.dm.collect_sinks) and not _safe_yaml(node, name, self.dm.names):
            for entry in spec.sinks.match(name, method) or ():
                if entry.family == "html" and (_not_html_response(node, name) or _not_html_kind(kwargs) or
                                               plain_text_markup(node, self.dm.module.parents())
                                               or not template_receiver(node, self.dm.module, self.scope)):
                    continue
                for v in _sink_args(node, entry, args, kwargs):
                    self.sink_hits.append((node, entry.family, v, name or (method or "call")))

        families = spec.sanitizers.match(name, method)
        if not families and _path_sanitizer(func):
            families = frozenset({"path"})  # `key = sanitize_path(key)`: named for making a path safe
        if not families and method in ("loads", "unsign", "unsign_object") and self._signer(func.value):  # type: ignore[union-attr]
            families = frozenset({"redirect"})  # `URLSafeSerializer(key).loads(token)`: only what the site signed
        if not families and (name == "re.sub" or method == "sub"):
            families = self._allow_list_sub(node, name, env)
        if not families and method == "render" and self._django_template(func.value):  # type: ignore[union-attr]
            families = frozenset({"html"})  # a Django template autoescapes its context, as render_to_string does
        if families:
            # the receiver counts when it is a value (`name.isdigit()`), not a module (`shlex.quote(...)`)
            with_receiver = receiver is not None and method and (receiver.known or receiver.deep()) and \
                not (name and not name.startswith("<") and self.dm.names.qualname(func.value))  # type: ignore[union-attr]
            inputs = [*args, *kwargs.values(), *([receiver] if with_receiver else [])]
            if "all" in families and inputs and all(v.known for v in inputs):
                return V(const=OPAQUE)
            out = _cleaned(V(const=OPAQUE) if inputs and all(v.known for v in inputs) else V(taints=join_all(inputs).deep()),
                           families)
            out.site = "redirect" in families and "all" not in families  # url_for(...), reverse(...)
            return out

        bound = _bound_query(method, receiver, args, kwargs)
        if bound is not None:
            return bound
        if name in _URL_JOINS and len(args) == 2 and not kwargs:
            joined = self._joined(node, args[0], args[1])
            if _ends_host(args[1]):  # `urljoin(base, "/")`, `urljoin(base, path)` with `path` rooted: a path follows
                joined = joined if joined is not None else V(taints=union(args[0].deep(), args[1].deep()))
                joined.tail = True
            if joined is not None:
                return joined
        if name in _URL_UNPARSERS and len(args) == 1 and not kwargs and args[0].elts is not None \
                and len(args[0].elts) == _URL_UNPARSERS[name]:
            # `urlunparse((scheme, netloc, path, params, query, fragment))`: the query and the fragment come after
            # `?` and `#`, so they cannot move the URL's host (the other parts keep their taint)
            parts = list(args[0].elts)
            for i in range(len(parts) - 2, len(parts)):
                parts[i] = _cleaned(parts[i], frozenset({"redirect", "host"}))
            return V(taints=union(args[0].taints, join_all([V(taints=p.deep()) for p in parts]).deep()))
        urls = _outgoing_urls(spec, name, method, node, args, kwargs)
        if urls is not None and name in _REQUEST_OBJECTS:
            # `urllib.request.Request(url)` sends nothing: the object carries its URL to `urlopen(req)`, whose
            # answer that URL decides; the URL was reported here (as the ssrf sink), so not again at urlopen
            return _cleaned(V(taints=join_all(urls).deep()), frozenset({"ssrf"}))
        if urls is not None:
            # `requests.post(URL, data=request.get_data())`: what comes back is the remote server's answer, not the
            # data sent to it; only a URL whose host the request may choose makes it an answer the attacker writes
            answer = tuple(t for v in urls for t in v.deep() if "host" not in t.cleaned)
            return V(taints=through(answer, self.gap_call(node, f"it is the answer to the request `{self.code(node.func, 40)}()` "
                                                                 f"sends, which the analysis does not model")))

        # Where nothing untrusted can be (no source anywhere in this module, and this is no summary of parameters),
        # another file's helper could only fold a constant: not worth parsing and summarising that file.
        local_only = not self.summary and not self.dm.module_may_have_source()
        built = self.model_built(func, args, kwargs, env)
        if built is not None:
            return built
        callee = self.dm.callee(func, self.scope, env, local_only=local_only)
        if callee is not None:
            if node is self._discarded and (callee[0] is self.dm or not callee[0].may_hit_sink(callee[1])):
                # `helper(x)` as a statement: its result is dropped, and its summary's sinks count only for a helper
                # of another module (apply: this module's helpers report their own sinks, with this call's taint),
                # so a summary would change nothing here (summaries are pure: one asked for elsewhere is the same)
                return V()
            out = self.apply(node, callee, args, kwargs)
            return _cleaned(out, frozenset({"path"})) if one_segment_sanitiser(callee[1]) else out
        result = self.instance_call(func, args, kwargs)
        if result is None:
            result = self.constant_method(func)
        if result is not None:
            return result

        if receiver is not None and method is not None:
            result = self.method_call(node, func, receiver, method, args, kwargs, env)
            if result is not None:
                return result
            if method in _MAPPING_READS and receiver.keys is None and receiver.elts is None and len(args) <= 2 \
                    and any(t.fields is not None for t in receiver.deep()):
                # a validated `dict[str, Model]`: its values (and `items()` pairs) are the models, fields and all
                return V(taints=union(receiver.deep(), args[1].deep() if len(args) == 2 else ()))
            if method in ("read_text", "read_bytes") and not args:
                return V()  # pathlib: the file's content, not its (perhaps user-chosen) name
            if method == "temporary_file_path" and not args:
                return V()  # Django's TemporaryUploadedFile: the temporary file its upload handler made (WebODM)
            if method == "format" and receiver.known and isinstance(receiver.const, str):
                args = _quoted_format(receiver.const, args)
                every = union(receiver.deep(), join_all([*args, *kwargs.values()]).deep())
                filled = _format_parts(receiver.const, args, kwargs) if every and not receiver.deep() and not any(
                    isinstance(a, ast.Starred) for a in node.args) and None not in kwargs else None
                if _query_only(filled):  # "{}?next={}".format(base, n)
                    return _in_single_quotes(_cleaned(V(taints=every), _URL_PATH), filled)
                # (the text before the first request value, the program's own values counted as text: in
                # `"http://{ip}:{port}/logs/{p}".format(ip=row.ip, port=row.port, p=name)` the row names the server)
                lead = _leading_text(filled, pinned=True) if filled else receiver.const.split("{", 1)[0]
                out = _in_single_quotes(_prefixed(lead, V(taints=every)), filled)
                first = _first_field(receiver.const, node)
                if first is not None:  # "{}{}".format(themes_root(), path)
                    out = self.after_start(out, first, filled)
                if filled and _all_name_prefixed(filled):  # "plugins_{}.xml".format(version), as f"plugins_{v}.xml"
                    out = _cleaned(out, frozenset({NAME_PREFIXED}))
                return _query_tail_cleaned(out, filled)
            if method == "format" and isinstance(func, ast.Attribute) and (
                    self._configured_base(func.value, receiver) or (receiver.origin and not receiver.deep())):
                # (also a template that starts at a base URL the program is configured with and its path slash:
                # `ENDPOINT = f"{AGENT_HTTP_BASE}/sessions/{{user_id}}"`, then `ENDPOINT.format(user_id=u)`: yeti)
                # `app.config["TILE_SERVER"]["URL"].format(z=z, x=x)`: a URL template the program is configured
                # with; a value can fill a placeholder (a path segment, at most a subdomain of the configured host)
                # but cannot choose another server or site
                return _cleaned(V(taints=join_all([*args, *kwargs.values()]).deep()), frozenset({"redirect", "host"}))
            if method == "replace" and len(args) == 2 and any(_holds(args[0], q) for q in _QUOTES) \
                    and _holds(args[1], args[0].const * 2):
                # `s.replace('"', '""')`: the quote doubled, as SQL escapes it inside a quoted identifier or literal
                return expand(V(taints=receiver.deep()), lambda t: (t.clean(frozenset({"doubled" + args[0].const})),))
            if method == "replace" and len(args) >= 2 and not _holds(args[0], "\\"):
                # what is searched for does not end up in the result: the receiver and the replacement do
                out = V(taints=union(receiver.deep(), args[1].deep()))
                gone = "/" if _holds(args[0], "/") else "." if _holds(args[0], ".") else None
                if gone and args[1].known and isinstance(args[1].const, str) and gone not in args[1].const \
                        and len(args) == 2:
                    return expand(out, lambda t: (_without(t, gone),))
                return out
            if method == "get" and args and not receiver.known and not receiver.deep() and receiver.obj is None \
                    and receiver.keys is None and not _imported_root(func.value, self.dm.names):  # type: ignore[union-attr]
                # `config.get(key, default)` on a mapping no untrusted data went into: the program's value (or
                # the default), not the key that looked it up
                return V(taints=args[1].deep()) if len(args) > 1 else V()
            if method == "get" and args and receiver.obj is None and receiver.keys is None and receiver.elts is None \
                    and not _imported_root(func.value, self.dm.names):  # type: ignore[union-attr]
                # `TABLE.get(key)` (`{k.lower(): k for k in configured}`): one of the mapping's values or the
                # default; the key only chose which, so its taint stays out (the mapping's own taint does not)
                return V(taints=union(receiver.deep(), args[1].deep() if len(args) > 1 else ()))
            if method == "replace" and len(args) >= 2 and _holds(args[0], "\\") \
                    and receiver.deep():  # `u.replace("\\", "/")`: a browser's `/\\host` is gone
                return expand(V(taints=union(receiver.deep(), args[1].deep())),
                              lambda t: (t.clean(frozenset({"backslash"})),))
            if method in _SELECTION_STEPS and (args or kwargs):
                # `rows.filter(url__icontains=q)`, `.exclude(...)`, `.order_by(...)`: the arguments choose which of
                # the receiver's rows come back; they are not in them (a sink among the arguments is judged at the
                # call itself)
                return V(taints=union(fv.deep(), receiver.deep()))
        result = self.builtin_call(name, args, kwargs)
        if result is not None:
            return result
        taints = fv.deep()
        if receiver is not None and method is not None:
            taints = union(taints, receiver.deep())
        passed: tuple[Taint, ...] = ()
        for v in [*args, *kwargs.values()]:
            passed = union(passed, v.deep())
        if passed and not self.propagator(name, method):
            # the result is taken to carry its arguments' data, but nothing shows what the call does with them
            passed = through(passed, self.gap_call(node, f"it passes through `{self.code(node.func, 40)}()`, a call the "
                                                         f"analysis does not model"))
        taints = union(taints, passed)
        if method == "render" and taints and self._autoescaped_template(func.value):  # type: ignore[union-attr]
            # `env.get_template("page.html").render(name=x)` with `Environment(autoescape=True)`: every value the
            # template prints is escaped, so what comes back is no HTML injection (it stays whatever else it was)
            taints = tuple(t.clean(frozenset({"html"})) for t in taints)
        lib = self.dm.spec.library
        if not taints and all(v.known for v in [*args, *kwargs.values()]) and (
                (receiver is not None and method is not None and receiver.known and method not in lib.impure_methods)
                or (name is not None and (name.startswith(lib.pure_prefixes) or name in lib.pure_builtins))):
            return V(const=OPAQUE)  # a pure function of constants
        out = V(taints=taints)
        # `request.build_absolute_uri("/")`: this site's URL, when no argument could name another place
        out.site = fv.site and all(a.known for a in [*args, *kwargs.values()])
        return out

    def model_built(self, func: ast.AST, args: list[V], kwargs: dict[str | None, V], env) -> V | None:
        """A pydantic model of the repository validating data (`Model(**request.json)`, `Model(name=form["n"])`,
        `Model.model_validate(payload)`, `Model.parse_obj(...)`): the object holds that data, and its fields are the
        model's (clean where the model pins their shape, models.py). Only what validates counts
        (`Model.model_construct(...)` does not validate)."""
        adapted = self._type_adapter(func)
        if adapted is not None:
            name = adapted
        elif isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and func.attr in _MODEL_PARSERS and isinstance(func.value, ast.Name):
            name = func.value.id
        else:
            return None
        given = [*args, *kwargs.values()]
        if not name[:1].isupper() or name in env or not any(v.deep() for v in given) \
                or self.dm.is_local(self.scope, name):
            return None
        pairs = self.dm.model_pairs(name)
        if pairs is None:
            found = self.dm.model_class(name) if isinstance(func, ast.Name) and not args and kwargs \
                and None not in kwargs else None
            if found is None or not is_orm_model(found[1], found[0]):
                return None
            out = _kw_object(dict(kwargs))  # an ORM row built from keyword arguments (see models.is_orm_model)
            out.klass = found
            return out
        if isinstance(func, ast.Name) and not args and kwargs and None not in kwargs:
            # built from keyword arguments: each attribute named by one reads that argument, as that field
            out = _kw_object({k: v.mapped(lambda t, k=k: _field_of(replace(t, fields=pairs), k))
                              for k, v in kwargs.items()})
            out.klass = self.dm.model_class(name)
            return out
        taints: tuple[Taint, ...] = ()
        for v in given:
            taints = union(taints, v.deep())
        return V(taints=tuple(replace(t, fields=pairs) for t in taints))

    def _type_adapter(self, func: ast.AST) -> str | None:
        """`TypeAdapter(Model).validate_python(data)` (also `validate_json`/`validate_strings`, of `list[Model]`,
        `dict[str, Model]`, an adapter bound to a name of the module or function): the model's name."""
        if not (isinstance(func, ast.Attribute) and func.attr in _ADAPTER_PARSERS):
            return None
        made = func.value
        if isinstance(made, ast.Name):
            made = self.dm.module.follow(made, self.scope if isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else None, 0)
        if not (isinstance(made, ast.Call) and len(made.args) == 1
                and (self.dm.names.qualname(made.func) or "").endswith("TypeAdapter")):
            return None
        return held_model(made.args[0])

    def property_read(self, node: ast.Attribute, base: V) -> V | None:
        """`ext.zip_path` on a model built from keyword arguments (`ext = Extension(id=data.id, name=data.name)`),
        where the class declares `zip_path` a property (`return Path(ROOT, f"{self.id}.zip")`): the property's body
        interpreted with `self` that object, so it reads the arguments it names and no others."""
        found = base.klass[0].method_of(base.klass[1], node.attr)
        if found is None or _INLINE[0] >= 2 or not any(
                _short_name(d) in _PROPERTIES for d in getattr(found[1], "decorator_list", ())):
            return None
        fn = found[1]
        params = [*fn.args.posonlyargs, *fn.args.args]  # type: ignore[attr-defined]
        if len(params) != 1:
            return None
        _INLINE[0] += 1
        try:
            sub = Flow(found[0], fn)
            sub.block(fn.body, {params[0].arg: base})  # type: ignore[attr-defined]
            if sub.returns is None:
                return const_v(None)
            st = self.step(node, f"read by the property `{node.attr}`")
            return expand(sub.returns, lambda t: (t.step(st),))
        except (_OutOfBudget, RecursionError):
            return None
        finally:
            _INLINE[0] -= 1

    def gap_call(self, node: ast.AST, what: str) -> str:
        """Taint.gap for a value that passes through a call the analysis does not see into."""
        return f"{what} ({self.where(node)})"

    def where(self, node: ast.AST) -> str:
        """`path:line` of a step named in Taint.gap (a helper's gap reaches findings in other files)."""
        return f"{self.dm.module.file.rel}:{getattr(node, 'lineno', 0)}"

    def propagator(self, name: str | None, method: str | None) -> bool:
        """A call the analysis models as passing its arguments' data on (str and container methods, os.path,
        urllib.parse, json, base64, ... : rules/dataflow/python-library.yaml): the flow stays complete through it."""
        lib = self.dm.spec.library
        if name and not name.startswith("<") and (
                name in lib.pure_builtins or name in lib.propagators or name.startswith(lib.pure_prefixes)
                or name.startswith(lib.propagator_prefixes) or name in lib.str_constructors
                or name in lib.sequence_constructors or name in lib.dict_constructors):
            return True
        return bool(method) and method in lib.propagating_methods and not (name and _imported_call(name, method))

    def _autoescaped_template(self, node: ast.AST, depth: int = 0) -> bool:
        """A Jinja template whose environment escapes: `env.get_template(...)` (`from_string`, `select_template`)
        of `jinja2.Environment(autoescape=True)` or `autoescape=select_autoescape(...)` (its defaults escape HTML),
        or `jinja2.Template(src, autoescape=True)`, built in place or bound to a name of the function or module."""
        if depth > 3:
            return False
        if isinstance(node, ast.Name):
            bound = self.dm.module.value_of(node.id, self.scope) if isinstance(
                self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if bound is None:
                bound = self.dm.module.value_of(node.id, None)
            return bound is not None and self._autoescaped_template(bound, depth + 1)
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get_template", "from_string", "select_template",
                                                             "get_or_select_template"):
            return self._autoescaped_template(func.value, depth + 1)
        name = self.dm.names.qualname(func) or ""
        if name not in ("jinja2.Environment", "jinja2.environment.Environment", "jinja2.sandbox.SandboxedEnvironment",
                        "jinja2.Template", "jinja2.environment.Template"):
            return False
        setting = next((kw.value for kw in node.keywords if kw.arg == "autoescape"), None)
        if isinstance(setting, ast.Constant):
            return setting.value is True
        return isinstance(setting, ast.Call) and (self.dm.names.qualname(setting.func) or "").endswith(
            "select_autoescape") and not setting.args and not any(
            kw.arg in ("enabled_extensions", "disabled_extensions", "default") for kw in setting.keywords)

    def _signer(self, node: ast.AST, depth: int = 0) -> bool:
        """An itsdangerous or django.core.signing signer/serializer object, built in place or bound to a variable."""
        if isinstance(node, ast.Name) and depth == 0 and isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bound = self.dm.module.value_of(node.id, self.scope)
            return bound is not None and self._signer(bound, 1)
        return isinstance(node, ast.Call) and (self.dm.names.qualname(node.func) or "").startswith(
            ("itsdangerous.", "django.core.signing."))

    def _django_template(self, node: ast.AST) -> bool:
        """`loader.get_template(...)` / `loader.select_template(...)` / `Template(...)` of Django, called in place or
        the only value(s) of a variable of this function: a template object whose `render()` autoescapes (a value
        marked safe with `mark_safe` is a sink of its own). Jinja2's `Template` is not one of these."""
        if isinstance(node, ast.Call):
            return (self.dm.names.qualname(node.func) or "") in _DJANGO_TEMPLATES or self._template_helper(node)
        if not isinstance(node, ast.Name) or not isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        bound = self.dm.module.bindings(self.scope).get(node.id)
        return bool(bound) and all(isinstance(b, ast.Call) and ((self.dm.names.qualname(b.func) or "")
                                   in _DJANGO_TEMPLATES or self._template_helper(b)) for b in bound)

    def _template_helper(self, call: ast.Call) -> bool:
        """`get_template(request, "site/page.html")` of a repository function (of this module or imported by name)
        every `return` of which hands back Django's `loader.get_template(...)` (or `select_template`,
        `Template(...)`): peeringdb's wrapper that picks a template version."""
        if not isinstance(call.func, ast.Name):
            return False
        found = self.dm.callee(call.func, self.scope, {})
        if found is None:
            return False
        other, fn = found
        returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return)]
        return bool(returns) and all(isinstance(r, ast.Call) and (other.names.qualname(r.func) or "")
                                     in _DJANGO_TEMPLATES for r in returns)

    def instance_call(self, func: ast.AST, args: list[V], kwargs: dict[str | None, V]) -> V | None:
        """`form.field("k")` where `form = Form(request)` in this function and `Form` is a class of this module:
        the constructor and the method are interpreted with this call's values, so a getter returning
        `self.req.form.get(k)` returns request data and one returning a constant returns that constant."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)) or _INLINE[0] >= 2 \
                or not isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        bound = self.dm.module.bindings(self.scope).get(func.value.id)
        if not bound or len(bound) != 1 or not isinstance(bound[0], ast.Call) \
                or not isinstance(bound[0].func, ast.Name):
            return None
        ctor = bound[0]
        self.dm._build_defs()
        methods = self.dm.classes.get(ctor.func.id)
        recorded = self.call_args.get(id(ctor))
        if not methods or func.attr not in methods or recorded is None:
            return None
        _INLINE[0] += 1
        try:
            state: dict[str, V] = {}
            init = methods.get("__init__")
            if init is not None:
                sub = Flow(self.dm, init)
                init_env = dict(self.dm.bind_args(init, *recorded, via_self=True))
                sub.block(init.body, init_env)
                state = {k: v for k, v in init_env.items() if k.startswith("self.")}
            method = methods[func.attr]
            sub = Flow(self.dm, method)
            m_env = dict(state)
            m_env.update(self.dm.bind_args(method, args, kwargs, via_self=True))
            sub.block(method.body, m_env)
            return sub.returns if sub.returns is not None else const_v(None)
        except (_OutOfBudget, RecursionError):
            return None
        finally:
            _INLINE[0] -= 1

    def constant_method(self, func: ast.AST) -> V | None:
        """`form = SettingsForm(formdata=request.form); form.extra_form_content()` where the class (of this module or
        imported from the repository, the method found on it or a base) defines a method that returns a constant
        whatever the object holds (a literal template, None): that constant, not the request data the object was
        built from. A method whose result depends on anything else is not judged here."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)) \
                or not isinstance(self.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        bound = self.dm.module.bindings(self.scope).get(func.value.id)
        if not bound or len(bound) != 1 or not isinstance(bound[0], ast.Call) or not isinstance(bound[0].func, ast.Name):
            return None
        found = self.dm.class_method(bound[0].func.id, func.attr)
        if found is None:
            return None
        summary = found[0].summary(found[1])
        value = summary.returns if summary is not None else None
        if value is None or not value.known or value.deep():
            return None
        return value

    def apply(self, node: ast.Call, callee, args: list[V], kwargs: dict[str | None, V]) -> V:
        """A call to a function of this module or of the repository: its summary, with this call's arguments."""
        target_dm, fn = callee
        bound = target_dm.bind_args(fn, args, kwargs)
        unpacked = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        summary = target_dm.summary(fn, () if unpacked else _constant_flags(target_dm, fn, bound))
        if summary is None:
            taints: tuple[Taint, ...] = ()
            for v in [*args, *kwargs.values()]:
                taints = union(taints, v.deep())
            return V(taints=through(taints, self.gap_call(node, f"it passes through `{fn.name}()`, a function the "
                                                                  f"analysis could not summarise")))
        call_step = self.step(node, f"passed to `{fn.name}()`")
        extra = frozenset({fn.args.kwarg.arg}) if fn.args.kwarg is not None else frozenset()  # type: ignore[attr-defined]

        def subst(t: Taint) -> tuple[Taint, ...]:
            if t.param is None:
                return (t,)
            actual = _bound_param(bound, t.param, extra)
            if actual is None:
                return ()
            out = []
            for a in actual.deep():
                steps = a.steps + (call_step,) + t.steps
                out.append(Taint(steps[-12:] if len(steps) > 12 else steps, a.cleaned | t.cleaned,
                                 a.certain and t.certain, a.param, a.label, *_gap_of(a, t), trust=a.trust,
                                 trust_families=a.trust_families))
            return tuple(out)

        result = expand(summary.returns or V(), subst)
        if target_dm is not self.dm:
            for param, family, t, what in summary.param_sinks:
                actual = _bound_param(bound, param, extra)
                for a in actual.deep() if actual is not None else ():
                    combined = Taint(a.steps + (call_step,) + t.steps, a.cleaned | t.cleaned, a.certain and t.certain,
                                     a.param, a.label, *_gap_of(a, t), trust=a.trust, trust_families=a.trust_families)
                    if combined.live_for(family):
                        self.indirect.setdefault(id(node), []).append((family, combined, what))
        return result

    def method_call(self, node, func, receiver: V, method: str, args: list[V], kwargs, env) -> V | None:
        key = _var_key(func.value)
        rec = receiver
        if method in ("get", "pop") and args and 1 <= len(args) <= 2:
            keyed = self._param_entry(rec, args[0])
            if keyed is not None:  # `kwargs.pop("name", None)`: that entry, or the default
                return join(keyed, args[1]) if len(args) == 2 else keyed
        if rec.elts is not None or (rec.known and isinstance(rec.const, (list, tuple))):
            elts = list(rec.elts) if rec.elts is not None else [const_v(c) for c in rec.const]
            if method == "append" and args:
                return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple((elts + [args[0]])[:MAX_ELTS])))
            if method == "extend" and args:
                if args[0].elts is not None:
                    return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple((elts + list(args[0].elts))[:MAX_ELTS])))
                return self._mutate(key, env, V(UNKNOWN, union(rec.taints, args[0].deep()), tuple(elts)))
            if method == "insert" and len(args) == 2:
                if args[0].known and isinstance(args[0].const, int):
                    elts.insert(args[0].const, args[1])
                    return self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts[:MAX_ELTS])))
                return self._mutate(key, env, V(UNKNOWN, union(rec.taints, args[1].deep()), tuple(elts)))
            if method == "pop":
                if not args:
                    index = -1
                elif args[0].known and isinstance(args[0].const, int):
                    index = args[0].const
                else:
                    self._mutate(key, env, V(taints=rec.deep()))
                    return V(taints=uncertain(rec.deep()))
                try:
                    popped = elts.pop(index)
                except IndexError:
                    return V(taints=rec.taints)
                self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts)))
                return popped
            if method == "remove" and args and args[0].known:
                for i, e in enumerate(elts):
                    if e.known and _holds(args[0], e.const):
                        del elts[i]
                        break
                self._mutate(key, env, V(UNKNOWN, rec.taints, tuple(elts)))
                return const_v(None)
            if method == "clear":
                return self._mutate(key, env, V(UNKNOWN, (), ()))
            if method == "copy":
                return V(UNKNOWN, rec.taints, tuple(elts))
            if method in ("reverse", "sort"):
                self._mutate(key, env, V(UNKNOWN, union(rec.taints, join_all(elts).deep()), None))
                return const_v(None)
        if rec.keys is not None and not rec.record:
            keys = dict(rec.keys)
            k = args[0] if args else None
            const_key = k is not None and k.known and _hashable(k.const)
            section = keys.get(k.const) if const_key else None
            if method == "get" and len(args) == 2 and section is not None and section.keys is not None \
                    and args[1].known and _hashable(args[1].const):  # ConfigParser.get(section, option)
                found = section.keys.get(args[1].const)
                return found if found is not None else V(taints=uncertain(section.taints))
            if method in ("get", "setdefault", "pop") and args:
                default = args[1] if len(args) > 1 else const_v(None)
                if const_key and k.const in keys:
                    found = keys[k.const]
                    if method == "pop":
                        del keys[k.const]
                        self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
                    value = found
                elif const_key:
                    value = join(default, V(taints=uncertain(rec.taints))) if rec.taints else default
                    if method == "setdefault":
                        keys[k.const] = default
                        self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
                else:
                    value = join(default, V(taints=uncertain(rec.deep())))
                return value
            if method == "set" and len(args) == 3 and args[0].known and args[1].known:  # ConfigParser.set
                section = keys.get(args[0].const) or V(keys={})
                inner = dict(section.keys or {})
                inner[args[1].const] = args[2]
                keys[args[0].const] = V(UNKNOWN, section.taints, None, inner)
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method in ("get", "getint", "getfloat", "getboolean") and len(args) >= 2 and args[0].known and args[1].known:
                section = keys.get(args[0].const)
                if method != "get":
                    return V()
                if section is None or section.keys is None:
                    return V(taints=uncertain(rec.deep()))
                found = section.keys.get(args[1].const)
                return found if found is not None else V(taints=uncertain(section.taints))
            if method == "add_section" and args and args[0].known:
                keys.setdefault(args[0].const, V(keys={}))
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method in ("update", "read_dict"):
                for a in args:
                    if a.keys is not None:
                        keys.update(a.keys)
                    else:
                        return self._mutate(key, env, V(UNKNOWN, union(rec.taints, uncertain(a.deep())), None, keys))
                for kname, v in kwargs.items():
                    if kname is None:
                        if v.keys is not None:
                            keys.update(v.keys)
                        else:
                            rec = V(UNKNOWN, union(rec.taints, uncertain(v.deep())), None, keys)
                    else:
                        keys[kname] = v
                return self._mutate(key, env, V(UNKNOWN, rec.taints, None, keys))
            if method == "copy":
                return V(UNKNOWN, rec.taints, None, keys)
            if method == "values":
                return V(UNKNOWN, rec.taints, tuple(keys.values())[:MAX_ELTS])
            if method == "keys":
                return V(taints=rec.taints)
            if method == "items":
                return V(taints=rec.deep())
            if method == "clear":
                return self._mutate(key, env, V(keys={}))
        if method == "join" and len(args) == 1:  # str.join; os.path.join(a, b, ...) joins all its arguments
            parts = args[0]
            pieces = list(parts.elts) if parts.elts is not None else None
            taints = union(rec.deep(), parts.deep())
            if rec.known and isinstance(rec.const, str) and pieces is not None and all(p.known for p in pieces):
                try:
                    return V(const=rec.const.join(p.const for p in pieces), taints=taints)
                except TypeError:
                    return V(taints=taints)
            if rec.known and parts.known and isinstance(parts.const, (list, tuple)) and isinstance(rec.const, str):
                try:
                    return const_v(rec.const.join(parts.const))
                except TypeError:
                    return V()
            literal = node.args[0] if len(node.args) == 1 else None
            if taints and rec.known and isinstance(rec.const, str) and not rec.deep() and pieces is not None \
                    and isinstance(literal, (ast.List, ast.Tuple)) and len(literal.elts) == len(pieces) \
                    and not any(isinstance(e, ast.Starred) for e in literal.elts):
                joined = [x for i, p in enumerate(pieces) for x in ((p,) if i == 0 else (const_v(rec.const), p))]
                if _query_only(joined):  # "".join([reverse("x"), "?", query])
                    return _cleaned(V(taints=taints), frozenset({"redirect"}))
            first = pieces[0] if pieces else parts.head if pieces is None else None
            if taints and first is not None and rec.known and isinstance(rec.const, str) and not rec.deep() \
                    and ("?" in rec.const or "#" in rec.const):
                # `"?".join([url, query])`, also when the query is appended on one branch only: every piece but the
                # first lands after the separator, in the query or the fragment, which cannot change where the URL
                # points (the first piece's own data keeps its taint)
                head = {t.origin for t in first.deep()}
                out = V(taints=union(first.deep(), tuple(t.clean(frozenset({"redirect"})) for t in parts.deep()
                                                         if t.origin not in head)))
                out.site = first.site
                return out
            return V(taints=taints)
        if rec.known and isinstance(rec.const, str) and method in self.dm.spec.library.str_methods \
                and all(a.known for a in args) \
                and all(v.known for v in kwargs.values()) and None not in kwargs:
            if not fold_fits(method, rec.const, [a.const for a in args]) or kwargs and method == "format" \
                    and not fold_fits("format", rec.const, list(v.const for v in kwargs.values())):
                return V(const=OPAQUE)
            try:
                value = getattr(rec.const, method)(*(a.const for a in args), **{k: v.const for k, v in kwargs.items()})
                if isinstance(value, str) and len(value) < 100_000:
                    return const_v(value)
            except Exception:
                return V(const=OPAQUE)
        if rec.known and isinstance(rec.const, str) and method == "split" and all(a.known for a in args):
            try:
                return const_v(rec.const.split(*(a.const for a in args)))
            except Exception:
                return V(const=OPAQUE)
        return None

    def _mutate(self, key: str | None, env: dict[str, V], value: V) -> V:
        if key is not None:
            env[key] = value
        return const_v(None)

    def builtin_call(self, name: str | None, args: list[V], kwargs) -> V | None:
        if name is None:
            return None
        lib = self.dm.spec.library
        if name in lib.file_openers:
            return V()  # a file's content is not its name: opening a path chosen by a user reads the server's file
        if name in lib.attribute_getters and len(args) >= 2:
            # the name picks an attribute; it does not become its value (a default may)
            return V(taints=union(args[0].deep(), args[2].deep() if len(args) > 2 else ()))
        if name in lib.dict_constructors:
            keys: dict = {}
            taints: tuple[Taint, ...] = ()
            if args:
                if args[0].keys is not None:
                    keys.update(args[0].keys)
                    taints = args[0].taints
                else:
                    taints = uncertain(args[0].deep())
            for k, v in kwargs.items():
                if k is None:
                    taints = union(taints, v.deep())
                else:
                    keys[k] = v
            return V(UNKNOWN, taints, None, keys)
        if name in lib.mappings:
            return V(keys={})
        if name in lib.extension_splitters and len(args) == 1:
            # (root, ext): the extension starts at the last dot after the last separator, so it holds no separator
            # and is never `..` (only `.` or `.` and other characters): no path traversal can come from it alone
            whole = args[0].deep()
            return V(UNKNOWN, (), (V(taints=whole), _cleaned(V(taints=whole), frozenset({"path"}))))
        if not args and kwargs and None not in kwargs and _class_like(name) and not name.startswith("<local>"):
            # `BookmarkAsset(asset_type=BookmarkAsset.TYPE_UPLOAD, display_name=upload.name)`: a model, dataclass or
            # record built from keyword arguments only; an attribute named by one of them reads that argument
            # (other attributes, and the object as a whole, keep every argument's taint)
            return _kw_object(kwargs)
        if name in lib.sequence_constructors and len(args) == 1:
            a = args[0]
            if a.elts is not None:
                return V(UNKNOWN, a.taints, a.elts)
            if a.known and isinstance(a.const, (list, tuple, str)):
                return const_v(list(a.const) if name.endswith("list") else tuple(a.const))
            return V(taints=a.deep())
        if name in lib.str_constructors and len(args) == 1 and not kwargs:
            a = args[0]
            if a.known and isinstance(a.const, _SCALARS):
                return const_v(str(a.const))
            out = V(taints=a.deep())
            out.site = a.site  # `str(request.base_url)`: the same URL as text
            return out
        if name in ("list", "dict", "set", "tuple") and not args and not kwargs:
            return V(UNKNOWN, (), ()) if name in ("list", "tuple") else V(keys={}) if name == "dict" else V()
        return None

    # --- truth ------------------------------------------------------------------------------------------------
    def truth(self, v: V) -> bool | None:
        if v.known:
            try:
                return bool(v.const)
            except Exception:
                return None
        if v.elts is not None and not v.taints:
            return bool(v.elts)
        return None


class _OutOfBudget(Exception):
    pass


_BASE_ORIGIN = re.compile(r"^https?://[^/?#\\@]+(?:[/?#]|$)")
_ORIGIN = re.compile(r"^(?:https?:)?//[^/?#\\]+[/?#]|^/[^/\\]")


def fixed_origin(prefix: Any) -> bool:
    """A URL that starts with this constant text cannot leave the site it names: `https://host/...`, `//host/`,
    a path `/x...` (one slash, then neither a slash nor a backslash), or a relative path that no scheme can start
    and that ends any host before what follows (`../pages/registration_`, `page/`: see _relative_path)."""
    return isinstance(prefix, str) and (bool(_ORIGIN.match(prefix)) or _relative_path(prefix))


def _relative_path(prefix: str) -> bool:
    """`../pages/registration_` (SIPA's redirect), `items/`, `./x?y=`: not a slash or backslash first, no scheme
    possible (a character no scheme has comes before any `:`), and a `/`, `?` or `#` in it, so that even written
    after another URL's host the text ends that host and what follows stays in the path or query. (Text without
    one, `"ALERT - %s"`, is a relative reference only at the start of a URL; appended to `https://own.example`
    a following `@evil.example` would move the host, so it is not counted.) As browsers do, leading spaces and
    control characters are dropped and tabs and newlines removed first."""
    text = prefix.translate(_TAB_NEWLINE).lstrip(_C0_AND_SPACE)
    if not text or text[0] in "/\\" or not any(c in text for c in "/?#"):
        return False
    for ch in text:
        if ch not in _SCHEME_CHARS:
            return ch != ":" and ch != "\\"
    return False


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
_TAB_NEWLINE = {ord("\t"): None, ord("\n"): None, ord("\r"): None}
_C0_AND_SPACE = "".join(map(chr, range(33)))


def _index_of(node: ast.Subscript) -> int | None:
    index = node.slice
    if isinstance(index, ast.Constant) and isinstance(index.value, int):
        return index.value
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and isinstance(index.operand, ast.Constant):
        return -index.operand.value if isinstance(index.operand.value, int) else None
    return None


def _holds(v: V, const: Any) -> bool:
    """`v` is known to be `const` (an OPAQUE constant, one of several, is not known to be any of them)."""
    return v.known and _eq(v.const, const)


def _field_of(t: Taint, attr: str) -> Taint:
    """The taint of `model.attr` read from a request-body model: clean for the families the field's declared type
    or pattern rules out (models.py); a field holding a model (`meta` of `meta.id`) carries that model's fields;
    any other attribute (`.dict()`) stays as tainted."""
    own: frozenset[str] = frozenset()
    nested = []
    prefix = attr + "."
    for name, families in t.fields or ():
        if name == attr:
            own = families
        elif name.startswith(prefix):
            nested.append((name[len(prefix):], families))
    out = replace(t, fields=tuple(nested) or None)
    if own == TRANSFORMED:
        return out.through(f"it is what the validator of the model's field `{attr}` returns, a value the "
                           f"analysis does not compute")
    return out.clean(own) if own else out


def _field_chain(t: Taint, attrs: list[str]) -> Taint:
    for attr in attrs:
        if t.fields is None:
            break
        t = _field_of(t, attr)
    return t


# decorators making a method an attribute read
_PROPERTIES = frozenset({"property", "cached_property", "computed_field", "hybrid_property"})  # (SQLAlchemy's too)
# class methods of a pydantic model that validate data into an instance
_MODEL_PARSERS = frozenset({"model_validate", "model_validate_json", "model_validate_strings", "parse_obj",
                            "parse_raw", "validate"})
# reads of a mapping that give its values
_MAPPING_READS = frozenset({"values", "items", "get", "pop", "setdefault", "copy"})
# methods of a pydantic TypeAdapter that validate data
_ADAPTER_PARSERS = frozenset({"validate_python", "validate_json", "validate_strings"})
# how deep a summary follows attributes of a parameter (`data.meta.id`: the caller's model may pin that field)
_PARAM_DEPTH = 2


def _var_key(node: ast.AST | None) -> str | None:
    """`x` -> "x", `self.x` -> "self.x" (attribute chains on a name are tracked like variables)."""
    if node.__class__ is ast.Name:  # (the most asked)
        return node.id  # type: ignore[union-attr]
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


_SQLA_BUILDERS = frozenset({"select", "insert", "update", "delete", "union", "union_all", "exists"})
_SQLA_RAW = frozenset({"text", "literal_column", "column", "table", "literal"})


def _sqla_statement(node: ast.Call, dm) -> bool:
    """A SQLAlchemy statement built by its builders (`select(...)` imported from sqlalchemy, or `db.select(...)`)
    and their methods, with no raw SQL fragment (`text(...)`, `literal_column(...)`) anywhere in it. A builder
    imported under another name (`from sqlalchemy.dialects.postgresql import insert as pg_insert`) or through a
    repository module that imports it from sqlalchemy (`from app.database import insert, update`) counts."""
    root: ast.AST = node
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) \
            and _sqla_builder(root.func, dm) is None:
        root = root.func.value  # .where(...).order_by(...).values(...)
    if not isinstance(root, ast.Call):
        return False
    name = _sqla_builder(root.func, dm)
    owner = root.func.value if isinstance(root.func, ast.Attribute) else None
    # `select(...)` from sqlalchemy, `sa.select(...)`, or Flask-SQLAlchemy's `db.select(...)` (`db = SQLAlchemy()`)
    if name is None or not (name.startswith(("sqlalchemy.", "flask_sqlalchemy."))
                            or isinstance(owner, ast.Name) and owner.id == "db"):
        return False
    return not any(isinstance(n, ast.Call) and _short_name(n.func) in _SQLA_RAW for n in ast.walk(node))


def _sqla_builder(func: ast.AST, dm) -> str | None:
    """The qualified name of a SQLAlchemy statement builder `func` names (its last part one of _SQLA_BUILDERS), a
    name a repository module imports from sqlalchemy followed one hop; None for anything else."""
    short = _short_name(func)
    if short is None:
        return None
    name = dm.names.qualname(func) or ""
    if isinstance(func, ast.Name) and not name.startswith("sqlalchemy."):
        imported = dm.names.imports.get(func.id)
        other = dm._repo_module(imported[0], imported[2]) if imported is not None and imported[1] else None
        if other is not None:
            name = other.names.aliases.get(imported[1], name)
    if name.startswith("sqlalchemy."):
        return name if name.rsplit(".", 1)[-1] in _SQLA_BUILDERS else None
    return name if short in _SQLA_BUILDERS else None


# SQL identifier quoting: a name between an opening and a closing character, in which the closing one cannot occur
# (doubled by `replace`, or proven absent by a test), cannot end the quoted name early. A string literal's `'`
# doubled is left out: MySQL's default backslash escapes turn `\''` back into a closing quote.
_QUOTES = frozenset({'"', "`"})
_CLOSERS = {'"': '"', "`": "`", "]": "["}


def _quoted(before: Any, after: Any, value: V) -> bool:
    """`value` sits between constant text ending with an opening quote (`"`, `'`, `` ` ``, `[`) and text starting
    with the matching closing one, and every taint of it is known not to hold that closing character raw."""
    if not (isinstance(before, str) and isinstance(after, str) and before and after and value.deep()):
        return False
    close = after[0]
    if _CLOSERS.get(close) != before[-1]:
        return False
    return all(("doubled" + close) in t.cleaned or ("no" + close) in t.cleaned for t in value.deep())


def _quoted_parts(parts: list[V]) -> list[V]:
    """The parts of an f-string, with a part quoted as `_quoted` says marked clean for SQL."""
    out = list(parts)
    for i in range(1, len(parts) - 1):
        before, after = parts[i - 1], parts[i + 1]
        if before.known and after.known and not parts[i].known and _quoted(before.const, after.const, parts[i]):
            out[i] = _cleaned(parts[i], frozenset({"sql"}))
    return out


def _quoted_format(template: str, args: list[V]) -> list[V]:
    """`'"{}"'.format(s.replace('"', '""'))`: positional fields quoted as `_quoted` says are clean for SQL."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return args
    out = list(args)
    auto = 0
    for i, (literal, field, _, _) in enumerate(fields):
        if field is None:
            continue
        index = auto if field == "" else int(field) if field.isdigit() else None
        auto += field == ""
        after = fields[i + 1][0] if i + 1 < len(fields) else ""
        if index is not None and index < len(args) and _quoted(literal, after, args[index]):
            out[index] = _cleaned(args[index], frozenset({"sql"}))
    return out


CUSTOM_HEADER_LABEL = "a custom request header"
HEADER_LABEL = "a request header"
COOKIE_LABEL = "a cookie"
# What a browser sends that no cross-site page chooses for a victim (see _custom_header)
BROWSER_HELD_LABELS = (CUSTOM_HEADER_LABEL, HEADER_LABEL, COOKIE_LABEL)


_FORM_NAME = re.compile(r"form$", re.I)


# A request's mappings of the client's values, read the same way by subscript and by `.get` (Django, Flask, DRF)
_REQUEST_MAPPINGS = frozenset({"GET", "POST", "args", "form", "values", "query_params", "data", "params", "query"})


def _always_raises(fn: ast.AST) -> bool:
    """A function whose body ends in a `raise` at its top level and that returns nowhere (nor yields): every call of
    it raises."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.body \
            or not isinstance(fn.body[-1], ast.Raise):
        return False
    nodes: list[ast.AST] = list(fn.body)
    for node in nodes:
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return False
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            nodes.extend(ast.iter_child_nodes(node))
    return True


def _response_instance_test(test: ast.Call) -> bool:
    """`isinstance(x, Response)`, `isinstance(x, (HttpResponse, JsonResponse))`: a test that x is a response object."""
    if not (isinstance(test.func, ast.Name) and test.func.id == "isinstance" and len(test.args) == 2
            and not test.keywords):
        return False
    classes = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
    return bool(classes) and all((_short_name(c) or "").endswith("Response") for c in classes)


def _any_loop(body: list[ast.stmt]) -> ast.For | None:
    """A predicate's closing `for x in xs: if test: return True` followed by `return False` (true when the test
    holds for one element): the loop, else None."""
    if len(body) < 2 or not isinstance(body[-2], ast.For) or body[-2].orelse:
        return None
    loop, last = body[-2], body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Constant) and last.value.value is False):
        return None
    inner = loop.body[0] if len(loop.body) == 1 else None
    if not (isinstance(inner, ast.If) and not inner.orelse and len(inner.body) == 1
            and isinstance(inner.body[0], ast.Return) and isinstance(inner.body[0].value, ast.Constant)
            and inner.body[0].value.value is True and isinstance(loop.target, ast.Name)):
        return None
    return loop


def _request_item_key(mapping: ast.AST, key: ast.AST) -> str | None:
    """The environment key of `request.GET["next"]` and `request.GET.get("next")` alike, or None for other reads."""
    if not (isinstance(mapping, ast.Attribute) and mapping.attr in _REQUEST_MAPPINGS and _var_key(mapping)
            and isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return None
    return f"${_var_key(mapping)}[{key.value!r}]"


def _last_component(node: ast.Subscript) -> bool:
    """`p.split("/")[-1]`, `p.rsplit("/", 1)[-1]` (or `[1]`): the text after the last `/`, which holds no `/`, so a
    path joined from it stays in its folder, as `os.path.basename(p)` does (AiravataPortal's tus upload id,
    Reminiscence's last path segment)."""
    call, index = node.value, node.slice
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in ("split", "rsplit")
            and call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value == "/"
            and isinstance(index, (ast.Constant, ast.UnaryOp))):
        return False
    try:
        position = ast.literal_eval(index)
    except ValueError:
        return False
    if position == -1:
        return True
    maxsplit = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "maxsplit"), None)
    return call.func.attr == "rsplit" and position == 1 and isinstance(maxsplit, ast.Constant) and maxsplit.value == 1


def _custom_header(container: ast.AST, key: ast.AST) -> str | None:
    """The source label of a request header or cookie read by name, which no cross-site page can make a victim's
    browser send with a value of its choosing: a custom header (`request.headers["X-Ingress-Path"]`,
    `environ["HTTP_X_FORWARDED_PREFIX"]`: a proxy or the site's own script adds it), another header (`User-Agent`,
    `Content-Type`, `Accept-Language`: the browser's own, and what a page may set holds none of `<>"()`), or a cookie
    (`request.cookies.get("js_target")`: the site set it). None for anything else (the Referer and Host, read before
    this, are the browser's own and judged apart; `environ["QUERY_STRING"]` is the URL's)."""
    if not (isinstance(container, ast.Attribute) and isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return None
    name = key.value
    if container.attr in ("cookies", "COOKIES"):
        return f"{COOKIE_LABEL} `{name}`"
    if container.attr not in _HEADER_MAPS:
        return None
    if container.attr != "headers":
        if not name.upper().startswith("HTTP_"):
            return None
        name = "-".join(p.capitalize() for p in name[5:].split("_"))
    return f"{CUSTOM_HEADER_LABEL if name.lower().startswith('x-') else HEADER_LABEL} `{name}`"


def _relabelled(v: V, label: str) -> V:
    return expand(v, lambda t: (replace(t, label=label),))


_WERKZEUG_SEGMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def _verdict_of(expr: ast.AST) -> ast.AST:
    """The test a predicate's return value is: `bool(t)` and `t is not None` are `t`."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "bool" \
            and len(expr.args) == 1 and not expr.keywords:
        return _verdict_of(expr.args[0])
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], ast.IsNot) \
            and isinstance(expr.comparators[0], ast.Constant) and expr.comparators[0].value is None:
        return _verdict_of(expr.left)
    return expr


_SQL_TEXT = re.compile(r"\b(?:select|insert|update|delete|with)\b", re.I)
_SQL_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\{\w+:\w+\}|(?<![:\w]):[a-z_]\w*", re.I)


def _bound_query(method: str | None, receiver: V | None, args: list[V], kwargs: dict) -> V | None:
    """`cur.mogrify("SELECT ... %s", (x,))`, `client.format("SELECT ... %(name)s", parameters={...})`: a client binds
    the parameters into a constant SQL text, escaping each (psycopg2's mogrify, clickhouse-connect's QueryContext;
    OpenReplay's `ch_client.format`, §3o): the statement that comes back is no SQL the parameters wrote. The SQL
    text's own taint stays."""
    if method in _ROW_COUNTS and receiver is not None and not receiver.known and (args or kwargs):
        # `query.limit(per_page + 1)`, `.offset(n)`, `.paginate(page=p, per_page=n)`: a query's row count or start,
        # which SQLAlchemy binds as a parameter (a number, or the statement fails); never SQL text (Bayanat, §3s)
        counted = join_all([*args, *kwargs.values()])
        return V(taints=union(receiver.deep(), _cleaned(V(taints=counted.deep()), frozenset({"sql"})).deep()))
    if method not in ("mogrify", "format") or receiver is None or receiver.known or not args:
        return None
    params = kwargs.get("parameters", kwargs.get("params"))
    if params is None and method == "mogrify" and len(args) > 1:
        params = args[1]
    sql = args[0]
    if params is None or not sql.known or not isinstance(sql.const, str) or not _SQL_TEXT.search(sql.const) \
            or not _SQL_PLACEHOLDER.search(sql.const):
        return None
    return V(taints=union(sql.deep(), _cleaned(V(taints=params.deep()), frozenset({"sql"})).deep()))


_ROW_COUNTS = frozenset({"limit", "offset", "slice", "paginate", "fetch"})
_FILTER_ITEM = "$filtered"  # the bound name of the comprehension a `filter(pred, items)` call is read as


def _filter_comprehension(call: ast.Call) -> ast.ListComp:
    """`filter(pred, items)` written as the `[x for x in items if pred(x)]` it means (placed where the call is)."""
    item = ast.Name(id=_FILTER_ITEM, ctx=ast.Load())
    test = ast.Call(func=call.args[0], args=[item], keywords=[])
    gen = ast.comprehension(target=ast.Name(id=_FILTER_ITEM, ctx=ast.Store()), iter=call.args[1], ifs=[test],
                            is_async=0)
    comp = ast.ListComp(elt=item, generators=[gen])
    for node in (item, test, gen.target, comp):
        ast.copy_location(node, call)
    return comp


def _untyped_parameter(fn: ast.AST | None, expr: ast.AST) -> bool:
    """`expr` is a parameter of `fn` declared without a type (a Flask view's capture, not a FastAPI model or enum)."""
    if not isinstance(expr, ast.Name) or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    param = named_parameter(fn, expr.id)
    return param is not None and param.annotation is None


def _werkzeug_route_parameters(fn: ast.AST) -> set[str]:
    """The parameters a `@x.route("/a/<path:p>")`-style decorator (werkzeug's rule syntax, Flask and Quart) fills
    from the URL: a werkzeug converter never matches a leading `/` (`path` is `[^/].*?`)."""
    out: set[str] = set()
    for d in getattr(fn, "decorator_list", ()):
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _ROUTE_METHODS:
            rule = d.args[0] if d.args else next((k.value for k in d.keywords if k.arg == "rule"), None)
            if isinstance(rule, ast.Constant) and isinstance(rule.value, str):
                out |= set(_WERKZEUG_SEGMENT.findall(rule.value))
    return out


_ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete"})


def _short_name(func: ast.AST) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _back_link(container: ast.AST, key: ast.AST) -> bool:
    """`X.headers["Referer"]`, `X.environ["HTTP_REFERER"]`, `X.META.get("HTTP_REFERER")`: the Referer header read
    by name (a redirect back sends the user nowhere its author could not link to, like `request.referrer`)."""
    return isinstance(container, ast.Attribute) and container.attr in _HEADER_MAPS \
        and isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() in _BACK_LINK_KEYS


def _hashable(value: Any) -> bool:
    if value is OPAQUE:
        return False
    try:
        hash(value)
        return True
    except TypeError:
        return False


def _small(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return len(value) < 100_000
    if isinstance(value, int):
        return abs(value) < 10 ** 18
    return isinstance(value, (float, bool, type(None), tuple, frozenset, list))


_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route"})


def _static_route(scope: ast.AST) -> Any:
    """The path of a view whose routes are all constant, without converter segments (`@app.route("/a/b")`): the
    path as a string, OPAQUE for several such routes, None when a route has a variable part or none is seen."""
    paths = []
    for d in getattr(scope, "decorator_list", ()):
        if not (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _ROUTE_DECORATORS):
            continue
        rule = d.args[0] if d.args else next((k.value for k in d.keywords if k.arg in ("rule", "path")), None)
        if not (isinstance(rule, ast.Constant) and isinstance(rule.value, str)) or "<" in rule.value \
                or "{" in rule.value:
            return None
        paths.append(rule.value)
    if not paths:
        return None
    return paths[0] if len(set(paths)) == 1 else OPAQUE


def _pattern_matches(pattern: ast.AST, subject: V) -> bool | None:
    """True when the pattern surely matches the subject, False when it surely does not, None when unknown."""
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
        return True  # `case _`, `case name`
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:
        return _pattern_matches(pattern.pattern, subject)
    if isinstance(pattern, ast.MatchOr):
        found = [_pattern_matches(p, subject) for p in pattern.patterns]
        return True if True in found else False if all(f is False for f in found) else None
    if isinstance(pattern, (ast.MatchValue, ast.MatchSingleton)) and subject.known and subject.const is not OPAQUE:
        expected = pattern.value if isinstance(pattern, ast.MatchSingleton) else \
            pattern.value.value if isinstance(pattern.value, ast.Constant) else UNKNOWN
        if expected is UNKNOWN:
            return None
        try:
            return bool(subject.const == expected) if isinstance(pattern, ast.MatchValue) else subject.const is expected
        except Exception:
            return None
    return None


_SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})


def _safe_yaml(node: ast.Call, name: str | None, names) -> bool:
    """`yaml.load(data, Loader=yaml.SafeLoader)`: no deserialisation sink (PY106 reads the loader the same way)."""
    if name not in ("yaml.load", "yaml.load_all"):
        return False
    loader = next((k.value for k in node.keywords if k.arg == "Loader"), node.args[1] if len(node.args) > 1 else None)
    return loader is not None and (names.qualname(loader) or "").rsplit(".", 1)[-1] in _SAFE_YAML_LOADERS


_QUERYSET_ENDS = frozenset({"first", "last", "get", "earliest", "latest"})
_QUERYSET_STEPS = frozenset({"filter", "exclude", "order_by", "select_related", "prefetch_related", "annotate",
                             "distinct", "filter_by", "only", "defer", "using"})

# Query-set steps whose arguments only select or order the receiver's rows (`annotate` can add computed values)
_SELECTION_STEPS = _QUERYSET_STEPS - {"annotate"}


# peewee: `Model.select(...).where(...)` and its further steps, `Model.get_by_id(k)`, `Model.get_or_none(...)`
_PEEWEE_STEPS = frozenset({"where", "join", "switch", "order_by", "group_by", "having", "limit", "offset", "paginate",
                           "distinct", "dicts", "tuples", "namedtuples", "objects", "iterator", "execute", "first",
                           "get", "get_or_none", "scalar"})
_PEEWEE_LOOKUPS = frozenset({"get_by_id", "get_or_none"})


def _model_query(func: ast.Attribute) -> bool:
    """A peewee query of a model class (a capitalised name): `Export.select().where(Export.id << ids)` (a `where`
    somewhere in the chain), `Export.get_by_id(k)`, `Export.get_or_none(Export.name == n)`. The request data
    selects the rows; the rows' fields are stored data."""
    if func.attr in _PEEWEE_LOOKUPS:
        return isinstance(func.value, ast.Name) and func.value.id[:1].isupper()
    seen_where = False
    node: ast.AST = func
    while isinstance(node, ast.Attribute) and node.attr in _PEEWEE_STEPS:
        seen_where = seen_where or node.attr == "where"
        call = node.value
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            return False
        node = call.func
    return (seen_where and isinstance(node, ast.Attribute) and node.attr == "select" and isinstance(node.value, ast.Name)
            and node.value.id[:1].isupper())


def _queryset_chain(node: ast.AST) -> bool:
    """`...filter(...).order_by(...)`: a query set (Django's or SQLAlchemy's), whose `.first()` is a row."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in _QUERYSET_STEPS:
            return True
        node = node.func.value
    return False


# What follows a configured `scheme://host` when it starts with `/`: a path on that server, moving neither the host
# nor the site.
_URL_PATH = frozenset({"redirect", "host"})


def _bound_param(bound: dict, param, extra: frozenset[str] = frozenset()) -> V | None:
    """The caller's value for a summary's parameter taint: `asset` or an attribute of it, `asset.asset_type`, which
    is that keyword argument's value when the caller's object was built from keyword arguments. `extra`: the
    callee's `**kwargs` parameter, which receives exactly the keywords the caller passed: an entry the caller did
    not pass (`kwargs.pop("location")` after `redirect(request, "route", user=u)`) is nothing of the caller's."""
    if not isinstance(param, str) or "." not in param:
        return bound.get(param)
    head, rest = param.split(".", 1)
    attrs = [a[1:-1] if a.startswith("[") and a.endswith("]") else a for a in rest.split(".")]
    attr = attrs[0]
    entry = rest.startswith("[")  # `context["comment"]`, not `context.comment`
    actual = bound.get(head)
    if actual is not None and actual.keys is not None and not actual.taints and attr in actual.keys:
        return actual.keys[attr]
    if (head in extra or entry) and actual is not None and actual.keys is not None and not actual.taints:
        # an entry the caller did not put in the mapping it passed (Tendenci's `context["comment"]` of a context
        # whose `"resolution"` holds the request's text): nothing of the caller's data this flow saw
        return None
    if actual is not None and actual.keys is not None and not actual.taints and (attr in _IDENTITY or actual.record):
        return V()
    if actual is not None and any(t.fields is not None for t in actual.deep()):
        # a request-body model handed to a helper, which reads a field of it: that field, clean as the model says
        return V(taints=tuple(_field_chain(t, attrs) for t in actual.deep()))
    return actual


# The primary key of a row or record the program built from keyword arguments: the database (or the program)
# assigns it unless a keyword argument names it.
_IDENTITY = frozenset({"pk", "id"})


def _class_like(name: str) -> bool:
    """`Asset(...)`, or a factory called on a class, `Job.enqueue(...)` (a capitalised name, not a constant in
    capitals, before the method)."""
    parts = name.split(".")
    return parts[-1][:1].isupper() or len(parts) > 1 and parts[-2][:1].isupper() and not parts[-2].isupper()


def _constant_flags(dm, fn: ast.AST, bound: dict) -> tuple:
    """The flag parameters of `fn` (DataflowModule.flag_params) this call gives a constant, by value or by leaving a
    constant default: ((name, value), ...), sorted; () when there are none."""
    flags = dm.flag_params(fn)
    if not flags:
        return ()
    defaults = parameter_defaults(fn)
    out = []
    for name in sorted(flags):
        actual = bound.get(name)
        if actual is None:
            default = defaults.get(name)
            value = default.value if isinstance(default, ast.Constant) else UNKNOWN
        else:
            value = actual.const if actual.known and not actual.deep() else UNKNOWN
        if value is None or isinstance(value, (bool, int)) or isinstance(value, str) and len(value) <= 64:
            out.append((name, value))
    return tuple(out)


def _kw_object(kwargs: dict) -> V:
    return V(UNKNOWN, (), None, dict(kwargs))


# ORM calls that write a row from their keyword arguments (and return it, or `(row, created)`)
_ROW_WRITES = frozenset({"create", "get_or_create", "update_or_create"})
# Reads of a query set held in a variable (besides its filters and its first/last/get)
_QUERYSET_READS = frozenset({"all", "values", "values_list", "iterator", "none", "union", "intersection",
                             "difference", "select_for_update", "in_bulk"})


def _stored_row(node: ast.Call, value: V, recorded) -> V:
    """What a database read returns: the program's stored data. The request data that chose the row (a key, a
    filter, a query's parameters) does not become its content, so the row is no request text: a stored value
    reaching a sink is a value whose origin the analysis cannot see (a review finding, like any other row), not a
    reflected one. Attributes this flow assigns afterwards (`row.title = request.POST["t"]`) are tracked on
    their own. An ORM write (`Model.objects.create(name=x)`, `get_or_create`, `update_or_create`) returns the row
    built from its keyword arguments: an attribute named by one reads that argument, its other attributes are the
    program's (defaults, the key the database assigns, values computed from stored fields), and the row as a whole
    keeps every argument's taint; with `**data` the whole row keeps the data's taint (cleaned for redirects: a row
    names no attacker's URL)."""
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if method not in _ROW_WRITES:
        out = V(keys={})  # a record none of whose attributes this flow has seen written
        out.stored = out.record = True
        return out
    kwargs = dict(recorded[1]) if recorded is not None else None
    if not value.deep():
        return value
    if kwargs is not None and None in kwargs and kwargs[None].keys is not None and not kwargs[None].taints:
        kwargs.update(kwargs.pop(None).keys)  # `create(**fields)` with `fields = {"url": url, ...}`
    if kwargs is None or None in kwargs:
        return _cleaned(value, frozenset({"redirect"}))
    row = _kw_object({k: v for k, v in kwargs.items() if k != "defaults"} | _defaults(kwargs.get("defaults")))
    row.record = True
    return row if method == "create" else V(UNKNOWN, (), (row, V()))


def _defaults(value: V | None) -> dict:
    """`defaults={"body": b}` of get_or_create/update_or_create: more fields of the row (unknown keys: its taint)."""
    if value is None:
        return {}
    if value.keys is not None and not value.taints:
        return dict(value.keys)
    return {"defaults": value}


_DJANGO_TEMPLATES = frozenset({"django.template.loader.get_template", "django.template.loader.select_template",
                               "django.template.Template", "django.template.base.Template"})


def _not_html_kind(kwargs: dict[str | None, V]) -> bool:
    """The response type the call was given is known and no HTML on every path: `mimetype` holding
    "application/json", or "application/javascript" where a JSONP callback was asked for (Aleph's `jsonify`)."""
    for key in ("mimetype", "content_type", "media_type"):
        v = kwargs.get(key)
        if v is None or v.deep():
            continue
        kinds = v.choices if v.choices is not None else ({v.const} if v.known else None)
        if kinds and all(isinstance(k, str) and "html" not in k.lower() for k in kinds):
            return True
    return False


def _not_html_response(node: ast.Call, name: str | None) -> bool:
    """`Response(json.dumps(doc), mimetype="application/json")`, or werkzeug's or aiohttp's own Response (text/plain
    by default): the same reading PY402 applies at the call, for the sinks a helper's summary records."""
    kind = next((k.value for k in node.keywords if k.arg in ("mimetype", "content_type", "media_type")), None)
    if kind is None and (name or "") in ("django.http.HttpResponse", "django.http.response.HttpResponse") \
            and len(node.args) >= 2:
        kind = node.args[1]  # Django's second positional argument is the content type
    if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
        return "html" not in kind.value.lower()
    if kind is None and (name or "") in ("aiohttp.web.Response", "aiohttp.web_response.Response"):
        # aiohttp: text/plain for `text`, application/octet-stream for `body`, unless a Content-Type header says
        # otherwise (headers not written out here: may be HTML)
        headers = next((k.value for k in node.keywords if k.arg == "headers"), None)
        if headers is None:
            return True
        if not isinstance(headers, ast.Dict):
            return False
        keys = [k.value.lower() if isinstance(k, ast.Constant) and isinstance(k.value, str) else None
                for k in headers.keys]
        return None not in keys and "content-type" not in keys
    return (name or "") in ("werkzeug.Response", "werkzeug.wrappers.Response", "werkzeug.wrappers.response.Response")


# Methods of a Markup string that return plain text: `Markup(s).unescape()` decodes entities, `.striptags()` also
# drops the tags; nothing is marked safe.
_PLAIN_TEXT_METHODS = frozenset({"unescape", "striptags"})


# `env.from_string(text)` compiles a template only on a template engine: a Jinja `Environment` (`env`, `jinja_env`,
# `self.environment`, `SandboxedEnvironment()`), Django's `engines["django"]`/`Engine`, a template loader. A class's
# own parser (`UserID.from_string(s)`, `Version.from_string(s)`) builds no page.
_TEMPLATE_RECEIVER = re.compile(r"(?i)env|jinja|engine|templat|loader")


def _repository_module(name: str, module) -> bool:
    """`name` is imported (`from allmydata import uri`, `import uri`) and the import loads a module of the repository
    (`allmydata/uri.py`, `.../uri/__init__.py`, resolved as Python would from the importing file): the receiver is
    that module, not a template engine object."""
    binding = module.bindings(module.tree).get(name)
    if not binding or not all(isinstance(b, (ast.Import, ast.ImportFrom)) for b in binding):
        return False
    for node in binding:
        for alias in node.names:
            if (alias.asname or alias.name).split(".")[0] != name:
                continue
            if isinstance(node, ast.ImportFrom):
                dotted, level = ".".join(p for p in (node.module or "", alias.name) if p), node.level
            else:
                dotted, level = alias.name, 0
            if resolve_repo_path(module.facts.files, module.file.rel, dotted, level) is None:
                return False
    return True


def _plain_import(name: str, module) -> bool:
    """`name` is bound only by `import name` (or `import a.b as name`): a module object."""
    binding = module.bindings(module.tree).get(name)
    return bool(binding) and all(isinstance(b, ast.Import) for b in binding)


def _record(name: str, value: ast.AST, env: dict[str, V]) -> tuple:
    """What `name = value` keeps of a check (Flow._host_tests, Flow._check_names): the name's value now, the
    expression, and every other name it reads with that name's value now."""
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - {name}
    return env[name], value, [(n, env.get(n)) for n in sorted(names)]


def _still_held(record: tuple, name: str, env: dict[str, V]) -> bool:
    """Neither `name` nor any name its check read has been assigned again since the record was made."""
    return env.get(name) is record[0] and all(env.get(n) is v for n, v in record[2])


def _truth_test(test: ast.AST) -> ast.AST:
    """`ok is False`, `ok == False`, `ok is not True` written as the `not ok` they mean for a check's verdict, and
    `ok is True`, `ok == True` as `ok` (mrdoc's `safe_to = is_internal_path(to)`, then `if safe_to is False:`): the
    check's marks and narrowing then apply as they do to the plain test."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], _BOOL_TESTS) \
            and isinstance(test.comparators[0], ast.Constant) and isinstance(test.comparators[0].value, bool):
        if test.comparators[0].value == isinstance(test.ops[0], (ast.Is, ast.Eq)):
            return test.left
        return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=test.left), test)
    return test


_BOOL_TESTS = (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)


def _first_char_test(test: ast.AST) -> ast.Call | None:
    """`u[0] == "/"` (or `"/" == u[0]`) written as the `u.startswith("/")` it means, for narrow_rooted."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    for side, other in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
        if isinstance(side, ast.Subscript) and isinstance(side.slice, ast.Constant) and side.slice.value == 0 \
                and isinstance(other, ast.Constant) and other.value == "/":
            call = ast.Call(func=ast.Attribute(value=side.value, attr="startswith", ctx=ast.Load()),
                            args=[ast.Constant(value="/")], keywords=[])
            return ast.copy_location(call, test)
    return None


def template_receiver(node: ast.Call, module, scope: ast.AST | None) -> bool:
    """Whether a `*.from_string` call's receiver may be a template engine (see _TEMPLATE_RECEIVER): some name
    along it (`app.jinja_env`, `jinja2.Environment()`, `engines["django"]`), also through a name bound once to
    such an expression (`e = Environment(...)`; `e.from_string(t)`). Any other call is a template sink as before."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "from_string"):
        return True
    seen = 0
    stack: list[ast.AST] = [func.value]
    while stack and seen < 12:
        seen += 1
        n = stack.pop()
        if isinstance(n, ast.Name):
            if _TEMPLATE_RECEIVER.search(n.id):
                return True
            bound = module.value_of(n.id, scope)
            if isinstance(bound, ast.expr):
                stack.append(bound)
            elif bound is None and (_repository_module(n.id, module) or _plain_import(n.id, module)):
                # `from allmydata import uri; uri.from_string(cap)`: a module of the repository's own; `import opml;
                # opml.from_string(body)` (feedhq, §3w): a module, whose function parses, no template engine object
                continue
            elif bound is not None or not n.id[:1].isupper():
                return True  # a parameter, a name bound more than once or imported: unknown, keep the sink
        elif isinstance(n, ast.Attribute):
            if _TEMPLATE_RECEIVER.search(n.attr):
                return True
            stack.append(n.value)
        elif isinstance(n, ast.Call):
            stack.append(n.func)
        elif isinstance(n, ast.Subscript):
            stack.append(n.value)
        else:
            return True
    return False


def plain_text_markup(node: ast.Call, parents: dict[int, ast.AST]) -> bool:
    """`Markup(text).unescape()`: the Markup object is only a step to plain text, not HTML sent to anyone."""
    parent = parents.get(id(node))
    return isinstance(parent, ast.Attribute) and parent.attr in _PLAIN_TEXT_METHODS and parent.value is node


def _reads_database(func: ast.AST, name: str) -> bool:
    """A cursor's fetch, an ORM query (`Model.objects.get(...)`, `.filter(...).first()`) or Django's
    `get_object_or_404`: the value comes from the database."""
    if name.rsplit(".", 1)[-1] in ("get_object_or_404", "get_list_or_404"):
        return True
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _DB_READS:
        return True
    if func.attr in _QUERYSET_ENDS and _queryset_chain(func.value):
        return True
    if _model_query(func):
        return True
    node = func.value
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Attribute) and (node.attr == "objects" or node.attr == "query" and isinstance(
                node.value, ast.Name) and node.value.id[:1].isupper()):  # Django's Model.objects, Flask-SQLAlchemy's Model.query
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _keyword_lookup(node: ast.Call, names) -> bool:
    """`queryset.get(pk=id)`, `store.get(slug=s, owner=u)` on a receiver of unseen origin (a helper's query set): a
    `get` with keyword arguments only is no mapping's `get` (dict.get and its kin take none) but a lookup of stored
    records, as ORM managers and query sets spell it, also with more filters unpacked (`get(slug=s, **scope)`: a
    mapping's `get` takes no keyword at all). A module's own function (`requests.get(url=...)`) is not."""
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "get" and not node.args
            and any(k.arg is not None for k in node.keywords) and not _imported_root(func.value, names))


def _imported_root(node: ast.AST, names) -> bool:
    """`requests.get`, `os.environ.get`: the receiver is (an attribute of) an imported module or class. An
    imported constant (`CONFIGS.get(key)`, an upper-case name) is a mapping, not a module."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Subscript):
            return False  # `current_app.config["MAPPING"].get(slug)`: an item of a mapping, data (dm-admin §3ae)
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id in names.aliases and not node.id.isupper()


def _program_collection(node: ast.AST, allowed: V) -> bool:
    """A collection no untrusted data went into, read from a name, an attribute or a call (`merged_config`,
    `settings.PLUGINS`, `get_config()`): the program's own keys or members, so a value found in it is one of
    them (an allow-list built at run time)."""
    if allowed.known or allowed.deep() or allowed.obj is not None:
        return False
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))


def _after_query(parts: list[V]) -> bool:
    """An f-string whose untrusted parts all come after a constant `?` or `#`: they land in the query or the
    fragment, which cannot change where a URL points."""
    for p in parts:
        if any(t.live_for("redirect") for t in p.deep()):
            return False
        if _query_text(p):
            return True
    return False


def _query_tail(parts: list[V] | None) -> frozenset | None:
    """The origins of the untrusted parts that come only after a constant `?` or `#` of a URL template whose earlier
    parts are untrusted too (`f"{redirect_uri}?error=deny&state={state}"`): in the query or the fragment, they cannot
    change where the URL points, whatever the part before points to (its own taint is judged on its own)."""
    if not parts:
        return None
    for i, p in enumerate(parts):
        if _query_text(p):
            before = {t.origin for q in parts[:i] for t in q.deep()}
            tail = frozenset(t.origin for q in parts[i + 1:] for t in q.deep() if t.origin not in before)
            return tail or None
    return None


# The sink families whose harm needs the attacker to choose where a URL starts: its scheme and server
_URL_START = frozenset({"redirect", "ssrf"})
_NOT_URL_START = FAMILIES - _URL_START


def _first_field(template: str, call: ast.Call) -> ast.AST | None:
    """The argument of `template.format(...)` (at `call`) that fills the template's first field."""
    field = re.split(r"[}!:.\[]", template.split("{", 1)[1], maxsplit=1)[0] if "{" in template else None
    if field is None:
        return None
    if field == "" or field.isdigit():
        index = int(field or 0)
        return call.args[index] if index < len(call.args) else None
    return next((k.value for k in call.keywords if k.arg == field), None)


def _added_choices(op: ast.operator, left: V, right: V) -> V:
    """An OPAQUE constant of two constants, one of them OPAQUE; for `+` of strings one of a few known ones
    (`"" + sep` where `sep` is `"?"` or `"/"`)."""
    out = V(const=OPAQUE)
    a, b = _choices(left), _choices(right)
    if isinstance(op, ast.Add) and a is not None and b is not None and len(a) * len(b) <= MAX_CHOICES \
            and all(isinstance(x, str) for x in a | b):
        out.choices = frozenset(x + y for x in a for y in b)
    return out


_REQUEST_NAMES = frozenset({"request", "req", "scope", "environ"})


def _after_chosen(value: V, first: str) -> V:
    """`value` (request data appended to `first`, a value the program chose: see Flow.chosen) with a gap for redirects
    and outgoing requests (README "Severity follows evidence"): the request does not choose where the URL starts,
    so unless the program's own value is empty or names no server (which the analysis cannot see) the request
    data stays on the server or site the program named. A review finding, as CodeQL reads a concatenation's
    right operand as no redirect at all."""
    gap = f"it follows `{first}`, a value the program chose at the start of the URL, so the request does not " \
          "choose its server"
    # (a taint already known to stay in the path or query of a fixed server keeps that verdict: see _URL_PATH)
    return expand(value, lambda t: (t.through(gap, _NOT_URL_START),)
                  if t.live_for("redirect") or "host" not in t.cleaned else (t,))


def _in_single_quotes(value: V, parts: list[V] | None) -> V:
    """`value` (the parts of a template filled in) with the HTML cleaning of Django's percent-encoded URLs
    (URI_ENCODED: no `"`, `<` or `>`, but `'`) taken back where one follows text whose last quote is `'`: inside a
    single-quoted attribute (`f"<a href='{request.get_full_path()}'>"`) a `'` ends it."""
    if not parts:
        return value
    text, back = "", set()
    for p in parts:
        if p.known and isinstance(p.const, str):
            text += p.const
            continue
        quotes = [c for c in text if c in "'\""]
        if quotes and quotes[-1] == "'":
            back.update(_origin_key(t) for t in p.deep() if URI_ENCODED in t.cleaned)
    if not back:
        return value
    return expand(value, lambda t: (t.with_(cleaned=t.cleaned - {"html"}),) if _origin_key(t) in back else (t,))


def _query_tail_cleaned(value: V, parts: list[V] | None) -> V:
    """`value` (the template filled in) with the taints of `_query_tail(parts)` clean for redirects, and in the path or
    query of whatever server the URL names for outgoing requests (the marker `host`: PY411 at most)."""
    tail = _query_tail(parts)
    if not tail:
        return value
    return expand(value, lambda t: (t.clean(_URL_PATH),) if t.origin in tail else (t,))


def _query_only(parts: list[V] | None) -> bool:
    """Parts of a URL template filled in (`"%s?next=%s" % (base, n)`, `"{}#{}".format(base, a)`): a URL of this
    site first (`reverse(...)`, `request.path`), or every untrusted part after a constant `?` or `#` (the query or
    the fragment, which cannot change where the URL points), as for f-strings."""
    return bool(parts) and (parts[0].site or _after_query(parts))  # type: ignore[index]


_CONVERSIONS = frozenset("diouxXeEfFgGcrsab")


def _percent_parts(template: str, args: list[V]) -> list[V] | None:
    """`template % args` as constant text and argument values in order; None when it is not read simply (a
    mapping key `%(name)s`, a `*` width, more placeholders than arguments)."""
    parts: list[V] = []
    text, i, n = "", 0, 0
    while i < len(template):
        c = template[i]
        if c != "%":
            text, i = text + c, i + 1
            continue
        if template[i + 1:i + 2] == "%":
            text, i = text + "%", i + 2
            continue
        j = i + 1
        while j < len(template) and template[j] not in _CONVERSIONS:
            if template[j] in "(*":
                return None
            j += 1
        if j >= len(template) or n >= len(args):
            return None
        if text:
            parts.append(const_v(text))
        parts.append(args[n])
        text, i, n = "", j + 1, n + 1
    if text:
        parts.append(const_v(text))
    return parts


def _format_parts(template: str, args: list[V], kwargs: dict) -> list[V] | None:
    """`template.format(*args, **kwargs)` as constant text and argument values in order; None when a field is not
    a plain index or name (`{0.attr}`, `{x[k]}`, nested fields) or names no argument given."""
    parts: list[V] = []
    text, i, auto = "", 0, 0
    while i < len(template):
        c = template[i]
        if c in "{}" and template[i + 1:i + 2] == c:
            text, i = text + c, i + 2
            continue
        if c == "}":
            return None
        if c != "{":
            text, i = text + c, i + 1
            continue
        end = template.find("}", i)
        if end < 0:
            return None
        field = template[i + 1:end].split("!", 1)[0].split(":", 1)[0]
        if "{" in field or "." in field or "[" in field:
            return None
        if field == "":
            index: int | str = auto
            auto += 1
        else:
            index = int(field) if field.isdigit() else field
        if isinstance(index, int):
            if index >= len(args):
                return None
            value = args[index]
        elif index in kwargs:
            value = kwargs[index]
        else:
            return None
        if text:
            parts.append(const_v(text))
        parts.append(value)
        text, i = "", end + 1
    if text:
        parts.append(const_v(text))
    return parts


def _ends_in_query(node: ast.AST) -> bool:
    """`... + "?q="`, `login + f"?next={path}" + params`: a piece of the `+` chain on the left of a `+` is constant
    text holding `?` or `#` (also inside an f-string), so what is added after it lands in the query or fragment."""
    pieces, work = [], [node]
    while work:
        n = work.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            work += [n.left, n.right]
        else:
            pieces.append(n)
    return any(_query_mark(p) for p in pieces)


def _leading_const(node: ast.AST) -> str:
    """The constant text an expression's string value starts with (`"&k=" + v`, `f"&k={v}"`, `"?{}".format(v)`,
    `"#%s" % v`); "" when it starts with a run-time value."""
    while True:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else ""
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            node = node.left
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return _leading_const(node.left).split("%", 1)[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return _leading_const(node.func.value).split("{", 1)[0]
        else:
            return ""


# Calls that build a request object from a URL without sending it (the ssrf sink reports the URL there).
_REQUEST_OBJECTS = frozenset({"urllib.request.Request", "urllib2.Request"})


def _path_slash(value: V) -> bool:
    """Known text that starts a path after a base URL: `/` (also `/v1/`), not `//` or `/\\` (another host)."""
    return value.known and isinstance(value.const, str) and value.const.startswith("/") \
        and value.const[1:2] not in ("/", "\\")


def _appends_parameter(left: V, right: ast.AST) -> bool:
    """`url + "?k=" + v`, `url + f"&k={v}"`: what is appended starts with `?`, `#` or `&`, so it lands in the query
    or the fragment of `url` and cannot change its host. A `&` counts only after a URL known to have a path or a
    query: a constant one, or this site's own (`url_for`, a fixed origin and its path slash: Taint.site/origin).
    After a bare origin (`"https://a.example" + "&@evil.example"`, or a run-time URL a host check accepted, which
    may be `https://own` without a path) it would end up in the host's user part and move the host."""
    text = _leading_const(right)
    if text[:1] in ("?", "#"):
        return True
    if text[:1] != "&":
        return False
    if left.known:
        return isinstance(left.const, str) and ("?" in left.const or fixed_origin(left.const))
    return left.site or left.origin or left.tail


def _ends_host(ref: V) -> bool:
    """`urljoin(base, ref)` ends the host with what follows: `ref` is a rooted path (`/x`, not `//x` or `/\\x`: a
    constant, or untrusted text narrowed by `startswith("/")` and not `startswith("//")`), or starts a query or a
    fragment, or is itself such a URL."""
    if ref.known:
        return isinstance(ref.const, str) and (ref.const[:1] in ("?", "#") or (
            ref.const[:1] == "/" and ref.const[1:2] not in ("/", "\\")))
    taints = ref.deep()
    return ref.tail or (bool(taints) and all({"rooted", "no-netpath"} <= t.cleaned for t in taints))


def _query_text(v: V) -> bool:
    return v.known and isinstance(v.const, str) and ("?" in v.const or "#" in v.const)


def _query_mark(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and ("?" in node.value or "#" in node.value)
    return isinstance(node, ast.JoinedStr) and any(_query_mark(v) for v in node.values)


def _leading_text(parts: list[V], pinned: bool = False) -> str:
    """The constant text an f-string starts with. `pinned`: a value no attacker chose (a database row, a setting,
    a constant of unknown text) counts as one path segment of the site's own choosing, so `f"/{row.slug}/{x}"`
    starts with `/s/` and cannot become `//evil.com` (the site's own value is taken as non-empty)."""
    text, before = "", None  # before: the text ahead of a placeholder no constant has followed yet
    for p in parts:
        if p.known and isinstance(p.const, str):
            text, before = text + p.const, None
        elif pinned and text and before is None and (not p.known or p.const is OPAQUE) \
                and not any(t.live_for("redirect") for t in p.deep()) and p.keys is None and p.elts is None \
                and p.obj is None:
            text, before = text + "s", text
        else:
            break
    return text if before is None else before  # `f"/{slug}{x}"`: an empty slug would leave `/` + x


def _prefixed(prefix: Any, v: V) -> V:
    """A string that starts with constant text naming its own site (`"https://example.com/" + x`) is no open
    redirect, whatever follows, and names a host the program chose (the marker `host`: see _outgoing_urls)."""
    if not fixed_origin(prefix):
        return v
    out = _cleaned(v, frozenset({"redirect", "host"}))
    out.site = out.origin = True  # what is appended later stays there too
    return out


# A setting or constant that holds a base URL or host (the application's, not the user's)
_CONFIG_NAME = re.compile(r"(^|_)(base|host|hostname|endpoint|server|domain|origin|api|service|site)(_|$)|ur[li]$", re.I)


def _configured_name(node: ast.AST | None) -> bool:
    """`settings.API_BASE`, `app.config["SITE_URL"]`, `os.environ["SERVICE_HOST"]`, `os.getenv("BASE_URL")`,
    `config.get("api_url")`, `BASE_URL`, `self.base_url`, `get_current_site_url(request)`: a name, attribute,
    constant key or helper that names a base URL (`request` nowhere in it but among a helper's arguments)."""
    if node is None:
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)) \
            and not any(isinstance(n, ast.Name) and n.id == "request" for n in ast.walk(node.func)):
        short = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if short not in ("get", "getenv"):
            # `get_current_site_url(request)`, `get_base_url()`: a helper named for the site's base URL (the caller
            # checks that what it returned holds no request data; the request may pick among the site's hosts)
            return bool(_CONFIG_NAME.search(short))
        key = node.args[0] if node.args else None
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and bool(_CONFIG_NAME.search(key.value))
    if any(isinstance(n, ast.Name) and n.id == "request" for n in ast.walk(node)):
        return False
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and bool(_CONFIG_NAME.search(key.value))
    if isinstance(node, ast.Attribute):
        return bool(_CONFIG_NAME.search(node.attr))
    return isinstance(node, ast.Name) and bool(_CONFIG_NAME.search(node.id))


def _outgoing_urls(spec, name: str | None, method: str | None, node: ast.Call, args: list[V], kwargs) -> list[V] | None:
    """The URL arguments of an outgoing request (`requests.get`, `urllib.request.urlopen`, ...: the `ssrf` sinks),
    or None when `node` is no such call."""
    entries = [e for e in spec.sinks.match(name, method) or () if e.family == "ssrf"] if name else []
    if not entries:
        return None
    return [v for e in entries for v in _sink_args(node, e, args, kwargs)]


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _without(t: Taint, char: str) -> Taint:
    """`t` after `.replace(char, "")` (or any text without it): no `char` left; with neither `/` nor `.` left, no
    path it makes can climb out of a directory or name another one (`name.replace(".", "").replace("/", "")`)."""
    marks = {"no" + char}
    if ("no/" in t.cleaned or char == "/") and ("no." in t.cleaned or char == "."):
        marks.add("path")
    return t.clean(frozenset(marks))


def _strips_slashes(call: ast.Call) -> bool:
    """`v.replace("/", "_")`, `re.sub(r'[*:\\/<>?]+', "_", v)`, `PATTERN.sub("_", v)` with a constant class of
    characters holding `/`: every `/` replaced by text without one."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "replace" and len(call.args) >= 2:
        old, new = _const_str(call.args[0]), _const_str(call.args[1])
        return old == "/" and new is not None and "/" not in new
    if func.attr == "sub" and isinstance(func.value, ast.Name) and func.value.id == "re" and len(call.args) >= 3:
        pattern, new = _const_str(call.args[0]), _const_str(call.args[1])
        return pattern is not None and new is not None and "/" not in new and _separator_class(pattern)
    return False


def _separator_class(pattern: str) -> bool:
    """`[...]`, `[...]+` or `[...]*`: one class of characters, not negated before its `/`, that holds `/`. (String
    tests, not a regular expression: the pattern is scanned text, and a search over a long run of `[` would
    backtrack.)"""
    if pattern.endswith(("]+", "]*")):
        pattern = pattern[:-1]
    if len(pattern) < 3 or pattern[0] != "[" or pattern[-1] != "]":
        return False
    body = pattern[1:-1]
    slash = body.find("/")
    return slash >= 0 and "]" not in body and "^" not in body[:slash]


def _ends_dots(node: ast.AST) -> bool:
    """A trailing dot replaced or stripped: `if v[-1:] == "."`, `v.endswith(".")`, `v.rstrip(".")`/`.strip(". ")`."""
    if isinstance(node, ast.Compare) and any(_const_str(c) == "." for c in [node.left, *node.comparators]):
        return any(isinstance(side, ast.Subscript) for side in [node.left, *node.comparators])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        arg = _const_str(node.args[0])
        return arg is not None and "." in arg and node.func.attr in ("endswith", "rstrip", "strip")
    return False


_ONE_SEGMENT: "weakref.WeakKeyDictionary[ast.AST, bool]" = weakref.WeakKeyDictionary()


def one_segment_sanitiser(fn: ast.AST) -> bool:
    """Whether `fn` is a file-name cleaner (see _one_segment), remembered per function."""
    found = _ONE_SEGMENT.get(fn)
    if found is None:
        found = _ONE_SEGMENT[fn] = _one_segment(fn)
    return found


def _one_segment(fn: ast.AST) -> bool:
    """A repository's file-name cleaner (`valid_filename(v)`): it replaces every `/` of a name (`.replace("/",
    "_")` or a `re.sub` class holding `/`) and replaces or strips a trailing dot, and returns that name: the result
    is one path segment and never `..`, so it cannot leave the folder it is joined to (as `secure_filename`)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.args.args:
        return False
    # Every node of the function (as ast.walk, less the Load/Store contexts, which are none of the nodes asked about
    # here). The trailing dot and the return first: most functions have no trailing-dot test, and then the answer is
    # no whatever they replace.
    nodes: list[ast.AST] = [fn]
    push = nodes.append
    for node in nodes:  # (grows while it is read)
        push_children(node, push)
    if not any(_ends_dots(sub) for sub in nodes if sub.__class__ is ast.Compare or sub.__class__ is ast.Call):
        return False
    returns = [r.value for r in nodes if isinstance(r, ast.Return)]
    if not returns:
        return False
    cleaned: set[str] = set()
    for sub in nodes:
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name) \
                and any(isinstance(c, ast.Call) and _strips_slashes(c) for c in ast.walk(sub.value)):
            cleaned.add(sub.targets[0].id)
    return bool(cleaned) and all(
        r is not None and {n.id for n in ast.walk(r) if isinstance(n, ast.Name)} & cleaned for r in returns)


# Fields of a Lambda event that the AWS service invoking the function writes, not its caller: a CloudFormation custom
# resource's `ResponseURL` is the pre-signed S3 URL CloudFormation itself waits on (cfnresponse sends the result
# there), so sending to it is the protocol, not a request forgery.
PLATFORM_EVENT_FIELDS = frozenset({"ResponseURL"})
# The sink families that act on the server only: a request only administrators can send reaches them only when an
# administrator chooses to (an admin's SQL console, a probe of the host the admin types); the reflected ones (html,
# redirect, cookie) need only a link the administrator follows, so the same source stays an attacker's there.
SERVER_SIDE = frozenset({"shell", "process", "code", "deserialise", "sql", "xml", "path", "ssrf"})
LAMBDA_EVENT_LABEL = "Lambda event"  # the label of the `lambda-event` source in rules/dataflow/python.yaml
ROUTE_PARAMETER = "route parameter"  # the label of the `route-parameters` source


def _platform_field(base: V, key: ast.AST) -> bool:
    """`event["ResponseURL"]`, `event.get("ResponseURL")` of a Lambda handler's event, or of the event a helper
    takes as a parameter (`cfn_response.send(event, ...)`, summarised before any caller is known: the field's name
    is the custom-resource protocol's)."""
    taints = base.deep()
    return (isinstance(key, ast.Constant) and key.value in PLATFORM_EVENT_FIELDS and bool(taints)
            and all(t.label == LAMBDA_EVENT_LABEL or t.param is not None for t in taints))


def _verbose(*calls: ast.Call | None) -> bool:
    """A regex call or `re.compile` given the VERBOSE flag (`re.X`): its pattern's spaces and `#` are no
    characters of the value, so the reading does not apply."""
    for call in calls:
        if call is None:
            continue
        for node in list(call.args[1:]) + [k.value for k in call.keywords if k.arg == "flags"]:
            for sub in ast.walk(node):
                if (isinstance(sub, ast.Attribute) and sub.attr in ("X", "VERBOSE")) or \
                        (isinstance(sub, ast.Name) and sub.id in ("X", "VERBOSE")):
                    return True
    return False


def _cleaned(v: V, families: frozenset[str]) -> V:
    """The value with its taints marked harmless for `families` (kept, so a finding can say it was sanitized)."""
    return expand(v, lambda t: (t.clean(families),))


def _store(container: V, path: list[V], value: V) -> V:
    index = path[0]
    rest = path[1:]
    if container.keys is not None and index.known and _hashable(index.const):
        keys = dict(container.keys)
        inner = keys.get(index.const) or V(keys={})
        keys[index.const] = _store(inner, rest, value) if rest else value
        return V(UNKNOWN, container.taints, None, keys, container.obj)
    if container.elts is not None and index.known and isinstance(index.const, int) and not rest:
        elts = list(container.elts)
        try:
            elts[index.const] = value
            return V(UNKNOWN, container.taints, tuple(elts), None, container.obj)
        except IndexError:
            pass
    if container.keys is None and container.elts is None and not container.deep() and not container.known and not rest \
            and index.known and _hashable(index.const) and container.obj is None:
        return V(UNKNOWN, (), None, {index.const: value})
    return V(UNKNOWN, union(container.deep(), uncertain(value.deep()) if not index.known else value.deep()), None, None,
             container.obj)


# The marker on request text that follows fixed text of the program's in the same path component (`f"art_{id}"`,
# `"found_" + cid`, `f"{activity_id}_{name}"`): `../` after it names a directory `art_..` that must exist, and no
# absolute path starts there (PY408 reads it: a review finding; endurain, Zeeguu, NetAlertX, hashview, §3u-§3z)
NAME_PREFIXED = "name-prefixed"


def _component_tail(text: str) -> str:
    """The text after the last path separator of `text` (all of it when it holds none), when it reads as the start
    of a file name (`art_`, `last_result.`, `5_`); "" otherwise (`", "` before a header's value is no file name,
    and marking such text would only multiply taints)."""
    tail = text.replace("\\", "/").rsplit("/", 1)[-1]
    return tail if _NAME_START.fullmatch(tail) else ""


_NAME_START = re.compile(r"[\w.\-]+")


def _name_prefixed(parts: list[V]) -> list[V]:
    """The parts of an f-string, each tainted one marked NAME_PREFIXED when constant text that is not a separator
    comes before it in its path component (a value of unknown text in between may end with `/`: no mark)."""
    out, tail = [], ""
    for p in parts:
        if p.known and isinstance(p.const, str):
            tail = _component_tail(tail + p.const)  # (the text since the last separator, the new one included)
            out.append(p)
            continue
        taints = p.deep()
        if p.known and isinstance(p.const, (int, float)) or taints and not any(t.live_for("path") for t in taints):
            tail += "0"  # a number, or request data that holds no separator (`<int:activity_id>`): `{id}_` is text
            out.append(p)
            continue
        if taints and tail:
            p = _cleaned(p, frozenset({NAME_PREFIXED}))
        out.append(p)
        tail = ""  # (request text or a value of unknown text: it may hold or end with a separator)
    return out


def _all_name_prefixed(parts: list[V]) -> bool:
    """Every part of a formatted text that holds request text a path can be built from follows fixed text of a file
    name in its path component (see _name_prefixed), and there is one."""
    live = [p for p in _name_prefixed(parts) if any(t.live_for("path") for t in p.deep())]
    return bool(live) and all(NAME_PREFIXED in t.cleaned for p in live for t in p.deep() if t.live_for("path"))


def _taint_marks(value: V | None) -> list[frozenset[str]]:
    """What each taint of a value was cleaned for, in order (a narrowing that changed nothing leaves it equal)."""
    return [t.cleaned for t in value.deep()] if value is not None else []


def _join_envs(envs: list[dict[str, V]]) -> dict[str, V]:
    if not envs:
        return {}
    if len(envs) == 1:
        return dict(envs[0])
    out: dict[str, V] = {}
    names = set().union(*envs)
    for name in names:
        present = [e[name] for e in envs if name in e]
        if name.startswith("$") and len(present) < len(envs):
            continue  # a call expression checked on one path only is unchecked after the join
        value = join_all(present)
        if len(present) < len(envs):
            value = join(value, UNKNOWN_V) if value.known else value
        out[name] = value
    return out


def _join_call(old, new):
    if old is None:
        return new
    args = [join(a, b) for a, b in zip(old[0], new[0])]
    kwargs = dict(old[1])
    for k, v in new[1].items():
        kwargs[k] = join(kwargs.get(k), v)
    return args, kwargs


def _imported_call(name: str, method: str) -> bool:
    """`cache.get(key)`, `requests.get(url)`: a method name of str or containers called on an imported module or
    object (a resolved qualified name), not on a value of the program."""
    return not name.startswith("<") and "." in name


# Function names that ask a question of what they are given (`is_md5(h)`, `has_access(p)`, `check_name(n)`).
_QUESTION_PREFIXES = ("is_", "has_", "check", "verify", "validate", "valid_")
_NORMALISERS = frozenset({"normpath", "realpath", "abspath", "resolve", "safe_join", "canonicalize", "absolute"})
_ACCEPTING_WORDS = frozenset({"safe", "allowed", "allow", "valid", "validate", "trusted", "permitted", "permit",
                              "whitelist", "whitelisted", "allowlist", "allowlisted", "ok", "in", "within", "inside",
                              "same", "local", "relative", "internal", "own", "known"})
_REJECTING_WORDS = frozenset({"unsafe", "invalid", "bad", "blocked", "block", "blocklist", "blacklist",
                              "blacklisted", "deny", "denied", "disallowed", "forbidden", "malicious", "dangerous",
                              "danger", "evil", "untrusted", "insecure", "external", "suspicious", "illegal",
                              "unknown", "foreign"})


def _name_polarity(func: ast.AST) -> int:
    """+1: a check named as accepting what it is given when it holds (`is_safe_url`, `SAFE_RE.match`, `in_domain`);
    -1: named as rejecting (`is_unsafe`, `BLOCKED.match`); 0: the name does not say."""
    words: list[str] = []
    node: ast.AST | None = func
    while isinstance(node, (ast.Attribute, ast.Name)):
        text = node.attr if isinstance(node, ast.Attribute) else node.id
        words += [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", text)]
        node = node.value if isinstance(node, ast.Attribute) else None
    if any(w in _REJECTING_WORDS for w in words):
        return -1
    if any(w in _ACCEPTING_WORDS for w in words):
        return 1
    return 0


def _atom_polarity(test: ast.AST) -> int:
    """+1 when the test (no `not`, `and`, `or`) holding means the check accepted the value, -1 when it means the
    check rejected it, 0 when that is not known."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)):  # `u in allowed` accepts; `".." in p` rejects
            found = -1 if isinstance(test.left, ast.Constant) else 1
            return found if isinstance(op, ast.In) else -found
        if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) \
                and isinstance(right.value, bool) and isinstance(test.left, ast.Call):  # `ok(u) is False`
            positive = right.value == isinstance(op, (ast.Eq, ast.Is))
            return _name_polarity(test.left.func) * (1 if positive else -1)
        return 0
    if isinstance(test, ast.Call):
        return _name_polarity(test.func)
    return 0


def _gap_of(outer: Taint, inner: Taint) -> tuple[str, frozenset[str]]:
    """The gap of a caller's taint carried through a helper's summary (the caller's first, as it came first)."""
    if outer.gap and inner.gap:
        return outer.through(inner.gap, inner.gap_skip).gap, outer.gap_skip & inner.gap_skip
    return (outer.gap, outer.gap_skip) if outer.gap else (inner.gap, inner.gap_skip)


def _origin_key(t: Taint) -> tuple:
    """Where a taint comes from: a parameter of the function being summarised (whatever steps it took since: a check
    of `urlparse(url).hostname` is a check of `url`), or the first step of request data read here."""
    if t.param is not None:
        return (t.param, None, t.label)
    return (t.param, t.steps[0].location if t.steps else None, t.label)


def _sink_args(node: ast.Call, entry, args: list[V], kwargs: dict) -> list[V]:
    if entry.when_keyword:
        flag = kwargs.get(entry.when_keyword)
        if flag is None or (flag.known and not flag.const):
            return []
    out = [args[p] for p in entry.positions if p < len(args) and not any(isinstance(a, ast.Starred) for a in node.args[:p + 1])]
    out += [kwargs[k] for k in entry.keywords if k in kwargs]
    return out
