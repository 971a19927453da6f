"""What console sessions and sign-in limits need from storage: documents under a key until they expire,
in the reference table in the cloud (`govrate.identity.store`), in memory in tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from datetime import datetime

    from pydantic import BaseModel

SESSION_KEY_PREFIX = "SESSION#"
SIGN_IN_KEY_PREFIX = "SIGNIN#"
DEVICE_KEY_PREFIX = "DEVICE#"
# Every key space of the session documents, for the functions' least-privilege grants (dynamodb:LeadingKeys).
KEY_PREFIXES = (SESSION_KEY_PREFIX, SIGN_IN_KEY_PREFIX, DEVICE_KEY_PREFIX)

DocumentT = TypeVar("DocumentT", bound="BaseModel")


class SessionDocuments(Protocol):
    """Documents (pydantic models) under a key space and a key, each until its `expires_at`."""

    def put(self, prefix: str, key: str, document: BaseModel, *, expires_at: datetime) -> None: ...

    def get(self, prefix: str, key: str, model: type[DocumentT], *, now: datetime) -> DocumentT | None:
        """None when there is none or it has expired."""
        ...

    def get_versioned(
        self, prefix: str, key: str, model: type[DocumentT], *, now: datetime
    ) -> tuple[DocumentT | None, int]:
        """The document and the version to pass to `put_versioned` (0 when there is none)."""
        ...

    def put_versioned(self, prefix: str, key: str, document: BaseModel, *, expires_at: datetime, version: int) -> bool:
        """Replace the document read at `version`; False when someone else has written it since."""
        ...

    def delete(self, prefix: str, key: str) -> None: ...
