"""The Android project model: modules, their source sets and what Gradle says about them.

Findings in Android projects are only meaningful with context a single file does not hold: targetSdk lives in
Gradle, a library module's manifest never decides `allowBackup`, a manifest under `src/debug/` never ships in a
release build, the launcher activity must be exported, and a component guarded by a signature-level custom
permission is protected while one guarded by a normal-level permission is not. This module gathers that context
once per scan, from the files discovery found (nothing else is read).
"""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, dataclass, field, fields
from posixpath import dirname
from typing import TYPE_CHECKING, Callable

from ..base import frozen
from .gradle import Block, GradleFile
from .hosts import ApiHost, gradle_hosts, values_hosts
from .xmlparse import Element, XmlDoc, XmlProblem, parse_xml

try:  # Python 3.11+
    import tomllib
except ImportError:  # Python 3.10: tomli is a dependency there; without it a catalog is unknown, never guessed
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ImportError:
        tomllib = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ...discover import SourceFile

# Flavours and source sets by convention built for testers and tests, not users (qa, mock, fake, benchmark).
NON_SHIPPING_SETS = re.compile(r"^(?:qa|mock|fake|benchmark|nonMinifiedRelease|benchmarkRelease)(?:[A-Z].*)?$|(?:Qa|Mock|Fake|Benchmark)$")
TEST_SOURCE_SETS = re.compile(r"^(test|androidTest|testFixtures|sharedTest)([A-Z].*)?$")
STRONG_LEVELS = ("signature", "signatureOrSystem", "knownSigner", "privileged", "system")
# System permissions any app may hold (normal or dangerous level): they protect nothing.
WEAK_SYSTEM_PERMISSIONS = frozenset(f"android.permission.{p}" for p in (
    "INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE", "WAKE_LOCK", "VIBRATE", "RECEIVE_BOOT_COMPLETED",
    "FOREGROUND_SERVICE", "POST_NOTIFICATIONS", "READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "CAMERA",
    "RECORD_AUDIO", "READ_CONTACTS", "WRITE_CONTACTS", "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION",
    "READ_PHONE_STATE", "CALL_PHONE", "READ_CALENDAR", "WRITE_CALENDAR", "BLUETOOTH", "BLUETOOTH_CONNECT",
    "NFC", "USE_BIOMETRIC", "USE_FINGERPRINT", "GET_ACCOUNTS", "READ_SMS", "SEND_SMS", "RECEIVE_SMS",
))


class _Sealable:
    """A part of the project model: built step by step by build_project, then sealed (`Project.sealed`): read-only
    from then on, its mappings, lists and sets too, since the project is a fact every worker process shares."""

    _sealed = False

    def __setattr__(self, name: str, value: object) -> None:
        if self._sealed:
            raise FrozenInstanceError(f"cannot assign to field {name!r}: the Android project model is sealed")
        object.__setattr__(self, name, value)

    def _seal(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, frozen(getattr(self, f.name)))
        object.__setattr__(self, "_sealed", True)


@dataclass
class BuildType(_Sealable):
    name: str
    block: Block
    debuggable: bool | None = None
    minify: bool | None = None


@dataclass
class Module(_Sealable):
    dir: str  # repository-relative directory ("" for the root)
    gradle: "SourceFile | None" = None
    gradle_doc: GradleFile | None = None
    kind: str | None = None  # "application", "library" or None when no Gradle file says
    target_sdk: int | None = None
    min_sdk: int | None = None
    build_types: dict[str, BuildType] = field(default_factory=dict)
    manifests: dict[str, "SourceFile"] = field(default_factory=dict)  # source set -> manifest
    target_catalog: "tuple[SourceFile, int] | None" = None  # the version catalog entry targetSdk came from (line)

    def source_set_kind(self, name: str) -> str:
        """'release' (ships: main, release, flavours), 'debug' (debug-only) or 'test' (never ships)."""
        if TEST_SOURCE_SETS.match(name):
            return "test"
        if name == "debug" or name.endswith("Debug") or NON_SHIPPING_SETS.match(name):
            return "debug"
        for bt in self.build_types.values():
            if bt.debuggable and bt.name != "release" and (name == bt.name or name.endswith(bt.name[:1].upper() + bt.name[1:])):
                return "debug"
        return "release"

    def is_application(self, manifest: Element | None = None) -> bool | None:
        if self.kind:
            return self.kind == "application"
        if manifest is not None and launcher_activities(manifest):
            return True
        return None


@dataclass
class Permission(_Sealable):
    name: str
    level: str  # as written; "normal" when absent
    file: "SourceFile"
    element: Element

    strong: bool = field(init=False)

    def __post_init__(self) -> None:
        self.strong = any(part.strip() in STRONG_LEVELS for part in self.level.split("|")) or self.level.startswith("0x")


@dataclass
class Project(_Sealable):
    modules: dict[str, Module] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    # permission name -> components (file, element) that use it as their guard
    guarded: dict[str, list[tuple["SourceFile", Element]]] = field(default_factory=dict)
    # Gradle builds: directories holding a build file or a version catalog; a module belongs to the highest one
    # above it (or is its own build).
    build_dirs: set[str] = field(default_factory=set)
    api_hosts: dict[str, list[ApiHost]] = field(default_factory=dict)  # build root -> API hosts it names

    def module(self, directory: str) -> Module:
        """The module at `directory`, added while the project is built; once it is sealed, a module the project
        does not hold is an empty one of the caller's own (the project is not written)."""
        if directory not in self.modules:
            if self._sealed:
                return Module(directory)
            self.modules[directory] = Module(directory)
        return self.modules[directory]

    def sealed(self) -> "Project":
        """This project, read-only from now on, every module, build type and permission in it too."""
        for mod in self.modules.values():
            for bt in mod.build_types.values():
                bt._seal()
            mod._seal()
        for perm in self.permissions.values():
            perm._seal()
        self._seal()
        return self

    def build_root(self, directory: str) -> str:
        root, d = directory, directory
        while True:
            if d in self.build_dirs:
                root = d
            if not d:
                return root
            d = dirname(d)

    def hosts_for(self, directory: str) -> list[ApiHost]:
        """The API hosts the build of the module at `directory` names (see hosts.py)."""
        return self.api_hosts.get(self.build_root(directory), [])

    def protection(self, name: str | None) -> str:
        """'none', 'weak' (any app can hold it) or 'strong' (signature level, or not known to be weak)."""
        if not name:
            return "none"
        if name.startswith("${"):
            return "strong"  # a manifest placeholder: cannot see it, do not cry wolf
        declared = self.permissions.get(name)
        if declared is not None:
            return "strong" if declared.strong else "weak"
        return "weak" if name in WEAK_SYSTEM_PERMISSIONS else "strong"


def locate(rel: str) -> tuple[str, str]:
    """(module directory, source set) of a manifest or resource file, from its path."""
    parts = rel.split("/")
    if parts[-1] == "AndroidManifest.xml":
        if len(parts) >= 3 and parts[-3] == "src":
            return "/".join(parts[:-3]), parts[-2]
        return "/".join(parts[:-1]), "main"
    if "res" in parts:
        i = len(parts) - 1 - parts[::-1].index("res")
        if i >= 2 and parts[i - 2] == "src":
            return "/".join(parts[:i - 2]), parts[i - 1]
        return "/".join(parts[:i]), "main"
    if "src" in parts and (rel.endswith((".java", ".kt"))):
        # module/src/<source set>/java|kotlin/...: Java and Kotlin sources
        i = len(parts) - 1 - parts[::-1].index("src")
        if i + 2 < len(parts) and parts[i + 2] in ("java", "kotlin"):
            return "/".join(parts[:i]), parts[i + 1]
        return "/".join(parts[:i]), "main"
    return dirname(rel), "main"


def launcher_activities(manifest: Element) -> list[Element]:
    out = []
    for app in manifest.find_all("application"):
        for comp in app.children:
            if comp.tag in ("activity", "activity-alias") and any(is_launcher_filter(f) for f in comp.find_all("intent-filter")):
                out.append(comp)
    return out


def is_launcher_filter(intent_filter: Element) -> bool:
    actions = {a.get("android:name") for a in intent_filter.find_all("action")}
    categories = {c.get("android:name") for c in intent_filter.find_all("category")}
    return "android.intent.action.MAIN" in actions and bool(
        categories & {"android.intent.category.LAUNCHER", "android.intent.category.LEANBACK_LAUNCHER"})


def parsed_xml(file: "SourceFile", keep_text: bool = False) -> XmlDoc | XmlProblem:
    """The file's XML, parsed once (the failure is cached too, so it is reported once)."""

    def build() -> XmlDoc | XmlProblem:
        try:
            return parse_xml(file.data(), keep_text=keep_text)
        except XmlProblem as exc:
            return exc

    return file.cached("android-xml", build)


def parsed_gradle(file: "SourceFile") -> GradleFile:
    return file.cached("gradle", lambda: GradleFile(file.text()))


def _bool(text: str | None) -> bool | None:
    return {"true": True, "false": False}.get((text or "").strip().strip("\"'"))


def _int(text: str | None, names: Callable[[str], int | None]) -> int | None:
    if text is None:
        return None
    text = text.strip().strip("\"'")
    m = re.fullmatch(r"(\d{1,3})", text) or re.fullmatch(r"(?:android-)?(\d{1,3})", text)
    if m:
        return int(m.group(1))
    # rootProject.ext.targetSdkVersion, rootProject.ext["targetSdk"], versions.targetSdk, libs...get().toInt()
    ident = re.findall(r"[A-Za-z_]\w*", text)
    for candidate in reversed(ident):
        if candidate in ("get", "toInt", "rootProject", "ext", "project", "extra", "versions", "libs"):
            continue
        return names(candidate)
    return None


@dataclass
class VersionCatalog:
    """A Gradle version catalog (`gradle/libs.versions.toml`): its `[versions]`, by accessor path."""

    file: "SourceFile"
    accessor: str  # `libs` for libs.versions.toml: the name build files use (libs.versions.targetSdk)
    build_dir: str  # the directory of the build that uses it (the one holding gradle/)
    versions: dict[str, str]  # accessor path ("targetSdk", "target.sdk" for target-sdk) -> version text
    raw_keys: dict[str, str]  # accessor path -> the key as written, to find its line

    def line_of(self, path: str) -> int:
        key = self.raw_keys.get(path, path)
        in_versions = False
        for number, line in enumerate(self.file.text().splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_versions = stripped.replace(" ", "") == "[versions]"
            elif in_versions and re.match(r"""["']?%s["']?\s*=""" % re.escape(key), stripped):
                return number
        return 1


# `libs.versions.targetSdk.get()` (Kotlin DSL adds `.toInt()`, Groovy may add `as int` or `.toInteger()`).
_CATALOG_REF = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.versions\.([A-Za-z_][\w.]*?)\.get\b")


def _accessor_path(alias: str) -> str:
    """Gradle turns `-`, `_` and `.` in an alias into accessor segments: target-sdk -> target.sdk."""
    return re.sub(r"[-_.]", ".", alias)


def read_catalog(file: "SourceFile") -> VersionCatalog | str:
    """The catalog's versions, or why it cannot be read (a notice)."""
    name = file.rel.rsplit("/", 1)[-1]
    accessor = name[: -len(".versions.toml")]
    directory = dirname(file.rel)
    build_dir = dirname(directory) if directory.rsplit("/", 1)[-1] == "gradle" else directory
    if tomllib is None:
        return "no TOML reader on this Python (install tomli): versions from this catalog are unknown"
    try:
        data = tomllib.loads(file.text())
    except (tomllib.TOMLDecodeError, UnicodeError, ValueError) as exc:
        return f"not a readable version catalog ({exc}); versions from it are unknown"
    except RecursionError:  # tomllib recurses on nested arrays and tables
        return "not a readable version catalog (nested too deeply); versions from it are unknown"
    versions: dict[str, str] = {}
    raw_keys: dict[str, str] = {}
    table = data.get("versions")
    for alias, value in (table.items() if isinstance(table, dict) else ()):
        if isinstance(value, dict):  # { strictly = "34" }, { require = "34" }, { prefer = "34" }
            value = next((value[k] for k in ("strictly", "require", "prefer") if isinstance(value.get(k), str)), None)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            versions[_accessor_path(alias)] = str(value)
            raw_keys[_accessor_path(alias)] = alias
    return VersionCatalog(file, accessor, build_dir, versions, raw_keys)


def build_project(files: list["SourceFile"], notice: Callable[..., None] | None = None) -> Project:
    project = Project()
    catalogs: dict[tuple[str, str], VersionCatalog] = {}  # (build dir, accessor) -> catalog
    for f in files:
        if "gradle-catalog" not in f.kinds:
            continue
        try:
            catalog = read_catalog(f)
        except (OSError, UnicodeError) as exc:
            catalog = f"could not read the version catalog ({exc}); versions from it are unknown"
        if isinstance(catalog, str):
            if notice is not None:
                notice(catalog, f.rel, "warning", "parse-error")
            continue
        catalogs[(catalog.build_dir, catalog.accessor)] = catalog
        project.build_dirs.add(catalog.build_dir)

    def catalog_for(directory: str, accessor: str) -> VersionCatalog | None:
        d = directory
        while True:
            if (d, accessor) in catalogs:
                return catalogs[(d, accessor)]
            if not d:
                return None
            d = dirname(d)

    gradle_files = [f for f in files if "gradle" in f.kinds]
    docs: dict[str, GradleFile] = {}  # gradle dir -> its parsed file
    shared_ints: dict[str, dict[str, int]] = {}  # gradle dir -> int assignments (for ext lookups), read on demand
    for f in gradle_files:
        try:
            doc = parsed_gradle(f)
        except Exception:  # unreadable: the scan reports it when it reads the file
            continue
        directory = dirname(f.rel)
        docs[directory] = doc
        project.build_dirs.add(directory)
        mod = project.module(directory)
        mod.gradle, mod.gradle_doc = f, doc
        mod.kind = doc.plugin_kind()
        if mod.kind is None and re.search(r"(?<![\w.])applicationId\b", doc.masked):
            mod.kind = "application"  # the plugin comes from a convention plugin, but only apps have an id

    for mod in list(project.modules.values()):
        doc = mod.gradle_doc
        if doc is None:
            continue

        def lookup(name: str, directory: str = mod.dir) -> int | None:
            d = directory
            while True:
                if d in docs and d not in shared_ints:
                    shared_ints[d] = docs[d].int_assignments()
                if name in shared_ints.get(d, {}):
                    return shared_ints[d][name]
                if not d:
                    return None
                d = dirname(d)

        def sdk(text: str, mod: Module = mod) -> tuple[int | None, "tuple[SourceFile, int] | None"]:
            ref = _CATALOG_REF.search(text)
            catalog = catalog_for(mod.dir, ref.group(1)) if ref else None
            if ref and catalog is not None:
                path = ref.group(2)
                version = catalog.versions.get(path)
                return _int(version, lambda _n: None), (catalog.file, catalog.line_of(path)) if version else None
            return _int(text, lookup), None

        for block in doc.find("defaultConfig"):
            t = doc.setting(block, "targetSdkVersion", "targetSdk")
            if t:
                mod.target_sdk, mod.target_catalog = sdk(t.value)
            m = doc.setting(block, "minSdkVersion", "minSdk")
            if m:
                mod.min_sdk = sdk(m.value)[0]
        for bt_block in (b for bts in doc.find("buildTypes") for b in bts.children):
            bt = mod.build_types.get(bt_block.name) or BuildType(bt_block.name, bt_block)
            d = doc.setting(bt_block, "debuggable", "isDebuggable")
            if d:
                bt.debuggable = _bool(d.value)
            mi = doc.setting(bt_block, "minifyEnabled", "isMinifyEnabled", "runProguard")
            if mi:
                bt.minify = _bool(mi.value)
            mod.build_types[bt.name] = bt
        if mod.gradle is not None:
            _add_hosts(project, mod.dir, gradle_hosts(mod.gradle, doc, mod))

    for f in files:
        if "android-values" not in f.kinds:
            continue
        directory, source_set = locate(f.rel)
        mod = project.module(directory)
        if mod.source_set_kind(source_set) != "release":
            continue  # a debug or test resource's server is not one release builds talk to
        try:
            data = f.data()
        except OSError:
            continue
        utf16 = b"\0" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff"))
        if not utf16 and b"https://" not in data and b"wss://" not in data:
            continue
        doc = parsed_xml(f, keep_text=True)
        if not isinstance(doc, XmlProblem):
            _add_hosts(project, directory, values_hosts(f, doc))

    for f in files:
        if "android-manifest" not in f.kinds:
            continue
        directory, source_set = locate(f.rel)
        mod = project.module(directory)
        mod.manifests[source_set] = f
        doc = parsed_xml(f)
        if isinstance(doc, XmlProblem) or doc.root.tag != "manifest":
            continue
        if mod.target_sdk is None or mod.min_sdk is None:
            for uses in doc.root.find_all("uses-sdk"):
                if mod.target_sdk is None:
                    mod.target_sdk = _int(uses.get("android:targetSdkVersion"), lambda _n: None)
                if mod.min_sdk is None:
                    mod.min_sdk = _int(uses.get("android:minSdkVersion"), lambda _n: None)
        for perm in doc.root.find_all("permission"):
            name = perm.get("android:name")
            if name:
                project.permissions[name] = Permission(name, perm.get("android:protectionLevel") or "normal", f, perm)
        for app in doc.root.find_all("application"):
            for comp in app.children:
                for attr in ("android:permission", "android:readPermission", "android:writePermission"):
                    if comp.get(attr):
                        project.guarded.setdefault(comp.get(attr), []).append((f, comp))
    return project.sealed()


def _add_hosts(project: Project, directory: str, hosts: list[ApiHost]) -> None:
    if hosts:
        project.api_hosts.setdefault(project.build_root(directory), []).extend(hosts)
