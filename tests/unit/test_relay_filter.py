from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeSerializer
from govrate.cases.ports import EvaluatorNotice, NoticeKind
from govrate.evaluations.models import CaseState
from govrate.evaluations.outbox import negative_review_from_stream, notice_from_stream
from govrate.kernel.scale import Level

_serializer = TypeSerializer()


def image(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "pk": "EVAL#01JDQ4W7N0000000000000000",
        "entity": "evaluation",
        "evaluation_id": "01JDQ4W7N0000000000000000",
        "item_code": "110105-GA-001",
        "agency_code": "110105-GA",
        "region_code": "110105",
        "level": 1,
        "bad_review": True,
        "created_at": "2026-11-25T09:30:00+08:00",
        "comment": "排队太久",
        **overrides,
    }
    return {key: _serializer.serialize(value) for key, value in attributes.items()}


def test_a_new_bad_review_becomes_a_message_without_personal_data() -> None:
    message = negative_review_from_stream("INSERT", image())
    assert message is not None
    assert message.level is Level.VERY_DISSATISFIED
    assert message.agency_code == "110105-GA"
    assert "comment" not in message.model_dump()


def test_good_reviews_updates_and_other_entities_are_not_relayed() -> None:
    assert negative_review_from_stream("INSERT", image(level=4, bad_review=False)) is None
    assert negative_review_from_stream("MODIFY", image()) is None
    assert negative_review_from_stream("REMOVE", None) is None
    assert negative_review_from_stream("INSERT", image(entity="guard")) is None


def test_a_real_name_bad_review_is_relayed_although_lambda_gives_binaries_as_base64_text() -> None:
    with_contact = {**image(), "contact_cipher": {"B": "AQIDBA=="}}
    message = negative_review_from_stream("INSERT", with_contact)
    assert message is not None
    assert message.evaluation_id == "01JDQ4W7N0000000000000000"


def notice_image(sk: str = "NOTICE#000007") -> dict[str, Any]:
    attributes = {
        "pk": "CASE#01JDQ4W7N0000000000000000",
        "sk": sk,
        "evaluation_id": "01JDQ4W7N0000000000000000",
        "seq": 7,
        "kind": "answered",
        "state": "answered",
    }
    return {key: _serializer.serialize(value) for key, value in attributes.items()}


def test_a_new_notice_on_the_cases_stream_is_relayed_and_nothing_else_there_is() -> None:
    notice = notice_from_stream("INSERT", notice_image())
    assert notice == EvaluatorNotice(
        evaluation_id="01JDQ4W7N0000000000000000", seq=7, kind=NoticeKind.ANSWERED, state=CaseState.ANSWERED
    )
    assert notice_from_stream("MODIFY", notice_image()) is None
    assert notice_from_stream("INSERT", notice_image(sk="AUDIT#000007")) is None
    assert notice_from_stream("INSERT", image()) is None  # an evaluation has no sort key
    assert negative_review_from_stream("INSERT", notice_image()) is None
