"""Registering completed transactions (办件) and handing out their evaluation tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from govrate.evaluations.models import ServiceRecordRegistered, ServiceRecordRegistration, Stage
from govrate.evaluations.service import IntakeStores
from govrate.kernel.errors import Conflict, InvalidInput, NotFound
from govrate.kernel.fingerprint import content_fingerprint, same_version
from govrate.kernel.qr_codes import TicketSigner, ticket_url


class TicketIssuer(Protocol):
    def ticket_url(self, region_code: str, record_id: str) -> str: ...


@dataclass(frozen=True)
class SignedTicketLinks:
    """Ticket URLs under the API's public base URL, signed with the record-ticket signer."""

    signer: TicketSigner
    base_url: str

    def ticket_url(self, region_code: str, record_id: str) -> str:
        return ticket_url(self.base_url, self.signer.sign(region_code, record_id))


def register_record(
    registration: ServiceRecordRegistration,
    *,
    stores: IntakeStores,
    tickets: TicketIssuer,
    registered_by: str,
) -> ServiceRecordRegistered:
    """Store the record once; the same registration again returns the same ticket, a different one is a Conflict."""
    from govrate.records.store import StoredRecord

    try:
        item = stores.catalogue.get(registration.item_code, registration.item_version)
    except NotFound as exc:
        field = "item_version" if registration.item_version else "item_code"
        raise InvalidInput("the service item is not in the catalogue", [{"field": field, "message": str(exc)}]) from exc
    errors = [
        {"field": field, "message": f"service item {item.item_code} belongs to {expected}"}
        for field, given, expected in (
            ("agency_code", registration.agency_code, item.agency_code),
            ("region_code", registration.region_code, item.region_code),
        )
        if given != expected
    ]
    stages = set(registration.stages)
    if len(stages) != len(registration.stages):
        errors.append({"field": "stages", "message": "a stage is given twice"})
    if Stage.OVERALL in stages and len(stages) > 1:
        errors.append({"field": "stages", "message": "overall stands alone"})
    if not stages <= {*item.stages, Stage.OVERALL}:
        errors.append({"field": "stages", "message": f"{item.item_code} has the stages {', '.join(item.stages)}"})
    if errors:
        raise InvalidInput("the service record does not match the catalogue", errors)

    owner = f"record:{registration.region_code}:{registration.record_id}"
    contact = (
        stores.vault.seal(registration.applicant.model_dump_json(exclude_none=True), owner=owner)
        if registration.applicant is not None and (registration.applicant.phone or registration.applicant.email)
        else None
    )
    # The catalogue version is compared apart (`same_version`), as for evaluations.
    record_fingerprint = content_fingerprint(registration, sets={"stages"}, exclude={"item_version"})
    existing = stores.records.register(
        StoredRecord(
            record_id=registration.record_id,
            region_code=registration.region_code,
            item_code=registration.item_code,
            item_version=item.version,
            agency_code=registration.agency_code,
            window_id=registration.window_id,
            stages=tuple(registration.stages),
            completed_at=registration.completed_at,
            contact_cipher=contact,
            registered_by=registered_by,
            fingerprint=record_fingerprint,
        )
    )
    if existing is not None and not (
        existing.fingerprint == record_fingerprint and same_version(registration.item_version, existing.item_version)
    ):
        raise Conflict(f"record {registration.record_id} was registered with other details")
    policy = stores.rules.for_region(registration.region_code).evaluation
    completed_at = existing.completed_at if existing is not None else registration.completed_at
    return ServiceRecordRegistered(
        record_id=registration.record_id,
        region_code=registration.region_code,
        ticket_url=tickets.ticket_url(registration.region_code, registration.record_id),
        evaluation_deadline=policy.evaluation_deadline(completed_at),
        replayed=existing is not None,
    )
