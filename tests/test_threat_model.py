"""The user's own threat model: findings keyed to its ids in every format, policy numbers, coverage, imports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, REPO, run_cli, validate_multitool, validate_schema

from threatscan.threats.threatmodel import ThreatModelError, load_threat_model

REPO_DIR = FIXTURES / "threat-model-repo"
MODELS = Path(__file__).parent / "data" / "threat-models"  # the five example models, as written
MODEL = REPO_DIR / "threatmodel.yaml"


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd)


def scan(*args: str) -> subprocess.CompletedProcess:
    return cli("scan", str(REPO_DIR), "--fail-on", "none", "--threat-model", str(MODEL), *args)


def test_findings_carry_the_models_ids_in_every_format(tmp_path):
    out = scan("--format", "json", "--output", str(tmp_path / "r.json"), "--format", "sarif", "--output",
               str(tmp_path / "r.sarif"), "--format", "markdown", "--output", str(tmp_path / "r.md"),
               "--format", "text", "--no-color")
    assert out.returncode == 0, out.stderr
    findings = {f["rule_id"]: f for f in json.loads((tmp_path / "r.json").read_text())["findings"]}
    assert findings["PY104"]["threats"][0] == "ORD-1" and "TS-EXEC-CODE" in findings["PY104"]["threats"]
    assert findings["PY503"]["threats"][0] == "ORD-2"
    assert "[ORD-1, TS-EXEC-CODE" in out.stdout
    assert "threat ORD-1: Order handlers run attacker-controlled code" in out.stdout  # titles from the active model
    md = (tmp_path / "r.md").read_text()
    assert "| ORD-1 |" in md and "Threat coverage: Orders service" in md
    log = json.loads((tmp_path / "r.sarif").read_text())
    run = log["runs"][0]
    taxa = {t["id"]: t for t in run["taxonomies"][0]["taxa"]}
    assert taxa["ORD-1"]["shortDescription"]["text"] == "Order handlers run attacker-controlled code"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "PY104")
    assert "threat/ORD-1" in rule["properties"]["tags"]
    # ORD-1 is marked mitigated, so the finding is critical: it names the variant GitHub shows as critical
    result = next(r for r in run["results"] if r["ruleId"] == "PY104/critical")
    assert result["taxa"][0]["id"] == "ORD-1"
    assert validate_schema(log) == []
    validate_multitool(tmp_path / "r.sarif")


def test_model_only_ids_replace_the_built_in_ones(tmp_path):
    model = tmp_path / "tm.yaml"
    model.write_text(MODEL.read_text().replace("version: 1", "version: 1\nthreat-ids: model"))
    out = cli("scan", str(REPO_DIR), "--fail-on", "none", "--threat-model", str(model), "--format", "json")
    threats = {f["rule_id"]: f["threats"] for f in json.loads(out.stdout)["findings"]}
    assert threats["PY104"] == ["ORD-1"] and threats["PY503"] == ["ORD-2"]


def test_policy_numbers_change_what_rules_report():
    # The fixture's token lives 10 days: over the default 7 (PY504 fires), within the model's 14 (it does not).
    default = cli("scan", str(REPO_DIR), "--fail-on", "none", "--format", "json")
    assert "PY504" in {f["rule_id"] for f in json.loads(default.stdout)["findings"]}
    with_model = scan("--format", "json")
    assert "PY504" not in {f["rule_id"] for f in json.loads(with_model.stdout)["findings"]}


def test_severity_override_and_mitigated_threat_violated():
    findings = {f["rule_id"]: f for f in json.loads(scan("--format", "json").stdout)["findings"]}
    assert findings["PY503"]["severity"] == "critical", "ORD-2 sets severity: critical"
    assert findings["PY104"]["severity"] == "critical"
    assert findings["PY104"]["message"].startswith("Threat ORD-1 is marked mitigated in the threat model, but")
    assert findings["PY104"]["properties"]["violatesMitigatedThreats"] == ["ORD-1"]


def test_coverage_lists_violated_clean_and_unchecked_threats():
    out = cli("coverage", str(REPO_DIR), "--threat-model", str(MODEL), "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in json.loads(out.stdout)["threats"]}
    assert rows["ORD-1"]["status"] == "violated" and rows["ORD-1"]["findings"] == 1
    assert rows["ORD-2"]["status"] == "violated"
    assert rows["ORD-3"]["status"] == "checked-clean" and rows["ORD-3"]["rules"]
    assert rows["ORD-4"]["status"] == "unchecked" and rows["ORD-4"]["rules"] == []
    text = cli("coverage", str(REPO_DIR), "--threat-model", str(MODEL)).stdout
    assert "NOT CHECKED" in text and "marked mitigated in the model" in text


def test_threatmodel_yaml_at_the_root_is_found(tmp_path):
    (tmp_path / "app.py").write_text("def run(x):\n    return eval(x)\n")
    (tmp_path / "threatmodel.yaml").write_text("system: s\nthreats:\n  - id: X-1\n    title: t\n    stride: [tampering]\n"
                                               "    controls: [PY104]\n")
    out = cli("scan", ".", "--fail-on", "none", "--format", "json", cwd=tmp_path)
    assert json.loads(out.stdout)["findings"][0]["threats"][0] == "X-1"


@pytest.mark.parametrize("text, where", [
    ("system: s\nthreats: []\n", ":2: threats: expected a non-empty list"),
    ("system: s\nthreats:\n  - id: A\n    title: t\n    stride: [tampring]\n", ":5: threats.0.stride: unknown STRIDE"),
    ("system: s\nthreats:\n  - id: A\n    title: t\n    stride: [spoofing]\n    controls: [PY999]\n", ":6: threats.0.controls.0: 'PY999' matches no rule"),
    ("system: s\npolicy:\n  bcrypt-min-rounds: many\nthreats:\n  - {id: A, title: t, stride: [spoofing]}\n", ":3: policy.bcrypt-min-rounds"),
    ("system: s\nthreats:\n  - {id: A, title: t, stride: [spoofing], colour: red}\n", "threats.0.colour: unknown key"),
    ("system: s\nthreats:\n  - {id: A, title: t, stride: [spoofing]}\n  - {id: A, title: u, stride: [spoofing]}\n", "duplicate threat id A"),
])
def test_invalid_model_is_exit_2_with_file_line_and_key(tmp_path, text, where):
    model = tmp_path / "tm.yaml"
    model.write_text(text)
    out = cli("scan", str(REPO_DIR), "--threat-model", str(model))
    assert out.returncode == 2
    assert f"{model}{where}" in out.stderr or (str(model) in out.stderr and where in out.stderr), out.stderr


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.threatmodel.yaml")), ids=lambda p: p.name)
def test_shipped_examples_are_valid_models_of_the_five_documents(path, catalog):
    tm = load_threat_model(path, catalog)
    model_id = path.name.split(".")[0].upper()
    assert {t.id for t in tm.threats} == {t.id for t in catalog.examples.values() if t.model == model_id}
    for t in tm.threats:  # each example threat is checked through the generic threats that generalise it
        assert {c.split(":", 1)[1] for c in t.controls} == {g for g in catalog.generalising(t.id) if catalog.rules_for_threat(g)}


def test_five_examples_ship():
    assert len(list((REPO / "examples").glob("*.threatmodel.yaml"))) == 5


# --- imports ---------------------------------------------------------------------------------------------------

def imported(source: Path, tmp_path: Path) -> dict:
    out = cli("threats", "import", str(source), "--output", str(tmp_path / "tm.yaml"))
    assert out.returncode == 0, out.stderr
    return yaml.safe_load((tmp_path / "tm.yaml").read_text())


def test_import_ecommerce_findings_table(tmp_path, catalog):
    data = imported(MODELS / "ecom.md", tmp_path)
    ids = [t["id"] for t in data["threats"]]
    assert ids == ["T-1", "T-2", "T-3", "T-4", "T-5", "T-6"]
    by_id = {t["id"]: t for t in data["threats"]}
    assert by_id["T-2"]["title"] == "lambdas allow code execution"
    assert "threat:TS-EXEC-CODE" in by_id["T-2"]["suggested-controls"]
    assert "threat:TS-SECRET-ENV" in by_id["T-6"]["suggested-controls"]
    load_threat_model(tmp_path / "tm.yaml", catalog)  # the import is a valid model


def test_import_api_gateway_table_reads_stated_stride(tmp_path):
    data = imported(MODELS / "apigw.md", tmp_path)
    by_id = {t["id"]: t for t in data["threats"]}
    assert len(by_id) == 10
    assert by_id["T-10"]["title"] == "Session Hijacking" and by_id["T-10"]["stride"] == ["spoofing"]
    assert by_id["T-2"]["stride"] == ["elevation-of-privilege"]  # stated in the Category column
    assert "threat:TS-SESSION" in by_id["T-10"]["suggested-controls"]


def test_import_a_table_with_other_columns_then_scan_keys_findings_to_it(tmp_path):
    doc = tmp_path / "model.md"
    doc.write_text(
        "# Billing service threats\n\nSome prose.\n\n"
        "| Mitigation | Risk | Ref | STRIDE |\n|:---|:---|:---:|---|\n"
        "| Never build shell commands | Remote code execution through shell commands in jobs | BIL-7 | Elevation of Privilege |\n"
        "| Verify tokens | Forged JWT tokens accepted by the API | BIL-9 | Spoofing, Tampering |\n"
    )
    data = imported(doc, tmp_path)
    assert data["system"] == "Billing service threats"
    by_id = {t["id"]: t for t in data["threats"]}
    assert set(by_id) == {"BIL-7", "BIL-9"}
    assert by_id["BIL-9"]["stride"] == ["spoofing", "tampering"]
    app = tmp_path / "repo"
    app.mkdir()
    (app / "jobs.py").write_text("import os\n\n\ndef run(name):\n    os.system('convert ' + name)\n")
    out = cli("scan", str(app), "--fail-on", "none", "--format", "json", "--threat-model", str(tmp_path / "tm.yaml"))
    assert out.returncode == 0, out.stderr
    finding = json.loads(out.stdout)["findings"][0]
    assert finding["threats"][0] == "BIL-7" and finding["properties"]["suggestedThreats"] == ["BIL-7"]


def test_not_a_threat_dragon_model_is_a_clear_error(tmp_path, catalog):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ThreatModelError, match="not an OWASP Threat Dragon model"):
        load_threat_model(path, catalog)


# --- suggestions are suggestions; escalation only on evidence; accepted threats -------------------------------------

SUGGESTED = """version: 1
system: Jobs
threats:
  - id: JOB-1
    title: Report names reach a shell
    stride: [elevation-of-privilege]
    status: mitigated
    severity: critical
    suggested-controls: ["threat:TS-EXEC-CODE"]
  - id: JOB-2
    title: Plain HTTP to the printer service
    stride: [information-disclosure]
    suggested-controls: ["threat:TS-TRANSIT"]
"""


def _jobs_repo(tmp_path: Path) -> Path:
    app = tmp_path / "repo"
    app.mkdir()
    (app / "jobs.py").write_text("import os\n\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
                                 "@app.route('/convert')\ndef convert():\n    os.system('convert ' + request.args['name'])\n"
                                 "    return 'ok'\n")
    (app / "threatmodel.yaml").write_text(SUGGESTED)
    return app


def test_a_suggested_control_keys_findings_but_decides_nothing(tmp_path):
    app = _jobs_repo(tmp_path)
    plain = json.loads(cli("scan", str(app), "--fail-on", "none", "--format", "json").stdout)
    finding = next(f for f in plain["findings"] if f["rule_id"] == "PY102")
    assert finding["threats"][0] == "JOB-1" and finding["properties"]["suggestedThreats"] == ["JOB-1"]
    assert finding["severity"] == "high", "a suggestion never raises severity (mitigated + critical would)"
    assert "marked mitigated" not in finding["message"]
    text = cli("scan", str(app), "--fail-on", "none", "--no-color").stdout
    assert "[JOB-1 (suggested)" in text and "threat JOB-1: Report names reach a shell" in text
    plain_text = cli("scan", str(app), "--fail-on", "none", "--no-color", "--threat-model", str(tmp_path / "none.yaml"))
    assert plain_text.returncode == 2  # a named model that does not exist is an error, never silently ignored
    rows = {r["id"]: r for r in json.loads(cli("coverage", str(app), "--format", "json").stdout)["threats"]}
    assert rows["JOB-1"]["status"] == "unchecked" and rows["JOB-1"]["suggested_rules"] and rows["JOB-1"]["suggested_findings"] == 1
    assert rows["JOB-2"]["status"] == "unchecked", "no rule of a suggested control makes a threat clean"


def test_accepting_a_suggestion_makes_its_rules_count(tmp_path):
    app = _jobs_repo(tmp_path)
    out = cli("threats", "accept", "JOB-1", "--threat-model", str(app / "threatmodel.yaml"))
    assert out.returncode == 0, out.stderr
    assert "JOB-1: accepted threat:TS-EXEC-CODE" in out.stderr
    model = yaml.safe_load((app / "threatmodel.yaml").read_text())
    assert model["threats"][0]["controls"] == ["threat:TS-EXEC-CODE"] and model["threats"][0]["suggested-controls"] == []
    assert model["threats"][1]["suggested-controls"] == ["threat:TS-TRANSIT"]  # not asked for: left alone
    finding = next(f for f in json.loads(cli("scan", str(app), "--fail-on", "none", "--format", "json").stdout)["findings"]
                   if f["rule_id"] == "PY102")
    assert finding["severity"] == "critical" and finding["message"].startswith("Threat JOB-1 is marked mitigated")
    rows = {r["id"]: r for r in json.loads(cli("coverage", str(app), "--format", "json").stdout)["threats"]}
    assert rows["JOB-1"]["status"] == "violated" and rows["JOB-1"]["findings"] == 1


def test_escalation_needs_evidence(catalog):
    from threatscan.model import Finding, Location, Severity
    from threatscan.threats.threatmodel import adjust_findings, apply_threat_model, validate

    tm = validate({"system": "s", "threats": [{"id": "A-1", "title": "t", "stride": ["tampering"], "status": "mitigated",
                                               "severity": "critical", "controls": ["PY401"]}]}, "tm.yaml", {}, catalog)
    apply_threat_model(catalog, tm)
    seen = Finding("PY401", Location("a.py", 3), "SQL built from request data.", Severity.HIGH, ("A-1",), evidence="flow")
    unseen = seen.with_(evidence="review", severity=Severity.LOW, message="SQL built by formatting a value of unseen origin.")
    flow, review = adjust_findings([seen, unseen], tm)
    assert flow.severity == Severity.CRITICAL and flow.properties["violatesMitigatedThreats"] == ["A-1"]
    assert review.severity == Severity.LOW and "violatesMitigatedThreats" not in review.properties
    assert review.message == unseen.message


def test_accepted_threats_are_reported_as_accepted(tmp_path):
    app = _jobs_repo(tmp_path)
    (app / "threatmodel.yaml").write_text(SUGGESTED.replace("status: mitigated", "status: accepted").replace(
        'suggested-controls: ["threat:TS-EXEC-CODE"]', 'controls: ["threat:TS-EXEC-CODE"]'))
    finding = next(f for f in json.loads(cli("scan", str(app), "--fail-on", "none", "--format", "json").stdout)["findings"]
                   if f["rule_id"] == "PY102")
    assert finding["properties"]["acceptedThreats"] == ["JOB-1"] and "marked mitigated" not in finding["message"]
    text = cli("coverage", str(app)).stdout
    assert "JOB-1          accepted" in text and "VIOLATED" not in text


def test_coverage_calls_nothing_clean_that_no_rule_looked_at(tmp_path):
    app = tmp_path / "repo"
    app.mkdir()
    (app / "app.py").write_text("def total(items):\n    return sum(i.price for i in items)\n")
    (app / "threatmodel.yaml").write_text(
        "system: Shop\nthreats:\n"
        "  - {id: S-1, title: Cognito pool accepts short passwords, stride: [spoofing], controls: [IAC131]}\n"
        "  - {id: S-2, title: Plain HTTP, stride: [information-disclosure], controls: [\"threat:TS-TRANSIT\"]}\n"
        "  - {id: S-3, title: Shell injection, stride: [tampering], controls: [PY101]}\n")
    rows = {r["id"]: r for r in json.loads(cli("coverage", str(app), "--format", "json").stdout)["threats"]}
    assert rows["S-1"]["status"] == "unchecked" and rows["S-1"]["idle_rules"] == ["IAC131"]  # no template at all
    assert rows["S-2"]["status"] == "unchecked"  # no HTTP client, no TLS setting, no manifest to look at
    assert rows["S-3"]["status"] == "unchecked"  # no process is started anywhere
    (app / "app.py").write_text("import subprocess\n\n\ndef listing():\n    return subprocess.run(['ls', '-l'], shell=False)\n")
    rows = {r["id"]: r for r in json.loads(cli("coverage", str(app), "--format", "json").stdout)["threats"]}
    assert rows["S-3"]["status"] == "checked-clean" and rows["S-3"]["rules"] == ["PY101"]


# --- every policy number bites ------------------------------------------------------------------------------------

COGNITO = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Users:
    Type: AWS::Cognito::UserPool
    Properties:
      MfaConfiguration: "ON"
      Policies:
        PasswordPolicy:
          MinimumLength: 9
"""
USAGE_PLAN = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      Throttle: {RateLimit: 10, BurstLimit: 20}
"""
STAGE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Get:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Api, ResourceId: !GetAtt Api.RootResourceId, HttpMethod: GET, AuthorizationType: NONE}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10}]
"""
TABLE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/orders}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
"""
JWT = ("import datetime\nimport jwt\n\n\ndef issue(key):\n    now = datetime.datetime.now(datetime.timezone.utc)\n"
       "    return jwt.encode({'sub': 'u', 'exp': now + datetime.timedelta(days=10)}, key, algorithm='HS256')\n")
DJANGO = ("AUTH_PASSWORD_VALIDATORS = [\n    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator',"
          " 'OPTIONS': {'min_length': 9}},\n]\n")

# key: (file name, content, rule, a policy value the file breaks, one it meets)
POLICY_CASES = {
    "password-min-length": [("pool.yaml", COGNITO, "IAC131", 14, 8), ("settings.py", DJANGO, "PY530", 14, 8)],
    "bcrypt-min-rounds": [("hash.py", "import bcrypt\n\n\ndef salt():\n    return bcrypt.gensalt(11)\n", "PY509", 12, 10)],
    "pbkdf2-sha1-min-iterations": [("kdf.py", "import hashlib\n\n\ndef k(p, s):\n    return hashlib.pbkdf2_hmac('sha1', p, s, 1400000)\n", "PY509", 1500000, 1300000)],
    "pbkdf2-sha256-min-iterations": [("kdf.py", "import hashlib\n\n\ndef k(p, s):\n    return hashlib.pbkdf2_hmac('sha256', p, s, 700000)\n", "PY509", 800000, 600000)],
    "pbkdf2-sha512-min-iterations": [("kdf.py", "import hashlib\n\n\ndef k(p, s):\n    return hashlib.pbkdf2_hmac('sha512', p, s, 300000)\n", "PY509", 400000, 210000)],
    "jwt-max-lifetime-days": [("tokens.py", JWT, "PY504", 7, 14)],
    "rate-limit-authenticated": [("plan.yaml", USAGE_PLAN, "IAC121", 100, 1000)],
    "rate-limit-unauthenticated": [("api.yaml", STAGE, "IAC121", 20, 600)],
    "rpo-minutes": [("table.yaml", TABLE, "IAC144", 1, 5)],
}


def test_every_policy_key_is_read_by_a_rule(catalog):
    from threatscan.threats.threatmodel import POLICY

    assert set(POLICY) == set(POLICY_CASES), "a policy key no test shows biting is not offered"
    for name, key in POLICY.items():
        assert key.rules and all(r in catalog.rules for r in key.rules), name
        assert {case[2] for case in POLICY_CASES[name]} <= set(key.rules)


@pytest.mark.parametrize("key, case", [(k, c) for k, cases in POLICY_CASES.items() for c in cases],
                         ids=[f"{k}-{c[2]}" for k, cases in POLICY_CASES.items() for c in cases])
def test_policy_number_changes_what_the_rule_reports(tmp_path, key, case):
    name, content, rule, breaks, meets = case
    app = tmp_path / "app"
    app.mkdir()
    (app / name).write_text(content)
    results = {}
    for value in (breaks, meets):
        (tmp_path / "tm.yaml").write_text(f"system: s\npolicy:\n  {key}: {value}\nthreats:\n"
                                          f"  - {{id: P-1, title: t, stride: [spoofing], controls: [{rule}]}}\n")
        out = cli("scan", str(app), "--fail-on", "none", "--format", "json", "--select", rule,
                  "--threat-model", str(tmp_path / "tm.yaml"))
        assert out.returncode == 0, out.stderr
        results[value] = [f for f in json.loads(out.stdout)["findings"] if f["rule_id"] == rule]
    assert results[breaks], f"{rule} should report against {key}: {breaks}"
    assert str(breaks) in results[breaks][0]["message"] or key in results[breaks][0]["message"] or rule.startswith("PY5")
    assert not results[meets], f"{rule} should accept {key}: {meets}: {results[meets]}"
    cov = json.loads(cli("coverage", str(app), "--format", "json", "--select", rule,
                         "--threat-model", str(tmp_path / "tm.yaml")).stdout)["threats"][0]
    assert cov["status"] == "checked-clean" and f"{rule}: {key} = {meets}" in cov["compared"]


def test_example_ids_appear_only_when_that_example_is_the_active_model():
    legacy = ("WEBSTORE-", "ECOM-", "CATER-", "APIGW-", "STRIDE-")
    plain = json.loads(cli("scan", str(REPO_DIR), "--fail-on", "none", "--format", "json").stdout)["findings"]
    assert plain and all(t.startswith("TS-") for f in plain for t in f["threats"])
    assert not any(p in f["message"] for f in plain for p in legacy), "messages never name threat ids"
    ecom = json.loads(cli("scan", str(REPO_DIR), "--fail-on", "none", "--format", "json", "--threat-model",
                          str(REPO / "examples" / "ecom.threatmodel.yaml")).stdout)["findings"]
    threats = {f["rule_id"]: f["threats"] for f in ecom}
    assert threats["PY104"][:1] == ["ECOM-2"] and "TS-EXEC-CODE" in threats["PY104"]
    assert not any(t.startswith(("APIGW-", "CATER-", "STRIDE-", "WEBSTORE-")) for ts in threats.values() for t in ts)
