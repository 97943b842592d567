"""Read a CloudFormation/SAM template (YAML or JSON) safely, keeping the position of every key and value.

One loader for both: JSON is read by the same libyaml-backed loader (C composer, Python construction), so JSON
templates get real line numbers too. The loader

- constructs the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt A.B`, `!If`, ...) as their long forms
  (`{"Ref": ...}`, `{"Fn::GetAtt": ["A", "B"]}`), and refuses any other application tag;
- builds `PDict`/`PList` containers that remember where each key, value and item starts (1-based line/column);
- refuses alias expansion bombs before constructing anything: the size the document would have with every
  alias expanded is computed over the composed node graph (memoised, so it is cheap) and must stay small;
- records duplicate keys (the last value wins, as in most YAML readers) so the engine can report them;
- keeps timestamps as strings (`AWSTemplateFormatVersion: 2010-09-09` stays the text it is).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # the C composer: much faster, and it still gives every node its marks
    _Base = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader

Pos = tuple[int, int, int, int]  # line, column, end line, end column (1-based; end column exclusive)

MAX_EXPANDED_NODES = 200_000  # what a document may grow to with aliases expanded
MAX_EXPANSION_FACTOR = 10  # ... and at most this many times its own node count


class TemplateError(Exception):
    """The text is not a template we can read: malformed, an unknown tag, an alias bomb. Carries a line."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class PDict(dict):
    """A mapping that knows where it, each of its keys and each of its values start."""

    __slots__ = ("pos", "key_pos", "val_pos")

    def __init__(self, *args: Any, pos: Pos = (1, 1, 1, 1)):
        super().__init__(*args)
        self.pos = pos
        self.key_pos: dict[Any, Pos] = {}
        self.val_pos: dict[Any, Pos] = {}


class PList(list):
    """A sequence that knows where it and each of its items start."""

    __slots__ = ("pos", "item_pos")

    def __init__(self, *args: Any, pos: Pos = (1, 1, 1, 1)):
        super().__init__(*args)
        self.pos = pos
        self.item_pos: list[Pos] = []


def _pos(node: Node) -> Pos:
    s, e = node.start_mark, node.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)


# Short-form tag -> long-form function name.
INTRINSIC_TAGS = {
    "!Ref": "Ref", "!Condition": "Condition",
    **{f"!{n}": f"Fn::{n}" for n in (
        "Sub", "GetAtt", "If", "Join", "Select", "ImportValue", "FindInMap", "Base64", "Cidr", "Split",
        "Equals", "And", "Or", "Not", "GetAZs", "Transform", "ToJsonString", "Length", "ForEach",
    )},
}


class TemplateLoader(_Base):  # type: ignore[misc, valid-type]
    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    # --- alias bombs ----------------------------------------------------------------------------------------
    def construct_document(self, node: Node) -> Any:
        _refuse_alias_bombs(node)
        return super().construct_document(node)

    # --- containers with positions --------------------------------------------------------------------------
    def construct_pmap(self, node: MappingNode) -> PDict:
        if not isinstance(node, MappingNode):
            raise TemplateError(f"expected a mapping but found {node.id}", node.start_mark.line + 1)
        self.flatten_mapping(node)
        out = PDict(pos=_pos(node))
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise TemplateError("a mapping key is not a scalar", key_node.start_mark.line + 1) from None
            if key in out:
                self.duplicates.append((str(key), key_node.start_mark.line + 1))
            out[key] = self.construct_object(value_node, deep=True)
            out.key_pos[key] = _pos(key_node)
            out.val_pos[key] = _pos(value_node)
        return out

    def construct_pseq(self, node: SequenceNode) -> PList:
        out = PList(pos=_pos(node))
        for child in node.value:
            out.append(self.construct_object(child, deep=True))
            out.item_pos.append(_pos(child))
        return out

    def construct_intrinsic(self, node: Node) -> PDict:
        name = INTRINSIC_TAGS[node.tag]
        if isinstance(node, ScalarNode):
            value: Any = self.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                first, _, rest = value.partition(".")
                value = PList([first, rest], pos=_pos(node))
                value.item_pos = [_pos(node), _pos(node)]
            elif name == "Fn::GetAZs" and value is None:
                value = ""
        elif isinstance(node, SequenceNode):
            value = self.construct_pseq(node)
        else:
            value = self.construct_pmap(node)
        out = PDict({name: value}, pos=_pos(node))
        out.key_pos[name] = out.val_pos[name] = _pos(node)
        return out

    def construct_text(self, node: ScalarNode) -> str:
        return str(self.construct_scalar(node))

    def construct_unknown(self, node: Node) -> Any:
        raise TemplateError(f"unknown tag {node.tag!r}", node.start_mark.line + 1)


TemplateLoader.add_constructor("tag:yaml.org,2002:map", TemplateLoader.construct_pmap)
TemplateLoader.add_constructor("tag:yaml.org,2002:omap", TemplateLoader.construct_pmap)
TemplateLoader.add_constructor("tag:yaml.org,2002:seq", TemplateLoader.construct_pseq)
TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", TemplateLoader.construct_text)
for _tag in INTRINSIC_TAGS:
    TemplateLoader.add_constructor(_tag, TemplateLoader.construct_intrinsic)
TemplateLoader.add_constructor(None, TemplateLoader.construct_unknown)


def _refuse_alias_bombs(root: Node) -> None:
    """Raise TemplateError when expanding the document's aliases would make it much bigger (billion laughs) or
    when an alias refers to the node that contains it (a recursive document)."""
    sizes: dict[int, int] = {}
    unique = 0
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            if isinstance(node, MappingNode):
                total = 1 + sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            else:
                total = 1 + sum(sizes[id(c)] for c in node.value)
            sizes[key] = total
            if total > MAX_EXPANDED_NODES:
                raise TemplateError(
                    f"the document's aliases would expand it to more than {MAX_EXPANDED_NODES:,} nodes (an alias "
                    "bomb?); not expanded", node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise TemplateError("a recursive alias (a node that contains itself); not expanded", node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            sizes[key] = 1
            unique += 1
            continue
        unique += 1
        on_path.add(key)
        stack.append((node, True))
        children = [c for kv in node.value for c in kv] if isinstance(node, MappingNode) else list(node.value)
        for child in children:
            if id(child) not in sizes:
                stack.append((child, False))
    total = sizes.get(id(root), 1)
    if total > max(unique * MAX_EXPANSION_FACTOR, 10_000):
        raise TemplateError(f"the document's aliases would expand it {total // max(unique, 1)}-fold; not expanded",
                            root.start_mark.line + 1)


def load_template(text: str) -> tuple[Any, list[tuple[str, int]]]:
    """Parse one template. Returns (document, duplicate keys as (key, line)). Raises TemplateError."""
    loader = TemplateLoader(text)
    try:
        data = loader.get_single_data()
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise TemplateError(f"not valid YAML/JSON: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML/JSON: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}") from None
    finally:
        loader.dispose()
    return data, loader.duplicates
