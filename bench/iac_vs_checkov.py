#!/usr/bin/env python3
"""Benchmark: threatscan's CloudFormation/SAM rules against checkov on the same templates.

    python bench/iac_vs_checkov.py [--templates N | --templates-dir DIR] [--repeat R] [--checkov-runs K]

With --templates-dir, scans the real templates in DIR (bench/collect_templates.py gathers them from git mirrors
of public repositories); otherwise generates N (default 400) realistic CloudFormation and SAM templates (YAML and
JSON, 8-80 resources each: functions with environments and policies, roles, buckets, tables, queues, topics,
security groups, APIs, user pools, databases) under bench/.work/templates. Then runs, each in its own process,
R rounds interleaved (every tool once per round), measuring wall time, CPU time and peak memory (the summed PSS
of the process and its children, bench/_measure.py), and prints the median CPU of each and the ratios:

  1. a baseline that only parses every template with PyYAML's C loader (CSafeLoader, tags as plain values),
  2. threatscan scan DIR --engines native --no-cache --jobs 1 (every rule, JSON report to a file; the report is
     written, as a user's scan writes it), and with --pool the default worker pool too,
  3. checkov -d DIR --framework cloudformation (JSON output, no downloads).

checkov comes from .peers/checkov (scripts/install-peers) or, if missing, is installed from PyPI into a
throwaway virtual environment under bench/.work/checkov-venv. Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
sys.path.insert(0, str(REPO / "bench"))
from _measure import run as run_measured  # noqa: E402


# --- templates ------------------------------------------------------------------------------------------------

def _function(rng: random.Random, i: int, sam: bool) -> dict:
    env = {"TABLE_NAME": {"Ref": f"Table{i}"}, "STAGE": "prod"}
    if rng.random() < 0.3:
        env["DB_PASSWORD"] = rng.choice(["Xk9#mQ2v!pL7zR4w", "{{resolve:secretsmanager:db:SecretString:pw}}"])
    props: dict = {"Handler": "app.handler", "Runtime": "python3.12", "Timeout": 30, "MemorySize": 256,
                   "Environment": {"Variables": env}}
    if rng.random() < 0.5:
        props["VpcConfig"] = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": [{"Ref": f"Sg{i}"}]}
    if sam:
        props["CodeUri"] = f"src/fn{i}/"
        props["Policies"] = [{"DynamoDBCrudPolicy": {"TableName": {"Ref": f"Table{i}"}}},
                             {"Statement": [{"Effect": "Allow", "Action": rng.choice(["s3:*", "s3:GetObject"]),
                                             "Resource": "*"}]}]
        props["Events"] = {"Get": {"Type": "Api", "Properties": {"Path": f"/items{i}", "Method": "get"}}}
        return {"Type": "AWS::Serverless::Function", "Properties": props}
    props["Code"] = {"S3Bucket": "artifacts", "S3Key": f"fn{i}.zip"}
    props["Role"] = {"Fn::GetAtt": [f"Role{i % 3}", "Arn"]}
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def _role(rng: random.Random, i: int) -> dict:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        "Policies": [{"PolicyName": f"p{i}", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": rng.choice([["dynamodb:GetItem", "dynamodb:PutItem"], "lambda:InvokeFunction", "*"]),
             "Resource": rng.choice(["*", {"Fn::GetAtt": [f"Table{i}", "Arn"]}])}]}}]}}


def _others(rng: random.Random, i: int) -> dict[str, dict]:
    out = {
        f"Table{i}": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            **({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}} if rng.random() < 0.5 else {})}},
        f"Bucket{i}": {"Type": "AWS::S3::Bucket", "Properties": {
            **({"BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}} if rng.random() < 0.5 else {}),
            "VersioningConfiguration": {"Status": "Enabled"}}},
        f"Queue{i}": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
        f"Topic{i}": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"t{i}"}},
        f"Sg{i}": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "fn", "VpcId": "vpc-1",
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": rng.choice([22, 443, 5432]),
                                      "ToPort": rng.choice([22, 443, 5432]), "CidrIp": rng.choice(["0.0.0.0/0", "10.0.0.0/8"])}]}},
    }
    if rng.random() < 0.2:
        out[f"Pool{i}"] = {"Type": "AWS::Cognito::UserPool", "Properties": {
            "MfaConfiguration": rng.choice(["OFF", "ON"]), "Policies": {"PasswordPolicy": {"MinimumLength": rng.choice([6, 8, 12])}}}}
    if rng.random() < 0.2:
        out[f"Db{i}"] = {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
            "StorageEncrypted": rng.choice([True, False]), "MasterUsername": "admin",
            "MasterUserPassword": "{{resolve:secretsmanager:db:SecretString:password}}"}}
    return out


def _to_yaml(doc: dict) -> str:
    """YAML with short-form intrinsic tags, the way people write templates."""
    import yaml

    def rewrite(v):
        if isinstance(v, dict):
            if len(v) == 1 and next(iter(v)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                (k, arg), = v.items()
                return Tagged(k, arg)
            return {k: rewrite(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rewrite(x) for x in v]
        return v

    class Tagged:
        def __init__(self, fn, arg):
            self.fn, self.arg = fn, arg

    def represent(dumper, t):
        tag = "!" + t.fn.replace("Fn::", "")
        if t.fn == "Fn::GetAtt":
            return dumper.represent_scalar(tag, ".".join(t.arg))
        return dumper.represent_scalar(tag, t.arg)

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Tagged, represent)
    return yaml.dump(rewrite(doc), Dumper=Dumper, sort_keys=False, width=120)


def generate(directory: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for n in range(count):
        sam = n % 2 == 0
        resources: dict = {}
        for i in range(rng.randint(1, 12)):
            resources[f"Fn{i}"] = _function(rng, i, sam)
            resources.update(_others(rng, i))
            if not sam and i < 3:
                resources[f"Role{i}"] = _role(rng, i)
        doc = {"AWSTemplateFormatVersion": "2010-09-09", **({"Transform": "AWS::Serverless-2016-10-31"} if sam else {}),
               "Description": f"generated template {n}",
               "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
               "Resources": resources}
        if n % 3 == 2:
            (directory / f"t{n:04d}.json").write_text(json.dumps(doc, indent=2))
        else:
            (directory / f"t{n:04d}.yaml").write_text(_to_yaml(doc))


# --- running --------------------------------------------------------------------------------------------------

def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, int, float]:
    """(wall seconds, peak memory MiB summed over the process tree, exit code, CPU seconds user+system)."""
    err = WORK / "stderr.txt"
    m = run_measured(cmd, env=env, cwd=cwd, err=err)
    if m.exit_code not in (0, 1):
        print(f"  ! {cmd[0]} exited {m.exit_code}: {err.read_text(errors='replace').strip()[-400:]}", file=sys.stderr)
    return m.wall, m.peak_mib, m.exit_code, m.cpu


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")

# The floor: PyYAML's C loader reading every template file (recursively, as both tools do), tags as plain values.
# A file it cannot read (real repositories hold a few malformed templates) is skipped, not fatal.
BASELINE = r"""
import sys, pathlib, yaml
class L(yaml.CSafeLoader): pass
def any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode): return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode): return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)
L.add_multi_constructor("!", any_tag)
n = bad = 0
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*")):
    if not p.is_file() or not p.name.lower().endswith((".yaml", ".yml", ".json", ".template")):
        continue
    try:
        with open(p, encoding="utf-8") as fh:
            yaml.load(fh, Loader=L); n += 1
    except (yaml.YAMLError, UnicodeDecodeError, ValueError):
        bad += 1
print(n, "read,", bad, "unreadable", file=sys.stderr)
"""


def checkov_binary(given: str | None = None) -> str:
    candidates = [Path(given)] if given else []
    candidates += [REPO / ".peers" / "checkov" / "bin" / "checkov", WORK / "checkov-venv" / "bin" / "checkov"]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    venv = WORK / "checkov-venv"
    print("installing checkov from PyPI into bench/.work/checkov-venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "checkov"], check=True)
    return str(venv / "bin" / "checkov")


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--templates", type=int, default=400, help="how many templates to generate (without --templates-dir)")
    ap.add_argument("--templates-dir", "--dir", dest="dir", type=Path,
                    help="scan the templates in this directory (e.g. real ones, bench/collect_templates.py) "
                         "instead of generating them")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds; in each round every tool runs once, in turn (interleaved): the median CPU is reported")
    ap.add_argument("--checkov-runs", type=int, default=None,
                    help="run checkov in only the first N rounds (it takes minutes; default: every round)")
    ap.add_argument("--checkov", help="the checkov executable (default: .peers/checkov, bench/.work/checkov-venv, PATH)")
    ap.add_argument("--no-checkov", action="store_true", help="leave checkov out (the floor and threatscan only)")
    ap.add_argument("--pool", action="store_true", help="also run threatscan with its default worker pool")
    args = ap.parse_args()
    directory = args.dir or WORK / "templates"
    if args.dir is None:
        generate(directory, args.templates)
    files = [p for p in directory.rglob("*") if p.is_file() and p.name.lower().endswith(TEMPLATE_SUFFIXES)]
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} template files, {size / 1048576:.1f} MiB, in {directory}")
    WORK.mkdir(parents=True, exist_ok=True)
    # Bytecode caching on, as for an installed package (a shell with PYTHONDONTWRITEBYTECODE=1 would make every
    # threatscan start-up compile its modules from source); one unmeasured scan first writes the .pyc files.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(LOG_LEVEL="ERROR", CHECKOV_LOG_LEVEL="ERROR", BC_SKIP_MAPPING="TRUE")
    report = WORK / "threatscan-templates.json"
    threatscan = [sys.executable, "-m", "threatscan", "scan", str(directory), "--engines", "native", "--no-cache",
                  "--format", "json", "--output", str(report), "--fail-on", "none", "--quiet"]
    runs = {"CSafeLoader parse only": [sys.executable, "-c", BASELINE, str(directory)],
            "threatscan -j 1": [*threatscan, "--jobs", "1"]}
    if args.pool:
        runs["threatscan (default jobs)"] = threatscan
    if not args.no_checkov:
        runs["checkov (cloudformation)"] = [
            checkov_binary(args.checkov), "-d", str(directory), "--framework", "cloudformation", "--output", "json",
            "--quiet", "--skip-download", "--compact"]
    measure(threatscan + ["--jobs", "1"], env=env, cwd=REPO)  # warm-up: .pyc files written, not counted
    results: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name in runs}
    checkov_rounds = args.repeat if args.checkov_runs is None else args.checkov_runs
    for round_no in range(args.repeat):
        for name, cmd in runs.items():
            if name.startswith("checkov") and round_no >= checkov_rounds:
                continue
            results[name].append(measure(cmd, env=env, cwd=REPO))
            wall, mem, code, cpu = results[name][-1]
            print(f"  round {round_no + 1}: {name:28s} {cpu:8.2f} s CPU {wall:8.2f} s wall {mem:7.1f} MiB (exit {code})",
                  file=sys.stderr)
    print(f"{'run':28s} {'CPU median':>10s} {'CPU runs':>24s} {'wall med.':>9s} {'peak MiB':>8s}")
    cpu = {}
    for name, rs in results.items():
        cpu[name] = _median([r[3] for r in rs])
        runs_text = ", ".join(f"{r[3]:.2f}" for r in rs)
        print(f"{name:28s} {cpu[name]:8.2f} s {runs_text:>24s} {_median([r[0] for r in rs]):7.2f} s "
              f"{max(r[1] for r in rs):8.1f}")
    ts, floor = cpu["threatscan -j 1"], cpu["CSafeLoader parse only"]
    line = f"threatscan -j 1 = {ts / floor:.2f}x the CSafeLoader floor"
    if "checkov (cloudformation)" in cpu:
        ck = cpu["checkov (cloudformation)"]
        line += f"; checkov uses {ck / ts:.1f}x the CPU of threatscan -j 1 (target 40x) and {ck / floor:.1f}x the floor"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
