"""Tamper evidence against moto: the seal job seals a day in the Object Lock bucket under the KMS HMAC
key, someone with table access tampers, and `python -m govrate.verify_integrity` names what changed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
import seal_job
from govrate import runtime
from govrate.cases.audit import next_entry
from govrate.cases.model import Action
from govrate.evaluations.models import CaseState
from govrate.evaluations.store import StoredEvaluation
from govrate.identity.model import Actor
from govrate.integrity.seal_store import SEALS_PREFIX
from govrate.kernel.scale import Level
from govrate.verify_integrity import main

from tests.integration.analytics_support import at, case_of, make_evaluation
from tests.integration.conftest import AwsResources

DAY = date(2026, 11, 3)
SEALS = f"{SEALS_PREFIX}/{DAY}/"


class Day:
    """The evaluations of DAY in two regions, and a case with two audit entries for its bad review."""

    def __init__(self, aws: AwsResources) -> None:
        self.aws = aws
        self.dynamodb = boto3.client("dynamodb")
        self.s3 = boto3.client("s3")
        self.good = self.evaluation(9, Level(5), comment="窗口服务很好", item_code="110105-GA-001")
        self.bad = self.evaluation(10, Level(1), comment="办事员态度差", item_code="110105-GA-001")
        self.remote = self.evaluation(11, Level(4), agency="513231-MZ")
        self.open_case(self.bad, entries=2)

    def evaluation(self, hour: int, level: Level, agency: str = "110105-GA", **fields: Any) -> StoredEvaluation:
        evaluation = make_evaluation(at(DAY, hour), agency, level, **fields)
        runtime.evaluation_repository().add(evaluation)
        return evaluation

    def open_case(self, evaluation: StoredEvaluation, entries: int) -> None:
        cases = runtime.case_repository()
        case = case_of(evaluation)
        states = [CaseState.RECEIVED, CaseState.CONTACTED, CaseState.VERIFIED]
        actions = [Action.OPEN, Action.CONTACT, Action.VERIFY]
        for seq in range(entries):
            entry = next_entry(
                case,
                at=at(DAY, 12 + seq),
                actor=Actor.system("verify"),
                action=actions[seq],
                to_state=states[seq],
                from_state=None if seq == 0 else states[seq - 1],
                detail={"note": f"step {seq + 1}"},
            )
            case = case.model_copy(update={"state": states[seq], "audit_count": entry.seq, "audit_head": entry.hash})
            if seq == 0:
                assert cases.open(case, entry)
            else:
                cases.save(case, [entry], read_count=entry.seq - 1)

    def seal(self, context: Any) -> dict[str, Any]:
        result: dict[str, Any] = seal_job.handler({"day": DAY.isoformat()}, context)
        return result

    def seal_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.aws.seal_bucket, Prefix=SEALS)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def audit_key(self, evaluation: StoredEvaluation, seq: int) -> dict[str, Any]:
        return {"pk": {"S": f"CASE#{evaluation.evaluation_id}"}, "sk": {"S": f"AUDIT#{seq:06d}"}}

    def audit_item(self, evaluation: StoredEvaluation, seq: int) -> dict[str, Any]:
        item: dict[str, Any] = self.dynamodb.get_item(
            TableName=self.aws.cases_table, Key=self.audit_key(evaluation, seq)
        )["Item"]
        return item


def verify(*arguments: str) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["--day", DAY.isoformat(), *arguments], out=out, err=err)
    return status, out.getvalue().splitlines(), err.getvalue()


@pytest.fixture
def day(aws: AwsResources) -> Day:
    return Day(aws)


def test_a_sealed_day_untouched_verifies_clean(day: Day, lambda_context: Any) -> None:
    result = day.seal(lambda_context)
    (sealed,) = result["new_seals"]
    assert (sealed["evaluations"], sealed["cases"]) == (3, 1)
    status, lines, _ = verify()
    assert status == 0
    assert lines[0] == "day 2026-11-03, all regions: 1 seal(s)"
    assert lines[1] == f"seal {sealed['key']}: MAC verified"
    assert lines[-1] == "CLEAN: the tables hold what the latest seal holds"


def test_the_seal_is_locked_in_compliance_mode_and_holds_no_personal_data(day: Day, lambda_context: Any) -> None:
    day.seal(lambda_context)
    (key,) = day.seal_keys()
    head = day.s3.head_object(Bucket=day.aws.seal_bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    version = head["VersionId"]
    with pytest.raises(day.s3.exceptions.ClientError, match="AccessDenied"):
        day.s3.delete_object(Bucket=day.aws.seal_bucket, Key=key, VersionId=version)
    body = day.s3.get_object(Bucket=day.aws.seal_bucket, Key=key)["Body"].read().decode()
    assert "窗口服务很好" not in body and "办事员态度差" not in body and "step 1" not in body
    assert day.bad.evaluation_id in body  # ids and leaf hashes only


Tamper = Callable[[Day], None]


def _add_evaluation(day: Day) -> None:
    day.evaluation(15, Level(5), evaluation_id="01KA0000000000000000000000")


def _change_evaluation(day: Day) -> None:
    day.dynamodb.update_item(
        TableName=day.aws.evaluations_table,
        Key={"pk": {"S": f"EVAL#{day.bad.evaluation_id}"}},
        UpdateExpression="SET #level = :five, bad_review = :no",
        ExpressionAttributeNames={"#level": "level"},
        ExpressionAttributeValues={":five": {"N": "5"}, ":no": {"BOOL": False}},
    )


def _remove_evaluation(day: Day) -> None:
    day.dynamodb.delete_item(TableName=day.aws.evaluations_table, Key={"pk": {"S": f"EVAL#{day.good.evaluation_id}"}})


def _add_entry(day: Day) -> None:
    forged = day.audit_item(day.bad, 2) | day.audit_key(day.bad, 3) | {"seq": {"N": "3"}, "action": {"S": "close"}}
    day.dynamodb.put_item(TableName=day.aws.cases_table, Item=forged)


def _change_entry(day: Day) -> None:
    day.dynamodb.update_item(
        TableName=day.aws.cases_table,
        Key=day.audit_key(day.bad, 2),
        UpdateExpression="SET detail = :detail",
        ExpressionAttributeValues={":detail": {"S": json.dumps({"note": "evaluator reached, satisfied"})}},
    )


def _remove_entry(day: Day) -> None:
    day.dynamodb.delete_item(TableName=day.aws.cases_table, Key=day.audit_key(day.bad, 2))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_add_evaluation, "evaluation added: region 110105 01KA0000000000000000000000"),
        (_change_evaluation, "evaluation changed: region 110105 {bad}"),
        (_remove_evaluation, "evaluation removed: region 110105 {good}"),
        (_add_entry, "case entry added: region 110105 {bad} #3"),
        (_change_entry, "case entry changed: region 110105 {bad} #2"),
        (_remove_entry, "case entry removed: region 110105 {bad} #2"),
    ],
    ids=[
        "evaluation-added",
        "evaluation-changed",
        "evaluation-removed",
        "entry-added",
        "entry-changed",
        "entry-removed",
    ],
)
def test_each_tampering_is_reported_precisely(day: Day, lambda_context: Any, tamper: Tamper, expected: str) -> None:
    day.seal(lambda_context)
    tamper(day)
    status, lines, _ = verify()
    finding = expected.format(bad=day.bad.evaluation_id, good=day.good.evaluation_id)
    assert status == 1
    assert [line for line in lines if line.startswith("since the latest seal")] == [f"since the latest seal: {finding}"]
    assert lines[-1] == "TAMPERED: 1 finding(s)"
    # The other region is untouched.
    assert verify("--region", "513231")[0] == 0


def test_a_forged_seal_is_reported(day: Day, lambda_context: Any) -> None:
    day.seal(lambda_context)
    (key,) = day.seal_keys()
    genuine = json.loads(day.s3.get_object(Bucket=day.aws.seal_bucket, Key=key)["Body"].read())
    _remove_evaluation(day)
    # Someone who can write to the bucket but not use the key puts a newer seal that hides the removal.
    forged = genuine | {"manifest": genuine["manifest"] | {"sealed_at": "2026-11-04T02:00:00+08:00"}}
    forged_key = f"{SEALS}20261103T180000000000Z.json"
    day.s3.put_object(
        Bucket=day.aws.seal_bucket, Key=forged_key, Body=json.dumps(forged).encode(), ChecksumAlgorithm="SHA256"
    )
    status, lines, _ = verify()
    assert status == 1
    assert f"seal {forged_key}: FORGED: not a seal of this day made with the seal key" in lines
    assert f"since the latest seal: evaluation removed: region 110105 {day.good.evaluation_id}" in lines


def test_a_day_sealed_again_keeps_its_first_seal_and_reports_what_changed_between(
    day: Day, lambda_context: Any
) -> None:
    day.seal(lambda_context)
    assert day.seal(lambda_context)["new_seals"] == []  # nothing changed: no new object
    # The case is handled on: a third entry, written as the service writes it.
    cases = runtime.case_repository()
    case = cases.get(day.bad.evaluation_id)
    entry = next_entry(
        case,
        at=at(DAY + timedelta(days=2)),
        actor=Actor.system("verify"),
        action=Action.VERIFY,
        to_state=CaseState.VERIFIED,
        detail={"note": "step 3"},
    )
    cases.save(
        case.model_copy(update={"audit_count": entry.seq, "audit_head": entry.hash}),
        [entry],
        read_count=case.audit_count,
    )
    assert verify()[0] == 1  # the tables now hold an entry the seal does not
    day.seal(lambda_context)
    first, second = day.seal_keys()
    status, lines, _ = verify()
    assert status == 0
    assert (
        f"between seals, in {second}: case entry added: region 110105 {day.bad.evaluation_id} #3 (case handled since)"
        in lines
    )
    assert f"seal {first}: MAC verified" in lines


def test_usage_and_configuration_errors_exit_2(day: Day, monkeypatch: pytest.MonkeyPatch) -> None:
    assert verify()[0] == 2  # never sealed
    assert "has no seal" in verify()[2]
    assert main(["--day", "03/11/2026"], out=io.StringIO(), err=io.StringIO()) == 2
    assert main(["--day", "2026-11-03", "--region", "Beijing"], out=io.StringIO(), err=io.StringIO()) == 2
    monkeypatch.setenv("GOVRATE_SEAL_BUCKET", "")
    runtime.reset()
    status, _, message = verify()
    assert (status, message.strip()) == (2, "error: no seal bucket is configured (GOVRATE_SEAL_BUCKET)")
