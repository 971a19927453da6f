"""The integrity watcher's items in the reference table, each kind under its own key prefix:

- `SERIES#<series>` / `<utc time>#<member>`: a sliding-window series, one item per member (TTL);
- `FLAGS#<province>#<yyyymm>` / `FLAG#<flag id>`: a flag, listed per province and month of its period;
- `FLAGGED#<yyyymmdd>#<shard>` / `<evaluation id>#<flag id>`: a flag on an evaluation of that local day;
- `ALERT#<key>` / `ALERT`: the claim of one alert (TTL).
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from govrate.integrity.patterns import Flag, Pattern
from govrate.kernel.clock import local_day, zone
from govrate.kernel.divisions import DivisionLevel, enclosing
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import bind

FLAGGED_PREFIX = "FLAGGED#"
WATCH_KEY_PREFIXES = ("SERIES#", "FLAGS#", FLAGGED_PREFIX, "ALERT#")


class SeriesItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()


class FlagItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    flag_id = UnicodeAttribute()
    pattern = UnicodeAttribute()
    region_code = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    window_id = UnicodeAttribute(null=True)
    item_code = UnicodeAttribute(null=True)
    raised_at = UnicodeAttribute()
    period_start = UnicodeAttribute()
    evidence = UnicodeAttribute()
    evaluation_ids = UnicodeSetAttribute(null=True)
    record_ids = UnicodeSetAttribute(null=True)


class MarkItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    pattern = UnicodeAttribute()


class AlertClaimItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()


def _stamp(moment: datetime) -> str:
    """A UTC time of fixed width, so that times sort as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DynamoWatchStore:
    def __init__(self, table_name: str, *, shards: int, utc_offset_hours: int = 8) -> None:
        self._series = bind(SeriesItem, table_name)
        self._flags = bind(FlagItem, table_name)
        self._marks = bind(MarkItem, table_name)
        self._alerts = bind(AlertClaimItem, table_name)
        self._shards = shards
        self._offset = utc_offset_hours

    def note(self, series: str, member: str, at: datetime, *, keep_until: datetime) -> None:
        with translated("reference table"):
            self._series(f"SERIES#{series}", f"{_stamp(at)}#{member}", expires_at=keep_until).save()

    def members(self, series: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        with translated("reference table"):
            items = self._series.query(f"SERIES#{series}", self._between(since, until), consistent_read=True)
            return [(stamp_member[1], _parse(stamp_member[0])) for stamp_member in (i.sk.split("#", 1) for i in items)]

    def count(self, series: str, since: datetime, until: datetime, *, up_to: int | None = None) -> int:
        with translated("reference table"):
            if up_to is None:
                return self._series.count(f"SERIES#{series}", self._between(since, until), consistent_read=True)
            # One request for at most `up_to` keys (pynamodb's count with a limit pages on through all).
            keys = self._series.query(
                f"SERIES#{series}",
                self._between(since, until),
                consistent_read=True,
                limit=up_to,
                attributes_to_get=["pk", "sk"],
            )
            return sum(1 for _ in keys)

    def _between(self, since: datetime, until: datetime) -> Condition:
        return self._series.sk.between(_stamp(since), f"{_stamp(until)}#\uffff")

    def flag_exists(self, flag: Flag) -> bool:
        with translated("reference table"):
            partition, sort = self._flag_key(flag)
            return self._flags.count(partition, self._flags.sk == sort, consistent_read=True) > 0

    def raise_flag(self, flag: Flag) -> None:
        item = self._flags(*self._flag_key(flag))
        model = self._flags
        actions: list[Action] = [
            model.flag_id.set(model.flag_id | flag.flag_id),
            model.pattern.set(model.pattern | flag.pattern.value),
            model.region_code.set(model.region_code | flag.region_code),
            model.agency_code.set(model.agency_code | flag.agency_code),
            model.raised_at.set(model.raised_at | flag.raised_at.isoformat()),
            model.period_start.set(model.period_start | flag.period_start.isoformat()),
            model.evidence.set(model.evidence | json.dumps(flag.evidence, sort_keys=True)),
        ]
        if flag.window_id:
            actions.append(model.window_id.set(model.window_id | flag.window_id))
        if flag.item_code:
            actions.append(model.item_code.set(model.item_code | flag.item_code))
        if flag.evaluation_ids:
            actions.append(model.evaluation_ids.add(set(flag.evaluation_ids)))
        if flag.record_ids:
            actions.append(model.record_ids.add(set(flag.record_ids)))
        with translated("reference table"):
            item.update(actions=actions)

    def mark(self, flag: Flag, evaluations: Sequence[tuple[str, datetime]]) -> None:
        with translated("reference table"), self._marks.batch_write() as batch:
            for evaluation_id, at in evaluations:
                batch.save(
                    self._marks(
                        self._mark_partition(
                            local_day(at, self._offset), zlib.crc32(evaluation_id.encode()) % self._shards
                        ),
                        f"{evaluation_id}#{flag.flag_id}",
                        pattern=flag.pattern.value,
                    )
                )

    def flags_in(self, province_code: str, month: date) -> list[Flag]:
        with translated("reference table"):
            items = list(self._flags.query(f"FLAGS#{province_code}#{month:%Y%m}", self._flags.sk.startswith("FLAG#")))
        return [_to_flag(item) for item in items]

    def flagged_on(self, day: date) -> dict[str, tuple[Pattern, ...]]:
        flagged: defaultdict[str, set[Pattern]] = defaultdict(set)
        with translated("reference table"):
            for shard in range(self._shards):
                for item in self._marks.query(self._mark_partition(day, shard)):
                    flagged[item.sk.split("#", 1)[0]].add(Pattern(item.pattern))
        return {evaluation_id: tuple(sorted(patterns)) for evaluation_id, patterns in flagged.items()}

    def claim_alert(self, key: str, *, keep_until: datetime) -> bool:
        claim = self._alerts(f"ALERT#{key}", "ALERT", expires_at=keep_until)
        try:
            claim.save(condition=self._alerts.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise storage_error(exc, "reference table") from exc
        return True

    def release_alert(self, key: str) -> None:
        with translated("reference table"):
            self._alerts(f"ALERT#{key}", "ALERT").delete()

    def _flag_key(self, flag: Flag) -> tuple[str, str]:
        month = flag.period_start.astimezone(zone(self._offset))
        province = enclosing(flag.region_code, DivisionLevel.PROVINCE)
        return f"FLAGS#{province}#{month:%Y%m}", f"FLAG#{flag.flag_id}"

    @staticmethod
    def _mark_partition(day: date, shard: int) -> str:
        return f"{FLAGGED_PREFIX}{day:%Y%m%d}#{shard:03d}"


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _to_flag(item: FlagItem) -> Flag:
    return Flag(
        flag_id=item.flag_id,
        pattern=Pattern(item.pattern),
        region_code=item.region_code,
        agency_code=item.agency_code,
        window_id=item.window_id,
        item_code=item.item_code,
        raised_at=datetime.fromisoformat(item.raised_at),
        period_start=datetime.fromisoformat(item.period_start),
        evidence=json.loads(item.evidence),
        evaluation_ids=tuple(sorted(item.evaluation_ids or ())),
        record_ids=tuple(sorted(item.record_ids or ())),
    )
