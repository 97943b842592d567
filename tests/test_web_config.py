"""Web-configuration rules (PY301-PY321): where findings point and how severe they are, beyond the fixture match."""

from __future__ import annotations

from conftest import REPO

from threatscan.model import Severity

SETTINGS = "fixtures/python/web/django_site/shop/settings.py"


def _line_of(rel: str, prefix: str) -> int:
    lines = (REPO / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(prefix))


def _findings(scan, rel: str, rule: str | None = None):
    return [f for f in scan.findings if f.location.path == rel and (rule is None or f.rule_id == rule)]


def test_django_settings_findings_point_at_their_assignments(fixtures_scan):
    found = _findings(fixtures_scan, SETTINGS)
    assert found and all(f.location.line > 1 for f in found)
    # A missing SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE points at the MIDDLEWARE assignment, one per setting.
    missing = _findings(fixtures_scan, SETTINGS, "PY304")
    assert {f.location.line for f in missing} == {_line_of(SETTINGS, "MIDDLEWARE = [")}
    assert sorted("SESSION_COOKIE_SECURE" in f.message for f in missing) == [False, True]
    assert all(f.location.column == 1 and f.precision == "medium" for f in missing)
    assert len({f.fingerprint for f in missing}) == 2
    # Explicit values point at their own assignment.
    (httponly,) = _findings(fixtures_scan, SETTINGS, "PY305")
    assert httponly.location.line == _line_of(SETTINGS, "SESSION_COOKIE_HTTPONLY = False")
    (cors,) = _findings(fixtures_scan, SETTINGS, "PY310")
    assert cors.location.line == _line_of(SETTINGS, "CORS_ALLOW_ALL_ORIGINS = True")
    assert [r.location.line for r in cors.related] == [_line_of(SETTINGS, "CORS_ALLOW_CREDENTIALS = True")]


def test_cookie_severity_follows_what_the_name_shows(fixtures_scan):
    """A session-like name raises the rule's severity; a preference cookie without Secure is only low."""
    rel = "fixtures/python/web/cookies/flask_views.py"
    by_line = {f.location.line: f.severity for f in _findings(fixtures_scan, rel, "PY301")}
    assert by_line[_line_of_containing(rel, 'resp.set_cookie("session_id", "abc")')] == Severity.HIGH
    assert by_line[_line_of_containing(rel, '"prefs", current_prefs(), secure=False')] == Severity.LOW


def test_debug_server_under_main_on_localhost_is_medium(fixtures_scan):
    rel = "fixtures/python/web/debug/flask_app.py"
    by_line = {f.location.line: f.severity for f in _findings(fixtures_scan, rel, "PY320")}
    assert by_line[_line_of_containing(rel, 'app.run(host="0.0.0.0", port=8080, debug=True)')] == Severity.HIGH
    assert by_line[_line_of_containing(rel, "    app.run(debug=True)")] == Severity.MEDIUM


def _line_of_containing(rel: str, text: str) -> int:
    lines = (REPO / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_fail_open_environment_defaults_are_low_precision(fixtures_scan):
    rel = "fixtures/python/web/django_env/blog/settings.py"
    found = {f.rule_id: f for f in _findings(fixtures_scan, rel)}
    assert set(found) == {"PY304", "PY306", "PY321"}
    assert all(f.precision == "low" and f.severity == Severity.LOW for f in found.values())
    assert "unset" in found["PY321"].message
    # The same setting written as a constant is a definite finding at the rule's own severity and precision.
    (explicit,) = _findings(fixtures_scan, SETTINGS, "PY321")
    assert explicit.severity == Severity.MEDIUM and explicit.precision is None


def test_a_chalice_apps_debug_flag_is_no_werkzeug_console_a_flask_apps_is(fixtures_scan):
    rel = "fixtures/python/web/debug/chalice_app.py"
    found = {f.location.line: f for f in _findings(fixtures_scan, rel, "PY320")}
    assert set(found) == {_line_of(rel, "web.debug = True")}
    assert found[_line_of(rel, "web.debug = True")].severity == Severity.HIGH


def test_a_constant_flag_cookie_is_not_reported_a_token_cookie_is(fixtures_scan):
    """`set_cookie("is_logged_in", "true")` carries nothing to steal: no PY301/PY302. A token (a value not known
    statically) or a constant that is no flag word is still reported, at the severity its name shows."""
    rel = "fixtures/python/web/cookies/flag_cookies.py"
    found = {(f.location.line, f.rule_id): f for f in _findings(fixtures_scan, rel) if f.rule_id in ("PY301", "PY302")}
    for text in ('"is_logged_in", "true"', '"is_logged_in", LOGGED_IN', '"mode", value="dark"', '"cookies_ok", True'):
        line = _line_of_containing(rel, text)
        assert (line, "PY301") not in found and (line, "PY302") not in found, text
    token = _line_of_containing(rel, '"auth_token", token')
    assert found[(token, "PY301")].severity == Severity.HIGH and found[(token, "PY302")].severity == Severity.HIGH
    assert (_line_of_containing(rel, '"session_id", "abc123"'), "PY301") in found
    echoed = _line_of_containing(rel, '"token", request.args.get')  # the request carried it: its URL exposed it
    assert found[(echoed, "PY301")].severity == Severity.LOW and found[(echoed, "PY302")].severity == Severity.LOW
    assert "travelled in the request" in found[(echoed, "PY301")].message


def test_a_debug_asgi_app_replaced_unread_by_the_served_one_is_no_finding(fixtures_scan):
    """§3g (pygeoapi): `APP = Starlette(debug=True)` bound again to the app the server imports, with no read in
    between, answers no request; an app read before it is replaced, or served as made, keeps its finding."""
    rel = "fixtures/python/web/debug/asgi_rebound.py"
    lines = (REPO / rel).read_text().splitlines()
    found = {f.location.line: f for f in _findings(fixtures_scan, rel, "PY321")}
    quiet = next(i for i, t in enumerate(lines, 1) if t.startswith("APP = Starlette(debug=True)"))
    assert quiet not in found
    for start in ("ADMIN = Starlette(debug=True)", "WORKER = Starlette(debug=True)"):
        line = next(i for i, t in enumerate(lines, 1) if t.startswith(start))
        assert found[line].severity.label == "medium", start


def test_credentialed_cors_is_review_where_no_browser_sends_a_credential_on_its_own(catalog):
    """PY310 gives other sites what a browser adds by itself (cookies, a session, HTTP authentication); in a
    repository that has none (clients add a bearer token), it is a review finding that says so."""
    from threatscan.scan import ScanOptions, run_scan

    def scan(name):
        root = REPO / "fixtures/python/web/cors_ambient" / name
        return [f for f in run_scan(ScanOptions(paths=[str(root)], root=root), catalog).findings if f.rule_id == "PY310"]

    (headers,) = scan("header_tokens")
    assert headers.severity == Severity.LOW and headers.evidence == "review"
    assert "sets or reads a cookie" in headers.message and "review" in headers.properties["tags"]
    (cookies,) = scan("cookie_login")
    assert cookies.severity == Severity.HIGH and cookies.evidence == ""
    (plugin,) = scan("two_services")  # the backend's cookie is another service's (another import root)
    assert plugin.location.path.endswith("plugin/main.py") and plugin.evidence == "review"
    (served,) = scan("plugin_server")  # a plug-in's own app below a server that keeps sessions
    assert served.location.path.endswith("pleaser/main.py") and served.evidence == "review"


def test_a_plugin_named_middleware_is_no_settings_module_and_a_setting_set_by_name_is_set(fixtures_scan):
    """Scirius loads a plug-in as `MIDDLEWARE = __import__(...)` in forms and views: no Django settings module, so
    nothing is missing there; PeeringDB's `set_from_env("SESSION_COOKIE_SECURE", ...)` sets the setting by name."""
    base = "fixtures/python/web/django_by_name"
    assert not _findings(fixtures_scan, f"{base}/rules/forms.py", "PY304")
    assert not _findings(fixtures_scan, f"{base}/contests/api.py", "PY304"), "an import of MIDDLEWARE (OIOIOI)"
    found = _findings(fixtures_scan, f"{base}/site/settings.py", "PY304")
    assert [("CSRF_COOKIE_SECURE" in f.message, "SESSION_COOKIE_SECURE" in f.message) for f in found] == [(True, False)]


def test_settings_that_load_local_settings_after_a_value_make_it_a_default(catalog):
    """A deployed settings module that loads `local_settings` at its end: what it set before is a default each
    installation replaces (review, naming the load); what it sets after the load stays at the gate."""
    from threatscan.scan import ScanOptions, run_scan

    root = REPO / "fixtures/python/web/django_local"
    rel = "shop/settings.py"
    lines = (root / rel).read_text().splitlines()
    found = {(f.location.line, f.rule_id): f for f in run_scan(ScanOptions(paths=[str(root)], root=root), catalog).findings
             if f.location.path == rel}
    for number, text in enumerate(lines, 1):
        if "(review: local settings follow)" in text:
            f = found[(number, text.split("# expect: ")[1].split()[0])]
            assert f.severity == Severity.LOW and f.evidence == "review" and "loads the installation's local" in f.message
    after = next(i for i, t in enumerate(lines, 1) if "(gate: set after" in t)
    assert found[(after, "PY304")].severity == Severity.MEDIUM and found[(after, "PY304")].evidence == ""
    chosen = next(i for i, t in enumerate(lines, 1) if "(gate: an explicit choice" in t)
    assert found[(chosen, "PY306")].severity == Severity.MEDIUM and found[(chosen, "PY306")].evidence == ""
    assert len(found) == 4


def test_a_cookie_without_samesite_is_review_samesite_none_written_out_keeps_its_severity(fixtures_scan):
    """No SameSite attribute is the frameworks' default, which Chrome and Edge read as Lax (0 true of 15 at the gate
    in the pooled independent samples): review; `samesite="None"` on a session-named cookie stays medium."""
    rel = "fixtures/python/web/cookies/flask_views.py"
    found = {f.location.line: f for f in _findings(fixtures_scan, rel, "PY303")}
    lines = (REPO / rel).read_text().splitlines()
    written = next(i for i, t in enumerate(lines, 1) if "(medium: SameSite=None written out)" in t)
    default = next(i for i, t in enumerate(lines, 1) if "(low review: no attribute" in t)
    assert found[written].severity == Severity.MEDIUM and found[written].evidence == ""
    assert found[default].severity == Severity.LOW and found[default].evidence == "review"
    assert "Chrome and Edge read as `Lax`" in found[default].message
    assert all(f.evidence == "review" for n, f in found.items() if 'samesite="none"' not in lines[n - 1].lower()), \
        "every absent attribute"
