"""The Android engine: hostile and odd input, exact positions, source sets, the project model, and secrets that
never leave the scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, REPO, validate_multitool, validate_schema
from threatscan.cli import main
from threatscan.engines.android.gradle import GradleFile
from threatscan.model import Severity
from threatscan.scan import ScanOptions, run_scan

ANDROID = FIXTURES / "android"

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.t">
    <application android:debuggable="true">
        <activity android:name=".Main" />
    </application>
</manifest>
"""


def scan(root: Path, catalog, **kw):
    return run_scan(ScanOptions(paths=[str(root)], root=root, **kw), catalog)


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def by_rule(result, rule_id):
    return [f for f in result.findings if f.rule_id == rule_id]


# --- hostile and broken input ------------------------------------------------------------------------------------
def test_xxe_to_a_local_file_is_refused_and_nothing_is_read(tmp_path, catalog):
    # The entity would turn debuggable into "true" (and leak the marker) if it were ever resolved.
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("true")
    marker = outside / "marker.txt"
    marker.write_text("XXE-MARKER-7f3a")
    repo = tmp_path / "repo"
    write(repo, "app/src/main/AndroidManifest.xml", f"""<?xml version="1.0"?>
<!DOCTYPE manifest [
  <!ENTITY flag SYSTEM "file://{secret}">
  <!ENTITY leak SYSTEM "file://{marker}">
]>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" android:sharedUserId="&leak;">
    <application android:debuggable="&flag;" />
</manifest>
""")
    write(repo, "app/src/main/res/values/strings.xml", '<resources><string name="k">AKIAQ7RS2EXMP4LXW3HN</string></resources>')
    result = scan(repo, catalog)
    refused = [n for n in result.notices if n.kind == "refused-xml"]
    assert len(refused) == 1 and "document type declaration" in refused[0].message
    assert refused[0].path == "app/src/main/AndroidManifest.xml"
    assert not by_rule(result, "AND101") and not by_rule(result, "AND114")
    assert by_rule(result, "AND113"), "the scan goes on with the other files"
    out = CliRunner().invoke(main, ["scan", str(repo), "--format", "json", "--fail-on", "none"])
    assert "XXE-MARKER" not in out.output


def test_billion_laughs_is_refused_before_any_expansion(tmp_path, catalog):
    entities = "\n".join(f'  <!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    write(tmp_path, "res/values/strings.xml", f"""<?xml version="1.0"?>
<!DOCTYPE resources [
  <!ENTITY lol0 "lol">
{entities}
]>
<resources><string name="a">&lol9;</string></resources>
""")
    result = scan(tmp_path, catalog)
    assert [n.kind for n in result.notices] == ["refused-xml"]
    assert "document type declaration" in result.notices[0].message and result.notices[0].line == 2
    assert result.findings == []


def test_malformed_xml_is_a_notice_with_its_line_and_the_scan_goes_on(tmp_path, catalog):
    write(tmp_path, "a/src/main/AndroidManifest.xml", "<manifest>\n  <application>\n</manifest>\n")
    write(tmp_path, "b/src/main/AndroidManifest.xml", MANIFEST)
    result = scan(tmp_path, catalog)
    (notice,) = [n for n in result.notices if n.kind == "parse-error"]
    assert notice.path == "a/src/main/AndroidManifest.xml" and notice.line == 3
    assert "mismatched tag" in notice.message
    assert [f.location.path for f in by_rule(result, "AND101")] == ["b/src/main/AndroidManifest.xml"]


def test_binary_manifest_from_an_apk_is_skipped_with_a_clear_notice(tmp_path, catalog):
    write(tmp_path, "AndroidManifest.xml", b"\x03\x00\x08\x00\x98\x07\x00\x00\x01\x00\x1c\x00" + bytes(200))
    result = scan(tmp_path, catalog)
    (notice,) = result.notices
    assert notice.kind == "binary-xml" and "compiled (binary) Android XML" in notice.message
    assert result.findings == []


def test_manifest_without_application_gets_a_note_and_manifest_level_checks(tmp_path, catalog):
    write(tmp_path, "lib/src/main/AndroidManifest.xml",
          '<manifest xmlns:android="http://schemas.android.com/apk/res/android" android:sharedUserId="x.y" />\n')
    result = scan(tmp_path, catalog)
    assert [(n.kind, n.level) for n in result.notices] == [("partial", "note")]
    assert [f.rule_id for f in result.findings] == ["AND114"]


def test_a_50_mb_xml_file_is_skipped_by_the_size_cap_and_parsed_when_allowed(tmp_path, catalog):
    filler = "    <string name=\"label_%d\">Some ordinary text</string>\n"
    path = tmp_path / "app/src/main/res/values/strings.xml"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        fh.write("<resources>\n<!--\n")
        chunk = ("x" * 1023 + "\n") * 1024
        for _ in range(50):
            fh.write(chunk)
        fh.write("-->\n")
        for i in range(3):
            fh.write(filler % i)
        fh.write('    <string name="maps_key">AIzaSyC9xR2mQ7vLwP4tZ1uK8oN3aB6dF0gH5jE</string>\n</resources>\n')
    assert path.stat().st_size > 50 * 1024 * 1024
    write(tmp_path, "other/src/main/AndroidManifest.xml", MANIFEST)

    capped = scan(tmp_path, catalog)
    (notice,) = capped.notices
    assert notice.kind == "too-large" and notice.path.endswith("strings.xml")
    assert [f.rule_id for f in capped.findings] == ["AND101"]

    allowed = scan(tmp_path, catalog, max_bytes=60 * 1024 * 1024)
    (secret,) = by_rule(allowed, "AND113")
    assert secret.location.line == 2 + 50 * 1024 + 1 + 3 + 1


# --- encodings and exact positions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_give_the_same_findings_at_the_same_columns(tmp_path, catalog, encoding):
    text = MANIFEST.replace("utf-8", "utf-16" if encoding.startswith("utf-16") else "utf-8")
    text = text.replace('<application android:debuggable="true">', '<application android:label="é€" android:debuggable="true">')
    write(tmp_path, "app/src/main/AndroidManifest.xml", text.encode(encoding))
    result = scan(tmp_path, catalog)
    assert result.notices == []
    (f,) = by_rule(result, "AND101")
    line = text.splitlines()[f.location.line - 1]
    assert f.location.line == 3
    assert line[f.location.column - 1:f.location.end_column - 1] == 'android:debuggable="true"'


def test_attribute_positions_point_at_the_attribute_not_line_one(catalog, fixtures_scan):
    for f in fixtures_scan.findings:
        if not f.location.path.endswith(".xml") or not f.location.path.startswith("fixtures/android/"):
            continue
        line = (REPO / f.location.path).read_text(encoding="utf-8-sig", errors="replace").splitlines()[f.location.line - 1] \
            if "values-de" not in f.location.path else None
        if line is None:
            continue
        pointed = line[f.location.column - 1:]
        assert pointed.startswith(("<", "android:", "a:", "cleartext", "src=", "expiration")) or f.rule_id == "AND113", (f, pointed)


def test_prefixes_other_than_android_are_resolved_through_the_namespace(fixtures_scan):
    shared = [f for f in fixtures_scan.findings if f.rule_id == "AND114"]
    assert [f.snippet for f in shared] == ['a:sharedUserId="com.example.shared"> <!-- expect: AND114 -->']


# --- source sets and the project model ------------------------------------------------------------------------------
def test_debug_only_source_sets_are_low_and_say_so(fixtures_scan):
    debug = [f for f in fixtures_scan.findings if "/src/debug/" in f.location.path or "/src/staging/" in f.location.path]
    assert {f.rule_id for f in debug} == {"AND101", "AND103", "AND104", "AND109"}
    for f in debug:
        assert f.severity == Severity.LOW
        assert "debug-only source set" in f.message and "release builds do not include" in f.message
    main = [f for f in fixtures_scan.findings if f.rule_id == "AND103" and "/src/main/" in f.location.path]
    assert main and all(f.severity == Severity.MEDIUM and "debug-only" not in f.message for f in main)


def test_test_source_sets_are_not_reported(fixtures_scan):
    assert not [f for f in fixtures_scan.findings if "/androidTest/" in f.location.path]


def test_implicit_export_names_the_gradle_target_sdk(fixtures_scan):
    (f,) = [f for f in fixtures_scan.findings if f.rule_id == "AND109" and "implicitly" in f.message and "groovy-app" in f.location.path]
    assert "targetSdk 30" in f.message
    assert [r.location.path for r in f.related] == ["fixtures/android/groovy-app/app/build.gradle"]


def test_without_a_readable_target_sdk_implicit_export_is_not_guessed(tmp_path, catalog):
    write(tmp_path, "app/build.gradle", "plugins { id 'com.android.application' }\nandroid { defaultConfig { targetSdk libs.versions.target.get().toInteger() }\n buildTypes { release { minifyEnabled true } } }\n")
    write(tmp_path, "app/src/main/AndroidManifest.xml", """<manifest xmlns:android="http://schemas.android.com/apk/res/android">
  <application android:allowBackup="false">
    <activity android:name=".Share"><intent-filter><action android:name="x.SEND"/></intent-filter></activity>
  </application>
</manifest>""")
    result = scan(tmp_path, catalog)
    assert result.findings == [] and result.notices == []


def test_library_module_does_not_decide_allow_backup_but_its_app_does(tmp_path, catalog):
    app = '<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n  <application android:label="x" />\n</manifest>\n'
    write(tmp_path, "app/build.gradle", "plugins { id 'com.android.application' }\nandroid { defaultConfig { targetSdkVersion 29 }\n buildTypes { release { minifyEnabled true } } }\n")
    write(tmp_path, "app/src/main/AndroidManifest.xml", app)
    write(tmp_path, "lib/build.gradle", "plugins { id 'com.android.library' }\nandroid { defaultConfig { targetSdkVersion 29 } }\n")
    write(tmp_path, "lib/src/main/AndroidManifest.xml", app)
    result = scan(tmp_path, catalog)
    assert [(f.rule_id, f.location.path, f.location.line) for f in result.findings] == [
        ("AND102", "app/src/main/AndroidManifest.xml", 2)]
    # A release overlay that sets it decides instead of main.
    write(tmp_path, "app/src/release/AndroidManifest.xml",
          '<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n  <application android:allowBackup="false" />\n</manifest>\n')
    assert scan(tmp_path, catalog).findings == []


def test_gradle_reader_handles_comments_strings_and_both_dsls():
    g = GradleFile("""android {
    /* buildTypes { release { minifyEnabled true } } */
    buildTypes {
        release
        {
            minifyEnabled false // { not a block
            buildConfigField "String", "URL", "\\"https://x/{id}\\""
        }
    }
}
""")
    (release,) = [b for bts in g.find("buildTypes") for b in bts.children]
    assert release.name == "release" and g.position(release.header_start) == (4, 9)
    s = g.setting(release, "minifyEnabled", "isMinifyEnabled")
    assert s.value == "false" and g.position(s.start) == (6, 13)
    kts = GradleFile('android { buildTypes { getByName("release") { isMinifyEnabled = true } } }')
    (rel,) = kts.find("buildTypes", "release")
    assert kts.setting(rel, "minifyEnabled", "isMinifyEnabled").value == "true"


# --- secrets never leave the scan; SARIF validates ----------------------------------------------------------------
FIXTURE_SECRETS = (
    "AIzaSyD3x4mpl3K3yF0rF1xtur3sOnlyAbCdEfG", "Zr8Qe2LmX4vTn7Wk1Yp9", "Sh0pK3ystore!2023",
    "AIzaSyB7Qk2mX9vLwR4tY1uI8oP3aS6dF0gH5jK", "Lk93jf02JdmQ0zP81xYt", "sntrys_eyJpYXQiOjE3MDk4NzY1NDMuMDI",
    "AKIAQ7RS2EXMP4LXW3HN", "AIzaSyC9xR2mQ7vLwP4tZ1uK8oN3aB6dF0gH5jE", "sk_live_51Hx4mPl3d4t4F1xtur3s0nly",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "k3yP4ss-W4llet-77", "ghp_R4nd0mL00k1ngT0k3nF0rT3st1ngOnly0000",
    "AKIAJ7QXLD2XMPLQ5K4T", "AIzaSyD9eR2mQ7vLwP4tZ1uK8oN3aB6dF0gH5jX",
)


@pytest.fixture(scope="module")
def android_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    sarif, js = out / "android.sarif", out / "android.json"
    result = CliRunner().invoke(main, ["scan", str(ANDROID), "--format", "sarif", "--output", str(sarif),
                                       "--format", "json", "--output", str(js), "--format", "text", "--no-color"])
    assert result.exit_code == 1, result.output  # high findings at the default --fail-on high
    return sarif, js, result.output


def test_secret_values_never_appear_in_any_report(android_reports):
    sarif, js, text = android_reports
    for content in (sarif.read_text(), js.read_text(), text):
        leaked = [s for s in FIXTURE_SECRETS if s in content]
        assert not leaked, leaked
    assert text.count("AND113") >= 13


def test_android_sarif_validates_against_the_schema_and_github_rules(android_reports):
    sarif, _, _ = android_reports
    log = json.loads(sarif.read_text())
    assert validate_schema(log) == []
    results = log["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)
    validate_multitool(sarif)


@pytest.mark.parametrize("doc, refused", [
    ('<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', "document type declaration"),
    ('<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>', "document type declaration"),
    ('<r>&undefined;</r>', None),
])
def test_parser_refuses_dtds_and_never_expands_entities(doc, refused):
    from threatscan.engines.android.xmlparse import XmlProblem, parse_xml

    with pytest.raises(XmlProblem) as info:
        parse_xml(doc.encode())
    if refused:
        assert info.value.kind == "refused-xml" and refused in str(info.value)
    else:
        assert info.value.kind == "parse-error" and "undefined entity" in str(info.value)


def test_flavour_source_sets_ship_and_flavour_debug_ones_do_not(tmp_path, catalog):
    gradle = ("plugins { id 'com.android.application' }\nandroid { defaultConfig { targetSdkVersion 33 }\n"
              " productFlavors { free {} paid {} }\n buildTypes { release { minifyEnabled true } } }\n")
    write(tmp_path, "app/build.gradle", gradle)
    for source_set in ("paid", "freeDebug"):
        write(tmp_path, f"app/src/{source_set}/AndroidManifest.xml", MANIFEST)
    result = scan(tmp_path, catalog, include_non_shipping=True)
    found = {f.location.path.split("/")[2]: f for f in by_rule(result, "AND101")}
    assert found["paid"].severity == Severity.HIGH and "debug-only" not in found["paid"].message
    assert found["freeDebug"].severity == Severity.LOW and "`freeDebug`" in found["freeDebug"].message
    # by default the flavour's debug source set is left out; the flavour itself ships
    assert [f.location.path for f in by_rule(scan(tmp_path, catalog), "AND101")] == ["app/src/paid/AndroidManifest.xml"]


def test_a_gradle_block_without_a_name_does_not_crash_the_engine(tmp_path, catalog):
    # `(x) {` and `"a" {` headers have no name: the reader must not fail on them (it did: an engine crash).
    write(tmp_path, "app/build.gradle", "plugins { id 'com.android.application' }\n(flag) {\n}\n\"x\" {\n}\n"
          "android {\n buildTypes {\n  release {\n   minifyEnabled false\n  }\n }\n}\n")
    result = scan(tmp_path, catalog)
    assert not [n for n in result.notices if n.kind == "engine-crash"], result.notices
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("AND112", 9)]


def test_only_resource_directories_hold_network_configs_and_value_resources(tmp_path, catalog):
    nsc = '<network-security-config>\n  <base-config cleartextTrafficPermitted="true" />\n</network-security-config>\n'
    write(tmp_path, "app/src/main/res/xml-v24/network_security_config.xml", nsc)
    # The manifest can only name an @xml/ resource: a copy in the docs, or a layout, is never the app's config.
    write(tmp_path, "docs/examples/network_security_config.xml", nsc)
    write(tmp_path, "app/src/main/res/layout/main.xml", nsc)
    result = scan(tmp_path, catalog)
    assert [(f.rule_id, f.location.path) for f in result.findings] == [
        ("AND104", "app/src/main/res/xml-v24/network_security_config.xml")]
    assert [f.rel for f in result.files] == ["app/src/main/res/xml-v24/network_security_config.xml"]


def test_target_sdk_from_a_version_catalog_and_an_unreadable_catalog(tmp_path, catalog):
    manifest = """<manifest xmlns:android="http://schemas.android.com/apk/res/android">
  <application android:allowBackup="false">
    <activity android:name=".Share"><intent-filter><action android:name="x.SEND"/></intent-filter></activity>
  </application>
</manifest>"""
    write(tmp_path, "app/build.gradle", "plugins { id 'com.android.application' }\nandroid { defaultConfig {\n"
          " targetSdkVersion libs.versions.android.target.get() as int }\n buildTypes { release { minifyEnabled true } } }\n")
    write(tmp_path, "app/src/main/AndroidManifest.xml", manifest)
    write(tmp_path, "gradle/libs.versions.toml", '[versions]\nandroid_target = { require = "29" }\n')
    (f,) = scan(tmp_path, catalog).findings
    assert f.rule_id == "AND109" and "targetSdk 29" in f.message
    assert [(r.location.path, r.location.line) for r in f.related] == [("app/build.gradle", 3), ("gradle/libs.versions.toml", 2)]
    # A catalog that is not valid TOML: a notice, and targetSdk is unknown rather than guessed.
    write(tmp_path, "gradle/libs.versions.toml", '[versions]\nandroid_target = "29\n')
    result = scan(tmp_path, catalog)
    assert result.findings == []
    assert [(n.path, n.level) for n in result.notices] == [("gradle/libs.versions.toml", "warning")]
    assert "version catalog" in result.notices[0].message


# --- issue 16: what the platform requires, Lint's own suppressions, code that never ships ----------------------

def test_lint_tools_ignore_suppresses_with_the_ignore_as_reason(fixtures_scan):
    (f,) = [f for f in fixtures_scan.findings if f.rule_id == "AND109" and "LegacyBridge" in f.message]
    assert f.suppression is not None and f.suppression.kind == "inSource"
    assert 'tools:ignore="ExportedService"' in f.suppression.justification
    # the same element without the ignore is an open finding
    (open_,) = [f for f in fixtures_scan.findings if f.rule_id == "AND109" and "OpenService" in f.message]
    assert open_.suppression is None


def test_platform_required_exports_are_not_findings_but_custom_actions_are(fixtures_scan):
    platform = [f for f in fixtures_scan.findings if "platform-app" in f.location.path and f.suppression is None]
    named = {f.message.split("`")[1] for f in platform if f.rule_id == "AND109"}
    assert named == {".CommandActivity", ".CommandReceiver", ".OpenService", ".DataProvider"}
    (link,) = [f for f in platform if f.rule_id == "AND115"]
    assert link.severity == Severity.LOW and "platform.example.com" in link.message and "validate" in link.message


MODULE_GRADLE = ("plugins { id 'com.android.application' }\n"
                 "android { defaultConfig { targetSdk 34 }\n buildTypes { release { minifyEnabled true } } }\n")
EXPORTED_SERVICE = """<manifest xmlns:android="http://schemas.android.com/apk/res/android">
  <application android:allowBackup="false">
    <service android:name=".Remote" android:exported="true" />
  </application>
</manifest>"""


def test_benchmark_and_sample_modules_are_marked_non_shipping(tmp_path, catalog):
    for module in ("app", "benchmark", "samples/demo-app"):
        write(tmp_path, f"{module}/build.gradle", MODULE_GRADLE)
        write(tmp_path, f"{module}/src/main/AndroidManifest.xml", EXPORTED_SERVICE)
    findings = [f for f in scan(tmp_path, catalog, include_non_shipping=True).findings if f.rule_id == "AND109"]
    kinds = {f.location.path.rsplit("/src/", 1)[0]: f.code_kind for f in findings}
    assert kinds == {"app": "", "benchmark": "non-shipping", "samples/demo-app": "non-shipping"}
    # by default only the app's own finding is reported; the two others are counted as set aside
    result = scan(tmp_path, catalog)
    assert [f.location.path for f in result.findings if f.rule_id == "AND109"] == ["app/src/main/AndroidManifest.xml"]
    assert result.set_aside["in non-shipping code"] == 2


# --- --include-non-shipping ------------------------------------------------------------------------------------------
def test_code_that_never_ships_is_left_out_by_default_and_shown_with_the_flag(catalog):
    app = ANDROID / "groovy-app"
    default = run_scan(ScanOptions(paths=[str(app)]), catalog)
    assert not [f for f in default.findings if "/src/debug/" in f.location.path]
    assert default.set_aside["in non-shipping code"] == 4
    shown = run_scan(ScanOptions(paths=[str(app)], include_non_shipping=True), catalog)
    debug = [f for f in shown.findings if "/src/debug/" in f.location.path]
    assert len(debug) == 4 and all(f.severity == Severity.LOW and f.code_kind == "non-shipping" for f in debug)
    # shipping code is reported the same either way
    assert [f for f in shown.findings if "/src/debug/" not in f.location.path] == default.findings


def test_include_non_shipping_from_the_command_line_and_the_configuration(tmp_path):
    write(tmp_path, "app/build.gradle", MODULE_GRADLE)
    write(tmp_path, "app/src/main/AndroidManifest.xml", EXPORTED_SERVICE.replace(".Remote", ".Shipped"))
    write(tmp_path, "app/src/debug/AndroidManifest.xml", EXPORTED_SERVICE.replace(".Remote", ".DebugOnly"))

    def messages(*args):
        out = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--fail-on", "none", "--no-cache", *args])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        return sorted(f["message"].split("`")[1] for f in data["findings"] if f["rule_id"] == "AND109"), data["set_aside"]

    names, aside = messages()
    assert names == [".Shipped"] and aside["in non-shipping code"] == 1
    assert messages("--include-non-shipping")[0] == [".DebugOnly", ".Shipped"]
    write(tmp_path, ".threatscan.toml", "include-non-shipping = true\n")
    assert messages()[0] == [".DebugOnly", ".Shipped"]
    assert messages("--no-include-non-shipping")[0] == [".Shipped"]  # the flag wins over the configuration


def test_a_committed_key_in_a_debug_source_set_is_still_reported(tmp_path, catalog):
    write(tmp_path, "app/build.gradle", MODULE_GRADLE)
    write(tmp_path, "app/src/main/AndroidManifest.xml", EXPORTED_SERVICE)
    write(tmp_path, "app/src/debug/res/values/strings.xml",
          '<resources><string name="aws_key">AKIAQ7RS2EXMP4LXW3HN</string></resources>')
    (key,) = [f for f in scan(tmp_path, catalog).findings if "/src/debug/" in f.location.path]
    assert key.code_kind == "non-shipping" and key.severity > Severity.LOW  # a leak wherever the file sits


def test_provider_without_exported_and_without_any_target_sdk_is_exported(tmp_path, catalog):
    write(tmp_path, "AndroidManifest.xml", """<manifest xmlns:android="http://schemas.android.com/apk/res/android">
  <uses-sdk android:minSdkVersion="9" />
  <application android:allowBackup="false">
    <provider android:name=".Notes" android:authorities="x.notes" />
  </application>
</manifest>""")
    (f,) = scan(tmp_path, catalog).findings
    assert f.rule_id == "AND109" and "no targetSdk is declared" in f.message
    # with a targetSdk of 17 or more, the same provider is private
    write(tmp_path, "AndroidManifest.xml", """<manifest xmlns:android="http://schemas.android.com/apk/res/android">
  <uses-sdk android:minSdkVersion="9" android:targetSdkVersion="17" />
  <application android:allowBackup="false">
    <provider android:name=".Notes" android:authorities="x.notes" />
  </application>
</manifest>""")
    assert scan(tmp_path, catalog).findings == []


def test_application_id_makes_a_module_an_application_without_the_plugin(tmp_path, catalog):
    write(tmp_path, "app/build.gradle.kts", 'plugins { id("my.convention.android") }\n'
          'android {\n defaultConfig { applicationId = "x.y"\n targetSdk = 34 }\n'
          ' buildTypes { release { isMinifyEnabled = false } }\n}\n')
    (f,) = [f for f in scan(tmp_path, catalog).findings if f.rule_id == "AND112"]
    assert "isMinifyEnabled" in f.message and f.location.line == 5


def test_lint_ignore_on_a_network_config_and_lan_names(fixtures_scan):
    nsc = [f for f in fixtures_scan.findings
           if f.location.path.endswith("platform-app/app/src/main/res/xml/network_security_config.xml")]
    assert [(f.rule_id, f.location.line) for f in nsc] == [("AND104", 4)]
    assert nsc[0].suppression is not None and "InsecureBaseConfiguration" in nsc[0].suppression.justification
