"""The abuse limits of the unauthenticated paths, on an in-memory counter store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from govrate.integrity.limits import IntakeGate, IntakeLimits, client_key
from govrate.kernel.clock import zone
from govrate.kernel.errors import TooManyRequests

LIMITS = IntakeLimits(per_client_per_hour=20, per_window_per_minute=20, per_item_per_minute=120)
SECRET = b"test-secret"
START = datetime(2026, 11, 30, 9, 0, 30, tzinfo=zone())


class MemoryCounters:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.expiries: dict[str, datetime] = {}

    def increment(self, key: str, *, expires_at: datetime) -> int:
        self.counts[key] += 1
        self.expiries[key] = expires_at
        return self.counts[key]


@pytest.fixture
def counters() -> MemoryCounters:
    return MemoryCounters()


@pytest.fixture
def gate(counters: MemoryCounters) -> IntakeGate:
    return IntakeGate(LIMITS, counters, SECRET)


def attempt(gate: IntakeGate, address: str, now: datetime, window_id: str | None = "W01", item: str = "I-1") -> None:
    gate.admit(gate.arrival(address, window_id=window_id, item_code=item, now=now), now=now)


def test_honest_citizens_at_a_busy_window_are_never_limited(gate: IntakeGate) -> None:
    """Three ratings a minute for an hour, each from its own phone, at one window and one item."""
    for minute in range(60):
        for k in range(3):
            attempt(gate, f"10.1.{minute}.{k}", START + timedelta(minutes=minute, seconds=20 * k))


def test_one_client_is_limited_per_hour_with_the_seconds_until_the_hour_ends(gate: IntakeGate) -> None:
    for k in range(20):
        attempt(gate, "203.0.113.9", START + timedelta(minutes=2 * k), window_id=f"W{k}", item=f"I-{k}")
    with pytest.raises(TooManyRequests) as refused:
        attempt(gate, "203.0.113.9", START + timedelta(minutes=45), window_id="W99", item="I-99")
    assert refused.value.retry_after_s == 15 * 60 - 30
    attempt(gate, "203.0.113.9", START + timedelta(hours=1), window_id="W99", item="I-99")  # the next hour


def test_a_window_is_limited_per_minute_whoever_rates(gate: IntakeGate) -> None:
    for k in range(20):
        attempt(gate, f"198.51.100.{k}", START, item=f"I-{k}")
    with pytest.raises(TooManyRequests) as refused:
        attempt(gate, "198.51.100.200", START + timedelta(seconds=10), item="I-200")
    assert refused.value.retry_after_s == 20
    attempt(gate, "198.51.100.201", START + timedelta(seconds=30), item="I-201")  # the next minute


def test_an_item_is_limited_per_minute_across_windows(gate: IntakeGate) -> None:
    for k in range(120):
        attempt(gate, f"192.0.2.{k}", START, window_id=f"W{k}")
    with pytest.raises(TooManyRequests):
        attempt(gate, "192.0.2.250", START, window_id="W250")


def test_the_client_is_stored_only_as_a_hash_that_changes_every_day(counters: MemoryCounters) -> None:
    gate = IntakeGate(LIMITS, counters, SECRET)
    attempt(gate, "203.0.113.9", START)
    assert not any("203.0.113.9" in key for key in counters.counts)
    today = client_key("203.0.113.9", secret=SECRET, day=START.date())
    assert today == client_key("203.0.113.9", secret=SECRET, day=START.date())
    assert today != client_key("203.0.113.9", secret=SECRET, day=(START + timedelta(days=1)).date())
    assert today != client_key("203.0.113.9", secret=b"another deployment", day=START.date())
    assert any(today in key for key in counters.counts)


def test_counters_expire_after_their_period(counters: MemoryCounters, gate: IntakeGate) -> None:
    attempt(gate, "203.0.113.9", START)
    assert max(counters.expiries.values()) <= START + timedelta(hours=2)
    assert min(counters.expiries.values()) > START
