"""semgrep, offline: only threatscan's own rule files (rules/semgrep/), no metrics, no version check."""

from __future__ import annotations

import re
from pathlib import Path

from ...catalog import rules_dir
from .peer import Peer, RawResult, parse_json


_NOSEM = re.compile(r"(?:#|//)\s*nosem(?:grep)?\b(?:\s*:\s*([\w.,\s-]{0,200}))?", re.I)


class Semgrep(Peer):
    name = "semgrep"
    kinds = frozenset({"python"})

    def command(self, exe: str, files: list[str], out: Path, home: Path) -> list[str]:
        # Only threatscan's rule files (see stage() for the ignore file).
        return [exe, "scan", "--config", str(rules_dir() / "semgrep"), "--json", "--output", str(out),
                "--metrics=off", "--disable-version-check", "--quiet", "--no-git-ignore", "--disable-nosem", "--", *files]

    def inline_suppression(self, raw: RawResult, line_text: str) -> str | None:
        """`# nosemgrep` or `# nosemgrep: rule-id` on the finding's line (--disable-nosem reports it; we mark it)."""
        m = _NOSEM.search(line_text)
        if not m:
            return None
        ids = [i.strip().rsplit(".", 1)[-1] for i in (m.group(1) or "").split(",") if i.strip()]
        if ids and raw.peer_id not in ids:
            return None
        return ""

    def stage(self, work: Path) -> None:
        # An empty .semgrepignore of ours at the project root (the scratch copy): neither the repository's ignore
        # file nor semgrep's built-in default list drops a file threatscan selected.
        (work / ".semgrepignore").write_text("", encoding="utf-8")

    def env(self) -> dict[str, str]:
        return {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}

    def parse(self, text: str, root: Path) -> tuple[list[RawResult], list[str]]:
        data = parse_json(text)
        results = []
        for r in data.get("results", []):
            # check_id is prefixed with the rule file's dotted path; our rule ids are the last component.
            rule_id = str(r["check_id"]).rsplit(".", 1)[-1]
            results.append(RawResult(
                peer_id=rule_id, path=str(r["path"]).removeprefix("./"), line=int(r["start"]["line"]),
                column=int(r["start"].get("col", 1)), end_line=int(r.get("end", {}).get("line") or 0) or None,
                message=str((r.get("extra") or {}).get("message", "")), severity=(r.get("extra") or {}).get("severity"),
            ))
        errors = [str(e.get("message", e))[:300] for e in data.get("errors", [])]
        return results, errors
