"""Property tests: every loader and parser, fed generated and mutated input, returns a result or raises its own
"cannot read this" error (which the scan turns into a notice), never anything else.

Two profiles: "short" (the default, a few seconds, part of every test run) and "release" (thousands of examples
per loader; before a release: `HYPOTHESIS_PROFILE=release python -m pytest tests/hostile/test_fuzz.py`). No
deadline: a slow example on a loaded machine is not a failure; unbounded work is caught by the hostile suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

settings.register_profile("short", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("release", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))

REPO = Path(__file__).resolve().parents[2]

PYTHON_SEEDS = [
    "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n",
    "type X = int\nx = f'{a!r:>{w}}' + f\"{'nested'}\"\nmatch x:\n    case [1, *rest]: pass\n",
    "class A:\n    @property\n    def f(self, /, a, *, b=1, **k) -> 'A':\n        return lambda: (yield from g())\n",
    "# -*- coding: latin-1 -*-\nx = b'\\xff' if 1 else u'\\N{BULLET}'\nasync def f():\n    async with a as b: await c\n",
]
TEMPLATE_SEEDS = [
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
    "      AccessControl: PublicReadWrite\n      Tags: [{Key: a, Value: !Sub '${AWS::Region}'}]\n",
    '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": '
    '{"A": {"Fn::GetAtt": ["X", "Arn"]}}}}}}}',
    "Resources:\n  a: &a {Type: AWS::SNS::Topic}\n  b: *a\n  c:\n    <<: *a\n    Properties: !If [C, !Ref x, !GetAtt y.z]\n",
]
XML_SEEDS = [
    '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android" '
    'package="a.b">\n  <application android:debuggable="true" android:usesCleartextTraffic="true">\n'
    '    <activity android:name=".A" android:exported="true"><intent-filter/></activity>\n  </application>\n</manifest>\n',
    '<resources>\n  <string name="api_key">AIzaSyC9xR2mQ7vLwP4tZ1uK8oN3aB6dF0gH5jE</string>\n'
    '  <string-array name="x"><item>"a\'b"</item></string-array>\n</resources>\n',
    '<network-security-config><base-config cleartextTrafficPermitted="true"><trust-anchors>'
    '<certificates src="user"/></trust-anchors></base-config></network-security-config>',
]
GRADLE_SEEDS = [
    'android {\n  defaultConfig { targetSdk 33; minSdkVersion = 21 }\n  buildTypes {\n    release {\n'
    '      minifyEnabled false\n      buildConfigField("String", "KEY", "\\"sk_live_x\\"")\n    }\n  }\n}\n',
    'plugins { id("com.android.application") }\nval x = """multi\n$line ${a}"""\n// c\n/* b */ ext["targetSdk"] = 34\n',
]
PROPERTIES_SEEDS = ["a=b\nkey : value\\\n  continued\n# c\n! d\nsdk.dir=/x\nstorePassword hunter2\n"]
CHARS = "\x00\t\n\r \"'\\{}[]()<>!&*#%:=,;.-_|?@$`~^+/aZ09é\u2028\ud7ff"


def mutated(seeds: list[str]):
    """A seed with a few edits: characters inserted, removed or repeated (long runs included)."""
    edit = st.tuples(st.integers(0, 10_000), st.sampled_from(["insert", "delete", "repeat"]),
                     st.text(alphabet=CHARS, min_size=1, max_size=8), st.integers(1, 2_000))

    def apply(args):
        seed, edits = args
        text = seed
        for at, kind, piece, times in edits:
            at = at % (len(text) + 1)
            if kind == "insert":
                text = text[:at] + piece + text[at:]
            elif kind == "delete":
                text = text[:at] + text[at + len(piece):]
            else:
                text = text[:at] + piece * times + text[at:]
        return text

    return st.tuples(st.sampled_from(seeds), st.lists(edit, min_size=1, max_size=6)).map(apply)


def texts(seeds: list[str]):
    return st.one_of(mutated(seeds), st.text(alphabet=CHARS, max_size=300))


# --- Python ----------------------------------------------------------------------------------------------------------

@given(texts(PYTHON_SEEDS))
def test_python_parser_returns_a_tree_or_a_parse_failure(text):
    from threatscan.lang.python.parse import ParseFailure, parse_python

    try:
        tree, parser = parse_python(text)
    except ParseFailure as exc:
        assert str(exc)
    else:
        assert parser in ("ast", "libcst") and tree is not None


@given(st.one_of(st.binary(max_size=400), mutated(PYTHON_SEEDS).map(lambda t: t.encode("utf-8", "surrogatepass")),
                 st.tuples(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.", max_size=20),
                           st.binary(max_size=50)).map(lambda p: b"# coding: " + p[0].encode() + b"\n" + p[1])))
def test_decoding_returns_text_or_a_decode_error(data):
    from threatscan.discover import DecodeError, decode

    for python in (True, False):
        try:
            assert isinstance(decode(data, python=python), str)
        except DecodeError:
            pass


# --- CloudFormation ----------------------------------------------------------------------------------------------------

@given(texts(TEMPLATE_SEEDS))
def test_template_loader_returns_a_document_or_a_template_error(text):
    from threatscan.lang.iac.loader import TemplateError, load_template

    try:
        load_template(text)
        load_template(text, only_types=frozenset({"AWS::Lambda::Function"}))
    except TemplateError:
        pass


# --- Android -------------------------------------------------------------------------------------------------------------

@given(st.one_of(texts(XML_SEEDS).map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300)))
def test_xml_reader_returns_a_document_or_an_xml_problem(data):
    from threatscan.engines.android.xmlparse import XmlProblem, parse_xml

    try:
        doc = parse_xml(data, keep_text=True)
    except XmlProblem:
        return
    for el in doc.root.iter():  # positions of every element and attribute must be computable
        doc.where(el)
        for name in el.attrs:
            doc.where(el, name)


@given(texts(GRADLE_SEEDS))
def test_gradle_reader_never_raises(text):
    from threatscan.engines.android.gradle import GradleFile

    g = GradleFile(text)
    g.plugin_kind()
    g.int_assignments()
    g.config_fields()
    for lit in g.literals:
        g.bound_name(lit)
    for block in g.find("android"):
        g.setting(block, "targetSdk", "targetSdkVersion")
        g.enclosing(block.open + 1)


@given(texts(PROPERTIES_SEEDS))
def test_properties_reader_never_raises(text):
    from threatscan.engines.android.context import parse_properties

    for prop in parse_properties(text):
        assert prop.line >= 1


# --- Threat models and scanned regular expressions ---------------------------------------------------------------------

@given(texts(["version: 1\nsystem: shop\nthreats:\n  - id: T1\n    title: t\n    stride: [Spoofing]\n"
              "    controls: [rule:PY101]\n    anchors: &a [x]\n    more: *a\n"]))
def test_threat_model_loader_returns_a_model_or_a_threat_model_error(tmp_path_factory, text):
    from threatscan.threats.threatmodel import ThreatModelError, load_threat_model

    path = tmp_path_factory.mktemp("tm") / "threatmodel.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_threat_model(path, _catalog())
    except ThreatModelError:
        pass


_CATALOG = []


def _catalog():
    if not _CATALOG:
        from threatscan.catalog import load_catalog

        _CATALOG.append(load_catalog())
    return _CATALOG[0]


@given(st.one_of(st.text(alphabet="()[]{}*+?|^$\\.aAx:/-0123456789,!=<", max_size=60),
                 mutated([r"^https://(www\.)?example\.com$", r"(a|aa)*$", r"(?i)https?://.*\.x\.io(:\d+)?"])))
def test_cors_pattern_reader_answers_without_running_the_pattern(pattern):
    from threatscan.engines.python.checks.web_cors import _regex_admits_anyone

    assert _regex_admits_anyone(pattern, False) in (True, False)
    assert _regex_admits_anyone(pattern, True) in (True, False)


@given(st.text(alphabet="()[]*+?|^$.\\:/htpsx", min_size=1, max_size=10))
def test_cors_pattern_reader_agrees_with_re_on_the_probes(pattern):
    """Differential: where Python's own engine can answer (short patterns), the structural reading agrees."""
    import re

    from threatscan.engines.python.checks import web_cors as cors

    import warnings

    warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": generated patterns, not our code
    try:
        compiled = re.compile(pattern)
    except re.error:
        return
    if "\\" in pattern and re.search(r"\\[1-9]", pattern):
        return  # back-references: the reader says "unknown" (False) by design
    for fullmatch in (False, True):
        match = compiled.fullmatch if fullmatch else compiled.match
        expected = any(match(p) for p in cors.PROBES) and bool(cors.REGEX_CHARS & set(pattern))
        assert cors._regex_admits_anyone(pattern, fullmatch) == expected, (pattern, fullmatch)
