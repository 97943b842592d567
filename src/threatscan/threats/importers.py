"""Threat models from elsewhere, read for what the document says, into the threatmodel.yaml shape.

Formats:
- Markdown: any table whose columns name the threat (id, title, description, STRIDE/category, status,
  mitigation/controls, severity/impact/likelihood: any order, any common wording), numbered and bulleted lists under
  a heading about threats, heading-per-threat documents (`### 1. Data breach (High Risk)` with `**Impact**: ...`
  fields), and prose paragraphs under such a heading (one threat per sentence).
- OWASP Threat Dragon v1 (`diagramJson.cells[].threats`) and v2 (`cells[].data.threats`) JSON.
- pytm's JSON output (`tm.py --json`): its `findings`, one threat per (threat, element).
- Threagile model YAML: `risk_tracking` (one threat per tracked risk, its status) and individual/custom risk
  categories, named after the technical assets they concern.

An import never loses a threat silently: what it could not read is returned in `unread` (and printed by the CLI,
and written as comments at the top of the imported model).

Controls are *suggested* from the meaning of each threat's title and description (rules/suggest.yaml: phrases that
name one weakness), never from shared everyday words. A suggestion keys findings to the threat, marked as
suggested, but never raises severity nor makes a threat violated or clean: only the user promotes it (`threatscan
threats accept ID`, or moving it to `controls`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..catalog import Catalog, rules_dir, threat_signals
from ..model import STRIDE, stride_list


class ImportError_(ValueError):
    """The document holds no threats threatscan can read (or is not the format it claims)."""


@dataclass
class _Row:
    id: str
    title: str
    description: str = ""
    stride: list[str] = field(default_factory=list)
    stride_stated: bool = False
    mitigation: str = ""
    status: str = "open"
    severity: str = ""  # the document's own words (severity, risk, impact/likelihood)
    line: int = 0  # where the threat is stated (1-based; 0 when the format has no lines)


@dataclass
class Imported:
    system: str
    source: str  # the document's file name, for the header comment
    format: str
    rows: list[_Row]
    unread: list[str] = field(default_factory=list)


# --- words -------------------------------------------------------------------------------------------------------

def _plain(text: str) -> str:
    text = re.sub(r"<br\s*/?>", " ", str(text))
    text = re.sub(r"<[^<>]+>", "", text)  # [^<>]: a run of `<` is tried once per `<`, not to the end (linear)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\[\]]*)\]\(([^()]*)\)", r"\1", text)  # no `[`/`(` inside: linear on runs of them
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)\*\*(?=\s|$)|^\*\*", "", text)
    return " ".join(text.split()).strip()


_STATUS = {
    "open": "open", "new": "open", "todo": "open", "to do": "open", "planned": "open", "unmitigated": "open",
    "in progress": "open", "in-progress": "open", "in discussion": "open", "in-discussion": "open",
    "unchecked": "open", "identified": "open", "pending": "open", "not mitigated": "open", "partially mitigated": "open",
    "partial": "open", "partially": "open", "proposed": "open", "unresolved": "open", "active": "open",
    "mitigated": "mitigated", "resolved": "mitigated", "fixed": "mitigated", "done": "mitigated", "closed": "mitigated",
    "implemented": "mitigated", "avoided": "mitigated", "remediated": "mitigated", "addressed": "mitigated",
    "complete": "mitigated", "completed": "mitigated", "yes": "mitigated", "[x]": "mitigated",
    "accepted": "accepted", "risk accepted": "accepted", "accept": "accepted", "transferred": "accepted",
    "not applicable": "accepted", "notapplicable": "accepted", "n/a": "accepted", "na": "accepted",
    "false positive": "accepted", "false-positive": "accepted", "wont fix": "accepted", "won't fix": "accepted",
    "tolerated": "accepted",
}


def _status(text: str) -> tuple[str, bool]:
    """(status, understood)."""
    key = _plain(text).lower().strip(" .")
    if not key:
        return "open", True
    if key in _STATUS:
        return _STATUS[key], True
    for words, status in (("accept", "accepted"), ("transfer", "accepted"), ("not applicable", "accepted"),
                          ("partial", "open"), ("not mitigated", "open"), ("unmitigated", "open"), ("progress", "open"),
                          ("mitigated", "mitigated"), ("resolved", "mitigated"), ("implemented", "mitigated")):
        if words in key:
            return status, True
    return "open", False


# --- suggestions by meaning --------------------------------------------------------------------------------------

def _signals(directory: str) -> dict[str, list[re.Pattern]]:
    return threat_signals(directory)


def suggest(title: str, description: str, catalog: Catalog, mitigation: str = "", limit: int = 3) -> list[str]:
    """Generic threats (with at least one rule) that the threat's title or description *names*, best first.

    A phrase in the title counts twice; the description once; the mitigation only adds weight to a threat already
    named by the title or description ("parameterised queries" confirms SQL injection, it never suggests it)."""
    signals = _signals(str(rules_dir()))
    title_l, desc_l, mit_l = title.lower(), description.lower(), mitigation.lower()
    scored = []
    for order, (tid, patterns) in enumerate(signals.items()):
        if tid not in catalog.threats or not catalog.rules_for_threat(tid):
            continue
        named = 2 * sum(1 for p in patterns if p.search(title_l)) + sum(1 for p in patterns if p.search(desc_l))
        if not named:
            continue
        score = named + 0.5 * sum(1 for p in patterns if p.search(mit_l))
        scored.append((-score, order, tid))
    scored.sort()
    if not scored:
        return []
    best = -scored[0][0]
    return [tid for score, _, tid in scored[:limit] if -score >= best * 0.6]


_STRIDE_HINTS = {
    "spoofing": ("spoof", "impersonat", "phish", "hijack", "credential stuffing", "account takeover", "session",
                 "authentication bypass", "forged"),
    "tampering": ("tamper", "inject", "modif", "xss", "cross-site", "script", "integrity", "man-in-the-middle",
                  "mass assignment"),
    "repudiation": ("repudiat", "audit", "logging", "monitoring", "denies"),
    "information-disclosure": ("disclos", "leak", "breach", "expos", "exfiltrat", "eavesdrop", "intercept",
                               "credential", "secret", "confidential", "reverse engineer", "unencrypted", "steal"),
    "denial-of-service": ("denial", "ddos", " dos ", "availability", "overwhelm", "rate limit", "single point of failure",
                          "downtime", "disaster", "outage", "flood"),
    "elevation-of-privilege": ("privilege", "escalat", "bypass", "code execution", "execute code", "isolation",
                               "excessive access", "unauthorized access", "unauthorised access", "rce", "escape",
                               "admin access"),
}


def infer_stride(text: str) -> list[str]:
    low = f" {text.lower()} "
    return [cat for cat in STRIDE if any(h in low for h in _STRIDE_HINTS[cat])]


# --- Markdown: tables --------------------------------------------------------------------------------------------

_FIRST_CELL, _NEXT_CELL = re.compile(r":?-{2,}:?"), re.compile(r":?-+:?")


def _is_separator(line: str) -> bool:
    """A Markdown table's `|---|:--:|` line, read cell by cell (one regular expression over the whole line has
    nested repeats of blanks and backtracks on a long line)."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return bool(line.strip()) and bool(_FIRST_CELL.fullmatch(cells[0])) and all(_NEXT_CELL.fullmatch(c) for c in cells[1:])

# Column roles, each with the words that name it; longer phrases are tried first, so "risk level" is a severity
# and "threat id" an id, while a bare "risk" or "threat" is the title.
_ROLES: list[tuple[str, tuple[str, ...]]] = [
    ("status", ("mitigation status", "threat status", "risk status", "status", "state", "resolution", "decision",
                "disposition")),
    ("stride", ("stride category", "stride", "threat category", "threat type", "threat class", "category", "cat.",
                "cat", "type", "class", "classification", "kind")),
    ("severity", ("risk level", "risk rating", "risk score", "risk assessment", "inherent risk", "residual risk",
                  "severity", "impact", "likelihood", "probability", "priority", "rating", "score", "dread", "cvss",
                  "criticality", "level")),
    ("id", ("threat id", "risk id", "finding id", "vuln id", "id", "#", "no", "no.", "nr", "nr.", "num", "number",
            "ref", "ref.", "reference", "key", "tid", "item")),
    ("mitigation", ("mitigation plan", "mitigations", "mitigation", "countermeasures", "countermeasure", "controls",
                    "control", "remediation", "recommendation", "recommendations", "safeguards", "safeguard",
                    "defen", "fix", "how to mitigate", "security control", "response plan", "action", "treatment",
                    "response")),
    ("description", ("threat description", "risk description", "description", "threat scenario", "scenario",
                     "details", "detail", "explanation", "example", "attack vector", "how", "what can go wrong",
                     "consequence", "narrative", "summary")),
    ("title", ("threat name", "threat title", "risk name", "threat", "title", "name", "vulnerability", "weakness",
               "attack", "risk", "finding", "issue", "concern", "abuse case", "misuse case", "hazard")),
]


def _role(header: str) -> str | None:
    h = _plain(header).lower().strip(" :")
    if not h:
        return None
    best: tuple[int, str] | None = None
    for role, words in _ROLES:
        for w in words:
            if h == w or (len(w) > 2 and re.search(rf"(?<![a-z]){re.escape(w)}", h)):
                if best is None or len(w) > best[0]:
                    best = (len(w), role)
    return best[1] if best else None


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]


def _tables(lines: list[str], skip: set[int]) -> list[tuple[int, list[list[str]]]]:
    """(line index of the header, rows) for every pipe table."""
    out = []
    i = 0
    while i < len(lines) - 1:
        if i not in skip and "|" in lines[i] and _is_separator(lines[i + 1]) and "-" in lines[i + 1]:
            table = [_cells(lines[i])]
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                table.append(_cells(lines[j]))
                j += 1
            out.append((i, table))
            i = j
        else:
            i += 1
    return out


_ARROW = re.compile(r"(->|→|=>|<->|↔)")


def _table_rows(start: int, table: list[list[str]], context: str, unread: list[str]) -> list[_Row]:
    headers = table[0]
    roles: dict[str, int] = {}
    others: list[int] = []
    for i, h in enumerate(headers):
        role = _role(h)
        if role == "severity":
            roles.setdefault("severity", i)
            roles.setdefault(f"severity{i}", i)
        elif role and role not in roles:
            roles[role] = i
        elif role is None or role in roles:
            others.append(i)
    if "title" not in roles:
        if "description" in roles:  # a table of scenarios: the scenario is the threat
            roles["title"] = roles.pop("description")
        else:
            if _is_threatish(context) or any(re.search(r"threat|risk|attack|vulnerab", _plain(h).lower()) for h in headers):
                unread.append(f"line {start + 1}: a table under \"{context}\" whose columns ({', '.join(_plain(h) for h in headers)}) "
                              "name no threat title")
            return []
    sev_cols = [i for k, i in roles.items() if k.startswith("severity") and k != "severity"]
    rows = []
    for n, cells in enumerate(table[1:], start=1):
        line = start + 2 + n
        cells = cells + [""] * (len(headers) - len(cells))
        get = lambda role: _plain(cells[roles[role]]) if role in roles and roles[role] < len(cells) else ""  # noqa: E731
        title = get("title")
        if not title:
            if any(_plain(c) for c in cells):
                unread.append(f"line {line}: table row without a threat title: {' | '.join(_plain(c) for c in cells if _plain(c))[:120]}")
            continue
        rid = get("id")
        description = get("description")
        # A description that is only a data flow ("Client -> API") while an unnamed column holds prose: the
        # document's columns are shifted; keep the prose as the description.
        if _ARROW.search(description) and len(description.split()) <= 8:
            prose = [_plain(cells[i]) for i in others if i < len(cells) and len(_plain(cells[i]).split()) > 8]
            if prose:
                description = prose[0]
        row = _Row(rid, title, description, mitigation=get("mitigation"), line=line)
        stride_text = get("stride")
        if _plain(title).lower() in _STRIDE_TITLES:  # a STRIDE table: the category is the row's title
            stride_text = stride_text or title
            row.title = description or title
            row.description = "" if description == row.title else row.description
        if stride_text:
            row.stride = stride_list(stride_text)
            row.stride_stated = bool(row.stride)
        if "status" not in roles and re.fullmatch(r"(risk )?(accept(ed)?|transfer(red)?|avoid(ed)?)", get("mitigation").lower()):
            row.status = _status(get("mitigation"))[0]  # a treatment column that only says what was decided
        if "status" in roles:
            row.status, ok = _status(get("status"))
            if not ok:
                unread.append(f"line {line}: status {get('status')!r} of \"{title}\" not understood: read as open")
        sev = [f"{_plain(headers[i])}: {_plain(cells[i])}" for i in sorted(set(sev_cols)) if i < len(cells) and _plain(cells[i])]
        row.severity = "; ".join(sev)
        rows.append(row)
    return rows


_STRIDE_TITLES = {"spoofing", "tampering", "repudiation", "information disclosure", "denial of service",
                  "elevation of privilege", "elevation of privileges", "info disclosure", "dos", "eop"}


# --- Markdown: sections, lists, headings -------------------------------------------------------------------------

_THREATISH = re.compile(r"\b(threats?|attacks?|attack vectors?|attack scenarios?|attack surface|risks?|"
                        r"vulnerabilit(y|ies)|findings?|abuse cases?|misuse cases?|weakness(es)?|issues|concerns|"
                        r"stride|what can go wrong|hazards?|risk register)\b")
_NOT_THREATS = re.compile(r"\b(actors?|adversar(y|ies)|attackers?|assets?|threat agents?|personas?)\b")
_MITIGATIONISH = re.compile(r"\b(mitigations?|countermeasures?|controls?|recommendations?|remediations?|"
                            r"actions?|safeguards?|defen[cs]es?|requirements?|responses?|review|references?|"
                            r"compliance|assumptions?|summary|overview|architecture|scope|diagrams?|data flows?|"
                            r"trust boundar(y|ies)|glossary|contents|related|incident|updates?)\b")


def _is_threatish(heading: str) -> bool:
    h = re.sub(r"threat[- ]model(l?ing|s)?", "", _plain(heading).lower())
    h = re.sub(r"\(\d+\)", "", h)
    if _NOT_THREATS.search(h):
        return False
    if not _THREATISH.search(h):
        return False
    if _MITIGATIONISH.search(h) and not re.search(r"\b(threats?|attack scenarios?|risks?|vulnerabilit)", h):
        return False
    return True


def _is_container(heading: str) -> bool:
    """A heading that only says "here are threats" (its list items are the threats), not a threat itself."""
    h = re.sub(r"^\s*(\d+(\.\d+)*[.)]?|[ivx]+[.)])\s+", "", _plain(heading).lower())
    h = re.sub(r"\(\d+\)|:$", "", h).strip()
    return bool(re.fullmatch(r"(possible |potential |identified |key |main |known |top |other |specific |"
                             r"(the )?list of |stride )?(threats?|attack vectors?|attack scenarios?|attack surface|"
                             r"risks?|vulnerabilit(y|ies)|findings?|abuse cases?|misuse cases?|weakness(es)?|"
                             r"threats? and risks?|risks? and threats?|threat (list|catalog(ue)?|register)|"
                             r"risk register|security (threats|risks|findings)|threats? identified|"
                             r"possible threats and mitigation plan|stride analysis)", h))


@dataclass
class _Block:
    kind: str  # "heading", "item", "text"
    level: int  # heading level, or list indentation
    text: str
    line: int
    number: str = ""  # "1", "2.3": the heading's or item's own numbering


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|(\d+)[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+(?:\.\d+)*)[.)]?\s+(.*)$")
_LABEL = re.compile(r"^\s*(?:\*\*|__)([^*_]{2,60}?)(?::)?(?:\*\*|__)\s*:?\s*$|^\s*([A-Z][A-Za-z /&()-]{1,40}):\s*$")


def _blocks(lines: list[str], skip: set[int]) -> list[_Block]:
    out: list[_Block] = []
    for i, raw in enumerate(lines):
        if i in skip or not raw.strip():
            continue
        m = _HEADING.match(raw)
        if m:
            text = _plain(m.group(2))
            num = _NUMBERED.match(text)
            out.append(_Block("heading", len(m.group(1)), num.group(2) if num else text, i + 1, num.group(1) if num else ""))
            continue
        m = _LABEL.match(raw)
        if m and not raw.startswith(" " * 4):
            text = _plain(m.group(1) or m.group(2))
            level = (out_level(out) + 1) if out else 7
            out.append(_Block("label", level, text, i + 1))
            continue
        m = _ITEM.match(raw)
        if m:
            out.append(_Block("item", len(m.group(1).expandtabs(4)), _plain(m.group(3)), i + 1, m.group(2) or ""))
            continue
        out.append(_Block("text", len(raw) - len(raw.lstrip()), _plain(raw), i + 1))
    return out


def out_level(blocks: list[_Block]) -> int:
    for b in reversed(blocks):
        if b.kind == "heading":
            return b.level
    return 0


_FIELD = re.compile(r"^(?:\*\*|__)?([A-Za-z][A-Za-z /&-]{1,40}?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$")
# No leading \s*: callers strip what comes before the match (a leading \s* backtracks on long blank runs).
_SEVERITY_SUFFIX = re.compile(r"[\(\[]\s*((?:very |extra )?(?:critical|high|medium|moderate|low|info)(?:[- ](?:to[- ])?"
                              r"(?:critical|high|medium|moderate|low))?)(?:\s+(?:risk|severity|priority))?\s*[\)\]]\s*$", re.I)
_ID_PREFIX = re.compile(r"^\s*([A-Z][A-Z0-9]{0,9}[-_.]?\d+(?:\.\d+)*)\s*[:\-–—.)]\s+(.*)$")


def _split_title(text: str) -> tuple[str, str]:
    """An item's "Title - description" or "Title: description"."""
    m = re.match(r"^(.{3,80}?)\s+[-–—]\s+(.+)$", text) or re.match(r"^([^:]{3,80}):\s+(.+)$", text)
    if m and len(m.group(1).split()) <= 10:
        return m.group(1).strip(), m.group(2).strip()
    return text, ""


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    return [p.strip() for p in parts if len(p.split()) >= 4]


def _markdown_rows(text: str, unread: list[str]) -> list[_Row]:
    lines = text.splitlines()
    fenced: set[int] = set()
    inside = False
    for i, line in enumerate(lines):
        if line.strip().startswith(("```", "~~~")):
            inside = not inside
            fenced.add(i)
        elif inside:
            fenced.add(i)
    tables = _tables(lines, fenced)
    in_table = {j for start, t in tables for j in range(start, start + len(t) + 1)}
    blocks = _blocks(lines, fenced | in_table)

    headings = [(k, b) for k, b in enumerate(blocks) if b.kind in ("heading", "label")]
    rows: list[_Row] = []

    def context_of(line: int) -> str:
        ctx = ""
        for _, b in headings:
            if b.line > line:
                break
            ctx = b.text
        return ctx

    def section_chain(k: int) -> list[_Block]:
        """The headings enclosing block k, outermost first."""
        chain: list[_Block] = []
        level = blocks[k].level
        for j in range(k - 1, -1, -1):
            b = blocks[j]
            if b.kind in ("heading", "label") and b.level < level:
                chain.insert(0, b)
                level = b.level
        return chain

    # Tables, wherever they are.
    for start, table in tables:
        rows += _table_rows(start, table, context_of(start + 1), unread)

    table_lines = {start + 1 for start, _ in tables}

    def _spans_table(b: _Block, end: int) -> bool:
        last = blocks[end].line if end < len(blocks) else len(lines) + 1
        return any(b.line < t < last for t in table_lines)

    # Headings and list items inside sections about threats.
    k = 0
    consumed: set[int] = set()
    while k < len(blocks):
        b = blocks[k]
        if b.kind not in ("heading", "label"):
            k += 1
            continue
        chain = section_chain(k)
        under_threats = any(_is_threatish(h.text) for h in chain) and not any(
            _NOT_THREATS.search(h.text.lower()) or (_MITIGATIONISH.search(h.text.lower()) and not _is_threatish(h.text))
            for h in chain)
        # the body of this heading: blocks up to the next heading of the same or a higher level
        end = k + 1
        while end < len(blocks) and not (blocks[end].kind in ("heading", "label") and blocks[end].level <= b.level):
            end += 1
        body = blocks[k + 1:end]
        sub_headings = [x for x in body if x.kind in ("heading", "label")]
        if (under_threats and not _is_container(b.text) and not _MITIGATIONISH.search(b.text.lower())
                and not _NOT_THREATS.search(b.text.lower()) and b.kind == "heading"
                and not any(_is_container(x.text) for x in sub_headings) and body):
            # heading-per-threat
            rows.append(_heading_threat(b, body, chain))
            consumed.update(range(k, end))
            k = end
            continue
        if _is_threatish(b.text) and not any(_NOT_THREATS.search(h.text.lower()) for h in chain):
            direct = []
            for x in body:
                if x.kind in ("heading", "label"):
                    break
                direct.append(x)
            found = _list_threats(b, direct, chain, [] if sub_headings or _spans_table(b, end) else unread)
            rows += found
        k += 1
    return rows


def _number_of(chain: list[_Block]) -> str:
    for h in reversed(chain):
        if h.number:
            return h.number
    return ""


def _heading_threat(b: _Block, body: list[_Block], chain: list[_Block]) -> _Row:
    title = b.text
    severity = ""
    m = _SEVERITY_SUFFIX.search(title)
    if m:
        severity, title = m.group(1), title[:m.start()].strip()
    rid = ""
    m = _ID_PREFIX.match(title)
    if m:
        rid, title = m.group(1), m.group(2)
    elif b.number:
        rid = f"T-{b.number}"
    row = _Row(rid, title, severity=severity, line=b.line)
    current = "description"
    texts: dict[str, list[str]] = {"description": [], "mitigation": [], "stride": [], "status": [], "severity": [], "id": []}
    for x in body:
        if x.kind in ("heading", "label"):
            role = _role(x.text) or "description"
            current = role if role in texts else "description"
            continue
        m = _FIELD.match(x.text)
        if m and (_role(m.group(1)) or m.group(1).lower() in ("attack vector", "vector")):
            role = _role(m.group(1)) or "description"
            if role == "title":
                role = "description"
            current = role if role in texts else "description"
            if m.group(2).strip():
                label = m.group(1).strip()
                texts[current].append(m.group(2).strip() if current != "severity" else f"{label}: {m.group(2).strip()}")
            continue
        texts[current].append(x.text)
    row.description = " ".join(texts["description"]).strip()
    row.mitigation = "; ".join(texts["mitigation"]).strip()
    if texts["stride"]:
        row.stride = stride_list(" ".join(texts["stride"]))
        row.stride_stated = bool(row.stride)
    if texts["status"]:
        row.status = _status(" ".join(texts["status"]))[0]
    if texts["severity"]:
        row.severity = "; ".join(filter(None, [row.severity, *texts["severity"]]))
    if texts["id"] and not rid:
        row.id = texts["id"][0].split()[0]
    return row


def _list_threats(heading: _Block, direct: list[_Block], chain: list[_Block], unread: list[str]) -> list[_Row]:
    items = [x for x in direct if x.kind == "item"]
    rows: list[_Row] = []
    if items:
        base = min(x.level for x in items)
        group = _number_of(chain + [heading])
        n = 0
        for x in direct:
            if x.kind == "item" and x.level == base:
                n += 1
                title, desc = _split_title(x.text)
                m = _ID_PREFIX.match(title)
                rid = m.group(1) if m else (f"T-{group}.{n}" if group else "")
                if m:
                    title = m.group(2)
                sev = ""
                s = _SEVERITY_SUFFIX.search(title)
                if s:
                    sev, title = s.group(1), title[:s.start()].strip()
                rows.append(_Row(rid, title, desc, severity=sev, line=x.line))
            elif rows and (x.kind == "text" or (x.kind == "item" and x.level > base)):
                m = _FIELD.match(x.text)
                role = _role(m.group(1)) if m else None
                if role == "mitigation":
                    rows[-1].mitigation = " ".join(filter(None, [rows[-1].mitigation, m.group(2)]))
                elif role == "status":
                    rows[-1].status = _status(m.group(2))[0]
                elif role == "stride":
                    rows[-1].stride = stride_list(m.group(2))
                    rows[-1].stride_stated = bool(rows[-1].stride)
                elif role == "severity":
                    rows[-1].severity = "; ".join(filter(None, [rows[-1].severity, x.text]))
                else:
                    rows[-1].description = " ".join(filter(None, [rows[-1].description, x.text]))
        # A bulleted label with an indented prose block ("- Attack surface (...)" then paragraphs): the prose
        # sentences are the threats, not the label.
        if len(rows) == 1 and _is_threatish(rows[0].title) and rows[0].description:
            label = rows.pop()
            rows += [_sentence_row(s, label.line) for s in _sentences(label.description)]
        return rows
    prose = " ".join(x.text for x in direct if x.kind == "text")
    sentences = [s for s in _sentences(prose) if not s.endswith(":")]
    if sentences:
        return [_sentence_row(s, heading.line) for s in sentences]
    if prose.strip() and not sentences:
        unread.append(f"line {heading.line}: \"{heading.text}\" has text but no list, table or heading of threats")
    return rows


def _sentence_row(sentence: str, line: int) -> _Row:
    """A threat stated as a sentence: its lead-in before a colon is the title when short, else the sentence."""
    m = re.match(r"^([^:]{8,80}):\s+(.+)$", sentence)
    if m and len(m.group(1).split()) <= 8:
        return _Row("", m.group(1).strip(), sentence, line=line)
    if len(sentence) <= 100:
        return _Row("", sentence.rstrip("."), "", line=line)
    return _Row("", sentence[:97].rsplit(" ", 1)[0] + "...", sentence, line=line)


def _labelled_prose(text: str) -> str:
    """Bulleted labels followed by an indented prose block ("- Attack surface (...)", a blank line, then indented
    paragraphs) become headings, so the prose under a threat-ish label is read as that section's threats."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^[-*+]\s+(.{3,200})$", line)
        nxt = next((x for x in lines[i + 1:] if x.strip()), "")
        if m and re.match(r"^(\s{4,}|\t)(?![-*+]\s|\d+[.)]\s)\S", nxt):
            out.append(f"###### {m.group(1).split('(')[0].strip()}")
        else:
            out.append(line)
    return "\n".join(out)


_ABBREV = {"xss": "cross site scripting", "sqli": "sql injection", "csrf": "cross site request forgery",
           "dos": "denial of service", "ddos": "denial of service", "rce": "remote code execution",
           "mitm": "man in the middle", "vulns": "vulnerabilities", "vuln": "vulnerability", "idor": "insecure direct object"}


def _key(title: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", title.lower())
    words = " ".join(_ABBREV.get(w, w) for w in words).split()
    return {w[:5] for w in words if len(w) > 2 and w not in ("the", "and", "attack", "attacks", "threat", "risk", "via")}


def _merge(rows: list[_Row]) -> list[_Row]:
    """The same threat stated twice (a heading and a risk-matrix row): one threat, with what each says."""
    out: list[_Row] = []
    for r in rows:
        twin = next((o for o in out if _key(o.title) and _key(o.title) == _key(r.title)), None)
        if twin is None:
            out.append(r)
            continue
        twin.description = twin.description or r.description
        twin.mitigation = twin.mitigation or r.mitigation
        twin.severity = "; ".join(filter(None, [twin.severity, r.severity]))
        if r.stride_stated and not twin.stride_stated:
            twin.stride, twin.stride_stated = r.stride, True
        if twin.status == "open":
            twin.status = r.status
    return out


def read_markdown(text: str, source: str = "a Markdown document", system: str | None = None) -> Imported:
    unread: list[str] = []
    rows = _merge(_markdown_rows(_labelled_prose(text), unread))
    if not rows:
        raise ImportError_(f"{source}: no threats found: no table with a threat/title column, no list or heading of "
                           "threats under a heading about threats" + (f" ({'; '.join(unread)})" if unread else ""))
    if system is None:
        heading = next((_plain(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")), "")
        system = heading or Path(source).stem
    return Imported(system, Path(source).name, "markdown", _ids(rows), unread)


def _ids(rows: list[_Row], prefix: str = "T") -> list[_Row]:
    used: set[str] = set()
    n = 0
    for row in rows:
        rid = re.sub(r"\s+", "-", row.id.strip()).strip("-.")
        if re.fullmatch(r"\d+(\.\d+)*", rid):
            rid = f"{prefix}-{rid}"
        if not rid or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/@*-]*", rid):
            n += 1
            rid = f"{prefix}-{n}"
            while rid in used:
                n += 1
                rid = f"{prefix}-{n}"
        base, k = rid, 1
        while rid in used:
            k += 1
            rid = f"{base}-{k}"
        used.add(rid)
        row.id = rid
    return rows


# --- OWASP Threat Dragon v1 and v2 -------------------------------------------------------------------------------

def read_threat_dragon(data: Any, source: str) -> Imported:
    if not isinstance(data, dict) or "detail" not in data or "summary" not in data:
        raise ImportError_(f"{source}: not an OWASP Threat Dragon model (no summary/detail)")
    system = str((data.get("summary") or {}).get("title") or Path(source).stem)
    rows: list[_Row] = []
    unread: list[str] = []
    version = "v2"
    for d, diagram in enumerate((data.get("detail") or {}).get("diagrams") or []):
        if not isinstance(diagram, dict):
            continue
        if "diagramJson" in diagram:  # v1: diagramJson.cells[].threats
            version = "v1"
            cells = (diagram.get("diagramJson") or {}).get("cells") or []
        else:
            cells = diagram.get("cells") or []
        for cell in cells:
            if not isinstance(cell, dict):
                continue
            data_ = cell.get("data") if isinstance(cell.get("data"), dict) else {}
            threats = cell.get("threats") or data_.get("threats") or []
            element = (data_.get("name") or ((cell.get("attrs") or {}).get("text") or {}).get("text")
                       or cell.get("labels") or cell.get("type") or "")
            element = element if isinstance(element, str) else ""
            for t in threats:
                if not isinstance(t, dict):
                    continue
                title = _plain(t.get("title") or "")
                desc = _plain(t.get("description") or "")
                if not title and not desc:
                    unread.append(f"diagram \"{diagram.get('title', d + 1)}\", element \"{element}\": a threat with "
                                  "neither title nor description")
                    continue
                number = t.get("number")
                rid = f"TD-{number}" if number not in (None, "", 0) else ""
                stride = stride_list(str(t.get("type") or ""))
                status, ok = _status(str(t.get("status") or "Open"))
                if not ok:
                    unread.append(f"threat \"{title or desc[:60]}\": status {t.get('status')!r} not understood: read as open")
                rows.append(_Row(rid, title or desc[:100], desc if title else "", stride, bool(stride),
                                 _plain(t.get("mitigation") or ""), status, str(t.get("severity") or "")))
    if not rows:
        raise ImportError_(f"{source}: the Threat Dragon model lists no threats")
    return Imported(system, Path(source).name, f"threat-dragon-{version}", _ids(rows, "TD"), unread)


# --- pytm --------------------------------------------------------------------------------------------------------

_PYTM_RESPONSE = {"mitigated": "mitigated", "avoided": "mitigated", "accepted": "accepted", "transferred": "accepted"}


def read_pytm(data: Any, source: str) -> Imported:
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise ImportError_(f"{source}: not a pytm JSON report (no findings list)")
    rows: list[_Row] = []
    unread: list[str] = []
    for i, f in enumerate(findings, start=1):
        if not isinstance(f, dict):
            unread.append(f"finding {i}: not an object")
            continue
        desc = _plain(f.get("description") or "")
        if not desc:
            unread.append(f"finding {i} ({f.get('threat_id', '?')}): no description")
            continue
        target = f.get("target") or (f.get("element") or {}).get("name") if isinstance(f.get("element"), dict) else f.get("target")
        title = f"{desc} ({target})" if target else desc
        tid = str(f.get("threat_id") or "")
        rid = f"{tid}-{f.get('id')}" if tid and f.get("id") not in (None, "") else (tid or str(f.get("id") or ""))
        status = _PYTM_RESPONSE.get(str(f.get("response") or "").lower(), "open")
        details = _plain(f.get("details") or "")
        rows.append(_Row(rid, title, details, infer_stride(f"{desc} {details}"), False,
                         _plain(f.get("mitigations") or ""), status, str(f.get("severity") or "")))
    if not rows:
        raise ImportError_(f"{source}: the pytm report lists no findings" + (f" ({'; '.join(unread)})" if unread else ""))
    system = str(data.get("name") or data.get("description") or Path(source).stem)
    return Imported(system, Path(source).name, "pytm", _ids(rows, "PYTM"), unread)


# --- Threagile ---------------------------------------------------------------------------------------------------

_THREAGILE_STATUS = {"unchecked": "open", "in-discussion": "open", "in-progress": "open", "accepted": "accepted",
                     "mitigated": "mitigated", "false-positive": "accepted"}
# Threagile's built-in risk categories name their STRIDE category in its rules; the common ones, for imports that
# only track them.
_THREAGILE_STRIDE = {
    "sql-nosql-injection": "tampering", "ldap-injection": "tampering", "xml-external-entity": "information-disclosure",
    "cross-site-scripting": "tampering", "cross-site-request-forgery": "spoofing", "path-traversal": "information-disclosure",
    "server-side-request-forgery": "information-disclosure", "untrusted-deserialization": "tampering",
    "unencrypted-asset": "information-disclosure", "unencrypted-communication": "information-disclosure",
    "missing-authentication": "elevation-of-privilege", "missing-authentication-second-factor": "elevation-of-privilege",
    "missing-vault": "information-disclosure", "accidental-secret-leak": "information-disclosure",
    "missing-hardening": "tampering", "missing-waf": "tampering", "dos-risky-access-across-trust-boundary": "denial-of-service",
    "container-platform-escape": "elevation-of-privilege", "missing-network-segmentation": "elevation-of-privilege",
    "unguarded-access-from-internet": "elevation-of-privilege", "code-backdooring": "tampering",
    "missing-identity-store": "spoofing", "missing-build-infrastructure": "tampering", "search-query-injection": "tampering",
}


def read_threagile(data: Any, source: str) -> Imported:
    if not isinstance(data, dict) or not ({"risk_tracking", "technical_assets", "threagile_version"} & set(data)):
        raise ImportError_(f"{source}: not a Threagile model (no risk_tracking, technical_assets or threagile_version)")
    assets = {}
    for name, a in (data.get("technical_assets") or {}).items():
        if isinstance(a, dict):
            assets[str(a.get("id") or name)] = str(name)
    rows: list[_Row] = []
    unread: list[str] = []
    categories: dict[str, dict] = {}
    individual = data.get("individual_risk_categories") or {}
    custom = data.get("custom_risk_categories") or []
    for title, cat in (individual.items() if isinstance(individual, dict) else []):
        if isinstance(cat, dict):
            categories[str(cat.get("id") or title)] = {**cat, "title": cat.get("title") or title}
    for cat in custom if isinstance(custom, list) else []:
        if isinstance(cat, dict) and cat.get("id"):
            categories[str(cat["id"])] = cat
    for cid, cat in categories.items():
        stride = stride_list(str(cat.get("stride") or ""))
        identified = cat.get("risks_identified") or {}
        targets = list(identified) if isinstance(identified, dict) else []
        for target in targets or [None]:
            title = _plain(str(cat.get("title") or cid))
            where = _plain(str(target)) if target else ""
            detail = (identified or {}).get(target) or {} if target else {}
            asset = str(detail.get("most_relevant_technical_asset") or re.sub(r"\W+", "-", where.split(" at ")[-1]).strip("-").lower())
            rows.append(_Row(f"{cid}@{asset}" if where else cid, f"{title} at {where.split(' at ')[-1]}" if where else title,
                             _plain(str(cat.get("description") or "")), stride, bool(stride),
                             _plain(str(cat.get("mitigation") or "")),
                             severity=str(((identified or {}).get(target) or {}).get("severity") or "") if target else ""))
    for risk_id, entry in (data.get("risk_tracking") or {}).items():
        if not isinstance(entry, dict):
            unread.append(f"risk_tracking {risk_id}: not a mapping")
            continue
        category, *parts = str(risk_id).split("@")
        status = _THREAGILE_STATUS.get(str(entry.get("status") or "unchecked").lower())
        if status is None:
            unread.append(f"risk_tracking {risk_id}: status {entry.get('status')!r} not understood: read as open")
            status = "open"
        existing = [r for r in rows if r.id.split("@")[0] == category]
        if existing:  # tracking an individual category's risks: its status applies to them
            for r in existing:
                r.status = status
            continue
        names = [assets.get(p, p) for p in parts if p and p != "*"]
        title = category.replace("-", " ").capitalize() + (f" at {', '.join(names)}" if names else " (all assets)" if parts else "")
        stride = [_THREAGILE_STRIDE[category]] if category in _THREAGILE_STRIDE else []
        rows.append(_Row(str(risk_id), title, _plain(str(entry.get("justification") or "")), stride, bool(stride),
                         status=status))
    if not rows:
        raise ImportError_(f"{source}: the Threagile model tracks no risks and defines no risk categories "
                           f"({len(assets)} technical assets: run threagile and import with risk_tracking)")
    system = str(data.get("title") or Path(source).stem)
    return Imported(system, Path(source).name, "threagile", _ids(rows, "TG"), unread)


# --- dispatch ----------------------------------------------------------------------------------------------------

def read_document(path: str | Path, text: str | None = None, system: str | None = None) -> Imported:
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ImportError_(f"{path}: cannot read: {exc.strerror or exc}") from None
    name = str(path)
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped.startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ImportError_(f"{name}: cannot read JSON: {exc}") from None
        if isinstance(data, dict) and "findings" in data and "detail" not in data:
            result = read_pytm(data, name)
        else:
            result = read_threat_dragon(data, name)
    elif path.suffix.lower() in (".yaml", ".yml") and re.search(r"^(threagile_version|risk_tracking|technical_assets)\s*:", text, re.M):
        try:
            from ..safeyaml import load as bounded_load  # aliases bounded: a kilobyte must not expand to gigabytes

            data = bounded_load(text)
        except RecursionError:
            raise ImportError_(f"{name}: nested too deeply to read") from None
        except yaml.YAMLError as exc:
            raise ImportError_(f"{name}: not valid YAML: {exc}") from None
        result = read_threagile(data, name)
    else:
        result = read_markdown(text, name, system)
    if system:
        result.system = system
    return result


# --- output ------------------------------------------------------------------------------------------------------

def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _stride_of(row: _Row, suggested: list[str], catalog: Catalog) -> tuple[list[str], str]:
    if row.stride:
        return row.stride, ""
    stride = infer_stride(f"{row.title} {row.description}")
    if stride:
        return stride, "inferred from the text, not stated in the document"
    stride = list(dict.fromkeys(s for tid in suggested for s in catalog.threats[tid].stride))[:2]
    if stride:
        return stride, "taken from the suggested generic threats; not stated in the document"
    return ["tampering"], "not stated in the document and not inferable: review"


def render(model: Imported, catalog: Catalog) -> str:
    out = [
        f"# Threat model imported from {model.source} ({model.format}) by `threatscan threats import`.",
        "# suggested-controls are generic threats whose meaning the threat's own words name. They key findings to the",
        "# threat, marked as suggested, but never raise severity nor make it violated or clean in `coverage`: accept",
        "# each with `threatscan threats accept ID` (or move it to `controls`), or delete it.",
    ]
    if model.unread:
        out.append("# Not imported or not understood (review by hand):")
        out += [f"#   {u}" for u in model.unread]
    out += ["version: 1", f"system: {_yaml_str(model.system)}", "threats:"]
    for row in model.rows:
        suggested = suggest(row.title, row.description, catalog, row.mitigation)
        stride, note = _stride_of(row, suggested, catalog)
        out += [f"  - id: {_yaml_str(row.id)}", f"    title: {_yaml_str(row.title)}",
                f"    stride: [{', '.join(stride)}]" + (f"  # {note}" if note else "")]
        if row.description:
            out.append(f"    description: {_yaml_str(row.description)}")
        if row.status != "open":
            out.append(f"    status: {row.status}")
        if row.mitigation:
            out.append(f"    mitigation: {_yaml_str(row.mitigation)}")
        if row.severity:
            out.append(f"    # the document rates it: {row.severity}")
        out.append(f"    suggested-controls: [{', '.join(_yaml_str('threat:' + c) for c in suggested)}]"
                   + ("" if suggested else "  # nothing in threatscan's catalogue checks this: review by hand or write a rule"))
    return "\n".join(out) + "\n"


def import_file(path: str | Path, catalog: Catalog, system: str | None = None) -> tuple[str, Imported]:
    model = read_document(path, system=system)
    return render(model, catalog), model


def import_markdown(text: str, catalog: Catalog, *, system: str | None = None, source: str = "a Markdown document") -> str:
    return render(read_markdown(text, source, system), catalog)
