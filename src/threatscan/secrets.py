"""The one secret detector and redactor every engine uses (Python, templates, CDK, Android resources, Gradle).

A value is a secret when it has the shape of a known credential format (AWS access key id, Stripe live key,
GitHub/Slack token, Google API key, PEM private key, credentials inside a URL), or when it sits under a
secret-like name *and* looks like one: not a placeholder (`changeme`, `<your-key>`, `${VAR}`), not a reference
(`{{resolve:...}}`, `arn:...`), and varied enough (entropy). Names like `NextToken`, `token_type` or
`password_field` are not secret-like. The value itself is never returned in a message: use `redact_line`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretMatch:
    kind: str  # e.g. "aws-access-key-id", "password", "generic-secret"
    description: str  # human words for the message, never the value
    confidence: str  # "high" (known format) or "medium" (name + shape)


KNOWN_FORMATS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("aws-access-key-id", "an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("stripe-live-key", "a Stripe live secret key", re.compile(r"\b(?:sk|rk)_live_[0-9a-zA-Z]{16,}\b")),
    ("github-token", "a GitHub token", re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{60,})\b")),
    ("slack-token", "a Slack token", re.compile(r"\bxox[baprs]-[0-9A-Za-z-]{10,}\b")),
    ("slack-webhook", "a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+")),
    ("google-api-key", "a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("private-key", "a PEM private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    ("sendgrid-key", "a SendGrid API key", re.compile(r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b")),
    ("twilio-key", "a Twilio API key", re.compile(r"\bSK[0-9a-fA-F]{32}\b")),
    ("mailchimp-key", "a Mailchimp API key", re.compile(r"\b[0-9a-f]{32}-us[0-9]{1,2}\b")),
)

# Secret-like names: the words people use for credentials, in any case and separator style.
_SECRET_WORDS = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_ ]?key|apikey|access[-_ ]?key|private[-_ ]?key|client[-_ ]?secret|"
    r"auth[-_ ]?key|credential|signing[-_ ]?key|encryption[-_ ]?key|master[-_ ]?key|session[-_ ]?key|"
    r"conn(ection)?[-_ ]?str(ing)?|database[-_ ]?url|db[-_ ]?url|dsn|webhook[-_ ]?url|license[-_ ]?key|bearer)",
    re.I,
)
# ...unless the name says it is about the secret rather than the secret itself.
_NOT_SECRET = re.compile(
    r"(next[-_ ]?token|page[-_ ]?token|continuation[-_ ]?token|token[-_ ]?(type|url|uri|endpoint|name|field|header|"
    r"length|len|expir\w*|ttl|lifetime|path|file)|"
    r"(password|secret|token|key)[-_ ]?(field|label|prompt|hint|length|len|min\w*|max\w*|policy|regex|pattern|"
    r"reset\w*|changed\w*|file|path|dir|name|arn|id|env|var|param\w*|header|ref|version|rotation\w*|required|"
    r"enabled|hash\w*|salt|question|confirm\w*|placeholder|help|error|message|input|widget|form)|"
    r"forgot[-_ ]?password|csrf[-_ ]?token[-_ ]?name|is[-_ ]?secret|has[-_ ]?password|use[-_ ]?token|"
    r"keyboard|monkey|turkey|hockey|passenger|password[-_ ]?reset)$",
    re.I,
)

_PLACEHOLDER = re.compile(
    r"^(|\s+|none|null|nil|undefined|true|false|changeme|change[-_ ]?me|change[-_ ]?it|replace[-_ ]?me|todo|tbd|fixme|"
    r"dummy|example|sample|test|testing|placeholder|secret|password|passwd|token|api[-_]?key|your[-_ ].*|my[-_ ].*|"
    r"insert[-_ ].*|enter[-_ ].*|xxx+|\*+|\.+|-+|#+|x+|0+|1234\d*|abc\d*|qwerty|default|redacted|hidden|n/?a)$",
    re.I,
)
_TEMPLATE = re.compile(r"^(<[^>]*>|\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|%\([^)]*\)s|%[sd]|\{[a-z_]*\}|\$[A-Z_][A-Z0-9_]*|@[a-z]+/.*|arn:.*)$", re.I)
_URL_CREDS = re.compile(r"\b([a-z][a-z0-9+.\-]*)://([^\s:/@]+):([^\s@/]+)@([^\s/:@]+)", re.I)


def is_secret_name(name: str | None) -> bool:
    if not name:
        return False
    name = name.strip().strip("\"'")
    # camelCase -> words, so NextToken and nextToken both read as next_token
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    if _NOT_SECRET.search(words):
        return False
    return bool(_SECRET_WORDS.search(words))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_placeholder(value: str) -> bool:
    v = value.strip()
    if _PLACEHOLDER.match(v) or _TEMPLATE.match(v):
        return True
    if len(set(v.lower())) <= 2:
        return True  # "aaaaaaaa", "xxxx-xxxx"
    low = v.lower()
    return any(word in low for word in ("example", "placeholder", "changeme", "your_", "your-", "<", "dummy", "redacted"))


def known_format(value: str) -> SecretMatch | None:
    for kind, description, pattern in KNOWN_FORMATS:
        if pattern.search(value):
            return SecretMatch(kind, description, "high")
    return url_credentials(value)


def url_credentials(value: str) -> SecretMatch | None:
    m = _URL_CREDS.search(value)
    if m and not is_placeholder(m.group(3)) and not m.group(3).startswith(("$", "{", "%")):
        return SecretMatch("url-credentials", f"credentials inside a {m.group(1)} URL", "high")
    return None


def check_value(value: str, name: str | None = None) -> SecretMatch | None:
    """Is `value` (bound to `name`, when there is one) a hard-coded secret? None when it is not."""
    if not isinstance(value, str):
        return None
    match = known_format(value)
    if match:
        return match
    if not is_secret_name(name):
        return None
    v = value.strip()
    if is_placeholder(v) or len(v) < 6 or " " in v.strip() and len(v.split()) > 3:
        return None  # prose ("Enter your password") and short or placeholder values
    is_password = bool(re.search(r"pass|pwd", name or "", re.I))
    if is_password:
        return SecretMatch("password", "a password", "medium") if entropy(v) >= 2.0 else None
    if entropy(v) >= 3.0 and len(v) >= 8:
        return SecretMatch("generic-secret", "a secret", "medium")
    return None


def redact_line(line: str, *values: str) -> str:
    """The line with every given secret value (and any known-format secret) replaced by a marker."""
    out = line
    for value in sorted((v for v in values if v), key=len, reverse=True):
        out = out.replace(value, "***")
    for _, _, pattern in KNOWN_FORMATS:
        out = pattern.sub("***", out)
    out = _URL_CREDS.sub(lambda m: f"{m.group(1)}://{m.group(2)}:***@{m.group(4)}", out)
    return out
