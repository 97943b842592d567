"""Position-preserving fixers for YAML templates and Android XML: they change the characters of one value or insert
lines beside the finding's line, never re-serialise a document (comments, order and layout stay as written).

Templates: block-style YAML only (a JSON template or a flow-style `Properties: {...}` is left alone).
"""

from __future__ import annotations

import re

from ..model import Finding
from .registry import fixer

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.:-]+):(?P<rest>.*)$")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_yaml_template(finding: Finding) -> bool:
    return finding.location.path.endswith((".yaml", ".yml", ".template"))


def _flip_bool_on_line(text: str, finding: Finding, key: str, new: str) -> str | None:
    """`Key: false` on the finding's line -> `Key: true` (the value only, comments kept)."""
    lines = _lines(text)
    i = finding.location.line - 1
    if not 0 <= i < len(lines):
        return None
    m = re.match(rf"^(\s*{re.escape(key)}:\s*)(false|\"false\"|'false'|False|no)(\s*(#.*)?\r?\n?)$", lines[i])
    if not m:
        return None
    lines[i] = m.group(1) + new + m.group(3)
    return "".join(lines)


def _resource_block(lines: list[str], start: int) -> tuple[int, int, int]:
    """The resource whose logical id is on line `start`: (its indent, index after its last line, child indent)."""
    base = _indent(lines[start])
    end = start + 1
    child = None
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and not stripped.startswith("#"):
            ind = _indent(lines[end])
            if ind <= base:
                break
            child = ind if child is None else child
        end += 1
    return base, end, child if child is not None else base + 2


def _add_property(text: str, finding: Finding, types: dict[str, list[str]]) -> str | None:
    """Insert a property block (chosen by the resource's Type) under the resource's Properties."""
    if not _is_yaml_template(finding):
        return None
    lines = _lines(text)
    start = finding.location.line - 1
    if not 0 <= start < len(lines):
        return None
    m = _KEY.match(lines[start].rstrip("\r\n"))
    if not m or m.group("rest").split("#")[0].strip():
        return None  # not a `LogicalId:` line opening a block
    base, end, child = _resource_block(lines, start)
    rtype, props_at = None, None
    for i in range(start + 1, end):
        km = _KEY.match(lines[i].rstrip("\r\n"))
        if km and _indent(lines[i]) == child:
            value = km.group("rest").split("#")[0].strip()
            if km.group("key") == "Type":
                rtype = value.strip("'\"")
            elif km.group("key") == "Properties":
                if value:
                    return None  # flow style or an intrinsic: left to a human
                props_at = i
    block = types.get(rtype or "")
    if block is None:
        return None
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    if props_at is None:
        insert_at, prop_indent = end, child + 2
        while insert_at > start + 1 and not lines[insert_at - 1].strip():
            insert_at -= 1
        new = [" " * child + "Properties:" + newline]
    else:
        insert_at, prop_indent = props_at + 1, None
        for i in range(props_at + 1, end):
            if lines[i].strip() and not lines[i].strip().startswith("#"):
                prop_indent = _indent(lines[i]) if _indent(lines[i]) > child else None
                break
        prop_indent = prop_indent or child + 2
        new = []
    step = max(prop_indent - child, 2)
    for entry in block:
        depth = len(entry) - len(entry.lstrip(" "))
        new.append(" " * (prop_indent + depth // 2 * step) + entry.lstrip(" ") + newline)
    if insert_at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    lines[insert_at:insert_at] = new
    return "".join(lines)


S3_ENCRYPTION = ["BucketEncryption:", "  ServerSideEncryptionConfiguration:", "    - ServerSideEncryptionByDefault:",
                 "        SSEAlgorithm: AES256"]
PITR = ["PointInTimeRecoverySpecification:", "  PointInTimeRecoveryEnabled: true"]


@fixer("IAC140", "add default bucket encryption (SSE-S3, `BucketEncryption`)")
def s3_encryption(text: str, finding: Finding) -> str | None:
    return _add_property(text, finding, {"AWS::S3::Bucket": S3_ENCRYPTION})


@fixer("IAC144", "switch point-in-time recovery on (`PointInTimeRecoverySpecification`)")
def dynamodb_pitr(text: str, finding: Finding) -> str | None:
    return _flip_bool_on_line(text, finding, "PointInTimeRecoveryEnabled", "true") \
        or _add_property(text, finding, {"AWS::DynamoDB::Table": PITR, "AWS::DynamoDB::GlobalTable": PITR})


@fixer("IAC146", "encrypt the queue or topic (SQS-managed SSE; SNS with the AWS-managed key)")
def queue_topic_encryption(text: str, finding: Finding) -> str | None:
    return _flip_bool_on_line(text, finding, "SqsManagedSseEnabled", "true") \
        or _add_property(text, finding, {"AWS::SQS::Queue": ["SqsManagedSseEnabled: true"],
                                         "AWS::SNS::Topic": ["KmsMasterKeyId: alias/aws/sns"]})


# --- Android XML ----------------------------------------------------------------------------------------------

def _element_text(text: str, finding: Finding) -> tuple[int, int] | None:
    """The offsets of the start tag that contains the finding's position."""
    lines = _lines(text)
    i = finding.location.line - 1
    if not 0 <= i < len(lines):
        return None
    offset = sum(len(x) for x in lines[:i]) + finding.location.column - 1
    start = text.rfind("<", 0, offset + 1)
    end = text.find(">", offset)
    if start < 0 or end < 0 or text.startswith(("<!", "<?", "</"), start):
        return None
    return start, end + 1


def _set_attribute(text: str, finding: Finding, attribute: str, value: str, *, add: bool) -> str | None:
    span = _element_text(text, finding)
    if span is None:
        return None
    start, end = span
    tag = text[start:end]
    m = re.search(rf"(\s{re.escape(attribute)}\s*=\s*)([\"'])([^\"']*)\2", tag)
    if m:
        if m.group(3) == value:
            return None
        tag = tag[:m.start(3)] + value + tag[m.end(3):]
    elif add:
        name = re.match(r"<[\w.:-]+", tag)
        if not name:
            return None
        tag = tag[:name.end()] + f' {attribute}="{value}"' + tag[name.end():]
    else:
        return None
    return text[:start] + tag + text[end:]


@fixer("AND102", "set `android:allowBackup=\"false\"` on the application")
def allow_backup(text: str, finding: Finding) -> str | None:
    return _set_attribute(text, finding, "android:allowBackup", "false", add=True)


@fixer("AND104", "set `cleartextTrafficPermitted=\"false\"`")
def cleartext_off(text: str, finding: Finding) -> str | None:
    return _set_attribute(text, finding, "cleartextTrafficPermitted", "false", add=False)


@fixer("AND109", "set `android:exported=\"false\"` on a component without intent filters (other apps lose access)",
       safe=False)
def not_exported(text: str, finding: Finding) -> str | None:
    span = _element_text(text, finding)
    if span is None:
        return None
    start, end = span
    name = re.match(r"<([\w.:-]+)", text[start:end])
    if not name or text[end - 2] == "/":
        body = ""
    else:
        close = text.find(f"</{name.group(1)}>", end)
        if close < 0:
            return None
        body = text[end:close]
    if "<intent-filter" in body:
        return None  # a component with intent filters is exported on purpose: a human must decide
    return _set_attribute(text, finding, "android:exported", "false", add=True)
