"""Pydantic models of the citizen-facing rating pages, the kiosks at the windows and the web module."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from govrate.evaluations.models import Channel, EvaluationStatus, ReasonCode, ServiceItem, Stage
from govrate.kernel.contracts import AgencyCode, Contract, ItemCode, RegionCode
from govrate.kernel.qr_codes import TICKET_PATH
from govrate.kernel.scale import Level
from govrate.windows.models import ServiceWindow

TicketToken = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{8,200}$")]
SiteKeyId = Annotated[str, StringConstraints(pattern=r"^gw_[A-Za-z0-9_-]{16}$")]
FormNonce = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9_.-]{16,100})?$")]
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_PORTS = {"https": 443, "http": 80}


class Lang(StrEnum):
    """The language of a page: Chinese by default, English on request (`?lang=en`)."""

    ZH = "zh"
    EN = "en"


class PageQuery(Contract):
    lang: Lang = Field(default=Lang.ZH, description="zh (default) or en.")


class RatingPageQuery(PageQuery):
    again: Literal["1"] | None = Field(
        default=None,
        description="Rate another service: forget the form token this browser kept from rating the page minutes "
        "ago (a cookie), and show the page at its own address (303) with a new one.",
    )


class ReceiptPageQuery(PageQuery):
    receipt: Annotated[str, StringConstraints(min_length=8, max_length=64)] = Field(
        description="The receipt given when the evaluation was accepted."
    )


class StatusPageQuery(ReceiptPageQuery):
    problem: Literal["rating"] | None = Field(
        default=None, description="Set by the handling form when it came back without a rating: shown beside it."
    )


class RatingForm(BaseModel):
    """What a rating page posts (application/x-www-form-urlencoded), as the browser sends it.

    Values stay text here: the rating service checks them and names the field of each problem, so
    that the page can show it next to the field.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    item: Annotated[str, StringConstraints(max_length=64)] = Field(default="", description="Service item code.")
    stage: Annotated[str, StringConstraints(max_length=16)] = Field(default="", description="Stage of a record.")
    level: Annotated[str, StringConstraints(max_length=2)] = Field(default="", description="1 to 5.")
    reason: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=len(ReasonCode), description="Reason codes; read for levels 1 and 2 only."
    )
    comment: Annotated[str, StringConstraints(max_length=4000)] = ""
    contact_name: Annotated[str, StringConstraints(max_length=100)] = ""
    contact_phone: Annotated[str, StringConstraints(max_length=32)] = ""
    contact_email: Annotated[str, StringConstraints(max_length=320)] = ""
    contact_consent: bool = Field(default=False, description="The consent to be contacted (a checkbox).")
    website: Annotated[str, StringConstraints(max_length=500)] = Field(
        default="", description="A honeypot: people leave it empty; a filled one is refused quietly."
    )
    nonce: FormNonce = Field(
        default="",
        description="The form's token, one per served form, bound to what it rates and expiring: required; a "
        "second post of it is a replay.",
    )


class PressureReportForm(BaseModel):
    """What a rating page's report form posts: "someone pressed me to rate", with its page's form token."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="What happened, optional; no personal data is asked for."
    )
    nonce: FormNonce = Field(default="", description="The token of the rating form served with the page.")


class StageChoice(Contract):
    stage: Stage
    rated: bool = Field(description="True when this stage of the record has its one evaluation.")


class RatingTarget(Contract):
    """What a rating page rates, and through which channel."""

    channel: Channel
    agency_code: AgencyCode
    region_code: RegionCode
    items: tuple[ServiceItem, ...] = Field(min_length=1, description="The service items to choose from.")
    window: ServiceWindow | None = Field(default=None, description="The window whose QR code was scanned.")
    window_id: str | None = None
    record_id: str | None = None
    item_version: int | None = Field(default=None, description="The catalogue version the record was served at.")
    ticket: str | None = None
    stages: tuple[StageChoice, ...] = Field(default=(), description="A record's stages; empty without a record.")
    evaluation_deadline: datetime | None = None

    @property
    def form_subject(self) -> str:
        """What a served form's token is bound to: the record, else the window, else the items offered."""
        if self.record_id is not None:
            return f"record#{self.region_code}#{self.record_id}"
        if self.window_id is not None:
            return f"window#{self.window_id}"
        return "items#" + ",".join(item.item_code for item in self.items)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(choice.stage for choice in self.stages if not choice.rated)


class PageAnswer(Contract):
    """The answer to a rating form posted by the page's script (Accept: application/json)."""

    next_url: str | None = Field(description="The receipt page to open; null when there is nothing to open.")
    message: str | None = Field(default=None, description="What to show instead, in the page's language.")


class EvaluationView(Contract):
    """The evaluator's own view of an evaluation: its status with the names of what was rated."""

    status: EvaluationStatus
    item_name_zh: str | None
    item_name_en: str | None


# Kiosks


class KioskIssued(Contract):
    window_id: str
    rotation: int
    url: str = Field(description="The kiosk page of the window; it changes when the window is rotated.")


class TransactionPush(Contract):
    """The transaction a window system has just finished, for the window's kiosk to offer for rating."""

    ticket_url: Annotated[str, StringConstraints(max_length=400)] = Field(
        description="The record's ticket_url, as the registration of the service record returned it."
    )
    stage: Stage | None = Field(default=None, description="The stage to rate; default the record's first unrated.")

    @field_validator("ticket_url")
    @classmethod
    def _names_a_ticket(cls, ticket_url: str) -> str:
        _, separator, token = urlsplit(ticket_url).path.rpartition(TICKET_PATH)
        if not separator or not token:
            raise ValueError(f"not a ticket URL: it ends in {TICKET_PATH}<ticket>")
        return ticket_url

    @property
    def ticket(self) -> str:
        return urlsplit(self.ticket_url).path.rpartition(TICKET_PATH)[2]


class KioskTransaction(Contract):
    """What a kiosk offers for rating; `seq` is null when there is nothing to rate."""

    seq: int | None = Field(description="Changes with every transaction pushed to the window.")
    item_name_zh: str | None = None
    item_name_en: str | None = None
    stage: Stage | None = None
    qr_svg_url: str | None = Field(default=None, description="The ticket's QR code, to rate on a phone instead.")
    offered_until: datetime | None = None


class KioskRated(Contract):
    """A kiosk's rating was taken. No receipt: a shared device keeps no one's secret."""

    evaluation_id: str
    bad_review: bool
    replayed: bool


class KioskEvaluation(Contract):
    """A rating pressed on a kiosk, for the transaction it was offered (`seq`)."""

    seq: int = Field(ge=1)
    level: Level
    reason_codes: list[ReasonCode] = Field(default_factory=list, max_length=len(ReasonCode))


# The web module


def normalized_origin(origin: str) -> str:
    """`scheme://host[:port]` in lower case without a default port; https, or http for a loopback host."""
    parts = urlsplit(origin.strip())
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("an origin is scheme://host[:port], without a path")
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if not host or "*" in host:
        raise ValueError("an origin names one host")
    display_host = f"[{host}]" if ":" in host else host
    if scheme != "https" and not (scheme == "http" and display_host in LOOPBACK_HOSTS):
        raise ValueError("an origin is https (http only for localhost)")
    port = parts.port
    return f"{scheme}://{display_host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


Origin = Annotated[str, StringConstraints(max_length=253), AfterValidator(normalized_origin)]


class SiteKeyRegistration(Contract):
    """An online service platform that embeds the evaluation module: where, and for which items."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    allowed_origins: tuple[Origin, ...] = Field(
        min_length=1, max_length=20, description="Origins (https://host[:port]) whose pages may embed the module."
    )
    item_codes: tuple[ItemCode, ...] = Field(
        min_length=1, max_length=200, description="Online service items the platform's pages evaluate."
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> SiteKeyRegistration:
        for name, values in (("allowed_origins", self.allowed_origins), ("item_codes", self.item_codes)):
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: a value is listed more than once")
        return self


class SiteKey(SiteKeyRegistration):
    site_key: SiteKeyId = Field(description="Public: goes into the script tag or the iframe's URL.")
    created_at: datetime

    def allows(self, origin: str) -> bool:
        try:
            return normalized_origin(origin) in self.allowed_origins
        except ValueError:
            return False


class WidgetQuery(RatingPageQuery):
    """What an embedded module evaluates: a service item, or a service record by its ticket."""

    item: ItemCode | None = None
    ticket: TicketToken | None = None

    @model_validator(mode="after")
    def _one_target(self) -> WidgetQuery:
        if (self.item is None) == (self.ticket is None):
            raise ValueError("give either item or ticket")
        return self


class WidgetConfig(Contract):
    """What the script tag needs to render the module on an allowed origin."""

    frame_url: str
    title: str
    open_label: str = Field(description="The label of the button that opens the module as a modal.")
    close_label: str


# Posters


class PosterSize(StrEnum):
    A4 = "a4"
    A5 = "a5"


class PosterQuery(Contract):
    size: PosterSize = PosterSize.A4


class WindowPoster(Contract):
    """A printable poster of a window's QR code."""

    window: ServiceWindow
    agency_name_zh: str
    url: str
    qr_svg: str = Field(description="The QR code as an inline <svg> element.")
