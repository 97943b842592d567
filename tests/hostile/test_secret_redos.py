"""Every regular expression of the shared secret detector (threatscan.secrets) is linear by construction: fed
30,000-character runs of every character class it reads (and of the literals it looks for), each pattern, and then
the detector's and redactor's functions, finish within a CPU-time budget that a quadratic or exponential pattern
overruns. Each runs in a child process of its own under RLIMIT_CPU, so the bound is CPU work done, not wall-clock
time on a loaded machine.

The budget scales with a quadratic pattern's work (N squared): the 120 s that bounded all patterns together on
100,000-character runs is ~11 s at 30,000, and here each pattern has 10 s of its own (the slowest linear one needs
about 1 s), so a pattern that backtracks is caught as surely as before and named."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource")  # RLIMIT_CPU: POSIX only

from threatscan import secrets as S  # noqa: E402

N = 30_000
CPU_SECONDS = 10

CHILD = textwrap.dedent(r'''
    import re, resource, string, sys
    resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu} + 5))
    from threatscan import secrets as S

    N = {n}
    WHICH = {which!r}
    CLASSES = ["a", "Z", "7", "f", " ", "\t", "\\", "\n"]

    def units(source):
        chars = {{c for c in source if c in string.punctuation}} | set(CLASSES)
        out = set(chars)
        out |= {{"a" + c for c in chars}}
        out |= {{w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_.:/-]{{1,}}", source.replace("\\", " "))}}
        out |= {{w + "a" for w in list(out) if len(w) > 2}}
        return out

    LITERALS = ["eyJ", "eyJa.", "eyJaaaaaaaaaaaa.", "x://", "x://a:", "://a:b@", "a:b@", "${{", "{{{{", "%(", "$(", "<",
                "AKIA", "sk_live_", "ghp_", "github_pat_", "xoxb-", "AIza", "SG.", "SK", "-us1", "password=",
                ";password=", "name=\"a\" ", "name='api_key'>", "-----BEGIN PRIVATE KEY-----", "\\n", "a=", "a: ",
                "a=\"", "\"a\", \"", "jwt.encode(", "jwt.encode(a, \"", "hmac.new(\"", "Serializer(", "'a':'",
                "password=\"", "api_key: ", "https://hooks.slack.com/services/T", "PRIVATE KEY"]
    runs = 0
    if WHICH == "functions":
        funcs = [S.known_format, S.split_words, S.name_kind, S.is_placeholder, S.redact, S.redact_line,
                 lambda v: S.check_value(v, "password"), lambda v: S.check_value(v, "api_key"),
                 lambda v: S.secret_spans(v, code=False), S.secret_values]
        # whole functions (each runs many patterns): the runs that broke the old patterns, and one of each class
        for unit in set(CLASSES) | {{"eyJa.", "x://a:", "a.", "a-", "${{", "{{", "<", "%(", "a=\"", "\"a\", \"",
                                     "name=\"a\" ", "jwt.encode(a, \"", "-----BEGIN PRIVATE KEY-----", "xoxb-", "AAAA"}}:
            text = (unit * (N // len(unit) + 1))[:N]
            for f in funcs:
                f(text)
                f("password = \"" + text)
                runs += 2
    else:
        kind, key = WHICH
        pattern = getattr(S, key) if kind == "var" else next(p for k, _, p in S.KNOWN_FORMATS if k == key)
        for unit in units(pattern.pattern) | set(LITERALS):
            text = (unit * (N // len(unit) + 1))[:N]
            for prefix in ("", "password = \"") if unit in LITERALS else ("",):
                for _ in pattern.finditer(prefix + text):
                    pass
                runs += 1
    print("ok", runs)
''')


def _targets() -> list[tuple[str, str] | str]:
    patterns: list[tuple[str, str] | str] = [("var", name) for name, value in vars(S).items()
                                             if isinstance(value, (re.Pattern, S.LazyPattern))]
    patterns += [("known", kind) for kind, _, _ in S.KNOWN_FORMATS]
    return [*patterns, "functions"]


def test_the_patterns_were_found():
    assert len(_targets()) >= 31
    assert any(isinstance(getattr(S, w[1], None), S.LazyPattern) for w in _targets() if isinstance(w, tuple)), \
        "the patterns compiled on first use are tested too"


@pytest.mark.parametrize("which", _targets(), ids=lambda w: w if isinstance(w, str) else w[1])
def test_every_secret_pattern_is_linear_on_long_runs(which):
    out = subprocess.run([sys.executable, "-c", CHILD.format(cpu=CPU_SECONDS, n=N, which=which)], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode not in (-signal.SIGXCPU, -signal.SIGKILL), (
        f"{which}: more than {CPU_SECONDS} CPU seconds on {N:,}-character runs (a backtracking pattern)")
    assert out.returncode == 0 and out.stdout.startswith("ok"), f"exit {out.returncode}: {out.stderr[-2000:]}"
