"""Sensitive data: payment card numbers written into the code or kept in models (rules PY601-PY602).

The web store model keeps customers' card numbers; its mitigation is to keep only a payment gateway's token.
A card number is a Luhn-valid 13-19 digit number with a real issuer prefix (Visa, Mastercard, Amex, Discover,
JCB, Diners, UnionPay, Maestro); the card networks' published test numbers are not card data. The number itself
is never printed: snippets show it masked.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ....model import Severity
from ....secrets import card_numbers, mask_card_numbers, split_words
from ..context import PyContext
from ..registry import python_check
from ._web import report_review

def _masked_line(ctx: PyContext, node: ast.AST) -> str:
    return mask_card_numbers(ctx.file.line(node.lineno)).strip()


_CARD_CONTEXT = re.compile(r"(card|cc|pan|visa|master\s*card|amex|american express|discover|maestro|jcb|"
                           r"diners|unionpay|credit|debit|payment|number|no\.|nr\.?|#)\W{0,3}$", re.I)


# Words of a name that holds an identifier, a phone number or a time: a run of digits there is not a card number
# (`'uploader_id': '6055873637001'`, `account_id = attrs.get("data-account") or "5647924234001"`).
_IDENTIFIER_WORDS = {
    "id", "ids", "uid", "uuid", "guid", "pk", "key", "serial", "isbn", "ean", "upc", "gtin", "asin", "sku", "phone",
    "tel", "telephone", "mobile", "fax", "msisdn", "imei", "imsi", "iccid", "timestamp", "ts", "time", "date",
    "epoch", "version", "build", "revision", "rev", "seed", "nonce", "snowflake", "tracking",
}
_DIGITS_ONLY_PARENTS = (ast.BoolOp, ast.IfExp, ast.Tuple, ast.List, ast.Set)


def _governing_name(node: ast.AST, ctx: PyContext) -> str | None:
    """The name a literal is assigned to, passed as or stored under (through `or`, conditionals and sequences)."""
    parents = ctx.module.parents()
    child, parent = node, parents.get(id(node))
    while isinstance(parent, _DIGITS_ONLY_PARENTS):
        child, parent = parent, parents.get(id(parent))
    if isinstance(parent, ast.keyword):
        return parent.arg
    if isinstance(parent, ast.Dict):
        for key, value in zip(parent.keys, parent.values):
            if value is child and isinstance(key, ast.Constant) and isinstance(key.value, str):
                return key.value
        return None
    return next((name for name, value in _named_values(parent) if value is child), None) if parent else None


def _names_an_identifier(node: ast.AST, ctx: PyContext) -> bool:
    name = _governing_name(node, ctx)
    return bool(name) and any(w in _IDENTIFIER_WORDS for w in split_words(name)) and not is_card_number_name(name)


def _card_in_string(text: str, node: ast.AST, ctx: PyContext) -> Iterator[tuple[str, str]]:
    """Card numbers in a string: the whole string, grouped as printed on a card, or right after a card word.
    A bare 16-digit run inside other text (a seed in a docstring, a coefficient in generated code) is not, nor a
    string of digits only that is named as an identifier, a phone number or a time."""
    whole = text.strip()
    for raw, brand in card_numbers(text):
        if raw == whole and raw.isdigit() and _names_an_identifier(node, ctx):
            continue
        if raw == whole or not raw.isdigit():
            yield raw, brand
            continue
        before = text[max(0, text.find(raw) - 24):text.find(raw)]
        if _CARD_CONTEXT.search(before):
            yield raw, brand


def _report_card(node: ast.AST, brand: str, ctx: PyContext) -> None:
    snippet = _masked_line(ctx, node)
    ctx.report(node, f"Card number in the code: a {brand} card number that is not a "
                     f"published test number is written into the code; card data belongs with the payment "
                     f"gateway, not in the source.", snippet=snippet, code=f"{snippet}\0{brand}",
               properties={"cardBrand": brand})


@python_check("PY601", ast.Constant, ast.Assign, ast.AnnAssign, ast.keyword, ast.Dict)
def card_number_literal(node: ast.AST, ctx: PyContext) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and 13 <= len(node.value) <= 100_000:
            for _, brand in _card_in_string(node.value, node, ctx):
                _report_card(node, brand, ctx)
                return
        return
    # An integer is a card number only when its name says so: 16-digit integers are seeds and coefficients.
    if node.__class__ is not ast.Dict and not (isinstance(node.value, ast.Constant)  # type: ignore[attr-defined]
                                              and type(node.value.value) is int):  # type: ignore[attr-defined]
        return  # (an assignment or keyword names one value: not an integer, nothing to report)
    for name, value in _named_values(node):
        if not (isinstance(value, ast.Constant) and type(value.value) is int and is_card_number_name(name)):
            continue
        written = ctx.file.line(value.lineno).encode("utf-8")[value.col_offset:value.end_col_offset or None]
        if not written.replace(b"_", b"").isdigit():
            continue  # 0x1145E0001145F: a hexadecimal (or octal, binary) constant, not a number someone typed
        for _, brand in card_numbers(str(value.value)):
            _report_card(value, brand, ctx)


def _named_values(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, (ast.Name, ast.Attribute)):
                yield (target.id if isinstance(target, ast.Name) else target.attr), node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
        yield node.target.id, node.value
    elif isinstance(node, ast.keyword) and node.arg:
        yield node.arg, node.value
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                yield k.value, v


# --- model fields named like card numbers -------------------------------------------------------------------------
_CARD_PAIRS = {("card", "number"), ("card", "num"), ("card", "no"), ("card", "nr"), ("cc", "number"), ("cc", "num"),
               ("cc", "no"), ("credit", "card"), ("debit", "card"), ("primary", "account"), ("card", "pan"),
               ("pan", "number")}
_CARD_WORDS = {"cardnumber", "cardnum", "cardno", "ccnumber", "ccnum", "ccn", "creditcard", "creditcardnumber",
               "debitcard", "debitcardnumber", "pan"}
_NOT_THE_NUMBER = {
    "token", "tokens", "tokenized", "tokenised", "last", "four", "4", "mask", "masked", "hash", "hashed", "digest",
    "fingerprint", "id", "type", "brand", "network", "exp", "expiry", "expiration", "expires", "month", "year",
    "holder", "name", "bin", "iin", "country", "issuer", "present", "enabled", "is", "has", "count", "length", "len",
    "encrypted", "enc", "cipher", "ciphertext", "ref", "reference", "suffix", "prefix", "display", "label", "field",
    "verified", "valid", "pattern", "regex", "format", "placeholder", "help", "error", "input", "widget", "url",
    "image", "icon", "color", "colour", "status", "fee", "fees", "limit", "provider", "processor", "vault", "alias",
    "nickname", "reader", "terminal", "x", "y", "zoom", "offset", "speed", "step", "angle", "enabled",
}
_PAN_CONTEXT = {"pan", "card", "number", "value", "full", "raw", "plain", "customer", "payment"}


def is_card_number_name(name: str) -> bool:
    words = split_words(name)
    if not words or any(w in _NOT_THE_NUMBER for w in words):
        return False
    if "pan" in words and not set(words) <= _PAN_CONTEXT:
        return False  # pan_x, pan_offset: panning, not a primary account number
    if any(w in _CARD_WORDS for w in words):
        return True
    return any((a, b) in _CARD_PAIRS for a, b in zip(words, words[1:]))


_RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField", "relationship", "ReferenceField",
                    "ForeignKeyField", "GenericForeignKey"}
_SCALAR_TYPES = {"String", "Unicode", "Text", "UnicodeText", "Integer", "BigInteger", "Numeric", "LargeBinary",
                 "VARCHAR", "CHAR", "TEXT", "BIGINT", "NVARCHAR", "str", "int", "bytes", "Decimal"}
_DJANGO_SCALAR = {"CharField", "TextField", "IntegerField", "BigIntegerField", "PositiveIntegerField",
                  "PositiveBigIntegerField", "DecimalField", "BinaryField", "SlugField"}
_STORAGE_MODULES = ("django.db.models.", "peewee.", "mongoengine.", "tortoise.fields.", "pony.orm.")
_IN_MEMORY_BASES = {"BaseModel", "TypedDict", "NamedTuple", "Schema", "Struct"}
_DATACLASS_DECORATORS = {"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "attr.define", "define",
                         "attrs.frozen", "frozen", "pydantic.dataclasses.dataclass"}


def _final(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def _encrypted(node: ast.AST, ctx: PyContext) -> bool:
    """A field type or wrapper that encrypts: EncryptedCharField, encrypt(models.CharField()), EncryptedType."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)) and "encrypt" in (ctx.qualname(sub) or "").lower():
            return True
    return False


def _annotation_scalar(annotation: ast.AST | None, ctx: PyContext) -> tuple[bool, bool]:
    """(is a scalar the number could be stored in, is pydantic's PaymentCardNumber)."""
    if annotation is None:
        return False, False
    names = {_final(ctx.qualname(n)) for n in ast.walk(annotation) if isinstance(n, (ast.Name, ast.Attribute))}
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        names |= set(re.findall(r"\w+", annotation.value))
    if "PaymentCardNumber" in names:
        return True, True
    if "SecretStr" in names or "SecretBytes" in names:
        return False, False  # masked in repr and logs: the model took care
    return bool(names & {"str", "int", "bytes", "Decimal", "String", "constr", "conint"}), False


def _field_kind(stmt: ast.AST, cls: ast.ClassDef, ctx: PyContext, is_name=None,
                encryption_helps: bool = True) -> tuple[str, str, bool] | None:
    """(field name, "storage" or "in-memory", declared as PaymentCardNumber) for a card-number field (or, with
    `is_name`, a field whose name that predicate accepts)."""
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        name, value, annotation = stmt.target.id, stmt.value, stmt.annotation
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        name, value, annotation = stmt.targets[0].id, stmt.value, None
    else:
        return None
    scalar_annotation, payment_card = _annotation_scalar(annotation, ctx)
    if is_name is not None:
        payment_card = False
        if not is_name(name):
            return None
    elif not payment_card and not is_card_number_name(name):
        return None
    if not encryption_helps and isinstance(value, ast.Call) and value.args \
            and "encrypt" in (ctx.call_name(value) or "").lower():
        value = value.args[0]  # encrypt(models.CharField()): judged by the field it wraps
    if encryption_helps and value is not None and _encrypted(value, ctx):
        return None
    if isinstance(value, ast.Call):
        called = ctx.call_name(value) or ""
        final = _final(called)
        if final in _RELATION_FIELDS:
            return None
        if called.startswith(_STORAGE_MODULES):
            if is_name is None and _too_short(value, ctx):
                return None
            scalar = final in _DJANGO_SCALAR or final.endswith(("CharField", "TextField", "StringField",
                                                                "IntegerField", "DecimalField"))
            return (name, "storage", payment_card) if scalar else None
        if final in ("Column", "mapped_column"):
            if any(_final(ctx.qualname(a.func) if isinstance(a, ast.Call) else ctx.qualname(a)) == "ForeignKey"
                   for a in value.args):
                return None
            types = {_final(ctx.qualname(a.func if isinstance(a, ast.Call) else a)) for a in value.args}
            if types & _SCALAR_TYPES or (not value.args and scalar_annotation):
                return name, "storage", payment_card
            return None
        if final in ("Field", "field", "attrib", "ib") and scalar_annotation:
            return name, _flavour(cls, ctx), payment_card
        return None
    if value is None or isinstance(value, ast.Constant):
        if not scalar_annotation:
            return None
        flavour = _flavour(cls, ctx)
        return (name, flavour, payment_card) if flavour else None
    return None


def _too_short(field: ast.Call, ctx: PyContext) -> bool:
    """`models.CharField(max_length=4)`: a field too short for the 12 to 19 digits of a card number (the last four
    digits, a country code) holds none."""
    size = ctx.kwarg(field, "max_length")
    value = ctx.const(size) if size is not None else None
    return isinstance(value, int) and not isinstance(value, bool) and value < 12


def _flavour(cls: ast.ClassDef, ctx: PyContext) -> str:
    """"storage" for SQLModel tables, "in-memory" for pydantic models, dataclasses, attrs and typed dicts, "" else."""
    bases = {_final(ctx.qualname(b)) for b in cls.bases}
    if "SQLModel" in bases:
        table = any(kw.arg == "table" and ctx.truthy(kw.value) for kw in cls.keywords)
        return "storage" if table else "in-memory"
    if bases & _IN_MEMORY_BASES:
        return "in-memory"
    for d in cls.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if (ctx.qualname(target) or "") in _DATACLASS_DECORATORS or _final(ctx.qualname(target)) == "dataclass":
            return "in-memory"
    return ""


@python_check("PY602", ast.ClassDef)
def card_number_field(cls: ast.ClassDef, ctx: PyContext) -> None:
    for stmt in cls.body:
        found = _field_kind(stmt, cls, ctx)
        if not found:
            continue
        name, flavour, payment_card = found
        what = "declared as `PaymentCardNumber`" if payment_card else "named like a card number"
        if flavour == "storage" and not payment_card and not _payment_context(cls, name, ctx):
            report_review(ctx, stmt, f"Card numbers stored: the model `{cls.name}` keeps `{name}`, a field named "
                                     f"like a card number, in the database",
                          "nothing else in the model or its module speaks of payment (a badge, membership or "
                          "qualification card has a number too); if it holds payment card numbers, keep the "
                          "gateway's token instead", properties={"field": name, "storage": True})
            continue
        if flavour == "storage":
            message = (f"Card numbers stored: the model `{cls.name}` keeps `{name}`, a field "
                       f"{what}, in the database; keep the payment gateway's token instead of the number.")
            severity = None
        else:
            message = (f"Card numbers handled: `{cls.name}` carries `{name}`, a field {what}, "
                       f"through the application; let the payment gateway collect the number and keep its token.")
            severity = Severity.LOW
        ctx.report(stmt, message, severity=severity, properties={"field": name, "storage": flavour == "storage"})


# Words of a model's name, its fields' names or its module's path that say it is about paying: a field named
# `card_number` in an access-control badge model (horilla) or a steward's qualification (kompassi) is no payment card.
_PAYMENT_WORDS = frozenset({
    "pay", "payment", "payments", "billing", "bill", "credit", "debit", "charge", "charges", "checkout", "order",
    "orders", "invoice", "invoices", "transaction", "transactions", "purchase", "purchases", "stripe", "braintree",
    "paypal", "adyen", "gateway", "wallet", "cvv", "cvc", "merchant", "acquirer", "cc",
    "pan", "donation", "subscription", "refund", "shop", "store", "cart", "commerce", "ecommerce", "sale", "sales",
})


def _payment_context(cls: ast.ClassDef, name: str, ctx: PyContext) -> bool:
    """Whether the field's own name, its model's name or fields, or its module's path speak of payment."""
    words = set(split_words(name)) | set(split_words(cls.name))
    for stmt in cls.body:
        words.update(w for target, _ in _named_values(stmt) for w in split_words(target))
    words.update(w for part in re.split(r"[/.]", ctx.file.rel) for w in split_words(part))
    return bool(words & _PAYMENT_WORDS)


# --- PY603: card security codes kept in storage -------------------------------------------------------------------
def is_security_code_name(name: str) -> bool:
    """`cvv`, `cvc2`, `card_cvv`, `card_security_code`, `card_verification_value`; not `otp_code`."""
    words = split_words(name)
    joined = "".join(words)
    if any(w in ("cvv", "cvc", "cvn", "cav", "cid") for w in words) and not any(w in _NOT_THE_NUMBER for w in words):
        return words != ["cid"]  # "cid" alone is a client or correlation id far more often
    return "card" in words and any(w in ("security", "verification") for w in words) and \
        "hash" not in joined and "token" not in joined


@python_check("PY603", ast.ClassDef)
def card_security_code_field(cls: ast.ClassDef, ctx: PyContext) -> None:
    for stmt in cls.body:
        found = _field_kind(stmt, cls, ctx, is_name=is_security_code_name, encryption_helps=False)
        if found and found[1] == "storage":
            ctx.report(stmt, f"Card security code stored: the model `{cls.name}` keeps "
                             f"`{found[0]}` in the database; a card's security code may never be stored after "
                             f"authorisation, encrypted or not.", properties={"field": found[0]})
