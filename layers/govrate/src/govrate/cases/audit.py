"""The append-only audit chain of a case.

Every entry carries the hash of the entry before it, and its own hash covers all its fields, that
link included. The case item keeps the chain's length and last hash, written in the same
transaction as the entry, so deleting the newest entries is detected too. `verify_chain` reports
each edited, missing, reordered or foreign entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from govrate.cases.model import GENESIS_HASH, Action, AuditEntry, Case, ChainProblem, ChainReport
from govrate.evaluations.models import CaseState
from govrate.identity.model import Actor


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 of the entry's canonical JSON (sorted keys, no whitespace), its own hash left out."""
    body = entry.model_dump(mode="json", exclude={"hash"})
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def next_entry(
    case: Case,
    *,
    at: datetime,
    actor: Actor,
    action: Action,
    to_state: CaseState,
    detail: Mapping[str, Any] | None = None,
    from_state: CaseState | None = None,
) -> AuditEntry:
    """The entry that follows the case's chain. `from_state` defaults to the case's state; opening a
    case has none, so the caller passes the case before the change."""
    unsealed = AuditEntry(
        evaluation_id=case.evaluation_id,
        seq=case.audit_count + 1,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        detail=dict(detail or {}),
        prev_hash=case.audit_head,
        hash="",
    )
    return unsealed.model_copy(update={"hash": entry_hash(unsealed)})


def verify_chain(evaluation_id: str, entries: Sequence[AuditEntry], *, count: int, head: str) -> ChainReport:
    """Check the entries as stored, in storage order, against the length and head the case records."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    previous_hash = GENESIS_HASH
    for entry in entries:
        if entry.evaluation_id != evaluation_id:
            problems.append(ChainProblem(seq=entry.seq, kind="foreign", message="entry of another case"))
        if entry.seq > expected_seq:
            missing = ", ".join(str(seq) for seq in range(expected_seq, entry.seq))
            problems.append(ChainProblem(seq=entry.seq, kind="missing", message=f"entries {missing} are missing"))
        elif entry.seq < expected_seq:
            problems.append(
                ChainProblem(seq=entry.seq, kind="out_of_order", message=f"found where {expected_seq} belongs")
            )
        if entry_hash(entry) != entry.hash:
            problems.append(ChainProblem(seq=entry.seq, kind="edited", message="content does not match its hash"))
        if entry.prev_hash != previous_hash:
            problems.append(
                ChainProblem(seq=entry.seq, kind="broken_link", message="does not follow the entry before it")
            )
        previous_hash = entry.hash
        expected_seq = max(expected_seq, entry.seq + 1)
    if len(entries) != count or previous_hash != head:
        problems.append(
            ChainProblem(
                seq=count,
                kind="head_mismatch",
                message=f"the case records {count} entries ending in {head[:12]}…, the trail has {len(entries)}",
            )
        )
    return ChainReport(intact=not problems, entries=len(entries), problems=problems)
