"""Pydantic models for every input and output of the public contracts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govrate.scale import Level

RegionCode = Annotated[str, StringConstraints(pattern=r"^[1-8]\d{5}$")]
"""GB/T 2260 six-digit administrative division code."""
ItemCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,63}$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,63}$")]


class Channel(StrEnum):
    WINDOW_DEVICE = "window_device"
    WINDOW_QR = "window_qr"
    WEB_MODULE = "web_module"
    MOBILE_APP = "mobile_app"
    PAPER = "paper"
    HOTLINE = "hotline"
    SUGGESTION_BOX = "suggestion_box"
    EMAIL = "email"
    SUPERVISION_PLATFORM = "supervision_platform"
    SURVEY = "survey"
    PLATFORM_API = "platform_api"


class Stage(StrEnum):
    ACCEPT = "accept"
    APPROVE = "approve"
    DELIVER = "deliver"
    OVERALL = "overall"


class CaseState(StrEnum):
    RECEIVED = "received"
    CONTACTED = "contacted"
    VERIFIED = "verified"
    TRIAGED = "triaged"
    RECTIFIED = "rectified"
    ANSWERED = "answered"
    RATED = "rated"
    CLOSED = "closed"
    ESCALATED = "escalated"


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvaluationSubmission(_Contract):
    """An evaluation as a citizen, a device or a platform submits it."""

    item_code: ItemCode = Field(description="Catalogue code of the service item.")
    agency_code: AgencyCode = Field(description="Code of the agency that delivered the service.")
    region_code: RegionCode = Field(description="GB/T 2260 division code of the service location.")
    channel: Channel
    level: Level = Field(description="Overall level: 5 very satisfied … 1 very dissatisfied.")
    stage: Stage = Stage.OVERALL
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class EvaluationAccepted(_Contract):
    evaluation_id: str = Field(description="ULID of the stored evaluation.")
    receipt: str = Field(description="Secret that lets the evaluator follow this evaluation.")
    status_url: str = Field(description="Relative URL where the evaluator follows the evaluation.")
    bad_review: bool


class CaseSummary(_Contract):
    """What the evaluator may see of the case opened for a bad review."""

    state: CaseState
    opened_at: datetime


class EvaluationStatus(_Contract):
    evaluation_id: str
    item_code: str
    agency_code: str
    region_code: str
    channel: Channel
    stage: Stage
    level: Level
    level_label_zh: str
    level_label_en: str
    comment: str | None
    created_at: datetime
    bad_review: bool
    case: CaseSummary | None = Field(
        default=None, description="The handling of a bad review; null until the case is opened."
    )


class NegativeReviewMessage(_Contract):
    """The SQS message that asks the verify function to open a case. It carries no personal data."""

    evaluation_id: str
    item_code: str
    agency_code: str
    region_code: str
    level: Level
    created_at: datetime


class ServiceItem(_Contract):
    item_code: ItemCode
    version: int = Field(ge=1)
    name_zh: str
    name_en: str
    agency_code: AgencyCode
    agency_name_zh: str
    region_code: RegionCode
    region_name_zh: str
    channels: tuple[str, ...]
    stages: tuple[Stage, ...]
    promised_days: int = Field(ge=0)
