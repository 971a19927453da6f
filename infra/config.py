"""Deployment settings, read from CDK context (cdk.json, or `-c key=value` on the command line)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from constructs import Node
from govrate.kernel.contracts import RegionCode
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PREFIX = "govrate:"


class QuotaPeriod(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Throttle(_Context):
    rate: float = Field(default=20, gt=0, description="Steady requests per second.")
    burst: int = Field(default=40, ge=1, description="Requests allowed in a burst.")


class Quota(_Context):
    limit: int = Field(default=200_000, ge=1, description="Requests per period.")
    period: QuotaPeriod = QuotaPeriod.DAY


class PlatformContext(_Context):
    """A regional platform, as context `govrate:platforms` lists it: its key id, its regions and its usage plan."""

    platform_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$")]
    key_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    regions: tuple[RegionCode, ...] = Field(min_length=1)
    throttle: Throttle = Throttle()
    quota: Quota = Quota()


class StaffPoolContext(_Context):
    """An existing staff user pool (context `govrate:staffUserPool`), for regions without Cognito user
    pools (the China regions): the pool lives in a region that has them, and the stack creates none."""

    user_pool_id: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$")] = Field(
        alias="userPoolId"
    )
    client_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-z]{20,40}$")] = Field(alias="clientId")


@dataclass(frozen=True)
class GovrateConfig:
    stack_name: str = "Govrate"
    log_level: str = "INFO"
    # Deliveries of a negative-review message before it moves to the dead-letter queue.
    max_receive_count: int = 5
    # Where citizens reach the API (a custom domain); empty means the REST API's own URL.
    public_base_url: str = ""
    # The regional platforms allowed on the signed API; each gets a key secret, an API key and a usage plan.
    platforms: tuple[PlatformContext, ...] = ()
    # None: the stack creates the staff user pool; otherwise the staff sign in to this existing one.
    staff_user_pool: StaffPoolContext | None = None

    @classmethod
    def from_context(cls, node: Node) -> GovrateConfig:
        def context(key: str) -> str | None:
            # `-c` values arrive as strings, cdk.json values as JSON; treat both alike.
            value = node.try_get_context(PREFIX + key)
            return None if value is None or value == "" else str(value)

        defaults = cls()
        return cls(
            stack_name=context("stackName") or defaults.stack_name,
            log_level=(context("logLevel") or defaults.log_level).upper(),
            max_receive_count=int(context("maxReceiveCount") or defaults.max_receive_count),
            public_base_url=context("publicBaseUrl") or defaults.public_base_url,
            platforms=_platforms(node.try_get_context(PREFIX + "platforms")),
            staff_user_pool=_staff_user_pool(node.try_get_context(PREFIX + "staffUserPool")),
        )


def _platforms(value: Any) -> tuple[PlatformContext, ...]:
    """The platforms from context: a JSON list in cdk.json, or its text with `-c`; key ids must be unique."""
    listed = json.loads(value) if isinstance(value, str) else value or []
    platforms = tuple(PlatformContext.model_validate(entry) for entry in listed)
    for attribute in ("platform_id", "key_id"):
        values = [getattr(platform, attribute) for platform in platforms]
        if len(set(values)) != len(values):
            raise ValueError(f"govrate:platforms: every {attribute} must be unique")
    return platforms


def _staff_user_pool(value: Any) -> StaffPoolContext | None:
    """`{"userPoolId": …, "clientId": …}` in cdk.json, or its JSON text with `-c`."""
    if value is None or value == "":
        return None
    return StaffPoolContext.model_validate(json.loads(value) if isinstance(value, str) else value)
