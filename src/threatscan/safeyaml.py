"""YAML from a repository, read with bounds: an alias bomb (a kilobyte that expands to billions of nodes) is
refused before anything walks the document, and so is a recursive alias. Used for the threat model; templates
have their own position-keeping loader with the same rule (lang/iac/loader.py).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from . import limits

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlBomb(yaml.YAMLError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.problem = message
        self.problem_mark = None
        self.line = line


def compose(text: str, max_alias_nodes: int | None = None) -> Node | None:
    """The node tree of a one-document YAML text, checked: its aliases add at most `max_alias_nodes` nodes when
    expanded (default limits.MAX_YAML_ALIAS_NODES). Raises yaml.YAMLError (YamlBomb for a bomb)."""
    root = yaml.compose(text, Loader=_Loader)
    if root is not None:
        check_expansion(root, limits.MAX_YAML_ALIAS_NODES if max_alias_nodes is None else max_alias_nodes)
    return root


def load(text: str, max_alias_nodes: int | None = None) -> Any:
    """yaml.safe_load, after the expansion check on the composed nodes."""
    root = compose(text, max_alias_nodes)
    if root is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def check_expansion(root: Node, max_alias_nodes: int) -> int:
    """The document's node count with every alias expanded (each distinct node is sized once, iteratively, so
    the check itself is linear); YamlBomb when aliases add more than `max_alias_nodes` or an alias contains
    itself."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] - len(sizes) > max_alias_nodes:
                raise YamlBomb(f"the document's aliases would add more than {max_alias_nodes:,} nodes when "
                               "expanded (an alias bomb?); not read", node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlBomb("a recursive alias (a node that contains itself); not read", node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []
