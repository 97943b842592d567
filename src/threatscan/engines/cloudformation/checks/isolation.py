"""Isolation between functions: VPC, IAM wildcards, admin policies, shared roles, open resource policies
(rules IAC110-IAC115)."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ....links import FUNCTION_TYPES
from ..context import IacContext
from ....lang.iac.loader import PDict, PList
from ....model import Location, Related, Severity
from ....lang.iac.model import UNKNOWN, Resource, Template, as_list, is_intrinsic, is_no_value, literal, position
from ..registry import iac_check


@iac_check("IAC110")
def lambda_without_vpc(template: Template, ctx: IacContext) -> None:
    for fn in template.of_type(*FUNCTION_TYPES):
        vpc = fn.props.get("VpcConfig")
        if vpc is not None and not is_no_value(vpc):
            subnets = vpc.get("SubnetIds") if isinstance(vpc, dict) and not is_intrinsic(vpc) else UNKNOWN
            if subnets is UNKNOWN or subnets is None or subnets != []:
                continue
        ctx.report(fn, f"`{fn.logical_id}` runs outside "
                       "any VPC, so no security group limits what it can reach or what can reach it.")


# --- policy documents -----------------------------------------------------------------------------------------

def policy_documents(template: Template) -> Iterator[tuple[Resource, Any]]:
    """(resource, policy document) for every identity and resource policy the template writes inline."""
    for r in template.resources.values():
        p = r.props
        if r.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy",
                      "AWS::IAM::GroupPolicy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
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


RESOURCE_POLICIES = ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy")


def _identity_grants(template: Template) -> Iterator[tuple[Resource, dict]]:
    """(resource, statement) for each `Allow` statement with an `Action` list (no `NotAction`) of an identity policy
    (a role's, a user's, a managed policy: not a bucket, queue or topic policy)."""
    for resource, doc in policy_documents(template):
        if resource.type in RESOURCE_POLICIES:
            continue
        for stmt in statements(doc):
            if _allows(stmt, template) and "NotAction" not in stmt:
                yield resource, stmt


def _principal_label(principal: Any, template: Template) -> str:
    if literal(principal, template) == "*":
        return "any principal"
    if isinstance(principal, dict) and not is_intrinsic(principal):
        names = []
        for kind, value in principal.items():
            for v in as_list(value):
                v = literal(v, template)
                names.append(f"`{v}`" if isinstance(v, str) else f"a {kind} principal")
        if names:
            return ", ".join(names[:2]) + (" and more" if len(names) > 2 else "")
    return "the principal"


@iac_check("IAC111")
def iam_wildcard_action(template: Template, ctx: IacContext) -> None:
    for resource, doc in policy_documents(template):
        if resource.type in RESOURCE_POLICIES:
            if resource.type != "AWS::S3::BucketPolicy":
                continue  # queue and topic policies: IAC115 (any principal)
            # A bucket policy that grants every S3 action: the grantee may delete the bucket's data, rewrite
            # its policy and ACLs. Deny statements with `s3:*` (the usual TLS-only guard) are not grants.
            for stmt in statements(doc):
                if not _allows(stmt, template):
                    continue
                for action, where, key in _strings(stmt, "Action", template):
                    if action in ("*", "s3:*"):
                        who = _principal_label(stmt.get("Principal"), template)
                        ctx.report(resource, f"Over-broad bucket policy: `{resource.logical_id}` "
                                             f"grants {who} every S3 action (`{action}`), including deleting objects "
                                             "and rewriting the bucket's policy.", container=where, key=key)
            continue
        for stmt in statements(doc):
            if not _allows(stmt, template):
                continue
            if "NotAction" in stmt:
                ctx.report(resource, f"`{resource.logical_id}` "
                                     "allows every action except a few (`NotAction` with `Allow`).",
                           container=stmt, key="NotAction")
                continue
            for action, where, key in _strings(stmt, "Action", template):
                if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                    what = "every action on every service" if action == "*" else f"every `{action.split(':')[0]}` action"
                    ctx.report(resource, f"`{resource.logical_id}` "
                                         f"allows {what} (`{action}`).", container=where, key=key)


SENSITIVE_ACTIONS = re.compile(
    r"^(\*|lambda:(\*|invoke|update|create|delete|add)|s3:(\*|put|delete|getobject)|dynamodb:(\*|put|delete|update|"
    r"batchwrite|getitem|batchget|query|scan)|iam:|sts:assumerole|secretsmanager:(\*|getsecretvalue)|kms:(\*|decrypt)|"
    r"ssm:(\*|getparameter)|sqs:(\*|sendmessage|receivemessage|deletemessage)|sns:(\*|publish)|rds-db:connect|ec2:\*)",
    re.I,
)


# SAM policy templates and the parameter that names the resource they grant access to.
SAM_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": "TableName", "DynamoDBReadPolicy": "TableName", "DynamoDBWritePolicy": "TableName",
    "DynamoDBReconfigurePolicy": "TableName", "DynamoDBRestoreFromBackupPolicy": "TableName",
    "DynamoDBStreamReadPolicy": "TableName", "DynamoDBBackupFullAccessPolicy": "TableName",
    "S3CrudPolicy": "BucketName", "S3ReadPolicy": "BucketName", "S3WritePolicy": "BucketName",
    "S3FullAccessPolicy": "BucketName", "SQSSendMessagePolicy": "QueueName", "SQSPollerPolicy": "QueueName",
    "SNSPublishMessagePolicy": "TopicName", "SNSCrudPolicy": "TopicName", "LambdaInvokePolicy": "FunctionName",
    "KinesisCrudPolicy": "StreamName", "KinesisStreamReadPolicy": "StreamName", "KMSDecryptPolicy": "KeyId",
    "KMSEncryptPolicy": "KeyId", "SSMParameterReadPolicy": "ParameterName",
    "SSMParameterWithSlashPrefixReadPolicy": "ParameterName", "StepFunctionsExecutionPolicy": "StateMachineName",
    "AWSSecretsManagerGetSecretValuePolicy": "SecretArn", "AWSSecretsManagerRotationPolicy": "FunctionName",
    "EventBridgePutEventsPolicy": "EventBusName", "SESCrudPolicy": "IdentityName", "SESSendBouncePolicy": "IdentityName",
    "FirehoseCrudPolicy": "DeliveryStreamName", "FirehoseWritePolicy": "DeliveryStreamName",
    "ElasticsearchHttpPostPolicy": "DomainName", "AthenaQueryPolicy": "WorkGroupName",
}


def _sam_policy_templates(template: Template, ctx: IacContext) -> None:
    for fn in template.of_type("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
        policies = fn.props.get("Policies")
        for item in (policies if isinstance(policies, list) else [policies]):
            if not isinstance(item, dict) or is_intrinsic(item):
                continue
            for name, args in item.items():
                param = SAM_POLICY_TEMPLATES.get(name)
                if param is None or not isinstance(args, dict) or is_intrinsic(args):
                    continue
                if literal(args.get(param), template) == "*":
                    ctx.report(fn, f"`{fn.logical_id}` is "
                                   f"given the SAM policy template `{name}` with `{param}: '*'`, which grants its "
                                   "actions on every such resource in the account.", container=args, key=param)


# IAM's own read-only calls (`iam:ListUsers`, `iam:GetAccount*`): they read IAM metadata, not data or credentials.
_IAM_READ = re.compile(r"^iam:(?:list|get|describe|generate|simulate)\w*\*?$", re.I)


@iac_check("IAC112")
def iam_wildcard_resource(template: Template, ctx: IacContext) -> None:
    _sam_policy_templates(template, ctx)
    for resource, stmt in _identity_grants(template):
        actions = [a for a, _, _ in _strings(stmt, "Action", template) if isinstance(a, str)]
        sensitive = [a for a in actions if (SENSITIVE_ACTIONS.match(a) or SENSITIVE_ACTIONS.match(a.replace("*", "")))
                     and _escalation(a) is None  # escalation actions: IAC117
                     and not _IAM_READ.match(a)]
        if not sensitive:
            continue
        for res, where, key in _strings(stmt, "Resource", template):
            if res == "*":
                ctx.report(resource, f"`{resource.logical_id}` "
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
                ctx.report(r, f"`{r.logical_id}` has the "
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


def collect_role_users(template: Template, users: dict[str, list[tuple[str, str, int, int, bool]]]) -> None:
    """Run by the engines' prepare over every template and CDK file: remember each function whose role is named
    the same way in every file, so IAC114 sees a role shared by functions in different files (scan_file runs
    per file, possibly in another process: only what prepare returns, Facts.role_users, is shared)."""
    for fn in template.of_type(*FUNCTION_TYPES):
        key = role_key(fn.props.get("Role"), template)
        if key and _shared_across_files(key):
            line, col = position(fn.props, "Role")[:2]
            users.setdefault(key, []).append((template.rel, fn.logical_id, line, col, fn.cdk_path is not None))


def _role_label(key: str) -> str:
    label = key.split(":", 1)[1] if key.startswith(("resource:", "role:", "import:")) else key
    label = re.sub(r"@\d+(:\d+)?$", "", label)  # a CDK construct id with its position
    label = label.removeprefix("python:")
    return label.rsplit("#", 1)[1] if "#" in label else label  # "FILE#ConstructId@LINE" (CDK): the construct id


@iac_check("IAC114")
def shared_execution_role(template: Template, ctx: IacContext) -> None:
    users: dict[str, list[Resource]] = {}
    for fn in template.of_type(*FUNCTION_TYPES):
        key = role_key(fn.props.get("Role"), template)
        if key:
            users.setdefault(key, []).append(fn)
    everywhere = ctx.scan.facts.role_users
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
            ctx.report(fn, f"`{fn.logical_id}` shares its "
                           f"execution role `{role}` with {', '.join(others[:3])}{' and more' if len(others) > 3 else ''}; "
                           "a flaw in one function gets the permissions of all.",
                       container=fn.props, key="Role", related=related)


_ANY_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::\*:")


def _any_principal(principal: Any, template: Template) -> bool:
    """`*`, `{AWS: "*"}` or an ARN of any account (`arn:aws:iam::*:root`)."""
    if literal(principal, template) == "*":
        return True
    if isinstance(principal, dict) and not is_intrinsic(principal):
        aws = principal.get("AWS")
        for a in as_list(aws):
            a = literal(a, template)
            if a == "*" or (isinstance(a, str) and _ANY_ACCOUNT.match(a)):
                return True
    return False


# Conditions that narrow "any principal" to something known (an organisation, an account, a source, a VPC).
_NARROWING_CONDITION = re.compile(r"aws:(?:PrincipalOrgID|PrincipalAccount|SourceAccount|SourceArn|SourceVpce?|"
                                  r"SourceOwner|PrincipalArn|userid|SourceIp|PrincipalOrgPaths|ResourceAccount)|"
                                  r"sts:ExternalId|kms:CallerAccount|kms:ViaService|cognito-identity|"
                                  r"token\.actions\.githubusercontent|:aud$|:sub$", re.I)


def _narrowed(stmt: dict) -> bool:
    cond = stmt.get("Condition")
    if cond is None:
        return False
    if not isinstance(cond, dict) or is_intrinsic(cond):
        return True  # cannot see it: assume it narrows
    return any(isinstance(k, str) and _NARROWING_CONDITION.search(k)
               for ops in cond.values() if isinstance(ops, dict) for k in ops)


# Resource types whose policy property says who may use them: (property, what the grantee reaches).
OTHER_RESOURCE_POLICIES = {
    "AWS::KMS::Key": ("KeyPolicy", "use or manage the key"),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "read the secret"),
    "AWS::ECR::Repository": ("RepositoryPolicyText", "pull or push images"),
    "AWS::OpenSearchService::Domain": ("AccessPolicies", "reach the search domain"),
    "AWS::Elasticsearch::Domain": ("AccessPolicies", "reach the search domain"),
    "AWS::Events::EventBusPolicy": ("Statement", "put events on the bus"),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument", "write to the logs"),
}


def _deny_guard(doc: Any, template: Template) -> bool:
    """A `Deny` to everyone unless a narrowing condition holds (`StringNotEquals aws:SourceVpce`): the usual way
    private APIs and buckets limit an `Allow *`."""
    return any(literal(s.get("Effect"), template) == "Deny" and _narrowed(s) for s in statements(doc))


def _policy_doc(value: Any) -> Any:
    """A policy given as a mapping, or as a JSON string (`AWS::Logs::ResourcePolicy`, some API policies)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _trust_statements(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::IAM::Role"):
        doc = r.props.get("AssumeRolePolicyDocument")
        for stmt in statements(doc):
            if not _allows(stmt, template) or _narrowed(stmt):
                continue
            if _any_principal(stmt.get("Principal"), template):
                ctx.report(r, f"Over-broad trust: the trust policy of role `{r.logical_id}` lets "
                              "any AWS principal, in any account, assume it (no condition narrows it).",
                           container=stmt, key="Principal")


@iac_check("IAC115")
def resource_policy_any_principal(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        p = r.props
        if r.type == "AWS::Lambda::Permission":
            if literal(p.get("FunctionUrlAuthType"), template) == "NONE":
                ctx.report(r, f"`{r.logical_id}` lets anyone "
                              "invoke the function through its URL without authentication.",
                           container=p, key="FunctionUrlAuthType")
            elif literal(p.get("Principal"), template) == "*" and not any(
                    k in p for k in ("SourceArn", "SourceAccount", "PrincipalOrgID")):
                ctx.report(r, f"`{r.logical_id}` lets any "
                              "principal invoke the function.", container=p, key="Principal")
            elif isinstance(literal(p.get("Principal"), template), str) \
                    and str(literal(p.get("Principal"), template)).endswith(".amazonaws.com") \
                    and not any(k in p for k in ("SourceArn", "SourceAccount", "PrincipalOrgID")):
                service = literal(p.get("Principal"), template)
                ctx.report(r, f"Confused deputy: `{r.logical_id}` lets `{service}` invoke the function on "
                              "behalf of any account (no `SourceArn`/`SourceAccount`): another account's resource of "
                              "that service can be pointed at it.", container=p, key="Principal",
                           severity=Severity.LOW)
        elif r.type == "AWS::Lambda::Url" or (r.type == "AWS::Serverless::Function" and isinstance(p.get("FunctionUrlConfig"), dict)):
            where = p if r.type == "AWS::Lambda::Url" else p["FunctionUrlConfig"]
            if literal(where.get("AuthType"), template) == "NONE":
                ctx.report(r, f"`{r.logical_id}` has a "
                              "function URL anyone can call without authentication (`AuthType: NONE`).",
                           container=where, key="AuthType")
        elif r.type in RESOURCE_POLICIES:
            if _deny_guard(p.get("PolicyDocument"), template):
                continue
            for stmt in statements(p.get("PolicyDocument")):
                if _allows(stmt, template) and _any_principal(stmt.get("Principal"), template) and not _narrowed(stmt):
                    what = {"AWS::S3::BucketPolicy": "bucket", "AWS::SQS::QueuePolicy": "queue"}.get(r.type, "topic")
                    ctx.report(r, f"Data exposed: the {what} policy `{r.logical_id}` "
                                  "allows any principal, without a condition that narrows it.",
                               container=stmt, key="Principal")
        elif r.type in OTHER_RESOURCE_POLICIES:
            prop, reach = OTHER_RESOURCE_POLICIES[r.type]
            if r.type == "AWS::Events::EventBusPolicy":
                stmts = [p[prop]] if isinstance(p.get(prop), dict) else []
                if literal(p.get("Principal"), template) == "*" and "Condition" not in p:
                    ctx.report(r, f"Over-broad resource policy: `{r.logical_id}` lets any account put "
                                  "events on the bus.", container=p, key="Principal")
            else:
                doc = _policy_doc(p.get(prop))
                stmts = [] if _deny_guard(doc, template) else list(statements(doc))
            for stmt in stmts:
                if _allows(stmt, template) and _any_principal(stmt.get("Principal"), template) and not _narrowed(stmt):
                    container, key = (stmt, "Principal") if isinstance(stmt, PDict) else (p, prop)
                    ctx.report(r, f"Over-broad resource policy: the policy of `{r.logical_id}` "
                                  f"({r.type.split('::', 1)[1]}) lets any principal {reach}, without a condition "
                                  "that narrows it.", container=container, key=key)
    _trust_statements(template, ctx)


# Actions that let a principal give itself (or a role it can use) more permissions than it has.
ESCALATION_ACTIONS = {
    "iam:passrole": "pass any role to a service it controls",
    "iam:createpolicyversion": "rewrite a managed policy and make the new version default",
    "iam:setdefaultpolicyversion": "switch a managed policy to another version",
    "iam:attachuserpolicy": "attach any managed policy to a user", "iam:attachrolepolicy": "attach any managed policy to a role",
    "iam:attachgrouppolicy": "attach any managed policy to a group", "iam:putuserpolicy": "write an inline policy for a user",
    "iam:putrolepolicy": "write an inline policy for a role", "iam:putgrouppolicy": "write an inline policy for a group",
    "iam:createaccesskey": "create access keys for other users", "iam:createloginprofile": "give a user a console password",
    "iam:updateloginprofile": "change another user's console password",
    "iam:updateassumerolepolicy": "let itself assume any role", "iam:addusertogroup": "add users to any group",
    "iam:createrole": "create roles", "iam:putrolepermissionsboundary": "change permissions boundaries",
    "iam:deleterolepermissionsboundary": "remove permissions boundaries",
    "lambda:updatefunctioncode": "replace the code of any function (and run it with that function's role)",
    "lambda:updatefunctionconfiguration": "change any function's role, layers or environment",
    "ssm:sendcommand": "run commands on any managed instance",
}


def _escalation(action: Any) -> str | None:
    """What an escalation action lets its holder do (None for other actions, and for `*`/`iam:*`: IAC111)."""
    if not isinstance(action, str):
        return None
    low = action.lower()
    what = ESCALATION_ACTIONS.get(low)
    if what is None and low.endswith("*") and low not in ("*", "iam:*"):
        # iam:Put*, iam:Attach*: a prefix wildcard that includes escalation actions
        prefix = low[:-1]
        hits = [a for a in ESCALATION_ACTIONS if a.startswith(prefix) and a.startswith("iam:")]
        what = ESCALATION_ACTIONS[hits[0]] if hits else None
    return what


@iac_check("IAC117")
def iam_privilege_escalation(template: Template, ctx: IacContext) -> None:
    for resource, stmt in _identity_grants(template):
        resources = [res for res, _, _ in _strings(stmt, "Resource", template)]
        if not any(res == "*" or (isinstance(res, str) and res.endswith(("/*", ":*")) and ":iam::" in res)
                   for res in resources):
            continue
        for action, where, key in _strings(stmt, "Action", template):
            what = _escalation(action)
            if what is None:
                continue
            ctx.report(resource, f"Privilege escalation: `{resource.logical_id}` allows "
                                 f"`{action}` on every resource, so whoever holds it can {what}, and so gain "
                                 "more permissions than it was given.", container=where, key=key)
