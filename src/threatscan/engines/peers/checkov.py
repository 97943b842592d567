"""checkov, CloudFormation and SAM templates only, with no downloads and no API key."""

from __future__ import annotations

from pathlib import Path

from .peer import Peer, RawResult, parse_json


class Checkov(Peer):
    name = "checkov"
    kinds = frozenset({"cloudformation"})

    def command(self, exe: str, files: list[str], out: Path, home: Path) -> list[str]:
        # An explicit, empty config file of ours: checkov otherwise reads .checkov.yaml from the working directory
        # and the home directory (external-checks-dir imports Python, external-checks-git clones a URL, skip-check
        # silences checks); both are threatscan's scratch directories here, and the flags below are all it gets.
        config = home / "checkov.yaml"
        config.write_text("{}\n", encoding="utf-8")
        # No --quiet: its output would leave out the checks a `checkov:skip=` comment in a template skipped, which
        # threatscan reports as suppressed findings rather than lose without a word.
        cmd = [exe, "--config-file", str(config), "--framework", "cloudformation", "-o", "json",
               "--compact", "--skip-download", "--skip-results-upload"]
        for f in files:
            cmd += ["-f", f]
        return cmd

    def env(self) -> dict[str, str]:
        # No platform API key may leak in from the environment: checkov then stays offline.
        return {"BC_API_KEY": "", "PRISMA_API_URL": "", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}

    def parse(self, text: str, root: Path) -> tuple[list[RawResult], list[str]]:
        data = parse_json(text)
        reports = data if isinstance(data, list) else [data]
        results = []
        for report in reports:
            if not isinstance(report, dict) or "results" not in report:
                continue  # checkov prints {"passed": 0, ...} style summaries when nothing was scanned
            checks = [(r, None) for r in report["results"].get("failed_checks", [])]
            checks += [(r, str((r.get("check_result") or {}).get("suppress_comment") or ""))
                       for r in report["results"].get("skipped_checks", [])]
            for r, suppressed in checks:
                abs_path = Path(r.get("file_abs_path") or str(r["file_path"]).lstrip("/"))
                if not abs_path.is_absolute():  # relative to checkov's working directory, the scratch copy
                    abs_path = root / abs_path
                try:
                    rel = abs_path.resolve().relative_to(root.resolve()).as_posix()
                except ValueError:
                    continue
                lines = r.get("file_line_range") or [1, 1]
                results.append(RawResult(
                    peer_id=str(r["check_id"]), path=rel, line=int(lines[0] or 1),
                    end_line=int(lines[1]) if len(lines) > 1 and lines[1] else None,
                    message=f"{r.get('check_name', '')} ({r.get('resource', '')})", severity=r.get("severity"),
                    extra={"resource": str(r.get("resource", ""))}, suppressed=suppressed,
                ))
        return results, []

    def ok_exit(self, code: int) -> bool:
        return code in (0, 1)
