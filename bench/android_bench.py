#!/usr/bin/env python3
"""threatscan over a generated tree of Android modules: wall time and peak memory.

    python bench/android_bench.py [--modules 1000] [--runs 3] [--keep DIR]

Generates N modules in a temporary directory (each: app-style build.gradle or build.gradle.kts, a main
AndroidManifest.xml with a dozen components, res/xml/network_security_config.xml and res/values/strings.xml; a
mix of findings and clean look-alikes), then runs `threatscan scan TREE --format json --output /dev/null
--fail-on none` as a child process --runs times (after one warm-up run) and prints the median wall time, the
largest peak memory (summed PSS of threatscan and its worker processes, bench/_measure.py), the files scanned
and the findings. Wall time includes interpreter
start-up and imports. A benchmark, not a test: the suite never runs it. Target (issue 4): under 2 s and 100 MB
for 1,000 modules on two cores.

    python bench/android_bench.py --engine-cpu --runs 7

measures the Android engine's own CPU time instead (see engine_cpu). With --keep DIR, an existing non-empty
DIR is scanned as it is (not generated again).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run as measure  # noqa: E402

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android">
    <uses-permission android:name="android.permission.INTERNET" />
    <permission android:name="com.example.m{i}.SYNC" android:protectionLevel="signature" />
    <application android:label="@string/app_name" android:allowBackup="{backup}"
        android:networkSecurityConfig="@xml/network_security_config">
        <activity android:name=".MainActivity" android:exported="true">
            <intent-filter>
                <action android:name="android.intent.action.MAIN" />
                <category android:name="android.intent.category.LAUNCHER" />
            </intent-filter>
        </activity>
        <activity android:name=".ShareActivity">
            <intent-filter>
                <action android:name="android.intent.action.SEND" />
                <category android:name="android.intent.category.DEFAULT" />
            </intent-filter>
        </activity>
        <activity android:name=".SettingsActivity" android:exported="false" />
        <activity android:name=".DetailActivity" android:exported="false" />
        <service android:name=".SyncService" android:exported="true" android:permission="com.example.m{i}.SYNC" />
        <service android:name=".UploadService" android:exported="{exported}" />
        <receiver android:name=".BootReceiver" android:exported="true">
            <intent-filter><action android:name="android.intent.action.BOOT_COMPLETED" /></intent-filter>
        </receiver>
        <provider android:name="androidx.core.content.FileProvider" android:authorities="com.example.m{i}.files"
            android:exported="false" android:grantUriPermissions="true" />
    </application>
</manifest>
"""

NSC = """<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
    <base-config cleartextTrafficPermitted="false" />
    <domain-config>
        <domain includeSubdomains="true">api{i}.example.com</domain>
        <pin-set expiration="2099-01-01">
            <pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin>
            <pin digest="SHA-256">fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=</pin>
        </pin-set>
    </domain-config>
    <domain-config cleartextTrafficPermitted="{cleartext}">
        <domain>legacy{i}.example.com</domain>
    </domain-config>
    <debug-overrides><trust-anchors><certificates src="user" /></trust-anchors></debug-overrides>
</network-security-config>
"""

STRINGS = """<?xml version="1.0" encoding="utf-8"?>
<resources>
    <string name="app_name">Module {i}</string>
    <string name="password">Password</string>
    <string name="prompt_email">Email address</string>
    <string name="action_sign_in">Sign in</string>
    <string name="error_network">The network is not available, try again later.</string>
    <string name="maps_key" translatable="false">{key}</string>
</resources>
"""

GROOVY = """plugins {{
    id 'com.android.application'
}}

android {{
    namespace 'com.example.m{i}'
    compileSdk 34
    defaultConfig {{
        applicationId "com.example.m{i}"
        minSdkVersion 24
        targetSdkVersion {target}
        versionCode 1
        versionName "1.0"
        buildConfigField "String", "API_URL", "\\"https://api{i}.example.com\\""
    }}
    buildTypes {{
        release {{
            minifyEnabled {minify}
            proguardFiles getDefaultProguardFile('proguard-android-optimize.txt'), 'proguard-rules.pro'
        }}
    }}
}}

dependencies {{
    implementation 'androidx.appcompat:appcompat:1.6.1'
}}
"""

KTS = """plugins {{
    id("com.android.application")
}}

android {{
    namespace = "com.example.m{i}"
    compileSdk = 34
    defaultConfig {{
        applicationId = "com.example.m{i}"
        minSdk = 24
        targetSdk = {target}
        buildConfigField("String", "API_URL", "\\"https://api{i}.example.com\\"")
    }}
    buildTypes {{
        getByName("release") {{
            isMinifyEnabled = {minify}
        }}
    }}
}}
"""


def generate(root: Path, modules: int) -> None:
    for i in range(modules):
        mod = root / f"module{i:04d}"
        main = mod / "src" / "main"
        (main / "res" / "xml").mkdir(parents=True)
        (main / "res" / "values").mkdir()
        odd = i % 2 == 1
        (main / "AndroidManifest.xml").write_text(MANIFEST.format(
            i=i, backup="true" if i % 5 == 0 else "false", exported="true" if i % 3 == 0 else "false"))
        (main / "res" / "xml" / "network_security_config.xml").write_text(NSC.format(
            i=i, cleartext="true" if i % 4 == 0 else "false"))
        key = f"AIzaSy{i:06d}Qk2mX9vLwR4tY1uI8oP3aS6dF0g" if i % 10 == 0 else "@string/app_name"
        (main / "res" / "values" / "strings.xml").write_text(STRINGS.format(i=i, key=key))
        gradle = KTS if odd else GROOVY
        (mod / ("build.gradle.kts" if odd else "build.gradle")).write_text(gradle.format(
            i=i, target=30 if i % 2 == 0 else 34, minify="true" if i % 3 else "false"))


def run(cmd: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds user+sys, peak memory MiB summed over the process tree, exit code)."""
    m = measure(cmd)
    return m.wall, m.cpu, m.peak_mib, m.exit_code


def engine_cpu(tree: Path, rounds: int) -> None:
    """--engine-cpu: the Android engine alone, in this process: `prepare` (the project model) and `scan_file` over
    every file as the sequential scan loop calls them, on fresh file objects each round (nothing parsed carries
    over). CPU time (process_time), so the figure stays comparable while other processes share the machine;
    discovery, report rendering and start-up are left out."""
    import gc
    import time

    from threatscan.catalog import load_catalog
    from threatscan.discover import SourceFile, discover
    from threatscan.engines import ScanContext, load_all
    from threatscan.engines.android import ENGINE
    from threatscan.registry import all_checks

    catalog, checks = load_catalog(), all_checks()
    load_all()
    gc.freeze()  # as the CLI does
    gc.set_threshold(20_000, 50, 100)
    found = discover([tree])

    def one_round() -> tuple[float, float, int]:
        files = [SourceFile(f.path, f.rel, f.kinds, f.size, f._data) for f in found.files]
        ctx = ScanContext(root=found.root, catalog=catalog)
        ctx.files = {f.rel: f for f in files}
        started = time.process_time()
        ctx.facts = ctx.facts.merged(ENGINE.prepare([f for f in files if f.kinds & ENGINE.kinds], ctx))
        prepared = time.process_time()
        findings = 0
        for f in files:
            wanted = [c for c in checks if c.kind in f.kinds & ENGINE.kinds]
            if wanted:
                findings += len(list(ENGINE.scan_file(f, wanted, ctx)))
            f.release()
        return prepared - started, time.process_time() - prepared, findings

    results = sorted((one_round() for _ in range(rounds)), key=lambda r: r[0] + r[1])
    prepare, scan, findings = results[0]
    print(f"files: {len(found.files)}; findings: {findings}; python {sys.version.split()[0]}")
    print(f"Android engine CPU, fastest of {rounds} rounds: prepare {prepare:.3f} s + scan_file {scan:.3f} s "
          f"= {prepare + scan:.3f} s (median round {statistics.median(r[0] + r[1] for r in results):.3f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this (empty or new) directory and keep it")
    parser.add_argument("--engine-cpu", action="store_true",
                        help="measure the Android engine's CPU time in-process instead (--runs rounds)")
    args = parser.parse_args()

    tree = args.keep or Path(tempfile.mkdtemp(prefix="threatscan-android-bench-"))
    tree.mkdir(parents=True, exist_ok=True)
    try:
        if not any(tree.iterdir()):
            generate(tree, args.modules)
        if args.engine_cpu:
            engine_cpu(tree, args.runs)
            return 0
        report = tree.parent / f"{tree.name}.json"
        cmd = [sys.executable, "-m", "threatscan.cli", "scan", str(tree), "--format", "json", "--output",
               str(report), "--fail-on", "none", "--quiet"]
        run(cmd)  # warm-up: page cache, .pyc files
        walls, cpus, peaks = [], [], []
        for _ in range(args.runs):
            wall, cpu, peak, code = run(cmd)
            if code != 0:
                print(f"threatscan exited {code}", file=sys.stderr)
                return 2
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
        data = json.loads(report.read_text())
        report.unlink()
        findings = data.get("findings", [])
        files = data.get("files_scanned", "?")
        print(f"modules: {args.modules} ({args.modules * 4} files: manifest, network config, Gradle, strings each)")
        print(f"files scanned: {files}; findings: {len(findings)}; cpus: {os.cpu_count()}; python {sys.version.split()[0]}")
        print(f"wall time: median {statistics.median(walls):.2f} s over {args.runs} runs "
              f"(min {min(walls):.2f}, max {max(walls):.2f}), whole process incl. start-up")
        print(f"CPU time (user+sys): median {statistics.median(cpus):.2f} s")
        print(f"peak memory: {max(peaks)} MiB (summed PSS of threatscan and its worker processes)")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} (1 min)")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
