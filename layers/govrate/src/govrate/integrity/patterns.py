"""Interference patterns: what a flag says, the thresholds that raise one, and the checks made at intake.

Two patterns are decided at intake, synchronously, from what only the request has: an address in a
staff network (the address is used to decide and then forgotten) and a rating of a service record
that is not completed yet. Intake writes them on the evaluation (`intake_flags`); the stream watcher
(`govrate.integrity.watch`) turns them into flags like the patterns it detects itself over sliding
windows. A flag never stops or changes an evaluation, and the evaluator is never told.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from govrate.kernel.contracts import Contract

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Pattern(StrEnum):
    TOP_BURST = "top_burst"
    """Many top ratings (非常满意) at one window or one service item within a minute."""
    CLIENT_MANY_RECORDS = "client_many_records"
    """One client (by the day's hash of its address) rating many service records in a day."""
    STAFF_NETWORK = "staff_network"
    """A rating from an address in a staff network of the region (a staff terminal, the agency's LAN)."""
    BEFORE_COMPLETION = "before_completion"
    """A rating of a service record given before the record's completion time."""
    IDENTICAL_COMMENTS = "identical_comments"
    """The same comment (after normalization) on several evaluations of one agency in a day."""
    LATE_RECORDS = "late_records"
    """Many records of one agency registered with their rating period almost over: unrated, they get
    the region's default rating (default-rating harvesting)."""

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]


_LABELS_ZH = {
    Pattern.TOP_BURST: "短时集中好评",
    Pattern.CLIENT_MANY_RECORDS: "同一终端评价多件办件",
    Pattern.STAFF_NETWORK: "来自工作人员网络",
    Pattern.BEFORE_COMPLETION: "办结前评价",
    Pattern.IDENTICAL_COMMENTS: "相同评价内容",
    Pattern.LATE_RECORDS: "临近评价期满集中登记办件",
}
_LABELS_EN = {
    Pattern.TOP_BURST: "burst of top ratings",
    Pattern.CLIENT_MANY_RECORDS: "one client rating many records",
    Pattern.STAFF_NETWORK: "rated from a staff network",
    Pattern.BEFORE_COMPLETION: "rated before the record was completed",
    Pattern.IDENTICAL_COMMENTS: "identical comments",
    Pattern.LATE_RECORDS: "records registered en masse as their rating period ends",
}


class Flag(Contract):
    """One interference flag: the pattern, its subject and the counts that raised it; no personal data."""

    flag_id: str
    pattern: Pattern
    region_code: str
    agency_code: str
    window_id: str | None = None
    item_code: str | None = None
    raised_at: datetime
    period_start: datetime
    """The start of the period the flag stands for (an hour, a day, or the evaluation's own time)."""
    evidence: dict[str, int | str] = Field(description="Counts and thresholds that raised the flag.")
    evaluation_ids: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchThresholds:
    """When a pattern is flagged and when a bad-review share alerts (settings `GOVRATE_WATCH_*`, docs/integrity.md)."""

    top_burst_seconds: int = 60
    top_burst_per_window: int = 10
    top_burst_per_item: int = 30
    client_records_per_day: int = 5
    identical_comments: int = 3
    identical_comment_hours: int = 24
    comment_min_chars: int = 8
    late_record_hours: int = 24
    late_records_per_hour: int = 20
    bad_share: float = 0.3
    bad_share_min_count: int = 10
    bad_share_minutes: int = 60

    @property
    def top_burst_window(self) -> timedelta:
        return timedelta(seconds=self.top_burst_seconds)


StaffNetworks = dict[str, list[Annotated[IpNetwork, Field(union_mode="left_to_right")]]]
"""Label (e.g. `513221 hall staff LAN`) → the address ranges under it."""


def staff_network_of(address: str, networks: StaffNetworks) -> str | None:
    """The label of the first staff network that holds `address`, or None (also for a malformed address)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    for label, ranges in networks.items():
        if any(parsed.version == network.version and parsed in network for network in ranges):
            return label
    return None


_NOT_WORDS = re.compile(r"[\W_]+", re.UNICODE)


def comment_digest(comment: str | None, *, min_chars: int) -> str | None:
    """A hash of the comment's words (NFKC, case-folded, punctuation and spaces dropped), or None for a
    comment too short to tell anything (“很好”, “满意”): the text itself is never kept for comparison."""
    if not comment:
        return None
    normalized = _NOT_WORDS.sub("", unicodedata.normalize("NFKC", comment).casefold())
    if len(normalized) < min_chars:
        return None
    return hashlib.sha256(normalized.encode()).hexdigest()


def intake_flags(
    *, staff_network: str | None, record_completed_at: datetime | None, now: datetime
) -> tuple[Pattern, ...]:
    """The patterns an evaluation shows at intake."""
    flags = []
    if staff_network is not None:
        flags.append(Pattern.STAFF_NETWORK)
    if record_completed_at is not None and now < record_completed_at:
        flags.append(Pattern.BEFORE_COMPLETION)
    return tuple(flags)
