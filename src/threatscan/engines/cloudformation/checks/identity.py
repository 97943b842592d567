"""Cognito user pools: MFA, password policy, advanced security (rules IAC130-IAC132)."""

from __future__ import annotations

from ..context import IacContext
from ....lang.iac.model import UNKNOWN, Template, as_int, dig, literal
from ..registry import iac_check

POOL = "AWS::Cognito::UserPool"


@iac_check("IAC130")
def cognito_mfa_off(template: Template, ctx: IacContext) -> None:
    for r in template.of_type(POOL):
        mfa = literal(r.props.get("MfaConfiguration"), template)
        if mfa is UNKNOWN or mfa not in (None, "OFF"):
            continue
        ctx.report(r, f"Account takeover: user pool "
                      f"`{r.logical_id}` has multi-factor authentication {'off' if mfa else 'off (the default)'}.",
                   container=r.props if mfa else None, key="MfaConfiguration" if mfa else None)


@iac_check("IAC131")
def cognito_weak_password_policy(template: Template, ctx: IacContext) -> None:
    # The policy's minimum (threat model `password-min-length`, default 8) against the pool's MinimumLength, or
    # Cognito's default of 8 when the pool sets none.
    minimum = int(ctx.scan.policy.password_min_length or 8)
    for r in template.of_type(POOL):
        policy = dig(r.props, "Policies", "PasswordPolicy")
        if not isinstance(policy, dict) or "MinimumLength" not in policy:
            if minimum > 8:
                ctx.report(r, f"Weak password policy: user pool `{r.logical_id}` keeps Cognito's default minimum of 8 "
                              f"characters, below the policy's password-min-length of {minimum}.")
            continue
        length = as_int(policy.get("MinimumLength"), template)
        if isinstance(length, int) and length < minimum:
            ctx.report(r, f"Weak password policy: user pool `{r.logical_id}` accepts passwords "
                          f"of {length} characters, below the policy's password-min-length of {minimum}; brute force "
                          "and credential stuffing get easier.",
                       container=policy, key="MinimumLength", value=True)


@iac_check("IAC132")
def cognito_no_advanced_security(template: Template, ctx: IacContext) -> None:
    for r in template.of_type(POOL):
        addons = r.props.get("UserPoolAddOns")
        mode = literal(dig(addons, "AdvancedSecurityMode"), template) if addons is not None else None
        if mode is UNKNOWN or mode == "ENFORCED":
            continue
        where = dict(container=addons, key="AdvancedSecurityMode") if isinstance(addons, dict) and mode else {}
        ctx.report(r, f"Credential stuffing and phishing: user pool `{r.logical_id}` does not "
                      f"enforce advanced security (compromised-credential and adaptive-risk checks are "
                      f"{'only audited' if mode == 'AUDIT' else 'off'}).", **where)


@iac_check("IAC133")
def cognito_unauthenticated_identities(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::Cognito::IdentityPool"):
        allow = literal(r.props.get("AllowUnauthenticatedIdentities"), template)
        if allow is True or (isinstance(allow, str) and allow.lower() == "true"):
            ctx.report(r, f"Authentication bypass: identity pool `{r.logical_id}` hands out AWS credentials "
                          "to unauthenticated identities; whatever its unauthenticated role allows, anyone on the "
                          "Internet can do.", container=r.props, key="AllowUnauthenticatedIdentities")
