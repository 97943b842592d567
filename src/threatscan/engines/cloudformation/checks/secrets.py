"""Secrets in Lambda environments, template parameters and anywhere in a template; Secrets Manager rotation
(rules IAC101-IAC106)."""

from __future__ import annotations

from ....links import FUNCTION_TYPES, plaintext_secret, related_read
from ....model import Related
from ....secrets import check_value, is_secret_name
from ..context import IacContext
from ....lang.iac.model import UNKNOWN, Template, as_bool, is_dynamic_reference, is_intrinsic, literal
from ..registry import iac_check


def _variables(resource):
    variables = resource.get("Environment", "Variables")
    return variables if isinstance(variables, dict) and not is_intrinsic(variables) else None


@iac_check("IAC101")
def lambda_env_plaintext_secret(template: Template, ctx: IacContext) -> None:
    for resource in template.of_type(*FUNCTION_TYPES):
        variables = _variables(resource)
        if not variables:
            continue
        for name, value in variables.items():
            match = plaintext_secret(name, value, template)
            if match is None:
                continue
            related = []
            read = related_read(resource, str(name))
            if read is not None:
                related.append(Related(read, f"the handler reads `{name}` here"))
            ctx.report(
                resource,
                f"Credentials in the execution environment: environment variable `{name}` of "
                f"`{resource.logical_id}` holds {match.description} in plaintext; anyone who can read the "
                "function's configuration, or exploit its code, gets it.",
                container=variables, key=name, secrets=[literal(value, template)], related=related,
                precision="high" if match.confidence == "high" else None,
            )


def _names_a_secret(value, template: Template) -> bool:
    """Whether an environment value is where a secret is kept, not the secret: the ARN of a Secrets Manager secret
    (`!Ref Secret`, written out, or in a `!Sub`); the function reads the value at run time."""
    if isinstance(value, dict) and len(value) == 1:
        (k, arg), = value.items()
        target = arg if k == "Ref" else arg[0] if k == "Fn::GetAtt" and isinstance(arg, list) and arg else None
        resource = template.resources.get(target) if isinstance(target, str) else None
        if resource is not None:
            return resource.type == "AWS::SecretsManager::Secret"
        if k == "Fn::Sub" and isinstance(arg, str):
            value = arg
    return isinstance(value, str) and value.startswith("arn:") and ":secretsmanager:" in value and \
        value.startswith(("arn:aws:", "arn:aws-", "arn:${AWS::Partition}:"))


@iac_check("IAC102")
def lambda_env_secret_without_cmk(template: Template, ctx: IacContext) -> None:
    for resource in template.of_type(*FUNCTION_TYPES):
        variables = _variables(resource)
        if not variables:
            continue
        secret_names = [str(n) for n, v in variables.items()
                        if is_secret_name(str(n)) and not _names_a_secret(v, template)]
        if not secret_names:
            continue
        kms = resource.props.get("KmsKeyArn")
        if kms is not None and literal(kms, template) != "":
            continue
        env = resource.props.get("Environment")
        ctx.report(
            resource,
            f"Credentials in the execution environment: `{resource.logical_id}` keeps "
            f"{', '.join(f'`{n}`' for n in secret_names[:3])}{' and more' if len(secret_names) > 3 else ''} in its "
            "environment without a customer-managed KMS key (`KmsKeyArn`).",
            container=resource.props, key="Environment",
            properties={"variables": secret_names} if env is not None else None,
        )


def _secret_parameters(template: Template):
    for name, param in template.parameters.items():
        if not isinstance(param, dict) or not is_secret_name(str(name)):
            continue
        ptype = literal(param.get("Type"), template)
        if isinstance(ptype, str) and ptype.startswith("AWS::"):
            continue  # SSM parameter and AWS-specific types name a resource, they do not carry the secret
        yield str(name), param


@iac_check("IAC103")
def secret_parameter_without_noecho(template: Template, ctx: IacContext) -> None:
    for name, param in _secret_parameters(template):
        noecho = as_bool(param.get("NoEcho"), template)
        if noecho is True or noecho is UNKNOWN:
            continue
        ctx.report(
            None,
            f"Credentials in the execution environment: parameter `{name}` looks like a secret but has no "
            "`NoEcho: true`, so its value shows in the console and in describe-stacks output.",
            container=template.parameters, key=name,
        )


@iac_check("IAC104")
def secret_parameter_with_default(template: Template, ctx: IacContext) -> None:
    for name, param in _secret_parameters(template):
        default = param.get("Default")
        if default is None or is_dynamic_reference(default):
            continue
        value = literal(default, template)
        if not isinstance(value, str) or check_value(value, name) is None:
            continue
        ctx.report(
            None,
            f"Credentials in the execution environment: parameter `{name}` has a default value that looks "
            "like a real secret; it is stored in the template in plaintext.",
            container=param, key="Default", secrets=[value],
        )


# --- IAC105: secrets anywhere else in a template ---------------------------------------------------------------

from typing import Any, Iterator  # noqa: E402
import re  # noqa: E402

from ....model import Severity  # noqa: E402
from ....secrets import _KNOWN_HINT, KNOWN_FORMATS, is_placeholder, known_format  # noqa: E402
from functools import lru_cache  # noqa: E402
from ....lang.iac.loader import PDict, PList  # noqa: E402
from ....lang.iac.model import Resource  # noqa: E402
from ....lang.iac.model import position

# `export DB_PASSWORD=s3cr3t`, `PASSWORD="..."`, `$env:API_KEY = '...'`, `--password s3cr3t`, `-pSecret`.
_ASSIGNMENT = re.compile(r"""(?:^|[\s;'"(])(?:export\s+|set\s+|\$env:)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(["']?)([^\s"';]+)\2""")
_FLAG = re.compile(r"""(?<![\w-])--?([A-Za-z0-9-]*(?:password|passwd|secret|token|key))(?:=|\s+)(["']?)([^\s"';]+)\2""", re.I)
_FILL_IN = re.compile(r"^\s*<.*>\s*$|update.?me|replace.?me|change.?me|your.?password|^\s*$", re.I)
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9+/=_\-.!#&*~^:@]+$")
_BLOCK = re.compile(r"[|>][+-]?\d*\s*(?:#.*)?$")
_CODE_KEYS = frozenset({"ZipFile", "InlineCode"})
# Properties whose literal value is the password a resource is created with (whatever it looks like).
DEPLOYED_PASSWORDS = frozenset({"MasterUserPassword", "MasterPassword", "AuthToken", "Password", "AdminPassword"})


def example_key(value: str) -> str | None:
    """The description of a documentation example credential in `value` (`AKIAIOSFODNN7EXAMPLE`), else None."""
    if not _KNOWN_HINT.search(value):
        return None  # every known format needs one of the hint's fragments (one search instead of eleven)
    for kind, description, pattern in KNOWN_FORMATS:
        for m in pattern.finditer(value):
            if m.group(0).upper().endswith("EXAMPLE") or "EXAMPLEKEY" in m.group(0).upper():
                return description
    return None


# A template repeats its property names over and over (`Type`, `Value`, `Key`, `Effect`): the name test is pure,
# so it is memoized (bounded) for this check's walk.
_secret_prop = lru_cache(maxsize=4096)(is_secret_name)


def _texts(value: Any, container: Any, key: Any) -> Iterator[tuple[str, Any, Any]]:
    """The literal text pieces of a property: a string, an `Fn::Sub` template, `Fn::Join`/`Fn::Base64` parts."""
    if isinstance(value, str):
        yield value, container, key
    elif isinstance(value, PDict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            if isinstance(arg, str):
                yield arg, value, fn
            elif isinstance(arg, PList) and arg and isinstance(arg[0], str):
                yield arg[0], arg, 0
        elif fn == "Fn::Base64":
            yield from _texts(arg, value, fn)
        elif fn == "Fn::Join" and isinstance(arg, PList) and len(arg) == 2 and isinstance(arg[1], PList):
            if is_dynamic_reference(value):
                return
            parts = arg[1]
            if len(parts) > 1 and not any(isinstance(p, str) and "\n" in p for p in parts) and arg[0] != "\n":
                # pieces of one value around `Ref`s ('{"password":"', !Ref Pw, '"}'): only a known format in a
                # piece is a secret, a piece is never a value under the property's name
                for i, part in enumerate(parts):
                    if isinstance(part, str) and known_format(part):
                        yield part, parts, i
                return
            for i, part in enumerate(parts):
                yield from _texts(part, parts, i)


_TEXT_FUNCTIONS = frozenset({"Fn::Sub", "Fn::Join", "Fn::Base64"})


def _walk(node: Any, skip_env: bool, out: list, name: str | None = None) -> list[tuple[str, str, Any, Any]]:
    """(property name, text, container, key) for every literal text under a resource's properties, appended to
    `out` in document order; `name` is the key `node` sits under. (A plain recursive function: nested generators
    re-yielded every text once per level.)"""
    if isinstance(node, PDict):
        if len(node) == 1 and next(iter(node)) in _TEXT_FUNCTIONS:
            return out  # handled by the caller through _texts
        for k, v in node.items():
            if k in _CODE_KEYS:
                continue  # inline Lambda code: the Python rules read it
            if skip_env and name == "Environment" and k == "Variables":
                continue  # Lambda environments: IAC101
            sk = str(k)
            if isinstance(v, str):
                out.append((sk, v, node, k))
                continue
            for text, c, key in _texts(v, node, k):
                out.append((sk, text, c, key))
            if isinstance(v, (PDict, PList)):
                _walk(v, skip_env, out, sk)
    elif isinstance(node, PList):
        item_name = name if name is not None else ""
        for i, v in enumerate(node):
            if isinstance(v, str):
                out.append((item_name, v, node, i))
            elif isinstance(v, (PDict, PList)):
                _walk(v, skip_env, out, name)
            else:
                for text, c, key in _texts(v, node, i):
                    out.append((item_name, text, c, key))
    return out


def _line_of(ctx: IacContext, container: Any, key: Any, offset: int) -> int | None:
    """The template line of line `offset` of a multi-line value (block scalars start on the next line)."""
    line = position(container, key, value=True)[0]
    if offset == 0:
        return None
    first = ctx.file.line(line)
    return line + offset + (1 if _BLOCK.search(first.rstrip()) else 0)


def _matched(text: str) -> str:
    """The part of `text` a known format matched (what to redact); the whole text when none did."""
    for _, _, pattern in KNOWN_FORMATS:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return text


def _secret_in_line(text_line: str, prop: str) -> tuple[str, str, str] | None:
    """(description, confidence, value) of a secret on one line of a script or a property value."""
    match = known_format(text_line)
    if match:
        return match.description, "high", _matched(text_line)
    for pattern in (_ASSIGNMENT, _FLAG):
        for m in pattern.finditer(text_line):
            name, value = m.group(1), m.group(3)
            if "${" in value or value.startswith(("$", "%", "@")) or is_placeholder(value) or not _PLAIN_VALUE.match(value):
                continue  # a substitution, a variable, or code (`os.environ.get(...)`), not a literal
            found = check_value(value, name)
            if found is not None:
                return f"{found.description} (`{name}`)", found.confidence, value
    return None


@iac_check("IAC105", kinds=("cloudformation",))
def template_literal_secret(template: Template, ctx: IacContext) -> None:
    def report(resource: Resource | None, where: str, prop: str, text: str, container: Any, key: Any) -> None:
        lines = text.split("\n")
        for i, text_line in enumerate(lines):
            if not text_line.strip() or is_dynamic_reference(text_line):
                continue
            found = None
            if len(lines) == 1 and prop != "UserData":
                match = known_format(text) or (check_value(text, prop) if _secret_prop(prop) else None)
                found = (match.description, match.confidence, _matched(text) if match.confidence == "high" else text) \
                    if match else None
                if found is None and prop in DEPLOYED_PASSWORDS and text.strip() and not _FILL_IN.search(text):
                    # the template sets the password itself: even `myPassword` is what the database gets
                    found = ("a literal password (a guessable one, and the one the resource really gets)", "medium", text)
            else:
                found = _secret_in_line(text_line, prop)
            line = _line_of(ctx, container, key, i) if len(lines) > 1 else None
            if found is not None:
                description, confidence, value = found
                ctx.report(resource, f"Hard-coded credential: {where} holds {description} in "
                                     "plaintext; everyone who can read the template, its history or the stack gets it.",
                           container=container, key=key, value=True, line=line, secrets=[value],
                           precision="high" if confidence == "high" else None)
                continue
            example = example_key(text_line)
            if example is not None:
                ctx.report(resource, f"Hard-coded credential: {where} holds {example} that looks like "
                                     "the documentation's example (`...EXAMPLE`); replace it before anyone copies "
                                     "the pattern with a real key.", container=container, key=key, value=True,
                           line=line, severity=Severity.LOW, precision="low", secrets=[_matched(text_line)])

    for r in template.resources.values():
        skip_env = r.type in FUNCTION_TYPES
        for prop, text, container, key in _walk(r.props, skip_env, []):
            if prop.endswith(".$") or text.startswith("$"):
                continue  # Step Functions paths (`"token.$": "$$.Task.Token"`), not values
            if prop == "UserData" or "\n" in text or _secret_prop(prop) or known_format(text) or example_key(text):
                label = "the user data script" if prop == "UserData" else f"property `{prop}`"
                report(r, f"{label} of `{r.logical_id}`", prop, text, container, key)
    outputs = template.doc.get("Outputs")
    if isinstance(outputs, PDict):
        for name, output in outputs.items():
            value = output.get("Value") if isinstance(output, PDict) else None
            for text, container, key in _texts(value, output, "Value"):
                if known_format(text) or example_key(text):
                    report(None, f"output `{name}`", str(name), text, container, key)
    for name, param in template.parameters.items():
        if not isinstance(param, PDict) or is_secret_name(str(name)):
            continue  # secret-named parameters: IAC103/IAC104
        default = param.get("Default")
        if isinstance(default, str) and (known_format(default) or example_key(default)):
            report(None, f"the default of parameter `{name}`", str(name), default, param, "Default")


def _rotated_secrets(template: Template) -> set[str] | None:
    """Logical ids and names of the secrets a `RotationSchedule` of this template rotates; None when one of them
    names its secret in a way that cannot be read (an import, a computed ARN): then any secret may be rotated."""
    rotated: set[str] = set()
    for r in template.of_type("AWS::SecretsManager::RotationSchedule"):
        target = r.props.get("SecretId")
        if isinstance(target, dict) and isinstance(target.get("Ref"), str) and len(target) == 1:
            rotated.add(target["Ref"])
        elif isinstance(target, str) and target:
            # a name, or an ARN whose last part is the name plus AWS's random suffix (`prod/db-AbCdEf`)
            rotated.add(target.rsplit(":", 1)[-1])
            rotated.add(target.rsplit(":", 1)[-1].rsplit("-", 1)[0])
        else:
            return None
    return rotated


@iac_check("IAC106")
def secret_without_rotation(template: Template, ctx: IacContext) -> None:
    secrets = list(template.of_type("AWS::SecretsManager::Secret"))
    if not secrets:
        return
    rotated = _rotated_secrets(template)
    if rotated is None:
        return
    for r in secrets:
        name = literal(r.props.get("Name"), template)
        if r.logical_id in rotated or (isinstance(name, str) and name in rotated):
            continue
        ctx.report(r, f"Credentials never rotated: secret `{r.logical_id}` has no "
                      "`AWS::SecretsManager::RotationSchedule` in this template, so a copy leaked once stays valid "
                      "until someone changes it by hand (rotation set up elsewhere is not seen).")
