"""Console sessions: signing in (with limits on wrong passwords), the session each request carries,
and signing out.

A session is an opaque random id in the browser's cookie and a stored document: who signed in (the
actor from their Cognito groups), the Cognito refresh token, the form token every state-changing
form carries, and its times. It ends at sign-out, after IDLE_TIMEOUT without a request, after
ABSOLUTE_TIMEOUT in any case, and as soon as a check with Cognito fails; that check runs when a
request comes more than RECHECK_AFTER after the last one: the refresh token must still be honoured
(not revoked by a sign-out or a global sign-out), the new access token must still stand (the account
enabled), and the account's groups are read again, so a change of role or agency applies within
minutes too.

Wrong passwords are counted per account and per client (the caller's address), before Cognito is
asked, so that parallel guesses are counted too: a few are free, then each waits twice as long as the
one before, and past LOCK_AFTER the account is locked for LOCK_FOR. Its owner is told at the next
sign-in. A browser that has signed in to the account before (a trusted-device cookie) is counted on
its own instead of on the account and the client, so that neither someone who knows a staff member's
user name nor the typos of others at the same address can keep them out. An attempt refused for
waiting is not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from govrate.identity.auth import NotSignedIn, StaffAccounts, TokenVerifier
from govrate.identity.model import Actor
from govrate.identity.ports import DEVICE_KEY_PREFIX, SESSION_KEY_PREFIX, SIGN_IN_KEY_PREFIX, SessionDocuments
from govrate.kernel.contracts import Contract
from govrate.kernel.errors import Forbidden, StorageUnavailable, TooManyAttempts
from govrate.kernel.observability import logger

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
RECHECK_AFTER = timedelta(minutes=2)
# last_seen_at is written at most this often (the idle timeout is counted from it).
TOUCH_AFTER = timedelta(minutes=1)
DEVICE_LIFETIME = timedelta(days=90)
# Failed attempts are forgotten this long after the last one.
ATTEMPTS_KEPT = timedelta(days=1)


class StaffSession(Contract):
    username: str
    actor: Actor
    refresh_token: str
    form_token: str
    created_at: datetime
    last_seen_at: datetime
    checked_at: datetime
    notice: str | None = None

    def ends_at(self) -> datetime:
        return min(self.created_at + ABSOLUTE_TIMEOUT, self.last_seen_at + IDLE_TIMEOUT)


class SignInAttempts(Contract):
    """The failed attempts of one account, client or device."""

    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    locks: int = 0


class TrustedDevice(Contract):
    username: str


@dataclass(frozen=True)
class AttemptPolicy:
    """`free` failures cost nothing; then the n-th waits 2**(n - free) seconds, at most `max_delay`;
    `lock_after` failures lock for `lock_for`, and each failure after that locks again."""

    kind: str
    free: int
    max_delay: timedelta
    lock_after: int
    lock_for: timedelta

    def wait(self, attempts: SignInAttempts, now: datetime) -> timedelta:
        if attempts.locked_until is not None and now < attempts.locked_until:
            return attempts.locked_until - now
        if attempts.failures < self.free or attempts.last_failure_at is None:
            return timedelta(0)
        delay = min(timedelta(seconds=2 ** min(attempts.failures - self.free, 30)), self.max_delay)
        return max(timedelta(0), attempts.last_failure_at + delay - now)

    def after_failure(self, attempts: SignInAttempts, now: datetime) -> SignInAttempts:
        failures = attempts.failures + 1
        locks = failures >= self.lock_after
        return SignInAttempts(
            failures=failures,
            last_failure_at=now,
            locked_until=now + self.lock_for if locks else attempts.locked_until,
            locks=attempts.locks + (1 if locks else 0),
        )


ACCOUNT_POLICY = AttemptPolicy(
    "account", free=3, max_delay=timedelta(minutes=1), lock_after=10, lock_for=timedelta(minutes=15)
)
# A service hall signs in from one address: more room, the same shape.
CLIENT_POLICY = AttemptPolicy(
    "client", free=20, max_delay=timedelta(minutes=1), lock_after=100, lock_for=timedelta(minutes=15)
)
DEVICE_POLICY = AttemptPolicy(
    "device", free=3, max_delay=timedelta(minutes=1), lock_after=10, lock_for=timedelta(minutes=15)
)


@dataclass(frozen=True)
class SessionPorts:
    accounts: StaffAccounts
    verifier: TokenVerifier
    store: SessionDocuments


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    session: StaffSession
    device_token: str


def sign_in(
    username: str, password: str, *, client: str, device_token: str | None, ports: SessionPorts, now: datetime
) -> SignedIn:
    """A new session for the account; NotSignedIn for a wrong name or password (or an account without
    its groups), TooManyAttempts while the account, the device or the client must wait."""
    account = username.strip().lower()
    device = _trusted_device(device_token, account, ports.store, now)
    # A browser that signed in to the account before is counted on its own: neither a guesser of the
    # user name nor a colleague's typos at the same address (one NAT for a whole hall) keep it out.
    counters = [(DEVICE_POLICY, device)] if device else [(CLIENT_POLICY, client), (ACCOUNT_POLICY, account)]
    before = _take_attempt(counters, ports.store, now)
    try:
        tokens = ports.accounts.sign_in(username, password)
        actor = ports.verifier.actor(tokens.access_token)
    except NotSignedIn:
        _warn_if_locked(counters, ports.store, account, now)
        raise
    # The client's count is given back (a hall's colleagues sign in from one address); the account's or
    # device's starts again.
    for policy, key in counters:
        if policy is CLIENT_POLICY:
            ports.store.put(SIGN_IN_KEY_PREFIX, f"{policy.kind}#{key}", before[policy], expires_at=now + ATTEMPTS_KEPT)
        else:
            ports.store.delete(SIGN_IN_KEY_PREFIX, f"{policy.kind}#{key}")
    # Whoever signs in learns what happened to the account since, even from a trusted device.
    missed = _attempts(ACCOUNT_POLICY, account, ports.store, now) if device else before[ACCOUNT_POLICY]
    if device:
        ports.store.delete(SIGN_IN_KEY_PREFIX, f"{ACCOUNT_POLICY.kind}#{account}")
    session_id = secrets.token_urlsafe(32)
    session = StaffSession(
        username=username,
        actor=actor,
        refresh_token=tokens.refresh_token,
        form_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        checked_at=now,
        notice=_notice(missed),
    )
    ports.store.put(SESSION_KEY_PREFIX, _digest(session_id), session, expires_at=session.ends_at())
    new_device = device_token if device and device_token else secrets.token_urlsafe(32)
    ports.store.put(
        DEVICE_KEY_PREFIX, _digest(new_device), TrustedDevice(username=account), expires_at=now + DEVICE_LIFETIME
    )
    return SignedIn(session_id, session, new_device)


def current_session(session_id: str, *, ports: SessionPorts, now: datetime) -> StaffSession:
    """The live session of the id; NotSignedIn when there is none, it has timed out, or Cognito no
    longer honours it (which ends it)."""
    key = _digest(session_id)
    session = ports.store.get(SESSION_KEY_PREFIX, key, StaffSession, now=now)
    if session is None or now >= session.ends_at():
        raise NotSignedIn("no live session")
    if now - session.checked_at >= RECHECK_AFTER:
        try:
            access_token = ports.accounts.refresh(session.refresh_token)
            ports.accounts.check(access_token)
            actor = ports.verifier.actor(access_token)
        except NotSignedIn:
            ports.store.delete(SESSION_KEY_PREFIX, key)
            raise
        session = session.model_copy(update={"actor": actor, "checked_at": now, "last_seen_at": now})
    elif now - session.last_seen_at >= TOUCH_AFTER:
        session = session.model_copy(update={"last_seen_at": now})
    else:
        return session
    ports.store.put(SESSION_KEY_PREFIX, key, session, expires_at=session.ends_at())
    return session


def sign_out(session_id: str, *, ports: SessionPorts, now: datetime) -> None:
    """End the session here, and its refresh token at Cognito. The session ends even when Cognito
    cannot be reached (or, as moto, does not revoke tokens): the refresh token is known only to the
    deleted session."""
    key = _digest(session_id)
    session = ports.store.get(SESSION_KEY_PREFIX, key, StaffSession, now=now)
    ports.store.delete(SESSION_KEY_PREFIX, key)
    if session is None:
        return
    try:
        ports.accounts.sign_out(session.refresh_token)
    except StorageUnavailable as exc:
        logger.warning("refresh token not revoked; the session has ended", extra={"reason": str(exc)})


def check_form_token(session: StaffSession, form_token: str | None) -> None:
    """Forbidden unless a state-changing form carries its session's form token."""
    if not form_token or not hmac.compare_digest(form_token.encode(), session.form_token.encode()):
        raise Forbidden("the form is not from this session: reload the page and try again")


def _take_attempt(
    counters: list[tuple[AttemptPolicy, str]], store: SessionDocuments, now: datetime
) -> dict[AttemptPolicy, SignInAttempts]:
    """Count an attempt as failed on every counter before it is made (a success forgives it), so that
    parallel guesses are all counted; TooManyAttempts, with the longest wait and nothing counted, while
    any counter must wait. Returns each counter's count before."""
    current = {
        policy: store.get_versioned(SIGN_IN_KEY_PREFIX, f"{policy.kind}#{key}", SignInAttempts, now=now)
        for policy, key in counters
    }
    waits = {policy: policy.wait(attempts or SignInAttempts(), now) for policy, (attempts, _) in current.items()}
    longest = max(waits, key=lambda policy: waits[policy])
    if waits[longest] > timedelta(0):
        raise TooManyAttempts(
            f"too many failed sign-ins ({longest.kind}); wait before trying again", _seconds(waits[longest])
        )
    before: dict[AttemptPolicy, SignInAttempts] = {}
    for policy, key in counters:
        attempts, version = current[policy]
        before[policy] = attempts or SignInAttempts()
        counted = policy.after_failure(before[policy], now)
        if not store.put_versioned(
            SIGN_IN_KEY_PREFIX, f"{policy.kind}#{key}", counted, expires_at=now + ATTEMPTS_KEPT, version=version
        ):
            raise TooManyAttempts("another sign-in of the same account or client is under way", 1)
    return before


def _attempts(policy: AttemptPolicy, key: str, store: SessionDocuments, now: datetime) -> SignInAttempts:
    attempts, _ = store.get_versioned(SIGN_IN_KEY_PREFIX, f"{policy.kind}#{key}", SignInAttempts, now=now)
    return attempts or SignInAttempts()


def _warn_if_locked(
    counters: list[tuple[AttemptPolicy, str]], store: SessionDocuments, account: str, now: datetime
) -> None:
    for policy, key in counters:
        attempts = _attempts(policy, key, store, now)
        if attempts.locked_until is not None and attempts.failures >= policy.lock_after:
            logger.warning(
                "sign-in locked",
                extra={
                    "kind": policy.kind,
                    "account": account,
                    "failures": attempts.failures,
                    "locked_until": attempts.locked_until.isoformat(),
                },
            )


def _trusted_device(device_token: str | None, account: str, store: SessionDocuments, now: datetime) -> str | None:
    """The device's key when the browser has signed in to this account before."""
    if not device_token:
        return None
    device = store.get(DEVICE_KEY_PREFIX, _digest(device_token), TrustedDevice, now=now)
    return _digest(device_token) if device is not None and device.username == account else None


def _notice(missed: SignInAttempts) -> str | None:
    """What the owner of an account is told of the failed sign-ins since their last one."""
    failures = missed.failures
    if failures == 0:
        return None
    text = f"上次登录以来有 {failures} 次失败的登录尝试 {failures} failed sign-in attempts since your last sign-in"
    if missed.locks and missed.locked_until is not None:
        until = missed.locked_until.isoformat(timespec="minutes")
        text += f"；账户曾被临时锁定至 {until}; the account was locked until {until}"
    return text + "。如非本人操作，请联系管理员 If this was not you, tell your administrator."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))
