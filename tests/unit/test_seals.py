"""Tamper evidence in memory: leaves, Merkle roots, the manifest, sealing again and every finding."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from govrate.integrity.seals import (
    CaseChainSource,
    Change,
    Difference,
    SealedManifest,
    Verification,
    build_manifest,
    canonical_item,
    days_to_seal,
    leaf_hash,
    merkle_root,
    seal_day,
    verify_day,
)
from govrate.kernel.errors import InvalidInput, NotFound
from govrate.verify_integrity import report

from tests.fakes.seals import DayItems, InMemorySealBucket, LocalMacKey

CHINA = timezone(timedelta(hours=8))
DAY = date(2026, 11, 3)
NIGHT = datetime(2026, 11, 4, 1, 0, tzinfo=CHINA)


def evaluation(evaluation_id: str, region: str = "110105", level: int = 5, **extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "pk": {"S": f"EVAL#{evaluation_id}"},
        "evaluation_id": {"S": evaluation_id},
        "region_code": {"S": region},
        "level": {"N": str(level)},
        **extra,
    }


def entry(evaluation_id: str, seq: int, action: str = "open") -> dict[str, Any]:
    return {
        "pk": {"S": f"CASE#{evaluation_id}"},
        "sk": {"S": f"AUDIT#{seq:06d}"},
        "seq": {"N": str(seq)},
        "action": {"S": action},
        "detail": {"S": "{}"},
    }


def case(evaluation_id: str, entries: int, region: str = "110105") -> CaseChainSource:
    chain = tuple(entry(evaluation_id, seq) for seq in range(1, entries + 1))
    return CaseChainSource(
        evaluation_id=evaluation_id,
        region_code=region,
        audit_count=entries,
        audit_head=f"head-{entries}",
        entries=chain,
    )


@pytest.fixture
def items() -> DayItems:
    return DayItems(
        evaluations={DAY: [evaluation("01B"), evaluation("01A", level=1), evaluation("01C", region="510000")]},
        cases={DAY: [case("01A", 2)]},
    )


@pytest.fixture
def bucket() -> InMemorySealBucket:
    return InMemorySealBucket()


def seal(items: DayItems, bucket: InMemorySealBucket, at: datetime = NIGHT) -> str | None:
    return seal_day(DAY, sources=items, store=bucket, mac=LocalMacKey(), now=at).key


def verify(items: DayItems, bucket: InMemorySealBucket, region: str | None = None) -> Verification:
    return verify_day(
        DAY, region=region, sources=items, store=bucket, mac=LocalMacKey(), now=NIGHT + timedelta(hours=9)
    )


# --- leaves and roots -------------------------------------------------------------------------------------

# RFC 6962's Merkle Tree Hash over the test leaves of Certificate Transparency's reference implementation.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("count", range(len(CT_ROOTS)))
def test_the_root_is_rfc_9162s_merkle_tree_hash(count: int) -> None:
    leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(data)).hexdigest() for data in CT_LEAVES[:count]]
    assert merkle_root(leaves) == CT_ROOTS[count]


def test_a_leaf_is_the_hash_of_the_items_canonical_typed_json() -> None:
    item = {
        "region_code": {"S": "110105"},
        "comment": {"S": "窗口\n态度好"},
        "level": {"N": "5"},
        "contact_cipher": {"B": b"\x01\x02"},
        "reason_codes": {"L": [{"S": "slow"}]},
        "indicators": {"M": {"b": {"N": "4"}, "a": {"N": "5"}}},
        "real_name": {"BOOL": True},
        "window_id": {"NULL": True},
    }
    expected = (
        '{"comment":{"S":"窗口\\n态度好"},"contact_cipher":{"B":"AQI="},'
        '"indicators":{"M":{"a":{"N":"5"},"b":{"N":"4"}}},"level":{"N":"5"},"real_name":{"BOOL":true},'
        '"reason_codes":{"L":[{"S":"slow"}]},"region_code":{"S":"110105"},"window_id":{"NULL":true}}'
    )
    assert canonical_item(item).decode() == expected
    assert leaf_hash(item) == hashlib.sha256(b"\x00" + expected.encode()).hexdigest()


def test_the_manifest_sorts_leaves_by_evaluation_id_and_roots_each_region(items: DayItems) -> None:
    manifest = build_manifest(DAY, items, sealed_at=NIGHT)
    beijing, sichuan = manifest.regions
    assert [leaf.evaluation_id for leaf in beijing.evaluations] == ["01A", "01B"]
    assert beijing.evaluation_root == merkle_root([leaf_hash(evaluation("01A", level=1)), leaf_hash(evaluation("01B"))])
    assert (sichuan.region_code, sichuan.evaluation_count, sichuan.cases) == ("510000", 1, ())
    (chain,) = beijing.cases
    assert (chain.audit_count, [e.seq for e in chain.entries]) == (2, [1, 2])


def test_the_seal_holds_no_personal_data(bucket: InMemorySealBucket) -> None:
    cipher = b"sealed contact of the evaluator"
    items = DayItems(
        evaluations={DAY: [evaluation("01A", comment={"S": "王芳 13800000000"}, contact_cipher={"B": cipher})]}
    )
    key = seal(items, bucket)
    assert key is not None
    body = bucket.objects[key].decode()
    assert "王芳" not in body and "13800000000" not in body
    assert base64.b64encode(cipher).decode() not in body and "contact" not in body and "comment" not in body


# --- sealing ------------------------------------------------------------------------------------------------


def test_a_day_sealed_again_unchanged_gets_no_new_object(items: DayItems, bucket: InMemorySealBucket) -> None:
    assert seal(items, bucket) is not None
    assert seal(items, bucket, NIGHT + timedelta(days=1)) is None
    assert len(bucket.objects) == 1


def test_a_case_handled_after_the_seal_is_sealed_again_beside_the_first_seal(
    items: DayItems, bucket: InMemorySealBucket
) -> None:
    first = seal(items, bucket)
    items.cases[DAY] = [case("01A", 3)]
    second = seal(items, bucket, NIGHT + timedelta(days=1))
    assert first is not None and second is not None and first < second
    assert set(bucket.objects) == {first, second}
    result = verify(items, bucket)
    assert result.clean
    (step,) = result.history
    assert step.differences == (
        Difference(subject="case entry", change=Change.ADDED, region_code="110105", evaluation_id="01A", seq=3),
    )


def test_sealing_again_reads_the_newest_authentic_seal_only(items: DayItems, bucket: InMemorySealBucket) -> None:
    for night in range(3):
        items.cases[DAY] = [case("01A", 2 + night)]
        seal(items, bucket, NIGHT + timedelta(days=night))
    newest = max(bucket.objects)
    bucket.reads.clear()
    assert seal(items, bucket, NIGHT + timedelta(days=3)) is None
    assert bucket.reads == [newest]


def test_the_mac_covers_the_manifest(items: DayItems, bucket: InMemorySealBucket) -> None:
    key = seal(items, bucket)
    assert key is not None
    sealed = SealedManifest.model_validate_json(bucket.objects[key])
    assert base64.b64decode(sealed.mac) == LocalMacKey().generate(sealed.manifest.digest())


def test_days_to_seal_a_schedule_seals_the_window_up_to_yesterday() -> None:
    days = days_to_seal({"time": "2026-11-03T17:00:00Z"}, now=NIGHT, utc_offset_hours=8, seal_days=45)
    assert (days[0], days[-1], len(days)) == (DAY - timedelta(days=44), DAY, 45)
    assert days_to_seal({"day": "2026-11-01"}, now=NIGHT, utc_offset_hours=8, seal_days=45) == [date(2026, 11, 1)]
    with pytest.raises(InvalidInput):
        days_to_seal({"day": "2026-11-04"}, now=NIGHT, utc_offset_hours=8, seal_days=45)
    with pytest.raises(InvalidInput):
        days_to_seal({}, now=NIGHT, utc_offset_hours=8, seal_days=45)


# --- verifying --------------------------------------------------------------------------------------------------


def test_an_untouched_day_is_clean(items: DayItems, bucket: InMemorySealBucket) -> None:
    seal(items, bucket)
    result = verify(items, bucket)
    assert result.clean and not result.since_latest and not result.history
    assert [check.authentic for check in result.seals] == [True]


def test_a_day_never_sealed_is_not_found(items: DayItems, bucket: InMemorySealBucket) -> None:
    with pytest.raises(NotFound):
        verify(items, bucket)


def _finding(change: Change, evaluation_id: str, *, subject: str = "evaluation", seq: int | None = None) -> Difference:
    return Difference(subject=subject, change=change, region_code="110105", evaluation_id=evaluation_id, seq=seq)


@pytest.mark.parametrize(
    ("tamper", "finding"),
    [
        (lambda rows: rows.append(evaluation("01D")), _finding(Change.ADDED, "01D")),
        (lambda rows: rows.__setitem__(1, evaluation("01A", level=5)), _finding(Change.CHANGED, "01A")),
        (lambda rows: rows.pop(0), _finding(Change.REMOVED, "01B")),
    ],
    ids=["added", "changed", "removed"],
)
def test_each_tampered_evaluation_is_named(
    items: DayItems, bucket: InMemorySealBucket, tamper: Any, finding: Difference
) -> None:
    seal(items, bucket)
    tamper(items.evaluations[DAY])
    result = verify(items, bucket)
    assert result.since_latest == (finding,)
    assert not result.clean
    assert verify(items, bucket, region="510000").clean


def _entries(*entries: dict[str, Any]) -> CaseChainSource:
    return case("01A", 2).model_copy(update={"entries": entries})


@pytest.mark.parametrize(
    ("tampered", "finding"),
    [
        (_entries(entry("01A", 1), entry("01A", 2), entry("01A", 3, "close")), _finding(Change.ADDED, "01A", seq=3)),
        (_entries(entry("01A", 1), entry("01A", 2, "appeal_upheld")), _finding(Change.CHANGED, "01A", seq=2)),
        (_entries(entry("01A", 1)), _finding(Change.REMOVED, "01A", seq=2)),
    ],
    ids=["added", "changed", "removed"],
)
def test_each_tampered_audit_entry_is_named(
    items: DayItems, bucket: InMemorySealBucket, tampered: CaseChainSource, finding: Difference
) -> None:
    seal(items, bucket)
    items.cases[DAY] = [tampered]
    assert verify(items, bucket).since_latest == (finding.model_copy(update={"subject": "case entry"}),)


def test_a_case_removed_whole_names_each_entry(items: DayItems, bucket: InMemorySealBucket) -> None:
    seal(items, bucket)
    items.cases[DAY] = []
    assert [(d.change, d.seq) for d in verify(items, bucket).since_latest] == [(Change.REMOVED, 1), (Change.REMOVED, 2)]


def test_a_chain_head_rewritten_alone_is_named(items: DayItems, bucket: InMemorySealBucket) -> None:
    seal(items, bucket)
    items.cases[DAY] = [case("01A", 2).model_copy(update={"audit_count": 1, "audit_head": "head-1"})]
    assert verify(items, bucket).since_latest == (_finding(Change.CHANGED, "01A", subject="case head"),)


def test_a_forged_seal_is_reported_and_the_authentic_one_still_used(
    items: DayItems, bucket: InMemorySealBucket
) -> None:
    seal(items, bucket)
    items.evaluations[DAY].append(evaluation("01D"))
    # Someone with write access to the bucket but not the key seals the tampered day.
    forged = seal_day(DAY, sources=items, store=bucket, mac=LocalMacKey(b"another key"), now=NIGHT + timedelta(hours=1))
    result = verify(items, bucket)
    assert [check.key for check in result.forged] == [forged.key]
    assert result.since_latest == (_finding(Change.ADDED, "01D"),)
    assert not result.clean


def test_an_edited_seal_does_not_verify(items: DayItems, bucket: InMemorySealBucket) -> None:
    key = seal(items, bucket)
    assert key is not None
    document = json.loads(bucket.objects[key])
    document["manifest"]["regions"][0]["cases"] = []
    bucket.objects[key] = json.dumps(document).encode()
    result = verify(items, bucket)
    assert [check.authentic for check in result.seals] == [False]
    assert not result.clean
    printed = io.StringIO()
    report(result, printed)
    assert printed.getvalue().splitlines()[1:] == [
        f"seal {key}: FORGED: not a seal of this day made with the seal key",
        "no authentic seal: the tables cannot be compared with anything",
        "TAMPERED: 1 finding(s)",
    ]


def test_an_evaluation_changed_between_two_seals_is_reported(items: DayItems, bucket: InMemorySealBucket) -> None:
    seal(items, bucket)
    items.evaluations[DAY][0] = evaluation("01B", level=1)
    seal(items, bucket, NIGHT + timedelta(days=1))
    result = verify(items, bucket)
    assert not result.since_latest
    assert result.rewritten_between_seals == (_finding(Change.CHANGED, "01B"),)
    assert not result.clean
