"""Taking an evaluation in, and showing it to the evaluator who holds its receipt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govrate.evaluations.models import (
    BurstHold,
    Channel,
    EvaluationAccepted,
    EvaluationOutcome,
    EvaluationStatus,
    EvaluationSubmission,
    EvaluatorKind,
    FollowUp,
    FollowUpSubmission,
    PublicEvaluationSubmission,
    Stage,
)
from govrate.integrity.patterns import intake_flags
from govrate.kernel.errors import Conflict, EvaluationPeriodOver, InvalidInput, NotFound
from govrate.kernel.fingerprint import content_fingerprint, same_version
from govrate.kernel.ids import new_id
from govrate.kernel.observability import BusinessEvent, count
from govrate.kernel.qr_codes import TicketSigner

if TYPE_CHECKING:
    from govrate.cases.model import Case
    from govrate.cases.ports import CaseStatusReader, Encryptor
    from govrate.catalogue.ports import CatalogueReader
    from govrate.evaluations.ports import EvaluationStore, FollowUpStore
    from govrate.evaluations.store import StoredEvaluation
    from govrate.integrity.limits import Arrival
    from govrate.records.ports import RecordStore
    from govrate.records.store import StoredRecord
    from govrate.regions.rules import RulesBook
    from govrate.windows.ports import WindowStore


@dataclass(frozen=True)
class IntakeStores:
    evaluations: EvaluationStore
    records: RecordStore
    catalogue: CatalogueReader
    rules: RulesBook
    vault: Encryptor
    windows: WindowStore


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()


def client_receipt(idempotency_key: str) -> str:
    """The receipt of an evaluation posted with a client's Idempotency-Key, derived from the key: a
    retry whose answer was lost gets the receipt again. Only digests of the key and of the receipt
    are stored, so neither can be read back from the tables."""
    digest = hmac.new(idempotency_key.encode(), b"govrate evaluation receipt", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def status_path(evaluation_id: str, receipt: str) -> str:
    return f"/v1/evaluations/{evaluation_id}?receipt={receipt}"


def _check_ticket(submission: EvaluationSubmission, tickets: TicketSigner) -> None:
    """A record can be rated only with its ticket, so nobody can take another applicant's vote."""
    try:
        claims = tickets.verify(submission.ticket or "")
    except NotFound as exc:
        raise InvalidInput(
            "a service record is rated with its evaluation ticket",
            [{"field": "ticket", "message": "missing or not valid"}],
        ) from exc
    if (claims.region_code, claims.record_id) != (submission.region_code, submission.record_id):
        raise InvalidInput(
            "the ticket belongs to another service record", [{"field": "ticket", "message": "another record"}]
        )


def fingerprint(submission: EvaluationSubmission, *, window_id: str | None) -> str:
    """Identifies what was submitted by its meaning, so a replay can be told from a different second
    evaluation (kernel.fingerprint): the reason codes are a set, the indicators an object. What intake
    derives counts as if it were written out: the window of the evaluation's service record and the
    mode its channel implies. The catalogue version is left out (`_same_version` compares it).
    An unstated evaluator kind and no applied-for region stay out, so evaluations stored before those
    fields existed replay alike."""
    unstated = {"evaluator_kind"} if submission.evaluator_kind is EvaluatorKind.UNKNOWN else set()
    if submission.applied_region_code is None:
        unstated.add("applied_region_code")
    derived = submission.model_copy(update={"window_id": window_id, "mode": submission.effective_mode})
    return content_fingerprint(
        derived, sets={"reason_codes"}, exclude={"external_id", "ticket", "item_version", *unstated}
    )


def _same_version(evaluation_id: str, submission: EvaluationSubmission, stores: IntakeStores) -> bool:
    """`same_version` with the stored evaluation's version, read only when the retry names one."""
    return submission.item_version is None or same_version(
        submission.item_version, stores.evaluations.get(evaluation_id).item_version
    )


def submit_evaluation(
    submission: EvaluationSubmission,
    *,
    stores: IntakeStores,
    now: datetime,
    tickets: Callable[[], TicketSigner] | None,
    submitted_by: str | None = None,
    idempotency_key: str | None = None,
    source_form: str | None = None,
    arrival: Arrival | None = None,
) -> EvaluationAccepted:
    """Check a submission against the catalogue, its service record and the region's policy, and store it.

    At most one evaluation per natural key (record and stage; submitter and external id; the paper
    form or ticket it was transcribed from, `source_form`; or the client's idempotency key): the same
    submission again is a replay, a different one a Conflict.
    Accepted evaluations are never changed. `tickets` gives the signer that checks the evaluation
    ticket of a service record (loaded only when needed); None means the submitter is trusted with
    records (an authenticated platform). `arrival` is where an unauthenticated attempt came from: its
    client hash and what intake sees of interference (govrate.integrity.patterns) are stored with the
    evaluation for the integrity watcher; nothing about it changes whether the evaluation is taken.
    """
    from govrate.evaluations.store import AlreadyEvaluated, StoredEvaluation

    errors = submission.inconsistencies()
    if errors:
        raise InvalidInput("the evaluation is not consistent", errors)
    item_version = _check_catalogue(submission, stores.catalogue)
    window_id = submission.window_id
    completed_at = None
    if submission.record_id is not None:
        if tickets is not None:
            _check_ticket(submission, tickets())
        record = _check_record(submission, stores, now)
        window_id, completed_at = record.window_id, record.completed_at
    elif window_id is not None:
        _check_window(window_id, submission, stores.windows)

    evaluation_id = new_id(now)
    receipt = client_receipt(idempotency_key) if idempotency_key else secrets.token_urlsafe(16)
    contact = (
        stores.vault.seal(submission.evaluator.model_dump_json(exclude_none=True), owner=evaluation_id)
        if submission.evaluator is not None
        else None
    )
    stored = StoredEvaluation(
        evaluation_id=evaluation_id,
        item_code=submission.item_code,
        item_version=item_version,
        agency_code=submission.agency_code,
        region_code=submission.region_code,
        applied_region_code=submission.applied_region_code,
        channel=submission.channel,
        stage=submission.stage,
        level=submission.level,
        comment=submission.comment or None,
        created_at=now,
        receipt_hash=receipt_hash(receipt),
        record_id=submission.record_id,
        window_id=window_id,
        mode=submission.effective_mode,
        indicators=submission.indicators,
        reason_codes=tuple(submission.reason_codes),
        contact_cipher=contact,
        submitted_by=submitted_by,
        evaluator_kind=submission.evaluator_kind,
        client_key=arrival.client if arrival else None,
        intake_flags=intake_flags(
            staff_network=arrival.staff_network if arrival else None, record_completed_at=completed_at, now=now
        ),
        staff_network=arrival.staff_network if arrival else None,
    )
    try:
        natural_key = _natural_key(submission, submitted_by, source_form, idempotency_key)
        stores.evaluations.add(stored, natural_key, fingerprint(submission, window_id=window_id))
    except AlreadyEvaluated as taken:
        if taken.evaluation_id != evaluation_id:  # else: this very write, landed on an earlier attempt
            if not (taken.same and _same_version(taken.evaluation_id, submission, stores)):
                raise Conflict(
                    f"already evaluated as {taken.evaluation_id}; an evaluation is never changed or repeated"
                ) from taken
            return _replay(taken.evaluation_id, receipt if idempotency_key else None, submission, stores)
    count(BusinessEvent.EVALUATION_ACCEPTED, breakdown=stored.channel)
    if submission.level.is_bad_review:
        count(BusinessEvent.BAD_REVIEW, breakdown=stored.channel)
    return EvaluationAccepted(
        evaluation_id=evaluation_id,
        receipt=receipt,
        status_url=status_path(evaluation_id, receipt),
        bad_review=submission.level.is_bad_review,
    )


def _replay(
    evaluation_id: str, receipt: str | None, submission: EvaluationSubmission, stores: IntakeStores
) -> EvaluationAccepted:
    """The answer to the same evaluation again: the original's id, and its receipt when the client's
    key derives it (the stored evaluation was posted with the same Idempotency-Key)."""
    if receipt is not None and stores.evaluations.get(evaluation_id).receipt_hash != receipt_hash(receipt):
        receipt = None
    return EvaluationAccepted(
        evaluation_id=evaluation_id,
        receipt=receipt,
        status_url=status_path(evaluation_id, receipt) if receipt else None,
        bad_review=submission.level.is_bad_review,
        replayed=True,
    )


def record_stage_key(region_code: str, record_id: str, stage: Stage) -> str:
    """The natural key of the one evaluation of a record's stage."""
    return f"RECORD#{region_code}#{record_id}#{stage}"


def _natural_key(
    submission: EvaluationSubmission, submitted_by: str | None, source_form: str | None, idempotency_key: str | None
) -> str | None:
    if submission.record_id is not None:
        return record_stage_key(submission.region_code, submission.record_id, submission.stage)
    if submission.external_id is not None:
        return f"EXTERNAL#{submitted_by or 'public'}#{submission.external_id}"
    if source_form is not None:
        # Its own key space: no client's Idempotency-Key can claim a form before staff enter it.
        return f"FORM#{source_form}"
    if idempotency_key:
        # A digest: the key derives the receipt, so it is not stored as it is.
        return f"IDEMPOTENCY#{hashlib.sha256(idempotency_key.encode()).hexdigest()}"
    return None


def _check_catalogue(submission: EvaluationSubmission, catalogue: CatalogueReader) -> int | None:
    """The catalogue version evaluated (None for an evaluation of an agency)."""
    if submission.item_code is None:
        try:
            agency = catalogue.agency(submission.agency_code)
        except NotFound as exc:
            raise InvalidInput(
                "the agency is not in the catalogue",
                [{"field": "agency_code", "message": f"unknown agency {submission.agency_code}"}],
            ) from exc
        if agency.region_code != submission.region_code:
            raise InvalidInput(
                "the agency is in another region",
                [{"field": "region_code", "message": f"agency {agency.agency_code} is in {agency.region_code}"}],
            )
        return None
    try:
        item = catalogue.get(submission.item_code, submission.item_version)
    except NotFound as exc:
        field = "item_version" if submission.item_version else "item_code"
        raise InvalidInput("the service item is not in the catalogue", [{"field": field, "message": str(exc)}]) from exc
    errors = [
        {"field": field, "message": f"service item {item.item_code} belongs to {expected}"}
        for field, given, expected in (
            ("agency_code", submission.agency_code, item.agency_code),
            ("region_code", submission.region_code, item.region_code),
        )
        if given != expected
    ]
    if submission.stage is not Stage.OVERALL and submission.stage not in item.stages:
        stages = ", ".join(item.stages)
        errors.append({"field": "stage", "message": f"{item.item_code} has the stages {stages}"})
    if errors:
        raise InvalidInput("the evaluation does not match the catalogue", errors)
    return item.version


def public_channel(submission: PublicEvaluationSubmission, records: RecordStore) -> Channel:
    """The channel of an evaluation posted to the public endpoint, decided from what vouches for it.

    A ticket proves service at the record's window (`window_qr`) or online (`mobile_app`); without a
    record, nothing proves more than a citizen's own device (`mobile_app`). A claim of any other channel
    is refused rather than silently changed, so a misconfigured client is noticed.
    """
    channel = Channel.MOBILE_APP
    if submission.record_id is not None:
        try:
            record = records.get(submission.region_code, submission.record_id)
        except NotFound:
            pass  # the record check of submit_evaluation names the field
        else:
            channel = Channel.WINDOW_QR if record.window_id else Channel.MOBILE_APP
    if submission.channel is not None and submission.channel is not channel:
        raise InvalidInput(
            "the channel is decided by the path an evaluation arrives on",
            [
                {
                    "field": "channel",
                    "message": f"this endpoint cannot vouch for {submission.channel}; it records {channel}",
                }
            ],
        )
    return channel


def submit_public_evaluation(
    submission: PublicEvaluationSubmission,
    *,
    stores: IntakeStores,
    now: datetime,
    tickets: Callable[[], TicketSigner],
    idempotency_key: str | None = None,
    arrival: Arrival | None = None,
) -> EvaluationAccepted:
    """An evaluation from the public endpoint, in the channel the server decides (`public_channel`)."""
    channel = public_channel(submission, stores.records)
    return submit_evaluation(
        submission.in_channel(channel),
        stores=stores,
        now=now,
        tickets=tickets,
        idempotency_key=idempotency_key,
        arrival=arrival,
    )


def _check_window(window_id: str, submission: EvaluationSubmission, windows: WindowStore) -> None:
    """A window named by an evaluation is one of the register, of the agency and offering the item rated."""
    try:
        window = windows.get(window_id)
    except NotFound as exc:
        raise InvalidInput(
            "the window is not in the window register", [{"field": "window_id", "message": f"no window {window_id}"}]
        ) from exc
    if window.agency_code != submission.agency_code or window.region_code != submission.region_code:
        raise InvalidInput(
            "the window belongs to another agency",
            [{"field": "window_id", "message": f"window {window_id} is of agency {window.agency_code}"}],
        )
    if submission.item_code is not None and submission.item_code not in window.item_codes:
        raise InvalidInput(
            "the window does not offer the service item",
            [{"field": "window_id", "message": f"window {window_id} does not offer {submission.item_code}"}],
        )


def _check_record(submission: EvaluationSubmission, stores: IntakeStores, now: datetime) -> StoredRecord:
    """Check the evaluation against its record; the record's window (the one its registrant named) is
    the window the evaluation is of."""
    assert submission.record_id is not None
    try:
        record = stores.records.get(submission.region_code, submission.record_id)
    except NotFound as exc:
        raise InvalidInput(
            "the service record is unknown",
            [{"field": "record_id", "message": f"no record {submission.record_id} in {submission.region_code}"}],
        ) from exc
    errors = [
        {"field": field, "message": f"record {record.record_id} has {expected}"}
        for field, given, expected in (
            ("item_code", submission.item_code, record.item_code),
            ("agency_code", submission.agency_code, record.agency_code),
        )
        if given != expected
    ]
    if submission.stage not in record.stages and submission.stage is not Stage.OVERALL:
        errors.append({"field": "stage", "message": f"record {record.record_id} has no stage {submission.stage}"})
    if submission.window_id is not None and submission.window_id != record.window_id:
        errors.append({"field": "window_id", "message": f"record {record.record_id} was served elsewhere"})
    if errors:
        raise InvalidInput("the evaluation does not match its service record", errors)
    period_end = stores.rules.for_region(record.region_code).evaluation.evaluation_deadline(record.completed_at)
    if now > period_end:
        raise EvaluationPeriodOver(
            "the evaluation period of this service record has ended",
            [{"field": "record_id", "message": f"could be rated until {period_end.isoformat()}"}],
        )
    return record


def add_follow_up(
    evaluation_id: str,
    submission: FollowUpSubmission,
    *,
    stores: IntakeStores,
    follow_ups: FollowUpStore,
    now: datetime,
) -> FollowUp:
    """The one follow-up of an evaluation, within the region's follow-up period."""
    evaluation = _evaluation_for_receipt(evaluation_id, submission.receipt, stores.evaluations)
    deadline = stores.rules.for_region(evaluation.region_code).evaluation.follow_up_deadline(evaluation.created_at)
    if now > deadline:
        raise InvalidInput(
            "the follow-up period has ended", [{"field": "comment", "message": f"possible until {deadline}"}]
        )
    follow_up = FollowUp(comment=submission.comment, level=submission.level, created_at=now)
    follow_ups.add(evaluation_id, follow_up)
    return follow_up


def _evaluation_for_receipt(evaluation_id: str, receipt: str, evaluations: EvaluationStore) -> StoredEvaluation:
    """A wrong receipt looks like no evaluation at all."""
    evaluation = evaluations.get(evaluation_id)
    if not hmac.compare_digest(evaluation.receipt_hash, receipt_hash(receipt)):
        raise NotFound(f"evaluation {evaluation_id}")
    return evaluation


def evaluation_status(
    evaluation_id: str,
    receipt: str,
    *,
    evaluations: EvaluationStore,
    cases: CaseStatusReader,
    follow_ups: FollowUpStore,
) -> EvaluationStatus:
    """The evaluation, its case and its follow-up, for the holder of the receipt."""
    evaluation = _evaluation_for_receipt(evaluation_id, receipt, evaluations)
    case, burst = _case_of(evaluation, cases)
    return EvaluationStatus(**_shown(evaluation, follow_ups), case=case.summary() if case else None, burst=burst)


def evaluation_outcome(
    evaluation: StoredEvaluation, *, cases: CaseStatusReader, follow_ups: FollowUpStore
) -> EvaluationOutcome:
    """What the evaluator's status shows of the evaluation, with its case's deadlines: for the platform
    that may read it (the caller decides which)."""
    case, burst = _case_of(evaluation, cases)
    return EvaluationOutcome(
        **_shown(evaluation, follow_ups),
        applied_region_code=evaluation.applied_region_code,
        case=case.progress() if case else None,
        burst=burst,
    )


def _shown(evaluation: StoredEvaluation, follow_ups: FollowUpStore) -> dict[str, Any]:
    """The fields of an evaluation its evaluator is shown, and its follow-up: never the contact."""
    try:
        follow_up: FollowUp | None = follow_ups.get(evaluation.evaluation_id)
    except NotFound:
        follow_up = None
    return {
        "evaluation_id": evaluation.evaluation_id,
        "item_code": evaluation.item_code,
        "agency_code": evaluation.agency_code,
        "region_code": evaluation.region_code,
        "channel": evaluation.channel,
        "stage": evaluation.stage,
        "level": evaluation.level,
        "level_label_zh": evaluation.level.label_zh,
        "level_label_en": evaluation.level.label_en,
        "comment": evaluation.comment,
        "reason_codes": list(evaluation.reason_codes),
        "created_at": evaluation.created_at,
        "bad_review": evaluation.bad_review,
        "follow_up": follow_up,
    }


def _case_of(evaluation: StoredEvaluation, cases: CaseStatusReader) -> tuple[Case | None, BurstHold | None]:
    """A bad review's case, or the burst that holds it instead."""
    if not evaluation.bad_review:
        return None, None
    try:
        return cases.get(evaluation.evaluation_id), None
    except NotFound:
        return None, _burst_hold(evaluation.evaluation_id, cases)


def _burst_hold(evaluation_id: str, cases: CaseStatusReader) -> BurstHold | None:
    """A bad review without a case: held in a burst awaiting its decision, or in one judged a flood."""
    burst_id = cases.burst_holding(evaluation_id)
    if burst_id is None:
        return None
    from govrate.cases.model import BurstOutcome  # the case models load only where a case is read

    return BurstHold.FLOOD if cases.get(burst_id).burst_outcome is BurstOutcome.FLOOD else BurstHold.AWAITING
