"""Reading an upload of transcribed forms: the CSV file, its header and each row, without AWS."""

from __future__ import annotations

import pytest
from govrate.evaluations.models import Channel, EvaluatorContact, ReasonCode
from govrate.kernel.errors import BodyTooLarge, InvalidInput, MalformedBody
from govrate.transcriptions.service import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    REQUIRED_COLUMNS,
    TranscribedEvaluation,
    UploadRow,
    read_upload,
)

HEADER = "form_id,channel,agency_code,region_code,level"
HOTLINE = "12345-0001,hotline,110105-GA,110105,5"


def read(*lines: str) -> list[UploadRow]:
    return read_upload("\n".join(lines).encode())


def evaluation(row: UploadRow) -> TranscribedEvaluation:
    assert isinstance(row.evaluation, TranscribedEvaluation), row.evaluation
    return row.evaluation


def errors(row: UploadRow) -> list[dict[str, str]]:
    assert isinstance(row.evaluation, InvalidInput)
    return row.evaluation.errors


def test_the_header_is_read_whatever_its_case_and_spacing() -> None:
    [row] = read(" Form_ID , CHANNEL,agency_code ,region_code,Level", HOTLINE)
    assert evaluation(row).channel is Channel.HOTLINE
    assert (row.number, row.form_id) == (2, "12345-0001")


def test_cells_become_the_fields_of_the_evaluation() -> None:
    [row] = read(
        f"{HEADER},item_code,mode,indicators.efficiency,indicators.convenience,reason_codes,comment",
        "MAIL-17,email,110105-GA,110105,2,110105-GA-002,online,2,1, slow | repeated_trips ,  回复慢  ",
    )
    submitted = evaluation(row)
    assert submitted.item_code == "110105-GA-002"
    assert submitted.indicators == {"convenience": 1, "efficiency": 2}
    assert submitted.reason_codes == [ReasonCode.SLOW, ReasonCode.REPEATED_TRIPS]
    assert submitted.comment == "回复慢"
    assert submitted.evaluator is None
    assert submitted.source_form == "email#110105-GA#MAIL-17"


def test_blank_cells_are_absent() -> None:
    [row] = read(f"{HEADER},item_code,stage,reason_codes,comment", f"{HOTLINE}, , ,,")
    submitted = evaluation(row)
    assert (submitted.item_code, submitted.reason_codes, submitted.comment) == (None, [], None)
    assert submitted.stage == "overall"


def test_indicators_in_another_column_order_are_the_same_evaluation() -> None:
    first = evaluation(read(f"{HEADER},indicators.attitude,indicators.efficiency", f"{HOTLINE},4,3")[0])
    moved = evaluation(read(f"indicators.efficiency,{HEADER},indicators.attitude", f"3,{HOTLINE},4")[0])
    assert first.model_dump_json() == moved.model_dump_json()


@pytest.mark.parametrize("consent", ["yes", "YES", "true", "TRUE", "是"])
def test_a_contact_with_consent_is_the_evaluator_s(consent: str) -> None:
    [row] = read(f"{HEADER},evaluator.phone,evaluator.consent", f"{HOTLINE},13800138000,{consent}")
    assert evaluation(row).evaluator == EvaluatorContact(phone="13800138000", consent=True)


@pytest.mark.parametrize("consent", ["", "no", "否", "yse"])
def test_a_contact_without_consent_refuses_the_row(consent: str) -> None:
    [row] = read(f"{HEADER},evaluator.email,evaluator.consent", f"{HOTLINE},a@example.cn,{consent}")
    assert [error["field"] for error in errors(row)] == ["evaluator.consent"]


def test_consent_without_a_contact_leaves_the_evaluator_anonymous() -> None:
    [row] = read(f"{HEADER},evaluator.consent", f"{HOTLINE},yes")
    assert evaluation(row).evaluator is None


def test_a_contact_is_checked_like_any_other() -> None:
    header = f"{HEADER},evaluator.name,evaluator.phone,evaluator.consent"
    [excel_number, name_alone] = read(header, f"{HOTLINE},张三,1.38001E+10,yes", f"{HOTLINE},张三,,yes")
    assert [error["field"] for error in errors(excel_number)] == ["evaluator.phone"]
    assert [error["field"] for error in errors(name_alone)] == ["evaluator"]


def test_every_error_of_a_row_is_named_at_once() -> None:
    [row] = read(f"{HEADER},reason_codes,evaluator.phone", ",hotline,110105-GA,110105,9,slow|rude,13800138000,extra")
    assert {error["field"] for error in errors(row)} == {
        "form_id",
        "level",
        "reason_codes[1]",
        "evaluator.consent",
        "column 8",
    }
    assert row.form_id is None


def test_only_the_offline_channels_are_uploaded() -> None:
    [row] = read(HEADER, "W-1,window_qr,110105-GA,110105,5")
    assert [error["field"] for error in evaluation(row).inconsistencies()] == ["item_code", "channel"]


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    rows = read(HEADER, HOTLINE, "", ",,,,", '12345-0002,hotline,110105-GA,110105,"3"', HOTLINE.replace("0001", "0003"))
    assert [row.number for row in rows] == [2, 5, 6]
    multi_line = read(f"{HEADER},comment", f'{HOTLINE},"第一行\n第二行"', HOTLINE.replace("0001", "0002") + ",")
    assert [row.number for row in multi_line] == [2, 3]
    assert evaluation(multi_line[0]).comment == "第一行\n第二行"


def test_a_cell_beyond_the_header_or_under_a_blank_one_refuses_its_row() -> None:
    rows = read(f"{HEADER},,", f"{HOTLINE},,", f"{HOTLINE},x,", f"{HOTLINE},,,y")
    evaluation(rows[0])
    assert [error["field"] for error in errors(rows[1])] == ["column 6"]
    assert [error["field"] for error in errors(rows[2])] == ["column 8"]


def test_at_most_max_rows_are_read() -> None:
    rows = [HOTLINE.replace("0001", f"{n:04d}") for n in range(MAX_ROWS + 1)]
    assert len(read(HEADER, *rows[:MAX_ROWS])) == MAX_ROWS
    with pytest.raises(BodyTooLarge, match=f"at most {MAX_ROWS} rows"):
        read(HEADER, *rows)


def test_at_most_max_upload_bytes_are_read() -> None:
    with pytest.raises(BodyTooLarge, match=f"at most {MAX_UPLOAD_BYTES} bytes"):
        read_upload(b"x" * (MAX_UPLOAD_BYTES + 1))


@pytest.mark.parametrize("body", [b"", b" \r\n", b"\xff\xfe\x00\x80", f"{HEADER}\n".encode() + b"x" * 200_000])
def test_what_is_no_csv_text_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        read_upload(body)


def test_a_header_without_rows_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no rows"):
        read(HEADER, ",,,,")


def test_a_byte_order_mark_alone_has_no_header() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_upload(b"\xef\xbb\xbf")
    assert [error["field"] for error in refused.value.errors] == list(REQUIRED_COLUMNS)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (f"{HEADER},external_id", [("external_id", "not a column of an upload")]),
        (f"{HEADER},ticket", [("ticket", "not a column of an upload")]),
        (f"{HEADER},Level", [("level", "the column is named twice")]),
        (
            "form_id,channel,region_code",
            [("agency_code", "a required column is missing"), ("level", "a required column is missing")],
        ),
    ],
)
def test_a_header_is_refused_whole(header: str, named: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput) as refused:
        read(header, HOTLINE)
    assert [(error["field"], error["message"]) for error in refused.value.errors] == named
