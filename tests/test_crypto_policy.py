"""Authentication, crypto and transport rules (PY501-PY510): the policy numbers they take from the threat model,
and URLs with credentials that must never show in a finding."""

from __future__ import annotations

import threatscan.scan as scan_module
from threatscan.scan import ScanOptions, run_scan

TOKENS = """\
import jwt
from datetime import datetime, timedelta

def issue(user, key):
    month = jwt.encode({"sub": user, "exp": datetime.utcnow() + timedelta(days=30)}, key)
    days = jwt.encode({"sub": user, "exp": datetime.utcnow() + timedelta(days=3)}, key)
    return month, days
"""

HASHES = """\
import bcrypt

def store(password):
    return bcrypt.hashpw(password, bcrypt.gensalt(rounds=10))
"""


REAL_CONTEXT = scan_module.ScanContext


def scan(tmp_path, catalog, monkeypatch, source, **policy):
    (tmp_path / "app.py").write_text(source)
    monkeypatch.setattr(scan_module, "ScanContext", lambda **kw: REAL_CONTEXT(**kw, options=dict(policy)))
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path), catalog)
    return [(f.rule_id, f.location.line, f.message) for f in result.findings]


def test_jwt_lifetime_default_is_the_threat_models_seven_days(tmp_path, catalog, monkeypatch):
    found = scan(tmp_path, catalog, monkeypatch, TOKENS)
    assert [(r, line) for r, line, _ in found] == [("PY504", 5)]
    assert "30 days, longer than the threat model's limit of 7 days" in found[0][2]


def test_jwt_lifetime_follows_the_policy(tmp_path, catalog, monkeypatch):
    assert scan(tmp_path, catalog, monkeypatch, TOKENS, jwt_max_lifetime_days=60) == []
    strict = scan(tmp_path, catalog, monkeypatch, TOKENS, jwt_max_lifetime_days=1)
    assert [(r, line) for r, line, _ in strict] == [("PY504", 5), ("PY504", 6)]


def test_bcrypt_minimum_follows_the_policy(tmp_path, catalog, monkeypatch):
    assert scan(tmp_path, catalog, monkeypatch, HASHES) == []  # the model's 10 rounds
    found = scan(tmp_path, catalog, monkeypatch, HASHES, bcrypt_min_rounds=12)
    assert [(r, line) for r, line, _ in found] == [("PY509", 4)]
    assert "cost of 10, below the threat model's 12" in found[0][2]


def test_http_url_with_credentials_never_shows_the_password(tmp_path, catalog):
    (tmp_path / "client.py").write_text('PARTNER_URL = "http://shop:Zq8vR2mXk4pL@api.partner-shop.com/v1"\n')
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path, select=("PY507",)), catalog)
    assert [f.rule_id for f in result.findings] == ["PY507"]
    finding = result.findings[0]
    assert "api.partner-shop.com" in finding.message
    assert "Zq8vR2mXk4pL" not in finding.message + finding.snippet
