"""Taking an evaluation in, and showing it to the evaluator who holds its receipt."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from ulid import ULID

from govrate.errors import InvalidInput, NotFound
from govrate.models import (
    CaseSummary,
    EvaluationAccepted,
    EvaluationStatus,
    EvaluationSubmission,
)
from govrate.storage.cases import CaseRepository
from govrate.storage.catalogue import CatalogueRepository
from govrate.storage.evaluations import EvaluationRepository, StoredEvaluation


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()


def status_path(evaluation_id: str, receipt: str) -> str:
    return f"/v1/evaluations/{evaluation_id}?receipt={receipt}"


def submit_evaluation(
    submission: EvaluationSubmission,
    *,
    evaluations: EvaluationRepository,
    catalogue: CatalogueRepository,
    now: datetime,
) -> EvaluationAccepted:
    """Check the submission against the catalogue and store it. Accepted evaluations are never changed."""
    try:
        item = catalogue.get(submission.item_code)
    except NotFound as exc:
        raise InvalidInput(
            "the service item is not in the catalogue",
            [{"field": "item_code", "message": f"unknown service item {submission.item_code}"}],
        ) from exc
    mismatches = [
        {"field": field, "message": f"service item {item.item_code} belongs to {expected}"}
        for field, given, expected in (
            ("agency_code", submission.agency_code, item.agency_code),
            ("region_code", submission.region_code, item.region_code),
        )
        if given != expected
    ]
    if mismatches:
        raise InvalidInput("the evaluation does not match the catalogue", mismatches)
    if submission.stage.value not in {stage.value for stage in item.stages} | {"overall"}:
        raise InvalidInput(
            "the service item has no such stage",
            [{"field": "stage", "message": f"{item.item_code} has stages {', '.join(item.stages)}"}],
        )

    evaluation_id = str(ULID.from_datetime(now))
    receipt = secrets.token_urlsafe(16)
    evaluations.add(
        StoredEvaluation(
            evaluation_id=evaluation_id,
            item_code=submission.item_code,
            agency_code=submission.agency_code,
            region_code=submission.region_code,
            channel=submission.channel,
            stage=submission.stage,
            level=submission.level,
            comment=submission.comment or None,
            created_at=now,
            receipt_hash=receipt_hash(receipt),
        )
    )
    return EvaluationAccepted(
        evaluation_id=evaluation_id,
        receipt=receipt,
        status_url=status_path(evaluation_id, receipt),
        bad_review=submission.level.is_bad_review,
    )


def evaluation_status(
    evaluation_id: str,
    receipt: str,
    *,
    evaluations: EvaluationRepository,
    cases: CaseRepository,
) -> EvaluationStatus:
    """The evaluation and its case, for the holder of the receipt. A wrong receipt looks like no evaluation."""
    evaluation = evaluations.get(evaluation_id)
    if not hmac.compare_digest(evaluation.receipt_hash, receipt_hash(receipt)):
        raise NotFound(f"evaluation {evaluation_id}")
    case: CaseSummary | None = None
    if evaluation.bad_review:
        try:
            stored = cases.get(evaluation_id)
        except NotFound:
            case = None
        else:
            case = CaseSummary(state=stored.state, opened_at=stored.opened_at)
    return EvaluationStatus(
        evaluation_id=evaluation.evaluation_id,
        item_code=evaluation.item_code,
        agency_code=evaluation.agency_code,
        region_code=evaluation.region_code,
        channel=evaluation.channel,
        stage=evaluation.stage,
        level=evaluation.level,
        level_label_zh=evaluation.level.label_zh,
        level_label_en=evaluation.level.label_en,
        comment=evaluation.comment,
        created_at=evaluation.created_at,
        bad_review=evaluation.bad_review,
        case=case,
    )
