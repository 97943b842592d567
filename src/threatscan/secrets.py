"""The one secret detector and redactor every engine uses (Python, templates, CDK, Android resources, Gradle).

A value is a secret when it has the shape of a known credential format (AWS access key id, Stripe live key,
GitHub/Slack token, Google API key, PEM private key, JWT, credentials inside a URL or a connection string), or
when it sits under a secret-like name *and* looks like one: not a placeholder (`changeme`, `<your-key>`,
`${VAR}`), not a reference (`{{resolve:...}}`, `arn:...`, an environment variable's or parameter's name, a
file path), not prose, and varied enough (entropy).

Names are read as words (`NextToken` -> next token, `DB_PASSWORD` -> db password) and the last meaningful word
decides: `password_field`, `token_type`, `secret_name`, `api_key_id` and `NextToken` are *about* a secret, not
the secret. The value itself is never returned in a message: use `redact_line`.
"""

from __future__ import annotations

import base64
import difflib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import Any, Iterable, Iterator, Mapping


class LazyPattern:
    """`re.compile(pattern, flags)`, compiled on first use: most of the detector's ~50 patterns serve only a scan
    that reads files (a rescan served from the cache redacts its findings with a few), and compiling them all at
    import is ~0.01 s of every run. After the first use its methods and attributes are the compiled pattern's own
    (kept on the instance: no lookup through this class again)."""

    _ATTRIBUTES = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split", "scanner",
                   "pattern", "flags", "groups", "groupindex")

    def __init__(self, pattern: str, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self._ATTRIBUTES:
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in self._ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._source[0]!r}, {self._source[1]!r})"


def lazy_compile(pattern: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)


@dataclass(frozen=True)
class SecretMatch:
    kind: str  # e.g. "aws-access-key-id", "password", "crypto-key", "generic-secret"
    description: str  # human words for the message, never the value
    confidence: str  # "high" (known format) or "medium" (name + shape)

    @property
    def cwe(self) -> int:
        """The most precise CWE: 259 for passwords, 321 for cryptographic keys, 798 for other credentials."""
        return KIND_CWE.get(self.kind, 798)


# Kinds whose CWE is not the general hard-coded credentials one (798).
KIND_CWE: dict[str, int] = {
    "password": 259,
    "url-credentials": 259,
    "connection-string-password": 259,
    "private-key": 321,
    "crypto-key": 321,
}

KNOWN_FORMATS: tuple[tuple[str, str, LazyPattern], ...] = (
    ("aws-access-key-id", "an AWS access key id", lazy_compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("stripe-live-key", "a Stripe live secret key", lazy_compile(r"\b(?:sk|rk)_live_[0-9a-zA-Z]{16,}\b")),
    ("github-token", "a GitHub token", lazy_compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{60,})\b")),
    ("slack-token", "a Slack token", lazy_compile(r"(?<![0-9A-Za-z-])xox[baprs]-[0-9A-Za-z-]{10,}(?![0-9A-Za-z-])")),
    ("slack-webhook", "a Slack webhook URL", lazy_compile(r"https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+")),
    ("google-api-key", "a Google API key", lazy_compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    # A PEM header alone (a parser's constant) is not a key: some key material must follow it.
    ("private-key", "a PEM private key", lazy_compile(
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr])*"
        r"(?:[A-Za-z0-9+/=]{16,}|Proc-Type:|Version:)")),
    ("sendgrid-key", "a SendGrid API key", lazy_compile(r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b")),
    ("twilio-key", "a Twilio API key", lazy_compile(r"\bSK[0-9a-fA-F]{32}\b")),
    ("mailchimp-key", "a Mailchimp API key", lazy_compile(r"\b[0-9a-f]{32}-us[0-9]{1,2}\b")),
    ("openai-key", "an OpenAI API key", lazy_compile(
        r"\bsk-(?:proj-|svcacct-|admin-)[0-9A-Za-z_\-]{40,}|\bsk-[0-9A-Za-z]{20}T3BlbkFJ[0-9A-Za-z]{20}\b")),
    ("anthropic-key", "an Anthropic API key", lazy_compile(r"\bsk-ant-(?:api|admin)[0-9]{2}-[0-9A-Za-z_\-]{80,}")),
    ("huggingface-token", "a Hugging Face token", lazy_compile(r"\bhf_[A-Za-z]{34}\b")),
    ("gitlab-token", "a GitLab personal access token", lazy_compile(r"\bglpat-[0-9A-Za-z_\-]{20}\b")),
    ("npm-token", "an npm access token", lazy_compile(r"\bnpm_[0-9A-Za-z]{36}\b")),
    ("pypi-token", "a PyPI API token", lazy_compile(r"\bpypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,}")),
    ("jwt", "a signed JSON Web Token", lazy_compile(
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}")),
)
# Every KNOWN_FORMATS pattern needs one of these fragments: one search rules out the usual string in one pass.
_KNOWN_HINT = re.compile(r"AKIA|ASIA|ABIA|ACCA|_live_|gh[pousr]_|github_pat_|xox[baprs]-|hooks\.slack\.com|AIza|"
                         r"PRIVATE KEY|SG\.|SK|-us[0-9]|eyJ|sk-|hf_|glpat-|npm_|pypi-")

# --- names -----------------------------------------------------------------------------------------------------
# The credential vocabulary: the secret rules read a name's last word with it (name_kind), PY507's evidence
# (engines/python/checks/_http_evidence.py) any word of what a request sends, the password-hashing rules any word
# of what is hashed (password_hashing.py).
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "passcode", "pw", "pword", "passwords"})
SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "tokens", "credential", "credentials", "creds", "apikey", "bearer", "authorization",
})
# `X_key` is a credential for these X (and `Xkey` written as one word); `primary_key`, `sort_key`, `cache_key`
# and `public_key` are not, nor is a captcha's bare key (`RECAPTCHA_KEY`: the site key a page embeds, public by
# design; the captcha's secret is named `RECAPTCHA_SECRET_KEY` / `RECAPTCHA_PRIVATE_KEY`).
KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "signing", "sign", "encryption", "encrypt", "decryption", "decrypt",
    "crypto", "crypt", "master", "license", "licence", "auth", "client", "app", "application", "hmac",
    "aes", "jwt", "fernet", "cipher", "consumer", "subscription", "account", "admin", "shared", "symmetric",
    "webhook", "developer", "storage", "service", "mac", "des", "rsa", "ssh", "gpg", "pgp", "otp", "totp",
    # services whose `X_KEY` is an API key
    "stripe", "sendgrid", "twilio", "mailgun", "mailchimp", "mandrill", "openai", "anthropic", "github", "gitlab",
    "slack", "firebase", "algolia", "pusher", "mapbox", "datadog", "newrelic", "paypal", "braintree", "square",
    "shopify", "hubspot", "salesforce", "cloudflare", "heroku", "postmark", "segment",
    "mixpanel", "amplitude", "intercom", "zendesk", "airtable", "notion", "contentful", "plaid", "adyen", "klarna",
})
# Keys that encrypt or sign (CWE-321) rather than authenticate to a service (CWE-798).
_CRYPTO_QUALIFIERS = frozenset({
    "secret", "private", "signing", "sign", "encryption", "encrypt", "decryption", "decrypt", "crypto", "crypt",
    "master", "hmac", "aes", "jwt", "fernet", "cipher", "symmetric", "mac", "des", "rsa",
})
_APP_WORDS = frozenset({"app", "application", "flask", "django", "rails", "site", "cookie", "session", "jwt",
                        "signing", "web", "server", "wtf", "csrf", "self", "settings", "config"})
_CRYPTO_SECRET_QUALIFIERS = frozenset({"jwt", "signing", "hmac", "encryption", "cookie", "session", "csrf"})
# Words that may follow the secret word without changing what the name holds (db_password_prod, API_KEY_V2).
_NEUTRAL_TAIL = frozenset({
    "value", "val", "text", "plain", "plaintext", "raw", "b64", "base64", "hex", "bytes", "encoded", "default",
    "prod", "production", "dev", "development", "staging", "stage", "test", "live", "sandbox", "old", "new",
    "current", "prev", "previous", "primary", "secondary", "backup", "local", "remote", "str", "string", "base",
    "override", "fallback", "literal", "here", "v", "ver", "version",
})
# Words of a token that is a page's cursor, not a credential (`NextToken`, `page_token`).
# What a password field says about a password rather than holding one (`{"password": "updated"}` in an API's reply)
STATUS_WORDS = frozenset({"updated", "changed", "saved", "reset", "expired", "required", "invalid", "incorrect",
                          "wrong", "missing", "success", "succeeded", "failed", "done", "sent", "set", "unset",
                          "enabled", "disabled", "ok", "accepted", "rejected", "mismatch", "weak", "strong"})
PAGING_WORDS = frozenset({"next", "page", "paging", "pagination", "continuation", "cursor", "sync", "marker", "resume", "poll"})
# Words before the secret word that make the name about counting, paging or flags rather than a secret.
_NEGATING = PAGING_WORDS | frozenset({
    "idempotency", "is", "has",
    "use", "uses", "using", "enable", "enabled", "require", "requires", "required", "forgot", "reset", "show",
    "hide", "max", "min", "num", "count", "total", "len", "length", "no", "without", "validate", "check", "verify",
    "allow", "should", "must", "can", "need", "needs", "want", "csrf", "xsrf", "lexer", "parser", "tokenizer",
    "special", "stop", "eos", "bos", "pad", "unk", "mask", "sep", "cls", "prompt", "completion", "input", "output",
    "generated", "vocab", "start", "starting", "acquire", "acquired", "release", "update", "lock", "cancel",
    "cancellation", "resumption",
    # settings about tokens (`collection_by_token`, `permit_create_token`, `default_permissions_create_token`) and
    # the character between a user name and its password (`SEPARATOR_CREDENTIALS = ":"`)
    "by", "permit", "permits", "permission", "permissions", "create", "separator", "delimiter",
})
_CONNECTION_NOUNS = frozenset({"url", "uri", "string", "str", "dsn"})
_CONNECTION_QUALIFIERS = frozenset({
    "connection", "conn", "database", "db", "sqlalchemy", "mongo", "mongodb", "redis", "postgres", "postgresql",
    "mysql", "amqp", "broker", "rabbitmq", "celery", "jdbc", "odbc", "cache", "elasticsearch", "es",
})
_COMPOUND_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey")
_COMPOUND_EXCEPTIONS = frozenset({"tokenizer", "detokenizer", "nosecret", "nopassword", "nopass", "notoken"})


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_DIGITS = re.compile(r"(?<=[A-Za-z])(?=[0-9])")


# Answers of split_words and name_kind, which depend on the name alone, by name (a scan asks about the same few
# thousand names over and over: Django 12,269 splits of 2,319 names); cleared when full, so they stay small.
_WORDS_OF: dict[str, tuple[str, ...]] = {}
_KIND_OF: dict[str, str | None] = {}
_MEMO_NAMES = 4096  # entries per memo
_MEMO_NAME_LENGTH = 200  # longer text is split without being kept


def split_words(name: str) -> list[str]:
    """`NextToken` -> [next, token]; `DB_PASSWORD2` -> [db, password, 2]; `x-api-key` -> [x, api, key]."""
    found = _WORDS_OF.get(name)
    if found is None:
        s = name.strip().strip("\"'")
        # zero-width splits: constant work per position (`([A-Z]+)([A-Z][a-z])` was quadratic on a run of capitals)
        s = _CAMEL.sub(" ", s)
        s = _ACRONYM.sub(" ", s)
        s = _DIGITS.sub(" ", s)
        found = tuple(w for w in _NON_WORD_RUN.split(s.lower()) if w)
        if len(name) <= _MEMO_NAME_LENGTH:
            if len(_WORDS_OF) >= _MEMO_NAMES:
                _WORDS_OF.clear()
            _WORDS_OF[name] = found
    return list(found)  # (a new list each time: callers may change theirs)


_NON_WORD_RUN = re.compile(r"[^A-Za-z0-9]+")


def name_kind(name: str | None) -> str | None:
    """What a secret-like name holds: "password", "crypto-key", "secret" or "connection"; None if not secret-like."""
    if not name or len(name) > 120 or "::" in name:
        return None  # "AWS::IAM::AccessKey" names a resource type
    if name in _KIND_OF:
        return _KIND_OF[name]
    if len(_KIND_OF) >= _MEMO_NAMES:
        _KIND_OF.clear()
    kind = _KIND_OF[name] = _name_kind(name)
    return kind


def _name_kind(name: str) -> str | None:
    words = split_words(name)
    while words and (words[-1] in _NEUTRAL_TAIL or words[-1].isdigit() or re.fullmatch(r"v\d+", words[-1])):
        if len(words) >= 2 and words[-1] in _CONNECTION_NOUNS and words[-2] in _CONNECTION_QUALIFIERS:
            break  # connection_string, db_url: the noun is the point
        words = words[:-1]
    if not words:
        return None
    head, before = words[-1], words[:-1]
    if any(w in _NEGATING for w in before):
        return None
    prev = before[-1] if before else ""
    if head == "dsn" or (head in _CONNECTION_NOUNS and prev in _CONNECTION_QUALIFIERS):
        return "connection"
    if head == "pass" and not before:
        return None  # {"pass": "bandpass"}, a filter's pass band: only db_pass, smtp_pass are passwords
    if head in PASSWORD_WORDS or (head.endswith(("password", "passwd", "passphrase")) and head not in _COMPOUND_EXCEPTIONS):
        return "password"
    if head in ("key", "keys"):
        if prev not in KEY_QUALIFIERS:
            return None
        if prev == "secret" and len(before) >= 2 and before[-2] not in _APP_WORDS:
            return "secret"  # STRIPE_SECRET_KEY, aws_secret_key: a service's API secret, not the app's signing key
        return "crypto-key" if prev in _CRYPTO_QUALIFIERS else "secret"
    if head.endswith("key") and head[:-3] in KEY_QUALIFIERS:
        return "crypto-key" if head[:-3] in _CRYPTO_QUALIFIERS else "secret"
    if head in SECRET_WORDS or (head.endswith(_COMPOUND_SUFFIXES) and head not in _COMPOUND_EXCEPTIONS):
        if head in ("secret", "secrets") and prev in _CRYPTO_SECRET_QUALIFIERS:
            return "crypto-key"
        return "secret"
    return None


def is_secret_name(name: str | None) -> bool:
    return name_kind(name) is not None


def is_version_token_name(name: str | None) -> bool:
    """`ClientRequestToken`, `client_request_token`, `IdempotencyToken`, `idempotency_key`, `VersionId`,
    `version_token`, `MoveToVersionId`: a request's idempotency token or a version's id, which a service hands out or
    a client makes up to name one request or version; no credential (an OAuth `request_token` is one: not listed)."""
    words = split_words(name or "")
    if not words:
        return False
    if "idempotency" in words or "idempotent" in words:
        return True
    if words[-3:] == ["client", "request", "token"]:
        return True
    return len(words) >= 2 and words[-2] == "version" and words[-1] in ("id", "token")


# --- values ----------------------------------------------------------------------------------------------------
def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_PLACEHOLDER = lazy_compile(
    r"^(|none|null|nil|undefined|true|false|changeme|change[-_ ]?(me|it|this)|replace[-_ ]?(me|this)|todo|tbd|fixme|"
    r"dummy|example|sample|test|testing|placeholder|secret|password|passwd|pass|pwd|pw|token|api[-_]?key|key|"
    r"string|str|text|int|bool|required|optional|hidden|sensitive|masked|write[-_]?only|redacted|omitted|unset|"
    r"empty|blank|default|random|auto|generate|generated|n/?a|qwerty|tiger|scott|foo|bar|baz|foobar|xyz|xxx+|x+|\*+|\.+|-+|#+|_+|0+|1234\d*|abc\d*|"
    r"(your|my|insert|enter|put|add|set)[-_ ].*)$",
    re.I,
)
_PLACEHOLDER_PARTS = lazy_compile(
    r"example|placeholder|changeme|change[-_]me|change[-_]this|replace[-_]?me|replace[-_]this|replace[-_]with|"
    r"your[-_ ]?(own[-_ ]?)?(secret|password|pass|key|token|api|app|client|access)|dummy|redacted|xxxx|\*\*\*|"
    r"fake|sample|not[-_ ]?a[-_ ]?real|notasecret|insert[-_ ]|<[^<>]*>|\.\.\.|^test|^my[-_]",
    re.I,
)
# Values that refer to a secret kept elsewhere: template variables, format fields (and URL template fields such as
# `{realm-name}`), CloudFormation and SSM references, environment lookups written as text.
_REFERENCE = lazy_compile(
    r"\$\{[^{}]*\}|\$\([^()]*\)|\{\{[^{}]*\}\}|%\([^()]*\)[sdr]|%[sdr]\b|\{[A-Za-z_0-9.\[\]-]*(![rsa])?(:[^{}]*)?\}|"
    r"^\$[A-Za-z_][A-Za-z0-9_]*$|^@[a-z]+/|^arn:|^ssm:|^secretsmanager:|^resolve:|^vault:|^env:|^!|^&|^\{\{resolve",
    re.I,
)
_FILE_EXTENSIONS = lazy_compile(
    r"\.(pem|key|crt|cer|der|p12|pfx|jks|keystore|json|txt|ya?ml|env|cfg|ini|conf|toml|properties|pub|gpg|asc|"
    r"kdbx|enc|py|db|sqlite3?)$", re.I)
# A scheme starts where a run of scheme characters starts (not at every letter inside "a.b.c..."), so each run is
# read once; user, password and host classes each stop at the character that ends them.
_URL_CREDS = re.compile(r"(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*)://([^\s:/@'\"]+):([^\s@/'\"]+)@([^\s/:@'\"]+)", re.I)
_CONN_PASSWORD = re.compile(r"(?:^|[;&?\s])(?:password|pwd|passwd)=([^;&'\"\s]+)", re.I)
_WORDS_ONLY = lazy_compile(r"[A-Za-z]+(?:[-_.:/ ][A-Za-z]+)*")
# A regular expression (a pattern that finds credentials, to mask them, is no credential): one construct only a
# pattern has (a group flag, a negated or ranged class, a class escape inside a class or before a quantifier), or
# two that a pattern usually has (`.*`, an escaped punctuation character, a quantified group, a bare class escape,
# `^` at the start, `$` at the end). A single `\s` or `\d` is no pattern: a password may hold a backslash.
_REGEX = lazy_compile(r"\(\?[:=!<P]|\[\^|\[[A-Za-z0-9]-[A-Za-z0-9]|\[\\[wdsWDS]|\\[wdsWDS][+*?{]")
_REGEX_WEAK = lazy_compile(r"\.[*+]|\\[./\[\](){}|?+*^$-]|[)\]][+*?]|\\[wdsbWDSAZ]|^\^|\$$")
# A Windows path or registry key, two backslashes at least (`DOMAIN\user`, or a password with one, is not):
# `C:\...`, `\\server\share`, `HKEY_...`, `HKLM\...`, `SYSTEM\CurrentControlSet\services`.
_BACKSLASH_PATH = lazy_compile(r"^(?:[A-Za-z]:\\|\\\\|HKEY_|HK(?:LM|CU|CR|U)\\)|"
                               r"^[A-Za-z][A-Za-z0-9_ .-]*(?:\\[A-Za-z][A-Za-z0-9_ .-]*){2,}\\?$")
# Reserved example domains (RFC 2606, RFC 6761): a URL there is documentation, whatever it carries.
_EXAMPLE_HOST = lazy_compile(r"(?:^|\.)(?:example\.(?:com|net|org)|(?<![a-z0-9-])[a-z0-9-]+\.(?:example|invalid|test))$", re.I)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})


def looks_like_regex(v: str) -> bool:
    """`(?:\\w+)`, `[^@]+`, `:\\/\\/[a-z]+:[\\S]+@`: a pattern, not a value."""
    return bool(_REGEX.search(v)) or len(_REGEX_WEAK.findall(v)) >= 2


def not_a_secret_shape(value: str, name: str | None = None) -> str | None:
    """Why a literal under a secret-like name is no secret by its shape (None when its shape says nothing): a regular
    expression, a file system path or registry key, a URN, or an identifier equal to the name it is bound to
    (`ACCESS_TOKEN = "access_token"`: a key or a header's name). One vocabulary for the name-based judgement
    (check_value) and the secret sinks (the Python engine's sink_value); docs/rules.md lists it."""
    v = value.strip()
    if looks_like_regex(v):
        return "a regular expression"
    if _is_path(v) or _BACKSLASH_PATH.search(v):
        return "a path"
    if name and names_itself(v, name):
        return "the name itself"
    if name and _prompt_fragment(v, name):
        return "the end of the name's own word (a login prompt to wait for: `password = \"ssword\"`)"
    if _DOTTED_PATH.match(v):
        return "a dotted import path (`custom_auth.serializers.TokenSerializer`: a class or function to load)"
    if _URN.match(v):
        return "a URN (a name for something, as SAML's `urn:oasis:names:tc:SAML:2.0:ac:classes:Password`)"
    if _SSH_PUBLIC_KEY.fullmatch(v):
        return "an SSH public key (`ssh-ed25519 AAAAC3Nz...`, a host key to pin in known_hosts: public by design)"
    if _IP_SHAPE.match(v) and _ip_network(v):
        return "an IP address or network (`\"PW\": \"202.124.224.0/20\"`, Palau's block in a table of countries)"
    if public_jwt(v):
        return "a public client key (a JWT whose role claim is `anon`: Supabase's anon key, shipped in every client)"
    if _EVM_ADDRESS.fullmatch(v):
        return ("an EVM account or contract address (`0x` and 40 hex digits, also as a CAIP-19 asset id "
                "`eip155:1/erc20:0x...`: public on its chain; a private key has 64)")
    if _PASSWORD_HASH.match(v):
        return ("a password hash (`$2b$12$...`, `pbkdf2_sha256$...`: a verifier to compare logins with, as a dummy hash "
                "checked for unknown users so that a failed login takes as long; not the password)")
    return None


# An EVM address, also as a chain-agnostic asset id (CAIP-19: `eip155:1/erc20:0x...`).
_EVM_ADDRESS = lazy_compile(r"(?:eip155:\d+/(?:erc20|erc721|erc1155):)?0x[0-9a-fA-F]{40}")
# A password hash in modular crypt format (bcrypt, Argon2, SHA-crypt, MD5-crypt, scrypt, yescrypt) or Django's
# `algorithm$iterations$salt$hash`: what a login is compared with, not what it types.
_PASSWORD_HASH = lazy_compile(
    r"^\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|y|7|scrypt|pbkdf2(?:-sha(?:1|256|512))?)\$[^\s$]{1,80}\$[./A-Za-z0-9+=$,-]{16,}$"
    r"|^(?:pbkdf2_sha(?:1|256|512)|argon2|bcrypt_sha256|bcrypt|scrypt)\$[^\s$]{1,40}\$[^\s]{16,}$")


# First words of a constant that holds a key's name: `CONF_PASSWORD = "password"` (ESPHome), `ATTR_ACCESS_TOKEN =
# "access_token"` (Home Assistant), `KEY_API_KEY = "api-key"`, `HEADER_API_KEY = "x-api-key"` is not one (x-);
# or the name of a kind of thing: `TYPE_PASSWORD = "password"` (a choice value), `WIDGET_PASSWORD = "password"`.
KEY_NAME_PREFIXES = frozenset({
    "conf", "config", "cfg", "key", "attr", "field", "param", "arg", "opt", "option", "prop", "col", "column",
    "header", "env", "setting", "settings", "type", "widget", "kind", "input", "choice", "label", "mode", "method",
    "scheme", "format", "category", "name", "tag", "form", "var",
})


def names_itself(value: str, name: str) -> bool:
    """The value spells the name it is bound to (`ACCESS_TOKEN = "access_token"`), or the name after a key-name
    prefix (`CONF_PASSWORD = "password"`); `DB_PASSWORD = "password"` is a (weak) password."""
    value_words = split_words(value)
    name_words = split_words(name.rsplit(".", 1)[-1])
    if not value_words:
        return False
    return value_words == name_words or (len(name_words) >= 2 and name_words[0] in KEY_NAME_PREFIXES
                                         and value_words == name_words[1:])


def _prompt_fragment(value: str, name: str) -> bool:
    """The value is the end of one of the name's words, four letters or more, and not the whole word: `password =
    "ssword"`, `uname = "sername"`, the text a terminal login loop waits for whatever the prompt's first letter's
    case (netmiko, pexpect scripts)."""
    v = value.strip().rstrip(":").strip()
    if len(v) < 4 or not v.isalpha():
        return False
    v = v.lower()
    return any(len(w) > len(v) and w.endswith(v) for w in split_words(name.rsplit(".", 1)[-1]))


_IP_SHAPE = lazy_compile(r"^(?:[0-9.]{7,15}|[0-9a-f:.]{2,45})(?:/\d{1,3})?$", re.I)


def _ip_network(v: str) -> bool:
    import ipaddress
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return False
    return True


# Modules in lower case, then the object: `app.serializers.CustomTokenSerializer`, `auth.tokens.make_token`.
# (A JSON Web Token starts `eyJ`; keys have capitals or digits in every part.)
_DOTTED_PATH = lazy_compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\.[A-Za-z_][A-Za-z0-9_]*$")
# An OpenSSH public key: optionally its type word, then the base64 wire blob, which starts with the type's length and
# name (`AAAAB3NzaC1yc2E` is "\0\0\0\x07ssh-rsa"), optionally a comment. A private key never starts so.
_SSH_PUBLIC_KEY = lazy_compile(r"(?:(?:ssh-[a-z0-9]+|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+)[ \t]+)?"
                               r"AAAA(?:B3NzaC1y|B3NzaC1k|C3NzaC1lZDI1NTE5|CXNzaC1lZDQ0|E2VjZHNhLXNoYTItbmlzdHA|"
                               r"GnNrLXNzaC1lZDI1NTE5|InNrLWVjZHNh)[A-Za-z0-9+/]{40,}={0,2}(?:[ \t]+[^ \t]+)?")
_URN = lazy_compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]+$", re.I)
_AUTH_SCHEME = lazy_compile(r"^(?:bearer|basic|token|bot|apikey|api-key|digest)\s+(\S+)$", re.I)


def is_placeholder(value: str) -> bool:
    """A value that stands in for a secret rather than being one: `changeme`, `<your-key>`, `${DB_PASSWORD}`."""
    v = value.strip()
    if _PLACEHOLDER.match(v) or _REFERENCE.search(v) or _PLACEHOLDER_PARTS.search(v):
        return True
    return len(set(v.lower()) - set("-_ .")) <= 2  # "aaaaaaaa", "xxxx-xxxx"


def _is_reference_name(v: str) -> bool:
    """`DB_PASSWORD`, `/prod/db/password`, `x-api-key`, `access_token`: the name of a secret, not its value."""
    if not re.fullmatch(r"[A-Za-z0-9_.\-/:]+", v) or not is_secret_name(v):
        return False
    if v.upper() == v or "/" in v or ":" in v or v.lower().startswith("x-"):
        return True
    return len(split_words(v)) <= 2


def _is_path(v: str) -> bool:
    return v.startswith(("/", "./", "../", "~/", "file:", "C:\\", "s3://")) or bool(_FILE_EXTENSIONS.search(v))


def _known_match(kind: str, text: str) -> bool:
    """False for the documentation's example (AWS's all end in EXAMPLE: AKIAIOSFODNN7EXAMPLE) or a mask."""
    low = text.lower()
    if low.endswith("example") or "examplekey" in low or "xxxx" in low or "0000000000" in low or "****" in low:
        return False
    body = re.sub(r"^(AKIA|ASIA|ABIA|ACCA|sk_live_|rk_live_|gh[pousr]_|xox[baprs]-|AIza|SG\.|SK)", "", text)
    return kind == "private-key" or len(set(body)) > 4


def reportable(match: SecretMatch | None, value: str) -> SecretMatch | None:
    """A known format's match, unless the whole value is a public client key (public_jwt): no secret to report,
    though snippets still mask it as any token-shaped text."""
    return None if match is not None and match.kind == "jwt" and public_jwt(value) else match


def public_jwt(text: str) -> bool:
    """A JSON Web Token whose claims say it is a public client key: Supabase's `anon` key (`"role": "anon"`), which
    every client ships and row-level security limits."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not parts[1].startswith("eyJ") or len(parts[1]) > 4096:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return False
    return isinstance(claims, dict) and claims.get("role") == "anon"


KNOWN_FORMAT_MIN = 8  # no credential of a known format is shorter (callers may skip shorter text)


def known_format(value: str) -> SecretMatch | None:
    """A credential recognisable by its shape alone, wherever it sits in the string."""
    if not isinstance(value, str) or len(value) < KNOWN_FORMAT_MIN:
        return None
    if _KNOWN_HINT.search(value):
        for kind, description, pattern in KNOWN_FORMATS:
            for m in pattern.finditer(value):
                if _known_match(kind, m.group(0)):
                    return SecretMatch(kind, description, "high")
    return url_credentials(value) or connection_string_password(value)


# Code where a connection string's password goes: `password=os.environ["DB_PASSWORD"]` in generated source, a call
# or subscript of a name (`password=getpass()`, `pwd=cfg[`), not a password.
_PASSWORD_CODE = lazy_compile(r"^[A-Za-z_][\w.]*[(\[]")


def _real_password(secret: str) -> bool:
    s = secret.strip()
    return len(s) >= 3 and not is_placeholder(s) and not s.startswith(("$", "{", "%", "<", "*", "`")) \
        and not _is_reference_name(s) and not looks_like_regex(s) and not _PASSWORD_CODE.match(s)


def url_credentials(value: str) -> SecretMatch | None:
    """`postgres://user:s3cr3t@db:5432/app`: a password inside a URL (not on a reserved example domain)."""
    if "://" not in value:
        return None
    for m in _URL_CREDS.finditer(value):
        if _real_password(m.group(3)) and not _EXAMPLE_HOST.search(m.group(4)):
            return SecretMatch("url-credentials", f"credentials inside a {m.group(1)} URL", "high")
    return None


def embedded_passwords(value: str) -> list[tuple[str | None, str]]:
    """The (user, password) pairs inside URLs and connection strings of `value` (user None in a connection string):
    `postgresql://postgres:postgres@db/postgres` -> [("postgres", "postgres")]."""
    found: list[tuple[str | None, str]] = []
    if "://" in value:
        found += [(m.group(2), m.group(3)) for m in _URL_CREDS.finditer(value) if _real_password(m.group(3))]
    if "=" in value:
        found += [(None, m.group(1)) for m in _CONN_PASSWORD.finditer(value) if _real_password(m.group(1))]
    return found


def url_logins(value: str) -> list[tuple[str, str, str]]:
    """The (user, password, host) of each URL with credentials in `value`: `amqp://guest:guest@localhost//` ->
    [("guest", "guest", "localhost")]."""
    return [(m.group(2), m.group(3), m.group(4).lower()) for m in _URL_CREDS.finditer(value)] if "://" in value else []


def url_host(value: str) -> str | None:
    """The host of a URL (`http://localhost:15672/api` -> "localhost"), None when it shows none."""
    if "://" not in value[:16]:
        return None
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None


def url_hosts(value: str) -> list[str]:
    """The hosts of the URLs with credentials in `value` (lower case)."""
    return [host for _, _, host in url_logins(value)]


def connection_string_password(value: str) -> SecretMatch | None:
    """`Server=db;User Id=sa;Password=s3cr3t;` or `host=db password=s3cr3t`: a password in a connection string."""
    if "=" not in value:
        return None
    for m in _CONN_PASSWORD.finditer(value):
        if _real_password(m.group(1)) and len(m.group(1)) >= 4:
            return SecretMatch("connection-string-password", "a password inside a connection string", "medium")
    return None


_DESCRIPTIONS = {
    "password": "a password",
    "crypto-key": "a cryptographic key",
    "secret": "a secret or API key",
}


_RATE = lazy_compile(r"(?<!\d)\d+\s*/\s*\d*\s*(?:s|sec|second|m|min|minute|h|hr|hour|d|day)s?(?:/(?:ip|user|key|session|account))?",
                   re.I)  # django-allauth's ACCOUNT_RATE_LIMITS: "5/m/ip", "1/m/user"


# (Both are used with fullmatch; the lookbehinds keep a search over a long run linear too: a match can only
# start where a run of its first class starts.)
_WORDS_PARAMETER = lazy_compile(r"(?<![A-Za-z_])[A-Za-z_]+=[A-Za-z]+(?:[-_.][A-Za-z]+)*")


def check_value(value: str, name: str | None = None) -> SecretMatch | None:
    """Is `value` (bound to `name`, when there is one) a hard-coded secret? None when it is not.

    Kinds: known formats (see KNOWN_FORMATS, "url-credentials", "connection-string-password"), then by name:
    "password", "crypto-key" (signing and encryption keys) and "generic-secret".
    """
    if not isinstance(value, str):
        return None
    match = known_format(value)
    if match:
        return reportable(match, value)
    kind = name_kind(name)
    if kind is None or kind == "connection":
        return None  # a connection string without a password in it holds no secret
    v = value.strip()
    scheme = _AUTH_SCHEME.match(v)
    if scheme:
        v = scheme.group(1)
    if not v or len(v) > 4096 or any(c.isspace() for c in v):
        return None  # prose ("Enter your password"), empty, or a blob that is not a credential
    if is_placeholder(v) or _is_reference_name(v) or not_a_secret_shape(v, name) or "://" in v \
            or _RATE.fullmatch(v) or _WORDS_PARAMETER.fullmatch(v):
        # _RATE: "5/m", "100/hour": a rate limit for the action the name says (`change_password`);
        # _WORDS_PARAMETER: "target=app-watch_files": a parameter naming something, words only on both sides
        return None
    words_only = _WORDS_ONLY.fullmatch(v.strip("#._:-/@")) is not None
    if kind == "password":
        if words_only and any(w in PASSWORD_WORDS or w in SECRET_WORDS for w in split_words(v)):
            return None  # "no-password-required": words about a password
        if words_only and v.lower() in STATUS_WORDS:
            return None  # `{"password": "updated"}`: a status, not a password
        if len(v) >= 4 and entropy(v) >= 1.5:
            return SecretMatch("password", _DESCRIPTIONS["password"], "medium")
        return None
    if words_only and (len(v) < 24 or entropy(v) < 4.0):
        # "_auth_user_id", "AWSSecretKey", "#bygroup", "Access-Control-Allow-Credentials", r"(?:\w+)": an
        # identifier, a header or a pattern; keys and tokens have digits (or are long and random)
        return None
    if len(v) >= 8 and entropy(v) >= 3.0:
        return SecretMatch("crypto-key" if kind == "crypto-key" else "generic-secret", _DESCRIPTIONS[kind], "medium")
    return None


# --- redaction -------------------------------------------------------------------------------------------------
# Every pattern below sees scanned text, so each is linear by construction: a match may only start where a run of
# the characters its first repetition reads starts (a negative look-behind of that class, or a literal that cannot
# occur inside the previous repetition), every later repetition either stops at a character the next part needs
# or is bounded, so each character is read a bounded number of times. tests/hostile/test_redos.py feeds every
# pattern 100,000-character runs of each character class it reads.

MASK = "***"
_NAME = r"(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,100})"
_QUOTED_VALUE = r"""(?:[bBrRuU]{1,2})?(?P<q>["'])(?:\\["'])?(?P<value>[^"'\\\n]{1,1024})(?:\\["'])?(?P=q)"""
# `password = "..."`, `"password": "..."`, `password="..."`, `app.config["SECRET_KEY"] = "..."`, `token => '...'`
_ASSIGN_QUOTED = re.compile(_NAME + r"""["']?\]?[ \t]*(?:=>|:=|=|:)[ \t]*""" + _QUOTED_VALUE)
# `("DB_PASSWORD", "...")`: os.environ.setdefault, Gradle's buildConfigField("String", "API_KEY", "\"...\"")
_PAIR_COMMA = re.compile(r"""(?P<q1>["'])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,100})(?P=q1)[ \t]*,[ \t]*(?=""" + _QUOTED_VALUE + ")")
# strings.xml `<string name="api_key">...</string>`; a manifest's `android:name="...API_KEY" android:value="..."`
_XML_ELEMENT = re.compile(r"""name=(?P<q1>["'])(?P<name>[^"'<>\n]{1,120})(?P=q1)[^<>\n]{0,200}>(?P<value>[^<\n]{1,1024})<""")
_XML_META = re.compile(r"""name=(?P<q1>["'])(?P<name>[^"'<>\n]{1,120})(?P=q1)[ \t]+(?:[A-Za-z_][\w.\-]{0,40}:)?value="""
                       r"""(?P<q>["'])(?P<value>[^"'<>\n]{1,1024})(?P=q)""")
# A key passed by position to a call that signs or encrypts with it: jwt.encode(claims, "...", algorithm=...),
# jwt.decode(token, "...", algorithms=[...]), hmac.new(b"..."), Fernet(b"..."), URLSafeTimedSerializer("...").
_JWT_HINT = re.compile(r"jw[ts]|jose|algorithms?=", re.I)
_KEY_ARGUMENT_JWT = lazy_compile(r",[ \t]*(?=" + _QUOTED_VALUE + r"[ \t]*(?:,[ \t]*(?:algorithms?|key|headers)[ \t]*=|\)))")
_KEY_ARGUMENT = re.compile(r"(?<![A-Za-z0-9_.])(?:hmac\.new|hmac\.HMAC|Fernet|HMAC|[A-Za-z]{0,40}Serializer|Signer)\([ \t]*"
                           + _QUOTED_VALUE)
# Unquoted values, only in files that are not code: YAML `Password: s3cr3t`, `db.password=s3cr3t`, `.env` lines.
_ASSIGN_BARE = lazy_compile(_NAME + r"""["']?[ \t]*[:=][ \t]*(?P<value>[^\s"'`,;{}\[\]()<>|=:]{3,1024}={0,2})(?![^\s,;}\]])""")
# Groovy and Kotlin build scripts call setters without `=`: `storePassword 'Sh0p...'`, `keyPassword("...")`.
_SETTER_CALL = lazy_compile(_NAME + r"""(?:[ \t]+|[ \t]*\([ \t]*)""" + _QUOTED_VALUE)
_PEM_HEADER = lazy_compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = lazy_compile(r"(?:[A-Za-z0-9+/=]|[ \t]|\\[nr])+")
_PEM_LINE = lazy_compile(r"[A-Za-z0-9+/=]{8,}")
# Kinds whose text is code: an unquoted `password = x` there is a variable, not a value.
CODE_KINDS = frozenset({"python", "cdk"})


_SPANS: dict[tuple[str, bool], tuple[tuple[int, int], ...]] = {}
_SPANS_MAX = 4096


def secret_spans(line: str, code: bool = True) -> list[tuple[int, int]]:
    """`_secret_spans`, memoized (bounded): a line is asked about again by the finding's fingerprint, its snippet and
    the output redaction, and by every finding on the same line."""
    if not line or not isinstance(line, str):
        return []
    key = (line, code)
    hit = _SPANS.get(key)
    if hit is None:
        if len(_SPANS) >= _SPANS_MAX:
            _SPANS.clear()
        hit = _SPANS[key] = tuple(_secret_spans(line, code))
    return list(hit)


def _secret_spans(line: str, code: bool = True) -> list[tuple[int, int]]:
    """The (start, end) offsets of every secret value the shared detector finds in `line`: known formats, passwords
    in URLs and connection strings, and values bound to secret-like names (`password="..."`, `"api_key": "..."`,
    `<string name="api_key">...</string>`; unquoted `password: ...` too when `code` is false). A span covers the
    value only, never its quotes, so a masked line still reads as the code it was."""
    if not line or not isinstance(line, str):
        return []
    spans: list[tuple[int, int]] = []
    if _KNOWN_HINT.search(line):
        for kind, _, pattern in KNOWN_FORMATS:
            for m in pattern.finditer(line):
                if not _known_match(kind, m.group(0)):
                    continue
                if kind == "private-key":
                    header = _PEM_HEADER.match(line, m.start())
                    body = _PEM_BODY.match(line, header.end()) if header else None
                    if body:
                        spans.append((header.end(), body.end()))
                else:
                    spans.append(m.span())
    if "://" in line:
        for m in _URL_CREDS.finditer(line):
            if _real_password(m.group(3)):
                spans.append(m.span(3))
    if "=" in line:
        for m in _CONN_PASSWORD.finditer(line):
            if _real_password(m.group(1)) and len(m.group(1)) >= 4:
                spans.append(m.span(1))
    patterns = [_ASSIGN_QUOTED, _PAIR_COMMA]
    if "name=" in line:
        patterns += [_XML_ELEMENT, _XML_META]
    if not code:
        patterns += [_ASSIGN_BARE, _SETTER_CALL]
    if "(" in line:
        keys = list(_KEY_ARGUMENT.finditer(line))
        if _JWT_HINT.search(line):
            keys += _KEY_ARGUMENT_JWT.finditer(line)
        for m in keys:
            if check_value(m.group("value"), "signing_key") is not None:
                spans.append(m.span("value"))
    for pattern in patterns:
        for m in pattern.finditer(line):
            name = m.group("name")
            if pattern in (_XML_ELEMENT, _XML_META):
                name = name.rsplit(".", 1)[-1]  # com.google.android.geo.API_KEY
            value = m.group("value")
            if name_kind(name) in (None, "connection"):
                continue  # a URL's or connection string's password is masked alone, above
            match = check_value(value.strip(), name)
            if match is not None and match.kind in _BY_NAME_KINDS:  # known formats are masked alone, above
                start = m.start("value") + (len(value) - len(value.lstrip()))
                spans.append((start, start + len(value.strip())))
    return _merge(spans)


_BY_NAME_KINDS = frozenset({"password", "crypto-key", "generic-secret"})


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def secret_values(text: str, code: bool = True) -> set[str]:
    """Every secret value the detector finds in `text`, line by line (PEM bodies over several lines included)."""
    values: set[str] = set()
    for line in text.splitlines():
        values.update(line[a:b] for a, b in secret_spans(line, code))
    if "PRIVATE KEY" in text:
        values |= _pem_lines(text)
    return values


def _pem_lines(text: str) -> set[str]:
    """The key material of every PEM private key block in `text`, one value per line of the block."""
    out: set[str] = set()
    lines = text.splitlines()
    inside = False
    for line in lines:
        if _PEM_HEADER.search(line):
            inside = True
            continue
        if inside:
            if "-----END" in line:
                inside = False
            out.update(m.group(0) for m in _PEM_LINE.finditer(line))
    return out


def mask_values(text: str, values: Iterable[str]) -> str:
    """`text` with every occurrence of each value (longest first) replaced by the mask."""
    for value in sorted({v for v in values if v and len(v.strip()) >= 4}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact(text: str, values: Iterable[str] = (), code: bool = True) -> str:
    """`text` (one line or several) with the given secret values and every secret the detector finds masked."""
    if not text or not isinstance(text, str):
        return text
    text = mask_values(text, values)
    out = []
    for line in text.split("\n"):
        spans = secret_spans(line, code)
        for start, end in reversed(spans):
            line = line[:start] + MASK + line[end:]
        out.append(line)
    text = "\n".join(out)
    if "PRIVATE KEY" in text:
        text = mask_values(text, _pem_lines(text))
    return text


_QUOTES = lazy_compile(r"""^(?:[bBrRuU]{1,2})?(\\?["'])(?:\\["'])?(.*?)(?:\\["'])?\1$""", re.S)


def _mask_for(value: str) -> tuple[str, str]:
    """(the text to replace, its replacement) for a secret value a check hands over: quotes stay (`"***"`, never
    `***` or `***"***"`), and a value the detector can mask in part (a URL's password) is masked in part."""
    core = value
    for _ in range(2):  # "\"sk_live_...\"" in a Gradle file: a quoted string holding a quoted string
        m = _QUOTES.match(core.strip())
        if not m or not m.group(2):
            break
        core = m.group(2)
    partial = redact(core)
    if partial != core and MASK in partial and partial.strip() != MASK:
        return core, partial
    return core, MASK


def redact_line(line: str, *values: str) -> str:
    """The line with every given secret value (and every secret the detector finds on it) replaced by a marker."""
    pairs = []
    for value in values:
        if not value:
            continue
        pairs.append(_mask_for(value))
        if "\n" in value:  # a multi-line value shows on a line one part at a time
            pairs += [(p.strip(), MASK) for p in value.splitlines() if len(p.strip()) >= 4]
    for old, new in sorted(pairs, key=lambda p: len(p[0]), reverse=True):
        if len(old.strip()) >= 4 and old in line:
            line = line.replace(old, new)
    return redact(line)


# --- payment card numbers (masked wherever a line is shown) -------------------------------------------------------------------------------------------------
_CANDIDATE = lazy_compile(r"(?<![\w.\-+/])\d(?:[ -]?\d){12,18}(?![\w\-+/]|\.\d)")
# Thirteen digits, each but the first after at most one space or dash: in every candidate, and found by a search that
# skips to the next digit (no look-behind to try at each character): text without it is not searched further.
_THIRTEEN_DIGITS = lazy_compile(r"\d(?:[ -]?\d){12}")

# Published test numbers (Stripe, Braintree, Adyen, PayPal, the card networks): not a customer's card.
TEST_CARD_NUMBERS = frozenset({
    "4111111111111111", "4242424242424242", "4012888888881881", "4222222222222", "4000056655665556",
    "4012000033330026", "4917610000000000", "4444333322221111", "4000002500003155", "4000000000003220",
    "4000002760003184", "4000000000009995", "4000000000000002", "4000000000000077", "4000000000000341",
    "5555555555554444", "5105105105105100", "5200828282828210", "5431111111111111", "2223003122003222",
    "2221000000000009", "5454545454545454", "378282246310005", "371449635398431", "378734493671000",
    "6011111111111117", "6011000990139424", "6011000000000004", "3530111333300000", "3566002020360505",
    "30569309025904", "38520000023237", "36227206271667", "6200000000000005", "6759649826438453",
    "6304000000000000", "5018000000000009", "4035501000000008", "4263982640269299",
})


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The network an issuer prefix and length belong to, or None when no network issues such a number."""
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "Visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "Mastercard"
    if two in (34, 37) and n == 15:
        return "American Express"
    if (four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= six <= 622925) and 16 <= n <= 19:
        return "Discover"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "JCB"
    if (two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305 or four == 3095) and 14 <= n <= 19:
        return "Diners Club"
    if two == 62 and 16 <= n <= 19:
        return "UnionPay"
    if (two == 50 or 56 <= two <= 69) and 13 <= n <= 19:
        return "Maestro"
    return None


def _grouping_ok(text: str) -> bool:
    groups = [len(g) for g in re.split(r"[ -]", text)]
    if len(groups) == 1:
        return True
    if len(set(re.findall(r"[ -]", text))) > 1:
        return False  # "4539 1488-0343" mixes separators: not how a card number is written
    return groups in ([4, 6, 5], [4, 6, 4]) or (all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4)


def card_numbers(text: str) -> Iterator[tuple[str, str]]:
    """(matched text, brand) for each real-looking card number in `text`."""
    if not _THIRTEEN_DIGITS.search(text):
        return
    for m in _CANDIDATE.finditer(text):
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        if not 13 <= len(digits) <= 19 or not _grouping_ok(raw) or digits in TEST_CARD_NUMBERS:
            continue
        if len(set(digits)) < 4 or not luhn_valid(digits):
            continue
        brand = card_brand(digits)
        if brand:
            yield raw, brand


def mask_card_numbers(text: str) -> str:
    out = text
    for raw, _ in card_numbers(text):
        out = out.replace(raw, "****" + re.sub(r"\D", "", raw)[-4:])
    return out


def shown_line(line: str, values: Iterable[str] = ()) -> str:
    """A line as a template or Android finding shows it: masked with the secret values the reporting check hands
    over and then with whatever the detector finds on it; a line for which no value was handed over is shown as
    written here (the tail masks what the detector finds on every line a finding points at: redact_findings)."""
    values = tuple(values)
    return redact_line(line, *values) if values else line


def masked_behind(shown: str, raw: str) -> list[str]:
    """The text of `raw` (a line as written) behind each mask of `shown` (that line as a finding shows it, redacted
    by its engine with whatever the engine's secret finder knew): what must not leave the scan in any other form
    (a fix's inserted text) either."""
    if MASK not in shown:
        return []
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, raw, shown, autojunk=False).get_opcodes():
        if tag == "replace" and MASK in shown[j1:j2] and raw[i1:i2].strip():
            out.append(raw[i1:i2])
    return out


# --- the output boundary -----------------------------------------------------------------------------------------
MAX_LINES_READ = 200  # lines of one location read for their secrets (a finding spanning a whole file stops here)


def redact_findings(findings: list, files: Mapping[str, Any], release: bool = True) -> list:
    """Every finding with every secret masked wherever it shows: snippet, message, related locations, code-flow
    steps and string properties. The secrets are those the shared detector finds on any line the finding points
    at (its location, related locations, flow steps), whichever rule reports it, plus any it finds in the text
    itself (a peer's message). `files` maps a path relative to the scan root to its SourceFile. Fingerprints are
    already computed from masked code (model.fingerprint_of), so they are no dictionary-attackable hash of a secret.
    Called after every engine's walk (scan.py, per file, `release=False`: the caller lets go of the files) and
    again at the output boundary (the tail's redact stage, before the line hashes), which releases each file read
    as the findings move on to the next."""

    per_line: dict[tuple[str, int], frozenset[str]] = {}
    per_file: dict[str, frozenset[str]] = {}

    def line_values(path: str, first: int, last: int | None) -> set[str]:
        file = files.get(path)
        if file is None:
            return set()
        code = bool(getattr(file, "kinds", frozenset()) & CODE_KINDS)
        out: set[str] = set()
        try:
            if path not in per_file:
                data = file.text()
                per_file[path] = frozenset(_pem_lines(data)) if "PRIVATE KEY" in data else frozenset()
            out |= per_file[path]
            end = max(first, min(last or first, first + MAX_LINES_READ))
            for n in range(max(first, 1), end + 1):
                key = (path, n)
                if key not in per_line:
                    line = file.line(n)
                    per_line[key] = frozenset(line[a:b] for a, b in secret_spans(line, code))
                out |= per_line[key]
        except Exception:  # an unreadable file: the text-level detection below still runs
            pass
        return out

    def let_go(paths: set[str]) -> None:
        if not release:
            return
        for path in paths:
            file = files.get(path)
            if file is not None and hasattr(file, "release"):
                file.release()
        paths.clear()

    out = []
    touched: set[str] = set()
    current = None
    # redact() is pure: the same text with the same values is masked once per scan (findings repeat their
    # properties, snippets and much of their messages)
    memo: dict[tuple[str, tuple[str, ...]], str] = {}
    for f in findings:
        if f.location.path != current:
            # The findings come grouped by file: the files read for the previous one are released now, not at the
            # end (a scan with findings in thousands of files would hold all their texts and lines at once).
            let_go(touched)
            current = f.location.path
        values: set[str] = set()
        for loc in (f.location, *(r.location for r in f.related), *(s.location for s in f.flow)):
            values |= line_values(loc.path, loc.line, loc.end_line)
            touched.add(loc.path)
        out.append(redact_finding(f, {v for v in values if _propagates(v)}, memo))
    let_go(touched)
    return out


_PLAIN_WORD = lazy_compile(r"[A-Za-z][a-z]*|[A-Z]+")


def _propagates(value: str) -> bool:
    """Is a value found on a line masked wherever it shows (a message, another line's text), not only where the
    detector sees it? Yes for anything that looks like a credential; a plain word (`password='whitespace'`) is
    masked in place only, so a comment or a message using the same word stays readable."""
    v = value.strip()
    return len(v) >= 6 and (len(v) >= 20 or not _PLAIN_WORD.fullmatch(v))


def redact_finding(f: Any, values: Iterable[str] = (), memo: dict | None = None) -> Any:
    """One finding with `values` and every secret found in its own text masked (see redact_findings; `memo`, the
    texts already masked with the same values, is shared across the findings of one scan)."""
    from dataclasses import replace

    values = tuple(values)
    if memo is None:
        memo = {}

    def r(text: str) -> str:
        if not isinstance(text, str):
            return redact(text, values)
        key = (text, values)
        done = memo.get(key)
        if done is None:
            done = memo[key] = redact(text, values)
        return done

    changes: dict[str, Any] = {}
    for name in ("snippet", "message"):
        old = getattr(f, name)
        new = r(old)
        if new != old:
            changes[name] = new
    related = tuple(replace(x, message=r(x.message)) if r(x.message) != x.message else x for x in f.related)
    if related != f.related:
        changes["related"] = related
    flow = tuple(replace(x, message=r(x.message)) if r(x.message) != x.message else x for x in f.flow)
    if flow != f.flow:
        changes["flow"] = flow
    if f.properties:
        props = redact_data(dict(f.properties), r)
        if props != dict(f.properties):
            changes["properties"] = props
    if f.suppression is not None and f.suppression.justification:
        just = r(f.suppression.justification)
        if just != f.suppression.justification:
            changes["suppression"] = replace(f.suppression, justification=just)
    return replace(f, **changes) if changes else f


def redact_data(data: Any, r: Any) -> Any:
    """Every string in a JSON-like structure passed through `r`."""
    if isinstance(data, str):
        return r(data)
    if isinstance(data, dict):
        return {k: redact_data(v, r) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(redact_data(v, r) for v in data)
    return data


def redact_notices(notices: list) -> list:
    """Notices (a parser's error quoting the line it stopped at, a peer's stderr) with every secret masked."""
    from dataclasses import replace

    return [replace(n, message=redact(n.message)) if redact(n.message) != n.message else n for n in notices]
