"""What a regular expression lets through: the one reading of a pattern behind both judges of it, the interpreter's
regex test (`if re.match(P, x):`, interp.py) and a request-body model's field (`constr(regex=P)`, a validator,
models.py).

A pattern is read whole when it is anchored at both ends (by itself, `^...$` / `\\A...\\Z`, or by the matcher:
`re.fullmatch` anchors both, `re.match` the start) and made only of literals, classes, `\\d`/`\\w`, groups,
alternatives and quantifiers; the reading is the set of characters a matching value is made of. A value made only
of letters, digits, `_`, `-` and `.` means nothing to a shell, SQL, HTML or a URL's host; with `.` it may still be
`..`, a parent directory, so it is not clean for paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .spec import ALL, FAMILIES

SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# In a reading's characters: whatever a negated class lets through (`[^/]`: all but a few).
OTHER = "<other>"
_ALL = frozenset({ALL})
_NOT_PATH = frozenset(FAMILIES - {"path"})
_REPEAT = re.compile(r"\d+(?:,\d*)?|,\d*")
_SPACE = frozenset(" \t\n\r\f\v")
# What a value made of SAFE_CHARS and other characters is still clean for once `re.fullmatch` accepted it: per
# family, the characters that mean something to that sink (a family not named here is clean only for SAFE_CHARS;
# OTHER, a negated class or `.`, may be any of them). `@`, `+`, `:` or `,` in an e-mail address or a version
# string break out of no SQL string, HTML text or shell word; `/` makes a path, `:` a URL's scheme.
_FAMILY_DANGER = {
    "shell": frozenset(";|&$`<>()\\\"'*?[]{}~!#=%^") | _SPACE,
    "process": frozenset("/\\") | _SPACE,
    "code": frozenset("()[]{}'\"\\:;=`,@*%<>|&^~!") | _SPACE,
    "sql": frozenset("'\"\\;`#/*()=<>|&") | _SPACE,
    "html": frozenset("<>\"'&`=") | _SPACE,
    "redirect": frozenset("/\\:") | _SPACE,
    "ssrf": frozenset("/\\:@?#%") | _SPACE,
    "path": frozenset("/\\:"),  # a space or newline in a file name climbs no directory
    "xml": frozenset("<&%"),
    "xml-expansion": frozenset("<&%"),
}
# A literal start that fixes a URL's scheme and host (`https://api\.example\.com/...`): what follows is the
# path, query or fragment of that host. A literal `/` then neither `/` nor `\`: a path on this site.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST_PORT = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]+)?")
_LOCAL_PATH = re.compile(r"/[^/\\]")


@dataclass(frozen=True)
class Reading:
    chars: frozenset[str]  # the characters a matching value is made of (OTHER: those of a negated class)
    # made only of classes, `\d`, `\w` and letters, digits or `_`, with quantifiers (no group, alternative or other
    # literal): the shape the interpreter has always taken as a known check, whatever its classes let through
    plain: bool


def read_pattern(pattern: str, *, full: bool = False, start: bool = False) -> Reading | None:
    """The reading of `pattern` matched by `re.fullmatch` (`full`), `re.match` (`start`) or `re.search` (neither);
    None when it is not anchored at both ends, is empty, has an alternative at the top level (`^a|b$`: each anchor
    binds to one alternative) or anything the reading does not know (`.`, `\\S`, lookarounds, back-references)."""
    p = pattern
    starts = full or start or p.startswith("^") or p.startswith("\\A")
    p = p[1:] if p.startswith("^") else p[2:] if p.startswith("\\A") else p
    ends = full
    if p.endswith(("\\Z", "\\z")) and not _escaped(p, len(p) - 2):
        p, ends = p[:-2], True
    elif p.endswith("$") and not _escaped(p, len(p) - 1):
        p, ends = p[:-1], True
    if not (starts and ends) or not p or _top_level_alternative(p):
        return None
    return _read(p)


def regex_families(pattern: str, *, full: bool = False, start: bool = False) -> frozenset[str]:
    """The sink families a value is clean for once it matches `pattern` (see read_pattern for `full`/`start`)."""
    reading = read_pattern(pattern, full=full, start=start)
    if reading is None or not reading.chars or not reading.chars <= SAFE_CHARS:
        return frozenset()
    return _NOT_PATH if "." in reading.chars else _ALL


def safe_shape_pattern(pattern: str, *, full: bool, search: bool, chars: bool = True) -> bool:
    """The interpreter's question (`full`: `re.fullmatch`, `search`: `re.search`, else `re.match`), on a plain
    reading only (Reading.plain, as the interpreter has always read patterns). `chars`: whether a matching value
    is made only of SAFE_CHARS (the interpreter then takes it as clean for every family, `..` included, where
    request-body fields keep paths out: regex_families). `chars=False`: whether the pattern is a check the analysis
    knows, one that narrows the value or is known to let the dangerous characters through (`^[a-z ;|]+$` lets `;`
    through). (A reading with groups, alternatives or other literals, `^\\d{4}-\\d{2}$`, narrows request-body fields
    but not the interpreter's tests yet: taking it there is a precision change to measure, not a fold.)"""
    reading = read_pattern(pattern, full=full, start=not search)
    if reading is None or not reading.plain or not reading.chars:
        return False
    return not chars or reading.chars <= SAFE_CHARS


def fullmatch_families(pattern: str, *, full: bool = True, start: bool = False) -> frozenset[str] | None:
    """The sink families a value is clean for where `re.fullmatch(pattern, value)` holds (or `re.match`, `start`, and
    `re.search`, neither, of a pattern anchored at both ends by itself: `^[\\w.+-]+$`): every family when the
    value is made only of SAFE_CHARS, else each family none of whose meaningful characters (_FAMILY_DANGER) the
    pattern lets through, and redirects and outgoing requests when its literal start fixes a URL's host (or, for
    redirects, a path on this site). None when the reading does not know the pattern (lookarounds,
    back-references, an alternative at the top level): the caller decides then."""
    reading = read_pattern(pattern, full=full, start=start)
    if reading is None or not reading.chars:
        return None
    if reading.chars <= SAFE_CHARS:
        return _ALL
    out = set()
    if OTHER not in reading.chars:
        extra = reading.chars - SAFE_CHARS
        out = {family for family, danger in _FAMILY_DANGER.items() if not extra & danger}
    starts = _literal_starts(pattern)
    if all(_fixed_host(s) for s in starts):
        out |= {"redirect", "ssrf"}
    elif all(_LOCAL_PATH.match(s) for s in starts):
        out.add("redirect")
    return frozenset(out)


def _fixed_host(text: str) -> bool:
    """`text` starts with a scheme, `://`, a host (and port) and the `/`, `?` or `#` that ends it."""
    scheme, sep, rest = text.partition("://")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    return bool(sep and end > 0 and _SCHEME.fullmatch(scheme) and _HOST_PORT.fullmatch(rest[:end]))


def _literal_starts(pattern: str) -> tuple[str, str]:
    """The literal text a match of `pattern` starts with, read up to the first class, group or repeat: two
    readings, with and without the characters marked optional (`https?://`: `https://` and `http://`)."""
    p = pattern[1:] if pattern.startswith("^") else pattern[2:] if pattern.startswith("\\A") else pattern
    with_opt, without = [], []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p) and not p[i + 1].isalnum():
            char, nxt = p[i + 1], i + 2
        elif c not in ".^$*+?{}[]\\|()":
            char, nxt = c, i + 1
        else:
            break
        follow = p[nxt] if nxt < len(p) else ""
        if follow == "?" and not p.startswith("??", nxt):
            with_opt.append(char)
            i = nxt + 1
            continue
        if follow in ("*", "+", "{"):
            break
        with_opt.append(char)
        without.append(char)
        i = nxt
    return "".join(with_opt), "".join(without)


def _escaped(p: str, i: int) -> bool:
    """The character at `i` follows an odd number of backslashes."""
    count = 0
    while i - count - 1 >= 0 and p[i - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _top_level_alternative(p: str) -> bool:
    depth, i = 0, 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            end = p.find("]", i + 2)
            i = end + 1 if end > 0 else len(p)
            continue
        depth += c == "("
        depth -= c == ")"
        if c == "|" and depth == 0:
            return True
        i += 1
    return False


def _read(pattern: str) -> Reading | None:
    out: set[str] = set()
    plain = True
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c in "()|*+?":
            if c in "()|":
                plain = False
            if c == "(" and pattern.startswith("(?:", i):
                i += 3
                continue
            if c == "(" and pattern.startswith("(?", i):
                return None  # lookarounds, named groups, flags: not read
            i += 1
            continue
        if c == "{":
            end = pattern.find("}", i)
            if end < 0 or not _REPEAT.fullmatch(pattern[i + 1:end]):
                if pattern.startswith("{}", i):  # (`{}` is the two characters, not a repetition)
                    out |= {"{", "}"}
                    plain = False
                    i += 2
                    continue
                return None
            i = end + 1
            continue
        if c == "[":
            end = _class(pattern, i, out)
            if end is None:
                return None
            i = end
            continue
        if c == "\\" and i + 1 < n:
            chars = _escape_chars(pattern[i:i + 2])
            if chars is None:
                return None
            plain = plain and pattern[i + 1] in "dw"
            out |= chars
            i += 2
            continue
        if c == ".":  # any character but a newline
            out.add(OTHER)
            plain = False
            i += 1
            continue
        if c in "^$":
            return None
        plain = plain and c in _WORD
        out.add(c)
        i += 1
    return Reading(frozenset(out), plain)


def _class(pattern: str, i: int, out: set[str]) -> int | None:
    """Read the class opening at `i` into `out` (OTHER for a negated one); the index after it, None if unknown."""
    n = len(pattern)
    negated = pattern.startswith("[^", i)
    start = i + 2 if negated else i + 1
    end, body = start, []
    while end < n and (pattern[end] != "]" or end == start):
        if pattern[end] == "\\" and end + 1 < n:
            body.append(pattern[end:end + 2])
            end += 2
        else:
            body.append(pattern[end])
            end += 1
    if end >= n:
        return None
    chars: set[str] = set()
    k = 0
    while k < len(body):
        item = body[k]
        ranged = k + 2 < len(body) and body[k + 1] == "-"
        if ranged and (len(item) == 2 or len(body[k + 2]) == 2):
            return None  # a range from or to an escape (`[\--_]`, `[ -\.]`): not read
        if len(item) == 2:
            found = _escape_chars(item)
            if found is None:
                return None
            chars |= found
        elif ranged:
            lo, hi = ord(item), ord(body[k + 2])
            if hi < lo:
                return None
            chars |= {chr(x) for x in range(lo, hi + 1)} if hi - lo <= 128 else {OTHER}  # (a wide range: many)
            k += 3
            continue
        else:
            chars.add(item)
        k += 1
    out |= {OTHER} if negated else chars
    return end + 1


def _escape_chars(esc: str) -> frozenset[str] | None:
    c = esc[1]
    if c == "d":
        return frozenset("0123456789")
    if c == "s":
        return _SPACE
    if c in "DSW":  # all but digits, spaces or word characters: many
        return frozenset({OTHER})
    if c in "ntrfv":
        return frozenset({"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}[c])
    if c == "w":
        return _WORD  # (str patterns' \w also matches non-ASCII letters: none of them means anything to a sink)
    if c in ".-_/\\:@?#&;|$()[]{}*+^ " or not (c.isalnum() or c.isspace()):  # an escaped punctuation mark
        return frozenset(c)
    return None
