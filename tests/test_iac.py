"""CloudFormation/SAM/CDK: hostile and odd input, linking to handlers, SARIF with related locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, validate_multitool, validate_schema
from threatscan.report.sarif import build_log
from threatscan.scan import ScanOptions, run_scan

BOMB = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: AWS::SNS::Topic\n" + (
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
)


def scan(tmp_path: Path, catalog, files: dict[str, str], select: tuple[str, ...] = ()):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path, select=select), catalog)


def test_alias_bomb_is_refused_before_it_is_expanded(tmp_path, catalog):
    result = scan(tmp_path, catalog, {"bomb.yaml": BOMB})
    assert [n.kind for n in result.notices] == ["parse-error"]
    assert "alias" in result.notices[0].message


@pytest.mark.parametrize("text, expected", [
    ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: [\n", "not valid YAML"),
    ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties: !Evil {}\n", "unknown tag '!Evil'"),
])
def test_bad_templates_give_a_notice_and_the_scan_goes_on(tmp_path, catalog, text, expected):
    result = scan(tmp_path, catalog, {"bad.yaml": text, "good.yaml": GOOD}, select=("IAC101",))
    assert any(expected in n.message and n.path == "bad.yaml" for n in result.notices)
    assert {f.rule_id for f in result.findings if f.location.path == "good.yaml"} == {"IAC101"}


GOOD = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      KmsKeyArn: arn:aws:kms:eu-west-1:111122223333:key/abc
      Environment:
        Variables:
          API_KEY: 'kP9vX2mQ7wR4tY8z'
"""


def test_duplicate_keys_are_reported(tmp_path, catalog):
    text = GOOD.replace("      Runtime: nodejs20.x\n", "      Runtime: nodejs20.x\n      Runtime: nodejs18.x\n")
    result = scan(tmp_path, catalog, {"dup.yaml": text})
    assert [(n.kind, n.line) for n in result.notices] == [("duplicate-key", 7)]


def test_json_template_has_real_lines(tmp_path, catalog):
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Fn": {"Type": "AWS::Lambda::Function",
           "Properties": {"KmsKeyArn": "k", "Environment": {"Variables": {"API_KEY": "kP9vX2mQ7wR4tY8z"}}}}}}
    result = scan(tmp_path, catalog, {"t.template": json.dumps(doc, indent=2)}, select=("IAC1*",))
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("IAC110", 4), ("IAC101", 10)]
    assert "kP9vX2mQ7wR4tY8z" not in json.dumps([f.snippet + f.message for f in result.findings])


def test_other_yaml_is_skipped_quietly(tmp_path, catalog):
    result = scan(tmp_path, catalog, {
        "k8s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {password: hunter2hunter2}\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres\n    environment: {POSTGRES_PASSWORD: x}\n",
    })
    assert result.findings == [] and result.notices == []


def test_ten_thousand_resources(tmp_path, catalog):
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for i in range(10_000):
        lines += [f"  Q{i}:", "    Type: AWS::SNS::Topic", "    Properties:", f"      TopicName: t{i}"]
    lines += ["  Open:", "    Type: AWS::S3::Bucket", "    Properties:", "      AccessControl: PublicReadWrite"]
    result = scan(tmp_path, catalog, {"big.yaml": "\n".join(lines) + "\n"})
    assert not [n for n in result.notices if n.level == "error" or n.kind == "parse-error"]
    assert any(f.location.path == "big.yaml" for f in result.findings), "read in full, not refused for its size"


def test_unresolvable_handler_is_a_note(fixtures_scan):
    notes = [n for n in fixtures_scan.notices if n.kind == "unlinked-handler" and "MissingFunction" in n.message]
    assert notes and notes[0].path == "fixtures/apps/shop/template.yaml" and notes[0].line == 22


def test_app_links_template_to_handler(fixtures_scan, catalog, tmp_path):
    app = [f for f in fixtures_scan.findings if f.location.path.startswith("fixtures/apps/shop/")]
    defined = [f for f in app if f.rule_id == "IAC101" and f.location.path.endswith("template.yaml")]
    assert defined and defined[0].related[0].location.path == "fixtures/apps/shop/src/orders/app.py"
    assert defined[0].related[0].location.line == 5
    cdk = [f for f in app if f.rule_id == "IAC101" and f.location.path.endswith("infra/stack.py")]
    assert [r.location.path for r in cdk[0].related] == ["fixtures/apps/shop/src/orders/app.py"]
    synthesized = [f for f in app if f.location.path.endswith("ShopStack.template.json") and f.rule_id == "IAC101"]
    assert synthesized[0].properties["cdkPath"] == "ShopStack/OrdersFunction/Resource"
    assert [(r.location.path, r.location.line) for r in synthesized[0].related] == [("fixtures/apps/shop/infra/stack.py", 13)]
    shell = [f for f in app if f.rule_id == "PY101"]
    assert shell and shell[0].properties.get("lambdaHandler") == "lambda_handler"
    log = build_log(app, [], [catalog.rules[f.rule_id] for f in app], catalog)
    results = log["runs"][0]["results"]
    assert any(r.get("relatedLocations") for r in results)
    assert validate_schema(log) == []
    out = tmp_path / "app.sarif"
    out.write_text(json.dumps(log))
    validate_multitool(out)


def test_cdk_handlers_are_linked(fixtures_scan):
    thumbs = [f for f in fixtures_scan.findings if f.location.path == "fixtures/apps/shop/src/thumbs/thumbs.py"]
    assert [(f.rule_id, f.properties.get("lambdaHandler")) for f in thumbs] == [("PY104", "handler")]
    assert not [n for n in fixtures_scan.notices if n.path == "fixtures/apps/shop/infra/stack.py"]


APP_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          DB_PASSWORD: "Sh0p-Db-Pa55word!"
"""
APP_HANDLER = 'import os\n\n\ndef handler(event, context):\n    return os.environ["DB_PASSWORD"]\n'


@pytest.mark.parametrize("select, expected", [
    ((), [("IAC101", "template.yaml", 11)]),  # one finding, at the definition (the read is its related location)
    (("IAC101", "PY201"), [("IAC101", "template.yaml", 11)]),
    (("PY201",), [("PY201", "src/app.py", 5)]),  # IAC101 does not run: the read is reported, not swallowed
    (("PY2*",), [("PY201", "src/app.py", 5)]),
])
def test_env_correlation_follows_select(tmp_path, catalog, select, expected):
    result = scan(tmp_path, catalog, {"template.yaml": APP_TEMPLATE, "src/app.py": APP_HANDLER},
                  select=select or ("IAC101", "PY201", "PY202", "IAC110"))
    got = [(f.rule_id, f.location.path, f.location.line) for f in result.findings if f.rule_id in ("IAC101", "PY201")]
    assert got == expected


CDK_ENV_STACK = '''from aws_cdk import aws_lambda as _lambda


def stack(scope):
    _lambda.Function(scope, "Orders", runtime=_lambda.Runtime.PYTHON_3_12, handler="app.handler",
                     code=_lambda.Code.from_asset("src"),
                     environment={"DB_PASSWORD": "Xk9#mQ2v!pL7zR4w"})
'''


@pytest.mark.parametrize("select, expected", [
    (("IAC101", "PY202"), [("IAC101", 7)]),  # one literal, one finding: the more specific IAC101
    (("PY202",), [("PY202", 7)]),  # IAC101 does not run: the Python rule keeps the literal
])
def test_cdk_environment_secret_is_reported_once(tmp_path, catalog, select, expected):
    result = scan(tmp_path, catalog, {"stack.py": CDK_ENV_STACK}, select=select)
    assert [(f.rule_id, f.location.line) for f in result.findings] == expected
    assert all("Xk9#" not in (f.snippet or "") + f.message for f in result.findings)


def test_shared_role_across_files_when_one_file_is_scanned(tmp_path, catalog):
    """prepare sees the whole repository, so a role shared with a function in another file is found even when
    only one file is scanned (a pre-commit file list)."""
    template = ("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
                "      Handler: a.b\n      Code: {{S3Bucket: b, S3Key: k}}\n      Role: arn:aws:iam::111122223333:role/{}\n")
    for name, role in (("a.yaml", "shop-lambda"), ("b.yaml", "shop-lambda"), ("c.yaml", "other")):
        (tmp_path / name).write_text(template.format(role))
    for path, count in (("a.yaml", 1), ("c.yaml", 0)):
        result = run_scan(ScanOptions(paths=[str(tmp_path / path)], root=tmp_path, select=("IAC114",)), catalog)
        assert len(result.findings) == count
    result = run_scan(ScanOptions(paths=[str(tmp_path / "a.yaml")], root=tmp_path, select=("IAC114",)), catalog)
    assert [(r.location.path, r.location.line) for r in result.findings[0].related] == [("b.yaml", 8)]


def test_linking_parse_keeps_functions_exactly():
    """prepare parses templates for linking with only their functions built: the same functions, positions and
    values as the full parse; other resources left out; merge keys fall back to the full parse."""
    from threatscan.lang.iac.loader import load_template
    from threatscan.lang.iac.model import build_template

    text = (FIXTURES / "cloudformation" / "sam_secrets.yaml").read_text()
    full = build_template("t.yaml", load_template(text)[0])
    lite = build_template("t.yaml", load_template(text, frozenset({"AWS::Serverless::Function"}))[0])
    functions = {k for k, r in full.resources.items() if r.type == "AWS::Serverless::Function"}
    assert functions and set(lite.resources) == functions
    for name in functions:
        a, b = full.resources[name], lite.resources[name]
        assert (a.props, a.props.key_pos, a.props.val_pos, a.id_pos) == (b.props, b.props.key_pos, b.props.val_pos, b.id_pos)
    merged = "Resources:\n  Base: &b {Type: AWS::SNS::Topic}\n  Other:\n    <<: *b\n"
    assert set(load_template(merged, frozenset({"AWS::Lambda::Function"}))[0]["Resources"]) == {"Base", "Other"}


def test_templates_only_repository_links_when_scanned(tmp_path, catalog):
    """Without Python code nothing needs the links before the scan: the template is parsed once and its
    unresolved handler is still a note, at the same line, whether the repository has Python code or not."""
    template = APP_TEMPLATE.replace("CodeUri: src/", "CodeUri: missing/")
    alone = scan(tmp_path / "alone", catalog, {"template.yaml": template}, select=("IAC101",))
    beside = scan(tmp_path / "beside", catalog, {"template.yaml": template, "tool.py": "print(1)\n"}, select=("IAC101",))
    notes = [[(n.kind, n.line, n.message) for n in r.notices if n.kind == "unlinked-handler"] for r in (alone, beside)]
    assert notes[0] == notes[1] and len(notes[0]) == 1 and notes[0][0][1] == 7
    assert [f.rule_id for f in alone.findings] == ["IAC101"]


CDK_NON_ASCII = '''from aws_cdk import Stack
from aws_cdk import aws_lambda as _lambda


class Störe(Stack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        fünktion = _lambda.Function(self, "Fn", runtime=_lambda.Runtime.PYTHON_3_12, handler="index.handler", code=_lambda.Code.from_inline("import os\\ndef handler(event, context):\\n    os.system(event['cmd'])\\n"), environment={"DB_PASSWORD": "s3cr3t-Pa55w0rd!"})
'''


def test_cdk_columns_count_code_points(tmp_path, catalog):
    """CDK findings (and inline code mapped back into the app) point at their expression in characters, also after
    an accented name on the line; the environment secret is still reported once, by IAC101."""
    (tmp_path / "app.py").write_text(CDK_NON_ASCII, encoding="utf-8")
    result = run_scan(ScanOptions(paths=[str(tmp_path)], root=tmp_path), catalog)
    line = CDK_NON_ASCII.splitlines()[7]
    assert not line.isascii()
    found = {f.rule_id: f.location for f in result.findings}
    assert found["IAC110"].column == line.index("_lambda.Function(") + 1
    assert line[found["IAC101"].column - 1:found["IAC101"].end_column - 1] == '"DB_PASSWORD"'
    assert found["PY102"].column == line.index('"import os') + 1
    assert "PY202" not in found


NODE_INLINE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs20.x
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: |
        exports.handler = async (event) => { return { statusCode: 200, body: eval(event.body) }; };
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      InlineCode: |
        def handler(event, context):
            return eval(event["body"])
"""


def test_inline_code_is_parsed_by_its_runtime(tmp_path, catalog):
    """issue 14: a Node.js inline function was parsed as Python and reported 'not analysed' (a parse error)."""
    from threatscan.scan import ScanOptions, run_scan

    (tmp_path / "template.yaml").write_text(NODE_INLINE)
    result = run_scan(ScanOptions(paths=[str(tmp_path)]), catalog)
    assert not [n for n in result.notices if n.kind == "parse-error"]
    [skipped] = [n for n in result.notices if n.kind == "other-language"]
    assert "Hello" in skipped.message and "nodejs20.x" in skipped.message and skipped.line == 12
    py = [f for f in result.findings if f.rule_id.startswith("PY")]
    assert [(f.rule_id, f.location.line) for f in py] == [("PY104", 20)], "the Python function is still analysed"
    assert all(step.location.line in (19, 20) for step in py[0].flow), "flow steps point into the template"


# --- issue 16: conditions, evidence and defaults the messages must state --------------------------------------

def _at(scan, name: str, rule: str) -> list:
    return [f for f in scan.findings if f.location.path.endswith(name) and f.rule_id == rule]


def test_fn_if_branches_are_evaluated_and_the_condition_is_named(fixtures_scan):
    (ssh,) = _at(fixtures_scan, "cloudformation/conditions.yaml", "IAC150")
    assert "`IsDev` is true" in ssh.message and ssh.properties["condition"] == {"name": "IsDev", "value": True}
    # both branches private (10.1/10.2): nothing; both branches true (validation): nothing either
    assert not _at(fixtures_scan, "cloudformation/conditions.yaml", "IAC160")


def test_fn_if_same_finding_in_both_branches_is_reported_without_a_condition(tmp_path, catalog):
    (tmp_path / "t.yaml").write_text("""AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  Big: !Equals [!Ref "AWS::Region", eu-west-1]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: !If [Big, 22, 3389]
          ToPort: !If [Big, 22, 3389]
          CidrIp: 0.0.0.0/0
""")
    (f,) = [f for f in run_scan(ScanOptions(paths=[str(tmp_path)]), catalog).findings if f.rule_id == "IAC150"]
    assert "condition" not in f.message and "condition" not in f.properties


def test_documentation_example_keys_are_low_and_real_ones_high(fixtures_scan):
    found = {f.location.line: f for f in _at(fixtures_scan, "cloudformation/template_secrets.yaml", "IAC105")}
    assert found[24].severity.label == "low" and "example" in found[24].message
    assert found[20].severity.label == "high" and "AKIA" not in found[20].snippet  # redacted
    assert all("Sup3rS3cretPw" not in f.snippet + f.message for f in found.values())


def test_queue_and_topic_messages_say_which_default_applies(fixtures_scan):
    (topic,) = _at(fixtures_scan, "cloudformation/encryption.yaml", "IAC146")
    assert "SNS does not encrypt topics by default" in topic.message
    queues = [f for f in fixtures_scan.findings if f.rule_id == "IAC146" and "queue" in f.message]
    assert queues and all("SSE-SQS" in f.message for f in queues)


def test_a_cidr_parameter_defaulting_to_the_world_is_a_low_review_finding(fixtures_scan):
    found = [f for f in _at(fixtures_scan, "cloudformation/network_breadth.yaml", "IAC150") if "SSHLocation" in f.message]
    assert len(found) == 1 and found[0].evidence == "review" and found[0].severity.label == "low"


# --- CDK: constructor arguments across files ---------------------------------------------------------------------
def _ctor_app(tmp_path: Path, catalog, payments_role: str = "role=shared", logs: str = "logs=self.access_logs") -> dict[str, list]:
    app = FIXTURES / "cdk" / "ctor_args"
    files = {f"app/{p.name}": p.read_text() for p in app.glob("*.py")}
    stack = files["app/app_stack.py"]
    files["app/app_stack.py"] = stack.replace('role=shared)', payments_role + ")").replace("logs=self.access_logs", logs)
    files["app/__init__.py"] = ""
    result = scan(tmp_path, catalog, files, select=("IAC114", "IAC162"))
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.rule_id, []).append((f.location.path, f.location.line))
    return out


def test_a_role_handed_to_constructs_in_other_files_is_one_role(tmp_path, catalog):
    found = _ctor_app(tmp_path, catalog)
    assert sorted(found.get("IAC114", [])) == [("app/orders_service.py", 13), ("app/payments_service.py", 12)]
    assert "IAC162" not in found  # the stack's bucket receives the orders bucket's access logs: a log bucket


def test_a_role_of_its_own_at_one_call_site_is_not_shared(tmp_path, catalog):
    found = _ctor_app(tmp_path, catalog, payments_role='role=iam.Role(self, "PaymentsRole", assumed_by=None)')
    assert "IAC114" not in found


def test_a_bucket_handed_to_another_file_and_made_public_there(tmp_path, catalog):
    app = FIXTURES / "cdk" / "ctor_args"
    files = {f"app/{p.name}": p.read_text() for p in app.glob("*.py")}
    files["app/__init__.py"] = ""
    (f,) = scan(tmp_path, catalog, files, select=("IAC115",)).findings
    assert (f.location.path, f.location.line) == ("app/site_service.py", 9) and "`SiteAssets" in f.message
    # a receiver nobody hands a bucket to is not guessed at
    files["app/app_stack.py"] = files["app/app_stack.py"].replace('SiteService(self, "Site", assets=site_assets)', "")
    assert not scan(tmp_path, catalog, files, select=("IAC115",)).findings


def test_a_bucket_nobody_logs_into_still_needs_access_logs(tmp_path, catalog):
    found = _ctor_app(tmp_path, catalog, logs='logs=s3.Bucket(self, "OtherLogs")')
    # the stack's own bucket now receives nothing: reported; the new bucket is a log bucket
    assert found["IAC162"] == [("app/app_stack.py", 18)]


TWO_STACKS = '''from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as _lambda


class EuStack(Stack):
    def __init__(self, scope, construct_id):
        super().__init__(scope, construct_id)
        role = iam.Role(self, "ServiceRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        _lambda.Function(self, "Fn", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",
                         code=_lambda.Code.from_asset("a"), role=role)


class UsStack(Stack):
    def __init__(self, scope, construct_id):
        super().__init__(scope, construct_id)
        role = iam.Role(self, "ServiceRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        _lambda.Function(self, "Fn", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",
                         code=_lambda.Code.from_asset("a"), role=role)
'''


def test_two_stacks_of_one_file_with_the_same_role_id_do_not_share_it(tmp_path, catalog):
    assert not scan(tmp_path, catalog, {"stacks.py": TWO_STACKS}, select=("IAC114",)).findings
    shared = TWO_STACKS.replace('''        role = iam.Role(self, "ServiceRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        _lambda.Function(self, "Fn", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",
                         code=_lambda.Code.from_asset("a"), role=role)
''', '''        role = iam.Role(self, "ServiceRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        _lambda.Function(self, "A", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",
                         code=_lambda.Code.from_asset("a"), role=role)
        _lambda.Function(self, "B", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",
                         code=_lambda.Code.from_asset("a"), role=role)
''', 1)
    assert len(scan(tmp_path, catalog, {"stacks.py": shared}, select=("IAC114",)).findings) == 2


CHAIN_APP = {'app/__init__.py': '',
 'app/inner.py': 'from aws_cdk import aws_lambda as _lambda\n'
                 'from constructs import Construct\n'
                 '\n'
                 '\n'
                 'class Inner(Construct):\n'
                 '    def __init__(self, scope, construct_id, role):\n'
                 '        super().__init__(scope, construct_id)\n'
                 '        _lambda.Function(self, "Deep", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",\n'
                 '                         code=_lambda.Code.from_asset("a"), role=role)\n',
 'app/outer.py': 'from aws_cdk import aws_lambda as _lambda\n'
                 'from constructs import Construct\n'
                 'from .inner import Inner\n'
                 '\n'
                 '\n'
                 'class Outer(Construct):\n'
                 '    def __init__(self, scope, construct_id, *, role):\n'
                 '        super().__init__(scope, construct_id)\n'
                 '        Inner(self, "Inner", role)\n',
 'app/stack.py': 'from aws_cdk import Stack\n'
                 'from aws_cdk import aws_iam as iam\n'
                 'from aws_cdk import aws_lambda as _lambda\n'
                 'from app.outer import Outer\n'
                 '\n'
                 '\n'
                 'class AppStack(Stack):\n'
                 '    def __init__(self, scope, construct_id):\n'
                 '        super().__init__(scope, construct_id)\n'
                 '        self.role = iam.Role(self, "AppRole", '
                 'assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))\n'
                 '        Outer(self, "Outer", role=self.role)\n'
                 '        _lambda.Function(self, "Direct", runtime=_lambda.Runtime.PYTHON_3_12, handler="a.h",\n'
                 '                         code=_lambda.Code.from_asset("a"), role=self.role)\n'}


def test_a_role_handed_down_a_chain_of_constructors_and_kept_on_self(tmp_path, catalog):
    """stack.py keeps the role on `self` and hands it to Outer (outer.py), which hands it on to Inner (inner.py)."""
    result = scan(tmp_path, catalog, CHAIN_APP, select=("IAC114",))
    assert sorted((f.location.path, f.location.line) for f in result.findings) == [("app/inner.py", 9), ("app/stack.py", 13)]
    assert all("`AppRole`" in f.message for f in result.findings)
