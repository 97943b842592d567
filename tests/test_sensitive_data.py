"""Card numbers: what counts as one, and that no full number leaves a scan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from threatscan.cli import main
from threatscan.engines.python.checks.sensitive_data import is_card_number_name
from threatscan.secrets import card_brand, card_numbers, luhn_valid, mask_card_numbers


def test_luhn():
    assert luhn_valid("4539148803436467")
    assert not luhn_valid("4539148803436468")
    assert luhn_valid("378282246310005")


@pytest.mark.parametrize("digits, brand", [
    ("4539148803436467", "Visa"), ("5493672167209518", "Mastercard"), ("2221000000000009", "Mastercard"),
    ("378282246318578", "American Express"), ("6011987654321233", "Discover"), ("3530111333301265", "JCB"),
    ("1234567890123456", None), ("9999999999999999", None), ("4539148803436", "Visa"), ("45391488034364", None),
])
def test_brand_by_prefix_and_length(digits, brand):
    assert card_brand(digits) == brand


@pytest.mark.parametrize("text, found", [
    ("4539148803436467", True),
    ("card: 4539 1488 0343 6467.", True),
    ("3782-822463-18578", True),
    ("4242 4242 4242 4242", False),  # Stripe's test card
    ("4539 1488-0343 6467", False),  # mixed separators
    ("45391 48803 43646 7", False),  # not a card's grouping
    ("id=a4539148803436467", False),
    ("v0.4539148803436467", False),
    ("4539148803436468", False),  # Luhn fails
])
def test_card_numbers_in_text(text, found):
    assert bool(list(card_numbers(text))) is found


@pytest.mark.parametrize("name, expected", [
    ("card_number", True), ("cardNumber", True), ("cc_number", True), ("credit_card", True), ("pan", True),
    ("primary_account_number", True), ("creditCardNumber", True), ("ccnum", True), ("customer_pan", True),
    ("card_token", False), ("card_last4", False), ("card_last_4", False), ("card_brand", False),
    ("card_holder_name", False), ("pan_x", False), ("pan_offset", False), ("panel", False), ("card_id", False),
    ("masked_pan", False), ("card_number_hash", False), ("discard", False), ("scorecard_number", False),
])
def test_card_number_names(name, expected):
    assert is_card_number_name(name) is expected


def test_mask_keeps_only_the_last_four_digits():
    assert mask_card_numbers('x = "4539 1488 0343 6467"') == 'x = "****6467"'


def test_no_full_card_number_in_any_output(tmp_path: Path):
    sarif, report = tmp_path / "out.sarif", tmp_path / "out.json"
    result = CliRunner().invoke(main, [
        "scan", str(FIXTURES / "python" / "sensitive_data"), "--select", "PY601", "--format", "sarif", "--output",
        str(sarif), "--format", "json", "--output", str(report), "--format", "text", "--fail-on", "none", "--no-color",
    ])
    assert result.exit_code == 0, result.output
    source = (FIXTURES / "python" / "sensitive_data" / "card_literals.py").read_text()
    reported = [raw for line in source.splitlines() if "expect: PY601" in line for raw, _ in card_numbers(line)]
    assert len(reported) == 10
    for text in (result.output, sarif.read_text(), report.read_text()):
        assert "PY601" in text
        for raw in reported:
            assert raw not in text and re.sub(r"\D", "", raw) not in text


@pytest.mark.parametrize("name, expected", [
    ("cvv", True), ("CVC2", True), ("card_cvv", True), ("cardSecurityCode", True), ("card_verification_value", True),
    ("cid", False), ("otp_code", False), ("security_code", False), ("cvv_token", False), ("card_number", False),
])
def test_security_code_names(name, expected):
    from threatscan.engines.python.checks.sensitive_data import is_security_code_name

    assert is_security_code_name(name) is expected
