"""Changing a region's rules: only a supervisor of a division that holds the region, only with a
document that passes every rule, and never without its audit entry."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govrate.identity.model import Actor, Role
from govrate.kernel import divisions
from govrate.kernel.errors import Forbidden, InvalidInput
from govrate.regions.document import parse_rules
from govrate.regions.rules import RulesChange, resolve

if TYPE_CHECKING:
    from govrate.regions.ports import RulesStore

_DIVISION = re.compile(r"[1-8]\d{5}")


def change_rules(
    actor: Actor, division: str, text: str, *, store: RulesStore, now: datetime, operator: str
) -> RulesChange:
    """Replace the division's document with the rules file `text`; the change as audited. InvalidInput
    for a malformed division code, Forbidden for an actor who is not a supervisor of a division holding
    it, RulesRefused (line and field) for a file that breaks a rule, Conflict when another change came
    in between: in each case nothing is stored and the rules in force stay as they were."""
    check_division(division)
    if (
        actor.role is not Role.SUPERVISOR
        or actor.region_code is None
        or not divisions.holds(actor.region_code, division)
    ):
        raise Forbidden(
            "a region's rules are set by the supervisors of a division that holds it",
            [{"field": "division", "message": f"{division} is outside your division ({actor.region_code or 'none'})"}],
        )
    document = parse_rules(text)
    current = store.current(division)
    change = RulesChange(
        division=division,
        version=current.version + 1 if current else 1,
        at=now,
        actor_subject=actor.subject,
        actor_name=actor.name,
        operator=operator,
        before=current.document.stored_form() if current else None,
        after=document.stored_form(),
    )
    store.replace(change)
    return change


def rules_report(division: str, *, store: RulesStore, utc_offset_hours: int) -> dict[str, Any]:
    """What the division's document sets (with its version) and the rules in force there."""
    check_division(division)
    own = store.current(division)
    in_force = resolve(division, store.documents(), utc_offset_hours)
    return {
        "division": division,
        "document": own.document.stored_form() if own else None,
        "version": own.version if own else None,
        "changed_at": own.changed_at.isoformat() if own else None,
        "changed_by": own.changed_by if own else None,
        "in_force": {
            "evaluation": in_force.evaluation.model_dump(mode="json"),
            "cases": in_force.cases.model_dump(mode="json"),
        },
    }


def check_division(division: str) -> None:
    """InvalidInput unless `division` is a GB/T 2260 code of a province, prefecture or county (the
    national rules are the defaults in `govrate.regions.rules` and the `chinese-calendar` package)."""
    if not _DIVISION.fullmatch(division):
        raise InvalidInput(
            "not a division code", [{"field": "division", "message": "six digits of a province, prefecture or county"}]
        )
