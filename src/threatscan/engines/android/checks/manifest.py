"""Manifest checks: debuggable, backups, cleartext, exported components, URI grants, permissions, sharedUserId."""

from __future__ import annotations

from ....model import Location, Related, Severity
from ..context import AndroidFile, android_check
from ..project import is_launcher_filter, parsed_xml
from ..xmlparse import Element, XmlProblem

COMPONENTS = ("activity", "activity-alias", "service", "receiver", "provider")

# Broadcasts only the system may send (protected broadcasts): a receiver listening only for these cannot be
# triggered by another app even though it is exported.
PROTECTED_BROADCASTS = frozenset({
    "android.intent.action.BOOT_COMPLETED", "android.intent.action.LOCKED_BOOT_COMPLETED",
    "android.intent.action.MY_PACKAGE_REPLACED", "android.intent.action.MY_PACKAGE_SUSPENDED",
    "android.intent.action.MY_PACKAGE_UNSUSPENDED", "android.intent.action.PACKAGE_ADDED",
    "android.intent.action.PACKAGE_REMOVED", "android.intent.action.PACKAGE_REPLACED",
    "android.intent.action.TIME_SET", "android.intent.action.TIMEZONE_CHANGED", "android.intent.action.DATE_CHANGED",
    "android.intent.action.LOCALE_CHANGED", "android.intent.action.ACTION_POWER_CONNECTED",
    "android.intent.action.ACTION_POWER_DISCONNECTED", "android.intent.action.BATTERY_LOW",
    "android.intent.action.BATTERY_OKAY", "android.intent.action.ACTION_SHUTDOWN", "android.intent.action.REBOOT",
    "android.intent.action.USER_PRESENT", "android.intent.action.SCREEN_ON", "android.intent.action.SCREEN_OFF",
    "android.intent.action.AIRPLANE_MODE", "android.net.conn.CONNECTIVITY_CHANGE",
    "android.app.action.DEVICE_ADMIN_ENABLED", "android.intent.action.USER_UNLOCKED",
    "android.intent.action.PACKAGE_FULLY_REMOVED", "android.intent.action.PACKAGE_CHANGED",
    "android.intent.action.PACKAGE_DATA_CLEARED", "android.intent.action.PACKAGE_RESTARTED",
    "android.intent.action.UID_REMOVED", "android.intent.action.MEDIA_MOUNTED", "android.intent.action.MEDIA_UNMOUNTED",
    "android.intent.action.MEDIA_EJECT", "android.intent.action.DEVICE_STORAGE_LOW",
    "android.intent.action.DEVICE_STORAGE_OK", "android.intent.action.BATTERY_CHANGED",
    "android.intent.action.DOWNLOAD_COMPLETE", "android.intent.action.NEW_OUTGOING_CALL",
    "android.intent.action.PHONE_STATE", "android.provider.Telephony.SMS_RECEIVED",
    "android.provider.Telephony.WAP_PUSH_RECEIVED", "android.intent.action.EXTERNAL_APPLICATIONS_AVAILABLE",
    "android.intent.action.EXTERNAL_APPLICATIONS_UNAVAILABLE", "android.app.action.NEXT_ALARM_CLOCK_CHANGED",
    "android.app.action.SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED", "android.intent.action.APPLICATION_LOCALE_CHANGED",
    "android.bluetooth.adapter.action.STATE_CHANGED", "android.bluetooth.device.action.ACL_CONNECTED",
    "android.bluetooth.device.action.ACL_DISCONNECTED", "android.net.wifi.STATE_CHANGE",
    "android.net.wifi.WIFI_STATE_CHANGED", "android.intent.action.HEADSET_PLUG",
    "android.media.AUDIO_BECOMING_NOISY", "android.intent.action.DREAMING_STARTED",
    "android.intent.action.DREAMING_STOPPED", "android.app.action.DEVICE_ADMIN_DISABLED",
    "android.app.action.DEVICE_ADMIN_DISABLE_REQUESTED", "android.app.action.PROFILE_PROVISIONING_COMPLETE",
    "android.intent.action.QUICKBOOT_POWERON", "com.htc.intent.action.QUICKBOOT_POWERON",
    # not protected in the platform's list, but the platform is their only meaningful sender and Lint's
    # UnprotectedBroadcastReceiver leaves them alone: widget updates and media buttons
    "android.appwidget.action.APPWIDGET_UPDATE", "android.appwidget.action.APPWIDGET_ENABLED",
    "android.appwidget.action.APPWIDGET_DISABLED", "android.appwidget.action.APPWIDGET_DELETED",
    "android.appwidget.action.APPWIDGET_OPTIONS_CHANGED", "android.intent.action.MEDIA_BUTTON",
})
# Services the platform or Google Play services bind to by these actions: exported because they must be.
PLATFORM_SERVICE_ACTIONS = frozenset({
    "android.media.browse.MediaBrowserService", "androidx.media3.session.MediaSessionService",
    "androidx.media3.session.MediaLibraryService", "android.media.session.MediaSessionService",
    "com.google.android.gms.wearable.BIND_LISTENER", "com.google.android.gms.wearable.DATA_CHANGED",
    "com.google.android.gms.wearable.MESSAGE_RECEIVED", "com.google.android.gms.wearable.CAPABILITY_CHANGED",
    "com.google.android.gms.wearable.CHANNEL_EVENT", "com.google.android.gms.wearable.NODE_MIGRATED",
    "com.google.firebase.MESSAGING_EVENT", "com.google.android.c2dm.intent.RECEIVE",
    "android.service.chooser.ChooserTargetService", "androidx.car.app.CarAppService",
    "android.support.customtabs.action.CustomTabsService", "android.intent.action.MEDIA_BUTTON",
    "android.accounts.AccountAuthenticator", "android.content.SyncAdapter",
    "android.service.media.MediaBrowserService",
})
# Activities the platform starts by these actions (the widget host's configuration screen).
PLATFORM_ACTIVITY_ACTIONS = frozenset({"android.appwidget.action.APPWIDGET_CONFIGURE"})


def _applications(af: AndroidFile) -> list[Element]:
    assert af.xml is not None
    return af.xml.root.find_all("application")


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _target_related(af: AndroidFile) -> list[Related]:
    """Where targetSdk comes from, when Gradle says it (read again by each finding that shows it: the module is a
    fact of the scan, shared by every worker, and never written while files are scanned)."""
    mod = af.module
    doc = mod.gradle_doc
    if mod.gradle is None or doc is None:
        return []
    for block in doc.find("defaultConfig"):
        s = doc.setting(block, "targetSdkVersion", "targetSdk")
        if s:
            line, col = doc.position(s.start)
            end_line, end_col = doc.position(s.end)
            related = [Related(Location(mod.gradle.rel, line, col, end_line, end_col), f"targetSdk {mod.target_sdk}")]
            if mod.target_catalog is not None:
                catalog, catalog_line = mod.target_catalog
                related.append(Related(Location(catalog.rel, catalog_line, 1),
                                       f"targetSdk {mod.target_sdk} in the version catalog"))
            return related
    return []


# --- AND101: debuggable ------------------------------------------------------------------------------------
@android_check("AND101", "android-manifest")
def manifest_debuggable(af: AndroidFile) -> None:
    for app in _applications(af):
        if _true(app.get("android:debuggable")):
            af.report_xml(app, "Debuggable app: `android:debuggable=\"true\"` lets anyone with the device "
                          "attach a debugger, read the app's memory and run code as the app.", "android:debuggable")


# --- AND102: backups ---------------------------------------------------------------------------------------
@android_check("AND102", "android-manifest")
def allow_backup(af: AndroidFile) -> None:
    mod = af.module
    if mod.kind == "library":
        return  # a library's manifest never decides allowBackup: the application module's merged manifest does
    for app in _applications(af):
        restricted = app.get("android:fullBackupContent") not in (None, "true") or app.get("android:dataExtractionRules")
        value = app.get("android:allowBackup")
        if value is not None:
            if _true(value) and not restricted:
                af.report_xml(app, "Backup exposure: `android:allowBackup=\"true\"` with no "
                              "`fullBackupContent` or `dataExtractionRules` lets the app's private files, tokens "
                              "included, be copied off the device by adb backup or cloud backup.", "android:allowBackup")
            continue
        if af.source_set != "main" or restricted or mod.is_application(af.xml.root if af.xml else None) is not True:
            continue
        if any(_sets_backup(f) for ss, f in mod.manifests.items() if ss != "main" and mod.source_set_kind(ss) == "release"):
            continue  # a shipping overlay (release, flavour) decides it
        if mod.target_sdk is None or mod.target_sdk >= 31:
            continue
        af.report_xml(app, f"Backup exposure: `android:allowBackup` is not set, so it defaults to true "
                      f"(targetSdk {mod.target_sdk}), and nothing restricts what is backed up: the app's private files "
                      "can be copied off the device.", related=_target_related(af))


def _sets_backup(file) -> bool:
    doc = parsed_xml(file)
    return not isinstance(doc, XmlProblem) and any(
        a.get("android:allowBackup") is not None for a in doc.root.find_all("application"))


# --- AND103: usesCleartextTraffic ---------------------------------------------------------------------------
@android_check("AND103", "android-manifest")
def manifest_cleartext(af: AndroidFile) -> None:
    for app in _applications(af):
        if not _true(app.get("android:usesCleartextTraffic")):
            continue
        if app.get("android:networkSecurityConfig") and (af.module.min_sdk or 0) >= 24:
            continue  # from API 24 the network security config decides and this attribute is ignored
        af.report_xml(app, "Cleartext traffic: `android:usesCleartextTraffic=\"true\"` lets the app "
                      "talk plain HTTP, which anyone on the network can read and alter.", "android:usesCleartextTraffic")


# --- AND109: exported components ----------------------------------------------------------------------------
def exported_state(af: AndroidFile, comp: Element) -> str | None:
    """'explicit', 'implicit' or None (not exported, or cannot tell)."""
    value = comp.get("android:exported")
    if value is not None:
        return "explicit" if _true(value) else None
    target = af.module.target_sdk
    if target is None:
        if comp.tag == "provider" and _no_target_declared(af):
            return "implicit-default"  # no targetSdk anywhere: it defaults to minSdk (or 1), below 17
        return None  # cannot see targetSdk: do not pretend either way
    if comp.tag == "provider":
        return "implicit" if target <= 16 else None
    if comp.find_all("intent-filter") and target < 31:
        return "implicit"
    return None


def _actions(comp: Element) -> set:
    return {a.get("android:name") for f in comp.find_all("intent-filter") for a in f.find_all("action")}


def _public_by_design(comp: Element) -> bool:
    """Exported because the platform requires it: the launcher, receivers of system-only broadcasts, media
    browser and Wear listener services, widget configuration screens."""
    filters = comp.find_all("intent-filter")
    actions = _actions(comp)
    if comp.tag in ("activity", "activity-alias"):
        return any(is_launcher_filter(f) for f in filters) or (bool(actions) and actions <= PLATFORM_ACTIVITY_ACTIONS)
    if comp.tag == "receiver" and filters:
        return bool(actions) and actions <= PROTECTED_BROADCASTS
    if comp.tag == "service" and filters:
        return bool(actions) and actions <= PLATFORM_SERVICE_ACTIONS
    return False


# Standard actions through which other apps hand an activity data to show or act on (share, open, pick).
PUBLIC_ACTIVITY_ACTIONS = frozenset({
    "android.intent.action.VIEW", "android.intent.action.SEND", "android.intent.action.SEND_MULTIPLE",
    "android.intent.action.SENDTO", "android.intent.action.PROCESS_TEXT", "android.intent.action.EDIT",
    "android.intent.action.PICK", "android.intent.action.GET_CONTENT", "android.intent.action.SEARCH",
    "android.intent.action.WEB_SEARCH", "android.intent.action.ASSIST", "android.intent.action.APPLICATION_PREFERENCES",
    "android.intent.action.MANAGE_NETWORK_USAGE", "android.intent.action.CREATE_SHORTCUT",
    "android.intent.action.CREATE_DOCUMENT", "android.intent.action.OPEN_DOCUMENT", "android.intent.action.INSERT",
    "android.nfc.action.NDEF_DISCOVERED", "android.nfc.action.TECH_DISCOVERED", "android.intent.action.DIAL",
    "android.intent.action.CALL", "android.intent.action.MAIN", "android.service.quicksettings.action.QS_TILE_PREFERENCES",
    "android.intent.action.SHOW_APP_INFO", "android.intent.action.VIEW_PERMISSION_USAGE",
})


def public_entry_point(comp: Element) -> str | None:
    """For an exported activity meant to be opened by other apps or links: 'deep link' (a BROWSABLE filter) or
    'share or open target' (only standard actions); None for activities with custom actions or no filter."""
    if comp.tag not in ("activity", "activity-alias"):
        return None
    filters = comp.find_all("intent-filter")
    if not filters:
        return None
    categories = {c.get("android:name") for f in filters for c in f.find_all("category")}
    actions = _actions(comp)
    if "android.intent.category.BROWSABLE" in categories:
        return "deep link"
    if actions and actions <= PUBLIC_ACTIVITY_ACTIONS:
        return "share or open target"
    return None


def _no_target_declared(af: AndroidFile) -> bool:
    """No Gradle build file for the module (an Eclipse/Ant project) and no targetSdkVersion in the manifest."""
    if af.module.gradle is not None or af.project.build_dirs or af.xml is None:
        return False
    return not any(u.get("android:targetSdkVersion") for u in af.xml.root.find_all("uses-sdk"))


@android_check("AND109", "android-manifest")
def exported_component(af: AndroidFile) -> None:
    for app in _applications(af):
        app_permission = app.get("android:permission")
        for comp in app.children:
            if comp.tag not in COMPONENTS or comp.get("android:enabled", "").lower() == "false":
                continue
            state = exported_state(af, comp)
            if state is None or _public_by_design(comp) or public_entry_point(comp) is not None:
                continue  # public entry points (deep links, share targets): AND115
            guard = comp.get("android:permission") or app_permission
            protection = af.project.protection(guard)
            open_side = ""
            if comp.tag == "provider" and protection == "none":
                read = af.project.protection(comp.get("android:readPermission"))
                write = af.project.protection(comp.get("android:writePermission"))
                if read == "strong" and write == "strong":
                    continue
                if read == "strong" or write == "strong":
                    open_side = " for writing" if read == "strong" else " for reading"
            elif protection == "strong":
                continue
            name = comp.get("android:name") or "?"
            how = ("exported" if state == "explicit" else
                   "exported implicitly (no `android:exported`, and no targetSdk is declared anywhere, so it "
                   "defaults to below 17)" if state == "implicit-default" else
                   f"exported implicitly (it has an intent-filter and no `android:exported`, and targetSdk "
                   f"{af.module.target_sdk} is below 31)" if comp.tag != "provider" else
                   f"exported implicitly (no `android:exported`, and targetSdk {af.module.target_sdk} is 16 or lower)")
            if protection == "weak":
                why = f"guarded only by `{guard}`, a permission any app can hold"
            else:
                why = "without a permission" + open_side
            reach = {"provider": "read or change its data", "service": "start or bind to it",
                     "receiver": "send it broadcasts"}.get(comp.tag, "launch it with any extras")
            af.report_xml(
                comp, f"Exported component: the {comp.tag} `{name}` is {how} {why}, so any app on the "
                f"device can {reach}.", "android:exported" if state == "explicit" else None,
                severity=Severity.HIGH if comp.tag == "provider" else None,
                related=_target_related(af) if state == "implicit" else ())


# --- AND110: broad URI grants on exported providers ---------------------------------------------------------
@android_check("AND110", "android-manifest")
def provider_uri_grants(af: AndroidFile) -> None:
    for app in _applications(af):
        for prov in app.find_all("provider"):
            if exported_state(af, prov) is None:
                continue
            guard = prov.get("android:permission") or app.get("android:permission")
            if af.project.protection(guard) == "strong":
                continue  # e.g. a DocumentsProvider behind MANAGE_DOCUMENTS: only the system holds the guard
            name = prov.get("android:name") or "?"
            if _true(prov.get("android:grantUriPermissions")):
                af.report_xml(prov, f"Broad URI grants: the exported provider `{name}` allows "
                              "temporary access grants to every URI it serves (`grantUriPermissions=\"true\"`).",
                              "android:grantUriPermissions")
            for grant in prov.find_all("grant-uri-permission"):
                for attr in ("android:path", "android:pathPrefix", "android:pathPattern"):
                    if (grant.get(attr) or "x").strip() in ("", "/", ".*", "/.*"):
                        af.report_xml(grant, f"Broad URI grants: the exported provider `{name}` allows "
                                      f"temporary access grants for every path (`{attr.split(':')[1]}=\"{grant.get(attr)}\"`).",
                                      attr)


# --- AND111: custom permissions any app can hold, used as guards --------------------------------------------
@android_check("AND111", "android-manifest")
def weak_custom_permission(af: AndroidFile) -> None:
    assert af.xml is not None
    for perm in af.xml.root.find_all("permission"):
        name = perm.get("android:name")
        declared = af.project.permissions.get(name or "")
        if not name or declared is None or declared.strong or declared.file is not af.file:
            continue
        users = af.project.guarded.get(name, [])
        if not users:
            continue
        related = [Related(af.location_of(f, af.xml.where(el) if f is af.file else _tag_span(f, el)),
                           f"{el.tag} guarded by `{name}`") for f, el in users[:5]]
        level = perm.get("android:protectionLevel")
        what = f"`protectionLevel=\"{level}\"`" if level else "no `protectionLevel` (so `normal`)"
        af.report_xml(perm, f"Weak permission: the custom permission `{name}` guards components but has "
                      f"{what}, so any installed app can request it and get through.",
                      "android:protectionLevel" if level else None, related=related)


def _tag_span(file, el):
    doc = parsed_xml(file)
    return doc.where(el)


# --- AND114: sharedUserId -----------------------------------------------------------------------------------
@android_check("AND114", "android-manifest")
def shared_user_id(af: AndroidFile) -> None:
    assert af.xml is not None
    root = af.xml.root
    if root.get("android:sharedUserId"):
        af.report_xml(root, f"Shared user id: `android:sharedUserId=\"{root.get('android:sharedUserId')}\"` "
                      "runs the app under a Linux user shared with other apps, which can then read its private files "
                      "and use its permissions.", "android:sharedUserId")


# --- AND115: deep links and share targets ---------------------------------------------------------------------
@android_check("AND115", "android-manifest")
def public_activity(af: AndroidFile) -> None:
    for app in _applications(af):
        app_permission = app.get("android:permission")
        for comp in app.children:
            if comp.tag not in ("activity", "activity-alias") or comp.get("android:enabled", "").lower() == "false":
                continue
            kind = public_entry_point(comp)
            if kind is None or exported_state(af, comp) is None or _public_by_design(comp):
                continue
            if af.project.protection(comp.get("android:permission") or app_permission) == "strong":
                continue
            name = comp.get("android:name") or "?"
            if kind == "deep link":
                hosts = sorted({d.get("android:host") for f in comp.find_all("intent-filter")
                                for d in f.find_all("data") if d.get("android:host")})
                where = f" (hosts {', '.join(f'`{h}`' for h in hosts[:3])})" if hosts else ""
                what = f"opens links from any web page or app{where}"
            else:
                what = "takes data that any app can send it (share, open or view intents)"
            af.report_xml(comp, f"Public entry point: the activity `{name}` {what}; validate the "
                          "intent's data (URIs, extras, file paths) before acting on it, and never forward it "
                          "unchecked to a WebView, a file or another intent.",
                          "android:exported" if comp.get("android:exported") is not None else None,
                          properties={"entryPoint": kind})


# --- AND101: debuggable release build type --------------------------------------------------------------------
@android_check("AND101", "gradle")
def gradle_release_debuggable(af: AndroidFile) -> None:
    doc = af.gradle
    assert doc is not None
    for bts in doc.find("buildTypes"):
        for bt in bts.children:
            if bt.name != "release":
                continue
            s = doc.setting(bt, "debuggable", "isDebuggable")
            if s and s.value == "true":
                af.report(af.gradle_span(s.start, s.end), "Debuggable app: the release build type sets "
                          f"`{s.key}` to true, so the shipped app accepts a debugger and can be taken apart at run time.")
