"""A region's rules changed with the supervisors' command on moto: a new case gets the new answer
deadline, a case opened before keeps its own, and a bad file or someone outside the region changes
nothing. The intake's evaluation period comes from the same documents, through the same reader."""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from govrate import runtime
from govrate.regions import admin
from govrate.regions.calendar import WorkingCalendar

from tests.integration.conftest import AwsResources
from tests.integration.staff_support import PASSWORD
from tests.integration.test_case_support import World, build_world

TTL_SECONDS = 1


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # The functions keep the rules for TTL_SECONDS here (a minute when deployed).
    monkeypatch.setenv("GOVRATE_RULES_TTL_SECONDS", str(TTL_SECONDS))
    monkeypatch.setattr(getpass, "getpass", lambda prompt: PASSWORD)
    yield from build_world(aws, monkeypatch)


def rules_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def open_case(world: World) -> str:
    evaluation_id: str = world.review(contact=False)["evaluation_id"]
    world.relay_stream()
    world.drain()
    return evaluation_id


def answer_days(world: World, evaluation_id: str) -> int:
    """The working days from the review to the case's answer deadline."""
    case = runtime.case_stores().cases.get(evaluation_id)
    calendar = WorkingCalendar()
    for days in range(1, 60):
        if calendar.deadline(case.evaluated_at, days, 8) == case.answer_due_at:
            return days
    raise AssertionError(f"{case.answer_due_at} is no whole number of working days after {case.evaluated_at}")


def test_a_changed_answer_deadline_reaches_new_cases_only(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.account("wang.fang", "supervisor", "110000")
    before = open_case(world)
    assert answer_days(world, before) == 15

    file = rules_file(
        tmp_path, '{\n  "cases": {"answer_working_days": 5},\n  "evaluation": {"evaluation_days": 10}\n}\n'
    )
    assert admin.main(["set", "110105", "--file", file, "--user", "wang.fang"]) == 0
    changed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (changed["division"], changed["version"], changed["actor_name"]) == ("110105", 1, "wang.fang")
    assert changed["operator"].startswith("arn:")  # the AWS identity the command ran with

    time.sleep(TTL_SECONDS)  # what the functions read is this old at most
    after = open_case(world)
    assert answer_days(world, after) == 5
    assert answer_days(world, before) == 15

    # The evaluation period of the same document, read by intake: 10 days for this district.
    assert runtime.intake_stores().rules.for_region("110105").evaluation.evaluation_days == 10

    capsys.readouterr()  # the functions' log lines
    assert admin.main(["show", "110105"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 1
    assert shown["document"] == {"cases": {"answer_working_days": 5}, "evaluation": {"evaluation_days": 10}}
    assert shown["in_force"]["cases"]["answer_working_days"] == 5
    assert admin.main(["history", "110105"]) == 0
    (entry,) = capsys.readouterr().out.splitlines()
    assert json.loads(entry)["before"] is None


def asked_no_password(prompt: str) -> str:
    raise AssertionError(f"a faulty file is refused before the password is asked for ({prompt})")


def test_a_bad_file_is_refused_with_line_and_field_and_the_old_rules_kept(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.account("wang.fang", "supervisor", "110000")
    good = rules_file(tmp_path, '{"cases": {"answer_working_days": 5}}')
    assert admin.main(["set", "110105", "--file", good, "--user", "wang.fang"]) == 0
    capsys.readouterr()

    bad = rules_file(tmp_path, '{\n  "cases": {\n    "answer_working_days": 500\n  }\n}\n')
    monkeypatch.setattr(getpass, "getpass", asked_no_password)
    assert admin.main(["set", "110105", "--file", bad, "--user", "wang.fang"]) == 1
    refused = capsys.readouterr().err
    assert f"{bad}: line 3: cases.answer_working_days: Input should be less than or equal to 120" in refused
    assert "the rules in force are unchanged" in refused

    assert admin.main(["show", "110105"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["in_force"]["cases"]["answer_working_days"]) == (1, 5)
    time.sleep(TTL_SECONDS)
    assert answer_days(world, open_case(world)) == 5


def test_a_supervisor_of_another_division_changes_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.account("xu.lin", "supervisor", "330100")
    file = rules_file(tmp_path, '{"cases": {"answer_working_days": 5}}')
    assert admin.main(["set", "110105", "--file", file, "--user", "xu.lin"]) == 1
    assert "supervisors of a division that holds it" in capsys.readouterr().err
    assert runtime.rules_repository().current("110105") is None


def test_sign_in_keys_out_of_reach_are_one_error_line_not_a_traceback(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.account("wang.fang", "supervisor", "110000")
    monkeypatch.setenv("GOVRATE_STAFF_JWKS_URL", "http://127.0.0.1:9/.well-known/jwks.json")
    runtime.reset()
    file = rules_file(tmp_path, '{"cases": {"answer_working_days": 5}}')
    assert admin.main(["set", "110105", "--file", file, "--user", "wang.fang"]) == 1
    assert capsys.readouterr().err == (
        "error: the sign-in keys could not be fetched; the rules in force are unchanged\n"
    )
    assert runtime.rules_repository().current("110105") is None
