"""Join every shipped verdict with a scan of the judged projects: which findings are at the gate tier *now*, and how
often they were judged true, by rule and by the evidence the finding names.

    python bench/verdicts_now.py RESULTS_DIR [--docs docs] [--main-only] [--rule PY508] [--alias name=project ...]

RESULTS_DIR holds one PROJECT.json per judged project (`threatscan scan --format json`, as bench/score_sample.py
reads). pool_verdicts.py counts each verdict at the gate of its own sample's final tree; this counts the verdicts of
the findings a tree reports at the gate tier today, with their evidence (`Finding.evidence`, the `secretEvidence`
and `use` properties, the flow's source), the view session 15's policies were written from. A finding at the gate
without a verdict is counted apart (`?`): judge it before trusting the figure. A finding's verdict is keyed by
project, path, line and rule, as score_sample.py keys it.
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_sample import at_gate, family, wilson  # noqa: E402

# Directory names of scans that differ from the verdict files' project names
ALIASES = {"whoogle": "whoogle-search", "graphite": "graphite-web", "superdesk": "superdesk-core",
           "sfm": "simple-file-manager-efs"}


def verdicts(docs: str) -> dict[tuple[str, str, str, str], dict]:
    """(project, path, line, rule) -> the verdict row, over every docs/accuracy-3*-verdicts.tsv."""
    out = {}
    for path in sorted(glob.glob(os.path.join(docs, "accuracy-3*-verdicts.tsv"))):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("verdict") in ("true", "false"):
                    out[(row["project"].lower(), row["path"], row["line"], row["rule"])] = row
    return out


def evidence_of(finding: dict) -> str:
    """What the finding says makes it a finding: its secret evidence, the use of a digest, its flow's source kind."""
    props = finding.get("properties") or {}
    if props.get("secretEvidence"):
        return re.split(r"[(,]", str(props["secretEvidence"]), maxsplit=1)[0].strip()[:50]
    if props.get("use"):
        return f"use: {props['use']}"
    flow = finding.get("flow") or []
    if flow:
        m = re.search(r"\(([^)]*)\)", flow[0].get("message", ""))
        return f"source: {m.group(1) if m else '?'}"
    return finding.get("evidence") or "-"


def joined(results: str, docs: str, aliases: dict[str, str]) -> list[dict]:
    """The gate-tier Python findings of RESULTS_DIR, each with its verdict ("true", "false" or "?")."""
    known = verdicts(docs)
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        project = os.path.basename(path)[:-len(".json")]
        name = aliases.get(project, project).lower()
        with open(path, encoding="utf-8") as f:
            findings = json.load(f)["findings"]
        for x in findings:
            if not x["rule_id"].startswith("PY") or not at_gate(x):
                continue
            row = known.get((name, x["location"]["path"], str(x["location"]["line"]), x["rule_id"]))
            rows.append({"project": project, "rule": x["rule_id"], "family": family(x["rule_id"]),
                         "evidence": evidence_of(x), "verdict": row["verdict"] if row else "?",
                         "cause": (row.get("cause") or "").split(" ")[0] if row else ""})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--docs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
    ap.add_argument("--main-only", action="store_true", help="leave out the secrets rules (PY2xx)")
    ap.add_argument("--rule", help="only this rule, by evidence")
    ap.add_argument("--alias", action="append", default=[], help="SCAN_NAME=VERDICT_PROJECT")
    a = ap.parse_args(argv)
    aliases = dict(ALIASES, **dict(x.split("=", 1) for x in a.alias))
    rows = [r for r in joined(a.results, a.docs, aliases)
            if (not a.main_only or r["family"] != "secrets") and (not a.rule or r["rule"] == a.rule)]
    if not rows:
        print("no gate-tier findings", file=sys.stderr)
        return 1
    by: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        by[(r["rule"], r["evidence"] if a.rule else "")][r["verdict"] if r["verdict"] != "false" else
                                                          f"false:{r['cause'] or '?'}"] += 1
    judged = [r for r in rows if r["verdict"] != "?"]
    true = sum(r["verdict"] == "true" for r in judged)
    lo, hi = wilson(true, len(judged))
    print(f"{len(rows)} gate-tier findings, {len(judged)} judged: {true} true ({true / max(len(judged), 1):.0%}, "
          f"Wilson 95% {lo:.0%}-{hi:.0%}); {len(rows) - len(judged)} without a verdict\n")
    print("| rule | evidence | true | judged | without a verdict | false by cause |")
    print("|---|---|---:|---:|---:|---|")
    for (rule, ev), counts in sorted(by.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(v for k, v in counts.items() if k != "?")
        causes = ", ".join(f"{k[6:]} {v}" for k, v in counts.most_common() if k.startswith("false:"))
        print(f"| {rule} | {ev} | {counts['true']} | {n} | {counts['?']} | {causes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
