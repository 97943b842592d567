"""A hostile repository: files a stranger's pull request may contain, generated here in tmp_path (no committed
blobs). For each case the scan runs in a child process (a crash must show as one, not take pytest down) and:
it finishes, its SARIF is valid, the skipped file is named in a notification, and the finding planted in another
file is still reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from conftest import validate_schema

# A finding every scan must keep, whatever the hostile file beside it does.
PLANTED = {"planted.py": "import subprocess\n\n\ndef handler(event, context):\n    subprocess.call(event['cmd'], shell=True)\n"}
PLANTED_RULE, PLANTED_PATH = "PY101", "planted.py"  # a Lambda event reaching a shell: a confirmed flow, HIGH
# Not a speed assertion: a generous bound, so a hang fails the test instead of stalling the suite.
BOUND = 600


def scan(repo: Path, *extra: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    out = repo.parent / f"{repo.name}.sarif"
    proc = subprocess.run([sys.executable, "-m", "threatscan.cli", "scan", ".", "--engines", "native", "--fail-on", "none",
                           "-f", "sarif", "-o", str(out), *extra],
                          cwd=repo, capture_output=True, text=True, timeout=BOUND, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    log = json.loads(out.read_text())
    assert validate_schema(log) == []
    return proc, log


def results(log: dict) -> list[tuple[str, str]]:
    """(rule id, path) of every result; a SARIF ruleId may carry a variant (`PY101/critical`, `PY101/review`)."""
    return [(r["ruleId"].split("/")[0], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in log["runs"][0]["results"]]


def notifications(log: dict) -> list[tuple[str, str]]:
    """(descriptor id, message) of every tool notification."""
    out = []
    for inv in log["runs"][0].get("invocations", []):
        for n in inv.get("toolExecutionNotifications", []):
            out.append((n.get("descriptor", {}).get("id", ""), n["message"]["text"]))
    return out


def make_repo(tmp_path: Path, files: dict[str, str | bytes], planted: bool = True) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    for name, content in {**(PLANTED if planted else {}), **files}.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return repo


def assert_skipped_and_planted_kept(log: dict, name: str, reason: str) -> None:
    assert (PLANTED_RULE, PLANTED_PATH) in results(log), "the planted finding in another file was lost"
    named = [msg for _, msg in notifications(log) if msg.startswith(f"{name}:")]
    assert named, f"no notification names {name}: {notifications(log)}"
    assert any(reason in msg for msg in named), f"{reason!r} not in {named}"


# --- Python: parsers that crash or hang --------------------------------------------------------------------------

def test_brackets_nested_5000_deep_skip_one_file_not_the_scan(tmp_path):
    """`ast` refuses it; libcst's native parser would overflow its stack (SIGSEGV, exit 139, no report)."""
    repo = make_repo(tmp_path, {"deep.py": "x = " + "[" * 5000 + "]" * 5000 + "\n"})
    _, log = scan(repo)
    assert_skipped_and_planted_kept(log, "deep.py", "nested")


def test_deep_nesting_in_newer_grammar_is_refused_before_the_fallback_parser(tmp_path):
    """A `type` statement (3.12) sends the file to the fallback parser whatever the interpreter: the nesting bound
    must hold there too."""
    repo = make_repo(tmp_path, {"deep.py": "type X = int\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n"})
    _, log = scan(repo)
    assert_skipped_and_planted_kept(log, "deep.py", "nested")


def test_a_long_expression_chain_in_newer_grammar_is_bounded(tmp_path):
    """libcst takes quadratic time on long chains (20,000 terms: minutes); the fallback runs in a child process
    with a time limit, set low here, and the file is skipped with the reason."""
    chain = " + ".join(f"a{i}.b" for i in range(20_000))
    repo = make_repo(tmp_path, {"chain.py": f"type X = int\nx = {chain}\n"})
    _, log = scan(repo, env={"THREATSCAN_PARSE_TIMEOUT": "2"})
    assert_skipped_and_planted_kept(log, "chain.py", "limit")


def test_a_long_statement_in_newer_grammar_is_still_analysed(tmp_path):
    """The child process is a boundary, not a skip: a long but harmless statement parses there and the file's own
    findings are reported."""
    chain = " + ".join(f"a{i}" for i in range(300))
    repo = make_repo(tmp_path, {"long.py": f"type X = int\nx = {chain}\n" + PLANTED["planted.py"]})
    _, log = scan(repo)
    assert (PLANTED_RULE, "long.py") in results(log)


def test_python2_and_syntax_errors_are_notices(tmp_path):
    repo = make_repo(tmp_path, {"py2.py": "print 'hello'\nexec 'x = 1'\n", "broken.py": "def f(:\n    pass\n"})
    _, log = scan(repo)
    assert_skipped_and_planted_kept(log, "py2.py", "syntax error")
    assert_skipped_and_planted_kept(log, "broken.py", "syntax error")


# --- Encodings -----------------------------------------------------------------------------------------------------

DECLARED = ["undefined", "rot13", "uu_codec", "zlib_codec", "hex", "base64", "punycode", "no-such-codec", "utf-16",
            "utf-32", "utf-7", "latin-1", "cp1252", "shift_jis", "idna", "unicode_escape", "utf-8-sig", "x" * 300]


def analysed_or_named(log: dict, path: str, rule: str) -> bool:
    return (rule, path) in results(log) or any(msg.startswith(f"{path}:") for _, msg in notifications(log))


def test_every_python_encoding_declaration_finishes_the_scan(tmp_path):
    """A declared codec Python refuses, or one that is not a character set, skips that file with a notice; one that
    decodes the bytes lets the scan analyse them; either way the scan never fails (one scan, every declaration)."""
    files = {f"declared{i}.py": f"# -*- coding: {codec} -*-\n" + PLANTED["planted.py"] for i, codec in enumerate(DECLARED)}
    _, log = scan(make_repo(tmp_path, files))
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    for i, codec in enumerate(DECLARED):
        assert analysed_or_named(log, f"declared{i}.py", PLANTED_RULE), f"{codec}: neither analysed nor named"
    assert (PLANTED_RULE, f"declared{DECLARED.index('latin-1')}.py") in results(log), "a real character set (latin-1) is decoded and analysed"
    assert not any("engine" in msg and "failed" in msg for _, msg in notifications(log))


def test_nul_bytes_and_binary_are_skipped_with_a_notice(tmp_path):
    repo = make_repo(tmp_path, {"nul.py": b"import os\x00\nos.system(input())\n", "bin.py": os.urandom(4096)})
    _, log = scan(repo)
    assert_skipped_and_planted_kept(log, "nul.py", "NUL")


MANIFEST = '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="a.b"><application ' \
           'android:debuggable="true"/></manifest>'


XML_DECLARED = ["punycode", "rot13", "undefined", "uu_codec", "no-such", "utf-16", "utf-32", "latin-1", "ebcdic-cp-us",
                "utf-7", "idna"]


def test_mis_declared_xml_encodings_skip_one_file(tmp_path):
    files = {f"m{i}/src/main/AndroidManifest.xml": f'<?xml version="1.0" encoding="{declared}"?>{MANIFEST}'.encode("ascii")
             for i, declared in enumerate(XML_DECLARED)}
    _, log = scan(make_repo(tmp_path, files))
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    for i, declared in enumerate(XML_DECLARED):
        path = f"m{i}/src/main/AndroidManifest.xml"
        assert any(p == path for _, p in results(log)) or any(m.startswith(f"{path}:") for _, m in notifications(log)), declared
    assert not any("engine" in msg and "failed" in msg for _, msg in notifications(log))


# --- Regular expressions the scanned code supplies ------------------------------------------------------------------

BOMBS = [r"(a|aa)*$", r"(.*)*(a|a?)+$", r"^(a+)+$", r"(x+x+)+y", r"(\w*)*\.example\.com", "(((a*)*)*)*" * 20,
         r"(.*a){20}", r"^(https?://)?([a-z0-9-]+\.)*[a-z0-9-]+(:[0-9]+)?$" * 3]


def test_cors_patterns_from_the_scanned_code_are_never_run_by_a_backtracking_engine(tmp_path):
    """Each origin pattern is read structurally (linear in its size); catastrophic ones cannot hang the scan, and
    the verdict is still made: `.*`-like patterns admit any origin."""
    lines = ["from flask import Flask", "from flask_cors import CORS", "app = Flask(__name__)"]
    lines += [f"CORS(app, origins=[{b!r} * 1], supports_credentials=True)" for b in BOMBS]
    lines += [f"CORS(app, origins={b!r}, supports_credentials=True)" for b in BOMBS]
    repo = make_repo(tmp_path, {"corsbomb.py": "\n".join(lines) + "\n"})
    _, log = scan(repo)
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    flagged = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in log["runs"][0]["results"]
               if r["ruleId"].split("/")[0] == "PY310"}
    first = len(lines) - len(BOMBS) + 1
    assert first + 1 in flagged, "(.*)*(a|a?)+$ admits any origin"
    assert first + 3 not in flagged, "(x+x+)+y admits no origin"


# --- YAML -----------------------------------------------------------------------------------------------------------

def _bucket(name: str, public: bool = True) -> str:
    acl = "      AccessControl: PublicReadWrite\n" if public else ""
    return f"  {name}:\n    Type: AWS::S3::Bucket\n    Properties:\n{acl}      BucketName: b-{name.lower()}\n"


def test_a_large_template_is_not_mistaken_for_an_alias_bomb(tmp_path):
    """1,500 resources, no alias: read in full, and the one flawed resource at the end is reported. The template's
    22,500 nodes are more than twice the nodes aliases may add (the limit, lowered here from 100,000 to 10,000 so
    that the template need not be ten times larger): a loader that counted written nodes against it would refuse
    the file."""
    body = "".join(f"  Topic{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t{i}\n      Tags:\n"
                   f"        - Key: team\n          Value: v{i}\n" for i in range(1_500))
    template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n" + body + _bucket("Last")
    _, log = scan(make_repo(tmp_path, {"big.yaml": template}), env={"THREATSCAN_MAX_YAML_ALIAS_NODES": "10000"})
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    assert any(path == "big.yaml" for _, path in results(log)), notifications(log)


def test_an_alias_bomb_is_refused_with_a_notice(tmp_path):
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 10)]
    lines += ["Resources:", _bucket("Bomb").rstrip("\n"), "      Tags: *a9"]
    _, log = scan(make_repo(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"}))
    assert_skipped_and_planted_kept(log, "bomb.yaml", "alias")


def test_keys_one_and_true_do_not_hide_a_resource(tmp_path):
    """YAML reads `1` as an int and `true` as a bool, and 1 == True in Python: one resource used to replace the
    other. CloudFormation reads both as the strings they are."""
    template = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n" + _bucket("1") + _bucket("true", public=False))
    _, log = scan(make_repo(tmp_path, {"keys.yaml": template}))
    assert any(path == "keys.yaml" for _, path in results(log)), "the public bucket `1` was hidden by `true`"
    assert not any("duplicate key" in msg for _, msg in notifications(log))


def test_deep_nesting_and_huge_strings_in_yaml(tmp_path):
    deep = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: " + "[" * 100_000 + "]" * 100_000 + "\n"
    huge = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n" + _bucket("Big").rstrip("\n") + \
        "\n      Tags:\n        - Key: k\n          Value: '" + "a" * 3_000_000 + "'\n"
    _, log = scan(make_repo(tmp_path, {"deep.yaml": deep, "huge.yaml": huge}))
    assert_skipped_and_planted_kept(log, "deep.yaml", "nesting")
    assert any(path == "huge.yaml" for _, path in results(log))


def test_duplicate_key_notices_are_capped(tmp_path):
    """Hundreds of thousands of duplicate keys: a bounded number of notices, with the count of the rest."""
    template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n" + _bucket("B") + "Metadata:\n" + \
        "".join("  k: v\n" for _ in range(200_000))
    _, log = scan(make_repo(tmp_path, {"dups.yaml": template}))
    mine = [msg for _, msg in notifications(log) if msg.startswith("dups.yaml:")]
    assert 1 < len(mine) <= 101 and any(" more " in m for m in mine)


# --- The data flow ----------------------------------------------------------------------------------------------------

def test_constant_folding_builds_nothing_huge(tmp_path):
    """`3_000_000_000 * 'a'` is 60 bytes that folded to 2.9 GB; the child's memory is capped (RLIMIT_AS) so that
    building it would fail the scan: the folds must be refused before they run."""
    source = "\n".join([
        "import subprocess", "a = 3_000_000_000 * 'a'", "b = b'ab' * 10**10", "c = 1 << 10**12",
        "d = '%999999999d' % 1", "e = 'a'.center(10**9)", "f = 'x' * 10000", "g = f.replace('x', f)",
        "h = '{:>999999999}'.format(1)", "i = [0] * 10**10",
        "subprocess.call(a + d + e + g + h, shell=True)", ""])
    repo = make_repo(tmp_path, {"fold.py": source})
    proc = subprocess.run([sys.executable, "-c", _UNDER_MEMORY_CAP, str(repo)], capture_output=True, text=True,
                          timeout=BOUND)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    assert [PLANTED_RULE, "planted.py"] in found and any(path == "fold.py" for _, path in found)


_UNDER_MEMORY_CAP = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 ** 2, resource.RLIM_INFINITY))
from threatscan.catalog import load_catalog
from threatscan.scan import ScanOptions, run_scan
result = run_scan(ScanOptions(paths=[sys.argv[1]], jobs=1), load_catalog())
print(json.dumps([(f.rule_id, f.location.path) for f in result.findings]))
"""


def test_a_300_function_call_chain_keeps_every_finding(tmp_path):
    lines = ["import os", "import subprocess"]
    lines += [f"def f{i}(x):\n    return f{i + 1}(x)" for i in range(300)]
    lines += ["def f300(x):\n    return os.system(x)",
              "def handler(event, context):\n    f0(event['cmd'])\n    subprocess.call(event['c'], shell=True)\n"
              "    return eval(event['code'])"]
    _, log = scan(make_repo(tmp_path, {"chain.py": "\n".join(lines) + "\n"}))
    found = results(log)
    assert (PLANTED_RULE, PLANTED_PATH) in found
    assert {rule for rule, path in found if path == "chain.py"} >= {"PY101", "PY104"}, found


def test_a_handler_over_the_size_cap_is_not_parsed_through_the_template(tmp_path):
    """Discovery skips a file over the size cap; a template naming it as a Lambda handler must not make the link
    step read and parse it anyway."""
    big = "def handler(event, context):\n    return 1\n" + "x = 1\n" * 200_000
    template = ("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"
                "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
                "      Handler: app.handler\n      Runtime: python3.12\n")
    repo = make_repo(tmp_path, {"template.yaml": template, "src/app.py": big})
    (repo / ".threatscan.toml").write_text("max-file-bytes = 100000\n")
    _, log = scan(repo)
    assert_skipped_and_planted_kept(log, "src/app.py", "limit")


def test_the_link_step_honours_the_size_cap(tmp_path, catalog, monkeypatch):
    from threatscan.lang.python import parse
    from threatscan.scan import ScanOptions, run_scan

    parsed = []
    real = parse.parse_python
    monkeypatch.setattr(parse, "parse_python", lambda text, filename="<file>": (parsed.append(filename), real(text, filename))[1])
    import threatscan.lang.python.module as pymodule
    monkeypatch.setattr(pymodule, "parse_python", parse.parse_python)
    template = ("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"
                "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
                "      Handler: app.handler\n      Runtime: python3.12\n")
    repo = make_repo(tmp_path, {"template.yaml": template,
                                "src/app.py": "def handler(event, context):\n    return 1\n" + "x = 1\n" * 20_000})
    result = run_scan(ScanOptions(paths=[str(repo)], root=repo, max_bytes=50_000, jobs=1), catalog)
    assert any(n.path == "src/app.py" and n.kind == "too-large" for n in result.notices)
    assert "src/app.py" not in parsed
    assert "planted.py" in parsed


def test_findings_per_file_are_capped_keeping_the_most_severe(tmp_path):
    """A generated file with thousands of findings: a bounded report that still holds the severe one (the gate
    still fails), and a notice saying how many were left out."""
    many = "import subprocess\n" + "".join(f"subprocess.call('ls {i}', shell=True)\n" for i in range(1_500))
    repo = make_repo(tmp_path, {"many.py": many + PLANTED["planted.py"]})
    _, log = scan(repo, env={"THREATSCAN_MAX_FINDINGS_PER_FILE": "100"})
    mine = [r for r in log["runs"][0]["results"]
            if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "many.py"]
    severe_line = many.count("\n") + PLANTED["planted.py"].count("\n")  # the Lambda event reaching a shell
    assert len(mine) == 100
    assert any(r["locations"][0]["physicalLocation"]["region"]["startLine"] == severe_line for r in mine), \
        "the cap keeps the most severe finding, though it is the last in the file"
    assert any("more findings" in msg for _, msg in notifications(log))


# --- The file system and git ---------------------------------------------------------------------------------------

def test_symlink_loops_links_outside_fifos_and_devices(tmp_path):
    repo = make_repo(tmp_path, {})
    (repo / "loop.py").symlink_to(repo / "loop.py")
    (repo / "a.py").symlink_to(repo / "b.py")
    (repo / "b.py").symlink_to(repo / "a.py")
    (repo / "dirloop").mkdir()
    (repo / "dirloop" / "again").symlink_to(repo / "dirloop")
    (repo / "passwd.py").symlink_to("/etc/passwd")
    (repo / "etc").symlink_to("/etc")
    (repo / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(repo / "fifo.py")
    _, log = scan(repo)
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    texts = " ".join(msg for _, msg in notifications(log))
    assert "passwd.py: symbolic link points outside" in texts
    assert "loop.py:" in texts
    assert not any(path.startswith("etc/") for _, path in results(log))


def test_a_broken_git_index_does_not_stop_the_scan(tmp_path):
    repo = make_repo(tmp_path, {})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    (repo / ".git" / "index").write_bytes(b"DIRC\x00\x00\x00\x02" + os.urandom(64))
    _, log = scan(repo)
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)


# --- XML, Gradle, properties ---------------------------------------------------------------------------------------

def test_hostile_xml_entities_dtds_xinclude_and_deep_nesting(tmp_path):
    laughs = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY a{i} "{("&a%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)) + \
        ']>\n<resources><string name="x">&a9;</string></resources>\n'
    external = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n' \
               '<resources><string name="x">&e;</string></resources>\n'
    xinclude = '<resources xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/>' \
               '<string name="k">v</string></resources>\n'
    deep = "<resources>" + "<a>" * 200_000 + "</a>" * 200_000 + "</resources>\n"
    files = {"app/src/main/res/values/laughs.xml": laughs, "app/src/main/res/values/external.xml": external,
             "app/src/main/res/values/xinclude.xml": xinclude, "app/src/main/res/values/deep.xml": deep,
             "app/src/main/AndroidManifest.xml": MANIFEST}
    proc, log = scan(make_repo(tmp_path, files))
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    assert_skipped_and_planted_kept(log, "app/src/main/res/values/laughs.xml", "DTD")
    assert_skipped_and_planted_kept(log, "app/src/main/res/values/external.xml", "DTD")
    assert "root:" not in json.dumps(log)  # nothing of /etc/passwd was read into the report
    assert any(path == "app/src/main/AndroidManifest.xml" for _, path in results(log))


def test_hostile_gradle_and_properties(tmp_path):
    gradle = "android {\n" + "{" * 200_000 + "\n" + " " * 100_000 + "targetSdk" + " " * 100_000 + "\n" + \
        '"' + " " * 100_000 + "\nbuildConfigField(" + "'" * 50_000 + "\n" + "}" * 200_000 + "\n}\n"
    props = "key=value\\\n" * 100_000 + "a" * 100_000 + "\n" + " " * 100_000 + "=\n" + "\\" * 100_001 + "\n"
    files = {"app/build.gradle": gradle, "gradle.properties": props, "app/src/main/AndroidManifest.xml": MANIFEST}
    _, log = scan(make_repo(tmp_path, files))
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    assert not any("failed" in msg for _, msg in notifications(log))


# --- TOML ------------------------------------------------------------------------------------------------------------

def test_deeply_nested_toml_catalog_is_a_notice(tmp_path):
    catalog = "[versions]\ntargetSdk = " + "[" * 50_000 + "]" * 50_000 + "\n"
    files = {"gradle/libs.versions.toml": catalog, "app/build.gradle": "android { defaultConfig { targetSdk 34 } }\n",
             "app/src/main/AndroidManifest.xml": MANIFEST}
    _, log = scan(make_repo(tmp_path, files))
    assert (PLANTED_RULE, PLANTED_PATH) in results(log)
    assert not any("failed" in msg for _, msg in notifications(log))


def test_deeply_nested_toml_configuration_is_a_usage_error_not_a_crash(tmp_path):
    repo = make_repo(tmp_path, {".threatscan.toml": "exclude = " + "[" * 50_000 + "]" * 50_000 + "\n"})
    proc = subprocess.run([sys.executable, "-m", "threatscan.cli", "scan", ".", "--engines", "native"], cwd=repo,
                          capture_output=True, text=True, timeout=BOUND)
    assert proc.returncode == 2 and "nested too deeply" in proc.stderr and "Traceback" not in proc.stderr
