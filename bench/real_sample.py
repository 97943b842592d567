"""The real-code precision sample of docs/accuracy.md §3, from `threatscan scan --format json` results.

    python bench/real_sample.py RESULTS_DIR [--show SRC_ROOT]

RESULTS_DIR holds one PROJECT.json per scanned project. The sample is every medium+ finding of the Python rules
outside the secrets family (PY2xx), at most six per rule and project, sorted by rule, path and line. With --show,
each finding is printed with its code (read from SRC_ROOT/PROJECT/...) and its data-flow steps, for judging.
With --secrets, the sample is the secrets family instead: medium+ PY2xx findings, at most six per project (sorted
the same way); --show then masks every quoted text, so no secret value is printed.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re

_LITERAL = re.compile(r"""(['"])[^'"]+\1""")


def sample(results: str, secrets: bool = False) -> list[tuple[str, dict]]:
    out = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        project = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as fh:
            findings = json.load(fh)["findings"]
        rows = [f for f in findings if f["rule_id"].startswith("PY") and f["rule_id"].startswith("PY2") == secrets
                and f["severity"] in ("medium", "high", "critical") and not f.get("suppression")]
        rows.sort(key=lambda f: (f["rule_id"], f["location"]["path"], f["location"]["line"]))
        per_rule: collections.Counter = collections.Counter()
        for f in rows:
            key = "secrets" if secrets else f["rule_id"]
            if per_rule[key] < 6:
                per_rule[key] += 1
                out.append((project, f))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--show", metavar="SRC_ROOT", help="print code and flow from SRC_ROOT/PROJECT")
    parser.add_argument("--secrets", action="store_true", help="sample the secrets family (PY2xx), six per project")
    args = parser.parse_args()
    chosen = sample(args.results, args.secrets)
    print(f"{len(chosen)} findings from {len({p for p, _ in chosen})} projects")
    for i, (project, f) in enumerate(chosen, 1):
        loc = f["location"]
        print(f"#{i} | {project} | `{loc['path']}:{loc['line']}` | {f['rule_id']} | {f['severity']} | "
              f"{f['code_kind']} | {f['message'][:160]}")
        if not args.show:
            continue
        try:
            with open(os.path.join(args.show, project, loc["path"]), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
            for n in range(max(1, loc["line"] - 8), min(len(lines), loc["line"] + 3) + 1):
                text = _LITERAL.sub(r"\1***\1", lines[n - 1]) if args.secrets else lines[n - 1]
                print(f"   {n:5} {'>' if n == loc['line'] else ' '} {text[:150]}")
        except OSError as exc:
            print(f"   ({exc})")
        for step in f["flow"]:
            print(f"   flow {step['location']['path']}:{step['location']['line']} {step['message'][:100]}")
        print()


if __name__ == "__main__":
    main()
