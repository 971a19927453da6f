"""What a platform reads back: the outcome of an evaluation in its regions, and the change feed of the
cases of its regions' bad reviews, so that its own app can show the evaluator the answer.

An evaluation outside the platform's regions is not found (404), never forbidden: its id cannot be
probed. The feed is read per province (`govrate.cases.store`): the cursor holds, for each province of
the platform, the number of the last change it has passed, so a page resumes exactly after the last
change returned; changes of the province outside the platform's regions are passed over, not returned,
and so is a trans-regional case's change in the second of two feeds the platform reads.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING

from govrate.evaluations.models import EvaluationOutcome
from govrate.evaluations.service import evaluation_outcome
from govrate.kernel import divisions
from govrate.kernel.errors import Gone, InvalidInput, NotFound
from govrate.platforms.models import ChangesQuery, OutcomeChange, OutcomeChanges
from govrate.platforms.registry import PlatformKey

if TYPE_CHECKING:
    from govrate.cases.model import CaseChange
    from govrate.cases.ports import CaseFeed, CaseStatusReader
    from govrate.evaluations.ports import EvaluationStore, FollowUpStore

_CURSOR_VERSION = 1
# The feed numbers its changes with 12 digits.
MAX_SEQ = 10**12


def platform_outcome(
    evaluation_id: str,
    *,
    platform: PlatformKey,
    evaluations: EvaluationStore,
    cases: CaseStatusReader,
    follow_ups: FollowUpStore,
) -> EvaluationOutcome:
    """The evaluation and its case's progress, when it was handled or applied for in the platform's regions."""
    evaluation = evaluations.get(evaluation_id)
    if not platform.sees(evaluation.region_code, evaluation.applied_region_code):
        raise NotFound(f"evaluation {evaluation_id}")
    return evaluation_outcome(evaluation, cases=cases, follow_ups=follow_ups)


def outcome_changes(query: ChangesQuery, *, platform: PlatformKey, feed: CaseFeed) -> OutcomeChanges:
    """The changes after the cursor, province by province, each province's in the order they were stored.

    Each province is read from where the cursor left it, at most as many changes as still fit the page;
    the cursor moves past every change read, returned or passed over. A cursor whose next change is no
    longer kept is Gone: the client has missed changes and must fetch the outcomes it needs anew.
    """
    positions = _decode(query.since, platform) if query.since else {}
    changes: list[OutcomeChange] = []
    more = False
    for province in platform.provinces:
        room = query.limit - len(changes)
        if room == 0:
            more = True
            break
        after = positions.get(province)
        read = feed.changes_after(province, after or 0, room)
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
    return OutcomeChanges(changes=changes, next_cursor=_encode(positions), more=more)


def _read_from(change: CaseChange, platform: PlatformKey) -> str:
    """The one feed a platform takes a change from, when it is in two (a trans-regional case's, for a
    platform of both provinces): the handling region's province's if the platform reads it."""
    handling = divisions.enclosing(change.region_code, divisions.DivisionLevel.PROVINCE)
    if handling in platform.provinces or change.applied_region_code is None:
        return handling
    return divisions.enclosing(change.applied_region_code, divisions.DivisionLevel.PROVINCE)


def _encode(positions: dict[str, int]) -> str:
    document = {"v": _CURSOR_VERSION, "after": dict(sorted(positions.items()))}
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, platform: PlatformKey) -> dict[str, int]:
    """The positions a cursor holds, refused unless it is one the feed handed out (for the platform's
    provinces: a province no longer the platform's is dropped)."""
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if document.get("v") != _CURSOR_VERSION:
            raise _bad_cursor()
        positions = {str(province): int(seq) for province, seq in document["after"].items()}
    except (binascii.Error, ValueError, OverflowError, TypeError, KeyError, AttributeError) as exc:
        raise _bad_cursor() from exc
    if any(not 0 <= seq < MAX_SEQ for seq in positions.values()):
        raise _bad_cursor()
    return {province: seq for province, seq in positions.items() if province in platform.provinces}


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "the cursor is not valid", [{"field": "since", "message": "pass the next_cursor of a page of this feed"}]
    )
