"""Tamper evidence: a day's evaluations and case audit chains sealed under a MAC, and re-verified.

A day's manifest holds, per region, the leaf hash of every evaluation received that day (sorted by
evaluation id) and their Merkle root (RFC 9162, section 2.1.1), and for every case of that day's bad
reviews the head its case item records and the leaf hash of each audit entry. A leaf is
SHA-256(0x00 || JCS(item)): the stored DynamoDB item, every attribute in DynamoDB's typed JSON
(`{"S": …}`, `{"N": …}`, binary as base64), in the canonical JSON of RFC 8785. Leaves and roots are
hashes only: the manifest holds no contact, comment or other personal data.

The manifest is MACed with a KMS HMAC key over SHA-256(JCS(manifest)). A day is sealed again while
its cases are still being handled; each seal is a new object, and `verify_day` compares the tables
with the newest authentic seal and every seal with the one before it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator

from govrate.kernel.clock import local_day
from govrate.kernel.errors import InvalidInput, NotFound

MANIFEST_FORMAT: Final = "govrate-seal/1"
MAC_ALGORITHM: Final = "HMAC_SHA_256"
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# The days sealed again every night: the case handling of a day's bad reviews (15 working days, their
# rating and a reopening) goes on for weeks after the day, as in the analytics window.
DEFAULT_SEAL_DAYS = 45
MAX_SEAL_DAYS = 400

Item = Mapping[str, Any]
"""A DynamoDB item as the low-level API returns it (typed attribute values, binary as bytes)."""


# --- leaves and roots ---------------------------------------------------------------------------------


def canonical_item(item: Item) -> bytes:
    """The item's typed JSON in RFC 8785 form: binary as base64, sets sorted, keys sorted, no spaces."""
    return json.dumps(
        {name: _typed(value) for name, value in item.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def _typed(value: Mapping[str, Any]) -> dict[str, Any]:
    ((kind, content),) = value.items()
    if kind == "B":
        return {kind: base64.b64encode(content).decode()}
    if kind in {"SS", "NS"}:
        return {kind: sorted(content)}
    if kind == "BS":
        return {kind: sorted(base64.b64encode(member).decode() for member in content)}
    if kind == "M":
        return {kind: {name: _typed(member) for name, member in content.items()}}
    if kind == "L":
        return {kind: [_typed(member) for member in content]}
    return {kind: content}


def leaf_hash(item: Item) -> str:
    return hashlib.sha256(LEAF_PREFIX + canonical_item(item)).hexdigest()


def merkle_root(leaves: Sequence[str]) -> str:
    """RFC 9162's Merkle Tree Hash over leaf hashes (hex): the hash of the empty string for none."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two below the count
    left, right = merkle_root(leaves[:split]), merkle_root(leaves[split:])
    return hashlib.sha256(NODE_PREFIX + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


# --- the manifest -------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class EvaluationLeaf(_Frozen):
    evaluation_id: str
    leaf: str


class EntryLeaf(_Frozen):
    seq: int
    leaf: str


class CaseChain(_Frozen):
    """A case's audit chain: the length and head its case item records, and every entry's leaf."""

    evaluation_id: str
    audit_count: int
    audit_head: str
    entries: tuple[EntryLeaf, ...]


class RegionSeal(_Frozen):
    region_code: str
    evaluation_count: int
    evaluation_root: str
    evaluations: tuple[EvaluationLeaf, ...]
    cases: tuple[CaseChain, ...]

    @model_validator(mode="after")
    def _root_matches(self) -> RegionSeal:
        if self.evaluation_count != len(self.evaluations):
            raise ValueError("evaluation_count is not the number of leaves")
        if self.evaluation_root != merkle_root([leaf.leaf for leaf in self.evaluations]):
            raise ValueError("evaluation_root is not the root of the leaves")
        return self


class Manifest(_Frozen):
    format: Literal["govrate-seal/1"] = MANIFEST_FORMAT
    day: date
    sealed_at: AwareDatetime
    regions: tuple[RegionSeal, ...]

    def digest(self) -> bytes:
        """SHA-256 of the manifest's RFC 8785 JSON: the message the KMS key MACs."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode()).digest()

    def region(self, code: str) -> RegionSeal | None:
        return next((region for region in self.regions if region.region_code == code), None)


class SealedManifest(_Frozen):
    """What a seal object holds: the manifest, and its MAC (base64) under the stack's HMAC key."""

    manifest: Manifest
    mac_algorithm: Literal["HMAC_SHA_256"] = MAC_ALGORITHM
    mac: str


class CaseChainSource(_Frozen):
    """A case of the day as stored: its item's chain length and head, and its audit entries' items."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    evaluation_id: str
    region_code: str
    audit_count: int
    audit_head: str
    entries: tuple[dict[str, Any], ...]


class SealSources(Protocol):
    """The stored items of a local day (DynamoDB's sharded by-day indexes, or fakes in tests)."""

    def evaluations_on(self, day: date) -> Iterable[Item]: ...

    def cases_on(self, day: date) -> Iterable[CaseChainSource]: ...


class SealStore(Protocol):
    """The seal objects: written once, never replaced (S3 with Object Lock)."""

    def keys(self, day: date) -> list[str]:
        """The keys of every seal of the day, oldest first."""
        ...

    def read(self, key: str) -> bytes: ...

    def put(self, day: date, sealed_at: datetime, body: bytes) -> str: ...


class MacKey(Protocol):
    def generate(self, message: bytes) -> bytes: ...

    def verify(self, message: bytes, mac: bytes) -> bool: ...


def build_manifest(day: date, sources: SealSources, *, sealed_at: datetime) -> Manifest:
    evaluations: dict[str, list[EvaluationLeaf]] = {}
    for item in sources.evaluations_on(day):
        region = item["region_code"]["S"]
        evaluations.setdefault(region, []).append(
            EvaluationLeaf(evaluation_id=item["evaluation_id"]["S"], leaf=leaf_hash(item))
        )
    cases: dict[str, list[CaseChain]] = {}
    for case in sources.cases_on(day):
        entries = sorted(
            (EntryLeaf(seq=int(entry["seq"]["N"]), leaf=leaf_hash(entry)) for entry in case.entries),
            key=lambda entry: (entry.seq, entry.leaf),
        )
        cases.setdefault(case.region_code, []).append(
            CaseChain(
                evaluation_id=case.evaluation_id,
                audit_count=case.audit_count,
                audit_head=case.audit_head,
                entries=tuple(entries),
            )
        )
    regions = []
    for code in sorted(evaluations.keys() | cases.keys()):
        leaves = tuple(sorted(evaluations.get(code, []), key=lambda leaf: (leaf.evaluation_id, leaf.leaf)))
        regions.append(
            RegionSeal(
                region_code=code,
                evaluation_count=len(leaves),
                evaluation_root=merkle_root([leaf.leaf for leaf in leaves]),
                evaluations=leaves,
                cases=tuple(sorted(cases.get(code, []), key=lambda chain: chain.evaluation_id)),
            )
        )
    return Manifest(day=day, sealed_at=sealed_at, regions=tuple(regions))


# --- differences ----------------------------------------------------------------------------------------


class Change(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


class Difference(_Frozen):
    """One evaluation, audit entry or case head that differs between a seal and what came after it."""

    subject: Literal["evaluation", "case entry", "case head"]
    change: Change
    region_code: str
    evaluation_id: str
    seq: int | None = None

    def line(self) -> str:
        where = f" #{self.seq}" if self.seq is not None else ""
        return f"{self.subject} {self.change.value}: region {self.region_code} {self.evaluation_id}{where}"

    @property
    def expected_later(self) -> bool:
        """Case handling goes on after a seal: an entry appended later is the chain growing."""
        return self.subject == "case entry" and self.change is Change.ADDED


def differences(before: Manifest, after: Manifest, region: str | None = None) -> list[Difference]:
    """What `after` adds to, changes in or removes from `before`, region by region (one region if given)."""
    codes = sorted({r.region_code for r in before.regions} | {r.region_code for r in after.regions})
    found: list[Difference] = []
    for code in codes if region is None else [region]:
        old, new = before.region(code), after.region(code)
        found += _evaluation_differences(code, old, new)
        found += _case_differences(code, old, new)
    return found


def _evaluation_differences(code: str, old: RegionSeal | None, new: RegionSeal | None) -> list[Difference]:
    if old is not None and new is not None and old.evaluation_root == new.evaluation_root:
        return []
    sealed = {leaf.evaluation_id: leaf.leaf for leaf in old.evaluations} if old else {}
    stored = {leaf.evaluation_id: leaf.leaf for leaf in new.evaluations} if new else {}
    return [
        Difference(subject="evaluation", change=change, region_code=code, evaluation_id=evaluation_id)
        for evaluation_id, change in _compare(sealed, stored)
    ]


def _case_differences(code: str, old: RegionSeal | None, new: RegionSeal | None) -> list[Difference]:
    sealed = {chain.evaluation_id: chain for chain in old.cases} if old else {}
    stored = {chain.evaluation_id: chain for chain in new.cases} if new else {}
    found: list[Difference] = []
    for evaluation_id in sorted(sealed.keys() | stored.keys()):
        before, after = sealed.get(evaluation_id), stored.get(evaluation_id)
        entries_before = {str(entry.seq): entry.leaf for entry in before.entries} if before else {}
        entries_after = {str(entry.seq): entry.leaf for entry in after.entries} if after else {}
        entry_changes = [
            Difference(subject="case entry", change=change, region_code=code, evaluation_id=evaluation_id, seq=int(seq))
            for seq, change in _compare(entries_before, entries_after)
        ]
        found += sorted(entry_changes, key=lambda difference: difference.seq or 0)
        anchor_before = (before.audit_count, before.audit_head) if before else None
        anchor_after = (after.audit_count, after.audit_head) if after else None
        if anchor_before != anchor_after and not entry_changes:
            # The case item's anchor of its chain was rewritten while every entry stayed as it was.
            change = Change.ADDED if before is None else Change.REMOVED if after is None else Change.CHANGED
            found.append(Difference(subject="case head", change=change, region_code=code, evaluation_id=evaluation_id))
    return found


def _compare(before: Mapping[str, str], after: Mapping[str, str]) -> list[tuple[str, Change]]:
    changes = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            changes.append((name, Change.ADDED))
        elif name not in after:
            changes.append((name, Change.REMOVED))
        elif before[name] != after[name]:
            changes.append((name, Change.CHANGED))
    return changes


# --- sealing ----------------------------------------------------------------------------------------------


class SealRequest(BaseModel):
    """An EventBridge scheduled event (`time`), or by hand: one `day`, or `first_day`..`last_day`."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    day: date | None = None
    first_day: date | None = None
    last_day: date | None = None
    time: AwareDatetime | None = None


def days_to_seal(event: Mapping[str, Any], *, now: datetime, utc_offset_hours: int, seal_days: int) -> list[date]:
    """The closed days an event asks for; a scheduled event: the `seal_days` days up to yesterday."""
    try:
        request = SealRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidInput("the event is not a seal request", [{"field": "event", "message": str(exc)}]) from exc
    today = local_day(now, utc_offset_hours)
    if request.day is not None:
        first = last = request.day
    elif request.first_day is not None and request.last_day is not None:
        first, last = request.first_day, request.last_day
    elif request.time is not None:
        last = local_day(request.time, utc_offset_hours) - timedelta(days=1)
        first = last - timedelta(days=seal_days - 1)
    else:
        raise InvalidInput("the event names no day", [{"field": "day", "message": "give a day, a range or a time"}])
    if last >= today:
        raise InvalidInput("the day is not closed yet", [{"field": "day", "message": f"must be before {today}"}])
    if first > last or (last - first).days >= MAX_SEAL_DAYS:
        raise InvalidInput(
            "the range is not valid",
            [{"field": "first_day", "message": f"on or before last_day, at most {MAX_SEAL_DAYS} days"}],
        )
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


class SealOutcome(_Frozen):
    day: date
    key: str | None
    """The new seal object, or None when the newest authentic seal already says the same."""
    evaluations: int
    cases: int


def seal_day(day: date, *, sources: SealSources, store: SealStore, mac: MacKey, now: datetime) -> SealOutcome:
    """Seal the day unless its newest authentic seal already holds exactly what the tables hold."""
    manifest = build_manifest(day, sources, sealed_at=now)
    counts = {
        "evaluations": sum(region.evaluation_count for region in manifest.regions),
        "cases": sum(len(region.cases) for region in manifest.regions),
    }
    newest = next(
        (sealed for key in reversed(store.keys(day)) if (sealed := _authentic(store.read(key), day, mac))), None
    )
    if newest is not None and newest.manifest.regions == manifest.regions:
        return SealOutcome(day=day, key=None, **counts)
    sealed = SealedManifest(manifest=manifest, mac=base64.b64encode(mac.generate(manifest.digest())).decode())
    key = store.put(day, now, sealed.model_dump_json().encode())
    return SealOutcome(day=day, key=key, **counts)


# --- verifying ---------------------------------------------------------------------------------------------


class SealCheck(_Frozen):
    key: str
    authentic: bool


class SealStep(_Frozen):
    """What one seal of the day changed from the authentic seal before it."""

    key: str
    differences: tuple[Difference, ...]


class Verification(_Frozen):
    day: date
    region: str | None
    seals: tuple[SealCheck, ...]
    history: tuple[SealStep, ...]
    since_latest: tuple[Difference, ...]
    """What the tables hold now that the newest authentic seal does not, or differently."""

    @property
    def forged(self) -> tuple[SealCheck, ...]:
        return tuple(check for check in self.seals if not check.authentic)

    @property
    def rewritten_between_seals(self) -> tuple[Difference, ...]:
        """Differences between seals that the tables' rules never make: an evaluation added, changed
        or removed after its day was sealed, an audit entry or a case edited or removed."""
        return tuple(d for step in self.history for d in step.differences if not d.expected_later)

    @property
    def clean(self) -> bool:
        return not (self.forged or self.since_latest or self.rewritten_between_seals)


def verify_day(
    day: date, *, region: str | None, sources: SealSources, store: SealStore, mac: MacKey, now: datetime
) -> Verification:
    """Check every seal of the day's MAC, what each changed from the one before, and the tables
    against the newest authentic one. NotFound if the day was never sealed."""
    keys = store.keys(day)
    if not keys:
        raise NotFound(f"no seal of {day}")
    checks: list[SealCheck] = []
    authentic: list[tuple[str, SealedManifest]] = []
    for key in keys:
        sealed = _authentic(store.read(key), day, mac)
        checks.append(SealCheck(key=key, authentic=sealed is not None))
        if sealed is not None:
            authentic.append((key, sealed))
    history = [
        SealStep(key=key, differences=tuple(differences(earlier.manifest, later.manifest, region)))
        for (_, earlier), (key, later) in itertools.pairwise(authentic)
    ]
    since: list[Difference] = []
    if authentic:
        current = build_manifest(day, sources, sealed_at=now)
        since = differences(authentic[-1][1].manifest, current, region)
    return Verification(day=day, region=region, seals=tuple(checks), history=tuple(history), since_latest=tuple(since))


def _authentic(body: bytes, day: date, mac: MacKey) -> SealedManifest | None:
    """The seal in `body` if it is a seal of `day` whose MAC verifies under the key, else None."""
    sealed = _parsed(body)
    if sealed is None or sealed.manifest.day != day or not _mac_valid(sealed, mac):
        return None
    return sealed


def _parsed(body: bytes) -> SealedManifest | None:
    try:
        return SealedManifest.model_validate_json(body)
    except ValidationError:
        return None


def _mac_valid(sealed: SealedManifest, mac: MacKey) -> bool:
    try:
        tag = base64.b64decode(sealed.mac, validate=True)
    except ValueError:
        return False
    return mac.verify(sealed.manifest.digest(), tag)
