"""AWS failures as domain errors: those a retry may cure apart from those it never will.

Throttling, a service that is down, a read timeout or a lost connection pass: they become
`StorageUnavailable` (503 with Retry-After). Access denied, a ciphertext KMS cannot open, a missing
secret or table, a malformed request are the deployment's or the code's fault and become
`StorageMisconfigured` (500, logged at ERROR so an alarm sees it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError

from govrate.kernel.errors import GovrateError, StorageMisconfigured, StorageUnavailable

CONDITION_FAILED = "ConditionalCheckFailedException"

# Error codes a later attempt may not see again; every other code is permanent.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "InternalServiceError",
        "InternalServiceErrorException",
        "KMSInternalException",
        "KeyUnavailableException",
        "DependencyTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
        "TransactionConflict",
    }
)


def error_code(exc: BaseException) -> str:
    """The AWS error code behind `exc` (a ClientError, or a PynamoDB error caused by one); "" if none."""
    # Not PynamoDB's `cause_response_code`: it fails on a cause whose `response` is None (a read timeout).
    if isinstance(exc, PynamoDBException):
        return error_code(exc.cause) if isinstance(exc.cause, BaseException) else ""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    error = response.get("Error")
    return str(error.get("Code") or "") if isinstance(error, dict) else ""


def condition_failed(exc: BaseException) -> bool:
    """Whether a conditional write was refused by its condition (a transaction: by a condition or a
    concurrent transaction on one of its items)."""
    if isinstance(exc, TransactWriteError):
        reasons = exc.cancellation_reasons or []
        return any(
            reason is not None and reason.code in {"ConditionalCheckFailed", "TransactionConflict"}
            for reason in reasons
        )
    return error_code(exc) == CONDITION_FAILED


def storage_error(exc: BaseException, resource: str) -> GovrateError:
    """The domain error for an AWS failure while using `resource` (said in the message)."""
    code = error_code(exc)
    if not code or code in RETRYABLE_CODES:
        # No code: a timeout, a lost connection or a response without an error document.
        return StorageUnavailable(f"{resource} unavailable")
    return StorageMisconfigured(f"{resource} refused the request ({code})")


AWS_ERRORS = (ClientError, BotoCoreError, PynamoDBException)


@contextmanager
def translated(resource: str) -> Iterator[None]:
    """Raise the domain error of any AWS failure in the block; a missing item (`DoesNotExist`) passes."""
    try:
        yield
    except DoesNotExist:
        raise
    except AWS_ERRORS as exc:
        raise storage_error(exc, resource) from exc
