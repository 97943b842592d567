"""The policy numbers the rules compare with: the threat model's, or the documented defaults (threatmodel.POLICY
says where each comes from and which rules read it). One frozen object per scan, ScanContext.policy."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class Policy:
    password_min_length: int = 8
    bcrypt_min_rounds: int = 10
    pbkdf2_sha1_min_iterations: int = 1_300_000
    pbkdf2_sha256_min_iterations: int = 600_000
    pbkdf2_sha512_min_iterations: int = 210_000
    jwt_max_lifetime_days: float = 7
    rate_limit_authenticated: int | None = None  # no default: compared only when the threat model states it
    rate_limit_unauthenticated: int | None = None
    rpo_minutes: int = 5
    stated: tuple[str, ...] = ()  # the policy keys the threat model states (rules may check more when it does)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "Policy":
        """From the scan options a threat model gives (threatmodel.UserThreatModel.options, default_options)."""
        values = {f.name: options[f.name] for f in fields(cls) if f.name in options}
        if "policy_set" in options:
            values["stated"] = tuple(options["policy_set"])
        return cls(**values)
