"""Hard-coded secrets (AND113) in string resources, Gradle files, properties files and Java/Kotlin string literals.

The detection and redaction are threatscan.secrets' (the same as for Python and templates); this module only
knows where values sit in each kind of file and which look-alikes a resource file has (translated prose).
"""

from __future__ import annotations

import functools
import re

from ....secrets import SecretMatch, check_value, is_secret_name, known_format, reportable
from ..context import AndroidFile, android_check
from .code import SOURCE
from ..xmlparse import Span

# values-fr, values-pt-rBR, values-b+sr+Latn: translations (not values-night, -v21, -land, -sw600dp, -car, ...)
_LOCALE_DIR = re.compile(r"^values-(?:b\+[a-z]{2,3}|(?!car\b|ldrtl\b|ldltr\b|land\b|port\b)[a-z]{2,3}(?=$|-))")
_PROSE_WORD = re.compile(r"^[A-Z]?[a-z]+$")
_SPACE = re.compile(r"\s")
# Resource and build names repeat across modules (app_name, password, API_URL), and so do values (dependency
# coordinates, plugin ids, "Sign in"): decide each name, and each value under each name, once.
_secret_name = functools.lru_cache(maxsize=8192)(is_secret_name)
_check_value = functools.lru_cache(maxsize=16384)(check_value)


def _message(match: SecretMatch, name: str | None, where: str, readers: str = "the app package or the repository") -> str:
    named = f" in `{name}`" if name else ""
    return (f"Hard-coded secret: {match.description}{named} is written into {where}; anyone with {readers} "
            "can read it. The value is not shown.")


def _precision(match: SecretMatch) -> str:
    return "high" if match.confidence == "high" else "medium"


@android_check("AND113", "android-values", tests=True)
def values_secret(af: AndroidFile) -> None:
    doc = af.xml
    assert doc is not None
    parts = af.rel.split("/")
    translation = len(parts) >= 2 and bool(_LOCALE_DIR.match(parts[-2]))
    for el in doc.root.iter():
        if el.tag not in ("string", "item") or el is doc.root:
            continue
        if el.tag == "item" and el.get("type") not in (None, "string"):
            continue
        name = el.get("name")
        value = el.text.strip()
        if not value:
            continue
        match = _check_value(value, name) if _secret_name(name) else _check_value(value)
        if match is None:
            continue
        if match.confidence != "high" and (translation or " " in value or _PROSE_WORD.match(value.rstrip("…:.!? "))):
            continue  # translated or plain-language text under a secret-like name ("Mot de passe"), not a key
        start = doc.data.find(value.encode("utf-8"), el.offset)
        span = doc.span(start, start + len(value.encode("utf-8"))) if start >= 0 else doc.tag_span(el)
        af.report(span, _message(match, name, "a string resource"), secret_values=(value,), precision=_precision(match))


@android_check("AND113", "gradle", tests=True)
def gradle_secret(af: AndroidFile) -> None:
    doc = af.gradle
    assert doc is not None
    for lit in doc.literals:
        value = lit.value.strip()
        inner = value.strip("\"'")  # buildConfigField values carry their own quotes: "\"...\""
        if not inner:
            continue
        match = _check_value(inner)  # a known format needs no name
        name = None
        if match is None:
            if lit.interpolated or len(inner) < 4 or _SPACE.search(inner):
                continue
            name = doc.bound_name(lit)
            if not _secret_name(name):
                continue
            match = _check_value(inner, name)
            if match is None or (inner == "android" and name in ("keyPassword", "storePassword")):
                continue  # "android": the SDK's debug keystore password, the same on every machine
        elif not lit.interpolated:
            name = doc.bound_name(lit)
        raw = doc.text[lit.start:lit.end]
        af.report(af.gradle_span(lit.start, lit.end), _message(match, name, "a Gradle build file"),
                  secret_values=(raw, lit.value, inner), precision=_precision(match))


@android_check("AND113", "properties", tests=True)
def properties_secret(af: AndroidFile) -> None:
    assert af.properties is not None
    where = "a committed `local.properties`" if af.rel.endswith("local.properties") else "a properties file"
    for prop in af.properties:
        match = _check_value(prop.value, prop.key) if _secret_name(prop.key) else _check_value(prop.value)
        if match is None:
            continue
        span = Span(prop.line, prop.value_column, prop.line, prop.value_column + len(prop.value))
        af.report(span, _message(match, prop.key, where, "the repository"), secret_values=(prop.value,), precision=_precision(match))


# --- AND113 in code: hard-coded keys and credentials in string literals ---------------------------------------
_BOUND = re.compile(r"(?:\b(?:val|var|String|final|static|const|private|public|internal|protected)\s+)*"
                    r"(?<![\w$])([A-Za-z_]\w*)\s*(?::\s*String\??\s*)?=\s*$")
_CALL_ARG = re.compile(r"""\b(?:put|putString|addHeader|header|setHeader|Pair|to)\s*\(\s*$""")


# Constants that name a key under which something is stored or passed (preferences, intents, bundles, columns).
_KEY_NAME = re.compile(r"^(?:KEY|PREF|PREFS|PREFERENCE|PREFERENCES|EXTRA|ARG|ARGS|ACTION|BUNDLE|INTENT|COLUMN|COL|FIELD|"
                       r"PARAM|HEADER|PROPERTY|PROP|SETTING|SETTINGS|STATE|SAVED|TAG|EVENT|METRIC|CLAIM|SCOPE)_", re.I)


def _names_a_secret(value: str) -> bool:
    """An identifier-like value that spells a secret's name (`oc_oAuth2RefreshToken`, `pref_passcode`)."""
    return re.fullmatch(r"[A-Za-z][\w.:-]*", value) is not None and re.search(
        r"(?i)token|pass(?:word|code|phrase)?|secret|key|credential|auth", value) is not None


@android_check("AND113", SOURCE, tests=True)
def code_secret(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    for lit in code.strings:
        value = lit.value
        if len(value) < 8 or lit.templates:
            continue
        match = reportable(known_format(value), value)
        name = None
        if match is None:
            before = code.masked[max(0, lit.start - 120):lit.start]
            bound = _BOUND.search(before)
            name = bound.group(1) if bound else None
            if name is None:
                continue
            if not is_secret_name(name) or _KEY_NAME.match(name) or _names_a_secret(value):
                continue  # `KEY_REFRESH_TOKEN = "oc_refresh_token"`: the name of a stored secret, not the secret
            match = check_value(value, name)
            if match is None:
                continue
        named = f" in `{name}`" if name else ""
        af.report(af.code_span(lit.start, lit.end),
                  f"Hard-coded secret: {match.description}{named} is written into the app's code; anyone "
                  "with the APK can read it (decompilers recover string constants verbatim). The value is not shown.",
                  secret_values=(value,), precision="high" if match.confidence == "high" else "medium")
