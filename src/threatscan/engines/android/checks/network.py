"""Network security config checks: cleartext, user-installed CAs, certificate pinning."""

from __future__ import annotations

import datetime

from ..context import AndroidFile, android_check
from ..xmlparse import Element
from .manifest import LOCAL_HOSTS


def _configs(af: AndroidFile, *tags: str) -> list[Element]:
    """Elements of these tags outside `debug-overrides` (which only applies to debuggable builds), in document
    order."""
    assert af.xml is not None
    live = af.file.cached("android-nsc-live", lambda: _outside_debug_overrides(af.xml.root))
    if len(tags) == 1:
        return live.get(tags[0], [])
    return sorted((el for tag in tags for el in live.get(tag, ())), key=lambda el: el.offset)


def _outside_debug_overrides(root: Element) -> dict[str, list[Element]]:
    """tag -> the elements of that tag outside `debug-overrides`, in document order (one walk per file)."""
    out: dict[str, list[Element]] = {}
    stack = [root]
    while stack:
        el = stack.pop()
        if el.tag == "debug-overrides":
            continue
        out.setdefault(el.tag, []).append(el)
        stack.extend(reversed(el.children))
    return out


def _domains(config: Element) -> list[str]:
    return [d.text.strip() for d in config.find_all("domain")]


def _local_only(config: Element) -> bool:
    domains = _domains(config)
    return bool(domains) and all(d.lower() in LOCAL_HOSTS or d.lower().endswith((".local", ".localhost", ".test")) for d in domains)


def _describe(config: Element) -> str:
    if config.tag == "base-config":
        return "the base config (every domain)"
    domains = _domains(config)
    shown = ", ".join(f"`{d}`" for d in domains[:3]) + (" ..." if len(domains) > 3 else "")
    return f"the domain config for {shown or 'its domains'}"


# --- AND104: cleartext permitted ------------------------------------------------------------------------------
@android_check("AND104", "android-nsc")
def nsc_cleartext(af: AndroidFile) -> None:
    for config in _configs(af, "base-config", "domain-config"):
        if config.get("cleartextTrafficPermitted", "").strip().lower() != "true" or _local_only(config):
            continue
        af.report_xml(config, f"Cleartext traffic (STRIDE-4.1): {_describe(config)} sets "
                      "`cleartextTrafficPermitted=\"true\"`, so plain HTTP that anyone on the network can read and "
                      "alter is allowed.", "cleartextTrafficPermitted")


# --- AND105: user-installed CAs trusted -----------------------------------------------------------------------
@android_check("AND105", "android-nsc")
def nsc_user_certificates(af: AndroidFile) -> None:
    for cert in _configs(af, "certificates"):
        if cert.get("src", "").strip() != "user":
            continue
        config = next((a for a in cert.ancestors() if a.tag in ("base-config", "domain-config")), None)
        where = _describe(config) if config is not None else "this config"
        af.report_xml(cert, f"Trust in user CAs (STRIDE-4.1): {where} trusts user-installed certificates outside "
                      "`debug-overrides`, so a CA the user was talked into installing can intercept the app's TLS.", "src")


# --- AND106: no pinning for configured domains ------------------------------------------------------------------
@android_check("AND106", "android-nsc")
def nsc_no_pinning(af: AndroidFile) -> None:
    for config in _configs(af, "domain-config"):
        if _local_only(config) or config.get("cleartextTrafficPermitted", "").strip().lower() == "true":
            continue
        chain = [config, *(a for a in config.ancestors() if a.tag == "domain-config")]
        if any(c.find_all("pin-set") for c in chain):
            continue
        af.report_xml(config, f"No certificate pinning (STRIDE-4.4): {_describe(config)} has no `pin-set`, so any CA "
                      "the device trusts can issue a certificate the app accepts for its API.", precision="medium")


# --- AND107: expired pins -------------------------------------------------------------------------------------
@android_check("AND107", "android-nsc")
def nsc_pins_expired(af: AndroidFile) -> None:
    today = datetime.date.today()
    for pin_set in _configs(af, "pin-set"):
        raw = pin_set.get("expiration")
        if not raw:
            continue
        try:
            expires = datetime.date.fromisoformat(raw.strip())
        except ValueError:
            continue
        if expires < today:
            af.report_xml(pin_set, f"Expired pins (STRIDE-4.4): this pin-set expired on {expires.isoformat()}; after "
                          "that date Android stops enforcing the pins, so pinning is silently off.", "expiration")


# --- AND108: single pin, no backup ------------------------------------------------------------------------------
@android_check("AND108", "android-nsc")
def nsc_pin_without_backup(af: AndroidFile) -> None:
    for pin_set in _configs(af, "pin-set"):
        pins = pin_set.find_all("pin")
        if len(pins) < 2:
            af.report_xml(pin_set, f"Pin without backup (STRIDE-4.4): this pin-set has {len(pins)} pin and no backup "
                          "pin; when the server's key changes the app cannot connect, and pinning tends to be switched "
                          "off in a hurry.")
