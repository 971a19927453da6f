"""Who acts: a signed-in staff member or supervisor, the evaluator (by receipt) or the system."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from govrate.kernel.contracts import Contract


class Role(StrEnum):
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    EVALUATOR = "evaluator"
    SYSTEM = "system"


class Actor(Contract):
    """Who did something: a signed-in staff member or supervisor, the evaluator (by receipt) or the system."""

    role: Role
    subject: str = Field(description="Cognito `sub` of staff; `evaluator`; `system:<function>`.")
    name: str | None = None
    agency_code: str | None = None
    region_code: str | None = None

    @classmethod
    def system(cls, function: str) -> Actor:
        return cls(role=Role.SYSTEM, subject=f"system:{function}")

    @classmethod
    def evaluator(cls) -> Actor:
        return cls(role=Role.EVALUATOR, subject="evaluator")
