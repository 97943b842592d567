"""Every fixture file states its expected findings inline; a scan of fixtures/ must match them exactly.

Annotations: `# expect: RULE [RULE ...]` at the end of the line an open (unsuppressed) finding points at (`// expect:` in Gradle,
`<!-- expect: RULE -->` in XML); `# ok: RULE` marks a safe look-alike (documentation: the exact match already
forbids a finding there). Files without comments (JSON) list `LINE: RULE` pairs in a sidecar FILE.expect.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

ANNOTATION = re.compile(r"(?:#|//|<!--)\s*(expect|ok):\s*([A-Z][A-Z0-9-]*\d(?:[ ,]+[A-Z][A-Z0-9-]*\d)*)")
ANNOTATED_SUFFIXES = {".py", ".yaml", ".yml", ".xml", ".gradle", ".kts", ".properties", ".template", ".java", ".kt"}


def annotations(path: Path) -> tuple[Counter, Counter]:
    """(expected, ok) as Counters of (line, rule id)."""
    expected: Counter = Counter()
    ok: Counter = Counter()
    sidecar = path.with_name(path.name + ".expect")
    if sidecar.exists():
        for raw in sidecar.read_text().splitlines():
            raw = raw.split("#", 1)[0].strip()
            if raw:
                line, rules = raw.split(":", 1)
                for rule in rules.replace(",", " ").split():
                    expected[(int(line), rule)] += 1
        return expected, ok
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        for m in ANNOTATION.finditer(line):
            target = expected if m.group(1) == "expect" else ok
            for rule in re.split(r"[ ,]+", m.group(2).strip()):
                target[(number, rule)] += 1
    return expected, ok


def fixture_files() -> list[Path]:
    files = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.name.endswith(".expect") or path.name == "README.md":
            continue
        if path.suffix in ANNOTATED_SUFFIXES or path.with_name(path.name + ".expect").exists():
            files.append(path)
    return files


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_annotations(path: Path, fixtures_scan):
    rel = path.relative_to(REPO).as_posix()
    expected, _ = annotations(path)
    actual = Counter((f.location.line, f.rule_id) for f in fixtures_scan.findings
                     if f.location.path == rel and f.suppression is None)
    missing = expected - actual
    extra = actual - expected
    assert not missing and not extra, (
        f"{rel}: missing {sorted(missing.elements())}, unexpected {sorted(extra.elements())}"
    )


def test_every_rule_has_positive_and_negative_fixtures(catalog):
    positives: Counter = Counter()
    negatives: Counter = Counter()
    for path in fixture_files():
        expected, ok = annotations(path)
        for (_, rule), n in expected.items():
            positives[rule] += n
        for (_, rule), n in ok.items():
            negatives[rule] += n
    no_positive = sorted(r for r in catalog.rules if not positives[r])
    no_negative = sorted(r for r in catalog.rules if not negatives[r])
    assert not no_positive, f"rules without a positive fixture: {no_positive}"
    assert not no_negative, f"rules without a negative (# ok:) fixture: {no_negative}"


def test_annotations_name_real_rules(catalog):
    unknown = set()
    for path in fixture_files():
        expected, ok = annotations(path)
        unknown |= {rule for (_, rule) in (*expected, *ok) if rule not in catalog.rules}
    assert not unknown, f"fixtures name unknown rules: {sorted(unknown)}"
