"""The supervisors' view of the interference flags: those of their division, newest first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from govrate.identity.model import Actor, Role
from govrate.integrity.patterns import Flag
from govrate.kernel import divisions
from govrate.kernel.errors import Forbidden


class FlagReader(Protocol):
    def flags_in(self, province_code: str, month: date) -> list[Flag]: ...


def division_flags(actor: Actor, *, flags: FlagReader, today: date) -> list[Flag]:
    """The flags of the supervisor's division raised this month and last, newest first. Staff see none:
    a flag may be about their own agency."""
    if actor.role is not Role.SUPERVISOR or not actor.region_code:
        raise Forbidden(
            "interference flags are for supervisors only", [{"field": "role", "message": f"{actor.role} may not"}]
        )
    division = actor.region_code
    province = divisions.enclosing(division, divisions.DivisionLevel.PROVINCE)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    found = [
        flag
        for month in (this_month, last_month)
        for flag in flags.flags_in(province, month)
        if divisions.holds(division, flag.region_code)
    ]
    return sorted(found, key=lambda flag: (flag.raised_at, flag.flag_id), reverse=True)
