"""The traffic of a load run, as locust users: citizens' good and bad reviews (each retried once in a
while with its Idempotency-Key, as a client whose answer was lost does), a review that breaks a rule,
and a regional platform's signed batches. A post without an answer, or answered 429 or 5xx, is sent
again unchanged, as the docs tell clients to. Every answer is written down in the run's ledger."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from govrate.platforms.signing import platform_signer
from locust import HttpUser, constant_throughput, task

ITEM = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105"}
BATCH_SIZE = 10
REPLAY_SHARE = 0.2  # of the reviews, sent a second time with the same key
ATTEMPTS = 5  # a post without an answer, or answered 429 or 5xx, is sent again as a client would
RETRY_AFTER_S = 1.0


@dataclass(frozen=True)
class Accepted:
    """A 2xx answer for one evaluation: which key it was sent under and what the server said."""

    key: str
    evaluation_id: str
    bad_review: bool
    replayed: bool


@dataclass
class Ledger:
    accepted: list[Accepted] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, code: int) -> None:
        with self._lock:
            self.statuses[code] = self.statuses.get(code, 0) + 1

    def accept(self, entry: Accepted) -> None:
        with self._lock:
            self.accepted.append(entry)


def review(bad: bool) -> dict[str, Any]:
    if bad:
        return {**ITEM, "level": random.choice([1, 2]), "reason_codes": ["slow"]}
    return {**ITEM, "level": random.choice([3, 4, 5])}


def batch_items(run: str) -> Iterator[dict[str, Any]]:
    """A platform's batch: mostly good reviews, some bad, one that breaks a rule (no reason code)."""
    for index in range(BATCH_SIZE):
        item: dict[str, Any] = {**ITEM, "channel": "hotline", "external_id": f"{run}-{uuid.uuid4().hex[:16]}"}
        if index == 0:
            item["level"] = 1  # refused: a bad review needs a reason code
        elif index % 4 == 1:
            item |= {"level": 2, "reason_codes": ["attitude"]}
        else:
            item["level"] = 5
        yield item


class Citizen(HttpUser):
    """One request a second, whatever the answer time: the users' number is the rate."""

    wait_time = constant_throughput(1)
    ledger: ClassVar[Ledger] = Ledger()
    platform: ClassVar[dict[str, Any]] = {}
    run_id: ClassVar[str] = "load"

    @task(6)
    def good_review(self) -> None:
        self._post_review(bad=False)

    @task(3)
    def bad_review(self) -> None:
        self._post_review(bad=True)

    @task(1)
    def refused_review(self) -> None:
        with self.client.post(
            "/v1/evaluations", json={**review(bad=True), "reason_codes": []}, name="refused", catch_response=True
        ) as response:
            self.ledger.status(response.status_code)
            if response.status_code == 422:
                response.success()
            else:
                response.failure(f"expected 422, got {response.status_code}")

    @task(1)
    def platform_batch(self) -> None:
        items = list(batch_items(self.run_id))
        for _attempt in range(ATTEMPTS):
            with self.client.post(
                "/v1/platform/evaluations/batch",
                json={"evaluations": items},
                # a new signature (nonce) for every attempt
                auth=platform_signer(self.platform["key_id"], self.platform["key"].encode()),
                name="batch",
                catch_response=True,
                timeout=60,
            ) as response:
                self.ledger.status(response.status_code)
                if response.status_code != 200:
                    response.failure(f"batch answered {response.status_code}")
                    if retryable(response.status_code):
                        time.sleep(RETRY_AFTER_S)
                        continue
                    return
                for item, result in zip(items, response.json()["results"], strict=True):
                    if result["status"] in {"accepted", "duplicate"}:
                        evaluation = result["evaluation"]
                        self.ledger.accept(
                            Accepted(item["external_id"], evaluation["evaluation_id"], evaluation["bad_review"], False)
                        )
                response.success()
                return

    def _post_review(self, *, bad: bool) -> None:
        body = review(bad)
        key = f"{self.run_id}-{uuid.uuid4().hex}"
        answers = 2 if random.random() < REPLAY_SHARE else 1
        for _attempt in range(ATTEMPTS):
            with self.client.post(
                "/v1/evaluations",
                json=body,
                headers={"Idempotency-Key": key},
                name="bad review" if bad else "good review",
                catch_response=True,
            ) as response:
                self.ledger.status(response.status_code)
                if response.status_code not in {200, 201}:
                    response.failure(f"answered {response.status_code}: {response.text[:200]}")
                    if retryable(response.status_code):
                        time.sleep(RETRY_AFTER_S)
                        continue
                    return
                answer = response.json()
                self.ledger.accept(Accepted(key, answer["evaluation_id"], answer["bad_review"], answer["replayed"]))
                response.success()
                answers -= 1
                if not answers:
                    return


def retryable(status: int) -> bool:
    """No answer (0), throttled, or a server error: the docs' retry policy."""
    return status in {0, 429} or status >= 500
