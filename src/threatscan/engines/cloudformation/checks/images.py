"""Container images: ECR repositories that do not scan on push or let tags move (rules IAC171, IAC172)."""

from __future__ import annotations

from ..context import IacContext, at_key
from ....lang.iac.model import UNKNOWN, Template, as_bool, dig, is_intrinsic, literal
from ..registry import iac_check


@iac_check("IAC171")
def ecr_scan_on_push_off(template: Template, ctx: IacContext) -> None:
    if any(True for _ in template.of_type("AWS::ECR::RegistryScanningConfiguration")):
        return  # registry-level scanning replaces the repositories' own setting
    for r in template.of_type("AWS::ECR::Repository"):
        config = r.props.get("ImageScanningConfiguration")
        if config is UNKNOWN or is_intrinsic(config):
            continue
        scan = as_bool(dig(config, "ScanOnPush"), template) if isinstance(config, dict) else None
        if scan is True or scan is UNKNOWN:
            continue
        where = at_key(config, "ScanOnPush")
        ctx.report(r, f"Vulnerable dependencies: repository `{r.logical_id}` does not scan images when they are pushed "
                      "(`ImageScanningConfiguration.ScanOnPush` is not true), so an image with known vulnerabilities is "
                      "deployed without anyone being told (scanning configured for the registry elsewhere is not seen).",
                   **where)


@iac_check("IAC172")
def ecr_mutable_tags(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::ECR::Repository"):
        value = literal(r.props.get("ImageTagMutability"), template)
        if value is UNKNOWN or (isinstance(value, str) and value.startswith("IMMUTABLE")):
            continue
        where = at_key(r.props, "ImageTagMutability")
        ctx.report(r, f"Image tampering: repository `{r.logical_id}` lets a pushed tag be overwritten "
                      f"(`ImageTagMutability` is {'`MUTABLE`' if value else 'not set: `MUTABLE`'}), so what the next "
                      "deployment pulls may not be the image that was reviewed and scanned.", **where)
