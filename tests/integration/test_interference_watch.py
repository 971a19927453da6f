"""Interference patterns and supervisor alerts (docs/integrity.md §3 and §4): each pattern planted and
flagged, honest traffic at a busy window flagged never, each alert sent once per cause and period.

The watcher runs on its DynamoDB store in moto (the reference table), as the stream function runs it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from govrate.integrity.alerts import Alert, AlertKind
from govrate.integrity.patterns import Flag, Pattern, WatchThresholds
from govrate.integrity.store import DynamoWatchStore
from govrate.integrity.watch import ObservedEscalation, ObservedEvaluation, ObservedRecord, Watcher
from govrate.kernel.clock import zone
from govrate.kernel.errors import StorageUnavailable
from govrate.kernel.scale import Level
from ulid import ULID

from tests.integration.conftest import AwsResources

START = datetime(2026, 11, 24, 9, 0, tzinfo=zone())  # a Tuesday morning at the service hall
AGENCY = "110105-GA"
ITEM = "110105-GA-002"


class RecordedAlerts:
    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self.failures = 0

    def send(self, alert: Alert) -> None:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("the topic is not reachable")
        self.sent.append(alert)

    def of(self, kind: AlertKind) -> list[Alert]:
        return [alert for alert in self.sent if alert.kind is kind]


@pytest.fixture
def store(aws: AwsResources) -> DynamoWatchStore:
    return DynamoWatchStore(aws.reference_table, shards=4)


@pytest.fixture
def alerts() -> RecordedAlerts:
    return RecordedAlerts()


@pytest.fixture
def watcher(store: DynamoWatchStore, alerts: RecordedAlerts) -> Watcher:
    return Watcher(
        store=store,
        alerts=alerts,
        thresholds=WatchThresholds(),
        evaluation_deadline=lambda _region, completed_at: completed_at + timedelta(days=7),
        case_division=lambda _evaluation_id: ("110105", AGENCY),
    )


def rating(at: datetime, **overrides: Any) -> ObservedEvaluation:
    fields: dict[str, Any] = {
        "evaluation_id": str(ULID.from_datetime(at)),
        "region_code": "110105",
        "agency_code": AGENCY,
        "item_code": ITEM,
        "window_id": "W01",
        "record_id": None,
        "level": Level.VERY_SATISFIED,
        "created_at": at,
        **overrides,
    }
    return ObservedEvaluation(**fields)


def flags_of(raised: list[Flag], pattern: Pattern) -> list[Flag]:
    return [flag for flag in raised if flag.pattern is pattern]


def all_flags(store: DynamoWatchStore) -> list[Flag]:
    return store.flags_in("110000", START.date())


def test_a_burst_of_top_ratings_at_one_window_is_flagged_with_every_evaluation_of_it(
    watcher: Watcher, store: DynamoWatchStore, alerts: RecordedAlerts
) -> None:
    burst = [rating(START + timedelta(seconds=5 * i)) for i in range(12)]
    for seen in burst:
        watcher.evaluation(seen)

    [flag] = all_flags(store)
    assert (flag.pattern, flag.window_id, flag.agency_code) == (Pattern.TOP_BURST, "W01", AGENCY)
    assert flag.evidence == {"top_ratings": 10, "threshold": 10, "seconds": 60}
    assert set(flag.evaluation_ids) == {seen.evaluation_id for seen in burst}
    flagged = store.flagged_on(START.date())
    assert all(flagged[seen.evaluation_id] == (Pattern.TOP_BURST,) for seen in burst)
    [alert] = alerts.sent
    assert (alert.kind, alert.region_code) == (AlertKind.INTERFERENCE_FLAG, "110105")
    assert alert.title_zh.startswith("评价干扰嫌疑") and "burst of top ratings" in alert.title_en


def test_a_burst_at_one_item_across_windows_is_flagged_for_the_item(watcher: Watcher, store: DynamoWatchStore) -> None:
    for i in range(30):  # 30 top ratings in 58 s over ten windows: three at each, no window burst
        watcher.evaluation(rating(START + timedelta(seconds=2 * i), window_id=f"W{i % 10:02d}"))

    [flag] = all_flags(store)
    assert (flag.pattern, flag.window_id, flag.item_code) == (Pattern.TOP_BURST, None, ITEM)
    assert len(flag.evaluation_ids) == 30


def test_one_client_rating_many_records_is_flagged_without_naming_the_client(
    watcher: Watcher, store: DynamoWatchStore
) -> None:
    client = "3f1c0a9e5b7d4c2a8e6f1b0d9c7a5e3f"
    ratings = [
        rating(START + timedelta(minutes=7 * i), window_id=None, record_id=f"BJ-{i}", client_key=client)
        for i in range(5)
    ]
    raised = [flag for seen in ratings for flag in watcher.evaluation(seen)]

    [flag] = flags_of(raised, Pattern.CLIENT_MANY_RECORDS)
    assert flag.evidence == {"records": 5, "threshold": 5}
    [stored] = all_flags(store)
    assert set(stored.evaluation_ids) == {seen.evaluation_id for seen in ratings}
    assert client not in json.dumps(stored.model_dump(mode="json"))


def test_flags_seen_at_intake_become_flags_of_the_evaluation(watcher: Watcher, store: DynamoWatchStore) -> None:
    from_staff = rating(START, intake_flags=(Pattern.STAFF_NETWORK,), staff_network="hall staff LAN")
    too_early = rating(START + timedelta(minutes=1), record_id="BJ-9", intake_flags=(Pattern.BEFORE_COMPLETION,))
    watcher.evaluation(from_staff)
    watcher.evaluation(too_early)

    by_pattern = {flag.pattern: flag for flag in all_flags(store)}
    assert by_pattern[Pattern.STAFF_NETWORK].evaluation_ids == (from_staff.evaluation_id,)
    assert by_pattern[Pattern.STAFF_NETWORK].evidence == {"evaluations": 1, "network": "hall staff LAN"}
    assert by_pattern[Pattern.BEFORE_COMPLETION].evaluation_ids == (too_early.evaluation_id,)


def test_identical_comments_are_compared_by_a_normalized_hash(watcher: Watcher, store: DynamoWatchStore) -> None:
    comments = [
        "窗口工作人员态度非常好，办事效率高！",
        "窗口工作人员态度非常好 办事效率高",
        "窗口工作人员态度非常好。办事效率高!!",
    ]
    same = [rating(START + timedelta(hours=i), level=Level.SATISFIED, comment=text) for i, text in enumerate(comments)]
    for seen in same:
        watcher.evaluation(seen)
    watcher.evaluation(rating(START + timedelta(hours=4), level=Level.SATISFIED, comment="很好"))  # too short

    [flag] = all_flags(store)
    assert flag.pattern is Pattern.IDENTICAL_COMMENTS
    assert set(flag.evaluation_ids) == {seen.evaluation_id for seen in same}
    assert "态度" not in json.dumps(flag.model_dump(mode="json"), ensure_ascii=False)


def test_records_registered_en_masse_as_their_rating_period_ends_are_flagged(
    watcher: Watcher, store: DynamoWatchStore
) -> None:
    completed = START - timedelta(days=6, hours=12)  # half a day of the 7-day period left
    for i in range(20):
        watcher.record(ObservedRecord(f"BJ-{i:03d}", "110105", AGENCY, completed, START + timedelta(minutes=i)))
    # Registered on time: not noted.
    watcher.record(ObservedRecord("BJ-ON-TIME", "110105", AGENCY, START, START + timedelta(minutes=30)))

    [flag] = all_flags(store)
    assert flag.pattern is Pattern.LATE_RECORDS
    assert len(flag.record_ids) == 20 and "BJ-ON-TIME" not in flag.record_ids
    assert flag.evidence["records"] == 20


class SeriesReads(DynamoWatchStore):
    """The store, counting how many times a series is read in full."""

    reads = 0

    def members(self, series: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        self.reads += 1
        return super().members(series, since, until)


def test_a_long_burst_reads_each_series_once_when_its_flag_is_raised_and_every_event_joins_it(
    aws: AwsResources, alerts: RecordedAlerts
) -> None:
    store = SeriesReads(aws.reference_table, shards=4)
    watcher = Watcher(
        store=store,
        alerts=alerts,
        thresholds=WatchThresholds(),
        evaluation_deadline=lambda _region, completed_at: completed_at + timedelta(days=7),
        case_division=lambda _evaluation_id: ("110105", AGENCY),
    )
    completed = START - timedelta(days=6, hours=12)
    late = [
        ObservedRecord(f"BJ-{i:03d}", "110105", AGENCY, completed, START + timedelta(seconds=10 * i)) for i in range(50)
    ]
    burst = [rating(START + timedelta(seconds=i)) for i in range(40)]  # one window, one item
    for seen in late:
        watcher.record(seen)
    for evaluation in burst:
        watcher.evaluation(evaluation)

    assert store.reads == 3  # the late records' series, then the window's and the item's top ratings
    by_pattern = {(flag.pattern, flag.window_id): flag for flag in all_flags(store)}
    records = by_pattern[Pattern.LATE_RECORDS, None]
    assert set(records.record_ids) == {seen.record_id for seen in late}
    assert records.evidence["records"] == 20  # as raised
    for window in ("W01", None):
        assert set(by_pattern[Pattern.TOP_BURST, window].evaluation_ids) == {seen.evaluation_id for seen in burst}
    assert len(alerts.sent) == 3


def test_late_records_registered_in_utc_are_flagged_and_alerted_in_local_time(
    watcher: Watcher, store: DynamoWatchStore, alerts: RecordedAlerts
) -> None:
    registered = START.astimezone(UTC)  # the records API stamps its records in UTC
    completed = registered - timedelta(days=6, hours=12)
    for i in range(20):
        watcher.record(ObservedRecord(f"BJ-{i:03d}", "110105", AGENCY, completed, registered + timedelta(minutes=i)))

    [flag] = all_flags(store)
    assert flag.raised_at.utcoffset() == timedelta(hours=8)
    [alert] = alerts.sent
    assert alert.text.endswith("2026-11-24 09:19")


def test_the_english_part_of_an_alert_is_in_english(watcher: Watcher, alerts: RecordedAlerts) -> None:
    for i in range(12):
        watcher.evaluation(rating(START + timedelta(seconds=5 * i)))

    [alert] = alerts.sent
    assert "window W01" in alert.detail_en and "item 110105-GA-002" in alert.detail_en
    assert "窗口 W01" in alert.detail_zh and "事项 110105-GA-002" in alert.detail_zh
    assert not any("\u4e00" <= char <= "\u9fff" for char in alert.title_en + alert.detail_en)


def test_honest_traffic_at_a_busy_window_raises_no_flag_and_no_alert(
    watcher: Watcher, store: DynamoWatchStore, alerts: RecordedAlerts
) -> None:
    """Three ratings a minute for an hour, from distinct clients, mostly top ratings, varied comments."""
    for i in range(180):
        level = Level.DISSATISFIED if i % 30 == 7 else (Level.VERY_SATISFIED if i % 4 else Level.SATISFIED)
        watcher.evaluation(
            rating(
                START + timedelta(seconds=20 * i),
                level=level,
                record_id=f"BJ-{i:04d}",
                client_key=f"client-{i:04d}",
                comment=f"第{i}位办事群众：办理材料齐全，等候{i % 13 + 2}分钟",
            )
        )

    assert all_flags(store) == []
    assert store.flagged_on(START.date()) == {}
    assert alerts.sent == []


def test_a_redelivered_stream_record_changes_nothing(
    watcher: Watcher, store: DynamoWatchStore, alerts: RecordedAlerts
) -> None:
    burst = [rating(START + timedelta(seconds=i)) for i in range(10)]
    for seen in [*burst, *burst, burst[-1]]:
        watcher.evaluation(seen)

    [flag] = all_flags(store)
    assert len(flag.evaluation_ids) == 10
    assert len(alerts.sent) == 1
    assert store.count("top#window#W01", START - timedelta(hours=1), START + timedelta(hours=1)) == 10


# --- alerts ------------------------------------------------------------------------------------------


def test_a_high_bad_review_share_alerts_once_per_window_and_agency_and_hour(
    watcher: Watcher, alerts: RecordedAlerts
) -> None:
    for i in range(7):
        watcher.evaluation(rating(START + timedelta(minutes=i), level=Level.SATISFIED))
    for i in range(3):  # 3 of 10 in the hour: 30 %, the default threshold
        watcher.evaluation(rating(START + timedelta(minutes=10 + i), level=Level.VERY_DISSATISFIED))

    shares = alerts.of(AlertKind.BAD_REVIEW_SHARE)
    assert sorted(alert.key.split("#")[1] for alert in shares) == ["agency", "window"]
    assert "3 of 10 evaluations" in shares[0].detail_en and "差评" in shares[0].title_zh

    for i in range(5):  # more bad reviews in the same hour: the supervisor was told already
        watcher.evaluation(rating(START + timedelta(minutes=20 + i), level=Level.DISSATISFIED))
    assert len(alerts.of(AlertKind.BAD_REVIEW_SHARE)) == 2

    watcher.evaluation(rating(START + timedelta(minutes=65), level=Level.DISSATISFIED))  # the next hour
    assert len(alerts.of(AlertKind.BAD_REVIEW_SHARE)) == 4


def test_below_the_minimum_count_no_share_alert_fires(watcher: Watcher, alerts: RecordedAlerts) -> None:
    for i in range(9):  # every one a bad review, but only 9 in the hour
        watcher.evaluation(rating(START + timedelta(minutes=i), level=Level.VERY_DISSATISFIED))
    assert alerts.sent == []


def test_an_interference_flag_alerts_once_however_many_evaluations_join_it(
    watcher: Watcher, alerts: RecordedAlerts
) -> None:
    for i in range(25):
        watcher.evaluation(rating(START + timedelta(seconds=2 * i)))
    assert len(alerts.of(AlertKind.INTERFERENCE_FLAG)) == 1


def test_overdue_escalations_alert_once_per_agency_and_hour(watcher: Watcher, alerts: RecordedAlerts) -> None:
    for i in range(4):  # one sweep escalates four cases
        watcher.escalation(ObservedEscalation(f"01CASE{i}", START + timedelta(seconds=i)))
    watcher.escalation(ObservedEscalation("01CASE9", START + timedelta(hours=1, minutes=15)))

    overdue = alerts.of(AlertKind.OVERDUE_ESCALATION)
    assert len(overdue) == 2
    assert overdue[0].agency_code == AGENCY and "01CASE0" in overdue[0].detail_en


def test_an_alert_that_could_not_be_sent_is_sent_on_the_retry_and_only_once(
    watcher: Watcher, alerts: RecordedAlerts
) -> None:
    alerts.failures = 1
    escalation = ObservedEscalation("01CASE1", START)
    with pytest.raises(StorageUnavailable):
        watcher.escalation(escalation)
    watcher.escalation(escalation)  # the stream delivers the record again
    watcher.escalation(escalation)
    assert len(alerts.sent) == 1


def test_default_ratings_given_by_the_system_are_not_watched(watcher: Watcher, alerts: RecordedAlerts) -> None:
    for i in range(40):
        watcher.evaluation(rating(START + timedelta(seconds=i), system_given=True))
    assert alerts.sent == []
