"""Interference flags end to end: a rating from a staff network is taken like any other, the stream
watcher flags it, and the supervisors of the division (only they) see it in the console; supervisor
alerts reach the topic with the division code that each division's subscription filters on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import case_api
import intake_api
import integrity_watch
import pytest
from chalice.test import Client
from govrate import runtime
from govrate.integrity.alert_topic import SnsAlerts
from govrate.integrity.alerts import Alert, AlertKind
from govrate.kernel.clock import zone

from local.lambdas import dynamodb_event_record, failed_item_ids
from tests.integration.conftest import AwsResources
from tests.integration.staff_support import ConsoleBrowser, StaffPool

JSON = {"content-type": "application/json"}
RATING = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105", "level": 5}


class Streams:
    """The evaluations and cases streams from now on, handed to the watcher as Lambda would."""

    def __init__(self, aws: AwsResources) -> None:
        dynamodb = boto3.client("dynamodb")
        # moto matches the streams endpoint by `.amazonaws.com`; China regions' end in `.com.cn`.
        region = boto3.session.Session().region_name
        self._streams = boto3.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
        arns = [
            dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            for table in (aws.evaluations_table, aws.cases_table)
        ]
        self._iterators = {
            (arn, shard["ShardId"]): self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for arn in arns
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        }

    def records(self) -> list[dict[str, Any]]:
        found = []
        for (arn, shard_id), iterator in list(self._iterators.items()):
            page = self._streams.get_records(ShardIterator=iterator)
            found += [dynamodb_event_record(dict(record), arn) for record in page["Records"]]
            self._iterators[arn, shard_id] = page["NextShardIterator"]
        return found


@pytest.fixture
def hall(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, Streams]]:
    # The test client's requests come from 127.0.0.1: here, the service hall's staff LAN.
    monkeypatch.setenv("GOVRATE_STAFF_NETWORKS", json.dumps({"hall staff LAN": ["127.0.0.0/8"]}))
    runtime.reset()
    streams = Streams(aws)
    with Client(intake_api.app) as intake, Client(case_api.app) as cases:
        yield intake, cases, streams


def signed_in(cases: Any, pool: StaffPool, username: str, role: str, region: str, agency: str | None = None) -> Any:
    pool.account(username, role, region, agency)
    browser = ConsoleBrowser(cases)
    assert browser.sign_in(username).status_code == 303
    return browser


def test_a_rating_from_the_staff_network_is_taken_flagged_and_listed_for_the_division(
    hall: tuple[Any, Any, Streams], staff_pool: StaffPool, lambda_context: Any
) -> None:
    intake, cases, streams = hall
    answer = intake.http.post("/v1/evaluations", headers=JSON, body=json.dumps(RATING).encode())
    assert answer.status_code == 201
    accepted = json.loads(answer.body)
    assert set(accepted) == {"evaluation_id", "receipt", "status_url", "bad_review", "replayed"}  # nothing told

    records = streams.records()
    assert failed_item_ids(integrity_watch.handler({"Records": records}, lambda_context)) == []

    supervisor = signed_in(cases, staff_pool, "sup.chaoyang", "supervisor", "110105")
    page = supervisor.get("/console/integrity")
    assert page.status_code == 200
    body = page.body.decode()
    assert "来自工作人员网络" in body and "rated from a staff network" in body
    assert accepted["evaluation_id"] in body and "hall staff LAN" in body
    assert "127.0.0.1" not in body
    assert 'name="viewport" content="width=device-width' in body
    assert "/console/integrity" in supervisor.get("/console/cases").body.decode()  # in the supervisor's menu

    elsewhere = signed_in(cases, staff_pool, "sup.haidian", "supervisor", "110108")
    assert accepted["evaluation_id"] not in elsewhere.get("/console/integrity").body.decode()
    staff = signed_in(cases, staff_pool, "clerk.ga", "staff", "110105", "110105-GA")
    assert staff.get("/console/integrity").status_code == 403
    assert "/console/integrity" not in staff.get("/console/cases").body.decode()


def test_a_failing_record_is_reported_alone_and_its_retry_changes_nothing_twice(
    hall: tuple[Any, Any, Streams], lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake, _, streams = hall
    for _ in range(2):
        assert intake.http.post("/v1/evaluations", headers=JSON, body=json.dumps(RATING).encode()).status_code == 201
    records = streams.records()
    watcher = runtime.integrity_watcher()
    failing_id = json.dumps(records[1]["dynamodb"]["NewImage"]["evaluation_id"])
    real = watcher.evaluation

    def flaky(seen: Any) -> Any:
        if json.dumps({"S": seen.evaluation_id}) == failing_id:
            raise ConnectionError("the table is not reachable")
        return real(seen)

    monkeypatch.setattr(watcher, "evaluation", flaky)
    failed = failed_item_ids(integrity_watch.handler({"Records": records}, lambda_context))
    assert failed == [records[1]["dynamodb"]["SequenceNumber"]]

    monkeypatch.setattr(watcher, "evaluation", real)
    assert failed_item_ids(integrity_watch.handler({"Records": records}, lambda_context)) == []
    today = datetime.now(zone()).date()
    flagged = runtime.watch_store().flagged_on(today)
    assert len([patterns for patterns in flagged.values() if patterns]) == 2


def test_alerts_reach_the_topic_with_the_division_each_subscription_filters_on(aws: AwsResources) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="supervisor-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="chaoyang-supervisors")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"region_code": [{"prefix": "1101"}]}), "RawMessageDelivery": "true"},
    )
    alerts = SnsAlerts(topic)
    at = datetime(2026, 11, 24, 9, 0, tzinfo=zone())
    for region in ("110105", "513231"):
        alerts.send(
            Alert(
                kind=AlertKind.OVERDUE_ESCALATION,
                key=f"overdue#{region}",
                region_code=region,
                agency_code=f"{region}-GA",
                at=at,
                title_zh="差评案件超期提级",
                title_en="Bad-review case escalated as overdue",
                detail_zh="详情",
                detail_en="Details",
            )
        )
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert messages[0]["Body"].startswith("差评案件超期提级") and "overdue#110105" in messages[0]["Body"]
