"""Scale past one machine: a stable partition of a repository's files into N shards, and the merge of the shards'
SARIF logs into the one run a single scan would have written.

A shard is chosen by a hash of the file's repository-relative path, so it does not depend on the machine, the order
of discovery or which other files exist: `threatscan scan --shard 2/4` on any runner scans the same files. Facts
that span files (a template deploying a handler, a shared execution role) are still gathered over the whole
repository by every shard, so a finding is the same whichever shard reports it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from .model import STRIDE


class ShardError(ValueError):
    """A malformed --shard value or SARIF logs that cannot be merged."""


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' (1 <= I <= N) -> (I, N)."""
    try:
        index, _, count = text.partition("/")
        i, n = int(index), int(count)
    except ValueError:
        raise ShardError(f"--shard takes I/N, for example 2/4, not {text!r}") from None
    if n < 1 or not 1 <= i <= n:
        raise ShardError(f"--shard {text}: I must be between 1 and N")
    return i, n


def shard_of(rel: str, count: int) -> int:
    """The 1-based shard a repository-relative path belongs to among `count` shards."""
    digest = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(rel: str, shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(rel, shard[1]) == shard[0]


def _result_key(result: dict) -> tuple:
    """The order a single scan writes results in: path, line, column, rule id."""
    loc = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    region = loc.get("region", {})
    return (loc.get("artifactLocation", {}).get("uri", ""), region.get("startLine", 0), region.get("startColumn", 0),
            result.get("ruleId", ""))


def _taxon_order(taxonomy: str):
    """Threats by id, CWEs by number, STRIDE in its own order: as report/sarif.py writes them."""
    if taxonomy == "STRIDE":
        return lambda t: STRIDE.index(t) if t in STRIDE else len(STRIDE)
    if taxonomy == "CWE":
        return lambda t: int(t[4:]) if t[4:].isdigit() else 0
    return lambda t: t


def merge_sarif(logs: Iterable[dict]) -> dict:
    """Join the single-run SARIF logs of threatscan shards into one log with one run: rules and taxonomies
    de-duplicated (results' indexes rewritten), results in the order one scan gives them, notifications kept once,
    the run successful only if every shard's was."""
    logs = list(logs)
    if not logs:
        raise ShardError("nothing to merge")
    runs = []
    for n, log in enumerate(logs, start=1):
        if not isinstance(log, dict) or len(log.get("runs") or []) != 1:
            raise ShardError(f"input {n} is not a SARIF log with exactly one run")
        runs.append(log["runs"][0])
    driver0 = runs[0]["tool"]["driver"]
    for n, run in enumerate(runs[1:], start=2):
        driver = run["tool"]["driver"]
        if (driver.get("name"), driver.get("version")) != (driver0.get("name"), driver0.get("version")):
            raise ShardError(f"input {n} was written by {driver.get('name')} {driver.get('version')}, "
                             f"input 1 by {driver0.get('name')} {driver0.get('version')}: merge logs of one tool version")
        if run.get("automationDetails") != runs[0].get("automationDetails"):
            raise ShardError(f"input {n} has another automationDetails category than input 1")

    merged_run: dict[str, Any] = {k: v for k, v in runs[0].items()
                                  if k not in ("results", "invocations", "taxonomies", "tool")}
    rules: dict[str, dict] = {}
    for run in runs:
        for rule in run["tool"]["driver"].get("rules", []):
            rules.setdefault(rule["id"], rule)
    rule_ids = sorted(rules)  # a single scan lists its rules (and their severity variants) by id
    rule_index = {rid: i for i, rid in enumerate(rule_ids)}

    extensions: dict[str, dict] = {}
    for run in runs:
        for ext in run["tool"].get("extensions", []):
            extensions.setdefault(ext.get("name", ""), ext)

    taxonomies: dict[str, dict] = {}
    taxa_by_name: dict[str, dict[str, dict]] = {}
    for run in runs:
        for tax in run.get("taxonomies", []):
            name = tax.get("name", "")
            taxonomies.setdefault(name, {k: v for k, v in tax.items() if k != "taxa"})
            for taxon in tax.get("taxa", []):
                taxa_by_name.setdefault(name, {}).setdefault(taxon["id"], taxon)
    tax_names = list(taxonomies)
    merged_taxonomies = []
    taxon_index: dict[tuple[str, str], int] = {}
    for name in tax_names:
        ids = sorted(taxa_by_name.get(name, {}), key=_taxon_order(name))  # the order a single scan writes
        taxon_index.update({(name, tid): i for i, tid in enumerate(ids)})
        merged_taxonomies.append({**taxonomies[name], "taxa": [taxa_by_name[name][tid] for tid in ids]})

    results = []
    for run in runs:
        run_tax_names = [t.get("name", "") for t in run.get("taxonomies", [])]
        for result in run.get("results", []):
            result = json.loads(json.dumps(result))  # never alter the caller's logs
            if "ruleIndex" in result and result.get("ruleId") in rule_index:
                result["ruleIndex"] = rule_index[result["ruleId"]]
            for taxon in result.get("taxa", []):
                comp = taxon.get("toolComponent", {})
                name = comp.get("name") or (run_tax_names[comp["index"]] if "index" in comp else "")
                if (name, taxon.get("id")) in taxon_index:
                    taxon["index"] = taxon_index[(name, taxon["id"])]
                    if "index" in comp:
                        comp["index"] = tax_names.index(name)
            results.append(result)
    results.sort(key=_result_key)

    notifications: list[dict] = []
    seen: set[str] = set()
    successful = True
    for run in runs:
        for inv in run.get("invocations", []):
            successful = successful and inv.get("executionSuccessful", True)
            for note in inv.get("toolExecutionNotifications", []):
                key = json.dumps(note, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    notifications.append(note)
    invocation = {**(runs[0].get("invocations") or [{}])[0], "executionSuccessful": successful,
                  "toolExecutionNotifications": notifications}
    if not notifications:
        invocation.pop("toolExecutionNotifications")

    tool = {**runs[0]["tool"], "driver": {**driver0, "rules": [rules[rid] for rid in rule_ids]}}
    if extensions:
        tool["extensions"] = [extensions[name] for name in sorted(extensions)]
    merged_run.update(tool=tool, invocations=[invocation], results=results)
    if merged_taxonomies:
        merged_run["taxonomies"] = merged_taxonomies
    return {k: v for k, v in logs[0].items() if k != "runs"} | {"runs": [merged_run]}
