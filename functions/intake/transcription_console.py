"""The console's pages for entering paper forms: the upload form and the results, row by row."""

from __future__ import annotations

from html import escape

from govrate.cases.model import Actor
from govrate.platforms.models import BatchItemStatus
from govrate.services.transcriptions import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    REQUIRED_COLUMNS,
    TranscribedRowResult,
    TranscriptionResult,
)
from govrate.web import console

TITLE = "Enter paper forms"
_STATUS_TEXT = {
    BatchItemStatus.ACCEPTED: "entered",
    BatchItemStatus.DUPLICATE: "entered before",
    BatchItemStatus.REJECTED: "refused",
}


def upload_page(actor: Actor, base: str, error: str | None = None) -> str:
    required = ", ".join(f"<code>{escape(column)}</code>" for column in REQUIRED_COLUMNS)
    body = (
        console.error_html(error)
        + "<p>Paper evaluation forms, hotline tickets, suggestion-box slips, e-mails and cases from the "
        "supervision platform, transcribed into a spreadsheet and saved as CSV (UTF-8, or GBK as Excel saves it). "
        f"The first row names the columns; {required} are required. "
        f"At most {MAX_ROWS} rows and {MAX_UPLOAD_BYTES // 1024} KiB per file. "
        "Uploading a file again is safe: rows entered before are not entered twice.</p>"
        f'<form method="post" enctype="multipart/form-data" action="{escape(base)}{console.PAPER_FORMS_PATH}">'
        '<label>CSV file <input type="file" name="file" accept=".csv,text/csv" required></label>'
        "<button>Enter the forms</button></form>"
        "<p>You are recorded as the person who entered each form, never as its evaluator.</p>"
    )
    return console.page(TITLE, body, base, actor)


def results_page(actor: Actor, result: TranscriptionResult, base: str) -> str:
    rows = "".join(
        f"<tr><td>{row.row}</td><td>{escape(row.form_id or '—')}</td><td>{_STATUS_TEXT[row.status]}</td>"
        f"<td>{escape(row.evaluation.evaluation_id) if row.evaluation else ''}</td><td>{_why(row)}</td></tr>"
        for row in result.results
    )
    body = (
        f'<p role="status">{result.accepted} entered, {result.duplicate} entered before, '
        f"{result.rejected} refused.</p>"
        "<table><thead><tr><th>Row</th><th>Form</th><th>Result</th><th>Evaluation</th><th>Why refused</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        f'<p><a href="{escape(base)}{console.PAPER_FORMS_PATH}">Enter another file</a></p>'
    )
    return console.page("Paper forms entered", body, base, actor)


def _why(row: TranscribedRowResult) -> str:
    if row.problem is None:
        return ""
    fields = "; ".join(f"{error.field}: {error.message}" for error in row.problem.errors)
    return escape(row.problem.detail or row.problem.title) + (f" ({escape(fields)})" if fields else "")
