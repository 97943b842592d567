"""Crypto and TLS findings by evidence (session 7): a finding fails the default gate only when the code shows why it
is exploitable; a fast digest that only verifies an old hash or that a protocol prescribes, a plain-http fetch that
sends nothing secret and trusts nothing in the answer, a TLS setting the user's own switch chooses, a KDF over a
random key: lower findings (review, or low behind a switch) that a default gate lets through."""

from __future__ import annotations

from conftest import REPO

from threatscan.findings.tail import gates
from threatscan.model import Severity
from threatscan.scan import ScanOptions, run_scan


_SCANS: dict[str, tuple] = {}


def _scan(rel: str, catalog) -> tuple:
    if rel not in _SCANS:
        _SCANS[rel] = tuple(run_scan(ScanOptions(paths=[str(REPO / rel)], root=REPO), catalog).findings)
    return _SCANS[rel]


def _line(rel: str, needle: str) -> int:
    return next(i for i, text in enumerate((REPO / rel).read_text().splitlines(), 1) if needle in text)


def _at(catalog, rel: str, needle: str, rule: str):
    line = _line(rel, needle)
    found = [f for f in _scan(rel, catalog) if f.location.line == line and f.rule_id == rule]
    assert len(found) == 1, (needle, found)
    return found[0]


def _gate(f) -> bool:
    return gates(f, Severity.MEDIUM)


def _review(f) -> bool:
    return f.evidence == "review" and f.severity.label == "low" and "review" in f.properties.get("tags", [])


LEGACY = "fixtures/python/crypto/password_legacy.py"


def test_a_fast_digest_that_only_verifies_an_old_hash_is_review_and_passes_the_gate(catalog):
    for needle in ("return hashlib.sha256(password.encode()).hexdigest() == stored",
                   "candidate = sha1(password.encode()).hexdigest()",
                   "digest = md5(password.encode()).hexdigest()  # expect: PY508 (review",
                   "return hashlib.sha512((password + salt).encode())"):
        f = _at(catalog, LEGACY, needle, "PY508")
        assert _review(f) and not _gate(f), needle
        assert "only to compare it with a stored hash" in f.message


def test_a_protocols_digest_of_a_password_is_review(catalog):
    ha1 = _at(catalog, LEGACY, 'ha1 = hashlib.md5(f"{user}:{realm}:{password}"', "PY508")
    assert _review(ha1) and "`realm`" in ha1.message and not _gate(ha1)
    answer = _at(catalog, LEGACY, "hashlib.sha1(challenge + password.encode())", "PY508")
    assert _review(answer) and "`challenge`" in answer.message


def test_a_password_digest_sent_only_as_a_range_querys_prefix_is_review(catalog):
    """§3g (Indico): SHA-1 of a password whose first five characters go to a breach-list range API and whose rest is
    compared locally (k-anonymity): review, out of the gate; the same digest also stored stays at the gate."""
    f = _at(catalog, LEGACY, "(review: a range query's prefix)", "PY508")
    assert _review(f) and f.properties["use"] == "prefix-lookup" and "5-character prefix" in f.message
    stored = _at(catalog, LEGACY, "(the whole digest is stored too)", "PY508")
    assert _gate(stored) and stored.evidence != "review"


def test_storing_or_checking_a_fast_digest_with_nothing_newer_stays_high_and_fails_the_gate(catalog):
    for needle in ("user.password_hash = hashlib.sha256(password.encode())",
                   "return hashlib.sha256(password.encode()).hexdigest() == user.password_hash",
                   "# expect: PY508 (stored below)",
                   "return sha1(old_password.encode()).hexdigest() == user.password_hash"):
        f = _at(catalog, LEGACY, needle, "PY508")
        assert f.severity.label == "high" and f.evidence != "review" and _gate(f), needle


HTTP = "fixtures/python/crypto/http_evidence.py"


def test_plain_http_that_sends_a_secret_or_personal_data_is_medium_and_fails_the_gate(catalog):
    for needle, why in (('LOGIN_URL = "http://', "`password`"),
                        ("http://api.partner-shop.net/orders", "`Authorization`"),
                        ("auth=(user, secret)", "`auth=`"), ('params={"api_key": key}', "`api_key`"),
                        ('json={"email": email}', "`email`"), ("return requests.get(url)", "`token`"),
                        ('API_URL = "http://warehouse', "`apikey=`"), ('AUTH_URL = "http://warehouse', "`pass"),
                        ("http://inventory.partner-shop.net/levels", "`X-Api-Key`"),
                        ('endpoint_url="http://objects', "AWS SDK client"),
                        ("http://stats.partner-news.net/hits", "`client_ip`"),
                        ("http://audit.partner-news.net/log", "`remote_addr`"),
                        ("http://contacts.partner-shop.net/sync", "`creds`")):
        f = _at(catalog, HTTP, needle, "PY507")
        assert f.severity.label == "medium" and f.evidence != "review" and _gate(f), needle
        assert why in f.message and why in f.properties["cleartextEvidence"], (needle, f.message)


def test_plain_http_whose_answer_is_run_or_unpacked_is_medium(catalog):
    for needle, why in (("http://models.partner-shop.net/latest", "`pickle.loads`"), ("tool.tar.gz", "`.tar.gz`"),
                        ("http://hooks.partner-shop.net/latest", "`subprocess.run`"),
                        ("http://rules.partner-shop.net/current", "`yaml.load`"),
                        ("http://bundles.partner-shop.net/current", "`tarfile.open`"),
                        # a deserialisation sink of the data-flow spec (rules/dataflow), read from there
                        ("http://models.partner-shop.net/stream", "`pickle.Unpickler`")):
        f = _at(catalog, HTTP, needle, "PY507")
        assert f.severity.label == "medium" and _gate(f) and why in f.message, needle


def test_plain_http_to_public_data_is_a_review_finding_that_passes_the_gate(catalog):
    for needle in ('FEED_URL = "http://', "http://catalogue.partner-library.net/search",
                   "http://rates.partner-bank.net",
                   "http://avatars.partner-images.net", "http://pages.partner-news.net/",
                   "http://status.partner-news", "http://listings.partner-news.net/items",
                   "http://listings.partner-news.net/batch"):
        f = _at(catalog, HTTP, needle, "PY507")
        assert _review(f) and not _gate(f), needle
        assert "nothing in this module shows a secret or personal data sent on it" in f.message
        assert f.properties["cleartextEvidence"] == "none"


def test_credentials_in_a_plain_http_url_are_evidence_and_never_shown(tmp_path, catalog):
    (tmp_path / "client.py").write_text('PARTNER_URL = "http://shop:Zq8vR2mXk4pL@api.partner-shop.com/v1"\n')
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path, select=("PY507",)), catalog)
    [f] = result.findings
    assert f.severity.label == "medium" and _gate(f) and "user name and password" in f.message
    assert "Zq8vR2mXk4pL" not in f.message + f.snippet + str(f.properties)


SWITCH = "fixtures/python/crypto/tls_user_switch.py"


def test_a_tls_setting_the_users_own_switch_chooses_is_low_and_passes_the_gate(catalog):
    for needle, rule, switch in (("= ssl._create_unverified_context", "PY505", "value"),
                                 ("MINIMUM_SUPPORTED", "PY514", "allow_legacy_tls"),
                                 ("context.minimum_version = ssl.TLSVersion.TLSv1  # expect: PY514 (low: the instance",
                                  "PY514", "self.settings.compat_mode"),
                                 ("if options.legacy_servers else", "PY514", "options.legacy_servers")):
        f = _at(catalog, SWITCH, needle, rule)
        assert f.severity.label == "low" and not _gate(f), needle
        assert f.properties["optInSwitch"] == switch and "opt-in switch" in f.message, (needle, f.properties)


def test_an_old_tls_version_used_only_when_the_user_names_it_is_low(catalog):
    """mycli-like: TLS 1.2 unless the user's `tls_version` option names TLSv1 or TLSv1.1 exactly (§3g)."""
    for needle, switch in (("context.minimum_version = ssl.TLSVersion.TLSv1  # expect: PY514 (low: the user names",
                            "wanted"),
                           ("context.maximum_version = ssl.TLSVersion.TLSv1  # expect: PY514 (low: the user names",
                            "wanted"),
                           ("TLSv1_1  # expect: PY514 (low: the user names this version)", "wanted"),
                           ("TLSv1_1  # expect: PY514 (low: the caller names this version)",
                            "protocol")):
        found = [f for f in _scan(SWITCH, catalog) if f.location.line in
                 {i for i, t in enumerate((REPO / SWITCH).read_text().splitlines(), 1) if needle in t}]
        assert found and all(f.severity.label == "low" and not _gate(f) for f in found), needle
        assert {f.properties["optInSwitch"] for f in found} == {switch}, needle
    for needle in ("(medium: a word that names no version)", "(medium: another version was named)",
                   "(medium: the rest of the chain)"):
        f = _at(catalog, SWITCH, needle, "PY514")
        assert f.severity.label == "medium" and _gate(f) and "optInSwitch" not in f.properties, needle


def test_verification_off_then_back_on_for_the_modes_that_ask_is_the_operators_switch(catalog):
    rel = "fixtures/python/crypto/tls_mode_table.py"
    for needle, rule in (("check_hostname = False  # expect: PY506 (low", "PY506"),
                         ("CERT_NONE  # expect: PY505 (low", "PY505")):
        f = _at(catalog, rel, needle, rule)
        assert f.severity.label == "low" and not _gate(f) and f.properties["optInSwitch"] == "ssl_mode", needle
    for needle, rule in (("# expect: PY506 (off for good)", "PY506"), ("# expect: PY505 (off for good)", "PY505")):
        f = _at(catalog, rel, needle, rule)
        assert f.severity.label == "high" and _gate(f), needle


def test_a_weak_tls_setting_the_code_chooses_keeps_its_severity(catalog):
    for needle, rule, severity in (("TLSv1  # expect: PY514 (medium: the interpreter", "PY514", "medium"),
                                   ("TLSv1_1  # expect: PY514 (medium: no sound branch", "PY514", "medium"),
                                   ("requests.get(url, headers=headers, verify=False)", "PY505", "high"),
                                   ("requests.post(url, headers=headers, verify=False)", "PY505", "high")):
        f = _at(catalog, SWITCH, needle, rule)
        assert f.severity.label == severity and _gate(f) and "optInSwitch" not in f.properties, needle


def test_a_weak_digest_only_sent_as_a_remote_apis_signature_is_review(catalog):
    rel = "fixtures/python/crypto/weak_hash_sent.py"
    for needle, sent in (("methodauth.getSession", "`post`"), ('params["sig"] = hashlib.sha1', "`get`"),
                         ("sign = hashlib.md5(query.encode())", "`post`")):
        f = _at(catalog, rel, needle, "PY512")
        assert _review(f) and not _gate(f) and f"only sent with {sent}" in f.message, needle
    # kept, compared or used as a key: not only sent, but a collision is an attack only on content the attacker
    # chooses, so only a digest of request data keeps the rule's severity (the rule's review text otherwise)
    f = _at(catalog, rel, "signature = hashlib.sha1(secret + request.body)", "PY512")
    assert f.severity.label == "medium" and _gate(f) and f.evidence == "flow" and f.flow
    for needle in ("signature = hashlib.md5(body)", 'entry.append(("sign", hashlib.md5('):
        f = _at(catalog, rel, needle, "PY512")
        assert _review(f) and not _gate(f) and f.properties["severityIfEvidence"] == "medium", needle
        assert "whether a collision matters here is not visible" in f.message and "only sent" not in f.message


def test_a_signer_handed_to_cloudfront_is_review_the_same_signer_elsewhere_medium(catalog):
    rel = "fixtures/python/crypto/weak_hash_protocol_signer.py"
    f = _at(catalog, rel, "self.private_key.sign(message", "PY512")
    assert _review(f) and not _gate(f) and "CloudFrontSigner" in f.message
    f = _at(catalog, rel, "return key.sign(message", "PY512")  # signs what its caller gives: not visible
    assert _review(f) and "CloudFrontSigner" not in f.message and f.properties["severityIfEvidence"] == "medium"


def test_pbkdf2_over_random_key_material_is_review_over_a_password_medium(catalog):
    rel = "fixtures/python/crypto/kdf_random_key.py"
    for needle, source in (("iterations=100_000)  # expect: PY509 (review", "Fernet.generate_key()"),
                           ("os.urandom(32), salt, 1_000)", "os.urandom()")):
        f = _at(catalog, rel, needle, "PY509")
        assert _review(f) and not _gate(f) and f"`{source}`" in f.message, needle
    for needle in ("password.encode(), salt, 100_000)", "iterations=10_000)", "seed_passphrase.encode(), salt",
                   "user_secret.encode(), salt"):
        f = _at(catalog, rel, needle, "PY509")
        assert f.severity.label == "medium" and _gate(f), needle
    for needle, name in (('secret.encode(), b"wallet"', "`secret`"), ("self_master_key, salt, 5_000", "`self_master_key`")):
        f = _at(catalog, rel, needle, "PY509")
        assert _review(f) and not _gate(f) and f"named as key material, not as a password ({name})" in f.message


def test_unverified_jwt_claims_that_only_pick_the_issuer_are_review(catalog):
    rel = "fixtures/python/crypto/jwt_issuer_first.py"
    f = _at(catalog, rel, "# expect: PY501 (review", "PY501")
    assert _review(f) and not _gate(f) and "`validate` decodes `id_token` again with a key" in f.message
    for needle in ("(high: stored)", "(high: returned)", "(high: nothing verifies it)", "(high: the other branch"):
        g = _at(catalog, rel, needle, "PY501")
        assert g.severity.label == "high" and _gate(g), needle


def test_unverified_unless_a_ca_bundle_is_configured_is_an_insecure_default_not_a_switch(catalog):
    # session 6 read `if self.ca_certs:` as an opt-in switch (the word `certs`) and reported the else branch low
    for needle in ("cert_reqs=ssl.CERT_NONE)  # expect: PY505 (high: the default",
                   "context = ssl._create_unverified_context()  # expect"):
        f = _at(catalog, SWITCH, needle, "PY505")
        assert f.severity.label == "high" and _gate(f) and "optInSwitch" not in f.properties, needle


def test_ecb_used_only_to_decrypt_a_foreign_format_is_review(catalog):
    """§3g (mycli reading MySQL's `.mylogin.cnf`): an ECB cipher that only decrypts reads a format another program
    defines: review, out of the gate; the same cipher that also encrypts stays medium."""
    rel = "fixtures/python/crypto/ecb_block.py"
    for needle in ("(low review: only decrypts a foreign format)", ".decryptor()  # expect: PY513 (low review)"):
        f = _at(catalog, rel, needle, "PY513")
        assert _review(f) and f.properties["use"] == "decrypt-only" and "only to decrypt" in f.message, needle
    f = _at(catalog, rel, "(medium: decrypts and encrypts again)", "PY513")
    assert f.severity.label == "medium" and _gate(f) and "use" not in f.properties


def test_primitives_a_cited_protocol_specification_prescribes_are_review_the_same_code_unnamed_stays(catalog):
    """A module that says it implements a published protocol ([MS-NLSP], an RFC) uses the primitives that protocol
    fixes: PY512/PY513 there are review findings naming the specification (the user's gate passes); the same code
    in a module that cites nothing keeps its severity. A digest fed by several `update()` calls is one finding."""
    spec, unnamed = "fixtures/python/crypto/protocol_spec.py", "fixtures/python/crypto/protocol_unnamed.py"
    for rule, needle in (("PY512", "md5.update(session_key)"), ("PY513", "ARC4.new(sealing_key)")):
        cited = _at(catalog, spec, needle, rule)
        assert _review(cited) and not _gate(cited) and "[MS-NLSP]" in cited.message
        assert cited.properties["severityIfChosen"] == "medium"
        chosen = _at(catalog, unnamed, needle, rule)
        assert "implements a published protocol" not in chosen.message and "severityIfChosen" not in chosen.properties
        if rule == "PY513":  # RC4 chosen by the code: at the gate
            assert _gate(chosen) and chosen.evidence == ""
        else:  # an MD5 of what the caller gives: the rule's own review (no request data seen)
            assert _review(chosen) and chosen.properties["severityIfEvidence"] == "medium"
    for rel in (spec, unnamed):
        assert [f.location.line for f in _scan(rel, catalog) if f.rule_id == "PY512"] == [_line(rel, "md5.update(session_key)")]


def test_an_unverified_variant_class_nothing_uses_is_the_operators_choice_one_the_code_mounts_is_not(catalog):
    """`class NoVerificationEmailBackend(EmailBackend)` that no module names runs only when the configuration picks
    it: PY505/PY506 there are low (opt-in) and pass the gate; `InsecureAdapter`, mounted by the code on every session,
    keeps its severity."""
    rel = "fixtures/python/crypto/insecure_alternative/mail.py"
    lines = (REPO / rel).read_text().splitlines()
    findings = {(f.location.line, f.rule_id): f for f in _scan(rel, catalog) if f.rule_id in ("PY505", "PY506")}
    for number, text in enumerate(lines, 1):
        for rule in ("PY505", "PY506"):
            if f"# expect: {rule}" not in text:
                continue
            f = findings[(number, rule)]
            if "(low:" in text:
                assert f.severity == Severity.LOW and not _gate(f) and f.properties["optInSwitch"] == "NoVerificationEmailBackend"
            else:
                assert f.severity == Severity.HIGH and _gate(f)
    assert len(findings) == 4


def test_a_specification_cited_by_its_url_counts_as_cited(catalog):
    rel = "fixtures/python/crypto/protocol_spec_url.py"
    cited = _at(catalog, rel, "ARC4.new(sealing_key)", "PY513")
    assert _review(cited) and "RFC 4178" in cited.message


def test_a_standard_cited_as_ieee_802_or_an_oasis_url_counts_as_cited_for_password_hashes_too(catalog):
    """§3h-§3j (zeep's WS-Security digest, scapy's WPA2 and WEP code): a module citing IEEE 802.11i or an OASIS
    specification implements a protocol that fixes its primitives; PY508/PY509 there are review findings that name
    the standard, like PY512/PY513."""
    rel = "fixtures/python/crypto/protocol_standards.py"
    for rule, needle, cited in (("PY508", "hashlib.sha1(stamp", "OASIS wss"), ("PY509", "pbkdf2_hmac(", "OASIS wss")):
        f = _at(catalog, rel, needle, rule)
        assert _review(f) and not _gate(f) and cited in f.message, (rule, f.message)
        assert f.properties["severityIfChosen"] in ("high", "medium")


def test_plain_http_carrying_the_codes_own_literal_key_is_review_a_configured_key_is_evidence(catalog):
    """§3g/§3h (Bazarr's and Medusa's TMDB look-ups): the key a class writes as a literal is in every copy of the
    source, so sending it over http leaks nothing more: a review finding; the user's configured key is evidence."""
    lines = (REPO / HTTP).read_text().splitlines()
    own, configured = [i for i, t in enumerate(lines, 1) if "api.catalog.partner-news.net" in t]
    found = {f.location.line: f for f in _scan(HTTP, catalog) if f.rule_id == "PY507"}
    assert _review(found[own]) and not _gate(found[own])
    assert found[configured].severity.label == "medium" and _gate(found[configured])
    assert "user_api_key" in found[configured].properties["cleartextEvidence"]


def test_jwt_rules_keep_their_severity_only_for_a_token_the_request_carries(catalog):
    """PY501, PY511 and PY503 were almost never exploitable on real code (pooled independent samples): a token whose
    origin is not visible is a review finding naming why (the rule's `review` text); a token read from the request
    (a header, a cookie, FastAPI's OAuth2 bearer dependency) keeps the rule's severity with its flow; a setting that
    makes every token live forever keeps PY503's."""
    rel = "fixtures/python/crypto/jwt_request_tokens.py"
    lines = (REPO / rel).read_text().splitlines()
    found = {(f.location.line, f.rule_id): f for f in _scan(rel, catalog)}
    gate = [(i, t) for i, t in enumerate(lines, 1) if "# expect: PY5" in t and "(gate" in t]
    review = [(i, t) for i, t in enumerate(lines, 1) if "# expect: PY5" in t and "(review" in t]
    assert len(gate) == 4 and len(review) == 4
    for number, text in gate:
        f = found[(number, text.split("# expect: ")[1].split()[0])]
        assert _gate(f) and f.evidence == "flow" and f.flow and "(Review:" not in f.message, text
    for number, text in review:
        rule = text.split("# expect: ")[1].split()[0]
        f = found[(number, rule)]
        assert _review(f) and not _gate(f) and f"(Review: {catalog.rules[rule].review})" in f.message, text
        assert f.properties["severityIfEvidence"] == catalog.rules[rule].severity.label
    settings = "fixtures/python/crypto/flask_jwt_settings.py"
    never = [f for f in _scan(settings, catalog) if f.rule_id == "PY503"]
    assert len(never) == 3 and all(_gate(f) and f.evidence == "" for f in never)
