"""Staff upload transcribed paper forms and offline evaluations as CSV: through the intake app, on moto,
with access tokens from moto's Cognito."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from govrate import runtime
from govrate.evaluations.store import EvaluationRepository, StoredEvaluation
from govrate.kernel.errors import StorageUnavailable
from urllib3 import encode_multipart_formdata

from tests.integration.conftest import AwsResources
from tests.integration.staff_support import ConsoleBrowser, Staff
from tests.integration.test_case_support import World, build_world

CSV = "text/csv"
PAPER_HEADER = "form_id,channel,item_code,agency_code,region_code,level,indicators.attitude,reason_codes,comment"
PAPER_FORM = "ZF-2026-0001,paper,110105-GA-001,110105-GA,110105,4,5,,窗口人员很耐心"


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from build_world(aws, monkeypatch)


@pytest.fixture
def li(world: World) -> Staff:
    """A staff member of the Chaoyang police (110105-GA)."""
    return world.staff("li.ming")


def csv_file(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    """A CSV file as Excel writes it: CRLF line ends."""
    return "\r\n".join([header, *rows, ""]).encode(encoding)


def upload(world: World, staff: Staff | None, body: bytes, content_type: str = CSV) -> Any:
    headers = {"content-type": content_type}
    if staff is not None:
        headers["authorization"] = f"Bearer {staff.token}"
    return world.intake.http.post("/v1/transcribed-evaluations", headers=headers, body=body)


def entered(world: World, staff: Staff, body: bytes) -> dict[str, Any]:
    response = upload(world, staff, body)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    result: dict[str, Any] = json.loads(response.body)
    return result


def statuses(result: dict[str, Any]) -> list[tuple[int, str, int | None]]:
    """(row, status, the problem's HTTP status) of each result."""
    return [
        (row["row"], row["status"], row["problem"]["status"] if row["problem"] else None) for row in result["results"]
    ]


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    document: dict[str, Any] = json.loads(response.body)
    return document


def evaluation_items(aws: AwsResources) -> list[dict[str, Any]]:
    """Every stored evaluation (a Scan: fine for a test table)."""
    items = boto3.resource("dynamodb").Table(aws.evaluations_table).scan()["Items"]
    return [item for item in items if item.get("entity") == "evaluation"]


def stored(evaluation_id: str) -> StoredEvaluation:
    return runtime.evaluation_repository().get(evaluation_id)


def subject(staff: Staff) -> str:
    return str(jwt.decode(staff.token, options={"verify_signature": False})["sub"])


# --- what is stored -------------------------------------------------------------------------------


def test_a_paper_form_is_entered_by_the_staff_member_for_an_anonymous_evaluator(
    world: World, li: Staff, aws: AwsResources
) -> None:
    result = entered(world, li, csv_file(PAPER_HEADER, PAPER_FORM))
    assert (result["accepted"], result["duplicate"], result["rejected"]) == (1, 0, 0)
    [row] = result["results"]
    assert (row["index"], row["row"], row["form_id"], row["status"]) == (0, 2, "ZF-2026-0001", "accepted")
    # No receipt: with it the staff member could rate the handling of the case for the evaluator.
    assert (row["evaluation"]["receipt"], row["evaluation"]["status_url"]) == (None, None)

    evaluation = stored(row["evaluation"]["evaluation_id"])
    assert evaluation.submitted_by == f"staff:{subject(li)}"
    assert evaluation.contact_cipher is None
    assert (evaluation.channel, evaluation.item_code, evaluation.level, evaluation.mode) == (
        "paper",
        "110105-GA-001",
        4,
        "onsite",
    )
    assert evaluation.indicators == {"attitude": 5}
    assert evaluation.comment == "窗口人员很耐心"
    [item] = evaluation_items(aws)
    assert item["real_name"] is False


def test_a_contact_is_stored_sealed_and_only_with_consent(world: World, li: Staff, aws: AwsResources) -> None:
    header = f"{PAPER_HEADER},evaluator.name,evaluator.phone,evaluator.consent"
    bad_review = "paper,110105-GA-001,110105-GA,110105,1,,attitude|slow,态度差，跑了两趟"
    body = csv_file(
        header, f"ZF-2026-0002,{bad_review},张三,13800138000,是", f"ZF-2026-0003,{bad_review},李四,13900139000,"
    )
    result = entered(world, li, body)
    assert statuses(result) == [(2, "accepted", None), (3, "rejected", 422)]
    assert result["results"][0]["evaluation"]["bad_review"] is True
    assert [error["field"] for error in result["results"][1]["problem"]["errors"]] == ["evaluator.consent"]

    [item] = evaluation_items(aws)
    assert item["real_name"] is True
    assert item["contact_cipher"].value
    assert "13800138000" not in repr(item)
    # The bad review becomes a case of the agency, whose handler sees the contact.
    world.deliver()
    assert world.view(li, item["evaluation_id"])["contact"] == {
        "name": "张三",
        "phone": "13800138000",
        "email": None,
        "consent": True,
    }


def test_each_row_is_taken_on_its_own_and_named_by_its_spreadsheet_row(world: World, li: Staff) -> None:
    body = csv_file(
        PAPER_HEADER,
        PAPER_FORM,
        ",,,,,,,,",  # an empty row, as Excel leaves them: skipped, but counted
        "ZF-2026-0002,paper,110105-GA-001,110105-GA,110105,2,,,材料清单不清楚",
        'ZF-2026-0003,paper,110105-GA-001,110105-GA,110105,7,,,"两行\r\n的意见"',
        "ZF-2026-0004,paper,110105-GA-001,110105-GA,110105,1,,repeated_trips,跑了三趟",
    )
    result = entered(world, li, body)
    assert statuses(result) == [
        (2, "accepted", None),
        (4, "rejected", 422),
        (5, "rejected", 422),
        (6, "accepted", None),
    ]
    assert [row["index"] for row in result["results"]] == [0, 1, 2, 3]
    assert [row["form_id"] for row in result["results"]] == [
        "ZF-2026-0001",
        "ZF-2026-0002",
        "ZF-2026-0003",
        "ZF-2026-0004",
    ]
    no_reason, no_level = result["results"][1]["problem"], result["results"][2]["problem"]
    assert no_reason["type"] == "/problems/validation-error"
    assert no_reason["errors"] == [
        {"field": "reason_codes", "message": "a bad review (level 1 or 2) needs a reason code"}
    ]
    assert [error["field"] for error in no_level["errors"]] == ["level"]
    assert result["results"][3]["evaluation"]["bad_review"] is True


# --- who may enter what ---------------------------------------------------------------------------


def test_without_a_valid_token_nothing_is_entered(world: World, aws: AwsResources) -> None:
    body = csv_file(PAPER_HEADER, PAPER_FORM)
    assert problem(upload(world, None, body))["type"] == "/problems/unauthenticated"
    assert upload(world, Staff("nobody", "not.a.token"), body).status_code == 401
    assert evaluation_items(aws) == []


def test_an_upload_from_another_site_or_without_the_form_token_enters_nothing(
    world: World, li: Staff, aws: AwsResources
) -> None:
    """A page on the same site (another port or subdomain) cannot post a file with the staff member's session."""
    forms = csv_file(PAPER_HEADER, PAPER_FORM)
    assert console_upload(world, li, forms, site="same-site", origin="https://evil.console.test").status_code == 403
    browser = ConsoleBrowser(world.cases)
    browser.sign_in(li.username)
    body, content_type = encode_multipart_formdata({"file": ("forms.csv", forms, "text/csv")})
    headers = {**browser.headers(), "content-type": content_type}
    assert world.intake.http.post("/console/paper-forms", headers=headers, body=body).status_code == 403
    assert evaluation_items(aws) == []


# --- the file -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_excel_encodings_are_read(world: World, li: Staff, encoding: str) -> None:
    result = entered(world, li, csv_file(PAPER_HEADER, PAPER_FORM, encoding=encoding))
    assert result["accepted"] == 1
    assert stored(result["results"][0]["evaluation"]["evaluation_id"]).comment == "窗口人员很耐心"


def test_an_undecodable_file_is_refused(world: World, li: Staff) -> None:
    response = upload(world, li, csv_file(PAPER_HEADER, PAPER_FORM) + b"\xff\xfe\x80")
    assert response.status_code == 400
    assert "GB18030" in problem(response)["detail"]


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        (PAPER_HEADER.replace("indicators.attitude", "indicator_attitude"), ["indicator_attitude"]),
        (f"{PAPER_HEADER},evaluator_phone", ["evaluator_phone"]),
        (PAPER_HEADER.replace("level", "rating"), ["rating", "level"]),
        (PAPER_HEADER.replace("comment", "channel"), ["channel"]),
    ],
)
def test_an_unknown_missing_or_repeated_column_refuses_the_whole_file(
    world: World, li: Staff, aws: AwsResources, header: str, fields: list[str]
) -> None:
    response = upload(world, li, csv_file(header, PAPER_FORM))
    assert response.status_code == 422
    document = problem(response)
    assert [error["field"] for error in document["errors"]] == fields
    assert all(field in document["detail"] for field in fields)
    assert evaluation_items(aws) == []


def test_a_misspelt_column_gets_a_suggestion(world: World, li: Staff) -> None:
    response = upload(world, li, csv_file(f"{PAPER_HEADER},evaluator_phone", PAPER_FORM))
    assert problem(response)["errors"][0]["message"].endswith("did you mean evaluator.phone?")


def test_a_body_that_is_not_csv_is_415(world: World, li: Staff) -> None:
    response = upload(world, li, b'{"form_id": "ZF-2026-0001"}', content_type="application/json")
    assert response.status_code == 415
    assert problem(response)["type"] == "/problems/unsupported-media-type"


def test_more_than_200_rows_is_refused_whole(world: World, li: Staff, aws: AwsResources) -> None:
    rows = [f"12345-{n:04d},hotline,,110105-GA,110105,5,,," for n in range(201)]
    response = upload(world, li, csv_file(PAPER_HEADER, *rows))
    assert response.status_code == 413
    assert "200 rows" in problem(response)["detail"]
    assert evaluation_items(aws) == []


def test_an_outage_stops_the_upload_and_the_retry_enters_the_rest(
    world: World, li: Staff, aws: AwsResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"12345-{n:04d},hotline,,110105-GA,110105,5,,," for n in range(3)]
    add = EvaluationRepository.add
    writes: list[str] = []

    def failing_on_the_second_row(self: EvaluationRepository, evaluation: StoredEvaluation, *args: Any) -> None:
        writes.append(evaluation.evaluation_id)
        if len(writes) == 2:
            raise StorageUnavailable("evaluations table unavailable")
        add(self, evaluation, *args)

    monkeypatch.setattr(EvaluationRepository, "add", failing_on_the_second_row)
    response = upload(world, li, csv_file(PAPER_HEADER, *rows))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert len(evaluation_items(aws)) == 1

    retried = entered(world, li, csv_file(PAPER_HEADER, *rows))
    assert [status for _, status, _ in statuses(retried)] == ["duplicate", "accepted", "accepted"]
    assert len(evaluation_items(aws)) == 3


# --- the console's upload form ----------------------------------------------------------------------


def console_upload(world: World, staff: Staff, content: bytes, **where: str) -> Any:
    browser = ConsoleBrowser(world.cases)
    browser.sign_in(staff.username)
    token = browser.token(browser.get("/console/paper-forms", world.intake.http))
    body, content_type = encode_multipart_formdata({"form_token": token, "file": ("forms.csv", content, "text/csv")})
    headers = {**browser.headers(**where), "content-type": content_type}
    return world.intake.http.post("/console/paper-forms", headers=headers, body=body)


def test_the_console_form_enters_an_excel_file_and_shows_every_row(world: World, li: Staff, aws: AwsResources) -> None:
    assert world.intake.http.get("/console/paper-forms").headers["Location"] == "/console/login"
    browser = ConsoleBrowser(world.cases)
    browser.sign_in(li.username)
    page = browser.get("/console/paper-forms", world.intake.http)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.body.decode()

    bad_review = "ZF-2026-0002,paper,110105-GA-001,110105-GA,110105,1,,,材料不全"
    excel = csv_file(PAPER_HEADER, PAPER_FORM, bad_review, encoding="gbk")
    response = console_upload(world, li, excel)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    text = response.body.decode()
    assert "1 entered, 0 entered before, 1 refused." in text
    assert "ZF-2026-0002" in text and "reason_codes" in text  # the refused row says why
    [item] = evaluation_items(aws)
    assert item["comment"] == "窗口人员很耐心" and item["submitted_by"] == f"staff:{subject(li)}"

    again = console_upload(world, li, excel).body.decode()
    assert "0 entered, 1 entered before, 1 refused." in again
    assert len(evaluation_items(aws)) == 1


def test_a_refused_file_comes_back_as_the_form_with_the_reason(world: World, li: Staff, aws: AwsResources) -> None:
    response = console_upload(world, li, csv_file("form_id,channel,evaluator_phone", "A-1,paper,13800138000"))
    assert response.status_code == 422
    text = response.body.decode()
    assert "did you mean evaluator.phone?" in text
    assert 'type="file"' in text
    assert evaluation_items(aws) == []
