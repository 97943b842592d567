"""Configuration: `[tool.threatscan]` in pyproject.toml, or a `.threatscan.toml` (top-level keys), at the scan root.

Command-line flags win over the file. An unknown key, a wrong type or an unknown rule id is an error that names
the file and the key (the CLI exits 2); nothing is silently ignored.

The configuration file belongs to the repository being scanned, so it cannot reach outside it: `threat-model`
and `baseline` are paths inside the repository (no absolute paths, no `..` or symbolic links leading out), and
`jobs` and `max-file-bytes` are capped. Flags given on the command line may point anywhere. Only regular files
are read as configuration, baseline or threat model, and each has a size cap (a FIFO or /dev/zero is refused,
never read).
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Severity

FAIL_ON = ("none", "low", "medium", "high", "critical")


class ConfigError(ValueError):
    pass


# Size caps for the files a scan reads besides the scanned code.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_THREAT_MODEL_BYTES = 4 * 1024 * 1024
MAX_BASELINE_BYTES = 64 * 1024 * 1024
# What a repository's configuration may ask for at most (a command-line flag may ask for more).
MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024  # max-file-bytes


def max_config_jobs() -> int:
    """`jobs` in a repository's configuration: at most the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_regular_file(path: str | Path, limit: int, what: str) -> Path:
    """`path` if it is a regular file (after symbolic links) of at most `limit` bytes; else ConfigError.
    Never opens it: a FIFO would block, a device never end."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: the {what} is not a regular file; not read")
    if st.st_size > limit:
        raise ConfigError(f"{path}: the {what} is {st.st_size} bytes, over the {limit} byte limit; not read")
    return path


def read_regular_file(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, checked on the open file itself."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: the {what} is not a regular file; not read")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(f"{path}: the {what} is over the {limit} byte limit; not read")
    return data


def inside_repository(root: Path, value: str, where: str) -> Path:
    """A path named by the repository's configuration, relative to the repository root, that stays inside it
    (also after symbolic links)."""
    if not value or Path(value).is_absolute() or value.startswith("~"):
        raise ConfigError(f"{where}: must be a path relative to the repository root, not {value!r}")
    base = root.resolve()
    target = (base / value).resolve()
    try:
        target.relative_to(base)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} leads outside the repository; a repository's configuration "
                          "may only name files inside it (give the path on the command line instead)") from None
    return target


@dataclass
class Config:
    source: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    severity: dict[str, Severity] = field(default_factory=dict)
    threat_model: str | None = None
    baseline: str | None = None
    max_file_bytes: int | None = None
    engines: tuple[str, ...] = ()
    peer_unmapped: str | None = None
    jobs: int = 0
    fail_on_test_code: bool = False  # findings in tests/examples/docs fail the gate too (tail.gates)
    include_non_shipping: bool = False  # report findings in Android code that never ships (tail.non_shipping_filter)
    extra: dict[str, Any] = field(default_factory=dict)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings, got {type(value).__name__}")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _fail_on(value: Any, where: str) -> str:
    value = _string(value, where)
    if value not in FAIL_ON:
        raise ConfigError(f"{where}: expected one of {', '.join(FAIL_ON)}, got {value!r}")
    return value


def _severity_map(value: Any, where: str) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of RULE-ID = \"severity\"")
    out = {}
    for rule, sev in value.items():
        try:
            out[rule] = Severity.parse(_string(sev, f"{where}.{rule}"))
        except ValueError as exc:
            raise ConfigError(f"{where}.{rule}: {exc}") from None
    return out


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false")
    return value


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{where}: expected a positive integer")
    return value


# key -> (Config attribute, parser). Later features add keys here, and only here.
KEYS = {
    "include": ("include", _strings),
    "exclude": ("exclude", _strings),
    "select": ("select", _strings),
    "ignore": ("ignore", _strings),
    "fail-on": ("fail_on", _fail_on),
    "severity": ("severity", _severity_map),
    "threat-model": ("threat_model", _string),
    "baseline": ("baseline", _string),
    "max-file-bytes": ("max_file_bytes", _positive_int),
    "engines": ("engines", lambda v, w: _choices(_strings(v, w), w, ("auto", "native", "bandit", "semgrep", "checkov"))),
    "jobs": ("jobs", _positive_int),
    "fail-on-test-code": ("fail_on_test_code", lambda v, w: _boolean(v, w)),
    "include-non-shipping": ("include_non_shipping", lambda v, w: _boolean(v, w)),
    "peer-unmapped": ("peer_unmapped", lambda v, w: _choices((_string(v, w),), w, ("keep", "drop"))[0]),
}


def _choices(values: tuple[str, ...], where: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    for v in values:
        if v not in allowed:
            raise ConfigError(f"{where}: {v!r} is not one of {', '.join(allowed)}")
    return values


def find_config(root: Path) -> Path | None:
    for name in (".threatscan.toml", "pyproject.toml"):
        path = root / name
        if os.path.lexists(path):
            inside_repository(root, name, str(path))  # a link out of the repository is an error, not a config
            if name == "pyproject.toml" and "threatscan" not in _read_toml(path).get("tool", {}):
                continue
            return path
    return None


def _read_toml(path: Path) -> dict:
    # Imported here: a repository without a TOML configuration (and `--version`) never loads the parser (~5 ms).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    data = read_regular_file(path, MAX_CONFIG_BYTES, "configuration file")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses on nested arrays and inline tables
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def load_config(root: Path, explicit: str | None = None, known_rules: set[str] | None = None) -> Config:
    """Read the configuration for a scan rooted at `root` (or the `explicit` file). No file: defaults."""
    path = Path(explicit) if explicit else find_config(root)
    if path is None:
        return Config()
    if explicit and not os.path.exists(path):
        raise ConfigError(f"{path}: no such configuration file")
    data = _read_toml(path)
    section = "" if path.name != "pyproject.toml" else "tool.threatscan"
    if section:
        data = data.get("tool", {}).get("threatscan", {})
    config = Config(source=str(path))
    for key, value in data.items():
        where = f"{path}: {section + '.' if section else ''}{key}"
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key (known: {', '.join(sorted(KEYS))})")
        attr, parse = KEYS[key]
        setattr(config, attr, parse(value, where))
    # What the file may ask for (it is the repository's, not the user's): paths inside the repository, bounded
    # resources.
    where = f"{path}: {section + '.' if section else ''}"
    if config.threat_model is not None:
        config.threat_model = str(inside_repository(root, config.threat_model, where + "threat-model"))
    if config.baseline is not None:
        config.baseline = str(inside_repository(root, config.baseline, where + "baseline"))
    config.jobs = min(config.jobs, max_config_jobs())
    if config.max_file_bytes:
        config.max_file_bytes = min(config.max_file_bytes, MAX_CONFIG_FILE_BYTES)
    if known_rules is not None:
        for key, rules in (("select", config.select), ("ignore", config.ignore), ("severity", tuple(config.severity))):
            for rule in rules:
                if not _is_known(rule, known_rules):
                    raise ConfigError(f"{path}: {section + '.' if section else ''}{key}: unknown rule id {rule!r}")
    return config


def _is_known(pattern: str, known: set[str]) -> bool:
    if pattern.endswith("*"):
        return any(r.startswith(pattern[:-1]) for r in known)
    return pattern in known
