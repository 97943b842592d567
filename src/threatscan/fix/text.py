"""Position-preserving fixers for YAML templates and Android XML: they change the characters of one value or insert
lines beside the finding's line, never re-serialise a document (comments, order and layout stay as written).

Templates: block-style YAML (a flow-style `Properties: {...}` is left alone) and strict JSON, edited through
`jsonpos` (the members' own layout and the file's indentation step kept; a JSON template with comments or trailing
commas is left alone).
"""

from __future__ import annotations

import re

from ..model import Finding
from ..safeyaml import load
from . import jsonpos
from .lines import split_lines
from .registry import fixer

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.:-]+):(?P<rest>.*)$")


def _lines(text: str) -> list[str]:
    return list(split_lines(text))  # a copy: fixers edit their list


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template", ".json")


def _is_json(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def _is_yaml_template(finding: Finding, text: str = "") -> bool:
    return finding.location.path.endswith(TEMPLATE_SUFFIXES) and not _is_json(text)


def _json_template(text: str, finding: Finding) -> tuple[jsonpos.Node, int] | None:
    """The parsed JSON template and the offset of the finding's start; None when not a strict JSON template."""
    if not finding.location.path.endswith(TEMPLATE_SUFFIXES) or not _is_json(text):
        return None
    try:
        root = jsonpos.parse(text.lstrip("\ufeff"))
        offset = jsonpos.offset_of(text.lstrip("\ufeff"), finding.location.line, finding.location.column)
    except ValueError:
        return None
    return (root, offset) if root.kind == "object" else None


def _bom(text: str) -> str:
    return "\ufeff" if text.startswith("\ufeff") else ""


def _flip_bool_on_line(text: str, finding: Finding, key: str, new: str) -> str | None:
    """`Key: false` on the finding's line -> `Key: true` (the value only, comments kept); in JSON the member
    whose key the finding points at (`false` -> `true`, `"false"` -> `"true"`)."""
    if _is_json(text):
        found = _json_template(text, finding)
        hit = found and jsonpos.member_at(found[0], found[1])
        if not hit or hit[1].key != key:
            return None
        value = hit[1].value
        if value.kind == "literal" and value.value is False:
            replacement = new
        elif value.kind == "string" and value.value.strip().lower() == "false":
            replacement = '"' + new + '"'
        else:
            return None
        body, bom = text.lstrip("\ufeff"), _bom(text)
        return bom + body[:value.start] + replacement + body[value.end:]
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
    if _is_json(text):
        return _add_property_json(text, finding, types)
    if not _is_yaml_template(finding, text):
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


def _block_value(block: list[str]) -> dict:
    """The YAML lines of a property block as the value they mean (for a JSON template)."""
    return load("".join(line + "\n" for line in block))


def _json_resource(body: str, offset: int) -> jsonpos.Node | None:
    """The resource whose logical id (its key in `Resources`) starts at `offset`."""
    resources = jsonpos.parse(body).get("Resources")
    if resources is None or resources.value.kind != "object":
        return None
    resource = next((m.value for m in resources.value.members if m.key_start == offset), None)
    return resource if resource is not None and resource.kind == "object" else None


def _add_property_json(text: str, finding: Finding, types: dict[str, list[str]]) -> str | None:
    found = _json_template(text, finding)
    if found is None:
        return None
    _, offset = found
    body, bom = text.lstrip("\ufeff"), _bom(text)
    resource = _json_resource(body, offset)
    rtype = resource.get("Type") if resource is not None else None
    block = types.get(rtype.value.value) if rtype is not None and rtype.value.kind == "string" else None
    if block is None:
        return None
    value = _block_value(block)
    props = resource.get("Properties")
    if props is None:
        return bom + jsonpos.insert_member(body, resource, "Properties", value, first=False)
    if props.value.kind != "object" or any(props.value.get(k) is not None for k in value):
        return None
    for key, item in reversed(list(value.items())):  # each insert keeps the resource's own offset
        props = _json_resource(body, offset).get("Properties")
        body = jsonpos.insert_member(body, props.value, key, item, first=True)
    return bom + body


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


ANDROID_NS = "http://schemas.android.com/apk/res/android"


def _android_prefix(text: str) -> str | None:
    """The prefix the document binds to Android's namespace (`android`, or `a` in `xmlns:a="..."`); None if none."""
    m = re.search(r"xmlns:([\w.-]+)\s*=\s*([\"'])" + re.escape(ANDROID_NS) + r"\2", text)
    return m.group(1) if m else None


def _set_attribute(text: str, finding: Finding, attribute: str, value: str, *, add: bool) -> str | None:
    if attribute.startswith("android:"):
        prefix = _android_prefix(text)
        if prefix is None:
            return None
        attribute = f"{prefix}:{attribute.split(':', 1)[1]}"
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


# --- admin and database ports open to the Internet (IAC150) ----------------------------------------------------
#
# The ingress rule's `CidrIp: 0.0.0.0/0` (or `CidrIpv6: ::/0`) becomes `!Ref AdminCidr` (`{"Ref": "AdminCidr"}` in
# JSON), and the template gains the parameter: a String with no default and a pattern that refuses a /0 range, so
# the deploy must name the network that may reach the port. UNSAFE: a stack deployed without a value fails, and
# whoever relied on reaching the port from anywhere loses it; a human picks the range (or a bastion's security
# group, or Session Manager instead of SSH). Every admin rule of a template shares the one parameter per address
# family. A CIDR given any other way (a parameter, `Fn::If`, a mapping) is left alone, and so is a rule for all
# traffic or every port: there the ports want narrowing (a public load balancer's 443), not the source.

WORLD_CIDRS = ("0.0.0.0/0", "::/0", "::0/0", "0:0:0:0:0:0:0:0/0")
ADMIN_PARAMETERS = {
    "CidrIp": ("AdminCidr", {
        "Type": "String",
        "Description": "The IPv4 range (CIDR) allowed to reach the administrative and database ports",
        "AllowedPattern": r"^(\d{1,3}\.){3}\d{1,3}/([1-9]|[12]\d|3[0-2])$",
        "ConstraintDescription": "an IPv4 CIDR block such as 203.0.113.0/24, not the whole Internet",
    }),
    "CidrIpv6": ("AdminCidrIpv6", {
        "Type": "String",
        "Description": "The IPv6 range (CIDR) allowed to reach the administrative and database ports",
        "AllowedPattern": r"^[0-9a-fA-F:]+/([1-9]|[1-9]\d|1[01]\d|12[0-8])$",
        "ConstraintDescription": "an IPv6 CIDR block such as 2001:db8::/32, not the whole Internet",
    }),
}


def _yaml_scalar(value: str) -> str:
    """A YAML scalar for a parameter's field: plain when that reads back as the same string, else single-quoted."""
    try:
        if load(f"k: {value}\n") == {"k": value}:
            return value
    except Exception:  # noqa: BLE001 - any doubt: quote it
        pass
    return "'" + value.replace("'", "''") + "'"


def _yaml_top_level(lines: list[str]) -> dict[str, int]:
    out = {}
    for i, line in enumerate(lines):
        m = _KEY.match(line.rstrip("\r\n"))
        if m and not m.group("indent"):
            out.setdefault(m.group("key"), i)
    return out


def _yaml_with_parameter(text: str, name: str, fields: dict) -> str | None:
    """`text` with the parameter `name` in its `Parameters` section (added before `Resources` when there is
    none); unchanged when a parameter of that name is there already."""
    lines = _lines(text)
    top = _yaml_top_level(lines)
    newline = "\r\n" if text.find("\r\n") >= 0 else "\n"
    if "Parameters" in top:
        start = top["Parameters"]
        if _KEY.match(lines[start].rstrip("\r\n")).group("rest").split("#")[0].strip():
            return None  # `Parameters: {...}` in flow style: left to a human
        _, end, child = _resource_block(lines, start)
        for i in range(start + 1, end):
            km = _KEY.match(lines[i].rstrip("\r\n"))
            if km and _indent(lines[i]) == child and km.group("key") == name:
                return text
        insert_at = end
        while insert_at > start + 1 and not lines[insert_at - 1].strip():
            insert_at -= 1
        step = child
        block = [" " * child + name + ":" + newline]
    else:
        if "Resources" not in top:
            return None
        insert_at = top["Resources"]
        _, _, step = _resource_block(lines, insert_at)
        block = ["Parameters:" + newline, " " * step + name + ":" + newline]
        child = step
    block += [" " * (child + step) + f"{key}: {_yaml_scalar(value)}" + newline for key, value in fields.items()]
    if "Parameters" not in top and insert_at > 0 and not lines[insert_at - 1].strip():
        block.append(newline)  # the sections are separated by blank lines: so is the new one
    if insert_at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    lines[insert_at:insert_at] = block
    return "".join(lines)


def _every_port(rule: dict[str, str]) -> bool:
    """An ingress rule for all traffic or every port: no admin port to put behind a parameter, but a rule whose
    ports a human must narrow (a public load balancer's 443, say)."""
    def number(key: str) -> int | None:
        raw = str(rule.get(key, "")).strip().strip("'\"")
        return int(raw) if raw.lstrip("-").isdigit() else None

    if str(rule.get("IpProtocol", "")).strip().strip("'\"").lower() in ("-1", "all"):
        return True
    low, high = number("FromPort"), number("ToPort")
    return low == -1 or (low is not None and high is not None and low <= 0 and high >= 65535)


def _yaml_siblings(lines: list[str], i: int, col: int) -> dict[str, str] | None:
    """The keys and (raw) values of the YAML mapping whose key sits at line `i`, column `col` (0-based): a flow
    mapping on that line, or a block mapping whose keys share the column; None when unsure."""
    line = lines[i]
    before = line[:col].rstrip()
    if before.endswith(("{", ",")):
        start, end = line.rfind("{", 0, col), line.find("}", col)
        if start < 0 or end < 0:
            return None
        out = {}
        for part in line[start + 1:end].split(","):
            key, sep, value = part.partition(":")
            if sep:
                out[key.strip()] = value.strip()
        return out
    if before not in ("", "-") and not before.endswith(" -"):
        return None
    out = {}
    for j in [*range(i - 1, -1, -1)] if before == "" else []:
        stripped = lines[j].strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _KEY.match(re.sub(r"^(\s*)- ", lambda g: g.group(1) + "  ", lines[j].rstrip("\r\n")))
        ind = _indent(lines[j])
        if ind < col and not (m and len(m.group("indent")) == col):
            break
        if m and len(m.group("indent")) == col:
            out.setdefault(m.group("key"), m.group("rest").split(" #")[0].strip())
            if lines[j].lstrip().startswith("- "):
                break  # the item's first key
    for j in range(i, len(lines)):
        stripped = lines[j].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if j > i and _indent(lines[j]) < col:
            break
        m = _KEY.match(re.sub(r"^(\s*)- ", lambda g: g.group(1) + "  ", lines[j].rstrip("\r\n")))
        if m and len(m.group("indent")) == col:
            out.setdefault(m.group("key"), m.group("rest").split(" #")[0].strip())
    return out


def _admin_cidr_yaml(text: str, finding: Finding) -> str | None:
    lines = _lines(text)
    i, col = finding.location.line - 1, finding.location.column - 1
    if not 0 <= i < len(lines):
        return None
    line = lines[i]
    m = re.compile(r"(CidrIp(?:v6)?)[ \t]*:[ \t]*").match(line, col)
    if not m:
        return None
    world = "|".join(re.escape(c) for c in WORLD_CIDRS)
    value = re.compile(r"([\"']?)(" + world + r")\1(?=[ \t]*(?:[,}]|#|\r?\n|$))").match(line, m.end())
    if not value:
        return None
    siblings = _yaml_siblings(lines, i, col)
    if siblings is None or _every_port(siblings):
        return None
    name, fields = ADMIN_PARAMETERS[m.group(1)]
    lines[i] = line[:value.start()] + f"!Ref {name}" + line[value.end():]
    return _yaml_with_parameter("".join(lines), name, fields)


def _admin_cidr_json(text: str, finding: Finding) -> str | None:
    found = _json_template(text, finding)
    if found is None:
        return None
    root, offset = found
    hit = jsonpos.member_at(root, offset)
    if hit is None or hit[1].key not in ADMIN_PARAMETERS:
        return None
    value = hit[1].value
    if value.kind != "string" or value.value.strip() not in WORLD_CIDRS:
        return None
    if _every_port({m.key: m.value.value for m in hit[0].members if m.value.kind in ("string", "number")}):
        return None
    name, fields = ADMIN_PARAMETERS[hit[1].key]
    body, bom = text.lstrip("\ufeff"), _bom(text)
    body = body[:value.start] + '{"Ref": "' + name + '"}' + body[value.end:]
    root = jsonpos.parse(body)
    params = root.get("Parameters")
    if params is not None:
        if params.value.kind != "object":
            return None
        if params.value.get(name) is None:
            body = jsonpos.insert_member(body, params.value, name, fields, first=False)
    else:
        resources = root.get("Resources")
        if resources is None:
            return None
        body = jsonpos.insert_member_before(body, root, resources, "Parameters", {name: fields})
    return bom + body


@fixer("IAC150", "admit the admin or database port only from a parameter the deploy must set (`AdminCidr`, "
                 "no default, /0 refused) instead of the whole Internet", safe=False)
def admin_port_parameter(text: str, finding: Finding) -> str | None:
    if not finding.location.path.endswith(TEMPLATE_SUFFIXES):
        return None  # a CDK app: the peer is code, not a template
    return _admin_cidr_json(text, finding) if _is_json(text) else _admin_cidr_yaml(text, finding)
