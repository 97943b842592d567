"""Templates and CDK apps <-> the Lambda code they deploy.

For every function a template or CDK app defines (SAM `CodeUri` + `Handler`, CloudFormation `Code` given as a
local path or a cdk.out asset + `Handler`, CDK `Code.from_asset(...)` + `handler=`, `PythonFunction(entry=...)`)
find the Python file and function. The CloudFormation engine's prepare gathers the results in a `Linked` and hands
them to the scan as frozen facts (`Facts.handlers`, `Facts.env_definitions`):

- `handlers`: the Python rules treat these functions as Lambda handlers (code execution there is more severe);
- `env_definitions`: secret-like environment variables a template defines in plaintext (reported once, at the
  definition, by IAC101); the Python rule for secrets read from the environment skips these reads. Filled only
  when the scan runs IAC101 (`--select`/`--ignore`): otherwise the read stays the Python rule's finding.

A function whose code cannot be found becomes a note in the scan's notifications, never a silent guess.
Nothing is imported or executed: the handler module is read with the shared Python parse.
"""

from __future__ import annotations

import ast
import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from .discover import DEFAULT_MAX_BYTES, DecodeError, SourceFile
from .lang.iac.model import (UNKNOWN, HandlerLink, Resource, Template, is_dynamic_reference, is_intrinsic, literal,
                             position)
from .lang.python.module import node_location
from .lang.python.parse import ParseFailure
from .model import Location
from .secrets import SecretMatch, check_value

if TYPE_CHECKING:
    from .engines.base import ScanContext

FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
ENV_DEFINITION_RULE = "IAC101"
ENV_READERS = {"os.environ.get", "os.getenv", "os.environ.setdefault", "os.environ.pop", "os.environ.__getitem__"}


@dataclass
class Linked:
    """What linking finds across the repository while the engines prepare (the engine turns it into Facts)."""

    handlers: dict[str, dict[str, Location]] = field(default_factory=dict)  # Python path -> {function: named at}
    env_definitions: dict[str, dict[str, Location]] = field(default_factory=dict)  # Python path -> {VAR: defined at}
    outside_files: dict[str, SourceFile] = field(default_factory=dict)  # handler modules discovery did not list
    # Python path -> {function: the triggers of every function deploying it, or None when one is not known}
    triggers: dict[str, dict[str, tuple[str, ...] | None]] = field(default_factory=dict)

    def internal_handlers(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """The handlers only the account's own services invoke (see `internal_triggers`): Python path ->
        {function: those services}, for Facts.internal_handlers."""
        out: dict[str, dict[str, tuple[str, ...]]] = {}
        for path, functions in self.triggers.items():
            for function, kinds in functions.items():
                if kinds:
                    out.setdefault(path, {})[function] = kinds
        return out


def plaintext_secret(name: Any, value: Any, template: "Template") -> SecretMatch | None:
    """A plaintext secret in an environment variable: a literal value that is a secret by name and shape or by
    its format. Dynamic references, Refs (NoEcho or not: a parameter's own rules judge it) and unknown values
    are not plaintext."""
    if is_dynamic_reference(value):
        return None
    v = literal(value, template)
    if v is UNKNOWN or not isinstance(v, str):
        return None
    return check_value(v, str(name))


def link_functions(template: "Template", ctx: "ScanContext", linked: Linked | None = None) -> None:
    """Resolve every Python function the template defines (its resources' `handler`) and note what cannot be
    resolved; while preparing, gather the handlers and plaintext definitions across files in `linked` (a template
    linked when it is scanned, in a repository without Python code, has no one to tell)."""
    invokers = function_triggers(template) if linked is not None else {}
    for resource in template.of_type(*FUNCTION_TYPES):
        link = _resolve(resource, template, ctx, linked)
        if link is None:
            continue
        resource.handler = link
        if linked is None:
            continue
        linked.handlers.setdefault(link.py_rel, {})[link.function] = link.handler_pos
        kinds = internal_triggers(invokers.get(resource.logical_id))
        known = linked.triggers.setdefault(link.py_rel, {})
        if link.function in known:  # deployed by several functions: internal only when every one of them is
            before = known[link.function]
            kinds = tuple(sorted(set(before) | set(kinds))) if before is not None and kinds is not None else None
        known[link.function] = kinds
        variables = resource.get("Environment", "Variables")
        # Only when IAC101 runs does it report the definition; otherwise the Python rule keeps the read.
        if reports_env_definitions(ctx) and isinstance(variables, dict) and not _is_intrinsic(variables):
            for name, value in variables.items():
                if name in link.env_reads and plaintext_secret(name, value, template):
                    line, col, end_line, end_col = position(variables, name)
                    linked.env_definitions.setdefault(link.py_rel, {})[str(name)] = Location(
                        template.rel, line, col, end_line, end_col)


def reports_env_definitions(ctx: "ScanContext") -> bool:
    """Whether this scan runs IAC101, the rule that reports a plaintext definition once at the template."""
    return ctx.rule_ids is None or ENV_DEFINITION_RULE in ctx.rule_ids


def claim_env_secret_literals(template: "Template", ctx: "ScanContext") -> frozenset[tuple[int, int, str]]:
    """A CDK app's plaintext secret in a function's environment (`environment={"DB_PASSWORD": "..."}`,
    `add_environment(...)`) is reported once, by IAC101, the more specific rule: record where each such literal is
    (with a digest of its value, never the value) so the Python hard-coded-secret rules leave exactly these
    literals alone. Computed in prepare (Facts.claimed_env_literals), so every worker process sees it; only when
    IAC101 runs."""
    if not reports_env_definitions(ctx):
        return frozenset()
    claimed: set[tuple[int, int, str]] = set()
    for resource in template.of_type(*FUNCTION_TYPES):
        variables = resource.get("Environment", "Variables")
        if not isinstance(variables, dict) or _is_intrinsic(variables):
            continue
        for name, value in variables.items():
            if isinstance(value, str) and plaintext_secret(name, value, template):
                line, col = position(variables, name, value=True)[:2]
                claimed.add((line, col, hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]))
    return frozenset(claimed)


def is_claimed_env_secret(claimed_literals: Mapping[str, frozenset[tuple[int, int, str]]], rel: str, line: int,
                          column: int, value: str) -> bool:
    """Whether IAC101 reports this literal (see claim_env_secret_literals; Facts.claimed_env_literals)."""
    claimed = claimed_literals.get(rel)
    if not claimed:
        return False
    return (line, column, hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]) in claimed


def _is_intrinsic(value: Any) -> bool:
    return is_intrinsic(value)


def _resolve(resource: "Resource", template: "Template", ctx: "ScanContext",
             linked: Linked | None) -> HandlerLink | None:
    props = resource.props
    if literal(props.get("PackageType"), template) == "Image":
        return None
    runtime = literal(props.get("Runtime"), template)
    if isinstance(runtime, str) and not runtime.lower().startswith("python"):
        return None  # not Python: not ours to link
    handler = literal(props.get("Handler"), template)
    line, col, end_line, end_col = position(props, "Handler", value=True) if "Handler" in props else resource.id_pos
    here = Location(template.rel, line, col, end_line, end_col)
    name = f"`{resource.logical_id}`"

    def unresolved(why: str) -> None:
        ctx.notice(f"Lambda function {name}: handler not linked to Python code ({why})", template.rel, "note",
                   "unlinked-handler", line)

    if resource.inline_code is not None:
        return None  # inline code is scanned in place
    if handler is UNKNOWN or not isinstance(handler, str) or "." not in handler:
        if handler is not None or runtime is not None:
            unresolved("the handler is not a literal `module.function`")
        return None
    code_dir, why = _code_dir(resource, template)
    if code_dir is None:
        unresolved(why)
        return None
    module, _, function = handler.rpartition(".")
    base = posixpath.normpath(code_dir)
    if base.startswith("../") or base == "..":
        unresolved(f"the code directory `{code_dir}` is outside the repository")
        return None
    mod_path = module.replace(".", "/") if "/" not in module else module
    candidates = [posixpath.normpath(posixpath.join(base, mod_path + ".py")),
                  posixpath.normpath(posixpath.join(base, mod_path, "__init__.py"))]
    for rel in candidates:
        file = _python_file(rel, ctx, linked)
        if file is None:
            continue
        tree = _tree(file, ctx)
        if tree is None:
            unresolved(f"`{rel}` could not be parsed")
            return None
        if not _defines(tree, function):
            unresolved(f"`{rel}` defines no top-level function `{function}`")
            return None
        return HandlerLink(rel, function, here, MappingProxyType(_env_reads(file, tree, ctx)))
    unresolved(f"no file `{candidates[0]}` in the repository")
    return None


def _code_dir(resource: "Resource", template: "Template") -> tuple[str | None, str]:
    """The repository-relative directory holding the function's code, or (None, why not)."""
    if resource.code_dir is not None:  # the CDK front end already knows it
        return resource.code_dir.path, resource.code_dir.why
    template_dir = posixpath.dirname(template.rel)
    props = resource.props
    metadata = resource.node.get("Metadata")
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    if isinstance(asset, str):
        return posixpath.join(template_dir, asset), ""
    if resource.type == "AWS::Serverless::Function":
        uri = props.get("CodeUri")
        if uri is None:
            return template_dir, ""
    else:
        uri = props.get("Code")
    uri = literal(uri, template)
    if isinstance(uri, str):
        if uri.startswith("s3://"):
            return None, "the code is in S3"
        return posixpath.join(template_dir, uri), ""
    if uri is UNKNOWN:
        return None, "the code location is computed by an intrinsic function"
    # (the code may well be in the repository too, built and uploaded by a script: it is not linked by guessing)
    return None, "the template takes the code from an S3 bucket or does not say where"


def _python_file(rel: str, ctx: "ScanContext", linked: Linked | None) -> "SourceFile | None":
    file = ctx.files.get(rel) or (linked.outside_files.get(rel) if linked is not None else None)
    if file is not None:
        return file if "python" in file.kinds else None
    path = (ctx.root / rel)
    try:
        real = path.resolve(strict=True)
        real.relative_to(ctx.root.resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    if not real.is_file():
        return None
    size = real.stat().st_size
    if size > (ctx.max_file_bytes if ctx.max_file_bytes is not None else DEFAULT_MAX_BYTES):
        return None  # the size cap holds for a handler too: discovery skipped it with a notice
    file = SourceFile(path, rel, frozenset({"python"}), size)
    if linked is not None:
        linked.outside_files[rel] = file  # undiscovered (e.g. excluded): parsed once here, not scanned
    return file


def _tree(file: "SourceFile", ctx: "ScanContext") -> ast.Module | None:
    try:
        return ctx.python_module(file).tree
    except (ParseFailure, DecodeError, OSError, RecursionError):
        return None


def _defines(tree: ast.Module, function: str) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == function for t in node.targets):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == function for a in node.names):
            return True
    return False


def _env_reads(file: "SourceFile", tree: ast.Module, ctx: "ScanContext") -> dict[str, Location]:
    """VAR -> where the module first reads it: os.environ["VAR"], os.environ.get("VAR"), os.getenv("VAR")."""
    names = ctx.python_module(file).names
    reads: dict[str, Location] = {}

    def record(var: Any, node: ast.AST) -> None:
        if isinstance(var, str) and var not in reads:
            reads[var] = node_location(file, node)

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and names.qualname(node.value) == "os.environ":
            key = node.slice
            if isinstance(key, ast.Constant):
                record(key.value, node)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            if names.qualname(node.func) in ENV_READERS:
                record(node.args[0].value, node)
    return dict(sorted(reads.items(), key=lambda kv: (kv[1].line, kv[1].column)))


def related_read(resource: "Resource", variable: str) -> Location | None:
    link = resource.handler
    return link.env_reads.get(variable) if link is not None else None


def repo_dir(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


# --- who invokes a function: its triggers ---------------------------------------------------------------------------
# A Lambda handler's event is written by whatever invokes the function. When that is a caller's request (API Gateway,
# a function URL, a load balancer, AppSync, a Cognito or Alexa user, a device, an e-mail's sender), the event is the
# attacker's own text. When it is one of the account's services relaying what it holds (an S3 notification, a
# queue's message, a stream's record, a schedule, a CloudFormation custom resource), who wrote that data is not
# visible from the code: a flow from it is a review finding (README "Severity follows evidence"). Each trigger is
# named by the service; the sets below say which services carry a caller's request. Anything else (an unknown
# principal, an alias or version, a service not listed) makes the triggers unknown, which keeps the event a source.
INTERNAL_TRIGGERS = frozenset({"S3", "SQS", "SNS", "Kinesis", "DynamoDB stream", "DocumentDB stream", "Kafka", "MQ",
                               "EventBridge", "schedule", "CloudWatch Logs", "CloudFormation custom resource",
                               "Step Functions", "AWS Config", "another function of the stack"})
EXTERNAL_TRIGGERS = frozenset({"API Gateway", "function URL", "load balancer", "AppSync", "Cognito", "Alexa", "Lex",
                               "IoT", "SES", "CloudFront"})
_SAM_EVENTS = {"Api": "API Gateway", "HttpApi": "API Gateway", "S3": "S3", "SQS": "SQS", "SNS": "SNS",
               "Kinesis": "Kinesis", "DynamoDB": "DynamoDB stream", "DocumentDB": "DocumentDB stream", "MSK": "Kafka",
               "SelfManagedKafka": "Kafka", "MQ": "MQ", "Schedule": "schedule", "ScheduleV2": "schedule",
               "CloudWatchEvent": "EventBridge", "EventBridgeRule": "EventBridge", "CloudWatchLogs": "CloudWatch Logs",
               "Cognito": "Cognito", "AlexaSkill": "Alexa", "IoTRule": "IoT"}
_PRINCIPALS = {"apigateway.amazonaws.com": "API Gateway", "elasticloadbalancing.amazonaws.com": "load balancer",
               "appsync.amazonaws.com": "AppSync", "cognito-idp.amazonaws.com": "Cognito",
               "alexa-appkit.amazon.com": "Alexa", "alexa-connectedhome.amazon.com": "Alexa",
               "lex.amazonaws.com": "Lex", "iot.amazonaws.com": "IoT", "ses.amazonaws.com": "SES",
               "s3.amazonaws.com": "S3", "sns.amazonaws.com": "SNS", "sqs.amazonaws.com": "SQS",
               "events.amazonaws.com": "EventBridge", "scheduler.amazonaws.com": "schedule",
               "logs.amazonaws.com": "CloudWatch Logs", "states.amazonaws.com": "Step Functions",
               "config.amazonaws.com": "AWS Config", "cloudformation.amazonaws.com": "CloudFormation custom resource"}
_REFERRERS = {"AWS::Lambda::Url": "function URL", "AWS::ApiGateway::Method": "API Gateway",
              "AWS::ApiGateway::RestApi": "API Gateway", "AWS::ApiGatewayV2::Api": "API Gateway",
              "AWS::Serverless::Api": "API Gateway", "AWS::Serverless::HttpApi": "API Gateway",
              "AWS::Serverless::GraphQLApi": "AppSync", "AWS::CloudFront::Distribution": "CloudFront",
              "AWS::ApiGateway::Authorizer": "API Gateway", "AWS::ApiGatewayV2::Integration": "API Gateway",
              "AWS::ApiGatewayV2::Authorizer": "API Gateway", "AWS::AppSync::DataSource": "AppSync",
              "AWS::ElasticLoadBalancingV2::TargetGroup": "load balancer", "AWS::Cognito::UserPool": "Cognito",
              "AWS::IoT::TopicRule": "IoT", "AWS::SES::ReceiptRule": "SES", "AWS::Lex::Bot": "Lex",
              "AWS::S3::Bucket": "S3", "AWS::SNS::Topic": "SNS", "AWS::SNS::Subscription": "SNS",
              "AWS::Events::Rule": "EventBridge", "AWS::Scheduler::Schedule": "schedule",
              "AWS::Logs::SubscriptionFilter": "CloudWatch Logs", "AWS::StepFunctions::StateMachine": "Step Functions",
              "AWS::Serverless::StateMachine": "Step Functions", "AWS::Config::ConfigRule": "AWS Config",
              "AWS::CloudFormation::CustomResource": "CloudFormation custom resource",
              "AWS::Lambda::Function": "another function of the stack",
              "AWS::Serverless::Function": "another function of the stack"}
# Resources that name a function without invoking it (its permissions to others, its logs, its alarms)
_NOT_INVOKERS = frozenset({"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Logs::LogGroup",
                           "AWS::CloudWatch::Alarm", "AWS::Lambda::EventInvokeConfig", "AWS::CloudWatch::Dashboard"})
UNKNOWN_TRIGGER = "?"


def function_triggers(template: "Template") -> dict[str, list[str]]:
    """Logical id of each function -> the services the template shows invoking it (UNKNOWN_TRIGGER for a reference
    that may invoke it in a way not read here). A CloudFormation or SAM template only: a CDK app's model does not
    hold every event source its code adds."""
    if template.source != "cloudformation":
        return {}
    functions = {r.logical_id for r in template.of_type(*FUNCTION_TYPES)}
    out: dict[str, list[str]] = {f: [] for f in functions}
    for resource in template.resources.values():
        if resource.type == "AWS::Serverless::Function":
            events = resource.get("Events")
            if isinstance(events, dict):
                for event in events.values():
                    kind = event.get("Type") if isinstance(event, dict) else None
                    out[resource.logical_id].append(_SAM_EVENTS.get(kind, UNKNOWN_TRIGGER) if isinstance(kind, str)
                                                    else UNKNOWN_TRIGGER)
            elif events is not None:
                out[resource.logical_id].append(UNKNOWN_TRIGGER)
            if resource.get("FunctionUrlConfig") is not None:
                out[resource.logical_id].append("function URL")
        named = _referenced(resource.props, functions) - {resource.logical_id}
        if not named or resource.type in _NOT_INVOKERS:
            continue
        if resource.type == "AWS::Lambda::Permission":
            principal = literal(resource.get("Principal"), template)
            kind = _PRINCIPALS.get(principal, UNKNOWN_TRIGGER) if isinstance(principal, str) else UNKNOWN_TRIGGER
        elif resource.type == "AWS::Lambda::EventSourceMapping":
            kind = _stream_kind(resource.get("EventSourceArn"), template)
        elif resource.type.startswith("Custom::"):
            kind = "CloudFormation custom resource"
        else:
            kind = _REFERRERS.get(resource.type, UNKNOWN_TRIGGER)
        for f in named:
            out[f].append(kind)
    outputs = template.doc.get("Outputs") if isinstance(template.doc, dict) else None
    for output in outputs.values() if isinstance(outputs, dict) else ():
        if isinstance(output, dict) and output.get("Export") is not None:
            for f in _referenced(output.get("Value"), functions):
                out[f].append(UNKNOWN_TRIGGER)  # exported for another stack to wire: its triggers are not here
    return out


def internal_triggers(kinds: list[str] | None) -> tuple[str, ...] | None:
    """The services invoking a function when every trigger the template shows is an internal one (and there is
    one); None otherwise (a caller's request among them, or a trigger not known)."""
    if not kinds or any(k not in INTERNAL_TRIGGERS for k in kinds):
        return None
    return tuple(sorted(set(kinds)))


def _stream_kind(arn: Any, template: "Template") -> str:
    """The service of an event source mapping's `EventSourceArn` (a literal ARN, a Sub, or a GetAtt of a queue,
    table or stream of the template)."""
    text = literal(arn, template)
    if not isinstance(text, str) and isinstance(arn, dict):
        target = arn.get("Fn::GetAtt")
        name = target[0] if isinstance(target, list) and target else target.split(".", 1)[0] \
            if isinstance(target, str) else None
        resource = template.resources.get(name) if isinstance(name, str) else None
        text = resource.type if resource is not None else str(arn.get("Fn::Sub", ""))
    text = str(text).lower() if isinstance(text, str) else ""
    for needle, kind in (("sqs", "SQS"), ("kinesis", "Kinesis"), ("dynamodb", "DynamoDB stream"), ("kafka", "Kafka"),
                         ("docdb", "DocumentDB stream"), ("rds", "DocumentDB stream"), ("mq", "MQ")):
        if needle in text:
            return kind
    return "SQS" if "queue" in text else UNKNOWN_TRIGGER


def _referenced(node: Any, functions: set[str], depth: int = 0) -> set[str]:
    """The functions a property tree names: `Ref`, `Fn::GetAtt` (`F.Arn`), `${F}`/`${F.Arn}` in `Fn::Sub`."""
    found: set[str] = set()
    if depth > 40:
        return found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value in functions:
                found.add(value)
            elif key == "Fn::GetAtt":
                name = value[0] if isinstance(value, list) and value else value.split(".", 1)[0] \
                    if isinstance(value, str) else None
                if name in functions:
                    found.add(name)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str):
                    for name in functions:
                        if "${" + name + "}" in text or "${" + name + "." in text:
                            found.add(name)
                if isinstance(value, list) and len(value) > 1:
                    found |= _referenced(value[1], functions, depth + 1)
            else:
                found |= _referenced(value, functions, depth + 1)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced(value, functions, depth + 1)
    return found
