"""What a peer adapter implements (the command line, parsing its report, its own suppression comments), and
the raw result it parses into; the adapters (bandit.py, semgrep.py, checkov.py) build on this only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RawResult:
    peer_id: str
    path: str  # relative to the scan root
    line: int
    column: int = 1
    end_line: int | None = None
    message: str = ""
    severity: str | None = None  # the peer's own severity word, used for unmapped rules
    cwe: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The peer's own inline suppression the scanned file holds (`# nosec`, `# nosemgrep`, `checkov:skip=`), as
    # its justification: the finding is still reported, as suppressed, never silently dropped.
    suppressed: str | None = None


class Peer:
    name = "peer"
    kinds: frozenset[str] = frozenset()

    def command(self, exe: str, files: list[str], out: Path, home: Path) -> list[str]:
        """The peer's command line: explicit flags only, and an empty configuration of threatscan's own written
        into `home` where the peer needs one (never a file of the scanned repository)."""
        raise NotImplementedError

    def parse(self, text: str, root: Path) -> tuple[list[RawResult], list[str]]:
        """(results, errors the peer reported about individual files)."""
        raise NotImplementedError

    def ok_exit(self, code: int) -> bool:
        return code in (0, 1)

    def stage(self, work: Path) -> None:
        """Write what the peer needs beside the copied files (threatscan's own settings, never the repository's)."""

    def env(self) -> dict[str, str]:
        return {}

    def inline_suppression(self, raw: RawResult, line_text: str) -> str | None:
        """The justification of the peer's own suppression comment on the finding's line, if any."""
        return None


def parse_json(text: str) -> Any:
    """Peers sometimes print log lines before their JSON: take the first JSON value in the text."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start = min([i for i in (text.find("{"), text.find("[")) if i >= 0] or [-1])
        if start < 0:
            raise ValueError("no JSON in the output") from None
        return json.JSONDecoder().raw_decode(text[start:])[0]
