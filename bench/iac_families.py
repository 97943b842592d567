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
from collections import defaultdict

FAMILIES = ("iam", "at-rest", "transport", "network", "public-data", "api", "logging", "secrets", "images")

TS_FAMILY = {
    "IAC111": "iam", "IAC112": "iam", "IAC113": "iam", "IAC115": "iam", "IAC117": "iam",
    "IAC140": "at-rest", "IAC142": "at-rest", "IAC145": "at-rest", "IAC146": "at-rest", "IAC147": "at-rest",
    "IAC148": "at-rest", "IAC149": "at-rest", "IAC170": "at-rest",
    "IAC123": "transport", "IAC124": "transport", "IAC125": "transport",
    "IAC150": "network", "IAC143": "network", "IAC102": "at-rest",
    "IAC141": "public-data",
    "IAC120": "api", "IAC121": "api", "IAC133": "api",
    "IAC122": "logging", "IAC160": "logging", "IAC161": "logging", "IAC162": "logging", "IAC163": "logging",
    "IAC101": "secrets", "IAC103": "secrets", "IAC104": "secrets", "IAC105": "secrets", "IAC106": "secrets",
    "IAC171": "images", "IAC172": "images",
}

# checkov checks -> family, by id (read from checkov 3.3's check names; `--checks` prints every failed check with
# the family it was given, "-" for checks outside these families: Lambda DLQ/concurrency, WAF, X-Ray, versioning,
# IMDSv1, ...). Encryption checks of services no threatscan rule reads count in their family: they show up as
# "checkov only". MSK's CKV_AWS_81 (in transit and at rest in one check) counts as at rest.
CHECKOV_IDS = {
    "iam": ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111", "CKV_AWS_33", "CKV_AWS_60",
            "CKV_AWS_61", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_32", "CKV_AWS_364", "CKV_AWS_70"),
    "at-rest": ("CKV_AWS_16", "CKV_AWS_19", "CKV_AWS_26", "CKV_AWS_27", "CKV_AWS_29", "CKV_AWS_3", "CKV_AWS_42",
                "CKV_AWS_43", "CKV_AWS_44", "CKV_AWS_74", "CKV_AWS_96", "CKV_AWS_119", "CKV_AWS_136", "CKV_AWS_149",
                "CKV_AWS_160", "CKV_AWS_158", "CKV_AWS_173", "CKV_AWS_35", "CKV_AWS_81", "CKV_AWS_84", "CKV_AWS_5"),
    "transport": ("CKV_AWS_103", "CKV_AWS_174", "CKV_AWS_2", "CKV_AWS_34", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_6",
                  "CKV_AWS_83"),
    "network": ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CKV_AWS_17"),
    "public-data": ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV_AWS_20", "CKV_AWS_57"),
    "api": ("CKV_AWS_366", "CKV_AWS_59"),
    "logging": ("CKV_AWS_18", "CKV_AWS_36", "CKV_AWS_67", "CKV_AWS_76", "CKV_AWS_95", "CKV_AWS_86", "CKV_AWS_91",
                "CKV_AWS_92"),
    "secrets": ("CKV_AWS_45", "CKV_AWS_46", "CKV_AWS_41"),
    "images": ("CKV_AWS_163", "CKV_AWS_51"),
}
_BY_ID = {cid: fam for fam, ids in CHECKOV_IDS.items() for cid in ids}


def checkov_family(check_id: str) -> str | None:
    return _BY_ID.get(check_id)


WHY: dict[tuple, set] = defaultdict(set)  # (family, file, resource) -> the rules/checks that flagged it


def ts_sets(path: str, root: str) -> dict[str, set]:
    data = json.load(open(path))
    out: dict[str, set] = defaultdict(set)
    for f in data["findings"]:
        fam = TS_FAMILY.get(f["rule_id"])
        if fam is None or f.get("suppression"):
            continue
        res = (f.get("properties") or {}).get("resource") or "(template)"
        out[fam].add((_norm(f["location"]["path"], root), res))
        WHY[(fam, _norm(f["location"]["path"], root), res)].add(f["rule_id"])
    return out


def _norm(path: str, root: str) -> str:
    p = path.lstrip("/")
    r = root.strip("/")
    return p[len(r) + 1:] if r and p.startswith(r + "/") else p


def checkov_sets(path: str, root: str) -> tuple[dict[str, set], dict[str, str]]:
    data = json.load(open(path))
    reports = data if isinstance(data, list) else [data]
    out: dict[str, set] = defaultdict(set)
    names: dict[str, str] = {}
    for rep in reports:
        for c in rep.get("results", {}).get("failed_checks", []):
            fam = checkov_family(c["check_id"])
            names[c["check_id"]] = f"{fam or '-'}: {c.get('check_name')}"
            if fam is None:
                continue
            res = str(c.get("resource", "")).rsplit(".", 1)[-1] or "(template)"
            out[fam].add((_norm(c["file_path"], root), res))
            WHY[(fam, _norm(c["file_path"], root), res)].add(c["check_id"])
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
    print("| family | both | threatscan only | checkov only |")
    print("|---|---:|---:|---:|")
    for fam in FAMILIES:
        a, b = ts.get(fam, set()), ck.get(fam, set())
        print(f"| {fam} | {len(a & b)} | {len(a - b)} | {len(b - a)} |")
    if args.show:
        a, b = ts.get(args.show, set()), ck.get(args.show, set())
        print("\nthreatscan only:")
        for x in sorted(a - b):
            print("  ", *x, *sorted(WHY[(args.show, *x)]))
        print("checkov only:")
        for x in sorted(b - a):
            print("  ", *x, *sorted(WHY[(args.show, *x)]))


if __name__ == "__main__":
    main()
