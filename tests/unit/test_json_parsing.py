"""The JSON edge is total: whatever bytes arrive, parsing gives a document or a 4xx error, never a
crash; over-deep nesting and over-long numbers are refused while parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from govrate.kernel.errors import BodyTooLarge, MalformedBody
from govrate.web.chalice_edge import MAX_NESTING, parse_json
from govrate.web.problems import problem_for
from hypothesis import given, settings
from hypothesis import strategies as st


@dataclass
class Request:
    """What parse_json reads of a Chalice request."""

    raw_body: bytes


def parsed(body: bytes) -> Any:
    return parse_json(Request(body))  # type: ignore[arg-type]


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
