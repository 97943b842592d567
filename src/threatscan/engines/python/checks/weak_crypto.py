"""Broken ciphers and insecure TLS versions chosen in the code (rules PY513, PY514).

Only what the code states is reported: a cipher or mode that is broken whatever the key (RC4, DES, Blowfish, RC2,
ECB), and a protocol version the code asks for (`PROTOCOL_TLSv1`, `SSL.SSLv3_METHOD`, `minimum_version =
TLSVersion.TLSv1`, `options &= ~OP_NO_TLSv1`). A context created with the library's defaults
(`ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)`, `create_default_context()`) is not reported: since Python 3.10 the ssl
module's minimum is TLS 1.2, and OpenSSL 3 refuses TLS 1.0/1.1 at its default security level.
"""

from __future__ import annotations

import ast

from ..context import PyContext
from ..registry import python_check

# --- PY513: broken ciphers ----------------------------------------------------------------------------------------
PYCRYPTO_BROKEN = {f"{pkg}.Cipher.{c}.new": name for pkg in ("Crypto", "Cryptodome") for c, name in (
    ("ARC4", "RC4"), ("DES", "DES"), ("Blowfish", "Blowfish"), ("ARC2", "RC2"), ("XOR", "XOR"), ("CAST", "CAST5"),
    ("DES3", "Triple DES"))}
PYCRYPTO_MODES = {f"{pkg}.Cipher.{c}.new" for pkg in ("Crypto", "Cryptodome") for c in ("AES", "DES3", "Blowfish",
                                                                                         "CAST", "ARC2", "DES")}
ALGORITHMS = "cryptography.hazmat.primitives.ciphers.algorithms."
CRYPTOGRAPHY_BROKEN = {f"{ALGORITHMS}{c}": name for c, name in (
    ("ARC4", "RC4"), ("TripleDES", "Triple DES"), ("Blowfish", "Blowfish"), ("CAST5", "CAST5"), ("IDEA", "IDEA"),
    ("SEED", "SEED"))} | {f"cryptography.hazmat.decrepit.ciphers.algorithms.{c}": c for c in (
        "ARC4", "TripleDES", "Blowfish", "CAST5", "IDEA", "SEED")}
CIPHER = {"cryptography.hazmat.primitives.ciphers.Cipher", "cryptography.hazmat.primitives.ciphers.base.Cipher"}
ECB = "cryptography.hazmat.primitives.ciphers.modes.ECB"


def _resolve_call(ctx: PyContext, node: ast.AST | None) -> ast.AST | None:
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        return bound if bound is not None else node
    return node


@python_check("PY513", ast.Call)
def broken_cipher(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call) or ""
    if name in PYCRYPTO_BROKEN:
        _report_cipher(ctx, call, PYCRYPTO_BROKEN[name], name.rsplit(".", 2)[-2] + ".new")
        return
    if name in PYCRYPTO_MODES:
        mode = call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "mode")
        mode_name = ctx.qualname(mode) if isinstance(mode, (ast.Name, ast.Attribute)) else None
        if mode_name and mode_name.endswith(".MODE_ECB"):
            _report_cipher(ctx, call, "ECB mode", name.rsplit(".", 2)[-2] + ".new")
        return
    if name in CIPHER:
        algorithm = _resolve_call(ctx, call.args[0] if call.args else ctx.kwarg(call, "algorithm"))
        if isinstance(algorithm, ast.Call) and (ctx.call_name(algorithm) or "") in CRYPTOGRAPHY_BROKEN:
            _report_cipher(ctx, call, CRYPTOGRAPHY_BROKEN[ctx.call_name(algorithm) or ""], "Cipher")
            return
        mode = _resolve_call(ctx, call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "mode"))
        if isinstance(mode, ast.Call) and (ctx.call_name(mode) or "") == ECB:
            _report_cipher(ctx, call, "ECB mode", "Cipher")


def _report_cipher(ctx: PyContext, call: ast.Call, what: str, shown: str) -> None:
    if what == "ECB mode":
        why = "ECB encrypts equal blocks to equal ciphertext, so the structure of the data shows through"
        fix = "use an authenticated mode (AES-GCM, ChaCha20-Poly1305) or Fernet"
    else:
        why = f"{what} is broken or retired (small blocks or keys, biased key stream): the data can be recovered"
        fix = "use AES-GCM or ChaCha20-Poly1305 (or Fernet)"
    ctx.report(call, f"Broken cipher: `{shown}` encrypts with {what}; {why}. Instead, "
                     f"{fix}.", properties={"algorithm": what})


# --- PY514: insecure TLS versions ---------------------------------------------------------------------------------
OLD_PROTOCOLS = {
    **{f"ssl.PROTOCOL_{v}": v.replace("_", ".") for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")},
    **{f"OpenSSL.SSL.{v}_METHOD": v.replace("_", ".") for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")},
}
OLD_VERSIONS = {f"ssl.TLSVersion.{v}": v.replace("_", ".") for v in ("SSLv3", "TLSv1", "TLSv1_1", "MINIMUM_SUPPORTED")}
OLD_OPTIONS = {f"ssl.OP_NO_{v}": v.replace("_", ".") for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")} | {
    f"OpenSSL.SSL.OP_NO_{v}": v.replace("_", ".") for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")}
CONTEXTS = {"ssl.SSLContext": ("protocol", 0), "ssl.wrap_socket": ("ssl_version", 5),
            "OpenSSL.SSL.Context": ("method", 0)}


def _protocol(ctx: PyContext, node: ast.AST | None, table: dict[str, str], depth: int = 0) -> str | None:
    """The old protocol a constant names (`ssl.PROTOCOL_TLSv1`, `from ssl import PROTOCOL_SSLv2`, `METHOD =
    SSL.SSLv2_METHOD`)."""
    if node is None or depth > 3:
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = ctx.qualname(node) or ""
        if name in table:
            return table[name]
        if isinstance(node, ast.Name):
            bound = ctx.resolve(node)
            if bound is not None and bound is not node:
                return _protocol(ctx, bound, table, depth + 1)
    return None


@python_check("PY514", ast.Call, ast.Assign, ast.AugAssign)
def insecure_tls_version(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Call):
        name = ctx.call_name(node) or ""
        if name not in CONTEXTS:
            return
        keyword, position = CONTEXTS[name]
        arg = ctx.kwarg(node, keyword) if keyword else None
        if arg is None and 0 <= position < len(node.args):
            arg = node.args[position]
        old = _protocol(ctx, arg, OLD_PROTOCOLS)
        if old:
            ctx.report(node, f"Insecure TLS version: `{name}` is set to {old}, which has known "
                             f"attacks (POODLE, BEAST) and is refused by current clients; use "
                             f"`ssl.create_default_context()` (TLS 1.2 or newer).", properties={"protocol": old})
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in ("minimum_version", "maximum_version"):
                old = _protocol(ctx, node.value, OLD_VERSIONS)
                if old and (target.attr == "minimum_version" or old != "MINIMUM.SUPPORTED"):
                    ctx.report(node, f"Insecure TLS version: `{target.attr}` is set to {old}, "
                                     f"so connections may use a protocol with known attacks; set "
                                     f"`minimum_version = ssl.TLSVersion.TLSv1_2` or newer.",
                               properties={"protocol": old})
        return
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitAnd) and isinstance(node.target, ast.Attribute) \
            and node.target.attr == "options":
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Invert):
                old = _protocol(ctx, sub.operand, OLD_OPTIONS)
                if old:
                    ctx.report(node, f"Insecure TLS version: clearing `OP_NO_{old.replace('.', '_')}` "
                                     f"re-enables {old}, which has known attacks; leave it set.",
                               properties={"protocol": old})
                    return
