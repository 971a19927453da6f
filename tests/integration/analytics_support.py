"""Generated evaluations, cases and service records for the analytics tests, and an independent
Python computation of every rate and ranking to hold the SQL against."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from govrate.analytics.compute import Cell, RankedEntry, ReasonCell, month_end, month_start
from govrate.analytics.facts import RATED_WITHIN_DAYS
from govrate.analytics.queries import RankingName, RateName
from govrate.cases.model import Case, Triage
from govrate.evaluations.models import CaseState, Channel, EvaluatorKind, HandlingRating, ReasonCode, Stage
from govrate.evaluations.store import StoredEvaluation
from govrate.kernel.scale import DEFAULT_LEVEL_SCORES, Level
from govrate.records.store import StoredRecord
from govrate.upstream.models import RelayedCaseState
from ulid import ULID

CST = timezone(timedelta(hours=8))
AGENCIES = {"110105": ["110105-GA", "110105-SJ"], "513231": ["513231-MZ"]}
ITEMS = {
    "110105-GA": ["110105-GA-001", "110105-GA-002"],
    "110105-SJ": ["110105-SJ-001"],
    "513231-MZ": ["513231-MZ-001"],
}


@dataclass
class FakeSources:
    evaluations: defaultdict[date, list[StoredEvaluation]] = field(default_factory=lambda: defaultdict(list))
    cases: dict[str, Case] = field(default_factory=dict)
    # The latest states of the cases relayed by the downstream stages, by case id.
    relayed: dict[str, RelayedCaseState] = field(default_factory=dict)
    records: defaultdict[date, list[StoredRecord]] = field(default_factory=lambda: defaultdict(list))
    # Interference patterns flagged on evaluations, by evaluation id.
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def evaluations_on(self, day: date) -> list[StoredEvaluation]:
        return self.evaluations[day]

    def cases_on(self, day: date) -> list[Case]:
        return [case for case in self.cases.values() if case.evaluated_at.astimezone(CST).date() == day]

    def relayed_cases_on(self, day: date) -> list[RelayedCaseState]:
        return [state for state in self.relayed.values() if state.evaluated_at.astimezone(CST).date() == day]

    def records_on(self, day: date) -> list[StoredRecord]:
        return self.records[day]

    def integrity_flags_on(self, day: date) -> dict[str, tuple[str, ...]]:
        ids = {evaluation.evaluation_id for evaluation in self.evaluations[day]}
        return {evaluation_id: flags for evaluation_id, flags in self.flags.items() if evaluation_id in ids}

    def add_evaluation(self, evaluation: StoredEvaluation) -> None:
        self.evaluations[evaluation.created_at.astimezone(CST).date()].append(evaluation)

    def add_record(self, record: StoredRecord) -> None:
        self.records[record.completed_at.astimezone(CST).date()].append(record)

    def as_of(self, today: date) -> FakeSources:
        """Only what had happened before `today`: generated evaluations and cases may lie later."""
        kept = FakeSources(records=self.records, flags=self.flags)
        for day, evaluations in self.evaluations.items():
            if day < today:
                kept.evaluations[day] = evaluations
        kept.cases = {key: case for key, case in self.cases.items() if case.evaluated_at.astimezone(CST).date() < today}
        kept.relayed = {
            key: state for key, state in self.relayed.items() if state.evaluated_at.astimezone(CST).date() < today
        }
        return kept


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CST)


def make_evaluation(created_at: datetime, agency: str, level: Level, **fields: object) -> StoredEvaluation:
    region = agency.split("-", maxsplit=1)[0]
    values: dict[str, object] = {
        "evaluation_id": str(ULID.from_datetime(created_at)),
        "item_code": ITEMS.get(agency, [f"{agency}-001"])[0],
        "agency_code": agency,
        "region_code": region,
        "channel": Channel.WINDOW_QR,
        "stage": Stage.OVERALL,
        "level": level,
        "comment": None,
        "created_at": created_at,
        "receipt_hash": "0" * 64,
        "reason_codes": (ReasonCode.SLOW,) if level.is_bad_review else (),
    }
    return StoredEvaluation.model_validate({**values, **fields})


def make_record(completed_at: datetime, agency: str, record_id: str, **fields: object) -> StoredRecord:
    values: dict[str, object] = {
        "record_id": record_id,
        "region_code": agency.split("-", maxsplit=1)[0],
        "item_code": ITEMS.get(agency, [f"{agency}-001"])[0],
        "item_version": 1,
        "agency_code": agency,
        "window_id": None,
        "stages": (Stage.OVERALL,),
        "completed_at": completed_at,
        "contact_cipher": None,
        "registered_by": "platform-bj",
        "fingerprint": "f",
    }
    return StoredRecord.model_validate({**values, **fields})


def case_of(evaluation: StoredEvaluation, **fields: object) -> Case:
    values: dict[str, object] = {
        "evaluation_id": evaluation.evaluation_id,
        "item_code": evaluation.item_code,
        "agency_code": evaluation.agency_code,
        "region_code": evaluation.region_code,
        "level": evaluation.level,
        "state": CaseState.RECEIVED,
        "opened_at": evaluation.created_at,
        "evaluated_at": evaluation.created_at,
        "real_name": evaluation.contact_cipher is not None,
        "verify_due_at": evaluation.created_at + timedelta(days=1),
        "answer_due_at": evaluation.created_at + timedelta(days=21),
    }
    return Case.model_validate({**values, **fields})


def relayed(sources: FakeSources, platform_id: str) -> FakeSources:
    """What an upstream stage holds of `sources` once they are relayed: every evaluation as its facts
    (no contact, no comment), every case as its latest state, and none of its own (no records, no flags)."""
    upstream = FakeSources()
    for evaluations in sources.evaluations.values():
        for evaluation in evaluations:
            upstream.add_evaluation(
                evaluation.model_copy(
                    update={
                        "contact_cipher": None,
                        "comment": None,
                        "relayed_by": platform_id,
                        "submitted_by": platform_id,
                        "relayed_real_name": evaluation.real_name,
                    }
                )
            )
    upstream.relayed = {case_id: relayed_state(case) for case_id, case in sources.cases.items()}
    return upstream


def relayed_state(case: Case) -> RelayedCaseState:
    return RelayedCaseState(
        case_id=case.evaluation_id,
        kind=case.kind,
        agency_code=case.agency_code,
        region_code=case.region_code,
        item_code=case.item_code,
        state=case.state,
        version=case.audit_count + 1,
        opened_at=case.opened_at,
        evaluated_at=case.evaluated_at,
        real_name=case.real_name,
        answered_at=case.answered_at,
        answered_within_deadline=case.answered_within_deadline,
        visited_and_rectified=case.visited_and_rectified,
        handling_rating=case.handling_rating,
        excluded_from_rates=case.excluded_from_rates,
        reopen_count=case.reopen_count,
    )


def generate(seed: int, first_day: date, days: int, per_day: int = 40) -> FakeSources:
    """Random evaluations, records and cases over `days` days, with every edge case the rates have:
    system-given ratings, upheld appeals, records rated later or never, cases answered in the next
    month or not at all, agency evaluations without an item, and days without anything. Bad reviews name
    one to three reason codes."""
    rng = random.Random(seed)
    # Streams of their own for the reason codes and the flags, so that the rest of the data stays what it was.
    reasons_rng = random.Random(seed + 1)
    flags_rng = random.Random(seed + 2)
    applied_rng = random.Random(seed + 3)
    sources = FakeSources()
    agencies = [agency for region in AGENCIES.values() for agency in region]
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if offset % 9 == 4:
            continue  # an empty day
        for n in range(rng.randint(per_day // 2, per_day)):
            agency = rng.choices(agencies, weights=[6, 3, 1])[0]
            created = at(day, 8) + timedelta(minutes=n * 7 + rng.randint(0, 6))
            record = None
            if rng.random() < 0.6:
                record = make_record(created - timedelta(hours=1), agency, f"R{day:%m%d}-{n:04d}")
                record = record.model_copy(update={"item_code": rng.choice(ITEMS[agency])})
                sources.add_record(record)
                if rng.random() < 0.3:
                    continue  # never rated by the evaluator
            level = Level(rng.choices([5, 4, 3, 2, 1], weights=[60, 20, 10, 6, 4])[0])
            system_given = record is not None and rng.random() < 0.1
            if system_given:
                level = Level.BASICALLY_SATISFIED
            # An evaluation of a record may come days later (a paper form), into the next month, or too late
            # (past RATED_WITHIN_DAYS) to rate it.
            given = created + timedelta(days=rng.choice([0, 0, 0, 1, 6, 33])) if record else created
            evaluation = make_evaluation(
                given,
                agency,
                level,
                item_code=record.item_code if record else rng.choice([*ITEMS[agency], None]),
                record_id=record.record_id if record else None,
                channel=Channel.SYSTEM if system_given else rng.choice([Channel.WINDOW_QR, Channel.PAPER]),
                system_given=system_given,
                contact_cipher=b"sealed" if level.is_bad_review and rng.random() < 0.5 else None,
                evaluator_kind=rng.choice(list(EvaluatorKind)),
                evaluation_id=str(ULID.from_datetime(given)),
                reason_codes=tuple(reasons_rng.sample(list(ReasonCode), reasons_rng.randint(1, 3)))
                if level.is_bad_review
                else (),
            )
            if evaluation.item_code is None:
                evaluation = evaluation.model_copy(update={"channel": Channel.HOTLINE, "record_id": None})
            if applied_rng.random() < 0.1:  # a trans-regional service, applied for in the other region
                applied = "513231" if evaluation.region_code == "110105" else "110105"
                evaluation = evaluation.model_copy(update={"applied_region_code": applied})
            sources.add_evaluation(evaluation)
            if not system_given and flags_rng.random() < 0.08:
                sources.flags[evaluation.evaluation_id] = tuple(
                    sorted(
                        flags_rng.sample(["top_burst", "staff_network", "identical_comments"], flags_rng.randint(1, 2))
                    )
                )
            if level.is_bad_review:
                sources.cases[evaluation.evaluation_id] = _random_case(rng, evaluation)
    return sources


def _random_case(rng: random.Random, evaluation: StoredEvaluation) -> Case:
    outcome = rng.random()
    if outcome < 0.15:
        return case_of(evaluation, state=CaseState.CLOSED, triage=Triage.APPEAL, excluded_from_rates=True)
    if outcome < 0.3:
        return case_of(evaluation)  # still open
    answered_at = evaluation.created_at + timedelta(days=rng.choice([2, 14, 25]))
    return case_of(
        evaluation,
        state=CaseState.CLOSED,
        triage=rng.choice([Triage.FIX_NOW, Triage.RECTIFY_BY_DEADLINE, Triage.EXPLAIN]),
        visited=rng.random() < 0.8,
        rectified=rng.random() < 0.7,
        answer="已整改",
        answered_at=answered_at,
        answered_within_deadline=answered_at <= evaluation.created_at + timedelta(days=21),
        handling_rating=rng.choice([*HandlingRating, None]),
    )


# --- the independent computation -------------------------------------------------------------------


def _day(moment: datetime) -> date:
    return moment.astimezone(CST).date()


def expected_cells(sources: FakeSources, month: date) -> dict[RateName, set[tuple[object, ...]]]:
    first, last = month_start(month), month_end(month)
    excluded = {case.evaluation_id for case in sources.cases.values() if case.excluded_from_rates}
    sums: dict[RateName, defaultdict[tuple[object, ...], list[int]]] = {
        rate: defaultdict(lambda: [0, 0]) for rate in RateName
    }

    def count(rate: RateName, key: tuple[object, ...], numerator: int) -> None:
        sums[rate][key][0] += numerator
        sums[rate][key][1] += 1

    every_evaluation = [evaluation for day in list(sources.evaluations) for evaluation in sources.evaluations[day]]
    for evaluation in every_evaluation:
        day = _day(evaluation.created_at)
        if not first <= day <= last or evaluation.evaluation_id in excluded:
            continue
        key = (day, evaluation.region_code, evaluation.agency_code, evaluation.item_code)
        count(RateName.GOOD_REVIEW_RATE, key, int(evaluation.level >= 3))
        count(RateName.SATISFACTION_SCORE, key, DEFAULT_LEVEL_SCORES[evaluation.level])
        count(RateName.FLAGGED_SHARE, key, int(evaluation.evaluation_id in sources.flags))
        if not evaluation.system_given:
            count(RateName.ACTIVE_GOOD_REVIEW_RATE, key, int(evaluation.level >= 3))
    ratings = [
        (evaluation.region_code, evaluation.record_id, _day(evaluation.created_at))
        for evaluation in every_evaluation
        if evaluation.record_id and not evaluation.system_given
    ]
    for day in list(sources.records):
        for record in sources.records[day]:
            if first <= day <= last:
                key = (day, record.region_code, record.agency_code, record.item_code)
                rated = any(
                    (region, record_id) == (record.region_code, record.record_id)
                    and day <= given <= day + timedelta(days=RATED_WITHIN_DAYS)
                    for region, record_id, given in ratings
                )
                count(RateName.UNRATED_RATE, key, int(not rated))
    for case in sources.cases.values():
        day = _day(case.evaluated_at)
        if not first <= day <= last or case.excluded_from_rates:
            continue
        key = (day, case.region_code, case.agency_code, case.item_code)
        count(RateName.BAD_REVIEW_REPLY_RATE, key, int(bool(case.answered_within_deadline)))
        if case.real_name:
            count(RateName.RETURN_VISIT_RECTIFICATION_RATE, key, int(case.visited_and_rectified))
        if case.answered_at is not None:
            satisfied = case.handling_rating in (HandlingRating.SATISFIED, HandlingRating.BASICALLY_SATISFIED)
            count(RateName.RECTIFICATION_SATISFACTION_RATE, key, int(satisfied))
    return {rate: {(*key, n, d) for key, (n, d) in by_key.items()} for rate, by_key in sums.items()}


def expected_applied(sources: FakeSources, month: date) -> set[tuple[object, ...]]:
    """The trans-regional evaluations of the month by applied-for region: good / rated, as `applied_elsewhere.sql`."""
    first, last = month_start(month), month_end(month)
    excluded = {case.evaluation_id for case in sources.cases.values() if case.excluded_from_rates}
    sums: defaultdict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0])
    for day in list(sources.evaluations):
        for evaluation in sources.evaluations[day]:
            given = _day(evaluation.created_at)
            if not first <= given <= last or evaluation.evaluation_id in excluded or not evaluation.applied_region_code:
                continue
            key = (given, evaluation.applied_region_code, evaluation.agency_code, evaluation.item_code)
            sums[key][0] += int(evaluation.level >= 3)
            sums[key][1] += 1
    return {(*key, n, d) for key, (n, d) in sums.items()}


def expected_reasons(sources: FakeSources, month: date) -> set[tuple[object, ...]]:
    """Per day, region, agency and item: the bad reviews not excluded, then how many named each reason
    code (in `ReasonCode` order)."""
    first, last = month_start(month), month_end(month)
    excluded = {case.evaluation_id for case in sources.cases.values() if case.excluded_from_rates}
    counts: defaultdict[tuple[object, ...], list[int]] = defaultdict(lambda: [0] * (1 + len(ReasonCode)))
    for day in list(sources.evaluations):
        for evaluation in sources.evaluations[day]:
            given = _day(evaluation.created_at)
            if not first <= given <= last or not evaluation.level.is_bad_review:
                continue
            if evaluation.evaluation_id in excluded:
                continue
            key = (given, evaluation.region_code, evaluation.agency_code, evaluation.item_code)
            counts[key][0] += 1
            for position, code in enumerate(ReasonCode, start=1):
                counts[key][position] += code in evaluation.reason_codes
    return {(*key, *values) for key, values in counts.items()}


def reason_tuples(cells: list[ReasonCell]) -> set[tuple[object, ...]]:
    return {
        (c.dt, c.region_code, c.agency_code, c.item_code, c.bad_reviews, *(c.reasons[code] for code in ReasonCode))
        for c in cells
    }


def cell_tuples(cells: list[Cell]) -> set[tuple[object, ...]]:
    return {(c.dt, c.region_code, c.agency_code, c.item_code, c.numerator, c.denominator) for c in cells}


def expected_rankings(sources: FakeSources, month: date, min_count: int) -> dict[RankingName, list[RankedEntry]]:
    first, last = month_start(month), month_end(month)
    excluded = {case.evaluation_id for case in sources.cases.values() if case.excluded_from_rates}
    agencies: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    items: defaultdict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day in list(sources.evaluations):
        for evaluation in sources.evaluations[day]:
            if not first <= _day(evaluation.created_at) <= last or evaluation.evaluation_id in excluded:
                continue
            values = (int(evaluation.level >= 3), 1, DEFAULT_LEVEL_SCORES[evaluation.level])
            targets = [agencies[(evaluation.region_code, evaluation.agency_code)]]
            if evaluation.item_code is not None:
                targets.append(items[(evaluation.region_code, evaluation.agency_code, evaluation.item_code)])
            for target in targets:
                for position, value in enumerate(values):
                    target[position] += value

    def ranked(groups: dict[Any, list[int]], within: int | None, worst_first: bool) -> list[RankedEntry]:
        kept = {key: sums for key, sums in groups.items() if sums[1] >= min_count}

        def merit(sums: list[int]) -> tuple[float, float]:
            return (sums[0] / sums[1], sums[2] / sums[1])

        entries = []
        for key, sums in kept.items():
            rivals = [other for other_key, other in kept.items() if within is None or other_key[within] == key[within]]
            if worst_first:
                place = 1 + sum(merit(other) < merit(sums) for other in rivals)
            else:
                place = 1 + sum(merit(other) > merit(sums) for other in rivals)
            region, agency, item = (*key, None) if len(key) == 2 else key
            entries.append(
                RankedEntry(
                    place=place,
                    region_code=None if within == 1 else region,
                    agency_code=agency,
                    item_code=item,
                    good=sums[0],
                    rated=sums[1],
                    score_points=sums[2],
                )
            )
        return entries

    def bottom_ten(entries: list[RankedEntry]) -> list[RankedEntry]:
        return sorted(entries, key=lambda entry: (entry.place, entry.item_code or entry.agency_code))[:10]

    return {
        RankingName.AGENCIES_IN_REGION: ranked(agencies, 0, worst_first=False),
        RankingName.ITEMS_IN_AGENCY: ranked(items, 1, worst_first=False),
        RankingName.BOTTOM_AGENCIES: bottom_ten(ranked(agencies, None, worst_first=True)),
        RankingName.BOTTOM_ITEMS: bottom_ten(ranked(items, None, worst_first=True)),
    }
