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


def test_a_catalog_copied_with_replace_indexes_its_own_rules_and_leaves_the_original_alone(catalog):
    import dataclasses

    threat = next(t for t in catalog.threats if catalog.rules_for_threat(t))
    before = [r.id for r in catalog.rules_for_threat(threat)]
    copy = dataclasses.replace(catalog, rules=dict(catalog.rules))
    assert [r.id for r in copy.rules_for_threat(threat)] == before
    assert [r.id for r in catalog.rules_for_threat(threat)] == before, "the original's threat index grew"
