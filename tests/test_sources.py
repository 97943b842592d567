"""Sources by who controls them (README "Severity follows evidence"): a data-flow finding keeps its rule's severity
when its source is a caller's request (web request data, the event of a Lambda function an API, a function URL or
another caller's service invokes, or one whose triggers are not known); a Lambda event that only the account's own
services send (S3, SQS, SNS, a schedule, a custom resource), as the template shows, is a review finding
(`sourceClass` "internal", low, never failing the default gate). Fixtures: fixtures/apps/events/."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from conftest import FIXTURES
from threatscan.cli import main
from threatscan.lang.iac.loader import load_template
from threatscan.lang.iac.model import build_template
from threatscan.links import UNKNOWN_TRIGGER, function_triggers, internal_triggers
from threatscan.model import Severity

APP = FIXTURES / "apps" / "events"
SRC = "fixtures/apps/events/src/"


def _findings(fixtures_scan, name: str):
    return [f for f in fixtures_scan.findings if f.location.path == SRC + name and f.rule_id.startswith("PY")]


def test_a_lambda_event_only_the_accounts_services_send_is_a_review_source(fixtures_scan, catalog):
    services = {"thumbnails.py": "S3", "worker.py": "SQS, schedule", "notify.py": "SNS",
                "setup.py": "CloudFormation custom resource"}
    for name, named in services.items():
        found = _findings(fixtures_scan, name)
        assert found, name
        for f in found:
            assert (f.severity, f.evidence, f.precision) == (Severity.LOW, "review", "low"), (name, f.message)
            assert "review" in f.properties["tags"]
            assert f.properties["sourceClass"] == "internal" and f.properties["dataflow"] == "trusted-source"
            assert f.properties["severityIfUntrusted"] == catalog.rules[f.rule_id].severity.label
            assert f"only the account's own services send ({named})" in f.message, f.message
            assert f.flow and "Lambda event" in f.flow[0].message, "the path is still shown"
    # the helper a worker hands its record to reports the same source class
    assert {f.rule_id for f in _findings(fixtures_scan, "worker.py")} == {"PY408", "PY410"}


def test_a_caller_or_an_unknown_invoker_keeps_the_event_a_confirmed_source(fixtures_scan):
    # an API, a function URL beside an S3 trigger, an API beside a schedule, another account, no trigger shown
    for name in ("api.py", "mixed.py", "proxy.py", "shared.py", "untriggered.py"):
        (f,) = _findings(fixtures_scan, name)
        assert f.rule_id == "PY410" and f.severity == Severity.CRITICAL and f.evidence == "flow", (name, f.message)
        assert f.properties["sourceClass"] == "caller"
        assert "review" not in f.properties.get("tags", ())


def test_the_gate_passes_a_project_whose_events_come_from_its_own_services(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    out = tmp_path / "out.json"
    args = ["scan", str(app), "--engines", "native", "--no-cache", "--format", "json", "-o", str(out),
            "--select", "PY101,PY102,PY408,PY410"]
    assert CliRunner().invoke(main, args).exit_code == 1  # the API-triggered handlers fail it
    for name in ("api.py", "mixed.py", "proxy.py", "shared.py", "untriggered.py"):
        (app / "src" / name).unlink()
    result = CliRunner().invoke(main, args)
    findings = json.loads(out.read_text())["findings"]
    assert len(findings) == 5 and all(f["evidence"] == "review" for f in findings)
    assert result.exit_code == 0, result.output
    # the same handler without its template: who invokes it is not known, so the event is a source again
    (app / "template.yaml").unlink()
    (app / "plain.yaml").unlink()
    assert CliRunner().invoke(main, args).exit_code == 1


def _triggers(text: str) -> dict[str, list[str]]:
    template = build_template("t.yaml", load_template(text)[0])
    assert template is not None
    return function_triggers(template)


FUNCTION = """
  F:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Code: src/, Handler: app.handler, Role: r}
"""


def test_triggers_are_read_from_the_resources_that_name_the_function():
    found = _triggers("Resources:" + FUNCTION + """
  Map:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref F, EventSourceArn: !GetAtt Q.Arn}
  Q:
    Type: AWS::SQS::Queue
  Stream:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref F, EventSourceArn: !Sub "arn:aws:kinesis:${AWS::Region}:1:stream/s"}
  Role:
    Type: AWS::IAM::Role
    Properties: {Policies: [{PolicyDocument: {Statement: [{Resource: !GetAtt F.Arn}]}}]}
""")
    assert found == {"F": ["SQS", "Kinesis"]}
    assert internal_triggers(found["F"]) == ("Kinesis", "SQS")


def test_an_alias_an_export_or_an_api_definition_makes_the_invokers_unknown_or_a_caller():
    alias = _triggers("Resources:" + FUNCTION + """
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref F, FunctionVersion: "1", Name: live}
""")
    assert alias == {"F": [UNKNOWN_TRIGGER]} and internal_triggers(alias["F"]) is None
    exported = _triggers("Resources:" + FUNCTION + """
  Rule:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: rate(1 hour), Targets: [{Arn: !GetAtt F.Arn, Id: f}]}
Outputs:
  Arn:
    Value: !GetAtt F.Arn
    Export: {Name: shared-function}
""")
    assert exported == {"F": ["EventBridge", UNKNOWN_TRIGGER]} and internal_triggers(exported["F"]) is None
    api = _triggers("Resources:" + FUNCTION + """
  Rule:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: rate(1 hour), Targets: [{Arn: !GetAtt F.Arn, Id: f}]}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      DefinitionBody:
        paths: {/x: {get: {x-amazon-apigateway-integration: {uri: !Sub "arn:aws:apigateway:r:lambda:path/functions/${F.Arn}/invocations"}}}}
""")
    assert sorted(api["F"]) == ["API Gateway", "EventBridge"] and internal_triggers(api["F"]) is None
    assert internal_triggers([]) is None, "no trigger shown: not known"


def test_linking_reads_the_resources_that_name_a_function_without_building_the_rest():
    text = "Resources:" + FUNCTION + """
  Topic:
    Type: AWS::SNS::Topic
    Properties: {Subscription: [{Protocol: lambda, Endpoint: !GetAtt F.Arn}]}
  Bucket:
    Type: AWS::S3::Bucket
"""
    doc, _ = load_template(text, frozenset({"AWS::Lambda::Function"}))
    assert sorted(doc["Resources"]) == ["F", "Topic"]
    template = build_template("t.yaml", doc)
    assert template is not None and function_triggers(template) == {"F": ["SNS"]}


PRECISION = "fixtures/python/dataflow/precision/"


def _by_line(fixtures_scan, rel: str, rule: str) -> dict[int, object]:
    return {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel and f.rule_id == rule}


def _lines_with(rel: str, marker: str) -> list[int]:
    text = (FIXTURES.parent / rel).read_text().splitlines()
    return [i for i, t in enumerate(text, 1) if marker in t]


def test_a_response_whose_content_type_is_not_html_is_no_xss(fixtures_scan):
    rel = PRECISION + "response_types.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    safe, unsafe = _lines_with(rel, "# ok: PY402"), _lines_with(rel, "# expect: PY402")
    assert len(safe) == 5 and len(unsafe) == 4
    assert not set(safe) & set(found), "plain text, JSON or CSV, given in a tuple, a pair list or set afterwards"
    for line in unsafe:  # HTML, or another header than the Content-Type: still a gate finding
        assert found[line].severity >= Severity.MEDIUM and found[line].evidence == "flow", line


def test_peewee_rows_selected_by_request_data_are_stored_data(fixtures_scan):
    rel = PRECISION + "peewee_rows.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    assert not set(_lines_with(rel, "# ok: PY408")) & set(found), "a row's stored path: not even a review finding"
    unsafe = _lines_with(rel, "# expect: PY408")
    assert len(unsafe) == 2 and all(found[line].severity == Severity.HIGH for line in unsafe)


def test_a_view_only_administrators_may_call_is_a_review_source_for_server_side_sinks(fixtures_scan):
    rel = PRECISION + "admin_views.py"
    found = {f.location.line: f for f in fixtures_scan.findings if f.location.path == rel}

    def at(needle: str):
        (line,) = _lines_with(rel, needle)
        return found[line]

    for needle in ('request.form["query"]', '"make -C /srv/site "', "def read_log", "dependencies=[Depends(require_role([\"admin\"]))]"):
        f = at(needle) if not needle.startswith(("def ", "dependencies")) else None
        if f is None:  # the sink is a few lines below the marker
            (line,) = _lines_with(rel, needle)
            f = next(found[n] for n in sorted(found) if n > line)
        assert (f.severity, f.evidence) == (Severity.LOW, "review"), (needle, f.message)
        assert f.properties["sourceClass"] == "admin" and "only the site's administrators" in f.message
        assert f.properties["severityIfUntrusted"] in ("high", "critical"), "what it would be worth from a caller"
    # reflected XSS on an admin page, a plain login, a role list that admits viewers: gate findings
    assert at('"<p>" + request.args["text"]').severity == Severity.MEDIUM
    login = [n for n in _lines_with(rel, 'request.GET["name"]') if n > _lines_with(rel, "def user_log")[0]][0]
    (viewer, ) = sorted(n for n in found if n > _lines_with(rel, '"admin", "viewer"')[0])[:1]
    for line in (login, viewer):
        assert found[line].severity == Severity.HIGH and found[line].properties["sourceClass"] == "caller"
    # a helper reading the request itself: gated when only administrators' views call it, not when any view does
    (helper,) = sorted(n for n in found if n > _lines_with(rel, "def browse_folder")[0])[:1]
    assert found[helper].severity == Severity.LOW and "called only by `admin_folders`" in found[helper].message
    (shared,) = sorted(n for n in found if n > _lines_with(rel, "def list_folder")[0])[:1]
    assert found[shared].severity == Severity.HIGH and found[shared].properties["sourceClass"] == "caller"
    # class-based views: a staff/superuser mixin, a UserPassesTestMixin testing a flag, a method_decorator
    for cls in ("class DiscoveryView", "class LogView", "class RebuildView"):
        (line,) = sorted(n for n in found if n > _lines_with(rel, cls)[0])[:1]
        f = found[line]
        assert (f.severity, f.evidence, f.properties["sourceClass"]) == (Severity.LOW, "review", "admin"), cls
    for cls in ("class MemberProbeView", "class OwnerLogView"):  # a login, a test of anything else: no gate
        (line,) = sorted(n for n in found if n > _lines_with(rel, cls)[0])[:1]
        assert found[line].severity == Severity.HIGH and found[line].properties["sourceClass"] == "caller", cls
    (echo,) = sorted(n for n in found if n > _lines_with(rel, "class StaffEchoView")[0])[:1]
    assert found[echo].severity == Severity.MEDIUM, "reflected on a staff page: a link the staff member follows"


def test_request_data_joined_after_a_question_mark_cannot_move_a_redirect(fixtures_scan):
    rel = PRECISION + "query_joins.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    assert not set(_lines_with(rel, "# ok: PY403")) & set(found), "the query of a URL the program chose"
    unsafe = _lines_with(rel, "# expect: PY403")
    assert len(unsafe) == 4 and all(found[n].severity == Severity.MEDIUM and found[n].evidence == "flow" for n in unsafe)


def test_a_method_of_a_module_level_instance_of_a_repository_class_is_followed(fixtures_scan):
    # `from . import library` where the package binds `library = store.Library(app)`: the class's methods are
    # summarised, so the text `normalise()` returns is the request's (a complete flow, before a review finding)
    rel = PRECISION + "shelf/views.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    (unsafe,) = _lines_with(rel, "# expect: PY408")
    assert set(found) == {unsafe}
    f = found[unsafe]
    assert f.severity == Severity.HIGH and f.evidence == "flow", f.message
    assert any("returned by `normalise()`" in s.message for s in f.flow)


PRECISION = "fixtures/python/dataflow/precision/"


def test_a_custom_resources_template_values_are_a_review_source_without_any_template(fixtures_scan, tmp_path):
    """A handler that reads `event["RequestType"]` / `ResourceProperties`, answers with `cfnresponse.send` or is
    served by crhelper is a CloudFormation custom resource: its event holds the stack template's own values, so a
    flow from it is a review finding (low, `sourceClass` internal) that names the template; an API handler's
    `event["body"]` / `queryStringParameters` flow keeps its severity, also in a handler reading both."""
    def found(name):
        return {f.location.line: f for f in fixtures_scan.findings
                if f.location.path == PRECISION + name and f.rule_id == "PY101"}

    props, crhelper = found("custom_resource_props.py"), found("custom_resource_crhelper.py")
    internal = [props[16], props[18], props[22], crhelper[11]]
    for f in internal:
        assert (f.severity, f.evidence) == (Severity.LOW, "review"), f.message
        assert "review" in f.properties["tags"] and f.properties["sourceClass"] == "internal"
        assert "come from the stack's template" in f.message and f.properties["severityIfUntrusted"] == "high"
    for line in (28, 30, 35):  # event["body"], queryStringParameters, a handler reading body and ResourceProperties
        f = props[line]
        assert f.severity == Severity.CRITICAL and f.evidence == "flow" and f.properties["sourceClass"] == "caller"
    # the gate: only the API handlers fail it
    out = tmp_path / "out.json"
    args = ["scan", str(FIXTURES / "python/dataflow/precision/custom_resource_crhelper.py"), "--engines", "native",
            "--no-cache", "--format", "json", "-o", str(out), "--select", "PY101"]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert len(json.loads(out.read_text())["findings"]) == 1
    args[1] = str(FIXTURES / "python/dataflow/precision/custom_resource_props.py")
    assert CliRunner().invoke(main, args).exit_code == 1


def test_a_redirect_validators_verdict_by_keyword_kept_in_a_name_or_in_a_helper_keeps_the_redirect_on_site(
        fixtures_scan):
    rel = PRECISION + "kept_verdicts/views.py"
    found = _by_line(fixtures_scan, rel, "PY403")
    assert not set(_lines_with(rel, "# ok: PY403")) & set(found), "url=, a kept verdict, a helper returning it"
    unsafe = _lines_with(rel, "# expect: PY403")
    assert len(unsafe) == 4 and all(found[n].severity == Severity.MEDIUM for n in unsafe)


def test_a_checks_verdict_kept_in_a_name_and_tested_later_tests_what_the_check_was_given(fixtures_scan):
    rel = PRECISION + "kept_checks.py"
    found = _by_line(fixtures_scan, rel, "PY408")
    assert not set(_lines_with(rel, "# ok: PY408")) & set(found), "a readable pattern kept in a name narrows"
    review = _lines_with(rel, "# expect: PY408 (low review")
    assert len(review) == 1 and found[review[0]].severity == Severity.LOW
    assert "valid_digest = is_md5(digest)" in found[review[0]].message  # the reviewer sees which check it was
    unsafe = [n for n in _lines_with(rel, "# expect: PY408") if n not in review]
    assert len(unsafe) == 3 and all(found[n].severity == Severity.HIGH for n in unsafe)


CLIENT = """
import urllib.request


class Transport:
    def _send(self, request):
        return urllib.request.urlopen(request.url, data=request.data)
"""


def _scan_tree(tmp_path, files: dict[str, str], select: str = "PY410,PY411") -> list[dict]:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["scan", str(root), "--engines", "native", "--no-cache", "--format", "json",
                                       "-o", str(out), "--fail-on", "none", "--select", select])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())["findings"]


def test_a_parameter_named_request_is_web_request_data_only_where_the_repository_serves_requests(tmp_path):
    # an HTTP client (or a command-line downloader): `request` is the program's own outgoing request
    assert _scan_tree(tmp_path / "client", {"client/transport.py": CLIENT}) == []
    # the same function in a repository that serves web requests: a parameter named request is the caller's
    found = _scan_tree(tmp_path / "web", {"client/transport.py": CLIENT,
                                          "web/views.py": "from django.http import HttpResponse\n"})
    assert [(f["rule_id"], f["severity"]) for f in found] == [("PY410", "high")]
    # a framework imported only by a program's local web plugin still serves requests (there, at least)
    found = _scan_tree(tmp_path / "plugin", {"client/transport.py": CLIENT,
                                             "toolplug/web/__init__.py": "import flask\n",
                                             "pyproject.toml": '[project.scripts]\ntool = "client.cli:main"\n'})
    assert [(f["rule_id"], f["severity"]) for f in found] == [("PY410", "high")]


def test_a_helper_whose_request_parameter_is_a_body_model_is_no_view(fixtures_scan):
    """`def passthrough(request: MessagesRequest, provider)`: the first parameter is a request body's model, not the
    web request, so `provider` (a row the caller looked up) is no URL capture; Django-style views stay sources."""
    rel = PRECISION + "request_model_helper.py"
    found = _by_line(fixtures_scan, rel, "PY410")
    assert not set(_lines_with(rel, "# ok: PY410")) & set(found)
    views = _lines_with(rel, "# expect: PY410")
    assert len(views) == 2 and all(found[n].severity >= Severity.HIGH for n in views)


def test_a_template_of_an_escaping_jinja_environment_renders_no_html_injection(fixtures_scan):
    rel = PRECISION + "jinja_autoescape.py"
    found = _by_line(fixtures_scan, rel, "PY402")
    assert not set(_lines_with(rel, "# ok: PY402")) & set(found), "autoescape=True, select_autoescape()"
    raw = _lines_with(rel, "# expect: PY402")
    assert len(raw) == 1 and found[raw[0]].severity == Severity.MEDIUM


WERKZEUG_APP = {
    "app/response.py": "import werkzeug.utils\n\n\n"
                       "def redirect(request, *args, **kwargs):\n"
                       "    location = kwargs.pop('location') if 'location' in kwargs else request.urlgen(*args)\n"
                       "    return werkzeug.utils.redirect(location)\n",
    "app/views.py": "from werkzeug.wrappers import Request\nfrom app.response import redirect\n\n\n"
                    "def login(request):\n"
                    "    if request.form.get('next'):\n"
                    "        return redirect(request, location=request.form['next'])\n"
                    "    return redirect(request, 'index')\n",
}


def test_a_werkzeug_application_s_redirect_helper_is_a_helper_and_its_callers_are_reported(tmp_path):
    """A repository built on Werkzeug's own request and routing (no Flask, no Django router): `request` parameters are
    request data, and `def redirect(request, *args, **kwargs)` that the views call is a helper, so the open redirect
    is reported where a view passes `request.form["next"]`, not inside the helper with its own arguments as source."""
    root = tmp_path / "repo"
    for rel, text in WERKZEUG_APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["scan", str(root), "--no-cache", "--format", "json", "-o", str(out),
                                       "--fail-on", "none", "--select", "PY403"])
    assert result.exit_code == 0, result.output
    found = {(f["location"]["path"], f["location"]["line"], f["severity"])
             for f in json.loads(out.read_text())["findings"]}
    assert found == {("app/views.py", 7, "medium")}


CSRF_SETTINGS = """
SECRET_KEY = None
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
"""
FORM_VIEWS = """
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt


def after_save(request):
    return redirect(request.POST["next"])


def after_save_or_link(request):
    return redirect(request.POST.get("next", request.GET.get("next")))


def after_upload(request):
    return redirect("%s?name=%s" % (request.POST["next"], request.FILES["doc"].name))


@csrf_exempt
def exempt_after_save(request):
    return redirect(request.POST["next"])
"""


def _redirects(tmp_path, files: dict[str, str]) -> dict[str, dict]:
    """PY403's findings in shop/views.py by the name of the view they are in."""
    findings = _scan_tree(tmp_path, files, "PY403")
    views = files["shop/views.py"].splitlines()
    return {next(views[n - 1 - i].split("(")[0][4:] for i in range(n) if views[n - 1 - i].startswith("def ")): f
            for f in findings for n in [f["location"]["line"]]}


def test_a_redirect_only_a_csrf_protected_form_post_brings_in_is_low(tmp_path):
    found = _redirects(tmp_path, {"shop/__init__.py": "", "shop/settings.py": CSRF_SETTINGS,
                                  "shop/views.py": FORM_VIEWS})
    assert found["after_save"]["severity"] == "low" and "CSRF middleware on" in found["after_save"]["message"]
    assert found["after_upload"]["severity"] == "low"  # an upload's name comes with the same form
    assert found["after_save_or_link"]["severity"] == "medium"  # the query string is a link's
    assert found["exempt_after_save"]["severity"] == "medium"


def test_a_form_post_redirect_keeps_its_severity_without_the_csrf_middleware(tmp_path):
    unprotected = CSRF_SETTINGS.replace('    "django.middleware.csrf.CsrfViewMiddleware",\n', "")
    found = _redirects(tmp_path, {"shop/__init__.py": "", "shop/settings.py": unprotected,
                                  "shop/views.py": FORM_VIEWS})
    assert {f["severity"] for f in found.values()} == {"medium"} and len(found) == 4
    # another project's settings (a directory that is no package of this one) do not protect this one's views
    found = _redirects(tmp_path, {"shop/__init__.py": "", "shop/views.py": FORM_VIEWS,
                                  "other/site/settings.py": CSRF_SETTINGS})
    assert found["after_save"]["severity"] == "medium"


POST_ONLY_VIEWS = """
from django.http import HttpResponse, HttpResponseRedirect
from django.views import View
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.mixins import UpdateModelMixin


@require_POST
def after_vote(request):
    return HttpResponseRedirect(request.GET["next"])


@require_http_methods(["POST", "DELETE"])
def after_delete(request):
    return HttpResponseRedirect(request.GET["next"])


def after_anything(request):
    return HttpResponseRedirect(request.GET["next"])


class Upload(View):
    def patch(self, request):
        return HttpResponse("<p>%s</p>" % request.headers["Content-Type"])

    def get(self, request):
        return HttpResponse("<p>%s</p>" % request.GET["q"])


class UploadViewSet(UpdateModelMixin):
    def partial_update(self, request, *args, **kwargs):
        return HttpResponse("<p>%s</p>" % request.GET["offset"])  # (Upload-Offset)
"""


def test_a_reflection_in_a_view_that_answers_only_unsafe_methods_is_low(tmp_path):
    """astrobin (§3y): a tus upload's `patch` echoing a header: no link or cross-site form can make a browser send a
    PATCH with a value of its choosing, so it is low; a view that answers GET keeps the rule's severity, and so does
    a `@require_POST` view redirecting to `?next=` (its form posts to its own URL, the link's query string included:
    newspipe's and Open Humans' true redirects)."""
    files = {"shop/__init__.py": "", "shop/settings.py": CSRF_SETTINGS, "shop/views.py": POST_ONLY_VIEWS}
    found = _redirects(tmp_path, files)
    assert found["after_vote"]["severity"] == "medium" and found["after_anything"]["severity"] == "medium"
    echoes = {f["location"]["line"]: f for f in _scan_tree(tmp_path / "echo", files, "PY402")}
    lines = POST_ONLY_VIEWS.splitlines()
    patch = next(n for n, t in enumerate(lines, 1) if "Content-Type" in t)
    assert echoes[patch]["severity"] == "low" and echoes[patch + 3]["severity"] == "medium"
    checksum = next(n for n, t in enumerate(lines, 1) if "Upload-Offset" in t)
    assert echoes[checksum]["severity"] == "low"  # rest_framework's partial_update answers PATCH


FLASK_APP = """
from flask import Flask
from flask_wtf.csrf import CSRFProtect

app = Flask(__name__)
csrf = CSRFProtect(app)


class TestingConfig:
    WTF_CSRF_ENABLED = False
"""
FLASK_VIEWS = """
from flask import redirect, request

from . import app, csrf


@app.route("/save", methods=["POST"])
def after_save():
    return redirect(request.form["next"])


@app.route("/save-or-link", methods=["GET", "POST"])
def after_save_or_link():
    return redirect(request.values["next"])


@app.route("/hook", methods=["POST"])
@csrf.exempt
def exempt_after_save():
    return redirect(request.form["next"])
"""


def test_a_redirect_only_a_flask_wtf_protected_form_brings_in_is_low(tmp_path):
    """Abilian (§3s): Flask-WTF's `CSRFProtect(app)` checks every unsafe request, as Django's middleware does; a
    test configuration turning it off changes nothing, a deployed one does."""
    found = _redirects(tmp_path, {"shop/__init__.py": FLASK_APP, "shop/views.py": FLASK_VIEWS})
    assert found["after_save"]["severity"] == "low" and "Flask-WTF's CSRF protection" in found["after_save"]["message"]
    assert found["after_save_or_link"]["severity"] == "medium"  # `values` holds the query string too
    assert found["exempt_after_save"]["severity"] == "medium"
    switched_off = FLASK_APP + "\napp.config[\"WTF_CSRF_ENABLED\"] = False\n"
    found = _redirects(tmp_path, {"shop/__init__.py": switched_off, "shop/views.py": FLASK_VIEWS})
    assert found["after_save"]["severity"] == "medium"
    found = _redirects(tmp_path, {"shop/__init__.py": FLASK_APP.replace("csrf = CSRFProtect(app)", ""),
                                        "shop/views.py": FLASK_VIEWS.replace("@csrf.exempt\n", "")})
    assert {f["severity"] for f in found.values()} == {"medium"} and len(found) == 3


def test_a_view_granted_the_sinks_own_capability_is_a_review_source(fixtures_scan):
    """Ajenti (§3k): a file manager's path under `@authorize("filesystem:write")`, a terminal's script under
    `@authorize("terminal:scripts")` are what the permission grants; another permission or another sink family
    (a reflected page) keeps the rule's severity."""
    rel = PRECISION + "granted_views.py"
    found = {(f.location.line, f.rule_id): f for f in fixtures_scan.findings if f.location.path == rel}
    checked = 0
    for number, text in enumerate((FIXTURES.parent / rel).read_text().splitlines(), 1):
        if "# expect: " not in text:
            continue
        rule = text.split("# expect: ")[1].split()[0]
        finding = found[(number, rule)]
        checked += 1
        if "(low review: granted" in text:
            assert finding.severity == Severity.LOW and finding.properties["sourceClass"] == "granted", text
            assert "granted `" in finding.message
        else:
            assert finding.severity in (Severity.MEDIUM, Severity.HIGH), text
            assert finding.properties["sourceClass"] == "caller"
    assert checked == 4


def test_django_routes_say_what_a_views_parameters_hold(fixtures_scan):
    """askbot (§3i): `register(request, ..., redirect_url=None)` is routed by a pattern that captures nothing, so
    its `redirect_url` is no URL data; an `<int:...>` capture or a group of hex digits holds nothing a page can be
    hurt by, while a `<str:...>` capture is the caller's text; a group of word characters, `.`, `@`, `+` and `-`
    (mytardis's user names, §3w) holds no markup but may be `..`, and one that admits a quote stays a page's risk."""
    rel = PRECISION + "route_captures/views.py"
    found = {(f.location.line, f.rule_id) for f in fixtures_scan.findings if f.location.path == rel}
    lines = (FIXTURES.parent / rel).read_text().splitlines()
    expected = {(n, t.split("# expect: ")[1].split()[0]) for n, t in enumerate(lines, 1) if "# expect: " in t}
    quiet = {(n, t.split("# ok: ")[1].split()[0]) for n, t in enumerate(lines, 1) if "# ok: " in t}
    assert expected <= found and not quiet & found and len(quiet) == 6


KPI_AGENTS = '''
import re

from django.http import HttpResponseRedirect


def data(request, location):
    bad_agents = [r"^LibreOffice", r"^Microsoft.Data.Mashup"]
    user_agent = request.headers.get("user-agent")
    if user_agent:
        for pattern in bad_agents:
            if re.match(pattern, user_agent):
                break
    return HttpResponseRedirect(location)
'''


def test_a_pattern_taken_from_a_list_of_patterns_is_no_crash(tmp_path):
    """§3l (KPI's `asset_export_settings.py`): `re.match(pattern, ua)` with `pattern` one of a constant list's members
    (an opaque constant) stopped the Python engine on the whole file (TypeError), losing every finding in it."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "views.py").write_text(KPI_AGENTS)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["scan", str(root), "--engines", "native", "--no-cache", "--format", "json",
                                       "-o", str(out), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert not [n for n in report["notices"] if n["kind"] == "engine-crash"]
    assert [f["rule_id"] for f in report["findings"]] == ["PY403"]


ECHO_VIEWS = """
import json

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


def rename_folder(request):
    return HttpResponse("<p>moved to %s</p>" % request.POST["folder"])


def annotate(request):
    return HttpResponse("<p>%s</p>" % json.loads(request.body)["text"])


def search(request):
    return HttpResponse("<p>%s</p>" % request.GET["q"])


@csrf_exempt
def exempt_rename(request):
    return HttpResponse("<p>moved to %s</p>" % request.POST["folder"])
"""


def test_html_echoing_a_csrf_protected_body_is_low_the_query_string_is_not(tmp_path):
    """Reminiscence (§3v): a view that echoes what its own page POSTed (a form field, a JSON body) behind Django's CSRF
    middleware reflects it only to its sender: no cross-site page can make a victim submit a value of its choosing
    (self-XSS), low; the query string and an exempt view keep the rule's severity."""
    findings = _scan_tree(tmp_path, {"shop/__init__.py": "", "shop/settings.py": CSRF_SETTINGS,
                                     "shop/views.py": ECHO_VIEWS}, "PY402")
    views = ECHO_VIEWS.splitlines()
    found = {next(views[n - 1 - i].split("(")[0][4:] for i in range(n) if views[n - 1 - i].startswith("def ")): f
             for f in findings for n in [f["location"]["line"]]}
    assert found["rename_folder"]["severity"] == "low" and "CSRF middleware on" in found["rename_folder"]["message"]
    assert found["annotate"]["severity"] == "low"
    assert found["search"]["severity"] == "medium" and found["exempt_rename"]["severity"] == "medium"
