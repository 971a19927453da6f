"""Which cells of a publication the public may not see, decided once for every document alike.

A cell is one measure (a rate family, see `family`) of one scope and period, counted over its
denominator. **Primary** suppression hides a cell counted over fewer than `min_count` (but not over
none: 0 of 0 reveals nobody). **Complementary** suppression protects the sums the documents publish —
a region's period is the sum of its agencies', an agency's the sum of its items' (and of its
evaluations of no item, never published as a part), a month the sum of its days, everything the sum
of the regions: wherever a published total and its published parts would give a hidden part away,
one more part is hidden (the smallest, a ranked one last), until every sum hides either no part, or
at least two parts (the unpublished remainder counting as one) that together count at least
`min_count`, and a hidden total at least one of its parts. The tests solve every published sum of
random publications exactly and find no small cell that follows from the published ones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

from govrate.analytics.queries import RateName

# Rates over the same denominator are one family: hiding one and not the other would show the count.
_FAMILIES = {rate: rate.value for rate in RateName} | {RateName.SATISFACTION_SCORE: RateName.GOOD_REVIEW_RATE.value}


def family(rate: RateName) -> str:
    return _FAMILIES[rate]


# The bad reviews by reason count the reply rate's bad reviews: hidden with it.
REASONS = family(RateName.BAD_REVIEW_REPLY_RATE)


@dataclass(frozen=True)
class Sum:
    """`total` = the sum of `parts` plus `unpublished`, a count that is in the total but never shown."""

    total: Hashable
    parts: tuple[Hashable, ...]
    unpublished: int = 0


def hides_safely(hidden_parts: Iterable[int], unpublished: int, min_count: int, *, total_hidden: bool = False) -> bool:
    """Whether a sum gives none of its hidden members away (the hidden parts' denominators given): a
    published total must hide no part, or at least two (the unpublished remainder counting as one)
    that count `min_count` together; a hidden total must hide at least one part with it, or it is the
    sum of the shown ones."""
    hidden = list(hidden_parts)
    groups = len(hidden) + (1 if unpublished else 0)
    if total_hidden:
        return groups >= 1
    if groups == 0:
        return True
    return sum(hidden) + unpublished >= min_count and (groups >= 2 or not hidden)


def withheld(
    denominators: Mapping[Hashable, int],
    sums_of: Callable[[Hashable], Iterable[Sum]],
    min_count: int,
    *,
    pinned: Collection[Hashable] = (),
    also: Iterable[Sum] = (),
) -> set[Hashable]:
    """Every cell to hide: the primary ones, and as few complementary ones as the sums need.
    `sums_of(cell)`: the sums a cell is the total or a part of, the same object for the same sum;
    only the sums of hidden cells are looked at, and `also` (those whose unpublished remainder is
    small). A `pinned` cell (one a
    ranking publishes) is chosen only when no other part can protect a sum."""
    hidden = {cell for cell, count in denominators.items() if 0 < count < min_count}
    pending: deque[Sum] = deque(also)
    for cell in hidden:
        pending.extend(sums_of(cell))
    # Sums are compared by identity: `sums_of` gives the same object for the same sum, and hashing
    # every part of every sum each time would cost more than the whole check.
    queued = {id(total) for total in pending}
    while pending:
        total = pending.popleft()
        queued.discard(id(total))
        if not denominators.get(total.total, 0):
            continue
        hidden_parts = [denominators.get(part, 0) for part in total.parts if part in hidden]
        if hides_safely(hidden_parts, total.unpublished, min_count, total_hidden=total.total in hidden):
            continue
        chosen = _complement(total, hidden, denominators, pinned)
        if chosen is None:  # a hidden total of parts that count nothing: nothing to give away
            continue
        hidden.add(chosen)
        for affected in [total, *sums_of(chosen)]:
            if id(affected) not in queued:
                pending.append(affected)
                queued.add(id(affected))
    return hidden


def _complement(
    total: Sum, hidden: set[Hashable], denominators: Mapping[Hashable, int], pinned: Collection[Hashable]
) -> Hashable | None:
    """The next cell to hide for an unsafe sum: its smallest shown part, an unranked one before a
    ranked one; the total when every part is hidden already."""
    shown = [part for part in total.parts if part not in hidden and denominators.get(part, 0) > 0]
    if shown:
        return min(shown, key=lambda part: (part in pinned, denominators.get(part, 0)))
    return None if total.total in hidden else total.total
