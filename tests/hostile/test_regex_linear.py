"""Every regular expression in the scanner that sees scanned text must take linear time: fed 30,000-character runs
of every character class it touches, it finishes in a child process inside a CPU-time budget (RLIMIT_CPU: work
done, not wall-clock time on a loaded machine). The slowest linear pattern needs under 2 CPU seconds for all its
runs; a quadratic one does ~5*10^8 steps per run (one that backtracks on a single class, like a repeated space
before `=`, needs 20-35 s), and an exponential one never ends.

The patterns are found in the source itself (every `re.compile(...)` and `re.search/match/...` with a literal
pattern), so a new one is tested without anyone listing it. src/threatscan/secrets.py has its own test.
"""

from __future__ import annotations

import ast
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("resource")  # RLIMIT_CPU: POSIX only

SRC = Path(__file__).resolve().parents[2] / "src" / "threatscan"
SKIP_FILES = {"secrets.py"}  # the shared secret detector: tested by its owner (tests/test_secrets.py)
RUN = 30_000
# CPU seconds for all the runs of one pattern. The budget scales with a quadratic pattern's work (RUN squared): the
# 120 s that once bounded 100,000-character runs is ~11 s at 30,000, so a planted quadratic pattern overruns this
# one by the same factor (3-4x) as it did that one, and the slowest linear pattern stays 6x inside it.
BOUND = 10
WALL = 600  # a backstop only (a child that never gets the CPU); the verdict is the CPU budget
_FUNCS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
_FLAGS = {"I": re.I, "IGNORECASE": re.I, "M": re.M, "MULTILINE": re.M, "S": re.S, "DOTALL": re.S, "X": re.X,
          "VERBOSE": re.X, "A": re.A, "ASCII": re.A}


def _flags(node: ast.AST | None) -> int:
    if node is None:
        return 0
    if isinstance(node, ast.Attribute) and node.attr in _FLAGS:
        return _FLAGS[node.attr]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    return 0


def patterns() -> list[tuple[str, str | bytes, int]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent == SRC and path.name in SKIP_FILES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FUNCS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, (str, bytes)):
                flag_node = next((k.value for k in node.keywords if k.arg == "flags"), None)
                if flag_node is None:
                    position = 1 if node.func.attr == "compile" else 2 if node.func.attr in ("search", "match", "fullmatch", "findall", "finditer", "split") else 4
                    flag_node = node.args[position] if len(node.args) > position else None
                found.append((f"{path.relative_to(SRC)}:{node.lineno}", first.value, _flags(flag_node)))
    # Patterns built at run time from fixed pieces.
    from threatscan.engines.android.gradle import _setting_pattern

    built = _setting_pattern(("targetSdk", "targetSdkVersion", "minifyEnabled"))
    found.append(("engines/android/gradle.py:_setting_pattern", built.pattern, built.flags & ~re.U))
    return found


# A representative of every character class a pattern can touch, plus the pattern's own literal characters.
CLASSES = "aZ0_ \t\n\r.-\"'\\/:=<>{}()[]#$,;@*+?|!&%~`^é\u00a0\u2028"


def runs_for(pattern: str | bytes) -> list[str]:
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    chars = dict.fromkeys(CLASSES + "".join(ch for ch in text if ch.isprintable()))
    return list(chars)


def primers(pattern: str | bytes, flags: int) -> list[str]:
    """Literal text each alternative of the pattern starts with (`:role/`, `until=`), so that a run placed after
    it reaches the repeats behind the literal; "" for the pattern's own start."""
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found]
        from re import _constants as c  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as c  # type: ignore[no-redef]
        import sre_parse  # type: ignore[no-redef]
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern

    def leads(items) -> list[str]:
        out = [""]
        for op, av in items:
            if op is c.LITERAL:
                out = [p + chr(av) for p in out]
            elif op is c.SUBPATTERN:
                out = [p + q for p in out for q in leads(av[-1])]
            elif op is c.BRANCH:
                out = [p + q for p in out for q in [x for alt in av[1] for x in leads(alt)]][:16]
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue  # (a look-behind after a literal, `p(?<!\wp)ath`, consumes nothing: read on past it)
            else:
                break
        return out

    try:
        found = leads(sre_parse.parse(text, flags & ~re.U if isinstance(pattern, bytes) else flags))
    except Exception:
        found = []
    return list(dict.fromkeys(["", *found]))[:2]


_CHILD = r"""
import json, re, resource, sys
pattern, is_bytes, flags, chars, n, primers, cpu = json.loads(sys.stdin.read())
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))  # SIGXCPU ends the child when the budget is spent
p = re.compile(pattern.encode("latin-1") if is_bytes else pattern, flags)
for primer in primers:
    for ch in chars:
        run = primer + ch * n
        if is_bytes:
            if any(ord(x) > 255 for x in run):
                continue
            run = run.encode("latin-1")
        # finditer tries a match at every start position (what search and findall do; match is its first try);
        # the second run ends in a character most patterns cannot take, which makes an anchored end fail late.
        for subject in (run, run + (b"!" if is_bytes else "!")):
            for _ in p.finditer(subject):
                pass
print("done")
"""


@pytest.mark.parametrize("where,pattern,flags", patterns(), ids=lambda v: v if isinstance(v, str) and ".py:" in v else "")
def test_pattern_is_linear_on_long_runs(where, pattern, flags):
    is_bytes = isinstance(pattern, bytes)
    payload = json.dumps([pattern.decode("latin-1") if is_bytes else pattern, is_bytes, flags, runs_for(pattern), RUN,
                          primers(pattern, flags), BOUND])
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=payload, capture_output=True, text=True,
                              timeout=WALL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{where}: {pattern!r} still running after {WALL} s")
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        pytest.fail(f"{where}: {pattern!r} backtracks on a long run of one character (more than {BOUND} CPU seconds)")
    assert proc.stdout.strip() == "done", proc.stderr[-1000:]


def test_the_patterns_were_found():
    found = patterns()
    assert len(found) > 50
    assert any(where.startswith("engines/android/gradle.py") for where, _, _ in found)
