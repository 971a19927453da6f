"""Abuse limits of the unauthenticated paths: per client, per window and per service item.

A limit is a fixed period (an hour for a client, a minute for a window or an item) and the most
evaluations that may arrive in it. Every attempt is counted before anything is stored, so a flood
costs the flooder its own attempts and nothing else; an attempt over a limit is refused with the
seconds until its period ends. The client is known only by a keyed hash of its address whose key
changes every day: counts can be kept for the day, but no address is stored and no client can be
followed from one day to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from govrate.integrity.patterns import StaffNetworks, staff_network_of
from govrate.kernel.errors import TooManyRequests


class Scope(StrEnum):
    CLIENT = "client"
    WINDOW = "window"
    ITEM = "item"


@dataclass(frozen=True)
class Limit:
    scope: Scope
    most: int
    period: timedelta


@dataclass(frozen=True)
class IntakeLimits:
    per_client_per_hour: int
    per_window_per_minute: int
    per_item_per_minute: int

    def limit(self, scope: Scope) -> Limit:
        if scope is Scope.CLIENT:
            return Limit(scope, self.per_client_per_hour, timedelta(hours=1))
        if scope is Scope.WINDOW:
            return Limit(scope, self.per_window_per_minute, timedelta(minutes=1))
        return Limit(scope, self.per_item_per_minute, timedelta(minutes=1))


class CounterRepository(Protocol):
    def increment(self, key: str, *, expires_at: datetime) -> int:
        """Add one to the counter `key` (created at 0), kept at least until `expires_at`; the new count."""
        ...


@dataclass(frozen=True)
class Arrival:
    """Where an evaluation attempt came from and what it rates. The address itself is not kept: only
    the day's hash of it and the label of the staff network that holds it, if one does."""

    client: str
    window_id: str | None
    item_code: str | None
    staff_network: str | None = None


def client_key(address: str, *, secret: bytes, day: date) -> str:
    """A keyed hash of the client's address under a key of the day: the same all day, unlinkable across days."""
    daily_key = hmac.new(secret, f"client-of-the-day#{day.isoformat()}".encode(), hashlib.sha256).digest()
    return hmac.new(daily_key, address.encode(), hashlib.sha256).hexdigest()[:32]


class IntakeGate:
    """Counts each attempt against the limits it falls under; TooManyRequests once one is over."""

    def __init__(
        self,
        limits: IntakeLimits,
        counters: CounterRepository,
        secret: bytes,
        staff_networks: StaffNetworks | None = None,
    ) -> None:
        self._limits = limits
        self._counters = counters
        self._secret = secret
        self._staff_networks = staff_networks or {}

    def arrival(self, address: str, *, window_id: str | None, item_code: str | None, now: datetime) -> Arrival:
        return Arrival(
            client_key(address, secret=self._secret, day=now.date()),
            window_id,
            item_code,
            staff_network_of(address, self._staff_networks),
        )

    def admit(self, arrival: Arrival, *, now: datetime) -> None:
        subjects = ((Scope.CLIENT, arrival.client), (Scope.WINDOW, arrival.window_id), (Scope.ITEM, arrival.item_code))
        for scope, subject in subjects:
            if subject is None:
                continue
            limit = self._limits.limit(scope)
            start = _period_start(now, limit.period)
            end = start + limit.period
            count = self._counters.increment(f"{scope}#{subject}#{start.isoformat()}", expires_at=end + limit.period)
            if count > limit.most:
                raise TooManyRequests(
                    f"more than {limit.most} evaluations per {_spoken(limit.period)} from one {scope}",
                    retry_after_s=max(1, math.ceil((end - now).total_seconds())),
                )


def _period_start(now: datetime, period: timedelta) -> datetime:
    seconds = int(period.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _spoken(period: timedelta) -> str:
    return "hour" if period >= timedelta(hours=1) else "minute"
