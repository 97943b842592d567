"""PY310/PY311 and flask-cors's app configuration: `CORS(app, ...)`/`@cross_origin(...)` without `origins` take the
app's `CORS_ORIGINS` (Facts.cors_origins), on the small apps under tests/data/flask_cors_config."""

from __future__ import annotations

from conftest import REPO

from threatscan.model import Severity


def _line_of_containing(rel: str, text: str) -> int:
    lines = (REPO / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


CORS_CONFIG = REPO / "tests" / "data" / "flask_cors_config"


def _cors_scan(catalog, name: str):
    from threatscan.scan import ScanOptions, run_scan

    scan = run_scan(ScanOptions(paths=[str(CORS_CONFIG / name)], root=CORS_CONFIG / name,
                                  select=("PY310", "PY311")), catalog)
    return sorted((f.location.path.rsplit("/", 1)[-1], f.location.line, f.severity, f.evidence) for f in scan.findings
                  if f.suppression is None)


def _expected_lines(name: str) -> list[tuple[str, int]]:
    """(file, line) of each `# expect: PY310` in one of the small flask-cors apps."""
    return sorted((p.name, i) for p in (CORS_CONFIG / name).rglob("*.py")
                  for i, line in enumerate(p.read_text().splitlines(), start=1) if "# expect: PY310" in line)


def test_flask_cors_without_origins_follows_the_apps_cors_origins_setting(catalog):
    """flask-cors merges the app's `CORS_ORIGINS` (set in another module: a config class for `from_object`) into a
    `CORS(app, supports_credentials=True)` or `@cross_origin(supports_credentials=True)` without `origins`: named
    origins are no "any origin"; origins given at the call still win."""
    found = _cors_scan(catalog, "restricted")
    assert [(f, line) for f, line, _, _ in found] == _expected_lines("restricted")
    assert [line for _, line, _, _ in found] == [_line_of_containing(
        "tests/data/flask_cors_config/restricted/app/__init__.py", 'origins="*"')]
    assert found[0][2] == Severity.HIGH


def test_flask_cors_origins_setting_any_origin_unknown_or_absent(catalog):
    """`CORS_ORIGINS = "*"` keeps the finding at its severity; an origin list read from the environment is a review
    finding (low); no `CORS_ORIGINS` anywhere leaves flask-cors's "*" default."""
    (star,) = _cors_scan(catalog, "any_origin")
    assert star[:2] == _expected_lines("any_origin")[0] and star[2] == Severity.HIGH and star[3] != "review"
    (env,) = _cors_scan(catalog, "from_env")
    assert env[:2] == _expected_lines("from_env")[0] and env[2] == Severity.LOW and env[3] == "review"
    (none,) = _cors_scan(catalog, "none")
    assert none[:2] == _expected_lines("none")[0] and none[2] == Severity.HIGH and none[3] != "review"


def test_the_cors_origins_fact_reads_each_form_of_the_setting():
    """Facts.cors_origins: a config-class attribute through a module constant, a development config class (its
    owner recorded, so PY310 leaves it out), `app.config.update({...})`, `app.config[...] = ...`, and a value read
    from the environment (None: not known)."""
    from threatscan.discover import SourceFile
    from threatscan.engines.python.deployment import CorsOriginsSetting, cors_origins_settings

    files = [SourceFile(p, p.relative_to(CORS_CONFIG).as_posix(), frozenset({"python"}), p.stat().st_size)
             for p in sorted(CORS_CONFIG.rglob("*.py"))]
    found = {(s.path, s.line): s for s in cors_origins_settings(files)}
    config, settings = "restricted/app/config.py", "restricted/app/settings.py"
    assert found[(config, 7)] == CorsOriginsSetting(config, 7, ("https://admin.example.com", "https://app.example.com"),
                                                    "Config")
    assert found[(config, 12)] == CorsOriginsSetting(config, 12, ("*",), "DevelopmentConfig")
    assert found[(settings, 5)].origins == ("https://partner.example.com",)
    assert found[(settings, 6)].origins == (r"https://.*\.example\.com",)
    assert found[("from_env/settings.py", 3)].origins is None
    assert found[("any_origin/app.py", 5)].origins == ("*",)
    assert len(found) == 6


def test_a_module_that_cannot_be_decoded_leaves_the_other_cors_origins_settings(tmp_path):
    """A mis-encoded module that mentions CORS_ORIGINS is skipped (no lost facts); a module read only to look for
    the name is not kept in memory."""
    from threatscan.discover import SourceFile
    from threatscan.engines.python.deployment import CorsOriginsSetting, cors_origins_settings

    (tmp_path / "bad.py").write_bytes(b"CORS_ORIGINS = '\xff\xfe caf\xe9'\n")
    (tmp_path / "good.py").write_text("CORS_ORIGINS = 'https://a.example.com'\n")
    (tmp_path / "other.py").write_text("DEBUG = False\n")
    files = [SourceFile(tmp_path / n, n, frozenset({"python"}), 1) for n in ("bad.py", "good.py", "other.py")]
    assert cors_origins_settings(files) == {CorsOriginsSetting("good.py", 1, ("https://a.example.com",))}
    assert not any(f.loaded for f in files)


def test_the_cors_origins_fact_reads_no_module_discovery_already_read(tmp_path, monkeypatch):
    """On a cold scan discovery reads each small module whole; it notes then whether the module mentions
    CORS_ORIGINS (engines/base.py FACT_MARKS), and the fact reads again only a module that does (and one discovery
    did not read whole), with the same settings found."""
    from threatscan.discover import SourceFile, discover
    from threatscan.engines.base import FACT_MARKS
    from threatscan.engines.python.deployment import CorsOriginsSetting, cors_origins_settings

    (tmp_path / "config.py").write_text("CORS_ORIGINS = ['https://a.example.com']\n")
    for n in range(5):
        (tmp_path / f"views{n}.py").write_text("def view():\n    return 'ok'\n")
    read: list[str] = []
    real = SourceFile.data

    def counted(self):
        if self._data is None:
            read.append(self.rel)
        return real(self)

    files = [f for f in discover([tmp_path], root=tmp_path, marks=FACT_MARKS).files if f.rel.endswith(".py")]
    monkeypatch.setattr(SourceFile, "data", counted)
    expected = {CorsOriginsSetting("config.py", 1, ("https://a.example.com",))}
    assert cors_origins_settings(files) == expected and read == ["config.py"]
    read.clear()
    unnoted = [f for f in discover([tmp_path], root=tmp_path).files if f.rel.endswith(".py")]
    assert cors_origins_settings(unnoted) == expected and len(read) == 6  # without the notes: every module read
