"""Score the real-code precision sample of docs/accuracy.md (§3d, §3e) against a verdict file.

    python bench/score_sample.py VERDICTS.tsv RESULTS_DIR [--base BASE_RESULTS_DIR] [--uncapped]

RESULTS_DIR holds one PROJECT.json per scanned project (`threatscan scan --format json`). The sample is the one
`bench/real_sample.py` picks (medium+ Python findings outside PY2xx, at most six per rule and project) plus its
secrets sample (PY2xx, at most six per project); with --uncapped, every medium+ Python finding instead.
VERDICTS.tsv is tab-separated with a header and at least the columns project, path, line, rule, verdict
(`true` or `false`) and cause, as docs/accuracy-3d-verdicts.tsv; a finding's verdict is keyed by project, path,
line and rule.

Printed: per family and overall, true / total and the precision with its Wilson 95% interval, once at the gate
tier (what fails a default gate: medium+, not a review finding, no code kind such as test, example or vendored, not
suppressed) and once for every sampled finding; the false findings at the gate tier by cause; and every sampled
finding that has no verdict. With --base, the baseline's gate-tier findings that have a verdict are followed into
RESULTS_DIR: how many true and false ones are still at the gate tier, and which true ones left it.
Exit status 1 when a sampled finding has no verdict or a verdict is neither true nor false.
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_sample import sample  # noqa: E402  (the sampler of §3d, used for every scan scored)

MEDIUM_PLUS = ("medium", "high", "critical")
FAMILIES = ("web data flow", "paths/SSRF", "command/eval/deserialisation", "SQL", "web configuration",
            "crypto/TLS", "other Python", "secrets")
ALL_BUT_SECRETS = "all but secrets"
ALL = "all, secrets included"

Key = tuple[str, str, int, str]


def family(rule_id: str) -> str:
    """The family of a Python rule id, as §3d groups them."""
    n = int(rule_id[2:]) if rule_id[2:].isdigit() else -1
    if 100 <= n < 200:
        return "command/eval/deserialisation"
    if 200 <= n < 300:
        return "secrets"
    if 300 <= n < 400 or n == 407:
        return "web configuration"
    if n == 401:
        return "SQL"
    if 402 <= n <= 406:
        return "web data flow"
    if 408 <= n <= 411:
        return "paths/SSRF"
    if 500 <= n < 600:
        return "crypto/TLS"
    return "other Python"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials (95% for z = 1.96)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, centre - half), min(1.0, centre + half)


def is_review(f: dict) -> bool:
    tags = (f.get("properties") or {}).get("tags") or ()
    return f.get("evidence") == "review" or "review" in tags


def at_gate(f: dict) -> bool:
    """The gate tier: medium+, not review, no code kind (test, example, vendored), not suppressed."""
    return (f.get("severity") in MEDIUM_PLUS and not is_review(f) and not f.get("code_kind")
            and not f.get("suppression"))


def key_of(project: str, f: dict) -> Key:
    return (project, f["location"]["path"], int(f["location"]["line"]), f["rule_id"])


def load_verdicts(path: str) -> dict[Key, dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["project"], r["path"], int(r["line"]), r["rule"]): r
                for r in csv.DictReader(fh, delimiter="\t")}


def chosen(results: str, uncapped: bool = False) -> list[tuple[str, dict]]:
    """The findings scored: the sample and the secrets sample, or every medium+ Python finding."""
    if not uncapped:
        return sample(results) + sample(results, secrets=True)
    out = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        project = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as fh:
            out += [(project, f) for f in json.load(fh)["findings"]
                    if f["rule_id"].startswith("PY") and f["severity"] in MEDIUM_PLUS and not f.get("suppression")]
    return out


def all_findings(results: str) -> dict[Key, list[dict]]:
    out: dict[Key, list[dict]] = {}
    for path in glob.glob(os.path.join(results, "*.json")):
        project = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as fh:
            for f in json.load(fh)["findings"]:
                out.setdefault(key_of(project, f), []).append(f)
    return out


def _cell(k: int, n: int) -> str:
    if not n:
        return "0 | 0 | - | -"
    lo, hi = wilson(k, n)
    return f"{n} | {k} | {100 * k / n:.0f}% | {100 * lo:.0f}-{100 * hi:.0f}%"


def score(verdicts: dict[Key, dict], results: str, uncapped: bool = False) -> tuple[list[str], int]:
    """The report lines and the number of problems (findings without a verdict, verdicts not true/false)."""
    rows = chosen(results, uncapped)
    gate: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    every: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    causes: collections.Counter = collections.Counter()
    missing, bad = [], []
    for project, f in rows:
        v = verdicts.get(key_of(project, f))
        if v is None:
            missing.append((project, f))
            continue
        if v["verdict"] not in ("true", "false"):
            bad.append((project, f, v["verdict"]))
            continue
        true = v["verdict"] == "true"
        fam = family(f["rule_id"])
        groups = (fam, ALL) if fam == "secrets" else (fam, ALL_BUT_SECRETS, ALL)
        for g in groups:
            every[g][0] += 1
            every[g][1] += true
            if at_gate(f):
                gate[g][0] += 1
                gate[g][1] += true
        if at_gate(f) and not true:
            causes[v.get("cause") or "(no cause)"] += 1
    what = "every medium+ Python finding" if uncapped else "the sample and the secrets sample"
    out = [f"{len(rows)} findings ({what}) from {len({p for p, _ in rows})} projects; "
           f"{len(missing)} without a verdict",
           "",
           "| family | gate tier | true | precision | Wilson 95% | all sampled | true | precision | Wilson 95% |",
           "|---|---:|---:|---:|---|---:|---:|---:|---|"]
    for fam in (*FAMILIES, ALL_BUT_SECRETS, ALL):
        if fam not in every:
            continue
        g, e = gate[fam], every[fam]
        out.append(f"| {fam} | {_cell(g[1], g[0])} | {_cell(e[1], e[0])} |")
    if causes:
        out += ["", "False at the gate tier by cause: "
                + ", ".join(f"{c} {n}" for c, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))]
    for project, f in missing:
        loc = f["location"]
        out.append(f"NO VERDICT\t{project}\t{loc['path']}\t{loc['line']}\t{f['rule_id']}\t{f['severity']}\t"
                   f"{f.get('code_kind') or ''}\t{'review' if is_review(f) else ''}\t{f['message'][:100]}")
    for project, f, verdict in bad:
        out.append(f"BAD VERDICT {verdict!r}\t{project}\t{f['location']['path']}\t{f['location']['line']}\t"
                   f"{f['rule_id']}")
    return out, len(missing) + len(bad)


def follow(verdicts: dict[Key, dict], base: str, results: str, uncapped: bool = False) -> list[str]:
    """Where the baseline's judged gate-tier findings are in RESULTS: still at the gate tier or not."""
    now = all_findings(results)
    moved: collections.Counter = collections.Counter()
    left_true = []
    for project, f in chosen(base, uncapped):
        k = key_of(project, f)
        v = verdicts.get(k)
        if v is None or v["verdict"] not in ("true", "false") or not at_gate(f):
            continue
        stays = any(at_gate(x) for x in now.get(k, ()))
        moved[(v["verdict"], stays)] += 1
        if v["verdict"] == "true" and not stays:
            states = sorted({x["severity"] + (" review" if is_review(x) else "")
                             + (f" {x['code_kind']}" if x.get("code_kind") else "") for x in now.get(k, ())})
            left_true.append(f"  true finding left the gate tier: {project} {k[1]}:{k[2]} {k[3]} "
                             f"(now {', '.join(states) or 'gone'})")
    return [f"baseline gate tier, followed: true {moved[('true', True)]} stayed, {moved[('true', False)]} left; "
            f"false {moved[('false', True)]} stayed, {moved[('false', False)]} left", *left_true]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verdicts", help="verdict file (TSV, as docs/accuracy-3d-verdicts.tsv)")
    parser.add_argument("results", help="directory of PROJECT.json scan results")
    parser.add_argument("--base", metavar="BASE_RESULTS", help="baseline results: follow its gate-tier findings")
    parser.add_argument("--uncapped", action="store_true", help="score every medium+ Python finding, not the sample")
    args = parser.parse_args(argv)
    verdicts = load_verdicts(args.verdicts)
    lines, problems = score(verdicts, args.results, args.uncapped)
    if args.base:
        lines += ["", *follow(verdicts, args.base, args.results, args.uncapped)]
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
