"""bench/score_sample.py: the real-code sample's scorer, on a synthetic verdict file and scan result."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCORER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "score_sample.py")
HEADER = "sample\tproject\tpath\tline\trule\tfamily\tverdict\tcause\tnote"


def finding(rule, path, line, severity="high", evidence="", code_kind="", suppression=None):
    return {"rule_id": rule, "location": {"path": path, "line": line}, "message": f"{rule} here", "severity": severity,
            "flow": [], "evidence": evidence, "code_kind": code_kind, "suppression": suppression, "properties": {}}


def write_scan(directory, project, findings):
    directory.mkdir(exist_ok=True)
    (directory / f"{project}.json").write_text(json.dumps({"findings": findings}), encoding="utf-8")


def write_verdicts(path, rows):
    lines = [HEADER] + ["\t".join(("main", p, f, str(n), r, "", v, c, "")) for p, f, n, r, v, c in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(*args):
    proc = subprocess.run([sys.executable, SCORER, *map(str, args)], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout


def row(out, family):
    return next(line for line in out.splitlines() if line.startswith(f"| {family} |"))


def test_counts_the_gate_tier_and_every_sampled_finding_with_wilson_intervals(tmp_path):
    write_scan(tmp_path / "scans", "app", [
        finding("PY403", "app/views.py", 10),                                   # gate, true
        finding("PY403", "app/views.py", 20),                                   # gate, false
        finding("PY403", "app/views.py", 30, evidence="review"),                # review: sampled, not gate
        finding("PY403", "tests/test_views.py", 5, code_kind="test"),          # test code: sampled, not gate
        finding("PY403", "app/views.py", 40, severity="low"),                   # low: not sampled
        finding("PY403", "app/views.py", 50, suppression={"kind": "inline"}),   # suppressed: not sampled
        finding("PY505", "app/net.py", 3, severity="medium"),                  # gate, true
        finding("PY203", "app/settings.py", 1),                                 # secrets sample, gate, false
    ])
    write_verdicts(tmp_path / "v.tsv", [
        ("app", "app/views.py", 10, "PY403", "true", "real"),
        ("app", "app/views.py", 20, "PY403", "false", "query-only"),
        ("app", "app/views.py", 30, "PY403", "false", "validator"),
        ("app", "tests/test_views.py", 5, "PY403", "false", "test-code"),
        ("app", "app/net.py", 3, "PY505", "true", "real"),
        ("app", "app/settings.py", 1, "PY203", "false", "not-secret"),
    ])
    code, out = run(tmp_path / "v.tsv", tmp_path / "scans")
    assert code == 0, out
    assert "6 findings" in out and "0 without a verdict" in out
    # gate: 2 of which 1 true (Wilson 9-91%); every sampled: 4 of which 1 true
    assert row(out, "web data flow") == "| web data flow | 2 | 1 | 50% | 9-91% | 4 | 1 | 25% | 5-70% |"
    assert row(out, "crypto/TLS").startswith("| crypto/TLS | 1 | 1 | 100% | 21-100% |")
    assert row(out, "all but secrets").startswith("| all but secrets | 3 | 2 | 67% |")
    assert row(out, "secrets").startswith("| secrets | 1 | 0 | 0% | 0-79% |")
    assert row(out, "all, secrets included").startswith("| all, secrets included | 4 | 2 | 50% |")
    assert "by cause: not-secret 1, query-only 1" in out   # only false findings at the gate tier
    assert "SQL" not in out


def test_reports_sampled_findings_without_a_verdict_and_fails(tmp_path):
    write_scan(tmp_path / "scans", "app", [finding("PY401", "app/db.py", 7), finding("PY401", "app/db.py", 9)])
    write_verdicts(tmp_path / "v.tsv", [("app", "app/db.py", 7, "PY401", "false", "by-design")])
    code, out = run(tmp_path / "v.tsv", tmp_path / "scans")
    assert code == 1
    assert "1 without a verdict" in out
    assert [line.split("\t")[1:5] for line in out.splitlines() if line.startswith("NO VERDICT")] == [
        ["app", "app/db.py", "9", "PY401"]]
    assert row(out, "SQL").startswith("| SQL | 1 | 0 | 0% |")


def test_follows_the_baseline_gate_tier_into_the_final_scan(tmp_path):
    write_scan(tmp_path / "base", "app", [finding("PY403", "a.py", 1), finding("PY408", "b.py", 2),
                                          finding("PY408", "c.py", 3)])
    write_scan(tmp_path / "final", "app", [finding("PY403", "a.py", 1),
                                           finding("PY408", "b.py", 2, severity="low", evidence="review")])
    write_verdicts(tmp_path / "v.tsv", [("app", "a.py", 1, "PY403", "false", "query-only"),
                                        ("app", "b.py", 2, "PY408", "true", "real"),
                                        ("app", "c.py", 3, "PY408", "false", "stored-row")])
    code, out = run(tmp_path / "v.tsv", tmp_path / "final", "--base", tmp_path / "base")
    assert code == 0, out
    assert "true 0 stayed, 1 left; false 1 stayed, 1 left" in out
    assert "true finding left the gate tier: app b.py:2 PY408 (now low review)" in out


def test_the_cap_holds_back_a_seventh_finding_of_a_rule_unless_uncapped(tmp_path):
    write_scan(tmp_path / "scans", "app", [finding("PY507", "u.py", n, severity="medium") for n in range(1, 8)])
    write_verdicts(tmp_path / "v.tsv", [("app", "u.py", n, "PY507", "false", "public-data") for n in range(1, 7)])
    code, out = run(tmp_path / "v.tsv", tmp_path / "scans")
    assert code == 0 and "6 findings" in out
    code, out = run(tmp_path / "v.tsv", tmp_path / "scans", "--uncapped")
    assert code == 1 and "7 findings" in out and "NO VERDICT\tapp\tu.py\t7\tPY507" in out


def test_pool_verdicts_counts_a_rules_judged_gate_findings_across_the_shipped_samples(capsys):
    """bench/pool_verdicts.py over docs/accuracy-3*-verdicts.tsv: the table the rules that need evidence were chosen
    from (PY501: no true finding among the judged gate findings of twelve samples)."""
    sys.path.insert(0, os.path.dirname(SCORER))
    import pool_verdicts

    docs = os.path.join(os.path.dirname(os.path.dirname(SCORER)), "docs")
    rows = pool_verdicts.pooled(docs, None, main_only=False)
    twelve = set("defghijklmno")  # (later samples judged a PY501 true: §3ae's Blue Button)
    py501 = [r for r in rows if r["rule"] == "PY501" and r["s"] in twelve]
    assert len(py501) >= 10 and not any(r["verdict"].startswith("true") for r in py501)
    assert {r["s"] for r in rows} >= set("defghijklmnopqr")
    assert pool_verdicts.main(["--docs", docs, "--rule", "PY501", "--samples", "k,l,m,n,o"]) == 0
    out = capsys.readouterr().out
    assert "| PY501 | 0 |" in out and "§3o" in out


def test_verdicts_now_joins_a_scans_gate_findings_with_their_verdicts(tmp_path, capsys):
    """bench/verdicts_now.py: the gate-tier findings a scan reports now, each with the verdict a sample gave it (by
    project, path, line and rule) or none, counted by rule and evidence (session 15's method)."""
    sys.path.insert(0, os.path.dirname(SCORER))
    import verdicts_now

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "accuracy-3z-verdicts.tsv").write_text(
        "project\tpath\tline\trule\tverdict\tcause\tnote\n"
        "shop\tapp.py\t3\tPY205\tfalse\tnot-secret\ta job id\n"
        "shop\tapp.py\t9\tPY205\ttrue\treal\tthe API key\n")
    results = tmp_path / "scans"
    results.mkdir()

    def finding(line: int, severity: str, evidence: str) -> dict:
        return {"rule_id": "PY205", "location": {"path": "app.py", "line": line}, "severity": severity,
                "evidence": "", "code_kind": "", "suppression": None, "properties": {"secretEvidence": evidence}}

    (results / "shop.json").write_text(json.dumps({"findings": [
        finding(3, "medium", "it comes from the request (the credential a client sent)"),
        finding(9, "medium", "it is a setting of the configuration"),
        finding(12, "medium", "it is a setting of the configuration"),
        finding(15, "low", "name only")]}))
    rows = verdicts_now.joined(str(results), str(docs), {})
    assert [(r["evidence"], r["verdict"]) for r in rows] == [
        ("it comes from the request", "false"), ("it is a setting of the configuration", "true"),
        ("it is a setting of the configuration", "?")]  # the low finding is not at the gate tier
    assert verdicts_now.main([str(results), "--docs", str(docs), "--rule", "PY205"]) == 0
    out = capsys.readouterr().out
    assert "3 gate-tier findings, 2 judged: 1 true (50%" in out
    assert "| PY205 | it is a setting of the configuration | 1 | 1 | 1 |" in out and "not-secret 1" in out
