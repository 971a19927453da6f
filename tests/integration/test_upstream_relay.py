"""Two levels on moto: a stage (the downstream, the shared test resources) relays to its upstream (a
second set of tables, the "national" level) through the FIFO queue, signed as a platform, while the
upstream is down and after it returns.

Both levels run in this process like two Lambda containers: the upstream's intake function serves each
of the sender's requests with its own settings, handed over as API Gateway hands them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
import requests
import upstream_sender
from govrate import runtime
from govrate.cases.store import CaseRepository
from govrate.evaluations.models import CaseState, HandlingRating
from govrate.integrity.seal_store import TableSealSources
from govrate.storage.schema import TABLES
from govrate.upstream.models import RelayedCaseState
from govrate.upstream.store import RelayedCaseStateRepository
from ulid import ULID

from local.lambdas import failed_item_ids, sqs_event_record
from tests.integration.conftest import AwsResources
from tests.integration.gateway_support import HOST, STAGE, deliver
from tests.integration.test_case_support import World, build_world

UPSTREAM_URL = f"https://{HOST}/{STAGE}"
KEY_ID = "beijing-2026"
KEY = "n" * 64
CST = timezone(timedelta(hours=8))


@dataclass
class National:
    """The upstream level: its settings, whether it answers, and the case states it was asked to keep."""

    environment: dict[str, str]
    down: bool = False
    case_states: list[tuple[str, int, bool]] = field(default_factory=list)

    @contextmanager
    def serving(self) -> Iterator[None]:
        before = {name: os.environ.get(name) for name in self.environment}
        os.environ.update(self.environment)
        runtime.reset()
        try:
            yield
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            runtime.reset()

    def items(self, table: str) -> list[dict[str, Any]]:
        name = self.environment[f"GOVRATE_{table.upper()}_TABLE"]
        return list(boto3.resource("dynamodb").Table(name).scan()["Items"])


@dataclass
class Province:
    """The downstream level: the shared world, with its upstream queue."""

    world: World
    queue_url: str
    dead_letters_url: str
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))

    def send_round(self) -> tuple[int, int]:
        """What Lambda's poller does once: receive up to 10, run the sender, delete what it did not fail;
        a failed message is received again (its visibility timeout, here at once). (received, failed)"""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0, 0
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]
        event = {"Records": [sqs_event_record(message, arn["QueueArn"]) for message in messages]}
        failed = set(failed_item_ids(upstream_sender.handler(event, self.world.ctx)))
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages), len(failed)

    def queued(self) -> int:
        return self.world.queue_depth(self.queue_url)

    def settle(self) -> None:
        """Every change so far through the relay, the cases opened, and their new states relayed too."""
        self.world.deliver()
        self.world.relay_stream()


def _create_tables(prefix: str) -> dict[str, str]:
    dynamodb = boto3.client("dynamodb")
    names = {}
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_arguments(f"{prefix}-{spec.name}"))
        names[f"GOVRATE_{spec.name.upper()}_TABLE"] = f"{prefix}-{spec.name}"
    return names


@pytest.fixture
def levels(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Province, National]]:
    secrets = boto3.client("secretsmanager")
    sqs = boto3.client("sqs")
    # The national operator registered the province as a platform for Beijing, and handed over its key.
    national_key = secrets.create_secret(Name="national/platforms/beijing", SecretString=KEY)["ARN"]
    national = National(
        {
            **_create_tables("national"),
            "GOVRATE_PLATFORMS": json.dumps(
                {KEY_ID: {"platform_id": "beijing", "regions": ["110000"], "secret_arn": national_key}}
            ),
        }
    )
    credentials = secrets.create_secret(
        Name="province/upstream", SecretString=json.dumps({"key": KEY, "api_key": "from-the-national-operator"})
    )["ARN"]
    dead_letters_url = sqs.create_queue(QueueName="province-upstream-dlq.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    queue_url = sqs.create_queue(QueueName="province-upstream.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for name, value in {
        "GOVRATE_UPSTREAM_QUEUE_URL": queue_url,
        "GOVRATE_UPSTREAM_DEAD_LETTER_QUEUE_URL": dead_letters_url,
        "GOVRATE_UPSTREAM_URL": UPSTREAM_URL,
        "GOVRATE_UPSTREAM_KEY_ID": KEY_ID,
        "GOVRATE_UPSTREAM_SECRET_ARN": credentials,
    }.items():
        monkeypatch.setenv(name, value)

    original_send = requests.Session.send

    def send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not (request.url or "").startswith(UPSTREAM_URL):
            return original_send(session, request, **kwargs)
        if national.down:
            raise requests.ConnectionError(f"connection refused: {request.url}")
        with national.serving():
            answer = deliver(request)
        response = requests.Response()
        response.status_code = answer.status
        response._content = json.dumps(answer.body).encode()
        response.headers.update(answer.headers)
        response.url = request.url or ""
        return response

    monkeypatch.setattr(requests.Session, "send", send)
    apply = RelayedCaseStateRepository.apply

    def recorded(repository: RelayedCaseStateRepository, state: Any, relayed_by: str) -> bool:
        kept = apply(repository, state, relayed_by)
        national.case_states.append((state.case_id, state.version, kept))
        return kept

    monkeypatch.setattr(RelayedCaseStateRepository, "apply", recorded)
    for world in build_world(aws, monkeypatch):
        yield Province(world, queue_url, dead_letters_url), national


def test_an_upstream_outage_loses_nothing_and_the_backlog_arrives_once_each_case_in_order(
    levels: tuple[Province, National],
) -> None:
    province, national = levels
    world = province.world
    national.down = True
    posted = [world.review()["evaluation_id"] for _ in range(3)]
    posted.append(world.review(contact=False, level=5, reason_codes=[], comment="很好")["evaluation_id"])
    province.settle()
    li = world.staff("li.ming")
    for evaluation_id in posted[:3]:
        world.ok_step(li, evaluation_id, "contact", {"reached": True, "channel": "phone", "note": "已致电张三"})
    province.settle()
    # 4 evaluations, 3 cases opened and contacted (and their contact viewed): 2 to 3 states each.
    waiting = province.queued()
    assert waiting >= 4 + 3 * 2

    for _ in range(3):  # the upstream is down: each try fails the whole batch, and nothing leaves the queue
        received, failed = province.send_round()
        assert received == failed > 0
    assert province.queued() == waiting
    assert national.items("evaluations") == []

    # More comes in while it is down.
    posted.append(world.review()["evaluation_id"])
    province.settle()
    assert province.queued() > waiting

    national.down = False
    for _ in range(50):
        received, failed = province.send_round()
        assert failed == 0
        if not received:
            break
    assert province.queued() == 0

    stored = [item for item in national.items("evaluations") if item["entity"] == "evaluation"]
    assert sorted(item["evaluation_id"] for item in stored) == sorted(posted)
    for item in stored:
        assert item["relayed_by"] == "beijing"
        assert "contact_cipher" not in item
        assert item.get("comment") is None
    assert {item["real_name"] for item in stored if item["evaluation_id"] in posted[:3]} == {True}
    # Every case's states arrived in the order they happened, each version once, all kept.
    by_case: dict[str, list[int]] = {}
    for case_id, version, kept in national.case_states:
        assert kept, (case_id, version)
        by_case.setdefault(case_id, []).append(version)
    assert set(by_case) == {*posted[:3], posted[4]}
    for versions in by_case.values():
        assert versions == sorted(set(versions))
    # The upstream keeps the latest state of each case, and opened no case of its own for them.
    kept_states = {item["evaluation_id"]: item for item in national.items("cases")}
    assert {item["sk"] for item in kept_states.values()} == {"RELAYED"}
    assert {case_id: int(item["audit_count"]) for case_id, item in kept_states.items()} == {
        case_id: versions[-1] for case_id, versions in by_case.items()
    }
    assert kept_states[posted[0]]["state"] == "contacted"
    assert province.world.queue_depth(province.dead_letters_url) == 0
    # The upstream's nightly analysis reads them, each at its latest version, beside no case of its own.
    with national.serving():
        sources = runtime.fact_sources()
        day = runtime.now().date()
        assert list(sources.cases_on(day)) == []
        counted = {state.case_id: state.version for state in sources.relayed_cases_on(day)}
    assert counted == {case_id: versions[-1] for case_id, versions in by_case.items()}


def test_a_relayed_case_state_is_read_by_its_days_analysis_only(aws: AwsResources) -> None:
    repository = RelayedCaseStateRepository(aws.cases_table, day_shards=4)
    given = datetime(2026, 11, 24, 23, 30, tzinfo=CST)  # 15:30 UTC: the local day counts
    state = RelayedCaseState(
        case_id=str(ULID.from_datetime(given)),
        agency_code="110105-GA",
        region_code="110105",
        item_code="110105-GA-001",
        state=CaseState.ANSWERED,
        version=7,
        opened_at=given,
        evaluated_at=given,
        real_name=True,
        answered_at=given + timedelta(days=3),
        answered_within_deadline=True,
        visited_and_rectified=True,
        handling_rating=HandlingRating.SATISFIED,
    )
    older = state.model_copy(update={"state": CaseState.CONTACTED, "version": 3, "answered_at": None})
    assert repository.apply(state, "beijing")
    assert not repository.apply(older, "beijing")

    assert list(repository.states_on(date(2026, 11, 24))) == [state]
    assert list(repository.states_on(date(2026, 11, 23))) == []
    # Neither the stage's own cases of the day nor the seals of its audit chains meet it.
    assert list(CaseRepository(aws.cases_table, day_shards=4).cases_on(date(2026, 11, 24))) == []
    seals = TableSealSources(aws.evaluations_table, aws.cases_table, day_shards=4)
    assert list(seals.cases_on(date(2026, 11, 24))) == []
