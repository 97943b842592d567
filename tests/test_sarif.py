"""The SARIF a user uploads to GitHub: valid twice (OASIS schema, SARIF Multitool with GitHub's rules) and shaped
the way GitHub code scanning reads it (one run, rules with tags and security-severity, results tied to rules[],
repository-relative locations on the right line, fingerprints that survive unrelated edits, notifications)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, REPO, validate_multitool, validate_schema

from threatscan import __version__
from threatscan.cli import main
from threatscan.discover import decode
from threatscan.findings.linehash import hashes_for_lines, line_hashes
from threatscan.report.sarif import FINGERPRINT_KEY

LINE_HASH = "primaryLocationLineHash"


def sarif_scan(tmp_path: Path, *args: str, name: str = "out.sarif") -> tuple[dict, Path, object]:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["scan", *args, "--format", "sarif", "--output", str(out), "--fail-on", "none"])
    assert out.exists(), result.output
    return json.loads(out.read_text()), out, result


def git_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for rel, content in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return path


def assert_valid(log: dict, path: Path) -> None:
    errors = validate_schema(log)
    assert not errors, errors[:10]
    validate_multitool(path)


@pytest.fixture(scope="module")
def fixtures_sarif(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sarif")
    log, path, _ = sarif_scan(tmp, str(FIXTURES), "--category", "fixtures")
    return log, path


@pytest.fixture(scope="module")
def run(fixtures_sarif):
    return fixtures_sarif[0]["runs"][0]


# --- validity ---------------------------------------------------------------------------------------------------

def test_fixtures_sarif_validates_against_the_schema_and_the_multitool(fixtures_sarif):
    log, path = fixtures_sarif
    assert log["runs"][0]["results"], "the fixtures must produce findings"
    assert_valid(log, path)


def test_sarif_without_findings_validates(tmp_path):
    repo = git_repo(tmp_path / "repo", {"app.py": "import json\n\nprint(json.dumps({'ok': True}))\n"})
    log, path, _ = sarif_scan(tmp_path, str(repo))
    run = log["runs"][0]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True
    assert_valid(log, path)


def test_sarif_with_notices_validates_and_names_the_bad_file(tmp_path):
    repo = git_repo(tmp_path / "repo", {
        # A token a rule looks for, so the file is parsed (files without any are never parsed: nothing to find).
        "broken.py": "import subprocess\n\ndef f(:\n    subprocess.run('ls', shell=True)\n",
        "app.py": "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n",
    })
    log, path, _ = sarif_scan(tmp_path, str(repo))
    run = log["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True  # a file we could not parse is not a failed run
    notes = invocation["toolExecutionNotifications"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for n in notes for loc in n.get("locations", [])]
    assert "broken.py" in uris
    broken = next(n for n in notes if n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py")
    assert broken.get("level", "warning") in ("warning", "error")
    assert broken["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert [r["ruleId"].split("/")[0] for r in run["results"]] == ["PY102"]  # the rest of the scan still reports
    assert_valid(log, path)


# --- the run and the tool ---------------------------------------------------------------------------------------

def test_one_run_with_a_complete_driver(fixtures_sarif, run):
    log = fixtures_sarif[0]
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = run["tool"]["driver"]
    assert driver["name"] == "threatscan"
    assert driver["version"] == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[-+].*)?", driver["semanticVersion"])
    assert driver["informationUri"].startswith("https://")
    assert run["automationDetails"]["id"] == "fixtures/"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"


def test_one_rules_entry_per_rule_with_unique_ids(run, catalog):
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids))
    assert {i for i in ids if "/" not in i} == set(catalog.rules)  # no --select: every rule ran and is described
    tiers = ("review", "low", "medium", "high", "critical")
    assert all(i.split("/")[0] in catalog.rules and i.split("/")[1] in tiers for i in ids if "/" in i)


# GitHub's documented reading (docs "SARIF support for code scanning", reportingDescriptor `security-severity`):
# the rule's score decides the severity shown, low 0.1-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0.
def _github_shows(score: str) -> str:
    value = float(score)
    return "critical" if value >= 9.0 else "high" if value >= 7.0 else "medium" if value >= 4.0 else "low"


def test_github_shows_every_result_at_threatscans_severity(run):
    rules = run["tool"]["driver"]["rules"]
    raised = lowered = 0
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        shown = _github_shows(rule["properties"]["security-severity"])
        assert shown == result["properties"]["severity"], (result["ruleId"], result["locations"][0])
        assert rule.get("defaultConfiguration", {}).get("level", "warning") == result.get("level", "warning")
        if "/" in rule["id"]:
            base = next(r for r in rules if r["id"] == rule["id"].split("/")[0])
            order = ["low", "medium", "high", "critical"]
            base_shown = order.index(_github_shows(base["properties"]["security-severity"]))
            raised += order.index(shown) > base_shown
            lowered += order.index(shown) < base_shown
    assert raised and lowered, "the fixtures exercise both directions (Lambda handlers raised, debug source sets lowered)"


def test_rules_carry_what_github_shows(run, catalog):
    for descriptor in run["tool"]["driver"]["rules"]:
        rule = catalog.rules[descriptor["id"].split("/")[0]]
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
        markdown = descriptor["help"]["markdown"]
        assert descriptor["help"]["text"]
        for threat in rule.threats:
            assert threat in markdown
            for stride in catalog.threats[threat].stride:
                assert stride in markdown
        assert "STRIDE" in markdown
        props = descriptor["properties"]
        tags = props["tags"]
        assert "security" in tags
        assert len(tags) <= 20 and len(tags) == len(set(tags))
        for cwe in rule.cwe:
            assert f"external/cwe/cwe-{cwe}" in tags
        assert not [t for t in tags if t.lower().startswith("cwe") or re.fullmatch(r"external/cwe/CWE-\d+", t)]
        for threat in rule.threats[:3]:
            assert f"threat/{threat}" in tags
        assert any(t.startswith("stride/") for t in tags)
        severity = props["security-severity"]
        assert isinstance(severity, str) and 0.0 <= float(severity) <= 10.0
        if "/" not in descriptor["id"]:
            assert float(severity) == pytest.approx(rule.security_severity)
        assert props["precision"] in ("very-high", "high", "medium", "low")


# --- results ----------------------------------------------------------------------------------------------------

def test_results_point_at_their_rules_entry(run):
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result.get("level", "warning") in ("note", "warning", "error")  # SARIF's default is warning
        assert result["message"]["text"]


def test_locations_are_repository_relative(run):
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:")) and "://" not in artifact["uri"]
        assert (REPO / artifact["uri"]).is_file()


def test_regions_point_at_the_offending_code_not_line_one(run):
    checked = 0
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        path = REPO / physical["artifactLocation"]["uri"]
        region = physical["region"]
        lines = re.split(r"\r\n|\r|\n", decode(path.read_bytes(), python=path.suffix == ".py"))
        line = lines[region["startLine"] - 1]
        if region["startLine"] == 1:
            assert "expect:" in line, f"{path}: a finding at line 1 without an annotation there"
        assert 1 <= region["startColumn"] <= len(line) + 1
        if path.suffix == ".py":
            # The column is where the offending expression starts, and the snippet is that line.
            assert line[region["startColumn"] - 1:].strip(), (path, region)
            assert region["snippet"]["text"].split("#")[0].strip() in line or "…" in region["snippet"]["text"] \
                or "*" in region["snippet"]["text"]
            checked += 1
    assert checked > 20


def test_taxa_point_at_the_threat_taxonomy(run):
    taxonomies = run["taxonomies"]
    by_name = {t["name"]: i for i, t in enumerate(taxonomies)}
    assert {"threatscan-threats", "STRIDE", "CWE"} <= set(by_name)
    for result in run["results"]:
        assert result["taxa"], result["ruleId"]
        for ref in result["taxa"]:
            component = ref["toolComponent"]
            assert component["index"] == by_name[component["name"]] == by_name["threatscan-threats"]
            assert taxonomies[component["index"]]["taxa"][ref["index"]]["id"] == ref["id"]
        assert [t["id"] for t in result["taxa"]] == result["properties"]["threats"]


def test_every_result_has_both_fingerprints(run):
    for result in run["results"]:
        fp = result["partialFingerprints"]
        assert re.fullmatch(r"[0-9a-f]{32}", fp[FINGERPRINT_KEY])
        assert re.fullmatch(r"[0-9a-f]{1,16}:\d+", fp[LINE_HASH])
    values = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert len(values) == len(set(values)), "two results share a fingerprint"


def test_line_hash_is_the_one_the_upload_action_computes(run):
    """The action recomputes primaryLocationLineHash from the file; ours must be the same or it warns."""
    for result in run["results"][:40]:
        physical = result["locations"][0]["physicalLocation"]
        data = (REPO / physical["artifactLocation"]["uri"]).read_bytes()
        line = physical["region"]["startLine"]
        assert result["partialFingerprints"][LINE_HASH] == line_hashes(data)[line - 1]


# --- fingerprints across edits ----------------------------------------------------------------------------------

APP = """\
import os


def handler(event, context):
    return None


def run(cmd):
    os.system(cmd)
"""


def _fingerprints(tmp_path: Path, repo: Path, name: str) -> tuple[str, str, int]:
    log, _, _ = sarif_scan(tmp_path, str(repo), name=name)
    [result] = log["runs"][0]["results"]
    fp = result["partialFingerprints"]
    return fp[FINGERPRINT_KEY], fp[LINE_HASH], result["locations"][0]["physicalLocation"]["region"]["startLine"]


def test_fingerprints_survive_lines_inserted_above_and_change_with_the_finding(tmp_path):
    repo = git_repo(tmp_path / "repo", {"app.py": APP})
    before = _fingerprints(tmp_path, repo, "1.sarif")
    assert before[2] == 9

    (repo / "app.py").write_text('"""Docs."""\nimport sys\n\nVERSION = sys.version\n' + APP)
    shifted = _fingerprints(tmp_path, repo, "2.sarif")
    assert shifted[2] == 13
    assert shifted[:2] == before[:2]

    (repo / "app.py").write_text(APP.replace("os.system(cmd)", "os.system(cmd + ' --verbose')"))
    edited = _fingerprints(tmp_path, repo, "3.sarif")
    assert edited[2] == 9
    assert edited[0] != before[0]
    assert edited[1] != before[1]


# --- the line hash against the codeql-action's own test values ---------------------------------------------------
# Inputs and expected hashes from github/codeql-action src/fingerprints.test.ts ("hash").

CODEQL_ACTION_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1", "b86d3392aea1be30:1",
      "e6ceba753e1a442:1"]),
    *[(text, ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
              "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"])
      for text in (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
                   " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
                   " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
                   " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n")],
    ("Lorem ipsum dolor sit amet.\n" * 10,
     [*(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)), "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
]


@pytest.mark.parametrize("text,expected", CODEQL_ACTION_VECTORS)
def test_line_hashes_match_the_codeql_action(text, expected):
    assert line_hashes(text) == expected
    assert line_hashes(text.encode("utf-8")) == expected
    assert hashes_for_lines(text, range(1, len(expected) + 1)) == {i + 1: h for i, h in enumerate(expected)}


def test_line_hash_counts_utf16_code_units():
    # The action hashes JavaScript string code units: an emoji is two of them, an accented letter one.
    a, b = line_hashes("x = '🎉'\n")[0], line_hashes("x = 'é'\n")[0]
    assert a != b
    assert hashes_for_lines("a\nb\n", [2, 99]) == {2: line_hashes("a\nb\n")[1]}


# --- columns in code points (item: ast gives UTF-8 byte offsets) ---------------------------------------------------

def test_columns_count_code_points_on_non_ascii_lines(tmp_path):
    line = '    label = "Größe 🎉 ünïcödé"; os.system(cmd)'
    repo = git_repo(tmp_path / "repo", {"app.py": f"import os\n\n\ndef run(cmd):\n{line}\n"})
    log, path, _ = sarif_scan(tmp_path, str(repo))
    [result] = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    start = line.index("os.system") + 1
    assert region["startLine"] == 5
    assert region["startColumn"] == start
    assert region["endColumn"] == start + len("os.system(cmd)")
    assert line[region["startColumn"] - 1:region["endColumn"] - 1] == "os.system(cmd)"
    assert not validate_schema(log)


def test_columns_on_a_multi_line_call_with_non_ascii_text(tmp_path):
    source = 'import os\n\n\ndef run(cmd):\n    os.system(\n        "échô " + cmd)  # ünïcödé\n'
    repo = git_repo(tmp_path / "repo", {"app.py": source})
    log, _, _ = sarif_scan(tmp_path, str(repo))
    [result] = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 5)
    end_line = source.splitlines()[5]
    assert region["endLine"] == 6
    assert end_line[: region["endColumn"] - 1].endswith('"échô " + cmd)')


# Related locations count code points too: the claims of a token without expiry (PY503), the credentials setting
# of an any-origin CORS policy (PY310, PY311) and the handler's read of a templated secret (IAC101).
RELATED_COLUMN_CASES = {
    "jwt-claims": (
        {"app.py": 'import jwt\n\n\ndef issue(user, key):\n    note = "café 🎉"; claims = {"sub": user}\n'
                   '    return jwt.encode(claims, key, algorithm="HS256")\n'},
        "PY503", "app.py", 5, '{"sub": user}'),
    "django-cors-credentials": (
        {"shop/settings.py": 'INSTALLED_APPS = ["corsheaders"]\nCORS_ALLOW_ALL_ORIGINS = True\n'
                             'LABEL = "Größe 🎉"; CORS_ALLOW_CREDENTIALS = True\n'},
        "PY310", "shop/settings.py", 3, "CORS_ALLOW_CREDENTIALS = True"),
    "header-credentials": (
        {"views.py": 'def view(request, response):\n'
                     '    response["Access-Control-Allow-Origin"] = request.headers["Origin"]\n'
                     '    note = "ünïcödé 🎉"; response["Access-Control-Allow-Credentials"] = "true"\n'
                     '    return response\n'},
        "PY310", "views.py", 3, 'response["Access-Control-Allow-Credentials"] = "true"'),
    "lambda-env-read": (
        {"template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                          "    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
                          "      CodeUri: src/\n      Handler: app.handler\n      Environment:\n"
                          "        Variables:\n          DB_PASSWORD: \"Sh0p-Db-Pa55word!\"\n",
         "src/app.py": 'import os\n\nlabel = "Größe 🎉"; PASSWORD = os.environ["DB_PASSWORD"]\n\n\n'
                       'def handler(event, context):\n    return PASSWORD\n'},
        "IAC101", "src/app.py", 3, 'os.environ["DB_PASSWORD"]'),
}


@pytest.mark.parametrize("case", sorted(RELATED_COLUMN_CASES))
def test_related_location_columns_count_code_points(tmp_path, case):
    files, rule, rel, line_no, text = RELATED_COLUMN_CASES[case]
    repo = git_repo(tmp_path / "repo", files)
    log, _, _ = sarif_scan(tmp_path, str(repo), "--select", rule)
    results = [r for r in log["runs"][0]["results"] if r["ruleId"].split("/")[0] == rule]  # (or its review variant)
    assert results, log["runs"][0]["results"]
    [related] = [loc for r in results for loc in r.get("relatedLocations", [])
                 if loc["physicalLocation"]["artifactLocation"]["uri"] == rel]
    region = related["physicalLocation"]["region"]
    line = files[rel].splitlines()[line_no - 1]
    assert not line.isascii()
    assert region["startLine"] == line_no
    assert region["startColumn"] == line.index(text) + 1  # code points, not UTF-8 bytes
    assert line[region["startColumn"] - 1:region["endColumn"] - 1] == text
    assert not validate_schema(log)


def test_every_peer_engine_that_ran_is_listed_with_its_version_even_without_findings(catalog):
    from threatscan.report.sarif import build_log

    log = build_log([], [], [], catalog, engines=[("bandit", "1.8.3"), ("checkov", "3.2.1")])
    tool = log["runs"][0]["tool"]
    assert tool["extensions"] == [{"name": "bandit", "version": "1.8.3"}, {"name": "checkov", "version": "3.2.1"}]
    assert validate_schema(log) == []
    assert "extensions" not in build_log([], [], [], catalog)["runs"][0]["tool"], "no peer ran: none listed"


def test_sarif_text_is_encoded_result_by_result_exactly_as_the_whole_log_at_once(tmp_path):
    from threatscan.report import sarif

    out = tmp_path / "r.sarif"
    assert CliRunner().invoke(main, ["scan", str(FIXTURES / "python"), "--format", "sarif", "-o", str(out),
                                     "--fail-on", "none", "-q", "-j", "1", "--no-cache"]).exit_code == 0
    log = json.loads(out.read_text())
    assert len(log["runs"][0]["results"]) > 10 and any("codeFlows" in r for r in log["runs"][0]["results"])
    assert out.read_text() == json.dumps(log, indent=2) + "\n"
    assert sarif.dumps(json.loads(out.read_text())) == out.read_text()
    empty = json.loads(out.read_text())
    empty["runs"][0]["results"] = []
    assert sarif.dumps(empty) == json.dumps(empty, indent=2) + "\n"


def test_the_sarif_objects_write_what_sarif_om_would():
    """report/sarif_model.py stands in for sarif-om (whose import cost a sixth of a warm rescan): each class's
    properties, their order (the order of the keys written), schema names and defaults are sarif-om's, and an object
    built both ways serialises to the same JSON."""
    om = pytest.importorskip("sarif_om")
    attr = pytest.importorskip("attr")
    from threatscan.report import sarif_model
    from threatscan.report.sarif import to_json

    for name in sarif_model.PROPERTIES:
        ours = getattr(sarif_model, name).FIELDS
        theirs = []
        for f in attr.fields(getattr(om, name)):
            default = f.default.factory() if isinstance(f.default, attr.Factory) else f.default
            theirs.append((f.name, f.metadata["schema_property_name"], None if default is attr.NOTHING else default))
        if name == "Suppression":
            theirs.append(("status", "status", None))  # SARIF 2.1.0's, which sarif-om 1.0.4 lacks
        assert [(n, s, d) for n, s, d in ours] == theirs, name

    def both(module):
        region = module.Region(start_line=3, start_column=1, byte_offset=-1)
        region.end_line = 4
        loc = module.Location(physical_location=module.PhysicalLocation(
            artifact_location=module.ArtifactLocation(uri="a.py", uri_base_id="%SRCROOT%", index=-1), region=region),
            id=1, message=module.Message(text="here"))
        return module.Result(message=module.Message(text="m"), rule_id="PY101", level="warning", locations=[loc],
                             rule_index=0, kind="fail", properties={"x": [1, None], "y": None})

    assert to_json(both(sarif_model)) == {
        "locations": [{"id": 1, "message": {"text": "here"}, "physicalLocation": {
            "artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
            "region": {"endLine": 4, "startColumn": 1, "startLine": 3}}}],
        "message": {"text": "m"}, "properties": {"x": [1, None]}, "ruleId": "PY101", "ruleIndex": 0}

    def sarif_om_json(obj):  # how the writer serialised sarif-om's objects before
        if attr.has(type(obj)):
            out = {}
            for f in attr.fields(type(obj)):
                value = getattr(obj, f.name)
                default = f.default.factory() if isinstance(f.default, attr.Factory) else f.default
                if value is None or (default is not attr.NOTHING and value == default):
                    continue
                out[f.metadata["schema_property_name"]] = sarif_om_json(value)
            return out
        if isinstance(obj, list):
            return [sarif_om_json(v) for v in obj]
        if isinstance(obj, dict):
            return {k: sarif_om_json(v) for k, v in obj.items() if v is not None}
        return obj

    assert json.dumps(to_json(both(sarif_model))) == json.dumps(sarif_om_json(both(om)))  # key order too
    with pytest.raises(AttributeError):
        sarif_model.Result(message=None, rule=None).not_a_property = 1


def test_indented_writes_what_json_dumps_writes():
    """The SARIF writer's own indenting encoder (faster than json's) gives json.dumps(indent=2)'s text for every
    kind of value, nested, at any depth, and leaves what it does not know to json (which then refuses as before)."""
    from threatscan.report.sarif import dumps, indented

    class Tag(str):
        pass

    value = {"s": "é\u2028\"\\\n\t<x>", "t": Tag("sub"), "i": -3, "big": 10**30, "f": 0.1, "e": 1e300,
             "nan": float("nan"), "inf": float("-inf"), "b": [True, False, None], "empty": [[], {}, ()],
             "nested": {"a": [{"b": (1, "2")}], "c": {}}, "\u00fcn": "ok"}
    for level in (0, 1, 4):
        assert indented(value, level) == json.dumps(value, indent=2).replace("\n", "\n" + "  " * level)
    assert indented({1: "x", None: [1.5]}) == json.dumps({1: "x", None: [1.5]}, indent=2)  # json's key spelling
    with pytest.raises(TypeError):
        indented({"x": {1, 2}})  # json refuses a set: so does the writer
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "R1"}]}},
                                         "results": [{"ruleId": "R1", "message": {"text": "a\nb"}},
                                                     {"ruleId": "R1", "locations": []}]}]}
    expected = json.dumps(log, indent=2) + "\n"
    assert dumps(log) == expected
