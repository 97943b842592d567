"""The JSON report: the findings and notices as plain data, for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Iterable

from .. import __version__
from ..model import Finding, Notice


def _finding(f: Finding) -> dict:
    d = asdict(f)
    d["severity"] = f.severity.label
    d["properties"] = dict(f.properties)
    return d


def render(findings: list[Finding], notices: Iterable[Notice], *, root: str, files: int) -> str:
    data = {
        "tool": "threatscan",
        "version": __version__,
        "root": root,
        "files_scanned": files,
        "findings": [_finding(f) for f in findings],
        "notices": [asdict(n) for n in notices],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
