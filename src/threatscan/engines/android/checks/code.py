"""Java/Kotlin source checks: WebViews, TLS validation, world-readable files, secrets and tokens in logs
(rules AND120-AND126; AND113's hard-coded literals in code are in secrets.py, with the rest of that rule). Matching runs on the lexer's masked text (source.py):
comments and string contents never match."""

from __future__ import annotations

import re

from ....model import Severity
from ....secrets import is_secret_name
from ..context import AndroidFile, android_check

SOURCE = "android-source"

_JS_ON = re.compile(r"\bsetJavaScriptEnabled\s*\(\s*true\s*\)|\bjavaScriptEnabled\s*=\s*true\b")
_JS_INTERFACE = re.compile(r"\baddJavascriptInterface\s*\(")


@android_check("AND120", SOURCE)
def webview_javascript_interface(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    js = _JS_ON.search(code.masked)
    if js is None:
        return
    for m in _JS_INTERFACE.finditer(code.masked):
        old = af.module.min_sdk is not None and af.module.min_sdk < 17
        line, _ = code.position(js.start())
        af.report(af.code_span(m.start(), m.end() - 1),
                  "Unsecured Android application: a WebView with JavaScript enabled (line "
                  f"{line}) exposes a Java object through `addJavascriptInterface`; any page it loads, or any script "
                  "injected into it, can call the object's `@JavascriptInterface` methods"
                  + (f", and on API < 17 (minSdk {af.module.min_sdk}) reach any public method by reflection."
                     if old else "."),
                  severity=Severity.HIGH if old else None)


_FILE_ACCESS = re.compile(r"\b(?:set(AllowFileAccess|AllowFileAccessFromFileURLs|AllowUniversalAccessFromFileURLs)"
                          r"\s*\(\s*true\s*\)|(allowFileAccess|allowFileAccessFromFileURLs|allowUniversalAccessFromFileURLs)"
                          r"\s*=\s*true\b)")


@android_check("AND121", SOURCE)
def webview_file_access(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    for m in _FILE_ACCESS.finditer(code.masked):
        setting = (m.group(1) or m.group(2) or "")
        setting = setting[0].lower() + setting[1:]
        universal = "Universal" in setting
        cross = "FromFileURLs" in setting
        what = ("lets a page loaded from a `file://` URL read any origin, so a malicious local HTML file steals "
                "data from every site and the app's private files" if universal else
                "lets pages loaded from `file://` URLs read other local files, the app's private data included"
                if cross else
                "lets the WebView load `file://` URLs, so a page or link it opens can read local files the app can")
        af.report(af.code_span(m.start(), m.end()), f"Insecure client storage: `{setting} = true` {what}.",
                  severity=Severity.HIGH if universal or cross else None)


_SSL_ERROR = re.compile(r"\bonReceivedSslError\s*\(")
_PROCEED = re.compile(r"\.\s*proceed\s*\(\s*\)")


# What may stand between a parameter list and the body: `: ReturnType<A, B>?`, `throws X, Y`. Whitespace is taken
# in one place between words (never by two adjacent repeats), and only where no whitespace precedes, so the pattern
# stays linear on long runs of blanks.
_SIGNATURE_TAIL = re.compile(r"(?<!\s)\s*(?::\s*[\w.<>?,]+(?:\s+[\w.<>?,]+)*\s*)?(?:throws\s+[\w.,]+(?:\s+[\w.,]+)*\s*)?([{=])")


def _body(code, after: int) -> tuple[int, int] | None:
    """The body of the function whose parameter list opens at `after`: (start, end) offsets, `{...}` or `= expr`."""
    close = code.matching(after)
    if close < 0:
        return None
    rest = code.masked[close + 1:close + 200]
    m = _SIGNATURE_TAIL.match(rest)
    if m is None:
        return None
    start = close + 1 + m.start(1)
    if m.group(1) == "{":
        end = code.matching(start)
        return (start, end) if end > 0 else None
    line_end = code.masked.find("\n", start)
    return start, (line_end if line_end > 0 else len(code.masked))


@android_check("AND122", SOURCE)
def ssl_error_proceed(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    for m in _SSL_ERROR.finditer(code.masked):
        body = _body(code, m.end() - 1)
        if body is None:
            continue
        text = code.masked[body[0]:body[1]]
        p = _PROCEED.search(text)
        if p is None:
            continue
        conditional = re.search(r"\bif\s*\(|\bwhen\b|\?\s*:|\bswitch\b", text[:p.start()]) is not None
        at = body[0] + p.start()
        af.report(af.code_span(at + 1, body[0] + p.end()),
                  "Man-in-the-middle: `onReceivedSslError` calls `proceed()`, so the WebView "
                  "loads the page despite an invalid certificate" +
                  (" (under a condition: check that it never depends on the user or the certificate)." if conditional
                   else "; anyone on the network can serve it any page."),
                  severity=Severity.MEDIUM if conditional else None)


_CHECK_SERVER = re.compile(r"\bcheckServerTrusted\s*\(")
_VERIFY = re.compile(r"\bverify\s*\(\s*(?:final\s+)?(?:String\s+\w+|\w+\s*:\s*String\??)")
_ALLOW_ALL = re.compile(r"\b(ALLOW_ALL_HOSTNAME_VERIFIER|AllowAllHostnameVerifier|NoopHostnameVerifier)\b")
_VERIFIER_LAMBDA = re.compile(r"\b(?:HostnameVerifier|hostnameVerifier)\s*(?:\(\s*)?\{\s*[\w_]+\s*,\s*[\w_]+\s*->\s*true\s*\}"
                              r"|\bhostnameVerifier\s*\(\s*\(?\s*\w+\s*,\s*\w+\s*\)?\s*->\s*true\s*\)")


def _empty(text: str) -> bool:
    inner = text.strip()[1:-1] if text.strip().startswith("{") else text.strip().lstrip("=")
    return re.fullmatch(r"\s*(?:return\s*;?\s*)?(?:Unit\s*)?", inner) is not None


@android_check("AND123", SOURCE)
def trust_all_certificates(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    if "TrustManager" not in code.masked:
        return
    for m in _CHECK_SERVER.finditer(code.masked):
        body = _body(code, m.end() - 1)
        if body is None or not _empty(code.masked[body[0]:body[1] + 1]):
            continue
        af.report(af.code_span(m.start(), m.end() - 1),
                  "Man-in-the-middle: an `X509TrustManager` whose `checkServerTrusted` is "
                  "empty accepts every certificate, so anyone on the network can impersonate the server.")


@android_check("AND124", SOURCE)
def allow_all_hostnames(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    found = []
    if "HostnameVerifier" in code.masked or "hostnameVerifier" in code.masked:
        for m in _VERIFY.finditer(code.masked):
            open_at = m.start() + code.masked[m.start():].index("(")
            body = _body(code, open_at)
            if body is None:
                continue
            text = code.masked[body[0]:body[1] + 1]
            if re.fullmatch(r"\{\s*return\s+true\s*(?:;\s*)?\}|=\s*true", text.strip() + ("" if text.strip().endswith("}") else "")):
                found.append((m.start(), m.start() + 6))
        found += [(m.start(), m.end()) for m in _VERIFIER_LAMBDA.finditer(code.masked)]
    found += [(m.start(), m.end()) for m in _ALLOW_ALL.finditer(code.masked)]
    for start, end in sorted(set(found)):
        af.report(af.code_span(start, end),
                  "Man-in-the-middle: a `HostnameVerifier` that accepts every host name lets a "
                  "valid certificate for any other site impersonate the server.")


_WORLD = re.compile(r"\bMODE_WORLD_(READABLE|WRITEABLE)\b")


@android_check("AND125", SOURCE)
def world_accessible_files(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    for m in _WORLD.finditer(code.masked):
        if re.search(r"\b(?:int|val|const)\s+$", code.masked[max(0, m.start() - 30):m.start()]):
            continue  # a definition of the constant, not a use
        what = "read" if m.group(1) == "READABLE" else "change"
        af.report(af.code_span(m.start(), m.end()),
                  f"Insecure client storage: `MODE_WORLD_{m.group(1)}` lets every app on the device "
                  f"{what} the file (and throws a SecurityException from API 24).")


_LOG_CALL = re.compile(r"\b(?:Log\.(?:v|d|i|w|e|wtf)|Timber(?:\.tag\([^)]*\))?\.(?:v|d|i|w|e|wtf)|"
                       r"System\.(?:out|err)\.print(?:ln)?|println|Logger\.(?:debug|info|warn|error))\s*\(")
_IDENT = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)(?:\s*(?:\?\.|\.|!!\.)\s*([A-Za-z_]\w*))*")
_HARMLESS_TAIL = frozenset({"length", "size", "isEmpty", "isNullOrEmpty", "isNullOrBlank", "isBlank", "hashCode",
                            "isNotEmpty", "isPresent", "type", "expiresAt", "expiry", "expiration", "count"})


# The words are matched in any case; the camelCase boundary around them is not (under a global (?i), `[a-z]` then
# `[A-Z]` would be a boundary between any two letters, and `analysis` would end in the word `is`).
_NOT_SECRET_WORDS = re.compile(r"(?:^|_|(?<=[a-z])(?=[A-Z]))(?i:prev|previous|next|since|sync|page|batch|cursor|"
                               r"continuation|pagination|csrf|xsrf|push|fcm|gcm|apns|device|registration|"
                               r"notification|hash|present|exists|has|is|valid)(?:$|_|(?=[A-Z]))")


def _secret_ident(name: str) -> bool:
    """A variable or property that holds a secret: `token`, `accessToken`, `password`; not `nextToken` (paging),
    `tokenType`, `passwordLength`, `TAG`, nor a class name (`AnonymousCredentials`)."""
    if name in ("TAG", "LOG_TAG") or re.match(r"^[A-Z][a-z]", name) or _NOT_SECRET_WORDS.search(name):
        return False
    return is_secret_name(name)


_DERIVED = re.compile(r"[=!]=|[<>]|\?:|\bis\b|\bin\b|isNullOrEmpty|isNullOrBlank|isEmpty|isNotEmpty|isBlank|"
                      r"\.length|\.size|hashCode|\.take\(|\.substring|\.first\(|\.last\(|mask|redact|\?\.let")


@android_check("AND126", SOURCE)
def token_in_log(af: AndroidFile) -> None:
    code = af.code
    assert code is not None
    for m in _LOG_CALL.finditer(code.masked):
        close = code.matching(m.end() - 1)
        if close < 0:
            continue
        args = code.masked[m.end():close]
        names: list[str] = []
        for im in _IDENT.finditer(args):
            chain = [part.strip() for part in re.split(r"\?\.|!!\.|\.", im.group(0))]  # no \s* around: linear
            if chain[-1] in _HARMLESS_TAIL or args[im.end():].lstrip().startswith("("):
                continue  # token.length, token.isEmpty(), getToken() calls are judged by their name below
            if any(_secret_ident(part) for part in chain[-1:]):
                names.append(im.group(0))
        for lit in code.strings_in(m.end(), close + 1):
            for expr in lit.templates:
                if _DERIVED.search(expr):
                    continue  # `${token != null}`, `${token.length}`, `${token.take(4)}`: not the secret
                last = re.findall(r"[A-Za-z_]\w*", expr)[-1:]
                names.extend(n for n in last if _secret_ident(n))
        if not names:
            continue
        af.report(af.code_span(m.start(), m.end() - 1),
                  f"Data exposure in logs: `{names[0]}` is written to the log; logcat output ends up in "
                  "bug reports, crash tools and, on rooted or debug devices, any app that reads it.")
