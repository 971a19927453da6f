"""The administrators' command refuses an assignment that would not make a working account before it
calls AWS (no credentials exist here: a call would fail differently)."""

from __future__ import annotations

import pytest
from govrate.identity import staff_admin
from govrate.identity.model import Role


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--role", "staff"], "has no agency group"),
        (["--role", "supervisor"], "has no division group"),
        (["--role", "supervisor", "--division", "110000", "--agency", "110105-GA"], "leave out the agency"),
        (["--role", "staff", "--agency", "110105-GA", "--division", "000000"], "malformed division"),
    ],
)
def test_an_assignment_that_makes_no_working_account_is_refused_with_its_reason(
    arguments: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        staff_admin.main(["--pool", "ap-east-1_AbC123", "assign", "li.ming", *arguments])
    assert exited.value.code == 2
    assert reason in capsys.readouterr().err


def test_the_groups_of_a_staff_member_and_a_supervisor() -> None:
    assert staff_admin.groups("li.ming", role=Role.STAFF, agency_code="110105-GA", division="110105") == [
        "role:staff",
        "agency:110105-GA",
        "division:110105",
    ]
    assert staff_admin.groups("wang.fang", role=Role.SUPERVISOR, agency_code=None, division="110000") == [
        "role:supervisor",
        "division:110000",
    ]
