"""Shared test helpers: the repository paths, a scan of fixtures/ done once, and SARIF validation both ways."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from threatscan.catalog import load_catalog
from threatscan.scan import ScanOptions, run_scan

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# The OASIS SARIF 2.1.0 schema and the Multitool wrapper are the project's own copies: a plain clone tests alone.
SCHEMA = REPO / "schemas" / "sarif-schema-2.1.0.json"
VALIDATOR = REPO / "scripts" / "validate-sarif"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(check_implementations=True)


@pytest.fixture(scope="session")
def fixtures_scan(catalog):
    return run_scan(ScanOptions(paths=[str(FIXTURES)]), catalog)


def validate_schema(log: dict) -> list[str]:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(log)]


def validate_multitool(path: Path) -> subprocess.CompletedProcess:
    """Microsoft's SARIF Multitool with GitHub's ingestion rules. It must be available: CI installs it."""
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: the SARIF validator ships in scripts/"
    if shutil.which("npm") is None and not (Path.home() / ".cache/sarif-multitool").exists():
        pytest.fail("npm is needed to install the SARIF Multitool (scripts/test installs it)")
    return subprocess.run(["bash", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=600)
