"""The scan itself, one straight pass:

    discover files -> (engines prepare: link templates to code) -> parse each file once, run the checks for its
    kinds and read its suppression directives -> the findings' tail (tail.py: peers, evidence tier, severity,
    threats, suppressions, fingerprints, diff, baseline, redaction, line hashes) -> sorted findings and notices

Nothing here prints or renders; cli.py and report/ do that.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable

from .catalog import Catalog
from .discover import DEFAULT_MAX_BYTES, DecodeError, SourceFile, discover
from .engines import ENGINE_MODULES, ScanContext, load_all
from .engines.base import FACT_MARKS, Derived
from .limits import MAX_FINDINGS_PER_FILE, MAX_NOTICES, MAX_NOTICES_PER_FILE, PARSE_MEMORY, PARSE_TIMEOUT
from .model import Finding, Notice, Rule
from .policy import Policy
from .registry import all_checks
from .secrets import redact_findings, redact_notices
from .findings.suppress import FileIndex, parse_directives
from .findings.tail import Tail, run_tail
from .vendoring import vendored_packages
from .threats.threatmodel import default_options


@dataclass
class ScanOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    root: Path | None = None
    diff_base: str | None = None  # only files changed since this git revision...
    diff_scope: str = "lines"  # ...and only findings on changed lines ("lines") or anywhere in them ("file")
    severity: dict = field(default_factory=dict)  # rule id -> Severity override
    baseline: set[str] | None = None  # fingerprints of accepted findings
    progress: Callable[[int, int, int], None] | None = None  # (files done, files total, findings so far)
    threat_model: Any = None  # a threatmodel.UserThreatModel already applied to the catalogue passed to run_scan
    engines: tuple[str, ...] = ("native",)  # plus any of "bandit", "semgrep", "checkov"
    peer_unmapped: str = "keep"  # "keep" peer findings no mapping names (threat PEER-UNMAPPED), or "drop" them
    peer_timeout: int = 900  # seconds per peer (the CLI reads THREATSCAN_PEER_TIMEOUT when peers run)
    jobs: int = 0  # processes for the native engines; 0: one per available core (small scans run in one)
    shard: tuple[int, int] | None = None  # (I, N): scan only the files of shard I of N (see shard.py)
    cache_dir: Path | None = None  # each file's scan is kept here by content (see cache.py); None: no cache
    include_non_shipping: bool = False  # report findings in Android code that never ships (tail.non_shipping_filter)
    test_code_severity: bool = False  # test, example and vendored code keep their rules' severity (tail.evidence_tier)


@dataclass
class ScanResult:
    root: Path
    findings: list[Finding]
    notices: list[Notice]
    files: list[SourceFile]
    rules: list[Rule]
    seconds: float
    catalog: Catalog | None = None  # the catalogue the findings are keyed to (with peer rules, when peers ran)
    jobs: int = 1  # processes that ran the native engines
    # Python module -> {handler function: where a template or CDK app deploys it}, for the reports' link graph.
    handlers: dict = field(default_factory=dict)
    set_aside: dict[str, int] = field(default_factory=dict)  # findings the tail removed: "baselined", "outside-diff"
    engines: list[tuple[str, str]] = field(default_factory=list)  # (name, version) of each peer engine that ran

    @property
    def successful(self) -> bool:
        return not any(n.level == "error" and n.kind == "engine-crash" for n in self.notices)


class UsageError(ValueError):
    """A bad option (unknown rule id, ...): the CLI exits 2."""


def selected_rules(catalog: Catalog, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    select, ignore = tuple(select), tuple(ignore)
    for rid in (*select, *ignore):
        if not _matches_any(rid, catalog.rules):
            raise UsageError(f"unknown rule id {rid!r} (see `threatscan rules`)")
    rules = [r for r in catalog.rules.values() if not select or _selected(r, select)]
    return [r for r in rules if not _selected(r, ignore)]


def _selected(rule: Rule, patterns: tuple[str, ...]) -> bool:
    """A pattern is a rule id, a rule name, or an id prefix ending in '*' (e.g. PY1*)."""
    for p in patterns:
        if p in (rule.id, rule.name) or (p.endswith("*") and rule.id.startswith(p[:-1])):
            return True
    return False


def _matches_any(pattern: str, rules: dict[str, Rule]) -> bool:
    return any(_selected(r, (pattern,)) for r in rules.values())


def run_scan(options: ScanOptions, catalog: Catalog) -> ScanResult:
    started = time.perf_counter()
    rules = selected_rules(catalog, options.select, options.ignore)
    caching = options.cache_dir is not None  # discovery then keeps the hash of what it read whole (cache keys)
    found = discover(options.paths, root=options.root, excludes=options.excludes, includes=options.includes,
                     max_bytes=options.max_bytes, digests=caching, reuse=options.cache_dir, marks=FACT_MARKS)
    ctx = ScanContext(root=found.root, catalog=catalog, notices=list(found.notices))
    # Policy numbers the rules read (password length, bcrypt cost, ...): the threat model's, else the defaults.
    policy = dict(options.threat_model.options() if options.threat_model else default_options())
    ctx.policy = Policy.from_options(policy)
    ctx.max_file_bytes = options.max_bytes  # links.py reads handlers discovery did not list
    rule_ids = {r.id for r in rules}
    ctx.files = MappingProxyType({f.rel: f for f in found.files})
    ctx.rule_ids = frozenset(rule_ids)

    # Links between files (a template naming a handler) are drawn over the whole repository, also when only some
    # files are scanned: a pre-commit file list or a --diff scan still knows which function a template deploys.
    context_files = found.files
    if all(Path(p).is_file() for p in options.paths):
        context_files = discover([found.root], root=found.root, excludes=options.excludes,
                                 max_bytes=options.max_bytes, digests=caching, marks=FACT_MARKS).files
        by_rel = {f.rel: f for f in found.files}
        context_files = [by_rel.get(f.rel, f) for f in context_files]
    # The engines some file needs (an engine without a file of its kinds would prepare and scan nothing), not yet
    # their checks: the plan loads those for the first file scanned.
    engines = load_all(frozenset().union(*{f.kinds for f in context_files}, *{f.kinds for f in found.files}))
    ctx.wants_dependencies = options.cache_dir is not None  # the engines record what each file reads
    if options.cache_dir is not None:  # prepare() facts that are pure functions of files' contents, kept
        from functools import partial

        from .cache import memo_fact

        ctx.memo = partial(memo_fact, Path(options.cache_dir))
    for engine in engines:
        try:
            ctx.facts = ctx.facts.merged(engine.prepare([f for f in context_files if f.kinds & engine.kinds], ctx))
        except Exception as exc:  # an engine bug must not lose the other engines' results
            ctx.notice(f"engine {engine.name} failed while preparing: {exc.__class__.__name__}: {exc}",
                       None, "error", "engine-crash")
    # The files templates deploy from outside discovery are known from here on, to the tail's redaction too.
    ctx.files = MappingProxyType({**ctx.files, **ctx.facts.outside_files})

    to_scan = found.files
    changed: dict[str, set[int] | None] | None = None
    if options.diff_base:
        from .findings.gitdiff import DiffError, changed_lines

        try:
            changed = changed_lines(found.root, options.diff_base)
        except DiffError as exc:
            raise UsageError(str(exc)) from None
        # Every file was discovered and prepared above, so links (template -> handler) see the whole repository.
        to_scan = diff_files(found.files, changed, ctx)
    if options.shard is not None:
        from .shard import in_shard

        # Every shard discovered and prepared the whole repository above; it scans only its own part.
        to_scan = [f for f in to_scan if in_shard(f.rel, options.shard)]

    cache = None
    if options.cache_dir is not None:
        from .cache import ScanCache

        # What the checks read besides the file: the rules, the policy numbers, the size limit; the repository's
        # state is hashed by the cache itself.
        settings = {"rules": sorted(rule_ids), "policy": policy, "max_bytes": options.max_bytes}
        # The index (one file holding every entry the scan used) is this scan's: the paths it was given.
        scope = json.dumps([str(found.root), [str(p) for p in options.paths], options.shard,
                            options.diff_base is not None])
        cache = ScanCache(Path(options.cache_dir), settings, context_files, facts=_FileFacts(ctx),
                          dependencies=ctx.dependencies, scope=scope)
    plan = _Plan(engines, rule_ids, ctx)
    findings, indexes, peers, jobs = _scan_files(to_scan, plan, options,
                                                 lambda: _start_peers(options, to_scan, found.root), cache)
    if cache is not None:
        cache.finish()  # the index, when this scan changed it; then the size bound
        if cache.hits:
            ctx.notice(f"{cache.hits} of {cache.hits + cache.misses} files' results came from the cache "
                       f"({options.cache_dir})", None, "note", "cache")
    tail = Tail(catalog=catalog, options=options, files=ctx.files, indexes=indexes, changed=changed, peers=peers,
                scanned=to_scan, notices=ctx.notices, vendored=vendored_packages(found.root))
    findings = run_tail(findings, tail)
    catalog = tail.catalog
    peer_rules = [catalog.rules[rid] for rid in sorted({f.rule_id for f in findings}) if catalog.rules[rid].engine != "native"] \
        if peers is not None else []
    return ScanResult(found.root, findings, _dedupe(redact_notices(ctx.notices)), to_scan, rules + peer_rules,
                      time.perf_counter() - started, catalog, jobs, ctx.facts.handlers, dict(tail.set_aside),
                      engines=_engines_ran(peers))


def _file_facts(ctx: ScanContext, rel: str | None) -> str:
    """The cross-file facts prepare() drew for one file: the templates and CDK apps that deploy its functions, the
    environment variables they define for it, the secret literals a template check claims in it, its part in the
    deployment (settings module role), the production servers the repository runs, where it sets flask-cors's
    `CORS_ORIGINS`, whether it is a program its users install, which settings module turns Django's CSRF middleware
    on, and whether any module serves web requests."""
    facts = ctx.facts
    handlers, env_definitions, claimed = (facts.handlers.get(rel), facts.env_definitions.get(rel),
                                          facts.claimed_env_literals.get(rel))
    settings = facts.settings_modules.get(rel)
    internal = facts.internal_handlers.get(rel)
    return json.dumps([dict(handlers) if handlers is not None else None,
                       dict(internal) if internal is not None else None,
                       dict(env_definitions) if env_definitions is not None else None,
                       sorted(map(list, claimed)) if claimed else None,
                       [settings.role, settings.why, sorted(settings.overridden.items())] if settings else None,
                       sorted(repr(s) for s in facts.production_servers) or None,
                       sorted(repr(s) for s in facts.cors_origins) or None,
                       facts.distributed_program or None, dict(facts.csrf_middleware) or None, facts.web_framework,
                       dict(facts.ambient_credentials) if facts.ambient_credentials is not None else None],
                      sort_keys=True, default=repr)


class _FileFacts:
    """`_file_facts(ctx, file.rel)` for the cache's keys, with what is the same for every file worked out once per
    facts: most files have no link, no settings role and no claimed literal, and then share one answer (the
    production servers' part alone was sorted and encoded again for each of a repository's files)."""

    def __init__(self, ctx: ScanContext):
        self._ctx = ctx
        self._facts: Any = None
        self._plain = ""

    def __call__(self, file: SourceFile) -> str:
        facts, rel = self._ctx.facts, file.rel
        if facts is not self._facts:  # (prepare() has run: the scan's facts no longer change; checked all the same)
            self._facts, self._plain = facts, _file_facts(self._ctx, None)
        if rel in facts.handlers or rel in facts.env_definitions or facts.claimed_env_literals.get(rel) \
                or rel in facts.settings_modules:
            return _file_facts(self._ctx, rel)
        return self._plain


def diff_files(files: list[SourceFile], changed: dict[str, set[int] | None], ctx: ScanContext) -> list[SourceFile]:
    """The files a --diff scan reads: the changed ones, and those whose findings a change can affect: the code a
    changed template or CDK app deploys (a handler newly linked, an environment variable newly defined), and the
    Python modules that import a changed Python module (the data flow follows calls into repository helpers)."""
    wanted = set(changed)
    for py_rel, functions in ctx.facts.handlers.items():
        if any(at.path in changed for at in functions.values()):
            wanted.add(py_rel)
    for py_rel, variables in ctx.facts.env_definitions.items():
        if any(at.path in changed for at in variables.values()):
            wanted.add(py_rel)
    changed_modules = {_module_name(rel) for rel in changed if rel.endswith(".py")}
    changed_modules.discard("")
    if changed_modules:
        for f in files:
            if f.rel not in wanted and "python" in f.kinds:
                if _imports_any(f, changed_modules):
                    wanted.add(f.rel)
                else:
                    f.release()  # read only for its imports: not kept in memory
    return [f for f in files if f.rel in wanted]


def _module_name(rel: str) -> str:
    """The last component of a module's dotted name (`pkg/util.py` -> `util`, `pkg/__init__.py` -> `pkg`)."""
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return parts[-1] if parts else ""


# [ \t], not \s: with re.M, \s would run across every following blank line from each line start (quadratic).
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(.+)|import[ \t]+(.+))$", re.M)


def _imports_any(file: SourceFile, modules: set[str]) -> bool:
    """Whether a Python file imports one of `modules` (by the last part of its dotted name): a cheap reading of
    its import lines, no parse."""
    try:
        text = file.text()
    except Exception:
        return False
    for m in _IMPORT_LINE.finditer(text):
        names = re.findall(r"[\w.]+", " ".join(g for g in m.groups() if g))
        if any(part in modules for n in names for part in n.split(".")):
            return True
    return False


def _engines_ran(peers) -> list[tuple[str, str]]:
    """(name, version) of each peer engine that was started, found something or not."""
    return [(name, _peer_version(name)) for name in (peers or {})]


_VERSION = re.compile(r"\b(\d+\.\d+(?:\.\d+)?(?:[\w.+-]*)?)")


def _peer_version(name: str) -> str:
    """A peer's own `--version` answer (the first version number it prints), or "unknown"."""
    import subprocess
    import tempfile

    from .engines.peers import executable, peer_environment

    exe = executable(name)
    if exe is None:
        return "unknown"
    try:
        # Isolated as the peer's run is (engines.peers.run_peer): a scratch working directory and home, so no
        # configuration file of the scanned repository (.checkov.yaml in the working directory) is read.
        with tempfile.TemporaryDirectory(prefix=f"threatscan-{name}-") as tmp:
            # threatscan: ignore[PY103] the peer's own executable, as engines.peers.executable finds it to run the peer
            proc = subprocess.run([exe, "--version"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                                  cwd=tmp, env=peer_environment(Path(tmp), {}))
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    m = _VERSION.search(proc.stdout.decode("utf-8", "replace") + " " + proc.stderr.decode("utf-8", "replace"))
    return m.group(1) if m else "unknown"


# The smallest scan worth a process pool: forking costs a few tens of milliseconds, a pre-commit run of a handful
# of files is faster on its own.
PARALLEL_MIN_FILES = 24
# Python files (CDK apps are Python too) cost the most per file: parsing, every check, the data-flow pass. A
# template or an Android file costs little next to discovery, prepare() and the report, and a pool would double
# the memory (each worker copies the pages of the parent's heap it touches) for a tenth of the time. So by default
# only a scan with enough Python files is shared out; an explicit --jobs shares out any scan.
HEAVY_KINDS = frozenset({"python", "cdk"})
MAX_DEFAULT_JOBS = 8  # each worker holds its own trees: a 64-core runner should not fork 64 of them unasked


def default_jobs() -> int:
    """How many processes a scan uses when --jobs is not given: the cores this process may run on, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


class _Plan:
    """Which engines run which checks on a file, by the file's kinds: worked out once per set of kinds, not per
    file (a scan has a handful of kind sets and thousands of files)."""

    def __init__(self, engines, rule_ids: set[str], ctx: ScanContext):
        self.engines, self.rule_ids, self.ctx = engines, rule_ids, ctx
        self.checks: list | None = None
        self._by_kinds: dict[frozenset[str], list[tuple[Any, list]]] = {}

    def load_checks(self) -> None:
        """Import the checks (about a tenth of a warm rescan when every file comes from the cache, which needs
        none). Called before the first file is scanned, and before workers fork so that they inherit them."""
        if self.checks is None:
            # Only the loaded engines' checks: an engine without a file of its kinds has nothing to check.
            modules = tuple(type(engine).__module__ for engine in self.engines)
            self.checks = all_checks(modules if set(modules) <= set(ENGINE_MODULES) else None)
            self.ctx.kinds_checked = frozenset(c.kind for c in self.checks if c.rule_id in self.rule_ids)

    def for_kinds(self, kinds: frozenset[str]) -> list[tuple[Any, list]]:
        if kinds not in self._by_kinds:
            self.load_checks()
            steps = []
            for engine in self.engines:
                wanted = kinds & engine.kinds
                engine_checks = [c for c in self.checks if c.rule_id in self.rule_ids and c.kind in wanted]
                if engine_checks:
                    steps.append((engine, engine_checks))
            self._by_kinds[kinds] = steps
        return self._by_kinds[kinds]


# What a forked worker scans: the files and the plan (set before the fork, inherited by the workers).
_SHARED: tuple[list[SourceFile], _Plan] | None = None


def _scan_files(files: list[SourceFile], plan: _Plan, options: ScanOptions,
                start_peers: Callable[[], Any], cache=None) -> tuple[list[Finding], dict[str, FileIndex], Any, int]:
    """Run the engines over `files`, in a pool of forked processes when there are enough files and cores (each
    worker has the prepared scan context as it was at the fork: everything cross-file is computed in prepare()).
    Returns the findings, each file's suppression index, the started peers and how many processes scanned. The peers start once the workers
    exist: forking a process that already runs threads is unsafe."""
    # What the cache already knows is not scanned again (a file's entry holds its findings, index and notices).
    per_file: dict[int, tuple[list[Finding], FileIndex | None, list[Notice]]] = {}
    if cache is not None:
        for i, file in enumerate(files):
            got = cache.get(file)
            if got is not None:
                per_file[i] = got
    todo = [i for i in range(len(files)) if i not in per_file]
    if todo:
        plan.load_checks()
    # Unless --jobs says otherwise, only Python files count towards a pool (see HEAVY_KINDS).
    counted = [files[i] for i in todo] if options.jobs else [files[i] for i in todo if files[i].kinds & HEAVY_KINDS]
    jobs = min(options.jobs or default_jobs(), max(1, len(counted) // 4))
    if jobs <= 1 or len(counted) < PARALLEL_MIN_FILES or "fork" not in _start_methods():
        peers = start_peers()
        found = 0
        for done, i in enumerate(todo, start=1):
            if options.progress is not None:
                options.progress(done, len(todo), found)
            result = _scan_isolated(files[i], plan)
            per_file[i] = _compact(result[:3])
            found += len(per_file[i][0])
            if cache is not None:
                cache.put(files[i], *result)
        return (*_assemble(files, per_file, plan), peers, 1)

    import multiprocessing  # only for a pool: a warm rescan served from the cache never needs it
    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _SHARED
    # Largest files first, in small chunks, so no worker is left with a big file at the end.
    order = sorted(todo, key=lambda i: -files[i].size)
    size = max(1, min(16, len(order) // (jobs * 8)))
    chunks = [order[n:n + size] for n in range(0, len(order), size)]
    _SHARED = (files, plan)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_init, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(_scan_chunk, chunk): chunk for chunk in chunks}  # the first submit forks
            peers = start_peers()
            found = 0
            for future in as_completed(futures):
                try:
                    results = future.result()
                except Exception as exc:  # a worker died (killed, crashed, out of memory)
                    plan.ctx.notice(f"a scan worker failed ({exc.__class__.__name__}: {exc}); its files were scanned "
                                    "again, each in a process of its own", None, "note", "worker-failed")
                    results = [(i, *_rescan_alone(files[i], plan)) for i in futures[future]]
                for i, file_findings, index, notices, *deps in results:
                    per_file[i] = _compact((file_findings, index, notices))
                    found += len(file_findings)
                    if cache is not None:
                        cache.put(files[i], file_findings, index, notices, *deps)
                if options.progress is not None:
                    options.progress(len(per_file), len(files), found)
    finally:
        _SHARED = None
    return (*_assemble(files, per_file, plan), peers, jobs)


_NOTHING: tuple[list[Finding], FileIndex | None, list[Notice]] = ((), None, ())  # type: ignore[assignment]


def _compact(result: tuple) -> tuple:
    """One shared value for the many files that give nothing (no finding, directive or notice), instead of a tuple
    and two empty lists per file: kept until the loop ends, that is ~0.2 KiB per file of a 50,000-file scan."""
    return _NOTHING if not result[0] and result[1] is None and not result[2] else result


def _assemble(files: list[SourceFile], per_file: dict, plan: _Plan) -> tuple[list[Finding], dict[str, FileIndex]]:
    """Every file's findings and index, and its notices into the scan's, in file order (as one process gives them)."""
    findings: list[Finding] = []
    indexes: dict[str, FileIndex] = {}
    for i in range(len(files)):
        file_findings, index, notices = per_file[i]
        findings.extend(file_findings)
        if index is not None:
            indexes[files[i].rel] = index
        plan.ctx.notices.extend(notices)
    return findings, indexes


def _worker_init(parent: int) -> None:
    """In a forked worker: die with the parent. A worker holds both ends of the pool's pipes, so it would never
    see the parent go; Linux's parent-death signal ends it even when the parent is SIGKILLed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
    except (OSError, AttributeError):  # not Linux: the parent's SIGTERM handler still stops the workers
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _start_methods() -> list[str]:
    # fork only where it is the platform's own way (Linux): macOS frameworks are not fork-safe.
    import multiprocessing

    return multiprocessing.get_all_start_methods() if sys.platform.startswith("linux") else []


def _scan_chunk(indices: list[int]) -> list[tuple[int, list[Finding], FileIndex | None, list[Notice]]]:
    """In a worker: scan the files at `indices` and return each one's findings and notices."""
    assert _SHARED is not None
    files, plan = _SHARED
    return [(i, *_scan_isolated(files[i], plan)) for i in indices]


def _rescan_alone(file: SourceFile, plan: _Plan) -> tuple[list[Finding], FileIndex | None, list[Notice]]:
    """Scan one file of a dead worker in a child process of its own: a file that kills a process again costs only
    itself (a notice names it), never the main process and every other file's findings."""
    from .isolate import ChildFailed, run_in_child

    try:
        return run_in_child(lambda: _scan_isolated(file, plan), timeout=4 * PARSE_TIMEOUT, memory=2 * PARSE_MEMORY)
    except ChildFailed as exc:
        return [], None, [Notice(f"scanning this file {exc}; skipped", file.rel, "warning", "file-crashed")]


def _scan_isolated(file: SourceFile, plan: _Plan) -> tuple[list[Finding], FileIndex | None, list[Notice], dict | None]:
    """Scan one file and take the notices it raised out of the shared list (they travel with its findings), and
    what the engines recorded about the other files its result depends on (for the cache)."""
    notices = plan.ctx.notices
    start = len(notices)
    findings, index = _scan_one(file, plan)
    raised = notices[start:]
    del notices[start:]
    recorder = plan.ctx.dependencies
    return findings, index, raised, recorder.take(file.rel) if recorder is not None else None


def _scan_one(file: SourceFile, plan: _Plan) -> tuple[list[Finding], FileIndex | None]:
    """Every engine of the file's kinds over one file, then the file's suppression index (its directives and
    statements, read now, while the file is parsed); a failure becomes a notice, never a lost scan."""
    ctx = plan.ctx
    findings: list[Finding] = []
    steps = plan.for_kinds(file.kinds)
    for engine, engine_checks in steps:
        try:
            findings.extend(engine.scan_file(file, engine_checks, ctx))
        except DecodeError as exc:
            ctx.notice(f"{exc}; skipped", file.rel, "warning", "unreadable")
            break
        except OSError as exc:
            ctx.notice(f"could not read the file ({exc.strerror or exc}); skipped", file.rel, "warning", "unreadable")
            break
        except RecursionError:
            ctx.notice("too deeply nested to analyse; skipped", file.rel, "warning", "parse-error")
        except Exception as exc:  # a check's bug: report it, keep every other result
            ctx.notice(f"engine {engine.name} failed on this file: {exc.__class__.__name__}: {exc}",
                       file.rel, "error", "engine-crash")
    while ctx.derived:  # code the engines found inside the file, handed back for the engines of its kind
        findings.extend(_scan_derived(ctx.derived.pop(0), plan))
    index = _index(file, [engine for engine, _ in steps], ctx)
    findings = _line_hashed(_redacted(_cap_findings(findings, file, ctx), file, ctx), file)
    file.release()
    return findings, index


def _line_hashed(findings: list[Finding], file: SourceFile) -> list[Finding]:
    """GitHub's line hash (findings/linehash.py) of each finding in the file itself, worked out while the file is
    read: it goes into the file's cache entry with the finding, and the tail's line-hash stage, which fills only the
    findings without one, need not read the file again on a rescan (the same bytes give the same hashes)."""
    lines = {f.location.line for f in findings if f.location.path == file.rel and not f.line_hash}
    if not lines:
        return findings
    from .findings.linehash import hashes_for_lines

    try:
        hashes = hashes_for_lines(file.data(), lines)
    except OSError:
        return findings  # the tail tries again
    return [f.with_(line_hash=hashes[f.location.line])
            if f.location.path == file.rel and not f.line_hash and f.location.line in hashes else f for f in findings]


def _redacted(findings: list[Finding], file: SourceFile, ctx: ScanContext) -> list[Finding]:
    """The one secret redactor (secrets.redact_findings) over what every engine found in a file, right after the
    walks (the derived files' findings mapped back included): no finding leaves the per-file step (for the scan
    cache, the parent process, the tail) with a secret the detector finds on a line it points at, whichever engine
    made it and whatever values its checks handed over. The tail masks again at the output boundary (the peers'
    findings, suppression justifications). Another file a finding points at (a helper's flow step, a handler's
    line) is read for it and let go again unless it was in use."""
    if not findings:
        return findings
    others = {loc.path for f in findings for loc in (f.location, *(r.location for r in f.related),
                                                     *(s.location for s in f.flow))} - {file.rel}
    idle = [other for other in (ctx.files.get(path) for path in others) if other is not None and not other.loaded]
    redacted = redact_findings(findings, ctx.files, release=False)
    for other in idle:
        other.release()
    return redacted


def _scan_derived(derived: Derived, plan: _Plan) -> list[Finding]:
    """Run the engines of a derived file's kinds over it (inline Lambda code: the Python engine), its findings
    mapped back into the file that holds it; the function the host deploys counts as a handler there (a context
    of its own, whose facts say so)."""
    ctx = plan.ctx
    rel = derived.file.rel
    if derived.handler and derived.handler_at is not None:
        ctx = ctx.with_handler(rel, derived.handler, derived.handler_at)
    findings: list[Finding] = []
    for engine, engine_checks in plan.for_kinds(derived.file.kinds):
        try:
            findings.extend(derived.map_back(f) for f in engine.scan_file(derived.file, engine_checks, ctx))
        except RecursionError:
            ctx.notice("too deeply nested to analyse; skipped", rel, "warning", "parse-error")
        except Exception as exc:  # a check's bug: report it, keep every other result
            ctx.notice(f"engine {engine.name} failed on this file: {exc.__class__.__name__}: {exc}",
                       rel, "error", "engine-crash")
    return findings


def _index(file: SourceFile, engines: list, ctx: ScanContext) -> FileIndex | None:
    """The file's suppression directives and, when it has any, the statements they may sit in (asked of the
    engines that read the file). None for a file without directives: the common case costs one substring test."""
    try:
        text = file.text()
    except Exception:  # unreadable: already a notice
        return None
    directives = parse_directives(file.rel, text, python="python" in file.kinds)
    if not directives:
        return None
    spans = None
    for engine in engines:
        try:
            spans = engine.statements(file, ctx)
        except Exception:  # a file the engine could not parse: suppressions apply to their own lines
            spans = None
        if spans is not None:
            break
    return FileIndex(file.rel, tuple(directives), spans)


def _cap_findings(findings: list[Finding], file: SourceFile, ctx: ScanContext) -> list[Finding]:
    """At most MAX_FINDINGS_PER_FILE findings from one file (a generated file can hold 100,000 and make a report
    GitHub rejects): the most severe are kept, so a gate still fails on them, and a notice says how many went."""
    if len(findings) <= MAX_FINDINGS_PER_FILE:
        return findings
    ranked = sorted(findings, key=lambda f: (-int(f.severity), f.location.line, f.location.column, f.rule_id))
    ctx.notice(f"{len(findings) - MAX_FINDINGS_PER_FILE:,} more findings in this file are not reported (limit "
               f"{MAX_FINDINGS_PER_FILE} per file; the most severe are kept)", file.rel, "warning", "findings-capped")
    return ranked[:MAX_FINDINGS_PER_FILE]


def _start_peers(options: ScanOptions, files: list[SourceFile], root: Path):
    """Start the requested peers in threads (each runs a subprocess), on only the files of their kinds."""
    wanted = [e for e in options.engines if e != "native"]
    if not wanted:
        return None
    from concurrent.futures import ThreadPoolExecutor

    from .engines.peers import executable, peer_instances, run_peer

    instances = peer_instances()
    for name in wanted:
        if name not in instances:
            raise UsageError(f"unknown engine {name!r} (native, {', '.join(instances)})")
        if executable(name) is None:
            raise UsageError(f"engine {name} was requested but is not installed (pip install 'threatscan[{name}]')")
    pool = ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="peer")
    futures = {name: pool.submit(run_peer, instances[name], [f for f in files if f.kinds & instances[name].kinds],
                                 root, options.peer_timeout) for name in wanted}
    pool.shutdown(wait=False)
    return futures


def _dedupe(notices: list[Notice]) -> list[Notice]:
    return _cap_notices(list(dict.fromkeys(notices)))


def _cap_notices(notices: list[Notice]) -> list[Notice]:
    """At most MAX_NOTICES_PER_FILE notices per file and MAX_NOTICES in all, each cut said in one summary notice
    (450,000 duplicate-key notices made a SARIF file GitHub rejects)."""
    per_file: dict[str | None, int] = {}
    kept: list[Notice] = []
    for n in notices:
        seen = per_file[n.path] = per_file.get(n.path, 0) + 1
        if n.path is None or seen <= MAX_NOTICES_PER_FILE:
            kept.append(n)
    for path, count in per_file.items():
        if path is not None and count > MAX_NOTICES_PER_FILE:
            kept.append(Notice(f"{count - MAX_NOTICES_PER_FILE:,} more notices for this file are not shown (limit "
                               f"{MAX_NOTICES_PER_FILE} per file)", path, "note", "notices-capped"))
    if len(kept) > MAX_NOTICES:
        dropped = len(kept) - MAX_NOTICES
        kept = kept[:MAX_NOTICES] + [Notice(f"{dropped:,} more notices are not shown (limit {MAX_NOTICES} per scan)",
                                            None, "note", "notices-capped")]
    return kept
