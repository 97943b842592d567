"""The scan itself, one straight pass:

    discover files -> (engines prepare: link templates to code) -> parse each file once and run the checks for
    its kinds -> attach threats -> fingerprints -> suppress -> sorted findings and notices

Nothing here prints or renders; cli.py and report/ do that.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .catalog import Catalog
from .discover import DEFAULT_MAX_BYTES, DecodeError, SourceFile, discover
from .engines import ScanContext, load_all
from .model import Finding, Notice, Rule
from .registry import all_checks


@dataclass
class ScanOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    root: Path | None = None


@dataclass
class ScanResult:
    root: Path
    findings: list[Finding]
    notices: list[Notice]
    files: list[SourceFile]
    rules: list[Rule]
    seconds: float

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
    checks = all_checks()
    rule_ids = {r.id for r in rules}
    engines = load_all()

    for engine in engines:
        try:
            engine.prepare([f for f in found.files if f.kinds & engine.kinds], ctx)
        except Exception as exc:  # an engine bug must not lose the other engines' results
            ctx.notice(f"engine {engine.name} failed while preparing: {exc.__class__.__name__}: {exc}",
                       None, "error", "engine-crash")

    findings: list[Finding] = []
    for file in found.files:
        for engine in engines:
            if not file.kinds & engine.kinds:
                continue
            engine_checks = [c for c in checks if c.rule_id in rule_ids and c.kind in file.kinds & engine.kinds]
            if not engine_checks:
                continue
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

    findings = assign_fingerprints(attach_threats(findings, catalog))
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    return ScanResult(found.root, findings, _dedupe(ctx.notices), found.files, rules, time.perf_counter() - started)


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


def _dedupe(notices: list[Notice]) -> list[Notice]:
    return list(dict.fromkeys(notices))
