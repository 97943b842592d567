"""`threatscan threats import`: what a threat model document says is what the import reads, every threat of it, and
what it cannot read is listed; suggestions are measured against hand labels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

from threatscan.threats.importers import ImportError_, read_document, read_markdown, suggest
from threatscan.threats.threatmodel import load_threat_model, stride_list

MODELS = Path(__file__).parent / "data" / "threat-models"  # the five example models as written, and three others


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


# --- the five example models: every threat they state -------------------------------------------------------------

EXPECTED = {
    "webstore.md": ["One of the expose situation could be a physical catastrophe", "The actualization for server security patches",
                    "Since all the sites hosted in the servers are shopping carts", "The company could be compromising users information"],
    "ecom.md": ["insufficient isolation between logical components", "lambdas allow code execution",
                "insufficiently specified password recovery mechanism", "Compromised Email or Mobile Account",
                "Phishing Attacks", "Exposed Credentials in Execution Environment"],
    "cater.md": ["Data Breach", "Payment Fraud", "Account Takeover", "API Abuse", "XSS Attack", "Dependency Vulns"],
    "apigw.md": ["API Gateway Exploitation", "Data breach", "Database credentials breach", "Insecure API Communications",
                 "Unsecured Android Application", "DDoS Attacks", "Cross-Site Scripting (XSS)",
                 "Inadequate Logging and Monitoring", "Authentication Bypass", "Session Hijacking"],
    "stride.md": ["Attacker impersonates user", "Modified requests", "User denies action", "Data leakage", "System overwhelmed",
                  "User gains admin access",
                  "Credential stuffing attacks", "Brute force login attempts", "JWT token theft or manipulation", "Session hijacking",
                  "SQL injection", "Mass assignment vulnerabilities", "API abuse/scraping", "Denial of service (DoS)",
                  "Data exposure in logs", "Unencrypted data at rest", "Unencrypted data in transit", "Backup data exposure",
                  "Man-in-the-middle attacks", "Insecure data storage", "Reverse engineering", "Certificate pinning bypass",
                  "Unauthorized access to servers", "Container/pod escape", "Exposed management interfaces",
                  "Misconfigured security groups"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_example_models_import_with_every_threat_they_state(name, tmp_path, catalog):
    model = read_document(MODELS / name)
    titles = [r.title for r in model.rows]
    assert len(titles) == len(EXPECTED[name]), titles
    for title, expected in zip(titles, EXPECTED[name]):
        assert title.startswith(expected), (title, expected)
    out = cli("threats", "import", str(MODELS / name), "--output", str(tmp_path / "tm.yaml"))
    assert out.returncode == 0, out.stderr
    tm = load_threat_model(tmp_path / "tm.yaml", catalog)  # the import is a valid model
    assert len(tm.threats) == len(EXPECTED[name])


def test_example_models_keep_what_each_threat_says():
    ecom = {r.id: r for r in read_document(MODELS / "ecom.md").rows}
    assert ecom["T-2"].description.startswith("an attacker could trick the code in a lambda")
    assert ecom["T-6"].mitigation.startswith("1. Implement Least Privilege Access")
    apigw = {r.id: r for r in read_document(MODELS / "apigw.md").rows}
    assert apigw["T-2"].stride == ["elevation-of-privilege"] and apigw["T-2"].stride_stated  # the Category column
    assert apigw["T-10"].stride == ["spoofing"]
    assert apigw["T-1"].stride == [] and not apigw["T-1"].stride_stated  # "Single point of failure" is no STRIDE word
    # the document's row 1 has Description and Interaction swapped: the prose is kept as the description
    assert apigw["T-1"].description.startswith("The single API gateway may become a single point of failure")
    cater = {r.title: r for r in read_document(MODELS / "cater.md").rows}
    assert "SQL injection" in cater["Data Breach"].description  # from the heading, merged with the risk-matrix row
    assert "Likelihood: Medium" in cater["Data Breach"].severity and "Parameterized queries" in cater["Data Breach"].mitigation
    stride = {r.title: r for r in read_document(MODELS / "stride.md").rows}
    assert stride["Data leakage"].stride == ["information-disclosure"]  # the STRIDE table's category column
    assert stride["SQL injection"].id == "T-2.1"  # numbered by the document's own section numbers


# --- tables: any columns, any order, any wording ------------------------------------------------------------------

COLUMN_SETS = [
    ("| ID | Threat | Description | STRIDE | Status | Mitigation |",
     "| TM-1 | Token forgery | Tokens accepted unsigned | Spoofing | Mitigated | Verify signatures |",
     dict(id="TM-1", title="Token forgery", description="Tokens accepted unsigned", stride=["spoofing"], status="mitigated",
          mitigation="Verify signatures")),
    ("| # | Title | Category | Details | Controls | Severity |",
     "| 7 | Shell injection in reports | Elevation of Privilege | Report name reaches a shell | Argument lists | High |",
     dict(id="T-7", title="Shell injection in reports", description="Report name reaches a shell",
          stride=["elevation-of-privilege"], mitigation="Argument lists", severity="Severity: High")),
    ("| Threat ID | Threat Name | STRIDE Category | Risk Level | Mitigation Status | Countermeasures |",
     "| A.3 | Bucket made public | Info disclosure | High | Accepted | Block public access |",
     dict(id="A.3", title="Bucket made public", description="", stride=["information-disclosure"], status="accepted",
          mitigation="Block public access", severity="Risk Level: High")),
    ("| Ref | Risk | Cat. | Likelihood | Impact | Treatment | Owner | State |",
     "| R-9 | Stolen API key abused | S/I | Likely | Severe outage | Rotate keys | ops | In progress |",
     dict(id="R-9", title="Stolen API key abused", description="", stride=["spoofing", "information-disclosure"],
          status="open", mitigation="Rotate keys", severity="Likelihood: Likely; Impact: Severe outage")),
    ("| No. | Vulnerability | Threat scenario | Countermeasure |",
     "| 4 | Weak reset flow | Attacker resets a victim's password | Signed single-use links |",
     dict(id="T-4", title="Weak reset flow", description="Attacker resets a victim's password",
          mitigation="Signed single-use links")),
    ("| Component | Threat | Type | Impact | Likelihood | Response | Status |",
     "| Queue | Poison messages block the worker | DoS | Medium | Low | Dead-letter queue | Open |",
     dict(title="Poison messages block the worker", description="", stride=["denial-of-service"], status="open",
          mitigation="Dead-letter queue", severity="Impact: Medium; Likelihood: Low")),
    ("| Mitigation | Risk | Ref | STRIDE |",
     "| Never build shell commands | Remote code execution in jobs | BIL-7 | EoP |",
     dict(id="BIL-7", title="Remote code execution in jobs", stride=["elevation-of-privilege"],
          mitigation="Never build shell commands")),
    ("| Key | Summary | Classification | Priority | Resolution |",
     "| SEC-12 | Debug console reachable in production | Elevation of privilege | P1 | Fixed |",
     dict(id="SEC-12", title="Debug console reachable in production", stride=["elevation-of-privilege"],
          status="mitigated", severity="Priority: P1")),
    ("| Finding | Severity | Description | Remediation | State |",
     "| Cookies without Secure | Medium | Session cookie sent over HTTP | Set Secure | Risk accepted |",
     dict(title="Cookies without Secure", description="Session cookie sent over HTTP", status="accepted",
          mitigation="Set Secure", severity="Severity: Medium")),
    ("| Abuse case | Attacker goal | Threat type | Safeguards | Decision |",
     "| Scrape the catalogue | Copy prices | Information Disclosure, Denial of Service | Rate limits | Not applicable |",
     dict(title="Scrape the catalogue", stride=["information-disclosure", "denial-of-service"], status="accepted",
          mitigation="Rate limits")),
    ("| Item | Weakness | Explanation | Rating | Fix |",
     "| 3 | XML entities resolved | Supplier feeds parsed with DTDs on | 8.1 | defusedxml |",
     dict(id="T-3", title="XML entities resolved", description="Supplier feeds parsed with DTDs on",
          mitigation="defusedxml", severity="Rating: 8.1")),
    ("| Threat | Example | Mitigation |",
     "| **Repudiation** | User denies action | Audit logging |",
     dict(title="User denies action", stride=["repudiation"], mitigation="Audit logging")),
]


@pytest.mark.parametrize("header, row, expected", COLUMN_SETS, ids=[c[0][:40] for c in COLUMN_SETS])
def test_a_table_is_read_by_what_its_columns_name(header, row, expected):
    separator = "|" + "|".join("---" for _ in header.strip("|").split("|")) + "|"
    doc = f"# Threats of the billing service\n\n## Threat register\n\n{header}\n{separator}\n{row}\n"
    rows = read_markdown(doc).rows
    assert len(rows) == 1
    got = rows[0]
    for key, value in expected.items():
        assert getattr(got, key) == value, (key, getattr(got, key), value)
    if "stride" in expected:
        assert got.stride_stated


def test_impact_is_not_the_description_and_status_is_not_dropped():
    doc = ("| Threat | Impact | Status | Mitigation |\n|---|---|---|---|\n"
           "| SQL injection in search | Customer data read | Mitigated | Bound parameters |\n")
    row = read_markdown(doc).rows[0]
    assert row.description == "" and row.severity == "Impact: Customer data read"
    assert row.status == "mitigated" and row.mitigation == "Bound parameters"


# --- lists, headings, prose ---------------------------------------------------------------------------------------

LISTS = """# Mobile banking threat model

## Assets
- Account data
- Session tokens

## Threats

1. Token theft from device storage
2. **Certificate pinning bypass** - an attacker with a user-installed CA reads the traffic
   - Mitigation: pin the API certificate
3) Reverse engineering of the APK (High)

## Risks
* [ ] Unencrypted backups of the SQLite database
* [x] Exported activity opens arbitrary deep links

## Mitigations
- Use the Android Keystore
"""


def test_numbered_and_bulleted_lists_under_threat_headings():
    rows = read_markdown(LISTS).rows
    assert [r.title for r in rows] == ["Token theft from device storage", "Certificate pinning bypass",
                                      "Reverse engineering of the APK", "Unencrypted backups of the SQLite database",
                                      "Exported activity opens arbitrary deep links"]
    pinning = rows[1]
    assert pinning.description.startswith("an attacker with a user-installed CA") and pinning.mitigation == "pin the API certificate"
    assert rows[2].severity == "High"


HEADINGS = """# Threat model: payments API

## Threats

### TM-01: Forged webhook calls
**STRIDE**: Spoofing
**Description**: The provider's callbacks are accepted without checking their signature.
**Status**: Mitigated
**Mitigation**: Verify the HMAC header.

### TM-02: Card data in logs (High Risk)
Request bodies with card numbers are logged at debug level.

**Controls**:
- Mask PANs in the log formatter

## Threat actors

### Fraudsters
Motivation: money.
"""


def test_a_heading_per_threat():
    rows = read_markdown(HEADINGS).rows
    assert [(r.id, r.title) for r in rows] == [("TM-01", "Forged webhook calls"), ("TM-02", "Card data in logs")]
    first, second = rows
    assert first.stride == ["spoofing"] and first.status == "mitigated" and first.mitigation == "Verify the HMAC header."
    assert first.description.startswith("The provider's callbacks")
    assert second.severity == "High" and "Mask PANs" in second.mitigation
    assert "logged at debug level" in second.description


@pytest.mark.parametrize("text, expected", [
    ("Info disclosure", ["information-disclosure"]), ("Information Disclosure", ["information-disclosure"]),
    ("I", ["information-disclosure"]), ("ID", ["information-disclosure"]), ("Info. Disclosure", ["information-disclosure"]),
    ("Spoofing, Tampering", ["spoofing", "tampering"]), ("S/T", ["spoofing", "tampering"]), ("STI", ["spoofing", "tampering", "information-disclosure"]),
    ("DoS", ["denial-of-service"]), ("DDoS", ["denial-of-service"]), ("Denial-of-Service", ["denial-of-service"]),
    ("EoP", ["elevation-of-privilege"]), ("Elevation of privileges", ["elevation-of-privilege"]),
    ("Privilege escalation", ["elevation-of-privilege"]), ("Repudiation", ["repudiation"]), ("(T) Tampering", ["tampering"]),
    ("STRIDE: I, D", ["information-disclosure", "denial-of-service"]), ("Single point of failure", []), ("Credentials breach", []),
])
def test_stride_words_and_abbreviations(text, expected):
    assert stride_list(text) == expected


# --- other tools' formats -----------------------------------------------------------------------------------------

def test_threat_dragon_v1(tmp_path):
    model = read_document(MODELS / "payments-td-v1.json")
    assert model.format == "threat-dragon-v1" and model.system == "Payments gateway"
    by_title = {r.title: r for r in model.rows}
    assert len(by_title) == 9
    assert by_title["Data flow should use HTTP/S"].status == "mitigated"
    assert by_title["Poison messages"].status == "accepted"  # "N/A"
    assert by_title["Stack traces shown to shoppers"].stride == ["information-disclosure"]
    assert any("neither title nor description" in u for u in model.unread)


def test_threat_dragon_v2_read_directly_as_the_model(tmp_path, catalog):
    td = {"version": "2.2.0", "summary": {"title": "Payments"}, "detail": {"diagrams": [{"cells": [
        {"shape": "process", "data": {"name": "API", "threats": [
            {"number": 3, "title": "SQL injection in the payments API", "type": "Tampering", "status": "Mitigated",
             "description": "Queries built from request strings", "mitigation": "Parameterised queries"},
            {"number": 4, "title": "Session hijacking", "type": "Spoofing", "status": "Open",
             "description": "Session cookies without Secure and HttpOnly flags"}]}}]}]}}
    path = tmp_path / "payments.json"
    path.write_text(json.dumps(td))
    tm = load_threat_model(path, catalog)
    assert [(t.id, t.stride, t.status) for t in tm.threats] == [("TD-3", ("tampering",), "mitigated"),
                                                              ("TD-4", ("spoofing",), "open")]
    assert tm.threats[0].suggested == ("threat:TS-INJ-SQL",) and tm.threats[0].controls == ()
    assert tm.threats[1].suggested == ("threat:TS-SESSION",)


def test_pytm_json_report(tmp_path):
    report = {"name": "Shop", "findings": [
        {"id": "1", "threat_id": "INP02", "target": "Web Server", "description": "Overflow Buffers", "details": "...",
         "severity": "High", "mitigations": "Bounds checks", "response": ""},
        {"id": "2", "threat_id": "DE01", "target": "Login flow", "description": "Interception",
         "details": "An adversary monitors data streams in transit", "severity": "Medium",
         "mitigations": "Use TLS", "response": "mitigated"},
        {"id": "3", "threat_id": "X", "target": "t", "description": ""}]}
    path = tmp_path / "tm.json"
    path.write_text(json.dumps(report))
    model = read_document(path)
    assert model.format == "pytm" and model.system == "Shop"
    assert [(r.id, r.title, r.status) for r in model.rows] == [
        ("INP02-1", "Overflow Buffers (Web Server)", "open"), ("DE01-2", "Interception (Login flow)", "mitigated")]
    assert model.unread == ["finding 3 (X): no description"]


def test_threagile_model(catalog):
    model = read_document(MODELS / "shop-threagile.yaml")
    by_id = {r.id: r for r in model.rows}
    assert by_id["sql-nosql-injection@orders-api@customer-db"].status == "mitigated"
    assert by_id["sql-nosql-injection@orders-api@customer-db"].title == "Sql nosql injection at Orders API, Customer Database"
    assert by_id["unencrypted-asset@customer-db"].status == "accepted"
    assert by_id["unencrypted-communication@web-frontend@orders-api"].status == "open"  # in-progress
    assert by_id["hard-coded-provider-key@web-frontend"].stride == ["information-disclosure"]
    assert any("wontfix-maybe" in u for u in model.unread)
    tm = load_threat_model(MODELS / "shop-threagile.yaml", catalog)  # read directly as the model
    assert len(tm.threats) == len(model.rows)


def test_nothing_lost_silently(tmp_path):
    doc = tmp_path / "tm.md"
    doc.write_text("# Risks\n\n| ID | Threat | Status |\n|---|---|---|\n| 1 | Replay of payment calls | Kinda |\n"
                   "| 2 |  | Open |\n\n## Attack surface\n\nSee the diagram.\n")
    out = cli("threats", "import", str(doc), "--output", str(tmp_path / "tm.yaml"))
    assert out.returncode == 0, out.stderr
    assert "line 5: status 'Kinda'" in out.stderr and "line 6: table row without a threat title" in out.stderr
    assert "#   line 6: table row without a threat title" in (tmp_path / "tm.yaml").read_text()


def test_a_document_without_threats_is_a_clear_error(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("# Team notes\n\nWe met on Tuesday.\n")
    with pytest.raises(ImportError_, match="no threats found"):
        read_document(doc)


# --- suggestions by meaning ---------------------------------------------------------------------------------------

def _precision(names, catalog):
    labels = yaml.safe_load((MODELS / "labels.yaml").read_text())
    right = wrong = 0
    for name in names:
        for row in read_document(MODELS / name).rows:
            key = next(k for k in labels[name] if row.title.startswith(k))
            ok = set()
            for label in labels[name][key]:
                ok |= set(catalog.generalising(label)) if label in catalog.examples else {label}
            got = suggest(row.title, row.description, catalog, row.mitigation)
            right += sum(1 for g in got if g in ok)
            wrong += sum(1 for g in got if g not in ok)
    return right, wrong


@pytest.mark.parametrize("names", [["webstore.md", "ecom.md", "cater.md", "apigw.md", "stride.md"],
                                   ["payments-td-v1.json", "risk-register.md", "shop-threagile.yaml"]],
                         ids=["five-example-models", "three-other-models"])
def test_suggestions_are_right_at_least_nine_times_in_ten(names, catalog):
    right, wrong = _precision(names, catalog)
    assert right + wrong >= 20, "enough suggestions to measure"
    assert right / (right + wrong) >= 0.9, (right, wrong)


@pytest.mark.parametrize("title, description, never", [
    ("Fake messages could be placed on the queue", "An attacker with network access could enqueue forged messages", "TS-NET-EXPOSED"),
    ("Poison messages", "A malformed message blocks the worker", "TS-DATA-CARD"),
    ("Data flow should use HTTP/S", "Requests over the public internet could be intercepted", "TS-SESSION"),
    ("Stakeholders disagree about the forecast", "Access to data by users of the system", "TS-PRIV-IAM"),
])
def test_shared_everyday_words_suggest_nothing_wrong(title, description, never, catalog):
    assert never not in suggest(title, description, catalog)


def test_the_issues_threat_dragon_scenario(tmp_path):
    """After reading a Threat Dragon model directly: an SSH port open to the world violates none of its message-queue
    threats, nothing becomes critical through a suggestion, and a threat whose only controls are suggestions is not
    "checked and clean"."""
    app = tmp_path / "repo"
    app.mkdir()
    (app / "sg.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Ssh:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
        "      GroupDescription: ssh\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n")
    model = MODELS / "payments-td-v1.json"
    out = cli("scan", str(app), "--fail-on", "none", "--format", "json", "--threat-model", str(model))
    assert out.returncode == 0, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert findings and all(f["severity"] != "critical" for f in findings)
    fake = next(r for r in read_document(model).rows if r.title.startswith("Fake messages"))
    assert all(fake.id not in f["threats"] for f in findings)
    rows = {r["title"]: r for r in json.loads(cli("coverage", str(app), "--format", "json", "--threat-model", str(model)).stdout)["threats"]}
    assert rows["Data flow should use HTTP/S"]["status"] == "unchecked"
    assert all(r["status"] != "checked-clean" for r in rows.values())


@pytest.mark.parametrize("title, wrong", [("API key leaked from Lambda env", "TS-INJ-SQL"),
                                          ("Poison messages", "TS-DATA-CARD")])
def test_the_issues_wrong_links_are_not_suggested(title, wrong, catalog):
    assert wrong not in suggest(title, "", catalog)
