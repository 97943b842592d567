"""Secrets: read from the environment, written into the code, written to logs (rules PY201-PY205).

Every decision about what is a secret comes from threatscan.secrets (shared with the template and Android
engines), and where Python code binds a value to a name from the engine's secret finder (../secret_finder.py,
which also redacts every Python snippet); this module decides what to report and how severe. No value ever
reaches a message, snippet or fingerprint: findings carry the redacted line.
"""

from __future__ import annotations

import ast
import ipaddress
import re
from typing import Iterator

from .... import secrets
from ....links import is_claimed_env_secret
from ....codekind import is_test_path
from ....lang.python.dataflow import dataflow_of
from ....model import Severity
from ..context import PyContext
from ..registry import python_check
from ._taint import spec
from ._web import is_development_class, last_identifier, main_block_nodes, settings_module, settings_review
from ..deployment import BASE, DEPLOYED, development_reason
from ..secret_finder import (
    DOCUMENTATION_KINDS, GETTER_METHODS, PLACEHOLDER_WORDS, SECRET_NODES, Hit, ModuleSecrets, env_variable, hits, literal_text,
    name_of,
)

RULE_OF_CWE = {259: "PY202", 321: "PY204"}


def rule_for(match: secrets.SecretMatch) -> str:
    return RULE_OF_CWE.get(match.cwe, "PY203")


def redacted_line(ctx: PyContext, literal: ast.AST, value: str) -> str:
    """The literal's line with the literal itself replaced by "***" (and any other secret on it redacted)."""
    number = literal.lineno
    raw = ctx.file.line(number).encode("utf-8")
    start = literal.col_offset
    end = literal.end_col_offset if literal.end_lineno == number and literal.end_col_offset is not None else len(raw)
    line = raw[:start].decode("utf-8", "replace") + '"***"' + raw[end:].decode("utf-8", "replace")
    # The literal itself is gone; a value too short to be told from ordinary text (`"a"`, `"dev"`) is not searched
    # for elsewhere on the line, where it would mangle the code around it.
    return secrets.redact_line(line, *([value] if len(value) >= 4 else [])).strip()


HEADINGS = {
    "PY202": "Hard-coded password",
    "PY203": "Hard-coded credential",
    "PY204": "Hard-coded cryptographic key",
}


def _report_hits(node: ast.AST, ctx: PyContext) -> None:
    assert ctx.rule is not None
    for hit in hits(node, ctx):
        if rule_for(hit.match) != ctx.rule.id:
            continue
        if is_claimed_env_secret(ctx.scan.facts.claimed_env_literals, ctx.file.rel, hit.literal.lineno,
                                 ctx.location(hit.literal).column, hit.value):
            continue  # a CDK function's environment value: IAC101 reports it, with the handler's read
        judged = _severity(hit, ctx)
        if judged is None:
            continue
        severity, note = judged
        if ctx.rule.id == "PY202" and not hit.strength and (severity is None or severity > Severity.LOW) \
                and not note.startswith(REVIEW_NOTE) and not _chosen_password(_password_part(hit, ctx)) \
                and not _password_evidence(hit, ctx):
            severity, note = Severity.LOW, PASSWORD_EVIDENCE_NOTE
        where = f" as `{hit.name}`" if hit.name and not hit.name.startswith("the ") else \
            f" as {hit.name}" if hit.name else ""
        what = hit.match.description
        if hit.strength == "weak":
            what += " (short and guessable: low entropy makes it worse, not safer)"
        elif hit.strength == "placeholder":
            what += " that reads like a placeholder"
        message = (f"{HEADINGS[ctx.rule.id]}: {what} is written into the code{where}; "
                   f"anyone who can read the source or the deployed package can use it.{note}")
        snippet = redacted_line(ctx, hit.literal, hit.value)
        precision = "high" if hit.strength in ("real", "weak") or hit.match.confidence == "high" else "medium"
        ctx.report(hit.literal, message, snippet=snippet, code=f"{snippet}\0{hit.name}\0{hit.match.kind}",
                   severity=severity, precision="low" if note.startswith(REVIEW_NOTE) else precision,
                   evidence="review" if note.startswith(REVIEW_NOTE) else "",
                   properties={"secretKind": hit.match.kind, **({"secretSink": hit.origin} if hit.strength else {})})


def _severity(hit: Hit, ctx: PyContext) -> tuple[Severity | None, str] | None:
    """The severity policy for a hard-coded secret (None: not reported). See rules/python/secrets.yaml."""
    test_code = is_test_path(ctx.file.rel)
    if not hit.strength:  # judged by its shape under a secret-like name, or a known format
        name_based = hit.match.confidence != "high"
        if name_based and _named_as_test_data(hit):
            return Severity.LOW, TEST_DATA_NOTE
        if name_based and _self_test_value(hit, ctx):
            return Severity.LOW, (" It is the sample input of a self-test (the function asserts what comes back "
                                  "from it), not a credential the program uses.")
        if (name_based or hit.match.kind in DOCUMENTATION_KINDS) and test_code:
            return Severity.LOW, " (It is in test code.)"  # a test's own password for a test server: rarely a leak
        if name_based and _in_demo_block(hit.literal, ctx):
            return Severity.LOW, DEMO_BLOCK_NOTE
        if name_based and (note := _development_file(ctx)):
            return Severity.LOW, note
        review = _settings_review(hit, ctx) or _shipped_client_credential(hit, ctx)
        if review:
            return Severity.LOW, review
        if hit.match.kind in EMBEDDED_KINDS and (hit.origin == "fallback" or _getter_default(hit.literal, ctx)):
            return _embedded_fallback(hit)
        review = _default_login(hit, ctx)
        if review:
            return Severity.LOW, review
        if name_based and _unused_binding(hit, ctx):
            return Severity.LOW, UNUSED_NOTE
        if hit.origin == "compare" and _warns_about_it(hit, ctx):
            return Severity.LOW, (f"{REVIEW_NOTE}the code compares a setting with this value only to warn about it or "
                                  "refuse it (a known default the operator must change), which no login accepts.)")
        if name_based and rule_for(hit.match) == "PY203" and hit.origin != "compare" and _service_key_name(hit):
            return Severity.LOW, SERVICE_KEY_NOTE
        if name_based and rule_for(hit.match) == "PY202" and (hit.origin in ("default", "fallback", "compare")
                                                             or _or_fallback(hit, ctx)) \
                and not (_checks_a_login(hit, ctx) or _creates_a_login(hit, ctx)):
            return Severity.LOW, PASSWORD_NAME_NOTE
        return (Severity.MEDIUM if name_based else None), ""
    if hit.strength == "placeholder":
        if hit.origin == "fallback" or test_code or in_template_file(ctx.file.rel) or _named_as_placeholder(hit):
            # `os.environ.get("SECRET_KEY", "change-me")`, a settings template, `PLACEHOLDER_WIFI_PASSWORD =
            # "REPLACE_WITH_YOUR_WIFI_PASSWORD"`: a documented stand-in
            return None
        if hit.origin == "bind" and _named_as_test_data(hit):
            return Severity.LOW, TEST_DATA_NOTE
        review = _settings_review(hit, ctx)
        if review:
            return Severity.LOW, review
        if _unused_binding(hit, ctx):
            return Severity.LOW, UNUSED_NOTE
        if rule_for(hit.match) == "PY203":
            # `API_KEY = "YOUR_API_KEY_HERE"`: a stand-in for a key another service issues; until someone replaces it
            # the calls fail, and there is nothing to leak (a signing key or a password the program itself accepts
            # stays medium: anyone can use the stand-in)
            return Severity.LOW, (f"{REVIEW_NOTE}a stand-in for a credential another service issues: nothing to leak, "
                                  "and the calls fail until it is replaced; make sure it is read from configuration.)")
        return Severity.MEDIUM, " The application runs with this value unless something replaces it."
    if hit.origin == "fallback":
        # (a fallback in settings production does not run, or in a file whose path says development: OpenZaak's
        # `conf/dev.py` `os.environ.setdefault("SECRET_KEY", ...)`, SODAR's `settings/local.py` `env(..., default=)`)
        review = _settings_review(hit, ctx) or _development_file(ctx)
        if review:
            return Severity.LOW, review
        if hit.strength == "weak":
            return Severity.LOW, " It is the fallback used when the setting is missing: make the setting required."
        return Severity.MEDIUM, " It is the fallback used when the setting is missing."
    if test_code:
        return Severity.LOW, " (It is in test code.)"
    if _in_demo_block(hit.literal, ctx):
        return Severity.LOW, DEMO_BLOCK_NOTE
    if hit.match.confidence != "high" and (note := _development_file(ctx)) and _settings_review(hit, ctx) == "":
        return Severity.LOW, note  # (a known credential format is one wherever it is written)
    if hit.origin == "bind" and _named_as_test_data(hit):
        return Severity.LOW, TEST_DATA_NOTE
    review = _settings_review(hit, ctx)
    if review:
        return Severity.LOW, review
    config = _enclosing_class(hit.literal, ctx)
    if config and is_development_class(config):
        return Severity.LOW, f" (It is in the `{config}` configuration.)"
    review = _shipped_client_credential(hit, ctx) or _default_login(hit, ctx)
    if review:
        return Severity.LOW, review
    if _unused_binding(hit, ctx):
        return Severity.LOW, UNUSED_NOTE
    if hit.origin == "bind" and rule_for(hit.match) == "PY203" and _service_key_name(hit):
        return Severity.LOW, SERVICE_KEY_NOTE  # `TVDB_API_KEY = "..."` sent in a request: a constant by its name only
    return None, ""


# PY203 by its name alone: a key another service issues, in no format that says it is secret. Of 158 such findings
# judged in seven independent samples of real projects (docs/accuracy.md §3d-§3j) none was a live secret: most were
# the keys an application identifies itself with (TheTVDB, TMDB, Trakt, a Twitter consumer, PostHog's public project
# key), shipped to every user. Formats that are secret by definition (AWS, Stripe live, GitHub, Slack, SendGrid,
# OpenAI, ...: secrets.KNOWN_FORMATS) and keys at a known sink (`stripe.api_key = "..."`) keep the gate.
SERVICE_KEY_NOTE = (" (Review: only its name says it is a secret, and no provider's format or known secret sink says "
                    "so; such a key often identifies an application to a service (an installed program's API key, a "
                    "public analytics key) rather than granting access. Make sure it is not a live secret of an "
                    "account, and read it from configuration if it is.)")


# PY202 by its name alone, as a parameter's default, the fallback of a read (`x or "..."`, `.get(k, "...")`) or one
# side of a comparison: it reaches no known secret sink (a database, mail or file-server client's password, a login
# call, a connection's settings, a framework's setting: those keep their severity). Of 63 medium name-only PY202
# findings judged in ten independent samples of real projects (docs/accuracy.md §3d-§3m) three were true, each a
# product's published default login; what remains at medium after this (a literal bound where the module uses it
# as a credential) is the smaller part. The rest were client defaults of another service (anonymous FTP, a
# container's documented password), sentinels, hashes of a default compared to ask for a change and values that
# are no password at all. Bandit reports the class (B105-B107) at low severity. A request's credential compared with
# the literal is a login the code accepts, and an account the program creates with it is a login anyone has: both
# keep the gate.
PASSWORD_NAME_NOTE = (" (Review: only its name says it is a password, and it reaches no client, login or setting "
                      "known to take one; such a literal is most often a default of another service, a sentinel or "
                      "development data. Make sure no deployment runs with it, and read it from configuration if "
                      "one does.)")


def _checks_a_login(hit: Hit, ctx: PyContext) -> bool:
    """`if request.form["password"] == "...":` (or a handler's parameter holding the request), `return
    user.password == "..."`, `if password == "...": return True`: the literal is a password the code itself
    accepts."""
    if hit.origin != "compare":
        return False
    parents = ctx.module.parents()
    compare = parents.get(id(hit.literal))
    if not isinstance(compare, ast.Compare):
        return False
    if any(_request_data(side, ctx) for side in (compare.left, *compare.comparators) if side is not hit.literal):
        return True
    if not isinstance(compare.ops[0], ast.Eq):
        return False
    owner = parents.get(id(compare))
    if isinstance(owner, ast.Return):
        return True  # `return user.password == "..."`: a check's verdict, what a login asks
    return isinstance(owner, ast.If) and owner.test is compare and any(_grants(stmt) for stmt in owner.body[:2])


def _or_fallback(hit: Hit, ctx: PyContext) -> bool:
    """`password = self.password or "..."`, `url.password if url.password else "..."`: the literal is what is used
    when nothing set one."""
    owner = ctx.module.parents().get(id(hit.literal))
    return (isinstance(owner, ast.BoolOp) and isinstance(owner.op, ast.Or) and owner.values[-1] is hit.literal) \
        or (isinstance(owner, ast.IfExp) and owner.orelse is hit.literal)


GRANT_WORDS = ("login", "log_in", "authenticate", "authorize", "grant", "admin", "allow")


def _grants(stmt: ast.stmt) -> bool:
    """`return True` or a call that logs someone in (`login_as_admin()`, `grant_access(...)`)."""
    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant) and stmt.value.value is True:
        return True
    value = stmt.value if isinstance(stmt, (ast.Return, ast.Expr, ast.Assign)) else None
    return isinstance(value, ast.Call) and any(word in (name_of(value.func) or "").lower() for word in GRANT_WORDS)


# PY202 by evidence (session 15). Of 150 hard-coded passwords judged at the gate tier in fifteen independent samples
# of real projects (docs/accuracy.md §3d-§3r), 6 were true, every one a login of the product itself that anyone who
# reads the code has: a default administrator the program creates (django-crm, adminset, langflow's default superuser
# constant), a default password its own server accepts (buildbot, synapse's manhole, gns3). The rest were the
# passwords of development and compose databases, other services' documented defaults (RabbitMQ's guest, a
# jailbroken device's root), example and seed scripts, and text that is no password. A password keeps its severity
# where the code shows it is such a login: compared with a request's credential or granting access, given to an
# account the program creates (directly or through the name that holds it), named as a default administrator's
# password, or sent to log into a host the code writes out that is on the internet. This applies to a literal known
# as a password by its name alone that reads as no chosen password (a word, a
# default: `postgres`, `guest`, `admin`; of the judged false ones almost all); a chosen-looking one keeps the policy
# of the checks above, and one given to a known password sink (a database or mail client's `password=`, a
# framework's setting) keeps the severity issue 13 asks for, weak or not, and so does a placeholder the deployed
# code runs with (`DB_PASSWORD = "changeme"` outside a template).
PASSWORD_EVIDENCE_NOTE = (" (Review: nothing here shows it is a login of this application (an account the program "
                          "creates, a password its login accepts, a default administrator's password) or a login to "
                          "a host on the internet: most such literals are development or container defaults, other "
                          "services' documented passwords or seed data. Make sure no deployment runs with it, and "
                          "read it from configuration if one does.)")
ADMIN_WORDS = frozenset({"admin", "administrator", "superuser", "root", "su"})


def _password_evidence(hit: Hit, ctx: PyContext) -> bool:
    """Whether the code shows the literal password is a login of this application or of a host on the internet
    (see PASSWORD_EVIDENCE_NOTE)."""
    if hit.match.kind in ("url-credentials", "connection-string-password"):
        text = ctx.const(hit.literal)
        found = re.search(r"(?:^|;)\s*(?:server|host|data source|address)\s*=\s*([^;,]+)", text, re.I) \
            if isinstance(text, str) and "://" not in text else None
        return isinstance(text, str) and _public_host(found.group(1) if found else text)
    if _checks_a_login(hit, ctx) or _account_call(hit.literal, ctx):
        return True
    if _default_admin_name(hit):
        return True
    for use in _uses_of_binding(hit, ctx):
        if _account_call(use, ctx) or _public_login(use, ctx):
            return True
    return _public_login(hit.literal, ctx)


def _password_part(hit: Hit, ctx: PyContext) -> str:
    """The password itself: the user-info's of a URL (`redis://cache:PW@cache/0`), a connection string's `Password=`,
    else the literal's value."""
    text = ctx.const(hit.literal)
    if not isinstance(text, str):
        return hit.value
    if hit.match.kind == "url-credentials":
        found = _USERINFO_PASSWORD.search(text)
        return found.group(1) if found else hit.value
    if hit.match.kind == "connection-string-password":
        found = re.search(r"(?:password|pwd)\s*=\s*([^;]+)", text, re.I) or _USERINFO_PASSWORD.search(text)
        return found.group(1) if found else hit.value
    return hit.value


_USERINFO_PASSWORD = re.compile(r"://[^/@:]*:([^/@]*)@")  # the password of a URL's `user:password@`


def _chosen_password(value: str) -> bool:
    """A password someone chose rather than a default or a word: eight characters or more of at least three kinds
    (lower, upper, digits, symbols), not one repeated pattern (`Sw0rd-8kQ2`, not `postgres`, `guest`, `admin123`)."""
    kinds = sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
                 any(not c.isalnum() for c in value)))
    return len(value) >= 8 and kinds >= 3 and secrets.entropy(value) >= 2.5


def _default_admin_name(hit: Hit) -> bool:
    """`DEFAULT_SUPERUSER_PASSWORD`, `default_admin_password`: named as the password of the product's default
    administrator (langflow's published default superuser)."""
    words = set(secrets.split_words(hit.name or ""))
    return bool(words & ADMIN_WORDS) and "default" in words and bool(words & secrets.PASSWORD_WORDS)


def _uses_of_binding(hit: Hit, ctx: PyContext) -> list[ast.AST]:
    """Where the name the literal is bound to (`PASSWORD = "..."`, `self.password = "..."`) is read in this module."""
    if hit.origin != "bind" or not hit.name or not hit.name.replace("_", "").isalnum() \
            or not isinstance(ctx.module.parents().get(id(hit.literal)), (ast.Assign, ast.AnnAssign)):
        return []  # (a mapping's entry, `{"password": "..."}`, is no name a later read refers to)
    return [n for n in ctx.module.walk() if (isinstance(n, ast.Name) and n.id == hit.name and isinstance(n.ctx, ast.Load))
            or (isinstance(n, ast.Attribute) and n.attr == hit.name and isinstance(n.ctx, ast.Load))][:50]


_HOST_KEYWORDS = frozenset({"host", "hostname", "server", "url", "uri", "endpoint", "address", "base_url"})


def _public_login(node: ast.AST, ctx: PyContext) -> bool:
    """`client.connect(host=HOST, username=USER, password=PASSWORD)` with `HOST = "acme-trading.com"`: the value is
    the password (or `auth=`) argument of a call whose host or URL the code writes out and is a public name."""
    parents = ctx.module.parents()
    owner = parents.get(id(node))
    if isinstance(owner, ast.Tuple):  # auth=(user, password)
        owner = parents.get(id(owner))
    if not isinstance(owner, ast.keyword) or not owner.arg or \
            not (set(secrets.split_words(owner.arg)) & (secrets.PASSWORD_WORDS | {"auth"})):
        return False
    call = parents.get(id(owner))
    if not isinstance(call, ast.Call):
        return False
    candidates = [kw.value for kw in call.keywords if kw.arg in _HOST_KEYWORDS] + call.args[:1]
    for value in candidates:
        if isinstance(value, ast.Name):
            value = ctx.resolve(value) or value
        text = ctx.const(value)
        if isinstance(text, str) and _public_host(text):
            return True
    return False


def _public_host(text: str) -> bool:
    """A host name (or a URL's) that is on the internet: dotted, not an IP of a private or local network, not
    localhost, not a documentation name."""
    host = text.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].rsplit(":", 1)[0].strip("[]").lower()
    if "." not in host or host.endswith((".local", ".internal", ".lan", ".localhost", ".test", ".example", ".invalid")) \
            or host.split(".")[-2:] in (["example", "com"], ["example", "org"], ["example", "net"]):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        return all(label and label.replace("-", "").isalnum() and label.isascii() for label in labels) \
            and labels[-1].isalpha() and len(labels[-1]) >= 2
    return ip.is_global


ACCOUNT_CALLS = frozenset({"create_user", "create_superuser", "create_admin", "create_account", "add_user",
                           "add_account", "set_password", "register_user", "createuser", "adduser"})


def _creates_a_login(hit: Hit, ctx: PyContext) -> bool:
    """`User.objects.create_superuser("admin", password="...")`, `db.users.create({"password": "..."})`: the literal
    becomes the password of an account the program makes, a login anyone who reads the code has (the published
    default admin passwords of §3d-§3k were this)."""
    return _account_call(hit.literal, ctx)


def _account_call(node: ast.AST, ctx: PyContext) -> bool:
    """`node` is an argument (or a dict entry of one) of a call that makes an account or sets its password."""
    parents = ctx.module.parents()
    owner = parents.get(id(node))
    while isinstance(owner, (ast.Dict, ast.keyword)):  # `create({"password": ...})`, `create(password=...)`
        owner = parents.get(id(owner))
    if not isinstance(owner, ast.Call) or not isinstance(owner.func, (ast.Attribute, ast.Name)):
        return False
    raw = name_of(owner.func) or ""
    callee = raw.lower()
    final = callee.rsplit(".", 1)[-1]
    if final in ACCOUNT_CALLS:
        return True
    receiver = callee.rsplit(".", 2)[-2] if callee.count(".") else ""
    if final in ("create", "insert", "insert_one", "add") and any(
            word in receiver for word in ("user", "account", "admin", "member")):
        return True
    # `UserCreate(email=..., password=..., is_superuser=True)` (a FastAPI-Users schema handed to the user manager's
    # `create`: MediaManager's first superuser), `AccountCreate(...)`, `NewAdmin(...)`: named for making an account
    words = set(secrets.split_words(raw.rsplit(".", 1)[-1]))
    return bool(words & ACCOUNT_WORDS) and bool(words & CREATE_WORDS) or any(
        kw.arg in ("is_superuser", "is_admin", "is_staff") for kw in owner.keywords)


ACCOUNT_WORDS = frozenset({"user", "account", "admin", "superuser", "member", "login"})
CREATE_WORDS = frozenset({"create", "new", "add", "register", "signup", "insert", "make"})


def _service_key_name(hit: Hit) -> bool:
    """A name that calls the literal a key or token a service issues to the program (`api_key`, `TVDB_API_KEY`,
    `token`, `client_secret`, `consumer_secret`), not one that says it is the secret half of an account's
    credential or a secret the program verifies with (`aws_secret_access_key`, `STRIPE_SECRET_KEY`,
    `webhook_secret`)."""
    words = set(secrets.split_words((hit.name or "").rsplit(".", 1)[-1]))
    if not words & {"secret", "private", "signing"}:
        return True
    return bool(words & (_CLIENT_WORDS | _APP_WORDS))


UNUSED_NOTE = (" (Review: the code binds it to a secret-like name, but this module never hands it to anything that "
               "takes a credential (a client's password or key argument, a login, a signer, a framework's secret "
               "setting): make sure it is not a live credential.)")
# Settings a web framework or one of its common extensions reads as a credential or signing key: binding a literal
# to one of these in a settings module or configuration class is using it (Django, Flask, Flask-Mail,
# Flask-JWT-Extended, Flask-WTF, django-storages, python-social-auth's SOCIAL_AUTH_*_SECRET).
FRAMEWORK_SECRET_SETTINGS = frozenset({"SECRET_KEY", "JWT_SECRET_KEY", "EMAIL_HOST_PASSWORD", "MAIL_PASSWORD",
                                       "WTF_CSRF_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "SECURITY_PASSWORD_SALT"})
# Keys that sit beside a password in a service's connection settings (Django's DATABASES entries, a driver's
# keyword mapping): the password of such a mapping is what the program logs in with.
CONNECTION_KEYS = frozenset({"host", "hostname", "server", "engine", "port", "dsn", "url", "address", "endpoint"})


def _unused_binding(hit: Hit, ctx: PyContext) -> bool:
    """A literal merely bound to a secret-like name (an assignment or a mapping's entry, not an argument of a call)
    that nothing in its module uses as a credential: no call that takes a key or a password receives the name (or
    the mapping holding it), it is no framework's secret setting, and the mapping is no connection's settings. Such a
    finding is a review one (README "Severity follows evidence"): across four independent samples of real projects,
    such bindings were a constant naming a field, a sentinel, test or demonstration data far more often than a live
    credential; a literal handed to a client, a login, a signer or a framework's secret setting keeps its severity."""
    if hit.origin != "bind" or not hit.name:
        return False
    parents = ctx.module.parents()
    holder = parents.get(id(hit.literal))
    if not isinstance(holder, (ast.Assign, ast.AnnAssign, ast.Dict)):
        return False  # a keyword argument or a login call's argument: handed to the API that takes it
    final = hit.name.rsplit(".", 1)[-1]
    if final.lower() == "secret_key" or final.upper() in FRAMEWORK_SECRET_SETTINGS \
            or re.fullmatch(r"SOCIAL_AUTH_\w+_SECRET", final.upper()):
        return False
    module = settings_module(ctx)
    if module is not None and module.role in (DEPLOYED, BASE) and ctx.function is None and final.isupper():
        return False  # a setting of the settings production runs: the application reads it by its name
    config = _class_around(holder, parents)
    if config and config.endswith(("Config", "Settings", "Configuration")) and final.isupper():
        return False  # a configuration class's setting (`app.config.from_object(ProductionConfig)` reads it by name)
    used = ctx.module.derived(ModuleSecrets).credential_names(ctx)
    if final in used:
        return False
    if any(_account_call(use, ctx) for use in _uses_of_binding(hit, ctx)) or _default_admin_name(hit):
        # `create_superuser("admin", email, BOOTSTRAP_PASS)`: the password of an account it makes;
        # `DEFAULT_SUPERUSER_PASSWORD = "..."`: a product's default administrator, read wherever it is set up
        return False
    if isinstance(holder, ast.Dict):
        keys = {k.value.lower() for k in holder.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if keys & CONNECTION_KEYS:
            return False
        owner = parents.get(id(holder))
        while isinstance(owner, ast.Dict):  # DATABASES = {"default": {...}}: the outermost mapping's name
            holder, owner = owner, parents.get(id(owner))
        targets = owner.targets if isinstance(owner, ast.Assign) else [owner.target] \
            if isinstance(owner, ast.AnnAssign) else []
        if any(name_of(t) and name_of(t).rsplit(".", 1)[-1] in used for t in targets):
            return False
        if isinstance(owner, ast.keyword) or isinstance(owner, ast.Call):
            return False  # a mapping handed straight to a call: connect(**{"password": ...}), Client({...})
    return True


WARNING_CALLS = frozenset({"append", "warn", "warning", "error", "critical", "exception", "info", "debug", "log",
                           "print", "echo", "secho", "add", "extend",
                           "exit", "abort", "quit", "fail"})  # (refusing to start, as a `raise` does: Cowrie)


def _warns_about_it(hit: Hit, ctx: PyContext) -> bool:
    """`if default_pass == "...": status.append("change the default password")`: the `if` comparing a setting with
    the literal only records, logs or prints a warning, or raises (refuses to start), in the branch where they are
    equal; nothing there logs anyone in. Also where they differ (`if self.password != "Deprecated":
    log.warning(...)`, bugwarrior: the literal is the option's unset sentinel, and setting it only draws a warning)."""
    parents = ctx.module.parents()
    node: ast.AST | None = hit.literal
    while node is not None and not isinstance(node, ast.If):
        node = parents.get(id(node))
        if isinstance(node, (ast.stmt,)) and not isinstance(node, ast.If):
            return False
    if not isinstance(node, ast.If) or not node.body:
        return False
    compare = parents.get(id(hit.literal))
    if not (isinstance(compare, ast.Compare) and isinstance(compare.ops[0], (ast.Eq, ast.NotEq))):
        return False
    for stmt in node.body:
        if isinstance(stmt, ast.Raise):
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in WARNING_CALLS:
            return False
    return True


def _class_around(node: ast.AST, parents) -> str | None:
    """The name of the class whose body (also inside an `if`/`try` there) holds `node`; None inside a function."""
    while node is not None:
        node = parents.get(id(node))
        if isinstance(node, ast.ClassDef):
            return node.name
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return None
    return None


EMBEDDED_KINDS = frozenset({"url-credentials", "connection-string-password"})
FALLBACK_NOTE = " It is the fallback used when the setting is missing"


def _getter_default(literal: ast.AST, ctx: PyContext) -> bool:
    """`literal` is the default of a setting read: `os.environ.get("DB_URI", literal)`, `os.getenv("X", literal)`,
    `config.get("database_url", literal)`."""
    call = ctx.module.parents().get(id(literal))
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in GETTER_METHODS \
        and len(call.args) >= 2 and call.args[1] is literal and literal_text(call.args[0]) is not None


def _embedded_fallback(hit: Hit) -> tuple[Severity, str]:
    """A URL or connection string with a password as the literal default of a setting read
    (`os.environ.get("DB_URI", "postgresql://postgres:postgres@db/postgres")`), judged as the fallback policy judges
    a bare password there: a known default (the user name again, a plain word: a database image's own defaults) is
    low, as a weak fallback is; a password that looks chosen is medium."""
    pairs = secrets.embedded_passwords(hit.value)
    if pairs and all(password == user or re.fullmatch(r"[A-Za-z]+", password) or PLACEHOLDER_WORDS.search(password)
                     for user, password in pairs):
        return Severity.LOW, (f"{FALLBACK_NOTE}, and its password is a well-known default (the user name again or a "
                              "plain word, as a database image's defaults): make the setting required.")
    return Severity.MEDIUM, f"{FALLBACK_NOTE}."


# Words that name a program's own credential with a service (an OAuth client, an API key it sends), as opposed to
# a user's password, a signing key or a token of an account.
_CLIENT_WORDS = frozenset({"client", "consumer"})
_APP_WORDS = frozenset({"api", "app", "application"})
_APP_CREDENTIAL_WORDS = frozenset({"key", "secret", "id"})


def _shipped_client_credential(hit: Hit, ctx: PyContext) -> str:
    """A review note when the literal is a client credential of a program its users install (Facts.
    distributed_program): an OAuth client id or secret, a consumer key, an API key named as the program's (or a
    Google API key, made to be embedded and restricted by the provider); "" otherwise. Every user's copy holds it,
    so it identifies the program rather than guarding anything (RFC 8252, section 8.5)."""
    program = ctx.scan.facts.distributed_program
    if not program:
        return ""
    words = set(secrets.split_words((hit.name or "").rsplit(".", 1)[-1]))
    client = bool(words & _CLIENT_WORDS) or (bool(words & _APP_WORDS) and bool(words & _APP_CREDENTIAL_WORDS))
    if not (client or hit.match.kind == "google-api-key") or words & {"password", "passwd", "private", "signing"}:
        return ""
    return (f"{REVIEW_NOTE}{program}: a client credential it carries is in every user's copy and identifies the "
            "program to the service rather than protecting anything (RFC 8252, section 8.5); make sure it is not "
            "a personal or a server's key.)")


# Keys and keyword arguments that name a login's user and its server, beside a password.
_USER_KEYS = frozenset({"user", "username", "login", "user_name", "userid", "user_id"})
_HOST_KEYS = frozenset({"host", "hostname", "server", "address"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"})


def _default_login(hit: Hit, ctx: PyContext) -> str:
    """A review note when the password is the login's user name again (`askbot`/`askbot`, `guest`/`guest`) for a
    server on the loopback host or under a one-word name (a docker-compose service: `db`, `postgres`), else "".
    That is a development or container default (the compose file starts the database with it, RabbitMQ accepts
    guest only from the machine itself): nothing a reader of the code gains beyond what the same network gives."""
    logins = secrets.url_logins(hit.value)
    parent = ctx.module.parents().get(id(hit.literal))
    fields: dict[str, object] = {}
    if isinstance(parent, ast.Dict):  # {"USER": "askbot", "PASSWORD": "askbot", "HOST": "postgres"}
        fields = {k.value.lower(): ctx.const(v) for k, v in zip(parent.keys, parent.values)
                  if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        fields.setdefault("host", "localhost")  # Django's default for an entry without HOST
    elif isinstance(parent, ast.keyword) and isinstance(ctx.module.parents().get(id(parent)), ast.Call):
        call = ctx.module.parents()[id(parent)]
        fields = {k.arg.lower(): ctx.const(k.value) for k in call.keywords if k.arg}  # type: ignore[attr-defined]
    elif isinstance(parent, ast.Tuple) and len(parent.elts) == 2 and parent.elts[1] is hit.literal:
        call = ctx.module.parents().get(id(ctx.module.parents().get(id(parent))))
        if isinstance(call, ast.Call) and call.args:  # requests.get("http://localhost:15672/...", auth=("guest", "guest"))
            url = ctx.const(call.args[0])
            host = secrets.url_host(url) if isinstance(url, str) else None
            fields = {"user": ctx.const(parent.elts[0]), "host": host}
    if fields:
        user = next((fields[k] for k in _USER_KEYS if k in fields), None)
        host = next((fields[k] for k in _HOST_KEYS if k in fields), None)
        if isinstance(user, str) and isinstance(host, str):
            logins.append((user, hit.value, host.lower()))
    for user, password, host in logins:
        loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")
        if not (loopback or ("." not in host and ":" not in host and host.isidentifier())):
            continue
        where = "the loopback host" if loopback else f"the service `{host}`"
        if user and password.lower() == user.lower():
            return (f"{REVIEW_NOTE}the password is the user name again, for a server on {where}: a development or "
                    "container default (a docker-compose service, a local broker) that only its own network reaches; "
                    "make sure no deployed server keeps it.)")
        if _WORD_LIKE.fullmatch(password):
            return (f"{REVIEW_NOTE}a word-like password for a server on {where}, which only the same machine or its "
                    "container network reaches: a development or container default (the compose file or the local "
                    "install sets the server up with it) more often than a deployed secret; make sure no deployed "
                    "server keeps it.)")
    return ""


# A password that reads as a word (`postgres`, `mediacms`, `Admin`, `secret123`), not as one chosen or generated
# (`Zt7fQ9pLm2`, mixed case, symbols): for a local server, such a value is the install's or the compose file's default.
_WORD_LIKE = re.compile(r"[A-Za-z]?[a-z]+(?:[_.-]?[a-z]+)*\d{0,4}")


# A library module's `if __name__ == "__main__":` block: what runs when a developer starts the file by hand to try it
# (opsmanage's ssh_tools.py: placeholder hosts and a sample password), never when the program imports the module.
DEMO_BLOCK_NOTE = (" (Review: it is in the `if __name__ == \"__main__\":` block of a module that defines the code "
                   "the program imports, which runs only when someone starts this file by hand to try it: "
                   "demonstration data, unless a deployment runs the file as its program.)")


def _development_file(ctx: PyContext) -> str:
    """The review note of a secret in a file whose path says development, local use, CI, docs or examples
    (`development/localsettings.template.py`, `scripts/seed_localdev.py`: deployment.development_reason), else ""."""
    purpose = development_reason(ctx.file.rel)
    if not purpose and (said := _test_data_command(ctx)):
        return (f"{REVIEW_NOTE}it is in a management command that says it is for tests or demonstrations (\"{said}\"): "
                "a development or sample value; make sure no deployment uses it.)")
    return (f"{REVIEW_NOTE}it is in a file whose path says it is for {purpose}: a development or sample value; make "
            "sure no deployment uses it.)") if purpose else ""


TEST_DATA_WORDS = frozenset({"test", "tests", "testing", "demo", "demonstration", "development", "fake", "dummy",
                             "sample", "fixture", "fixtures"})


def _test_data_command(ctx: PyContext) -> str:
    """The `help` of a Django management command that says it is for tests or demonstrations ("Generates a database
    suitable for mailroom testing": RapidPro's `mailroom_db`), else ""."""
    if "/management/commands/" not in "/" + ctx.file.rel:
        return ""
    for node in ctx.module.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Command":
            for item in node.body:
                if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "help" for t in item.targets):
                    text = ctx.const(item.value)
                    if isinstance(text, str) and set(secrets.split_words(text.lower())) & TEST_DATA_WORDS:
                        return text[:80]
    return ""


def _in_demo_block(node: ast.AST, ctx: PyContext) -> bool:
    """`node` sits in a module-level `if __name__ == "__main__":` block, and the module also defines functions or
    classes (a library module with a demonstration; a script whose whole program is the block is not one)."""
    return id(node) in main_block_nodes(ctx) and any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for s in ctx.module.tree.body)


TEST_DATA_NOTE = " It is named as test data (a test account's password): make sure no deployed account uses it."


def _named_as_test_data(hit: Hit) -> bool:
    """`TEST_USER_PASSWORD`, `test_password`: a name whose first word says it is test data."""
    return bool(hit.name) and secrets.split_words((hit.name or "").rsplit(".", 1)[-1])[:1] in (["test"], ["testing"])


def _named_as_placeholder(hit: Hit) -> bool:
    """`PLACEHOLDER_WIFI_PASSWORD`, `EXAMPLE_API_KEY`: a name whose first word says the value stands in for one."""
    words = secrets.split_words((hit.name or "").rsplit(".", 1)[-1])
    return bool(words) and words[0] in ("placeholder", "example", "sample", "dummy", "fake")


REVIEW_NOTE = " (Review: "


def _settings_review(hit: Hit, ctx: PyContext) -> str:
    """The review note of a secret a module-level setting holds in settings production does not run (development,
    CI or example settings, base settings the deployed module sets again: python/deployment.py), else ""."""
    name = (hit.name or "").rsplit(".", 1)[-1]
    if ctx.function is not None or not name.isupper():
        return ""
    review = settings_review(ctx, name)
    return f"{REVIEW_NOTE}{review}.)" if review else ""


def _self_test_value(hit: Hit, ctx: PyContext) -> bool:
    """`password = "..."` in a function that then asserts on that variable (`assert text == password`): the sample
    input of a built-in encrypt/decrypt self-test."""
    parent = ctx.module.parents().get(id(hit.literal))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    scope = ctx.function
    if scope is None:  # a module-level block (`if __name__ == "__main__":`): the top-level statement around it
        parents = ctx.module.parents()
        scope = parent
        while not isinstance(parents.get(id(scope)), ast.Module) and parents.get(id(scope)) is not None:
            scope = parents[id(scope)]
        if scope is parent:
            return False
    return any(isinstance(n, ast.Assert) and any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n.test))
               for n in ast.walk(scope))


def _enclosing_class(node: ast.AST, ctx: PyContext) -> str | None:
    """The class whose body binds `node` (class-style settings: `class DevelopmentConfig: SECRET_KEY = "dev"`)."""
    return ctx.module.derived(ModuleSecrets).class_of_line.get(getattr(node, "lineno", 0))


def in_template_file(path: str) -> bool:
    """Settings templates and examples: `settings.example.py`, `config_sample.py`, `examples/`, `docs/`."""
    parts = path.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return (any(p in ("example", "examples", "sample", "samples", "template", "templates", "docs", "doc",
                      "skeleton", "scaffold", "boilerplate") for p in parts[:-1])
            or re.search(r"example|sample|template|\bdist\b|\.dist|_dist|skel", stem) is not None)


python_check("PY202", *SECRET_NODES, gate=hits)(_report_hits)  # (hits: the same for the three rules, and a node
python_check("PY203", *SECRET_NODES, gate=hits)(_report_hits)  # without one is not reported: asked once per node,
python_check("PY204", *SECRET_NODES, gate=hits)(_report_hits)  # most nodes are not handed to the three checks)


# --- PY201: secrets read from environment variables ---------------------------------------------------------------
@python_check("PY201", ast.Subscript, ast.Call, raise_in_handler=True)
def secret_from_environment(node: ast.AST, ctx: PyContext) -> None:
    variable = env_variable(node, ctx)
    if variable is None or not secrets.is_secret_name(variable):
        return
    defined = ctx.scan.facts.env_definitions.get(ctx.file.rel, {})
    if variable in defined:
        return  # the template rule reports the plaintext definition once, with this read as related location
    if _presence_test(node, ctx):
        return  # `if not os.environ["API_KEY"]: raise ...`: whether it is set, the value goes nowhere
    ctx.report(node, f"Secret in an environment variable: `{variable}` is read from the process "
                     f"environment, where anyone who can read the function's configuration or exploit the code "
                     f"can take it; fetch it from a secrets manager instead.",
               properties={"environmentVariable": variable})


def _presence_test(node: ast.AST, ctx: PyContext) -> bool:
    """The read only asks whether the variable is set: the operand of `not`, the whole test of an `if`/`while`/
    `assert` (also through `and`/`or`), or compared with None (Discovering Hot Topics' `check_env_setup`)."""
    parents = ctx.module.parents()
    child, parent = node, parents.get(id(node))
    while isinstance(parent, (ast.UnaryOp, ast.BoolOp)) and (not isinstance(parent, ast.UnaryOp)
                                                              or isinstance(parent.op, ast.Not)):
        child, parent = parent, parents.get(id(parent))
    if isinstance(parent, (ast.If, ast.While, ast.Assert, ast.IfExp)) and parent.test is child:
        return True
    return isinstance(parent, ast.Compare) and len(parent.ops) == 1 and isinstance(parent.ops[0], (ast.Is, ast.IsNot)) \
        and any(isinstance(c, ast.Constant) and c.value is None for c in [parent.left, *parent.comparators])


# --- PY205: secrets written to logs -------------------------------------------------------------------------------
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
LOGGER_FACTORIES = {"getLogger", "get_logger", "getChild", "bind", "new", "opt", "LoggerAdapter"}
NOT_LOGGED_KEYWORDS = {"exc_info", "stack_info", "stacklevel", "level", "lvl"}
# Calls that keep the secret out of the text (hashing, masking, measuring).
TRANSPARENT_CALLS = {"str", "repr", "format", "f"}


def _is_logger(func: ast.AST, ctx: PyContext) -> bool:
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    qualname = ctx.qualname(func) or ""
    if qualname.startswith(("logging.", "structlog.", "loguru.logger.")):
        return True
    bound = ctx.resolve(func.value)  # audit = structlog.get_logger(); audit.info(...)
    if isinstance(bound, ast.Call) and (ctx.call_name(bound) or "").rsplit(".", 1)[-1] in LOGGER_FACTORIES:
        return True
    receiver = name_of(func.value) or (func.value.func.attr if isinstance(func.value, ast.Call)
                                       and isinstance(func.value.func, ast.Attribute) else "")
    words = secrets.split_words(receiver or "")
    return bool(words) and (words[-1] in ("log", "logging", "structlog") or words[-1].endswith("logger"))


def _abbreviation(bound: ast.AST | None, ctx: PyContext, depth: int) -> bool:
    """A value built from slices of a secret and nothing of it whole (`token[:5] + "..." + token[-5:]`), or one
    slice of it (`old_token = user.auth_token.key[-6:]`, ColdFront: the last characters, to tell tokens apart)."""
    if isinstance(bound, ast.Subscript) and isinstance(bound.slice, ast.Slice):
        return True
    if not isinstance(bound, (ast.BinOp, ast.JoinedStr)):
        return False
    sliced = any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) for n in ast.walk(bound))
    return sliced and not any(True for _ in _secret_refs(bound, ctx, depth + 1))


def _secret_refs(expr: ast.AST, ctx: PyContext, depth: int = 0) -> Iterator[tuple[ast.AST, str]]:
    """Secret-like variables, attributes and subscripts whose value ends up in the text of `expr`."""
    if depth > 60:
        return  # nested thousands deep: generated code; the recursion limit is not ours to test
    if isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript)):
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            return  # token[:4]: a prefix, logged on purpose to tell tokens apart
        name = name_of(expr)
        kind = secrets.name_kind(name) if name else None
        if kind and isinstance(expr, ast.Name) and _abbreviation(ctx.resolve(expr), ctx, depth):
            return  # short_token = token[:5] + "..." + token[-5:]: pieces of the secret, not the secret
        if kind and kind != "connection" and not (isinstance(expr, ast.Name) and (
                _used_as_number(ctx, expr.id) or _numeric(ctx, ctx.resolve(expr)))) \
                and not (isinstance(expr, ast.Attribute) and _used_as_number(ctx, ast.unparse(expr))) \
                and ast.unparse(expr) not in _opened_paths(ctx):
            yield expr, name  # type: ignore[misc]
        return
    if isinstance(expr, ast.JoinedStr):
        for v in expr.values:
            if isinstance(v, ast.FormattedValue):
                yield from _secret_refs(v.value, ctx, depth + 1)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        operands = [expr.right]
        left = expr.left  # a + b + c nests to the left: walk that spine without recursion
        while isinstance(left, ast.BinOp) and isinstance(left.op, (ast.Add, ast.Mod)):
            operands.append(left.right)
            left = left.left
        operands.append(left)
        for operand in reversed(operands):
            yield from _secret_refs(operand, ctx, depth + 1)
    elif isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        for e in expr.elts:
            yield from _secret_refs(e, ctx, depth + 1)
    elif isinstance(expr, ast.Dict):
        for k, v in zip(expr.keys, expr.values):
            key = literal_text(k)
            if key is not None and secrets.name_kind(key) not in (None, "connection") and literal_text(v) is None \
                    and not (isinstance(v, ast.Constant)):
                yield v, key
            else:
                yield from _secret_refs(v, ctx, depth + 1)
    elif isinstance(expr, ast.BoolOp):
        for v in expr.values:
            yield from _secret_refs(v, ctx, depth + 1)
    elif isinstance(expr, ast.IfExp):
        yield from _secret_refs(expr.body, ctx, depth + 1)
        yield from _secret_refs(expr.orelse, ctx, depth + 1)
    elif isinstance(expr, ast.Starred):
        yield from _secret_refs(expr.value, ctx, depth + 1)
    elif isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id in TRANSPARENT_CALLS and func.id not in ctx.names.defined:
            for a in expr.args:
                yield from _secret_refs(a, ctx, depth + 1)
        elif isinstance(func, ast.Attribute) and func.attr == "format":
            for a in expr.args:
                yield from _secret_refs(a, ctx, depth + 1)
            for kw in expr.keywords:
                yield from _secret_refs(kw.value, ctx, depth + 1)
        elif isinstance(func, ast.Attribute) and func.attr == "get" and expr.args:
            key = literal_text(expr.args[0])  # request.json.get("password")
            if key is not None and secrets.name_kind(key) not in (None, "connection"):
                yield expr, key


PATH_CALLS = frozenset({"open", "io.open", "pathlib.Path", "os.path.exists", "os.path.isfile", "os.stat",
                        "ssl.SSLContext.load_cert_chain"})


def _opened_paths(ctx: PyContext) -> set[str]:
    """Expressions the module opens as files (`open(self.ssl_client_key, "rb")`, `Path(key_file)`): a name like
    `ssl_client_key` then holds the key file's path, which a log may show."""
    memo = ctx.memo.setdefault("PY205-opened-paths", {})
    if "paths" not in memo:
        found: set[str] = set()
        for node in ctx.module.walk():
            if isinstance(node, ast.Call) and node.args and (
                    isinstance(node.func, ast.Name) and node.func.id == "open" and "open" not in ctx.names.defined
                    or (ctx.names.qualname(node.func) or "") in PATH_CALLS):
                found.add(ast.unparse(node.args[0]))
        memo["paths"] = found
    return memo["paths"]


NUMBER_TYPES = frozenset({"int", "float"})


def _numeric(ctx: PyContext, node: ast.AST | None) -> bool:
    """A number by its form: `0`, `2.5`, `x or 0`, `len(...)`, `int(...)`."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.BoolOp):
        return any(_numeric(ctx, v) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in ctx.names.defined:
        return node.func.id in ("len", "int", "float", "sum", "round", "abs")
    return False


def _number_parameters(ctx: PyContext) -> dict[str, dict[int | str, bool]]:
    """The module's functions -> their parameters (by position and by name) annotated `int` or `float`."""
    memo = ctx.memo.setdefault("PY205-number-parameters", {})
    if not memo:
        memo["?"] = {}
        for fn in ctx.module.walk():
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [*fn.args.posonlyargs, *fn.args.args]
                offset = 1 if params and params[0].arg in ("self", "cls") else 0
                found: dict[int | str, bool] = {}
                for i, a in enumerate(params):
                    if isinstance(a.annotation, ast.Name) and a.annotation.id in NUMBER_TYPES:
                        found[i - offset] = found[a.arg] = True
                for a in fn.args.kwonlyargs:
                    if isinstance(a.annotation, ast.Name) and a.annotation.id in NUMBER_TYPES:
                        found[a.arg] = True
                memo[fn.name] = found
    return memo


def _is_ref(node: ast.AST, text: str) -> bool:
    """`node` is the variable or attribute chain written `text` (`current_token`, `cmd.token`)."""
    if isinstance(node, ast.Name):
        return node.id == text
    return isinstance(node, ast.Attribute) and text.endswith("." + node.attr) and ast.unparse(node) == text


def _used_as_number(ctx: PyContext, name: str) -> bool:
    """The function uses the variable (or the attribute, by its text) as a number (`total + tokens`, `tokens > 0`,
    `count += tokens`, passed to a parameter of this module annotated `int`) or as a position it orders against
    others (`cmd.token <= current_token`, `max(a, current_token)`, `stream_token.is_before_or_eq(x)`): a count or a
    stream position named like a secret (an LLM's `tokens`, a replication stream's `current_token`), which no
    credential is."""
    fn = ctx.function
    if fn is None:
        return False
    memo = ctx.memo.setdefault("PY205-numbers", {})
    key = (id(fn), name)
    if key in memo:
        return memo[key]
    params = None
    found = False
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv)):
            pair = (node.left, node.right)
            if any(isinstance(a, ast.Name) and a.id == name and _numeric(ctx, b) for a, b in (pair, pair[::-1])):
                found = True
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            found = isinstance(node.value, ast.Name) and node.value.id == name or \
                isinstance(node.target, ast.Name) and node.target.id == name and _numeric(ctx, node.value)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
                                                   for op in node.ops):
            # ordered (`cmd.token <= current_token`, `prev <= current_token <= new`): a position or a count, as no
            # credential is ever compared by order
            operands = [node.left, *node.comparators]
            found = any(_is_ref(a, name) for a in operands) \
                and not any(isinstance(a, ast.Constant) and isinstance(a.value, (str, bytes)) for a in operands)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and _order_question(node.func.attr) and _is_ref(node.func.value, name):
            found = True  # `stream_token.is_before_or_eq(current)`: the receiver is ordered too
        elif isinstance(node, ast.Call) and any(_is_ref(a, name) for a in [*node.args, *(k.value for k in node.keywords)]):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if isinstance(node.func, ast.Name) and callee in ("max", "min") and callee not in ctx.names.defined \
                    or _order_question(callee):
                found = True  # `max(current_token, seen)`, `stream_token.is_before_or_eq(current_token)`
                break
            params = params if params is not None else _number_parameters(ctx)
            numbers = params.get(callee) or {}
            found = any(isinstance(a, ast.Name) and a.id == name and numbers.get(i) for i, a in enumerate(node.args)) \
                or any(isinstance(k.value, ast.Name) and k.value.id == name and numbers.get(k.arg or "")
                       for k in node.keywords)
        if found:
            break
    memo[key] = found
    return found


# Questions that order their argument against something (`token.is_before_or_eq(current)`, `is_newer_than(x)`);
# not `call_later(delay, callback, token)`, which only schedules.
ORDER_WORDS = frozenset({"before", "after", "earlier", "later", "older", "newer", "lt", "gt", "le", "ge"})


def _order_question(callee: str) -> bool:
    words = secrets.split_words(callee)
    return bool(words) and words[0] in ("is", "comes") and bool(set(words) & ORDER_WORDS)


def _logged_args(call: ast.Call) -> Iterator[ast.AST]:
    yield from call.args
    for kw in call.keywords:
        if kw.arg not in NOT_LOGGED_KEYWORDS:
            yield kw.value


@python_check("PY205", ast.Call, raise_in_handler=False)
def secret_written_to_log(call: ast.Call, ctx: PyContext) -> None:
    is_print = isinstance(call.func, ast.Name) and call.func.id == "print" and "print" not in ctx.names.defined
    if is_print:
        if not ctx.handler():
            return  # print goes to the logs in a Lambda handler (CloudWatch); elsewhere it is not a log
        where = f"`print` in the Lambda handler `{ctx.handler()}` (its output goes to CloudWatch Logs)"
    elif _is_logger(call.func, ctx):
        where = f"`{name_of(call.func) or call.func.attr}`"  # type: ignore[attr-defined]
    else:
        return
    found = [(expr, name) for arg in _logged_args(call) for expr, name in _secret_refs(arg, ctx)
             if not _version_token(expr, ctx)]
    if not found:
        return
    # The finding points at the first secret-like value; it is at the gate when any logged value shows evidence.
    judged = [(expr, name, _log_evidence(expr, ctx)) for expr, name in found]
    expr, name, evidence = next((j for j in judged if j[2] and j[2] != FROM_REQUEST), None) \
        or next((j for j in judged if j[2]), judged[0])
    if evidence == FROM_REQUEST and not (set(secrets.split_words(name.rsplit(".", 1)[-1])) & LIVE_REQUEST_WORDS):
        ctx.report(expr, f"Secret written to a log: `{name}` is passed to {where}; whoever reads the logs gets it. "
                         f"Evidence that it is a credential: {evidence}.{REQUEST_CREDENTIAL_NOTE}",
                   severity=Severity.LOW, precision="low", evidence="review",
                   properties={"secretEvidence": evidence, "severityIfLive": Severity.MEDIUM.label})
        return
    if evidence:
        ctx.report(expr, f"Secret written to a log: `{name}` is passed to {where}; whoever reads the logs gets the "
                         f"secret. Evidence that it is a credential: {evidence}.",
                   properties={"secretEvidence": evidence})
        return
    ctx.report(expr, f"Secret-like value written to a log: `{name}` is passed to {where}; if it is a credential, "
                     f"whoever reads the logs gets it.{NAME_ONLY_NOTE}", severity=Severity.LOW, precision="low",
               evidence="review", properties={"secretEvidence": "name only", "severityIfSecret": Severity.MEDIUM.label})


# A token or key the request carried, logged (session 15): of 12 such findings judged in the independent samples,
# one was true; the others logged a token only when it failed to authenticate (an expired or unknown bearer token),
# a request-token identifier public by design, a webhook's one-time nonce, or a job id named for a token. Review.
# A password, an `Authorization` header, a cookie or a card's token the request carried keeps its severity: a login
# form's password, a working session or payment data in the logs is the defect itself.
FROM_REQUEST = "it comes from the request (the credential a client sent)"
LIVE_REQUEST_WORDS = secrets.PASSWORD_WORDS | {"authorization", "auth", "bearer", "cookie", "cookies", "session",
                                              "sessionid", "card"}
REQUEST_CREDENTIAL_NOTE = (" Review: it is the credential the request itself carried: often logged only when it does not "
                           "authenticate (unknown, expired, malformed), or an identifier that travels in the open; "
                           "check that a working credential is never logged (low severity, does not fail the default "
                           "gate).")

NAME_ONLY_NOTE = (" Review: the value is a secret by its name only (nothing shows it is a credential: it may be an "
                  "identifier, a count, a redacted object or the user's own input), so it is not a confirmed finding "
                  "(low severity, does not fail the default gate).")

# --- PY205: evidence that a logged value is a credential (README "Severity follows evidence") ----------------------
# Calls that return a fresh secret whatever their name says.
SECRET_GENERATORS = frozenset({
    "os.urandom", "secrets.token_bytes", "secrets.token_hex", "secrets.token_urlsafe", "pyotp.random_base32",
    "pyotp.random_hex", "cryptography.fernet.Fernet.generate_key", "Fernet.generate_key",
})
# Objects that hold the program's configured credentials (their secret-named attributes, keys and `.get("...")`s)
# and objects that are a user account (its password, its tokens).
CONFIG_HOLDERS = frozenset({"settings", "config", "conf", "cfg", "configuration", "secrets", "vault", "keyring",
                            "credentials", "credential", "creds", "cred"})
ACCOUNT_HOLDERS = frozenset({"user", "account", "member", "admin", "owner", "customer", "principal", "login"})
# A call whose name asks a question about a secret returns an answer, not the secret (`check_password(...)`).
QUESTION_VERBS = frozenset({"is", "has", "check", "verify", "validate", "valid", "compare", "match", "matches",
                            "test", "should", "can", "needs", "need", "count", "len", "length", "num", "mask",
                            "redact", "hash", "hashed", "strip", "censor", "obfuscate", "scrub", "sanitize"})


# Words that make a "token" a crypto asset (an ERC-20 contract, a Solana mint), public by nature, not a credential.
ASSET_WORDS = frozenset({"evm", "erc20", "erc721", "erc1155", "nft", "solana", "spl", "crypto", "asset", "underlying",
                         "reward", "lp", "pool", "native", "wrapped", "gas", "contract", "fungible", "coin", "eth",
                         "btc", "chain", "defi", "vault", "staked", "stake", "governance"})


# Words that make a "token" a marker the program hands out to tell things apart, not a credential: which session
# holds a lock (Concordia's reservation token), where a listing continues, which job or trace a line belongs to.
MARKER_TOKEN_WORDS = frozenset({"reservation", "lock", "page", "pagination", "cursor", "continuation", "sync", "job",
                                "task", "trace", "correlation", "progress", "upload", "cache", "etag", "change"})


def _returns_secret(callee: str) -> bool:
    """A call whose name says it returns a secret: `get_access_token`, `generate_password`, `issue_tokens`,
    `RemoteAuthToken()`, `secrets.token_hex` (its last meaningful word is a secret noun)."""
    words = secrets.split_words(callee.rsplit(".", 1)[-1])
    if not words or words[0] in QUESTION_VERBS:
        return False
    while len(words) > 1 and words[-1] in ("hex", "bytes", "urlsafe", "str", "string", "value", "b64", "base64"):
        words = words[:-1]
    head = words[-1]
    if head in ("token", "tokens") and len(words) > 1 and words[-2] in ASSET_WORDS:
        return False  # `EvmToken(...)`, `get_or_create_solana_token(...)`: a crypto asset, not a credential
    if head in ("token", "tokens") and len(words) > 1 and words[-2] in MARKER_TOKEN_WORDS:
        return False  # `get_or_create_reservation_token()` (Concordia's asset lock), `next_page_token`: a marker
    if head in ("key", "keys"):
        return len(words) > 1 and words[-2] in ("api", "access", "secret", "private", "signing", "encryption", "auth",
                                                 "client", "app", "hmac", "master", "session", "fernet")
    return head in ("password", "passwords", "passwd", "passphrase", "secret", "secrets", "token", "tokens",
                    "credential", "credentials", "creds", "apikey")


def _prints_itself(call: ast.Call, ctx: PyContext) -> bool:
    """`AuthnBearerToken(...)`: an instance of a repository class that defines how it prints (`__str__` or
    `__repr__`), so what a log line shows of it is what that method returns, not the credential its name suggests
    (eduID §3aa: the bearer token model prints its scopes)."""
    name = last_identifier(call)
    if not name[:1].isupper():
        return False
    found = dataflow_of(ctx.module).model_class(name)
    return found is not None and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                     and n.name in ("__str__", "__repr__") for n in found[1].body)


def _holder_word(node: ast.AST) -> str:
    """The last word of a receiver's name: `self.settings` -> settings, `app.config` -> config, `user` -> user."""
    if isinstance(node, ast.Call):
        node = node.func
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    words = secrets.split_words(name)
    return words[-1] if words else ""


def _receiver(expr: ast.AST) -> ast.AST | None:
    """`settings` of `settings.SECRET_KEY`, `cfg["password"]` and `cfg.get("password")`."""
    if isinstance(expr, (ast.Attribute, ast.Subscript)):
        return expr.value
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return expr.func.value
    return None


def _field_name(expr: ast.AST) -> str | None:
    """The field a read names: `event["ClientRequestToken"]`, `body.get("idempotency_key")`, `req.VersionId`."""
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
        return expr.slice.value
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and expr.args \
            and isinstance(expr.args[0], ast.Constant) and isinstance(expr.args[0].value, str):
        return expr.args[0].value
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _version_token(expr: ast.AST, ctx: PyContext) -> bool:
    """A logged `token` that is an idempotency token or a version's id, not a credential: the field it is read from
    names one (`token = event["ClientRequestToken"]`, Secrets Manager's rotation Lambdas), or the function passes it
    on as one (`put_secret_value(..., ClientRequestToken=token)`, `get_secret_value(..., VersionId=token)`)."""
    if secrets.is_version_token_name(_field_name(expr)):
        return True
    if not isinstance(expr, ast.Name):
        return False
    if secrets.is_version_token_name(expr.id):
        return True
    values = _bound_values(expr.id, ctx)
    if values and all(secrets.is_version_token_name(_field_name(v)) for v in values):
        return True
    return ctx.function is not None and _passed_as_version_token(expr.id, ctx.function, ctx, 1)


def _passed_as_version_token(name: str, fn: ast.AST, ctx: PyContext, depth: int) -> bool:
    """`fn` passes its variable `name` on as a version token: `VersionId=name`, or by position to a function of the
    module that does (`get_secret_dict(client, arn, "AWSPENDING", token)`), one call deep."""
    functions = {f.name: f for f in ctx.module.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(fn):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Name) and node.value.id == name \
                and secrets.is_version_token_name(node.arg):
            return True
        if depth > 0 and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in functions and functions[node.func.id] is not fn:
            callee = functions[node.func.id]
            params = [a.arg for a in (*callee.args.posonlyargs, *callee.args.args)]
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Name) and arg.id == name and i < len(params) \
                        and _passed_as_version_token(params[i], callee, ctx, depth - 1):
                    return True
    return False


def _log_evidence(expr: ast.AST, ctx: PyContext, depth: int = 0) -> str:
    """Why a logged, secret-named value is a credential beyond its name ("" when nothing shows it): it is request
    data the client sent, an environment variable or a configured setting of a secret name, a fresh secret from a
    generator or from a call whose name says it returns one, an attribute of a user account or of such a value, a
    value compared with a credential, or one stored as a user's credential."""
    if depth > 4:
        return ""
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
        return ""  # token[-6:]: a few characters to tell tokens apart, not the credential
    bound = _bound_values(expr.id, ctx) if isinstance(expr, ast.Name) else []
    if bound and all(isinstance(v, ast.Subscript) and isinstance(v.slice, ast.Slice) or ctx.const(v) is None
                     for v in bound):
        return ""  # old_token = None / user.auth_token.key[-6:] (ColdFront)
    variable = env_variable(expr, ctx)
    if variable is not None:
        return f"it is read from the environment variable `{variable}`" if secrets.is_secret_name(variable) else ""
    if isinstance(expr, ast.Call):
        callee = ctx.call_name(expr) or ""
        if callee in SECRET_GENERATORS or callee.rsplit(".", 1)[-1] in ("urandom", "token_hex", "token_urlsafe",
                                                                        "token_bytes", "random_base32"):
            return f"it is generated by `{callee}`"
        if _returns_secret(callee) and not _prints_itself(expr, ctx):
            return f"it is returned by `{callee.rsplit('.', 1)[-1]}`, whose name says it returns a secret"
    receiver = _receiver(expr)
    holder = _holder_word(receiver) if receiver is not None else ""
    if holder in CONFIG_HOLDERS:
        return f"it is a setting of the configuration (`{ast.unparse(receiver)}`)"  # type: ignore[arg-type]
    if holder in ACCOUNT_HOLDERS:
        return f"it is a credential of a user account (`{ast.unparse(receiver)}`)"  # type: ignore[arg-type]
    if isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and (
            _request_data(expr, ctx) or ((depth == 0 or not isinstance(expr, ast.Name)) and ctx.taint(expr))
            or (depth == 0 and isinstance(expr, ast.Name) and _tainted_elsewhere(expr, ctx))):
        return FROM_REQUEST
    if receiver is not None:
        if isinstance(expr, ast.Attribute) and isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            bound = _attribute_value(expr, ctx)
            if bound is not None:
                return _log_evidence(bound, ctx, depth + 1)
        elif not isinstance(expr, ast.Call):
            inner = _log_evidence(receiver, ctx, depth + 1)
            if inner and secrets.name_kind(name_of(receiver) or "") not in (None, "connection"):
                return inner  # auth_token = RemoteAuthToken(); log(auth_token.auth_token): the secret of a fresh token
    if depth == 0 and isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript)):
        sent = _sent_as_credential(expr, ctx)
        if sent:
            return sent
    if isinstance(expr, ast.Name):
        for value in bound:
            found = _log_evidence(value, ctx, depth + 1)
            if found:
                return found
        used = _used_as_credential(expr.id, ctx, depth)
        if used:
            return used
    return ""


def _request_data(expr: ast.AST, ctx: PyContext) -> bool:
    """`request.form["password"]`, `request.headers.get("Authorization")`, `event["detail"]["token"]` in a Lambda
    handler: a read of the data-flow specification's request sources, seen by its form (the data-flow pass records
    values only where they are passed or returned, not inside a dict or an f-string)."""
    node = expr
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            break
    if node is expr:
        return False
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return any(s.self_attribute and s.self_attribute == node.attr for s in spec(ctx).sources)
    if not isinstance(node, ast.Name):
        return False
    qualname = ctx.qualname(node) or ""
    if qualname in spec(ctx).object_sources:
        return True
    fn = ctx.function
    if fn is None:
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]  # type: ignore[attr-defined]
    if node.id not in params:
        return False
    if ctx.handler() == getattr(fn, "name", None) and params[:1] == [node.id]:
        return True  # the event of a Lambda handler
    # a parameter named as a web request is one only where the repository serves web requests (scapy's CoAP
    # `request.token` is a protocol message's matching id)
    return ctx.module.facts.web_framework() and any(node.id in s.parameters for s in spec(ctx).sources)


def _tainted_elsewhere(expr: ast.Name, ctx: PyContext) -> bool:
    """A variable bound once in the function (a parameter, one assignment) that the data flow saw tainted where it
    is passed or returned: the same value as here, where it sits inside an f-string or a dict the pass does not
    record."""
    fn = ctx.function
    if fn is None or len(ctx.module.bindings(fn).get(expr.id) or ()) != 1:
        return False
    return any(isinstance(n, ast.Name) and n.id == expr.id and n is not expr and isinstance(n.ctx, ast.Load)
               and ctx.taint(n) for n in ast.walk(fn))


def _bound_values(name: str, ctx: PyContext) -> list[ast.AST]:
    """The values a function assigns to `name` (the call itself for `a, b = call()`)."""
    scope = ctx.function
    if scope is None:
        value = ctx.module.value_of(name, None)
        return [value] if value is not None else []
    out: list[ast.AST] = []
    for node in ast.walk(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id == name:
                    out.append(node.value)
                elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, ast.Call) and any(
                        isinstance(e, ast.Name) and e.id == name for e in target.elts):
                    out.append(node.value)
    return out


def _attribute_value(expr: ast.Attribute, ctx: PyContext) -> ast.AST | None:
    """The single value the enclosing class assigns to `self.<attr>` (in any of its methods)."""
    cls = next((p for p in _ancestors(expr, ctx) if isinstance(p, ast.ClassDef)), None)
    if cls is None:
        return None
    values = [node.value for node in ast.walk(cls) if isinstance(node, ast.Assign) for t in node.targets
              if isinstance(t, ast.Attribute) and t.attr == expr.attr and isinstance(t.value, ast.Name)
              and t.value.id == "self"]
    return values[0] if len(values) == 1 else None


def _ancestors(node: ast.AST, ctx: PyContext) -> Iterator[ast.AST]:
    parents = ctx.module.parents()
    current = parents.get(id(node))
    while current is not None:
        yield current
        current = parents.get(id(current))


HTTP_CLIENTS = ("requests.", "httpx.", "aiohttp.", "urllib3.")
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "request", "head", "options"})
HTTP_RECEIVERS = frozenset({"session", "client", "http", "api", "requests", "httpx"})
CREDENTIAL_KEYWORDS = frozenset({"json", "data", "params", "headers", "auth", "cookies"})


def _sent_as_credential(expr: ast.AST, ctx: PyContext) -> str:
    """The function sends the same value to an HTTP service as a credential: under a secret-named key of the
    request's body, query or headers (`requests.post(url, json={"paymentToken": token})`), or as its `auth=`."""
    scope = ctx.function
    if scope is None:
        return ""
    shape = ast.dump(expr)
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call) or not node.keywords:
            continue
        callee = ctx.call_name(node) or ""
        func = node.func
        if not (callee.startswith(HTTP_CLIENTS) or isinstance(func, ast.Attribute) and func.attr in HTTP_METHODS
                and _holder_word(func.value) in HTTP_RECEIVERS):
            continue
        for kw in node.keywords:
            if kw.arg not in CREDENTIAL_KEYWORDS:
                continue
            if kw.arg == "auth" and any(ast.dump(n) == shape for n in ast.walk(kw.value)):
                return f"it is sent to `{callee.rsplit('.', 1)[-1] or func.attr}` as its `auth`"  # type: ignore[union-attr]
            for d in ast.walk(kw.value):
                if isinstance(d, ast.Dict) and any(
                        v is not None and ast.dump(v) == shape and secrets.name_kind(literal_text(k) or "")
                        not in (None, "connection") for k, v in zip(d.keys, d.values)):
                    where = callee.rsplit(".", 1)[-1] or getattr(func, "attr", "")
                    return f"it is sent to `{where}` under a credential's name"
    return ""


COMPARE_CALLS = frozenset({"hmac.compare_digest", "secrets.compare_digest"})


def _used_as_credential(name: str, ctx: PyContext, depth: int) -> str:
    """The function compares the variable with a credential (`expected == token`, `compare_digest`) or stores it
    as a user's credential (`user.set_password(pw)`, `account.set_hotp_secret(secret)`)."""
    scope = ctx.function
    if scope is None:
        return ""
    for node in ast.walk(scope):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            pair = (node.left, node.comparators[0])
            for this, other in (pair, pair[::-1]):
                if isinstance(this, ast.Name) and this.id == name and not (isinstance(other, ast.Name)
                                                                            and other.id == name):
                    if secrets.name_kind(name_of(other) or "") not in (None, "connection") and \
                            _log_evidence(other, ctx, depth + 1):
                        return f"it is compared with a credential (`{ast.unparse(other)}`)"
        elif isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == name for a in node.args):
            callee = ctx.call_name(node) or ""
            if callee in COMPARE_CALLS:
                return f"it is compared with a credential by `{callee}`"
            func = node.func
            if isinstance(func, ast.Attribute) and _holder_word(func.value) in ACCOUNT_HOLDERS and \
                    any(w in ("password", "passwd", "secret", "token", "credential", "credentials")
                        for w in secrets.split_words(func.attr)):
                return f"it is stored as a user's credential (`{ast.unparse(func)}`)"
    return ""
