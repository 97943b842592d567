"""Precision on real code (issue 13): the shapes that made real projects' findings false, each asserted on the
fixture findings a user would see (severity, message), beside the exact-match fixture test."""

from __future__ import annotations

from conftest import FIXTURES


def _by_line(fixtures_scan, rel: str, rule: str) -> dict[int, object]:
    return {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == rule}


def _line(rel: str, needle: str, nth: int = 1) -> int:
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    return [i for i, text in enumerate(lines, 1) if needle in text][nth - 1]


def test_tls_checks_off_behind_an_opt_in_switch_are_low_unconditional_ones_high(fixtures_scan):
    rel = "fixtures/python/crypto/tls_switch.py"
    verify, hostname = _by_line(fixtures_scan, rel, "PY505"), _by_line(fixtures_scan, rel, "PY506")
    switched = [verify[_line(rel, "context.verify_mode = ssl.CERT_NONE")],
                hostname[_line(rel, "context.check_hostname = False")],
                verify[_line(rel, "requests.post(url, data=body, auth=settings[\"auth\"], verify=False)")],
                verify[_line(rel, "session.verify = False")]]
    for f in switched:
        assert f.severity.label == "low" and "opt-in switch" in f.message, (f.location.line, f.message)
    assert "`validate_certs`" in switched[0].message and "`insecure_skip_verify`" in switched[2].message
    always = [verify[_line(rel, "context.verify_mode = ssl.CERT_NONE", 2)],
              hostname[_line(rel, "context.check_hostname = False", 2)],
              verify[_line(rel, "return requests.get(url, auth=auth, verify=False)", 1)],  # `if use_ssl:` is no switch
              verify[_line(rel, "return requests.get(url, auth=auth, verify=False)", 2)],  # a constant condition neither
              verify[_line(rel, "return requests.get(url, auth=auth, verify=False)", 3)]]
    for f in always:
        assert f.severity.label == "high" and "opt-in" not in f.message, (f.location.line, f.message)


def test_a_configured_secret_hashed_is_low_a_users_password_high(fixtures_scan):
    rel = "fixtures/python/crypto/configured_secret_hash.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    for needle in ("hashlib.sha256(self.cfg.password", "return hashlib.sha256(secret", "settings.SERVICE_PASSWORD"):
        f = found[_line(rel, needle)]
        assert f.severity.label == "low" and "configuration" in f.message, needle
    for needle in ("form.password.data", "user.password.encode"):
        assert found[_line(rel, needle)].severity.label == "high", needle


def test_a_pre_hash_before_bcrypt_is_a_review_and_a_salts_digest_no_finding(fixtures_scan):
    """Xinference and SkyLines (§3l): bcrypt's 72-byte pre-hash is no fast storage (review, with the NUL-byte
    advice); the salt's digest is no password's; the stored single SHA-256 stays high."""
    rel = "fixtures/python/crypto/password_prehash.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    pre = found[_line(rel, "hashlib.sha256(pwd_bytes)")]
    assert pre.severity.label == "low" and "bcrypt" in pre.message and "NUL" in pre.message
    assert _line(rel, "salt_hash.update(salt)") not in found
    assert found[_line(rel, "digest.update((password")].severity.label == "high"
    for needle in ("super().set_password(hashlib.md5", "auth.authenticate(request, password=hashlib.md5"):
        django = found[_line(rel, needle)]  # django-vue-admin (§3o): Django's hashers store and check the MD5
        assert (django.severity.label, django.evidence) == ("low", "review"), needle


def test_redirects_after_the_sites_own_text_are_not_open_redirects(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/redirects.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    assert _line(rel, 'redirect(f"/{root}/{name}")') not in found, "the first segment is the site's own setting"
    assert _line(rel, "redirect(base + target)") not in found and _line(rel, "request.host_url +") not in found
    for needle in ('redirect(f"/{root}{name}")', 'redirect(f"/{name}")', "request.url[8:]"):
        assert found[_line(rel, needle)].evidence == "flow", needle
    # nothing before the setting: an open redirect only if the setting is empty, which the scan cannot see
    assert found[_line(rel, 'redirect(f"{root}/{name}")')].evidence == "review"


def test_views_returning_helpers_responses_allow_listed_or_quoted_values_are_not_xss(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/views.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ("return _as_response(", "return _login()", "return response  # ok", 'Markup(f"<code>{key}</code>")',
                 'Markup(f"<pre>{value}</pre>")', "{quote(q)}", "CONFIG_DEFAULTS.get(key"):
        assert _line(rel, safe) not in found, safe
    for unsafe in ("return _greeting(", "return _login_echo()", "return text", "is not set", "{shown}",
                   'q={q}">again'):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_a_raising_containment_check_called_before_the_file_is_used_ends_the_taint(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/file_manager.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    assert _line(rel, "with open(os.path.join(STORAGE, name)) as fh") not in found
    assert found[_line(rel, "os.remove(os.path.join(STORAGE, name))")].severity.label == "high", "a size check is none"
    assert _line(rel, 'with open(os.path.join(STORAGE, name), "rb")') in found, "the check was about another value"


def test_a_named_validator_returning_ok_and_error_ends_the_taint_only_where_its_verdict_is_enforced(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/tuple_validators.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for guarded in ('with open(os.path.join(BASE, name)) as fh:  # ok', "os.remove(os.path.join(BASE, name))",
                    'open(os.path.join(BASE, name), "a").close()', 'return {"content": open(os.path.join(BASE, name))'):
        assert _line(rel, guarded) not in found, guarded
    still = [_line(rel, "with open(os.path.join(BASE, name)) as fh:  # expect", n) for n in range(1, 7)]
    still.append(_line(rel, "with open(os.path.join(BASE, target)) as fh"))
    assert all(found[n].severity.label == "high" for n in still), sorted(set(still) - set(found))


def test_the_projects_own_url_allow_list_ends_ssrf_and_a_buffer_is_no_file_path(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/outgoing.py"
    ssrf, paths = _by_line(fixtures_scan, rel, "PY410"), _by_line(fixtures_scan, rel, "PY408")
    assert list(ssrf) == [_line(rel, "requests.get(api_url, timeout=5).json()", 2)], "only the unchecked request"
    assert list(paths) == [_line(rel, 'send_file(request.values["path"]')], "io.BytesIO(data) is not a path"


def test_a_path_from_an_admin_only_view_is_low_and_says_why(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/file_manager.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    admin = found[_line(rel, "os.makedirs(folder, exist_ok=True)", 1)]
    assert admin.severity.label == "low" and "`@admin_required`" in admin.message
    anyone = found[_line(rel, "os.makedirs(folder, exist_ok=True)", 2)]
    assert anyone.severity.label == "high", "a route path with admin in it is not an access check"


def test_referrer_redirects_pattern_checked_return_urls_and_sqlalchemy_statements(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/forum.py"
    redirects, sql = _by_line(fixtures_scan, rel, "PY403"), _by_line(fixtures_scan, rel, "PY401")
    assert sorted(redirects) == [_line(rel, "loose_return_url(request.args"), _line(rel, 'request.args.get("next") or')]
    assert _line(rel, "db.select(Topic).where(Topic.id.in_(ids))") not in sql
    assert _line(rel, "db.session.execute(query).scalar()") not in sql
    assert _line(rel, 'text(f"SELECT id FROM topic ORDER BY {order}")') in sql
    assert _line(rel, "select(Topic).where(text(") in sql, "a raw fragment inside a statement is still SQL text"


def test_a_request_first_helper_that_returns_plain_text_is_no_view(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/django_turbo.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert list(found) == [_line(rel, 'HttpResponse(f"<p>{name}</p>")')], "only the real view's URL capture"


def test_django_template_objects_autoescape_their_context_jinja_and_mark_safe_do_not(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/django_templates.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ("template.render(context))", 'get_template("search.html").render(', "page.render(Context(",
                 'template.render({"note": note})'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('mark_safe(request.GET["note"])', 'template.render(who=request.GET["who"])', 'body + "<p>"'):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_a_json_body_echoed_or_a_json_response_is_no_reflected_xss(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/json_echo.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ("Response(directory, status=200)", '"Renamed to "', "jsonify(name=", '{"name": request.args'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('data["name"] + "</p>"', "get_json(True)", 'Response("<p>" + request.args', 'request.form["name"]'):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_a_dict_or_list_a_flask_view_returns_is_json_not_an_html_page(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/json_views.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ('"created", "title"', '{"X-Request": "1"}', 'return [request.args["tag"]]', "return tags, 200",
                 "return payload, 200", 'make_response({"title": request.args["title"]}, 201)'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('"created " + request', '200, {"Content-Type": "text/html"}', '"<li>" + request',
                   "return payload, 200", 'make_response({"title": request.args["title"]}, 200', '"<b>" + request'):
        nth = 2 if unsafe == "return payload, 200" else 1
        f = found[_line(rel, unsafe, nth)]
        assert f.severity.label == "medium" and "Cross-site scripting" in f.message, unsafe


def test_keyword_built_objects_split_extensions_and_nested_allow_lists_end_path_taint(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/assets.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for safe in ('_asset_filename(asset, name, extension.lstrip("."))', '"upload" + ext'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('_loose_filename(asset, request.POST["title"])', "store(upload_file, asset.display_name)",
                   'root + ".bin"'):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_a_django_uploads_name_is_its_base_name_a_flask_uploads_filename_is_not(fixtures_scan):
    """KoboToolbox KPI (§3l): Django's `UploadedFile.name` keeps only the base name of what the client sent, so
    `os.path.join(tempdir, postfile.name)` stays in the folder; a form field and Flask's `FileStorage.filename` do
    not."""
    django = "fixtures/python/dataflow/precision/django_uploads.py"
    found = _by_line(fixtures_scan, django, "PY408")
    assert _line(django, "open(path, \"wb\")") not in found
    assert found[_line(django, '"/srv/uploads", folder')].severity.label == "high"
    flask = "fixtures/python/dataflow/precision/flask_uploads.py"
    assert _by_line(fixtures_scan, flask, "PY408")[_line(flask, "upload_file.filename")].severity.label == "high"


def test_a_helper_first_summarised_at_the_depth_limit_gets_its_full_summary_when_called_directly(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/deep_helpers.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    assert _line(rel, '_level3(request.GET["name"]))') not in found, "the allow-list inside _safe_name applies"
    for unsafe in ('_level1(request.GET["name"]) + request.GET["ext"]', '_level3(request.GET["name"]) + request.GET'):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_a_row_the_request_chose_is_stored_data_its_key_and_unnamed_attributes_the_programs(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/stored_rows.py"
    xss, redirects = _by_line(fixtures_scan, rel, "PY402"), _by_line(fixtures_scan, rel, "PY403")
    paths = _by_line(fixtures_scan, rel, "PY408")
    assert not paths, "a file name read from the row the key chose is no request text (not even a review finding)"
    for safe in ("HttpResponse(_read_note_file(note))", "created</a>", "HttpResponse(mark_safe(msg))", "saved</a>"):
        # (page_added's redirect, the row a static method of another module finds or creates, is in `redirects`)
        assert _line(rel, safe) not in xss, safe
    for unsafe in ('"<h1>" + note.title', "{note.pk}: {note.title}", "<div>{note.body}</div>", "{task.owner}"):
        assert xss[_line(rel, unsafe)].severity.label == "medium", unsafe
    assert sorted(redirects) == [_line(rel, 'redirect(f"/{owner}/{path}")')], "only the capture-first target"
    assert xss[_line(rel, "<h1>{page.title}</h1>")].severity.label == "medium", "a field the helper's create wrote"
    # a class method of a class a package re-exports, reading its fields from `**kwargs` one by one
    assert _line(rel, '{run.name}</a>') not in xss and xss[_line(rel, "<b>{run.name}</b>")].severity.label == "medium"


def test_a_request_first_function_no_django_route_names_is_a_helper_not_a_view(fixtures_scan):
    views, helpers = "fixtures/python/dataflow/precision/routed/views.py", "fixtures/python/dataflow/precision/routed/helpers.py"
    assert not _by_line(fixtures_scan, helpers, "PY403"), "redirect_with_query's URL is what its callers pass"
    xss = _by_line(fixtures_scan, views, "PY402")
    assert list(xss) == [_line(views, "<code>{key}</code>")], "_error_page's message is what its callers pass; a " \
        "request-first function nothing calls is still a view (registered some other way)"
    found = _by_line(fixtures_scan, views, "PY403")
    assert sorted(found) == [_line(views, "redirect(target)"), _line(views, '"/" + target'),
                             _line(views, 'request.GET["next"]')], "the routed views, and the caller of the helper"
    assert "passed to `redirect_with_query`" in found[_line(views, 'request.GET["next"]')].message


def test_a_flag_a_view_passes_as_a_constant_reads_the_shared_helper_on_that_branch_only(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/server_export_views.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for checked in ('export_servers(request.form["filename"], "{}")}', 'import_servers(request.form["filename"], True)'):
        assert _line(rel, checked) not in found, "the web call's flag (default or constant) picks the checked branch"
    for unchecked in ("from_cli=True)", 'import_servers(request.form["filename"], False)', "from_cli=flag)",
                      "export_anywhere(", "export_servers(*args)", "**options)"):
        assert found[_line(rel, unchecked)].severity.label == "high", unchecked


def test_a_containment_check_on_one_side_of_a_mode_switch_is_a_review_finding_naming_the_switch(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/file_manager.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    helpers = [i for i, text in enumerate((FIXTURES.parent / rel).read_text().splitlines(), 1)
               if "fd = os.open(path" in text]
    checked, switched, constant, swallowed = helpers
    assert checked not in found and constant not in found, "relative_to in a try whose handler leaves is a check"
    assert found[switched].severity.label == "low" and found[switched].evidence == "review"
    assert "only when `current_app.config['SERVER_MODE']`" in found[switched].message
    assert found[swallowed].severity.label == "high", "a handler that goes on makes the check void"
    mode = found[_line(rel, "# expect: PY408 (low: checked only when not in desktop mode)")]
    assert mode.severity.label == "low" and "not current_app.config.get('DESKTOP')" in mode.message
    for unchecked in ("(high: the request itself picks the unchecked side)", "(relative_to of a path not normalised"):
        assert found[_line(rel, unchecked)].severity.label == "high", unchecked


def test_an_attribute_nothing_reads_is_no_visible_endpoint_one_that_is_read_is_judged_by_what_it_sends(fixtures_scan):
    rel = "fixtures/python/crypto/http_urls.py"
    found = _by_line(fixtures_scan, rel, "PY507")
    for unread in ('service_url = "http://partner.net/"', 'self.profile_url = "http://partner.net/about"'):
        f = found[_line(rel, unread)]
        assert f.severity.label == "low" and f.evidence == "review" and "no code in this file reads it" in f.message
    # read, so an endpoint, but nothing secret is sent on it: review for that reason (session 7, PY507 by evidence;
    # tests/test_crypto_evidence.py has the medium ones)
    for read in ('notify_url = "http://api.partner.net/v1/send"', 'status_url = "http://api.partner.net',
                 'self.api_url = "http://api.partner.net/v2"', 'API_URL = "http://api.payments-provider.com/v2"'):
        f = found[_line(rel, read)]
        assert f.evidence == "review" and "nothing in this module shows a secret" in f.message, read


def test_a_password_digest_a_protocol_sends_is_low_one_that_is_kept_high(fixtures_scan):
    rel = "fixtures/python/crypto/password_hashes.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    for sent in ('password_md5.update(password.encode("utf-8"))', 'payload["password"] = hashlib.sha1(',
                 'body = {"user": user, "hash": hashlib.md5(', '"password": None if password is None else hashlib'):
        f = found[_line(rel, sent)]
        assert f.severity.label == "low" and "only sent with" in f.message, sent
    assert found[_line(rel, "user.folder_password = None if")].severity.label == "high", "a conditional kept is kept"
    for step in ("digest = hashlib.sha512(password.encode() + salt).digest()  # expect: PY508 (low review",
                 "digest = hashlib.sha512(digest + password.encode())"):
        f = found[_line(rel, step)]
        assert (f.severity.label, f.evidence) == ("low", "review") and "key-stretching scheme" in f.message, step
    assert found[_line(rel, "# expect: PY508 (high: three rounds")].severity.label == "high"
    costs = _by_line(fixtures_scan, rel, "PY509")
    dev = costs[_line(rel, "BCRYPT_LOG_ROUNDS = 4  # expect: PY509 (low review")]
    assert (dev.severity.label, dev.evidence) == ("low", "review") and "`DevelopmentConfig`" in dev.message
    assert costs[_line(rel, "BCRYPT_LOG_ROUNDS = 6  # expect: PY509")].severity.label == "medium", "production"
    for kept in ('record = {"user": user, "password_hash": hashlib.sha256(', "user.pw_hash = hashlib.md5(password.encode())"):
        assert found[_line(rel, kept, 2 if kept.startswith("user.pw_hash") else 1)].severity.label == "high", kept


def test_a_jinja_environment_that_loads_only_text_templates_is_low_an_html_one_medium(fixtures_scan):
    rel = "fixtures/python/web/templates/config_writer.py"
    found = _by_line(fixtures_scan, rel, "PY407")
    for text in ("config_env = Environment(", "units = Environment("):
        f = found[_line(rel, text)]
        assert f.severity.label == "low" and "are not HTML" in f.message, text
    for html in ("pages = Environment(", 'env = Environment(loader=FileSystemLoader("templates"))'):
        assert found[_line(rel, html)].severity.label == "medium", html
    assert found[_line(rel, 'env = Environment(loader=FileSystemLoader("templates"))', 2)].severity.label == "medium"
    conf = found[_line(rel, 'conf = Environment(')]
    assert conf.severity.label == "low" and "are not HTML" in conf.message, "explicit autoescape=False, a .conf template"
    stubs = found[_line(rel, 'variable_start_string="<<",  # expect: PY407 (low)')]
    assert stubs.severity.label == "low" and "delimiters" in stubs.message, "a generator moving Jinja's delimiters"
    mail = _by_line(fixtures_scan, "fixtures/python/web/templates/mailer/env.py", "PY407")
    assert [f.severity.label for _, f in sorted(mail.items())] == ["medium", "low"], \
        "an explicit autoescape=False is lowered only by evidence about that environment"
    for page in ('pages = Environment(loader=FileSystemLoader("pages"), autoescape=False)',
                 'pages = Environment(  # expect: PY407 (medium: default delimiters'):
        assert found[_line(rel, page)].severity.label == "medium", page


def test_debug_in_base_settings_a_production_sibling_turns_off_is_low(fixtures_scan):
    split = "fixtures/python/web/django_split"
    overridden = _by_line(fixtures_scan, f"{split}/demo_settings/base.py", "PY321")
    (f,) = overridden.values()
    assert f.severity.label == "low" and f.evidence == "review"  # base settings a deployed module sets again
    assert f"`{split}/demo_settings/production.py`, the deployed settings that extend them, sets `DEBUG`" in f.message
    for rel in (f"{split}/shop_settings/common.py", f"{split}/shop_settings/base.py"):
        (g,) = _by_line(fixtures_scan, rel, "PY321").values()
        assert g.severity.label == "medium", rel


def test_ssrf_to_a_rendered_webhook_template_or_the_invoking_host_is_review_the_users_own_is_not(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/hooks.py"
    found = _by_line(fixtures_scan, rel, "PY410")
    for review in ("requests.post(url, json=context", "requests.post(url, timeout=5)",
                   'HTTPSConnection(event["headers"]["Host"])', 'requests.get(f"https://{own}/prod/time"'):
        f = found[_line(rel, review)]
        assert f.severity.label == "low" and f.evidence == "review", review
    assert found[_line(rel, "requests.post(url, timeout=5)", 2)].severity.label == "high", "the template is the user's"
    assert found[_line(rel, "return http.client.HTTPSConnection(target)")].severity.label == "critical"


def test_rows_a_request_filter_selects_are_the_programs_the_filter_text_is_not(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/archive_rows.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for row in ("shutil.rmtree(snapshot.output_dir)", "shutil.rmtree(first.output_dir)"):
        assert _line(rel, row) not in found, row
    for own in ("shutil.rmtree(os.path.join(ARCHIVE, patterns[0]))", "shutil.rmtree(path)"):
        assert found[_line(rel, own)].severity.label == "high", own


def test_the_referer_read_by_name_from_headers_environ_or_meta_is_a_back_link(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/back_links.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    for safe in ('redirect(request.environ["HTTP_REFERER"])', 'request.headers.get("Referer") or',
                 'request.environ.get("HTTP_REFERER", "/")', 'request.META["HTTP_REFERER"]'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('request.args["next"]', '"QUERY_STRING"'):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe
    # another header: no cross-site page can make a victim's browser send it with a value of its choosing
    assert found[_line(rel, '"HTTP_DESTINATION"')].severity.label == "low"


def test_file_json_and_upstream_responses_and_markup_turned_to_plain_text_are_not_xss(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/responses.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ("make_response(send_from_directory(", "return response  # ok", "return ret  # ok",
                 "make_response(upstream.content", '.unescape()', '.striptags()'):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('make_response("<p>" + request.args', 'return Markup(request.form'):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe
    # the answer of a server the attacker chose: a flow through a call the analysis does not model (the HTTP
    # client), so a review finding, not a gate one (README "Severity follows evidence")
    upstream = found[_line(rel, "make_response(upstream.text)")]
    assert (upstream.severity.label, upstream.evidence, upstream.precision) == ("low", "review", "low")
    assert "requests.get" in upstream.message and "not complete" in upstream.message
    ssrf = _by_line(fixtures_scan, rel, "PY410")
    assert ssrf[_line(rel, 'requests.get(request.args["url"]')].severity.label == "high", "the SSRF itself stays"


def test_a_lookup_in_a_table_of_known_values_returns_one_of_them_not_the_key(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/locales.py"
    redirects, paths = _by_line(fixtures_scan, rel, "PY403"), _by_line(fixtures_scan, rel, "PY408")
    assert _line(rel, '/app/{chosen}/') not in redirects and _line(rel, "os.path.join(DIST, canonical") not in paths
    assert paths[_line(rel, 'aliases.get("pt")')].severity.label == "high", "a table holding the request's value"
    assert redirects[_line(rel, "posted.get(")].severity.label == "medium"
    # a cookie's value is the site's own: no cross-site page chooses it for a victim
    assert redirects[_line(rel, '" + request.cookies.get(')].severity.label == "low"


def test_redirect_targets_checked_by_a_factorys_wrapper_or_the_apps_route_map_are_not_open_redirects(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/redirect_checks.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    for safe in ("return redirect(back)  # ok", "return redirect(validated)", "redirect(next_location("):
        assert _line(rel, safe) not in found, safe
    for unsafe in ("redirect(loose_location(", "return redirect(back)  # expect"):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_sqlalchemy_statements_executed_by_a_helper_in_another_module_bind_their_values(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/statements/api.py"
    found = _by_line(fixtures_scan, rel, "PY401")
    assert _line(rel, "save_connector(name,") not in found, "select(...).filter_by / update(...).values bind"
    for unsafe in ("find_connector(name)", "rename_connector(name,"):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_tokens_the_server_minted_or_the_browser_holds_fix_no_session_and_signed_values_are_the_sites(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/minted.py"
    cookies, redirects = _by_line(fixtures_scan, rel, "PY406"), _by_line(fixtures_scan, rel, "PY403")
    assert list(cookies) == [_line(rel, 'request.query_params["sid"]'), _line(rel, '"session_token", x_session'),
                             _line(rel, '"session_id", sid')], \
        "only the query's and a header's values are a fixation, not a FastAPI Cookie() parameter"
    assert list(redirects) == [_line(rel, ".sign(request.GET")], "unsign/loads return only what the site signed"
    sql = _by_line(fixtures_scan, rel, "PY401")
    assert sql[_line(rel, "LIKE '%%%s%%'")].severity.label == "high", "a signed value is only a URL the site linked to"


def test_identifiers_quoted_so_that_the_closing_quote_cannot_occur_are_no_sql_injection(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/identifiers.py"
    found = _by_line(fixtures_scan, rel, "PY401")
    for safe in ('app.db.execute(sql, {"n": 10})', "app.db.execute(sql).fetchone()"):
        assert _line(rel, safe) not in found, safe
    for unsafe in ("# expect: PY401 (`]`", "# expect: PY401 (a literal", "# expect: PY401 (no closing"):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_a_themed_template_the_route_names_is_rendered_not_reflected(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/themes.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert list(found) == [_line(rel, '"<h1>" + filename')], "render_theme_template's page is the template file's"


def test_a_custom_request_header_reflected_to_a_victim_is_low_and_stays_high_for_sql(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/ingress.py"
    xss, redirects, sql = (_by_line(fixtures_scan, rel, r) for r in ("PY402", "PY403", "PY401"))
    for f in (xss[_line(rel, "only a proxy sends")], redirects[_line(rel, "HTTP_X_FORWARDED_PREFIX")]):
        assert f.severity.label == "low" and "Only a proxy" in f.message, f.message
    assert xss[_line(rel, "the query's default")].severity.label == "medium"
    language = xss[_line(rel, "Accept-Language")]  # the browser's own header: no cross-site page chooses it
    assert language.severity.label == "low" and "No cross-site page" in language.message, language.message
    assert sql[_line(rel, '"X-Tenant"')].severity.label == "high", "the attacker sends their own request's headers"


def test_a_custom_converter_named_for_uuids_makes_its_segment_no_text(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/converters.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert list(found) == [_line(rel, 'f"Tag {name} not found"')], "<uuid_str:...> matches a UUID only"


def test_a_method_returning_a_constant_returns_it_whatever_request_data_built_the_object(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/panels/views.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert list(found) == [_line(rel, "form.title_panel()")], "extra_form_content (a base's, another module) is a literal"


def test_a_helper_returning_a_response_whose_headers_it_set_returns_no_text(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/extract/views.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert list(found) == [_line(rel, "return echo_extraction(request)")], "response.headers[...] = ... keeps a response"


def test_a_body_whose_content_type_came_back_with_it_from_one_call_is_low(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/asset_types.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert found[_line(rel, "make_response(binary_data)")].severity.label == "low"
    assert found[_line(rel, '"<p>" + asset_name')].severity.label == "medium", "a type the request chooses"


def test_a_replacement_by_one_of_two_constants_is_analysed_not_a_crash(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/opaque_replace.py"
    assert not [n for n in fixtures_scan.notices if n.path == rel], "the engine crashed on this file"
    assert _by_line(fixtures_scan, rel, "PY403")[_line(rel, "return redirect(target)")].severity.label == "medium"


def test_a_url_whose_helper_or_urljoin_fixes_scheme_and_host_is_partial_ssrf(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/store_proxy.py"
    full, partial = _by_line(fixtures_scan, rel, "PY410"), _by_line(fixtures_scan, rel, "PY411")
    for fixed in ("url=upstream_url()", 'urljoin(API_BASE, "users/" + name)'):
        assert _line(rel, fixed) not in full and partial[_line(rel, fixed)].severity.label == "low", fixed
    for chosen in ("requests.get(caller_url()", "requests.get(caller_host_url()", "urljoin(API_BASE, ref)",
                   'urljoin(API_BASE, "/" + ref)'):
        assert full[_line(rel, chosen)].severity.label == "high" and _line(rel, chosen) not in partial, chosen


def test_a_helper_replacing_every_slash_and_a_trailing_dot_leaves_one_file_name(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/file_names.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for safe in ('valid_filename(request.args["author"])', 'plain_name(request.args["title"])'):
        assert _line(rel, safe) + 1 not in found and _line(rel, safe) not in found, safe
    for unsafe in ("slashes_only(request", "dots_only(request"):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_a_join_helper_that_raises_unless_the_path_stays_below_its_base_returns_a_contained_path(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/safe_joins.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for safe in ("send_file(safe_join_checked(", "return send_file(full)",
                 'join_switched(*[STORAGE] + rest.split("/")))'):
        assert _line(rel, safe) not in found, safe  # the last one leaves `check=True` at its default
    for unsafe in ("send_file(join_warned(", "send_file(join_unless_trusted(", "check=False))"):
        assert found[_line(rel, unsafe)].severity.label == "high", unsafe


def test_a_django_redirect_to_a_saved_or_looked_up_model_instance_goes_to_its_own_url(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/model_redirects.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    for safe in ("return redirect(note)", "return redirect(created)", "redirect(Note.objects.create("):
        assert _line(rel, safe) not in found, safe
    for unsafe in ("return redirect(target)", "return redirect(dest)"):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_request_data_only_in_the_query_or_fragment_of_a_fixed_path_is_no_open_redirect(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/query_redirects.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    for safe in ('"%s?%s" % (target, request.GET.urlencode())', '"{}?next={}".format(settings.LOGIN_URL',
                 '"{home}#{part}".format(home=reverse("home")', 'target = "%s?%s" % (base, query)',
                 "return HttpResponseRedirect(target)", 'reverse("search") + "?" + urlencode(request.GET)',
                 "?next={request.GET['next']}", 'request.path + "?" + request.META["QUERY_STRING"]',
                 'url_for("index") + "?q="', "request.get_full_path()",
                 '"".join([reverse("list"), "?"', "+ sep + request.GET[\"q\"]"):
        assert _line(rel, safe) not in found, safe
    for unsafe in ('redirect("/" + request.GET["next"])', 'request.GET["next"] + "?from=login"',
                   '"%s?done=1" % request.GET["back"]', '"{}?from=mail".format(request.GET["to"])',
                   '"%s?%s" % (request.GET["to"], "x=1")', '"%(to)s?x=1" %',
                   '"".join([request.GET["to"]', '"/".join(["", request.GET["to"]])', '"" + sep + request.GET'):
        f = found[_line(rel, unsafe)]
        assert f.severity.label == "medium" and "Open redirect" in f.message, unsafe


def test_a_string_template_environment_whose_output_is_no_page_is_low_one_served_medium(fixtures_scan):
    rel = "fixtures/python/web/templates/string_templates.py"
    found = _by_line(fixtures_scan, rel, "PY407")
    check, expand = found[_line(rel, "    env = sandbox")], found[_line(rel, "    env = sandbox", 2)]
    assert check.severity.label == "low" and "checks that template strings parse" in check.message
    assert expand.severity.label == "low" and "inside a data structure" in expand.message
    # the body, concatenated into HTML, Markup, a page's template, an HTML template, `mark_safe` (an HTML sink of the
    # data-flow spec, read from there)
    for served in (3, 4, 5, 6, 7, 8):
        assert found[_line(rel, "    env = sandbox", served)].severity.label == "medium", served


def test_a_fullmatch_pattern_the_analysis_reads_cleans_only_the_sinks_its_characters_mean_nothing_to(fixtures_scan):
    rel = "fixtures/python/dataflow/regex_fullmatch.py"
    paths, sql, html = (_by_line(fixtures_scan, rel, r) for r in ("PY408", "PY401", "PY402"))
    shell, redirects = _by_line(fixtures_scan, rel, "PY102"), _by_line(fixtures_scan, rel, "PY403")
    for found, needle in ((paths, "open(os.path.join(\"/srv/files\", name)).read()  # expect: PY408 (`.*`"),
                          (paths, "(`[^/]+` lets `..` through)"), (sql, "(`'` and spaces fit)"),
                          (shell, 'os.system("tar xf " + name)'), (redirects, "# expect: PY403 (any host)")):
        f = found[_line(rel, needle)]
        assert f.evidence == "flow" and f.severity.label in ("high", "medium"), needle
    assert html[_line(rel, "(all but a newline)")].severity.label == "medium"
    ssrf = "fixtures/python/dataflow/outgoing_requests.py"
    hook = _by_line(fixtures_scan, ssrf, "PY410")[_line(ssrf, "requests.post(hook", 2)]  # `https?://[\w.-]+/...`
    assert hook.severity.label == "high" and hook.evidence == "flow"
    assert _line(ssrf, "requests.post(hook") not in _by_line(fixtures_scan, ssrf, "PY410")  # a fixed host
    for found, needle in ((paths, "(letters, digits and `_` only)"), (paths, "(a pattern the reading cannot see)"),
                          (paths, "(a lookaround: not read)"), (sql, "(no quote, space or `;`)"),
                          (html, "(no `<`, `>`, `&` or quote"), (shell, 'os.system("tar tf " + name)'),
                          (redirects, "(the host is fixed)"), (redirects, "(verbose: the spaces")):
        assert _line(rel, needle) not in found, needle


def test_an_ampersand_after_a_checked_url_moves_its_host_unless_the_url_has_a_query(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/host_guards_fastapi.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    bare = found[_line(rel, "return RedirectResponse(url=target)  # expect: PY403")]
    assert bare.severity.label == "medium" and bare.evidence == "flow"
    assert _line(rel, "(a parameter appended to a checked URL's query)") not in found
    assert _line(rel, "(in the fragment)") not in found
    assert _line(rel, "(appended after the path the join always gives)") not in found


def test_sqlalchemy_builders_imported_through_the_apps_database_module_or_renamed_bind_their_values(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/statement_builders/views.py"
    found = _by_line(fixtures_scan, rel, "PY401")
    for safe in ("update(Notifier).values(url=item)", "insert(Notifier).values(name=item", "database.execute(stmt)"):
        assert _line(rel, safe) not in found, safe
    assert found[_line(rel, "where(text(f\"name")].severity.label in ("low", "high"), "a text() fragment stays a sink"
    assert found[_line(rel, "DELETE FROM notifier")].severity.label == "high"


def test_rows_looked_up_by_a_keyword_filter_with_more_unpacked_are_the_sites_own_redirect_targets(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/scoped_lookups.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    assert _line(rel, "return redirect(note)") not in found, "get(slug=s, **scope) is a row lookup, not dict.get"
    assert _line(rel, "note.get_edit_url()") not in found, "the row's own URL, the query after a `?`"
    for unsafe in ("redirect(resolve_or_name(", "redirect(options.get(path"):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_from_string_is_a_template_sink_only_on_a_template_engine(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/parsed_ids.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert _line(rel, "UserID.from_string(request") not in found, "a class's parser builds no page"
    assert _line(rel, "capability.from_string(request") not in found, "a repository module's parser neither"
    for unsafe in ("renderer.from_string(", "engine.from_string(", "app.jinja_env.from_string("):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_django_template_tag_arguments_are_the_templates_values_not_url_captures(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/templatetags/sort_links.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert sorted(found) == [_line(rel, "request.GET.get('q'"), _line(rel, "badge-{kind}", 2)], \
        "a tag's `default`/`kind` argument is no request data; request.GET read in a tag and a view's capture are"


def test_flask_any_converter_limits_a_route_parameter_to_its_words(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/custom_static.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    assert list(found) == [_line(rel, "send_from_directory(os.path.join(CUSTOM_DIR, folder)", 2)], \
        "<any(css,js):folder> with a `defaults=` route is the route's word; a `<path:folder>` route is not"
    assert found[_line(rel, "send_from_directory(os.path.join(CUSTOM_DIR, folder)", 2)].severity.label == "high"


def test_a_dotdot_test_on_a_route_path_joined_below_a_base_is_a_review_finding(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/schema_files.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    checked = found[_line(rel, "send_from_directory(folder, os.path.basename(full))")]
    assert checked.severity.label == "low" and '".." in folder' in checked.message, checked.message
    assert found[_line(rel, "send_from_directory(folder, os.path.basename(full))", 2)].severity.label == "high", \
        "a query parameter may be an absolute name, which a `..` test lets through"
    assert found[_line(rel, 'send_from_directory(folder, "index.json")')].severity.label == "high"


def test_a_configured_base_followed_by_a_callers_rooted_path_is_a_partial_request(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/api_proxy.py"
    assert list(_by_line(fixtures_scan, rel, "PY411")) == [_line(rel, 'app.config["API_URL"] + path')], \
        'the caller passes "/" + path: a path on the configured server'
    full = _by_line(fixtures_scan, rel, "PY410")
    assert list(full) == [_line(rel, 'app.config["API_URL"] + target')], "the text as it came can move the host"
    assert full[_line(rel, 'app.config["API_URL"] + target')].severity.label == "high"


def test_a_querydicts_urlencode_is_percent_encoded_text_safe_in_a_page(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/percent_encoded.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert _line(rel, "composer/?{query}") not in found, "request.GET.urlencode() percent-encodes < > quotes"
    assert found[_line(rel, "composer/?target={target}")].severity.label == "medium"


def test_a_host_checked_against_the_callers_list_is_review_a_first_character_test_keeps_a_path_on_site(fixtures_scan):
    rel = "fixtures/python/dataflow/precision/host_param_checks.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    review = found[_line(rel, "keep_if_allowed(request")]
    assert review.severity.label == "low" and review.evidence == "review" and "allowed_domains" in review.message
    assert _line(rel, "return redirect(nxt)") not in found, '`nxt[0] == "/"` and not `//`: a path of the site'
    assert found[_line(rel, 'redirect(request.args.get("next", "/"))')].severity.label == "medium"


def test_a_redirect_built_from_a_named_route_is_quiet_an_escape_hatch_with_request_text_is_not(tmp_path):
    """§3i (MediaGoblin): `redirect_to("user_home", request, user=request.args[...])` builds the target with the
    request's named-route builder (`req.urlgen`), a page of the site whatever the values; the same helper handed
    `location=request.args[...]` is an open redirect, and only that call makes the helper's redirect a finding."""
    import json

    from click.testing import CliRunner

    from threatscan.cli import main

    text = (FIXTURES / "python/dataflow/precision/route_builders.py").read_text()
    escape = '    return redirect_to("user_home", request, location=request.args.get("next", "/"))'
    assert escape in text

    def redirect_lines(source: str) -> list[int]:
        (tmp_path / "views.py").write_text(source)
        out = tmp_path / "out.json"
        result = CliRunner().invoke(main, ["scan", str(tmp_path / "views.py"), "--no-cache", "-f", "json", "-o",
                                           str(out), "--fail-on", "none"])
        assert result.exit_code == 0, result.output
        return [f["location"]["line"] for f in json.loads(out.read_text())["findings"] if f["rule_id"] == "PY403"]

    sink = _line("fixtures/python/dataflow/precision/route_builders.py", "return werkzeug.utils.redirect(location)")
    assert redirect_lines(text) == [sink]
    assert redirect_lines(text.replace(escape, "    return None")) == []


def test_a_sandboxed_jinja_environment_for_prompts_is_low_one_for_pages_is_not(fixtures_scan):
    """§3g, §3j (mycli's saved queries, DocsGPT's and Skyvern's prompts): a `SandboxedEnvironment` without escaping in
    a module that names no HTML template or content type renders text users write; PY407 is low there and says
    why. The same sandbox loading `landing.html` keeps the gate."""
    prompts = _by_line(fixtures_scan, "fixtures/python/web/templates/sandboxed_prompts.py", "PY407")
    assert len(prompts) == 2
    for f in prompts.values():
        assert f.severity.label == "low" and "sandboxed environment" in f.message
    pages = _by_line(fixtures_scan, "fixtures/python/web/templates/sandboxed_pages.py", "PY407")
    assert [f.severity.label for f in pages.values()] == ["medium"]


def test_a_field_of_a_row_a_decorator_loaded_for_a_view_argument_is_not_the_url(fixtures_scan):
    """hasjob (§3l): `@load_models` replaces the captured name with a database row, and `redirect(action.link)` goes
    to a stored link. A capture is a string, a number or a UUID; a string method keeps its taint."""
    rel = "fixtures/python/dataflow/precision/loaded_view_arguments.py"
    lines = (FIXTURES / "python/dataflow/precision/loaded_view_arguments.py").read_text().splitlines()
    found = {f.location.line for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY403"}
    assert found == {i for i, t in enumerate(lines, 1) if "expect: PY403" in t} and len(found) == 2
    assert not found & {i for i, t in enumerate(lines, 1) if "ok: PY403" in t}


def test_a_modules_own_predicate_narrows_as_its_test_would_in_an_if_a_comprehension_and_filter(fixtures_scan):
    """Tendenci (§3m): `filter(is_valid_filename, names)` with `def is_valid_filename(n): return SAFE.match(n)`
    reaches no file outside the directory; the same predicate in an `if` or a comprehension's condition narrows too.
    A predicate whose pattern admits `/` and `.` is judged insufficient (high), one the analysis cannot read leaves
    a review finding, and an unchecked list element stays high."""
    rel = "fixtures/python/dataflow/precision/helper_predicates.py"
    lines = (FIXTURES / "python/dataflow/precision/helper_predicates.py").read_text().splitlines()
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY408"}
    assert not set(found) & {i for i, t in enumerate(lines, 1) if "ok: PY408" in t}
    expected = {i for i, t in enumerate(lines, 1) if "expect: PY408" in t}
    assert set(found) == expected and len(expected) == 3
    tiers = {i: (found[i].severity.label, found[i].evidence) for i in expected}
    review = [i for i in expected if "low review" in lines[i - 1]]
    assert [tiers[i] for i in review] == [("low", "review")]
    assert all(tiers[i][0] == "high" for i in expected if i not in review)


def test_a_value_after_a_constant_question_mark_cannot_move_a_redirect_whatever_comes_before(fixtures_scan):
    """SimpleLogin (§3j): `f"{redirect_uri}?error=deny&state={state}"` is judged by redirect_uri alone (a review
    finding: a check the analysis does not know), in f-strings, `%` and `.format`; a value before the `?` is the
    open redirect it always was."""
    rel = "fixtures/python/dataflow/precision/query_tail.py"
    lines = (FIXTURES / "python/dataflow/precision/query_tail.py").read_text().splitlines()
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY403"}
    expected = {i: t.split("expect: PY403 (")[1].rstrip(")") for i, t in enumerate(lines, 1) if "expect: PY403" in t}
    assert set(found) == set(expected) and len(expected) == 4
    for line, tier in expected.items():
        got = found[line].severity.label + (" review" if found[line].evidence == "review" else "")
        assert got == tier, lines[line - 1]
        if tier.endswith("review"):
            assert "Source: Flask request data (line 16)" in found[line].message  # redirect_uri's, not state's


def test_a_method_of_a_parameter_declared_as_a_module_class_is_followed(fixtures_scan):
    """CodeQL's FastAPI path-injection test: `fh: FileHandler = Depends()` then `fh.get_data(path)` opens the path
    the request gave (high); a class whose method ignores it stays quiet, also through a helper's typed parameter.
    Without the declaration the call had no target and nothing was reported."""
    rel = "fixtures/python/dataflow/typed_receivers.py"
    found = [(f.location.line, f.severity.label) for f in fixtures_scan.findings
             if f.location.path == rel and f.rule_id == "PY408"]
    lines = (FIXTURES / "python/dataflow/typed_receivers.py").read_text().splitlines()
    assert found == [(next(i for i, t in enumerate(lines, 1) if "expect: PY408" in t), "high")]


def test_one_request_without_tls_checks_is_a_gate_finding_only_with_evidence_that_it_matters(fixtures_scan):
    """PY505 as PY507: `requests.get(url, verify=False)` keeps its severity when credentials or personal data go
    out on the request (`auth=`, an `Authorization` header, a client whose instances hold a password) or its answer
    is trusted; a request that shows neither is a review finding (§3n's scan-engine status polls, §3i-§3m's feed
    crawlers). A session or client made without checks serves every request: it keeps its severity."""
    rel = "fixtures/python/crypto/tls_verify.py"
    found = _by_line(fixtures_scan, rel, "PY505")
    review = [_line(rel, needle) for needle in ("fetch(url, verify=False)", "requests.get(url, **INSECURE)",
                                                "httpx.get(url, verify=0)", "session.get(url, verify=False)",
                                                "requests.get(self.link, timeout=30, verify=False)")]
    for line in review:
        f = found[line]
        assert (f.severity.label, f.evidence) == ("low", "review") and "nothing in this module shows" in f.message
        assert f.properties["severityIfSent"] == "high"
    for needle in ("auth=api_auth, verify=False", "session.verify = False", "httpx.Client(verify=False)"):
        f = found[_line(rel, needle)]
        assert f.severity.label == "high" and f.evidence != "review", needle
    assert "`auth=`" in found[_line(rel, "auth=api_auth, verify=False")].message
    rel = "fixtures/python/crypto/tls_client_credentials.py"
    found = _by_line(fixtures_scan, rel, "PY505")
    assert found[_line(rel, "self.session.get(self.url, verify=False)")].severity.label == "high"
    assert found[_line(rel, "requests.get(self.status_url, verify=False)")].evidence == "review"


def test_a_name_with_every_dot_and_slash_removed_stays_in_its_directory(fixtures_scan):
    """IRIS (§3n): `customer.replace(".", "").replace("/", "")` makes one path component that is neither `..` nor `.`,
    also formatted into a path by a helper; removing only `/`, or `..` before `/`, is still a traversal."""
    rel = "fixtures/python/dataflow/precision/stripped_names.py"
    lines = (FIXTURES / "python/dataflow/precision/stripped_names.py").read_text().splitlines()
    found = {line for line, f in _by_line(fixtures_scan, rel, "PY408").items() if f.severity.label == "high"}
    assert found == {i for i, t in enumerate(lines, 1) if "expect: PY408" in t} and len(found) == 2


def test_a_django_form_rendered_by_its_own_methods_is_escaped_html(fixtures_scan):
    """Nitrate (§3o): `HttpResponse(form.as_p())` of a form built from the POST is escaped by the widget
    templates; the same value formatted into HTML by hand is a reflected XSS."""
    rel = "fixtures/python/dataflow/precision/form_rendering.py"
    assert set(_by_line(fixtures_scan, rel, "PY402")) == {_line(rel, '"<p>%s</p>"')}


def test_parameters_a_client_binds_into_constant_sql_are_no_injection(fixtures_scan):
    """OpenReplay (§3o): `ch_client.format("SELECT ... %(event_name)s", parameters={...})` then `execute(r)`, and
    psycopg2's `mogrify`: the client escapes each parameter; `%`-formatting the value into the text is PY401."""
    rel = "fixtures/python/dataflow/precision/bound_queries.py"
    found = _by_line(fixtures_scan, rel, "PY401")
    assert set(found) == {_line(rel, "# expect: PY401")} and found[_line(rel, "# expect: PY401")].severity.label == "high"


def test_djangos_percent_encoded_full_path_is_no_xss_outside_single_quotes(fixtures_scan):
    """`request.get_full_path()` holds no `"`, `<` or `>`: safe in text and double-quoted attributes, not in a
    single-quoted one (`'` is not encoded); a query value read raw stays cross-site scripting everywhere."""
    rel = "fixtures/python/dataflow/precision/full_paths.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    for safe in ("login/?next=%s", "You asked for", "return HttpResponse(link)"):
        assert _line(rel, safe) not in found, safe
    for unsafe in ("href='/accounts/login/", "\"<a href='\" + request", "search/?q=%s"):
        assert found[_line(rel, unsafe)].severity.label == "medium", unsafe


def test_another_query_language_and_a_json_or_jsonp_response_are_no_injection(fixtures_scan):
    """graphene's `schema.execute(GRAPHQL % (...))` is no SQL, the same template of SQL is; a response typed JSON or
    JavaScript on every path is no HTML, one that may be `text/html` is."""
    rel = "fixtures/python/dataflow/precision/other_languages.py"
    sql = _by_line(fixtures_scan, rel, "PY401")
    assert list(sql) == [_line(rel, "sqlite3.connect(")]
    html = _by_line(fixtures_scan, rel, "PY402")
    assert list(html) == [_line(rel, "# expect: PY402")]


def test_djangos_temporary_upload_path_is_the_servers(fixtures_scan):
    """`upload.temporary_file_path()` is the temporary file Django's upload handler made (WebODM): no traversal."""
    rel = "fixtures/python/dataflow/precision/django_uploads.py"
    assert _line(rel, "upload.temporary_file_path()") not in _by_line(fixtures_scan, rel, "PY408")


def test_a_password_digest_keeps_its_severity_only_where_the_code_shows_it_stored(fixtures_scan):
    """PY508 by evidence (session 15): a fast digest of a password is high where this code shows it kept as the
    password (an attribute or key named for it, a `password=` argument, a database write, a comparison with the
    stored one, a function named for hashing passwords, a caller doing one of those); otherwise a review finding
    that names what it could not see (pooled verdicts: 16 true of 60 at the gate, keys, tokens and protocols)."""
    rel = "fixtures/python/crypto/password_hashes.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    f = found[_line(rel, "return hashlib.sha256(password.encode()).digest()  # expect: PY508 (low review")]
    assert (f.severity.label, f.evidence) == ("low", "review") and "nothing here shows the digest stored" in f.message \
        and f.properties.get("severityIfEvidence") == "high"
    f = found[_line(rel, "return hashlib.sha256(raw.encode()).hexdigest()")]
    assert f.severity.label == "high" and "returned by `hash_password`" in f.message
    f = found[_line(rel, "return hashlib.sha1(candidate.encode()).hexdigest() == stored")]
    assert f.severity.label == "high" and "compared in `check_password`" in f.message
    rel = "fixtures/python/crypto/password_cache.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    f = found[_line(rel, "digest = hashlib.md5(password.encode()).hexdigest()  # expect: PY508 (high: also written")]
    assert f.severity.label == "high" and "written by `db.save()`" in f.message
    rel = "fixtures/python/crypto/login_protocols.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    assert found[_line(rel, "ctx.update(password + salt)  # expect: PY508 (high: its caller stores it)")] \
        .severity.label == "high"
