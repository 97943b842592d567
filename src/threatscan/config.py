"""Configuration: `[tool.threatscan]` in pyproject.toml, or a `.threatscan.toml` (top-level keys), at the scan root.

Command-line flags win over the file. An unknown key, a wrong type or an unknown rule id is an error that names
the file and the key (the CLI exits 2); nothing is silently ignored.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from .model import Severity

FAIL_ON = ("none", "low", "medium", "high", "critical")


class ConfigError(ValueError):
    pass


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
        if path.is_file():
            if name == "pyproject.toml" and "threatscan" not in _read_toml(path).get("tool", {}):
                continue
            return path
    return None


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_config(root: Path, explicit: str | None = None, known_rules: set[str] | None = None) -> Config:
    """Read the configuration for a scan rooted at `root` (or the `explicit` file). No file: defaults."""
    path = Path(explicit) if explicit else find_config(root)
    if path is None:
        return Config()
    if explicit and not path.is_file():
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
