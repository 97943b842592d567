"""The families users expect (issue 13 §4): severity follows what the code shows about each finding."""

from __future__ import annotations

from conftest import FIXTURES


def _by_line(fixtures_scan, rel: str, rule: str) -> dict[int, object]:
    return {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == rule}


def _line(rel: str, needle: str) -> int:
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_weak_hash_severity_follows_its_use(fixtures_scan):
    rel = "fixtures/python/crypto/weak_hashes.py"
    found = _by_line(fixtures_scan, rel, "PY512")
    signature = found[_line(rel, "signature = hashlib.sha1(")]
    assert "collisions" in signature.message and signature.evidence == "review"  # what it signs is not visible
    assert signature.properties["severityIfEvidence"] == "medium"
    token = found[_line(rel, "token = hashlib.md5(")]  # relies on preimage resistance: low, but not a review
    assert token.severity.label == "low" and "token" in token.message and token.evidence == ""
    unknown = found[_line(rel, "return hashlib.md5(data).hexdigest()")]
    assert unknown.severity.label == "low" and unknown.evidence == "review" and unknown.precision == "low"
    # the construct-then-update form is reported where the data goes in, with the name normalised
    update = found[_line(rel, "hasher.update(certificate)")]
    assert "SHA-1" in update.message and "hashlib.new('sha1')" in update.message
    for safe in ("etag = hashlib.md5(", "usedforsecurity=False", "hmac.new(key, message, hashlib.md5)", "PBKDF2HMAC("):
        assert _line(rel, safe) not in found, safe
    # a password's digest is PY508's alone
    assert _line(rel, "user.pw_hash = hashlib.md5(password") not in found


def test_path_traversal_carries_its_flow_and_respects_containment_checks(fixtures_scan):
    rel = "fixtures/python/dataflow/file_paths.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    hit = found[_line(rel, "return send_file(os.path.join(UPLOADS, name))")]
    assert hit.severity.label == "high" and hit.evidence == "flow"
    assert hit.flow and "request.args" in hit.flow[0].message and hit.flow[-1].location.line == hit.location.line
    # a normalised path checked before the sink is safe; the same check on a path still holding `..` is not
    assert _line(rel, "return open(path).read()  # ok: PY408") not in found
    assert _line(rel, "if not path.startswith(UPLOADS):  # not normalised") + 2 in found


def test_archive_severity_follows_the_archive_origin(fixtures_scan):
    rel = "fixtures/python/dataflow/archives.py"
    found = _by_line(fixtures_scan, rel, "PY409")
    upload = found[_line(rel, 'tar.extractall("/srv/data")  # expect')]
    assert upload.severity.label == "high" and upload.evidence == "flow" and upload.flow
    unknown = found[_line(rel, 'tar.extractall("/srv/unpacked")  # expect')]
    assert unknown.severity.label == "low" and unknown.evidence == "review"
    assert _line(rel, 'tar.extractall("build")') not in found


def test_ssrf_full_is_high_with_flow_partial_is_low(fixtures_scan):
    rel = "fixtures/python/dataflow/outgoing_requests.py"
    full = _by_line(fixtures_scan, rel, "PY410")
    partial = _by_line(fixtures_scan, rel, "PY411")
    hit = full[_line(rel, 'urlopen(f"https://{host}/status")')]
    assert hit.severity.label == "high" and hit.evidence == "flow" and "request.args" in hit.flow[0].message
    github = _line(rel, "api.github.com/users/{name}")
    assert github not in full and partial[github].severity.label == "low"
    # urljoin with an untrusted second argument can replace the host: full, not partial
    proxied = _line(rel, "response = client.get(target).status_code")
    assert proxied in full and proxied not in partial
    assert _line(rel, "return requests.get(url).text  # ok: PY410 (where") not in full


def test_tls_checks_off_to_read_a_certificate_or_from_a_level_table_are_low_on_data_connections_high(fixtures_scan):
    rel = "fixtures/python/crypto/tls_probe.py"
    verify, hostname = _by_line(fixtures_scan, rel, "PY505"), _by_line(fixtures_scan, rel, "PY506")
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    where = {}
    for i, text in enumerate(lines, 1):
        where.setdefault(text.split("  # expect")[0].strip(), []).append(i)
    probe = [hostname[where["ctx.check_hostname = False"][0]], verify[where["ctx.verify_mode = ssl.CERT_NONE"][0]],
             verify[where["tls = ldap3.Tls(validate=ssl.CERT_NONE)"][0]]]
    for f in probe:
        assert f.severity.label == "low" and "only reads the peer's certificate" in f.message, f.location.line
    carrying = [hostname[where["ctx.check_hostname = False"][1]], verify[where["ctx.verify_mode = ssl.CERT_NONE"][1]],
                verify[where["tls = ldap3.Tls(validate=ssl.CERT_NONE)"][1]]]
    for f in carrying:
        assert f.severity.label == "high" and "certificate probe" not in f.message, f.location.line
    table = verify[_line(rel, "LEVELS = {")]
    assert table.severity.label == "low" and "table of verification levels" in table.message
    assert verify[_line(rel, 'INSECURE = {"mode": ssl.CERT_NONE}')].severity.label == "high"
    assert _line(rel, "testcase.assertEqual(context.verify_mode, ssl.CERT_NONE)") not in verify


def test_ecb_on_one_fixed_block_or_to_wrap_keys_is_low_on_data_medium(fixtures_scan):
    rel = "fixtures/python/crypto/ecb_block.py"
    found = _by_line(fixtures_scan, rel, "PY513")
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    for i, text in enumerate(lines, 1):
        if "expect: PY513 (low: key wrap" in text:
            assert found[i].severity.label == "low" and "wrap or unwrap keys (`decrypt_key`)" in found[i].message, i
        elif "expect: PY513 (low review" in text:
            assert found[i].severity.label == "low" and found[i].evidence == "review" \
                and "only to decrypt" in found[i].message, i
        elif "expect: PY513 (low" in text:
            assert found[i].severity.label == "low" and "one constant block" in found[i].message, i
        elif "expect: PY513 (medium" in text:
            assert found[i].severity.label == "medium" and "equal blocks" in found[i].message, i
    assert sum(1 for text in lines if "expect: PY513" in text) == len(found) == 11


def test_a_password_digest_or_derivation_only_sent_to_a_login_api_is_low_one_kept_is_not(fixtures_scan):
    rel = "fixtures/python/crypto/login_protocols.py"
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    findings = [f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id in ("PY508", "PY509")]
    for i, text in enumerate(lines, 1):
        here = [f for f in findings if f.location.line == i]
        if "(low: " in text and "expect: PY50" in text:
            assert here and all(f.severity.label == "low" and "only sent with" in f.message for f in here), i
        elif "expect: PY508 (high" in text:
            assert [f.severity.label for f in here] == ["high"], i
        elif "expect: PY509 (medium" in text:
            assert [f.severity.label for f in here] == ["medium"] and "only sent" not in here[0].message, i
    # through a method of the class, a payload dict, a key read back in another method, a returned query
    sent_with = {f.location.line: f.message.split("only sent with `")[1].split("`")[0] for f in findings
                 if "only sent with" in f.message}
    assert set(sent_with.values()) == {"api_request", "load"}


def test_a_digest_sent_before_its_name_holds_the_reply_is_only_sent_one_read_again_is_kept(fixtures_scan):
    rel = "fixtures/python/crypto/login_reassigned.py"
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    findings = [f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == "PY508"]
    assert len(findings) == sum(1 for text in lines if "expect: PY508" in text) == 5
    for f in findings:
        text = lines[f.location.line - 1]
        if "(low: " in text:
            assert f.severity.label == "low" and "only sent with `post`" in f.message, f.location.line
        else:
            assert f.severity.label == "high" and "only sent" not in f.message, f.location.line


def test_a_password_digest_kept_only_in_an_in_memory_check_cache_is_low_a_store_high(fixtures_scan):
    rel = "fixtures/python/crypto/password_cache.py"
    found = _by_line(fixtures_scan, rel, "PY508")
    for cached in ("h.update(password.encode())", "password_hash = hashlib.sha3_512("):
        f = found[_line(rel, cached)]
        assert f.severity.label == "low" and "in-memory cache" in f.message, cached
    for kept in ("self.users[name] = hashlib.sha256(", "digest = hashlib.md5(password.encode()).hexdigest()  # expect: PY508 (high: also",
                 "digest = hashlib.md5(password.encode()).hexdigest()  # expect: PY508 (high: compared"):
        f = found[_line(rel, kept)]
        assert f.severity.label == "high" and "cache" not in f.message, kept


def _pinned_and_open(found: dict, rel: str, safe: tuple[str, ...], vulnerable: tuple[str, ...]) -> None:
    """Each `safe` line has no finding; each `vulnerable` one a high finding with a complete flow."""
    for needle in safe:
        assert _line(rel, needle) not in found, needle
    for needle in vulnerable:
        hit = found[_line(rel, needle)]
        assert hit.severity.label == "high" and hit.evidence == "flow", needle


def test_request_body_model_fields_pinned_to_a_safe_shape_are_not_path_traversal(fixtures_scan):
    """A FastAPI body model's field whose type is not text, or whose declared regex admits neither `/` nor `.`, is
    no path; an unconstrained field, a logging-only or unknown validator and a regex admitting `.`/`/` still are."""
    rel = "fixtures/python/dataflow/body_models/routes.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    _pinned_and_open(found, rel, ("spec.name))", "release.slug))", "release.tag))", "str(release.count)",
                                  "str(release.ident)", "release.colour.value))", "release.mode))",
                                  "release.label))", "release.branch))", "str(release.owner)", "upload.bucket,"),
                     ("spec.version))", "release.dotted))", "release.anything))", "release.folder))", "upload.key)"))
    # `.` means nothing to a shell: the dotted field is clean there (a hygiene point remains), `/` is not
    shell = _by_line(fixtures_scan, rel, "PY101")
    assert _line(rel, "git checkout {release.dotted}") not in shell
    assert shell[_line(rel, "git checkout {release.folder}")].severity.label == "high"


def test_body_model_regex_judgement():
    """Which declared patterns pin a field: anchored at both ends, read whole, letters/digits/`_`/`-` only (`.` is
    fine for everything but paths)."""
    from threatscan.lang.python.dataflow.models import regex_families

    assert "all" in regex_families(r"^[a-z]+(_[a-z0-9]+)*$")
    assert "all" in regex_families(r"\A(?:alpha|beta)\Z")
    dotted = regex_families(r"^[a-z0-9.]+$")
    assert "path" not in dotted and "shell" in dotted and "all" not in dotted
    for loose in (r"^[a-z/]+$", r"^[a-z]+", r"[a-z]+$", r"^a|b$", r"^.+$", r"^[^/]+$", r"^\S+$", r"^(?=x)[a-z]+$"):
        assert not regex_families(loose), loose
    assert "all" in regex_families(r"[a-z]+", full=True) and not regex_families(r"[a-z]+", start=True)
    assert "all" in regex_families(r"[a-z]+$", start=True)


def test_a_validator_calling_a_shape_helper_pins_the_field_and_look_alikes_do_not(fixtures_scan):
    """A validator raising unless a helper of another module (or of its own) says the value is snake_case, a slug,
    an identifier or alphanumeric pins the field; a helper whose pattern admits `/`, one checking a length, one that
    only logs, a validator that does not raise and one returning another value do not."""
    rel = "fixtures/python/dataflow/body_models_helpers/routes.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    _pinned_and_open(found, rel, ("plugin.id))", "plugin.package))", "plugin.module))", "plugin.code))",
                                  "plugin.handle))", "plugin.tag))"),
                     ("plugin.name))", "plugin.title))", "plugin.alias))", "plugin.owner))", "plugin.kind))"))
    # a validator returning a value of its own: what the field holds is that value, which the analysis does not see
    returned = found[_line(rel, "plugin.filename))")]
    assert returned.severity.label == "low" and returned.evidence == "review" and "`filename` returns" in returned.message
    shell = _by_line(fixtures_scan, rel, "PY101")
    assert _line(rel, "make -C plugins {plugin.id}") not in shell
    assert shell[_line(rel, "make -C plugins {plugin.name}")].severity.label == "high"


def test_nested_models_lists_aliases_and_helpers_receiving_the_model_keep_field_shapes(fixtures_scan):
    rel = "fixtures/python/dataflow/body_models_helpers/routes.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    _pinned_and_open(found, rel,
                     ("bundle.meta.slug))", "bundle.backup.slug))", "part.slug))", "bundle.ref))",
                      "bundle.channel))", "bundle.level.value))", "ROOT, key))", "unpack(bundle)}", "build(plugin)  #",
                      "bundle.ref))  # ok: PY408 (a list of bodies)", 'ROOT, "stage", plugin.tag'),
                     ("bundle.meta.title))  # expect", "bundle.backup.title))", "part.title))", "bundle.loose))",
                      "ROOT, label))", "unpack_titled(bundle)}", "build_named(plugin)",
                      # a helper of the route's module: the body is no URL capture of that helper's
                      'ROOT, "stage", plugin.title'))
    # a property of a model built from the body's fields reads only the fields it names
    assert _line(rel, "os.remove(package.archive)") not in found
    named = found[_line(rel, "os.remove(package.named_archive)")]
    assert named.severity.label == "high" and any("property `named_archive`" in s.message for s in named.flow)
    # the helper in another module is named in the flow
    assert "passed to `build_named` reaches `shutil.rmtree`" in found[_line(rel, "build_named(plugin)")].message


def test_a_model_built_from_flask_request_data_is_validated_only_by_its_own_constructors(fixtures_scan):
    """`Plugin(**request.get_json())`, `Plugin.model_validate(...)`, `Plugin.parse_obj(...)`, `Plugin(id=...)`:
    the pinned fields are clean and the others are request data (a confirmed flow, not a review); the request's
    own data and `model_construct`, which does not validate, stay tainted."""
    rel = "fixtures/python/dataflow/body_models_helpers/views.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    for safe in ("ROOT, plugin.id))  # ok", "build(plugin)", "plugin.code))", "ROOT, plugin.id))  # ok: PY408 (a key"):
        assert _line(rel, safe) not in found, safe
    for vulnerable in ("ROOT, plugin.name))  # expect: PY408 (its", "request.json[\"id\"]", "build_named(plugin)",
                       "plugin.owner))", "os.remove(os.path.join(ROOT, plugin.name))"):
        hit = found[_line(rel, vulnerable)]
        assert hit.severity.label == "high" and hit.evidence == "flow", vulnerable
    unvalidated = found[_line(rel, "model_construct(**request.json)") + 1]
    assert unvalidated.severity.label == "low" and unvalidated.evidence == "review"
    django = "fixtures/python/dataflow/body_models_helpers/django_views.py"
    found = _by_line(fixtures_scan, django, "PY408")
    assert _line(django, "plugin.handle))") not in found and _line(django, "plugin.module))") not in found
    for vulnerable in ("plugin.title))", 'request.POST["module"]'):
        assert found[_line(django, vulnerable)].severity.label == "high", vulnerable


def test_validator_helper_judgement():
    """What a helper returning a test of its argument says about the argument, read from source."""
    import ast as _ast

    from threatscan.lang.python.dataflow.models import _raise_guards, _returns_when

    class _Nowhere:
        def model_alias(self, name):
            return None

        def model_function(self, func):
            return None

    def returns(src: str, want: bool = True) -> frozenset:
        return _returns_when(_ast.parse(src).body[0], 0, want, _Nowhere(), 0)

    assert "all" in returns("def f(v):\n    return re.match(r'^[a-z]+(_[a-z0-9]+)*$', v) is not None")
    assert "all" in returns("def f(v):\n    return bool(re.fullmatch(r'[a-z0-9-]+', v))")
    assert "all" in returns("def f(v):\n    if not v.isidentifier():\n        return False\n    return True")
    assert "all" in returns("def f(v):\n    return v.isalnum() and len(v) < 9")
    assert not returns("def f(v):\n    return v.isalnum() or v.startswith('/')")
    assert not returns("def f(v):\n    return re.match(r'^[a-z/]+$', v) is not None")
    assert not returns("def f(v):\n    return re.match(r'^[a-z]+$', v, re.M) is not None")  # `^`/`$` per line
    assert not returns("def f(v):\n    print(v)\n    return True")
    assert not returns("def f(v):\n    return re.match(r'^[a-z]+$', v) is not None", want=False)
    # `if is_bad(v): raise`: the helper returning False says the value is fine
    assert "all" in returns("def f(v):\n    return not re.fullmatch(r'[a-z]+', v)", want=False)
    guards, keeps = _raise_guards(_ast.parse(
        "def f(cls, v):\n    if re.match(r'^[a-z]+$', v) is False:\n        raise ValueError()\n    return v").body[0],
        1, _Nowhere(), 0)
    assert not guards and keeps  # a match is never False: that check never raises
    guards, keeps = _raise_guards(_ast.parse(
        "def f(cls, v):\n    if v not in ('str', 'int'):\n        raise ValueError()\n    return v.strip()").body[0],
        1, _Nowhere(), 0)
    assert "all" in guards and keeps
    guards, keeps = _raise_guards(_ast.parse(
        "def f(cls, v):\n    if v.startswith('x'):\n        return v\n    if not v.isalnum():\n        raise E()\n"
        "    return v").body[0], 1, _Nowhere(), 0)
    assert not guards  # the check after an early return holds for some values only


def test_fastapi_parameters_declared_with_a_shape_are_clean_and_flask_annotations_are_not(fixtures_scan):
    """A FastAPI query parameter typed as an Enum, a Literal or a constrained alias, or declared with
    `Query(pattern=...)`, is validated by the framework; Flask reads no annotation."""
    rel = "fixtures/python/dataflow/body_models_helpers/params.py"
    shell, paths = _by_line(fixtures_scan, rel, "PY101"), _by_line(fixtures_scan, rel, "PY408")
    for safe in ("--format {fmt.value}", "--kind {kind}", "--ref {ref}"):
        assert _line(rel, safe) not in shell, safe
    for vulnerable in ("--path {loose}", "--raw {raw}"):
        assert shell[_line(rel, vulnerable)].severity.label == "high", vulnerable
    assert _line(rel, "ROOT, folder, name))") not in paths
    assert paths[_line(rel, "ROOT, loose))")].severity.label == "high"
    assert paths[_line(rel, "ROOT, other))")].severity.label == "high"
    flask = "fixtures/python/dataflow/body_models_helpers/views.py"
    assert _by_line(fixtures_scan, flask, "PY101")[_line(flask, "--kind {kind}")].severity.label == "high"


def test_one_reading_of_a_pattern_for_both_judges():
    """The interpreter's regex test and a body model's pattern read a pattern the same way (dataflow/shapes.py): a
    class's range is a range, an escaped character in a class is that character, and both judges agree on what
    lets only safe characters through (the interpreter on plain patterns: classes, `\\d`/`\\w`, word literals)."""
    from threatscan.lang.python.dataflow.interp import safe_shape_pattern
    from threatscan.lang.python.dataflow.models import regex_families

    for loose in (r"^[a-z.-_]+$", r"^[0-z]+$", r"^[\--_]+$", r"^[ -\.]+$", r"^[a-z]{}$"):
        assert not regex_families(loose), loose
        assert not safe_shape_pattern(loose, full=False, search=True), loose
    for tight in (r"^[a-z\-.]+$", r"^[A-Za-z0-9_]{3,20}$", r"^\w+$"):
        assert regex_families(tight), tight
        assert safe_shape_pattern(tight, full=False, search=True), tight
    # read whole and known to let `;`, `/` through: a check the analysis knows, not an unknown one
    assert safe_shape_pattern(r"^[a-z ;|]+$", full=False, search=True, chars=False)
    assert safe_shape_pattern(r"^[^/]+$", full=False, search=True, chars=False)
    assert not safe_shape_pattern(r"^[a-z]+@[a-z]+$", full=False, search=True, chars=False)
    assert not safe_shape_pattern(r"^.+$", full=False, search=True, chars=False)


def test_body_models_in_mappings_type_adapters_and_with_assigned_validators_keep_their_pinned_fields(fixtures_scan):
    """`dict[str, Asset]` bodies and fields, `TypeAdapter(Asset)` / `TypeAdapter(list[Asset])`, and validators
    assigned in the class body (`_ok = field_validator("slug")(check_slug)`): the pinned `slug` is clean, `label`
    (a validator that checks nothing), `title` and the mapping's keys are request data (confirmed flows)."""
    for rel in ("fixtures/python/dataflow/body_models_shapes/routes.py",
                "fixtures/python/dataflow/body_models_shapes/views.py"):
        lines = (FIXTURES.parent / rel).read_text().splitlines()
        found = _by_line(fixtures_scan, rel, "PY408")
        safe = [i for i, text in enumerate(lines, 1) if "# ok: PY408" in text]
        unsafe = [i for i, text in enumerate(lines, 1) if "# expect: PY408" in text]
        assert safe and unsafe
        for i in safe:
            assert i not in found, (rel, i)
        for i in unsafe:
            assert found[i].severity.label == "high" and found[i].evidence == "flow", (rel, i)
