#!/usr/bin/env python3
"""Judged configuration findings at the gate tier, before and after a change (docs/accuracy.md, "Session 6:
configuration that is deployed").

    python bench/deployed_config.py RESULTS_DIR VERDICTS.tsv [VERDICTS.tsv ...] [--label NAME=GLOB ...] [--list]

RESULTS_DIR holds one PROJECT.json per project (`threatscan scan --format json`). A verdict file has one judged
finding a line, either `project, path, line, rule, verdict, ...` (§3b/§3c) or `project, path:line, rule, verdict,
...` (§3). Only the configuration families are counted: secrets (PY2xx), web configuration (PY3xx) and crypto/TLS
(PY5xx). A finding is at the gate tier when it is medium or above, not in test/example/vendored code (`code_kind`),
not a review finding and not suppressed; for each family the script prints how many judged-true and judged-false
findings are there. `--list` prints every judged finding with where it stands (gate / present below the gate /
absent). This is a benchmark: the test suite never runs it.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os

FAMILIES = {"PY2": "secrets", "PY3": "web configuration", "PY5": "crypto/TLS"}


def verdicts(paths: list[str]) -> list[tuple[str, str, str, int, str, str]]:
    rows, seen = [], set()
    for path in paths:
        label = os.path.basename(os.path.dirname(path)) or path
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                c = line.rstrip("\n").split("\t")
                if len(c) >= 5 and c[2].isdigit():
                    row = (label, c[0], c[1], int(c[2]), c[3], c[4])
                elif len(c) >= 4 and ":" in c[1] and c[1].rsplit(":", 1)[1].isdigit():
                    where, number = c[1].rsplit(":", 1)
                    row = (label, c[0], where, int(number), c[2], c[3])
                else:
                    continue
                if row[4][:3] in FAMILIES and row[:5] not in seen:
                    seen.add(row[:5])
                    rows.append(row)
    return rows


def at_gate(f: dict) -> bool:
    return f["severity"] in ("medium", "high", "critical") and not f.get("code_kind") \
        and f.get("evidence") != "review" and not f.get("suppression")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("verdicts", nargs="+")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    found: dict[tuple, list[dict]] = {}
    for path in glob.glob(os.path.join(args.results, "*.json")):
        project = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as fh:
            for f in json.load(fh)["findings"]:
                found.setdefault((project, f["location"]["path"], f["location"]["line"], f["rule_id"]), []).append(f)
    counts: collections.Counter = collections.Counter()
    for label, project, path, line, rule, verdict in verdicts(args.verdicts):
        fs = found.get((project, path, line, rule), [])
        state = "gate" if any(at_gate(f) for f in fs) else "present" if fs else "absent"
        counts[(label, FAMILIES[rule[:3]], verdict, state)] += 1
        if args.list:
            kinds = sorted({f["severity"] + ("/review" if f.get("evidence") == "review" else "")
                            + (f"/{f['code_kind']}" if f.get("code_kind") else "") for f in fs})
            print(f"{label}\t{project}\t{path}:{line}\t{rule}\t{verdict}\t{state}\t{','.join(kinds)}")
    print("| verdicts | family | judged true at the gate | judged false at the gate | gate precision |")
    print("|---|---|---:|---:|---:|")
    for label in sorted({k[0] for k in counts}):
        for family in FAMILIES.values():
            def n(verdict: str, gate_only: bool) -> int:
                return sum(v for (lb, fm, vd, st), v in counts.items()
                           if lb == label and fm == family and vd == verdict and (st == "gate" or not gate_only))
            t, f = n("true", True), n("false", True)
            if n("true", False) + n("false", False):
                print(f"| {label} | {family} | {t} of {n('true', False)} | {f} of {n('false', False)} | "
                      f"{t} of {t + f} |")


if __name__ == "__main__":
    main()
