"""A snapshot of the fixture scan: every finding's place (line and column), rule, severity and message, and every
notice, compared line by line with tests/snapshots/fixtures.jsonl. A change in what a user reads shows up here as a
reviewable diff; when it is intended, rewrite the snapshot:

    python -m pytest tests/test_snapshot.py --update-snapshot
"""

from __future__ import annotations

import difflib
import json

from conftest import REPO

SNAPSHOT = REPO / "tests" / "snapshots" / "fixtures.jsonl"


def _lines(result) -> list[str]:
    out = []
    for f in result.findings:
        out.append(json.dumps({
            "path": f.location.path, "line": f.location.line, "column": f.location.column,
            "end": [f.location.end_line, f.location.end_column], "rule": f.rule_id, "severity": f.severity.label,
            "evidence": f.evidence, "code_kind": f.code_kind, "suppressed": f.suppression is not None,
            "message": f.message,
        }, ensure_ascii=False, sort_keys=True))
    for n in result.notices:
        out.append(json.dumps({"notice": n.kind, "level": n.level, "path": n.path, "line": n.line,
                               "message": n.message}, ensure_ascii=False, sort_keys=True))
    return out


def test_fixture_scan_matches_the_snapshot(fixtures_scan, request):
    lines = _lines(fixtures_scan)
    if request.config.getoption("--update-snapshot"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run `python -m pytest tests/test_snapshot.py --update-snapshot`"
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(expected, lines, "snapshot", "this run", lineterm="", n=0))
    assert not diff, ("the fixture scan changed; if intended, run `python -m pytest tests/test_snapshot.py "
                      "--update-snapshot` and commit the file:\n" + "\n".join(diff[:60]))
