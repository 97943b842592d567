"""CDK L1 classes (`aws_lambda.CfnFunction`, `aws_s3.CfnBucket`, `aws_sam.CfnFunction`, ...) -> resources.

An L1 class is the CloudFormation resource itself: `aws_<service>.Cfn<Type>` is `AWS::<Service>::<Type>` and its
keyword arguments are the CloudFormation properties in snake_case (`bucket_encryption` -> `BucketEncryption`),
with nested `Cfn<Type>.<Name>Property(...)` classes or dict literals for property types. So one mechanical
translation serves every L1 class of the services the IaC rules cover. Keys are converted from snake_case or
camelCase; free-form maps (environment variables, policy documents, tags) keep their keys as written. A value
that is not a literal (an attribute of another construct, a token) is UNKNOWN, except references to another
construct's `attr_arn`/`ref`, kept as `Fn::GetAtt`/`Ref` so the shared-role rule can compare them.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable

from ..loader import PDict, PList
from ..model import UNKNOWN, CodeDir
from .constructs import _identity, code_path
from .translate import CdkReader, pos_of

SERVICES = {
    "aws_lambda": "Lambda", "aws_s3": "S3", "aws_dynamodb": "DynamoDB", "aws_ec2": "EC2", "aws_cognito": "Cognito",
    "aws_rds": "RDS", "aws_iam": "IAM", "aws_sqs": "SQS", "aws_sns": "SNS", "aws_apigateway": "ApiGateway",
    "aws_apigatewayv2": "ApiGatewayV2", "aws_cloudfront": "CloudFront", "aws_kms": "KMS",
    "aws_elasticloadbalancingv2": "ElasticLoadBalancingV2", "aws_elasticloadbalancing": "ElasticLoadBalancing",
    "aws_sam": "Serverless", "aws_efs": "EFS", "aws_kinesis": "Kinesis", "aws_elasticache": "ElastiCache",
    "aws_opensearchservice": "OpenSearchService", "aws_elasticsearch": "Elasticsearch", "aws_redshift": "Redshift",
    "aws_docdb": "DocDB", "aws_neptune": "Neptune", "aws_logs": "Logs", "aws_cloudtrail": "CloudTrail",
    "aws_secretsmanager": "SecretsManager", "aws_ecr": "ECR", "aws_events": "Events", "aws_msk": "MSK",
    "aws_timestream": "Timestream",
}
# The CloudFormation names a mechanical snake_case -> PascalCase conversion gets wrong (acronyms).
ACRONYMS = {
    "SseSpecification": "SSESpecification", "SseEnabled": "SSEEnabled", "SseType": "SSEType",
    "DbClusterIdentifier": "DBClusterIdentifier", "DbSnapshotIdentifier": "DBSnapshotIdentifier",
    "SourceDbInstanceIdentifier": "SourceDBInstanceIdentifier", "DbInstanceClass": "DBInstanceClass",
    "DbName": "DBName", "DbSubnetGroupName": "DBSubnetGroupName", "DbInstanceIdentifier": "DBInstanceIdentifier",
    "PrincipalOrgId": "PrincipalOrgID", "KmsMasterKeyId": "KmsMasterKeyId", "EnforceHttps": "EnforceHTTPS",
    "TlsSecurityPolicy": "TLSSecurityPolicy", "DataVolumeKmsKeyId": "DataVolumeKMSKeyId",
}
# Properties whose value is a free-form map: its keys are data (variable names, policy JSON), not property names.
RAW = frozenset({"Variables", "PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy", "Policy", "Tags",
                 "AccessPolicies", "ResourcePolicy", "RepositoryPolicyText",
                 "Definition", "DefinitionBody", "DefinitionSubstitutions", "Body", "RequestParameters",
                 "ResponseParameters", "RequestTemplates", "ResponseTemplates", "Metadata", "Parameters"})
_PROPERTY_NAME = re.compile(r"[a-z][A-Za-z0-9_]*")


def cfn_name(key: str) -> str:
    """`bucket_encryption` / `bucketEncryption` -> `BucketEncryption`; anything else (`DB_PASSWORD`,
    `aws:SourceArn`, `Statement`) is left as it is."""
    if not _PROPERTY_NAME.fullmatch(key):
        return key
    name = "".join(part[:1].upper() + part[1:] for part in key.split("_") if part)
    return ACRONYMS.get(name, name)


def l1_translator(cls: tuple[str, str]) -> Callable[[CdkReader, ast.Call, str], None] | None:
    module, name = cls
    service = SERVICES.get(module)
    if service is None or not name.startswith("Cfn") or len(name) <= 3:
        return None
    rtype = f"AWS::{service}::{name[3:]}"

    def translate(reader: CdkReader, call: ast.Call, fallback: str) -> None:
        props = PDict(pos=pos_of(call))
        for key, (kw, value) in reader.kwargs(call).items():
            if key in ("scope", "id"):
                continue
            cfn = cfn_name(key)
            props[cfn] = l1_value(reader, value, raw=cfn in RAW)
            props.key_pos[cfn] = pos_of(kw)
            props.val_pos[cfn] = pos_of(value)
        extra: dict[str, Any] = {}
        if rtype == "AWS::Lambda::Function":
            zipped = _zip_file_node(reader, reader.kwargs(call).get("code"))
            if zipped is not None and isinstance(props.get("Code"), dict) and isinstance(props["Code"].get("ZipFile"), str):
                extra["inline_node"] = zipped
        elif rtype == "AWS::Serverless::Function":
            uri = reader.kwargs(call).get("code_uri")
            path = code_path(reader, uri[1]) if uri is not None else None
            extra["code_dir"] = CodeDir(path, "the `code_uri` is not a local path known before synth" if uri
                                        else "no `code_uri`")
        reader.add(rtype, reader.construct_id(call, name), call, props, **extra)

    return translate


def _zip_file_node(reader: CdkReader, code: tuple[ast.AST, ast.AST] | None) -> ast.AST | None:
    if code is None:
        return None
    node = reader.follow(code[1])
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg in ("zip_file", "zipFile"):
                return reader.follow(kw.value)
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value in ("zip_file", "zipFile", "ZipFile"):
                return reader.follow(v)
    return None


def l1_value(reader: CdkReader, node: ast.AST, raw: bool = False, depth: int = 0) -> Any:
    """An L1 property value in CloudFormation shape (PDict/PList/str/number/bool, Ref/GetAtt, or UNKNOWN)."""
    if depth > 12:
        return UNKNOWN
    node = reader.follow(node)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return reader.value(node)
    if isinstance(node, (ast.List, ast.Tuple)):
        out_list = PList(pos=pos_of(node))
        for e in node.elts:
            out_list.append(l1_value(reader, e, raw, depth + 1))
            out_list.item_pos.append(pos_of(e))
        return out_list
    if isinstance(node, ast.Dict):
        pairs = [(k, v, k) for k, v in zip(node.keys, node.values) if k is not None]
        return _mapping(reader, node, pairs, raw, depth)
    if isinstance(node, ast.Call):
        qual = reader.qual(node.func) or ""
        last = qual.rsplit(".", 1)[-1]
        if qual == "dict" or (last.endswith("Property") and ".Cfn" in qual) or last == "CfnTag":
            pairs = [(ast.Constant(kw.arg), kw.value, kw) for kw in node.keywords if kw.arg]
            return _mapping(reader, node, pairs, raw and qual == "dict", depth)
        if qual.endswith(".Fn.import_value") and node.args:
            name = l1_value(reader, node.args[0], raw, depth + 1)
            return {"Fn::ImportValue": name} if isinstance(name, str) else UNKNOWN
        return UNKNOWN
    if isinstance(node, ast.Attribute):
        if node.attr in ("attr_arn", "role_arn", "function_arn", "arn"):
            return {"Fn::GetAtt": [_identity(reader, node.value), "Arn"]}
        if node.attr == "ref":
            secret = reader.owner(node.value, ("AWS::SecretsManager::Secret",))
            if secret is not None:  # `CfnRotationSchedule(secret_id=secret.ref)`: the secret it rotates
                return {"Ref": secret.logical_id}
            return {"Ref": _identity(reader, node.value)}
    return UNKNOWN


def _mapping(reader: CdkReader, node: ast.AST, pairs: list, raw: bool, depth: int) -> PDict:
    out = PDict(pos=pos_of(node))
    for key_node, value_node, pos_node in pairs:
        key = key_node.value if isinstance(key_node, ast.Constant) else None
        if not isinstance(key, str):
            continue
        name = key if raw else cfn_name(key)
        out[name] = l1_value(reader, value_node, raw or name in RAW, depth + 1)
        out.key_pos[name] = pos_of(pos_node)
        out.val_pos[name] = pos_of(value_node)
    return out
