"""Organisation scans: many repositories in, one SARIF per repository out, each under its own category.

Two ways to use it (README "Scanning an organisation"):
- on one machine: `threatscan org --list repos.txt --output-dir sarif/` scans each listed checkout in turn, as its
  own `threatscan scan` process (its own root, configuration, threat model and cache key; one repository's crash or
  memory never touches the next), and writes `sarif/<name>.sarif` whose `automationDetails.id` is
  `<category>/<name>/`;
- fanned out over a CI matrix: `threatscan org --list repos.txt --matrix` prints the same plan as a GitHub Actions
  matrix (`{"include": [{"name", "path", "category", "sarif"}, ...]}`) without scanning: each matrix job checks out
  its repository and runs `threatscan scan PATH --category CATEGORY -f sarif -o SARIF`
  (docs/github-workflow-org.yml).

The list is one repository per line: a checkout's path, or an `owner/name` a matrix job will check out; blank lines
and `#` comments are skipped. Nothing here reads the network: the checkouts are already on disk.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class OrgError(ValueError):
    """A repository list that cannot be planned (an empty list, two entries with the same name)."""


@dataclass(frozen=True)
class Repo:
    name: str  # the entry as given, normalised: `owner/name` or the checkout's directory name
    path: str  # where the checkout is (or will be, for a matrix job)
    category: str  # SARIF automationDetails category: `<prefix>/<name>`
    sarif: str  # the SARIF file's name: `<name with / as +>.sarif`

    def as_matrix(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "category": self.category, "sarif": self.sarif}


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def read_list(text: str) -> list[str]:
    """The entries of a repository list: one per line, blank lines and `#` comments skipped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def plan(entries: list[str], category: str = "threatscan") -> list[Repo]:
    """One Repo per entry, in order. A relative entry keeps its path as its name (`owner/name`, `services/api`); an
    absolute one is named by its last component. Two entries with the same name would overwrite each other's SARIF
    and share a category: refused."""
    repos: list[Repo] = []
    seen: dict[str, str] = {}
    prefix = category.strip("/") or "threatscan"
    for entry in entries:
        posix = PurePosixPath(entry.replace("\\", "/"))
        parts = [p for p in posix.parts if p not in (".", "/")]
        if not parts or ".." in parts:
            raise OrgError(f"repository entry {entry!r}: give a checkout's path or owner/name (no '..')")
        name = parts[-1] if posix.is_absolute() else "/".join(parts)
        file_name = _UNSAFE.sub("_", name.replace("/", "+")) + ".sarif"
        if file_name in seen:
            raise OrgError(f"repository entries {seen[file_name]!r} and {entry!r} have the same name {name!r}")
        seen[file_name] = entry
        repos.append(Repo(name, entry, f"{prefix}/{name}", file_name))
    if not repos:
        raise OrgError("no repositories listed")
    return repos


def matrix(repos: list[Repo]) -> str:
    """The plan as a GitHub Actions matrix (`strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`)."""
    return json.dumps({"include": [r.as_matrix() for r in repos]}, separators=(",", ":"))


def scan_all(repos: list[Repo], output_dir: Path, scan_args: str = "", fail_on: str = "none",
             echo=lambda line: print(line, file=sys.stderr)) -> int:
    """Scan each repository with its own `threatscan scan` process; returns the worst exit code (2 when a scan
    failed or a checkout is missing, else 1 when a gate failed, else 0). Every repository is attempted."""
    output_dir.mkdir(parents=True, exist_ok=True)
    extra = shlex.split(scan_args)
    worst = 0
    for repo in repos:
        sarif = output_dir / repo.sarif
        if not Path(repo.path).is_dir():
            echo(f"threatscan org: {repo.name}: no checkout at {repo.path}")
            worst = 2
            continue
        cmd = [sys.executable, "-m", "threatscan.cli", "scan", repo.path, "--format", "sarif", "--output", str(sarif),
               "--category", repo.category, "--fail-on", fail_on, "--quiet", *extra]
        # threatscan: ignore[PY103] threatscan's own CLI, run with this interpreter on a checkout the user listed
        code = subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode
        echo(f"threatscan org: {repo.name}: exit {code}, {sarif if sarif.exists() else 'no SARIF written'}")
        worst = max(worst, code if code in (0, 1) else 2)
    return worst
