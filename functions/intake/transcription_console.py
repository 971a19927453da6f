"""The console's pages for entering paper forms: the upload form and the results, row by row."""

from __future__ import annotations

from html import escape

from govrate.identity.sessions import StaffSession
from govrate.platforms.models import BatchItemStatus
from govrate.transcriptions.service import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    REQUIRED_COLUMNS,
    TranscribedRowResult,
    TranscriptionResult,
)
from govrate.web import console

TITLE = "录入纸质评价表 Enter paper forms"
_STATUS_TEXT = {
    BatchItemStatus.ACCEPTED: "已录入 entered",
    BatchItemStatus.DUPLICATE: "此前已录入 entered before",
    BatchItemStatus.REJECTED: "退回 refused",
}


def upload_page(signed_in: StaffSession, base: str, error: str | None = None) -> str:
    required = ", ".join(f"<code>{escape(column)}</code>" for column in REQUIRED_COLUMNS)
    body = (
        console.error_html(error)
        + "<p>纸质评价表、12345 热线工单、意见箱、电子邮件和监督平台转来的评价，录入电子表格并另存为 CSV"
        "（UTF-8，或 Excel 默认的 GBK）。第一行为列名；必填列：" + required + "。"
        f"每个文件最多 {MAX_ROWS} 行、{MAX_UPLOAD_BYTES // 1024} KiB。重复上传是安全的：已录入的行不会重复录入。</p>"
        "<p>Paper evaluation forms, hotline tickets, suggestion-box slips, e-mails and cases from the "
        "supervision platform, transcribed into a spreadsheet and saved as CSV (UTF-8, or GBK as Excel saves it). "
        f"The first row names the columns; {required} are required. "
        f"At most {MAX_ROWS} rows and {MAX_UPLOAD_BYTES // 1024} KiB per file. "
        "Uploading a file again is safe: rows entered before are not entered twice.</p>"
        f'<form method="post" enctype="multipart/form-data" action="{escape(base)}{console.PAPER_FORMS_PATH}">'
        + console.token_field(signed_in.form_token)
        + '<label>CSV 文件 CSV file <input type="file" name="file" accept=".csv,text/csv" required></label>'
        "<button>录入 Enter the forms</button></form>"
        "<p>系统记录您为录入人，而不是评价人。 "
        "You are recorded as the person who entered each form, never as its evaluator.</p>"
    )
    return console.page(TITLE, body, base, signed_in)


def results_page(signed_in: StaffSession, result: TranscriptionResult, base: str) -> str:
    rows = "".join(
        f"<tr><td>{row.row}</td><td>{escape(row.form_id or '—')}</td><td>{_STATUS_TEXT[row.status]}</td>"
        f"<td>{escape(row.evaluation.evaluation_id) if row.evaluation else ''}</td><td>{_why(row)}</td></tr>"
        for row in result.results
    )
    body = (
        f'<p role="status">录入 {result.accepted} 条，此前已录入 {result.duplicate} 条，退回 {result.rejected} 条。 '
        f"{result.accepted} entered, {result.duplicate} entered before, {result.rejected} refused.</p>"
        "<table><thead><tr><th>行 Row</th><th>表单 Form</th><th>结果 Result</th><th>评价 Evaluation</th>"
        "<th>退回原因 Why refused</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        f'<p><a href="{escape(base)}{console.PAPER_FORMS_PATH}">再录入一个文件 Enter another file</a></p>'
    )
    return console.page("纸质评价表已录入 Paper forms entered", body, base, signed_in)


def _why(row: TranscribedRowResult) -> str:
    if row.problem is None:
        return ""
    fields = "; ".join(f"{error.field}: {error.message}" for error in row.problem.errors)
    return escape(row.problem.detail or row.problem.title) + (f" ({escape(fields)})" if fields else "")
