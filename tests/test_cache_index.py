"""The cache's index (cache.py: one file holding every entry a scan used, read in one go by the next scan of the same
paths): an entry served from it is checked as an entry file's is, so every change a result depends on takes effect
with the entry files gone (only the index can answer); an index cut short, altered or of another version is never
used, not even in part; two scans writing at once leave a whole index; and it counts towards the size bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import threatscan.cache as cache_mod
from threatscan.cache import FORMAT, INDEX_FORMAT, ScanCache

from test_cache import APP, MODEL, TEMPLATE, UTIL, rules_of, scan


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in {"app.py": APP, "util.py": UTIL, "template.yaml": TEMPLATE,
                       "handler.py": "import os\n\n\ndef main(event, context):\n    return os.environ['X']\n",
                       "threatmodel.yaml": MODEL.format(days=14)}.items():
        (root / name).write_text(text)
    return root


def entry_files(cache: Path) -> list[Path]:
    return [p for p in cache.glob("*/*.json") if len(p.parent.name) == 2]


def only_the_index(cache: Path) -> None:
    """Remove every entry file: what a rescan then takes from the cache, only the index can have given."""
    for p in entry_files(cache):
        p.unlink()


def indexed_scan(repo: Path, catalog, cache: Path, **options) -> tuple[list[tuple], int]:
    """A scan with only the index to answer from, checked against an uncached scan of the same files."""
    only_the_index(cache)
    cached, hits = scan(repo, catalog, cache, **options)
    assert cached == scan(repo, catalog, None, **options)[0]
    return cached, hits


def index_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("index/*.idx"))


def test_a_rescan_with_nothing_changed_reads_one_index_and_no_entry_file(repo, tmp_path, catalog, monkeypatch):
    cache = tmp_path / "cache"
    first, _ = scan(repo, catalog, cache)
    [index] = index_files(cache)
    header = json.loads(index.read_text().split("\n", 1)[0])
    assert header["format"] == FORMAT and header["index"] == INDEX_FORMAT and header["count"] == 4

    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(cache_mod.os, "open", lambda path, *a, **k: (opened.append(str(path)), real_open(path, *a, **k))[1])
    written = index.stat().st_mtime_ns
    again, hits = scan(repo, catalog, cache)
    assert again == first and hits == 4
    assert not [p for p in opened if p.endswith(".json")], "every entry came from the index"
    assert index.stat().st_mtime_ns == written, "an index that answered everything is not written again"


def test_every_change_takes_effect_with_only_the_index_to_answer(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    before, _ = scan(repo, catalog, cache)
    assert ("PY102", "app.py") in rules_of(before) or ("PY102", "util.py") in rules_of(before)
    again, hits = indexed_scan(repo, catalog, cache)
    assert again == before and hits == 4

    # An edit of the file itself.
    (repo / "app.py").write_text(APP.replace('request.args.get("name")', '"all"'))
    edited, hits = indexed_scan(repo, catalog, cache)
    assert edited != before and hits == 2  # handler.py and util.py (app.py and the template: scanned again)
    (repo / "app.py").write_text(APP)
    assert indexed_scan(repo, catalog, cache)[0] == before

    # An edit of a helper module app.py's data flow follows: app.py's indexed entry no longer answers.
    (repo / "util.py").write_text(UTIL.replace('os.system("make " + name)', "print(name)"))
    helper, _ = indexed_scan(repo, catalog, cache)
    assert not {r for r in rules_of(helper) if r[0] == "PY102"}
    (repo / "util.py").write_text(UTIL)
    assert indexed_scan(repo, catalog, cache)[0] == before

    # A file added that shadows the helper's import (pkg layout), a file deleted, a file renamed.
    (repo / "extra.py").write_text(UTIL)
    added, _ = indexed_scan(repo, catalog, cache)
    assert "extra.py" in {f[1] for f in added}
    (repo / "extra.py").unlink()
    assert indexed_scan(repo, catalog, cache)[0] == before
    (repo / "util.py").rename(repo / "helpers.py")
    renamed, _ = indexed_scan(repo, catalog, cache)
    assert not {r for r in rules_of(renamed) if r == ("PY102", "app.py")}
    (repo / "helpers.py").rename(repo / "util.py")
    assert indexed_scan(repo, catalog, cache)[0] == before

    # A template that deploys the handler: the secret it defines goes, then comes back.
    (repo / "template.yaml").write_text(TEMPLATE.replace('DB_PASSWORD: "Zq8kLm2vX9pWqRtY7u"', "DB_HOST: db.internal"))
    no_secret, _ = indexed_scan(repo, catalog, cache)
    assert ("IAC101", "template.yaml") in rules_of(before) and ("IAC101", "template.yaml") not in rules_of(no_secret)
    (repo / "template.yaml").write_text(TEMPLATE)
    assert indexed_scan(repo, catalog, cache)[0] == before

    # A configuration change: the rules selected, and the threat model's policy numbers (each its own keys).
    only_jwt, hits = indexed_scan(repo, catalog, cache, select=("PY504", "PY503"))
    assert {r[0] for r in only_jwt} <= {"PY503", "PY504"} and hits == 0
    (repo / "threatmodel.yaml").write_text(MODEL.format(days=7))
    indexed_scan(repo, catalog, cache)
    (repo / "threatmodel.yaml").write_text(MODEL.format(days=14))
    assert indexed_scan(repo, catalog, cache)[0] == before


def test_another_threatscan_version_or_edit_never_reads_the_index(repo, tmp_path, catalog, monkeypatch):
    cache = tmp_path / "cache"
    before, _ = scan(repo, catalog, cache)
    only_the_index(cache)
    monkeypatch.setattr(cache_mod, "_CODE_DIGEST", "another version of threatscan")
    again, hits = scan(repo, catalog, cache)
    assert again == before and hits == 0
    # The index format itself: an index of another format is ignored whole.
    monkeypatch.setattr(cache_mod, "INDEX_FORMAT", INDEX_FORMAT + 1)
    only_the_index(cache)
    assert scan(repo, catalog, cache) == (before, 0)


def _damaged(text: str) -> list[str]:
    head, body = text.split("\n", 1)
    lines = body.split("\n")
    header = json.loads(head)
    return [
        text[: len(text) // 2],  # cut short
        text[:-40],  # the last entry cut short
        head + "\n" + "\n".join(lines[1:]),  # an entry missing
        head + "\n" + body.replace('"findings": []', '"findings": [ ]', 1),  # an entry altered (still valid JSON)
        head + "\n" + body.replace("PY102", "PY103"),  # a finding altered
        json.dumps({**header, "count": header["count"] + 1}) + "\n" + body,
        json.dumps({**header, "format": "x"}) + "\n" + body,
        "",
        "\x00\xff garbage",
        "{}\n",
        head,
    ]


def test_a_corrupt_or_truncated_index_is_ignored_whole_never_a_crash_nor_a_stale_result(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    before, _ = scan(repo, catalog, cache)
    [index] = index_files(cache)
    good = index.read_text()
    for damaged in _damaged(good):
        # With the entry files there, they answer; without them, it is a cold scan. Never the damaged index.
        index.write_bytes(damaged.encode("utf-8", "surrogateescape"))
        assert scan(repo, catalog, cache) == (before, 4)
        assert cache_mod._read_index(str(index)) != {} , "the scan wrote a whole index again"
        index.write_bytes(damaged.encode("utf-8", "surrogateescape"))
        only_the_index(cache)
        assert scan(repo, catalog, cache) == (before, 0)
    # A whole index of an earlier state (put back after a helper changed) is checked like any entry: app.py's
    # entry, whose data flow read the old helper, is a miss.
    (repo / "util.py").write_text(UTIL.replace('os.system("make " + name)', "print(name)"))
    changed, _ = scan(repo, catalog, None)
    index.write_text(good)
    only_the_index(cache)
    assert scan(repo, catalog, cache)[0] == changed


def test_an_index_that_cannot_be_written_costs_speed_never_a_result(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "index").write_text("a file where the index directory would be")  # (as root, chmod would not stop it)
    first, _ = scan(repo, catalog, cache)
    assert first == scan(repo, catalog, None)[0]
    assert scan(repo, catalog, cache) == (first, 4)  # from the entry files


def test_the_index_holds_exactly_the_last_scans_entries(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    scan(repo, catalog, cache)
    (repo / "extra.py").write_text(UTIL)
    scan(repo, catalog, cache)
    [index] = index_files(cache)
    assert len(cache_mod._read_index(str(index))) == 5
    (repo / "extra.py").unlink()
    scan(repo, catalog, cache)
    assert len(cache_mod._read_index(str(index))) == 4  # the deleted file's entry left the index


def _measured(cache: Path) -> int:
    return sum(p.stat().st_size for p in cache.rglob("*") if p.is_file() and p.name != cache_mod.LEDGER
               and not p.name.startswith("."))


def _ledger(cache: Path) -> list[str]:
    return (cache / cache_mod.LEDGER).read_text().splitlines()


def test_the_size_bound_is_kept_by_a_ledger_and_the_directory_measured_only_when_it_may_be_passed(
        repo, tmp_path, catalog, monkeypatch):
    cache = tmp_path / "cache"
    walks: list[int] = []
    real_prune = cache_mod.prune_directory
    monkeypatch.setattr(cache_mod, "prune_directory", lambda d, m: (walks.append(m), real_prune(d, m))[1])

    # The first scan has no ledger: it measures the directory and starts one from what is there.
    scan(repo, catalog, cache)
    assert len(walks) == 1 and _ledger(cache)[1:] == [str(_measured(cache))]
    # A scan that writes adds what it wrote; one that writes nothing adds nothing; neither measures.
    scan(repo, catalog, cache)
    assert len(walks) == 1 and len(_ledger(cache)) == 2
    (repo / "app.py").write_text(APP + "\n# edited\n")
    scan(repo, catalog, cache)
    assert len(walks) == 1 and len(_ledger(cache)) == 3 and int(_ledger(cache)[2]) > 0
    assert sum(int(n) for n in _ledger(cache)[1:]) >= _measured(cache) - _discovery(cache)

    # A ledger that cannot be trusted (damaged, a day old, too long) is a measure, never a crash.
    for damaged in ("", "garbage\n", f"{cache_mod.LEDGER_HEAD} 1\n10\n",
                    f"{cache_mod.LEDGER_HEAD} {int(time.time())}\n" + "1\n" * cache_mod.LEDGER_MAX_LINES,
                    f"{cache_mod.LEDGER_HEAD} {int(time.time())}\n12x\n", f"{cache_mod.LEDGER_HEAD} x\n"):
        (cache / cache_mod.LEDGER).write_text(damaged)
        walks.clear()
        (repo / "app.py").write_text(APP + f"\n# {len(damaged)}\n")
        assert scan(repo, catalog, cache)[0] == scan(repo, catalog, None)[0]
        assert len(walks) == 1 and _ledger(cache)[0].startswith(cache_mod.LEDGER_HEAD)

    # The bound: when the ledger says a scan's writes would pass it, the directory is measured and the least
    # recently used files go (an old index first), down to the bound.
    total = _measured(cache)
    count = len([p for p in cache.rglob("*") if p.is_file()])
    [index] = index_files(cache)
    os.utime(index, (1, 1))  # the least recently used file
    walks.clear()
    small = ScanCache(cache, {"other": 1}, [], max_bytes=total - 1, scope=None)
    small.written, small.written_bytes = 1, 1
    small.prune()
    assert walks and not index.exists() and len([p for p in cache.rglob("*") if p.is_file()]) == count - 1
    assert _measured(cache) <= total - 1 and _ledger(cache)[1:] == [str(_measured(cache))]
    # What is left still gives the right results (entries pruned are misses).
    assert scan(repo, catalog, cache)[0] == scan(repo, catalog, None)[0]


def _discovery(cache: Path) -> int:
    """The discovery record (written by discovery, counted at the next measure)."""
    return sum(p.stat().st_size for p in (cache / "discovery").glob("*") if p.is_file())


def test_scans_writing_one_cache_at_once_leave_whole_indexes_and_right_results(repo, tmp_path, catalog):
    """Four scans of two versions of a repository at once, in four processes sharing one cache directory: each
    writes its entries and its index (atomically: a temporary file renamed over it); afterwards each version's
    rescan equals its uncached scan, whichever process wrote last."""
    cache = tmp_path / "cache"
    other = tmp_path / "other"
    other.mkdir()
    for p in repo.iterdir():
        (other / p.name).write_text(p.read_text())
    (other / "util.py").write_text(UTIL.replace('os.system("make " + name)', "print(name)"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = []
    for target in (repo, other, repo, other):
        cmd = [sys.executable, "-m", "threatscan.cli", "scan", str(target), "--cache-dir", str(cache), "-j", "1",
               "-q", "--fail-on", "none", "--format", "json", "-o", str(tmp_path / f"out{len(procs)}.json")]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    for index in index_files(cache):
        assert cache_mod._read_index(str(index)), "every index left is whole"
    for target in (repo, other):
        only_the_index(cache)
        cached, _ = scan(target, catalog, cache)
        assert cached == scan(target, catalog, None)[0]


def test_line_hashes_are_worked_out_with_the_file_and_kept_in_its_entry(repo, tmp_path, catalog, monkeypatch):
    """GitHub's line hash of each finding comes from the per-file step (scan._line_hashed) and travels in the cache
    entry: a rescan's tail reads no file for it, and an edit near a finding's line gives the hash of the new bytes."""
    from threatscan.findings import linehash
    from threatscan.scan import ScanOptions, run_scan

    def hashed(cache):
        result = run_scan(ScanOptions(paths=[str(repo)], root=repo, jobs=1, cache_dir=cache), catalog)
        return [(f.rule_id, f.location.path, f.location.line, f.line_hash) for f in result.findings]

    def expected(findings):
        return [(r, p, n, linehash.line_hashes((repo / p).read_bytes())[n - 1]) for r, p, n, _ in findings]

    cache = tmp_path / "cache"
    cold = hashed(cache)
    assert cold and all(h for *_, h in cold) and cold == expected(cold) == hashed(None)
    tail_reads: list[int] = []
    real = linehash.hashes_for_lines
    monkeypatch.setattr(linehash, "hashes_for_lines", lambda data, lines: (tail_reads.append(1), real(data, lines))[1])
    only_the_index(cache)
    assert hashed(cache) == cold and tail_reads == [], "the hashes came with the entries"
    # Text added right after the flagged line: the same line number, another 100-character window.
    flagged = next(n for r, p, n, _ in cold if p == "util.py")
    lines = UTIL.split("\n")
    lines.insert(flagged, "    # and then")
    (repo / "util.py").write_text("\n".join(lines))
    edited = hashed(cache)
    assert edited == expected(edited) == hashed(None)
    assert [h for r, p, n, h in edited if p == "util.py"] != [h for r, p, n, h in cold if p == "util.py"]


# --- threatscan's own code digest, kept by the files' sizes and times ----------------------------------------------
def test_the_code_digest_is_kept_by_size_and_times_and_follows_every_edit(tmp_path, monkeypatch):
    import threatscan.catalog as catalog_mod

    package, rules = tmp_path / "pkg", tmp_path / "rules"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    rules.mkdir()
    (package / "cache.py").write_text("A = 1\n")
    (package / "sub" / "check.py").write_text("B = 2\n")
    (package / "sub" / "__pycache__" / "check.cpython-311.pyc").write_bytes(b"ignored")
    (rules / "python.yaml").write_text("id: PY1\n")
    monkeypatch.setattr(cache_mod, "__file__", str(package / "cache.py"))
    monkeypatch.setattr(catalog_mod, "rules_dir", lambda: rules)
    cache = tmp_path / "cache"

    def digest(directory=cache) -> str:
        monkeypatch.setattr(cache_mod, "_CODE_DIGEST", None)
        return cache_mod.code_digest(directory)

    def age(*paths: Path) -> None:
        for p in paths:
            os.utime(p, (1_000_000_000, 1_000_000_000))

    files = [package / "cache.py", package / "sub" / "check.py", rules / "python.yaml"]
    age(*files)
    # Files changed within the last two seconds (their change times are now): worked out from the bytes, not kept.
    first = digest()
    assert first == digest(None) and not (cache / "code").exists()
    # Older files (here: the two seconds waived): kept, and the memo answers (a planted value proves it is read).
    monkeypatch.setattr(cache_mod, "RACY_NS", 0)
    assert digest() == first
    [memo] = (cache / "code").iterdir()
    memo.write_text("0" * 64)
    assert digest() == "0" * 64
    memo.write_text(first)
    # A same-size edit with its modification time put back: its change time differs (later than the file
    # system's clock tick, hence the pause), so the files are read again.
    time.sleep(0.05)
    (package / "sub" / "check.py").write_text("B = 3\n")
    age(package / "sub" / "check.py")
    edited = digest()
    assert edited != first and edited == digest(None)
    # A file added; compiled bytecode never counts.
    (package / "sub" / "new.py").write_text("")
    added = digest()
    assert added not in (first, edited) and added == digest(None)
    (package / "sub" / "__pycache__" / "check.cpython-311.pyc").write_bytes(b"other")
    assert digest(None) == added


def test_sarif_fixes_keyed_on_discoverys_digest_are_never_kept_for_other_bytes(tmp_path, catalog, monkeypatch):
    """cached_fixes takes each file's digest from discovery (no read on a rescan); an answer worked out for bytes
    that no longer match it (the file edited during the scan) is given but never kept under it."""
    import hashlib

    import threatscan.fix as fix_mod
    from threatscan.fix import fixes_by_position
    from threatscan.scan import ScanOptions, run_scan

    from test_cache import FIXABLE

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "conf.py").write_text(FIXABLE)
    cache = tmp_path / "cache"
    result = run_scan(ScanOptions(paths=[str(repo)], root=repo, jobs=1), catalog)
    want = fixes_by_position(result.findings, repo)
    assert want
    stale = {"conf.py": hashlib.sha256(b"the bytes discovery saw before an edit").hexdigest()}
    assert cache_mod.cached_fixes(result.findings, repo, cache, stale) == want
    assert not list(cache.glob("*/*.json")), "an answer for other bytes is not kept"
    right = {"conf.py": hashlib.sha256((repo / "conf.py").read_bytes()).hexdigest()}
    assert cache_mod.cached_fixes(result.findings, repo, cache, right) == want
    assert list(cache.glob("*/*.json"))

    def no_fix(*args):
        raise AssertionError("worked out again")

    monkeypatch.setattr(fix_mod, "fix_for", no_fix)
    assert cache_mod.cached_fixes(result.findings, repo, cache, right) == want  # read from the cache
    moved = [f.with_(message=f.message + " (again)") for f in result.findings]
    with pytest.raises(AssertionError, match="worked out again"):  # another finding: another key
        cache_mod.cached_fixes(moved, repo, cache, right)


# --- prepare() facts kept in the cache (cache.memo_fact) -----------------------------------------------------------
def test_the_settings_modules_kept_in_the_cache_follow_every_change_of_a_python_file(tmp_path, catalog, monkeypatch):
    """The Python engine's settings-module roles (deployment.settings_modules) come from the cache while no Python
    file changed, and are worked out again after any edit, addition, deletion or rename; a damaged memo is worked
    out again. Each time they equal the uncached answer."""
    from functools import partial

    import threatscan.engines.python as python_engine
    from threatscan.discover import discover
    from threatscan.engines.base import ScanContext
    from threatscan.engines.python.deployment import DEPLOYED, settings_modules

    repo = tmp_path / "repo"
    (repo / "proj" / "settings").mkdir(parents=True)
    (repo / "proj" / "settings" / "base.py").write_text("DEBUG = True\nSECRET_KEY = 'x'\n")
    (repo / "proj" / "settings" / "web.py").write_text("from .base import *\nDEBUG = False\n")
    (repo / "proj" / "wsgi.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.web')\n")
    (repo / "proj" / "views.py").write_text("def index(request):\n    return 1\n")
    cache = tmp_path / "cache"
    worked: list[int] = []
    real = python_engine.settings_modules
    monkeypatch.setattr(python_engine, "settings_modules", lambda files: (worked.append(1), real(files))[1])

    def roles() -> dict:
        files = [f for f in discover([str(repo)], root=repo, digests=True).files if "python" in f.kinds]
        ctx = ScanContext(root=repo, catalog=catalog, memo=partial(cache_mod.memo_fact, cache))
        worked.clear()
        got = dict(python_engine.ENGINE.prepare(files, ctx).settings_modules)
        assert got == settings_modules(files)
        return {rel: (m.role, dict(m.overridden)) for rel, m in got.items()}

    first = roles()
    assert first["proj/settings/web.py"][0] == DEPLOYED and worked == [1]
    assert roles() == first and worked == [], "nothing changed: read from the cache"
    # An edit of a module that is not a settings module still works it out again (any Python file is an input).
    (repo / "proj" / "views.py").write_text("def index(request):\n    return 2\n")
    assert roles() == first and worked == [1]
    # The entry point now names the base module: web.py is no longer the deployed one.
    (repo / "proj" / "wsgi.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.base')\n")
    renamed_target = roles()
    assert renamed_target != first and worked == [1]
    (repo / "proj" / "wsgi.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.web')\n")
    assert roles() == first
    # A module added, then renamed, then deleted.
    (repo / "proj" / "settings" / "production.py").write_text("from .base import *\nSECRET_KEY = 'y'\n")
    added = roles()
    assert "proj/settings/production.py" in added and worked == [1]
    (repo / "proj" / "settings" / "production.py").rename(repo / "proj" / "settings" / "dev.py")
    assert "proj/settings/dev.py" in roles() and worked == [1]
    (repo / "proj" / "settings" / "dev.py").unlink()
    assert roles() == first
    # A damaged memo is worked out again, never a crash.
    for memo in (cache / "facts").glob("*.json"):
        memo.write_text('{"format": %d, "fact": "settings_modules", "value": [["x"]]}' % FORMAT)
    assert roles() == first and worked == [1]


# --- the SARIF rules[] and taxonomies kept encoded ------------------------------------------------------------------
def test_the_sarif_rules_and_taxonomies_kept_encoded_give_the_same_text_and_follow_the_catalogue(
        tmp_path, catalog, fixtures_scan):
    """report/sarif.build_log(memo=...) keeps rules[] and the taxonomies encoded (the bulk of a warm rescan's SARIF
    text): the log written from the memo, on its first use and from then on, is the text written without it, for
    the fixtures' findings (review and severity variants included); a rule's text changed in the catalogue, or a
    threat's, is another memo; a damaged memo is worked out again; a log without rules stays one."""
    import dataclasses
    from functools import partial

    from threatscan.report import sarif

    result = fixtures_scan
    assert any("/" in sarif.result_rule_id(f, catalog.rules.get(f.rule_id)) for f in result.findings)  # variants
    cache = tmp_path / "cache"
    memo = partial(cache_mod.memo_fact, cache)

    def text(cat, findings=result.findings, rules=result.rules, memo=None) -> str:
        return sarif.dumps(sarif.build_log(findings, result.notices, rules, cat, root_uri="file:///repo/",
                                           memo=memo))

    plain = text(catalog)
    assert text(catalog, memo=memo) == plain  # worked out, kept
    assert len(list((cache / "facts").glob("*.json"))) == 1
    assert text(catalog, memo=memo) == plain  # read back
    json.loads(plain)

    # The catalogue as a threat model or an edit changes it: a rule's title, a threat's title.
    rule = result.rules[0]
    edited_rules = [dataclasses.replace(rule, title=rule.title + " (edited)"), *result.rules[1:]]
    edited = dataclasses.replace(catalog, rules={**catalog.rules, rule.id: edited_rules[0]})
    assert text(edited, rules=edited_rules, memo=memo) == text(edited, rules=edited_rules) != plain
    threat = next(iter(rule.threats))
    retitled = dataclasses.replace(catalog, threats={**catalog.threats, threat: dataclasses.replace(
        catalog.threats[threat], title="Another title")})
    assert text(retitled, memo=memo) == text(retitled) != plain

    # A damaged memo, and a log with no rule at all.
    for kept in (cache / "facts").glob("*.json"):
        kept.write_text(json.dumps({"format": FORMAT, "fact": "sarif-rules-and-taxonomies", "value": ["[", 1]}))
    assert text(catalog, memo=memo) == plain
    assert text(catalog, findings=[], rules=[], memo=memo) == text(catalog, findings=[], rules=[])
    assert text(catalog, findings=[], rules=[], memo=memo) == text(catalog, findings=[], rules=[])


def test_production_servers_named_by_python_modules_outside_development_code(tmp_path):
    """deployment.production_servers asks a module's path for development words only for the names it looks for
    (the order a warm rescan pays for): entry points and server configurations, outside tests, docs and examples."""
    from types import SimpleNamespace

    from threatscan.engines.python.deployment import ServerEntry, production_servers

    rels = ["app/wsgi.py", "app/asgi.py", "gunicorn.conf.py", "uwsgi_prod.py", "tests/wsgi.py", "docs/gunicorn.py",
            "examples/site/asgi.py", "app/views.py", "gunicorn_helpers.txt", "app/models.py"]
    found = production_servers(str(tmp_path), [SimpleNamespace(rel=r) for r in rels])
    assert found == {ServerEntry("app/wsgi.py", 0, "the WSGI/ASGI entry point `wsgi.py`"),
                     ServerEntry("app/asgi.py", 0, "the WSGI/ASGI entry point `asgi.py`"),
                     ServerEntry("gunicorn.conf.py", 0, "gunicorn"), ServerEntry("uwsgi_prod.py", 0, "uwsgi")}


def test_a_fact_the_memo_cannot_encode_is_worked_out_every_time_never_lost(tmp_path):
    calls: list[int] = []

    def compute():
        calls.append(1)
        return {"value": object()}

    for _ in range(2):
        got = cache_mod.memo_fact(tmp_path, "odd", "inputs", compute, lambda v: v, lambda v: v)
        assert set(got) == {"value"}
    assert len(calls) == 2 and not (tmp_path / "facts").exists()
