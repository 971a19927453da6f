"""The integrity watcher: what the evaluations and cases streams tell about interference, and the
supervisors' alerts.

Each new evaluation (and each new service record) is noted in sliding-window series — one per
window, item, agency, client of the day or comment — whose members are stored items keyed by time,
so that noting the same stream record twice changes nothing and a count is exact over any window.
Crossing a threshold raises a flag (one per pattern, subject and period) that attaches every
evaluation of the window, and one alert per cause and period. Times are the evaluations' own, so a
late or re-delivered batch gives the flags it would have given on time. A series is counted only up
to its threshold and read in full only by the event that raises its flag; the later events of a
burst join the standing flag, so each costs the same however long the burst grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TypeAlias, overload

from govrate.integrity.alerts import Alert, AlertKind
from govrate.integrity.patterns import Flag, Pattern, WatchThresholds, comment_digest
from govrate.integrity.ports import AlertSender, WatchStore
from govrate.kernel.clock import zone
from govrate.kernel.scale import Level

# How long a claimed alert key is kept: longer than any period it names.
ALERT_KEY_DAYS = 3
_SERIES_MARGIN = timedelta(hours=1)
# A flag as it is first raised (its evidence and record ids) and the evaluations it attaches.
_Raised: TypeAlias = tuple[Flag, Sequence[tuple[str, datetime]]]


@dataclass(frozen=True)
class ObservedEvaluation:
    """A new evaluation as its stream image shows it."""

    evaluation_id: str
    region_code: str
    agency_code: str
    item_code: str | None
    window_id: str | None
    record_id: str | None
    level: Level
    created_at: datetime
    system_given: bool = False
    client_key: str | None = None
    comment: str | None = None
    intake_flags: tuple[Pattern, ...] = ()
    staff_network: str | None = None


@dataclass(frozen=True)
class ObservedRecord:
    """A newly registered service record, with the time the stream saw it registered."""

    record_id: str
    region_code: str
    agency_code: str
    completed_at: datetime
    registered_at: datetime


@dataclass(frozen=True)
class ObservedEscalation:
    """A case escalated by the overdue sweep (its audit entry `escalate_overdue`)."""

    evaluation_id: str
    at: datetime


@dataclass(frozen=True)
class _Subject:
    region_code: str
    agency_code: str
    window_id: str | None = None
    item_code: str | None = None


class Watcher:
    def __init__(
        self,
        *,
        store: WatchStore,
        alerts: AlertSender,
        thresholds: WatchThresholds,
        evaluation_deadline: Callable[[str, datetime], datetime],
        case_division: Callable[[str], tuple[str, str]],
        utc_offset_hours: int = 8,
    ) -> None:
        """`evaluation_deadline(region, completed_at)`: until when a record can be rated (the region's
        policy); `case_division(evaluation_id)`: the region and agency of a case."""
        self._store = store
        self._alerts = alerts
        self._limits = thresholds
        self._deadline = evaluation_deadline
        self._case_division = case_division
        self._zone = zone(utc_offset_hours)

    # --- evaluations -------------------------------------------------------------------------------

    def evaluation(self, seen: ObservedEvaluation) -> list[Flag]:
        """Flags raised or joined by a new evaluation, after sending the alerts it causes."""
        if seen.system_given:
            return []  # the default ratings of the sweep: given by the system, nobody interfered
        flags = [self._intake_flag(seen, pattern) for pattern in seen.intake_flags]
        subject = _Subject(seen.region_code, seen.agency_code, seen.window_id, seen.item_code)
        if seen.level is Level.VERY_SATISFIED:
            flags += self._top_bursts(seen, subject)
        if seen.client_key and seen.record_id:
            flags += self._client_many_records(seen)
        digest = comment_digest(seen.comment, min_chars=self._limits.comment_min_chars)
        if digest is not None:
            flags += self._identical_comments(seen, digest)
        self._bad_review_share(seen)
        return flags

    def _intake_flag(self, seen: ObservedEvaluation, pattern: Pattern) -> Flag:
        evidence: dict[str, int | str] = {"evaluations": 1}
        if pattern is Pattern.STAFF_NETWORK and seen.staff_network:
            evidence["network"] = seen.staff_network
        flag = self._flag(
            f"{pattern}#{seen.evaluation_id}",
            pattern,
            _Subject(seen.region_code, seen.agency_code, seen.window_id, seen.item_code),
            seen.created_at,
            evidence,
        )
        this = [(seen.evaluation_id, seen.created_at)]
        return self._raise(flag, this, lambda: (flag, this))

    def _top_bursts(self, seen: ObservedEvaluation, subject: _Subject) -> list[Flag]:
        flags = [
            self._top_burst(seen, subject, kind, code, most)
            for kind, code, most in (
                ("window", seen.window_id, self._limits.top_burst_per_window),
                ("item", seen.item_code, self._limits.top_burst_per_item),
            )
            if code is not None
        ]
        return [flag for flag in flags if flag is not None]

    def _top_burst(self, seen: ObservedEvaluation, subject: _Subject, kind: str, code: str, most: int) -> Flag | None:
        series, span = f"top#{kind}#{code}", self._limits.top_burst_window
        if not self._reached(series, seen.evaluation_id, seen.created_at, span, most):
            return None
        period = _hour(seen.created_at, self._zone)
        flag = self._flag(
            f"{Pattern.TOP_BURST}#{kind}#{code}#{period.isoformat()}",
            Pattern.TOP_BURST,
            _Subject(
                subject.region_code, subject.agency_code, seen.window_id if kind == "window" else None, seen.item_code
            ),
            seen.created_at,
            {"threshold": most, "seconds": self._limits.top_burst_seconds},
            period,
        )
        return self._raise_on_series(flag, (seen.evaluation_id, seen.created_at), series, span, "top_ratings")

    def _client_many_records(self, seen: ObservedEvaluation) -> list[Flag]:
        assert seen.client_key is not None and seen.record_id is not None
        # The client key changes every day, so the series is the client's day. Its members are the
        # client's evaluations; fewer of them than the threshold cannot be that many records.
        series, span, most = f"client#{seen.client_key}", timedelta(days=1), self._limits.client_records_per_day
        if not self._reached(series, f"{seen.record_id}@{seen.evaluation_id}", seen.created_at, span, most):
            return []
        # The flag names neither the client nor its hash: a digest of the hash is its subject.
        client = hashlib.sha256(seen.client_key.encode()).hexdigest()[:16]
        flag = self._flag(
            f"{Pattern.CLIENT_MANY_RECORDS}#{client}",
            Pattern.CLIENT_MANY_RECORDS,
            _Subject(seen.region_code, seen.agency_code),
            seen.created_at,
            {"threshold": most},
        )

        def first() -> _Raised | None:
            members = self._store.members(series, seen.created_at - span, seen.created_at)
            records = {member.partition("@")[0] for member, _ in members}
            if len(records) < most:
                return None
            evaluations = [(member.partition("@")[2], at) for member, at in members]
            return _with_evidence(flag, records=len(records)), evaluations

        raised = self._raise(flag, [(seen.evaluation_id, seen.created_at)], first)
        return [raised] if raised else []

    def _identical_comments(self, seen: ObservedEvaluation, digest: str) -> list[Flag]:
        series = f"comment#{seen.agency_code}#{digest}"
        span, most = timedelta(hours=self._limits.identical_comment_hours), self._limits.identical_comments
        if not self._reached(series, seen.evaluation_id, seen.created_at, span, most):
            return []
        period = seen.created_at.astimezone(self._zone).replace(hour=0, minute=0, second=0, microsecond=0)
        flag = self._flag(
            f"{Pattern.IDENTICAL_COMMENTS}#{seen.agency_code}#{digest[:24]}#{period.date().isoformat()}",
            Pattern.IDENTICAL_COMMENTS,
            _Subject(seen.region_code, seen.agency_code),
            seen.created_at,
            {"threshold": most, "hours": self._limits.identical_comment_hours},
            period,
        )
        return [self._raise_on_series(flag, (seen.evaluation_id, seen.created_at), series, span, "evaluations")]

    def _bad_review_share(self, seen: ObservedEvaluation) -> None:
        span = timedelta(minutes=self._limits.bad_share_minutes)
        for kind, code in (("window", seen.window_id), ("agency", seen.agency_code)):
            if code is None:
                continue
            self._note(f"all#{kind}#{code}", seen.evaluation_id, seen.created_at, span)
            if not seen.level.is_bad_review:
                continue
            self._note(f"bad#{kind}#{code}", seen.evaluation_id, seen.created_at, span)
            since = seen.created_at - span
            total = self._store.count(f"all#{kind}#{code}", since, seen.created_at)
            bad = self._store.count(f"bad#{kind}#{code}", since, seen.created_at)
            if total < self._limits.bad_share_min_count or bad < self._limits.bad_share * total:
                continue
            period = _hour(seen.created_at, self._zone)
            where_zh = f"窗口 {code}" if kind == "window" else f"部门 {code}"
            where_en = f"window {code}" if kind == "window" else f"agency {code}"
            minutes = self._limits.bad_share_minutes
            self._alert(
                Alert(
                    kind=AlertKind.BAD_REVIEW_SHARE,
                    key=f"{AlertKind.BAD_REVIEW_SHARE}#{kind}#{code}#{period.isoformat()}",
                    region_code=seen.region_code,
                    agency_code=seen.agency_code,
                    at=seen.created_at,
                    title_zh=f"差评占比过高：{where_zh}",
                    title_en=f"High share of bad reviews: {where_en}",
                    detail_zh=f"最近{minutes}分钟 {total} 条评价中有 {bad} 条差评"
                    f"（阈值 {self._limits.bad_share:.0%}）。",
                    detail_en=f"{bad} of {total} evaluations in the last {minutes} minutes are bad reviews "
                    f"(threshold {self._limits.bad_share:.0%}).",
                )
            )

    # --- service records ---------------------------------------------------------------------------

    def record(self, seen: ObservedRecord) -> Flag | None:
        """A record registered with its rating period almost over is noted per agency; a mass of them
        in an hour is flagged (unrated, each would get the region's default rating)."""
        left = self._deadline(seen.region_code, seen.completed_at) - seen.registered_at
        if left > timedelta(hours=self._limits.late_record_hours):
            return None
        series, span, most = f"late#{seen.agency_code}", timedelta(hours=1), self._limits.late_records_per_hour
        if not self._reached(series, seen.record_id, seen.registered_at, span, most):
            return None
        period = _hour(seen.registered_at, self._zone)
        flag = self._flag(
            f"{Pattern.LATE_RECORDS}#{seen.agency_code}#{period.isoformat()}",
            Pattern.LATE_RECORDS,
            _Subject(seen.region_code, seen.agency_code),
            seen.registered_at.astimezone(self._zone),
            {"threshold": most, "hours_left_at_most": self._limits.late_record_hours},
            period,
        )

        def first() -> _Raised:
            members = self._store.members(series, seen.registered_at - span, seen.registered_at)
            record_ids = tuple(member for member, _ in members)
            return _with_evidence(flag, records=len(members)).model_copy(update={"record_ids": record_ids}), []

        return self._raise(flag.model_copy(update={"record_ids": (seen.record_id,)}), [], first)

    # --- cases ---------------------------------------------------------------------------------------

    def escalation(self, seen: ObservedEscalation) -> None:
        """One notice per agency and hour of overdue escalations (the sweep escalates in batches)."""
        region_code, agency_code = self._case_division(seen.evaluation_id)
        period = _hour(seen.at, self._zone)
        self._alert(
            Alert(
                kind=AlertKind.OVERDUE_ESCALATION,
                key=f"{AlertKind.OVERDUE_ESCALATION}#{agency_code}#{period.isoformat()}",
                region_code=region_code,
                agency_code=agency_code,
                at=seen.at,
                title_zh=f"差评案件超期提级：部门 {agency_code}",
                title_en=f"Bad-review case escalated as overdue: agency {agency_code}",
                detail_zh=f"案件 {seen.evaluation_id} 已超过处理期限并提级。本小时内该部门的其他超期案件见案件控制台。",
                detail_en=f"Case {seen.evaluation_id} passed its deadline and was escalated. Other overdue "
                "cases of the agency this hour are in the case console.",
            )
        )

    # --- flags and alerts --------------------------------------------------------------------------

    def _note(self, series: str, member: str, at: datetime, span: timedelta) -> None:
        self._store.note(series, member, at, keep_until=at + span + _SERIES_MARGIN)

    def _reached(self, series: str, member: str, at: datetime, span: timedelta, threshold: int) -> bool:
        """Note the member; whether the series holds `threshold` members in the span up to `at` (counted
        no further than the threshold)."""
        self._note(series, member, at, span)
        return self._store.count(series, at - span, at, up_to=threshold) >= threshold

    def _flag(  # noqa: PLR0917 (the parts of a flag, in the order they are read)
        self,
        key: str,
        pattern: Pattern,
        subject: _Subject,
        at: datetime,
        evidence: dict[str, int | str],
        period: datetime | None = None,
    ) -> Flag:
        return Flag(
            flag_id=hashlib.sha256(key.encode()).hexdigest()[:24],
            pattern=pattern,
            region_code=subject.region_code,
            agency_code=subject.agency_code,
            window_id=subject.window_id,
            item_code=subject.item_code,
            raised_at=at,
            period_start=period or at,
            evidence=evidence,
        )

    def _raise_on_series(
        self, flag: Flag, seen: tuple[str, datetime], series: str, span: timedelta, counted_as: str
    ) -> Flag:
        """Raise the flag with every evaluation of the series in the span up to `seen` (their number its
        evidence `counted_as`), or join `seen` to it when it stands."""
        at = seen[1]

        def first() -> _Raised:
            members = self._store.members(series, at - span, at)
            return _with_evidence(flag, **{counted_as: len(members)}), members

        return self._raise(flag, [seen], first)

    @overload
    def _raise(self, flag: Flag, newly: Sequence[tuple[str, datetime]], first: Callable[[], _Raised]) -> Flag: ...

    @overload
    def _raise(
        self, flag: Flag, newly: Sequence[tuple[str, datetime]], first: Callable[[], _Raised | None]
    ) -> Flag | None: ...

    def _raise(
        self, flag: Flag, newly: Sequence[tuple[str, datetime]], first: Callable[[], _Raised | None]
    ) -> Flag | None:
        """When the flag stands, join to it the new evaluations (`newly`) and the record ids `flag`
        carries; else raise it as `first` makes it (its evidence and record ids), with every evaluation
        of its window, or raise nothing when `first` finds no cause. The marks are written before the
        flag, so a retry after a failure in between marks them all again; the alert is claimed after,
        once per flag."""
        if self._store.flag_exists(flag):
            attach = newly
        else:
            raised = first()
            if raised is None:
                return None
            flag, attach = raised
        self._store.mark(flag, attach)
        flag = flag.model_copy(update={"evaluation_ids": tuple(evaluation_id for evaluation_id, _ in attach)})
        self._store.raise_flag(flag)
        self._alert(
            Alert(
                kind=AlertKind.INTERFERENCE_FLAG,
                key=f"{AlertKind.INTERFERENCE_FLAG}#{flag.flag_id}",
                region_code=flag.region_code,
                agency_code=flag.agency_code,
                at=flag.raised_at,
                title_zh=f"评价干扰嫌疑：{flag.pattern.label_zh}",
                title_en=f"Possible interference: {flag.pattern.label_en}",
                detail_zh=f"部门 {flag.agency_code}{_where(flag, window='窗口', item='事项')}；依据 {_evidence(flag)}。"
                "请在控制台查看。",
                detail_en=f"Agency {flag.agency_code}{_where(flag, window='window', item='item')}; evidence "
                f"{_evidence(flag)}. See the console.",
            )
        )
        return flag

    def _alert(self, alert: Alert) -> None:
        if not self._store.claim_alert(alert.key, keep_until=alert.at + timedelta(days=ALERT_KEY_DAYS)):
            return
        try:
            self._alerts.send(alert)
        except Exception:
            self._store.release_alert(alert.key)
            raise


def _with_evidence(flag: Flag, **counted: int) -> Flag:
    return flag.model_copy(update={"evidence": {**counted, **flag.evidence}})


def _hour(moment: datetime, local_zone: tzinfo) -> datetime:
    return moment.astimezone(local_zone).replace(minute=0, second=0, microsecond=0)


def _where(flag: Flag, *, window: str, item: str) -> str:
    parts = [
        f"{window} {flag.window_id}" if flag.window_id else "",
        f"{item} {flag.item_code}" if flag.item_code else "",
    ]
    return "".join(f" · {part}" for part in parts if part)


def _evidence(flag: Flag) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(flag.evidence.items()))
