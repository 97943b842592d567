"""Read a CloudFormation/SAM template (YAML or JSON) safely, keeping the position of every key and value.

One loader for both: JSON is read by the same libyaml-backed loader (C scanner/parser/composer, then one Python pass), so JSON
templates get real line numbers too. The loader

- constructs the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt A.B`, `!If`, ...) as their long forms
  (`{"Ref": ...}`, `{"Fn::GetAtt": ["A", "B"]}`), and refuses any other application tag;
- builds `PDict`/`PList` containers that remember where each key, value and item starts (1-based line/column);
- refuses alias expansion bombs: every node is built once (an alias shares the built value), and the nodes the
  aliases would add if expanded are counted on the way and must stay few, so checks that walk the tree can never
  be made to walk a billion nodes; recursive aliases are refused too. Size alone is not a bomb: a template written
  out in full (10,000 resources) is read whatever its node count;
- keeps scalar mapping keys as the text written (`1`, `true`, `null` are the keys "1", "true", "null", as
  CloudFormation reads them), so `1:` and `true:` are two resources, not one hiding the other;
- records duplicate keys (the last value wins, as in most YAML readers) so the engine can report them (the first
  MAX_DUPLICATES of them, and how many more);
- keeps timestamps as strings (`AWSTemplateFormatVersion: 2010-09-09` stays the text it is).
"""

from __future__ import annotations

from typing import Any

import yaml

from ... import limits
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # the C composer: much faster, and it still gives every node its marks
    _Base = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader

Pos = tuple[int, int, int, int]  # line, column, end line, end column (1-based; end column exclusive)

MAX_ALIAS_NODES = limits.MAX_YAML_ALIAS_NODES  # nodes the aliases of a document may add, expanded
MAX_EXPANSION_FACTOR = 10  # ... and a document with aliases expanded at most this many times its own node count
MAX_DUPLICATES = 100  # duplicate keys recorded per document (the rest are counted)


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
        # the Rules section's functions
        "ValueOf", "ValueOfAll", "RefAll", "Contains", "EachMemberEquals", "EachMemberIn",
    )},
}


class TemplateLoader(_Base):  # type: ignore[misc, valid-type]
    """libyaml's scanner, parser and composer (C); `_Builder` turns the composed nodes into PDict/PList."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []
        self.more_duplicates = 0
        # without the text `<<` (or an explicit `!!merge` tag) no mapping can hold a merge key
        self.merge_keys = "<<" in stream or "merge" in stream

    # libyaml's composer asks Python for every node's tag. A template repeats the same plain scalars over and over
    # (`Type`, `Properties`, `true`, `Ref`), so plain scalars' implicit tags are memoized (bounded), and the
    # path resolvers (SafeLoader defines none) are skipped outright: ~half of the composing time.
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                tag = _PLAIN_TAGS.get(value)
                if tag is None:
                    tag = super().resolve(kind, value, implicit)
                    if len(value) <= 64:
                        if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                            _PLAIN_TAGS.clear()
                        _PLAIN_TAGS[value] = tag
                return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 20_000
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
assert not TemplateLoader.yaml_path_resolvers  # what makes skipping them above exact


_SCALARS = {
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
}


class _Builder:
    """Builds PDict/PList trees straight from the composed nodes: one pass, no constructor machinery per node
    (several times faster than PyYAML's construct_object), each node built once even when aliased, and the
    document's size with aliases expanded checked on the way."""

    def __init__(self, loader: TemplateLoader):
        self.loader = loader
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.unique = 0
        self.on_path: set[int] = set()

    def build(self, node: Node) -> Any:
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.on_path:
            raise TemplateError("a recursive alias (a node that contains itself); not expanded", node.start_mark.line + 1)
        self.unique += 1
        tag = node.tag
        if isinstance(node, ScalarNode):
            if tag == "tag:yaml.org,2002:str" or tag == "tag:yaml.org,2002:timestamp" or tag == "tag:yaml.org,2002:binary":
                value: Any = node.value
            elif tag == "tag:yaml.org,2002:null":
                value = None
            elif tag in _SCALARS:
                value = getattr(self.loader, _SCALARS[tag])(node)
            elif tag in INTRINSIC_TAGS:
                value = self._intrinsic(node)
            else:
                raise TemplateError(f"unknown tag {tag!r}", node.start_mark.line + 1)
            self.built[key] = value
            self.sizes[key] = 1
            return value
        self.on_path.add(key)
        try:
            if tag in INTRINSIC_TAGS:
                value = self._intrinsic(node)
                total = 1 + sum(self.sizes.get(id(c), 1) for c in
                                ([c for kv in node.value for c in kv] if isinstance(node, MappingNode) else node.value))
            elif isinstance(node, MappingNode) and tag in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:omap"):
                value, total = self._map(node)
            elif isinstance(node, SequenceNode) and tag == "tag:yaml.org,2002:seq":
                value, total = self._seq(node)
            else:
                raise TemplateError(f"unknown tag {tag!r}", node.start_mark.line + 1)
        finally:
            self.on_path.discard(key)
        self.sizes[key] = total
        # Every node written in the document counts once in `unique`; only aliases make a subtree's expanded size
        # exceed it. So a large document is never mistaken for a bomb, and a bomb is stopped while it grows.
        if total - self.unique > MAX_ALIAS_NODES:
            raise TemplateError(f"the document's aliases would add more than {MAX_ALIAS_NODES:,} nodes when expanded "
                                "(an alias bomb?); not expanded", node.start_mark.line + 1)
        self.built[key] = value
        return value

    # The two loops below do the work of `build` inline for plain strings (most of a template's nodes): no call,
    # no memo entry (a string is rebuilt when aliased, at size 1), positions read straight from the marks.
    def _map(self, node: MappingNode) -> tuple[PDict, int]:
        if self.loader.merge_keys and any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            self.loader.flatten_mapping(node)
        s, e = node.start_mark, node.end_mark
        out = PDict(pos=(s.line + 1, s.column + 1, e.line + 1, e.column + 1))
        key_pos, val_pos, sizes = out.key_pos, out.val_pos, self.sizes
        total = 1
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag not in INTRINSIC_TAGS:
                key = key_node.value  # the text: `1:` and `true:` are different keys (as CloudFormation reads them)
                self.unique += 1
                total += 1
            else:
                key = self.build(key_node)
                total += sizes.get(id(key_node), 1)
                try:
                    hash(key)
                except TypeError:
                    raise TemplateError("a mapping key is not a scalar", key_node.start_mark.line + 1) from None
            if key in out:
                if len(self.loader.duplicates) < MAX_DUPLICATES:
                    self.loader.duplicates.append((str(key)[:200], key_node.start_mark.line + 1))
                else:
                    self.loader.more_duplicates += 1
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                out[key] = value_node.value
                self.unique += 1
                total += 1
            else:
                out[key] = self.build(value_node)
                total += sizes.get(id(value_node), 1)
            s, e = key_node.start_mark, key_node.end_mark
            key_pos[key] = (s.line + 1, s.column + 1, e.line + 1, e.column + 1)
            s, e = value_node.start_mark, value_node.end_mark
            val_pos[key] = (s.line + 1, s.column + 1, e.line + 1, e.column + 1)
        return out, total

    def _seq(self, node: SequenceNode) -> tuple[PList, int]:
        s, e = node.start_mark, node.end_mark
        out = PList(pos=(s.line + 1, s.column + 1, e.line + 1, e.column + 1))
        append, item_pos, sizes = out.append, out.item_pos.append, self.sizes
        total = 1
        for child in node.value:
            if child.__class__ is ScalarNode and child.tag == _STR:
                append(child.value)
                self.unique += 1
                total += 1
            else:
                append(self.build(child))
                total += sizes.get(id(child), 1)
            s, e = child.start_mark, child.end_mark
            item_pos((s.line + 1, s.column + 1, e.line + 1, e.column + 1))
        return out, total

    def _intrinsic(self, node: Node) -> PDict:
        name = INTRINSIC_TAGS[node.tag]
        if isinstance(node, ScalarNode):
            value: Any = node.value
            if name == "Fn::GetAtt":
                first, _, rest = value.partition(".")
                value = PList([first, rest], pos=_pos(node))
                value.item_pos = [_pos(node), _pos(node)]
            elif node.style is None and node.value == "" and name == "Fn::GetAZs":
                value = ""
        elif isinstance(node, SequenceNode):
            value = self._seq(node)[0]
        else:
            value = self._map(node)[0]
        out = PDict({name: value}, pos=_pos(node))
        out.key_pos[name] = out.val_pos[name] = _pos(node)
        return out


def _plain_key(node: Node) -> str | None:
    return node.value if node.__class__ is ScalarNode and node.tag == _STR else None


def _plain_map(node: Node) -> bool:
    return (isinstance(node, MappingNode) and node.tag == _MAP
            and not any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value))


LINKING_SECTIONS = frozenset({"AWSTemplateFormatVersion", "Transform", "Parameters", "Globals"})


def _select(builder: _Builder, node: Node, types: frozenset[str]) -> PDict | None:
    """The document with only the sections linking reads and only the resources of `types` built (the other
    nodes are composed, never turned into PDict/PList); None when the document's shape needs a full build.
    Resources of other types that name one of those resources (any scalar holding its logical id: a trigger, a
    permission, an API's integration) are built too, and so are the Outputs that name one: linking reads who
    invokes a function (links.function_triggers)."""
    if not _plain_map(node):
        return None
    out = PDict(pos=_pos(node))
    selected: list[str] = []
    for key_node, value_node in node.value:
        if _plain_key(key_node) == "Resources" and _plain_map(value_node):
            for rk, rv in value_node.value:
                if _plain_key(rk) is not None and _plain_map(rv) and _type_of(rv) in types:
                    selected.append(rk.value)
    for key_node, value_node in node.value:
        key = _plain_key(key_node)
        if key == "Resources" and _plain_map(value_node):
            value: Any = PDict(pos=_pos(value_node))
            for rk, rv in value_node.value:
                logical_id = _plain_key(rk)
                if logical_id is None or not _plain_map(rv):
                    return None
                if _type_of(rv) in types or (selected and _mentions(rv, selected)):
                    value[logical_id] = builder.build(rv)
                    value.key_pos[logical_id], value.val_pos[logical_id] = _pos(rk), _pos(rv)
        elif key in LINKING_SECTIONS or (key == "Outputs" and selected and _mentions(value_node, selected)):
            value = builder.build(value_node)
        elif key is None:
            return None
        else:
            continue
        out[key] = value
        out.key_pos[key], out.val_pos[key] = _pos(key_node), _pos(value_node)
    return out


def _type_of(node: MappingNode) -> str | None:
    return next((v.value for k, v in node.value if _plain_key(k) == "Type" and v.__class__ is ScalarNode), None)


def _mentions(node: Node, names: list[str]) -> bool:
    """Whether a scalar under `node` holds one of `names` (a composed node, walked without building it; an alias
    is a node already seen, so the walk stays within the document's own size)."""
    seen: set[int] = set()
    work = [node]
    while work:
        n = work.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.__class__ is ScalarNode:
            if isinstance(n.value, str) and any(name in n.value for name in names):
                return True
        elif isinstance(n, SequenceNode):
            work.extend(n.value)
        elif isinstance(n, MappingNode):
            for k, v in n.value:
                work.append(k)
                work.append(v)
    return False


def load_template(text: str, only_types: frozenset[str] | None = None) -> tuple[Any, list[tuple[str, int]]]:
    """Parse one template. Returns (document, duplicate keys as (key, line)). Raises TemplateError.

    With `only_types`, for linking templates to code before the scan: the document holds only its Transform,
    Parameters, Globals and the resources of those types (about half the work of a full parse on a typical
    template). The per-node expansion limit still applies to what is built."""
    loader = TemplateLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        builder = _Builder(loader)
        if only_types is not None:
            selected = _select(builder, node, only_types)
            if selected is not None:
                return selected, _duplicates(loader)
        data = builder.build(node)
        total = builder.sizes.get(id(node), 1)
        if total - builder.unique > 10_000 and total > builder.unique * MAX_EXPANSION_FACTOR:
            raise TemplateError(f"the document's aliases would expand it {total // max(builder.unique, 1)}-fold; "
                                "not expanded", node.start_mark.line + 1)
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise TemplateError(f"not valid YAML/JSON: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML/JSON: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}") from None
    except ValueError as exc:  # a scalar PyYAML cannot convert (e.g. an out-of-range timestamp)
        raise TemplateError(f"not valid YAML/JSON: {exc}") from None
    finally:
        loader.dispose()
    return data, _duplicates(loader)


def _duplicates(loader: TemplateLoader) -> list[tuple[str, int]]:
    if not loader.more_duplicates:
        return loader.duplicates
    return [*loader.duplicates, (f"... and {loader.more_duplicates:,} more duplicate keys", 0)]
