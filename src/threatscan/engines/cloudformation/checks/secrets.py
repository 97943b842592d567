"""Secrets in Lambda environments and template parameters (rules IAC101-IAC104)."""

from __future__ import annotations

from ....links import FUNCTION_TYPES, plaintext_secret, related_read
from ....model import Related
from ....secrets import check_value, is_secret_name
from ..context import IacContext
from ..model import UNKNOWN, Template, as_bool, is_dynamic_reference, is_intrinsic, literal
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
                f"Credentials in the execution environment (ECOM-6): environment variable `{name}` of "
                f"`{resource.logical_id}` holds {match.description} in plaintext; anyone who can read the "
                "function's configuration, or exploit its code, gets it.",
                container=variables, key=name, secrets=[literal(value, template)], related=related,
                precision="high" if match.confidence == "high" else None,
            )


@iac_check("IAC102")
def lambda_env_secret_without_cmk(template: Template, ctx: IacContext) -> None:
    for resource in template.of_type(*FUNCTION_TYPES):
        variables = _variables(resource)
        if not variables:
            continue
        secret_names = [str(n) for n in variables if is_secret_name(str(n))]
        if not secret_names:
            continue
        kms = resource.props.get("KmsKeyArn")
        if kms is not None and literal(kms, template) != "":
            continue
        env = resource.props.get("Environment")
        ctx.report(
            resource,
            f"Credentials in the execution environment (ECOM-6): `{resource.logical_id}` keeps "
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
            f"Credentials in the execution environment (ECOM-6): parameter `{name}` looks like a secret but has no "
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
            f"Credentials in the execution environment (ECOM-6): parameter `{name}` has a default value that looks "
            "like a real secret; it is stored in the template in plaintext.",
            container=param, key="Default", secrets=[value],
        )
