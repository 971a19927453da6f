"""AWS failures become retryable or permanent domain errors, and the edge answers them apart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from govrate.kernel.errors import StorageMisconfigured, StorageUnavailable
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.web.problems import problem_for
from pynamodb.exceptions import DoesNotExist, GetError, PutError


def client_error(code: str | None) -> ClientError:
    response = {"Error": {"Code": code, "Message": "refused"}} if code else {}
    return ClientError(response, "GetItem")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "ServiceUnavailable", "InternalServerError"],
)
def test_throttling_and_outages_are_retryable_503(code: str) -> None:
    error = storage_error(client_error(code), "evaluations table")
    assert isinstance(error, StorageUnavailable)
    problem = problem_for(error)
    assert (problem.status, problem.headers) == (503, {"Retry-After": "5"})


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "InvalidCiphertextException", "ResourceNotFoundException", "ValidationException"]
)
def test_refusals_no_retry_cures_are_permanent_500(code: str) -> None:
    error = storage_error(client_error(code), "contact decryption")
    assert isinstance(error, StorageMisconfigured)
    assert code in str(error)
    assert problem_for(error).status == 500


def test_timeouts_lost_connections_and_errors_without_a_code_are_retryable() -> None:
    timeout = ReadTimeoutError(endpoint_url="https://dynamodb")
    lost = EndpointConnectionError(endpoint_url="https://dynamodb")
    for exc in (timeout, lost, client_error(None), GetError("get failed", cause=timeout)):
        assert isinstance(storage_error(exc, "reference table"), StorageUnavailable)


def test_pynamodb_errors_are_read_through_their_cause() -> None:
    denied = GetError("get failed", cause=client_error("AccessDeniedException"))
    assert isinstance(storage_error(denied, "reference table"), StorageMisconfigured)
    refused = PutError("put failed", cause=client_error("ConditionalCheckFailedException"))
    assert condition_failed(refused)
    assert not condition_failed(denied)


def test_translated_maps_failures_and_lets_a_missing_item_pass() -> None:
    with pytest.raises(StorageUnavailable, match="queue unavailable"), translated("queue"):
        raise client_error("ThrottlingException")
    with pytest.raises(DoesNotExist), translated("reference table"):
        raise DoesNotExist()
