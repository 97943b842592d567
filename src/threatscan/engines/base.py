"""What every engine shares: the engine interface, the scan-wide context, and how a finding is made."""

from __future__ import annotations

import copy
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..lang.python.module import DJANGO_URLS_MARKS, AnalysisState, ModuleFacts, PyModule, parsed_module
from ..model import Finding, FlowStep, Location, Notice, Related, Rule, Severity, fingerprint_of
from ..policy import Policy

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..discover import SourceFile
    from ..registry import Check
    from .python.deployment import CorsOriginsSetting, ServerEntry, SettingsModule


# Tokens a fact over every file asks each file about (the Python engine's CORS fact: `CORS_ORIGINS`; the data flow's
# Django routers: the modules they import): discovery notes them while it holds a file's bytes (SourceFile.mentions),
# so prepare() and the first file's data flow do not read every file again.
CORS_ORIGINS_MARK = b"CORS_ORIGINS"
# ... and whether a browser sends the repository's web API a credential on its own (python/deployment.py
# ambient_credentials): a cookie it sets or reads, a session, HTTP Basic or Digest authentication
# (not `WWW-Authenticate` alone: `Bearer` is the header OAuth2 APIs answer with; nor `session.get(`, an HTTP client's)
AMBIENT_CREDENTIAL_MARKS = (b"set_cookie", b"cookies", b"COOKIES", b"SessionMiddleware", b"flask_login",
                            b"login_user", b"django.contrib.sessions", b"APIKeyCookie", b"Basic realm",
                            b"Digest realm", b"HTTPBasic", b"HTTPDigest", b"session[", b"SESSION_COOKIE")
# ... and whether a Flask application turns Flask-WTF's CSRF checks on for every unsafe request
# (python/deployment.py csrf_middleware)
CSRF_PROTECT_MARKS = (b"CSRFProtect", b"WTF_CSRF_ENABLED")
FACT_MARKS = (CORS_ORIGINS_MARK, *DJANGO_URLS_MARKS, *AMBIENT_CREDENTIAL_MARKS, *CSRF_PROTECT_MARKS)


def _frozen(mapping: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def frozen(value: Any) -> Any:
    """`value` with every mapping, list and set in it made read-only (MappingProxyType, tuple, frozenset), all the
    way down; other objects as they are (a SourceFile, a frozen dataclass)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if value.__class__ in (list, tuple):  # (a named tuple or other tuple type is kept as it is)
        return tuple(frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    return value


@dataclass(frozen=True)
class Facts:
    """What the engines' prepare() learn across files, for the per-file step. Each engine returns the facts it
    found; scan.py merges them after each prepare (a later engine's prepare may read an earlier one's) and they are
    frozen before the files are shared out among worker processes.

    python_files: the repository's Python files by path (the data flow follows calls into them).
    handlers: Python path -> {function name: where a template or CDK app deploys it as a Lambda handler}.
    internal_handlers: Python path -> {function name: the services invoking it}, for the handlers a CloudFormation/SAM
    template shows invoked only by the account's own services (S3, SQS, a schedule, a custom resource...: no API, URL
    or other caller's request; links.function_triggers): their event is not an attacker's request.
    env_definitions: Python path -> {variable name: where a template defines it in plaintext (IAC101 reports it)}.
    outside_files: Python files a template deploys that discovery did not list (excluded): parsed to link them,
    never scanned; the tail reads them for the secrets on a finding's related lines.
    template_links: template path -> {logical id of a function: its HandlerLink}.
    link_when_scanned: templates linked when scanned instead (a repository without Python code).
    role_users: a role named the same way in several files -> (template, function, line, column, synthesized).
    cdk_constructs: CDK construct id -> where the CDK sources create it (cdk.out findings point back to it).
    claimed_env_literals: CDK app path -> (line, column, value digest) of each plaintext secret IAC101 reports.
    android_project: the Android project model (modules, source sets, targetSdk), sealed once built, or None.
    cdk_ctor_args: CDK app path -> {construct class: {parameter: "FILE#ConstructId@LINE" of what every call passes}}.
    cdk_log_buckets: CDK buckets ("FILE#ConstructId@LINE") that a construct in another file logs into.
    settings_modules: Python path -> its SettingsModule (python/deployment.py): deployed, development, base (with
    the settings a deployed module sets again) or not deployed, and why.
    production_servers: where the repository runs a production WSGI/ASGI server (ServerEntry: path, line, server).
    cors_origins: where the repository's Python modules set flask-cors's `CORS_ORIGINS` (CorsOriginsSetting: path,
    line, the literal origins or None when unknown).
    distributed_program: "" unless the repository is a program its users install and run (packaging metadata that
    installs commands, no web framework imported outside an optional plugin or local web subpackage;
    python/deployment.py), then a phrase saying so: a client
    credential it carries is in every user's copy.
    csrf_middleware: import root ("" for the repository's) -> the module that turns CSRF checks of every unsafe
    request on in what is deployed there: a settings module whose MIDDLEWARE names Django's
    `django.middleware.csrf.CsrfViewMiddleware`, or a module calling Flask-WTF's `CSRFProtect(...)`
    (python/deployment.py): a form body a view below that root reads (`request.POST`, Flask's `request.form`) is
    then no value a cross-site page can make a browser send.
    ambient_credentials: import root ("" for the repository's) -> where a Python module below it, outside
    development, test, example and vendored code, sets or reads a cookie, keeps a session or asks for HTTP
    Basic/Digest credentials ("path: the token"): what a browser sends a web API on its own, which credentialed CORS
    hands to other sites (python/deployment.py); a root missing has none (its API's clients add their tokens); None
    when not decided (then every CORS finding keeps its severity).
    web_framework: whether a Python module outside development, test and example code imports a web server
    framework (python/deployment.py serves_requests; True when not worked out): without one, a parameter merely
    named `request` holds no web request (an HTTP client's outgoing request, an RPC message).
    """

    python_files: Mapping[str, "SourceFile"] = field(default_factory=_frozen)
    handlers: Mapping[str, Mapping[str, Location]] = field(default_factory=_frozen)
    internal_handlers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=_frozen)
    env_definitions: Mapping[str, Mapping[str, Location]] = field(default_factory=_frozen)
    outside_files: Mapping[str, "SourceFile"] = field(default_factory=_frozen)
    template_links: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    link_when_scanned: frozenset[str] = frozenset()
    role_users: Mapping[str, tuple[tuple[str, str, int, int, bool], ...]] = field(default_factory=_frozen)
    cdk_constructs: Mapping[str, tuple[Location, ...]] = field(default_factory=_frozen)
    claimed_env_literals: Mapping[str, frozenset[tuple[int, int, str]]] = field(default_factory=_frozen)
    android_project: Any = None
    cdk_ctor_args: Mapping[str, Any] = field(default_factory=_frozen)
    cdk_log_buckets: frozenset[str] = frozenset()
    settings_modules: Mapping[str, "SettingsModule"] = field(default_factory=_frozen)
    production_servers: frozenset["ServerEntry"] = frozenset()
    cors_origins: frozenset["CorsOriginsSetting"] = frozenset()
    distributed_program: str = ""
    csrf_middleware: Mapping[str, str] = field(default_factory=_frozen)
    web_framework: bool = True
    ambient_credentials: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        for f in fields(self):  # whatever an engine hands in, the facts hold it read-only
            object.__setattr__(self, f.name, frozen(getattr(self, f.name)))

    def with_handler(self, path: str, function: str, defined_at: Location) -> "Facts":
        """These facts with one more handler (the function a template's inline code names, while it is scanned)."""
        handlers = {**self.handlers, path: {**self.handlers.get(path, {}), function: defined_at}}
        facts = copy.copy(self)  # (not replace(): the other facts are frozen already, no need to go over them again)
        object.__setattr__(facts, "handlers", frozen(handlers))
        return facts

    def merged(self, other: "Facts | None") -> "Facts":
        """These facts and another engine's (its values win where both hold one)."""
        if other is None:
            return self
        values: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, frozenset):
                values[f.name] = mine | theirs
            elif isinstance(mine, Mapping):
                values[f.name] = {**mine, **theirs} if theirs is not None else mine  # (frozen by __post_init__)
            else:  # a value the other engine left at the field's default holds nothing of its own
                default = None if f.default is MISSING else f.default
                values[f.name] = mine if theirs is None or theirs == default else theirs
        return Facts(**values)


@dataclass
class ScanContext:
    root: Path
    catalog: "Catalog"
    notices: list[Notice] = field(default_factory=list)
    # Every file by repository-relative path (discovered; after prepare also Facts.outside_files), read-only, so an
    # engine can reach another kind's file (a template's handler module) and share its parse cache.
    # `rule_ids`: the rules selected for this scan.
    files: Mapping[str, "SourceFile"] = field(default_factory=_frozen)
    rule_ids: frozenset[str] | None = None
    policy: Policy = field(default_factory=Policy)  # the numbers the rules compare with (frozen)
    facts: Facts = field(default_factory=Facts)  # what the engines' prepare() found (frozen)
    max_file_bytes: int | None = None  # the scan's size cap (links.py reads handlers discovery did not list)
    # Per process, never shared: what each file's result read from other files, for the scan cache's keys (the
    # Python engine's recorder, set by its prepare when the scan has a cache; scan.py takes a file's record with
    # its results). Not a fact: it is written while files are scanned.
    dependencies: Any = None
    wants_dependencies: bool = False  # the scan keeps a cache (set by scan.py before prepare)
    # With a cache: memo(name, inputs, compute, encode, decode) keeps a prepare() fact that is a pure function of
    # `inputs` (a text naming everything it reads) in the cache directory (cache.memo_fact); None: compute it.
    memo: Any = None
    _module_facts: ModuleFacts | None = field(default=None, repr=False, compare=False)
    _analysis: AnalysisState | None = field(default=None, repr=False, compare=False)

    def module_facts(self) -> ModuleFacts:
        """What the Python library needs from this scan to analyse a module (frozen): the handlers templates link,
        the repository's Python files (the Python engine's prepare lists them). The handlers and files are
        read-only views of the facts as they stand: a module parsed while prepare() links handlers (its handler
        module) sees the facts merged after it."""
        if self._module_facts is None:
            self._module_facts = ModuleFacts(handlers=_Current(self, "handlers"), files=_Current(self, "python_files"),
                                             internal_handlers=_Current(self, "internal_handlers"),
                                             record_imports=self.wants_dependencies,
                                             web_framework=lambda: self.facts.web_framework)
        return self._module_facts

    def analysis_state(self) -> AnalysisState:
        """The Python library's per-process state for this scan (its caches; its notes go to this context's
        notices): separate from the facts, never shared (a forked worker has its own copy)."""
        if self._analysis is None:
            self._analysis = AnalysisState(notice=self.notice)
        return self._analysis

    def python_module(self, file: "SourceFile") -> PyModule:
        """The file's PyModule, parsed once (lang.python.module.parsed_module with this scan's facts and state;
        raises ParseFailure)."""
        return parsed_module(file, self.module_facts(), self.analysis_state())

    def with_handler(self, path: str, function: str, defined_at: Location) -> "ScanContext":
        """This context for one derived file whose host deploys `function` as a Lambda handler (inline template
        code): the facts with that handler, everything else (notices, the per-process analysis state) shared."""
        facts = self.facts.with_handler(path, function, defined_at)
        return replace(self, facts=facts, _module_facts=replace(self.module_facts(), handlers=facts.handlers),
                       _analysis=self.analysis_state())

    # The kinds of file at least one selected check reads (None: every kind), and what engines handed back to the
    # scan while reading the current file (see Derived): the scan takes them after each file.
    kinds_checked: frozenset[str] | None = None
    derived: list["Derived"] = field(default_factory=list, repr=False, compare=False)

    def notice(self, message: str, path: str | None = None, level: str = "warning", kind: str = "skipped",
               line: int | None = None) -> None:
        self.notices.append(Notice(message, path, level, kind, line))

    def checks_kind(self, kind: str) -> bool:
        """Whether any selected check reads files of `kind` (worth handing such code back to the scan)."""
        return self.kinds_checked is None or kind in self.kinds_checked

    def hand_back(self, derived: "Derived") -> None:
        """Code one engine found inside a file, for the engines of its kind (inline Lambda code for the Python
        engine): the scan runs them on it once the current file is done and maps their findings back."""
        self.derived.append(derived)


class _Current(Mapping):
    """A read-only view of one mapping of a scan context's facts as they stand (scan.py merges each engine's
    prepare() into new Facts; nothing can write through the view)."""

    __slots__ = ("_ctx", "_name")

    def __init__(self, ctx: ScanContext, name: str):
        self._ctx, self._name = ctx, name

    def _now(self) -> Mapping:
        return getattr(self._ctx.facts, self._name)

    def __getitem__(self, key: Any) -> Any:
        return self._now()[key]

    def get(self, key: Any, default: Any = None) -> Any:
        return self._now().get(key, default)

    def __contains__(self, key: Any) -> bool:
        return key in self._now()

    def __iter__(self):
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


@dataclass
class Derived:
    """A file held inside another: `file` is what the other engine reads (its `rel` is the host's), `lines` maps
    its line n (1-based) to (host line, column offset), `properties` go on every finding, and `handler` (with
    where the host names it) marks the function the host deploys as a Lambda handler while it is scanned."""

    file: "SourceFile"
    lines: tuple[tuple[int, int], ...]
    properties: dict[str, Any] = field(default_factory=dict)
    handler: str | None = None
    handler_at: Location | None = None

    def map_back(self, finding: Finding) -> Finding:
        rel = self.file.rel
        related = tuple(Related(_map(r.location, self.lines, rel), r.message) for r in finding.related)
        flow = tuple(FlowStep(_map(s.location, self.lines, rel), s.message) for s in finding.flow)
        return finding.with_(location=_map(finding.location, self.lines, rel), related=related, flow=flow,
                             properties={**finding.properties, **self.properties})


def _map(loc: Location, lines: tuple[tuple[int, int], ...], rel: str) -> Location:
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


class Engine:
    """An engine reads one or more kinds of file. Subclasses implement `scan_file` (and maybe `prepare`)."""

    name = "engine"
    kinds: frozenset[str] = frozenset()

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> Facts | None:
        """Runs once before any file is scanned, over every discovered file of the engine's kinds (e.g. to link
        templates to code); returns what it found for the per-file step (scan.py merges and freezes it)."""
        return None

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        raise NotImplementedError

    def statements(self, file: "SourceFile", ctx: ScanContext) -> tuple[tuple[int, int], ...] | None:
        """The (first, last) line of every statement of a file this engine read, asked in the per-file step
        while the file is still parsed, for suppressions that sit on any line of a multi-line statement.
        None: the engine has no notion of statements (a suppression then applies to its own line)."""
        return None


def new_finding(
    rule: Rule,
    path: str,
    line: int,
    column: int,
    message: str,
    *,
    code: str,
    end_line: int | None = None,
    end_column: int | None = None,
    snippet: str | None = None,
    severity: Severity | None = None,
    related: Iterable[Related] = (),
    flow: Iterable[FlowStep] = (),
    precision: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Finding:
    """Build a finding. `code` is the raw code of the finding and its context: it feeds the fingerprint only.

    `snippet` is what people see; a check about a secret passes a redacted snippet so the value never shows.
    """
    return Finding(
        rule_id=rule.id,
        location=Location(path, max(line, 1), max(column, 1), end_line, end_column),
        message=message,
        severity=severity or rule.severity,
        threats=rule.threats,
        snippet=code.strip() if snippet is None else snippet,
        fingerprint=fingerprint_of(rule.id, path, code),
        related=tuple(related),
        flow=tuple(flow),
        precision=precision,
        properties=dict(properties or {}),
    )
