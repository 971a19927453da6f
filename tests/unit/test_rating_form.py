"""Reading a rating page's form into a rating: no AWS, no network."""

from __future__ import annotations

from typing import Any

import pytest
from govrate.evaluations.models import Channel, ReasonCode, ServiceItem, Stage
from govrate.kernel.errors import InvalidInput, SuspiciousSubmission
from govrate.kernel.scale import Level
from govrate.rating.models import RatingForm, RatingTarget, StageChoice
from govrate.rating.service import read_rating_form

ITEM = ServiceItem(
    item_code="110105-GA-002",
    version=2,
    name_zh="户口迁移登记",
    name_en="Household registration transfer",
    agency_code="110105-GA",
    agency_name_zh="北京市公安局朝阳分局",
    region_code="110105",
    region_name_zh="北京市朝阳区",
    channels=("window",),
    stages=(Stage.ACCEPT, Stage.APPROVE, Stage.DELIVER),
    promised_days=10,
)
OTHER_ITEM = ITEM.model_copy(update={"item_code": "110105-GA-001", "name_zh": "居民身份证换领"})
WINDOW_TARGET = RatingTarget(
    channel=Channel.WINDOW_QR, agency_code="110105-GA", region_code="110105", items=(ITEM, OTHER_ITEM)
)
RECORD_TARGET = RatingTarget(
    channel=Channel.WINDOW_QR,
    agency_code="110105-GA",
    region_code="110105",
    items=(ITEM,),
    record_id="BJ-1",
    ticket="110105.BJ-1.tag",
    stages=(StageChoice(stage=Stage.ACCEPT, rated=True), StageChoice(stage=Stage.DELIVER, rated=False)),
)


def form(**fields: Any) -> RatingForm:
    return RatingForm.model_validate({"item": ITEM.item_code, "level": "5", **fields})


def problems(target: RatingTarget, **fields: Any) -> list[str]:
    with pytest.raises(InvalidInput) as raised:
        read_rating_form(target, form(**fields), 100)
    return [error["field"] for error in raised.value.errors]


def test_a_complete_form_is_a_rating_of_the_chosen_item() -> None:
    rating = read_rating_form(WINDOW_TARGET, form(item=OTHER_ITEM.item_code, comment="  很好  ", nonce="n" * 22), 100)
    assert rating.item == OTHER_ITEM
    assert (rating.level, rating.stage, rating.comment) == (Level.VERY_SATISFIED, Stage.OVERALL, "很好")
    assert rating.evaluator is None
    assert rating.idempotency_key == "n" * 22


def test_a_bad_review_keeps_its_reasons_once_each_and_drops_unknown_ones() -> None:
    rating = read_rating_form(WINDOW_TARGET, form(level="1", reason=["slow", "bogus", "slow", "policy"]), 100)
    assert rating.reasons == (ReasonCode.SLOW, ReasonCode.POLICY)


def test_a_good_review_drops_the_reasons_a_page_without_script_shows() -> None:
    assert read_rating_form(WINDOW_TARGET, form(level="3", reason=["slow"]), 100).reasons == ()


def test_every_problem_is_named_at_once() -> None:
    assert problems(WINDOW_TARGET, item="", level="", comment="x" * 101) == ["item", "level", "comment"]
    assert problems(WINDOW_TARGET, level="2") == ["reason"]


def test_a_record_with_one_open_stage_needs_no_choice_but_takes_only_its_stages() -> None:
    assert read_rating_form(RECORD_TARGET, form(item=""), 100).stage is Stage.DELIVER
    # A rated stage is chosen on a stale page: the one-evaluation rule answers that when it is submitted.
    assert read_rating_form(RECORD_TARGET, form(stage="accept"), 100).stage is Stage.ACCEPT
    assert problems(RECORD_TARGET, stage="approve") == ["stage"]


def test_a_record_with_several_open_stages_needs_a_choice() -> None:
    target = RECORD_TARGET.model_copy(update={"stages": tuple(StageChoice(stage=s, rated=False) for s in ITEM.stages)})
    assert problems(target) == ["stage"]
    assert read_rating_form(target, form(stage="approve"), 100).stage is Stage.APPROVE


@pytest.mark.parametrize(
    ("contact", "fields"),
    [
        ({"contact_phone": "13800138000"}, ["contact_consent"]),
        ({"contact_name": "王"}, ["contact_consent"]),
        ({"contact_consent": True}, ["contact"]),
        ({"contact_consent": True, "contact_name": "王"}, ["contact"]),
        ({"contact_consent": True, "contact_phone": "1380013800"}, ["contact_phone"]),
        ({"contact_consent": True, "contact_email": "a@b"}, ["contact_email"]),
    ],
)
def test_a_contact_needs_consent_and_a_way_to_reach(contact: dict[str, Any], fields: list[str]) -> None:
    assert problems(WINDOW_TARGET, **contact) == fields


def test_a_contact_with_consent_is_kept() -> None:
    rating = read_rating_form(
        WINDOW_TARGET, form(contact_phone=" 13800138000 ", contact_email="", contact_consent="on"), 100
    )
    assert rating.evaluator is not None
    assert (rating.evaluator.phone, rating.evaluator.email, rating.evaluator.consent) == ("13800138000", None, True)


def test_a_filled_honeypot_is_suspicious_before_anything_else() -> None:
    with pytest.raises(SuspiciousSubmission):
        read_rating_form(WINDOW_TARGET, form(website="https://spam.example", level=""), 100)
    assert read_rating_form(WINDOW_TARGET, form(website="   "), 100).level is Level.VERY_SATISFIED
