"""The generated catalogue documents must match rules/ (run `bash scripts/gen-docs` after changing rules)."""

from __future__ import annotations

from conftest import REPO

from threatscan.report.catalog_md import rules_markdown, threats_markdown


def test_docs_rules_md_is_current(catalog):
    assert (REPO / "docs" / "rules.md").read_text() == rules_markdown(catalog), "run: bash scripts/gen-docs"


def test_docs_threats_md_is_current(catalog):
    assert (REPO / "docs" / "threats.md").read_text() == threats_markdown(catalog), "run: bash scripts/gen-docs"


def test_threats_listing_names_uncovered_threats(catalog):
    text = threats_markdown(catalog)
    for threat in catalog.uncovered_threats():
        assert f"| {threat.id} |" in text
    assert f"{len(catalog.uncovered_threats())} not checked by any rule yet" in text
