"""The command line: options in, run the scan, render out. Exit 0 clean, 1 findings at/above --fail-on, 2 error."""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import __version__
from ..escape import visible
from ..report import FORMATS

# The scan, the engines and the report writers are imported where a command needs them:
# `threatscan --version` and `threatscan rules` load neither checks nor writers.
# The catalogue (YAML) and the model too: `--version` needs neither.
if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..scan import ScanOptions, ScanResult

FAIL_ON = ("none", "low", "medium", "high", "critical")


def _catalog(memo: Path | None | bool = True) -> Catalog:
    """The catalogue; its parsed YAML is kept in the cache directory (`memo`; True: the default one, see
    _cache_dir; None: none)."""
    from ..catalog import CatalogError, load_catalog

    try:
        return load_catalog(memo=_cache_dir() if memo is True else memo)
    except CatalogError as exc:
        raise click.ClickException(f"the rule catalogue is broken: {exc}") from None


def _cache_dir(cache_dir: str | None = None, no_cache: bool = False) -> Path | None:
    """Where a scan keeps its cache (and the catalogue its parsed YAML): --cache-dir, else THREATSCAN_CACHE_DIR,
    else the user's cache directory; None with --no-cache, or THREATSCAN_NO_CACHE set (and no --cache-dir)."""
    if no_cache or (not cache_dir and os.environ.get("THREATSCAN_NO_CACHE", "") not in ("", "0")):
        return None
    from ..cache import default_dir

    return Path(cache_dir or os.environ.get("THREATSCAN_CACHE_DIR") or default_dir())


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_HOLD = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _temporary_file(target: Path) -> tuple[int, str]:
    """`tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)`: a new file only this
    process opened (O_EXCL, no symlink followed, mode 0600), without importing tempfile (with random and shutil,
    ~4 ms of a warm rescan)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = os.path.join(os.path.abspath(target.parent), f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name beside {target}")


def write_outputs(items: list[tuple[str, str]]) -> None:
    """Write every output or none: each goes to a temporary file beside its target first (created with the
    permissions the umask gives, as open() would); only when all are written are they renamed into place, with
    termination signals held back, and a rename that fails puts back the files already replaced (from hard-link
    backups). A crash, an error or a kill while writing leaves the old outputs as they were, never a new SARIF
    beside an old JSON."""
    # A device or a pipe (`-o /dev/null`, `-o /dev/stdout`) is written in place, after the files: renaming a
    # temporary file onto it would replace the device itself with a regular file (as root, for every process).
    special = [(p, c) for p, c in items if os.path.exists(p) and not os.path.isfile(p) and not os.path.isdir(p)]
    if special:
        write_outputs([(p, c) for p, c in items if (p, c) not in special])
        for path, content in special:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(content)
        return
    mode = 0o666 & ~_umask()
    written: list[tuple[str, Path]] = []
    backups: dict[Path, str | None] = {}
    try:
        for path, content in items:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _temporary_file(target)
            written.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), mode)
                fh.write(content)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HOLD) if hasattr(signal, "pthread_sigmask") else None
        try:
            for _, target in written:
                backups[target] = None
                if os.path.isfile(target):
                    bak = os.path.join(target.parent, f".{target.name}.{os.getpid()}.old")
                    try:
                        os.link(target, bak)
                        backups[target] = bak
                    except OSError:
                        pass
            replaced: list[Path] = []
            try:
                for tmp, target in written:
                    os.replace(tmp, target)
                    replaced.append(target)
            except BaseException:
                for target in replaced:  # put the old set back
                    try:
                        if backups[target]:
                            os.rename(backups.pop(target), target)
                        else:
                            os.unlink(target)
                    except OSError:
                        pass
                raise
            written = []
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
    finally:
        for tmp in [t for t, _ in written] + [b for b in backups.values() if b]:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_atomically(path: str, content: str) -> None:
    """Write to a temporary file beside the target, then rename: a crash never leaves a half-written file."""
    write_outputs([(path, content)])


class _Terminated(SystemExit):
    """SIGTERM, SIGINT (Ctrl-C) or SIGHUP arrived: stop, clean up, write nothing more."""


_MAIN_PID = os.getpid()
_SIGNALLED: int | None = None  # the exit code of a signal that arrived: what a later error during clean-up hides


def _children() -> list[int]:
    """This process's direct children (scan workers, peers), from /proc; empty where there is no /proc."""
    me, out = os.getpid(), []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == me:
            out.append(int(entry))
    return out


def _on_signal(signum, frame):
    if os.getpid() != _MAIN_PID:  # a forked scan worker: the parent stops everything; just go
        os._exit(128 + signum)
    global _SIGNALLED
    first = _SIGNALLED is None
    _SIGNALLED = 128 + signum
    for pid in _children():  # no worker or peer outlives the scan
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    if first:
        _exit_if_unwinding_hangs(128 + signum)
    raise _Terminated(128 + signum)


UNWIND_SECONDS = 10.0


def _exit_if_unwinding_hangs(code: int) -> None:
    """Exit with `code` after UNWIND_SECONDS if the signal's exception has not ended the process by then: raised
    at an arbitrary point, it can leave a worker pool's lock held, and the pool's shutdown then waits forever (seen
    under load: a SIGINT while workers started). Nothing is written on that path (report writes hold signals back),
    so the old reports stay as they were."""
    import threading

    def stop() -> None:
        try:
            os.write(2, f"threatscan: stopped by a signal (exit {code}); no report was written\n".encode())
        finally:
            os._exit(code)

    timer = threading.Timer(UNWIND_SECONDS, stop)
    timer.daemon = True
    timer.start()


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # exit 2 for usage and config errors, as documented
        global _MAIN_PID, _SIGNALLED
        _MAIN_PID, _SIGNALLED = os.getpid(), None
        import threading

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                previous[signum] = signal.signal(signum, _on_signal)
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = visible(exc.message)  # it may quote a path or a configuration key from the repository
            exc.show()
            sys.exit(2)
        except _Terminated as exc:
            click.echo(f"threatscan: stopped by a signal (exit {exc.code}); no report was written", err=True)
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(exc.code)  # not waiting for a peer's thread: its process was told to stop
        finally:  # invoked in-process (tests, embedding): leave the caller's handlers as they were
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="threatscan")
def main() -> None:
    """threatscan: checks derived from your threat model, run over Python, CloudFormation/SAM, CDK and Android."""


def _scan_options(f, *, diff: bool = True):
    """The options shared by `scan`, `baseline write`, `coverage` and (without --diff) `fix`."""
    for decorator in reversed([
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="Configuration file (default: .threatscan.toml or [tool.threatscan] in pyproject.toml at the root)."),
        click.option("--select", multiple=True, help="Only these rules (ids, names, or prefixes like PY1*); comma-separated or repeated."),
        click.option("--ignore", multiple=True, help="Skip these rules; comma-separated or repeated."),
        click.option("--exclude", multiple=True, help="Glob of paths to leave out (relative to the repository root)."),
        click.option("--diff", "diff_base", metavar="BASE", help="Scan only what changed since the git revision BASE."),
        click.option("--diff-scope", type=click.Choice(["lines", "file"]), default="lines", show_default=True,
                     help="With --diff: report findings on changed lines only, or anywhere in changed files."),
        click.option("--engines", "engines", metavar="LIST",
                     help="native plus peers: bandit, semgrep, checkov, comma-separated; 'auto' = every installed peer; default 'native' (peers run only when asked)."),
        click.option("--threat-model", "threat_model_file", type=click.Path(dir_okay=False),
                     help="Your threat model (threatmodel.yaml, or Threat Dragon JSON); default: threatmodel.yaml at the root."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Processes for the native engines (default: one per core, at most 8, when 24 or more Python files are scanned; otherwise one)."),
        click.option("--allow-missing", is_flag=True,
                     help="A path that does not exist is a notice, not a usage error (exit 2)."),
    ]):
        f = decorator(f)
    if not diff:  # `fix --diff` prints a diff: the scan's --diff BASE / --diff-scope are not offered there
        f.__click_params__ = [p for p in f.__click_params__ if p.name not in ("diff_base", "diff_scope")]
    return f


def _prepare(paths, config_file, select, ignore, exclude, diff_base, diff_scope, engines, threat_model_file,
             jobs, catalog: Catalog, allow_missing: bool = False):
    """Merge the configuration file, the threat model and the flags (flags win) into ScanOptions and the
    catalogue the scan keys its findings to."""
    from ..config import MAX_THREAT_MODEL_BYTES, ConfigError, check_regular_file, inside_repository, load_config
    from ..discover import find_root
    from ..scan import ScanOptions

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing and not allow_missing:  # a typo in CI must not pass as "0 findings"
        raise click.UsageError(f"no such file or directory: {', '.join(missing)} (--allow-missing to scan anyway)")
    root = find_root([Path(p) for p in paths])
    known = set(catalog.rules) | {r.name for r in catalog.rules.values()}
    try:
        config = load_config(root, config_file, known)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    options = ScanOptions(
        paths=paths,
        select=_split(select) or config.select,
        ignore=_split(ignore) or config.ignore,
        excludes=tuple(exclude) + _config_excludes(config.exclude, paths, root),
        includes=config.include,
        diff_base=diff_base,
        diff_scope=diff_scope,
        severity=dict(config.severity),
    )
    if config.max_file_bytes:
        options.max_bytes = config.max_file_bytes
    options.engines = _engines(_split((engines,)) if engines else config.engines)
    if any(e != "native" for e in options.engines):
        options.peer_timeout = _peer_timeout()
    options.peer_unmapped = config.peer_unmapped or "keep"
    options.jobs = jobs or config.jobs
    options.include_non_shipping = config.include_non_shipping
    from ..threats.threatmodel import ThreatModelError, apply_threat_model, find_threat_model, load_threat_model

    try:
        # A flag may name any file; the repository (its configuration, its threatmodel.yaml) only its own files.
        tm_path = threat_model_file or config.threat_model
        if not tm_path:
            found = find_threat_model(root)
            tm_path = found and inside_repository(root, found.name, str(found))
        if tm_path:
            check_regular_file(tm_path, MAX_THREAT_MODEL_BYTES, "threat model")
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if tm_path:
        try:
            options.threat_model = load_threat_model(tm_path, catalog)
            catalog = apply_threat_model(catalog, options.threat_model)
        except ThreatModelError as exc:
            raise click.UsageError(str(exc)) from None
    return options, config, catalog


def _peer_timeout() -> int:
    """THREATSCAN_PEER_TIMEOUT, read when peers run: seconds, a positive whole number (default 900)."""
    raw = os.environ.get("THREATSCAN_PEER_TIMEOUT", "").strip()
    if not raw:
        return 900
    value = int(raw) if raw.isascii() and raw.isdigit() else 0
    if value <= 0:
        raise click.UsageError(f"THREATSCAN_PEER_TIMEOUT must be a positive whole number of seconds, not {raw!r}")
    return value


def _config_excludes(patterns: tuple[str, ...], paths: list[str], root: Path) -> tuple[str, ...]:
    """The configuration's excludes, less those that exclude a path named on the command line (or a folder above
    it): `threatscan scan fixtures/` scans the fixtures even though the project's configuration leaves them out
    of `threatscan scan .`."""
    from ..discover import _excluded

    named = []
    for p in paths:
        try:
            rel = Path(p).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        parts = [] if rel == "." else rel.split("/")
        named += ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return tuple(pat for pat in patterns if not any(_excluded(n, (pat,)) for n in named))


def _engines(requested: tuple[str, ...]) -> tuple[str, ...]:
    requested = requested or ("native",)  # a peer found on PATH never joins a scan unasked: local and CI agree
    if all(name == "native" for name in requested):
        return ("native",)  # no peer: the peers' package (~0.01-0.03 s of imports) is not needed
    from ..engines.peers import PEER_NAMES, available

    out = ["native"]
    for name in requested:
        if name == "auto":
            out += available()
        elif name in PEER_NAMES:
            out.append(name)
        elif name != "native":
            raise click.UsageError(f"unknown engine {name!r} (native, {', '.join(PEER_NAMES)}, auto)")
    return tuple(dict.fromkeys(out))


def _run(options: ScanOptions, catalog: Catalog) -> ScanResult:
    from ..scan import UsageError, run_scan

    try:
        return run_scan(options, catalog)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:  # a failed scan: say so, write nothing, exit 2
        if _SIGNALLED is not None:  # the signal's exception was replaced while unwinding (a worker pool's shutdown
            raise _Terminated(_SIGNALLED) from None  # joining a manager thread the signal kept from starting)
        click.echo(f"threatscan: the scan failed: {exc.__class__.__name__}: {visible(exc)}", err=True)
        sys.exit(2)


@main.command()
@_scan_options
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output format; repeat for several. Paired in order with --output; the unpaired one goes to stdout.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="File for the format at the same position.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a finding at or above this severity remains (default: high, or the config's fail-on).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline (see `threatscan baseline write`).")
@click.option("--exclude-suppressed", is_flag=True,
              help="Leave suppressed findings out of every report (GitHub turns suppressed SARIF results into open alerts).")
@click.option("--category", default="threatscan", show_default=True, help="SARIF automationDetails category.")
@click.option("--link-base", metavar="URL", help="Markdown: link findings to URL/PATH#LINE (e.g. a blob URL of the commit).")
@click.option("--fail-on-test-code/--no-fail-on-test-code", default=None,
              help="Let findings in test, example and vendored code (tests/, test_*.py, examples/, docs/, vendor/, copied packages in lib/) "
                   "keep their rules' severities and fail the gate too (default: they are reported low, tagged "
                   "test-code or vendored, and do not).")
@click.option("--include-non-shipping/--no-include-non-shipping", default=None,
              help="Report findings in Android code that never ships: debug-only and test source sets, benchmark, "
                   "sample and test-utility modules (default: left out and counted, except committed credentials "
                   "of a known format; config key include-non-shipping).")
@click.option("--strict", is_flag=True, help="Exit 2 when any file could not be read or parsed.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line on the terminal.")
@click.option("--verbose", "-v", is_flag=True, help="Also print notes (e.g. files parsed with the fallback parser).")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: only on a terminal).")
@click.option("--shard", metavar="I/N", help="Scan only shard I of N (a stable split by path; join the SARIF logs with `threatscan merge`).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Keep each file's results here, by content, so an unchanged file is not scanned again "
                   "(default: $THREATSCAN_CACHE_DIR, else the user's cache directory, ~/.cache/threatscan).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache (also: THREATSCAN_NO_CACHE=1).")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Apply the safe fixes, scan again, and report (and exit on) the findings that remain.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix: also apply fixes that change behaviour a human must judge.")
def scan(paths, config_file, select, ignore, exclude, diff_base, diff_scope, engines, threat_model_file, jobs, allow_missing,
         formats, outputs, fail_on, baseline_file, exclude_suppressed, category, link_base, fail_on_test_code,
         include_non_shipping, strict, quiet, verbose, color, shard, cache_dir, no_cache, apply_fixes, unsafe_fixes) -> None:
    """Scan PATHS (default: the current directory)."""
    if unsafe_fixes and not apply_fixes:
        raise click.UsageError("--unsafe-fixes applies fixes only with --fix (or use `threatscan fix --unsafe-fixes`)")
    formats = list(formats) or ["text"]
    if len(outputs) > len(formats):
        raise click.UsageError("more --output files than --format options")
    to_stdout = formats[len(outputs):]
    if len(to_stdout) > 1:
        raise click.UsageError(f"only one format can go to stdout; give --output for {', '.join(to_stdout[1:])}")
    if len({os.path.abspath(o) for o in outputs}) < len(outputs):
        raise click.UsageError("two --output options name the same file")
    cache = _cache_dir(cache_dir, no_cache)
    catalog = _catalog(cache)
    options, config, catalog = _prepare(paths, config_file, select, ignore, exclude, diff_base, diff_scope,
                                        engines, threat_model_file, jobs, catalog, allow_missing)
    if include_non_shipping is not None:
        options.include_non_shipping = include_non_shipping
    # A team that gates its test code too judges it like shipping code: the rules' severities stay (and the gate
    # below counts it).
    options.test_code_severity = config.fail_on_test_code if fail_on_test_code is None else fail_on_test_code
    options.cache_dir = cache
    if shard:
        from ..shard import ShardError, parse_shard

        try:
            options.shard = parse_shard(shard)
        except ShardError as exc:
            raise click.UsageError(str(exc)) from None
    baseline_file = baseline_file or config.baseline  # the configuration's is already inside the repository
    if baseline_file:
        from ..findings import baseline as baseline_mod
        from ..config import MAX_BASELINE_BYTES, ConfigError, check_regular_file

        try:
            check_regular_file(baseline_file, MAX_BASELINE_BYTES, "baseline")
            options.baseline = baseline_mod.load(baseline_file)
        except (ConfigError, baseline_mod.BaselineError) as exc:
            raise click.UsageError(str(exc)) from None
    fail_on = fail_on or config.fail_on or "high"
    progress = _Progress() if sys.stderr.isatty() and not quiet else None
    options.progress = progress
    import gc

    gc.freeze()  # what is loaded so far (catalogue, modules) is never garbage: the collector need not re-walk it
    # A scan makes millions of short-lived AST nodes, freed by reference counting (no tree is kept in a cycle): a
    # young-generation collection every 200,000 net allocations (not 20,000) walks a file's live tree less often
    # (Django cold: 0.2 s of collector time at 20,000, 0.05-0.08 s at 100,000, 0.003 s at 200,000; peak memory the
    # same on Django and wagtail)
    gc.set_threshold(200_000, 50, 100)
    result = _run(options, catalog)
    if apply_fixes and result.successful:  # the reports and the exit code are those of the findings left
        from ..fix import plan

        outcome = _fix_and_verify(result, options, catalog, plan(result.findings, result.root, unsafe=unsafe_fixes),
                                  whole=True)
        if progress:
            progress.clear()
        _report_fixes(outcome, quiet=quiet)
        result = outcome.after or result
    if progress:
        progress.clear()
    if exclude_suppressed:
        kept = [f for f in result.findings if f.suppression is None]
        result.set_aside["suppressed"] = len(result.findings) - len(kept)
        result.findings = kept

    # Notices print once: in the text report when it goes to stdout, else on stderr; never with -q.
    if not quiet and "text" not in to_stdout:
        for n in _shown_notices(result, verbose):
            where = f"{visible(n.path)}: " if n.path else ""
            click.echo(f"threatscan: {n.level}: {where}{visible(n.message)}", err=True)
    if verbose:
        click.echo(f"threatscan: {len(result.files)} files in {result.seconds:.2f} s with {result.jobs} "
                   f"process{'es' if result.jobs > 1 else ''}", err=True)

    catalog = result.catalog or catalog  # with the peers' rules, when peers ran
    try:  # every report is rendered before any is written; all are written, or none (write_outputs)
        sarif_written = "sarif" in formats[:len(outputs)]
        # The fixes (each a libcst parse of its file) are worked out once, for every report that shows them.
        fixes = {}
        if {"sarif", "markdown"} & set(formats):
            if options.cache_dir is not None:  # a warm rescan reads its fixes: no libcst import, no parse
                from ..cache import cached_fixes

                fixes = cached_fixes(result.findings, result.root, options.cache_dir,
                                     {f.rel: f.digest for f in result.files})
            else:
                from ..fix import fixes_by_position

                fixes = fixes_by_position(result.findings, result.root)
        memo = None
        if options.cache_dir is not None and "sarif" in formats:  # the SARIF rules[] and taxonomies, kept encoded
            from functools import partial

            from ..cache import memo_fact

            memo = partial(memo_fact, options.cache_dir)
        rendered = {fmt: _render(fmt, result, catalog, category, color, verbose, quiet, link_base, options.threat_model,
                                 sarif_written, fixes, memo) for fmt in set(formats)}
        write_outputs([(path, rendered[fmt]) for fmt, path in zip(formats, outputs)])
    except Exception as exc:
        click.echo(f"threatscan: could not write the report: {exc.__class__.__name__}: {visible(exc)}", err=True)
        sys.exit(2)
    for fmt in to_stdout:
        click.echo(rendered[fmt], nl=False, color=color)  # click strips styles off a pipe unless --color forces them
    if "text" not in to_stdout and not quiet:
        click.echo(_summary(result, verbose), err=True)

    if not result.successful or (strict and any(n.level in ("warning", "error") for n in result.notices)):
        sys.exit(2)
    if fail_on != "none":
        from ..findings.tail import gates
        from ..model import Severity

        threshold = Severity.parse(fail_on)
        if any(gates(f, threshold, options.test_code_severity) for f in result.findings):
            sys.exit(1)


class _Progress:
    """Files done and findings so far, on one self-overwriting stderr line; only on a terminal."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int, findings: int) -> None:
        if total >= 200 and (done % 50 == 0 or done == total):
            click.echo(f"\rthreatscan: {done}/{total} files, {findings} findings so far", nl=False, err=True)
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 70 + "\r", nl=False, err=True)


@main.group()
def baseline() -> None:
    """Accept today's findings so that later scans report only new ones."""


@baseline.command("write")
@click.argument("file", type=click.Path(dir_okay=False))
@_scan_options
def baseline_write(file, paths, config_file, select, ignore, exclude, diff_base, diff_scope, engines, threat_model_file, jobs,
                   allow_missing) -> None:
    """Scan PATHS and record every open finding in FILE (no line numbers, timestamps or secret values)."""
    from ..findings import baseline as baseline_mod

    catalog = _catalog()
    options, _, catalog = _prepare(paths, config_file, select, ignore, exclude, diff_base, diff_scope,
                                   engines, threat_model_file, jobs, catalog, allow_missing)
    result = _run(options, catalog)
    write_atomically(file, baseline_mod.render(result.findings))
    click.echo(f"threatscan: recorded {len(_open(result))} findings in {file}", err=True)


def _open(result: ScanResult):
    return [f for f in result.findings if f.suppression is None]


def _render(fmt: str, result: ScanResult, catalog: Catalog, category: str, color, verbose: bool, quiet: bool,
            link_base: str | None = None, threat_model=None, sarif_written: bool = False,
            fixes: dict | None = None, memo=None) -> str:
    """One report of `result`; `fixes`: the fix of each finding that has one, by position (SARIF, Markdown)."""
    from ..report import text as text_report

    if fmt == "sarif":
        from ..report import sarif as sarif_report

        log = sarif_report.build_log(
            result.findings, result.notices, result.rules, catalog,
            root_uri=result.root.as_uri() + "/", category=category, successful=result.successful,
            engines=result.engines, fixes=fixes or {}, memo=memo)
        return sarif_report.dumps(log)
    if fmt == "markdown":
        from ..report import markdown

        text = markdown.render(result.findings, result.notices, catalog, files=len(result.files), base_url=link_base,
                               sarif_written=sarif_written, set_aside=_set_aside(result))
        if threat_model is not None:
            from .. import coverage as cov

            rows = cov.coverage(threat_model, catalog, result.findings, {r.id for r in result.rules},
                                cov.rules_that_looked(result.rules, result.files))
            text += "\n" + cov.render_markdown(rows, threat_model.system)
        fixable = list((fixes or {}).values())
        if fixable:
            safe = sum(1 for fx in fixable if fx.safe)
            text += (f"\n{len(fixable)} of these findings have a fix ({safe} safe): run `threatscan fix` to apply the "
                     "safe ones, `threatscan fix --diff` to review them all first.\n")
        return text
    if fmt == "html":
        from ..report import html

        rows = None
        if threat_model is not None:
            from .. import coverage as cov

            rows = cov.coverage(threat_model, catalog, result.findings, {r.id for r in result.rules})
        return html.render(result.findings, result.notices, catalog, files=len(result.files),
                           rules_run={r.id for r in result.rules}, coverage_rows=rows,
                           system=threat_model.system if threat_model is not None else None, handlers=result.handlers)
    if fmt == "json":
        from ..report import json as json_report

        return json_report.render(result.findings, result.notices, root=str(result.root), files=len(result.files),
                                  set_aside=_set_aside(result))
    colour = sys.stdout.isatty() if color is None else color
    if quiet:
        return _summary(result, verbose) + "\n"
    return text_report.render(result.findings, result.notices, catalog.rules, files=len(result.files),
                              colour=colour, verbose=verbose, set_aside=_set_aside(result),
                              threats=(result.catalog or catalog).threats)


def _shown_notices(result: ScanResult, verbose: bool) -> list:
    return [n for n in result.notices if n.level != "note" or verbose]


def _summary(result: ScanResult, verbose: bool) -> str:
    """The one summary line: open findings, files scanned, the notices the normal output shows, and what the
    scan set aside (suppressed, baselined)."""
    from ..report import text as text_report

    return text_report.summary_line(_open(result), len(result.files), len(_shown_notices(result, verbose)),
                                    _set_aside(result))


def _set_aside(result: ScanResult) -> dict[str, int]:
    out = {"suppressed": len(result.findings) - len(_open(result)) + result.set_aside.get("suppressed", 0)}
    out["baselined"] = result.set_aside.get("baselined", 0)
    from ..findings.tail import NON_SHIPPING_ASIDE

    if result.set_aside.get(NON_SHIPPING_ASIDE):  # only when there were some: Android projects only
        out[NON_SHIPPING_ASIDE] = result.set_aside[NON_SHIPPING_ASIDE]
    return out


@main.group(invoke_without_command=True)
@click.option("--markdown", is_flag=True, help="Print the whole catalogue as Markdown (docs/rules.md).")
@click.option("--engine", type=click.Choice(["native", "bandit", "semgrep", "checkov"]), default="native",
              show_default=True, help="A peer engine: show how its rule ids map to threats (rules/peers/).")
@click.option("--check", "verify", is_flag=True, help="Verify that every rule has its check and every check its rule.")
@click.pass_context
def rules(ctx: click.Context, markdown: bool, engine: str, verify: bool) -> None:
    """List every rule (id, name, severity, threats); `rules show ID` prints one rule's documentation."""
    if verify:
        from ..catalog import CatalogError, verify_checks

        catalog = _catalog()
        try:
            verify_checks(catalog)
        except CatalogError as exc:
            raise click.ClickException(f"the rule catalogue is broken: {exc}") from None
        click.echo(f"{len(catalog.rules)} rules, each with its check")
        return
    if ctx.invoked_subcommand is None and engine != "native":
        from ..engines.peers import executable, load_mappings

        mapping = load_mappings()[engine]
        state = "installed" if executable(engine) else f"not installed: pip install 'threatscan[{engine}]'"
        click.echo(f"{engine} ({state}); rule ids not listed here are kept under PEER-UNMAPPED")
        for r in mapping.values():
            native = f"  same as {', '.join(r.native)}" if r.native else ""
            click.echo(f"{r.peer_id:<40} {r.severity.label:<8} {', '.join(r.threats):<32} "
                       f"{', '.join(f'CWE-{c}' for c in r.cwe)}{native}")
        return
    if ctx.invoked_subcommand is None:
        catalog = _catalog()
        if markdown:
            from ..report.catalog_md import rules_markdown

            click.echo(rules_markdown(catalog), nl=False)
            return
        for r in sorted(catalog.rules.values(), key=lambda r: r.id):
            click.echo(f"{r.id:<10} {r.name:<36} {r.severity.label:<8} {', '.join(r.threats)}")


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Print the whole documentation of RULE_ID."""
    catalog = _catalog()
    rule = catalog.rules.get(rule_id) or next((r for r in catalog.rules.values() if r.name == rule_id), None)
    if rule is None:
        raise click.UsageError(f"unknown rule {rule_id!r} (see `threatscan rules`)")
    click.echo(f"{rule.id} {rule.name}")
    click.echo(f"severity: {rule.severity.label} (security-severity {rule.security_severity}), precision: {rule.precision}")
    click.echo(f"reads: {', '.join(rule.kinds)}; CWE: {', '.join(f'CWE-{c}' for c in rule.cwe)}")
    click.echo("")
    from ..report.catalog_md import rule_markdown

    click.echo(rule_markdown(rule, catalog))


@main.group(invoke_without_command=True)
@click.option("--uncovered", is_flag=True, help="Only the threats no rule checks yet.")
@click.option("--markdown", is_flag=True, help="Print the catalogue as Markdown (docs/threats.md).")
@click.pass_context
def threats(ctx: click.Context, uncovered: bool, markdown: bool) -> None:
    """List the threat catalogue, each threat with the rules that evidence it; `threats import` reads a model."""
    if ctx.invoked_subcommand is not None:
        return
    catalog = _catalog()
    if markdown:
        from ..report.catalog_md import threats_markdown

        click.echo(threats_markdown(catalog), nl=False)
        return
    shown = [t for t in catalog.threats.values() if not uncovered or not catalog.rules_for_threat(t.id)]
    for t in shown:
        rule_ids = [r.id for r in catalog.rules_for_threat(t.id)]
        click.echo(f"  {t.id:<18} {t.title}")
        click.echo(f"  {'':<18} STRIDE: {', '.join(t.stride)}; CWE: {', '.join(f'CWE-{c}' for c in t.cwe) or 'none'}; "
                   f"rules: {', '.join(rule_ids) if rule_ids else 'no rule yet'}")
        if t.references:
            click.echo(f"  {'':<18} generalises: {_sources(catalog, t.references)}")
    missing = catalog.uncovered_threats()
    click.echo("")
    click.echo(f"{len(catalog.threats)} threats, {len(catalog.threats) - len(missing)} checked by at least one rule, "
               f"{len(missing)} with no rule yet: {', '.join(t.id for t in missing) or 'none'}")


def _sources(catalog, references) -> str:
    """Example threats grouped by the model they come from, named by the model's title (never a file name)."""
    by_model: dict[str, list[str]] = {}
    for ref in references:
        ex = catalog.examples.get(ref)
        if ex is not None:
            by_model.setdefault(ex.model, []).append(ref)
    return "; ".join(f"{', '.join(ids)} ({catalog.models[m].title})" for m, ids in by_model.items())


@threats.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the threat model here (default: stdout).")
@click.option("--system", help="The system's name (default: the document's title).")
def threats_import(source: str, output: str | None, system: str | None) -> None:
    """Turn a threat model written elsewhere into threatmodel.yaml: Markdown (tables, lists, a heading per threat),
    OWASP Threat Dragon v1/v2 JSON, a pytm JSON report or a Threagile model. Controls are suggested from each
    threat's meaning, and stay suggestions until you accept them (`threatscan threats accept ID`)."""
    from ..threats.importers import ImportError_, import_file

    catalog = _catalog()
    try:
        text, model = import_file(source, catalog, system=system)
    except ImportError_ as exc:
        raise click.UsageError(str(exc)) from None
    for item in model.unread:
        click.echo(f"threatscan: not imported: {item}", err=True)
    if output:
        write_atomically(output, text)
        click.echo(f"threatscan: wrote {output}: {len(model.rows)} threats from {model.format}"
                   + (f", {len(model.unread)} items not understood (listed above and in the file)" if model.unread else "")
                   + "; review the suggested controls", err=True)
    else:
        click.echo(text, nl=False)


@threats.command("accept")
@click.argument("threat_ids", nargs=-1, required=True)
@click.option("--threat-model", "model_file", type=click.Path(exists=True, dir_okay=False), default="threatmodel.yaml",
              show_default=True, help="The threat model to edit.")
@click.option("--control", "only", multiple=True, help="Accept only this suggested control (e.g. threat:TS-INJ-SQL).")
def threats_accept(threat_ids, model_file: str, only) -> None:
    """Promote a threat's suggested controls to `controls`: from then on its rules check the threat (coverage,
    severity, escalation). `all` accepts every threat's suggestions."""
    from ..threats.threatmodel import ThreatModelError, accept_suggestions

    try:
        text, moved = accept_suggestions(Path(model_file).read_text(encoding="utf-8"), threat_ids, only)
    except ThreatModelError as exc:
        raise click.UsageError(str(exc)) from None
    write_atomically(model_file, text)
    for tid, controls in moved.items():
        click.echo(f"threatscan: {tid}: accepted {', '.join(controls) or 'nothing (no suggested controls)'}", err=True)


@main.command("coverage")
@_scan_options
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def coverage_cmd(paths, config_file, select, ignore, exclude, diff_base, diff_scope, engines, threat_model_file, jobs,
                 allow_missing, fmt) -> None:
    """For each threat of your threat model: the rules that check it, the findings open against it, and whether it
    is violated, checked and clean, or not checked by any rule."""
    from .. import coverage as cov

    catalog = _catalog()
    options, _, catalog = _prepare(paths, config_file, select, ignore, exclude, diff_base, diff_scope,
                                   engines, threat_model_file, jobs, catalog, allow_missing)
    if options.threat_model is None:
        raise click.UsageError("no threat model: give --threat-model FILE or put threatmodel.yaml at the repository root")
    result = _run(options, catalog)
    rows = cov.coverage(options.threat_model, catalog, result.findings, {r.id for r in result.rules},
                        cov.rules_that_looked(result.rules, result.files))
    render = {"text": cov.render_text, "markdown": cov.render_markdown, "json": cov.render_json}[fmt]
    click.echo(render(rows, options.threat_model.system), nl=False)


@main.command("fix")
@functools.partial(_scan_options, diff=False)
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff and write nothing.")
@click.option("--show-fixes", is_flag=True, help="List every finding that has a fix (safe and unsafe) and write nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour a human must judge.")
def fix_cmd(paths, config_file, select, ignore, exclude, engines, threat_model_file, jobs, allow_missing,
            show_diff, show_fixes, unsafe_fixes) -> None:
    """Fix the findings in PATHS that have one right answer, then scan again to prove each is gone."""
    from .. import fix as fixes

    catalog = _catalog()
    options, _, catalog = _prepare(paths, config_file, select, ignore, exclude, None, "lines",
                                   "native", threat_model_file, jobs, catalog, allow_missing)
    result = _run(options, catalog)
    if show_fixes:
        for _, fx in sorted(fixes.fixes_by_position(result.findings, result.root).items()):
            f = fx.finding
            kind = "safe" if fx.safe else "unsafe"
            click.echo(f"{visible(f.location.path)}:{f.location.line}:{f.location.column}: {f.rule_id} [{kind}] "
                       f"{fx.description}")
        return
    planned = fixes.plan(result.findings, result.root, unsafe=unsafe_fixes or show_diff)
    if show_diff:
        from ..secrets import redact

        for file_fix in planned:  # the diff shows code around each fix: its secrets are masked like every output
            if file_fix.stale:
                click.echo(f"threatscan: {visible(file_fix.path)} changed since the scan; no fix shown", err=True)
            click.echo(redact(file_fix.unified_diff()), nl=False)
        click.echo(f"threatscan: {sum(len(p.applied) for p in planned)} fixes in {len(planned)} files "
                   "(nothing written)", err=True)
        return
    outcome = _fix_and_verify(result, options, catalog, planned)
    _report_fixes(outcome)
    if outcome.reverted:
        sys.exit(1)


@dataclasses.dataclass
class _FixOutcome:
    planned: list
    fixed: int = 0
    written: list = dataclasses.field(default_factory=list)
    reverted: list = dataclasses.field(default_factory=list)
    after: ScanResult | None = None  # the verifying re-scan

    @property
    def unsafe_left(self) -> int:
        return sum(len(p.skipped_unsafe) for p in self.planned)


def _fix_and_verify(result: ScanResult, options: ScanOptions, catalog: Catalog, planned: list, *,
                    whole: bool = False) -> _FixOutcome:
    """Write each planned file (never one that changed since the scan), scan again, and restore any file where a
    fixed finding is still reported. The re-scan covers the written files, or (`whole`) everything `options`
    names, so that its result can stand for the whole scan."""
    from collections import Counter

    from .. import fix as fixes

    out = _FixOutcome(planned)
    before = Counter((f.location.path, f.rule_id) for f in result.findings if f.suppression is None)
    for file_fix in planned:
        if file_fix.stale:
            click.echo(f"threatscan: {visible(file_fix.path)} changed since the scan; not fixed", err=True)
            continue
        if not file_fix.applied:
            continue
        try:
            fixes.write(file_fix, result.root)
            out.written.append(file_fix)
        except fixes.ChangedSinceScan:
            click.echo(f"threatscan: {visible(file_fix.path)} changed since the scan; not fixed", err=True)
    if not out.written:
        return out
    again = dataclasses.replace(options, progress=None) if whole else \
        dataclasses.replace(options, paths=[str(result.root / p.path) for p in out.written], diff_base=None,
                            progress=None)
    out.after = _run(again, catalog)
    after = Counter((f.location.path, f.rule_id) for f in out.after.findings if f.suppression is None)
    for file_fix in out.written:
        want = Counter(f.rule_id for f in file_fix.applied)
        if any(after[(file_fix.path, rule)] > before[(file_fix.path, rule)] - n for rule, n in want.items()):
            (result.root / file_fix.path).write_text(file_fix.original, encoding="utf-8", newline="")
            out.reverted.append(file_fix.path)
        else:
            out.fixed += len(file_fix.applied)
    if out.reverted and whole:  # the restored files' findings are those of the first scan again
        out.after = _run(again, catalog)
    return out


def _report_fixes(outcome: _FixOutcome, *, quiet: bool = False) -> None:
    for path in outcome.reverted:
        click.echo(f"threatscan: a fix in {visible(path)} did not remove its finding; the file was restored", err=True)
    if quiet:
        return
    unsafe_left = outcome.unsafe_left
    click.echo(f"threatscan: fixed {outcome.fixed} findings in {len(outcome.written) - len(outcome.reverted)} files"
               + (f"; {unsafe_left} more with unsafe fixes (--unsafe-fixes, or --diff to review)" if unsafe_left else ""),
               err=True)


@main.command("merge")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the merged SARIF here (default: stdout).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="none", show_default=True,
              help="Exit 1 when an unsuppressed result at or above this severity is in the merged log.")
def merge_cmd(inputs: tuple[str, ...], output: str | None, fail_on: str) -> None:
    """Join the SARIF logs of `scan --shard I/N` runs into one run, as a single scan would have written it."""
    import json

    from ..shard import ShardError, merge_sarif

    logs = []
    for path in inputs:
        try:
            with open(path, encoding="utf-8") as fh:
                logs.append(json.load(fh))
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"{path}: not a readable SARIF log ({exc.__class__.__name__})") from None
    try:
        merged = merge_sarif(logs)
    except ShardError as exc:
        raise click.UsageError(str(exc)) from None
    text = json.dumps(merged, indent=2) + "\n"
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    if not merged["runs"][0]["invocations"][0].get("executionSuccessful", True):
        sys.exit(2)
    if fail_on != "none":
        from ..model import Severity

        threshold = Severity.parse(fail_on)
        for result in merged["runs"][0]["results"]:
            props = result.get("properties") or {}
            severity = props.get("severity")
            # the scan's gate (tail.gates): review findings and test/non-shipping code do not fail it
            if props.get("evidence") == "review" or props.get("codeKind"):
                continue
            if not result.get("suppressions") and severity and Severity.parse(severity) >= threshold:
                sys.exit(1)


@main.command("org")
@click.argument("repos", nargs=-1)
@click.option("--list", "list_file", type=click.Path(exists=True, dir_okay=False),
              help="A file naming one repository per line (a checkout's path, or owner/name with --matrix).")
@click.option("--output-dir", "-o", type=click.Path(file_okay=False), default="threatscan-sarif", show_default=True,
              help="Write one SARIF file per repository here.")
@click.option("--category", default="threatscan", show_default=True,
              help="Category prefix: each repository's SARIF is uploaded under CATEGORY/NAME.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="none", show_default=True,
              help="Exit 1 when some repository has a finding at or above this severity.")
@click.option("--scan-args", default="", metavar="ARGS",
              help="More `threatscan scan` options for every repository, as one shell-quoted string.")
@click.option("--matrix", is_flag=True,
              help="Scan nothing: print the plan as a GitHub Actions matrix (JSON) for a job per repository.")
def org_cmd(repos: tuple[str, ...], list_file: str | None, output_dir: str, category: str, fail_on: str,
            scan_args: str, matrix: bool) -> None:
    """Scan many repositories (REPOS and/or --list): one SARIF per repository, each with its own category."""
    from ..org import OrgError, matrix as as_matrix, plan, read_list, scan_all

    entries = list(repos)
    if list_file:
        with open(list_file, encoding="utf-8") as fh:
            entries += read_list(fh.read())
    try:
        planned = plan(entries, category)
    except OrgError as exc:
        raise click.UsageError(str(exc)) from None
    if matrix:
        click.echo(as_matrix(planned))
        return
    sys.exit(scan_all(planned, Path(output_dir), scan_args, fail_on, echo=lambda line: click.echo(visible(line), err=True)))


if __name__ == "__main__":  # pragma: no cover
    main()
