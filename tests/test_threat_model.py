"""The user's own threat model: findings keyed to its ids in every format, policy numbers, coverage, imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, REPO, validate_multitool, validate_schema

MODELS = REPO / "tests" / "data" / "threat-models"  # the five example models, as written

from threatscan.threatmodel import ThreatModelError, load_threat_model

REPO_DIR = FIXTURES / "threat-model-repo"
MODEL = REPO_DIR / "threatmodel.yaml"


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def scan(*args: str) -> subprocess.CompletedProcess:
    return cli("scan", str(REPO_DIR), "--fail-on", "none", "--threat-model", str(MODEL), *args)


def test_findings_carry_the_models_ids_in_every_format(tmp_path):
    out = scan("--format", "json", "--output", str(tmp_path / "r.json"), "--format", "sarif", "--output",
               str(tmp_path / "r.sarif"), "--format", "markdown", "--output", str(tmp_path / "r.md"),
               "--format", "text", "--no-color")
    assert out.returncode == 0, out.stderr
    findings = {f["rule_id"]: f for f in json.loads((tmp_path / "r.json").read_text())["findings"]}
    assert findings["PY104"]["threats"][0] == "ORD-1" and "ECOM-2" in findings["PY104"]["threats"]
    assert findings["PY503"]["threats"][0] == "ORD-2"
    assert "[ORD-1, ECOM-2" in out.stdout
    md = (tmp_path / "r.md").read_text()
    assert "| ORD-1 |" in md and "Threat coverage: Orders service" in md
    log = json.loads((tmp_path / "r.sarif").read_text())
    run = log["runs"][0]
    taxa = {t["id"]: t for t in run["taxonomies"][0]["taxa"]}
    assert taxa["ORD-1"]["shortDescription"]["text"] == "Order handlers run attacker-controlled code"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "PY104")
    assert "threat/ORD-1" in rule["properties"]["tags"]
    result = next(r for r in run["results"] if r["ruleId"] == "PY104")
    assert result["taxa"][0]["id"] == "ORD-1"
    assert validate_schema(log) == []
    checked = validate_multitool(tmp_path / "r.sarif")
    assert checked.returncode == 0, checked.stdout + checked.stderr


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
    ("system: s\nthreats:\n  - id: A\n    title: t\n    stride: [tamper-ing]\n", ":5: threats.0.stride: unknown STRIDE"),
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
    assert {t.id for t in tm.threats} == {t.id for t in catalog.threats.values() if t.model == model_id}


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
    assert "threat:ECOM-2" in by_id["T-2"]["suggested-controls"]
    assert "threat:ECOM-6" in by_id["T-6"]["suggested-controls"]
    load_threat_model(tmp_path / "tm.yaml", catalog)  # the import is a valid model


def test_import_api_gateway_table_reads_stated_stride(tmp_path):
    data = imported(MODELS / "apigw.md", tmp_path)
    by_id = {t["id"]: t for t in data["threats"]}
    assert len(by_id) == 10
    assert by_id["T-10"]["title"] == "Session Hijacking" and by_id["T-10"]["stride"] == ["spoofing"]
    assert by_id["T-2"]["stride"] == ["elevation-of-privilege"]  # stated in the Category column
    assert "threat:APIGW-10" in by_id["T-10"]["suggested-controls"]


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
    assert json.loads(out.stdout)["findings"][0]["threats"][0] == "BIL-7"


def test_threat_dragon_model_is_read_and_imported(tmp_path, catalog):
    td = {
        "version": "2.2.0",
        "summary": {"title": "Payments", "owner": "team"},
        "detail": {"diagrams": [{"title": "Main", "cells": [
            {"shape": "process", "data": {"name": "API", "threats": [
                {"id": "a1", "number": 3, "title": "SQL injection in the payments API", "type": "Tampering",
                 "status": "Mitigated", "severity": "High", "description": "Queries built from request strings",
                 "mitigation": "Parameterised queries"},
                {"id": "a2", "number": 4, "title": "Session hijacking", "type": "Spoofing", "status": "Open",
                 "description": "Session cookies without Secure and HttpOnly flags"},
            ]}},
        ]}]},
    }
    path = tmp_path / "payments.json"
    path.write_text(json.dumps(td))
    tm = load_threat_model(path, catalog)
    assert [(t.id, t.stride, t.status) for t in tm.threats] == [
        ("TD-3", ("tampering",), "mitigated"), ("TD-4", ("spoofing",), "open")]
    assert tm.threats[1].suggested, "controls are suggested for the session threat"
    data = imported(path, tmp_path)
    assert [t["id"] for t in data["threats"]] == ["TD-3", "TD-4"]


def test_not_a_threat_dragon_model_is_a_clear_error(tmp_path, catalog):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ThreatModelError, match="not an OWASP Threat Dragon v2 model"):
        load_threat_model(path, catalog)
