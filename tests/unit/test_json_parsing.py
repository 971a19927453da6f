"""The JSON edge is total: whatever bytes arrive, parsing gives a document or a 4xx error, never a
crash; over-deep nesting and over-long numbers are refused while parsing; and a document's JSON types
are taken strictly (no string for a number, no boolean or fraction for a level)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from govrate.evaluations.models import PublicEvaluationSubmission
from govrate.kernel.contracts import field_errors, from_json
from govrate.kernel.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType
from govrate.kernel.scale import Level
from govrate.web.chalice_edge import MAX_NESTING, parse_json
from govrate.web.problems import problem_for
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError


@dataclass
class Request:
    """What parse_json reads of a Chalice request."""

    raw_body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


def parsed(body: bytes) -> Any:
    return parse_json(Request(body))  # type: ignore[arg-type]


def test_a_body_that_does_not_say_it_is_json_is_refused_as_415() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        parse_json(Request(b'{"level": 5}', headers={}))  # type: ignore[arg-type]
    assert problem_for(refused.value).status == 415


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"level": ' + b"5" * 5000 + b"}", "level"),
        (b'{"indicators": {"attitude": 4, "wait": 1' + b"0" * 30 + b".5}}", "indicators.wait"),
        (b'{"evaluations": [{"level": 5}, {"level": -' + b"9" * 40 + b"}]}", "evaluations[1].level"),
        (b"1" * 30, "body"),
        (b'{"level": 2, "level": 5}', "level"),
        (b'{"evaluations": [{"indicators": {"wait": 4, "wait": 1}}]}', "evaluations[0].indicators.wait"),
        (b'{"comment": "\\ud800 alone"}', "comment"),
        (b'{"indicators": {"\\udfff": 4}}', "indicators"),
    ],
)
def test_an_unreadable_value_is_refused_by_its_field(body: bytes, field: str) -> None:
    """An overlong number, a member given twice (JSON parsers disagree on which counts) and a string
    with an unpaired surrogate are refused while parsing, naming the field."""
    with pytest.raises(MalformedBody) as refused:
        parsed(body)
    problem = problem_for(refused.value)
    assert problem.status == 400
    assert [error["field"] for error in problem.errors] == [field]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"level": ' + b"5" * 5000 + b"}", id="a 5000-digit number"),
        pytest.param(b'{"level": 1' + b"0" * 30 + b".5}", id="a long decimal"),
        pytest.param(b'{"comment": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", id="20000 nested arrays"),
        pytest.param(b'{"a": ' + b'{"a": ' * (MAX_NESTING + 1) + b"1" + b"}" * (MAX_NESTING + 2), id="deep objects"),
        pytest.param(b'{"level": NaN}', id="NaN"),
        pytest.param(b'{"level": Infinity}', id="Infinity"),
        pytest.param(b"\xff\xfe{}", id="not UTF-8"),
    ],
)
def test_bad_documents_are_refused_as_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody) as refused:
        parsed(body)
    assert problem_for(refused.value).status == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | json_values.map(lambda value: json.dumps(value).encode()))
def test_any_body_parses_or_is_a_client_error(body: bytes) -> None:
    try:
        parsed(body)
    except (MalformedBody, BodyTooLarge) as refused:
        assert 400 <= problem_for(refused).status < 500


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_a_document_within_the_limits_parses_to_itself(value: Any) -> None:
    body = json.dumps(value).encode()
    try:
        assert parsed(body) == value
    except MalformedBody as refused:  # only for the limits: a long number or deep nesting
        assert "number" in str(refused) or "nested" in str(refused)


PUBLIC_REVIEW = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105", "level": 4}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "5"}, "level"),
        ({"level": True, "reason_codes": ["slow"]}, "level"),  # would be a level-1 bad review
        ({"level": 4.0}, "level"),
        ({"indicators": {"overall": "4"}}, "indicators.overall"),
        ({"indicators": {"overall": True}}, "indicators.overall"),
        ({"item_code": 110105}, "item_code"),
    ],
)
def test_json_types_are_taken_as_the_openapi_document_states_them(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        from_json(PublicEvaluationSubmission, {**PUBLIC_REVIEW, **change})

    assert field in [error["field"] for error in field_errors(refused.value)]


def test_a_well_typed_document_validates_and_a_stored_level_still_reads() -> None:
    assert from_json(PublicEvaluationSubmission, PUBLIC_REVIEW).level is Level.SATISFIED
    # Values read back from storage (Python mode) are not JSON: an integer level still reads.
    assert PublicEvaluationSubmission.model_validate({**PUBLIC_REVIEW, "level": 2, "reason_codes": ["slow"]}).level == 2
