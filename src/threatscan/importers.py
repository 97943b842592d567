"""Threat models from elsewhere: a Markdown document's table of threats, and OWASP Threat Dragon v2 JSON.

Both become the threatmodel.yaml shape. Controls are *suggested* by matching each threat's words against the
built-in threat catalogue (and through it, the rules that check those threats): they are in force at once, so a
scan right after the import keys findings to the new ids, and each is marked as a suggestion to review.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog
from .model import STRIDE
from .threatmodel import UserThreat, UserThreatModel, normalise_stride


class ImportError_(ValueError):
    """The document has no usable table of threats (or is not a Threat Dragon model)."""


_SEPARATOR_CELL = re.compile(r":?-{2,}:?")


def _is_separator(line: str) -> bool:
    """A Markdown table's `|---|:--:|` line (cell by cell: one regular expression over the line backtracks)."""
    cells = line.strip().strip("|").split("|")
    return bool(line.strip()) and all(_SEPARATOR_CELL.fullmatch(c.strip()) for c in cells)
_STOP = set("""a an the and or of to in on for with from by at as is are be been being it its this that these those
into over under via their them they our we you your can could may might will would should must not no do does done
using use used than then so such each all any other more most some only own same too very also data system user
users service services application app attacker attackers attack attacks threat threats risk via per""".split())

# words that say which STRIDE category a threat belongs to, when the document does not state it
_STRIDE_HINTS = {
    "spoofing": ("spoof", "impersonat", "phish", "hijack", "credential stuffing", "account takeover", "session", "authentication bypass"),
    "tampering": ("tamper", "inject", "modif", "xss", "cross-site", "script", "integrity", "man-in-the-middle"),
    "repudiation": ("repudiat", "audit", "logging", "monitoring", "non-repudiation"),
    "information-disclosure": ("disclos", "leak", "breach", "expos", "exfiltrat", "eavesdrop", "intercept", "credential", "secret", "confidential", "reverse engineer"),
    "denial-of-service": ("denial", "ddos", "dos ", "availability", "overwhelm", "rate limit", "single point of failure", "downtime", "disaster"),
    "elevation-of-privilege": ("privilege", "escalat", "bypass", "code execution", "execute code", "isolation", "excessive access", "unauthorized access", "rce"),
}


@dataclass
class _Row:
    id: str
    title: str
    description: str = ""
    stride: list[str] = field(default_factory=list)
    stride_stated: bool = False
    mitigation: str = ""
    status: str = "open"


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [re.sub(r"<br\s*/?>", " ", c).strip() for c in line.split("|")]


def tables(text: str) -> list[list[list[str]]]:
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines) - 1:
        if "|" in lines[i] and _is_separator(lines[i + 1]):
            table = [_cells(lines[i])]
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                table.append(_cells(lines[j]))
                j += 1
            out.append(table)
            i = j
        else:
            i += 1
    return out


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip()


def _column(headers: list[str], *words: str) -> int | None:
    for i, h in enumerate(headers):
        h = _plain(h).lower()
        if any(w == h or (len(w) > 2 and w in h) for w in words):
            return i
    return None


def _rows(table: list[list[str]]) -> list[_Row]:
    headers = [_plain(h).lower() for h in table[0]]
    id_col = _column(headers, "id", "#", "no", "no.", "number", "ref", "key")
    title_col = _column(headers, "threat", "title", "name", "vulnerability", "attack", "risk", "finding")
    if title_col is None or title_col == id_col:
        return []
    desc_col = _column([h if i not in (id_col, title_col) else "" for i, h in enumerate(headers)],
                       "description", "scenario", "details", "impact", "interaction")
    stride_col = _column([h if i not in (id_col, title_col) else "" for i, h in enumerate(headers)],
                         "stride", "category", "type", "class")
    mit_col = _column(headers, "mitigation", "countermeasure", "control", "remediation")
    rows = []
    for n, cells in enumerate(table[1:], start=1):
        cells = cells + [""] * (len(headers) - len(cells))
        title = _plain(cells[title_col])
        if not title:
            continue
        rid = _plain(cells[id_col]) if id_col is not None else ""
        rid = re.sub(r"\s+", "-", rid) or f"T-{n}"
        if re.fullmatch(r"\d+", rid):
            rid = f"T-{rid}"
        row = _Row(rid, title, _plain(cells[desc_col]) if desc_col is not None else "",
                   mitigation=_plain(cells[mit_col]) if mit_col is not None else "")
        if stride_col is not None:
            stated = [normalise_stride(part) for part in re.split(r"[,/;]| and ", _plain(cells[stride_col]))]
            row.stride = [s for s in stated if s]
            row.stride_stated = bool(row.stride)
        rows.append(row)
    return rows


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z][a-z0-9]+", text.lower()):
        if w in _STOP or len(w) < 3:
            continue
        out.add(w[:6])  # a crude stem: "credentials" and "credential" meet
    return out


def suggest_controls(text: str, catalog: Catalog, limit: int = 3) -> list[str]:
    """Built-in threats (with rules) whose words overlap the imported threat's most, as `threat:<id>` controls.

    Words are weighted by rarity across the catalogue (IDF), and words of a built-in threat's title count twice,
    so "credentials" or "isolation" decide more than "access" or "data"."""
    import math

    words = _words(text)
    candidates = [t for t in catalog.threats.values() if catalog.rules_for_threat(t.id)]
    if not words or not candidates:
        return []
    docs = {t.id: (_words(f"{t.title} {t.description}"), _words(t.title)) for t in candidates}
    df: dict[str, int] = {}
    for body, _ in docs.values():
        for w in body:
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(1 + len(docs) / n) for w, n in df.items()}
    scored = []
    for tid, (body, title) in docs.items():
        score = sum(idf[w] for w in words & body) + sum(idf.get(w, 0) for w in words & title)
        if score >= 6.0:
            scored.append((score, tid))
    scored.sort(reverse=True)
    best = scored[0][0] if scored else 0
    return [f"threat:{tid}" for score, tid in scored[:limit] if score >= best / 2]


def _infer_stride(text: str) -> list[str]:
    low = f" {text.lower()} "
    return [cat for cat in STRIDE if any(h in low for h in _STRIDE_HINTS[cat])]


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render(system: str, source: str, rows: list[_Row], catalog: Catalog) -> str:
    out = [
        f"# Threat model imported from {source} by `threatscan threats import`.",
        "# suggested-controls were matched from the rule catalogue by keyword: they are in force now (a scan keys",
        "# findings to these ids); review each one, then move it to `controls` or delete it.",
        "version: 1",
        f"system: {_yaml_str(system)}",
        "threats:",
    ]
    for row in rows:
        text = f"{row.title} {row.description} {row.mitigation}"
        controls = suggest_controls(text, catalog)
        stride = row.stride
        note = ""
        if not stride:
            stride = _infer_stride(text)
            note = "  # inferred from the text, not stated in the document" if stride else ""
        if not stride:
            matched = [catalog.threats[c.split(":", 1)[1]].stride for c in controls]
            stride = list(dict.fromkeys(s for group in matched for s in group))[:2]
            note = "  # taken from the matched built-in threats; not stated in the document" if stride else ""
        if not stride:
            stride = ["tampering"]
            note = "  # not stated in the document and not inferable: review"
        out += [
            f"  - id: {_yaml_str(row.id)}",
            f"    title: {_yaml_str(row.title)}",
            f"    stride: [{', '.join(stride)}]{note}",
        ]
        if row.description:
            out.append(f"    description: {_yaml_str(row.description)}")
        if row.status != "open":
            out.append(f"    status: {row.status}")
        out.append(f"    suggested-controls: [{', '.join(_yaml_str(c) for c in controls)}]"
                   + ("" if controls else "  # no rule matched: review by hand or write a rule"))
    return "\n".join(out) + "\n"


def import_markdown(text: str, catalog: Catalog, *, system: str | None = None, source: str = "a Markdown document") -> str:
    candidates = [rows for rows in (_rows(t) for t in tables(text)) if rows]
    if not candidates:
        raise ImportError_(f"{source}: no table with a threat/title column was found")
    # The threat table is the one with ids, then the one with most rows.
    rows = max(candidates, key=lambda rs: (not all(r.id.startswith("T-") for r in rs), len(rs)))
    if system is None:
        heading = next((line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")), "")
        system = heading or Path(source).stem
    seen: dict[str, int] = {}
    for row in rows:  # ids must be unique
        seen[row.id] = seen.get(row.id, 0) + 1
        if seen[row.id] > 1:
            row.id = f"{row.id}-{seen[row.id]}"
    return render(system, Path(source).name, rows, catalog)


# --- OWASP Threat Dragon v2 -------------------------------------------------------------------------------------

_TD_STATUS = {"open": "open", "mitigated": "mitigated", "notapplicable": "accepted", "n/a": "accepted"}


def _threat_dragon_rows(data: dict, source: str) -> tuple[str, list[_Row]]:
    if not isinstance(data, dict) or "detail" not in data or "summary" not in data:
        raise ImportError_(f"{source}: not an OWASP Threat Dragon v2 model (no summary/detail)")
    system = str((data.get("summary") or {}).get("title") or Path(source).stem)
    rows: list[_Row] = []
    for diagram in (data.get("detail") or {}).get("diagrams") or []:
        for cell in diagram.get("cells") or []:
            for t in ((cell.get("data") or {}).get("threats") or []):
                number = t.get("number")
                rid = f"TD-{number}" if number not in (None, "") else f"TD-{len(rows) + 1}"
                stride = normalise_stride(str(t.get("type", "")))
                status = _TD_STATUS.get(str(t.get("status", "Open")).lower().replace(" ", ""), "open")
                rows.append(_Row(rid, str(t.get("title") or "Untitled threat"), " ".join(str(t.get("description", "")).split()),
                                 [stride] if stride else [], bool(stride), " ".join(str(t.get("mitigation", "")).split()), status))
    if not rows:
        raise ImportError_(f"{source}: the Threat Dragon model lists no threats")
    return system, rows


def import_threat_dragon_file(path: str, catalog: Catalog) -> str:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportError_(f"{path}: cannot read JSON: {exc}") from None
    system, rows = _threat_dragon_rows(data, path)
    return render(system, Path(path).name, rows, catalog)


def from_threat_dragon(path: Path, text: str, catalog: Catalog) -> UserThreatModel:
    """Read a Threat Dragon model directly as the threat model (`--threat-model model.json`)."""
    from .threatmodel import ThreatModelError

    try:
        system, rows = _threat_dragon_rows(json.loads(text), str(path))
    except (ValueError, ImportError_) as exc:
        raise ThreatModelError(str(exc)) from None
    threats = []
    for row in rows:
        text_ = f"{row.title} {row.description} {row.mitigation}"
        stride = row.stride or _infer_stride(text_) or ["tampering"]
        threats.append(UserThreat(row.id, row.title, tuple(stride), row.description, row.status, None, (),
                                  tuple(suggest_controls(text_, catalog))))
    return UserThreatModel(str(path), system, threats)
