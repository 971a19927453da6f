"""How long a sign-in must wait after failed attempts: no network, the policy alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from govrate.identity.sessions import ACCOUNT_POLICY, AttemptPolicy, SignInAttempts

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def failures(policy: AttemptPolicy, count: int, *, every: timedelta) -> SignInAttempts:
    attempts = SignInAttempts()
    for n in range(count):
        attempts = policy.after_failure(attempts, START + every * n)
    return attempts


def test_a_few_failures_are_free_then_each_waits_twice_as_long_up_to_the_cap() -> None:
    policy = ACCOUNT_POLICY
    for count in range(policy.free):
        assert policy.wait(failures(policy, count, every=timedelta(0)), START) == timedelta(0)
    waits = []
    for count in range(policy.free, policy.lock_after):
        attempts = failures(policy, count, every=timedelta(0))
        waits.append(policy.wait(attempts, START))
    assert waits[:3] == [timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4)]
    assert max(waits) == policy.max_delay
    assert waits == sorted(waits)


def test_the_lock_comes_after_lock_after_failures_lasts_lock_for_and_comes_back_at_the_next_failure() -> None:
    policy = ACCOUNT_POLICY
    every = policy.max_delay
    locked = failures(policy, policy.lock_after, every=every)
    last = START + every * (policy.lock_after - 1)
    assert locked.locks == 1 and locked.locked_until == last + policy.lock_for
    assert policy.wait(locked, last + timedelta(minutes=1)) == policy.lock_for - timedelta(minutes=1)
    after = last + policy.lock_for + policy.max_delay
    assert policy.wait(locked, after) == timedelta(0)
    again = policy.after_failure(locked, after)
    assert again.locks == 2 and policy.wait(again, after) == policy.lock_for
