"""API Gateway (REST, HTTP, SAM Api/HttpApi), plain HTTP front doors, weak TLS and plaintext Kafka (rules
IAC120-IAC125)."""

from __future__ import annotations

from typing import Any

from ..context import IacContext, at_key
from ....lang.iac.loader import PDict
from ....lang.iac.model import UNKNOWN, Template, as_bool, as_list, dig, is_intrinsic, literal
from ..registry import iac_check

MSG_AUTH = "Authentication bypass"


def _ref(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return value["Ref"]
    return None


def _global_section(template: Template, name: str) -> Any:
    glob = template.doc.get("Globals") if template.sam else None
    return glob.get(name) if isinstance(glob, dict) else None


@iac_check("IAC120")
def api_without_authorizer(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::ApiGateway::Method"):
        p = r.props
        method = literal(p.get("HttpMethod"), template)
        auth = literal(p.get("AuthorizationType"), template)
        if method == "OPTIONS" or auth is UNKNOWN or (auth not in (None, "NONE")):
            continue
        if literal(p.get("ApiKeyRequired"), template) in (True, "true"):
            continue
        ctx.report(r, f"{MSG_AUTH}: REST API method `{r.logical_id}` ({method or 'ANY'}) has no authorizer "
                      "(`AuthorizationType: NONE`).", container=p if "AuthorizationType" in p else None,
                   key="AuthorizationType" if "AuthorizationType" in p else None)
    for r in template.of_type("AWS::ApiGatewayV2::Route"):
        p = r.props
        auth = literal(p.get("AuthorizationType"), template)
        route = literal(p.get("RouteKey"), template)
        if auth is UNKNOWN or auth not in (None, "NONE") or (isinstance(route, str) and route.startswith("OPTIONS ")):
            continue
        ctx.report(r, f"{MSG_AUTH}: HTTP API route `{r.logical_id}` ({route if isinstance(route, str) else '?'}) has "
                      "no authorizer.", container=p if "AuthorizationType" in p else None,
                   key="AuthorizationType" if "AuthorizationType" in p else None)
    for fn in template.of_type("AWS::Serverless::Function"):
        events = fn.props.get("Events")
        if not isinstance(events, dict):
            continue
        for name, event in events.items():
            if not isinstance(event, dict) or literal(event.get("Type"), template) not in ("Api", "HttpApi"):
                continue
            etype = event["Type"]
            props = event.get("Properties") if isinstance(event.get("Properties"), dict) else PDict()
            if literal(props.get("Method"), template) in ("options", "OPTIONS"):
                continue
            authorizer = dig(props, "Auth", "Authorizer")
            if authorizer is UNKNOWN:
                continue
            if authorizer is None:
                api_id = _ref(props.get("RestApiId" if etype == "Api" else "ApiId"))
                api = template.resources.get(api_id) if api_id else None
                if api is not None:
                    default = dig(api.props, "Auth", "DefaultAuthorizer")
                elif api_id is None:
                    default = dig(_global_section(template, etype), "Auth", "DefaultAuthorizer")
                else:
                    continue  # an API defined elsewhere
                if default is UNKNOWN or (default is not None and literal(default, template) != "NONE"):
                    continue
                if etype == "Api" and dig(props, "Auth", "ApiKeyRequired") in (True, "true"):
                    continue
            elif literal(authorizer, template) != "NONE":
                continue
            ctx.report(fn, f"{MSG_AUTH}: the {etype} event `{name}` of `{fn.logical_id}` has no authorizer, so anyone "
                           "can call the function through the API.", container=events, key=name)


def _has_usage_plan_throttle(template: Template) -> bool:
    return any(isinstance(r.props.get("Throttle"), dict) for r in template.of_type("AWS::ApiGateway::UsagePlan"))


def _throttled_method_settings(settings: Any) -> bool | Any:
    if settings is UNKNOWN or is_intrinsic(settings):
        return UNKNOWN
    for s in as_list(settings):
        if not isinstance(s, dict) or is_intrinsic(s):
            return UNKNOWN
        if "ThrottlingRateLimit" in s or "ThrottlingBurstLimit" in s:
            return True
    return False


MSG_THROTTLE = "Rate limits"


def implicit_apis(template: Template) -> dict[str, tuple[Any, Any, Any]]:
    """SAM's implicit APIs (`ServerlessRestApi`, `ServerlessHttpApi`), created for `Api`/`HttpApi` events that
    name no API of their own: event type -> (function, its Events, the first such event's name). They are
    configured only through `Globals` (`Api`, `HttpApi`)."""
    found: dict[str, tuple[Any, Any, Any]] = {}
    if not template.sam:
        return found
    for fn in template.of_type("AWS::Serverless::Function"):
        events = fn.props.get("Events")
        if not isinstance(events, dict) or is_intrinsic(events):
            continue
        for name, event in events.items():
            etype = literal(event.get("Type"), template) if isinstance(event, dict) else None
            if etype not in ("Api", "HttpApi") or etype in found:
                continue
            props = event.get("Properties")
            if isinstance(props, dict) and props.get("RestApiId" if etype == "Api" else "ApiId") is not None:
                continue
            found[etype] = (fn, events, name)
    return found


def _implicit_api_settings(template: Template, etype: str) -> Any:
    """The Globals section that configures SAM's implicit API of this type (an empty mapping when none)."""
    section = _global_section(template, etype)
    if section is None:
        return PDict()
    return section if isinstance(section, dict) and not is_intrinsic(section) else UNKNOWN


def _number(value: Any, template: Template) -> float | None:
    value = literal(value, template)
    if isinstance(value, bool) or value is UNKNOWN:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _stage_rate(settings: Any, template: Template) -> float | None:
    """The highest steady-state rate (requests per second) a stage's method settings allow, when all are literal."""
    rates = []
    for s in as_list(settings):
        if isinstance(s, dict) and "ThrottlingRateLimit" in s:
            rate = _number(s.get("ThrottlingRateLimit"), template)
            if rate is None:
                return None
            rates.append(rate)
    return max(rates) if rates else None


def _anonymous(template: Template, stage: Any) -> bool:
    """Whether callers of the stage's API need no authorizer (then the unauthenticated limit applies)."""
    if stage.type == "AWS::Serverless::Api":
        return dig(stage.props, "Auth", "DefaultAuthorizer") is None
    if stage.type == "AWS::Serverless::HttpApi":
        return dig(stage.props, "Auth", "DefaultAuthorizer") is None
    key = "RestApiId" if stage.type == "AWS::ApiGateway::Stage" else "ApiId"
    kind = "AWS::ApiGateway::Method" if key == "RestApiId" else "AWS::ApiGatewayV2::Route"
    methods = [m for m in template.of_type(kind) if m.props.get(key) == stage.props.get(key)]
    return not methods or any(literal(m.props.get("AuthorizationType"), template) in (None, "NONE") for m in methods)


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:g}"


def _rate_policy(template: Template, ctx: IacContext) -> None:
    """Compare every per-client limit the template sets with the threat model's `rate-limit-authenticated` (per API
    key: usage plans) and `rate-limit-unauthenticated` (per IP: WAF rate-based rules), in requests per minute."""
    authenticated = float(ctx.scan.policy.rate_limit_authenticated or "inf")  # not stated: nothing compared
    anonymous = float(ctx.scan.policy.rate_limit_unauthenticated or "inf")
    for plan in template.of_type("AWS::ApiGateway::UsagePlan"):
        throttle = plan.props.get("Throttle")
        rate = _number(dig(throttle, "RateLimit"), template) if isinstance(throttle, dict) else None
        if rate is not None and rate * 60 > authenticated:
            ctx.report(plan, f"{MSG_THROTTLE}: usage plan `{plan.logical_id}` lets each API key send {_fmt(rate)} requests "
                             f"per second ({_fmt(rate * 60)} per minute), above the policy's rate-limit-authenticated "
                             f"of {_fmt(authenticated)} per minute.", container=throttle, key="RateLimit", value=True)
    for acl in template.of_type("AWS::WAFv2::WebACL"):
        for rule in as_list(acl.props.get("Rules")):
            statement = dig(rule, "Statement", "RateBasedStatement") if isinstance(rule, dict) else None
            if not isinstance(statement, dict):
                continue
            limit = _number(statement.get("Limit"), template)
            window = _number(statement.get("EvaluationWindowSec", 300), template) or 300
            if limit is not None and limit / (window / 60) > anonymous:
                name = literal(rule.get("Name"), template)
                ctx.report(acl, f"{MSG_THROTTLE}: rate-based rule `{name}` of web ACL `{acl.logical_id}` allows "
                                f"{_fmt(limit)} requests per {_fmt(window)} seconds from one address "
                                f"({_fmt(limit / (window / 60))} per minute), above the policy's "
                                f"rate-limit-unauthenticated of {_fmt(anonymous)} per minute.",
                           container=statement, key="Limit", value=True)


@iac_check("IAC121")
def api_without_throttling(template: Template, ctx: IacContext) -> None:
    usage_plan = _has_usage_plan_throttle(template)
    _rate_policy(template, ctx)
    per_client = usage_plan or any(
        isinstance(dig(rule, "Statement", "RateBasedStatement"), dict)
        for acl in template.of_type("AWS::WAFv2::WebACL") for rule in as_list(acl.props.get("Rules")))
    for r in template.of_type("AWS::ApiGateway::Stage", "AWS::Serverless::Api", "AWS::ApiGatewayV2::Stage",
                              "AWS::Serverless::HttpApi"):
        # Stage throttling is shared by every client: without a per-client limit (usage plan, WAF rate rule), one
        # client may use all of it, so the stage's rate is what the policy's per-client number is compared with.
        if per_client:
            continue
        settings = (r.props.get("MethodSettings") if r.type in ("AWS::ApiGateway::Stage", "AWS::Serverless::Api")
                    else [r.props.get("DefaultRouteSettings")])
        rate = _stage_rate(settings, template)
        if rate is None:
            continue
        anon = _anonymous(template, r)
        limit = float((ctx.scan.policy.rate_limit_unauthenticated if anon else ctx.scan.policy.rate_limit_authenticated)
                      or "inf")  # the threat model states no limit for these callers: nothing to compare
        if rate * 60 > limit:
            ctx.report(r, f"{MSG_THROTTLE}: stage `{r.logical_id}` throttles all clients together at {_fmt(rate)} requests "
                          f"per second, so one {'anonymous ' if anon else ''}client may send {_fmt(rate * 60)} per minute, "
                          f"above the policy's {'rate-limit-unauthenticated' if anon else 'rate-limit-authenticated'} of "
                          f"{_fmt(limit)} per minute; add a WAF rate-based rule (per address) or a usage plan (per API key).")
    for r in template.of_type("AWS::ApiGateway::Stage", "AWS::Serverless::Api"):
        if usage_plan or dig(r.props, "Auth", "UsagePlan") is not None:
            continue
        throttled = _throttled_method_settings(r.props.get("MethodSettings"))
        if throttled is False:
            ctx.report(r, f"{MSG_THROTTLE}: REST API stage `{r.logical_id}` sets no throttling "
                          "(`MethodSettings` with `ThrottlingRateLimit`/`ThrottlingBurstLimit`) and no usage plan "
                          "limits it; only the account-wide limit applies.")
    for r in template.of_type("AWS::ApiGatewayV2::Stage", "AWS::Serverless::HttpApi"):
        default = r.props.get("DefaultRouteSettings")
        if default is not None and not isinstance(default, dict) or is_intrinsic(default):
            continue
        if isinstance(default, dict) and ("ThrottlingRateLimit" in default or "ThrottlingBurstLimit" in default):
            continue
        if isinstance(r.props.get("RouteSettings"), dict) and r.props["RouteSettings"]:
            continue
        ctx.report(r, f"{MSG_THROTTLE}: HTTP API stage `{r.logical_id}` sets no throttling "
                      "(`DefaultRouteSettings` with `ThrottlingRateLimit`/`ThrottlingBurstLimit`).")
    for etype, (fn, events, name) in implicit_apis(template).items():
        settings = _implicit_api_settings(template, etype)
        if settings is UNKNOWN:
            continue
        if etype == "Api":
            if usage_plan or dig(settings, "Auth", "UsagePlan") is not None:
                continue
            if _throttled_method_settings(settings.get("MethodSettings")) is not False:
                continue
            where = "`Globals: Api: MethodSettings` with `ThrottlingRateLimit`/`ThrottlingBurstLimit`"
        else:
            default, routes = settings.get("DefaultRouteSettings"), settings.get("RouteSettings")
            if default is not None and (not isinstance(default, dict) or is_intrinsic(default)
                                        or "ThrottlingRateLimit" in default or "ThrottlingBurstLimit" in default):
                continue
            if routes is not None and (not isinstance(routes, dict) or routes):
                continue
            where = "`Globals: HttpApi: DefaultRouteSettings` with `ThrottlingRateLimit`/`ThrottlingBurstLimit`"
        ctx.report(fn, f"{MSG_THROTTLE}: the implicit API SAM creates for the {etype} event `{name}` of "
                       f"`{fn.logical_id}` sets no throttling ({where}); only the account-wide limit applies.",
                   container=events, key=name)


@iac_check("IAC122")
def api_without_access_logging(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        if r.type in ("AWS::ApiGateway::Stage", "AWS::Serverless::Api"):
            key = "AccessLogSetting"
        elif r.type in ("AWS::ApiGatewayV2::Stage", "AWS::Serverless::HttpApi"):
            key = "AccessLogSettings"
        else:
            continue
        setting = r.props.get(key)
        if setting is None or (isinstance(setting, dict) and not is_intrinsic(setting) and "DestinationArn" not in setting):
            ctx.report(r, f"Inadequate logging and monitoring: API stage `{r.logical_id}` writes no access "
                          f"logs (`{key}`), so abuse and attacks leave no trace.")
    for etype, (fn, events, name) in implicit_apis(template).items():
        settings = _implicit_api_settings(template, etype)
        key = "AccessLogSetting" if etype == "Api" else "AccessLogSettings"
        setting = settings.get(key) if isinstance(settings, dict) else UNKNOWN
        if setting is None or (isinstance(setting, dict) and not is_intrinsic(setting) and "DestinationArn" not in setting):
            ctx.report(fn, f"Inadequate logging and monitoring: the implicit API SAM creates for the {etype} "
                           f"event `{name}` of `{fn.logical_id}` writes no access logs (`Globals: {etype}: {key}`), so "
                           "abuse and attacks leave no trace.", container=events, key=name)


@iac_check("IAC123")
def plain_http_allowed(template: Template, ctx: IacContext) -> None:
    msg = "Unencrypted data in transit"
    for r in template.of_type("AWS::CloudFront::Distribution"):
        config = r.props.get("DistributionConfig")
        if not isinstance(config, dict):
            continue
        behaviors = [config.get("DefaultCacheBehavior"), *as_list(config.get("CacheBehaviors"))]
        for b in behaviors:
            if isinstance(b, dict) and literal(b.get("ViewerProtocolPolicy"), template) == "allow-all":
                ctx.report(r, f"{msg}: CloudFront distribution `{r.logical_id}` serves viewers over plain HTTP "
                              "(`ViewerProtocolPolicy: allow-all`).", container=b, key="ViewerProtocolPolicy")
    for r in template.of_type("AWS::ElasticLoadBalancingV2::Listener"):
        if literal(r.props.get("Protocol"), template) != "HTTP":
            continue
        given = r.props.get("DefaultActions")
        if given is UNKNOWN or is_intrinsic(given) or any(a is UNKNOWN or is_intrinsic(a) for a in as_list(given)):
            continue  # actions we cannot see may redirect
        actions = [a for a in as_list(given) if isinstance(a, dict)]
        if actions and all(literal(a.get("Type"), template) == "redirect"
                           and literal(dig(a, "RedirectConfig", "Protocol"), template) == "HTTPS" for a in actions):
            continue
        ctx.report(r, f"{msg}: load balancer listener `{r.logical_id}` serves plain HTTP without redirecting to "
                      "HTTPS.", container=r.props, key="Protocol")
    for r in template.of_type("AWS::ElasticLoadBalancing::LoadBalancer"):
        listeners = r.props.get("Listeners")
        for i, listener in enumerate(as_list(listeners)):
            if isinstance(listener, dict) and str(literal(listener.get("Protocol"), template)).upper() == "HTTP":
                ctx.report(r, f"{msg}: classic load balancer `{r.logical_id}` has a plain HTTP listener.",
                           container=listener, key="Protocol")
    for r in template.of_type("AWS::ElastiCache::ReplicationGroup"):
        enabled = literal(r.props.get("TransitEncryptionEnabled"), template)
        if enabled in (None, False, "false", "False"):
            where = at_key(r.props, "TransitEncryptionEnabled")
            ctx.report(r, f"{msg}: ElastiCache replication group `{r.logical_id}` accepts unencrypted connections "
                          "(`TransitEncryptionEnabled` is not true).", **where)
    for r in template.of_type("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"):
        n2n = r.props.get("NodeToNodeEncryptionOptions")
        if not is_intrinsic(n2n) and literal(dig(n2n, "Enabled"), template) in (None, False, "false"):
            where = at_key(n2n, "Enabled")
            ctx.report(r, f"{msg}: search domain `{r.logical_id}` sends data between its nodes unencrypted "
                          "(`NodeToNodeEncryptionOptions.Enabled` is not true).", **where)
        endpoint = r.props.get("DomainEndpointOptions")
        if not is_intrinsic(endpoint) and literal(dig(endpoint, "EnforceHTTPS"), template) in (None, False, "false"):
            where = at_key(endpoint, "EnforceHTTPS")
            ctx.report(r, f"{msg}: search domain `{r.logical_id}` accepts plain HTTP requests "
                          "(`DomainEndpointOptions.EnforceHTTPS` is not true).", **where)


# Load balancer policies that still accept TLS 1.0 or 1.1 (AWS's ELB security policy table).
_OLD_ELB_POLICIES = frozenset({
    "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
    "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-1-PQ-2025-09",
    "ELBSecurityPolicy-2011-08", "ELBSecurityPolicy-2014-01", "ELBSecurityPolicy-2014-10", "ELBSecurityPolicy-2015-02",
    "ELBSecurityPolicy-2015-03",
})
_OLD_CLOUDFRONT = frozenset({"SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016"})
MSG_TLS = "Insecure API communications"


@iac_check("IAC124")
def weak_tls_policy(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::ElasticLoadBalancingV2::Listener"):
        policy = literal(r.props.get("SslPolicy"), template)
        if isinstance(policy, str) and policy in _OLD_ELB_POLICIES:
            ctx.report(r, f"{MSG_TLS}: listener `{r.logical_id}` uses the security policy `{policy}`, which still "
                          "accepts TLS 1.0/1.1.", container=r.props, key="SslPolicy", value=True)
    for r in template.of_type("AWS::CloudFront::Distribution"):
        cert = dig(r.props, "DistributionConfig", "ViewerCertificate")
        if not isinstance(cert, dict) or is_intrinsic(cert):
            continue
        version = literal(cert.get("MinimumProtocolVersion"), template)
        custom = "AcmCertificateArn" in cert or "IamCertificateId" in cert
        if isinstance(version, str) and version in _OLD_CLOUDFRONT:
            ctx.report(r, f"{MSG_TLS}: distribution `{r.logical_id}` accepts viewers on `{version}` (older than TLS 1.2).",
                       container=cert, key="MinimumProtocolVersion", value=True)
        elif version is None and custom and literal(cert.get("SslSupportMethod"), template) != "vip":
            ctx.report(r, f"{MSG_TLS}: distribution `{r.logical_id}` has its own certificate but no "
                          "`MinimumProtocolVersion`, so CloudFront's default, `TLSv1`, applies.",
                       container=dig(r.props, "DistributionConfig"), key="ViewerCertificate")
    for r in template.of_type("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"):
        endpoint = r.props.get("DomainEndpointOptions")
        policy = literal(dig(endpoint, "TLSSecurityPolicy"), template)
        if isinstance(policy, str) and "TLS-1-0" in policy:
            ctx.report(r, f"{MSG_TLS}: search domain `{r.logical_id}` accepts TLS 1.0 (`{policy}`).",
                       container=endpoint, key="TLSSecurityPolicy", value=True)
    for r in template.of_type("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName"):
        if r.type == "AWS::ApiGateway::DomainName":
            container, policy = r.props, literal(r.props.get("SecurityPolicy"), template)
        else:
            configs = r.props.get("DomainNameConfigurations")
            container = next((c for c in as_list(configs) if isinstance(c, dict)), None)
            policy = literal(container.get("SecurityPolicy"), template) if container is not None else None
        if isinstance(policy, str) and policy.upper() == "TLS_1_0":
            ctx.report(r, f"{MSG_TLS}: API custom domain `{r.logical_id}` accepts TLS 1.0 (`SecurityPolicy: TLS_1_0`).",
                       container=container, key="SecurityPolicy", value=True)


@iac_check("IAC125")
def kafka_plaintext(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::MSK::Cluster"):
        transit = dig(r.props, "EncryptionInfo", "EncryptionInTransit")
        if not isinstance(transit, dict) or is_intrinsic(transit):
            continue  # CloudFormation's defaults: ClientBroker TLS, InCluster true
        client = literal(transit.get("ClientBroker"), template)
        if client == "PLAINTEXT":
            ctx.report(r, f"Unencrypted data in transit: Kafka cluster `{r.logical_id}` lets clients and brokers talk in "
                          "plaintext only (`ClientBroker: PLAINTEXT`).", container=transit, key="ClientBroker")
        elif client == "TLS_PLAINTEXT":
            ctx.report(r, f"Unencrypted data in transit: Kafka cluster `{r.logical_id}` still accepts plaintext client "
                          "connections beside TLS (`ClientBroker: TLS_PLAINTEXT`).", container=transit, key="ClientBroker")
        if "InCluster" in transit and as_bool(transit.get("InCluster"), template) is False:
            ctx.report(r, f"Unencrypted data in transit: the brokers of Kafka cluster `{r.logical_id}` replicate to each "
                          "other in plaintext (`InCluster: false`).", container=transit, key="InCluster")
