"""Inline Lambda code in a template (`Code.ZipFile`, SAM `InlineCode`) or a CDK app (`Code.from_inline`): the code
as text, with a map from its lines back to where they sit in the file that holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .loader import PDict, PList
from .model import UNKNOWN, Template, is_intrinsic, literal, position


@dataclass
class InlineCode:
    text: str
    lines: list[tuple[int, int]]  # Python line n (1-based) -> (template line, column offset)
    handler: str | None
    reindent: bool = False  # a YAML block scalar: the column offset is the block's indentation


def inline_code(resource: Any) -> InlineCode | None:
    """`Code.ZipFile` (AWS::Lambda::Function) or `InlineCode` (SAM) as text, with a line map into the template."""
    props = resource.props
    if resource.type == "AWS::Lambda::Function":
        code = props.get("Code")
        if not isinstance(code, PDict) or "ZipFile" not in code:
            return None
        container, key = code, "ZipFile"
    elif resource.type == "AWS::Serverless::Function" and "InlineCode" in props:
        container, key = props, "InlineCode"
    else:
        return None
    handler = props.get("Handler")
    function = handler.rpartition(".")[2] if isinstance(handler, str) and "." in handler else None
    value = container[key]
    if isinstance(value, dict) and is_intrinsic(value):
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            value = arg if isinstance(arg, str) else None
        elif fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and arg[0] == "\n" and isinstance(arg[1], PList):
            parts = arg[1]
            if all(isinstance(p, str) for p in parts):
                lines = [(pos[0], pos[1]) for pos in parts.item_pos]
                return InlineCode("\n".join(parts), lines, function)
            return None
        else:
            return None
    if not isinstance(value, str):
        return None
    line, col, end_line, _ = position(container, key, value=True)
    text_lines = value.split("\n")
    if end_line > line:  # a block scalar: the code starts on the next line (indentation added when scanned)
        return InlineCode(value, [(line + i + 1, 0) for i in range(len(text_lines))], function, reindent=True)
    return InlineCode(value, [(line, col) for _ in text_lines], function)


def inline_runtime(resource: Any, template: Template) -> str | None:
    """The function's `Runtime` (SAM Globals included) when the template states it plainly, else None."""
    value = literal(resource.get("Runtime"), template)
    return value.strip().lower() if isinstance(value, str) and value is not UNKNOWN and value.strip() else None
