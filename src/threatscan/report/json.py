"""The JSON report: the findings and notices as plain data, for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from typing import Any, Iterable

from .. import __version__
from ..model import Finding, Notice


_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAVES = frozenset({str, int, float, bool})


def _plain(o: Any) -> Any:
    """What dataclasses.asdict makes of a finding (dataclasses -> dicts, containers copied), without its
    per-leaf deepcopy: the findings' leaves are str/int/None, immutable anyway. A few times faster."""
    if o is None or type(o) in _LEAVES:
        return o
    names = _FIELDS.get(type(o))
    if names is None and is_dataclass(o) and not isinstance(o, type):
        names = _FIELDS[type(o)] = tuple(f.name for f in fields(o))
    if names is not None:
        return {n: _plain(getattr(o, n)) for n in names}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    return o


def _finding(f: Finding) -> dict:
    d = _plain(f)
    d["severity"] = f.severity.label
    d["properties"] = dict(f.properties)
    return d


def render(findings: list[Finding], notices: Iterable[Notice], *, root: str, files: int,
           set_aside: dict[str, int] | None = None) -> str:
    """`set_aside`: how many findings the scan does not count, by reason (suppressed ones are also in the list)."""
    data = {
        "tool": "threatscan",
        "version": __version__,
        "root": root,
        "files_scanned": files,
        "set_aside": dict(set_aside or {}),
        "findings": [] if not findings else None,
        "notices": [asdict(n) for n in notices],
    }
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    if not findings:
        return text
    # The same text as encoding everything at once, but finding by finding: json.dumps(indent=...) collects
    # every small piece of the whole document in one list first, which for 17,000 findings is ~80 MiB.
    # Indenting a finding's own text by two levels is exact: JSON strings never hold a raw newline.
    items = ",\n".join("    " + json.dumps(_finding(f), indent=2).replace("\n", "\n    ") for f in findings)
    return text.replace('"findings": null', '"findings": [\n' + items + "\n  ]", 1)
