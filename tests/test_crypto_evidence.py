"""Crypto and TLS findings by evidence (session 7): a finding fails the default gate only when the code shows why it
is exploitable; a fast digest that only verifies an old hash or that a protocol prescribes, a plain-http fetch that
sends nothing secret and trusts nothing in the answer, a TLS setting the user's own switch chooses, a KDF over a
random key: lower findings (review, or low behind a switch) that a default gate lets through."""

from __future__ import annotations

from conftest import REPO

from threatscan.findings.tail import gates
from threatscan.model import Severity
from threatscan.scan import ScanOptions, run_scan


_SCANS: dict[str, tuple] = {}


def _scan(rel: str, catalog) -> tuple:
    if rel not in _SCANS:
        _SCANS[rel] = tuple(run_scan(ScanOptions(paths=[str(REPO / rel)], root=REPO), catalog).findings)
    return _SCANS[rel]


def _line(rel: str, needle: str) -> int:
    return next(i for i, text in enumerate((REPO / rel).read_text().splitlines(), 1) if needle in text)


def _at(catalog, rel: str, needle: str, rule: str):
    line = _line(rel, needle)
    found = [f for f in _scan(rel, catalog) if f.location.line == line and f.rule_id == rule]
    assert len(found) == 1, (needle, found)
    return found[0]


def _gate(f) -> bool:
    return gates(f, Severity.MEDIUM)


def _review(f) -> bool:
    return f.evidence == "review" and f.severity.label == "low" and "review" in f.properties.get("tags", [])


LEGACY = "fixtures/python/crypto/password_legacy.py"


def test_a_fast_digest_that_only_verifies_an_old_hash_is_review_and_passes_the_gate(catalog):
    for needle in ("return hashlib.sha256(password.encode()).hexdigest() == stored",
                   "candidate = sha1(password.encode()).hexdigest()",
                   "digest = md5(password.encode()).hexdigest()  # expect: PY508 (review",
                   "return hashlib.sha512((password + salt).encode())"):
        f = _at(catalog, LEGACY, needle, "PY508")
        assert _review(f) and not _gate(f), needle
        assert "only to compare it with a stored hash" in f.message


def test_a_protocols_digest_of_a_password_is_review(catalog):
    ha1 = _at(catalog, LEGACY, 'ha1 = hashlib.md5(f"{user}:{realm}:{password}"', "PY508")
    assert _review(ha1) and "`realm`" in ha1.message and not _gate(ha1)
    answer = _at(catalog, LEGACY, "hashlib.sha1(challenge + password.encode())", "PY508")
    assert _review(answer) and "`challenge`" in answer.message


def test_storing_or_checking_a_fast_digest_with_nothing_newer_stays_high_and_fails_the_gate(catalog):
    for needle in ("user.password_hash = hashlib.sha256(password.encode())",
                   "return hashlib.sha256(password.encode()).hexdigest() == user.password_hash",
                   "# expect: PY508 (stored below)",
                   "return sha1(old_password.encode()).hexdigest() == user.password_hash"):
        f = _at(catalog, LEGACY, needle, "PY508")
        assert f.severity.label == "high" and f.evidence != "review" and _gate(f), needle
