"""A platform's batch reads each catalogue entry once (`govrate.catalogue.snapshot`): the snapshot
answers as the catalogue does, a missing entry included, and its concurrent readers share one read."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from govrate.catalogue.snapshot import CatalogueSnapshot
from govrate.catalogue.store import Agency
from govrate.evaluations.models import EvaluationAccepted, EvaluationSubmission, ServiceItem
from govrate.kernel.errors import InvalidInput, NotFound
from govrate.platforms.registry import PlatformKey
from govrate.platforms.service import submit_platform_batch

from tests.fakes.reference import InMemoryCatalogue
from tests.fakes.world import FakeWorld

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BEIJING = PlatformKey(platform_id="bj", regions=("110000",), secret_arn="arn:bj")


class CountingCatalogue(InMemoryCatalogue):
    """The sample catalogue, counting its reads; each read waits a little, so that concurrent
    readers of one entry would overlap if the snapshot let them."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[tuple[str, ...]] = Counter()
        self._lock = threading.Lock()

    def _count(self, *key: str) -> None:
        with self._lock:
            self.reads[key] += 1
        threading.Event().wait(0.01)

    def get(self, item_code: str, version: int | None = None) -> ServiceItem:
        self._count("item", item_code, str(version))
        return super().get(item_code, version)

    def agency(self, agency_code: str) -> Agency:
        self._count("agency", agency_code)
        return super().agency(agency_code)

    def agencies_within(self, division: str) -> list[Agency]:
        self._count("within", division)
        return super().agencies_within(division)


@pytest.fixture
def catalogue() -> CountingCatalogue:
    sample = InMemoryCatalogue.sample()
    counting = CountingCatalogue()
    for code in ("110105-GA-001", "110105-GA-002", "110105-MZ-001"):
        counting.put(sample.get(code))
    return counting


def test_the_snapshot_answers_as_the_catalogue_and_reads_each_entry_once(catalogue: CountingCatalogue) -> None:
    snapshot = CatalogueSnapshot(catalogue)
    for _ in range(3):
        assert snapshot.get("110105-GA-001") == catalogue.get("110105-GA-001")
        assert snapshot.agency("110105-GA") == catalogue.agency("110105-GA")
        assert snapshot.agencies_within("110000") == catalogue.agencies_within("110000")
        with pytest.raises(NotFound, match="110105-XX-999"):
            snapshot.get("110105-XX-999")
        with pytest.raises(NotFound, match="version 7"):
            snapshot.get("110105-GA-001", 7)
    # once by the snapshot, and once for each of the three comparisons above
    assert catalogue.reads[("item", "110105-GA-001", "None")] == 1 + 3
    assert catalogue.reads[("agency", "110105-GA")] == 1 + 3
    assert catalogue.reads[("within", "110000")] == 1 + 3
    assert catalogue.reads[("item", "110105-XX-999", "None")] == 1
    assert catalogue.reads[("item", "110105-GA-001", "7")] == 1


def test_concurrent_readers_of_an_entry_share_one_read(catalogue: CountingCatalogue) -> None:
    snapshot = CatalogueSnapshot(catalogue)
    with ThreadPoolExecutor(max_workers=10) as pool:
        items = list(pool.map(lambda _: snapshot.get("110105-GA-002"), range(50)))
    assert {item.item_code for item in items} == {"110105-GA-002"}
    assert catalogue.reads == Counter({("item", "110105-GA-002", "None"): 1})


def test_a_platform_batch_reads_each_item_once_and_refuses_an_unknown_one_by_its_field(
    catalogue: CountingCatalogue,
) -> None:
    world = FakeWorld(catalogue=catalogue)
    item: dict[str, Any] = {"agency_code": "110105-GA", "region_code": "110105", "channel": "hotline", "level": 5}
    items = [
        EvaluationSubmission.model_validate(
            {**item, "item_code": f"110105-GA-00{1 + index % 2}", "external_id": f"batch-{index:03d}"}
        )
        for index in range(40)
    ]
    items.append(
        EvaluationSubmission.model_validate({**item, "item_code": "110105-GA-999", "external_id": "batch-unknown"})
    )
    outcomes = submit_platform_batch(items, platform=BEIJING, stores=world.intake, now=AT)
    assert all(isinstance(outcome, EvaluationAccepted) for outcome in outcomes[:40])
    refused = outcomes[40]
    assert isinstance(refused, InvalidInput) and refused.errors[0]["field"] == "item_code"
    assert catalogue.reads == Counter(
        {
            ("item", "110105-GA-001", "None"): 1,
            ("item", "110105-GA-002", "None"): 1,
            ("item", "110105-GA-999", "None"): 1,
        }
    )
    # each batch reads the catalogue as it is then
    submit_platform_batch(items[:1], platform=BEIJING, stores=world.intake, now=AT)
    assert catalogue.reads[("item", "110105-GA-001", "None")] == 2
