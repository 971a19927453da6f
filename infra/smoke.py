"""The smoke test of a running stack, local or deployed: `make smoke API=<base URL>`.

    uv run python -m infra.smoke http://127.0.0.1:8000
    uv run python -m infra.smoke https://<api id>.execute-api.<region>.amazonaws.com/api --item 440300-GA-001

It reads the catalogue, posts one good evaluation and one bad review of a service item (the first in
the catalogue, or `--item`), waits until the bad review's case is opened, and reads the published
results when the API serves them. Every answer is checked against the API's own models. The two
evaluations stay (nothing is ever deleted); their comment says they come from the smoke test, so the
agency closes the case with an explanation. On a production stage, name a service item kept for tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from govrate.evaluations.models import CataloguePage, EvaluationAccepted, EvaluationStatus, ServiceItem

TIMEOUT_S = 15
CASE_WAIT_S = 90
CATALOGUE_PAGE = 50
RESULTS_PATH = "/v1/results"
SMOKE_COMMENT = "smoke test: please close with an explanation (冒烟测试，请以解释说明结案)"


class SmokeFailed(AssertionError):
    """A step of the smoke test did not get the answer it expects."""


@dataclass(frozen=True)
class Smoke:
    api: str
    say: Callable[[str], None] = print

    def run(self, item_code: str | None = None, case_wait_s: float = CASE_WAIT_S) -> None:
        item = self.service_item(item_code)
        self.say(f"ok  catalogue: {item.item_code} {item.name_zh} ({item.agency_code}, {item.region_code})")
        good = self.evaluate(item, level=5)
        self.say(f"ok  evaluation accepted: {good.evaluation_id}")
        bad = self.evaluate(item, level=2, reason_codes=["unclear_requirements"])
        if not bad.bad_review:
            raise SmokeFailed("a level-2 evaluation was not taken as a bad review")
        self.say(f"ok  bad review accepted: {bad.evaluation_id}")
        status = self.wait_for_case(bad, case_wait_s)
        self.say(f"ok  case opened: {bad.evaluation_id} is {status.case.state.value if status.case else '?'}")
        if not self.serves(RESULTS_PATH):
            self.say(f"--  results: the API serves no {RESULTS_PATH}")
        elif requests.get(self.api + RESULTS_PATH, timeout=TIMEOUT_S).status_code == 404:
            self.say(f"--  results: none published yet at {RESULTS_PATH} (the nightly analysis has not run)")
        else:
            self.expect("GET", RESULTS_PATH, 200)
            self.say(f"ok  results: {RESULTS_PATH}")

    def service_item(self, item_code: str | None) -> ServiceItem:
        query = {"limit": str(CATALOGUE_PAGE)}
        while True:
            page = CataloguePage.model_validate(self.expect("GET", "/v1/service-items", 200, params=query))
            for item in page.items:
                if item_code in (None, item.item_code):
                    return item
            if page.cursor is None:
                raise SmokeFailed(f"the catalogue has no item {item_code or ''}: import it first (docs/deploy.md)")
            query["cursor"] = page.cursor

    def evaluate(self, item: ServiceItem, *, level: int, reason_codes: list[str] | None = None) -> EvaluationAccepted:
        body = {
            "item_code": item.item_code,
            "agency_code": item.agency_code,
            "region_code": item.region_code,
            "level": level,
            "comment": SMOKE_COMMENT,
            **({"reason_codes": reason_codes} if reason_codes else {}),
        }
        accepted = EvaluationAccepted.model_validate(self.expect("POST", "/v1/evaluations", 201, json=body))
        if not accepted.receipt:
            raise SmokeFailed("a new evaluation came without its receipt")
        return accepted

    def wait_for_case(self, accepted: EvaluationAccepted, wait_s: float) -> EvaluationStatus:
        deadline = time.monotonic() + wait_s
        path = f"/v1/evaluations/{accepted.evaluation_id}"
        while True:
            status = EvaluationStatus.model_validate(
                self.expect("GET", path, 200, params={"receipt": accepted.receipt or ""})
            )
            if status.case is not None:
                return status
            if time.monotonic() > deadline:
                raise SmokeFailed(
                    f"no case for bad review {accepted.evaluation_id} after {wait_s:.0f} s: see the runbook "
                    "entries for the dead letters and the stream iterator age (docs/operations.md)"
                )
            time.sleep(1)

    def serves(self, path: str) -> bool:
        document = self.expect("GET", "/openapi.json", 200)
        return path in document.get("paths", {})

    def expect(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = requests.request(method, self.api + path, timeout=TIMEOUT_S, **kwargs)
        if response.status_code != status:
            raise SmokeFailed(f"{method} {path}: expected {status}, got {response.status_code}: {response.text[:500]}")
        return response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("api", help="the API's base URL, stage included (the stack output ApiRestApiEndpoint…)")
    parser.add_argument("--item", help="the service item to rate (default: the catalogue's first)")
    parser.add_argument("--case-wait", type=float, default=CASE_WAIT_S, help="seconds to wait for the case")
    args = parser.parse_args(argv)
    try:
        Smoke(args.api.rstrip("/")).run(args.item, args.case_wait)
    except (SmokeFailed, requests.RequestException) as failed:
        print(f"FAIL {failed}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
