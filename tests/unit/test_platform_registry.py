"""Which regions a platform covers, and how a batch document splits into items."""

from __future__ import annotations

from typing import Any

import pytest
from govrate.evaluations.models import EvaluationSubmission
from govrate.kernel.errors import Forbidden
from govrate.platforms.models import EvaluationBatch
from govrate.platforms.registry import PlatformKey
from pydantic import ValidationError

ITEM = {"agency_code": "110105-GA", "region_code": "110105", "channel": "hotline", "level": 5, "external_id": "e-001"}


def platform(*regions: str) -> PlatformKey:
    return PlatformKey(platform_id="p", regions=regions, secret_arn="arn")


@pytest.mark.parametrize(
    ("regions", "region_code", "covered"),
    [
        (("510000",), "510000", True),  # the province itself
        (("510000",), "510104", True),  # a district of a city of the province
        (("510000",), "513221", True),  # a county of an autonomous prefecture of the province
        (("510000",), "500101", False),  # Chongqing is another province
        (("510100",), "510104", True),  # a district of the city
        (("510100",), "510100", True),
        (("510100",), "510000", False),  # the city does not cover its province
        (("510100",), "511002", False),  # another city of the province
        (("110105",), "110105", True),  # a district covers itself only
        (("110105",), "110106", False),
        (("110000", "440300"), "440305", True),
        (("110000", "440300"), "440106", False),
    ],
)
def test_a_region_covers_the_divisions_under_it(regions: tuple[str, ...], region_code: str, covered: bool) -> None:
    assert platform(*regions).covers(region_code) is covered


def test_a_region_that_is_not_the_platforms_is_forbidden_with_the_field() -> None:
    with pytest.raises(Forbidden) as refused:
        platform("330000").check_region("110105")
    assert refused.value.errors == [{"field": "region_code", "message": "110105 is not a region of platform p"}]


def test_a_batch_splits_into_valid_items_and_their_validation_errors() -> None:
    items = EvaluationBatch.items_of({"evaluations": [ITEM, {**ITEM, "level": 9}, ITEM]})
    assert isinstance(items[0], EvaluationSubmission)
    assert isinstance(items[1], ValidationError)
    assert isinstance(items[2], EvaluationSubmission)


@pytest.mark.parametrize(
    "document",
    [
        [ITEM],
        {"evaluations": ITEM},
        {"evaluations": []},
        {"evaluations": [ITEM] * 101},
        {"evaluations": [ITEM], "more": 1},
        {"evaluations": [ITEM, {**ITEM, "level": 9}], "more": 1},
    ],
)
def test_a_document_that_is_no_batch_fails_whole(document: Any) -> None:
    with pytest.raises(ValidationError):
        EvaluationBatch.items_of(document)
