"""Baselines: accept today's findings, report only new ones.

The file holds, per finding, the rule id, the file path and the fingerprint (a hash of the normalised code, see
model.fingerprint_of): no line numbers, no timestamps and no secret values, so it neither causes merge conflicts
when code moves nor leaks what it records. Entries are sorted, so rewriting an unchanged baseline changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..model import Finding

VERSION = 1


class BaselineError(ValueError):
    pass


def render(findings: list[Finding]) -> str:
    entries = sorted({(f.rule_id, f.location.path, f.fingerprint) for f in findings if f.suppression is None})
    data = {
        "tool": "threatscan",
        "version": VERSION,
        "findings": [{"rule": r, "path": p, "fingerprint": fp} for r, p, fp in entries],
    }
    return json.dumps(data, indent=2) + "\n"


def load(path: str | Path) -> set[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a threatscan baseline (invalid JSON: {exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("tool") != "threatscan" or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a threatscan baseline")
    if data.get("version") != VERSION:
        raise BaselineError(f"{path}: baseline version {data.get('version')!r} is not supported (expected {VERSION})")
    out = set()
    for entry in data["findings"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: malformed entry {entry!r}")
        out.add(entry["fingerprint"])
    return out


def filter_new(findings: list[Finding], known: set[str]) -> list[Finding]:
    return [f for f in findings if f.fingerprint not in known]
