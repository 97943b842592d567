"""Logging and audit, the repudiation threats: CloudTrail integrity and coverage, access logs of buckets, load
balancers and CloudFront, API Gateway execution logs (rules IAC160-IAC163)."""

from __future__ import annotations

from typing import Any

from ..context import IacContext, at_key
from ....lang.iac.model import UNKNOWN, Template, as_bool, as_list, dig, is_intrinsic, is_off, literal
from ..registry import iac_check

LOGGING = "Inadequate logging and monitoring"


@iac_check("IAC160")
def cloudtrail_without_validation(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::CloudTrail::Trail"):
        if is_off(r.props.get("EnableLogFileValidation"), template):
            where = at_key(r.props, "EnableLogFileValidation")
            ctx.report(r, f"{LOGGING}: trail `{r.logical_id}` does not validate its log files "
                          "(`EnableLogFileValidation` is not true), so whoever reaches the bucket can change or delete "
                          "records without it being noticed.", **where)


@iac_check("IAC161")
def cloudtrail_single_region(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::CloudTrail::Trail"):
        if is_off(r.props.get("IsMultiRegionTrail"), template):
            where = at_key(r.props, "IsMultiRegionTrail")
            ctx.report(r, f"{LOGGING}: trail `{r.logical_id}` records one region only (`IsMultiRegionTrail` is not "
                          "true): what an attacker does in any other region leaves no trace.", **where)


def _ref_target(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        if k == "Ref" and isinstance(v, str):
            return v
        if k == "Fn::GetAtt":
            parts = v if isinstance(v, list) else str(v).split(".")
            return str(parts[0]) if parts else None
        if k == "Fn::Sub" and isinstance(v, str) and v.startswith("${") and "}" in v:
            return v[2:v.index("}")].split(".")[0]
    return None


def log_buckets(template: Template) -> set[str]:
    """Buckets that receive logs (of other buckets, trails, load balancers, CloudFront): they need no access log
    of their own (logging a log bucket into itself loops)."""
    found: set[str] = set()
    for r in template.resources.values():
        p = r.props
        candidates = [dig(p, "LoggingConfiguration", "DestinationBucketName"), p.get("S3BucketName"),
                      dig(p, "DistributionConfig", "Logging", "Bucket"), dig(p, "AccessLoggingPolicy", "S3BucketName"),
                      p.get("LogDestination")]  # VPC flow logs
        for attr in as_list(p.get("LoadBalancerAttributes")):
            if isinstance(attr, dict) and literal(attr.get("Key"), template) == "access_logs.s3.bucket":
                candidates.append(attr.get("Value"))
        if r.type in ("AWS::S3::BucketPolicy",):
            continue
        for c in candidates:
            target = _ref_target(c)
            if target:
                found.add(target)
    for r in template.of_type("AWS::S3::Bucket"):
        if literal(r.props.get("AccessControl"), template) == "LogDeliveryWrite":
            found.add(r.logical_id)
    return found


@iac_check("IAC162")
def access_logs_off(template: Template, ctx: IacContext) -> None:
    receivers = log_buckets(template)
    # CDK: buckets of this file that a construct in another file logs into (lang/iac/cdk/app.py names them
    # "FILE#ConstructId@LINE")
    passed = ctx.scan.facts.cdk_log_buckets
    receivers |= {r.logical_id for r in template.of_type("AWS::S3::Bucket")
                  if f"{template.rel}#{r.logical_id}@{r.id_pos[0]}" in passed}
    for r in template.of_type("AWS::S3::Bucket"):
        if r.logical_id in receivers or "LoggingConfiguration" in r.props:
            continue
        ctx.report(r, f"{LOGGING}: bucket `{r.logical_id}` writes no server access logs (`LoggingConfiguration`), so "
                      "who read or deleted its objects cannot be told afterwards.")
    for r in template.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        if literal(r.props.get("Type"), template) not in (None, "application"):
            continue
        attrs = r.props.get("LoadBalancerAttributes")
        if is_intrinsic(attrs) or any(not isinstance(a, dict) or is_intrinsic(a) for a in as_list(attrs)):
            continue
        enabled = [as_bool(a.get("Value"), template) for a in as_list(attrs)
                   if literal(a.get("Key"), template) == "access_logs.s3.enabled"]
        if not enabled or enabled[0] is False:
            ctx.report(r, f"{LOGGING}: load balancer `{r.logical_id}` writes no access logs "
                          "(`access_logs.s3.enabled`), so requests and attacks leave no record.")
    for r in template.of_type("AWS::ElasticLoadBalancing::LoadBalancer"):
        if is_off(dig(r.props, "AccessLoggingPolicy", "Enabled"), template):
            ctx.report(r, f"{LOGGING}: classic load balancer `{r.logical_id}` writes no access logs "
                          "(`AccessLoggingPolicy`).")
    for r in template.of_type("AWS::CloudFront::Distribution"):
        config = r.props.get("DistributionConfig")
        if isinstance(config, dict) and not is_intrinsic(config) and config.get("Logging") is None:
            ctx.report(r, f"{LOGGING}: distribution `{r.logical_id}` writes no standard access logs (`Logging`).")


def _execution_logging(settings: Any, template: Template) -> Any:
    """True when some method setting logs (`LoggingLevel` INFO/ERROR), False when none does, UNKNOWN if hidden."""
    if settings is UNKNOWN or is_intrinsic(settings):
        return UNKNOWN
    for s in as_list(settings):
        if not isinstance(s, dict) or is_intrinsic(s):
            return UNKNOWN
        level = literal(s.get("LoggingLevel"), template)
        if level is UNKNOWN or (isinstance(level, str) and level.upper() in ("INFO", "ERROR")):
            return True if level is not UNKNOWN else UNKNOWN
    return False


@iac_check("IAC163")
def api_without_execution_logging(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::ApiGateway::Stage", "AWS::Serverless::Api"):
        if _execution_logging(r.props.get("MethodSettings"), template) is False:
            ctx.report(r, f"{LOGGING}: REST API stage `{r.logical_id}` writes no execution logs (`MethodSettings` "
                          "with `LoggingLevel: INFO` or `ERROR`), so failed authorizations and integration errors "
                          "leave no trace.")
