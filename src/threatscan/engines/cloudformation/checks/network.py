"""Security groups open to the Internet on administrative or database ports (rule IAC150)."""

from __future__ import annotations

from typing import Any

from ....model import Severity
from ..context import IacContext
from ....lang.iac.model import Resource, Template, as_int, as_list, is_intrinsic, literal
from ..registry import iac_check

SENSITIVE_PORTS = {
    22: "SSH", 23: "Telnet", 3389: "RDP", 5985: "WinRM", 5986: "WinRM", 3306: "MySQL", 5432: "PostgreSQL",
    1433: "SQL Server", 1521: "Oracle", 27017: "MongoDB", 6379: "Redis", 11211: "Memcached", 9200: "Elasticsearch",
    5439: "Redshift", 2379: "etcd", 9042: "Cassandra", 5601: "Kibana", 21: "FTP", 445: "SMB", 135: "MS RPC",
    139: "NetBIOS", 2049: "NFS", 5900: "VNC", 5984: "CouchDB", 9300: "Elasticsearch transport", 8086: "InfluxDB",
    2375: "Docker API", 2376: "Docker API", 6443: "Kubernetes API", 10250: "kubelet", 9092: "Kafka",
    5672: "RabbitMQ", 15672: "RabbitMQ management", 7474: "Neo4j", 8529: "ArangoDB", 50070: "Hadoop NameNode",
}
WORLD = ("0.0.0.0/0", "::/0", "::0/0", "0:0:0:0:0:0:0:0/0")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def open_ports(rule: dict, template: Template) -> list[str] | None:
    """The sensitive services an ingress rule opens to the whole Internet ([] when none, None when unknown)."""
    cidr = literal(rule.get("CidrIp"), template)
    cidr6 = literal(rule.get("CidrIpv6"), template)
    if _strip(cidr) not in WORLD and _strip(cidr6) not in WORLD:
        return []
    proto = str(literal(rule.get("IpProtocol"), template)).strip().lower()
    if proto in ("-1", "all"):
        return ["all ports"]
    if proto not in ("tcp", "6", "udp", "17"):
        return []
    if proto in ("udp", "17"):
        low, high = as_int(rule.get("FromPort"), template), as_int(rule.get("ToPort"), template)
        if isinstance(low, int) and isinstance(high, int) and (low == -1 or (low <= 0 and high >= 65535)):
            return ["all UDP ports"]
        return []  # UDP: the admin and database services above listen on TCP
    low, high = as_int(rule.get("FromPort"), template), as_int(rule.get("ToPort"), template)
    if not isinstance(low, int) or not isinstance(high, int):
        return None
    if low == -1 or (low <= 0 and high >= 65535):
        return ["all ports"]
    return [f"{name} ({port})" for port, name in sorted(SENSITIVE_PORTS.items()) if low <= port <= high]


def _report(ctx: IacContext, r: Resource, rule: dict, services: list[str], container: Any, key: Any) -> None:
    ctx.report(r, f"Exposed to the Internet: `{r.logical_id}` opens "
                  f"{', '.join(services[:3])}{' and more' if len(services) > 3 else ''} to the whole Internet.",
               container=container, key=key)


def _world_by_default(rule: dict, template: Template) -> tuple[str, str] | None:
    """(key, parameter) when the rule's CIDR is a parameter whose default is the whole Internet."""
    for key in ("CidrIp", "CidrIpv6"):
        value = rule.get(key)
        name = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
        param = template.parameter(name)
        if param is not None and _strip(literal(param.get("Default"), template)) in WORLD:
            return key, str(name)
    return None


def _review_default(ctx: IacContext, r: Resource, rule: dict, template: Template) -> None:
    """A port opened to a parameter that defaults to 0.0.0.0/0: whoever deploys with the default opens it to the
    world. The deploy decides, so this is a low review finding, never a gate failure."""
    found = _world_by_default(rule, template)
    if found is None:
        return
    key, name = found
    view = dict(rule)
    view[key] = literal(template.parameter(name).get("Default"), template)
    services = open_ports(view, template)
    if services:
        ctx.report(r, f"Exposed to the Internet: `{r.logical_id}` opens "
                      f"{', '.join(services[:3])}{' and more' if len(services) > 3 else ''} to the parameter "
                      f"`{name}`, whose default is the whole Internet; deploying with the default exposes it.",
                   container=rule, key=key, severity=Severity.LOW, evidence="review")


@iac_check("IAC150")
def security_group_open_admin_port(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::EC2::SecurityGroup"):
        ingress = r.props.get("SecurityGroupIngress")
        if is_intrinsic(ingress):
            continue
        for i, rule in enumerate(as_list(ingress)):
            if isinstance(rule, dict) and not is_intrinsic(rule):
                services = open_ports(rule, template)
                if services:
                    key = "CidrIp" if _strip(literal(rule.get("CidrIp"), template)) in WORLD else "CidrIpv6"
                    _report(ctx, r, rule, services, rule, key)
                else:
                    _review_default(ctx, r, rule, template)
    for r in template.of_type("AWS::EC2::SecurityGroupIngress"):
        services = open_ports(r.props, template)
        if services:
            key = "CidrIp" if _strip(literal(r.props.get("CidrIp"), template)) in WORLD else "CidrIpv6"
            _report(ctx, r, r.props, services, r.props, key)
        else:
            _review_default(ctx, r, r.props, template)
