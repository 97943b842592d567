"""Network security config checks: cleartext, user-installed CAs, certificate pinning."""

from __future__ import annotations

import datetime

from ....model import Related
from ..context import AndroidFile, android_check
from ..hosts import LOCAL_HOSTS, ApiHost
from ..xmlparse import Element


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
    return bool(domains) and all(d.lower() in LOCAL_HOSTS or d.lower() in SPECIAL_USE
                                 or d.lower().endswith(tuple("." + n for n in SPECIAL_USE)) for d in domains)


# Special-use and LAN-only names (IANA special-use domains, mDNS, Tor): never public Internet hosts. Onion
# services carry their own end-to-end encryption.
SPECIAL_USE = frozenset({"local", "localhost", "test", "onion", "home.arpa", "home", "lan", "localdomain", "internal",
                         "invalid", "example"})


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
        af.report_xml(config, f"Cleartext traffic: {_describe(config)} sets "
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
        af.report_xml(cert, f"Trust in user CAs: {where} trusts user-installed certificates outside "
                      "`debug-overrides`, so a CA the user was talked into installing can intercept the app's TLS.", "src")


# --- AND106: no pinning for the app's API hosts ------------------------------------------------------------------
def _chain(config: Element) -> list[Element]:
    """A domain config and the domain configs around it (nested ones inherit what they do not set)."""
    return [config, *(a for a in config.ancestors() if a.tag == "domain-config")]


def _pinned(config: Element) -> bool:
    return any(c.find_all("pin-set") for c in _chain(config))


def _own_ca_only(config: Element | None, base: Element | None) -> bool:
    """Trust limited to the app's own CAs (no system or user store): only those CAs can issue, a form of pinning."""
    for c in ([*_chain(config)] if config is not None else []) + ([base] if base is not None else []):
        anchors = c.find_all("trust-anchors")
        if anchors:
            sources = {cert.get("src", "").strip() for a in anchors for cert in a.find_all("certificates")}
            return bool(sources) and not sources & {"system", "user"}
    return False


def _cleartext(config: Element | None, base: Element | None) -> bool:
    for c in ([*_chain(config)] if config is not None else []) + ([base] if base is not None else []):
        value = c.get("cleartextTrafficPermitted")
        if value is not None:
            return value.strip().lower() == "true"
    return False


def _effective(host: str, entries: list[tuple[str, bool, Element]]) -> Element | None:
    """The domain config Android applies to `host`: an exact domain first, else the longest matching parent
    domain with includeSubdomains; None: the base config."""
    best, best_len = None, -1
    for domain, subdomains, config in entries:
        if host == domain:
            return config
        if subdomains and host.endswith("." + domain) and len(domain) > best_len:
            best, best_len = config, len(domain)
    return best


def _named(hosts: list[ApiHost]) -> str:
    shown = [f"`{h.host}` (`{h.name}` in {h.location.path})" for h in hosts[:3]]
    return ", ".join(shown) + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "")


@android_check("AND106", "android-nsc")
def nsc_no_pinning(af: AndroidFile) -> None:
    configs = _configs(af, "domain-config")
    base = next(iter(_configs(af, "base-config")), None)
    entries = [(d.text.strip().lower().rstrip("."), d.get("includeSubdomains", "").strip().lower() == "true", config)
               for config in configs for d in config.find_all("domain")]
    hosts = af.project.hosts_for(af.module.dir)
    if not hosts:
        # The build names no API host (URLs built in code): every configured domain is one the app talks to.
        hosts = [ApiHost(domain, "<domain>", af.location_of(af.file, af.xml_span(config)))
                 for domain, _, config in entries if not _local_only(config)]
    unpinned: dict[int, tuple[Element | None, list[ApiHost]]] = {}
    seen: set[str] = set()
    for host in hosts:
        if host.host in seen:
            continue
        seen.add(host.host)
        config = _effective(host.host, entries)
        target = config if config is not None else base
        if _cleartext(config, base):
            continue  # AND104 reports the config; pinning is moot while plain HTTP is allowed
        if config is not None and (_pinned(config) or _local_only(config)):
            continue
        if _own_ca_only(config, base):
            continue
        unpinned.setdefault(id(target), (target, []))[1].append(host)
    for target, missing in unpinned.values():
        fallback = missing[0].name == "<domain>"
        related = [] if fallback else [Related(h.location, f"the app talks to `{h.host}`") for h in missing[:5]]
        if target is None or target.tag == "base-config":
            where = "the base config" if target is not None else "the platform default (this config has no `base-config`)"
            shown = ", ".join(f"`{h.host}`" for h in missing[:3]) if fallback else _named(missing)
            message = (f"No certificate pinning: no domain config with a `pin-set` covers {shown}, so "
                       f"{where} applies, which has no pins: any CA the device trusts can issue a certificate the "
                       "app accepts for its API.")
            af.report_xml(target if target is not None else af.xml.root, message, related=related,
                          precision="medium" if fallback else None)
        else:
            talks = "" if fallback else f", yet the app talks to {_named(missing)} through it"
            af.report_xml(target, f"No certificate pinning: {_describe(target)} has no `pin-set`{talks}, "
                          "so any CA the device trusts can issue a certificate the app accepts for its API.",
                          related=related, precision="medium" if fallback else None)


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
            af.report_xml(pin_set, f"Expired pins: this pin-set expired on {expires.isoformat()}; after "
                          "that date Android stops enforcing the pins, so pinning is silently off.", "expiration")


# --- AND108: single pin, no backup ------------------------------------------------------------------------------
@android_check("AND108", "android-nsc")
def nsc_pin_without_backup(af: AndroidFile) -> None:
    for pin_set in _configs(af, "pin-set"):
        pins = pin_set.find_all("pin")
        if len(pins) < 2:
            af.report_xml(pin_set, f"Pin without backup: this pin-set has {len(pins)} pin and no backup "
                          "pin; when the server's key changes the app cannot connect, and pinning tends to be switched "
                          "off in a hurry.")
