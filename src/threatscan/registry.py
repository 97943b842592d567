"""Where checks register themselves: a rule id, the file kind it reads, and the function that checks.

Each engine defines a small decorator over `register` (see engines/python/registry.py); the catalogue then
verifies that every rule in rules/ has exactly one check and every check has its rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Check:
    rule_id: str
    kind: str
    func: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


# One check per (rule id, file kind): a rule may be checked in several kinds of file (a CloudFormation template
# and a CDK app, say), each by the engine for that kind.
_CHECKS: dict[tuple[str, str], Check] = {}


def register(rule_id: str, kind: str, func: Callable[..., Any], **options: Any) -> Check:
    key = (rule_id, kind)
    if key in _CHECKS and _CHECKS[key].func is not func:
        raise RuntimeError(f"two checks registered for rule {rule_id} on {kind} files")
    check = Check(rule_id, kind, func, options)
    _CHECKS[key] = check
    return check


def prefiltered(checks: list[Check], rules: dict[str, Any], text: str | bytes) -> list[Check]:
    """The checks worth running on a file: those whose rule names no `tokens`, or one that occurs in `text` (the
    decoded text, or UTF-8 bytes). Rules share tokens, so each token is searched for at most once, and a check's
    search stops at its first token found. A token of word characters only (most are identifiers) occurs in the
    text exactly when it occurs in one of the text's words, so it is searched for in the file's distinct words
    joined by newlines, a fraction of the text. Text is searched as its UTF-8 bytes (ASCII text: the same words and
    the same answers, `\\w` is [A-Za-z0-9_] on both; other text: a token's bytes occur in the text's exactly where
    the token occurs in the text, and a token of ASCII word characters lies within a run of ASCII word bytes),
    whose words are split out with bytes.translate (_NON_WORD_TO_SPACE), faster than the pattern."""
    if not isinstance(text, bytes):
        try:  # (other text as its UTF-8 bytes: an ASCII token is in the text exactly when its bytes are in them, and a
            # token of word characters in a run of the ASCII word bytes; text with a lone surrogate stays text)
            text = text.encode("ascii" if text.isascii() else "utf-8")
        except UnicodeEncodeError:
            pass
    plan = _token_plan(checks, rules, isinstance(text, bytes))
    # (`find`, not `in`: `token in data` on bytes first tries the token as an integer, raising and clearing a
    # TypeError each time; find takes the buffer at once. The same answers.)
    find_words = None
    found: dict = {}
    out = []
    for c, tokens in plan[0]:
        if not tokens:
            out.append(c)
            continue
        for t, wordy in tokens:
            hit = found.get(t)
            if hit is None:
                if wordy:
                    if find_words is None:
                        find_words = plan[1].join(set(
                            text.translate(_NON_WORD_TO_SPACE).split() if isinstance(text, bytes)
                            else plan[2].findall(text))).find
                    hit = found[t] = find_words(t) != -1
                else:
                    hit = found[t] = text.find(t) != -1
            if hit:
                out.append(c)
                break
    return out


# (checks, rules, as bytes) -> ([(check, its rule's tokens as (token, word characters only), shortest first)], the
# separator of the words, the words pattern, the checks list, the rules): a scan asks with the same few lists for
# every file. Both objects are kept in the entry, so their ids cannot be reused.
_PLANS: dict[tuple[int, int, bool], tuple[list, Any, Any, list, dict]] = {}
_WORDS = re.compile(r"\w+")
_WORDS_BYTES = re.compile(rb"\w+")
# ASCII text's words (its runs of [A-Za-z0-9_], what rb"\w+" finds) are its whitespace-separated parts once every
# other byte is a space: twice as fast as the pattern.
_NON_WORD_TO_SPACE = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == 0x5F) else 0x20 for c in range(256))


def _token_plan(checks: list[Check], rules: dict[str, Any], as_bytes: bool) -> tuple[list, Any, Any, list, dict]:
    key = (id(checks), id(rules), as_bytes)
    hit = _PLANS.get(key)
    if hit is not None and hit[3] is checks and hit[4] is rules and len(hit[0]) == len(checks):
        return hit
    words = _WORDS_BYTES if as_bytes else _WORDS
    pairs = []
    for c in checks:
        tokens = {t.encode() if as_bytes else t for t in rules[c.rule_id].tokens or ()}
        # (sorted, so the order and hence the work do not depend on hashing; the result never depends on it)
        pairs.append((c, tuple((t, words.fullmatch(t) is not None) for t in sorted(tokens, key=lambda t: (len(t), t)))))
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[key] = (pairs, b"\n" if as_bytes else "\n", words, checks, rules)
    return _PLANS[key]


def all_checks(engine_modules: tuple[str, ...] | None = None) -> list[Check]:
    """Every check, engine by engine in the order of engines.ENGINE_MODULES (an engine's own modules may register
    some of its checks before its load_checks() runs: the order does not depend on which was imported first).

    `engine_modules`: only the checks of those engines (the modules of ENGINE_MODULES a scan loaded), without
    importing the others' check modules (a rescan of a Python repository that scans one file need not import the
    CloudFormation and Android checks: ~0.1 s). Every check reads only kinds of its own engine
    (tests/test_startup.py), so a scan without an engine's files needs none of its checks."""
    from . import engines  # (loading the engines' check modules registers their checks)

    if engine_modules is None:
        engines.load_all()
    engines.load_checks(engine_modules)
    order = engines.ENGINE_MODULES

    def engine_of(check: Check) -> int:
        module = getattr(check.func, "__module__", "") or ""
        return next((i for i, name in enumerate(order) if module == name or module.startswith(name + ".")), len(order))

    wanted = None if engine_modules is None else {order.index(name) for name in engine_modules}
    ranked = sorted(_CHECKS.values(), key=engine_of)  # stable: registration order within an engine
    return ranked if wanted is None else [c for c in ranked if engine_of(c) in wanted]
