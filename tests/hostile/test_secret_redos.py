"""Every regular expression of the shared secret detector (threatscan.secrets) is linear by construction: fed
100,000-character runs of every character class it reads (and of the literals it looks for), the detector and
redactor finish within a CPU-time budget that a quadratic or exponential pattern would overrun by orders of
magnitude. The work runs in a child process under RLIMIT_CPU, so the bound is CPU work done, not wall-clock time
on a loaded machine."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource")  # RLIMIT_CPU: POSIX only

N = 100_000
# A linear pass over every pattern and input below takes a few seconds; one quadratic pattern on one 100k run does
# ~10^10 steps (minutes), so the budget separates the two without measuring time.
CPU_SECONDS = 120

CHILD = textwrap.dedent(r'''
    import re, resource, string, sys
    resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
    from threatscan import secrets as S

    N = {n}
    patterns = [(name, value) for name, value in vars(S).items() if isinstance(value, (re.Pattern, S.LazyPattern))]
    patterns += [(kind, pattern) for kind, _, pattern in S.KNOWN_FORMATS]
    assert len(patterns) >= 30, len(patterns)
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
    for name, pattern in patterns:
        for unit in units(pattern.pattern) | set(LITERALS):
            text = (unit * (N // len(unit) + 1))[:N]
            for prefix in ("", "password = \"") if unit in LITERALS else ("",):
                for _ in pattern.finditer(prefix + text):
                    pass
                runs += 1
    funcs = [S.known_format, S.split_words, S.name_kind, S.is_placeholder, S.redact, S.redact_line,
             lambda v: S.check_value(v, "password"), lambda v: S.check_value(v, "api_key"),
             lambda v: S.secret_spans(v, code=False), S.secret_values]
    # whole functions (each runs many patterns): the runs that broke the old patterns, and one of each class
    for unit in set(CLASSES) | {{"eyJa.", "x://a:", "a.", "a-", "${{", "{{", "<", "%(", "a=\"", "\"a\", \"", "name=\"a\" ",
                                 "jwt.encode(a, \"", "-----BEGIN PRIVATE KEY-----", "xoxb-", "AAAA"}}:
        text = (unit * (N // len(unit) + 1))[:N]
        for f in funcs:
            f(text)
            f("password = \"" + text)
            runs += 2
    print("ok", runs)
''')


def test_every_secret_pattern_is_linear_on_long_runs():
    out = subprocess.run([sys.executable, "-c", CHILD.format(cpu=CPU_SECONDS, n=N)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), (
        f"a secret pattern needs more than {CPU_SECONDS} CPU seconds on 100,000-character runs "
        f"(exit {out.returncode}): {out.stderr[-2000:]}")
