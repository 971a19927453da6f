"""Deployment settings, read from CDK context (cdk.json, or `-c key=value` on the command line)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from govrate.kernel.contracts import RegionCode
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

if TYPE_CHECKING:
    from constructs import Node

PREFIX = "govrate:"
PROVINCE = re.compile(r"[a-z][a-z0-9]{1,15}")


class StageKind(StrEnum):
    """dev: for building and trying things, removable; prod: the one citizens use, nothing lost on delete."""

    DEV = "dev"
    PROD = "prod"


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


WAF_WINDOWS = frozenset({60, 120, 300, 600})


class EdgeContext(_Context):
    """The WAF web ACL's thresholds (context `govrate:edge`). WAF counts requests over a sliding window."""

    rate_limit: int = Field(
        default=1500, ge=10, description="Requests one client address may make in `window_seconds` before a block."
    )
    sign_in_rate_limit: int = Field(
        default=50, ge=10, description="Sign-in attempts (POST or GET of the console's login) per address and window."
    )
    window_seconds: int = Field(default=300, description="The rate rules' evaluation window: 60, 120, 300 or 600.")

    @field_validator("window_seconds")
    @classmethod
    def _a_window_waf_knows(cls, value: int) -> int:
        if value not in WAF_WINDOWS:
            raise ValueError(f"must be one of {sorted(WAF_WINDOWS)}")
        return value


class AlarmsContext(_Context):
    """Alarm thresholds (context `govrate:alarms`)."""

    server_error_rate: float = Field(default=0.01, gt=0, lt=1, description="Share of requests answered 5xx.")
    p99_latency_ms: int = Field(default=3000, ge=100, description="The API's 99th percentile latency.")
    quiet_hours: int = Field(
        default=3, ge=1, le=8, description="Hours of working time without a single accepted evaluation."
    )
    overdue_cases: int = Field(default=0, ge=0, description="Cases escalated as overdue in an hour.")


# The settings of the interference patterns and alerts a region may tune (docs/integrity.md).
INTEGRITY_SETTINGS = ("staff_networks", "watch_", "alert_")


def integrity_settings(value: Any) -> dict[str, str]:
    """Context `govrate:integrity`: `{"watch_top_burst_per_window": 12, "staff_networks": {…}, …}`, setting
    names of `govrate.settings.Settings`, checked against it, as the functions' environment variables."""
    from govrate.settings import Settings

    from infra.environment import setting

    given = _json(value)
    if not isinstance(given, dict):
        raise ValueError("govrate:integrity must be an object of setting names and values")
    unknown = sorted(
        name for name in given if name not in Settings.model_fields or not name.startswith(INTEGRITY_SETTINGS)
    )
    if unknown:
        raise ValueError(f"govrate:integrity: not an integrity setting: {', '.join(unknown)}")
    Settings.model_validate(given)  # a value the functions would refuse fails the synthesis instead
    return {
        setting(name): json.dumps(value) if isinstance(value, dict | list) else str(value)
        for name, value in sorted(given.items())
    }


@dataclass(frozen=True)
class GovrateConfig:
    # A short lowercase name of the province (or city) the stack serves, e.g. `gd`; part of every name.
    province: str = "demo"
    stage: StageKind = StageKind.DEV
    # Empty: `Govrate-<province>-<stage>`.
    stack_name: str = ""
    # The target account and region; empty: those of the deploying credentials.
    account: str = ""
    region: str = ""
    log_level: str = "INFO"
    # Deliveries of a negative-review message before it moves to the dead-letter queue.
    max_receive_count: int = 5
    # Where citizens reach the API (a custom domain); empty means the REST API's own URL.
    public_base_url: str = ""
    # The regional platforms allowed on the signed API; each gets a key secret, an API key and a usage plan.
    platforms: tuple[PlatformContext, ...] = ()
    # None: the stack creates the staff user pool; otherwise the staff sign in to this existing one.
    staff_user_pool: StaffPoolContext | None = None
    edge: EdgeContext = field(default_factory=EdgeContext)
    alarms: AlarmsContext = field(default_factory=AlarmsContext)
    # Environment variables of the integrity settings this region tunes (context `govrate:integrity`).
    integrity: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not PROVINCE.fullmatch(self.province):
            raise ValueError(f"govrate:province must match {PROVINCE.pattern}, not {self.province!r}")
        if not self.stack_name:
            object.__setattr__(self, "stack_name", f"Govrate-{self.province}-{self.stage.value}")

    @property
    def tags(self) -> dict[str, str]:
        """Tags of the stack, which CloudFormation puts on every resource that takes tags."""
        return {"project": "govrate", "province": self.province, "stage": self.stage.value}

    @classmethod
    def from_context(cls, node: Node) -> GovrateConfig:
        return cls.from_values(node.try_get_context)

    @classmethod
    def from_values(cls, lookup: Callable[[str], Any]) -> GovrateConfig:
        """From a context lookup: the app's, or `dict.get` over cdk.json's context (the local stack's)."""

        def context(key: str) -> str | None:
            # `-c` values arrive as strings, cdk.json values as JSON; treat both alike.
            value = lookup(PREFIX + key)
            return None if value is None or value == "" else str(value)

        defaults = cls()
        return cls(
            province=context("province") or defaults.province,
            stage=StageKind(context("stage") or defaults.stage),
            stack_name=context("stackName") or "",
            account=context("account") or "",
            region=context("region") or "",
            log_level=(context("logLevel") or defaults.log_level).upper(),
            max_receive_count=int(context("maxReceiveCount") or defaults.max_receive_count),
            public_base_url=context("publicBaseUrl") or defaults.public_base_url,
            platforms=_platforms(lookup(PREFIX + "platforms")),
            staff_user_pool=_staff_user_pool(lookup(PREFIX + "staffUserPool")),
            edge=EdgeContext.model_validate(_json(lookup(PREFIX + "edge"))),
            alarms=AlarmsContext.model_validate(_json(lookup(PREFIX + "alarms"))),
            integrity=integrity_settings(lookup(PREFIX + "integrity")),
        )


def _json(value: Any) -> Any:
    """A context object: JSON in cdk.json, or its text with `-c`; absent is the defaults."""
    if value is None or value == "":
        return {}
    return json.loads(value) if isinstance(value, str) else value


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
