"""CDK constructs (L2 and the common L1 `Cfn*` classes) -> CloudFormation resources in the shared model.

One translator per construct class, keyed by (CDK module, class name): `aws_lambda.Function` ->
`AWS::Lambda::Function` with `Handler`, `Runtime`, `Environment.Variables`, `VpcConfig`, `Role`, `KmsKeyArn`
and the code location; `s3.Bucket` -> `AWS::S3::Bucket`; ... Method calls that add resources
(`add_ingress_rule`, `add_method`, `add_routes`, `add_function_url`) are translated too.
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import Any, Callable

from ..loader import PDict, PList
from ..model import UNKNOWN, CodeDir, Resource
from .translate import CdkReader, Expr, enum_member, pos_of, setp, sub

Translator = Callable[[CdkReader, ast.Call, str], None]
CONSTRUCTS: dict[tuple[str, str], Translator] = {}
METHODS: dict[str, Translator] = {}


def construct(module: str, *names: str) -> Callable[[Translator], Translator]:
    def decorate(func: Translator) -> Translator:
        for n in names:
            CONSTRUCTS[(module, n)] = func
        return func

    return decorate


def method(*names: str) -> Callable[[Translator], Translator]:
    def decorate(func: Translator) -> Translator:
        for n in names:
            METHODS[n] = func
        return func

    return decorate


def cdk_class(qual: str | None) -> tuple[str, str] | None:
    """`aws_cdk.aws_lambda.Function` / `aws_cdk.aws_lambda_python_alpha.PythonFunction` -> (module, class)."""
    if not qual or not qual.startswith("aws_cdk."):
        return None
    parts = qual.split(".")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:  # `from aws_cdk import CfnParameter` / `aws_cdk.CfnParameter`
        return "core", parts[1]
    if len(parts) == 4 and parts[1] == "core":
        return "core", parts[3]
    return None


def _kw(reader: CdkReader, call: ast.Call) -> dict[str, tuple[ast.AST, ast.AST]]:
    return reader.kwargs(call)


# --- Lambda -----------------------------------------------------------------------------------------------------

RUNTIME = re.compile(r"^(PYTHON|NODEJS|JAVA|DOTNET|RUBY|PROVIDED|GO)_?([0-9_X]*)")


def _runtime(value: Any) -> Any:
    member = enum_member(value)
    if member is None:
        return UNKNOWN
    m = RUNTIME.match(member)
    if not m:
        return UNKNOWN
    family = m.group(1).lower()
    version = m.group(2).replace("_", ".")
    return f"{family}{version}"


def _function_common(reader: CdkReader, call: ast.Call, props: PDict, kw: dict) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "environment" in kw:
        k, v = kw["environment"]
        variables = reader.value(v)
        env = PDict(pos=pos_of(k))
        setp(env, "Variables", variables, k, v)
        setp(props, "Environment", env, k, v)
    if "environment_encryption" in kw and not _is_none(kw["environment_encryption"][1]):
        setp(props, "KmsKeyArn", UNKNOWN, *kw["environment_encryption"])
    if "vpc" in kw and not _is_none(kw["vpc"][1]):
        setp(props, "VpcConfig", UNKNOWN, *kw["vpc"])
    if "role" in kw:
        k, v = kw["role"]
        setp(props, "Role", role_reference(reader, v), k, v)
    return extra


def role_reference(reader: CdkReader, node: ast.AST) -> Any:
    """A function's `role=` in CloudFormation shape. A role named by a literal ARN or name
    (`Role.from_role_arn(self, "R", "arn:...")`, `Role.from_role_name(...)`) is that ARN, and a role imported from
    another module of the app (`from .roles import LAMBDA_ROLE`) an `Fn::ImportValue` of its qualified name, so the
    shared-role rule can see two files use the same role; any other role is a `Ref` to the construct."""
    target = reader.follow(node)
    if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) and \
            target.func.attr in ("from_role_arn", "from_role_name"):
        value = reader.value(reader.arg(target, 2, "role_arn" if target.func.attr == "from_role_arn" else "role_name"))
        if isinstance(value, str) and value:
            if target.func.attr == "from_role_name":
                return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{value}"}
            return value
    imported = imported_name(reader, target)
    if imported is not None:
        return {"Fn::ImportValue": f"python:{imported}"}
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self" \
            and target.attr in reader.self_attrs:  # `self.role = iam.Role(...)` bound once in the file
        target = reader.follow(reader.self_attrs[target.attr])
    made = made_here(reader, target) or reader.passed(target)
    if made is not None:  # a role made in this file, or handed in by every caller: comparable across files
        return {"Fn::ImportValue": f"python:{made}"}
    return {"Ref": _identity(reader, node)}


def made_here(reader: CdkReader, node: ast.AST) -> str | None:
    """"FILE#ConstructId@LINE" for a CDK construct call in this file with a literal id (the same string app.py
    gives a construct passed to a constructor), else None."""
    if isinstance(node, ast.Call) and cdk_class(reader.qual(node.func)):
        cid = reader.arg(node, 1, "id")
        if isinstance(cid, ast.Constant) and isinstance(cid.value, str):
            return f"{reader.rel}#{cid.value}@{node.lineno}"  # as app.construct_key names it
    return None


def imported_name(reader: CdkReader, node: ast.AST) -> str | None:
    """`module.path.NAME` for a name (or `mod.NAME` attribute) imported from the app's own modules, else None."""
    base = node
    attrs: list[str] = []
    while isinstance(base, ast.Attribute):
        attrs.insert(0, base.attr)
        base = base.value
    if not isinstance(base, ast.Name):
        return None
    package = reader.rel.rsplit("/", 1)[0].split("/") if "/" in reader.rel else []
    for stmt in reader.module.tree.body:
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) != base.id:
                    continue
                if stmt.level:
                    parts = package[:len(package) - (stmt.level - 1)] if stmt.level - 1 <= len(package) else None
                    if parts is None:
                        return None
                    module = ".".join([*parts, *([stmt.module] if stmt.module else [])])
                else:
                    module = stmt.module or ""
                if module.startswith("aws_cdk") or module == "constructs":
                    return None
                return ".".join(p for p in (module, alias.name, *attrs) if p)
        elif isinstance(stmt, ast.Import) and attrs:
            for alias in stmt.names:
                if (alias.asname or alias.name.split(".")[0]) == base.id and not alias.name.startswith("aws_cdk"):
                    return ".".join((alias.name if alias.asname else base.id, *attrs))
    return None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _identity(reader: CdkReader, node: ast.AST) -> str:
    """A key naming the object an expression refers to (the same construct -> the same key)."""
    target = reader.follow(node)
    if isinstance(target, ast.Call):
        cid = reader.arg(target, 1, "id")
        label = cid.value if isinstance(cid, ast.Constant) and isinstance(cid.value, str) else ast.unparse(target.func)
        return f"{label}@{target.lineno}:{target.col_offset}"
    text = ast.unparse(node)
    return text if text.startswith("self.") else f"{text}@{id(reader.scope)}"


@construct("aws_lambda", "Function", "SingletonFunction")
def lambda_function(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    extra = _function_common(reader, call, props, kw)
    if "runtime" in kw:
        setp(props, "Runtime", _runtime(reader.value(kw["runtime"][1])), *kw["runtime"])
    if "handler" in kw:
        setp(props, "Handler", reader.value(kw["handler"][1]), *kw["handler"])
    if "code" in kw:
        k, v = kw["code"]
        code = reader.value(v)
        member = enum_member(code)
        if isinstance(code, Expr) and code.call is not None and member in ("from_asset", "asset"):
            path = code_path(reader, reader.arg(code.call, 0, "path"))
            if path is None:
                extra["code_dir"] = CodeDir(None, "the asset path is computed at synth time")
            else:
                extra["code_dir"] = CodeDir(path)
        elif isinstance(code, Expr) and code.call is not None and (member in ("from_inline", "inline", "InlineCode")):
            source = reader.arg(code.call, 0, "code")
            text = reader.value(source) if source is not None else None
            if isinstance(text, str):
                zipped = PDict(pos=pos_of(k))
                setp(zipped, "ZipFile", text, source, source)
                setp(props, "Code", zipped, k, v)
                extra["inline_node"] = reader.follow(source)
        elif isinstance(code, Expr):
            extra["code_dir"] = CodeDir(None, f"the code comes from `{member or 'an expression'}`, not a local asset")
    _add_function(reader, call, fallback, props, extra)


def _add_function(reader: CdkReader, call: ast.Call, fallback: str, props: PDict, extra: dict) -> Resource:
    r = reader.add("AWS::Lambda::Function", reader.construct_id(call, fallback), call, props, **extra)
    return r


@construct("aws_lambda_python_alpha", "PythonFunction")
@construct("aws_lambda_python", "PythonFunction")
def python_function(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    extra = _function_common(reader, call, props, kw)
    props["Runtime"] = _runtime(reader.value(kw["runtime"][1])) if "runtime" in kw else "python3"
    index = reader.value(kw["index"][1]) if "index" in kw else "index.py"
    function = reader.value(kw["handler"][1]) if "handler" in kw else "handler"
    where = kw.get("handler") or kw.get("index") or kw.get("entry")
    if isinstance(index, str) and isinstance(function, str):
        module = index[:-3] if index.endswith(".py") else index
        setp(props, "Handler", f"{module}.{function}", *(where or (None, None)))
    else:
        setp(props, "Handler", UNKNOWN, *(where or (None, None)))
    entry = code_path(reader, kw["entry"][1]) if "entry" in kw else None
    if entry is None:
        extra["code_dir"] = CodeDir(None, "the `entry` directory is computed at synth time")
    else:
        extra["code_dir"] = CodeDir(entry)
    _add_function(reader, call, fallback, props, extra)


def code_path(reader: CdkReader, node: ast.AST | None) -> str | None:
    """A repository-relative directory from `"lambda"`, `os.path.join(os.path.dirname(__file__), "..", "x")`,
    `str(Path(__file__).parent / "x")` and similar; None when it cannot be known statically."""
    def ev(n: ast.AST | None, depth: int = 0) -> str | None:
        if n is None or depth > 8:
            return None
        n = reader.follow(n)
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            return n.value
        if isinstance(n, ast.Name) and n.id == "__file__":
            return "\0" + reader.rel  # the module's own path, marked as repository-relative
        if isinstance(n, ast.Call):
            q = reader.qual(n.func) or ""
            args = [ev(a, depth + 1) for a in n.args]
            if q in ("os.path.join", "posixpath.join") and all(a is not None for a in args):
                return posixpath.join(*args) if args else None
            if q in ("os.path.dirname", "posixpath.dirname") and len(args) == 1 and args[0] is not None:
                return posixpath.dirname(args[0])
            if q in ("os.path.abspath", "os.path.realpath", "str", "os.fspath", "pathlib.Path", "Path") and len(args) == 1:
                return args[0]
            if isinstance(n.func, ast.Attribute) and n.func.attr in ("resolve", "absolute") and not n.args:
                return ev(n.func.value, depth + 1)
            return None
        if isinstance(n, ast.Attribute) and n.attr == "parent":
            inner = ev(n.value, depth + 1)
            return posixpath.dirname(inner) if inner is not None else None
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
            left, right = ev(n.left, depth + 1), ev(n.right, depth + 1)
            return posixpath.join(left, right) if left is not None and right is not None else None
        return None

    text = ev(node)
    if text is None:
        return None
    if text.startswith("\0"):
        rel = posixpath.normpath(text[1:])
        return None if rel.startswith("..") else rel
    if text.startswith("/") or "\0" in text:
        return None
    return posixpath.normpath(posixpath.join(reader.app_dir, text))


@method("add_environment")
def add_environment(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`fn.add_environment("NAME", "value")`: a variable added after construction joins the function's environment."""
    if not isinstance(call.func, ast.Attribute):
        return
    fn = reader.owner(call.func.value, ("AWS::Lambda::Function",))
    name_node, value_node = reader.arg(call, 0, "key"), reader.arg(call, 1, "value")
    if fn is None or name_node is None or value_node is None:
        return
    name = reader.value(name_node)
    if not isinstance(name, str):
        return
    props = fn.props
    env = props.get("Environment")
    if not isinstance(env, PDict):
        env = PDict(pos=pos_of(call))
        setp(props, "Environment", env, call, call)
    variables = env.get("Variables")
    # a copy: the same dict literal may be the environment of other functions too
    merged = PDict(variables if isinstance(variables, PDict) else {}, pos=variables.pos if isinstance(variables, PDict) else pos_of(call))
    if isinstance(variables, PDict):
        merged.key_pos, merged.val_pos = dict(variables.key_pos), dict(variables.val_pos)
    merged[name] = reader.value(value_node)
    merged.key_pos[name] = pos_of(name_node)
    merged.val_pos[name] = pos_of(value_node)
    env["Variables"] = merged
    env.key_pos.setdefault("Variables", pos_of(call))
    env.val_pos.setdefault("Variables", pos_of(call))


@method("add_function_url")
def add_function_url(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    auth = enum_member(reader.value(kw["auth_type"][1])) if "auth_type" in kw else "AWS_IAM"
    props = PDict(pos=pos_of(call))
    setp(props, "AuthType", auth if auth else UNKNOWN, *(kw.get("auth_type") or (call, call)))
    reader.add("AWS::Lambda::Url", reader.construct_id(call, f"FunctionUrl{fallback}"), call, props)


# --- IAM --------------------------------------------------------------------------------------------------------

@construct("aws_iam", "PolicyStatement")
def policy_statement(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    stmt = PDict(pos=pos_of(call))
    effect = enum_member(reader.value(kw["effect"][1])) if "effect" in kw else "ALLOW"
    stmt["Effect"] = {"ALLOW": "Allow", "DENY": "Deny"}.get(effect or "", UNKNOWN)
    for py, cfn in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                    ("not_resources", "NotResource")):
        if py in kw:
            setp(stmt, cfn, reader.value(kw[py][1]), *kw[py])
    statements = PList([stmt], pos=pos_of(call))
    statements.item_pos.append(pos_of(call))
    doc = sub(call, Statement=statements)
    props = sub(call, PolicyDocument=doc)
    reader.add("AWS::IAM::Policy", f"PolicyStatement@{call.lineno}", call, props)


@method("from_aws_managed_policy_name")
def managed_policy(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    if not call.args:
        return
    name = reader.value(call.args[0])
    arns = PList([name], pos=pos_of(call.args[0]))
    arns.item_pos.append(pos_of(call.args[0]))
    props = PDict(pos=pos_of(call))
    setp(props, "ManagedPolicyArns", arns, call.args[0])
    reader.add("AWS::IAM::Role", f"ManagedPolicy@{call.lineno}", call, props)


# --- storage ----------------------------------------------------------------------------------------------------

def _bucket_reference(reader: CdkReader, node: ast.AST) -> Any:
    """A bucket named as a log destination: a `Ref` to this file's bucket, an import of the construct every caller
    hands in (lang/iac/cdk/app.py), else UNKNOWN."""
    target = reader.owner(node, ("AWS::S3::Bucket",))
    if target is not None:
        return {"Ref": target.logical_id}
    passed = reader.passed(node)
    return {"Fn::ImportValue": f"python:{passed}"} if passed else UNKNOWN


@construct("aws_s3", "Bucket")
def s3_bucket(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    enc = enum_member(reader.value(kw["encryption"][1])) if "encryption" in kw else None
    if "encryption_key" in kw or (enc and enc != "UNENCRYPTED"):
        setp(props, "BucketEncryption", UNKNOWN, *(kw.get("encryption") or kw["encryption_key"]))
    if "public_read_access" in kw and reader.value(kw["public_read_access"][1]) is True:
        setp(props, "AccessControl", "PublicRead", *kw["public_read_access"])
    if "block_public_access" in kw:
        k, v = kw["block_public_access"]
        value = reader.value(v)
        member = enum_member(value)
        keys = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        block = PDict(pos=pos_of(v))
        if member == "BLOCK_ALL":
            for key in keys:
                setp(block, key, True, v)
        elif member == "BLOCK_ACLS":
            setp(block, "BlockPublicAcls", True, v)
            setp(block, "IgnorePublicAcls", True, v)
        elif isinstance(value, Expr) and value.call is not None and member == "BlockPublicAccess":
            inner = _kw(reader, value.call)
            for py, key in zip(("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), keys):
                if py in inner:
                    setp(block, key, reader.value(inner[py][1]), *inner[py])
        else:
            block = UNKNOWN
        setp(props, "PublicAccessBlockConfiguration", block, k, v)
    if "server_access_logs_bucket" in kw and not _is_none(kw["server_access_logs_bucket"][1]):
        k, v = kw["server_access_logs_bucket"]
        setp(props, "LoggingConfiguration", sub(k, DestinationBucketName=_bucket_reference(reader, v)), k, v)
    elif "server_access_logs_prefix" in kw:  # a prefix alone: the bucket logs into itself
        setp(props, "LoggingConfiguration", sub(kw["server_access_logs_prefix"][0]), *kw["server_access_logs_prefix"])
    reader.add("AWS::S3::Bucket", reader.construct_id(call, fallback), call, props)


@method("grant_public_access")
def grant_public_access(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`bucket.grant_public_access(...)`: a bucket policy letting anyone read (or the actions given) its objects.
    The bucket may be this file's, or one every caller hands in from another file (engines/cdk/app.py)."""
    if not isinstance(call.func, ast.Attribute):
        return
    bucket = reader.owner(call.func.value, ("AWS::S3::Bucket",))
    passed = reader.passed(call.func.value) if bucket is None else None
    if bucket is None and passed is None:
        return  # not a bucket we know: `grant_public_access` is a bucket's method, but the receiver is unseen
    label = bucket.logical_id if bucket is not None else passed.split("#", 1)[1].rsplit("@", 1)[0]
    actions = [reader.value(a) for a in call.args[1:]] or ["s3:GetObject"]
    stmt = PDict(pos=pos_of(call))
    for key, value in (("Effect", "Allow"), ("Principal", "*"), ("Action", PList(actions, pos=pos_of(call)))):
        setp(stmt, key, value, call, call)
    stmt["Action"].item_pos.extend(pos_of(call) for _ in actions)
    statements = PList([stmt], pos=pos_of(call))
    statements.item_pos.append(pos_of(call))
    props = sub(call, PolicyDocument=sub(call, Statement=statements))
    setp(props, "Bucket", {"Ref": label} if bucket is not None else {"Fn::ImportValue": f"python:{passed}"}, call, call)
    reader.add("AWS::S3::BucketPolicy", f"{label}PublicAccess@{call.lineno}", call, props)


POLICY_OF = {"AWS::S3::Bucket": ("AWS::S3::BucketPolicy", "Bucket"), "AWS::SQS::Queue": ("AWS::SQS::QueuePolicy", "Queues"),
             "AWS::SNS::Topic": ("AWS::SNS::TopicPolicy", "Topics")}


def _principal(reader: CdkReader, node: ast.AST) -> Any:
    """A CDK principal as a policy's `Principal`: `*` for `AnyPrincipal()`/`StarPrincipal()`/`ArnPrincipal("*")`,
    UNKNOWN for any other (an account, a service, a role: never taken for everyone)."""
    target = reader.follow(node)
    if isinstance(target, ast.Call):
        name = (reader.qual(target.func) or "").rsplit(".", 1)[-1]
        if name in ("AnyPrincipal", "StarPrincipal"):
            return "*"
        if name == "ArnPrincipal" and target.args and reader.value(target.args[0]) == "*":
            return "*"
    return UNKNOWN


@method("add_to_resource_policy")
def add_to_resource_policy(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`bucket.add_to_resource_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], ...))` (and a queue's or a
    topic's): the statement joins the resource's policy, so IAC115 sees a policy open to everyone."""
    if not isinstance(call.func, ast.Attribute) or not call.args:
        return
    owner = reader.owner(call.func.value, tuple(POLICY_OF))
    stmt_call = reader.follow(call.args[0])
    if owner is None or not isinstance(stmt_call, ast.Call) or \
            (reader.qual(stmt_call.func) or "").rsplit(".", 1)[-1] != "PolicyStatement":
        return
    kw = _kw(reader, stmt_call)
    stmt = PDict(pos=pos_of(stmt_call))
    effect = enum_member(reader.value(kw["effect"][1])) if "effect" in kw else "ALLOW"
    setp(stmt, "Effect", {"ALLOW": "Allow", "DENY": "Deny"}.get(effect or "", UNKNOWN), stmt_call, stmt_call)
    principals = reader.follow(kw["principals"][1]) if "principals" in kw else None
    if isinstance(principals, (ast.List, ast.Tuple)):
        found = [_principal(reader, p) for p in principals.elts]
        setp(stmt, "Principal", "*" if "*" in found else UNKNOWN, *kw["principals"])
    elif principals is not None:
        setp(stmt, "Principal", UNKNOWN, *kw["principals"])
    if "actions" in kw:
        setp(stmt, "Action", reader.value(kw["actions"][1]), *kw["actions"])
    if "conditions" in kw:
        setp(stmt, "Condition", UNKNOWN, *kw["conditions"])  # unseen: assumed to narrow
    statements = PList([stmt], pos=pos_of(stmt_call))
    statements.item_pos.append(pos_of(stmt_call))
    rtype, prop = POLICY_OF[owner.type]
    props = sub(call, PolicyDocument=sub(call, Statement=statements))
    setp(props, prop, {"Ref": owner.logical_id} if prop == "Bucket" else PList([{"Ref": owner.logical_id}]), call, call)
    reader.add(rtype, f"{owner.logical_id}Policy@{call.lineno}", call, props)


@construct("aws_dynamodb", "Table", "TableV2")
def dynamodb_table(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "point_in_time_recovery" in kw:
        k, v = kw["point_in_time_recovery"]
        setp(props, "PointInTimeRecoverySpecification", sub(k, PointInTimeRecoveryEnabled=reader.value(v)), k, v)
    elif "point_in_time_recovery_specification" in kw:
        k, v = kw["point_in_time_recovery_specification"]
        spec = reader.value(v)
        enabled: Any = UNKNOWN
        if isinstance(spec, Expr) and spec.call is not None:
            inner = _kw(reader, spec.call)
            if "point_in_time_recovery_enabled" in inner:
                enabled = reader.value(inner["point_in_time_recovery_enabled"][1])
        elif isinstance(spec, dict):
            enabled = spec.get("point_in_time_recovery_enabled", spec.get("pointInTimeRecoveryEnabled", UNKNOWN))
        setp(props, "PointInTimeRecoverySpecification", sub(k, PointInTimeRecoveryEnabled=enabled), k, v)
    enc = enum_member(reader.value(kw["encryption"][1])) if "encryption" in kw else None
    if "encryption_key" in kw or (enc and enc not in ("DEFAULT", "dynamo_owned_key")):
        setp(props, "SSESpecification", sub(call, SSEEnabled=True), *(kw.get("encryption") or kw["encryption_key"]))
    reader.add("AWS::DynamoDB::Table", reader.construct_id(call, fallback), call, props)


@construct("aws_sqs", "Queue")
def sqs_queue(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "encryption_master_key" in kw:
        setp(props, "KmsMasterKeyId", UNKNOWN, *kw["encryption_master_key"])
    elif "encryption" in kw and enum_member(reader.value(kw["encryption"][1])) == "UNENCRYPTED":
        setp(props, "SqsManagedSseEnabled", False, *kw["encryption"])
    reader.add("AWS::SQS::Queue", reader.construct_id(call, fallback), call, props)


@construct("aws_sns", "Topic")
def sns_topic(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "master_key" in kw and not _is_none(kw["master_key"][1]):
        setp(props, "KmsMasterKeyId", UNKNOWN, *kw["master_key"])
    reader.add("AWS::SNS::Topic", reader.construct_id(call, fallback), call, props)


@construct("aws_rds", "DatabaseInstance", "DatabaseCluster")
def rds_database(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    cls = (reader.qual(call.func) or "").rsplit(".", 1)[-1]
    if "storage_encrypted" in kw:
        setp(props, "StorageEncrypted", reader.value(kw["storage_encrypted"][1]), *kw["storage_encrypted"])
    if "storage_encryption_key" in kw:
        setp(props, "KmsKeyId", UNKNOWN, *kw["storage_encryption_key"])
    if "publicly_accessible" in kw:
        setp(props, "PubliclyAccessible", reader.value(kw["publicly_accessible"][1]), *kw["publicly_accessible"])
    rtype = "AWS::RDS::DBCluster" if cls == "DatabaseCluster" else "AWS::RDS::DBInstance"
    reader.add(rtype, reader.construct_id(call, fallback), call, props)


@construct("aws_ec2", "Volume")
def ebs_volume(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "encrypted" in kw:
        setp(props, "Encrypted", reader.value(kw["encrypted"][1]), *kw["encrypted"])
    reader.add("AWS::EC2::Volume", reader.construct_id(call, fallback), call, props)


@construct("aws_secretsmanager", "Secret")
def secret(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`secretsmanager.Secret`: encrypted with `aws/secretsmanager` unless `encryption_key` is given; no rotation
    until `add_rotation_schedule` (or a `RotationSchedule`/`SecretRotation` naming it)."""
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "encryption_key" in kw and not _is_none(kw["encryption_key"][1]):
        setp(props, "KmsKeyId", UNKNOWN, *kw["encryption_key"])
    if "secret_name" in kw:
        setp(props, "Name", reader.value(kw["secret_name"][1]), *kw["secret_name"])
    reader.add("AWS::SecretsManager::Secret", reader.construct_id(call, fallback), call, props)


def _rotation(reader: CdkReader, call: ast.Call, secret_node: ast.AST | None, fallback: str) -> None:
    target = reader.owner(secret_node, ("AWS::SecretsManager::Secret",)) if secret_node is not None else None
    props = PDict(pos=pos_of(call))
    setp(props, "SecretId", {"Ref": target.logical_id} if target is not None else UNKNOWN, call, call)
    reader.add("AWS::SecretsManager::RotationSchedule", f"{fallback}@{call.lineno}", call, props)


@method("add_rotation_schedule")
def add_rotation_schedule(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    if isinstance(call.func, ast.Attribute):
        _rotation(reader, call, call.func.value, "RotationSchedule")


@construct("aws_secretsmanager", "RotationSchedule", "SecretRotation")
def rotation_schedule(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    _rotation(reader, call, reader.arg(call, 99, "secret"), fallback)


@construct("aws_cloudtrail", "Trail")
def cloudtrail_trail(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`cloudtrail.Trail`: CDK's defaults are log file validation on, multi-region and SSE-S3 (no KMS key)."""
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    for py, cfn in (("enable_file_validation", "EnableLogFileValidation"), ("is_multi_region_trail", "IsMultiRegionTrail")):
        if py in kw:
            setp(props, cfn, reader.value(kw[py][1]), *kw[py])
        else:
            setp(props, cfn, True, call, call)
    key = kw.get("encryption_key") or kw.get("kms_key")
    if key is not None and not _is_none(key[1]):
        setp(props, "KMSKeyId", UNKNOWN, *key)
    reader.add("AWS::CloudTrail::Trail", reader.construct_id(call, fallback), call, props)


@construct("aws_ecr", "Repository")
def ecr_repository(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`ecr.Repository`: CDK's defaults are no scan on push, mutable tags and AES-256 encryption."""
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "image_scan_on_push" in kw:
        k, v = kw["image_scan_on_push"]
        setp(props, "ImageScanningConfiguration", sub(k, ScanOnPush=reader.value(v)), k, v)
    if "image_tag_mutability" in kw:
        k, v = kw["image_tag_mutability"]
        member = enum_member(reader.value(v))
        setp(props, "ImageTagMutability", member if member else UNKNOWN, k, v)
    enc = enum_member(reader.value(kw["encryption"][1])) if "encryption" in kw else None
    if "encryption_key" in kw and not _is_none(kw["encryption_key"][1]):
        setp(props, "EncryptionConfiguration", sub(kw["encryption_key"][0], EncryptionType="KMS"), *kw["encryption_key"])
    elif "encryption" in kw:
        kind = {"KMS": "KMS", "AES_256": "AES256", "KMS_DSSE": "KMS_DSSE"}.get(enc or "", UNKNOWN)
        setp(props, "EncryptionConfiguration", sub(kw["encryption"][0], EncryptionType=kind), *kw["encryption"])
    reader.add("AWS::ECR::Repository", reader.construct_id(call, fallback), call, props)


@construct("aws_msk_alpha", "Cluster")
@construct("aws_msk", "Cluster")
def msk_cluster(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`msk.Cluster` (aws_msk_alpha; aws_msk in CDK v1): TLS between clients and brokers and inside the cluster,
    and the AWS-managed `aws/kafka` key, unless told otherwise."""
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    info = PDict(pos=pos_of(call))
    if "encryption_in_transit" in kw:
        k, v = kw["encryption_in_transit"]
        value = reader.value(v)
        inner = _kw(reader, value.call) if isinstance(value, Expr) and value.call is not None else {}
        transit = PDict(pos=pos_of(v))
        if "client_broker" in inner:
            member = enum_member(reader.value(inner["client_broker"][1]))
            setp(transit, "ClientBroker", member if member else UNKNOWN, *inner["client_broker"])
        if "enable_in_cluster" in inner:
            setp(transit, "InCluster", reader.value(inner["enable_in_cluster"][1]), *inner["enable_in_cluster"])
        setp(info, "EncryptionInTransit", transit if isinstance(value, Expr) and value.call is not None else UNKNOWN, k, v)
    if "ebs_storage_info" in kw:
        k, v = kw["ebs_storage_info"]
        value = reader.value(v)
        inner = _kw(reader, value.call) if isinstance(value, Expr) and value.call is not None else {}
        if inner.get("encryption_key") is not None or not (isinstance(value, Expr) and value.call is not None):
            setp(info, "EncryptionAtRest", sub(k, DataVolumeKMSKeyId=UNKNOWN), k, v)
    setp(props, "EncryptionInfo", info, call, call)
    reader.add("AWS::MSK::Cluster", reader.construct_id(call, fallback), call, props)


# --- network ----------------------------------------------------------------------------------------------------

def _peer(reader: CdkReader, node: ast.AST) -> tuple[str, Any] | None:
    value = reader.value(node)
    member = enum_member(value)
    if member == "any_ipv4":
        return "CidrIp", "0.0.0.0/0"
    if member == "any_ipv6":
        return "CidrIpv6", "::/0"
    if member in ("ipv4", "ipv6") and isinstance(value, Expr) and value.call is not None and value.call.args:
        return ("CidrIp" if member == "ipv4" else "CidrIpv6"), reader.value(value.call.args[0])
    return None


def _port(reader: CdkReader, node: ast.AST) -> tuple[str, Any, Any] | None:
    value = reader.value(node)
    member = enum_member(value)
    args = [reader.value(a) for a in value.call.args] if isinstance(value, Expr) and value.call is not None else []
    if member == "tcp" and args:
        return "tcp", args[0], args[0]
    if member == "tcp_range" and len(args) == 2:
        return "tcp", args[0], args[1]
    if member == "all_tcp":
        return "tcp", 0, 65535
    if member == "all_traffic":
        return "-1", -1, -1
    return None


@method("add_ingress_rule", "allow_from_any_ipv4", "allow_from")
def ingress_rule(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name == "allow_from_any_ipv4":
        peer: tuple[str, Any] | None = ("CidrIp", "0.0.0.0/0")
        peer_node, port_node = call, (call.args[0] if call.args else None)
    else:
        if len(call.args) < 2:
            return
        peer_node, port_node = call.args[0], call.args[1]
        peer = _peer(reader, peer_node)
    port = _port(reader, port_node) if port_node is not None else None
    if peer is None or port is None:
        return
    props = PDict(pos=pos_of(call))
    setp(props, peer[0], peer[1], peer_node)
    props["IpProtocol"], props["FromPort"], props["ToPort"] = port
    reader.add("AWS::EC2::SecurityGroupIngress", f"Ingress@{call.lineno}", call, props)


# --- Cognito ----------------------------------------------------------------------------------------------------

@construct("aws_cognito", "UserPool")
def user_pool(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "mfa" in kw:
        member = enum_member(reader.value(kw["mfa"][1]))
        setp(props, "MfaConfiguration", {"REQUIRED": "ON", "OPTIONAL": "OPTIONAL", "OFF": "OFF"}.get(member or "", UNKNOWN), *kw["mfa"])
    if "password_policy" in kw:
        k, v = kw["password_policy"]
        value = reader.value(v)
        inner = _kw(reader, value.call) if isinstance(value, Expr) and value.call is not None else {}
        policy = PDict(pos=pos_of(v))
        if "min_length" in inner:
            setp(policy, "MinimumLength", reader.value(inner["min_length"][1]), *inner["min_length"])
        elif isinstance(value, dict) and "min_length" in value:
            setp(policy, "MinimumLength", value["min_length"], None)
            policy.key_pos["MinimumLength"] = value.key_pos["min_length"]
            policy.val_pos["MinimumLength"] = value.val_pos["min_length"]
        setp(props, "Policies", sub(k, PasswordPolicy=policy), k, v)
    if "advanced_security_mode" in kw:
        k, v = kw["advanced_security_mode"]
        member = enum_member(reader.value(v))
        addons = PDict(pos=pos_of(k))
        setp(addons, "AdvancedSecurityMode", member if member in ("ENFORCED", "AUDIT", "OFF") else UNKNOWN, k, v)
        setp(props, "UserPoolAddOns", addons, k, v)
    reader.add("AWS::Cognito::UserPool", reader.construct_id(call, fallback), call, props)


# --- API Gateway ------------------------------------------------------------------------------------------------

@construct("aws_apigateway", "RestApi", "LambdaRestApi", "SpecRestApi")
def rest_api(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    api_id = reader.construct_id(call, fallback)
    default_auth = _method_auth(reader, kw["default_method_options"][1]) if "default_method_options" in kw else None
    api = reader.add("AWS::ApiGateway::RestApi", api_id, call, PDict(pos=pos_of(call)), default_auth=default_auth)
    reader.apis[id(call)] = api
    if "deploy" in kw and reader.value(kw["deploy"][1]) is False:
        return
    stage = PDict(pos=pos_of(call))
    options = reader.value(kw["deploy_options"][1]) if "deploy_options" in kw else None
    inner = _kw(reader, options.call) if isinstance(options, Expr) and options.call is not None else {}
    if isinstance(options, Expr) and options.call is None:
        return  # options from elsewhere: cannot tell
    _stage_options(reader, call, inner, stage)
    where = kw.get("deploy_options")
    reader.add("AWS::ApiGateway::Stage", f"{api_id}DeploymentStage", where[0] if where else call, stage)
    cls = (reader.qual(call.func) or "").rsplit(".", 1)[-1]
    if cls == "LambdaRestApi" and not ("proxy" in kw and reader.value(kw["proxy"][1]) is False):
        props = PDict(pos=pos_of(call))
        props["HttpMethod"] = "ANY"
        props["AuthorizationType"] = default_auth if default_auth is not None else "NONE"
        reader.add("AWS::ApiGateway::Method", f"{api_id}ProxyANY", call, props)


def _stage_options(reader: CdkReader, call: ast.Call, inner: dict, stage: PDict) -> None:
    """StageOptions (`deploy_options=...`, or `apigateway.Stage(...)`'s own keywords) -> the Stage's properties."""
    settings = PDict(pos=pos_of(call))
    for py, cfn in (("throttling_rate_limit", "ThrottlingRateLimit"), ("throttling_burst_limit", "ThrottlingBurstLimit")):
        if py in inner:
            setp(settings, cfn, reader.value(inner[py][1]), *inner[py])
    if "method_options" in inner:
        settings["ThrottlingRateLimit"] = UNKNOWN  # per-method options: assume they may throttle
    method_settings = PList([settings], pos=pos_of(call))
    method_settings.item_pos.append(pos_of(call))
    stage["MethodSettings"] = method_settings
    if "access_log_destination" in inner:
        setp(stage, "AccessLogSetting", sub(inner["access_log_destination"][0], DestinationArn=UNKNOWN), *inner["access_log_destination"])


@construct("aws_apigateway", "Stage")
def rest_stage(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    stage = PDict(pos=pos_of(call))
    _stage_options(reader, call, _kw(reader, call), stage)
    reader.add("AWS::ApiGateway::Stage", reader.construct_id(call, fallback), call, stage)


def _method_auth(reader: CdkReader, node: ast.AST) -> Any:
    """The authorization a MethodOptions(...)/add_method(...) sets: a type, "NONE", UNKNOWN, or None (not set)."""
    value = reader.value(node)
    if isinstance(value, Expr) and value.call is not None:
        return _auth_from_kw(reader, _kw(reader, value.call))
    if isinstance(value, dict):
        if "authorizer" in value or "authorization_type" in value:
            return UNKNOWN
        return None
    return UNKNOWN


def _auth_from_kw(reader: CdkReader, kw: dict) -> Any:
    if "authorizer" in kw and not _is_none(kw["authorizer"][1]):
        return "CUSTOM"
    if "authorization_type" in kw:
        member = enum_member(reader.value(kw["authorization_type"][1]))
        return member if member else UNKNOWN
    if "api_key_required" in kw and reader.value(kw["api_key_required"][1]) is True:
        return "API_KEY"
    return None


def _owning_api(reader: CdkReader, node: ast.AST) -> Resource | None | Any:
    """Walk `api.root.add_resource("x").add_method(...)` (through variables) back to the RestApi call."""
    for _ in range(20):
        node = reader.follow(node)
        if isinstance(node, ast.Call):
            if id(node) in reader.apis:
                return reader.apis[id(node)]
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return UNKNOWN
    return UNKNOWN


@method("add_method")
def add_method(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    http = reader.value(call.args[0]) if call.args else None
    if not isinstance(http, str) or http.upper() == "OPTIONS":
        return
    auth = _auth_from_kw(reader, _kw(reader, call))
    if auth is None:
        api = _owning_api(reader, call.func.value if isinstance(call.func, ast.Attribute) else call)
        if api is UNKNOWN or api is None:
            auth = UNKNOWN
        else:
            auth = api.default_auth
            auth = "NONE" if auth is None else auth
    props = PDict(pos=pos_of(call))
    props["HttpMethod"] = http.upper()
    auth_kw = next((k for k in call.keywords if k.arg in ("authorization_type", "authorizer")), None)
    setp(props, "AuthorizationType", auth, auth_kw, auth_kw.value if auth_kw else None)
    reader.add("AWS::ApiGateway::Method", f"Method{http.upper()}@{call.lineno}", call, props)


@construct("aws_apigatewayv2", "HttpApi")
@construct("aws_apigatewayv2_alpha", "HttpApi")
def http_api(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    default = "CUSTOM" if "default_authorizer" in kw and not _is_none(kw["default_authorizer"][1]) else None
    api_id = reader.construct_id(call, fallback)
    api = reader.add("AWS::ApiGatewayV2::Api", api_id, call, PDict(pos=pos_of(call)), default_auth=default)
    reader.apis[id(call)] = api
    if "create_default_stage" in kw and reader.value(kw["create_default_stage"][1]) is not True:
        return
    # The `$default` stage HttpApi creates takes no throttling or access-log options; only an escape hatch
    # (`api.default_stage.node.default_child`, `add_property_override`) can set them: then we cannot tell.
    stage = PDict(pos=pos_of(call))
    text = reader.module.file.text()
    if "default_stage" in text and ("default_child" in text or "add_property_override" in text):
        stage["DefaultRouteSettings"] = stage["AccessLogSettings"] = UNKNOWN
    reader.add("AWS::ApiGatewayV2::Stage", f"{api_id}DefaultStage", call, stage)


@construct("aws_apigatewayv2", "HttpStage", "WebSocketStage")
@construct("aws_apigatewayv2_alpha", "HttpStage", "WebSocketStage")
def http_stage(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    stage = PDict(pos=pos_of(call))
    if "throttle" in kw:
        k, v = kw["throttle"]
        value = reader.value(v)
        settings = PDict(pos=pos_of(v))
        if isinstance(value, Expr) and value.call is not None:
            inner = _kw(reader, value.call)
            for py, cfn in (("rate_limit", "ThrottlingRateLimit"), ("burst_limit", "ThrottlingBurstLimit")):
                if py in inner:
                    setp(settings, cfn, reader.value(inner[py][1]), *inner[py])
        elif isinstance(value, dict):
            for py, cfn in (("rate_limit", "ThrottlingRateLimit"), ("burst_limit", "ThrottlingBurstLimit")):
                if py in value:
                    settings[cfn] = value[py]
        else:
            settings = UNKNOWN
        setp(stage, "DefaultRouteSettings", settings, k, v)
    if "access_log_settings" in kw and not _is_none(kw["access_log_settings"][1]):
        setp(stage, "AccessLogSettings", sub(kw["access_log_settings"][0], DestinationArn=UNKNOWN), *kw["access_log_settings"])
    reader.add("AWS::ApiGatewayV2::Stage", reader.construct_id(call, fallback), call, stage)


@method("add_stage")
def add_stage(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`http_api.add_stage("beta", throttle=...)`: an HttpStage (only when the receiver is an HttpApi we know)."""
    if isinstance(call.func, ast.Attribute) and reader.owner(call.func.value, ("AWS::ApiGatewayV2::Api",)) is not None:
        http_stage(reader, call, "Stage")


@method("add_routes")
def add_routes(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    if "authorizer" in kw and not _is_none(kw["authorizer"][1]):
        return
    api = _owning_api(reader, call.func.value if isinstance(call.func, ast.Attribute) else call)
    if api is UNKNOWN or api is None or api.type != "AWS::ApiGatewayV2::Api" or api.default_auth:
        return
    path = reader.value(kw["path"][1]) if "path" in kw else "?"
    props = PDict(pos=pos_of(call))
    props["RouteKey"] = f"ANY {path}" if isinstance(path, str) else UNKNOWN
    reader.add("AWS::ApiGatewayV2::Route", f"Route@{call.lineno}", call, props)


# --- load balancers -------------------------------------------------------------------------------------------

def _listener_protocol(reader: CdkReader, kw: dict) -> tuple[Any, tuple[Any, Any] | None]:
    """An application listener's protocol as CDK decides it: `protocol=`, else HTTPS with certificates, else
    from the port (80 -> HTTP, 443 -> HTTPS)."""
    if "protocol" in kw:
        member = enum_member(reader.value(kw["protocol"][1]))
        return (member if member in ("HTTP", "HTTPS") else UNKNOWN), kw["protocol"]
    if "certificates" in kw or "certificate_arns" in kw:
        return "HTTPS", None
    port = reader.value(kw["port"][1]) if "port" in kw else None
    return {80: "HTTP", 443: "HTTPS"}.get(port, UNKNOWN) if isinstance(port, int) else UNKNOWN, kw.get("port")


def _listener_action(reader: CdkReader, node: ast.AST) -> Any:
    """`ListenerAction.redirect(protocol="HTTPS", ...)` -> a redirect action; any other action forwards or answers."""
    value = reader.value(node)
    if not isinstance(value, Expr) or value.call is None:
        return UNKNOWN
    action = PDict(pos=pos_of(node))
    if enum_member(value) == "redirect":
        inner = _kw(reader, value.call)
        protocol = reader.value(inner["protocol"][1]) if "protocol" in inner else None
        action["Type"] = "redirect"
        action["RedirectConfig"] = sub(node, Protocol=protocol if isinstance(protocol, str) else UNKNOWN)
    else:
        action["Type"] = "forward"
    return action


# aws_cdk.aws_elasticloadbalancingv2.SslPolicy members -> the ELB policy they name (those that matter to IAC124:
# policies still accepting TLS 1.0/1.1; the others are TLS 1.2+).
CDK_SSL_POLICIES = {
    "RECOMMENDED": "ELBSecurityPolicy-2016-08", "FORWARD_SECRECY": "ELBSecurityPolicy-FS-2018-06",
    "TLS11": "ELBSecurityPolicy-TLS-1-1-2017-01", "LEGACY": "ELBSecurityPolicy-TLS-1-0-2015-04",
    "FORWARD_SECRECY_TLS11": "ELBSecurityPolicy-FS-1-1-2019-08", "TLS13_10": "ELBSecurityPolicy-TLS13-1-0-2021-06",
    "TLS13_11": "ELBSecurityPolicy-TLS13-1-1-2021-06", "RECOMMENDED_TLS": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "TLS12": "ELBSecurityPolicy-TLS-1-2-2017-01", "TLS12_EXT": "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
}


def _ssl_policy(reader: CdkReader, kw: dict, props: PDict) -> None:
    if "ssl_policy" not in kw:
        return
    value = reader.value(kw["ssl_policy"][1])
    member = enum_member(value)
    name = CDK_SSL_POLICIES.get(member, UNKNOWN) if member else (value if isinstance(value, str) else UNKNOWN)
    setp(props, "SslPolicy", name, *kw["ssl_policy"])


@construct("aws_elasticloadbalancingv2", "NetworkListener")
def network_listener(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """An NLB listener: TCP/UDP/TLS, never plain HTTP; with TLS its `ssl_policy` matters (IAC124)."""
    kw = _kw(reader, call)
    props = PDict(pos=pos_of(call))
    if "protocol" in kw:
        member = enum_member(reader.value(kw["protocol"][1]))
        setp(props, "Protocol", member if member in ("TCP", "TLS", "UDP", "TCP_UDP") else UNKNOWN, *kw["protocol"])
    elif "certificates" in kw:
        setp(props, "Protocol", "TLS", call, call)
    _ssl_policy(reader, kw, props)
    reader.add("AWS::ElasticLoadBalancingV2::Listener", reader.construct_id(call, fallback), call, props)


@construct("aws_elasticloadbalancingv2", "ApplicationListener")
def application_listener(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    protocol, where = _listener_protocol(reader, kw)
    props = PDict(pos=pos_of(call))
    setp(props, "Protocol", protocol, *(where or (call, call)))
    _ssl_policy(reader, kw, props)
    if "default_action" in kw:
        actions = PList([_listener_action(reader, kw["default_action"][1])], pos=pos_of(kw["default_action"][1]))
        actions.item_pos.append(pos_of(kw["default_action"][1]))
        setp(props, "DefaultActions", actions, *kw["default_action"])
    elif "default_target_groups" in kw:
        setp(props, "DefaultActions", PList([sub(kw["default_target_groups"][1], Type="forward")]), *kw["default_target_groups"])
    reader.add("AWS::ElasticLoadBalancingV2::Listener", reader.construct_id(call, fallback), call, props)


@construct("aws_ecs_patterns", "ApplicationLoadBalancedFargateService", "ApplicationLoadBalancedEc2Service")
def load_balanced_service(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """The ECS pattern's listener: HTTP unless `protocol=HTTPS` or a `certificate` is given (CDK's default);
    with HTTPS, `redirect_http=True` adds a port-80 listener that only redirects."""
    kw = _kw(reader, call)
    if "protocol" in kw:
        member = enum_member(reader.value(kw["protocol"][1]))
        protocol, where = (member if member in ("HTTP", "HTTPS") else UNKNOWN), kw["protocol"]
    else:
        certificate = "certificate" in kw and not _is_none(kw["certificate"][1])
        protocol, where = ("HTTPS" if certificate else "HTTP"), (call, call)
    props = PDict(pos=pos_of(call))
    setp(props, "Protocol", protocol, *where)
    reader.add("AWS::ElasticLoadBalancingV2::Listener", f"{reader.construct_id(call, fallback)}PublicListener", call, props)


@method("add_listener")
def add_listener(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`alb.add_listener("Http", port=80, ...)` on an ApplicationLoadBalancer of this file."""
    if not isinstance(call.func, ast.Attribute):
        return
    lb = reader.follow(call.func.value)
    if isinstance(lb, ast.Attribute) and isinstance(lb.value, ast.Name) and lb.value.id == "self":
        lb = reader.follow(reader.self_attrs.get(lb.attr, lb))
    cls = cdk_class(reader.qual(lb.func)) if isinstance(lb, ast.Call) else None
    if cls == ("aws_elasticloadbalancingv2", "NetworkLoadBalancer"):
        network_listener(reader, call, "Listener")  # TCP/TLS: only its TLS policy can be a finding
        return
    if cls != ("aws_elasticloadbalancingv2", "ApplicationLoadBalancer"):
        return  # one we cannot see: its listeners are unknown
    application_listener(reader, call, "Listener")


@construct("aws_ecs_patterns", "ApplicationMultipleTargetGroupsFargateService",
           "ApplicationMultipleTargetGroupsEc2Service")
def multiple_target_groups_service(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """The pattern's listeners: `load_balancers=[ApplicationLoadBalancerProps(listeners=[ApplicationListenerProps(
    name=..., protocol=..., certificate=...)])]`; without `load_balancers`, one HTTP listener on port 80 (CDK's
    default). Each listener is HTTP unless `protocol=HTTPS` or a `certificate` is given."""
    kw = _kw(reader, call)
    base = reader.construct_id(call, fallback)
    if "load_balancers" not in kw:
        props = PDict(pos=pos_of(call))
        setp(props, "Protocol", "HTTP", call, call)
        reader.add("AWS::ElasticLoadBalancingV2::Listener", f"{base}PublicListener", call, props)
        return
    lbs = kw["load_balancers"][1]
    if not isinstance(lbs, (ast.List, ast.Tuple)):
        return
    for lb in lbs.elts:
        lb_kw = _kw(reader, lb) if isinstance(lb, ast.Call) else None
        if lb_kw is None or "listeners" not in lb_kw or not isinstance(lb_kw["listeners"][1], (ast.List, ast.Tuple)):
            continue
        for listener in lb_kw["listeners"][1].elts:
            lk = _kw(reader, listener) if isinstance(listener, ast.Call) else None
            if lk is None:
                continue
            if "protocol" in lk:
                member = enum_member(reader.value(lk["protocol"][1]))
                protocol, where = (member if member in ("HTTP", "HTTPS") else UNKNOWN), lk["protocol"]
            else:
                https = "certificate" in lk and not _is_none(lk["certificate"][1])
                protocol, where = ("HTTPS" if https else "HTTP"), (listener, listener)
            props = PDict(pos=pos_of(listener))
            setp(props, "Protocol", protocol, *where)
            _ssl_policy(reader, lk, props)
            name = reader.value(lk["name"][1]) if "name" in lk else None
            reader.add("AWS::ElasticLoadBalancingV2::Listener", f"{base}{name if isinstance(name, str) else 'Listener'}",
                       listener, props)


@method("add_action")
def listener_add_action(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    """`listener.add_action("Redirect", action=ListenerAction.redirect(...))` without conditions: the default."""
    if not isinstance(call.func, ast.Attribute):
        return
    listener = reader.owner(call.func.value, ("AWS::ElasticLoadBalancingV2::Listener",))
    kw = _kw(reader, call)
    if listener is None or "action" not in kw or "conditions" in kw or "priority" in kw:
        return
    actions = PList([_listener_action(reader, kw["action"][1])], pos=pos_of(call))
    actions.item_pos.append(pos_of(call))
    setp(listener.props, "DefaultActions", actions, *kw["action"])


# --- CloudFront -------------------------------------------------------------------------------------------------

@construct("aws_cloudfront", "Distribution")
def distribution(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    behavior = PDict(pos=pos_of(call))
    policy: Any = "allow-all"  # the CDK default
    where: tuple[Any, Any] = (kw["default_behavior"] if "default_behavior" in kw else (call, call))
    if "default_behavior" in kw:
        value = reader.value(kw["default_behavior"][1])
        inner = _kw(reader, value.call) if isinstance(value, Expr) and value.call is not None else None
        if inner is not None and "viewer_protocol_policy" in inner:
            where = inner["viewer_protocol_policy"]
            policy = reader.value(where[1])
        elif isinstance(value, dict) and "viewer_protocol_policy" in value:
            policy = value["viewer_protocol_policy"]
        elif inner is None and not isinstance(value, dict):
            policy = UNKNOWN
        member = enum_member(policy)
        if member:
            policy = {"ALLOW_ALL": "allow-all", "HTTPS_ONLY": "https-only", "REDIRECT_TO_HTTPS": "redirect-to-https"}.get(member, UNKNOWN)
    setp(behavior, "ViewerProtocolPolicy", policy, *where)
    config = sub(call, DefaultCacheBehavior=behavior)
    if "log_bucket" in kw and not _is_none(kw["log_bucket"][1]):  # standard logging into that bucket
        k, v = kw["log_bucket"]
        setp(config, "Logging", sub(k, Bucket=_bucket_reference(reader, v)), k, v)
    elif "enable_logging" in kw and reader.value(kw["enable_logging"][1]) is not False:
        setp(config, "Logging", UNKNOWN, *kw["enable_logging"])  # CDK makes a log bucket
    reader.add("AWS::CloudFront::Distribution", reader.construct_id(call, fallback), call, sub(call, DistributionConfig=config))


# --- parameters -------------------------------------------------------------------------------------------------

@construct("core", "CfnParameter")
def cfn_parameter(reader: CdkReader, call: ast.Call, fallback: str) -> None:
    kw = _kw(reader, call)
    name = reader.construct_id(call, fallback)
    param = PDict(pos=pos_of(call))
    for py, cfn in (("no_echo", "NoEcho"), ("default", "Default"), ("type", "Type")):
        if py in kw:
            setp(param, cfn, reader.value(kw[py][1]), *kw[py])
    params = reader.template.parameters
    params[name] = param
    params.key_pos[name] = params.val_pos[name] = pos_of(call)
