"""Isolation between functions: VPC, IAM wildcards, admin policies, shared roles, open resource policies
(rules IAC110-IAC115)."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ....links import FUNCTION_TYPES
from ..context import IacContext
from ..loader import PList
from ....model import Location, Related
from ..model import UNKNOWN, Resource, Template, as_list, is_intrinsic, is_no_value, literal, position
from ..registry import iac_check


@iac_check("IAC110")
def lambda_without_vpc(template: Template, ctx: IacContext) -> None:
    for fn in template.of_type(*FUNCTION_TYPES):
        vpc = fn.props.get("VpcConfig")
        if vpc is not None and not is_no_value(vpc):
            subnets = vpc.get("SubnetIds") if isinstance(vpc, dict) and not is_intrinsic(vpc) else UNKNOWN
            if subnets is UNKNOWN or subnets is None or subnets != []:
                continue
        ctx.report(fn, f"Insufficient isolation between Lambda functions (ECOM-1): `{fn.logical_id}` runs outside "
                       "any VPC, so no security group limits what it can reach or what can reach it.")


# --- policy documents -----------------------------------------------------------------------------------------

def policy_documents(template: Template) -> Iterator[tuple[Resource, Any]]:
    """(resource, policy document) for every identity and resource policy the template writes inline."""
    for r in template.resources.values():
        p = r.props
        if r.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy",
                      "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield r, p.get("PolicyDocument")
        elif r.type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for item in as_list(p.get("Policies")):
                if isinstance(item, dict):
                    yield r, item.get("PolicyDocument")
        elif r.type == "AWS::Serverless::Function":
            policies = p.get("Policies")
            items = policies if isinstance(policies, list) else [policies]
            for item in items:
                if isinstance(item, dict) and "Statement" in item:
                    yield r, item


def statements(document: Any) -> Iterator[dict]:
    if not isinstance(document, dict) or is_intrinsic(document):
        return
    stmts = document.get("Statement")
    for s in (stmts if isinstance(stmts, list) else [stmts]):
        if isinstance(s, dict) and not is_intrinsic(s):
            yield s


def _strings(container: dict, key: str, template: Template) -> list[tuple[Any, Any, Any]]:
    """[(value, container, key-or-index)] for a string-or-list property, each with where it sits."""
    value = container.get(key)
    if isinstance(value, PList):
        return [(literal(v, template), value, i) for i, v in enumerate(value)]
    if value is None:
        return []
    return [(literal(value, template), container, key)]


def _allows(stmt: dict, template: Template) -> bool:
    return literal(stmt.get("Effect"), template) == "Allow"


@iac_check("IAC111")
def iam_wildcard_action(template: Template, ctx: IacContext) -> None:
    for resource, doc in policy_documents(template):
        if resource.type in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            continue  # resource policies: IAC115
        for stmt in statements(doc):
            if not _allows(stmt, template):
                continue
            if "NotAction" in stmt:
                ctx.report(resource, f"Insufficient isolation between Lambda functions (ECOM-1): `{resource.logical_id}` "
                                     "allows every action except a few (`NotAction` with `Allow`).",
                           container=stmt, key="NotAction")
                continue
            for action, where, key in _strings(stmt, "Action", template):
                if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                    what = "every action on every service" if action == "*" else f"every `{action.split(':')[0]}` action"
                    ctx.report(resource, f"Insufficient isolation between Lambda functions (ECOM-1): `{resource.logical_id}` "
                                         f"allows {what} (`{action}`).", container=where, key=key)


SENSITIVE_ACTIONS = re.compile(
    r"^(\*|lambda:(\*|invoke|update|create|delete|add)|s3:(\*|put|delete|getobject)|dynamodb:(\*|put|delete|update|"
    r"batchwrite|getitem|batchget|query|scan)|iam:|sts:assumerole|secretsmanager:(\*|getsecretvalue)|kms:(\*|decrypt)|"
    r"ssm:(\*|getparameter)|sqs:(\*|sendmessage|receivemessage|deletemessage)|sns:(\*|publish)|rds-db:connect|ec2:\*)",
    re.I,
)


@iac_check("IAC112")
def iam_wildcard_resource(template: Template, ctx: IacContext) -> None:
    for resource, doc in policy_documents(template):
        if resource.type in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            continue
        for stmt in statements(doc):
            if not _allows(stmt, template) or "NotAction" in stmt:
                continue
            actions = [a for a, _, _ in _strings(stmt, "Action", template) if isinstance(a, str)]
            sensitive = [a for a in actions if SENSITIVE_ACTIONS.match(a) or SENSITIVE_ACTIONS.match(a.replace("*", ""))]
            if not sensitive:
                continue
            for res, where, key in _strings(stmt, "Resource", template):
                if res == "*":
                    ctx.report(resource, f"Insufficient isolation between Lambda functions (ECOM-1): `{resource.logical_id}` "
                                         f"allows `{sensitive[0]}` on every resource (`Resource: '*'`).",
                               container=where, key=key)
                    break


ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


def _managed_policy_name(value: Any) -> str | None:
    text = value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
    if not isinstance(text, str):
        return None
    name = text.rsplit("/", 1)[-1]
    if name in ADMIN_POLICIES and (text == name or ":iam::aws:policy/" in text):
        return name
    return None


@iac_check("IAC113")
def admin_managed_policy(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        if r.type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            key = "ManagedPolicyArns"
        elif r.type == "AWS::Serverless::Function":
            key = "Policies"
        else:
            continue
        value = r.props.get(key)
        items = list(enumerate(value)) if isinstance(value, PList) else [(None, value)]
        for i, item in items:
            name = _managed_policy_name(item)
            if name:
                ctx.report(r, f"Insufficient isolation between Lambda functions (ECOM-1): `{r.logical_id}` has the "
                              f"AWS managed policy `{name}`, far beyond what one function needs.",
                           container=value if i is not None else r.props, key=i if i is not None else key)


_ROLE_NAME = re.compile(r":role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)\Z")


def role_key(value: Any, template: Template) -> str | None:
    """What names a function's execution role, comparable between functions: `role:NAME` for a literal ARN (also
    inside `Fn::Sub` when the name itself is literal), `import:EXPORT` for `Fn::ImportValue`, `resource:ID` for a
    Ref/GetAtt of the template's own role; None when unknown. `role:` and `import:` keys mean the same role in
    every file, so they are compared across files too."""
    v = literal(value, template)
    text = v if isinstance(v, str) else None
    if text is None and isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str) and len(value) == 1:
        text = value["Fn::Sub"]
    if isinstance(text, str):
        m = _ROLE_NAME.search(text)
        if m and "${" not in m.group(1):
            return f"role:{m.group(1)}"
        return text if v is text else None
    if isinstance(value, dict) and len(value) == 1:
        (k, arg), = value.items()
        if k == "Fn::GetAtt" and isinstance(arg, list) and arg:
            return f"resource:{arg[0]}"
        if k == "Ref" and isinstance(arg, str):
            return f"resource:{arg}"
        if k == "Fn::ImportValue" and isinstance(literal(arg, template), str):
            return f"import:{literal(arg, template)}"
    return None


def _shared_across_files(key: str) -> bool:
    return key.startswith(("role:", "import:"))


def collect_role_users(template: Template, options: dict[str, Any]) -> None:
    """Run by the engines' prepare over every template and CDK file: remember each function whose role is named
    the same way in every file, so IAC114 sees a role shared by functions in different files (scan_file runs
    per file, possibly in another process: only what prepare stored in the scan options is shared)."""
    users = options.setdefault("iac_role_users", {})
    for fn in template.of_type(*FUNCTION_TYPES):
        key = role_key(fn.props.get("Role"), template)
        if key and _shared_across_files(key):
            line, col = position(fn.props, "Role")[:2]
            users.setdefault(key, []).append((template.rel, fn.logical_id, line, col, fn.cdk_path is not None))


def _role_label(key: str) -> str:
    label = key.split(":", 1)[1] if key.startswith(("resource:", "role:", "import:")) else key
    label = re.sub(r"@\d+(:\d+)?$", "", label)  # a CDK construct id with its position
    return label.removeprefix("python:")


@iac_check("IAC114")
def shared_execution_role(template: Template, ctx: IacContext) -> None:
    users: dict[str, list[Resource]] = {}
    for fn in template.of_type(*FUNCTION_TYPES):
        key = role_key(fn.props.get("Role"), template)
        if key:
            users.setdefault(key, []).append(fn)
    everywhere = ctx.scan.options.get("iac_role_users", {})
    for key, fns in users.items():
        # Other files: a synthesized template (cdk.out) is compared only with other synthesized templates, so a
        # CDK app and its own synth output are never counted twice.
        synthesized = fns[0].cdk_path is not None
        elsewhere = [u for u in everywhere.get(key, ()) if u[0] != template.rel and u[4] == synthesized] \
            if _shared_across_files(key) else []
        if len(fns) + len(elsewhere) < 2:
            continue
        role = _role_label(key)
        for fn in fns:
            others = [f"`{o.logical_id}`" for o in fns if o is not fn] + [f"`{u[1]}` ({u[0]})" for u in elsewhere]
            related = [Related(Location(u[0], u[2], u[3]), f"`{u[1]}` uses the same role here") for u in elsewhere[:5]]
            ctx.report(fn, f"Insufficient isolation between Lambda functions (ECOM-1): `{fn.logical_id}` shares its "
                           f"execution role `{role}` with {', '.join(others[:3])}{' and more' if len(others) > 3 else ''}; "
                           "a flaw in one function gets the permissions of all.",
                       container=fn.props, key="Role", related=related)


def _any_principal(principal: Any, template: Template) -> bool:
    if literal(principal, template) == "*":
        return True
    if isinstance(principal, dict) and not is_intrinsic(principal):
        aws = principal.get("AWS")
        return any(literal(a, template) == "*" for a in as_list(aws))
    return False


@iac_check("IAC115")
def resource_policy_any_principal(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        p = r.props
        if r.type == "AWS::Lambda::Permission":
            if literal(p.get("FunctionUrlAuthType"), template) == "NONE":
                ctx.report(r, f"Insufficient isolation between Lambda functions (ECOM-1): `{r.logical_id}` lets anyone "
                              "invoke the function through its URL without authentication.",
                           container=p, key="FunctionUrlAuthType")
            elif literal(p.get("Principal"), template) == "*" and not any(
                    k in p for k in ("SourceArn", "SourceAccount", "PrincipalOrgID")):
                ctx.report(r, f"Insufficient isolation between Lambda functions (ECOM-1): `{r.logical_id}` lets any "
                              "principal invoke the function.", container=p, key="Principal")
        elif r.type == "AWS::Lambda::Url" or (r.type == "AWS::Serverless::Function" and isinstance(p.get("FunctionUrlConfig"), dict)):
            where = p if r.type == "AWS::Lambda::Url" else p["FunctionUrlConfig"]
            if literal(where.get("AuthType"), template) == "NONE":
                ctx.report(r, f"Insufficient isolation between Lambda functions (ECOM-1): `{r.logical_id}` has a "
                              "function URL anyone can call without authentication (`AuthType: NONE`).",
                           container=where, key="AuthType")
        elif r.type in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            for stmt in statements(p.get("PolicyDocument")):
                if _allows(stmt, template) and _any_principal(stmt.get("Principal"), template) and "Condition" not in stmt:
                    ctx.report(r, f"Insufficient isolation between Lambda functions (ECOM-1): `{r.logical_id}` allows "
                                  "any principal, without a condition.", container=stmt, key="Principal")
