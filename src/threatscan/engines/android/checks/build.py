"""Gradle checks: release build types that are not minified (no R8/ProGuard obfuscation). A release build type
that is debuggable is AND101's, in manifest.py with the rest of its rule."""

from __future__ import annotations

from ..context import AndroidFile, android_check


# --- AND112: release build without minification / obfuscation ------------------------------------------------
@android_check("AND112", "gradle")
def release_not_minified(af: AndroidFile) -> None:
    doc = af.gradle
    assert doc is not None
    if af.module.kind != "application":
        return  # libraries are shrunk and obfuscated by the application that consumes them
    androids = [b for b in doc.find("android") if b.parent is doc.root]
    if not androids:
        return
    message = ("No obfuscation: the release build {what}, so R8/ProGuard neither shrinks nor obfuscates "
               "the code and the shipped app decompiles to readable classes and names.")
    releases = [bt for bts in doc.find("buildTypes") for bt in bts.children if bt.name == "release"]
    for bt in releases:
        s = doc.setting(bt, "minifyEnabled", "isMinifyEnabled", "runProguard")  # runProguard: before AGP 0.14
        if s is None:
            af.report(af.gradle_span(bt.header_start, bt.open), message.format(what="type does not enable `minifyEnabled`"))
        elif s.value == "false":
            af.report(af.gradle_span(s.start, s.end), message.format(what=f"type sets `{s.key}` to false"))
    if not releases:
        bts = doc.find("buildTypes")
        anchor = bts[0] if bts else androids[0]
        af.report(af.gradle_span(anchor.header_start, anchor.open),
                  message.format(what="type is not configured (its default has minification off)"))
