"""What a platform reads back: the outcome of an evaluation in its regions, and the change feed of the
cases of its regions' bad reviews, so that its own app can show the evaluator the answer.

An evaluation outside the platform's regions is not found (404), never forbidden: its id cannot be
probed. A relayed evaluation's case is worked at the downstream stage that relayed it: its outcome
shows the newest state relayed. The feed holds the changes of this stage's own cases only.

The feed is read per province (`govrate.cases.store`): the cursor holds, for each province of
the platform, the number of the last change it has passed, so a page resumes exactly after the last
change returned; changes of the province outside the platform's regions are passed over, not returned,
and so is a trans-regional case's change in the second of two feeds the platform reads. The cursor is
signed for the platform it was handed to (`FeedCursors`): an edited one, or another platform's, is
refused rather than read from a wrong place.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from itsdangerous import BadData, URLSafeSerializer

from govrate.evaluations.models import CaseProgress, CaseState, EvaluationOutcome
from govrate.evaluations.service import evaluation_outcome
from govrate.kernel import divisions
from govrate.kernel.errors import Gone, InvalidInput, NotFound
from govrate.platforms.models import ChangesQuery, OutcomeChange, OutcomeChanges
from govrate.platforms.registry import PlatformKey

if TYPE_CHECKING:
    from govrate.cases.model import CaseChange
    from govrate.cases.ports import CaseFeed, CaseStatusReader
    from govrate.evaluations.ports import EvaluationStore, FollowUpStore
    from govrate.upstream.models import RelayedCaseState
    from govrate.upstream.ports import CaseStateStore

_CURSOR_VERSION: Final = 1
CURSOR_SALT: Final = "govrate.feed-cursor"


def platform_outcome(
    evaluation_id: str,
    *,
    platform: PlatformKey,
    evaluations: EvaluationStore,
    cases: CaseStatusReader,
    follow_ups: FollowUpStore,
    relayed_cases: CaseStateStore,
) -> EvaluationOutcome:
    """The evaluation and its case's progress, when it was handled or applied for in the platform's regions."""
    evaluation = evaluations.get(evaluation_id)
    if not platform.sees(evaluation.region_code, evaluation.applied_region_code):
        raise NotFound(f"evaluation {evaluation_id}")
    outcome = evaluation_outcome(evaluation, cases=cases, follow_ups=follow_ups)
    if evaluation.relayed_by is None or not evaluation.bad_review:
        return outcome
    state = relayed_cases.latest(evaluation_id)
    return outcome.model_copy(update={"case": _relayed_progress(state, evaluation.relayed_by) if state else None})


def _relayed_progress(state: RelayedCaseState, relayed_by: str) -> CaseProgress:
    """A relayed case as its newest state shows it: the downstream relays no answer's text, no deadlines."""
    return CaseProgress(
        state=state.state,
        opened_at=state.opened_at,
        answered_at=state.answered_at,
        awaiting_rating=state.state is CaseState.ANSWERED,
        handling_rating=state.handling_rating,
        reopened=state.reopen_count > 0,
        reopen_count=state.reopen_count,
        agency_code=state.agency_code,
        verify_due_at=None,
        answer_due_at=None,
        answered_within_deadline=state.answered_within_deadline,
        escalated=state.state is CaseState.ESCALATED,
        changed_at=None,
        relayed_by=relayed_by,
    )


def outcome_changes(
    query: ChangesQuery, *, platform: PlatformKey, feed: CaseFeed, cursors: FeedCursors
) -> OutcomeChanges:
    """The changes after the cursor, province by province, each province's in the order they were stored.

    Each province is read from where the cursor left it, at most as many changes as still fit the page;
    the cursor moves past every change read, returned or passed over. A cursor whose next change is no
    longer kept is Gone: the client has missed changes and must fetch the outcomes it needs anew. A
    cursor past a province's head was never handed out (or the feed was reset): refused, lest the
    changes to come be skipped.
    """
    positions = cursors.positions(query.since, platform) if query.since else {}
    changes: list[OutcomeChange] = []
    more = False
    for province in platform.provinces:
        room = query.limit - len(changes)
        if room == 0:
            more = True
            break
        after = positions.get(province)
        read = feed.changes_after(province, after or 0, room)
        if not read and after is not None and after > feed.feed_head(province):
            raise _bad_cursor()
        if read and after is not None and read[0].seq != after + 1:
            raise Gone(
                f"the changes after the cursor in {province} are past the feed's retention (30 days): fetch the "
                "outcomes you follow one by one, then read the feed without `since`"
            )
        changes.extend(
            OutcomeChange(
                evaluation_id=change.evaluation_id,
                region_code=change.region_code,
                applied_region_code=change.applied_region_code,
                case=change.case,
            )
            for change in read
            if platform.sees(change.region_code, change.applied_region_code)
            and _read_from(change, platform) == province
        )
        if read:
            positions[province] = read[-1].seq
        more = more or len(read) == room
    return OutcomeChanges(changes=changes, next_cursor=cursors.cursor(positions, platform), more=more)


def _read_from(change: CaseChange, platform: PlatformKey) -> str:
    """The one feed a platform takes a change from, when it is in two (a trans-regional case's, for a
    platform of both provinces): the handling region's province's if the platform reads it."""
    handling = divisions.enclosing(change.region_code, divisions.DivisionLevel.PROVINCE)
    if handling in platform.provinces or change.applied_region_code is None:
        return handling
    return divisions.enclosing(change.applied_region_code, divisions.DivisionLevel.PROVINCE)


class FeedCursors:
    """The feed's cursors: the positions, signed (HMAC-SHA256, itsdangerous) under a key derived from
    the stage's signing secret for the one platform they are handed to."""

    def __init__(self, secret_key: str | bytes) -> None:
        self._secret = secret_key

    def cursor(self, positions: dict[str, int], platform: PlatformKey) -> str:
        return self._serializer(platform).dumps({"v": _CURSOR_VERSION, "after": dict(sorted(positions.items()))})

    def positions(self, cursor: str, platform: PlatformKey) -> dict[str, int]:
        """The positions of a cursor handed to this platform, of its provinces (one no longer the
        platform's is dropped); a cursor altered, of another platform or of no feed is refused."""
        try:
            document = self._serializer(platform).loads(cursor)
            if document["v"] != _CURSOR_VERSION:
                raise _bad_cursor()
            positions = {str(province): int(seq) for province, seq in document["after"].items()}
        except (BadData, TypeError, KeyError, ValueError, AttributeError) as exc:
            raise _bad_cursor() from exc
        return {province: seq for province, seq in positions.items() if province in platform.provinces}

    def _serializer(self, platform: PlatformKey) -> URLSafeSerializer:
        return URLSafeSerializer(
            self._secret,
            salt=f"{CURSOR_SALT}#{platform.platform_id}",
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
        )


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "the cursor is not valid", [{"field": "since", "message": "pass the next_cursor of a page of this feed"}]
    )
