"""Domain exceptions. The HTTP edge maps each type to a status code and a problem type."""

from __future__ import annotations


class GovrateError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidInput(GovrateError):
    """Input that breaks a rule; `errors` names the offending fields."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class EvaluationPeriodOver(InvalidInput):
    """A service record that can no longer be rated: its evaluation period has ended."""


class NotFound(GovrateError):
    """The thing asked for does not exist, or the caller may not know that it does."""


class Conflict(GovrateError):
    """The request contradicts what is already stored."""


class Unauthenticated(GovrateError):
    """The caller did not prove who they are: no credentials, or credentials that do not verify."""

    # What the caller is told instead of the message, where the reason helps only an attacker (the
    # message still goes to the log).
    public_detail: str | None = None


class Forbidden(GovrateError):
    """The caller is known but may not do this; `errors` may name the field that is not theirs."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class Gone(GovrateError):
    """The thing existed but is no longer usable (a revoked or rotated QR code)."""


class MalformedBody(GovrateError):
    """The body is not parseable JSON (or not the form the route takes); `errors` may name the field
    where it breaks off (a number too long for the API, a member given twice, a string not Unicode)."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class UnsupportedMediaType(GovrateError):
    """The body is not in a media type the route takes, or does not say which it is."""


class BodyTooLarge(GovrateError):
    """The body, or an upload in it, is beyond what the route takes."""


class StorageUnavailable(GovrateError):
    """A table, queue or bucket could not be reached; the caller should retry."""


class StorageMisconfigured(GovrateError):
    """AWS refused for good (access denied, a ciphertext KMS cannot open, a missing secret or table):
    a fault of the deployment or the code that no retry cures."""


class SuspiciousSubmission(GovrateError):
    """A submission that only a bot makes (a filled honeypot field): refused without a word to the sender."""


class TooManyRequests(GovrateError):
    """A limit is reached (an unauthenticated path's abuse limit); nothing was stored. `retry_after_s`
    says when to try again."""

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class TooManyAttempts(TooManyRequests):
    """Too many failed sign-ins for an account or a client."""
