#!/usr/bin/env python3
"""Collect real CloudFormation/SAM templates from bare git mirrors into one flat directory.

    python bench/collect_templates.py OUT MIRROR.git [MIRROR.git ...] [--limit N]

Reads every `.yaml`/`.yml`/`.json`/`.template` blob at HEAD of each mirror (`git ls-tree` + `git cat-file
--batch`: no work tree, no checkout, so a blob missing from a partial mirror is skipped, not fatal) and keeps the
files that are templates by content: `AWSTemplateFormatVersion`, the SAM transform, or a top-level `Resources`
section with at least one `AWS::` resource type (this leaves out botocore's service models and other JSON that
merely mentions "Resources"). Each kept file is written as `<owner+name>__<path with / as __>` so the directory
is flat and holds templates only (no code for threatscan to link, no other files for checkov to read).

Used for the session 5 template benchmark (docs/benchmarks.md, "session 5: templates"): the mirrors come from
the `fetch` tool (/work/.mirror/<owner>+<name>/repo); the templates stay outside the repository.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

EXTS = (".yaml", ".yml", ".json", ".template")
MAX_BYTES = 1_000_000
_TYPE = re.compile(rb"""(?m)(^\s*Type:\s*['"]?AWS::|"Type"\s*:\s*"AWS::)""")
_RESOURCES = re.compile(rb"""(?m)(^Resources\s*:|^\s{0,4}"Resources"\s*:)""")


def is_template(data: bytes) -> bool:
    if b"AWSTemplateFormatVersion" in data or b"AWS::Serverless-2016-10-31" in data:
        return True
    return bool(_RESOURCES.search(data) and _TYPE.search(data))


def blobs(git_dir: Path) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "HEAD"],
                         capture_output=True, check=True).stdout.decode("utf-8", "replace")
    found = []
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob" and path.lower().endswith(EXTS):
            found.append((sha, path))
    return found


def read_blobs(git_dir: Path, shas: list[str]) -> dict[str, bytes]:
    proc = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                          input="".join(s + "\n" for s in shas).encode(), capture_output=True, check=True)
    data, pos, out = proc.stdout, 0, {}
    while pos < len(data):
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 2 and header[1] == b"missing":
            continue
        sha, size = header[0].decode(), int(header[2])
        out[sha] = data[pos:pos + size]
        pos += size + 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("mirrors", type=Path, nargs="+", help="bare git directories")
    ap.add_argument("--limit", type=int, default=0, help="keep at most N templates (in mirror and path order)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    kept = 0
    for git_dir in args.mirrors:
        name = git_dir.parent.name if git_dir.name == "repo" else git_dir.name.removesuffix(".git")
        found = blobs(git_dir)
        contents = read_blobs(git_dir, [sha for sha, _ in found])
        here = 0
        for sha, path in found:
            data = contents.get(sha)
            if data is None or len(data) > MAX_BYTES or not is_template(data):
                continue
            if args.limit and kept >= args.limit:
                break
            (args.out / f"{name}__{path.replace('/', '__')}").write_bytes(data)
            kept += 1
            here += 1
        commit = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        print(f"{name} {commit[:10]}: {here} templates of {len(found)} YAML/JSON files")
    print(f"{kept} templates in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
