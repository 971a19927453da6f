"""Evaluations that staff transcribe from paper forms and other offline channels, uploaded as CSV.

A paper form (纸质评价表), a 12345 hotline ticket, a suggestion-box slip, an e-mail or a case passed on
by the supervision platform becomes one row of a CSV file (the columns: docs/paper-forms.md). Each
row is taken or refused on its own, with the rules of every other evaluation. The staff member who
enters a row is recorded as its submitter, never as its evaluator: the evaluator stays anonymous
unless the form carries a contact and the evaluator's consent.

Uploading a file again is safe: a row without a service record is keyed by channel, agency and form
id, a row with one by record and stage; the same row again is a duplicate, a changed one a Conflict.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError

from govrate.evaluations.models import Channel, EvaluationAccepted, EvaluationSubmission
from govrate.evaluations.service import IntakeStores, submit_evaluation
from govrate.identity.auth import authorize_agency
from govrate.identity.model import Actor
from govrate.kernel.contracts import field_errors
from govrate.kernel.errors import BodyTooLarge, InvalidInput, MalformedBody
from govrate.kernel.indicators import INDICATORS
from govrate.platforms.models import BatchItemResult, BatchOutcome, BatchResult
from govrate.platforms.service import submit_each

TRANSCRIBED_CHANNELS = (
    Channel.PAPER,
    Channel.HOTLINE,
    Channel.SUGGESTION_BOX,
    Channel.EMAIL,
    Channel.SUPERVISION_PLATFORM,
)
# A row costs two DynamoDB calls (catalogue read, transactional write), up to six with a service
# record, a contact (KMS) and a taken key; at 10-20 ms a call, 200 rows stay well inside API
# Gateway's 29 s. 200 rows with long comments fit in 1 MiB.
MAX_ROWS = 200
MAX_UPLOAD_BYTES = 1024 * 1024

FORM_ID = "form_id"
REASON_CODES = "reason_codes"
INDICATOR_PREFIX = "indicators."
EVALUATOR_PREFIX = "evaluator."
CONSENT = "evaluator.consent"
# Several reason codes in one cell, as in the catalogue CSV.
LIST_SEPARATOR = "|"
CONSENT_GIVEN = frozenset({"yes", "true", "是"})
REQUIRED_COLUMNS = (FORM_ID, "channel", "agency_code", "region_code", "level")
# The columns are the field paths of the JSON evaluation (EvaluationSubmission), so that an error
# names the column it is in.
COLUMNS = (
    FORM_ID,
    "channel",
    "item_code",
    "item_version",
    "agency_code",
    "region_code",
    "applied_region_code",
    "record_id",
    "stage",
    "window_id",
    "mode",
    "level",
    *(f"{INDICATOR_PREFIX}{name}" for name in dict.fromkeys(name for names in INDICATORS.values() for name in names)),
    REASON_CODES,
    "comment",
    "evaluator_kind",
    "evaluator.name",
    "evaluator.phone",
    "evaluator.email",
    CONSENT,
)

FormId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


class TranscribedEvaluation(EvaluationSubmission):
    """One row of an upload: an evaluation as the form gives it, and the form's own id."""

    form_id: FormId = Field(
        description="The serial number of the paper form, the hotline ticket number, the e-mail's reference: "
        "unique within the channel and agency."
    )

    @property
    def source_form(self) -> str:
        """The form's identity across uploads and colleagues: its channel, agency and serial number."""
        return f"{self.channel}#{self.agency_code}#{self.form_id}"

    def inconsistencies(self) -> list[dict[str, str]]:
        errors = super().inconsistencies()
        if self.channel not in TRANSCRIBED_CHANNELS:
            channels = ", ".join(TRANSCRIBED_CHANNELS)
            errors.append({"field": "channel", "message": f"an upload carries the channels {channels}"})
        return errors


class TranscribedRowResult(BatchItemResult):
    """The result of one row, with what finds its form again."""

    index: int = Field(ge=0, description="Position of the row among the upload's data rows, from 0.")
    row: int = Field(
        ge=2,
        description="The row in the spreadsheet, the header being row 1: the line of the file unless a cell "
        "holds a line break.",
    )
    form_id: str | None = Field(description="The row's form_id as written; null when blank.")


class TranscriptionResult(BatchResult):
    """One result per data row, in the order of the file (blank rows are skipped)."""

    results: Sequence[TranscribedRowResult]


@dataclass(frozen=True)
class UploadRow:
    """A data row of an upload: where it is in the spreadsheet, and its evaluation or why it has none."""

    number: int
    form_id: str | None
    evaluation: TranscribedEvaluation | InvalidInput


def enter_transcriptions(
    body: bytes, *, actor: Actor, stores: IntakeStores, now: datetime
) -> list[tuple[UploadRow, BatchOutcome]]:
    """Every data row of an uploaded CSV file on its own, entered by `actor`, with what became of it.

    The whole upload is refused when `read_upload` refuses it; StorageUnavailable stops it midway,
    and a retry of the same file enters the rest (the rows stored before come back as duplicates).
    """
    rows = read_upload(body)

    def enter(evaluation: TranscribedEvaluation) -> EvaluationAccepted:
        return enter_transcribed(evaluation, actor=actor, stores=stores, now=now)

    return list(zip(rows, submit_each([row.evaluation for row in rows], enter), strict=True))


def enter_transcribed(
    evaluation: TranscribedEvaluation, *, actor: Actor, stores: IntakeStores, now: datetime
) -> EvaluationAccepted:
    """One transcribed evaluation, from a staff member of its agency or a supervisor of its region.

    Staff are trusted with service records (no ticket needed); the record must exist and still be in
    its evaluation period. The receipt is withheld: it would let the staff member follow the
    evaluation and rate the handling of its case in the evaluator's place.
    """
    # The agency's region as the catalogue has it; a row that claims another is refused by the intake rules.
    authorize_agency(actor, evaluation.agency_code, stores.catalogue)
    accepted = submit_evaluation(
        evaluation,
        stores=stores,
        now=now,
        tickets=None,
        submitted_by=entered_by(actor),
        source_form=evaluation.source_form,
    )
    return accepted.model_copy(update={"receipt": None, "status_url": None})


def entered_by(actor: Actor) -> str:
    """The submitter recorded on an evaluation a signed-in person entered: role and Cognito `sub`."""
    return f"{actor.role}:{actor.subject}"


def read_upload(body: bytes) -> list[UploadRow]:
    """The data rows of an uploaded CSV file, each parsed on its own; blank rows are skipped.

    The whole upload is refused: beyond MAX_UPLOAD_BYTES or MAX_ROWS (BodyTooLarge); when it is
    empty, neither UTF-8 nor GB18030 text, or not CSV (MalformedBody); when its header names an
    unknown column or one twice, lacks a required column, or no row follows it (InvalidInput).
    """
    if len(body) > MAX_UPLOAD_BYTES:
        raise BodyTooLarge(f"at most {MAX_UPLOAD_BYTES} bytes per upload; split the file")
    if not body.strip():
        raise MalformedBody("the upload is empty: a CSV file whose first row names the columns is expected")
    records = csv.reader(io.StringIO(_decode(body), newline=""))
    rows: list[UploadRow] = []
    try:
        header = _header(next(records, []))
        for number, cells in enumerate(records, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise BodyTooLarge(f"at most {MAX_ROWS} rows per upload; split the file")
            rows.append(_row(number, header, cells))
    except csv.Error as exc:
        raise MalformedBody(f"the file is not CSV: {exc}") from exc
    if not rows:
        raise InvalidInput("the upload has no rows below its header")
    return rows


def _decode(body: bytes) -> str:
    """UTF-8, with or without a byte order mark; else GB18030, the superset of the GBK that Excel
    saves as "CSV" on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        with suppress(UnicodeDecodeError):
            return body.decode(encoding)
    raise MalformedBody("the file is neither UTF-8 nor GB18030 (GBK) text; save it as CSV UTF-8")


def _header(cells: list[str]) -> list[str | None]:
    """The column of each position (None for a blank header cell); InvalidInput names every column
    that is unknown, given twice or missing, since a misnamed column would drop what it holds."""
    names = [cell.strip().lower() or None for cell in cells]
    given = [name for name in names if name is not None]
    errors = [{"field": name, "message": _unknown(name)} for name in dict.fromkeys(given) if name not in COLUMNS]
    errors += [{"field": name, "message": "the column is named twice"} for name, n in Counter(given).items() if n > 1]
    errors += [
        {"field": name, "message": "a required column is missing"} for name in REQUIRED_COLUMNS if name not in given
    ]
    if errors:
        columns = ", ".join(error["field"] for error in errors)
        raise InvalidInput(f"the header row is not valid ({columns}); nothing was entered", errors)
    return names


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, COLUMNS, n=1)
    return "not a column of an upload" + (f"; did you mean {close[0]}?" if close else "")


def _row(number: int, header: list[str | None], cells: list[str]) -> UploadRow:
    values: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    for position, cell in enumerate(cells):
        value = cell.strip()
        column = header[position] if position < len(header) else None
        if value and column is None:
            errors.append({"field": f"column {position + 1}", "message": "a value in a column without a name"})
        elif value and column is not None:
            values[column] = value
    document, cell_errors = _document(values)
    errors += cell_errors
    form_id = values.get(FORM_ID)
    try:
        evaluation = TranscribedEvaluation.model_validate(document)
    except ValidationError as exc:
        errors = field_errors(exc) + errors
    else:
        if not errors:
            return UploadRow(number, form_id, evaluation)
    return UploadRow(number, form_id, InvalidInput("the row is not valid; nothing of it was entered", errors))


def _document(values: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The evaluation that a row's non-blank cells describe, as TranscribedEvaluation takes it, and
    the errors that only the cells show."""
    document: dict[str, Any] = {}
    indicators: dict[str, str] = {}
    contact: dict[str, str] = {}
    for column, value in values.items():
        if column.startswith(INDICATOR_PREFIX):
            indicators[column.removeprefix(INDICATOR_PREFIX)] = value
        elif column.startswith(EVALUATOR_PREFIX):
            contact[column.removeprefix(EVALUATOR_PREFIX)] = value
        elif column == REASON_CODES:
            document[column] = [code.strip() for code in value.split(LIST_SEPARATOR) if code.strip()]
        else:
            document[column] = value
    if indicators:
        # In a fixed order, so that the same row with its columns moved is still the same evaluation.
        document["indicators"] = dict(sorted(indicators.items()))
    consent = contact.pop("consent", "")
    if not contact:
        return document, []
    if consent.lower() not in CONSENT_GIVEN:
        return document, [
            {
                "field": CONSENT,
                "message": "a contact is stored only with the evaluator's consent: write yes when the form gives "
                "it, else leave the evaluator columns blank",
            }
        ]
    document["evaluator"] = {**contact, "consent": True}
    return document, []
