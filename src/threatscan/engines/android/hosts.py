"""The hosts an Android app talks to, as its project says: the API hosts certificate pinning is about (AND106).

Sources, all in shipping code: URLs in `buildConfigField`/`resValue` values of Gradle files (outside debug
build types), and `https://`/`wss://` string resources whose name says they are an endpoint (`api_base_url`,
`graphql_endpoint`, `ws_server`). Links for people (privacy policy, help, store pages) are left out by name.
Hosts are grouped per Gradle build: a library module's `BASE_URL` counts for the app module of the same build.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...model import Location
from ...secrets import split_words
from .gradle import GradleFile
from .xmlparse import XmlDoc

if TYPE_CHECKING:
    from ...discover import SourceFile
    from .project import Module

# TLS endpoints only: pinning is moot for cleartext http:// (AND103/AND104 are about those).
_URL = re.compile(r"\b(?:https|wss)://([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)(?=[:/?#\"'\s\\]|$)")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "10.0.2.2", "10.0.3.2", "::1")  # loopback and the emulators' host
# A name with one of these words is a link for people (or a page), not an endpoint the app calls.
_NOT_API = frozenset({
    "privacy", "policy", "terms", "tos", "eula", "legal", "license", "licence", "licenses", "help", "support",
    "faq", "about", "website", "homepage", "home", "web", "site", "store", "play", "market", "share", "feedback",
    "docs", "doc", "documentation", "blog", "contact", "learn", "more", "info", "review", "rate", "youtube",
    "twitter", "facebook", "instagram", "linkedin", "tiktok", "discord", "marketing", "landing", "download",
    "image", "images", "img", "avatar", "icon", "logo", "cdn", "static", "assets", "media",
})
# A string resource must name an endpoint to count (Gradle config fields holding URLs nearly always do).
_API = frozenset({
    "api", "apis", "endpoint", "endpoints", "server", "backend", "host", "base", "graphql", "gateway", "socket",
    "websocket", "ws", "wss", "rest", "auth", "oauth", "login", "sync", "upload", "service", "svc", "grpc", "rpc",
})


@dataclass(frozen=True)
class ApiHost:
    host: str  # lower case, no port
    name: str  # the field or resource that names it
    location: Location  # where


def url_host(value: str) -> str | None:
    m = _URL.search(value)
    if not m:
        return None
    host = m.group(1).lower().rstrip(".")
    if host in LOCAL_HOSTS or host.endswith((".local", ".localhost", ".test", ".internal")):
        return None
    return host


@functools.lru_cache(maxsize=4096)
def _words(name: str) -> frozenset[str]:
    return frozenset(split_words(name))  # names repeat across modules (API_URL, base_url): split each once


def gradle_hosts(file: "SourceFile", doc: GradleFile, module: "Module") -> list[ApiHost]:
    if "://" not in doc.text:
        return []
    out = []
    for key, lit in doc.config_fields():
        if lit.interpolated or _words(key.value) & _NOT_API:
            continue
        host = url_host(lit.value)
        if host is None:
            continue
        blocks = doc.enclosing(lit.start)
        if any(b.parent is not None and b.parent.name == "buildTypes" and _debug_build_type(b.name, module)
               for b in blocks):
            continue  # a debug build's staging server: release builds never talk to it
        line, column = doc.position(lit.start)
        end_line, end_column = doc.position(lit.end)
        out.append(ApiHost(host, key.value, Location(file.rel, line, column, end_line, end_column)))
    return out


def _debug_build_type(name: str, module: "Module") -> bool:
    bt = module.build_types.get(name)
    return name == "debug" or bool(bt and bt.debuggable and name != "release")


def values_hosts(file: "SourceFile", doc: XmlDoc) -> list[ApiHost]:
    out = []
    for el in doc.root.children:
        if el.tag not in ("string", "item") or (el.tag == "item" and el.get("type") not in (None, "string")):
            continue
        value, name = el.text.strip(), el.get("name") or ""
        if not value.startswith(("https://", "wss://")):
            continue
        words = _words(name)
        if not words & _API or words & _NOT_API:
            continue
        host = url_host(value)
        if host is None:
            continue
        span = doc.tag_span(el)
        out.append(ApiHost(host, name, Location(file.rel, span.line, span.column, span.end_line, span.end_column)))
    return out


def covers(domain: str, include_subdomains: bool, host: str) -> bool:
    return host == domain or (include_subdomains and host.endswith("." + domain))
