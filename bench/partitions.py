"""Hot partitions at 10,000 evaluations/s: how evenly the keys spread over DynamoDB partitions.

Simulates one second of 10,000 evaluations minted by many Lambda containers at once (ULIDs of the
same second with independent random parts; one container's ULIDs would be monotonic and spread even
more evenly) and counts writes per partition key of the base table and of the sharded `by_day`
index. A DynamoDB partition takes at most 1,000 write units per second; the busiest key must stay
below that. Repeated over many seconds to find the worst one.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime

from govrate.evaluations.store import day_shard, shard_of
from govrate.settings import Settings
from ulid import ULID

RATE = 10_000
SECONDS = 60
PARTITION_WRITE_LIMIT = 1_000


def one_second(moment: datetime) -> list[str]:
    timestamp = ULID.from_datetime(moment).bytes[:6]
    return [str(ULID.from_bytes(timestamp + os.urandom(10))) for _ in range(RATE)]


def run() -> dict[str, float]:
    shards = Settings().day_shards
    moment = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    busiest = 0
    for _ in range(SECONDS):
        ids = one_second(moment)
        by_day = Counter(day_shard(moment.date(), shard_of(evaluation_id, shards)) for evaluation_id in ids)
        busiest = max(busiest, *by_day.values())
    figures = {
        "evaluations_per_second": RATE,
        "day_shards": shards,
        "busiest_by_day_key_writes_per_second": busiest,
        "even_share_per_key": RATE / shards,
        "headroom_vs_partition_limit": PARTITION_WRITE_LIMIT / busiest,
        "base_table_distinct_keys": len(set(ids)),
    }
    print(f"partitions: 10,000 evaluations/s from many containers, worst of {SECONDS} seconds")
    print(f"  base table: {len(set(ids))} distinct partition keys (one per evaluation)")
    print(f"  by_day index: {shards} shard keys, busiest {busiest} writes/s (even share {RATE / shards:.0f})")
    print(f"  headroom to the 1,000 WCU/s partition limit: {PARTITION_WRITE_LIMIT / busiest:.2f}x")
    return figures


if __name__ == "__main__":
    run()
