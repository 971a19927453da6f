from __future__ import annotations

import pytest
from govrate.evaluations.models import Channel, EvaluationSubmission, Stage
from govrate.kernel.scale import Level
from pydantic import ValidationError

VALID = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "channel": "window_qr",
    "level": 2,
}


def test_a_minimal_submission_defaults_to_the_overall_stage() -> None:
    submission = EvaluationSubmission.model_validate(VALID)
    assert submission.stage is Stage.OVERALL
    assert submission.level is Level.DISSATISFIED
    assert submission.channel is Channel.WINDOW_QR
    assert submission.comment is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("level", 0),
        ("level", 6),
        ("region_code", "11010"),
        ("region_code", "abcdef"),
        ("channel", "carrier_pigeon"),
        ("comment", "x" * 1001),
        ("unexpected", "field"),
    ],
)
def test_invalid_fields_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        EvaluationSubmission.model_validate({**VALID, field: value})
    assert caught.value.errors()[0]["loc"][0] == field


def test_the_comment_is_trimmed_and_may_be_a_thousand_characters() -> None:
    assert EvaluationSubmission.model_validate({**VALID, "comment": "  慢 "}).comment == "慢"
    assert len(EvaluationSubmission.model_validate({**VALID, "comment": "好" * 1000}).comment or "") == 1000
