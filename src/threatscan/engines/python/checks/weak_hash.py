"""Weak hash functions: MD5, SHA-1, MD4 and MD2 used where a digest has to resist collisions (rule PY512).

A digest is only as serious as its use. Hashing a token, a signature's input, a certificate or a session with a
broken function lets an attacker forge a value with the same digest (medium severity); an ETag, a cache key, a
file checksum or a shard number is not a security control (no finding); a digest whose use cannot be seen is a
low "review" finding. Passwords are PY508's (password_hashing.py): no fast digest is right for them, weak or not.
Exempt: `usedforsecurity=False`, HMAC (`hmac.new(key, msg, hashlib.md5)`, `hashes.SHA1()` inside `HMAC`,
`PBKDF2HMAC`, `HKDF`, RSA-OAEP/MGF1), which do not rely on collision resistance.
"""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ....secrets import split_words
from ..context import PyContext
from ..registry import python_check
from ._outflow import outflow
from .password_hashing import _digest_outputs, _from_password_parameter, _mentions_password, resolved_password

WEAK = {"md5": "MD5", "sha1": "SHA-1", "sha": "SHA-1", "md4": "MD4", "md2": "MD2"}
HASHLIB_WEAK = {f"hashlib.{n}": n for n in ("md5", "sha1", "md4")} | {"_hashlib.openssl_md5": "md5",
                                                                        "_hashlib.openssl_sha1": "sha1"}
PYCRYPTO_WEAK = {f"{pkg}.Hash.{mod}.new": mod.lower() for pkg in ("Crypto", "Cryptodome")
                 for mod in ("MD5", "SHA1", "SHA", "MD4", "MD2")}
CRYPTOGRAPHY_HASHES = "cryptography.hazmat.primitives.hashes."
CRYPTOGRAPHY_WEAK = {f"{CRYPTOGRAPHY_HASHES}{c}": c.lower() for c in ("MD5", "SHA1")}
# Where a `cryptography` hash object is used: a digest or a signature relies on collision resistance; the HMAC
# family and OAEP's mask generation do not.
CRYPTOGRAPHY_DIGEST = {f"{CRYPTOGRAPHY_HASHES}Hash"}
SIGNATURE_METHODS = frozenset({"sign", "verify", "ECDSA", "PSS", "Prehashed", "signer", "verifier"})

# Words around a digest that say what it is for. Collision resistance is what MD5 and SHA-1 lost: it matters for
# signatures, certificates and integrity checks (medium). Tokens, PINs and session ids built with them rely on
# preimage resistance, which still holds: worth changing, not a broken control (low).
COLLISION_WORDS = frozenset({
    "signature", "signatures", "sign", "signed", "signing", "verify", "verification", "certificate", "certificates",
    "cert", "certs", "integrity", "tamper", "mac", "hmac", "checksum_verify", "authenticity", "trusted", "trust",
})
SECURITY_WORDS = COLLISION_WORDS | frozenset({
    "token", "tokens", "signature", "signatures", "sign", "signed", "signing", "verify", "verification", "auth",
    "authenticate", "authentication", "secret", "session", "sessions", "csrf", "xsrf", "nonce", "otp", "totp",
    "certificate", "certificates", "cert", "certs", "integrity", "tamper", "mac", "apikey", "credential",
    "credentials", "login", "cookie", "cookies", "reset", "activation", "invite", "challenge", "license",
    "licence", "ssn", "card", "pin", "sensitive", "private", "encrypt", "encrypted", "crypt", "captcha",
})
CHECKSUM_WORDS = frozenset({
    "etag", "cache", "cached", "caching", "checksum", "checksums", "crc", "file", "files", "filename", "path",
    "paths", "url", "urls", "dedup", "dedupe", "deduplicate", "bucket", "buckets", "shard", "shards", "partition",
    "color", "colour", "avatar", "gravatar", "slug", "chunk", "chunks", "blob", "blobs", "content", "contents",
    "body", "md5sum", "sha1sum", "download", "downloaded", "upload", "image", "images", "asset", "assets",
    "static", "filehash", "version", "revision", "commit", "git", "sample", "seed", "random", "shuffle", "lock",
    "fingerprint", "identifier", "uid", "key", "keys", "name", "names", "label", "digest_size", "module",
    "cachekey", "memo", "memoize", "hash_key", "id", "ids", "s3", "storage", "manifest", "package", "wheel",
})
NAME_SPLIT = re.compile(r"[^a-z0-9]+")


def _words_of(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> set[str]:
    """The words of the names, attributes, constant keys and called functions in an expression, following a local
    name to what it is bound to (one step: `data = get_certificate()` reads as certificate)."""
    out: set[str] = set()
    if node is None:
        return out
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.update(split_words(sub.id))
            if depth == 0:
                bound = ctx.resolve(sub)
                if bound is not None and bound is not sub and not isinstance(bound, ast.Name):
                    out |= _words_of(bound, ctx, 1)
        elif isinstance(sub, ast.Attribute):
            out.update(split_words(sub.attr))
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) <= 40:
            out.update(w for w in split_words(sub.value) if w in SECURITY_WORDS or w in CHECKSUM_WORDS)
    return out


def _statement_of(node: ast.AST, ctx: PyContext) -> ast.AST | None:
    parents = ctx.module.parents()
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = parents.get(id(current))
    return current


def _use_words(call: ast.AST, ctx: PyContext) -> set[str]:
    """Words of where the digest goes: the names it is assigned to, the call or key it is passed to, the
    function it is returned from."""
    words: set[str] = set()
    stmt = _statement_of(call, ctx)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            words |= _words_of(target, ctx, 1)
    parents = ctx.module.parents()
    current = parents.get(id(call))
    for _ in range(4):  # f"{etag}", cache[key_of(md5(x))], headers["ETag"] = md5(...).hexdigest()
        if current is None or isinstance(current, ast.stmt):
            break
        if isinstance(current, ast.Call) and current is not call:
            words.update(split_words(current.func.attr if isinstance(current.func, ast.Attribute)
                                     else getattr(current.func, "id", "")))
        if isinstance(current, ast.keyword) and current.arg:
            words.update(split_words(current.arg))
        if isinstance(current, ast.Dict):
            for k, v in zip(current.keys, current.values):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    words.update(split_words(k.value))
        current = parents.get(id(current))
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Subscript):
                words |= _words_of(target, ctx, 1)
    fn = ctx.function
    if fn is not None:
        words.update(split_words(getattr(fn, "name", "")))
    return words


def _algorithm(call: ast.Call, ctx: PyContext) -> tuple[str | None, bool]:
    """The weak algorithm a call builds a hasher with (normalised: "md5", "sha1", ...) and whether the call
    itself receives data; (None, False) for any other call."""
    name = ctx.call_name(call) or ""
    if name in HASHLIB_WEAK:
        return HASHLIB_WEAK[name], bool(call.args or ctx.kwarg(call, "data") or ctx.kwarg(call, "string"))
    if name == "hashlib.new":
        algorithm = ctx.const(call.args[0] if call.args else ctx.kwarg(call, "name"))
        if isinstance(algorithm, str):
            norm = algorithm.lower().replace("-", "").replace("_", "")
            if norm in WEAK:
                return norm, bool(len(call.args) > 1 or ctx.kwarg(call, "data") or ctx.kwarg(call, "string"))
        return None, False
    if name in PYCRYPTO_WEAK:
        return PYCRYPTO_WEAK[name], bool(call.args or ctx.kwarg(call, "data"))
    if name in CRYPTOGRAPHY_DIGEST and call.args and isinstance(call.args[0], ast.Call):
        inner = ctx.call_name(call.args[0]) or ""
        if inner in CRYPTOGRAPHY_WEAK:
            return CRYPTOGRAPHY_WEAK[inner], False
    return None, False


def _not_for_security(call: ast.Call, ctx: PyContext) -> bool:
    for kw in call.keywords:
        if kw.arg == "usedforsecurity" and ctx.truthy(kw.value) is False:
            return True
    return False


def _updates(call: ast.Call, ctx: PyContext) -> list[ast.Call]:
    """`h = hashlib.md5(); h.update(data)`: the update calls on the hasher this call builds, in its scope."""
    stmt = _statement_of(call, ctx)
    if not (isinstance(stmt, ast.Assign) and stmt.value is call and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return []
    name = stmt.targets[0].id
    scope = ctx.function if ctx.function is not None else ctx.module.tree
    return [n for n in ast.walk(scope) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "update" and isinstance(n.func.value, ast.Name) and n.func.value.id == name
            and n.args]


class _ReportedHashers:
    """The hashers (`md5 = hashlib.new("md5")`) of a module already reported at one of their `update()` calls."""

    def __init__(self, module) -> None:
        self.ids: set[int] = set()


@python_check("PY512", ast.Call)
def weak_hash(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call) or ""
    if name in CRYPTOGRAPHY_WEAK:
        _cryptography_hash(call, ctx, CRYPTOGRAPHY_WEAK[name])
        return
    if isinstance(call.func, ast.Attribute) and call.func.attr == "update" and call.args:
        hasher = ctx.resolve(call.func.value) if isinstance(call.func.value, ast.Name) else None
        if isinstance(hasher, ast.Call):
            algorithm, _ = _algorithm(hasher, ctx)
            reported = ctx.module.derived(_ReportedHashers).ids
            if algorithm and id(hasher) not in reported and not _not_for_security(hasher, ctx):
                before = len(ctx.findings)
                _judge(call, ctx, algorithm, call.args[0], hasher)
                if len(ctx.findings) > before:
                    reported.add(id(hasher))  # one digest, one finding: its later `update()` lines add nothing
        return
    algorithm, has_data = _algorithm(call, ctx)
    if algorithm is None or _not_for_security(call, ctx):
        return
    if has_data:
        data = call.args[1] if name == "hashlib.new" and len(call.args) > 1 else \
            call.args[0] if call.args and name != "hashlib.new" else \
            ctx.kwarg(call, "data") or ctx.kwarg(call, "string")
        _judge(call, ctx, algorithm, data, call)
    elif not _updates(call, ctx):
        _judge(call, ctx, algorithm, None, call)  # the hasher goes somewhere we do not follow


def _cryptography_hash(call: ast.Call, ctx: PyContext, algorithm: str) -> None:
    """`hashes.MD5()`: judged by what it is passed to. `hashes.Hash(hashes.MD5())` is a hasher (see above)."""
    parent = ctx.module.parents().get(id(call))
    if isinstance(parent, ast.keyword):
        parent = ctx.module.parents().get(id(parent))
    if not isinstance(parent, ast.Call):
        return
    pname = ctx.call_name(parent) or ""
    method = parent.func.attr if isinstance(parent.func, ast.Attribute) else pname.rsplit(".", 1)[-1]
    if method in SIGNATURE_METHODS:
        what = WEAK[algorithm]
        signer = _protocol_signer(ctx)
        if signer:
            ctx.report(call, f"Weak hash in a signature (review): `{method}` signs with {what} in the signer this "
                             f"module hands to `{signer}`, whose format prescribes RSA-{what} "
                             "(CloudFront signed URLs and cookies): nothing here can choose a stronger one. Keep the "
                             "key pair for this use only.", severity=Severity.LOW, precision="low",
                       properties={"algorithm": what, "use": "protocol"}, evidence="review")
            return
        flow = ctx.request_flow(parent.args[0] if parent.args else None)
        ctx.report(call, f"Weak hash in a signature: `{method}` signs with {what}, whose collisions "
                         f"are practical: two documents can share one signature. Use SHA-256 or stronger.",
                   properties={"algorithm": what, "use": "signature"}, flow=flow, evidence="flow" if flow else "")


# Signers whose wire format fixes the signature's hash: botocore's CloudFrontSigner(key_id, rsa_signer) signs
# CloudFront policies with RSA-SHA1, as AWS's documentation shows.
PROTOCOL_SIGNERS = ("botocore.signers.CloudFrontSigner",)


def _protocol_signer(ctx: PyContext) -> str:
    """The protocol signer the enclosing function is handed to in this module (`CloudFrontSigner(key_id,
    self._rsa_signer)`), else ""."""
    function = ctx.function
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    for node in ctx.module.walk():
        if not isinstance(node, ast.Call) or (ctx.call_name(node) or "") not in PROTOCOL_SIGNERS:
            continue
        for arg in [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "rsa_signer")]:
            if (isinstance(arg, ast.Name) and arg.id == function.name) or \
                    (isinstance(arg, ast.Attribute) and arg.attr == function.name):
                return ctx.call_name(node).rsplit(".", 1)[-1]
    return ""


def _judge(call: ast.Call, ctx: PyContext, algorithm: str, data: ast.AST | None, hasher: ast.Call) -> None:
    if data is not None and (_mentions_password(ctx, data) or _from_password_parameter(ctx, data)
                             or resolved_password(ctx, data)):
        return  # a password: PY508 reports it (no fast digest is right for passwords)
    what = WEAK[algorithm]
    shown = f"hashlib.new({algorithm!r})" if (ctx.call_name(hasher) or "") == "hashlib.new" else \
        (ctx.call_name(hasher) or what).replace("cryptography.hazmat.primitives.", "")
    words = _words_of(data, ctx) | _use_words(call, ctx) | (_use_words(hasher, ctx) if hasher is not call else set())
    security = words & SECURITY_WORDS
    checksum = words & CHECKSUM_WORDS
    collision = words & COLLISION_WORDS
    sent = _only_sent(ctx, call, hasher) if collision or security else ""
    if sent:
        ctx.report(call, f"Weak hash (review): `{shown}` computes {_a(what)} digest that is only sent with `{sent}` "
                         "(a request signature or token the other side's API defines, as many web APIs still "
                         f"prescribe {what}): the remote protocol fixes the algorithm, so nothing here can choose a "
                         "stronger one. If this code defines that protocol (a webhook it signs for others), use "
                         "HMAC-SHA-256.", severity=Severity.LOW, precision="low",
                   properties={"algorithm": what, "use": "sent"}, evidence="review")
        return
    if collision:
        flow = ctx.request_flow(data)  # a collision is an attack on content the attacker chooses
        ctx.report(call, f"Weak hash: `{shown}` computes {_a(what)} digest for "
                         f"{', '.join(sorted(collision)[:3])}; {what} collisions are practical, so a forged document "
                         f"or certificate can share the digest. Use SHA-256 or stronger.",
                   properties={"algorithm": what, "use": "collision"}, flow=flow, evidence="flow" if flow else "")
        return
    if security:
        ctx.report(call, f"Weak hash: `{shown}` computes {_a(what)} digest of data used for "
                         f"{', '.join(sorted(security)[:3])}. This use relies on preimage resistance, which {what} "
                         f"still has, so it is not broken today; prefer SHA-256 (or HMAC-SHA-256 with a key) so that "
                         f"no reviewer has to make that argument again.",
                   severity=Severity.LOW, properties={"algorithm": what, "use": "security"})
        return
    if checksum:
        return  # an ETag, a cache key, a file checksum: not a security control
    ctx.report(call, f"Weak hash (review): `{shown}` computes {_a(what)} digest whose use is not visible. If it "
                     f"protects anything (a token, a signature, an integrity check), use SHA-256; if it is only a "
                     f"checksum or a cache key, pass `usedforsecurity=False` to say so.",
               severity=Severity.LOW, precision="low", properties={"algorithm": what, "use": "unknown"},
               evidence="review")


def _only_sent(ctx: PyContext, call: ast.Call, hasher: ast.Call) -> str:
    """The request every output of this digest goes out with (see _outflow: a payload, a query, a header), else
    "": a digest kept, compared or used as a key anywhere is not only sent."""
    if ctx.function is None:
        return ""
    flow = outflow(ctx, _digest_outputs(ctx, call, hasher))
    return sorted(flow.sends)[0] if flow is not None and flow.sends and not flow.keys and not flow.caches else ""


def _a(what: str) -> str:
    return f"an {what}" if what[0] in "AEFHILMNORSX" else f"a {what}"
