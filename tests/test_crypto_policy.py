"""Authentication, crypto and transport rules (PY501-PY510): the policy numbers they take from the threat model,
read from the user's threatmodel.yaml (else the STRIDE model's defaults), and URLs with credentials that must never show in a finding."""

from __future__ import annotations

from threatscan.scan import ScanOptions, run_scan
from threatscan.threats.threatmodel import apply_threat_model, load_threat_model

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


def scan(tmp_path, catalog, source, **policy):
    """Scan one file; with `policy`, through a threatmodel.yaml that sets those numbers."""
    (tmp_path / "app.py").write_text(source)
    options = ScanOptions(paths=[str(tmp_path / "app.py")], root=tmp_path)
    if policy:
        lines = "".join(f"  {key}: {value}\n" for key, value in policy.items())
        (tmp_path / "threatmodel.yaml").write_text(
            "system: Orders\npolicy:\n" + lines
            + "threats:\n  - {id: TM-1, title: Forged or replayed sessions, stride: [spoofing], controls: [PY504, PY509]}\n")
        model = load_threat_model(tmp_path / "threatmodel.yaml", catalog)
        catalog = apply_threat_model(catalog, model)
        options.threat_model = model
    result = run_scan(options, catalog)
    return [(f.rule_id, f.location.line, f.message) for f in result.findings]


def test_jwt_lifetime_default_is_the_threat_models_seven_days(tmp_path, catalog):
    found = scan(tmp_path, catalog, TOKENS)
    assert [(r, line) for r, line, _ in found] == [("PY504", 5)]
    assert "30 days, longer than the threat model's limit of 7 days" in found[0][2]


def test_jwt_lifetime_follows_the_policy(tmp_path, catalog):
    assert scan(tmp_path, catalog, TOKENS, **{"jwt-max-lifetime-days": 60}) == []
    strict = scan(tmp_path, catalog, TOKENS, **{"jwt-max-lifetime-days": 1})
    assert [(r, line) for r, line, _ in strict] == [("PY504", 5), ("PY504", 6)]


def test_bcrypt_minimum_follows_the_policy(tmp_path, catalog):
    assert scan(tmp_path, catalog, HASHES) == []  # the model's 10 rounds
    found = scan(tmp_path, catalog, HASHES, **{"bcrypt-min-rounds": 12})
    assert [(r, line) for r, line, _ in found] == [("PY509", 4)]
    assert "cost of 10, below the threat model's 12" in found[0][2]


def test_http_url_with_credentials_never_shows_the_password(tmp_path, catalog):
    (tmp_path / "client.py").write_text('PARTNER_URL = "http://shop:Zq8vR2mXk4pL@api.partner-shop.com/v1"\n')
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path, select=("PY507",)), catalog)
    assert [f.rule_id for f in result.findings] == ["PY507"]
    finding = result.findings[0]
    assert "api.partner-shop.com" in finding.message
    assert "Zq8vR2mXk4pL" not in finding.message + finding.snippet


PBKDF2 = """\
import hashlib

def store(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password, salt, 310_000)
"""


def test_pbkdf2_minimum_is_owasps_unless_the_policy_sets_one(tmp_path, catalog):
    found = scan(tmp_path, catalog, PBKDF2)  # OWASP's 600,000 for HMAC-SHA256
    assert [(r, line) for r, line, _ in found] == [("PY509", 4)]
    assert "310,000 iterations, below the policy's minimum of 600,000" in found[0][2]
    assert scan(tmp_path, catalog, PBKDF2, **{"pbkdf2-sha256-min-iterations": 300_000}) == []
    # The SHA-256 figure does not loosen the SHA-1 one.
    sha1 = PBKDF2.replace('"sha256"', '"sha1"').replace("310_000", "1_000_000")
    assert [r for r, _, _ in scan(tmp_path, catalog, sha1, **{"pbkdf2-sha256-min-iterations": 300_000})] == ["PY509"]


# --- TLS checks a user's option decides, and host names checked after connecting (README "Severity follows
# evidence"): never a gate finding; the same code without the option or the later check stays high.

def _tls(fixtures_scan, rel: str) -> dict[int, object]:
    return {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel
            and f.rule_id in ("PY505", "PY506")}


def _line(rel: str, needle: str) -> int:
    from conftest import REPO

    return next(i for i, text in enumerate((REPO / rel).read_text().splitlines(), 1) if needle in text)


def test_an_unverified_context_made_only_when_the_users_switch_asks_is_low(fixtures_scan):
    rel = "fixtures/python/crypto/tls_deferred.py"
    found = _tls(fixtures_scan, rel)
    helper = found[_line(rel, "return ssl._create_unverified_context(cafile=cafile)  #")]
    assert helper.severity.label == "low" and "`check_certificate`" in helper.message  # the caller's early return
    passed_in = found[_line(rel, "cert_reqs=cert_reqs)")]
    assert passed_in.severity.label == "low" and "takes its certificate check from `cert_reqs`" in passed_in.message
    always = found[_line(rel, "return ssl._create_unverified_context()  #")]
    assert always.severity.label == "high" and "opt-in" not in always.message


def test_a_hostname_check_the_module_runs_after_connecting_is_review_none_is_high(fixtures_scan):
    deferred = "fixtures/python/crypto/tls_deferred.py"
    f = _tls(fixtures_scan, deferred)[_line(deferred, "context.check_hostname = False")]
    assert f.evidence == "review" and f.severity.label == "low" and "`ssl.match_hostname(...)`" in f.message
    plain = "fixtures/python/crypto/tls_hostname_off.py"
    g = _tls(fixtures_scan, plain)[_line(plain, "context.check_hostname = False")]
    assert g.severity.label == "high" and g.evidence != "review"


def test_an_http_url_the_module_never_fetches_is_review_and_says_so(fixtures_scan):
    rel = "fixtures/python/crypto/http_identifiers.py"
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY507"}
    for never in ('ALL_USERS_URI = "http://', 'STATUS_PAGE_URL = "http://'):
        f = found[_line(rel, never)]
        assert f.evidence == "review" and f.severity.label == "low", never
        assert "never passes it to a call that could fetch it" in f.message
    # fetched, however indirectly, but with nothing secret sent or trusted: review for another reason (session 7;
    # tests/test_crypto_evidence.py has the medium ones)
    for fetched in ('SERVICE_URL = "http://', 'UPLOAD_URL = "http://'):
        f = found[_line(rel, fetched)]
        assert f.evidence == "review" and "never passes it" not in f.message, fetched


def test_a_fast_hasher_set_only_while_the_tests_run_is_a_review_finding(fixtures_scan):
    """`if TESTING: PASSWORD_HASHERS = [MD5...]` speeds a test suite up (HydroShare, RapidPro, ScanCode.io): review,
    naming the branch; the same list as the settings' own stays high."""
    rel = "fixtures/python/crypto/settings/production.py"
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY510"}
    from conftest import REPO

    lines = (REPO / rel).read_text().splitlines()
    testing = next(i for i, t in enumerate(lines, 1) if "only while the tests run" in t)
    assert found[testing].evidence == "review" and "`if TESTING:`" in found[testing].message
    test_class = next(i for i, t in enumerate(lines, 1) if "the test configuration class" in t)
    assert found[test_class].evidence == "review" and "`TestBase`" in found[test_class].message
    assert [f.severity.label for n, f in found.items() if n not in (testing, test_class)] == ["high"]
