"""The invitation port: asking an applicant who has not rated yet, by SMS or e-mail (the region's gateway).

The cloud adapter (`govrate.storage.queue`) hands invitations to the gateway through an SQS
queue; on the local stack that queue lives in moto, where the invitations can be read. An invitation
carries no contact data: the gateway adapter opens the record's sealed contact itself, with its own
KMS grant, so the message on the queue and in the logs names only the record.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from govrate.evaluations.models import Stage


class Invitation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    region_code: str
    record_id: str
    item_code: str
    unrated_stages: tuple[Stage, ...]
    ticket_url: str


class InvitationSender(Protocol):
    def publish(self, message: Invitation) -> None: ...
