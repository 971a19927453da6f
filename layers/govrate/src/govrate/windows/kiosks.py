"""The evaluation device (kiosk) of a window: it offers the transaction the window system has just finished.

The window system registers the service record (which gives its ticket) and pushes the ticket to
its window; the kiosk, opened at the window's signed kiosk address, asks for the current transaction
and rates it by its sequence number. A ticket is accepted only for a record served at that window,
so nobody can put another window's (or another applicant's) transaction on a kiosk, and the kiosk
never rates anything it was not offered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from govrate.evaluations.models import Channel, EvaluationAccepted
from govrate.identity.model import Actor
from govrate.kernel.errors import Conflict, Gone, InvalidInput
from govrate.kernel.qr_codes import TICKET_PATH, WindowTokenSigner, kiosk_url
from govrate.rating.models import KioskEvaluation, KioskIssued, KioskTransaction, TransactionPush
from govrate.rating.service import Rating, RatingStores, open_ticket_rating, submit_rating
from govrate.windows.models import ServiceWindow
from govrate.windows.service import administered_window

if TYPE_CHECKING:
    from govrate.windows.kiosk_store import KioskRepository, StoredTransaction


def issue_kiosk(
    window_id: str, *, actor: Actor, stores: RatingStores, signer: WindowTokenSigner, base_url: str
) -> KioskIssued:
    """The kiosk address of a window, for its administrators; Gone while the window is revoked. Rotating
    the window changes it."""
    window = administered_window(window_id, actor=actor, windows=stores.windows)
    if window.revoked:
        raise Gone(f"window {window_id} is revoked")
    return KioskIssued(
        window_id=window_id,
        rotation=window.rotation,
        url=kiosk_url(base_url, signer.sign(window_id, window.rotation)),
    )


def open_kiosk(token: str, *, stores: RatingStores, signer: WindowTokenSigner) -> ServiceWindow:
    """The window of a kiosk address: NotFound when forged, Gone after a rotation or while revoked."""
    claims = signer.verify(token)
    window = stores.windows.get(claims.window_id)
    if window.revoked or window.rotation != claims.rotation:
        raise Gone("this kiosk address has been replaced or withdrawn")
    return window


def push_transaction(
    window_id: str,
    push: TransactionPush,
    *,
    stores: RatingStores,
    kiosks: KioskRepository,
    now: datetime,
    offer_minutes: int,
    base_url: str,
) -> KioskTransaction:
    """Offer a finished transaction on the window's kiosk, replacing the one offered before.

    The ticket must be one we signed, of a record served at this window and still open for rating
    (NotFound, InvalidInput, EvaluationPeriodOver, Conflict when every stage is rated).
    """
    from govrate.windows.kiosk_store import PendingTransaction

    window = stores.windows.get(window_id)
    if window.revoked:
        raise Gone(f"window {window_id} is revoked")
    target = open_ticket_rating(push.ticket, stores=stores, now=now, channel=Channel.WINDOW_DEVICE)
    if target.window_id != window_id:
        raise InvalidInput(
            "the service record was not served at this window",
            [{"field": "ticket_url", "message": f"the record names window {target.window_id or 'none'}"}],
        )
    if push.stage is None:
        stage = target.open_stages[0]
    elif push.stage not in {choice.stage for choice in target.stages}:
        raise InvalidInput(
            "the record has no such stage",
            [{"field": "stage", "message": f"choose one of {', '.join(c.stage for c in target.stages)}"}],
        )
    elif push.stage not in target.open_stages:
        raise Conflict(f"stage {push.stage} of the record has been rated")
    else:
        stage = push.stage
    item = target.items[0]
    offered_until = now + timedelta(minutes=offer_minutes)
    if target.evaluation_deadline is not None:
        offered_until = min(offered_until, target.evaluation_deadline)
    stored = kiosks.push(
        window_id,
        PendingTransaction(
            ticket=push.ticket,
            item_name_zh=item.name_zh,
            item_name_en=item.name_en,
            stage=stage,
            pushed_at=now,
            expires_at=offered_until,
        ),
    )
    return _offered(stored, base_url)


def current_transaction(
    token: str,
    *,
    stores: RatingStores,
    signer: WindowTokenSigner,
    kiosks: KioskRepository,
    now: datetime,
    base_url: str,
) -> KioskTransaction:
    """What the kiosk should offer now: the last transaction pushed, unless rated or no longer offered."""
    window = open_kiosk(token, stores=stores, signer=signer)
    stored = kiosks.current(window.window_id)
    if stored is None or stored.done or now >= stored.expires_at:
        return KioskTransaction(seq=None)
    return _offered(stored, base_url)


def rate_at_kiosk(
    token: str,
    evaluation: KioskEvaluation,
    *,
    stores: RatingStores,
    signer: WindowTokenSigner,
    kiosks: KioskRepository,
    now: datetime,
) -> EvaluationAccepted:
    """Rate the transaction the kiosk was offered (channel `window_device`); Conflict when the window
    has moved on to another transaction, or the stage was rated meanwhile (on a phone, say)."""
    window = open_kiosk(token, stores=stores, signer=signer)
    stored = kiosks.current(window.window_id)
    if stored is None or stored.seq != evaluation.seq or stored.done or now >= stored.expires_at:
        raise Conflict("the window's kiosk is offering another transaction now")
    target = open_ticket_rating(stored.ticket, stores=stores, now=now, channel=Channel.WINDOW_DEVICE)
    if target.window_id != window.window_id:
        raise Conflict("the transaction offered belongs to another window")
    rating = Rating(
        item=target.items[0], stage=stored.stage, level=evaluation.level, reasons=tuple(evaluation.reason_codes)
    )
    accepted = submit_rating(target, rating, stores=stores, now=now)
    kiosks.finish(window.window_id, stored.seq)
    return accepted


def _offered(stored: StoredTransaction, base_url: str) -> KioskTransaction:
    return KioskTransaction(
        seq=stored.seq,
        item_name_zh=stored.item_name_zh,
        item_name_en=stored.item_name_en,
        stage=stored.stage,
        qr_svg_url=f"{base_url.rstrip('/')}{TICKET_PATH}{stored.ticket}/qr.svg",
        offered_until=stored.expires_at,
    )
