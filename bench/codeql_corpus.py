#!/usr/bin/env python3
"""Score threatscan on the CodeQL-derived Python corpus (an external suite nobody here wrote).

    .venv/bin/python bench/codeql_corpus.py CORPUS_DIR [--cwe 78,79] [--show] [--sarif OUT.sarif]

CORPUS_DIR is the folder that holds `corpus/`, `expected.jsonl` and `score.py` (its README says how it was built);
nothing of it is copied here. The corpus is scanned in-process with the native engines, and the findings are scored
with the corpus's own `score.py` functions (same files, same ±2-line window, same CWE groups), twice:

- **gate tier**: findings a default gate acts on, i.e. without the `review` evidence tier (values whose origin the
  data flow cannot see: a low, precision-low finding by the README's "Severity follows evidence" policy);
- **all findings**: the review tier included, as a SARIF consumer that shows every result would count them.

`--show` lists, for the selected CWEs, every missed positive and every flagged negative with the code line.
`--sarif` also writes the full SARIF report (every finding) so `python3 CORPUS_DIR/score.py OUT.sarif` can check the
figures independently. This is a benchmark: the test suite never runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from threatscan.catalog import load_catalog  # noqa: E402
from threatscan.scan import ScanOptions, run_scan  # noqa: E402

ISSUE_CWES = (22, 78, 79, 89, 94, 327, 502, 601, 611, 614, 1004, 1275, 798, 918)


def _scorer(folder: Path):
    spec = importlib.util.spec_from_file_location("codeql_score", folder / "score.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--cwe", default=",".join(map(str, ISSUE_CWES)), help="CWEs for the mean and --show")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--sarif", type=Path)
    a = ap.parse_args(argv)
    scorer = _scorer(a.folder)
    labels = scorer.load_labels(str(a.folder / "expected.jsonl"))
    corpus = a.folder / "corpus"
    catalog = load_catalog()
    result = run_scan(ScanOptions(paths=[str(corpus)], root=corpus, jobs=1), catalog)
    if a.sarif:
        from threatscan.report.sarif import build_log, dumps

        log = build_log(result.findings, result.notices, result.rules, catalog, root_uri=corpus.resolve().as_uri() + "/",
                        successful=result.successful)
        a.sarif.write_text(dumps(log), encoding="utf-8")
    wanted = [int(c) for c in a.cwe.split(",") if c.strip()]

    def rows(findings):
        items = []
        for f in findings:
            rule = result.catalog.rules.get(f.rule_id) if result.catalog else catalog.rules.get(f.rule_id)
            cwes = set(rule.cwe) if rule else set()
            items.append((f.location.path, f.location.line, cwes, f.rule_id))
        hit, _ = scorer.score(labels, items, 2)
        table, _tot = scorer.table(labels, hit)
        return hit, table

    for title, findings in (("gate tier (evidence != review)", [f for f in result.findings if f.evidence != "review"]),
                            ("all findings", result.findings)):
        hit, table = rows(findings)
        print(f"## {title}")
        print("| CWE | positives found | negatives flagged | TPR | FPR | TPR-FPR |")
        print("|---|---:|---:|---:|---:|---:|")
        scores = []
        for cwe in wanted:
            r = table.get(f"CWE-{cwe}")
            if r is None:
                continue
            scores.append(r["tpr_minus_fpr"])
            fpr = "-" if r["fpr"] is None else f"{r['fpr']:.2f}"
            print(f"| {cwe} | {r['found']}/{r['positives']} | {r['flagged']}/{r['negatives']} | {r['tpr']:.2f} | {fpr} "
                  f"| {r['tpr_minus_fpr']:.2f} |")
        print(f"| **mean** | | | | | **{sum(scores) / len(scores):.2f}** (lowest {min(scores):.2f}) |\n")
        if a.show and title.startswith("gate"):
            for i, lab in enumerate(labels):
                cwe = int(lab["cwe"].split("-")[1])
                if cwe not in wanted or hit[i] == (lab["expect"] == "finding"):
                    continue
                kind = "MISSED" if lab["expect"] == "finding" else "FLAGGED"
                line = (corpus / lab["path"]).read_text(encoding="utf-8").splitlines()[lab["line"] - 1].strip()
                print(f"{kind:8} CWE-{cwe:<5} {lab['path']}:{lab['line']}  {line[:100]}")
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
