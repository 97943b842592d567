"""Broken ciphers and insecure TLS versions chosen in the code (rules PY513, PY514).

Only what the code states is reported: a cipher or mode that is broken whatever the key (RC4, DES, Blowfish, RC2,
ECB), and a protocol version the code asks for (`PROTOCOL_TLSv1`, `SSL.SSLv3_METHOD`, `minimum_version =
TLSVersion.TLSv1`, `options &= ~OP_NO_TLSv1`). A context created with the library's defaults
(`ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)`, `create_default_context()`) is not reported: since Python 3.10 the ssl
module's minimum is TLS 1.2, and OpenSSL 3 refuses TLS 1.0/1.1 at its default security level.
"""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ..context import UNKNOWN, PyContext
from ..registry import python_check
from .transport import opt_in_switch

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
        _report_cipher(ctx, call, PYCRYPTO_BROKEN[name], name.rsplit(".", 2)[-2] + ".new",
                       decrypt_only=_decrypt_only(ctx, call, ("decrypt",), ("encrypt",)))
        return
    if name in PYCRYPTO_MODES:
        mode = call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "mode")
        mode_name = ctx.qualname(mode) if isinstance(mode, (ast.Name, ast.Attribute)) else None
        if mode_name and mode_name.endswith(".MODE_ECB"):
            _report_cipher(ctx, call, "ECB mode", name.rsplit(".", 2)[-2] + ".new",
                           single=_single_constant_block(ctx, call, ("encrypt", "decrypt")),
                           decrypt_only=_decrypt_only(ctx, call, ("decrypt",), ("encrypt",)))
        return
    if name in CIPHER:
        algorithm = _resolve_call(ctx, call.args[0] if call.args else ctx.kwarg(call, "algorithm"))
        if isinstance(algorithm, ast.Call) and (ctx.call_name(algorithm) or "") in CRYPTOGRAPHY_BROKEN:
            _report_cipher(ctx, call, CRYPTOGRAPHY_BROKEN[ctx.call_name(algorithm) or ""], "Cipher",
                           decrypt_only=_decrypt_only(ctx, call, ("decryptor",), ("encryptor",)))
            return
        mode = _resolve_call(ctx, call.args[1] if len(call.args) > 1 else ctx.kwarg(call, "mode"))
        if isinstance(mode, ast.Call) and (ctx.call_name(mode) or "") == ECB:
            wrapper = _key_wrapping(ctx, call, ("update",))
            if wrapper:
                ctx.report(call, f"Broken cipher (review): `Cipher` uses ECB mode, but only in a helper that the "
                                 f"module calls to wrap or unwrap keys (`{wrapper}`): random key material has no "
                                 "structure to show through; a standard key wrap (AES-KW, RFC 3394) is still "
                                 "preferable, and never reuse the helper for data.",
                           severity=Severity.LOW, properties={"algorithm": "ECB mode"})
                return
            _report_cipher(ctx, call, "ECB mode", "Cipher", single=_single_constant_block(ctx, call, ("update",)),
                           decrypt_only=_decrypt_only(ctx, call, ("decryptor",), ("encryptor",)))


BLOCK = 16
HEX_DECODERS = frozenset({"fromhex", "unhexlify", "a2b_hex"})


def _constant_length(ctx: PyContext, node: ast.AST | None, depth: int = 0) -> int | None:
    """The length in bytes of a constant the code spells out: a literal, `bytes.fromhex("...")`,
    `binascii.unhexlify(HEX)`, a name bound to one, a class constant read as `self.IV`."""
    if node is None or depth > 4:
        return None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        cls = next((c for c in ctx.module.walk() if isinstance(c, ast.ClassDef)
                    and c.lineno <= getattr(node, "lineno", 0) <= (c.end_lineno or 0)), None)
        values = [st.value for st in (cls.body if cls else []) if isinstance(st, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.attr for t in st.targets)]
        return _constant_length(ctx, values[0], depth + 1) if len(values) == 1 else None
    if isinstance(node, ast.Call):
        func = node.func
        short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if short in HEX_DECODERS and len(node.args) == 1:
            text = _constant_text(ctx, node.args[0], depth + 1)
            return len(text) // 2 if isinstance(text, str) and len(text) % 2 == 0 else None
        if short == "encode" and isinstance(func, ast.Attribute):
            text = _constant_text(ctx, func.value, depth + 1)
            return len(text.encode()) if isinstance(text, str) and text.isascii() else None
        return None
    if isinstance(node, ast.Name):
        bound = ctx.resolve(node)
        if bound is not None and bound is not node and not isinstance(bound, ast.Name):
            return _constant_length(ctx, bound, depth + 1)
    value = ctx.const(node)
    return len(value) if isinstance(value, bytes) else None


def _constant_text(ctx: PyContext, node: ast.AST, depth: int) -> object:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        cls = next((c for c in ctx.module.walk() if isinstance(c, ast.ClassDef)
                    and c.lineno <= getattr(node, "lineno", 0) <= (c.end_lineno or 0)), None)
        values = [st.value for st in (cls.body if cls else []) if isinstance(st, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.attr for t in st.targets)]
        return ctx.const(values[0]) if len(values) == 1 else None
    return ctx.const(node)


def _single_constant_block(ctx: PyContext, call: ast.Call, methods: tuple[str, ...]) -> bool:
    """Every block the ECB cipher made by `call` processes is one constant block the code spells out
    (`ecb = Cipher(AES(key), ECB()).encryptor(); ecb.update(bytes.fromhex(self.IV))`: a format's or token's
    specification deriving a value from one fixed block): nothing repeats, so no structure can show through."""
    fn = ctx.function
    if fn is None:
        return False
    parents = ctx.module.parents()
    holders: set[str] = set()
    up = parents.get(id(call))
    if methods == ("update",):  # cryptography: Cipher(...).encryptor() / .decryptor()
        if isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(up.targets[0], ast.Name):
            made = up.targets[0].id  # cipher = Cipher(...); enc = cipher.encryptor()
            for sub in ast.walk(fn):
                if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name) \
                        and isinstance(sub.value, ast.Call) and isinstance(sub.value.func, ast.Attribute) \
                        and sub.value.func.attr in ("encryptor", "decryptor") \
                        and isinstance(sub.value.func.value, ast.Name) and sub.value.func.value.id == made:
                    holders.add(sub.targets[0].id)
        elif isinstance(up, ast.Attribute) and up.attr in ("encryptor", "decryptor"):
            outer = parents.get(id(parents.get(id(up))))
            if isinstance(outer, ast.Assign) and len(outer.targets) == 1 and isinstance(outer.targets[0], ast.Name):
                holders.add(outer.targets[0].id)
    elif isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(up.targets[0], ast.Name):
        holders.add(up.targets[0].id)  # aes = AES.new(key, AES.MODE_ECB); aes.encrypt(block)
    if not holders:
        return False
    uses = [sub for sub in ast.walk(fn) if isinstance(sub, ast.Name) and sub.id in holders
            and isinstance(sub.ctx, ast.Load)]
    blocks = []
    for use in uses:
        attr = parents.get(id(use))
        method = attr.attr if isinstance(attr, ast.Attribute) else ""
        used = parents.get(id(attr))
        if method == "finalize" and isinstance(used, ast.Call) and not used.args:
            continue
        if method not in methods or not (isinstance(used, ast.Call) and len(used.args) == 1):
            return False
        blocks.append(_constant_length(ctx, used.args[0]))
    return bool(blocks) and all(n is not None and 0 < n <= BLOCK for n in blocks)


KEY_VERBS = frozenset({"encrypt", "decrypt", "wrap", "unwrap"})


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()) if w}


def _key_wrapping(ctx: PyContext, call: ast.Call, methods: tuple[str, ...]) -> str:
    """The key-wrapping function(s) (`decrypt_key`, `wrap_key`) that are the only callers in this module of the
    helper holding this ECB cipher, passing it the data it encrypts (`def ecb_decrypt(data, key): ...
    encryptor.update(data)`; `def decrypt_key(data, key): return ecb_decrypt(b64(data), key)`), else ""."""
    fn = ctx.function
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args] if a.arg not in ("self", "cls")]
    data = {sub.args[0].id for sub in ast.walk(fn) if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in methods and len(sub.args) == 1 and isinstance(sub.args[0], ast.Name)}
    if len(data) != 1 or not data <= set(params):
        return ""
    position = params.index(next(iter(data)))
    parents = ctx.module.parents()
    callers = set()
    for sub in ctx.module.walk():
        if isinstance(sub, ast.Call) and (isinstance(sub.func, ast.Attribute) and sub.func.attr == fn.name
                                          or isinstance(sub.func, ast.Name) and sub.func.id == fn.name):
            outer = parents.get(id(sub))
            while outer is not None and not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)):
                outer = parents.get(id(outer))
            words = _words(getattr(outer, "name", ""))
            if not (words & {"key", "keys"} and words & KEY_VERBS) or position >= len(sub.args) \
                    or isinstance(sub.args[position], ast.Starred):
                return ""
            callers.add(outer.name)  # type: ignore[union-attr]
    return ", ".join(sorted(callers))


def _decrypt_only(ctx: PyContext, call: ast.Call, reads: tuple[str, ...], writes: tuple[str, ...]) -> bool:
    """The ECB (or broken-algorithm) cipher `call` makes is only ever used to decrypt (`aes = AES.new(key,
    AES.MODE_ECB)` and then only `aes.decrypt(...)`; `Cipher(AES(k), ECB()).decryptor()`; `Blowfish.new(key,
    MODE_CBC, iv).decrypt(chunk)`): the code reads data in a format someone else encrypted (MySQL's `.mylogin.cnf`,
    a vendor's export, a streaming service's Blowfish-encrypted tracks), and nothing it writes is protected by it."""
    parents = ctx.module.parents()
    up = parents.get(id(call))
    if isinstance(up, ast.Attribute):  # AES.new(key, MODE_ECB).decrypt(data)
        return up.attr in reads
    if not (isinstance(up, ast.Assign) and len(up.targets) == 1 and isinstance(up.targets[0], ast.Name)):
        return False
    fn = ctx.function
    scope = fn if fn is not None else ctx.module.tree
    name = up.targets[0].id
    used = False
    for sub in ast.walk(scope):
        if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load):
            attr = parents.get(id(sub))
            if not isinstance(attr, ast.Attribute) or attr.attr in writes or attr.attr not in reads:
                return False  # handed on, or used to encrypt
            used = True
    return used


def _report_cipher(ctx: PyContext, call: ast.Call, what: str, shown: str, single: bool = False,
                   decrypt_only: bool = False) -> None:
    if decrypt_only:
        ctx.report(call, f"Broken cipher (review): `{shown}` uses {what}, but only to decrypt: the code reads data "
                         "encrypted in a format another program defines (as MySQL's `.mylogin.cnf`, a service's "
                         "encrypted streams), and writes none with it. The weakness is the format's; do not reuse the "
                         "helper to encrypt.",
                   severity=Severity.LOW, precision="low", evidence="review",
                   properties={"algorithm": what, "use": "decrypt-only"})
        return
    if single:
        ctx.report(call, f"Broken cipher (review): `{shown}` uses ECB mode, but only on one constant block the code "
                         "spells out (a format's or token's specification deriving a value from a fixed block): with "
                         "a single block nothing repeats, so no structure shows through. Do not reuse it for data.",
                   severity=Severity.LOW, properties={"algorithm": what})
        return
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
    if isinstance(node, ast.IfExp):  # `TLSv1 if option else TLSv1_2`: either value may be set
        return _protocol(ctx, node.body, table, depth + 1) or _protocol(ctx, node.orelse, table, depth + 1)
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = ctx.qualname(node) or ""
        if name in table:
            return table[name]
        if isinstance(node, ast.Name):
            bound = ctx.resolve(node)
            if bound is not None and bound is not node:
                return _protocol(ctx, bound, table, depth + 1)
    return None


def _report_version(ctx: PyContext, node: ast.AST, message: str, old: str, value: ast.AST | None = None) -> None:
    """An old protocol chosen by the user's own switch (`if cfg.allow_old_tls(): ctx.minimum_version = MINIMUM_SUPPORTED
    else: ... TLSv1_2`, `TLSv1 if options.legacy else TLSv1_2`) is low, as for PY505's switches: the user asks for
    it."""
    where = node
    if isinstance(value, ast.IfExp):  # the branch that names the old version, so that the choice is seen
        where = value.body if _protocol(ctx, value.body, OLD_VERSIONS) else value.orelse
    switch = opt_in_switch(ctx, where) or _version_selector(ctx, where, old)
    if switch:
        ctx.report(node, f"{message} Only when `{switch}` asks for it (an opt-in switch; otherwise the code keeps a "
                         "current version): make sure it cannot be turned on in production.", severity=Severity.LOW,
                   properties={"protocol": old, "optInSwitch": switch})
        return
    ctx.report(node, message, properties={"protocol": old})


def _version_key(text: str) -> tuple[str, str] | None:
    """`TLSv1.1`, `tlsv1_1`, `1.1` -> ("tls", "11"); `TLSv1.0` -> ("tls", "1"); `SSLv3` -> ("ssl", "3")."""
    match = VERSION_TEXT.fullmatch(text.strip())
    if not match:
        return None
    digits = re.sub(r"[^0-9]", "", match.group(2))
    return (match.group(1) or "").lower(), ("1" if digits == "10" else digits)


VERSION_TEXT = re.compile(r"(?i)(tls|ssl)?[ _-]?v?([0-9](?:[._][0-9])?)")


def _version_selector(ctx: PyContext, node: ast.AST, old: str) -> str | None:
    """The value a branch setting `old` is chosen by, when the branch runs only if that value names exactly this
    version (`if tls_version == "TLSv1": ctx.minimum_version = TLSVersion.TLSv1`, `case "TLSv1.1":`): an if-chain
    that maps the user's version option onto the ssl constants, so the old protocol is used only when someone asks
    for it by name. None otherwise (an `else:` of such a chain, a comparison with another word)."""
    wanted = _version_key(old)
    if wanted is None:
        return None
    parents = ctx.module.parents()
    child, current = node, parents.get(id(node))
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                                           ast.ClassDef, ast.Module)):
        literals: list[str] = []
        chosen: ast.AST | None = None
        if isinstance(current, ast.If) and child in current.body and isinstance(current.test, ast.Compare) \
                and len(current.test.ops) == 1:
            left, right, op = current.test.left, current.test.comparators[0], current.test.ops[0]
            if isinstance(op, ast.Eq):
                for a, b in ((left, right), (right, left)):
                    if isinstance(ctx.const(a), str) and ctx.const(b) is UNKNOWN:
                        literals, chosen = [ctx.const(a)], b
            elif isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) \
                    and ctx.const(left) is UNKNOWN:
                literals = [ctx.const(e) for e in right.elts]
                chosen = left if all(isinstance(v, str) for v in literals) else None
        elif isinstance(current, ast.match_case) and isinstance(current.pattern, ast.MatchValue) \
                and isinstance(ctx.const(current.pattern.value), str):
            match = parents.get(id(current))
            literals, chosen = [ctx.const(current.pattern.value)], getattr(match, "subject", None)
        if chosen is not None and literals:
            keys = [_version_key(v) for v in literals]
            if all(k is not None and k[1] == wanted[1] and k[0] in ("", wanted[0]) for k in keys):
                text = ast.unparse(chosen)
                return text if len(text) <= 60 else text[:57] + "..."
        child, current = current, parents.get(id(current))
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
            _report_version(ctx, node, f"Insecure TLS version: `{name}` is set to {old}, which has known "
                                       f"attacks (POODLE, BEAST) and is refused by current clients; use "
                                       f"`ssl.create_default_context()` (TLS 1.2 or newer).", old)
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in ("minimum_version", "maximum_version"):
                old = _protocol(ctx, node.value, OLD_VERSIONS)
                if old and (target.attr == "minimum_version" or old != "MINIMUM.SUPPORTED"):
                    _report_version(ctx, node, f"Insecure TLS version: `{target.attr}` is set to {old}, "
                                               f"so connections may use a protocol with known attacks; set "
                                               f"`minimum_version = ssl.TLSVersion.TLSv1_2` or newer.", old,
                                    node.value)
        return
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitAnd) and isinstance(node.target, ast.Attribute) \
            and node.target.attr == "options":
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Invert):
                old = _protocol(ctx, sub.operand, OLD_OPTIONS)
                if old:
                    _report_version(ctx, node, f"Insecure TLS version: clearing `OP_NO_{old.replace('.', '_')}` "
                                               f"re-enables {old}, which has known attacks; leave it set.", old)
                    return
