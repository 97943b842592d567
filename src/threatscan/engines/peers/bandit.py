"""bandit, as a subprocess over the Python files the scan selected (JSON report to a file)."""

from __future__ import annotations

import re
from pathlib import Path

from .peer import Peer, RawResult, parse_json


_NOSEC = re.compile(r"#\s*nosec\b([^\n#]{0,200})", re.I)


class Bandit(Peer):
    name = "bandit"
    kinds = frozenset({"python"})

    def command(self, exe: str, files: list[str], out: Path, home: Path) -> list[str]:
        # -q: no banner; -f json -o: a report file we parse; -c: an empty profile of ours (every test, no skips),
        # never the repository's .bandit or pyproject.toml [tool.bandit]; explicit files: only what threatscan
        # selected (bandit looks for a .bandit file only under directory targets).
        config = home / "bandit.yaml"
        config.write_text("{}\n", encoding="utf-8")
        # --ignore-nosec: a `# nosec` comment does not hide the finding; it is reported as suppressed (below).
        return [exe, "-q", "-f", "json", "-o", str(out), "-c", str(config), "--ignore-nosec", "--", *files]

    def inline_suppression(self, raw: RawResult, line_text: str) -> str | None:
        """`# nosec` (every test) or `# nosec B602, B607` (those tests) on the finding's line, as bandit reads it."""
        m = _NOSEC.search(line_text)
        if not m:
            return None
        ids = re.findall(r"\bB\d{3}\b", m.group(1) or "")
        if ids and raw.peer_id not in ids:
            return None
        return (m.group(1) or "").strip() or ""

    def parse(self, text: str, root: Path) -> tuple[list[RawResult], list[str]]:
        data = parse_json(text)
        results = []
        for r in data.get("results", []):
            path = str(r["filename"]).removeprefix("./")
            results.append(RawResult(
                peer_id=str(r["test_id"]), path=path, line=int(r["line_number"]),
                column=int(r.get("col_offset") or 0) + 1,
                end_line=max(r.get("line_range") or [None]) if r.get("line_range") else None,
                message=str(r.get("issue_text", "")), severity=str(r.get("issue_severity", "")),
                cwe=(r.get("issue_cwe") or {}).get("id"),
                extra={"peerConfidence": str(r.get("issue_confidence", "")).lower()},
            ))
        errors = [f"{e.get('filename', '?')}: {e.get('reason', 'error')}" for e in data.get("errors", [])]
        return results, errors
