"""Escaping for every medium an untrusted string reaches: a terminal or CI log, a GitHub workflow command, Markdown.

File names, logical ids, threat titles, messages quoting code and peer output all come from the scanned
repository. Each goes through the function for its medium at the point it is written:

- `visible`: control characters (C0, DEL, C1, Unicode line/paragraph separators and bidirectional controls)
  become visible escapes (`\\n`, `\\x1b`, `\\u202e`), so no string can start a new log line (where the runner
  obeys `::workflow-commands::`), move the cursor, recolour a terminal or reorder what a reviewer reads.
- `workflow_data` / `workflow_property`: GitHub's toolkit escaping for a workflow command's message and its
  `key=value` properties (`%`, CR, LF; and `:` and `,` in properties).
- `md_text` / `md_code`: Markdown for a job summary or comment: no HTML, no links or images, no @mentions,
  no table breaks; `md_code` keeps a string literal inside a code span whatever backticks it holds.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b", "\0": "\\0"}
# C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional formatting characters
# (Trojan Source: CVE-2021-42574) and zero-width marks that make text read differently from what it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _show(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, keep_tab: bool = False, keep: str = "") -> str:
    """`text` on one line, with every control character shown as an escape (a backslash stays a backslash:
    this is for people reading a log, not for parsing back). `keep`: control characters left as they are."""
    keep = keep + ("\t" if keep_tab else "")
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _show(m), str(text))


def workflow_data(text: object) -> str:
    """The message of a GitHub workflow command (`::error ...::MESSAGE`), as actions/toolkit escapes it (a line
    break stays one, as %0A, inside the annotation); other control characters are shown visibly."""
    return visible(text, keep="\t\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: object) -> str:
    """A property value of a workflow command (`file=`, `title=`), as actions/toolkit escapes it."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# Markdown punctuation that can start or end markup inside a line (emphasis, code, links and images: `](` needs
# the `]`, strikethrough, table cells, escapes); `<`, `>` and `&` become entities. md_text never starts a line,
# so block markup (#, -, +, 1.) cannot begin.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# GitHub links bare URLs (extended autolinks) and @mentions / team mentions, also in escaped text: a zero-width
# space (as Dependabot writes `@&#8203;user`) breaks them without changing what a reader sees.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]:)(//)|\b(?<=www)(\.)|(?<=@)(?=[\w-])")
_BREAK = "\x00"  # never left by visible(): marks where a zero-width space goes


def md_text(text: object) -> str:
    """Plain text inside Markdown (a paragraph, a list item or a table cell): rendered as the characters it
    holds, on one line."""
    s = visible(text, keep_tab=True).replace("\t", " ")
    s = _AUTOLINK.sub(lambda m: _BREAK + m.group(), s)
    s = "".join(_HTML.get(ch, ch) for ch in s)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace(_BREAK, "&#8203;")


def md_code(text: object, *, table: bool = True) -> str:
    """A code span holding `text` literally: a fence longer than any run of backticks inside it, a space inside
    the fence when the text starts or ends with a backtick, `|` escaped inside a table (GitHub splits table
    cells before it reads code spans)."""
    s = visible(text)
    longest = max((len(r) for r in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    if table:
        s = s.replace("|", "\\|")
    if not s:
        return ""
    pad = " " if s.startswith(("`", " ")) or s.endswith(("`", " ")) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


_CODE_SPAN = re.compile(r"`([^`\r\n]+)`")


def md_message(text: object, *, table: bool = True) -> str:
    """A finding's message, whose `code` parts (names, logical ids, quoted code: from the repository) stay code
    spans and whose prose is text; each part escaped as md_code / md_text escape it."""
    s, out, pos = str(text), [], 0
    for m in _CODE_SPAN.finditer(s):
        out.append(md_text(s[pos:m.start()]))
        out.append(md_code(m.group(1), table=table))
        pos = m.end()
    out.append(md_text(s[pos:]))
    return "".join(out)
