"""The one vocabulary of threatscan: threats, rules, findings and the notices a scan gives.

Every engine produces `Finding`s, every report renders them; nothing else describes a result.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

STRIDE = (
    "spoofing",
    "tampering",
    "repudiation",
    "information-disclosure",
    "denial-of-service",
    "elevation-of-privilege",
)


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (low, medium, high, critical)") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def sarif_level(self) -> str:
        return {1: "note", 2: "warning"}.get(int(self), "error")

    def raised(self, steps: int = 1) -> "Severity":
        return Severity(min(int(self) + steps, int(Severity.CRITICAL)))

    def lowered(self, steps: int = 1) -> "Severity":
        return Severity(max(int(self) - steps, int(Severity.LOW)))


PRECISIONS = ("very-high", "high", "medium", "low")


@dataclass(frozen=True)
class ThreatModel:
    id: str
    title: str
    source: str  # what the model is called where it came from (a document's title), never a file name
    summary: str = ""


@dataclass(frozen=True)
class Threat:
    id: str
    title: str
    description: str
    stride: tuple[str, ...]
    model: str
    section: str = ""
    cwe: tuple[int, ...] = ()
    # The example models' threats this generic threat generalises (their own ids, e.g. "ECOM-1").
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A rule's metadata (loaded from rules/*.yaml); its check is registered in code under the same id."""

    id: str
    name: str
    title: str
    kinds: tuple[str, ...]
    threats: tuple[str, ...]
    cwe: tuple[int, ...]
    severity: Severity
    security_severity: float
    precision: str
    finds: str
    why: str
    fix: str
    tags: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    family: str = ""
    engine: str = "native"
    # Why what the rule sees is, by itself, a review finding (README "Severity follows evidence"): set for rules
    # whose findings were almost never exploitable on real code; a check keeps the rule's severity only by passing
    # the evidence it found (`evidence="flow"`: the value is request data)
    review: str = ""


@dataclass(frozen=True)
class Location:
    """A place in a file. `path` is relative to the scan root, with '/' separators; lines and columns are 1-based."""

    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True)
class FlowStep:
    """One step of a data flow from a source to a sink (SARIF codeFlows)."""

    location: Location
    message: str


@dataclass(frozen=True)
class Suppression:
    kind: str  # "inSource" or "external"
    justification: str
    status: str = "accepted"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    location: Location
    message: str
    severity: Severity
    threats: tuple[str, ...] = ()
    # The offending code as shown to people: secrets are already redacted by the engine that found them.
    snippet: str = ""
    # Stable across line shifts: rule, file and the normalised code (see `fingerprint_of`).
    fingerprint: str = ""
    # GitHub's primaryLocationLineHash for the finding's line (see linehash.py); filled by the scan.
    line_hash: str = ""
    related: tuple[Related, ...] = ()
    flow: tuple[FlowStep, ...] = ()
    precision: str | None = None
    engine: str = "native"
    suppression: Suppression | None = None
    # What the finding shows, for the severity policy (README "Severity follows evidence"): "" the rule's own
    # evidence (a literal secret, a setting seen), "flow" untrusted data seen reaching the sink, "review" the
    # value's origin cannot be seen (a low review finding that never fails the default gate and is never raised).
    evidence: str = ""
    # Where the code lives: "" shipping code, "test" tests/examples/docs, "non-shipping" (debug-only source sets).
    code_kind: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_(self, **changes: Any) -> "Finding":
        return replace(self, **changes)


@dataclass(frozen=True)
class Notice:
    """Something the scan could not do: a file it skipped or could not parse, an engine that failed."""

    message: str
    path: str | None = None
    level: str = "warning"  # "error", "warning" or "note"
    kind: str = "skipped"
    line: int | None = None


def normalise_code(text: str) -> str:
    return " ".join(text.split())


def fingerprint_of(rule_id: str, path: str, code: str, occurrence: int = 0) -> str:
    """A content hash that ignores line numbers and indentation, so moving code keeps the fingerprint.

    Secrets in `code` are masked before hashing: a fingerprint is no dictionary-attackable hash of a secret value
    (the rest of the line shows in the snippet), and rotating a key keeps its finding's fingerprint."""
    from .secrets import redact

    digest = hashlib.sha256(f"{rule_id}\0{path}\0{normalise_code(redact(code, code=False))}\0{occurrence}".encode()).hexdigest()
    return digest[:32]


# --- STRIDE as people write it (threat models of every format) -------------------------------------------------
_STRIDE_WORDS = {
    "spoofing": "spoofing", "spoof": "spoofing", "spoofed": "spoofing", "s": "spoofing", "identity spoofing": "spoofing",
    "spoofing identity": "spoofing", "impersonation": "spoofing",
    "tampering": "tampering", "tamper": "tampering", "t": "tampering", "data tampering": "tampering",
    "tampering with data": "tampering",
    "repudiation": "repudiation", "r": "repudiation", "non repudiation": "repudiation", "nonrepudiation": "repudiation",
    "repudiate": "repudiation",
    "information disclosure": "information-disclosure", "info disclosure": "information-disclosure",
    "info disc": "information-disclosure", "info": "information-disclosure", "disclosure": "information-disclosure",
    "information leakage": "information-disclosure", "info leak": "information-disclosure",
    "information exposure": "information-disclosure", "data disclosure": "information-disclosure",
    "i": "information-disclosure", "id": "information-disclosure",
    "denial of service": "denial-of-service", "dos": "denial-of-service", "d": "denial-of-service",
    "ddos": "denial-of-service", "distributed denial of service": "denial-of-service", "denial": "denial-of-service",
    "elevation of privilege": "elevation-of-privilege", "elevation of privileges": "elevation-of-privilege",
    "escalation of privilege": "elevation-of-privilege", "escalation of privileges": "elevation-of-privilege",
    "privilege escalation": "elevation-of-privilege", "privilege elevation": "elevation-of-privilege",
    "elevation": "elevation-of-privilege", "e": "elevation-of-privilege", "eop": "elevation-of-privilege",
    "eoc": "elevation-of-privilege", "elevation of priv": "elevation-of-privilege",
}


def normalise_stride(text: str) -> str | None:
    key = re.sub(r"[^a-z ]", " ", text.strip().lower().replace("_", " ").replace("-", " ").replace(".", ""))
    key = " ".join(key.split())
    if key in _STRIDE_WORDS:
        return _STRIDE_WORDS[key]
    key = re.sub(r"^(stride )?(category )?", "", key)  # "STRIDE: Tampering"
    if re.match(r"^[stride] [a-z]{4,}", key):  # "(T) Tampering"
        key = key[2:]
    return _STRIDE_WORDS.get(key) or _STRIDE_WORDS.get(key.replace(" ", ""))


def stride_list(text: str) -> list[str]:
    """Every STRIDE category a cell states: "Spoofing, Tampering", "S/T", "STRIDE: I, D", "Info disclosure & DoS".
    A run of capitals from S,T,R,I,D,E ("STI") is read letter by letter; "DoS", "EoP" and "ID" as abbreviations."""
    out: list[str] = []
    text = re.sub(r"^\s*stride\s*(category|categories)?\s*[:\-]?\s*", "", str(text).strip(), flags=re.I)
    for part in re.split(r"[,/;&+|\n]|\band\b|\bor\b", text):
        part = part.strip(" ()[]*_.`")
        if not part:
            continue
        one = normalise_stride(part)
        if one:
            out.append(one)
        elif re.fullmatch(r"[STRIDE]{2,6}", part):
            out += [normalise_stride(c) for c in part]  # type: ignore[misc]
        else:
            m = re.match(r"^\(?([STRIDE])\)?\s+[-:]?\s*(.+)$", part)
            if m and normalise_stride(m.group(2)):
                out.append(normalise_stride(m.group(2)))  # type: ignore[arg-type]
    return list(dict.fromkeys(o for o in out if o))
