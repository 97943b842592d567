"""The per-file limits that keep hostile input from crashing, hanging or exhausting a scan.

A file past a limit is skipped (or analysed less deeply) with a notice naming the file and the limit; every other
file's findings are kept. Each limit has a default here and an environment variable that overrides it (README,
"Security" > "Limits"). The file-size cap is also the configuration key `max-file-bytes`.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


# Python ---------------------------------------------------------------------------------------------------------
# Brackets nested deeper than this are refused before any parser sees them: the interpreter's own parser accepts
# at most 200, and libcst's (native) parser overflows its stack near 2,000 and takes quadratic time long before.
MAX_PY_NESTING = _env_int("THREATSCAN_MAX_PY_NESTING", 200)
# The fallback parser (libcst) runs in a child process, where a crash or a hang costs one file, when a file is
# risky: a statement of more tokens than this, or more tokens in all than MAX_PY_INPROCESS_TOKENS.
PY_RISKY_STATEMENT_TOKENS = 500
MAX_PY_INPROCESS_TOKENS = 50_000
# Seconds the fallback parser may spend on one file (in its child process) before the file is skipped.
PARSE_TIMEOUT = _env_int("THREATSCAN_PARSE_TIMEOUT", 30)
# Bytes of address space the fallback parser's child process may add.
PARSE_MEMORY = _env_int("THREATSCAN_PARSE_MEMORY", 2 * 1024 ** 3)

# Data flow ------------------------------------------------------------------------------------------------------
# Constant folding builds no string, bytes or list longer than this (`3_000_000_000 * 'a'` stays unknown).
MAX_FOLDED_LENGTH = _env_int("THREATSCAN_MAX_FOLDED_LENGTH", 100_000)

# YAML, XML, configuration ---------------------------------------------------------------------------------------
# Nodes an alias may expand to in a YAML document, across all its aliases (a "billion laughs" is refused; a large
# template written out in full is not).
MAX_YAML_ALIAS_NODES = _env_int("THREATSCAN_MAX_YAML_ALIAS_NODES", 100_000)
# Nesting depth of YAML/JSON collections and XML elements.
MAX_NESTING = _env_int("THREATSCAN_MAX_NESTING", 1_000)

# Findings and notices -------------------------------------------------------------------------------------------
MAX_FINDINGS_PER_FILE = _env_int("THREATSCAN_MAX_FINDINGS_PER_FILE", 1_000)
MAX_NOTICES_PER_FILE = _env_int("THREATSCAN_MAX_NOTICES_PER_FILE", 50)
MAX_NOTICES = _env_int("THREATSCAN_MAX_NOTICES", 2_000)
