"""Pool the verdicts of the independent samples of docs/accuracy.md by rule (and by the cause of false findings).

    python bench/pool_verdicts.py [--samples d,e,f,...] [--main-only] [--rule PY403] [--docs docs]

Reads docs/accuracy-3X-verdicts.tsv (one per sample, §3d onwards: the columns of score_sample.py's verdict files plus
`sample`, `final_gate` and `family`) and counts, for every rule, the judged findings that were at the gate tier of the
sample's final tree: true / judged, with the Wilson 95% interval, and the false ones by cause. This is how session 11
found PY203 (0 true of 158) and session 14 the rules that need evidence (PY501, PY503, PY511, PY512: 1 true of 37):
a policy is written from the pooled figure of a whole class, and measured on the next fresh sample.
`--main-only` leaves out the secrets samples; `--rule` prints the notes of one rule's false findings.
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_sample import wilson  # noqa: E402


def pooled(docs: str, samples: set[str] | None, main_only: bool) -> list[dict]:
    """The judged rows at the gate tier of their sample's final tree, each with its sample's letter (`s`)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(docs, "accuracy-3*-verdicts.tsv"))):
        letter = os.path.basename(path)[len("accuracy-3"):].split("-", 1)[0]
        if samples is not None and letter not in samples:
            continue
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("final_gate") != "gate" or (main_only and row.get("sample") != "main"):
                    continue
                rows.append({**row, "s": letter})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
    ap.add_argument("--samples", help="comma-separated sample letters (default: every verdict file)")
    ap.add_argument("--main-only", action="store_true", help="leave out the secrets samples")
    ap.add_argument("--rule", help="print the notes of this rule's false findings")
    a = ap.parse_args(argv)
    samples = {x.strip() for x in a.samples.split(",")} if a.samples else None
    rows = pooled(a.docs, samples, a.main_only)
    if not rows:
        print("no judged gate-tier rows", file=sys.stderr)
        return 1
    by_rule: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        by_rule[r["rule"]]["true" if r["verdict"].startswith("true") else r.get("cause") or "?"] += 1
    print(f"{len(rows)} judged gate-tier findings from samples {', '.join(sorted({r['s'] for r in rows}))}\n")
    print("| rule | true | judged | precision | Wilson 95% | false by cause |")
    print("|---|---:|---:|---:|---|---|")
    for rule, counts in sorted(by_rule.items(), key=lambda kv: -sum(kv[1].values())):
        n, t = sum(counts.values()), counts["true"]
        lo, hi = wilson(t, n)
        causes = ", ".join(f"{c} {k}" for c, k in ((c, k) for c, k in counts.most_common() if c != "true"))
        print(f"| {rule} | {t} | {n} | {t / n:.0%} | {lo:.0%}-{hi:.0%} | {causes} |")
    if a.rule:
        print()
        for r in rows:
            if r["rule"] == a.rule and not r["verdict"].startswith("true"):
                print(f"§3{r['s']}\t{r['project']}\t{r['path']}:{r['line']}\t{r.get('cause')}\t{r.get('note', '')[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
