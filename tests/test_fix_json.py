"""The JSON reader the template fixes edit through (fix/jsonpos.py): every value keeps its exact span, and a member
inserted by position gives the object with that member, whatever the layout."""

from __future__ import annotations

import json

import pytest

from threatscan.fix import jsonpos


def test_json_positions_agree_with_the_json_module():
    text = '{"a": [1, -2.5e3, true, null, "x\\u00e9\\"y"], "b": {"c": {}}, "d": []}'
    root = jsonpos.parse(text)
    assert [m.key for m in root.members] == ["a", "b", "d"]
    spans = [(node, json.loads(text[node.start:node.end])) for node, _ in jsonpos.walk(root)]  # each span is a value
    assert len(spans) == 10
    assert all(value == node.value for node, value in spans if node.kind not in ("object", "array"))
    assert spans[0][1] == json.loads(text)
    assert root.get("a").value.items[4].value == 'x\u00e9"y'
    for bad in ('{"a": 1,}', '{"a" 1}', '[1 2]', '{"a": 1} x', '// c\n{}'):
        with pytest.raises(ValueError):
            jsonpos.parse(bad)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
LAYOUTS = st.sampled_from([None, 2, 4, "\t", " "])
JSON_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow])


@JSON_SETTINGS
@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=5), LAYOUTS, JSON_VALUES, st.booleans())
def test_a_member_inserted_by_position_gives_the_object_with_that_member(document, layout, value, first):
    text = json.dumps(document, indent=layout)
    root = jsonpos.parse(text)
    for node, _ in jsonpos.walk(root):
        parsed = json.loads(text[node.start:node.end])  # raises unless the span is exactly one value
        assert node.kind in ("object", "array") or parsed == node.value
    key = "Inserted\u00e9"  # longer than any generated key: never already there
    new = json.loads(jsonpos.insert_member(text, root, key, value, first=first))
    expected = {key: value, **document} if first else {**document, key: value}
    assert new == expected and list(new) == list(expected)


def _apply(old: str, changes) -> str:
    """The text SARIF's replacements describe (1-based lines and columns, end exclusive), applied last first."""
    lines = old.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(x) for x in lines[:line - 1]) + column - 1

    out = old
    for c in sorted(changes, key=lambda c: (c.start_line, c.start_column), reverse=True):
        out = out[:offset(c.start_line, c.start_column)] + c.inserted + out[offset(c.end_line, c.end_column):]
    return out


_LINE = st.sampled_from(["}\n", "  - x\n", "a: 1\n", "\n", "b: [1, 2]\n"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=60), st.lists(st.tuples(st.integers(0, 60), st.lists(_LINE, max_size=3),
                                                        st.integers(0, 2)), max_size=3), st.booleans(), st.booleans())
def test_the_replacements_of_a_fix_turn_the_scanned_text_into_the_fixed_one(lines, edits, old_open, new_open):
    """SARIF `fixes` describe each changed run of lines (found by comparing runs of lines as slices, not one by
    one: a template of many repeated lines is diffed once per finding); applied, they give the fixed text."""
    from threatscan.fix import replacements

    new_lines = list(lines)
    for at, inserted, removed in edits:
        at = min(at, len(new_lines))
        new_lines[at:at + removed] = inserted
    old, new = "".join(lines), "".join(new_lines)
    old, new = old[:-1] if old_open else old, new[:-1] if new_open else new  # a last line without its newline
    assert _apply(old, replacements(old, new)) == new
