"""The scan itself, one straight pass:

    discover files -> (engines prepare: link templates to code) -> parse each file once and run the checks for
    its kinds -> attach threats -> fingerprints -> suppress -> sorted findings and notices

Nothing here prints or renders; cli.py and report/ do that.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .catalog import Catalog
from .discover import DEFAULT_MAX_BYTES, DecodeError, SourceFile, discover
from .engines import ScanContext, load_all
from .model import Finding, Notice, Rule
from .registry import all_checks
from .suppress import apply_suppressions
from .threatmodel import adjust_findings, default_options


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
    peer_timeout: int = int(os.environ.get("THREATSCAN_PEER_TIMEOUT", "900"))  # seconds per peer
    jobs: int = 0  # processes for the native engines; 0: one per available core (small scans run in one)
    shard: tuple[int, int] | None = None  # (I, N): scan only the files of shard I of N (see shard.py)


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
    found = discover(options.paths, root=options.root, excludes=options.excludes, includes=options.includes,
                     max_bytes=options.max_bytes)
    ctx = ScanContext(root=found.root, catalog=catalog, notices=list(found.notices))
    # Policy numbers the rules read (password length, bcrypt cost, ...): the threat model's, else the defaults.
    ctx.options.update(options.threat_model.options() if options.threat_model else default_options())
    checks = all_checks()
    rule_ids = {r.id for r in rules}
    ctx.files = {f.rel: f for f in found.files}
    ctx.rule_ids = frozenset(rule_ids)
    engines = load_all()

    # Links between files (a template naming a handler) are drawn over the whole repository, also when only some
    # files are scanned: a pre-commit file list or a --diff scan still knows which function a template deploys.
    context_files = found.files
    if all(Path(p).is_file() for p in options.paths):
        context_files = discover([found.root], root=found.root, excludes=options.excludes,
                                 max_bytes=options.max_bytes).files
        by_rel = {f.rel: f for f in found.files}
        context_files = [by_rel.get(f.rel, f) for f in context_files]
    for engine in engines:
        try:
            engine.prepare([f for f in context_files if f.kinds & engine.kinds], ctx)
        except Exception as exc:  # an engine bug must not lose the other engines' results
            ctx.notice(f"engine {engine.name} failed while preparing: {exc.__class__.__name__}: {exc}",
                       None, "error", "engine-crash")

    to_scan = found.files
    changed: dict[str, set[int] | None] | None = None
    if options.diff_base:
        from .gitdiff import DiffError, changed_lines

        try:
            changed = changed_lines(found.root, options.diff_base)
        except DiffError as exc:
            raise UsageError(str(exc)) from None
        # Every file was discovered and prepared above, so links (template -> handler) see the whole repository.
        to_scan = [f for f in found.files if f.rel in changed]
    if options.shard is not None:
        from .shard import in_shard

        # Every shard discovered and prepared the whole repository above; it scans only its own part.
        to_scan = [f for f in to_scan if in_shard(f.rel, options.shard)]

    plan = _Plan(engines, checks, rule_ids, ctx)
    findings, peers, jobs = _scan_files(to_scan, plan, options, lambda: _start_peers(options, to_scan, found.root))

    findings = attach_threats(findings, catalog)
    if peers is not None:
        findings, catalog = _collect_peers(peers, findings, catalog, options, to_scan, ctx)
    findings = assign_fingerprints(findings)
    if options.threat_model is not None:
        findings = adjust_findings(findings, options.threat_model)
    if options.severity:
        findings = [f.with_(severity=options.severity[f.rule_id]) if f.rule_id in options.severity else f for f in findings]
    findings = apply_suppressions(findings, to_scan, catalog)
    if changed is not None and options.diff_scope == "lines":
        findings = [f for f in findings if _on_changed_line(f, changed)]
    if options.baseline is not None:
        findings = [f for f in findings if f.fingerprint not in options.baseline]
    findings = add_line_hashes(findings, ctx.files)
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    peer_rules = [catalog.rules[rid] for rid in sorted({f.rule_id for f in findings}) if catalog.rules[rid].engine != "native"] \
        if peers is not None else []
    return ScanResult(found.root, findings, _dedupe(ctx.notices), found.files, rules + peer_rules,
                      time.perf_counter() - started, catalog, jobs, ctx.links.handlers)


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

    def __init__(self, engines, checks, rule_ids: set[str], ctx: ScanContext):
        self.engines, self.checks, self.rule_ids, self.ctx = engines, checks, rule_ids, ctx
        self._by_kinds: dict[frozenset[str], list[tuple[Any, list]]] = {}

    def for_kinds(self, kinds: frozenset[str]) -> list[tuple[Any, list]]:
        if kinds not in self._by_kinds:
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
                start_peers: Callable[[], Any]) -> tuple[list[Finding], Any, int]:
    """Run the engines over `files`, in a pool of forked processes when there are enough files and cores (each
    worker has the prepared scan context as it was at the fork: everything cross-file is computed in prepare()).
    Returns the findings, the started peers and how many processes scanned. The peers start once the workers
    exist: forking a process that already runs threads is unsafe."""
    # Unless --jobs says otherwise, only Python files count towards a pool (see HEAVY_KINDS).
    counted = files if options.jobs else [f for f in files if f.kinds & HEAVY_KINDS]
    jobs = min(options.jobs or default_jobs(), max(1, len(counted) // 4))
    if jobs <= 1 or len(counted) < PARALLEL_MIN_FILES or "fork" not in _start_methods():
        peers = start_peers()
        findings: list[Finding] = []
        for done, file in enumerate(files, start=1):
            if options.progress is not None:
                options.progress(done, len(files), len(findings))
            findings.extend(_scan_one(file, plan))
        return findings, peers, 1

    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _SHARED
    # Largest files first, in small chunks, so no worker is left with a big file at the end.
    order = sorted(range(len(files)), key=lambda i: -files[i].size)
    size = max(1, min(16, len(files) // (jobs * 8)))
    chunks = [order[n:n + size] for n in range(0, len(order), size)]
    per_file: dict[int, tuple[list[Finding], list[Notice]]] = {}
    _SHARED = (files, plan)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_scan_chunk, chunk): chunk for chunk in chunks}  # the first submit forks
            peers = start_peers()
            found = 0
            for future in as_completed(futures):
                try:
                    results = future.result()
                except Exception as exc:  # a worker died (killed, out of memory): this process scans its files
                    plan.ctx.notice(f"a scan worker failed ({exc.__class__.__name__}: {exc}); its files were scanned "
                                    "again in the main process", None, "note", "worker-failed")
                    results = [(i, *_scan_isolated(files[i], plan)) for i in futures[future]]
                for i, file_findings, notices in results:
                    per_file[i] = (file_findings, notices)
                    found += len(file_findings)
                if options.progress is not None:
                    options.progress(len(per_file), len(files), found)
    finally:
        _SHARED = None
    findings = []
    for i in range(len(files)):  # notices in file order, as a sequential scan gives them
        file_findings, notices = per_file[i]
        findings.extend(file_findings)
        plan.ctx.notices.extend(notices)
    return findings, peers, jobs


def _start_methods() -> list[str]:
    # fork only where it is the platform's own way (Linux): macOS frameworks are not fork-safe.
    return multiprocessing.get_all_start_methods() if sys.platform.startswith("linux") else []


def _scan_chunk(indices: list[int]) -> list[tuple[int, list[Finding], list[Notice]]]:
    """In a worker: scan the files at `indices` and return each one's findings and notices."""
    assert _SHARED is not None
    files, plan = _SHARED
    return [(i, *_scan_isolated(files[i], plan)) for i in indices]


def _scan_isolated(file: SourceFile, plan: _Plan) -> tuple[list[Finding], list[Notice]]:
    """Scan one file and take the notices it raised out of the shared list (they travel with its findings)."""
    notices = plan.ctx.notices
    start = len(notices)
    findings = _scan_one(file, plan)
    raised = notices[start:]
    del notices[start:]
    return findings, raised


def _scan_one(file: SourceFile, plan: _Plan) -> list[Finding]:
    """Every engine of the file's kinds over one file; a failure becomes a notice, never a lost scan."""
    ctx = plan.ctx
    findings: list[Finding] = []
    for engine, engine_checks in plan.for_kinds(file.kinds):
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
    file.release()
    return findings


def _start_peers(options: ScanOptions, files: list[SourceFile], root: Path):
    """Start the requested peers in threads (each runs a subprocess), on only the files of their kinds."""
    wanted = [e for e in options.engines if e != "native"]
    if not wanted:
        return None
    from concurrent.futures import ThreadPoolExecutor

    from .engines.peers import PeerUnavailable, executable, peer_instances, run_peer

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


def _collect_peers(futures, native: list[Finding], catalog: Catalog, options: ScanOptions,
                   files: list[SourceFile], ctx: ScanContext) -> tuple[list[Finding], Catalog]:
    from .engines.peers import UNMAPPED_THREAT, deduplicate, load_mappings, peer_catalog, to_finding

    mappings = load_mappings()
    by_rel = {f.rel: f for f in files}
    peer_findings: list[Finding] = []
    for name, future in futures.items():
        try:
            raw, notices = future.result()
        except Exception as exc:  # a peer runner's own bug: a notice, never a lost native result
            ctx.notice(f"{name} failed: {exc.__class__.__name__}: {exc}", None, "error", "peer-failed")
            continue
        ctx.notices.extend(notices)
        for r in raw:
            f = to_finding(name, r, mappings.get(name, {}), by_rel)
            if options.threat_model is not None:
                f = options.threat_model.rekey_peer_finding(f)
            if options.peer_unmapped == "drop" and UNMAPPED_THREAT in f.threats:
                continue
            peer_findings.append(f)
    catalog = peer_catalog(catalog, mappings, peer_findings)
    return deduplicate(native, peer_findings), catalog


def _on_changed_line(f: Finding, changed: dict[str, set[int] | None]) -> bool:
    lines = changed.get(f.location.path, set())
    if lines is None:
        return True
    return any(n in lines for n in range(f.location.line, max(f.location.end_line or f.location.line, f.location.line) + 1))


def attach_threats(findings: list[Finding], catalog: Catalog) -> list[Finding]:
    """Every finding names the threats of its rule (engines may add more, e.g. from a user's threat model)."""
    out = []
    for f in findings:
        rule = catalog.rules.get(f.rule_id)
        threats = tuple(dict.fromkeys((*f.threats, *(rule.threats if rule else ()))))
        out.append(f if threats == f.threats else f.with_(threats=threats))
    return out


def assign_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Make fingerprints unique: the n-th identical (rule, file, code) finding gets the n-th derived hash."""
    seen: dict[str, int] = {}
    out = []
    for f in sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column)):
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        if n:
            f = f.with_(fingerprint=hashlib.sha256(f"{f.fingerprint}:{n}".encode()).hexdigest()[:32])
        out.append(f)
    return out


def add_line_hashes(findings: list[Finding], files: dict[str, SourceFile]) -> list[Finding]:
    """GitHub's primaryLocationLineHash for every finding whose file could be read (see linehash.py)."""
    from .linehash import hashes_for_lines

    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.location.path, []).append(f)
    out = []
    for path, group in by_path.items():
        hashes: dict[int, str] = {}
        file = files.get(path)
        if file is not None:
            try:
                hashes = hashes_for_lines(file.data(), (f.location.line for f in group))
            except OSError:
                pass
            file.release()
        out.extend(f.with_(line_hash=hashes[f.location.line]) if f.location.line in hashes else f for f in group)
    return out


def _dedupe(notices: list[Notice]) -> list[Notice]:
    return list(dict.fromkeys(notices))
