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

import pytest

from conftest import validate_schema

# A finding every scan must keep, whatever the hostile file beside it does.
PLANTED = {"planted.py": "import subprocess\n\n\ndef run():\n    subprocess.call(input(), shell=True)\n"}
PLANTED_RULE, PLANTED_PATH = "PY101", "planted.py"
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
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in log["runs"][0]["results"]]


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
    repo = make_repo(tmp_path, {"long.py": f"type X = int\nx = {chain}\nimport subprocess\nsubprocess.call(input(), shell=True)\n"})
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
    assert ("PY101", f"declared{DECLARED.index('latin-1')}.py") in results(log), "a real character set (latin-1) is decoded and analysed"
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
