"""The resource model every IaC check reads: a template's resources and parameters, in CloudFormation shape.

Templates (YAML/JSON, SAM, cdk.out) and Python CDK apps are both turned into a `Template`, so one check per rule
serves every representation. Every mapping is a `PDict` and every sequence a `PList` that remember where their
keys and items are (lines and columns in the template, or in the Python CDK source).

Values hidden behind intrinsic functions we cannot resolve, or CDK expressions we cannot evaluate, are
`UNKNOWN`: a check treats them as "cannot tell", never as safe and never as a loud finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from ...model import Location
from .loader import PDict, PList, Pos

if TYPE_CHECKING:
    from .inline import InlineCode


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
NO_VALUE = "AWS::NoValue"


@dataclass(frozen=True)
class CodeDir:
    """Where a front end (CDK) found a Lambda function's code: a repository-relative directory, or None and why."""

    path: str | None
    why: str = ""


@dataclass(frozen=True)
class HandlerLink:
    """The Python function a Lambda function deploys (links.py resolves it)."""

    py_rel: str
    function: str
    handler_pos: Location  # where the template or CDK app names the handler
    env_reads: Mapping[str, Location]  # VAR -> first read in the handler's module (read-only)


@dataclass(slots=True)
class Resource:
    logical_id: str
    type: str
    props: PDict
    node: PDict  # the whole resource entry (Type, Properties, Metadata, ...)
    id_pos: Pos  # where the logical id (CDK: the construct call) is
    template: "Template"
    cdk_path: str | None = None
    # What the front ends and the engine learn about a resource besides its properties, one stage writing and a
    # later one reading (named fields, slots: a misspelt name is an error, never a silent miss):
    code_dir: CodeDir | None = None  # CDK: where the function's code is (None: the properties say)
    inline_node: Any = None  # CDK: the expression holding the function's inline code, until the engine reads it
    inline_code: "InlineCode | None" = None  # the function's inline code (lang/iac/inline.py)
    handler: HandlerLink | None = None  # the Python function it deploys, once linked
    default_auth: Any = None  # CDK: an API's default authorization for the methods added to it

    def get(self, *path: str) -> Any:
        return dig(self.props, *path)

    def learned_from(self, original: "Resource") -> None:
        """Take what the front ends and the engine learned about `original` (the same resource in another build of
        the template: a condition's branch)."""
        for name in LEARNED:
            setattr(self, name, getattr(original, name))


LEARNED = tuple(f.name for f in fields(Resource) if f.name not in ("logical_id", "type", "props", "node", "id_pos",
                                                                    "template", "cdk_path"))


@dataclass
class Template:
    rel: str  # repository-relative path of the file the model comes from
    source: str  # "cloudformation" or "cdk"
    doc: PDict
    resources: dict[str, Resource] = field(default_factory=dict)
    parameters: PDict = field(default_factory=PDict)
    sam: bool = False

    def of_type(self, *types: str) -> Iterator[Resource]:
        for r in self.resources.values():
            if r.type in types:
                yield r

    def parameter(self, name: Any) -> PDict | None:
        p = self.parameters.get(name) if isinstance(name, str) else None
        return p if isinstance(p, dict) else None


def dig(node: Any, *path: str | int) -> Any:
    """node[path[0]][path[1]]...; None when a step is missing, UNKNOWN when a step is hidden by an intrinsic."""
    for step in path:
        if node is UNKNOWN or is_intrinsic(node):
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, dict):
                return None
            node = node.get(step)
    return node


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


def is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get("Ref") == NO_VALUE and len(value) == 1


def is_dynamic_reference(value: Any) -> bool:
    """`{{resolve:secretsmanager:...}}` / `{{resolve:ssm-secure:...}}` (alone or inside a Sub/Join)."""
    text = _flat_text(value)
    return isinstance(text, str) and ("{{resolve:secretsmanager:" in text or "{{resolve:ssm-secure:" in text)


def _flat_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        if k == "Fn::Sub":
            return v if isinstance(v, str) else (v[0] if isinstance(v, list) and v and isinstance(v[0], str) else None)
        if k == "Fn::Join" and isinstance(v, list) and len(v) == 2 and isinstance(v[1], list):
            return "".join(x if isinstance(x, str) else "\0" for x in v[1])
    return None


def literal(value: Any, template: Template | None = None) -> Any:
    """The plain value of a property, or UNKNOWN when an intrinsic hides it.

    `Fn::Sub` without variables and `Fn::If` whose branches agree are folded; `Ref` to a parameter is UNKNOWN
    (it is chosen at deploy time), except that a parameter with AllowedValues of one value is that value.
    """
    if value is UNKNOWN or value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict) and is_intrinsic(value):
        (k, v), = value.items()
        if k == "Fn::Sub" and isinstance(v, str) and "${" not in v:
            return v
        if k == "Fn::If" and isinstance(v, list) and len(v) == 3:
            a, b = literal(v[1], template), literal(v[2], template)
            if a is not UNKNOWN and a == b:
                return a
        if k == "Ref" and template is not None:
            p = template.parameter(v)
            allowed = p.get("AllowedValues") if p is not None else None
            if isinstance(allowed, list) and len(allowed) == 1:
                return allowed[0]
        return UNKNOWN
    return value


def as_bool(value: Any, template: Template | None = None) -> Any:
    """True/False for booleans and their string forms, None when absent, UNKNOWN when hidden."""
    v = literal(value, template)
    if v is None or v is UNKNOWN:
        return v
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return UNKNOWN


def is_off(value: Any, template: Template | None = None) -> bool:
    """A switch absent or false (a hidden value is not off)."""
    v = as_bool(value, template)
    return v is None or v is False


def as_int(value: Any, template: Template | None = None) -> Any:
    v = literal(value, template)
    if v is None or v is UNKNOWN:
        return v
    if isinstance(v, bool):
        return UNKNOWN
    try:
        return int(str(v).strip())
    except ValueError:
        return UNKNOWN


def as_list(value: Any) -> list:
    """A property that may be one value or a list of them, as a list (UNKNOWN stays UNKNOWN inside)."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def position(container: Any, key: Any = None, value: bool = False) -> Pos:
    """Where `container[key]` (its key, or with value=True its value) is; the container itself without a key."""
    if isinstance(container, PDict):
        if key is None:
            return container.pos
        table = container.val_pos if value else container.key_pos
        return table.get(key, container.pos)
    if isinstance(container, PList):
        if isinstance(key, int) and 0 <= key < len(container.item_pos):
            return container.item_pos[key]
        return container.pos
    return (1, 1, 1, 1)


def copy_pdict(src: PDict) -> PDict:
    out = PDict(src, pos=src.pos)
    out.key_pos = dict(src.key_pos)
    out.val_pos = dict(src.val_pos)
    return out


def merge_globals(props: PDict, glob: PDict) -> PDict:
    """SAM's Globals: the function's own value wins for scalars, maps are merged, lists are added together.
    Keys taken from Globals keep their positions in the Globals section."""
    out = copy_pdict(props)
    for key, gval in glob.items():
        if key not in out:
            out[key] = gval
            out.key_pos[key] = glob.key_pos.get(key, glob.pos)
            out.val_pos[key] = glob.val_pos.get(key, glob.pos)
            continue
        own = out[key]
        if isinstance(own, PDict) and isinstance(gval, PDict) and not is_intrinsic(own) and not is_intrinsic(gval):
            out[key] = merge_globals(own, gval)
        elif isinstance(own, PList) and isinstance(gval, PList):
            merged = PList([*gval, *own], pos=own.pos)
            merged.item_pos = [*gval.item_pos, *own.item_pos]
            out[key] = merged
    return out


def build_template(rel: str, doc: Any) -> Template | None:
    """The model of a parsed CloudFormation/SAM document, or None when it is not a template at all."""
    if not isinstance(doc, PDict):
        return None
    resources = doc.get("Resources")
    if not isinstance(resources, PDict):
        return None
    transform = doc.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    sam = SAM_TRANSFORM in transforms
    params = doc.get("Parameters")
    template = Template(rel, "cloudformation", doc, parameters=params if isinstance(params, PDict) else PDict(), sam=sam)
    globals_ = doc.get("Globals") if sam else None
    for logical_id, entry in resources.items():
        if not isinstance(entry, PDict) or not isinstance(entry.get("Type"), str):
            continue
        rtype = entry["Type"]
        props = entry.get("Properties")
        if not isinstance(props, PDict):
            props = PDict(pos=resources.val_pos.get(logical_id, entry.pos))
        if isinstance(globals_, PDict) and rtype.startswith("AWS::Serverless::"):
            section = globals_.get(rtype.rsplit("::", 1)[1])
            if isinstance(section, PDict):
                props = merge_globals(props, section)
        metadata = entry.get("Metadata")
        cdk_path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
        template.resources[str(logical_id)] = Resource(
            str(logical_id), rtype, props, entry, resources.key_pos.get(logical_id, entry.pos), template,
            cdk_path if isinstance(cdk_path, str) else None,
        )
    return template
