"""`threatscan fix`: each fix scans, fixes, re-scans and compares the file with its expected text; fixes are
idempotent, unsafe ones wait for --unsafe-fixes, --diff writes nothing, and a file changed since the scan is left
alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from threatscan import fix as fixes

MANIFEST_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n'

# (rule, file name, before, after, safe)
CASES = [
    ("PY301", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", httponly=True, samesite="Lax")  # keep\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", httponly=True, samesite="Lax", secure=True)  # keep\n    return r\n', True),
    ("PY301", "positional.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", 60, None, "/", None, False, True, "Lax")\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", 60, None, "/", None, True, True, "Lax")\n    return r\n', True),
    ("PY302", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie(\n        "sid",\n        "x",\n        secure=True,\n        samesite="Lax",\n    )\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie(\n        "sid",\n        "x",\n        secure=True,\n        samesite="Lax",\n        httponly=True,\n    )\n    return r\n', True),
    ("PY303", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", secure=True, httponly=True, samesite="None")\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", secure=True, httponly=True, samesite="Lax")\n    return r\n', False),
    ("PY505", "client.py",
     'import requests\n\ndef pay(url, body):\n    return requests.post(url, json=body, verify=False)\n',
     'import requests\n\ndef pay(url, body):\n    return requests.post(url, json=body)\n', True),
    ("PY106", "conf.py",
     'import yaml\n\ndef read(text):\n    return yaml.load(text), yaml.load(text, Loader=yaml.Loader)\n',
     'import yaml\n\ndef read(text):\n    return yaml.safe_load(text), yaml.load(text, Loader=yaml.SafeLoader)\n', True),
    ("PY320", "app.py",
     'from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n',
     'from flask import Flask\n\napp = Flask(__name__)\napp.debug = False\n', True),
    ("PY321", "api.py",
     'from fastapi import FastAPI\n\napi = FastAPI(debug=True)\n',
     'from fastapi import FastAPI\n\napi = FastAPI(debug=False)\n', True),
    ("PY107", "jobs.py",
     'import subprocess\n\ndef rotate():\n    subprocess.run("logrotate /etc/logrotate.conf", shell=True)\n',
     "import subprocess\n\ndef rotate():\n    subprocess.run(['logrotate', '/etc/logrotate.conf'])\n", True),
    ("IAC140", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Uploads:  # user files\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: uploads\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Uploads:  # user files\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: AES256\n      BucketName: uploads\n', True),
    ("IAC144", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/shop}\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n      BillingMode: PAY_PER_REQUEST\n      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/shop}\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n', True),
    ("IAC146", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Events:\n    Type: AWS::SNS::Topic\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: false  # was off\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Events:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: alias/aws/sns\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: true  # was off\n', True),
    ("AND102", "app/src/main/AndroidManifest.xml",
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="30" />\n    <application android:label="Shop">\n    </application>\n</manifest>\n',
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="30" />\n    <application android:allowBackup="false" android:label="Shop">\n    </application>\n</manifest>\n', True),
    ("AND104", "app/src/main/res/xml/network_security_config.xml",
     '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n    <base-config cleartextTrafficPermitted="true" />\n</network-security-config>\n',
     '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n    <base-config cleartextTrafficPermitted="false" />\n</network-security-config>\n', True),
    ("AND109", "app/src/main/AndroidManifest.xml",
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false">\n        <service android:name=".Sync" android:exported="true" />\n    </application>\n</manifest>\n',
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false">\n        <service android:name=".Sync" android:exported="false" />\n    </application>\n</manifest>\n', False),
]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def rule_count(repo: Path, rule: str) -> int:
    proc = cli("scan", ".", "--format", "json", "--fail-on", "none", "-j", "1", "-q", "--select", rule, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return sum(1 for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == rule and not f["suppression"])


def make_repo(tmp_path: Path, name: str, text: str) -> Path:
    repo = tmp_path / "repo"
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if name.startswith("app/"):  # an Android application module: its Gradle build says so and sets targetSdk
        (repo / "app/build.gradle").write_text(
            "plugins {\n    id 'com.android.application'\n}\n\nandroid {\n    defaultConfig {\n"
            "        applicationId \"com.example.shop\"\n        targetSdkVersion 30\n    }\n}\n")
    if name.endswith(".xml") and "network_security_config" in name:  # the manifest that makes it the app's config
        (repo / "app/src/main/AndroidManifest.xml").write_text(
            MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false" '
            'android:networkSecurityConfig="@xml/network_security_config" />\n</manifest>\n')
    return repo


def test_every_fixer_has_a_case():
    assert {c[0] for c in CASES} == set(fixes.fixable_rules())


@pytest.mark.parametrize("rule, name, before, after, safe", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_fix_removes_the_finding_and_gives_the_expected_file(tmp_path, rule, name, before, after, safe):
    repo = make_repo(tmp_path, name, before)
    found = rule_count(repo, rule)
    assert found >= 1, f"{rule} does not fire on the case: the test would prove nothing"
    flags = ["--select", rule] + ([] if safe else ["--unsafe-fixes"])
    if not safe:  # without the flag an unsafe fix is only offered
        proc = cli("fix", ".", "--select", rule, cwd=repo)
        assert proc.returncode == 0 and (repo / name).read_text() == before, proc.stderr
        assert "unsafe" in proc.stderr
    proc = cli("fix", ".", *flags, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / name).read_text() == after
    assert rule_count(repo, rule) == 0
    again = cli("fix", ".", *flags, cwd=repo)  # idempotent: nothing left to fix, nothing changes
    assert again.returncode == 0 and "fixed 0 findings" in again.stderr
    assert (repo / name).read_text() == after


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("fix", ".", "--diff", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert f"--- a/{name}" in proc.stdout and "-    return requests.post(url, json=body, verify=False)" in proc.stdout
    assert "+    return requests.post(url, json=body)" in proc.stdout
    assert (repo / name).read_text() == before


def test_shapes_a_fixer_is_not_sure_of_are_left_alone(tmp_path):
    text = ('import subprocess\nfrom flask import make_response\n\nFLAGS = {"secure": False}\n\ndef v(cmd):\n'
            '    r = make_response("ok")\n    r.set_cookie("sid", "x", **FLAGS)\n'
            '    subprocess.run("tar czf /tmp/a.tgz /srv/* | gzip", shell=True)\n    return r\n')
    repo = make_repo(tmp_path, "mixed.py", text)
    proc = cli("fix", ".", "--unsafe-fixes", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "mixed.py").read_text() == text


def test_a_file_changed_since_the_scan_is_not_written(tmp_path, catalog):
    from threatscan.scan import ScanOptions, run_scan

    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    result = run_scan(ScanOptions(paths=[str(repo)], root=repo), catalog)
    [planned] = fixes.plan(result.findings, repo)
    (repo / name).write_text(before + "# edited meanwhile\n")
    with pytest.raises(fixes.ChangedSinceScan):
        fixes.write(planned, repo)
    assert (repo / name).read_text() == before + "# edited meanwhile\n"


def test_sarif_replacement_covers_the_changed_lines():
    r = fixes.replacement("import x\na = f(x, verify=False)\nb = 2\n", "import x\na = f(x)\nb = 2\n")
    assert (r.start_line, r.start_column, r.end_line, r.end_column, r.inserted) == (2, 1, 3, 1, "a = f(x)\n")
    r = fixes.replacement("A:\n  B: 1\n", "A:\n  C: 2\n  B: 1\n")  # an inserted line deletes nothing
    assert (r.start_line, r.start_column, r.end_line, r.end_column, r.inserted) == (2, 1, 2, 1, "  C: 2\n")


def test_sarif_results_carry_their_fixes(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("scan", ".", "--format", "sarif", "--fail-on", "none", "-q", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    [result] = [r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"].startswith("PY505")]
    [change] = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == name
    [rep] = change["replacements"]
    lines = before.splitlines(keepends=True)
    region = rep["deletedRegion"]
    kept = "".join(lines[:region["startLine"] - 1]) + rep["insertedContent"]["text"] + "".join(lines[region["endLine"] - 1:])
    assert kept == after


def test_markdown_summary_says_how_many_findings_have_a_fix(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("scan", ".", "--format", "markdown", "--fail-on", "none", "-q", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "1 of these findings have a fix (1 safe): run `threatscan fix`" in proc.stdout
