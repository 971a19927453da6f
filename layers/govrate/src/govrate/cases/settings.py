"""Settings of the case loop, read once from the environment (prefix GOVRATE_)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVRATE_", frozen=True)

    # The staff user pool, e.g. `ap-east-1_AbC123`, and the app client staff sign in with.
    staff_user_pool_id: str = ""
    staff_client_id: str = ""
    # Overrides for an OIDC issuer other than Cognito, or moto's JWKS in server mode.
    staff_issuer: str = ""
    staff_jwks_url: str = ""
    # Directory of per-region rules files (`<division code>.json`); none: national defaults only.
    case_rules_dir: Path | None = None
    # Where poison negative-review messages end up; the redrive command moves them back.
    negative_reviews_dlq_url: str = ""
    # Shards of the overdue index; fixed once data exists, since the sweep queries every shard.
    case_due_shards: int = Field(default=16, ge=1, le=256)

    @property
    def issuer(self) -> str:
        if self.staff_issuer:
            return self.staff_issuer
        region = self.staff_user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.staff_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return self.staff_jwks_url or f"{self.issuer}/.well-known/jwks.json"

    @property
    def user_pool_region(self) -> str:
        return self.staff_user_pool_id.split("_", 1)[0]


@cache
def get_case_settings() -> CaseSettings:
    return CaseSettings()
