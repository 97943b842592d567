#!/usr/bin/env python3
"""threatscan with every peer engine vs. the slowest peer alone, on the same tree.

    python bench/peers_bench.py [--python-tree DIR] [--templates N] [--repeat 3]

Uses the peers installed by `bash scripts/install-peers` (.peers/<engine>/). The tree: a real Python package tree
(default: the site-packages of .peers/bandit, i.e. bandit, stevedore, PyYAML, rich, pygments...) plus N generated
CloudFormation templates. Each peer alone is run as its users run it (bandit -r, semgrep scan with threatscan's
rules, checkov -d --framework cloudformation); then `threatscan scan --engines bandit,semgrep,checkov`.
Prints wall time (median) for each and the ratio of the full run to the slowest peer alone (target <= 1.10).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO / ".peers"
WORK = REPO / "bench" / ".work" / "peers"

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  DbPassword{i}:
    Type: String
Resources:
  Orders{i}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://artifacts-{i}/orders.zip
      Environment:
        Variables:
          TABLE: orders-{i}
          DB_PASSWORD: !Ref DbPassword{i}
  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: reports-{i}
  Table{i}:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
  Queue{i}:
    Type: AWS::SQS::Queue
"""


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python-tree", type=Path, default=None)
    ap.add_argument("--templates", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for e in ("bandit", "semgrep", "checkov"):
        if not (PEERS / e / "bin" / e).exists():
            print(f"{e} is not installed: run `bash scripts/install-peers`", file=sys.stderr)
            return 2
    tree = WORK / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    source = args.python_tree or next((PEERS / "bandit" / "lib").glob("python3*/site-packages"))
    shutil.copytree(source, tree / "py", ignore=shutil.ignore_patterns("__pycache__", "*.dist-info", "pip", "setuptools", "_distutils_hack"))
    (tree / "templates").mkdir(parents=True)
    for i in range(args.templates):
        (tree / "templates" / f"stack{i}.yaml").write_text(TEMPLATE.format(i=i))
    py_files = sum(1 for _ in (tree / "py").rglob("*.py"))
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0",
           "PATH": os.pathsep.join(str(PEERS / e / "bin") for e in ("bandit", "semgrep", "checkov")) + os.pathsep + os.environ["PATH"]}
    threatscan = str(Path(sys.executable).parent / "threatscan")
    runs = {
        "bandit alone": [str(PEERS / "bandit/bin/bandit"), "-q", "-r", "-f", "json", "-o", str(WORK / "b.json"), "py"],
        "semgrep alone": [str(PEERS / "semgrep/bin/semgrep"), "scan", "--config", str(REPO / "rules" / "semgrep"), "--json",
                          "--metrics=off", "--disable-version-check", "--quiet", "--no-git-ignore", "--output", str(WORK / "s.json"), "py"],
        "checkov alone": [str(PEERS / "checkov/bin/checkov"), "-d", "templates", "--framework", "cloudformation", "-o", "json",
                          "--quiet", "--compact", "--skip-download"],
        "threatscan native only": [threatscan, "scan", ".", "--engines", "native", "--fail-on", "none", "--format", "json",
                                   "--output", str(WORK / "n.json")],
        "threatscan + all peers": [threatscan, "scan", ".", "--engines", "bandit,semgrep,checkov", "--fail-on", "none",
                                   "--format", "json", "--output", str(WORK / "t.json")],
    }
    print(f"tree: {py_files} Python files ({source}), {args.templates} CloudFormation templates; "
          f"{os.cpu_count()} cores; median of {args.repeat}")
    medians = {}
    for name, cmd in runs.items():
        times = [timed(cmd, tree, env) for _ in range(args.repeat)]
        medians[name] = statistics.median(times)
        print(f"  {name:<26} {medians[name]:7.2f} s   ({', '.join(f'{t:.2f}' for t in times)})")
    slowest = max(("bandit alone", "semgrep alone", "checkov alone"), key=medians.get)
    ratio = medians["threatscan + all peers"] / medians[slowest]
    print(f"full run / slowest peer alone ({slowest}): {ratio:.2f}  (target <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
