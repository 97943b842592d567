#!/usr/bin/env python3
"""threatscan's IaC findings beside checkov's, per threat family, on the same real templates.

    threatscan scan DIR --select 'IAC*' --format json --output ts.json --fail-on none
    checkov -d DIR --framework cloudformation -o json --quiet --skip-download > checkov.json
    python bench/iac_families.py ts.json checkov.json [--show FAMILY] [--root DIR]

Both tools' failed checks are reduced to (file, resource logical id) per family and compared: flagged by both,
by threatscan only, by checkov only. threatscan rules map to families by id; checkov checks by words in their
names (printed with --checks, so the mapping can be read and argued with). --show FAMILY lists that family's
disagreements to judge by reading the templates. A benchmark, not a test: the suite never runs it.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import PurePosixPath

FAMILIES = ("iam", "at-rest", "transport", "network", "public-data", "api", "logging", "secrets")

TS_FAMILY = {
    "IAC111": "iam", "IAC112": "iam", "IAC113": "iam", "IAC115": "iam", "IAC117": "iam",
    "IAC140": "at-rest", "IAC142": "at-rest", "IAC145": "at-rest", "IAC146": "at-rest", "IAC147": "at-rest",
    "IAC148": "at-rest", "IAC149": "at-rest",
    "IAC123": "transport", "IAC124": "transport",
    "IAC150": "network", "IAC143": "network",
    "IAC141": "public-data",
    "IAC120": "api", "IAC121": "api", "IAC133": "api",
    "IAC122": "logging", "IAC160": "logging", "IAC161": "logging", "IAC162": "logging", "IAC163": "logging",
    "IAC101": "secrets", "IAC103": "secrets", "IAC104": "secrets", "IAC105": "secrets",
}

# checkov check names -> family (first match wins; unmatched checks are left out of the comparison).
CHECKOV_FAMILY = (
    ("secrets", re.compile(r"secret|credential|password|hard.?coded|access key", re.I)),
    ("transport", re.compile(r"in transit|transit encryption|node.to.node|https|tls|ssl|viewer protocol|"
                             r"uses? (?:a )?secure protocol|enforce.*http|listener", re.I)),
    ("logging", re.compile(r"log(?:ging|s)? |logging|access log|cloudtrail|trail|log file validation|execution log", re.I)),
    ("public-data", re.compile(r"public|acl|block public", re.I)),
    ("network", re.compile(r"security group|ingress|0\.0\.0\.0|port \d+|vpc.*default", re.I)),
    ("iam", re.compile(r"iam|polic(?:y|ies)|principal|assume|privilege|wildcard|\"\*\"|admin", re.I)),
    ("api", re.compile(r"authoriz|throttl|usage plan|function url|api gateway.*(?:auth|cach)|unauthenticated|"
                       r"identity pool", re.I)),
    ("at-rest", re.compile(r"encrypt|kms|cmk|\bsse\b|customer.managed", re.I)),
)


def ts_sets(path: str, root: str) -> dict[str, set]:
    data = json.load(open(path))
    out: dict[str, set] = defaultdict(set)
    for f in data["findings"]:
        fam = TS_FAMILY.get(f["rule_id"])
        if fam is None or f.get("suppression"):
            continue
        res = (f.get("properties") or {}).get("resource") or "(template)"
        out[fam].add((_norm(f["location"]["path"], root), res))
    return out


def _norm(path: str, root: str) -> str:
    p = path.lstrip("/")
    r = root.strip("/")
    return p[len(r) + 1:] if r and p.startswith(r + "/") else p


def checkov_family(name: str) -> str | None:
    for fam, pattern in CHECKOV_FAMILY:
        if pattern.search(name):
            return fam
    return None


def checkov_sets(path: str, root: str) -> tuple[dict[str, set], dict[str, str]]:
    data = json.load(open(path))
    reports = data if isinstance(data, list) else [data]
    out: dict[str, set] = defaultdict(set)
    names: dict[str, str] = {}
    for rep in reports:
        for c in rep.get("results", {}).get("failed_checks", []):
            fam = checkov_family(c.get("check_name", ""))
            names[c["check_id"]] = f"{fam or '-'}: {c.get('check_name')}"
            if fam is None:
                continue
            res = str(c.get("resource", "")).rsplit(".", 1)[-1] or "(template)"
            out[fam].add((_norm(c["file_path"], root), res))
    return out, names


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("threatscan")
    ap.add_argument("checkov")
    ap.add_argument("--root", default="")
    ap.add_argument("--show")
    ap.add_argument("--checks", action="store_true")
    args = ap.parse_args()
    ts = ts_sets(args.threatscan, args.root)
    ck, names = checkov_sets(args.checkov, args.root)
    if args.checks:
        for cid, name in sorted(names.items()):
            print(cid, name)
        return
    print(f"| family | both | threatscan only | checkov only |")
    print(f"|---|---:|---:|---:|")
    for fam in FAMILIES:
        a, b = ts.get(fam, set()), ck.get(fam, set())
        print(f"| {fam} | {len(a & b)} | {len(a - b)} | {len(b - a)} |")
    if args.show:
        a, b = ts.get(args.show, set()), ck.get(args.show, set())
        print("\nthreatscan only:")
        for x in sorted(a - b):
            print("  ", *x)
        print("checkov only:")
        for x in sorted(b - a):
            print("  ", *x)


if __name__ == "__main__":
    main()
