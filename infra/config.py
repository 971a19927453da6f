"""Deployment settings, read from CDK context: cdk.json, `-c key=value` on the command line, and the JSON file
that `-c govrate:settings=FILE` names (its keys win)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from govrate.kernel.contracts import RegionCode
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from pydantic_core import ErrorDetails

if TYPE_CHECKING:
    from constructs import Node

PREFIX = "govrate:"
# A lowercase letter, then 1 to 15 lowercase letters or digits (part of every resource name).
PROVINCE = r"^[a-z][a-z0-9]{1,15}$"


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
    downstream: bool = Field(
        default=False,
        description="A downstream Govrate stage (docs/relay.md): it relays to /v1/platform/relay/batch, which it "
        "alone may, and posts no records or evaluations.",
    )
    throttle: Throttle = Throttle()
    quota: Quota = Quota()


class UpstreamContext(_Context):
    """The Govrate of the level above (context `govrate:upstream`), which registered this stage as a
    platform marked `downstream`: where to post, the key id it gave, and the secret holding the key and the API key
    (docs/relay.md). Without it, the stage relays nothing upstream."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")] = Field(
        description="The upstream API's base URL, with its stage prefix (e.g. https://…/api)."
    )
    key_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    secret_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")] | None = Field(
        default=None,
        description="An existing Secrets Manager secret; none: the stack creates `<stack>/upstream` to be filled in.",
    )


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

    given = _json_text(value) or {}
    if not isinstance(given, dict):
        raise ValueError("must be an object of setting names and values")
    unknown = sorted(
        name for name in given if name not in Settings.model_fields or not name.startswith(INTEGRITY_SETTINGS)
    )
    if unknown:
        raise ValueError(f"not an integrity setting: {', '.join(unknown)}")
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
    # The Govrate of the level above; None: nothing is relayed upstream.
    upstream: UpstreamContext | None = None

    def __post_init__(self) -> None:
        if not self.stack_name:
            object.__setattr__(self, "stack_name", f"Govrate-{self.province}-{self.stage.value}")

    @property
    def tags(self) -> dict[str, str]:
        """Tags of the stack, which CloudFormation puts on every resource that takes tags."""
        return {"project": "govrate", "province": self.province, "stage": self.stage.value}

    @classmethod
    def from_context(cls, node: Node) -> GovrateConfig:
        return cls.from_mapping(node.get_all_context())

    @classmethod
    def from_mapping(cls, context: Mapping[str, Any]) -> GovrateConfig:
        """From every context value: the app's, or cdk.json's context (the local stack's). The `govrate:*`
        keys are checked together; SettingsError names each wrong key with what it allows."""
        given = {key: value for key, value in context.items() if key.startswith(PREFIX)}
        settings_file = given.pop(PREFIX + "settings", None)
        if settings_file:
            given |= _settings_file(Path(str(settings_file)))
        errors = _unknown_keys(given)
        values = {
            key.removeprefix(PREFIX): value
            for key, value in given.items()
            if key.removeprefix(PREFIX) in _SETTINGS_KEYS and value is not None and value != ""
        }
        try:
            settings = _Settings.model_validate(values)
        except ValidationError as invalid:
            errors += [_described(error) for error in invalid.errors()]
        if errors:
            raise SettingsError(errors)
        config = cls(
            province=settings.province,
            stage=settings.stage,
            stack_name=settings.stack_name,
            account=settings.account,
            region=settings.region,
            log_level=settings.log_level,
            max_receive_count=settings.max_receive_count,
            public_base_url=settings.public_base_url,
            platforms=settings.platforms,
            staff_user_pool=settings.staff_user_pool,
            edge=settings.edge,
            alarms=settings.alarms,
            integrity=integrity_settings(settings.integrity),
            upstream=settings.upstream,
        )
        if config.stage is StageKind.PROD:
            config.refuse_demo_defaults()
        return config

    def refuse_demo_defaults(self) -> None:
        """A production stage deployed with cdk.json's demo defaults is a mistake: say which to set."""
        errors = []
        if self.province == DEMO_PROVINCE:
            errors.append(
                f"{PREFIX}province: a prod stage needs the province's own name, not the demo default "
                f"{DEMO_PROVINCE!r} (e.g. -c {PREFIX}settings=deploy/gd-prod.json, docs/deploy.md#settings)"
            )
        demo = sorted(p.platform_id for p in self.platforms if p.platform_id.startswith(DEMO_PROVINCE + "-"))
        if demo:
            errors.append(
                f"{PREFIX}platforms: a prod stage lists its regions' own platforms, not the demo one "
                f"({', '.join(demo)}); set {PREFIX}platforms (an empty list [] for none)"
            )
        if errors:
            raise SettingsError(errors)


DEMO_PROVINCE = "demo"


class SettingsError(ValueError):
    """Settings (CDK context) the stack cannot be built from; one line per wrong key."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(errors))
        self.errors = errors


def _json_text(value: Any) -> Any:
    """`-c` gives a JSON object or list as its text; cdk.json and a settings file give it as JSON."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        return json.loads(value)
    return value


class _Settings(BaseModel):
    """Every `govrate:*` key (without the prefix), the one place they are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    province: Annotated[str, StringConstraints(pattern=PROVINCE)] = DEMO_PROVINCE
    stage: StageKind = StageKind.DEV
    stack_name: str = Field(default="", alias="stackName")
    account: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] = ""
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(default="INFO", alias="logLevel")
    max_receive_count: int = Field(default=5, ge=1, le=1000, alias="maxReceiveCount")
    public_base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")] = Field(
        default="", alias="publicBaseUrl"
    )
    platforms: tuple[PlatformContext, ...] = ()
    staff_user_pool: StaffPoolContext | None = Field(default=None, alias="staffUserPool")
    edge: EdgeContext = EdgeContext()
    alarms: AlarmsContext = AlarmsContext()
    integrity: dict[str, Any] = {}
    upstream: UpstreamContext | None = None

    @field_validator("platforms", "staff_user_pool", "edge", "alarms", "integrity", "upstream", mode="before")
    @classmethod
    def _from_json_text(cls, value: Any) -> Any:
        return _json_text(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("platforms")
    @classmethod
    def _unique_ids(cls, platforms: tuple[PlatformContext, ...]) -> tuple[PlatformContext, ...]:
        for attribute in ("platform_id", "key_id"):
            values = [getattr(platform, attribute) for platform in platforms]
            if len(set(values)) != len(values):
                raise ValueError(f"every {attribute} must be unique")
        return platforms

    @field_validator("integrity")
    @classmethod
    def _integrity(cls, value: dict[str, Any]) -> dict[str, Any]:
        integrity_settings(value)
        return value


_SETTINGS_KEYS = {field.alias or name for name, field in _Settings.model_fields.items()}


def _unknown_keys(given: Mapping[str, Any]) -> list[str]:
    errors = []
    for key in sorted(given):
        name = key.removeprefix(PREFIX)
        if name not in _SETTINGS_KEYS:
            close = difflib.get_close_matches(name, sorted(_SETTINGS_KEYS | {"settings"}), n=1)
            hint = f"; did you mean {PREFIX}{close[0]}?" if close else ""
            errors.append(f"{key}: not a setting{hint} (known: {', '.join(sorted(_SETTINGS_KEYS | {'settings'}))})")
    return errors


def _described(error: ErrorDetails) -> str:
    """`govrate:<key>[.field…]: <what is wrong> (got …)`, the key as the operator wrote it."""
    location = ".".join(str(part) for part in error["loc"])
    shown = "" if error["type"] in ("missing", "extra_forbidden") else f" (got {error['input']!r})"
    return f"{PREFIX}{location}: {error['msg']}{shown}"


def _settings_file(path: Path) -> dict[str, Any]:
    """`govrate:settings`: a JSON object of `govrate:*` keys, which win over cdk.json's and `-c`'s."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as unreadable:
        raise SettingsError([f"{PREFIX}settings: cannot read {path}: {unreadable}"]) from unreadable
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise SettingsError([f"{PREFIX}settings: {path} must hold one JSON object of {PREFIX}* keys"])
    outside = sorted(key for key in loaded if not key.startswith(PREFIX) or key == PREFIX + "settings")
    if outside:
        raise SettingsError([f"{PREFIX}settings: {path} may only hold {PREFIX}* settings, not {', '.join(outside)}"])
    return loaded
