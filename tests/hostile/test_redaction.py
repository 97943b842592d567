"""The redaction audit: secret values of every format the shared detector knows, planted in every kind of file
threatscan reads, on lines other rules also report, never reach any output: text, JSON, Markdown, SARIF, the
baseline, the coverage report, `--verbose` stderr, the Action's summary and annotations. Each output is searched
for every fragment of five characters or more of each secret's private part (a format's public prefix such as
`sk_live_` or a JWT's `{"alg":` header is no secret)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

# name -> (the planted value, its private part). No five-character window of a private part is all hex digits, so
# no fingerprint or line hash in a report can contain a fragment by chance (checked below).
SECRETS = {
    "aws-key-id": ("AKIAQ7XZ2PLMNR4TWY5K", "Q7XZ2PLMNR4TWY5K"),
    "aws-secret": ("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", "wJalrXUtnQ7mKzPLxRfiYq8ZkLmVxTpRsWuNgHjQ"),
    "stripe": ("sk_live_4eCq9HqLyjWDarjtT1zqp7ZkXY", "4eCq9HqLyjWDarjtT1zqp7ZkXY"),
    "slack": ("xoxb-2048XQ73KJ-PZQ8WRMLNVTHYK", "2048XQ73KJ-PZQ8WRMLNVTHYK"),
    "github": ("ghp_R8mQzL2vXkT9wPn4JsYh7GqWu3NtKzLmVxRp", "R8mQzL2vXkT9wPn4JsYh7GqWu3NtKzLmVxRp"),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxWnRLbVAifQ.Qz7XmLpR2vWkNt9YsHgJuQwZrTyPm",
            "eyJzdWIiOiJxWnRLbVAifQ.Qz7XmLpR2vWkNt9YsHgJuQwZrTyPm"),
    "google": ("AIzaSyQ7mXzL2pRkT9vWnJ4sYhGqUtNzKwLmPxR", "SyQ7mXzL2pRkT9vWnJ4sYhGqUtNzKwLmPxR"),
    "url-password": ("Qm7vRzXk2pLwTn", "Qm7vRzXk2pLwTn"),
    "password": ("Vt9qLmZ2wXrKpN", "Vt9qLmZ2wXrKpN"),
    "signing-key": ("Kx9mQ2vLzR7wPtHnYs", "Kx9mQ2vLzR7wPtHnYs"),
    "gradle-password": ("Sh0pK3yQzWxRtLm9", "Sh0pK3yQzWxRtLm9"),
    "properties-password": ("PrQ7zLmX2vWkTnYs", "PrQ7zLmX2vWkTnYs"),
    "strings-token": ("Zr8QeLmXvTnWkYpQzR", "Zr8QeLmXvTnWkYpQzR"),
    "pem": ("MIIEowIBAAKCAQEAzQ7XmLpR2vWkNt9YsHgJuQwZrTyPmLqVnX", "zQ7XmLpR2vWkNt9YsHgJuQwZrTyPmLqVnX"),
}
PEM_LINE_2 = "TyPmLqVnXzQ7XmLpR2vWkNt9YsHgJuQwZrGh"
S = {k: v for k, (v, _) in SECRETS.items()}

FILES = {
    # Python: secrets on lines that injection, JWT, debug and suppression rules report too
    "app.py": f'''import os
import subprocess

import jwt
from flask import Flask, request

app = Flask(__name__)
app.config["SECRET_KEY"] = "{S["signing-key"]}"
DB_PASSWORD = "{S["password"]}"
AWS_ACCESS_KEY_ID = "{S["aws-key-id"]}"; aws_secret_access_key = "{S["aws-secret"]}"
PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
{S["pem"]}
{PEM_LINE_2}
-----END RSA PRIVATE KEY-----"""


@app.route("/run")
def run():
    subprocess.call("psql postgres://admin:{S["url-password"]}@db/app -c " + request.args["q"], shell=True)
    return eval(request.args["x"])  # {S["slack"]} {S["stripe"]}


@app.route("/token")
def token():
    return jwt.encode({{"sub": request.args["u"], "gh": "{S["github"]}"}}, "{S["signing-key"]}", algorithm="HS256")


def health():
    headers = {{"Authorization": "Bearer {S["jwt"]}"}}
    return subprocess.run(request.args["cmd"], shell=True, env=headers)  # threatscan: ignore[PY999] {S["github"]}


if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0", port=int(os.environ.get("P", "5000")))  # key={S["google"]}
''',
    # CDK: one-line environment with secrets, reported by the IaC rules (environment without a key, secrets in it)
    "infra/app.py": f'''import aws_cdk as cdk
from aws_cdk import aws_lambda as _lambda


class Stack(cdk.Stack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        _lambda.Function(self, "Fn", runtime=_lambda.Runtime.PYTHON_3_12, handler="app.health", code=_lambda.Code.from_asset("."), environment={{"DB_PASSWORD": "{S["password"]}", "STRIPE_KEY": "{S["stripe"]}", "SLACK": "{S["slack"]}"}})


app = cdk.App()
Stack(app, "S")
app.synth()
''',
    # CloudFormation YAML, flow maps on one line
    "template.yaml": f'''AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.health
      CodeUri: .
      Environment: {{Variables: {{DB_PASSWORD: {S["password"]}, GH_TOKEN: {S["github"]}, URL: "postgres://u:{S["url-password"]}@db/x"}}}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {{Engine: mysql, PubliclyAccessible: true, MasterUsername: admin, MasterUserPassword: {S["password"]}}}
''',
    # CloudFormation JSON, one line
    "stack.template.json": json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.health", "Role": "arn:aws:iam::123456789012:role/x",
            "Code": {"ZipFile": "x"},
            "Environment": {"Variables": {"API_SECRET": S["signing-key"], "AWS_KEY": S["aws-key-id"],
                                          "JWT": S["jwt"]}}}}}}),
    "threatmodel.yaml": """version: 1
system: Shop
threats:
  - id: SHOP-1
    title: Leaked credentials
    stride: [information-disclosure]
    controls: ["family:secrets", PY101, PY104, IAC102]
  - id: SHOP-2
    title: Forged tokens
    stride: [spoofing]
    controls: [PY503]
""",
    # Android
    "android/app/src/main/AndroidManifest.xml": f'''<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.shop">
    <application android:debuggable="true" android:allowBackup="true" android:usesCleartextTraffic="true"><meta-data android:name="com.google.android.geo.API_KEY" android:value="{S["google"]}"/><meta-data android:name="com.example.API_TOKEN" android:value="{S["strings-token"]}"/>
        <activity android:name=".Main" android:exported="true"><intent-filter><action android:name="android.intent.action.SEND"/></intent-filter></activity>
    </application>
</manifest>
''',
    "android/app/build.gradle": f'''plugins {{
    id 'com.android.application'
}}

android {{
    namespace 'com.example.shop'
    compileSdk 34
    defaultConfig {{
        applicationId "com.example.shop"
        targetSdkVersion 30
        buildConfigField "String", "MAPS_KEY", "\\"{S["google"]}\\""
        resValue "string", "auth_token", "{S["strings-token"]}"
    }}
    signingConfigs {{
        release {{
            storePassword '{S["gradle-password"]}'
        }}
    }}
    buildTypes {{
        release {{ minifyEnabled false; debuggable true; buildConfigField("String", "STRIPE", "\\"{S["stripe"]}\\""); buildConfigField("String", "API_SECRET", "\\"{S["gradle-password"]}\\"") }}
    }}
}}
''',
    "android/gradle.properties": f'''org.gradle.jvmargs=-Xmx2g
RELEASE_STORE_PASSWORD={S["properties-password"]}
slack.token={S["slack"]}
''',
    "android/app/src/main/res/values/strings.xml": f'''<?xml version="1.0" encoding="utf-8"?>
<resources>
    <string name="app_name">Shop</string>
    <string name="api_key">{S["strings-token"]}</string>
    <string name="github_token">{S["github"]}</string>
</resources>
''',
}


def fragments(secret: str, size: int = 5) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaks(text: str) -> dict[str, list[str]]:
    found = {}
    for name, (_, private) in SECRETS.items():
        hits = sorted(f for f in fragments(private) if f in text)
        if hits:
            found[name] = hits[:5]
    hits = sorted(f for f in fragments(PEM_LINE_2) if f in text)
    if hits:
        found["pem line 2"] = hits[:5]
    return found


def test_fragments_cannot_match_a_hash_by_chance():
    for _, private in SECRETS.values():
        for f in fragments(private):
            assert not re.fullmatch(r"[0-9a-f]{5}", f), f


CACHE: dict[str, Path] = {}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if "dir" in CACHE:  # the results cache of these scans, searched like every output
        env["THREATSCAN_CACHE_DIR"] = str(CACHE["dir"])
        env.pop("THREATSCAN_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("secrets-repo")
    CACHE["dir"] = tmp_path_factory.mktemp("secrets-cache")
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def outputs(repo) -> dict[str, str]:
    out = cli("scan", ".", "--engines", "native", "--fail-on", "none", "--verbose",
              "--format", "sarif", "--output", "r.sarif", "--format", "json", "--output", "r.json",
              "--format", "markdown", "--output", "r.md", "--format", "html", "--output", "r.html",
              "--format", "text", cwd=repo)
    assert out.returncode == 0, out.stderr
    base = cli("baseline", "write", "baseline.json", ".", "--engines", "native", cwd=repo)
    assert base.returncode == 0, base.stderr
    cov = cli("coverage", ".", "--engines", "native", cwd=repo)
    assert cov.returncode == 0, cov.stderr
    rescan = cli("scan", ".", "--engines", "native", "--fail-on", "none", "--format", "text", cwd=repo)  # from the cache
    assert rescan.returncode == 0, rescan.stderr
    cached = "\n".join(p.read_text(errors="replace") for p in CACHE["dir"].rglob("*") if p.is_file())
    fix = cli("fix", ".", "--diff", cwd=repo)
    assert fix.returncode == 0 and "+++" in fix.stdout, fix.stderr
    texts = {
        "fix --diff": fix.stdout + fix.stderr, "html": (repo / "r.html").read_text(),
        "results cache": cached, "text from the cache": rescan.stdout,
        "text (stdout)": out.stdout, "--verbose stderr": out.stderr,
        "sarif": (repo / "r.sarif").read_text(), "json": (repo / "r.json").read_text(),
        "markdown": (repo / "r.md").read_text(), "baseline": (repo / "baseline.json").read_text(),
        "coverage": cov.stdout + cov.stderr,
    }
    for name in ("r.sarif", "r.json", "r.md", "r.html", "baseline.json"):
        (repo / name).unlink()
    return texts


def test_the_planted_secrets_are_found_and_reported_by_other_rules_too(outputs):
    findings = json.loads(outputs["json"])["findings"]
    rules = {f["rule_id"] for f in findings}
    # the secret rules, and rules about something else on the same lines
    assert {"PY202", "PY203", "PY204", "AND113", "AND101", "AND112", "PY503", "TS001"} <= rules, sorted(rules)
    assert any(r.startswith("IAC10") for r in rules) and any(r.startswith("PY10") for r in rules), sorted(rules)
    lines = {(f["location"]["path"], f["location"]["line"]) for f in findings}
    assert ("template.yaml", 10) in lines and ("infra/app.py", 8) in lines
    assert any(p.endswith("build.gradle") and n == 20 for p, n in lines)


@pytest.mark.parametrize("output", ["text (stdout)", "--verbose stderr", "sarif", "json", "markdown", "html",
                                    "baseline", "coverage", "fix --diff", "results cache", "text from the cache"])
def test_no_output_contains_a_fragment_of_any_secret(outputs, output):
    assert outputs[output].strip() or output == "--verbose stderr"
    assert leaks(outputs[output]) == {}


def test_masking_keeps_the_code_readable(outputs):
    findings = json.loads(outputs["json"])["findings"]
    snippets = "\n".join(f["snippet"] for f in findings)
    assert 'app.config["SECRET_KEY"] = "***"' in snippets
    assert '"DB_PASSWORD": "***"' in snippets
    assert "postgres://admin:***@db/app" in snippets
    assert '***"***"' not in snippets and "=***\"" not in snippets


def test_the_actions_summary_and_annotations_show_no_secret(repo, tmp_path, monkeypatch):
    from threatscan.cli import github_action

    summary, out_file = tmp_path / "summary.md", tmp_path / "out.txt"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(out_file))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("TS_DIFF_BASE", "none")
    monkeypatch.setenv("TS_FAIL_ON", "none")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        code = github_action.main()
    assert code == 0
    annotations = stdout.getvalue()
    assert "::error" in annotations or "::warning" in annotations
    texts = {"summary": summary.read_text(), "annotations": annotations,
             "uploaded sarif": (tmp_path / "threatscan.sarif").read_text()}
    assert {name: leaks(text) for name, text in texts.items() if leaks(text)} == {}


def test_fingerprints_do_not_hash_a_secret(repo):
    """A fingerprint is a hash of the masked code: changing only the secret keeps every fingerprint."""
    from threatscan.catalog import load_catalog
    from threatscan.scan import ScanOptions, run_scan

    catalog = load_catalog()
    before = {(f.rule_id, f.location.path, f.location.line): f.fingerprint
              for f in run_scan(ScanOptions(paths=[str(repo)], root=repo), catalog).findings}
    app = repo / "app.py"
    text = app.read_text()
    try:
        app.write_text(text.replace(S["password"], "Wq8ZmX3vLpTkRn").replace(S["signing-key"], "Pz4nW8qLmXv2TkRyQs"))
        after = {(f.rule_id, f.location.path, f.location.line): f.fingerprint
                 for f in run_scan(ScanOptions(paths=[str(repo)], root=repo), catalog).findings}
    finally:
        app.write_text(text)
    changed = [k for k in before if k[1] == "app.py" and k in after and before[k] != after[k]]
    assert [k for k in before if k[1] == "app.py"] and changed == []
