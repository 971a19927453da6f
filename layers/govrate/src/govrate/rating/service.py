"""What a citizen rates on a page, and the rating taken from the page's form.

Three kinds of page rate through here: a window's QR code (`/q/…`: an item of the window, channel
`window_qr`), a service record's ticket (`/t/…`: that record, stage by stage), and the web module
of an online platform (an item of its site key, or a record by its ticket; channel `web_module`).
Every rating ends in `submit_evaluation`, which holds the rules (catalogue, ticket, record, period,
one evaluation per record and stage); this module turns a form into a submission and names the
form field of each problem.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from govrate.evaluations.models import (
    Channel,
    EvaluationAccepted,
    EvaluationStatus,
    EvaluationSubmission,
    EvaluatorContact,
    ReasonCode,
    ServiceItem,
    Stage,
)
from govrate.evaluations.ports import FollowUpStore
from govrate.evaluations.service import (
    IntakeStores,
    client_receipt,
    evaluation_status,
    receipt_hash,
    record_stage_key,
    status_path,
    submit_evaluation,
)
from govrate.kernel.errors import Conflict, EvaluationPeriodOver, Gone, InvalidInput, NotFound, SuspiciousSubmission
from govrate.kernel.qr_codes import FormTokenSigner, TicketSigner, WindowTokenSigner, ticket_url
from govrate.kernel.scale import Level
from govrate.rating.models import EvaluationView, RatingForm, RatingTarget, SiteKey, StageChoice, WidgetQuery

if TYPE_CHECKING:
    from govrate.cases.ports import CaseStatusReader
    from govrate.catalogue.ports import CatalogueReader
    from govrate.integrity.limits import Arrival
    from govrate.windows.ports import SiteKeyStore, WindowStore

# Form fields whose problems a page shows next to them; any other problem is shown for the form.
FORM_FIELDS = frozenset(
    {"item", "stage", "level", "reason", "comment", "contact", "contact_name", "contact_phone", "contact_email"}
    | {"contact_consent"}
)
FORM = "form"
_EVALUATOR_FIELDS = {"name": "contact_name", "phone": "contact_phone", "email": "contact_email"}


@dataclass(frozen=True)
class RatingStores:
    intake: IntakeStores
    windows: WindowStore
    site_keys: SiteKeyStore
    window_signer: Callable[[], WindowTokenSigner]
    tickets: Callable[[], TicketSigner]
    form_tokens: Callable[[], FormTokenSigner]


@dataclass(frozen=True)
class Rating:
    """A rating, checked for the form's sake; the evaluation rules are checked when it is submitted."""

    item: ServiceItem
    stage: Stage
    level: Level
    reasons: tuple[ReasonCode, ...] = ()
    comment: str | None = None
    evaluator: EvaluatorContact | None = None
    idempotency_key: str | None = None


def open_window_rating(token: str, *, stores: RatingStores) -> RatingTarget:
    """The window behind a scanned code. NotFound for a forged or tampered code; Gone for a code of an
    earlier rotation, of a revoked window, or of a window none of whose items is still in the catalogue."""
    claims = stores.window_signer().verify(token)
    window = stores.windows.get(claims.window_id)
    if window.revoked or window.rotation != claims.rotation:
        raise Gone("this QR code has been replaced or withdrawn")
    items = tuple(
        item for code in window.item_codes if (item := _catalogue_item(code, stores.intake.catalogue)) is not None
    )
    if not items:
        raise Gone(f"window {window.window_id} has no service item in the catalogue")
    return RatingTarget(
        channel=Channel.WINDOW_QR,
        agency_code=window.agency_code,
        region_code=window.region_code,
        items=items,
        window=window,
        window_id=window.window_id,
    )


def open_ticket_rating(
    ticket: str, *, stores: RatingStores, now: datetime, channel: Channel | None = None
) -> RatingTarget:
    """The service record behind a ticket, with the stages still to rate.

    NotFound for a ticket we did not sign or a record we do not know; EvaluationPeriodOver after the
    record's evaluation period; Conflict when every stage has its evaluation. The channel is the one
    given (a kiosk, the web module), else `window_qr` for a record served at a window (the ticket on
    the receipt or the kiosk's screen, scanned with a phone) and `mobile_app` for one served online
    (the ticket's link in an SMS).
    """
    claims = stores.tickets().verify(ticket)
    intake = stores.intake
    record = intake.records.get(claims.region_code, claims.record_id)
    deadline = intake.rules.for_region(record.region_code).evaluation.evaluation_deadline(record.completed_at)
    if now > deadline:
        raise EvaluationPeriodOver(
            "the evaluation period of this service record has ended",
            [{"field": "ticket", "message": f"could be rated until {deadline.isoformat()}"}],
        )
    stages = tuple(
        StageChoice(
            stage=stage,
            rated=intake.evaluations.holder(record_stage_key(record.region_code, record.record_id, stage)) is not None,
        )
        for stage in record.stages
    )
    if all(choice.rated for choice in stages):
        raise Conflict(f"every stage of service record {record.record_id} has been rated")
    if channel is None:
        channel = Channel.WINDOW_QR if record.window_id else Channel.MOBILE_APP
    return RatingTarget(
        channel=channel,
        agency_code=record.agency_code,
        region_code=record.region_code,
        items=(intake.catalogue.get(record.item_code, record.item_version),),
        window_id=record.window_id,
        record_id=record.record_id,
        item_version=record.item_version,
        ticket=ticket,
        stages=stages,
        evaluation_deadline=deadline,
    )


def open_widget_rating(key: SiteKey, query: WidgetQuery, *, stores: RatingStores, now: datetime) -> RatingTarget:
    """What an embedded module rates: an item of the site key, or a record of such an item by its ticket.
    NotFound for an item the key does not cover."""
    if query.ticket is not None:
        target = open_ticket_rating(query.ticket, stores=stores, now=now, channel=Channel.WEB_MODULE)
    else:
        assert query.item is not None  # WidgetQuery holds exactly one of them
        item = stores.intake.catalogue.get(query.item)
        target = RatingTarget(
            channel=Channel.WEB_MODULE, agency_code=item.agency_code, region_code=item.region_code, items=(item,)
        )
    if target.items[0].item_code not in key.item_codes:
        raise NotFound(f"site key {key.site_key} does not cover service item {target.items[0].item_code}")
    return target


def ticket_link(ticket: str, *, tickets: TicketSigner, base_url: str) -> str:
    """The URL that a ticket's QR code holds (for a receipt or a kiosk's screen); NotFound when forged."""
    tickets.verify(ticket)
    return ticket_url(base_url, ticket)


def check_form_token(target: RatingTarget, token: str, *, signer: FormTokenSigner, now: datetime) -> None:
    """A rating form is taken only with the token of a form served for the same target, within its
    lifetime; InvalidInput naming the form otherwise (missing, forged, of another page, or expired)."""
    if not token:
        raise InvalidInput("the form has no token", [{"field": FORM, "message": "load the page and rate again"}])
    try:
        signer.verify(token, target.form_subject, now)
    except (NotFound, Gone) as exc:
        raise InvalidInput(
            "the form's token is not one served for this page, or has expired",
            [{"field": FORM, "message": "load the page and rate again"}],
        ) from exc


def read_rating_form(target: RatingTarget, form: RatingForm, max_comment_length: int) -> Rating:
    """The rating a form holds; InvalidInput naming the form fields (`item`, `level`, `reason`, …) otherwise.

    A filled honeypot is SuspiciousSubmission. Reason chips count only for a bad review (1 or 2): on
    a page without its script they show for every level, and a chip left ticked is no mistake.
    """
    if form.website.strip():
        raise SuspiciousSubmission("the honeypot field was filled")
    errors: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    item = _chosen_item(target, form.item)
    if item is None:
        problem("item", "choose one of the service items of the page")
    stage = _chosen_stage(target, form.stage)
    if stage is None:
        problem("stage", "choose one of the record's stages")
    level = Level(int(form.level)) if form.level in {str(int(level)) for level in Level} else None
    if level is None:
        problem("level", "choose a level from 1 to 5")
    reasons: tuple[ReasonCode, ...] = ()
    if level is not None and level.is_bad_review:
        known = {code.value for code in ReasonCode}
        reasons = tuple(ReasonCode(code) for code in dict.fromkeys(form.reason) if code in known)
        if not reasons:
            problem("reason", "a bad review (level 1 or 2) needs a reason")
    comment = form.comment.strip()
    if len(comment) > max_comment_length:
        problem("comment", f"at most {max_comment_length} characters")
    evaluator = _evaluator(form, problem)
    if errors or item is None or stage is None or level is None:
        raise InvalidInput("the form is not complete", errors)
    return Rating(
        item=item,
        stage=stage,
        level=level,
        reasons=reasons,
        comment=comment or None,
        evaluator=evaluator,
        idempotency_key=form.nonce or None,
    )


def submit_rating(
    target: RatingTarget,
    rating: Rating,
    *,
    stores: RatingStores,
    now: datetime,
    submitted_by: str | None = None,
    arrival: Arrival | None = None,
) -> EvaluationAccepted:
    """Submit a rating of the target through `submit_evaluation`, the one place of the evaluation rules
    (a record's ticket is checked there again). InvalidInput names the form field where it can.
    `arrival`: where a rating on an unauthenticated page came from (the abuse gate's view of it)."""
    submission = EvaluationSubmission(
        item_code=rating.item.item_code,
        item_version=target.item_version,
        agency_code=target.agency_code,
        region_code=target.region_code,
        channel=target.channel,
        level=rating.level,
        stage=rating.stage,
        record_id=target.record_id,
        ticket=target.ticket,
        window_id=target.window_id,
        reason_codes=list(rating.reasons),
        comment=rating.comment,
        evaluator=rating.evaluator,
    )
    try:
        return submit_evaluation(
            submission,
            stores=stores.intake,
            now=now,
            tickets=stores.tickets,
            submitted_by=submitted_by,
            idempotency_key=rating.idempotency_key,
            arrival=arrival,
        )
    except EvaluationPeriodOver:
        raise
    except InvalidInput as exc:
        raise InvalidInput(
            exc.detail, [{**error, "field": _form_field(error["field"])} for error in exc.errors]
        ) from exc


def earlier_rating_of_form(ticket: str, nonce: str, *, stores: RatingStores) -> EvaluationAccepted | None:
    """The evaluation that this very form (its token) was taken as before, with its receipt: a second tap,
    or a retry whose answer was lost, once every stage of the record is rated. The token derives the
    receipt, so only the page that posted the form finds it; None for any other."""
    if not nonce:
        return None
    claims = stores.tickets().verify(ticket)
    record = stores.intake.records.get(claims.region_code, claims.record_id)
    receipt = client_receipt(nonce)
    for stage in record.stages:
        evaluation_id = stores.intake.evaluations.holder(record_stage_key(record.region_code, record.record_id, stage))
        if evaluation_id is None:
            continue
        evaluation = stores.intake.evaluations.get(evaluation_id)
        if hmac.compare_digest(evaluation.receipt_hash, receipt_hash(receipt)):
            return EvaluationAccepted(
                evaluation_id=evaluation_id,
                receipt=receipt,
                status_url=status_path(evaluation_id, receipt),
                bad_review=evaluation.bad_review,
                replayed=True,
            )
    return None


def evaluation_view(
    evaluation_id: str,
    receipt: str,
    *,
    stores: IntakeStores,
    cases: CaseStatusReader,
    follow_ups: FollowUpStore,
) -> EvaluationView:
    """The evaluation for the holder of its receipt (NotFound otherwise), with the item's names."""
    status: EvaluationStatus = evaluation_status(
        evaluation_id, receipt, evaluations=stores.evaluations, cases=cases, follow_ups=follow_ups
    )
    item = _catalogue_item(status.item_code, stores.catalogue) if status.item_code else None
    return EvaluationView(
        status=status,
        item_name_zh=item.name_zh if item else None,
        item_name_en=item.name_en if item else None,
    )


def _chosen_item(target: RatingTarget, item_code: str) -> ServiceItem | None:
    if len(target.items) == 1:
        return target.items[0]
    return next((item for item in target.items if item.item_code == item_code), None)


def _chosen_stage(target: RatingTarget, stage: str) -> Stage | None:
    """Without a record, the service as a whole; with one, the stage chosen (or its only open one)."""
    if not target.stages:
        return Stage.OVERALL
    open_stages = target.open_stages
    if len(open_stages) == 1 and not stage:
        return open_stages[0]
    return next((choice.stage for choice in target.stages if choice.stage.value == stage), None)


def _evaluator(form: RatingForm, problem: Callable[[str, str], None]) -> EvaluatorContact | None:
    """The contact for the follow-up, given only by choice and only with consent."""
    name, phone, email = form.contact_name.strip(), form.contact_phone.strip(), form.contact_email.strip()
    if not (name or phone or email or form.contact_consent):
        return None
    if not form.contact_consent:
        problem("contact_consent", "contact details are kept only with the consent to be contacted")
        return None
    if not (phone or email):
        problem("contact", "give a phone number or an e-mail address, or leave the contact empty")
        return None
    try:
        return EvaluatorContact(name=name or None, phone=phone or None, email=email or None, consent=True)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            problem(_EVALUATOR_FIELDS.get(field, "contact"), error["msg"])
        return None


def _form_field(submission_field: str) -> str:
    """The form field behind a field of the submission; `form` for what the form cannot change."""
    top = submission_field.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
    if top == "evaluator":
        return _EVALUATOR_FIELDS.get(submission_field.rsplit(".", maxsplit=1)[-1], "contact")
    field = {"item_code": "item", "reason_codes": "reason"}.get(top, top)
    return field if field in FORM_FIELDS else FORM


def _catalogue_item(item_code: str, catalogue: CatalogueReader) -> ServiceItem | None:
    try:
        return catalogue.get(item_code)
    except NotFound:
        return None
