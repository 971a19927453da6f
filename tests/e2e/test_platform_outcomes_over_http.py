"""A platform follows what it posted on the local stack: a trans-regional bad review posted by the
applied-for region's platform, its case opened by the queue consumer for the handling agency, read back
by its outcome and through the change feed, resumed by the cursor."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.e2e.govrate_client import BEIJING, changes, evaluation_outcome, post_platform_batch

pytestmark = pytest.mark.e2e

SHENZHEN = "440305"


def test_a_platform_follows_its_bad_review_by_its_outcome_and_the_change_feed(stack: dict[str, Any]) -> None:
    # Read to the end of the feed first: what comes after this cursor is what this test makes.
    since = None
    while True:
        page = changes(stack, since)
        assert page.status_code == 200, page.text
        since = page.json()["next_cursor"]
        if not page.json()["more"]:
            break
    bad_review = {
        "agency_code": "110105-GA",
        "region_code": BEIJING,
        "applied_region_code": SHENZHEN,
        "channel": "hotline",
        "level": 1,
        "reason_codes": ["slow"],
        "external_id": f"12345-{uuid.uuid4().hex[:12]}",
    }
    posted = post_platform_batch(stack, [bad_review])
    assert posted.status_code == 200, posted.text
    evaluation_id = posted.json()["results"][0]["evaluation"]["evaluation_id"]

    deadline = time.monotonic() + 30
    outcome = evaluation_outcome(stack, evaluation_id, region_code=SHENZHEN).json()
    while outcome["case"] is None and time.monotonic() < deadline:
        time.sleep(0.5)
        outcome = evaluation_outcome(stack, evaluation_id, region_code=SHENZHEN).json()
    assert outcome["case"] is not None, outcome
    assert (outcome["region_code"], outcome["applied_region_code"], outcome["case"]["state"]) == (
        BEIJING,
        SHENZHEN,
        "received",
    )

    # Other tests' cases may change meanwhile: ours is in the feed once, and not again after the cursor.
    feed = changes(stack, since)
    assert feed.status_code == 200, feed.text
    ours = [change for change in feed.json()["changes"] if change["evaluation_id"] == evaluation_id]
    assert [(change["case"]["state"], change["applied_region_code"]) for change in ours] == [("received", SHENZHEN)]
    following = changes(stack, feed.json()["next_cursor"]).json()["changes"]
    assert evaluation_id not in {change["evaluation_id"] for change in following}
