"""The content-addressed cache (cache.py): a rescan with nothing changed is served from it, and every kind of change
a result depends on takes effect: the file itself, a helper module its data flow follows, a template that deploys
it, the rules selected, and the threat model's policy numbers. After every edit the cached scan equals an uncached
one, finding for finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threatscan.cache import FORMAT
from threatscan.scan import ScanOptions, run_scan
from threatscan.threats.threatmodel import apply_threat_model, load_threat_model

APP = '''from flask import Flask, request
from util import run_job

app = Flask(__name__)


@app.route("/job")
def job():
    return run_job(request.args.get("name"))
'''
UTIL = '''import os


def run_job(name):
    os.system("make " + name)
'''
HANDLER = '''import os


def main(event, context):
    return os.environ["DB_PASSWORD"]
'''
TEMPLATE = '''AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: handler.main
      CodeUri: .
      Environment:
        Variables:
          DB_PASSWORD: "Zq8kLm2vX9pWqRtY7u"
'''
TOKENS = '''from datetime import datetime, timedelta, timezone

import jwt


def issue(user_id, key):
    now = datetime.now(timezone.utc)
    return jwt.encode({"sub": user_id, "exp": now + timedelta(days=10)}, key, algorithm="HS256")
'''
MODEL = '''version: 1
system: Shop
policy:
  jwt-max-lifetime-days: {days}
threats:
  - id: SHOP-1
    title: Long-lived tokens
    stride: [spoofing]
    controls: [PY504]
'''


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in {"app.py": APP, "util.py": UTIL, "handler.py": HANDLER, "template.yaml": TEMPLATE,
                       "tokens.py": TOKENS, "threatmodel.yaml": MODEL.format(days=14)}.items():
        (root / name).write_text(text)
    return root


def scan(repo: Path, catalog, cache: Path | None, **options) -> tuple[list[tuple], int]:
    model = load_threat_model(repo / "threatmodel.yaml", catalog)
    opts = ScanOptions(paths=[str(repo)], root=repo, jobs=1, cache_dir=cache, threat_model=model, **options)
    result = run_scan(opts, apply_threat_model(catalog, model))
    hits = sum(int(n.message.split()[0]) for n in result.notices if n.kind == "cache")
    return [(f.rule_id, f.location.path, f.location.line, f.severity.label, f.message, f.threats)
            for f in result.findings], hits


def same_as_uncached(repo: Path, catalog, cache: Path, **options) -> list[tuple]:
    cached, _ = scan(repo, catalog, cache, **options)
    fresh, _ = scan(repo, catalog, None, **options)
    assert cached == fresh
    return cached


def rules_of(findings: list[tuple]) -> set[tuple[str, str]]:
    return {(f[0], f[1]) for f in findings}


def test_a_rescan_with_nothing_changed_comes_from_the_cache(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    first, hits = scan(repo, catalog, cache)
    assert hits == 0 and first
    second, hits = scan(repo, catalog, cache)
    assert second == first
    assert hits == 5  # every scanned file: app, util, handler, tokens (Python) and the template
    entries = list(cache.glob("*/*.json"))
    assert entries and all(json.loads(p.read_text())["format"] == FORMAT for p in entries)


def test_every_change_a_result_depends_on_takes_effect(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    before = same_as_uncached(repo, catalog, cache)
    assert ("PY102", "app.py") in rules_of(before) or ("PY102", "util.py") in rules_of(before)
    assert ("IAC101", "template.yaml") in rules_of(before) and ("PY504", "tokens.py") not in rules_of(before)

    # The file itself: the command no longer takes request data.
    (repo / "app.py").write_text(APP.replace('request.args.get("name")', '"all"'))
    after_file = same_as_uncached(repo, catalog, cache)
    assert after_file != before
    (repo / "app.py").write_text(APP)
    assert same_as_uncached(repo, catalog, cache) == before

    # A helper module the data flow follows into.
    (repo / "util.py").write_text(UTIL.replace('os.system("make " + name)', "print(name)"))
    after_helper = same_as_uncached(repo, catalog, cache)
    assert not {r for r in rules_of(after_helper) if r[0] == "PY102"}
    (repo / "util.py").write_text(UTIL)

    # A template that deploys the handler: the secret goes, the link stays.
    (repo / "template.yaml").write_text(TEMPLATE.replace('DB_PASSWORD: "Zq8kLm2vX9pWqRtY7u"', "DB_HOST: db.internal"))
    after_template = same_as_uncached(repo, catalog, cache)
    assert ("IAC101", "template.yaml") not in rules_of(after_template)
    (repo / "template.yaml").write_text(TEMPLATE)

    # The rules selected.
    only_jwt = same_as_uncached(repo, catalog, cache, select=("PY504", "PY503"))
    assert {r[0] for r in only_jwt} <= {"PY503", "PY504"}

    # The threat model's policy number: ten days is inside 14, outside 7.
    (repo / "threatmodel.yaml").write_text(MODEL.format(days=7))
    stricter = same_as_uncached(repo, catalog, cache)
    assert ("PY504", "tokens.py") in rules_of(stricter)
    assert same_as_uncached(repo, catalog, cache) == stricter


def test_a_corrupt_or_foreign_entry_is_a_miss_never_a_result(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    first, _ = scan(repo, catalog, cache)
    for entry in cache.glob("*/*.json"):
        entry.write_text('{"format": 1, "findings": [{"rule_id": "PY999"}]}')
    for index in cache.glob("index/*.idx"):  # (tests/test_cache_index.py: an index damaged on its own)
        index.write_text(index.read_text().replace(f'"format": {FORMAT}', '"format": 1'))
    again, hits = scan(repo, catalog, cache)
    assert again == first and hits == 0


def test_a_changed_module_rescans_only_itself_and_the_modules_whose_data_flow_read_it(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    before = same_as_uncached(repo, catalog, cache)
    # tokens.py is read by no other file: app, util and handler still come from the cache (the template, keyed
    # on every non-Android file, is scanned again).
    (repo / "tokens.py").write_text(TOKENS + "\n\ndef unused():\n    return 1\n")
    after, hits = scan(repo, catalog, cache)
    assert after == before and hits == 3
    # util.py is the helper app.py's data flow follows: app.py is scanned again with it, handler and tokens are not.
    (repo / "util.py").write_text(UTIL.replace('os.system("make " + name)', "print(name)"))
    changed, hits = scan(repo, catalog, cache)
    assert hits == 2
    assert changed == scan(repo, catalog, None)[0]
    assert not {r for r in rules_of(changed) if r[0] == "PY102"}


def test_a_helper_of_a_helper_and_a_module_that_now_shadows_an_import_take_effect(repo, tmp_path, catalog):
    cache = tmp_path / "cache"
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "app.py").write_text(APP)
    (repo / "app.py").unlink()
    # pkg/app.py -> util.py -> deep.py, where the shell is.
    (repo / "util.py").write_text("from deep import run\n\n\ndef run_job(name):\n    run(name)\n")
    (repo / "deep.py").write_text(UTIL.replace("def run_job(name)", "def run(name)"))
    before = same_as_uncached(repo, catalog, cache)
    assert ("PY102", "pkg/app.py") in rules_of(before) or ("PY102", "deep.py") in rules_of(before)
    # Two steps away: deep.py no longer runs a shell.
    (repo / "deep.py").write_text("def run(name):\n    print(name)\n")
    assert not {r for r in rules_of(same_as_uncached(repo, catalog, cache)) if r[0] == "PY102"}
    (repo / "deep.py").write_text(UTIL.replace("def run_job(name)", "def run(name)"))
    assert same_as_uncached(repo, catalog, cache) == before
    # A new pkg/util.py now answers `from util import run_job` in pkg/app.py: nothing it follows runs a shell.
    (repo / "pkg" / "util.py").write_text("def run_job(name):\n    return name.upper()\n")
    shadowed = same_as_uncached(repo, catalog, cache)
    assert ("PY102", "pkg/app.py") not in rules_of(shadowed)



def test_a_body_models_validator_helper_two_modules_away_takes_effect(repo, tmp_path, catalog):
    """routes.py receives schemas.Plugin, whose validator calls naming.is_snake_case: loosening the helper's
    pattern (a file the route never imports) brings the path traversal back on a cached rescan."""
    cache = tmp_path / "cache"
    (repo / "routes.py").write_text(
        "import shutil\n\nfrom fastapi import APIRouter\n\nfrom schemas import Plugin\n\nrouter = APIRouter()\n\n\n"
        "@router.post('/p')\ndef create(plugin: Plugin):\n    shutil.rmtree('/srv/' + plugin.id)\n")
    (repo / "schemas.py").write_text(
        "from pydantic import BaseModel, validator\n\nfrom naming import is_snake_case\n\n\n"
        "class Plugin(BaseModel):\n    id: str\n\n    @validator('id')\n    def shape(cls, v):\n"
        "        if not is_snake_case(v):\n            raise ValueError('bad')\n        return v\n")
    naming = "import re\n\n\ndef is_snake_case(v):\n    return re.fullmatch(r'{}', v) is not None\n"
    (repo / "naming.py").write_text(naming.format("[a-z_]+"))
    assert ("PY408", "routes.py") not in rules_of(same_as_uncached(repo, catalog, cache))
    (repo / "naming.py").write_text(naming.format("[a-z_/.]+"))
    assert ("PY408", "routes.py") in rules_of(same_as_uncached(repo, catalog, cache))


def test_imports_are_resolved_again_only_when_the_list_of_python_files_changed(repo, tmp_path, catalog, monkeypatch):
    import threatscan.engines.python as python_engine

    asked: list[tuple] = []
    original = python_engine.resolve_repo_path

    def counting(files, rel, module, level):
        asked.append((rel, module, level))
        return original(files, rel, module, level)

    monkeypatch.setattr(python_engine, "resolve_repo_path", counting)
    cache = tmp_path / "cache"
    before = same_as_uncached(repo, catalog, cache)
    asked.clear()
    again, hits = scan(repo, catalog, cache)
    assert again == before and hits == 5 and asked == []  # the same files: no import asked again
    # A new module anywhere: the recorded imports are asked again (one could now resolve to it), and still answer.
    (repo / "other.py").write_text("X = 1\n")
    again, hits = scan(repo, catalog, cache)
    assert asked and again == before and hits == 4  # every Python module but the new one (the template: rescanned)
    assert again == scan(repo, catalog, None)[0]

STACK = '''from aws_cdk import Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2


class Edge(Stack):
    def __init__(self, scope, construct_id, vpc, cert):
        super().__init__(scope, construct_id)
        alb = elbv2.ApplicationLoadBalancer(self, "Alb", vpc=vpc, internet_facing=True)
        alb.add_listener("Old", port=443, certificates=[cert], default_target_groups=[],
                         ssl_policy=elbv2.SslPolicy.TLS11)
'''


def test_a_module_that_starts_importing_aws_cdk_is_checked_as_a_cdk_app_on_the_next_cached_scan(repo, tmp_path,
                                                                                                catalog):
    # The kind of a file comes from its bytes, read in the same pass that gives the cache its key: never stale.
    cache = tmp_path / "cache"
    (repo / "stack.py").write_text(STACK.replace("from aws_cdk import", "from other_cdk import"))
    before = same_as_uncached(repo, catalog, cache)
    assert not {r for r in rules_of(before) if r[1] == "stack.py"}
    (repo / "stack.py").write_text(STACK)
    after = same_as_uncached(repo, catalog, cache)
    assert ("IAC124", "stack.py") in rules_of(after)
    (repo / "stack.py").write_text(STACK.replace("from aws_cdk import", "from other_cdk import"))
    assert same_as_uncached(repo, catalog, cache) == before


# --- discovery kept in the cache (discover._Reuse) ------------------------------------------------------------------
def _count_fresh(monkeypatch) -> list[str]:
    """The files discovery looks at afresh (listed or stat-changed), not replayed from the cache's record."""
    from threatscan.discover import _Reuse

    fresh: list[str] = []
    original = _Reuse._consider

    def counting(self, path, name, *args):
        fresh.append(name)
        return original(self, path, name, *args)

    monkeypatch.setattr(_Reuse, "_consider", counting)
    return fresh


def test_a_rescan_reuses_discovery_and_sees_every_edit_addition_deletion_and_setting(repo, tmp_path, catalog,
                                                                                       monkeypatch):
    from threatscan.discover import _Reuse

    monkeypatch.setattr(_Reuse, "RACY_NS", 0)  # the files were written just now; see the next test for that case
    fresh = _count_fresh(monkeypatch)
    cache = tmp_path / "cache"
    (repo / "notes.yaml").write_text("title: release notes\n")
    before = same_as_uncached(repo, catalog, cache)
    assert list((cache / "discovery").glob("*.files"))
    fresh.clear()
    assert scan(repo, catalog, cache)[0] == before
    assert fresh == [], "nothing changed: every file's kind and hash came from the record"

    # An edited file (its kind may change with its content: a YAML file that becomes a template).
    (repo / "notes.yaml").write_text(TEMPLATE.replace("Handler: handler.main", "Handler: other.main"))
    fresh.clear()
    edited = same_as_uncached(repo, catalog, cache)
    assert ("IAC101", "notes.yaml") in rules_of(edited)
    assert fresh[0] == "notes.yaml"

    # A new file, in the root and in a new directory.
    (repo / "svc").mkdir()
    (repo / "svc" / "run.py").write_text(APP.replace("from util import run_job", "from os import system as run_job"))
    (repo / "extra.py").write_text(UTIL)
    added = same_as_uncached(repo, catalog, cache)
    assert {"svc/run.py", "extra.py"} <= {f[1] for f in added}

    # A deleted file.
    (repo / "extra.py").unlink()
    (repo / "svc" / "run.py").unlink()
    deleted = same_as_uncached(repo, catalog, cache)
    assert not {"svc/run.py", "extra.py"} & {f[1] for f in deleted}
    assert deleted == edited

    # A setting discovery depends on (an exclusion) is its own record.
    excluded = same_as_uncached(repo, catalog, cache, excludes=("notes.yaml",))
    assert "notes.yaml" not in {f[1] for f in excluded}
    assert same_as_uncached(repo, catalog, cache) == edited


def test_a_same_size_edit_right_after_a_scan_is_not_taken_for_unchanged(repo, tmp_path, catalog):
    """A write in the same clock tick as the recorded one leaves size and times as they were: files changed within
    two seconds of the record are always looked at again (git's racy rule)."""
    cache = tmp_path / "cache"
    before = same_as_uncached(repo, catalog, cache)
    assert ("PY102", "util.py") in rules_of(before) or ("PY102", "app.py") in rules_of(before)
    harmless = UTIL.replace('os.system("make " + name)', 'print((("make " + name)))')
    assert len(harmless) == len(UTIL)
    (repo / "util.py").write_text(harmless)
    after = same_as_uncached(repo, catalog, cache)
    assert not {r for r in rules_of(after) if r[0] == "PY102"}


FIXABLE = 'import yaml\n\n\ndef read(text):\n    return yaml.load(text)\n'
FIX_PROBE = """
import json, sys, runpy
sys.argv = ["threatscan", "scan", sys.argv[1], "--cache-dir", sys.argv[2], "--format", "sarif", "-o", sys.argv[3],
            "--fail-on", "none", "-q", "-j", "1"]
try:
    runpy.run_module("threatscan.cli", run_name="__main__")
except SystemExit:
    pass
print(json.dumps("libcst" in sys.modules), file=sys.stderr)
"""


def test_the_sarif_fixes_of_a_rescan_come_from_the_cache_and_follow_every_edit(tmp_path):
    import subprocess
    import sys

    from threatscan.cache import cached_fixes
    from threatscan.fix import fixes_by_position

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "conf.py").write_text(FIXABLE)
    cache = tmp_path / "cache"

    def sarif(n: int) -> tuple[bool, list]:
        out = tmp_path / f"run{n}.sarif"
        proc = subprocess.run([sys.executable, "-c", FIX_PROBE, str(repo), str(cache), str(out)], cwd=repo,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        results = json.loads(out.read_text())["runs"][0]["results"]
        return json.loads(proc.stderr.strip().splitlines()[-1]), [(r["ruleId"], r.get("fixes")) for r in results]

    parsed, first = sarif(1)
    assert parsed and any(rule.startswith("PY106") and fixes for rule, fixes in first)  # the cold scan worked the fix out
    parsed, second = sarif(2)
    assert not parsed and second == first  # read from the cache: libcst not even imported, the same fixes

    # The file moves down two lines: the fix's region moves with it (a new entry, not the old answer).
    (repo / "conf.py").write_text("# a\n# b\n" + FIXABLE)
    parsed, moved = sarif(3)
    region = [f[0]["artifactChanges"][0]["replacements"][0]["deletedRegion"] for r, f in moved if f]
    old = [f[0]["artifactChanges"][0]["replacements"][0]["deletedRegion"] for r, f in first if f]
    assert parsed and region and region[0]["startLine"] == old[0]["startLine"] + 2

    # In-process, against the uncached answer; and a corrupt entry is a miss, never a fix.
    from threatscan.catalog import load_catalog

    result = run_scan(ScanOptions(paths=[str(repo)], root=repo, jobs=1), load_catalog())
    want = fixes_by_position(result.findings, repo)
    assert want and cached_fixes(result.findings, repo, cache) == want
    for entry in cache.glob("*/*.json"):
        data = json.loads(entry.read_text())
        if "fixes" in data:
            entry.write_text(json.dumps({"format": FORMAT, "fixes": [{"description": "x"}] * len(data["fixes"])}))
    assert cached_fixes(result.findings, repo, cache) == want


def test_the_catalogue_kept_as_json_loads_the_same_rules_and_sees_an_edited_rule(tmp_path):
    import shutil

    from conftest import REPO
    from threatscan.catalog import load_catalog

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    memo = tmp_path / "cache"
    plain = load_catalog(rules)
    first = load_catalog(rules, memo=memo)  # parses the YAML and keeps it
    kept = list((memo / "catalog").glob("*.json"))
    assert len(kept) == 1
    files = json.loads(kept[0].read_text())["files"]
    assert str(rules / "cwe.yaml") in files  # numeric keys kept as pairs
    second = load_catalog(rules, memo=memo)  # from the JSON
    assert plain == first == second and plain.cwes == second.cwes and list(plain.rules) == list(second.rules)

    path = rules / "python" / "code-execution.yaml"
    entry = path.read_text()
    rid = entry.split("- id:")[1].split()[0]
    path.write_text(entry.replace(f"- id: {rid}", f"- id: {rid}X", 1))
    edited = load_catalog(rules, memo=memo)
    assert f"{rid}X" in edited.rules and rid not in edited.rules
    assert edited == load_catalog(rules)

    kept[0].write_text(json.dumps({"format": 2, "files": {str(path): ["0" * 64, [], False]}}))  # stale: parsed
    assert load_catalog(rules, memo=memo) == edited
    kept[0].write_text("not json")
    assert load_catalog(rules, memo=memo) == edited


def test_the_cache_keys_facts_are_each_files_own_facts_with_the_shared_part_worked_out_once():
    """scan._FileFacts (the cache's per-file facts) answers exactly what _file_facts answers for every file: one with
    a handler, an environment variable, a claimed literal or a settings role, and one with none of them (which
    shares the production servers' part); new facts after the first answer are read, not the old shared part."""
    from types import SimpleNamespace

    from threatscan.engines.base import Facts
    from threatscan.engines.python.deployment import DEPLOYED, ServerEntry, SettingsModule
    from threatscan.model import Location
    from threatscan.scan import _file_facts, _FileFacts

    at = Location("template.yaml", 3, 5)
    facts = Facts(handlers={"h.py": {"handler": at}}, env_definitions={"e.py": {"TOKEN": at}},
                  claimed_env_literals={"c.py": frozenset({(1, 2, "d")}), "empty.py": frozenset()},
                  settings_modules={"s/settings.py": SettingsModule("s/settings.py", DEPLOYED, "named for it")},
                  production_servers=frozenset({ServerEntry("Procfile", 1, "gunicorn"), ServerEntry("wsgi.py", 0, "x")}))
    ctx = SimpleNamespace(facts=facts)
    of = _FileFacts(ctx)
    rels = ["h.py", "e.py", "c.py", "empty.py", "s/settings.py", "plain.py", "other/plain.py"]
    answers = {rel: of(SimpleNamespace(rel=rel)) for rel in rels}
    assert answers == {rel: _file_facts(ctx, rel) for rel in rels}
    assert answers["plain.py"] == answers["other/plain.py"] != answers["h.py"]
    assert "gunicorn" in answers["plain.py"]
    ctx.facts = Facts(production_servers=frozenset({ServerEntry("Procfile", 1, "uwsgi")}))
    assert of(SimpleNamespace(rel="plain.py")) == _file_facts(ctx, "plain.py") != answers["plain.py"]


def test_a_cached_file_is_rescanned_when_another_modules_cors_origins_changes(tmp_path, catalog):
    """PY310 on `CORS(app, supports_credentials=True)` depends on the `CORS_ORIGINS` another module sets
    (Facts.cors_origins, part of every file's cache key): editing only config.py changes app.py's findings."""
    from threatscan.scan import ScanOptions, run_scan

    repo, cache = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    (repo / "app.py").write_text("from flask import Flask\nfrom flask_cors import CORS\n\napp = Flask(__name__)\n"
                                 "app.config.from_object('config')\nCORS(app, supports_credentials=True)\n")
    config = repo / "config.py"

    def scan():
        result = run_scan(ScanOptions(paths=[str(repo)], root=repo, cache_dir=cache, select=("PY310",)), catalog)
        return [(f.location.path, f.location.line) for f in result.findings]

    config.write_text('CORS_ORIGINS = ["https://app.example.com"]\n')
    assert scan() == []
    config.write_text('CORS_ORIGINS = "*"\n')
    assert scan() == [("app.py", 6)]
    config.write_text('CORS_ORIGINS = ["https://app.example.com"]\n')
    assert scan() == []
