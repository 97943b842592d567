"""The data-flow facts of one module, computed lazily: per-function flows, function summaries, and which
parameters receive untrusted data from the module's own call sites (or are sources themselves)."""

from __future__ import annotations

import ast
import re
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from ....codekind import is_test_path
from ....model import FlowStep
from .interp import _INLINE, _PROPERTIES, SERVER_SIDE, Flow, Taint, _short_name, _var_key
from .models import held_model, is_model, model_fields, parameter_families
from .shapes import fullmatch_families
from .spec import ALL, FAMILIES, Source, Spec, load_spec
from .values import V, const_v, expand, join, union
from ..module import (
    _CHILD_FIELDS, DJANGO_URLS_MARKS, LEAF_CLASSES, PyModule, _walk_scope, child_fields, child_nodes, named_parameter,
    node_location, push_children, resolve_repo_path,
)
from ..parse import ParseFailure, parse_python

if TYPE_CHECKING:
    from ..module import AnalysisState, ModuleFacts

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)
MAX_CALLER_SITES = 24
MAX_SUMMARY_DEPTH = 3
# Callers are followed up a chain of calls at most this many functions (what fills a parameter of f300 is what
# f299 passed, which is what f298 passed...): a 300-function chain must not exhaust the interpreter's stack.
MAX_CALLER_DEPTH = 16
HELPER_CACHE_SIZE = 32
SUMMARY_CACHE_SIZE = 4096  # summaries kept per process (AnalysisState.summaries), the most recently used
# AnalysisState.resolved_imports: a file's result depends on the files reachable through the imports its data flow
# resolved and on the answers themselves (the scan cache keys a file's result on them: file_dependencies).


class _Imported(NamedTuple):
    """A function imported from another module: `from module import name` (or `module.name`), at relative level."""

    module: str
    name: str
    level: int


@dataclass
class Summary:
    returns: V | None
    # (parameter name, sink family, taint from the parameter to the sink, what the sink is)
    param_sinks: list[tuple[str, str, Taint, str]] = field(default_factory=list)


class DataflowModule:
    def __init__(self, module: "PyModule", spec: Spec | None = None):
        self.module = module
        self.spec = spec or load_spec()
        self.names = module.names
        self.rel = module.file.rel
        self._admin_gates: dict[int, tuple[ast.AST, str]] = {}
        self._capabilities: dict[str, frozenset[str]] = {}  # a capability gate's phrase -> its sink families
        self._admin_views: bool | None = None
        self.collect_sinks = False
        self._flows: dict[int, Flow] = {}
        self._entries: dict[int, dict[str, V]] = {}
        self._entry_stack: set[int] = set()
        self._caller_limit_noted = False
        self._custom_resources: dict[int, bool] = {}  # handler id -> a CloudFormation custom resource's (memo)
        # (name, depth left, inline depth) -> (value, a summary was cut off, levels of summaries used)
        self._globals: dict[tuple[str, int, int], tuple[V, bool, int]] = {}
        self._globals_stack: set[str] = set()
        self._index_built = False
        self._defs_built = False
        self._method_names: set[str] = set()
        self.top: dict[str, ast.AST] = {}
        self.classes: dict[str, dict[str, ast.AST]] = {}
        self.owner: dict[int, ast.ClassDef] = {}
        self._class_constants: dict[tuple[int, str], str | None] = {}
        self._setters: dict[str, list[ast.AST]] | None = None  # (class_constant's)
        self.call_sites: dict[int, list[tuple[ast.Call, ast.AST]]] = {}
        self._imports: dict[str, tuple[str, str | None, int]] | None = None
        self._other: dict[str, Any] = {}
        # id(call) -> (call, scope, the summary of the helper of another module it hands data to, or None): the
        # package's indirect_sinks, asked by every sink family's check of every call
        self.indirect_helpers: dict[int, tuple[ast.Call, ast.AST, Any]] = {}
        self._has_source: dict[int, bool] = {}
        self._direct: dict[int, bool] = {}
        self._param_sources: dict[int, tuple[ast.AST, dict[str, V]]] = {}
        self._module_source: bool | None = None
        self._paths: dict[str, str | None] = {}
        self._model_consts: dict[str, ast.AST] | None = None
        self.model_fields_memo: dict[int, dict[str, frozenset[str]]] = {}  # (models.py)
        self._model_pairs: dict[str, Any] = {}

    def clear(self) -> None:
        """Forget every computed flow, summary and entry (each is computed again if asked for)."""
        for cache in (self._flows, self._entries, self._globals, self._has_source, self._direct, self._param_sources,
                      self._other, self.indirect_helpers, self.model_fields_memo, self._model_pairs):
            cache.clear()

    # --- small helpers ----------------------------------------------------------------------------------------
    def file_line(self, n: int) -> str:
        return self.module.file.line(n)

    def is_local(self, scope: ast.AST, name: str) -> bool:
        if not isinstance(scope, FunctionNode):
            return False
        return name in self.module.bindings(scope)

    def imported_locally(self, scope: ast.AST, name: str) -> bool:
        """`def view(): import html` binds `html` only by imports: it resolves like a module-level import."""
        if not isinstance(scope, FunctionNode):
            return False
        bound = self.module.bindings(scope).get(name)
        return bool(bound) and all(isinstance(v, (ast.Import, ast.ImportFrom)) for v in bound)

    def flow(self, scope: ast.AST) -> Flow:
        key = id(scope)
        if key not in self._flows:
            self._flows[key] = Flow(self, scope).run()
        return self._flows[key]

    # --- the index: functions, methods, call sites ------------------------------------------------------------
    def _build_defs(self) -> None:
        """The module's top-level functions and its classes' methods (cheap: the module body only)."""
        if self._defs_built:
            return
        self._defs_built = True
        for node in self.module.tree.body:
            if isinstance(node, FunctionNode):
                self.top[node.name] = node
            elif isinstance(node, ast.ClassDef):
                methods = {}
                for item in node.body:
                    if isinstance(item, FunctionNode):
                        methods[item.name] = item
                        self.owner[id(item)] = node
                self.classes[node.name] = methods
                self._method_names.update(methods)

    def class_constant(self, fn: ast.AST | None, attr: str) -> str | None:
        """`self.API_URL` in a method of a class whose body sets `API_URL = "https://..."` and that nothing in the
        module sets again (no `x.API_URL = ...`, no other class of the module with its own `API_URL`): that text
        (nefarious' `self.API_URL.format(type=...)`)."""
        self._build_defs()
        cls = self.owner.get(id(fn)) if fn is not None else None
        if cls is None:
            return None
        memo = self._class_constants
        key = (id(cls), attr)
        if key not in memo:
            values = [s.value.value for s in cls.body if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None
                      and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
                      and any(isinstance(t, ast.Name) and t.id == attr
                              for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))]
            found = values[0] if len(values) == 1 else None
            if found is not None and any(node is not cls for node in self._attribute_setters().get(attr, ())):
                found = None
            memo[key] = found
        return memo[key]

    def _attribute_setters(self) -> dict[str, list[ast.AST]]:
        """name -> the nodes of the module that may set an attribute of that name: `x.name = ...` (an attribute
        stored) and each class whose body assigns `name = ...`. One walk of the module, on the first class constant
        found (class_constant asked one walk per constant)."""
        if self._setters is None:
            setters: dict[str, list[ast.AST]] = {}
            stack: list[ast.AST] = [self.module.tree]
            pop, push, leaves, fields_of, AST = stack.pop, stack.append, LEAF_CLASSES, _CHILD_FIELDS.get, ast.AST
            Attribute, ClassDef, Assign, Name, Store = ast.Attribute, ast.ClassDef, ast.Assign, ast.Name, ast.Store
            while stack:
                node = pop()
                cls = node.__class__
                if cls is Attribute:
                    if isinstance(node.ctx, Store):
                        setters.setdefault(node.attr, []).append(node)
                elif cls is ClassDef:
                    for name in {t.id for s in node.body if isinstance(s, Assign) for t in s.targets
                                 if isinstance(t, Name)}:
                        setters.setdefault(name, []).append(node)
                for name in fields_of(cls) or child_fields(cls):
                    value = getattr(node, name, None)
                    for child in value if value.__class__ is list else (value,):
                        if isinstance(child, AST) and child.__class__ not in leaves:
                            push(child)
            self._setters = setters
        return self._setters

    def _build_index(self) -> None:
        """The call sites of the module's own functions (a walk of the whole tree: only when callers matter)."""
        if self._index_built:
            return
        self._index_built = True
        self._build_defs()
        tree = self.module.tree
        stack: list[tuple[ast.AST, ast.AST, ast.ClassDef | None]] = [(tree, tree, None)]
        pop, push = stack.pop, stack.append
        functions, Call, ClassDef, leaves, AST = FunctionNode, ast.Call, ast.ClassDef, LEAF_CLASSES, ast.AST
        fields_of = _CHILD_FIELDS.get
        # (a call has a static target only through a name of a top-level function or an attribute named as some
        # class's method: _static_target is asked about those calls alone)
        Name, Attribute, top, method_names = ast.Name, ast.Attribute, self.top, self._method_names
        while stack:
            node, scope, cls = pop()
            # (push_children inlined: each child, in field order)
            fields = fields_of(node.__class__)
            for name in fields if fields is not None else child_fields(node.__class__):
                value = getattr(node, name, None)
                for child in value if value.__class__ is list else (value,):
                    child_cls = child.__class__
                    if child_cls in leaves or not isinstance(child, AST):
                        continue  # (no call under a name or a constant; None, a name's text)
                    if child_cls is Call:
                        func = child.func
                        target = self._static_target(func, scope, cls) if (
                            func.__class__ is Attribute and func.attr in method_names) or (
                            func.__class__ is Name and func.id in top) else None
                        if target is not None:
                            sites = self.call_sites.setdefault(id(target), [])
                            if len(sites) < MAX_CALLER_SITES:
                                sites.append((child, scope))
                        push((child, scope, cls))
                    elif child_cls in functions:
                        push((child, child, cls))
                    elif child_cls is ClassDef:
                        push((child, scope, child))
                    else:
                        push((child, scope, cls))

    def _static_target(self, func: ast.AST, scope: ast.AST, cls: ast.ClassDef | None) -> ast.AST | None:
        if isinstance(func, ast.Name) and func.id in self.top and not self.is_local(scope, func.id):
            return self.top[func.id]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") \
                and cls is not None:
            return self.classes.get(cls.name, {}).get(func.attr)
        if isinstance(func, ast.Attribute) and func.attr in self._method_names:  # Reports().run(x), or
            instance = func.value  # reports = Reports(); reports.run(x)
            if isinstance(instance, ast.Name) and isinstance(scope, FunctionNode):
                declared = _declared_class(scope, instance.id)
                if declared in self.classes and not self.module.value_of(instance.id, scope):
                    # `def view(path, fh: FileHandler = Depends())`, `def helper(fh: FileHandler, p)`: a parameter
                    # declared as an instance of a class of this module
                    return self.classes[declared].get(func.attr)
                instance = self.module.value_of(instance.id, scope)
            if isinstance(instance, ast.Call) and isinstance(instance.func, ast.Name) and instance.func.id in self.classes:
                return self.classes[instance.func.id].get(func.attr)
        return None

    # --- entries: what a function's parameters hold -----------------------------------------------------------
    def entry_env(self, fn: ast.AST, summary: bool) -> dict[str, V]:
        self._build_defs()
        params = _params(fn)
        sources = self.param_sources(fn)
        callers = {} if summary else self.entry(fn)
        env: dict[str, V] = {}
        for p in params:
            value = sources.get(p.arg)
            if summary and not (p is params[0] and id(fn) in self.owner and p.arg in ("self", "cls")):
                value = join(value, V(taints=(Taint((), param=p.arg),)))
            elif p.arg in callers:
                value = join(value, callers[p.arg])
            env[p.arg] = value if value is not None else V()
        return env

    def param_sources(self, fn: ast.AST) -> dict[str, V]:
        """A function's parameters that hold untrusted data -> what they hold (shared: never changed by a caller).
        Kept by the function, with the function (its id alone could be reused): the screens ask for every function
        of a module (module_may_have_source), then again for each scope and summary; the answer depends only on
        the function and the scan's facts."""
        hit = self._param_sources.get(id(fn))
        if hit is not None and hit[0] is fn:
            return hit[1]
        out = self._param_sources_of(fn)
        self._param_sources[id(fn)] = (fn, out)
        return out

    def _param_sources_of(self, fn: ast.AST) -> dict[str, V]:
        out: dict[str, V] = {}
        args = fn.args  # type: ignore[attr-defined]
        positional = [*args.posonlyargs, *args.args]
        params = _params(fn)
        is_method = id(fn) in self.owner
        for src in self.spec.sources:
            if src.lambda_event and not is_method and positional and fn in self.module.tree.body \
                    and self.module.handler_of(fn) == fn.name:  # type: ignore[attr-defined]
                out[positional[0].arg] = self._param_source(positional[0], src.label, self._event_trust(fn))
            if src.parameters or src.annotations:
                for p in params:
                    if (_annotation(p) in src.annotations or
                            (p.annotation is not None and self.names.qualname(p.annotation) in src.annotations) or
                            p.arg in src.parameters and self.module.facts.web_framework()) \
                            and not self._own_class(p.annotation):
                        # (by its name alone only where the repository serves web requests: in an HTTP client or
                        # a command-line program, `def _send(self, request)` is the program's outgoing request)
                        out[p.arg] = V(obj=src)
            if src.decorators and self._decorated(fn, src.decorators):
                typed = _typed_route_parameters(fn)
                # (Flask and Quart fill a view's arguments from its rules' variables only: a parameter with a
                # default that no rule names is filled by a decorator or keeps its default, geovisio §3w)
                named = _route_variables(fn) if not self._fastapi() else None
                for p in params:
                    if (p.arg in src.skip_parameters and not self._own_class(p.annotation)) \
                            or _annotation(p) in src.skip_annotations or p.arg in out:
                        continue  # (`request: ProxyRequest`, a model of the module's: the body, lollms)
                    if named is not None and p.arg not in named:
                        continue
                    if p.arg in typed or _annotation(p) in _SCALAR_ANNOTATIONS:
                        # `<int:sid>`, `sid: int`: request data, but a number cannot carry an injection
                        out[p.arg] = self._param_source(p, src.label, self.admin_gate(fn)).mapped(
                            lambda t: t.clean(frozenset({"all"})))
                        continue
                    default = _default_of(fn, p)
                    if self._framework_built(fn, p, src):
                        continue
                    value = self._body_model(p, self._param_source(p, src.label, self.admin_gate(fn)))
                    if (isinstance(default, ast.Call) and _short(default.func) == "Cookie") or \
                            self._injected(p.annotation, {"Cookie"}):
                        # FastAPI's `Cookie()` parameter: what the browser already holds, as `request.cookies`
                        value = value.mapped(lambda t: t.clean(frozenset({"cookie"})))
                    if self._fastapi():
                        # FastAPI validates a parameter by its declaration (Flask and Django read none of it)
                        fams = parameter_families(p.annotation, default, self)
                        value = value.mapped(lambda t, fams=fams: t.clean(fams)) if fams else value
                    out[p.arg] = value
            if src.first_parameter:
                rest = positional[1:] if is_method else positional
                first = rest[0] if rest else None
                # (a method of a plain class is no view: a Django view class derives from View; RDMO's
                # `class OauthProviderMixin: def get(self, request, url)` is an HTTP client's helper)
                is_view = (not is_method and fn in self.module.tree.body) or \
                    (is_method and getattr(fn, "name", "") in ("get", "post", "put", "patch", "delete", "dispatch", "head")
                     and bool(self.owner[id(fn)].bases))
                # `def helper(request=None, config=None)`: a view's request is never optional; nor does a view
                # declare that it returns plain data (`def update(request, target: str, ...) -> str`): a view returns
                # a response
                if first is not None and first.arg in src.first_parameter and is_view and _default_of(fn, first) is None \
                        and _may_be_http_request(first) \
                        and not _returns_plain_data(fn) and not _template_library_function(fn) \
                        and not (not is_method and len(params) > 1 and self._unrouted(fn)):
                    loaded = self._decorator_loaded(fn, positional)
                    for p in params:
                        if p is first or p.arg in ("self", "cls") or p.arg in out or p.arg in src.skip_parameters:
                            continue
                        if p.arg in loaded:
                            continue  # a repository decorator computed it (`@load_version` passes the loaded row)
                        if _annotation(p) in src.skip_annotations or self._framework_built(fn, p, src):
                            continue  # a FastAPI dependency (`Annotated[..., Depends(security)]`): no URL capture
                        routed = self._route_capture(fn, p.arg)
                        if routed == "absent":
                            continue  # no route of the view captures it: its default, or a caller's argument
                        out[p.arg] = self._param_source(p, "URL parameter", self.admin_gate(fn))
                        if isinstance(routed, frozenset) and routed:
                            # `<int:pk>`, `(?P<pk>\d+)`: digits, a UUID or a slug, nothing more (every family);
                            # `(?P<username>[\w.@+-]+)`: no markup, quote or space (the families it keeps out)
                            out[p.arg] = out[p.arg].mapped(lambda t, routed=routed: t.clean(routed))
        # (a security scheme's dependency is a call: a default, or an element of an `Annotated[...]` annotation;
        # a function with neither has none, and its parameters are not asked one by one)
        Call = ast.Call
        depends = any(d.__class__ is Call for d in args.defaults) or any(d.__class__ is Call for d in args.kw_defaults) \
            or any(p.annotation.__class__ is ast.Subscript for p in params)
        for p in params if depends else ():
            scheme = self._credential_dependency(fn, p) if p.arg not in out else None
            if scheme is not None:
                out[p.arg] = self._param_source(p, "credential the request carried", self.admin_gate(fn))
                if scheme != "APIKeyQuery":  # a header or a cookie: what the victim's browser sends on its own, which
                    # no other site chooses (no reflected XSS, redirect or fixation); any sender chooses its own
                    out[p.arg] = out[p.arg].mapped(lambda t: t.clean(_BROWSER_SENT))
        return out

    def _credential_dependency(self, fn: ast.AST, p: ast.arg) -> str | None:
        """`token: str = Depends(oauth2_scheme)` (also `Security(...)`, `Annotated[str, Depends(...)]`) where the
        dependency is one of FastAPI's security schemes (`oauth2_scheme = OAuth2PasswordBearer(...)`, HTTPBearer,
        the APIKey* readers): the token, key or credentials the request carried, in any function (a dependency
        function like `get_current_user` is no route). The scheme's class name, else None."""
        default = _default_of(fn, p)
        calls = [default] if isinstance(default, ast.Call) else []
        if isinstance(p.annotation, ast.Subscript) and isinstance(p.annotation.slice, ast.Tuple):
            calls += [e for e in p.annotation.slice.elts[1:] if isinstance(e, ast.Call)]
        for call in calls:
            if _short(call.func) not in ("Depends", "Security") or not call.args:
                continue
            scheme = call.args[0]
            if isinstance(scheme, ast.Name):
                scheme = self.module.value_of(scheme.id, None)
            if isinstance(scheme, ast.Call) and _short(scheme.func) in _CREDENTIAL_SCHEMES:
                return _short(scheme.func)
        return None

    def _decorator_loaded(self, fn: ast.AST, positional: list[ast.arg]) -> frozenset[str]:
        """The view's parameters a repository decorator fills with values of its own: `def load_version(view_fn):
        def wrapped(request, codelist_slug, tag_or_hash, **kw): version = ...; return view_fn(request, version, **kw)`
        passes `version`, a name its wrapper binds rather than one of its own parameters (opencodelists §3ae): the
        view's second parameter is that loaded row, not a URL capture."""
        out: set[str] = set()
        for d in getattr(fn, "decorator_list", ()):
            if not isinstance(d, (ast.Name, ast.Attribute)):
                continue
            try:
                found = self.callee(d, self.module.tree, {})
            except Exception:  # noqa: BLE001 - a decorator we cannot read fills nothing we know of
                found = None
            deco = found[1] if found is not None else None
            if not isinstance(deco, ast.FunctionDef) or len(deco.args.args) != 1:
                continue
            wrapped_name = deco.args.args[0].arg
            for inner in deco.body:
                if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                own = {a.arg for a in (*inner.args.posonlyargs, *inner.args.args, *inner.args.kwonlyargs)}
                for call in ast.walk(inner):
                    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                            and call.func.id == wrapped_name):
                        continue
                    for i, arg in enumerate(call.args):
                        if isinstance(arg, ast.Starred):
                            break
                        if isinstance(arg, ast.Name) and arg.id not in own and i < len(positional):
                            out.add(positional[i].arg)
                    out.update(k.arg for k in call.keywords
                               if k.arg and isinstance(k.value, ast.Name) and k.value.id not in own)
        return frozenset(out)

    def _framework_built(self, fn: ast.AST, p: ast.arg, src) -> bool:
        """A parameter the framework fills from a dependency (`x = Depends(...)`, `Annotated[T, Security(...)]`)."""
        markers = {d.rsplit(".", 1)[-1] for d in src.skip_defaults}
        default = _default_of(fn, p)
        if isinstance(default, ast.Call) and (self.names.qualname(default.func) or "").rsplit(".", 1)[-1] in markers:
            return True
        return self._injected(p.annotation, markers)

    def _body_model(self, p: ast.arg, value: V) -> V:
        """A route parameter annotated with a pydantic model of this module or a repository module (FastAPI's
        request body), or a list of them: its taint carries the fields whose declared type or pattern makes them
        clean (models.py)."""
        name = held_model(p.annotation)  # (also the values of `dict[str, Model]`)
        return self.model_value(name, value) if name is not None else value

    def _fastapi(self) -> bool:
        return any(m.split(".", 1)[0] == "fastapi" for m, _, level in self.imports().values() if not level)

    def model_value(self, name: str, value: V) -> V:
        """`value` as an instance of the model `name` means here (a body FastAPI validated, `Model(**data)`,
        `Model.model_validate(data)`): its taints carry the model's clean fields; unchanged if `name` is no model."""
        pairs = self.model_pairs(name)
        return value.mapped(lambda t: replace(t, fields=pairs)) if pairs else value

    def model_pairs(self, name: str) -> "tuple[tuple[str, frozenset[str]], ...] | None":
        """The clean fields (Taint.fields) of the pydantic model `name` means here; None if it is no model."""
        if name not in self._model_pairs:
            found = self.model_class(name)
            self._model_pairs[name] = None if found is None or not is_model(found[1], found[0]) else \
                tuple(sorted(model_fields(found[1], found[0]).items()))
        return self._model_pairs[name]

    def model_class(self, name: str) -> "tuple[DataflowModule, ast.ClassDef] | None":
        """The class `name` means in this module: defined here, or imported from a repository module."""
        cls = self._class_def(name)
        if cls is not None:
            return self, cls
        other, cls = self._reexported_class(name)
        return (other, cls) if other is not None and cls is not None else None

    def model_consts(self) -> dict[str, ast.AST]:
        """The module's top-level assignments of one name: name -> value."""
        if self._model_consts is None:
            self._model_consts = {}
            for node in self.module.tree.body:
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            self._model_consts[t.id] = node.value
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                    self._model_consts[node.target.id] = node.value
        return self._model_consts

    def model_alias(self, name: str) -> "tuple[DataflowModule, ast.AST] | None":
        """What a module-level name of this module, or one imported from a repository module, is assigned
        (`SLUG_RE = re.compile(...)`, `Slug = Annotated[str, ...]`): (the module assigning it, the value)."""
        consts = self.model_consts()
        if name in consts:
            return self, consts[name]
        imported = self.imports().get(name)
        if imported is not None and imported[1] is not None:
            other = self._repo_module(imported[0], imported[2])
            value = other.model_consts().get(imported[1]) if other is not None else None
            if value is not None and other is not None:
                return other, value
        return None

    def model_function(self, func: ast.AST) -> "tuple[DataflowModule, ast.AST] | None":
        """The function a validator calls by name (`is_snake_case(v)`, `helpers.is_slug(v)`): this module's own,
        or a repository module's."""
        self._build_defs()
        if isinstance(func, ast.Name):
            if func.id in self.top:
                return self, self.top[func.id]
            imported = self.imports().get(func.id)
            if imported is not None and imported[1] is not None:
                return self._repo_function(imported[0], imported[1], imported[2])
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            imported = self.imports().get(func.value.id)
            if imported is not None:
                module = imported[0] if imported[1] is None else f"{imported[0]}.{imported[1]}"
                return self._repo_function(module, func.attr, imported[2])
        return None

    def _injected(self, ann: ast.AST | None, markers: set[str], depth: int = 0) -> bool:
        """A FastAPI dependency declared by its type: `Annotated[Session, Depends(get_db)]`, written in place or
        as an alias (`DbSession = Annotated[...]`) of this module or of the repository module it is imported from.
        The framework builds the value (a database session, the current user); the request does not send it."""
        if ann is None or depth > 2:
            return False
        if isinstance(ann, ast.Subscript):
            if (_annotation(ast.arg(arg="", annotation=ann.value)) or "") != "Annotated":
                return False
            extras = ann.slice.elts[1:] if isinstance(ann.slice, ast.Tuple) else []
            return any(isinstance(e, ast.Call) and (_short(e.func) or "") in markers for e in extras)
        if isinstance(ann, ast.Name):
            value = self.module.value_of(ann.id, None)
            if value is not None:
                return self._injected(value, markers, depth + 1)
            imported = self.imports().get(ann.id)
            if imported is not None and imported[1] is not None:
                other = self._repo_module(imported[0], imported[2])
                if other is not None:
                    return other._injected(ast.Name(id=imported[1]), markers, depth + 1)
        return False

    def _own_class(self, annotation: ast.AST | None) -> bool:
        """`req: Request` where `Request` is a class of the repository's own (defined in this module or imported
        relatively: `from .kuzu_protocol import Request`, cognee's worker protocol, §3w), not a web framework's."""
        while isinstance(annotation, ast.Subscript):  # `Optional[Request]`
            annotation = annotation.slice.elts[0] if isinstance(annotation.slice, ast.Tuple) and annotation.slice.elts \
                else annotation.slice
        if not isinstance(annotation, ast.Name):
            return False
        found = self.names.imports.get(annotation.id)
        return bool(found and found[2] > 0) or (found is None and annotation.id in self.names.defined)

    def _unrouted(self, fn: ast.AST) -> bool:
        """`def redirect_with_query(request, redirect_url)` in a module of a Django app (a router, a module calling
        `path(...)`/`re_path(...)`/`url(...)` that imports django.urls or django.conf.urls, sits in its directory or
        one above) where no router of the repository names a function so called, and the repository's code (tests
        aside) calls it: a helper views call, not a view, so its other parameters are no URL captures (a caller in
        another module that passes request data to it is reported there, through the helper's summary). A function
        nothing calls stays a view (it may be registered some other way: a setting naming it, a plugin), wherever its
        module sits (karaage's `common/create_update.py` generic views that other views call with their own
        arguments, RDMO's `core/utils.py` beside routers in `urls/` packages). In a repository without any Django router (a Werkzeug,
        Pyramid or home-made framework whose views also take `request` first), the callers alone decide: MediaGoblin's
        `def redirect(request, *args, **kwargs)` that every view calls is a helper."""
        facts, state = self.module.facts, self.module.state
        routers, routed, _ = self._django_routes()
        name = getattr(fn, "name", "")
        if name in routed:
            self._depends_on(routers)
            return False
        callers = state.helper_callers
        if name not in callers:
            callers[name] = _callers(facts.files, name, state)
        # the verdict depends on the routers and on the callers found: a cached result goes when one changes (a
        # caller added elsewhere later leaves a stale verdict that reports more, never less)
        self._depends_on(routers + callers[name])
        return any(_may_call_into(facts.files, rel, self.rel) for rel in callers[name])

    def _django_routes(self) -> tuple[tuple[str, ...], frozenset[str], "RouteCaptures"]:
        """django_routes of the repository, worked out once per scan process (AnalysisState.django_routes)."""
        state = self.module.state
        if state.django_routes is None:
            state.django_routes = django_routes(self.module.facts.files)
        return state.django_routes

    def _route_capture(self, fn: ast.AST, parameter: str) -> frozenset[str] | str | None:
        """What the repository's Django routes say of a view's parameter (RouteCaptures.of)."""
        routers, _, captures = self._django_routes()
        found = captures.of(getattr(fn, "name", ""), parameter)
        if found is not None:
            self._depends_on(routers)
        return found

    def _depends_on(self, rels: tuple[str, ...]) -> None:
        facts = self.module.facts
        if not facts.record_imports:
            return
        recorded = self.module.state.resolved_imports.setdefault(self.rel, set())
        for rel in rels:
            module = rel[:-len(".py")].replace("/", ".")
            if resolve_repo_path(facts.files, self.rel, module, _FROM_ROOT) == rel:
                recorded.add((module, _FROM_ROOT, rel))

    def _param_source(self, p: ast.arg, label: str, trust: str = "") -> V:
        loc = node_location(self.module.file, p)
        families = self.trust_families(trust)
        return V(taints=(Taint((FlowStep(loc, f"source: `{p.arg}` ({label})"),), label=label, trust=trust,
                               trust_families=families),))

    def admin_gate(self, fn: ast.AST) -> str:
        """"" unless the view `fn` declares that only administrators may call it, then a phrase naming the
        declaration: a decorator (`@admin_required`, `@staff_member_required`, `@user_passes_test(lambda u:
        u.is_superuser)`, `@require_role("admin")`) or a FastAPI dependency of its route or parameters
        (`dependencies=[Depends(require_role(["admin"]))]`). A role list naming any other role is no such gate."""
        memo = self._admin_gates
        hit = memo.get(id(fn))
        if hit is not None and hit[0] is fn:
            return hit[1]
        found = ""
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            gates = [(d, "@") for d in fn.decorator_list]
            for d in fn.decorator_list:
                if isinstance(d, ast.Call):
                    gates += [(dep, "") for kw in d.keywords if kw.arg == "dependencies"
                              and isinstance(kw.value, (ast.List, ast.Tuple)) for dep in kw.value.elts]
            gates += [(d, "") for d in [*fn.args.defaults, *fn.args.kw_defaults] if d is not None]
            for written, at in gates:
                gate = written
                if isinstance(gate, ast.Call) and _short(gate.func) in ("Depends", "Security") and gate.args:
                    gate = gate.args[0]
                if _admin_only(gate):
                    found = f"{ADMIN_TRUST} (`{at}{ast.unparse(written)[:80]}`)"
                    break
            if not found:
                found = self._capability_gate(fn)
            if not found and id(fn) in self.owner:
                found = _admin_class(self.owner[id(fn)])
            if not found and not fn.decorator_list and fn in self.module.tree.body:
                found = self._admin_helper(fn)
        memo[id(fn)] = (fn, found)
        return found

    def trust_families(self, trust: str) -> frozenset[str] | None:
        """The sink families a gate's trust (admin_gate's phrase) concerns: every sink acting on the server for an
        administrators' view, the sinks its capability names for a permission's (see _capability_gate)."""
        if trust.startswith(ADMIN_TRUST):
            return SERVER_SIDE
        return self._capabilities.get(trust) if trust else None

    def _capability_gate(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """"" unless a decorator of the view `fn` admits only users granted a permission named for a capability
        (`@authorize("filesystem:write")`, `@permission_required("files.change_file")`,
        `@requires_permission("terminal:scripts")`), then a phrase naming it; the sink families that capability is
        (files: path; a terminal, shell, script or command: shell, process and code) are kept for trust_families.
        A file manager's users naming any path, a terminal's running any command, is what the permission grants."""
        for d in fn.decorator_list:
            if not isinstance(d, ast.Call) or not _PERMISSION_CHECK.search(_short(d.func) or ""):
                continue
            names = [a.value for a in [*d.args, *(k.value for k in d.keywords)]
                     if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            words = {w for n in names for w in re.split(r"[^a-z]+", n.lower()) if w}
            families = frozenset(f for f, vocabulary in _CAPABILITIES if words & vocabulary)
            if families:
                found = f"{CAPABILITY_TRUST} `{names[0]}` (`@{ast.unparse(d)[:80]}`)"
                self._capabilities[found] = families
                return found
        return ""

    def _admin_helper(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """A module function without decorators (no view itself) that only administrators' views call: every call
        of it in the repository (test code aside) is in this module, inside a top-level function whose own
        declaration admits administrators only (`def pathchooser(): ...` called by `@admin_required def
        ajax_pathchooser(): return pathchooser()`)."""
        if self._admin_views is None:  # (a necessary condition, cheap: an administrators' view in this module)
            self._admin_views = any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.decorator_list
                                    and self.admin_gate(n) for n in self.module.tree.body)
        if not self._admin_views:
            return ""
        state = self.module.state
        if fn.name not in state.helper_callers:
            state.helper_callers[fn.name] = _callers(self.module.facts.files, fn.name, state)
        self._depends_on(state.helper_callers[fn.name])
        if state.helper_callers[fn.name] != (self.rel,):
            return ""
        gates = []
        for outer in self.module.tree.body:
            calls = [n for n in ast.walk(outer) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                     and n.func.id == fn.name]
            if not calls:
                continue
            if outer is fn or not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)) or not outer.decorator_list:
                return ""  # called at module level, recursively, or from another undecorated function
            gate = self.admin_gate(outer)
            if not gate:
                return ""
            gates.append(f"`{outer.name}`")
        return f"{ADMIN_TRUST} (called only by {', '.join(gates)}, declared for administrators only)" if gates else ""

    def _event_trust(self, fn: ast.AST) -> str:
        """Who writes a Lambda handler's event: "" (a caller's request, or not known) unless a template shows that
        only the account's own services invoke it (ModuleFacts.internal_handlers), then those services."""
        triggers = self.module.facts.internal_handlers.get(self.rel, {}).get(getattr(fn, "name", ""))
        if triggers:
            return f"an event only the account's own services send ({', '.join(triggers)})"
        known = self._custom_resources.get(id(fn))
        if known is None:
            known = self._custom_resources[id(fn)] = self._custom_resource(fn)
        return CUSTOM_RESOURCE_TRUST if known else ""

    def _custom_resource(self, fn: ast.AST) -> bool:
        """A CloudFormation custom resource's handler: it (or a module function it calls) reads the event's
        `RequestType` / `ResourceProperties` / `OldResourceProperties`, sends the event to `cfnresponse.send`, or the
        module serves it with crhelper's `CfnResource` / `cfn_resource`. Not when the same code reads a field
        API Gateway or a queue fills (`body`, `queryStringParameters`, `Records`...): then it serves callers too."""
        name = getattr(fn, "name", "")
        scopes = [f for f in self.module.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and (f is fn or self.module.handler_of(f) == name)]
        protocol = False
        for scope in scopes:
            for node in ast.walk(scope):
                key = None
                if isinstance(node, ast.Subscript):
                    key = node.slice
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                    if node.func.attr == "get":
                        key = node.args[0]
                    elif node.func.attr == "send" and "cfn" in _dotted(node.func.value).lower():
                        protocol = True  # cfnresponse.send(event, context, ...), cfn_response.send(...)
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if key.value in _CALLER_EVENT_FIELDS:
                        return False
                    protocol = protocol or key.value in _CUSTOM_RESOURCE_FIELDS
        if protocol:
            return True
        return any(isinstance(n, (ast.Import, ast.ImportFrom)) and any(
            m.split(".")[0] in _CUSTOM_RESOURCE_LIBRARIES
            for m in ([a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]))
            for n in self.module.tree.body)

    def _decorated(self, fn: ast.AST, names: frozenset[str]) -> bool:
        for d in getattr(fn, "decorator_list", ()):
            target = d.func if isinstance(d, ast.Call) else d
            last = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
            if last in names:
                return True
        return False

    def self_attribute_source(self, attr: str) -> Source | None:
        if not self.module.facts.web_framework():
            return None  # `self.request` of a class-based view: only where the repository serves web requests
        for src in self.spec.sources:
            if src.self_attribute and src.self_attribute == attr:
                return src
        return None

    def entry(self, fn: ast.AST) -> dict[str, V]:
        """Parameters that this module's own call sites fill with untrusted data (taints only, no constants: other
        modules may call the function too)."""
        key = id(fn)
        if key in self._entries:
            return self._entries[key]
        self._build_index()
        if key in self._entry_stack:
            return {}
        if len(self._entry_stack) >= MAX_CALLER_DEPTH:
            if not self._caller_limit_noted:
                self._caller_limit_noted = True
                self.module.state.notice(
                    f"the data flow followed callers {MAX_CALLER_DEPTH} functions up a call chain and went no further "
                    "(limit): a source more calls away is not traced", self.module.file.rel, "note", "analysis-limit",
                    getattr(fn, "lineno", None))
            return {}
        if not self._callers_may_taint(fn):
            # no flow of a caller (at any distance) can hold untrusted data: nothing to interpret
            self._entries[key] = {}
            return {}
        self._entry_stack.add(key)
        result: dict[str, V] = {}
        try:
            for call, scope in self.call_sites.get(key, []):
                flow = self.flow(scope)
                recorded = flow.call_args.get(id(call))
                if recorded is None:
                    continue
                bound = self.bind_args(fn, *recorded, via_self=isinstance(call.func, ast.Attribute))
                st = FlowStep(flow.loc(call), f"passed to `{getattr(fn, 'name', '?')}()`")
                for name, v in bound.items():
                    taints = v.deep()
                    if taints:
                        if fn.args.kwarg is not None and name == fn.args.kwarg.arg and v.keys is not None \
                                and not v.taints:  # type: ignore[attr-defined]
                            # `**kwargs` holds exactly the keywords this caller passed: kept by keyword, so that
                            # `kwargs.pop("location")` after `helper(request, "route", user=u)` is nothing of `u`
                            carried = V(keys={k: V(taints=tuple(t.step(st) for t in x.deep() if t.param is None))
                                              for k, x in v.keys.items()})
                        else:
                            carried = V(taints=tuple(t.step(st) for t in taints if t.param is None))
                            carried.lead = v.lead  # `helper("/" + path)`: text that starts with `/`
                        if carried.deep():
                            result[name] = join(result.get(name), carried)
        finally:
            self._entry_stack.discard(key)
        self._entries[key] = result
        return result

    # --- can untrusted data arise at all? (what spares entry() the callers' flows) --------------------------
    # Untrusted data (a taint with no parameter, or a request object) enters a flow only where Flow makes it: a
    # source parameter (param_sources), a request object named by its qualified name or as `self.<attribute>`
    # (object and self-attribute sources, also through a module-level name global_value evaluates), a summary of a
    # called function that carries one of its own (a summary nests at most MAX_SUMMARY_DEPTH deep, so only
    # functions that many calls away count), a method of a class of this module interpreted inline (instance_call),
    # a property of a model interpreted inline (property_read, on an object built by `Model(a=...)`), and the
    # callers' entries. A new way for untrusted data to enter a flow must be added here too (tests/
    # test_dataflow_demand.py has one test per way). The functions below answer "may any of these be there?" from the code alone, resolving
    # calls as Flow does (the same `callee`, local-only where Flow is): False means no flow of these scopes can
    # hold untrusted data, whatever the order things are computed in (summaries are pure: see summary()).
    def scope_may_hold_untrusted(self, scope: ast.AST) -> bool:
        """May a flow of `scope` (a function, or the module's top-level code, as Flow interprets it for a check)
        hold untrusted data: a source of its own, one its code can produce (summaries, module-level names, classes
        interpreted inline), or a caller's? False is certain (the answers entry() relies on), and then no verdict in
        the scope is tainted: a check that reports tainted verdicts only need not interpret it."""
        return self._direct_source(scope) or self._scope_may_taint(scope) or (
            isinstance(scope, FunctionNode) and self._callers_may_taint(scope))

    def _callers_may_taint(self, fn: ast.AST) -> bool:
        """Some scope among the callers of `fn` in this module (their callers, ...) may hold untrusted data."""
        return self._some_caller(fn, lambda caller: self._direct_source(caller) or self._scope_may_taint(caller))

    def _some_caller(self, fn: ast.AST, test: Any) -> bool:
        """Some scope on a chain of this module's call sites leading to `fn` passes `test`."""
        self._build_index()
        seen = {id(fn)}
        todo = [fn]
        while todo:
            for _, caller in self.call_sites.get(id(todo.pop()), []):
                if id(caller) in seen:
                    continue
                seen.add(id(caller))
                if test(caller):
                    return True
                todo.append(caller)
        return False

    def _scope_may_taint(self, scope: ast.AST) -> bool:
        key = ("scope-may-taint", id(scope))
        hit = self._other.get(key)
        if hit is None or hit[0] is not scope:
            found = self._code_may_taint(child_nodes(scope), scope, MAX_SUMMARY_DEPTH, False, {}, [False])
            hit = self._other[key] = (scope, found)
        return hit[1]

    def _code_may_taint(self, nodes: list[ast.AST], scope: ast.AST, left: int, summarised: bool,
                        seen: dict, cyclic: list[bool]) -> bool:
        """May interpreting `nodes` (in `scope`, calls summarised with `left` levels left; `summarised`: in a
        summary's flow, which follows calls into other files even where the module has no source) produce untrusted
        data of its own? Nested functions and lambdas are not interpreted where they are written: skipped."""
        objects = self.spec.object_sources
        local_only = not summarised and not self.module_may_have_source()
        skipped, leaves = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda), LEAF_CLASSES
        module_names = self.module.bindings(self.module.tree)  # (_global_may_taint: no binding, no taint)
        stack = list(nodes)
        push, fields_of, AST = stack.append, _CHILD_FIELDS.get, ast.AST
        while stack:
            node = stack.pop()
            cls = node.__class__
            if cls in skipped:
                continue
            if cls is ast.Name:
                if objects and self.names.qualname(node) in objects:
                    return True
                if node.id in module_names and isinstance(node.ctx, ast.Load) \
                        and self._global_may_taint(node.id, left, seen, cyclic):
                    return True
            elif cls is ast.Attribute:
                if isinstance(node.value, ast.Name) and node.value.id == "self" \
                        and self.self_attribute_source(node.attr) is not None:
                    return True
            elif cls is ast.Call and isinstance(node.func, (ast.Name, ast.Attribute)):
                # (with no level left, a callee's summary is none: _summary_may_taint is False without resolving the
                # call, which may parse the callee's file)
                target = self.callee(node.func, scope, {}, local_only=local_only) if left > 0 else None
                if target is not None and target[0]._summary_may_taint(target[1], left, seen, cyclic):
                    return True
                if self._inline_may_taint(node.func, scope, left, seen, cyclic):
                    return True
                if cls is ast.Call and isinstance(node.func, ast.Name) and node.func.id[:1].isupper() \
                        and self._properties_may_taint(node.func.id, seen, cyclic):
                    return True
            if cls not in leaves:  # (push_children inlined: the children in field order)
                for name in fields_of(cls) or child_fields(cls):
                    value = getattr(node, name, None)
                    if value.__class__ is list:
                        for item in value:
                            if isinstance(item, AST):
                                push(item)
                    elif isinstance(value, AST):
                        push(value)
        return False

    def _properties_may_taint(self, name: str, seen: dict, cyclic: list[bool]) -> bool:
        """`Model(a=x)` builds an object whose properties Flow.property_read interprets inline wherever the object
        goes (here, or in a caller a summary returns it to): may any property of the class `name` means here (its
        own or a base's) produce untrusted data? Asked with the most depth left a reader can have."""
        found = self.model_class(name)
        if found is None:
            return False
        for owner, fn in _properties(found[0], found[1]):
            if owner._memo_may_taint(
                    (owner.rel, "property", getattr(fn, "lineno", 0), getattr(fn, "col_offset", 0)), seen, cyclic,
                    lambda owner=owner, fn=fn: owner._code_may_taint(child_nodes(fn), fn, MAX_SUMMARY_DEPTH, False,
                                                                     seen, cyclic)):
                return True
        return False

    def _summary_may_taint(self, fn: ast.AST, left: int, seen: dict, cyclic: list[bool]) -> bool:
        """May the summary of `fn` (with `left` levels left) carry untrusted data of its own?"""
        if left <= 0:
            return False  # no summary (the depth limit): a call passes its arguments' taint on, nothing more
        self._build_defs()
        if not self._worth_summarising(fn):
            return False
        where = (self.rel, getattr(fn, "lineno", 0), getattr(fn, "col_offset", 0))
        # The answer can only grow with the depth left (a summary with more levels follows every call one with fewer
        # follows, and more): a final answer found with more depth left that is False, or with less that is True,
        # is this one too
        memo = self.module.state.may_taint
        if any(memo.get((*where, more)) is False for more in range(left + 1, MAX_SUMMARY_DEPTH + 1)):
            return False
        if any(memo.get((*where, less)) is True for less in range(1, left)):
            return True
        return self._memo_may_taint((*where, left), seen, cyclic, lambda: bool(self.param_sources(fn)) or
                                    self._code_may_taint(child_nodes(fn), fn, left - 1, True, seen, cyclic))

    def _global_may_taint(self, name: str, left: int, seen: dict, cyclic: list[bool]) -> bool:
        """May the module-level name `name` (as global_value evaluates it) hold untrusted data?"""
        tree = self.module.tree
        values = self.module.bindings(tree).get(name)
        self._build_defs()  # (a function or class of the module body: _defined_as_def, from the index)
        if values is None or len(values) != 1 or values[0] is None or name in self.top or name in self.classes:
            return False
        value = values[0]
        return self._memo_may_taint((self.rel, "global", name, left), seen, cyclic,
                                    lambda: self._code_may_taint([value], tree, left, False, seen, cyclic))

    def _inline_may_taint(self, func: ast.AST, scope: ast.AST, left: int, seen: dict, cyclic: list[bool]) -> bool:
        """`form.field(k)` with `form = Form(...)` in this function: Flow.instance_call interprets the class's
        `__init__` and the method inline (at the same depth)."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)) or not isinstance(scope, FunctionNode):
            return False
        bound = self.module.bindings(scope).get(func.value.id)
        if not bound or len(bound) != 1 or not isinstance(bound[0], ast.Call) or not isinstance(bound[0].func, ast.Name):
            return False
        self._build_defs()
        methods = self.classes.get(bound[0].func.id)
        if not methods or func.attr not in methods:
            return False
        for method in (methods.get("__init__"), methods[func.attr]):
            if method is not None and self._memo_may_taint(
                    (self.rel, "inline", getattr(method, "lineno", 0), getattr(method, "col_offset", 0), left), seen,
                    cyclic, lambda: self._code_may_taint(child_nodes(method), method, left, False, seen, cyclic)):
                return True
        return False

    def _memo_may_taint(self, key: tuple, seen: dict, cyclic: list[bool], compute) -> bool:
        """The answer for `key`, kept per process when it is final: True always; False unless it was reached
        through a question still being answered (a cycle), which may yet turn out True."""
        memo = self.module.state.may_taint
        hit = memo.get(key)
        if hit is not None:
            memo.move_to_end(key)
            return hit
        if key in seen:
            cyclic[0] = True
            return False
        seen[key] = True
        outer, cyclic[0] = cyclic[0], False
        try:
            found = compute()
        finally:
            del seen[key]
            inner = cyclic[0]
            cyclic[0] = outer or inner
        if found or not inner:
            memo[key] = found
            if len(memo) > SUMMARY_CACHE_SIZE:
                memo.popitem(last=False)
        return found

    def bind_args(self, fn: ast.AST, args: list[V], kwargs: dict[str | None, V], via_self: bool | None = None) -> dict[str, V]:
        a = fn.args  # type: ignore[attr-defined]
        positional = [*a.posonlyargs, *a.args]
        if id(fn) in self.owner and positional and positional[0].arg in ("self", "cls") and via_self is not False:
            positional = positional[1:]
        bound: dict[str, V] = {}
        for p, v in zip(positional, args):
            bound[p.arg] = v
        if len(args) > len(positional) and a.vararg is not None:
            bound[a.vararg.arg] = V(taints=_all_taints(args[len(positional):]))
        names = {p.arg for p in [*positional, *a.kwonlyargs]}
        extra: dict = {}  # what `**kwargs` receives, by keyword (its entries read one by one: kwargs.pop("name"))
        extra_taints: tuple = ()
        for k, v in kwargs.items():
            if k is None:
                for p in names - set(bound):
                    bound[p] = V(taints=v.deep())
                if v.keys is not None and not v.taints:
                    extra.update((key, x) for key, x in v.keys.items() if key not in names)
                else:
                    extra_taints = union(extra_taints, v.deep())
            elif k in names:
                bound[k] = v
            elif a.kwarg is not None:
                extra[k] = v
        if a.kwarg is not None and (extra or extra_taints):
            bound[a.kwarg.arg] = V(taints=extra_taints, keys=extra)
        return bound

    # --- summaries --------------------------------------------------------------------------------------------
    def summary(self, fn: ast.AST, fixed: tuple[tuple[str, Any], ...] = ()) -> Summary | None:
        """Which parameters reach the return value and which reach sinks. Summaries nest at most
        MAX_SUMMARY_DEPTH deep (a call beyond that passes every argument's taint to its result). `fixed`: flag
        parameters (see flag_params) the caller gives as constants: the summary for that call, where a branch on
        such a flag that the constant rules out does not run.

        A summary is a function of (function, flags, inline depth, depth left) alone, whatever was computed before
        it: its callees are summarised with one level less (a recursive call too: it is unrolled until the depth
        runs out), and it is kept per process (AnalysisState.summaries) under that key. One that no depth limit cut
        off, and that used `height` levels, is the same at every depth left of at least `height`: kept once for
        all of them."""
        state = self.module.state
        left = MAX_SUMMARY_DEPTH - state.summary_depth
        memo = state.summaries
        base = (self.rel, getattr(fn, "lineno", 0), getattr(fn, "col_offset", 0), fixed, _INLINE[0])
        hit = memo.get(base)
        if hit is not None and hit[1] <= left:
            memo.move_to_end(base)
            if hit[1] > state.summary_height:
                state.summary_height = hit[1]
            return hit[0]
        exact = (*base, left)
        hit = memo.get(exact)
        if hit is not None:  # cut off by the depth limit (or being built: a call back at the same depth)
            memo.move_to_end(exact)
            state.summary_cut = True
            return hit[0]
        self._build_defs()
        if not self._worth_summarising(fn):
            summary = Summary(const_v(None))
            self._keep(base, summary, 0)
            return summary
        if left <= 0:
            state.summary_cut = True
            return None
        memo[exact] = (None, 0)  # being built: a call that comes back at the same depth sees no summary
        old = self.collect_sinks
        self.collect_sinks = True
        state.summary_depth += 1
        was_cut, was_height = state.summary_cut, state.summary_height
        state.summary_cut, state.summary_height = False, 0
        try:
            flow = Flow(self, fn, summary=True, fixed=dict(fixed)).run()
        finally:
            self.collect_sinks = old
            state.summary_depth -= 1
            cut, height = state.summary_cut, state.summary_height + 1
            state.summary_cut = was_cut or cut
            state.summary_height = max(was_height, height)
            memo.pop(exact, None)
        summary = _summary_of(flow, fn)
        # cut off: the summary for this depth left only (a caller less deep gets a fuller one)
        self._keep(exact if cut else base, summary, height)
        return summary

    def _keep(self, key: tuple, summary: Summary, height: int) -> None:
        memo = self.module.state.summaries
        memo[key] = (summary, height)
        if len(memo) > SUMMARY_CACHE_SIZE:
            memo.popitem(last=False)

    def flag_params(self, fn: ast.AST) -> frozenset[str]:
        """Parameters the function branches on as they are (`if from_setup:`, `if not interactive:`, `x if
        flag else y`) and never assigns: a caller passing a constant (or leaving a constant default) decides the
        branch, so a helper shared by a command line and web views is read, for a web view, on its own branch."""
        key = ("flags", id(fn))
        if key not in self._other:
            names = {p.arg for p in _params(fn)}
            tested: set[str] = set()
            assigned: set[str] = set()
            for node in _walk_scope(fn):
                if isinstance(node, (ast.If, ast.IfExp, ast.While)):
                    test = node.test.operand if isinstance(node.test, ast.UnaryOp) and isinstance(
                        node.test.op, ast.Not) else node.test
                    if isinstance(test, ast.Name) and test.id in names:
                        tested.add(test.id)
                elif isinstance(node, ast.keyword) and node.arg == "shell" and isinstance(node.value, ast.Name) \
                        and node.value.id in names:
                    # `subprocess.Popen(cmd, shell=shell)`: the caller's constant (or the default, `shell=False`)
                    # decides whether the sink runs a shell (Rockstor's run_command, §3z)
                    tested.add(node.value.id)
                elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    assigned.add(node.id)
            self._other[key] = frozenset(tested - assigned)
        return self._other[key]

    def _worth_summarising(self, fn: ast.AST) -> bool:
        """A function that returns nothing and calls nothing named like a sink has an empty summary."""
        words = self.spec.sink_words
        for node in _walk_scope(fn):
            if isinstance(node, ast.Return) and node.value is not None:
                return True
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in words or name in self.top or isinstance(f, ast.Attribute):
                    return True
        return False

    def module_may_have_source(self) -> bool:
        """Cheap, once per module: can any scope of it hold untrusted data at all (a function with a source
        parameter, an imported request object, a `self.request`-like attribute)? Most modules of a package cannot."""
        if self._module_source is None:
            names = self.names
            objects = self.spec.object_sources
            text = self.module.file.text()
            self._build_defs()
            self._module_source = any(self.param_sources(fn) for fn in names.functions) or \
                any(q in objects for q in names.aliases.values()) or \
                any(f"self.{src.self_attribute}" in text for src in self.spec.sources if src.self_attribute)
        return self._module_source

    def may_have_source(self, scope: ast.AST, cheap: bool = False) -> bool:
        """Does untrusted data possibly enter this scope (a source parameter, a request object named in it, or a
        caller in the module that passes taint)? The call graph is searched first, cheaply: only when some chain of
        callers starts at a scope with a source are the callers' flows analysed (entry()). `cheap`: that search
        alone, never the callers' flows (True may then be a "maybe")."""
        if cheap:
            return self._direct_source(scope) or (isinstance(scope, FunctionNode) and self._caller_with_source(scope))
        key = id(scope)
        if key not in self._has_source:
            found = self._direct_source(scope)
            if not found and isinstance(scope, FunctionNode) and self._caller_with_source(scope):
                found = bool(self.entry(scope))
            self._has_source[key] = found
        return self._has_source[key]

    def _direct_source(self, scope: ast.AST) -> bool:
        """A source parameter, a request object by qualified name, or a `self.<source attribute>` in the scope."""
        key = id(scope)
        if key in self._direct:
            return self._direct[key]
        found = isinstance(scope, FunctionNode) and bool(self.param_sources(scope))
        if not found:
            objects = self.spec.object_sources
            for node in _walk_scope(scope):
                if isinstance(node, ast.Name) and objects and self.names.qualname(node) in objects:
                    found = True
                    break
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                        and self.self_attribute_source(node.attr) is not None:
                    found = True
                    break
        self._direct[key] = found
        return found

    def _caller_with_source(self, fn: ast.AST) -> bool:
        """Some chain of this module's call sites leads from a scope with a direct source to `fn`."""
        return self._some_caller(fn, self._direct_source)

    def calls_repo_helper(self, func: ast.AST, scope: ast.AST) -> bool:
        """Cheap, without parsing anything: may `func` name a function imported from another repository file?"""
        target = self._call_target(func, scope, {})
        return isinstance(target, _Imported) and self._repo_path(target.module, target.level) is not None

    def helper_may_reach_sink(self, func: ast.AST, scope: ast.AST) -> bool:
        """May the repository helper that `func` names (calls_repo_helper: a function imported from another file)
        hand a parameter to a sink in its own body (what its summary's param_sinks, and so indirect_sinks, hold)?
        False is certain, and found without summarising the helper, often without parsing its file: the file has
        no `def` of that name (the call builds a class, or calls a name the file imports in turn: callee() finds
        no function there), or no call in the function's body can match a sink of the specification (a summary's
        param_sinks come from its own body's sink calls only: Flow._call, _summary_of)."""
        target = self._call_target(func, scope, {})
        if not isinstance(target, _Imported):
            return True
        path = self._repo_path(target.module, target.level)
        if path is None:
            return True
        # A file that parses gives callee() the function by name among its top-level functions alone: the answer
        # depends on the file and the name only, and is kept per process (names only) for every file that imports
        # the function, after the parse is gone
        memo = self.module.state.helper_sinks
        key = (path, target.name)
        hit = memo.get(key)
        if hit is not None:
            return hit
        facts = self.module.facts
        # callee() takes the file's top-level function `target.name`; only when the file cannot be parsed does it
        # look for a class or an instance in the parent module instead (_repo_function): when there is none, the
        # file's text alone says whether the function can exist
        parent = target.module.rsplit(".", 1)[0] if "." in target.module else None
        if parent is None or resolve_repo_path(facts.files, self.rel, parent, target.level) is None:
            defs = _def_names(facts.files[path], self.module.state)
            if defs is not None and target.name.encode() not in defs:
                return False
        other = self._repo_module(target.module, target.level)
        if other is None:
            return True  # (not parsed: callee() looks further, and the caller judges what it finds)
        fn = other._top_defs().get(target.name)
        memo[key] = found = fn is not None and other.may_hit_sink(fn)
        return found

    def may_hit_sink(self, fn: ast.AST) -> bool:
        """May a summarising flow of `fn` meet a sink call (Flow._call: `spec.sinks.match(name, method)`), so that
        its summary can have param_sinks? Every call under `fn`, nested code included, is matched by the name the
        flow gives it: the module's qualified name, or `<local>.…` when its root is a local variable, which only
        a method pattern (`*.execute`) can match."""
        key = ("may-hit-sink", id(fn))
        hit = self._other.get(key)
        if hit is not None and hit[0] is fn:
            return hit[1]
        spec = self.spec
        exact, methods, qualname = spec.sinks.exact, spec.sinks.methods, self.names.qualname
        found = spec.local_sink_names
        stack = [fn]
        pop, push, leaves, Call, Attribute = stack.pop, stack.append, LEAF_CLASSES, ast.Call, ast.Attribute
        while stack and not found:
            node = pop()
            if node.__class__ is Call:
                f = node.func
                if qualname(f) in exact or (f.__class__ is Attribute and f.attr in methods):
                    found = True
            if node.__class__ not in leaves:
                push_children(node, push)
        self._other[key] = (fn, found)
        return found

    def callee(self, func: ast.AST, scope: ast.AST, env: dict[str, V], local_only: bool = False
               ) -> tuple["DataflowModule", ast.AST] | None:
        """The function a call reaches: this module's own, or (unless `local_only`) one imported from the repository."""
        target = self._call_target(func, scope, env)
        if isinstance(target, _Imported):
            return None if local_only else self._repo_function(target.module, target.name, target.level)
        return target

    def _nested_def(self, scope: ast.AST, name: str) -> ast.AST | None:
        """`def sanitize_char(c): ...` written in the calling function's body, the name's only binding there, and
        reading none of that function's variables (a closure's captured values are not modelled): followed like a
        module function."""
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        defs = [n for n in scope.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
        if len(defs) != 1 or name in self.module.bindings(scope) or defs[0].decorator_list:
            return None
        fn = defs[0]
        outer = self.module.bindings(scope)
        own = self.module.bindings(fn)
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and node.id in outer and node.id not in own:
                return None
            if isinstance(node, (ast.Lambda, ast.Nonlocal)) or (
                    node is not fn and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))):
                return None
        return fn

    def _call_target(self, func: ast.AST, scope: ast.AST, env: dict[str, V]
                     ) -> "tuple[DataflowModule, ast.AST] | _Imported | None":
        """What a call names, statically: (this module, its function), or (module, function name, relative level)
        of an import from elsewhere (the file not looked up yet), or None."""
        self._build_defs()
        if isinstance(func, ast.Name):
            nested = self._nested_def(scope, func.id)
            if nested is not None:
                return self, nested
            if func.id in env and func.id not in self.top:
                return None
            if func.id in self.top and not self.is_local(scope, func.id):
                return self, self.top[func.id]
            imported = self.imports().get(func.id)
            if imported is not None and imported[1] is not None:
                return _Imported(*imported)
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in ("self", "cls"):
                cls = self.owner.get(id(scope))
                return self.method_of(cls, func.attr) if cls is not None else None
            if func.value.id in env:
                return None
            if func.value.id in self.classes and not self.is_local(scope, func.value.id):
                # `Note.matching(url)`: a static or class method called on a class of this module
                cls = self._class_def(func.value.id)
                return self.method_of(cls, func.attr) if cls is not None else None
            imported = self.imports().get(func.value.id)
            if imported is not None:
                module = imported[0] if imported[1] is None else f"{imported[0]}.{imported[1]}"
                return _Imported(module, func.attr, imported[2])
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
            # `pkg.mod.func(...)` after `import pkg.mod` (or `from pkg import mod` / `import pkg as p`)
            parts: list[str] = []
            node: ast.AST = func
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if not isinstance(node, ast.Name) or node.id in env or self.is_local(scope, node.id) \
                    or node.id in ("self", "cls"):
                return None
            parts.reverse()
            imported = self.imports().get(node.id)
            if imported is not None:
                base, level = (imported[0] if imported[1] is None else f"{imported[0]}.{imported[1]}"), imported[2]
            elif self.names.aliases.get(node.id) == node.id:
                base, level = node.id, 0
            else:
                return None
            return _Imported(".".join([base, *parts[:-1]]), parts[-1], level)
        return None

    def method_of(self, cls: ast.ClassDef, name: str, depth: int = 0) -> "tuple[DataflowModule, ast.AST] | None":
        """`self.name(...)` in a method of `cls`: the class's own method, else a base class's, in this module or
        in a repository module the base is imported from (a mixin's `get_return_url`), depth-first like the MRO
        for single chains."""
        self._build_defs()
        method = self.classes.get(cls.name, {}).get(name)
        if method is not None:
            return self, method
        if depth >= 3:
            return None
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in self.classes and base.id != cls.name:
                found = self._class_def(base.id)
                hit = self.method_of(found, name, depth + 1) if found is not None else None
            elif isinstance(base, ast.Name) and base.id in self.imports() and self.imports()[base.id][1] is not None:
                module, attr, level = self.imports()[base.id]
                other = self._repo_module(module, level)
                found = other._class_def(attr) if other is not None else None  # type: ignore[arg-type]
                hit = other.method_of(found, name, depth + 1) if found is not None and other is not None else None
            else:
                hit = None
            if hit is not None:
                return hit
        return None

    def class_method(self, cls_name: str, name: str) -> "tuple[DataflowModule, ast.AST] | None":
        """The method `name` of the class this module calls `cls_name` (its own, or imported from a repository
        module), looked up on the class and its bases (method_of)."""
        self._build_defs()
        if cls_name in self.classes:
            cls = self._class_def(cls_name)
            return self.method_of(cls, name) if cls is not None else None
        imported = self.imports().get(cls_name)
        if imported is None or imported[1] is None:
            return None
        other = self._repo_module(imported[0], imported[2])
        cls = other._class_def(imported[1]) if other is not None else None
        return other.method_of(cls, name) if other is not None and cls is not None else None

    def _reexported_class(self, name: str) -> "tuple[DataflowModule | None, ast.ClassDef | None]":
        """A class a package re-exports (`from .jobs import Job`, `from .jobs import *` in models/__init__.py): the
        module defining it and its definition, one hop away."""
        imported = self.imports().get(name)
        if imported is not None and imported[1] is not None:
            other = self._repo_module(imported[0], imported[2])
            return (other, other._class_def(imported[1])) if other is not None else (None, None)
        for node in self.module.tree.body:
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                other = self._repo_module(node.module or "", node.level)
                found = other._class_def(name) if other is not None else None
                if found is not None:
                    return other, found
        return None, None

    def _class_def(self, name: str) -> ast.ClassDef | None:
        for node in self.module.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        return None

    # --- repository-local imports -----------------------------------------------------------------------------
    def imports(self) -> dict[str, tuple[str, str | None, int]]:
        """local name -> (module, attribute or None, relative level) for every import in the file."""
        return self.names.imports

    def _repo_function(self, module: str, name: str, level: int) -> tuple["DataflowModule", ast.AST] | None:
        other = self._repo_module(module, level)
        if other is None and "." in module:
            # `Snapshot.from_json(...)` after `from app.models import Snapshot`: a static or class method of a
            # class of that module
            parent, cls_name = module.rsplit(".", 1)
            if not cls_name[:1].isupper():
                return self._instance_method(parent, cls_name, name, level)
            owner = self._repo_module(parent, level)
            cls = owner._class_def(cls_name) if owner is not None else None
            if owner is not None and cls is None:
                owner, cls = owner._reexported_class(cls_name)
            return owner.method_of(cls, name) if owner is not None and cls is not None else None
        if other is None:
            return None
        if name in other._top_defs():
            return other, other._top_defs()[name]
        return None

    def _instance_method(self, parent: str, instance: str, name: str, level: int
                         ) -> tuple["DataflowModule", ast.AST] | None:
        """`calibre_db.get_book(id)` after `from . import calibre_db`, where that module binds `calibre_db =
        db.CalibreDB(app)` once at module level: the method of that repository class (its own module's class, or
        one it imports: `from .db import CalibreDB`, `from . import db`)."""
        owner = self._repo_module(parent, level)
        value = owner.module.value_of(instance, None) if owner is not None else None
        if not isinstance(value, ast.Call):
            return None
        func, found = value.func, None
        if isinstance(func, ast.Name):
            cls = owner._class_def(func.id)
            found = (owner, cls) if cls is not None else owner._reexported_class(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            imported = owner.imports().get(func.value.id)
            if imported is not None:
                where = imported[0] if imported[1] is None else f"{imported[0]}.{imported[1]}"
                other = owner._repo_module(where, imported[2])
                found = (other, other._class_def(func.attr) if other is not None else None)
        if found is None or found[0] is None or found[1] is None:
            return None
        return found[0].method_of(found[1], name)

    def _top_defs(self) -> dict[str, ast.AST]:
        self._build_defs()
        return self.top

    def _repo_module(self, module: str, level: int) -> "DataflowModule | None":
        key = f"{level}:{module}"
        if key not in self._other:
            self._other[key] = None
            path = self._repo_path(module, level)
            if path is not None:
                self._other[key] = _helper_module(path, self.module, self.spec)
        return self._other[key]

    def resolve_import(self, module: str, level: int) -> str | None:
        """The repository file `import module` at relative `level` would load, recorded for the scan cache like
        the data flow's own lookups (a check reading a sibling module's settings goes through here)."""
        return self._repo_path(module, level)

    def _repo_path(self, module: str, level: int) -> str | None:
        """The repository file (other than this one) that `import module` at relative `level` would load."""
        key = f"{level}:{module}"
        if key not in self._paths:
            facts = self.module.facts
            found = self._paths[key] = resolve_repo_path(facts.files, self.rel, module, level)
            if facts.record_imports:  # (only when a cache will ask: engines/python prepare())
                self.module.state.resolved_imports.setdefault(self.rel, set()).add((module, level, found))
        return self._paths[key]

    # --- module-level names -----------------------------------------------------------------------------------
    def global_value(self, node: ast.Name, flow: Flow) -> V:
        qualname = self.names.qualname(node)
        if qualname:
            src = self.spec.object_sources.get(qualname)
            if src is not None:
                return V(obj=src)
        name = node.id
        # The value depends on the summaries its expression calls, so on the depth left (and the inline depth):
        # kept per both, with what those summaries reported (cut off, levels used) for the summary being built.
        state = self.module.state
        key = (name, MAX_SUMMARY_DEPTH - state.summary_depth, _INLINE[0])
        hit = self._globals.get(key)
        if hit is not None:
            value, cut, height = hit
            if cut:
                state.summary_cut = True
            if height > state.summary_height:
                state.summary_height = height
            return value
        if name in self._globals_stack:
            return V()
        values = self.module.bindings(self.module.tree).get(name)
        result = V()
        cut, height = False, 0
        if values is not None and len(values) == 1 and values[0] is not None and not _defined_as_def(self.module.tree, name):
            self._globals_stack.add(name)
            was_cut, was_height = state.summary_cut, state.summary_height
            state.summary_cut, state.summary_height = False, 0
            try:
                result = Flow(self, self.module.tree).eval(values[0], {})
            except Exception:
                result = V()
            finally:
                self._globals_stack.discard(name)
                cut, height = state.summary_cut, state.summary_height
                state.summary_cut = was_cut or cut
                state.summary_height = max(was_height, height)
            if result.deep():
                result = V(taints=result.deep())
        elif name in ("True", "False", "None"):
            result = const_v({"True": True, "False": False, "None": None}[name])
        self._globals[key] = (result, cut, height)
        return result


def _properties(dm: DataflowModule, cls: ast.ClassDef, depth: int = 0) -> list[tuple[DataflowModule, ast.AST]]:
    """The property methods (Flow.property_read) of `cls` and of its bases, found as method_of finds methods."""
    dm._build_defs()
    out = [(dm, item) for item in cls.body if isinstance(item, FunctionNode)
           and any(_short_name(d) in _PROPERTIES for d in item.decorator_list)]
    if depth >= 3:
        return out
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in dm.classes and base.id != cls.name:
            found = dm._class_def(base.id)
            if found is not None:
                out += _properties(dm, found, depth + 1)
        elif isinstance(base, ast.Name) and base.id in dm.imports() and dm.imports()[base.id][1] is not None:
            module, attr, level = dm.imports()[base.id]
            other = dm._repo_module(module, level)
            found = other._class_def(attr) if other is not None else None  # type: ignore[arg-type]
            if found is not None and other is not None:
                other._build_defs()
                out += _properties(other, found, depth + 1)
    return out


_ROUTE_CALLS = frozenset({"path", "re_path", "url"})
# What every call of one of them looks like in the bytes (a file without it is not parsed: Django 44 -> 12): the
# name, not after a word character, then blanks, line continuations, comments or closing brackets (`(path)(...)`)
# up to the opening bracket. (The look-behind follows each name's first letter, `p(?<!\wp)` being `(?<!\w)p`: the
# search then skips to the next p, r or u rather than trying the look-behind at every byte, twice as fast.)
_ROUTE_CALL_TEXT = re.compile(rb"(?:p(?<!\wp)ath|r(?<!\wr)e_path|u(?<!\wu)rl)(?:[\s)]|\\(?:\r\n|\r|\n)|#[^\r\n]*(?![^\r\n]))*\(")
_MAX_ROUTER_BYTES = 256_000  # a router is a short list of routes; a larger file is no router worth parsing here
_FROM_ROOT = 64  # a relative level that climbs to the repository root (resolve_repo_path): a root-relative module


def _may_call_into(files, caller: str, module: str) -> bool:
    """Whether a file that calls a function of some name can be calling the one of `module`: it is that module, or
    its text names the module (`from karaage.common.create_update import create_object`, `from . import utils`);
    another module's function of the same name (`login(`, `safe(`) is not this one."""
    if caller == module:
        return True
    parts = module[:-len(".py")].split("/")
    # the module's own name, or its package's (`from resume import resume_or_redirect`, re-exported by the package)
    names = {p for p in parts[-2:] if p != "__init__"}
    try:
        text = files[caller].path.read_bytes()
    except (OSError, KeyError):
        return True
    return any(re.search(rb"^\s*(?:from|import)\s[^\n]*\b" + re.escape(n.encode()) + rb"\b", text, re.M)
               for n in names)


def _callers(files, name: str, state: "AnalysisState | None" = None) -> tuple[str, ...]:
    """The repository files, test code left out, that call a function of this name (`name(`, not `def name(`).
    From the third name a process asks about, the files' word filters (_word_index) spare reading a file that cannot
    hold the name as a word, which every such call is (the same files are found)."""
    needle = name.encode()
    pattern = re.compile(rb"(?<!\w)(?<!def )" + re.escape(needle) + rb"\s*\(")
    index = _word_index(files, state) if state is not None and needle.isascii() else None
    if index is None:
        todo = [rel for rel in sorted(files) if not is_test_path(rel)]
    else:  # (a file whose filter lacks the name's bits does not hold the word: `name` then blanks and `(` it is not)
        mask = _word_bits(needle)
        todo = [rel for rel, bits in index if bits is None or bits & mask == mask]
    out = []
    for rel in todo:
        try:
            data = files[rel].path.read_bytes()
        except OSError:
            continue
        if data.find(needle) != -1 and pattern.search(data):
            out.append(rel)
    return tuple(out)


# Every byte but an ASCII letter, digit or underscore as a space: the words of a file's bytes are then its
# whitespace-separated parts, the runs of [A-Za-z0-9_] (rb"\w+"). A call `name(` of an ASCII name, with no word
# character before it, is one of them.
_NON_WORD_TO_SPACE = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == 0x5F) else 0x20 for c in range(256))
_WORD_BITS = 1024  # bits of a file's word filter (an int of about 160 bytes per file)


def _word_bits(word: bytes) -> int:
    """The two bits of a word in a word filter (from its hash: the same within a process, the filter's life)."""
    h = hash(word)
    return (1 << (h % _WORD_BITS)) | (1 << ((h // _WORD_BITS) % _WORD_BITS))


def _word_index(files, state: "AnalysisState") -> "tuple[tuple[str, int | None], ...] | None":
    """(path, a Bloom filter of the words in the file's bytes, or None: not readable now, so never ruled out) for
    the repository's files but tests, in path order, made on the third name _callers is asked about (one read of
    each file, instead of one per name: a Django application asks about dozens of views' names); None before."""
    if state.word_index is None:
        if len(state.helper_callers) < 2:
            return None
        index: list[tuple[str, int | None]] = []
        for rel in sorted(files):
            if is_test_path(rel):
                continue
            try:
                data = files[rel].path.read_bytes()
            except OSError:
                index.append((rel, None))
                continue
            bits = 0
            for word in set(data.translate(_NON_WORD_TO_SPACE).split()):
                bits |= _word_bits(word)
            index.append((rel, bits))
        state.word_index = tuple(index)
    return state.word_index


def django_routes(files) -> tuple[tuple[str, ...], frozenset[str], "RouteCaptures"]:
    """The repository's Django routers, every name their routes give as a view, and what the routes capture: the
    modules importing django.urls or django.conf.urls that call `path`/`re_path`/`url`, the names (`views.index` ->
    index, `login_required(views.edit)` -> login_required and edit, `"app.views.old"` -> old) in their view
    arguments, and RouteCaptures of their patterns."""
    routers, routed = [], set()
    captures = RouteCaptures()
    for rel in sorted(files):
        if getattr(files[rel], "size", 0) > _MAX_ROUTER_BYTES:
            continue
        noted = getattr(files[rel], "noted", None)  # (what discovery saw of the whole file: SourceFile.noted)
        if noted is not None and not any(noted(mark) is not False for mark in DJANGO_URLS_MARKS):
            continue  # naming neither module: not read again
        try:
            data = files[rel].path.read_bytes()
        except OSError:
            continue
        if all(mark not in data for mark in DJANGO_URLS_MARKS) or len(data) > _MAX_ROUTER_BYTES \
                or not _ROUTE_CALL_TEXT.search(data):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        found = False
        nodes: list[ast.AST] = [tree]  # every node but the leaves (no call is one), as ast.walk, twice as fast
        push, leaves = nodes.append, LEAF_CLASSES
        for node in nodes:  # (grows while it is read)
            if node.__class__ not in leaves:
                push_children(node, push)
        for node in nodes:
            if node.__class__ is not ast.Call:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name not in _ROUTE_CALLS or len(node.args) + len(node.keywords) < 2:
                continue
            found = True
            views: set[str] = set()
            view = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "view"), None)
            for part in ast.walk(view) if view is not None else ():
                if isinstance(part, ast.Name):
                    views.add(part.id)
                elif isinstance(part, ast.Attribute):
                    views.add(part.attr)
                elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                    views.add(part.value.rsplit(".", 1)[-1])
            for extra in node.args[2:]:  # (the extra keyword arguments a route passes: constants, no view)
                routed.update(p.id if isinstance(p, ast.Name) else p.attr for p in ast.walk(extra)
                              if isinstance(p, (ast.Name, ast.Attribute)))
            routed |= views
            pattern = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "route"), None)
            text = _route_text(pattern)
            included = isinstance(view, ast.Call) and _short(view.func) == "include"
            captures.add(views, _route_captures(text, regex=name != "path"), included)
        if found:
            routers.append(rel)
    return tuple(routers), frozenset(routed), captures


class RouteCaptures:
    """What the Django routes of a repository capture, by the short name of the view a route gives: parameter ->
    whether every route capturing it matches only a number, a UUID or a slug (`<int:pk>`, `<slug:s>`,
    `(?P<pk>\\d+)`); None for a view some route of which cannot be read (a pattern not written as text, an unnamed
    group that becomes a positional argument). A capture in front of an `include(...)` reaches every view below it,
    so it counts for every view (`prefix`; a prefix not written as text is not read)."""

    def __init__(self) -> None:
        self.views: dict[str, dict[str, frozenset[str]] | None] = {}
        self.prefix: dict[str, frozenset[str]] | None = {}

    def add(self, views: set[str], found: dict[str, frozenset[str]] | None, included: bool) -> None:
        if included:
            # (a prefix written as an expression, `re_path(filt.url_part, include(...))`, is left out: a limit, as
            # such prefixes name a section rather than capture; one written as text counts for every view)
            if found is not None and self.prefix is not None:
                self.prefix = _merge_captures(self.prefix, found)
            return
        for v in views:
            old = self.views.get(v, {})
            self.views[v] = None if found is None or old is None else _merge_captures(old, found)

    def of(self, view: str, parameter: str) -> str | None:
        """The sink families every route naming `view` that captures `parameter` keeps it clean for (`{"all"}` for
        a typed capture, empty for a plain one), or "absent" (no route naming `view` captures it: Django never fills
        it from the URL); None when not known (a view no route names, a route that cannot be read)."""
        if view not in self.views or self.views[view] is None or self.prefix is None:
            return None
        for found in (self.views[view], self.prefix):
            if parameter in found:  # type: ignore[operator]
                return found[parameter]  # type: ignore[index]
        return "absent"


_SEGMENT = "segment"  # what a name in a route pattern stands for (see _route_text)
_GETTEXT = frozenset({"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ugettext", "ugettext_lazy",
                      "gettext_noop"})


def _route_text(node: ast.AST | None, depth: int = 0) -> str | None:
    """A route pattern's text: a literal, a translated literal (`_("about/")`, `pgettext("urls", "register/")`:
    its message id, whose groups a translation keeps), and `%`/`+`/f-strings of such parts, a name or a setting
    standing for a plain segment; None otherwise."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Call) and _short(node.func) in _GETTEXT and node.args and not node.keywords:
        return _route_text(node.args[-1], depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _route_text(node.left, depth + 1), _route_text(node.right, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):  # f"^{urlpath}/(?P<pk>\d+)/$": a setting fills a plain segment
        return "".join(str(v.value) if isinstance(v, ast.Constant) else _SEGMENT for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        fmt = _route_text(node.left, depth + 1)
        parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        # `r"^%s/register/(?P<event_id>\d+)/$" % urlpath` (Tendenci): a name or a setting read fills a plain
        # segment of the path (a prefix a site configures), never a group of its own
        texts = [_route_text(p, depth + 1) or (_SEGMENT if isinstance(p, (ast.Name, ast.Attribute, ast.Call))
                                               else None) for p in parts]
        if fmt is None or any(t is None for t in texts):
            return None
        try:
            return fmt % tuple(texts)
        except (TypeError, ValueError):
            return None
    return None


def _declared_class(fn: ast.AST, name: str) -> str | None:
    """The class a parameter of `fn` is annotated with (`fh: FileHandler`, `fh: "FileHandler"`), or None."""
    param = named_parameter(fn, name)
    note = param.annotation if param is not None else None
    if isinstance(note, ast.Constant) and isinstance(note.value, str) and note.value.isidentifier():
        return note.value
    return note.id if isinstance(note, ast.Name) else None


def _merge_captures(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """What every route capturing a parameter keeps it clean for (one that does not capture it keeps all)."""
    def meet(x: frozenset[str], y: frozenset[str]) -> frozenset[str]:
        return y if ALL in x else x if ALL in y else x & y
    return {k: meet(a.get(k, _TYPED), b.get(k, _TYPED)) for k in {*a, *b}}


_TYPED = frozenset({ALL})


# Django's path converters whose text can hold nothing but digits, hex digits and dashes, or a slug's letters.
_TYPED_CONVERTERS = frozenset({"int", "slug", "uuid"})
_PATH_CAPTURE = re.compile(r"<(?:(\w+):)?(\w+)>")
# A regular-expression group of one class of word characters, digits or dashes, repeated (`\d+`, `[0-9a-f-]{32}`,
# `[\w-]+`): no character of HTML, SQL, a shell, a path or a URL's host can be in what it matches.
_TYPED_GROUP = re.compile(r"(?:\\d|\\w|\[(?:\\d|\\w|[A-Za-z0-9_-])+\])(?:[+*?]|\{\d+(?:,\d*)?\})?")


def _capture_families(group: str) -> frozenset[str]:
    """The sink families what a named group of a route's regular expression matches is clean for: every family for
    a typed one (`\\d+`, `[\\w-]+`), those none of whose characters it lets through for another it reads whole
    (`[\\w.@+-]+`, mytardis's user names: no markup, quote or space), never file paths when it may hold `.` (`..`
    climbs a directory)."""
    if _TYPED_GROUP.fullmatch(group):
        return _TYPED
    families = fullmatch_families(group) or frozenset()
    if "." in group:
        families = (FAMILIES if ALL in families else families) - {"path", ALL}
    return frozenset(families)


def _route_captures(pattern: str | None, regex: bool) -> dict[str, frozenset[str]] | None:
    """The parameters a route pattern captures, each with the sink families what it matches is clean for (see
    RouteCaptures: every family for a typed capture, those a group's characters mean nothing to); None when the
    pattern is not known or passes positional arguments (an unnamed group)."""
    if pattern is None:
        return None
    if not regex:
        return {m.group(2): _TYPED if (m.group(1) or "str") in _TYPED_CONVERTERS else frozenset()
                for m in _PATH_CAPTURE.finditer(pattern)}
    out: dict[str, frozenset[str]] = {}
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            if not pattern.startswith("?", i + 1):
                return None  # an unnamed group: a positional argument
            if pattern.startswith("?P<", i + 1):
                end = pattern.find(">", i)
                depth, j = 1, end + 1
                while j < len(pattern) and depth:
                    if pattern[j] == "\\":
                        j += 2
                        continue
                    depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                    j += 1
                if end < 0 or depth:
                    return None
                out[pattern[i + 4:end]] = _capture_families(pattern[end + 1:j - 1])
                i = j
                continue
        i += 1
    return out


def file_dependencies(state: "AnalysisState", rel: str) -> tuple[list[str], list[tuple[str, str, int, str | None]]]:
    """What the data flow of `rel` may have read from other files: the repository files reachable from it through
    resolved imports (helpers, their helpers, ...) and every resolution on the way, as (importer, module, level,
    answer). An over-approximation (resolutions made for other importers count too), never an under-one."""
    graph = state.resolved_imports
    seen, todo, lookups = {rel}, [rel], []
    while todo:
        here = todo.pop()
        for module, level, found in sorted(graph.get(here, ()), key=repr):
            lookups.append((here, module, level, found))
            if found is not None and found not in seen:
                seen.add(found)
                todo.append(found)
    return sorted(seen - {rel}), lookups


def dataflow_of(module: "PyModule", spec: Spec | None = None) -> DataflowModule:
    dm = module.dataflow
    if dm is None:
        dm = module.dataflow = DataflowModule(module, spec)
    return dm


def _helper_module(path: str, importer: "PyModule", spec: Spec) -> DataflowModule | None:
    """The data-flow view of another repository file that `importer` imports (read with the same facts, kept in
    the same process's state). The last HELPER_CACHE_SIZE are
    kept with their summaries: a package's modules import the same few helpers over and over, and each would
    otherwise be parsed and summarised again for every importer."""
    facts, state = importer.facts, importer.state
    cache: OrderedDict[str, DataflowModule | None] = state.helper_modules
    if path in cache:
        cache.move_to_end(path)
        return cache[path]
    module = _module_for(facts.files[path], facts, state)
    # Not stored on the module (as dataflow_of does): no module <-> analysis cycle to outlive the cache entry.
    dm = DataflowModule(module, spec) if module is not None else None
    cache[path] = dm
    if len(cache) > HELPER_CACHE_SIZE:
        _, old = cache.popitem(last=False)
        if old is not None:  # it may be in use right now: its caches are dropped when the current file is done
            state.retired.append(old)
    return dm


def release_dataflow(module: "PyModule") -> None:
    """Called when a file's scan is done: drop the analyses that reference each other (a flow refers to its
    module's analysis, which caches the flow), so that reference counting frees them at once rather than a rare
    full garbage collection, long after memory has grown."""
    dm, module.dataflow = module.dataflow, None
    if dm is not None:
        dm.clear()
    retired, module.state.retired = module.state.retired, []
    for old in retired:
        old.clear()
        if old.module.file is not module.file:
            # The helper's bytes, text and lines, read for its parse: kept, they would stay for the rest of the scan
            # (memory growing with the repository); read again if the file is ever needed.
            old.module.file.release()


# `def name` as the tokenizer reads it (the keyword, then blanks or backslash continuations, then the name): every
# function a file defines is among the names this finds in its bytes (and more: nested functions, words in strings)
_DEF_NAME = re.compile(rb"(?<!\w)def[ \t\f]*(?:\\(?:\r\n|\r|\n)[ \t\f]*)*(\w+)")


def _def_names(file, state: "AnalysisState") -> frozenset[bytes] | None:
    """The names the file may define functions with (_DEF_NAME), read from its bytes without parsing it and kept
    per process (names only); None when its text is not those bytes as they are (not ASCII, or an encoding
    declared) or it cannot be read."""
    memo = state.def_names
    if file.rel in memo:
        return memo[file.rel]
    names = None
    try:  # (the bytes the file holds if read already; else read, and not kept: the file is not being scanned)
        data = file._data if file._data is not None else file.path.read_bytes()
    except OSError:
        data = None
    second = data.find(b"\n", data.find(b"\n") + 1) if data is not None else -1
    if data is not None and data.isascii() and b"coding" not in (data if second < 0 else data[:second]):
        names = frozenset(_DEF_NAME.findall(data))
    memo[file.rel] = names
    return names


def _module_for(file, facts: "ModuleFacts", state: "AnalysisState") -> "PyModule | None":
    """Parse a helper module of the repository (never imported or run). Not cached on the file, whose cache is
    released after its own scan: _helper_module keeps the few that are in use."""
    try:
        tree, parser = parse_python(file.text(), file.rel)
        return PyModule(file, tree, parser, facts, state)
    except (ParseFailure, OSError, ValueError, RecursionError):
        return None
    except Exception:  # DecodeError and friends: the helper stays unknown
        return None


# Types a view's request is declared as (Django's HttpRequest and its WSGI/ASGI kinds, DRF's and Starlette's Request).
_REQUEST_TYPES = frozenset({"HttpRequest", "WSGIRequest", "ASGIRequest", "Request", "HttpRequestBase"})


def _may_be_http_request(first: ast.arg) -> bool:
    """A view's first parameter is the web request: undeclared, or declared as a request type. `request:
    AnthropicMessagesRequest` (a request body's model handed to a helper) is no web request, so the function is
    no view and its other parameters are no URL captures."""
    if first.annotation is None:
        return True
    node = first.annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value.rsplit(".", 1)[-1]
    elif isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    else:
        return True
    return name in _REQUEST_TYPES or name.endswith("HttpRequest")


def _params(fn: ast.AST) -> list[ast.arg]:
    a = fn.args  # type: ignore[attr-defined]
    return [p for p in [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg] if p is not None]


def _short(func: ast.AST) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _route_variables(fn: ast.AST) -> frozenset[str] | None:
    """The variables of a Flask-style view's rules (`@bp.route("/users/<uuid:userId>/c")`: userId), when every
    route decorator gives its rule as text written with `<...>` variables (a rule with `{...}` may be FastAPI's, whose
    other parameters are query parameters; `defaults=` fills names a rule does not hold) and no decorator hands the
    view request data of its own; else None. Another parameter is filled by a decorator, its default or a direct
    call (wikmd §3x's `login(page)`, called with fixed paths), never by the URL."""
    names: set[str] = set()
    seen = False
    for d in getattr(fn, "decorator_list", ()):
        if _INJECTING_DECORATOR.search(_short(d.func if isinstance(d, ast.Call) else d) or ""):
            return None  # webargs' `@use_kwargs(...)`, flask-smorest's `@blp.arguments(Schema)`: request data too
        if not isinstance(d, ast.Call) or not isinstance(d.func, ast.Attribute):
            continue
        if d.func.attr not in ("route", "get", "post", "put", "patch", "delete"):
            continue
        rule = d.args[0] if d.args else next((k.value for k in d.keywords if k.arg == "rule"), None)
        if not (isinstance(rule, ast.Constant) and isinstance(rule.value, str)) or "{" in rule.value \
                or any(k.arg == "defaults" for k in d.keywords):
            return None
        seen = True
        names |= {m.group(2) for m in _ANY_SEGMENT.finditer(rule.value)}  # (`<...>` only: no `{` in the rule)
    return frozenset(names) if seen else None


# Decorators that hand a view request data as arguments of its own (webargs, flask-smorest, flask-pydantic, ...)
_INJECTING_DECORATOR = re.compile(r"(?i)arg|param|input|schema|valid|body|query|inject|use_|marshal|parse")


def _annotation(p: ast.arg) -> str:
    ann = p.annotation
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    if isinstance(ann, ast.Subscript):  # Annotated[str, ...], Optional[Request]
        inner = ann.slice.elts[0] if isinstance(ann.slice, ast.Tuple) and ann.slice.elts else ann.slice
        return _annotation(ast.arg(arg=p.arg, annotation=inner))
    return ""


_SCALAR_ANNOTATIONS = frozenset({"int", "float", "bool", "UUID", "uuid.UUID", "date", "datetime", "Decimal"})
# (Flask's `<any(css, js):folder>` matches only one of the words it lists: a constant of the route's)
_TYPED_SEGMENT = re.compile(r"<(?:int|float|uuid|any)(?:\([^)]*\))?:(\w+)>|\{(\w+):(?:int|float|uuid)\}")
_ANY_SEGMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>|\{(\w+)(?::(\w+))?\}")


# A converter the application registers itself (`app.url_map.converters["uuid_str"] = StrictUUIDConverter`), named
# only with these words: by its name it matches a number or a UUID, as the built-in ones do.
_CUSTOM_SEGMENT = re.compile(r"<([A-Za-z_]\w*)(?:\([^)]*\))?:(\w+)>")
_NUMERIC_WORDS = frozenset({"uuid", "uuid4", "int", "integer", "hex", "digit", "digits", "number", "num", "id",
                            "str", "string", "strict"})


def _typed_route_parameters(fn: ast.AST) -> set[str]:
    """Parameters a route's converters make numbers, UUIDs or one of a few words: Flask's `<int:sid>`,
    `<any(css,js):folder>`, Starlette's `{sid:int}`, and a custom converter whose name says it matches a number
    (`<uuid_str:tag>`, `<strict_int:n>`). A parameter another route of the same view takes as plain text
    (`<path:folder>`) is not one (a route that leaves it out passes its `defaults=`)."""
    out: set[str] = set()
    plain: set[str] = set()
    for d in getattr(fn, "decorator_list", ()):
        if isinstance(d, ast.Call):
            for a in [*d.args[:1], *(k.value for k in d.keywords if k.arg in ("rule", "path"))]:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    typed = {m.group(1) or m.group(2) for m in _TYPED_SEGMENT.finditer(a.value)}
                    for m in _CUSTOM_SEGMENT.finditer(a.value):
                        words = set(m.group(1).lower().split("_"))
                        if words <= _NUMERIC_WORDS and words & {"uuid", "uuid4", "int", "integer", "hex", "digit",
                                                                "digits", "number", "num"}:
                            typed.add(m.group(2))
                    out |= typed
                    plain |= {m.group(2) or m.group(3) for m in _ANY_SEGMENT.finditer(a.value)} - typed
    return out - plain


# FastAPI's security schemes: a dependency on one gives the credential the request carried
_CREDENTIAL_SCHEMES = frozenset({"OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "HTTPBearer",
                                 "HTTPBasic", "HTTPDigest", "APIKeyHeader", "APIKeyCookie", "APIKeyQuery",
                                 "OpenIdConnect"})
_BROWSER_SENT = frozenset({"html", "redirect", "cookie"})


def _default_of(fn: ast.AST, p: ast.arg) -> ast.AST | None:
    a = fn.args  # type: ignore[attr-defined]
    positional = [*a.posonlyargs, *a.args]
    if p in positional:
        offset = len(positional) - len(a.defaults)
        i = positional.index(p)
        return a.defaults[i - offset] if i >= offset else None
    if p in a.kwonlyargs:
        return a.kw_defaults[a.kwonlyargs.index(p)]
    return None


def _all_taints(values: list[V]):
    out: tuple = ()
    for v in values:
        out = union(out, v.deep())
    return out


def _defined_as_def(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, (*FunctionNode, ast.ClassDef)) and n.name == name for n in tree.body)


__all__ = ["DataflowModule", "Summary", "dataflow_of", "_var_key"]


_PLAIN_DATA = frozenset({"str", "bytes", "int", "float", "bool", "dict", "list", "tuple", "set", "None", "Dict",
                         "List", "Tuple", "Set"})


def _returns_plain_data(fn: ast.AST) -> bool:
    """`-> str`, `-> dict[str, Any]`, `-> None`: the function says it returns plain data, so it is no view."""
    ret = getattr(fn, "returns", None)
    if ret is None:
        return False
    if isinstance(ret, ast.Subscript):
        ret = ret.value
    if isinstance(ret, ast.Constant) and ret.value is None:
        return True
    name = ret.attr if isinstance(ret, ast.Attribute) else ret.id if isinstance(ret, ast.Name) else ""
    return name in _PLAIN_DATA


YAML_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})


def _safe_yaml_loader(call: ast.Call, fn: ast.AST) -> bool:
    """`yaml.load(s, Loader)` whose loader is one of yaml's safe loaders by name, or a class defined in `fn` (the
    summarised function) deriving only from them: it builds no Python objects, so no parameter reaches a sink."""
    loader = next((k.value for k in call.keywords if k.arg == "Loader"), call.args[1] if len(call.args) > 1 else None)
    name = _short(loader) if loader is not None else None
    if name in YAML_SAFE_LOADERS:
        return True
    classes = [c for c in ast.walk(fn) if isinstance(c, ast.ClassDef) and c.name == name]
    return len(classes) == 1 and bool(classes[0].bases) and all(_short(b) in YAML_SAFE_LOADERS
                                                                for b in classes[0].bases)


def _summary_of(flow, fn: ast.AST) -> "Summary":
    """The summary a summarising Flow of `fn` found: what its return value carries, which parameters reach sinks."""
    summary = Summary(flow.returns)
    for call, family, v, what in flow.sink_hits:
        if family == "deserialise" and what.rsplit(".", 1)[-1] in ("load", "load_all") \
                and _safe_yaml_loader(call, fn):
            continue  # `yaml.load(stream, OrderedLoader)` with `class OrderedLoader(SafeLoader)` (INGInious §3ac)
        if what.startswith("<"):
            what = ".".join(what.split(".")[1:])  # <local>.cursor.execute -> cursor.execute
        sink_step = FlowStep(flow.loc(call), f"reaches `{what}`")
        for t in v.deep():
            if t.param is not None and t.live_for(family):
                summary.param_sinks.append((t.param, family, t.step(sink_step), what))
    ret = summary.returns
    if ret is not None and ret.deep():
        st = FlowStep(flow.loc(fn), f"returned by `{getattr(fn, 'name', '?')}()`")
        summary.returns = expand(ret, lambda t: (t.step(st),))
    return summary


ADMIN_TRUST = "a request only the site's administrators can send"
CAPABILITY_TRUST = "a request only users can send who were granted"
# Permission checks by name (`authorize`, `permission_required`, `requires_permission`, `has_perm`), and the
# capabilities a permission's words name, with the sink families each is.
_PERMISSION_CHECK = re.compile(r"^(?:authori[sz]e[sd]?|(?:requires?_)?perm(?:ission)?s?(?:_required)?|has_perm(?:ission)?s?)$",
                               re.I)
_CAPABILITIES = (
    ("path", frozenset({"filesystem", "fs", "file", "files", "filemanager", "upload", "uploads", "download",
                        "downloads", "storage"})),
    ("shell", frozenset({"terminal", "shell", "console", "script", "scripts", "command", "commands", "exec"})),
    ("process", frozenset({"terminal", "shell", "console", "script", "scripts", "command", "commands", "exec"})),
    ("code", frozenset({"terminal", "shell", "console", "script", "scripts", "exec"})),
)
# A CloudFormation custom resource's event: CloudFormation sends it, with the stack template's own values
# (`ResourceProperties`, `OldResourceProperties`), written by whoever deploys the stack.
CUSTOM_RESOURCE_TRUST = ("a CloudFormation custom resource's event, whose values (`ResourceProperties`) come from "
                         "the stack's template, written by whoever deploys the stack")
_CUSTOM_RESOURCE_FIELDS = frozenset({"RequestType", "ResourceProperties", "OldResourceProperties"})
_CUSTOM_RESOURCE_LIBRARIES = frozenset({"crhelper", "cfn_resource"})
_CALLER_EVENT_FIELDS = frozenset({
    "body", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "headers",
    "multiValueHeaders", "rawPath", "rawQueryString", "cookies", "httpMethod", "Records",
})


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""
_ADMIN_DECORATORS = frozenset({"admin_required", "superuser_required", "staff_member_required", "staff_required",
                               "require_admin", "requires_admin", "admin_only", "superuser_only", "require_superuser"})
_ADMIN_ROLES = frozenset({"admin", "administrator", "admins", "superuser", "superadmin"})
_ADMIN_FLAGS = frozenset({"is_superuser", "is_staff", "is_admin"})


def _admin_class(cls: ast.ClassDef) -> str:
    """The declaration that admits only administrators to every method of the class-based view `cls` (a phrase
    naming it), or "": a base such as `StaffRequiredMixin` / `SuperuserRequiredMixin` (django-braces and the
    projects' own), `UserPassesTestMixin` whose `test_func` returns an administrator flag, or a class decorator
    `@method_decorator(staff_member_required, name="dispatch")`."""
    for base in cls.bases:
        name = (_short(base) or "").lower()
        if name.endswith("requiredmixin") and any(word in name for word in ("staff", "superuser", "admin")):
            return f"{ADMIN_TRUST} (`class {cls.name}({ast.unparse(base)})`)"
        if name == "userpassestestmixin":
            for item in cls.body:
                if isinstance(item, ast.FunctionDef) and item.name == "test_func" and item.body:
                    last = item.body[-1]
                    value = last.value if isinstance(last, ast.Return) else None
                    tests = value.values if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.And) \
                        else [value]
                    if any(isinstance(t, ast.Attribute) and t.attr in _ADMIN_FLAGS for t in tests):
                        return f"{ADMIN_TRUST} (`class {cls.name}(UserPassesTestMixin)` testing `{ast.unparse(value)}`)"
    for d in cls.decorator_list:
        if isinstance(d, ast.Call) and _short(d.func) == "method_decorator" and d.args and _admin_only(d.args[0]):
            return f"{ADMIN_TRUST} (`@{ast.unparse(d)[:80]}`)"
    return ""


def _admin_only(node: ast.AST) -> bool:
    """`admin_required`, `staff_member_required(...)`, `user_passes_test(lambda u: u.is_superuser)`, a role check
    whose roles are all administrators' (`require_role(["admin"])`, `roles_required("admin")`)."""
    target = node.func if isinstance(node, ast.Call) else node
    name = (_short(target) or "").lower()
    if name in _ADMIN_DECORATORS:
        return True
    if not isinstance(node, ast.Call):
        return False
    if name == "user_passes_test" and node.args and isinstance(node.args[0], ast.Lambda):
        body = node.args[0].body
        tests = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
        return any(isinstance(t, ast.Attribute) and t.attr in _ADMIN_FLAGS for t in tests)
    if not any(word in name for word in ("role", "admin", "group")):
        return False
    roles = [c.value.lower() for a in [*node.args, *(k.value for k in node.keywords)]
             for c in ([a] if isinstance(a, ast.Constant) else getattr(a, "elts", []))
             if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return bool(roles) and all(r in _ADMIN_ROLES for r in roles)


# Django's template library registers tags and filters (`@register.simple_tag`, `@register.filter`,
# `@register.inclusion_tag(...)`): their arguments are what a template passes, the template's own values, not a
# view's URL captures (a tag taking `request` reads request data through it, followed as such).
_TEMPLATE_LIBRARY_DECORATORS = frozenset({"simple_tag", "inclusion_tag", "filter", "tag", "assignment_tag"})


def _template_library_function(fn: ast.AST) -> bool:
    for d in getattr(fn, "decorator_list", ()):
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr in _TEMPLATE_LIBRARY_DECORATORS \
                and isinstance(target.value, ast.Name) and target.value.id == "register":
            return True
    return False
