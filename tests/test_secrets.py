"""The shared secret detector (threatscan.secrets) and the promise that no secret value leaves a scan."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, REPO
from threatscan import secrets
from threatscan.cli import main

UNUSED = "never hands it to anything that takes a credential"
NAME_ONLY_PASSWORD = "only its name says it is a password"
# a password by its name alone, a word or a default rather than a chosen one, shown as no login (session 15)
NO_LOGIN_SHOWN = "nothing here shows it is a login of this application"

# --- names --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind", [
    ("password", "password"), ("DB_PASSWORD", "password"), ("dbPassword", "password"), ("db_pass", "password"),
    ("smtp_pwd", "password"), ("MYSQL_ROOT_PASSWORD", "password"), ("password2", "password"),
    ("admin_password_prod", "password"),
    ("api_key", "secret"), ("apiKey", "secret"), ("X-Api-Key", "secret"), ("ApiKey", "secret"),
    ("AWS_SECRET_ACCESS_KEY", "secret"), ("STRIPE_SECRET_KEY", "secret"), ("client_secret", "secret"),
    ("SLACK_BOT_TOKEN", "secret"), ("authToken", "secret"), ("OAuth2Token", "secret"), ("API_KEY_V2", "secret"),
    ("Authorization", "secret"), ("webhook_secret", "secret"), ("credentials", "secret"),
    ("SENDGRID_KEY", "secret"), ("stripeKey", "secret"), ("RECAPTCHA_SECRET_KEY", "secret"),
    ("recaptcha_private_key", "crypto-key"),
    ("SECRET_KEY", "crypto-key"), ("app.secret_key", "crypto-key"), ("JWT_SECRET", "crypto-key"),
    ("signing_key", "crypto-key"), ("privateKey", "crypto-key"), ("FERNET_KEY", "crypto-key"),
    ("DATABASE_URL", "connection"), ("conn_str", "connection"), ("sentry_dsn", "connection"),
    ("REDIS_URL", "connection"),
])
def test_secret_like_names(name, kind):
    assert secrets.name_kind(name) == kind
    assert secrets.is_secret_name(name)


@pytest.mark.parametrize("name", [
    # bandit#1350: pagination tokens are not credentials
    "NextToken", "nextToken", "next_page_token", "PageToken", "continuation_token",
    # about a secret, not the secret
    "token_type", "password_field", "password_hash", "PASSWORD_MIN_LENGTH", "secret_name", "SECRET_ARN",
    "DB_SECRET_ARN", "api_key_id", "token_url", "TOKEN_TTL", "password_reset_url", "PASSWORD_HASHERS",
    "api_key_header", "csrf_token_name", "is_secret", "has_password", "forgot_password",
    # the word is inside another word, or a key that is no credential
    "tokenizer", "tokenizer_name", "passenger", "bypass", "compass", "keyboard", "monkey", "turkey",
    "primary_key", "sort_key", "cache_key", "public_key", "foreign_key", "MAX_TOKENS", "num_tokens",
    "CALLBACK_URL", "AWS_REGION", "", None,
    # found on real code: a CloudFormation type, a filter's pass band, semaphore and concurrency tokens
    "AWS::ApiGateway::ApiKey", "pass", "acquire_token", "update_token", "_starting_token", "NOPASSWORD",
    # settings about tokens, a separator, a captcha's public site key
    "collection_by_token", "permit_create_token", "default_permissions_create_token", "SEPARATOR_CREDENTIALS",
    "RECAPTCHA_KEY", "hcaptcha_key",
])
def test_names_that_are_not_secrets(name):
    assert not secrets.is_secret_name(name)


def test_split_words_reads_camel_case_acronyms_and_digits():
    assert secrets.split_words("AWSSecretKey") == ["aws", "secret", "key"]
    assert secrets.split_words("DB_PASSWORD2") == ["db", "password", "2"]
    assert secrets.split_words("x-api-key") == ["x", "api", "key"]


# --- values -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, kind", [
    ("password", "hunter2", "password"),
    ("password", "admin", "password"), ("change_password", "5/mXq9!kL2", "password"),
    ("callback_token", "target=Xk29fLq0pZ7w", "generic-secret"),
    ("db_password", "Tr0ub4dor&3", "password"),
    ("api_key", "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "generic-secret"),
    ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9Kq2LmPq", "generic-secret"),
    ("Authorization", "Bearer 5d41402abc4b2a76b9719d911017c592", "generic-secret"),
    ("SECRET_KEY", "django-insecure-7k2@x!q9#mz4$wpl", "crypto-key"),
    # bandit#1267 / #1383: the name is a dict key or subscript; the caller passes it the same way
    ("PASSWORD", "Sup3r-S3cret-Pw", "password"),
])
def test_values_that_are_secrets(name, value, kind):
    match = secrets.check_value(value, name)
    assert match is not None and match.kind == kind
    assert value not in match.description


@pytest.mark.parametrize("name, value", [
    # bandit#1227: None / empty / placeholders
    ("password", ""), ("password", "   "), ("password", "changeme"), ("password", "CHANGE_ME"),
    ("api_key", "<your-key>"), ("api_key", "your-api-key-here"), ("api_key", "YOUR_API_KEY"),
    ("password", "${DB_PASSWORD}"), ("password", "{{ db_password }}"), ("password", "%(password)s"),
    ("password", "{password}"), ("password", "%s"), ("token", "xxxxxxxxxxxxxxxx"), ("password", "********"),
    ("api_key", "sk-...redacted"), ("password", "dummy-password"), ("password", "test1234"),
    # references to a secret kept elsewhere
    ("db_password", "DB_PASSWORD"), ("password", "/run/secrets/db_password"), ("password", "/prod/db/password"),
    ("private_key", "keys/signing.pem"), ("api_key", "arn:aws:secretsmanager:eu-west-1:1:secret:x"),
    ("token", "x-auth-token"), ("token", "access_token"), ("password", "{{resolve:ssm-secure:db-pw:1}}"),
    # prose, schema words, enumerations
    ("password", "Wrong password!"), ("password", "Enter your password"), ("password", "string"),
    ("token", "bearer"), ("api_key", "short"),
    # names that are not secret-like
    ("tokenizer_name", "bert-base-uncased"), ("compass_heading", "north-north-west"),
    ("NextToken", "eyJuZXh0IjoiMTIzNDU2In0="), ("token_type", "bearer"), ("password_field", "password"),
    # a connection string without a password holds no secret
    ("DATABASE_URL", "sqlite:///db.sqlite3"), ("DATABASE_URL", "postgresql://shop@localhost/shop"),
    # found on real code (Django, SQLAlchemy, botocore, jinja2, flask-cors, moto): identifiers, headers, patterns
    ("SESSION_KEY", "_auth_user_id"), ("_DEFAULT_TOKEN", "_sa_default"), ("SECRET_KEY", "AWSSecretKey"),
    ("token", "#bygroup"), ("ACL_CREDENTIALS", "Access-Control-Allow-Credentials"), ("ec2SshKey", "eksKeypair"),
    ("qtoken", r'(?:"(?:[^"]|"")+"|[\w]+?)'), ("_SAR_APP_KEY", "serverlessrepo:applicationId"),
    ("AWS_SECRET_ACCESS_KEY", "role-secret-key"), ("app.secret_key", "super-secret-key"),
    ("password", "no-password-required"),
    # a rate limit for the action a name says (allauth's ACCOUNT_RATE_LIMITS: {"change_password": "5/m"})
    ("change_password", "5/m"), ("reset_password", "20/h"), ("login_password", "10/5m"),
    ("change_password", "1/m/user"), ("reset_password", "5/m/ip"),
    # a parameter naming what a notification channel is for (calibre-web's Drive watch token)
    ("watch_callback_token", "target=app-watch_files"),
    # an SSH public key (a host key pinned in known_hosts, as Weblate's GITHUB_RSA_KEY): bare blob or with its type
    ("GITHUB_RSA_KEY", "AAAAB3NzaC1yc2GlTcoYJTC7HW0TLN7WI3su2R4/ch/LGXEXRJTWSTydXDRgvjEgHmn+2qDu6LmZf1x8KZn9r+WTJTzWVK9N+tcUJ6Cus/7pIy+K8iEfnuSRxbEL7LVWO/web5NCfsvI/ilV5c2ORtyO1LfCdk0qWk12dwb4XYaQAko="),
    ("host_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE51r2jQBvpyMvMyTX2zR9hImrhUziuGjQATTO6DSRqwEyBsbry"),
])
def test_values_that_are_not_secrets(name, value):
    assert secrets.check_value(value, name) is None


def test_non_strings_are_never_secrets():
    assert secrets.check_value(None, "password") is None  # type: ignore[arg-type]
    assert secrets.check_value(12345678, "password") is None  # type: ignore[arg-type]


@pytest.mark.parametrize("value, kind", [
    ("AKIA2E0A8F3B244C9986", "aws-access-key-id"),
    ("key=AKIAQ3RZ7XBNV2M5T8YW;", "aws-access-key-id"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-live-key"),
    ("ghp_4Yq8Zr2LwX5vNt7KpB3mYc9Ad1Fe6Hj0Gi2K", "github-token"),
    ("xoxb-2048-4096-aB3dE5fG7hJ9kL1mN3pQ", "slack-token"),
    ("AIzaSyD4Yq8Zr2LwX5vNt7KpB3mYc9Ad1Fe6Hj0", "google-api-key"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n", "private-key"),
    ("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "private-key"),  # escaped, as in JSON
    ("postgresql://shop:Wq7!xZ29pL@db.internal:5432/shop", "url-credentials"),
    ("Driver={ODBC Driver 18};Server=db;UID=sa;PWD=Pr0d-P4ss!;", "connection-string-password"),
    ("host=db user=shop password=Wq7xZ29pL", "connection-string-password"),
])
def test_known_formats(value, kind):
    match = secrets.known_format(value)
    assert match is not None and match.kind == kind and match.confidence in ("high", "medium")
    # the name does not matter for a known format
    assert secrets.check_value(value, "description").kind == kind


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE",  # the AWS documentation's example key
    "AKIAXXXXXXXXXXXXXXXX",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe test mode
    "-----BEGIN RSA PRIVATE KEY-----",  # a parser's constant: no key follows
    "postgresql://user:${DB_PASSWORD}@db/shop",
    "postgresql://{user}:{password}@{host}/shop",
    "mysql://user:password@localhost/db",
    "Server=db;UID=sa;PWD={pwd};",
    "https://example.com/path?a=b",
    "AKIA",
])
def test_known_format_look_alikes(value):
    assert secrets.known_format(value) is None


def test_cwe_follows_the_kind():
    assert secrets.check_value("hunter2", "password").cwe == 259
    assert secrets.check_value("postgres://a:Wq7xZ29pL@db/x").cwe == 259
    assert secrets.check_value("django-insecure-7k2@x!q9#mz4", "SECRET_KEY").cwe == 321
    assert secrets.known_format("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yBv").cwe == 321
    assert secrets.known_format("AKIA2E0A8F3B244C9986").cwe == 798


def test_entropy():
    assert secrets.entropy("") == 0.0
    assert secrets.entropy("aaaa") == 0.0
    assert secrets.entropy("abcd") == pytest.approx(2.0)


def test_placeholders():
    for value in ("changeme", "<your-key>", "${VAR}", "xxxx-xxxx", "", "TODO", "REPLACE_ME", "your_token_here"):
        assert secrets.is_placeholder(value), value
    for value in ("Tr0ub4dor&3", "9f8e7d6c5b4a3928", "hunter2"):
        assert not secrets.is_placeholder(value), value


def test_redact_line_hides_given_values_and_known_formats():
    line = 'connect(password="Tr0ub4dor&3", key="AKIA2E0A8F3B244C9986", dsn="postgres://u:Wq7xZ29pL@db/x")'
    out = secrets.redact_line(line, "Tr0ub4dor&3")
    assert "Tr0ub4dor&3" not in out and "AKIA2E0A8F3B244C9986" not in out and "Wq7xZ29pL" not in out
    assert out.startswith("connect(password=") and "postgres://u:***@db/x" in out
    assert "PWD=***;" in secrets.redact_line("Server=db;PWD=Pr0d-P4ss!;")
    # a multi-line value shows one line at a time
    assert "MIIEowIBAAKCAQEAu1SU" not in secrets.redact_line('    "MIIEowIBAAKCAQEAu1SU1Lf"', "head\nMIIEowIBAAKCAQEAu1SU1Lf")


# --- no secret value in any output ----------------------------------------------------------------------------------


def _reported_values() -> list[str]:
    """The string values of every literal a scan of the secrets fixtures reports as a hard-coded secret."""
    from threatscan.catalog import load_catalog
    from threatscan.scan import ScanOptions, run_scan

    result = run_scan(ScanOptions(paths=[str(FIXTURES / "python" / "secrets")], select=("PY202", "PY203", "PY204")),
                      load_catalog())
    values = []
    for f in result.findings:
        tree = ast.parse((REPO / f.location.path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) \
                    and (node.lineno, node.col_offset + 1) == (f.location.line, f.location.column):
                values.append(node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value)
    assert len(values) == len(result.findings) >= 30
    return values


def _secret_parts(value: str) -> set[str]:
    """The value and the parts of it that identify it (its lines, the password inside a URL)."""
    parts = {value}
    parts |= {line.strip() for line in value.splitlines() if len(line.strip()) >= 8}
    m = secrets._URL_CREDS.search(value)
    if m:
        parts.add(m.group(3))
    m = secrets._CONN_PASSWORD.search(value)
    if m:
        parts.add(m.group(1))
    m = secrets._AUTH_SCHEME.match(value)
    if m:
        parts.add(m.group(1))
    return {p for p in parts if len(p) >= 5}


def test_no_secret_value_in_text_json_or_sarif(tmp_path: Path):
    values = _reported_values()
    sarif, report = tmp_path / "out.sarif", tmp_path / "out.json"
    result = CliRunner().invoke(main, [
        "scan", str(FIXTURES / "python" / "secrets"), "--format", "sarif", "--output", str(sarif),
        "--format", "json", "--output", str(report), "--format", "text", "--fail-on", "none", "--no-color",
    ])
    assert result.exit_code == 0, result.output
    outputs = {"text": result.output, "sarif": sarif.read_text(), "json": report.read_text()}
    json.loads(outputs["sarif"])
    assert "Hard-coded password" in outputs["text"] and "***" in outputs["sarif"]
    for value in values:
        for part in _secret_parts(value):
            # A dictionary word (`EMAIL_PASSWORD = "secret"`) also appears in paths and messages: look for it quoted.
            needles = [f'"{part}"', f"'{part}'", f"={part}"] if part.isalpha() and part.islower() else [part]
            for fmt, text in outputs.items():
                for needle in needles:
                    assert needle not in text, f"a secret value from the fixtures appears in the {fmt} output"
                    # JSON and SARIF escape quotes and backslashes: look for the escaped form too
                    assert json.dumps(needle)[1:-1] not in text, f"a secret value appears (escaped) in the {fmt} output"


def test_severity_by_evidence(fixtures_scan):
    """Known formats are high; a name and a shape medium; a password in test code low; an env read low, medium
    inside a Lambda handler."""
    found = {(f.location.path.rsplit("/", 1)[-1], f.location.line, f.rule_id): f.severity.label
             for f in fixtures_scan.findings}
    assert found[("known_formats.py", 3, "PY203")] == "high"
    assert found[("hardcoded_names.py", 8, "PY202")] == "low"  # bound to a name, never used as a credential: review
    assert found[("test_login.py", 7, "PY202")] == "low"
    assert found[("test_login.py", 11, "PY203")] == "high"
    assert found[("env_reads.py", 7, "PY201")] == "low"
    assert found[("env_reads.py", 42, "PY201")] == "medium"


def test_env_read_defined_in_a_template_is_left_to_the_template_rule(tmp_path: Path, catalog):
    """The IaC engine records plaintext definitions in Facts.env_definitions; PY201 then stays silent."""
    from threatscan.discover import discover
    from threatscan.engines.base import Facts, ScanContext
    from threatscan.engines.python import ENGINE
    from threatscan.model import Location
    from threatscan.registry import all_checks

    (tmp_path / "app.py").write_text('import os\nA = os.environ["DB_PASSWORD"]\nB = os.getenv("API_TOKEN")\n')
    checks = [c for c in all_checks() if c.rule_id == "PY201"]

    def run(links: dict) -> list[tuple[int, str]]:
        files = [f for f in discover([str(tmp_path)], root=tmp_path).files if f.rel == "app.py"]
        ctx = ScanContext(root=tmp_path, catalog=catalog, facts=Facts(env_definitions=links))
        return [(f.location.line, f.properties["environmentVariable"]) for f in ENGINE.scan_file(files[0], checks, ctx)]

    assert run({}) == [(2, "DB_PASSWORD"), (3, "API_TOKEN")]
    assert run({"app.py": {"DB_PASSWORD": Location("template.yaml", 12, 9)}}) == [(3, "API_TOKEN")]
    assert run({"other.py": {"API_TOKEN": Location("template.yaml", 14, 9)}}) == [(2, "DB_PASSWORD"), (3, "API_TOKEN")]


# --- the one redaction (secrets.redact, redact_line, redact_findings) ---------------------------------------------

@pytest.mark.parametrize("line, shown", [
    ('login(user, password="Zq8#kLm2vX9p")', 'login(user, password="***")'),
    ("environment={'DB_PASSWORD': 'Zq8kLm2vX9pW', 'MODE': 'prod'}", "environment={'DB_PASSWORD': '***', 'MODE': 'prod'}"),
    ('buildConfigField("String", "API_SECRET", "\\"q8Zk2LmV9xW3pR7t\\"")', 'buildConfigField("String", "API_SECRET", "\\"***\\"")'),
    ('<string name="api_key">q8Zk2LmV9xW3pR7tY6</string>', '<string name="api_key">***</string>'),
    ('<meta-data android:name="com.example.API_KEY" android:value="q8Zk2LmV9xW3pR7tY6"/>',
     '<meta-data android:name="com.example.API_KEY" android:value="***"/>'),
    ('db = "postgres://admin:q8Zk2LmV9x@db:5432/app"', 'db = "postgres://admin:***@db:5432/app"'),
    ('jwt.encode(claims, "s3cr3t-k3y-Zq8kLm", algorithm="HS256")', 'jwt.encode(claims, "***", algorithm="HS256")'),
    ('x = 1  # xoxb-2048XQ73KJ-PZQ8WRMLNVTHYK and AKIAQ7XZ2PLMNR4TWY5K', 'x = 1  # *** and ***'),
])
def test_redact_masks_the_value_inside_its_quotes(line, shown):
    assert secrets.redact(line) == shown


@pytest.mark.parametrize("line", [
    "password = get_password()", 'password = os.environ["DB_PASSWORD"]', 'token_type = "bearer"',
    'password = "changeme"', 'print("hello world")', 'f(x, "Kx9mQ2vLzR7wPtHnYs")',
])
def test_redact_leaves_code_without_a_secret_alone(line):
    assert secrets.redact(line) == line


def test_unquoted_values_are_masked_only_outside_code():
    assert secrets.redact("db.password=q8Zk2LmV9x", code=False) == "db.password=***"
    assert secrets.redact("Environment: {Variables: {DB_PASSWORD: q8Zk2LmV9x}}", code=False) \
        == "Environment: {Variables: {DB_PASSWORD: ***}}"
    assert secrets.redact("storePassword 'Sh0pK3yQzWx'", code=False) == "storePassword '***'"
    assert secrets.redact("password = some_variable_name") == "password = some_variable_name"


def test_redact_line_keeps_quotes_of_a_given_value_and_masks_a_url_in_part():
    assert secrets.redact_line('password="Zq8kLm2vX9pW"', '"Zq8kLm2vX9pW"') == 'password="***"'
    assert secrets.redact_line('URL: "postgres://u:Qm7vRzXk2pLw@db/x"', "postgres://u:Qm7vRzXk2pLw@db/x") \
        == 'URL: "postgres://u:***@db/x"'


def test_redact_findings_masks_secrets_of_every_line_a_finding_shows(tmp_path):
    from threatscan.discover import SourceFile
    from threatscan.model import FlowStep, Finding, Location, Notice, Related, Severity, fingerprint_of

    path = tmp_path / "app.py"
    path.write_text('API_TOKEN = "Zq8kLm2vX9pWqRtY"\nrun(API_TOKEN)\n')
    file = SourceFile(path, "app.py", frozenset({"python"}), path.stat().st_size)
    raw = "Zq8kLm2vX9pWqRtY"
    f = Finding("B105", Location("app.py", 2), f"Possible hardcoded password: '{raw}'", Severity.LOW,
                snippet="run(API_TOKEN)", related=(Related(Location("app.py", 1), f"bound to {raw}"),),
                flow=(FlowStep(Location("app.py", 1), f"value {raw}"),), properties={"extra": [raw]})
    out = secrets.redact_findings([f], {"app.py": file})[0]
    assert raw not in repr(out)
    assert out.message == "Possible hardcoded password: '***'"
    assert secrets.redact_notices([Notice(f"could not parse: token = '{raw}'", "app.py")])[0].message \
        == "could not parse: token = '***'"
    # the fingerprint is a hash of the masked code: the secret cannot be recovered by hashing guesses
    assert fingerprint_of("R", "app.py", f'API_TOKEN = "{raw}"') == fingerprint_of("R", "app.py", 'API_TOKEN = "Wq8ZmX3vLpTkRn12"')


# --- known secret sinks (issue 13 §3): any literal there is a secret, whatever its entropy -------------------------


def _sink_findings(fixtures_scan):
    rel = "fixtures/python/secrets/secret_sinks.py"
    lines = (FIXTURES / "python/secrets/secret_sinks.py").read_text().splitlines()
    return {f.location.line: f for f in fixtures_scan.findings
            if f.location.path == rel and f.rule_id in ("PY202", "PY203", "PY204")}, lines


def test_weak_literal_at_a_secret_sink_is_high_and_never_shown(fixtures_scan):
    found, lines = _sink_findings(fixtures_scan)
    for needle, value in [('app.config["SECRET_KEY"] = "topsecret"', "topsecret"),
                          ('EMAIL_PASSWORD = "mailpass"', "mailpass"), ('jwt.encode(payload, "jwtsecret"', "jwtsecret"),
                          ('password="postgres"', "postgres")]:
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        finding = found[line]
        assert finding.severity.label == "high", needle
        assert "guessable" in finding.message
        assert value not in finding.snippet and value not in finding.message


def test_development_config_and_fallbacks_are_low_placeholders_medium(fixtures_scan):
    found, lines = _sink_findings(fixtures_scan)
    by_text = {text.strip().split("  #")[0]: found.get(i) for i, text in enumerate(lines, 1)}
    assert by_text['SECRET_KEY = "dev"'].severity.label == "low"  # class DevelopmentConfig
    assert by_text['SECRET_KEY = os.environ.get("SECRET_KEY", "dev")'].severity.label == "low"
    assert by_text['SECRET_KEY = "replace-this-key"'].severity.label == "medium"  # class Config: ships
    assert by_text['CSRF_SECRET = os.environ.get("CSRF_SECRET") or "change-me"'] is None


def test_placeholders_in_a_settings_template_stay_quiet(fixtures_scan):
    rel = "fixtures/python/secrets/examples/settings_example.py"
    rules = sorted((f.location.line, f.rule_id) for f in fixtures_scan.findings if f.location.path == rel)
    assert rules == [(5, "PY203")]  # the real-looking webhook secret only


def test_a_secret_only_the_python_finder_sees_never_shows_when_the_secret_rules_do_not_run(tmp_path: Path):
    """The engine's secret finder redacts every Python snippet whichever rule reports it, also when none of the
    secret rules is selected: a password passed as `auth=(user, password)` (no secret-like name on the line, so the
    line-level detector alone would not see it) never shows in a TLS finding on the same line."""
    value = "Zq8kLm2vX9pWq7Rt"
    (tmp_path / "client.py").write_text(
        "import requests\n\n\ndef fetch(url):\n"
        f'    return requests.get(url, auth=("admin", "{value}"), verify=False)\n')
    assert secrets.redact(f'requests.get(url, auth=("admin", "{value}"), verify=False)').count(value) == 1
    sarif, report = tmp_path / "out.sarif", tmp_path / "out.json"
    result = CliRunner().invoke(main, [
        "scan", str(tmp_path), "--select", "PY505", "--format", "sarif", "--output", str(sarif),
        "--format", "json", "--output", str(report), "--format", "text", "--fail-on", "none", "--no-color",
    ])
    assert result.exit_code == 0, result.output
    found = json.loads(report.read_text())
    assert [f["rule_id"] for f in found["findings"]] == ["PY505"]
    assert found["findings"][0]["snippet"] == 'return requests.get(url, auth=("admin", "***"), verify=False)'
    for fmt, text in {"text": result.output, "sarif": sarif.read_text(), "json": report.read_text()}.items():
        assert value not in text, f"the password appears in the {fmt} output"


def test_redact_findings_releases_each_file_before_reading_the_next(tmp_path):
    """A scan with findings in thousands of files holds one file's text at a time in the redaction stage, not all."""
    from threatscan.discover import SourceFile
    from threatscan.model import Finding, Location, Severity

    events = []

    class Recorded(SourceFile):
        def text(self):
            events.append(("read", self.rel))
            return super().text()

        def release(self):
            events.append(("release", self.rel))
            super().release()

    files = {}
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text('TOKEN = "Zq8kLm2vX9pWqRtY"\n')
        files[name] = Recorded(tmp_path / name, name, frozenset({"python"}), 30)
    found = [Finding("R", Location(rel, 1), "m", Severity.LOW) for rel in ("a.py", "a.py", "b.py")]
    out = secrets.redact_findings(found, files)
    assert [f.location.path for f in out] == ["a.py", "a.py", "b.py"]
    assert events.index(("release", "a.py")) < events.index(("read", "b.py"))
    assert events[-1] == ("release", "b.py")


def test_names_and_values_that_hold_no_secret_stay_quiet_their_look_alikes_do_not(fixtures_scan):
    rel = "fixtures/python/secrets/names_without_secrets.py"
    lines = (FIXTURES / "python/secrets/names_without_secrets.py").read_text().splitlines()
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel}

    def at(needle):
        return found.get(next(i for i, text in enumerate(lines, 1) if needle in text))

    for quiet in ('SEPARATOR_CREDENTIALS = ":"', 'RECAPTCHA_KEY = "6L', '"password": "LDAP"',
                  'if user.password == "LDAP"', '"smtp_password": "mail_settings"', "tokens={tokens}",
                  '"evaluated with %d tokens"', "sharing.collection_by_token", "sharing.permit_create_token",
                  "sharing.default_permissions", '"incomplete TLS configuration: key file %s"',
                  "MIRROR_RSA_KEY = ("):
        assert at(quiet) is None, quiet
    for reported in ('RECAPTCHA_SECRET_KEY = "6L', '"password": "kiosk"', 'SERVICE_TOKEN = "', '"password": "OPERATOR"',
                     'return user.password == "Sup3r', '"smtp_password": "m41l', 'logger.info("issued %s", tokens)',
                     "sharing.share_token", '"client secret %s"', "MIRROR_PRIVATE_KEY = "):
        finding = at(reported)
        assert finding is not None, reported
        # reported at the gate, or as a review finding only because nothing in the module uses it as a credential
        # (or, for a password compared with a stored value, because only its name says it is one)
        assert finding.severity.label in ("medium", "high") or UNUSED in finding.message \
            or NAME_ONLY_PASSWORD in finding.message or NO_LOGIN_SHOWN in finding.message, reported
    assert at('password = "Tr1al-Main-Pin-55"').severity.label == "low"  # an `if __name__ == "__main__":` self-test
    sample = at('password = "Tr1al-Run-Pin-77"')
    assert sample.severity.label == "low" and "self-test" in sample.message and "Tr1al" not in sample.snippet
    assert at('password = "Pr0d-Hsm-Pin-2291"').severity.label == "medium"
    assert at("TEST_USER_TEMP_PWD = ").severity.label == "low" and "named as test data" in at("TEST_USER_TEMP_PWD").message
    assert at("ADMIN_TEMP_PWD = ").severity.label == "high"
    assert at("TEST_USER_PASSWORD = ").severity.label == "low" and at("ADMIN_PASSWORD = ").severity.label == "medium"
    warned = at('settings.default_password == "Cb-default')
    assert (warned.severity.label, warned.evidence) == ("low", "review") and "only to warn" in warned.message
    assert at('settings.admin_password == "Adm1n').severity.label == "medium"
    unset = at('settings.legacy_password != "Deprecated')  # `!=` with only a warning behind it: a sentinel
    assert (unset.severity.label, unset.evidence) == ("low", "review") and "only to warn" in unset.message
    refused = at('settings.csirtg_token == "Qz8v')  # the program exits rather than run with it (Cowrie)
    assert (refused.severity.label, refused.evidence) == ("low", "review")


def test_a_secret_in_a_ci_settings_module_is_low_in_the_deployed_one_high(fixtures_scan):
    by_path = {f.location.path: f for f in fixtures_scan.findings if f.rule_id == "PY204"
               and f.location.path.startswith("fixtures/python/secrets/settings/")}
    ci, production = by_path["fixtures/python/secrets/settings/ci.py"], \
        by_path["fixtures/python/secrets/settings/production.py"]
    assert ci.severity.label == "low" and "`fixtures/python/secrets/settings/ci.py` is a settings module for CI" \
        in ci.message
    assert ci.evidence == "review" and "review" in ci.properties["tags"]  # out of the gate, with the reason
    assert production.severity.label == "high" and production.evidence != "review"




# --- the redactor after every engine's walk -------------------------------------------------------------------------
# A literal secret on a line that a rule other than the secret rules reports: the finding shows that line. Only the
# other rule is selected, so no secret check hands its value over: the shared detector must find it.
_WALK_SECRET = "Zq8vLr2Tm9wXc4Np7Kd3"
_WALK_CASES = {
    "cloudformation": ("IAC142", "template.yaml", (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n"
        "  Db:\n"
        "    Type: AWS::RDS::DBInstance\n"
        f'    Properties: {{Engine: postgres, StorageEncrypted: false, MasterUsername: app, MasterUserPassword: "{_WALK_SECRET}"}}\n')),
    "android": ("AND101", "app/src/main/AndroidManifest.xml", (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.t">\n'
        '    <application android:debuggable="true" android:label="t"><meta-data android:name="api_key" '
        f'android:value="{_WALK_SECRET}" /></application>\n'
        "</manifest>\n")),
}


@pytest.mark.parametrize("engine", sorted(_WALK_CASES))
def test_each_engine_hands_on_its_findings_redacted_and_no_format_shows_the_secret(engine, tmp_path, monkeypatch):
    """The one redactor runs on every engine's findings right after its walk (scan.py's per-file step), not only
    at the output boundary: what reaches the tail (and the cache, another process) already holds no secret the
    detector finds on a line a finding points at; and no report format shows it."""
    from threatscan import scan as scan_module

    rule, rel, text = _WALK_CASES[engine]
    repo = tmp_path / "repo"
    (repo / rel).parent.mkdir(parents=True)
    (repo / rel).write_text(text, encoding="utf-8")
    handed_on: list = []
    real_tail = scan_module.run_tail

    def spy(findings, tail):
        handed_on.extend(findings)
        return real_tail(findings, tail)

    monkeypatch.setattr(scan_module, "run_tail", spy)
    out = tmp_path / "out"
    out.mkdir()
    formats = {"sarif": out / "r.sarif", "json": out / "r.json", "markdown": out / "r.md", "html": out / "r.html"}
    args = ["scan", str(repo), "--select", rule, "--no-cache", "--fail-on", "none", "--no-color", "--format", "text"]
    for fmt, path in formats.items():
        args += ["--format", fmt, "--output", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    reported = [f for f in handed_on if f.rule_id == rule]
    assert reported and any(secrets.MASK in f.snippet for f in reported), [f.snippet for f in handed_on]  # shown, masked
    leaked = [f.rule_id for f in handed_on if _WALK_SECRET in repr(f)]
    assert not leaked, f"{engine} handed on findings holding the secret: {leaked}"
    for content in (result.output, *(p.read_text(encoding="utf-8") for p in formats.values())):
        assert rule in content and _WALK_SECRET not in content


def test_a_lazy_pattern_is_the_compiled_pattern_once_used():
    """The detector's patterns compile on first use: same answers as re.compile, compiled once, and only the
    pattern's own attributes are delegated (a typo stays an AttributeError, pickling/copying probes see no magic)."""
    import re

    lazy = secrets.lazy_compile(r"(?P<w>[a-z]+)-(\d+)", re.I)
    assert "search" not in vars(lazy)  # not compiled yet
    plain = re.compile(r"(?P<w>[a-z]+)-(\d+)", re.I)
    text = "ab-1 CD-22 x"
    assert lazy.search(text).group(0) == plain.search(text).group(0)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert lazy.sub("*", text) == plain.sub("*", text) and lazy.findall(text) == plain.findall(text)
    assert lazy.fullmatch("ab-1") and not lazy.match(" ab-1")
    assert (lazy.pattern, lazy.flags, lazy.groups, dict(lazy.groupindex)) == \
        (plain.pattern, plain.flags, plain.groups, dict(plain.groupindex))
    assert vars(lazy)["search"].__self__ is vars(lazy)["finditer"].__self__  # one compiled pattern
    with pytest.raises(AttributeError):
        lazy.serch  # noqa: B018
    with pytest.raises(AttributeError):
        lazy.__setstate__  # noqa: B018
    # Every detector pattern that is lazy compiles (a typo in one would only show when a scan first needs it).
    for value in list(vars(secrets).values()) + [p for _, _, p in secrets.KNOWN_FORMATS]:
        if isinstance(value, secrets.LazyPattern):
            assert isinstance(re.compile(value.pattern, value.flags), re.Pattern)


# --- PY205 by evidence, PY202-PY204 by value shape (session 7) ----------------------------------------------------


def _by_line(fixtures_scan, name: str) -> tuple[dict, list[str]]:
    rel = f"fixtures/python/secrets/{name}"
    lines = (FIXTURES / "python/secrets" / name).read_text().splitlines()
    return {(f.location.line, f.rule_id): f for f in fixtures_scan.findings if f.location.path == rel}, lines


def _tier_lines(lines: list[str], rule: str, tier: str) -> list[int]:
    """The numbers of the fixture lines annotated `# expect: RULE (TIER...`."""
    return [i for i, t in enumerate(lines, 1) if f"expect: {rule} ({tier}" in t]


def _annotated(fixtures_scan, name: str, pattern: str):
    """(line text, the annotation's match, the file's findings by (line, rule), line number) of each line of a
    secrets fixture whose annotation matches `pattern`."""
    found, lines = _by_line(fixtures_scan, name)
    for number, text in enumerate(lines, 1):
        match = re.search(pattern, text)
        if match:
            yield text, match, found, number


def test_a_log_of_a_secret_by_name_only_is_a_review_finding_evidence_keeps_it_at_the_gate(fixtures_scan):
    """PY205 stays medium (and fails the default gate) only with evidence that the value is a credential; a value
    that is a secret by its name alone is low, tagged `review`, and never fails the gate."""
    found, lines = _by_line(fixtures_scan, "logging_evidence.py")
    gate, review = _tier_lines(lines, "PY205", "medium"), _tier_lines(lines, "PY205", "low review")
    assert len(gate) == 11 and len(review) == 6
    for line in gate:
        f = found[(line, "PY205")]
        assert f.severity.label == "medium" and f.evidence != "review", lines[line - 1]
        assert "review" not in f.properties.get("tags", ()) and f.properties["secretEvidence"] in f.message
    for line in review:
        f = found[(line, "PY205")]
        assert f.severity.label == "low" and f.evidence == "review" and f.precision == "low", lines[line - 1]
        assert "review" in f.properties["tags"] and f.properties["severityIfSecret"] == "medium"
        assert "by its name only" in f.message
    assert not any(rule == "PY205" and "ok: PY205" in lines[line - 1] for line, rule in found)


def test_the_default_gate_fails_on_a_logged_credential_not_on_a_logged_name(tmp_path: Path):
    (tmp_path / "only_names.py").write_text(
        "import logging\nlog = logging.getLogger(__name__)\n\n\ndef show(args, profile_token):\n"
        "    log.debug('token %s', args.token)\n    log.debug('profile %s', profile_token)\n")
    gate = ["scan", str(tmp_path), "--select", "PY205", "--no-color", "--no-cache", "--fail-on", "medium"]
    passed = CliRunner().invoke(main, gate)
    assert passed.exit_code == 0, passed.output
    (tmp_path / "generated.py").write_text(
        "import logging\nimport secrets\nlog = logging.getLogger(__name__)\n\n\ndef invite():\n"
        "    invite_token = secrets.token_urlsafe(32)\n    log.info('invite %s', invite_token)\n")
    failed = CliRunner().invoke(main, gate)
    assert failed.exit_code == 1, failed.output


def test_values_that_are_no_secret_by_their_shape_stay_quiet_their_look_alikes_do_not(fixtures_scan):
    found, lines = _by_line(fixtures_scan, "value_shapes.py")
    secret_rules = ("PY202", "PY203", "PY204")
    quiet = [i for i, t in enumerate(lines, 1) if "# ok: PY20" in t]
    reported = [i for i, t in enumerate(lines, 1) if "# expect: PY20" in t]
    assert len(quiet) >= 15 and len(reported) == 8
    for line in quiet:
        assert not any((line, r) in found for r in secret_rules), lines[line - 1]
    for line in reported:
        f = next(found[(line, r)] for r in secret_rules if (line, r) in found)
        assert (f.severity.label in ("medium", "high") and f.evidence != "review") or UNUSED in f.message, \
            lines[line - 1]
        assert "***" in f.snippet


@pytest.mark.parametrize("value", [
    r":\/\/[a-zA-Z0-9_-]+:[\S]+@", r"(?P<pw>[^&]+)", r"^tok_[0-9a-f]{24}$", r"\d{6}",
])
def test_regular_expressions_are_no_secret(value):
    assert secrets.looks_like_regex(value)
    assert secrets.check_value(value, "password") is None and secrets.check_value(value, "api_token") is None


@pytest.mark.parametrize("value", ["Tr0ub4dor&3", "9f8e7d6c5b4a3928", "p4ss.word", "Zq8kLm2vX9pWq7Rt$", "a+b-c*d",
                                   "Tr0ub\\dor&3", "CORP\\svc-Pw9"])
def test_real_looking_values_are_not_read_as_patterns_or_paths(value):
    assert not secrets.looks_like_regex(value) and secrets.not_a_secret_shape(value) is None
    assert secrets.check_value(value, "password") is not None


def test_paths_registry_keys_and_example_domains_are_no_secret():
    assert secrets.check_value("SYSTEM\\CurrentControlSet\\services\\", "service_key") is None
    assert secrets.check_value("HKEY_LOCAL_MACHINE\\Software\\Shop", "license_key") is None
    assert secrets.check_value("C:\\keys\\app.bin", "signing_key") is None
    assert secrets.known_format("postgresql://shop:Wq7xZ29pL@db.example.com/shop") is None
    assert secrets.known_format("https://ci:Wq7xZ29pL@build.example/hook") is None
    assert secrets.known_format("postgresql://shop:Wq7xZ29pL@db.internal/shop").kind == "url-credentials"
    assert secrets.known_format("redis://cache:Kd82hQ0zTm@localhost:6379/0").kind == "url-credentials"


@pytest.mark.parametrize("value", ["202.124.224.0/20", "10.0.0.1", "2001:db8::/32", "fe80::1"])
def test_ip_addresses_and_networks_are_no_secret(value):
    assert secrets.not_a_secret_shape(value) is not None
    assert secrets.check_value(value, "PW") is None and secrets.check_value(value, "password") is None


@pytest.mark.parametrize("value", ["10.0.0.1x", "1234.5678", "deadbeef:cafe", "12.34.56.78.90"])
def test_values_near_an_ip_address_keep_their_judgement(value):
    assert secrets.not_a_secret_shape(value) is None


_CLIENT_MODULE = '''"""An API client of a command-line downloader."""
import hmac

import requests

CLIENT_ID = "5388"
CLIENT_SECRET = "76c08e69cfa27f26d6161f8ab6e061b2"
API_KEY = "Rq7HDGjcbc4Fhzq4qzqLdZmvwmwB6LM2"
SIGNING_KEY = "Zq8kLm2vX9pWq7RtYb3nHc5Jd6"
ADMIN_PASSWORD = "Tr0ub4dor&3x"


def fetch(path):
    return requests.get("https://api.example.net" + path, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)


def search(query):
    return requests.get("https://api.example.net/search", params={"q": query, "api_key": API_KEY}, timeout=10)


def sign(body):
    return hmac.new(SIGNING_KEY.encode(), body, "sha256").hexdigest()


def login(session, password):
    return session.post("https://api.example.net/admin", data={"password": ADMIN_PASSWORD}, timeout=10)
'''


def _secret_severities(root: Path) -> dict[int, tuple[str, str]]:
    out = root / "out.json"
    result = CliRunner().invoke(main, ["scan", str(root), "--no-cache", "--format", "json", "--output", str(out),
                                       "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    return {f["location"]["line"]: (f["severity"], f["evidence"], "RFC 8252" in f["message"])
            for f in json.loads(out.read_text())["findings"]
            if f["rule_id"] in ("PY202", "PY203", "PY204") and f["location"]["path"] == "tool/api.py"}


@pytest.mark.parametrize("packaging", [
    ("pyproject.toml", '[project]\nname = "tool"\n\n[project.scripts]\ntool = "tool.cli:main"\n'),
    ("setup.cfg", "[metadata]\nname = tool\n\n[options.entry_points]\nconsole_scripts =\n    tool = tool.cli:main\n"),
])
def test_a_client_credential_an_installed_program_carries_is_review_a_server_keeps_it(tmp_path: Path, packaging):
    """RFC 8252 8.5: a client id/secret or API key shipped in every user's copy of a command-line tool identifies
    the program, and the review finding says so; a password or signing key stays a finding. In a web application
    the same client credential, known by its name only, is a review finding for another reason (no provider's
    format says it is secret: see test_a_service_key_by_its_name_alone_is_review_a_provider_format_is_not)."""
    cli, server = tmp_path / "cli", tmp_path / "server"
    for root in (cli, server):
        (root / "tool").mkdir(parents=True)
        (root / "tool" / "__init__.py").write_text("")
        (root / "tool" / "api.py").write_text(_CLIENT_MODULE)
        (root / packaging[0]).write_text(packaging[1])
    (server / "tool" / "web.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    shipped, served = _secret_severities(cli), _secret_severities(server)
    lines = {name: i for i, line in enumerate(_CLIENT_MODULE.splitlines(), 1) for name in
             ("CLIENT_SECRET", "API_KEY", "SIGNING_KEY", "ADMIN_PASSWORD") if line.startswith(name)}
    for client in ("CLIENT_SECRET", "API_KEY"):
        assert shipped[lines[client]] == ("low", "review", True), client
        assert served[lines[client]] == ("low", "review", False), client
    for own in ("SIGNING_KEY", "ADMIN_PASSWORD"):
        assert shipped[lines[own]][0] in ("medium", "high") and shipped[lines[own]][1] != "review", own
        assert served[lines[own]][0] in ("medium", "high") and served[lines[own]][1] != "review", own


@pytest.mark.parametrize("web, scripts, shipped", [
    ("tool/plugins/web/__init__.py", 'tool = "tool.cli:main"', True),  # an optional plugin serving a local page
    ("tool/web/app.py", 'tool = "tool.cli:main"', True),  # the command-line tool's local web interface
    ("tool/web/app.py", 'tool = "tool.cli:main"\ntool-web = "tool.web.app:main"', False),  # a command serves it
    ("web/app.py", 'tool = "tool.cli:main"', False),  # a top-level `web/`: a site of its own
    ("tool/views.py", 'tool = "tool.cli:main"', False),  # the package itself serves requests
])
def test_a_web_framework_only_in_a_plugin_or_local_web_subpackage_keeps_the_program_installed(
        tmp_path: Path, web, scripts, shipped):
    """A command-line program with a local web plugin (Flask imported only under `plugins/` or a `web/`
    subpackage that no installed command runs) is still a program its users install: its client credentials are
    review findings; a command running that subpackage, a top-level `web/` or a web framework in the package
    itself make it a server, whose client credentials stay findings."""
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "__init__.py").write_text("")
    (tmp_path / "tool" / "api.py").write_text(_CLIENT_MODULE)
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "tool"\n\n[project.scripts]\n{scripts}\n')
    (tmp_path / web).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / web).write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    found = _secret_severities(tmp_path)
    line = next(i for i, text in enumerate(_CLIENT_MODULE.splitlines(), 1) if text.startswith("CLIENT_SECRET"))
    assert found[line] == ("low", "review", shipped)  # the installed program's note, else the service key's


def test_one_credential_vocabulary():
    """The secret rules, PY507's evidence and the password-hashing rules read one list of a password's and a
    secret's names (secrets.py): a word added there counts for all three."""
    from threatscan.engines.python.checks import _http_evidence, password_hashing
    from threatscan.secrets import PASSWORD_WORDS, SECRET_WORDS, name_kind

    assert name_kind("DB_PWORD") == "password" and name_kind("smtp_creds") == "secret"
    assert password_hashing.PASSWORD_WORDS is PASSWORD_WORDS
    assert PASSWORD_WORDS | SECRET_WORDS <= _http_evidence.SECRET_WORDS
    assert _http_evidence.secret_words("db_pword") and _http_evidence.secret_words("smtp_creds")
    assert not _http_evidence.secret_words("next_page_token") and not _http_evidence.secret_words("paging_token")


# --- PY205: idempotency tokens and version ids are no credential (session 8) -----------------------------------------


def test_a_logged_idempotency_token_or_version_id_is_no_secret_a_password_from_the_same_event_is(fixtures_scan):
    """Secrets Manager's rotation Lambdas log `event["ClientRequestToken"]` (the new version's id) at every step: no
    finding, whether read from the event, named as a version's id, or passed on as `VersionId=`/`ClientRequestToken=`
    (also one call deep); a password and an Authorization header from the event stay medium; another token the
    event carried (an OAuth request token) is review (session 15: 1 true of 12 judged)."""
    found, lines = _by_line(fixtures_scan, "version_tokens.py")
    quiet = [i for i, t in enumerate(lines, 1) if "# ok: PY205" in t]
    gate = [i for i, t in enumerate(lines, 1) if "# expect: PY205 (medium" in t]
    carried = [i for i, t in enumerate(lines, 1) if "# expect: PY205 (low review" in t]
    assert len(quiet) == 4 and len(gate) == 2 and len(carried) == 1
    assert not any((line, "PY205") in found or (line, "PY205/review") in found for line in quiet)
    for line in gate:
        f = found[(line, "PY205")]
        assert f.severity.label == "medium" and "comes from the request" in f.message, lines[line - 1]
    for line in carried:
        f = found[(line, "PY205")]
        assert (f.severity.label, f.evidence) == ("low", "review") and "the request itself carried" in f.message, \
            lines[line - 1]


@pytest.mark.parametrize("name,expected", [
    ("ClientRequestToken", True), ("client_request_token", True), ("IdempotencyToken", True),
    ("idempotency_key", True), ("VersionId", True), ("version_token", True), ("MoveToVersionId", True),
    ("request_token", False), ("oauth_request_token", False), ("token", False), ("password", False),
    ("access_token", False), ("version", False), (None, False),
])
def test_version_token_names(name, expected):
    assert secrets.is_version_token_name(name) is expected


@pytest.mark.parametrize("name,value", [
    ("CONF_PASSWORD", "password"), ("ATTR_ACCESS_TOKEN", "access_token"), ("KEY_API_KEY", "api-key"),
    ("CONF_NEW_PASSWORD", "new_password"), ("OPT_CLIENT_SECRET", "clientSecret"), ("ACCESS_TOKEN", "access_token"),
])
def test_a_key_name_constant_holds_the_name_not_a_secret(name, value):
    assert secrets.not_a_secret_shape(value, name) == "the name itself"
    assert secrets.check_value(value, name) is None


@pytest.mark.parametrize("name,value", [
    ("DB_PASSWORD", "password"), ("CONF_PASSWORD", "Hx7-fake-Pw2q"), ("CONF_PASSWORD", "new_password"),
    ("PASSWORD_CONF", "conf"), ("CONF", "password"),
])
def test_a_value_that_is_not_the_name_after_a_key_name_prefix_keeps_its_judgement(name, value):
    assert secrets.not_a_secret_shape(value, name) is None


# --- the finder's pre-screen (issue 19: a node with no quote on its lines is not asked for pairs) ----------------

SINK_SHAPES = '''
import hmac, jwt, smtplib, psycopg2, requests
from requests.auth import HTTPBasicAuth
SIGNING = "q8Zt2LmV9xR4wK7pN3sJ6dF1"
OPT = "Sup3r-S3cret-Passw0rd!"
token = jwt.encode(payload, SIGNING)
digest = hmac.new(SIGNING, msg, "sha256")
conn = psycopg2.connect(host=h, password=OPT)
session.auth = HTTPBasicAuth(user, OPT)
server = smtplib.SMTP(host)
server.login(user, OPT)
client.login(user, OPT)
requests.get(url, auth=(user, OPT))
requests.get(url, params=OPT)
check(user, OPT)
helper.encode(payload, SIGNING)
'''


def _secret_nodes_of(source: str, rel: str = "m.py"):
    from threatscan.discover import SourceFile
    from threatscan.engines.python.context import PyContext
    from threatscan.engines.python.secret_finder import SECRET_NODES
    from threatscan.lang.python.module import AnalysisState, ModuleFacts, PyModule

    file = SourceFile(Path(rel), rel, frozenset({"python"}), len(source), _text=source)
    module = PyModule(file, ast.parse(source), "ast", ModuleFacts(), AnalysisState())
    ctx = PyContext(module)
    return ctx, [n for n in ast.walk(module.tree) if isinstance(n, SECRET_NODES)]


def test_the_prescreen_keeps_every_hit_and_every_call_that_takes_a_secret():
    from threatscan.engines.python.secret_finder import _find, _may_take_secret, _pairs, hits

    sources = [SINK_SHAPES] + [p.read_text() for p in sorted((FIXTURES / "python").rglob("*.py"))]
    sink_pairs = screened = 0
    for i, source in enumerate(sources):
        try:
            ctx, nodes = _secret_nodes_of(source, f"m{i}.py")
        except SyntaxError:
            continue
        for node in nodes:
            expected = list(_find(node, ctx))
            got = hits(node, ctx)
            assert [(h.literal, h.value, h.name, h.origin) for h in got] == \
                [(h.literal, h.value, h.name, h.origin) for h in expected], ast.unparse(node)
            screened += not got and not expected
            if isinstance(node, ast.Call) and any(origin == "sink" for _, _, origin in _pairs(node, ctx)):
                sink_pairs += 1
                assert _may_take_secret(node, ctx), ast.unparse(node)
    assert sink_pairs >= 8 and screened > 100


def test_a_name_passed_to_a_key_argument_on_a_line_without_quotes_is_still_found():
    from threatscan.engines.python.secret_finder import hits

    ctx, nodes = _secret_nodes_of(SINK_SHAPES)
    calls = {ast.unparse(n): n for n in nodes if isinstance(n, ast.Call)}
    for shown in ("jwt.encode(payload, SIGNING)", "psycopg2.connect(host=h, password=OPT)",
                  "HTTPBasicAuth(user, OPT)", "server.login(user, OPT)", "requests.get(url, auth=(user, OPT))"):
        found = hits(calls[shown], ctx)
        assert found and found[0].origin == "sink", shown
    for shown in ("requests.get(url, params=OPT)", "check(user, OPT)", "helper.encode(payload, SIGNING)"):
        assert hits(calls[shown], ctx) == [], shown


def test_a_token_named_value_ordered_against_positions_is_no_logged_secret(fixtures_scan):
    """Synapse-like (§3g): a replication stream's `current_token` is compared with `<=` or asked `is_before_or_eq`:
    an integer position, which the log may show; a credential from the environment, compared for equality or only
    handed to a scheduler, stays a medium finding that fails the gate."""
    found, lines = _by_line(fixtures_scan, "logging_positions.py")
    quiet = [i for i, t in enumerate(lines, 1) if "ok: PY205" in t]
    assert len(quiet) == 5 and not any((line, "PY205") in found for line in quiet)
    loud = [i for i, t in enumerate(lines, 1) if "expect: PY205 (medium" in t]
    assert len(loud) == 2
    for line in loud:
        f = found[(line, "PY205")]
        assert f.severity.label == "medium" and f.evidence != "review", lines[line - 1]


def test_an_ssh_public_key_is_no_secret_a_private_key_blob_under_the_same_name_is():
    """§3g (Weblate): the base64 blob of an OpenSSH public key starts with its type (`AAAAB3NzaC1y...` is ssh-rsa),
    which no private key does; the body of an OpenSSH private key (`b3BlbnNzaC1rZXktdjE...`) stays a crypto key."""
    assert secrets.not_a_secret_shape("AAAAB3NzaC1yc2GlTcoYJTC7HW0TLN7WI3su2R4/ch/LGXEXRJTWSTydXDRgvjEgHmn+2qDu6LmZf1x8KZn9r+WTJTzWVK9N+tcUJ6Cus/7pIy+K8iEfnuSRxbEL7LVWO/web5NCfsvI/ilV5c2ORtyO1LfCdk0qWk12dwb4XYaQAko=") is not None
    assert secrets.check_value("AAAAB3NzaC1yc2GlTcoYJTC7HW0TLN7WI3su2R4/ch/LGXEXRJTWSTydXDRgvjEgHmn+2qDu6LmZf1x8KZn9r+WTJTzWVK9N+tcUJ6Cus/7pIy+K8iEfnuSRxbEL7LVWO/web5NCfsvI/ilV5c2ORtyO1LfCdk0qWk12dwb4XYaQAko=", "GITHUB_RSA_KEY") is None
    found = secrets.check_value("b3BlbnNzaC1rZXktdjEAPjv57vX3nytJNK+H9VILablLDZguhbtVtnKocmN6zXRm/LYODo/xhGOw5LK6KXA0dPBkrGj3APWwKz3G", "GITHUB_RSA_KEY")
    assert found is not None and found.kind == "crypto-key"
    shifted = "AAAAB3NzaC1yc2GlTcoYJTC7HW0TLN7WI3su2R4/ch/LGXEXRJTWSTydXDRgvjEgHmn+2qDu6LmZf1x8KZn9r+WTJTzWVK9N+tcUJ6Cus/7pIy+K8iEfnuSRxbEL7LVWO/web5NCfsvI/ilV5c2ORtyO1LfCdk0qWk12dwb4XYaQAko="[1:]  # not a wire blob any more: judged by the name again
    assert secrets.check_value(shifted, "GITHUB_RSA_KEY") is not None


def test_a_one_letter_filler_password_beside_an_api_key_as_user_name_is_no_password(fixtures_scan):
    """§3g (Tracecat's Freshservice client): `BasicAuth(secrets.get("..._API_KEY"), "X")` sends the key as the user
    name and a filler password, which is no hard-coded credential; the same letter beside a user name stays a weak
    hard-coded password (high, at the gate)."""
    found, lines = _sink_findings(fixtures_scan)
    for needle in ('vault.get("HELPDESK_API_KEY"), "X"', "auth=(api_token, \"x\")"):
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        assert line not in found, needle
    for needle in ('auth=(operator, "a")', 'BasicAuth("ops", "X")'):
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        assert found[line].rule_id == "PY202" and found[line].severity.label == "high", needle


def test_a_connection_url_as_a_settings_fallback_follows_the_fallback_policy(fixtures_scan):
    """§3g (Tracecat): `os.environ.get("DB_URI", "postgresql://postgres:postgres@db/...")` is the database image's
    default credentials used only when the setting is missing: low (a weak fallback), out of the gate; a chosen
    password as the fallback is medium; the same URL as the value itself stays high. The password is never shown."""
    found, lines = _sink_findings(fixtures_scan)
    for needle, severity in (('DB_URI = os.environ.get("DB_URI"', "low"), ('CACHE_URL = os.environ.get(', "medium"),
                             ("ANALYTICS_DSN = ", "high")):
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        f = found[line]
        assert f.rule_id == "PY202" and f.severity.label == severity, needle
        assert "postgres@" not in f.snippet and "Vq83kLz1Wd" not in f.snippet + f.message, needle
        assert ("fallback used when the setting is missing" in f.message) == (severity != "high"), needle


# --- a literal bound to a secret-like name: at the gate only when the module shows it used as a credential -----------


def test_a_bound_literal_keeps_its_severity_only_where_the_module_uses_it_as_a_credential(fixtures_scan):
    """README "Severity follows evidence": a password, key or token handed to a client, a login, a signer, sent as
    a header or Bearer token, built into a URL, held by a connection's settings or a configuration class fails the
    gate; the same kind of literal merely bound to a name nothing uses is a review finding (low, tag `review`) that
    says why, and its value is never shown."""
    checked = 0
    for text, match, found, number in _annotated(fixtures_scan, "bound_and_used.py",
                                                 r"# expect: (PY20[234]) \((high|medium|low review)"):
        rule, tier = match.groups()
        finding = found[(number, rule)]
        checked += 1
        if tier == "low review":
            assert (finding.severity.label, finding.evidence) == ("low", "review"), text
            assert "review" in finding.properties["tags"], text
        else:
            assert (finding.severity.label, finding.evidence) == (tier, ""), text
        value = re.findall(r'"([^"]{8,})"', text.split("  # expect")[0])
        assert not value or (value[-1] not in finding.snippet and value[-1] not in finding.message)
    assert checked == 14
    found, lines = _by_line(fixtures_scan, "bound_and_used.py")
    assert not [f for (line, rule), f in found.items() if "AnyValueWorks" in lines[line - 1]], "a filler password"


def test_an_unused_secret_constant_does_not_fail_the_default_gate_its_use_does(tmp_path: Path):
    """The gate a user runs: an unused `ADMIN_PASSWORD = "..."` is reported (low) and the scan passes; the moment the
    module logs in with it, the same scan fails."""
    module = tmp_path / "ops.py"
    module.write_text('import smtplib\n\nADMIN_PASSWORD = "Ad-7qX2#mL9v"\n')
    out = tmp_path / "out.json"
    args = ["scan", str(tmp_path), "--no-cache", "-f", "json", "-o", str(out), "--fail-on", "medium"]
    passed = CliRunner().invoke(main, args)
    assert passed.exit_code == 0, passed.output
    assert [(f["rule_id"], f["severity"]) for f in json.loads(out.read_text())["findings"]] == [("PY202", "low")]
    module.write_text(module.read_text() + '\n\ndef mail():\n    smtplib.SMTP("mx").login("ops", ADMIN_PASSWORD)\n')
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1, failed.output
    assert [(f["rule_id"], f["severity"]) for f in json.loads(out.read_text())["findings"]] == [("PY202", "high")]


def test_a_container_default_login_is_a_review_finding_a_chosen_password_is_not(fixtures_scan):
    """§3h-§3j (docker-compose databases, RabbitMQ's guest on localhost): the user name again as the password of a
    server on the loopback host or a one-word compose service is a review finding that says why, and so is a
    word-like password for such a server (session 12: the known defaults of §3h-§3k); the same password for a dotted
    host, or a chosen password for the compose service, still fails the gate. No value is shown."""
    checked = 0
    for name in ("compose_app/settings.py", "compose_app/monitor.py"):
        found, lines = _by_line(fixtures_scan, name)
        for number, text in enumerate(lines, 1):
            if "# expect: PY202" not in text:
                continue
            finding = found[(number, "PY202")]
            checked += 1
            if "(low review" in text:
                assert (finding.severity.label, finding.evidence) == ("low", "review"), text
                why = "a word-like password" if "word-like" in text else "the password is the user name again"
                assert why in finding.message, text
            else:
                assert finding.severity.label == "high" and finding.evidence != "review", text
            assert "guest" not in finding.snippet and "Kq8!vR2" not in finding.snippet + finding.message
    assert checked == 8


def test_a_service_key_by_its_name_alone_is_review_a_provider_format_is_not(fixtures_scan):
    """docs/accuracy.md §3d-§3j: none of 158 judged PY203 findings known by their name alone was a live secret (mostly
    keys an application identifies itself with, shipped to every user). Such a key is a review finding that says
    why, also when the module sends it; a provider's format (OpenAI here) or a name that says it is the secret half
    of an account keeps the gate. No value is shown."""
    checked = 0
    for text, match, found, number in _annotated(fixtures_scan, "service_keys.py", r"# expect: PY203 \((high|low review)"):
        finding = found[(number, "PY203")]
        checked += 1
        if match.group(1) == "low review":
            assert (finding.severity.label, finding.evidence) == ("low", "review"), text
            assert "only its name says it is a secret" in finding.message, text
        else:
            assert (finding.severity.label, finding.evidence) == ("high", ""), text
        value = re.findall(r'"([^"]{8,})"', text.split("  # expect")[0])
        assert value and value[-1] not in finding.snippet + finding.message
    assert checked == 4


def test_a_logged_request_field_is_request_data_only_where_the_repository_serves_web_requests(tmp_path: Path):
    """§3j (scapy): `log.debug("token=%s", request.token)` in a protocol library is a CoAP message's matching id,
    not a credential a web client sent: a review finding. The same line in a repository that imports a web
    framework is evidence (request data) and fails the gate."""
    (tmp_path / "proto.py").write_text(
        "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def start(request):\n    log.debug(\"new request token=%s\", request.token)\n")
    out = tmp_path / "out.json"

    def severity() -> tuple[str, str]:
        result = CliRunner().invoke(main, ["scan", str(tmp_path), "--no-cache", "-f", "json", "-o", str(out),
                                           "--fail-on", "none"])
        assert result.exit_code == 0, result.output
        found = [f for f in json.loads(out.read_text())["findings"] if f["rule_id"] == "PY205"]
        assert len(found) == 1 and "token=" not in found[0]["message"]
        return found[0]["severity"], found[0]["evidence"]

    assert severity() == ("low", "review")
    (tmp_path / "proto.py").write_text(
        "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def start(request):\n    log.debug(\"new request password=%s\", request.password)\n")
    assert severity() == ("low", "review")  # (a library's request: its field is no web login's password)
    (tmp_path / "web.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    assert severity() == ("medium", "")  # a web request's password, logged


def test_a_name_bound_to_itself_is_no_recursion(tmp_path):
    """§3l (O365's release.py): `line = line` sent PY201's cheap environment test round in circles (RecursionError,
    a notice, and the rule's findings there lost); a secret read through an alias of os.environ is still found."""
    (tmp_path / "release.py").write_text(
        'import os\n\n\ndef blame(line):\n    line = line\n    return line[line.find("(") + 1:]\n\n\n'
        'def token():\n    env = os.environ\n    return env["API_TOKEN"]\n')
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "release.py"), "--engines", "native", "--no-cache",
                                       "--format", "json", "-o", str(out), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["notices"] == []
    assert [(f["rule_id"], f["location"]["line"]) for f in report["findings"]] == [("PY201", 11)]


def test_a_crypto_assets_token_is_no_credential(fixtures_scan):
    """rotki (§3l): EVM addresses compared with `token`, and asset objects (`EvmToken(...)`) in logs, were gate
    findings; a random token compared and an access token logged still are."""
    found, lines = _by_line(fixtures_scan, "crypto_assets.py")
    gate = {n for (n, rule), f in found.items() if f.severity.label in ("medium", "high")}
    marked = {n for n, text in enumerate(lines, 1) if "# expect:" in text and "(low review" not in text}
    assert gate == marked and len(marked) == 2
    review = [n for n, text in enumerate(lines, 1) if "(low review" in text]
    assert all(found[(n, "PY205")].severity.label == "low" for n in review) and len(review) == 2


def test_a_supabase_anon_key_is_public_a_service_role_key_is_not(fixtures_scan):
    """OctoBot (§3l): a JWT whose role claim is `anon` is the public key every client ships; a `service_role` JWT
    is reported (high, a known format) and masked."""
    found, lines = _by_line(fixtures_scan, "public_keys.py")
    anon = next(n for n, t in enumerate(lines, 1) if "SUPABASE_ANON_KEY" in t)
    service = next(n for n, t in enumerate(lines, 1) if t.startswith("SUPABASE_SERVICE_KEY"))
    assert not [key for key in found if key[0] == anon]
    assert found[(service, "PY203")].severity.label == "high" and '"***"' in found[(service, "PY203")].snippet


def test_a_few_characters_of_a_token_in_a_log_are_no_credential(fixtures_scan):
    """ColdFront (§3l): `old_token = user.auth_token.key[-6:]` logged to tell tokens apart is a review finding by
    its name only, not a leaked credential; the whole token rebuilt from slices still is."""
    found, lines = _by_line(fixtures_scan, "logging_secrets.py")
    sliced = next(n for n, t in enumerate(lines, 1) if "old one ending" in t)
    whole = next(n for n, t in enumerate(lines, 1) if "full_token)" in t)
    assert found[(sliced, "PY205")].severity.label == "low" and "by its name only" in found[(sliced, "PY205")].message
    # the whole token is a credential: the request carried it (a review finding since session 15, for that reason)
    assert "the request itself carried" in found[(whole, "PY205")].message


def test_an_ansible_modules_examples_are_documentation(fixtures_scan):
    """JumpServer (§3m): a connection URL inside a vendored Ansible module's `EXAMPLES` text was a high PY202; the
    module's documentation constants are examples, while a URL bound to `RETURN_DB_URI` is still a credential."""
    found, lines = _by_line(fixtures_scan, "module_docs.py")
    assert {n for (n, rule) in found} == {next(n for n, t in enumerate(lines, 1) if t.startswith("RETURN_DB_URI"))}


def test_an_environment_secret_only_tested_for_presence_is_not_reported(fixtures_scan):
    """Discovering Hot Topics (§3m): `if not os.environ["REDDIT_API_KEY"]: raise ...` asks whether it is set, and the
    value goes nowhere; the read that uses it is reported."""
    found, lines = _by_line(fixtures_scan, "secret_sinks.py")
    tested = next(n for n, t in enumerate(lines, 1) if 'if os.environ.get("SESSION_SECRET")' in t)
    assert (tested, "PY201") not in found and (tested + 1, "PY201") in found


def test_a_password_known_by_its_name_alone_is_a_review_finding_a_login_it_opens_is_not(fixtures_scan):
    """Pooled verdicts of ten independent samples (docs/accuracy.md): a literal that is a password only by its name,
    as a parameter's default, a read's fallback or one side of a comparison, was a live credential three times in
    63; it is reported low with a `review` tag and does not fail the gate. Compared with the request's password, or
    made the password of an account the program creates, it is a login anyone who reads the code has: medium."""
    found, lines = _by_line(fixtures_scan, "password_by_name.py")
    review, gate = _tier_lines(lines, "PY202", "low review"), _tier_lines(lines, "PY202", "medium")
    assert len(review) == 4 and len(gate) == 2
    for line in review:
        f = found[(line, "PY202")]
        assert (f.severity.label, f.evidence) == ("low", "review"), lines[line - 1]
        assert "only its name says it is a password" in f.message
    for line in gate:
        f = found[(line, "PY202")]
        assert (f.severity.label, f.evidence) == ("medium", ""), lines[line - 1]


def test_a_secret_in_a_library_modules_main_block_is_a_review_finding(fixtures_scan):
    """The `if __name__ == "__main__":` demonstration of a module the program imports runs only by hand: its
    password is review; the same kind of literal the module's own code logs in with stays at the gate."""
    found, lines = _by_line(fixtures_scan, "demo_block.py")
    demo = found[(next(i for i, t in enumerate(lines, 1) if "the demonstration block" in t), "PY202")]
    assert demo.severity.label == "low" and demo.evidence == "review" and '`if __name__ == "__main__":`' in demo.message
    gate = found[(next(i for i, t in enumerate(lines, 1) if "(gate: a login" in t), "PY202")]
    assert gate.severity.label == "medium" and gate.evidence == ""


def test_a_secret_in_a_file_for_development_is_a_review_finding(fixtures_scan):
    """A file whose path says development (`development/seed.py`): its seeded account's password is review, naming the
    purpose; the same shapes elsewhere keep their severity (bound_and_used.py)."""
    found, lines = _by_line(fixtures_scan, "development/seed.py")
    (f,) = [f for (line, rule), f in found.items() if rule == "PY202"]
    assert f.severity.label == "low" and f.evidence == "review" and "path says it is for development" in f.message


def test_a_password_known_by_its_name_alone_keeps_its_severity_only_as_a_login_of_the_application(fixtures_scan):
    """PY202 by evidence (session 15; pooled verdicts: 6 true of 150 at the gate, every one a login of the product
    itself): a word or a default handed to a login is review unless the code shows an account it creates or a default
    administrator's password; a chosen password handed to a login keeps the gate."""
    found, lines = _by_line(fixtures_scan, "password_evidence.py")

    def at(needle):
        return found[(next(i for i, t in enumerate(lines, 1) if needle in t), "PY202")]

    for kept in ('DEFAULT_SUPERUSER_PASSWORD = "', 'BOOTSTRAP_PASS = "', 'channel.login("operator"'):
        assert at(kept).severity.label in ("medium", "high") and at(kept).evidence != "review", kept
    kiosk = at('channel.login("kiosk"')
    assert (kiosk.severity.label, kiosk.evidence) == ("low", "review") and NO_LOGIN_SHOWN in kiosk.message
    assert "kiosk" not in kiosk.snippet.split("login(")[1].split(",", 1)[1]


def test_a_management_command_for_tests_holds_test_data(fixtures_scan):
    """A Django management command whose help says it is for tests or demonstrations (RapidPro's `mailroom_db`,
    "Generates a database suitable for mailroom testing") gives its accounts test passwords: review, naming it."""
    found, lines = _by_line(fixtures_scan, "shop/management/commands/mailroom_db.py")
    f = found[(next(i for i, t in enumerate(lines, 1) if t.startswith("USER_PASSWORD")), "PY202")]
    assert (f.severity.label, f.evidence) == ("low", "review") and "mailroom testing" in f.message
