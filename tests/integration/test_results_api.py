"""The public results API on moto: one stored document per answer, small cells suppressed, CSV, ETags."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import boto3
import intake_api
import pytest
from chalice.test import Client
from govrate.analytics.export import ExportWindow
from govrate.analytics.service import analyze
from govrate.analytics.store import AnalyticsBucket
from govrate.kernel.scale import Level

from tests.integration.analytics_support import CST, FakeSources, at, make_evaluation
from tests.integration.conftest import AwsResources

DAY = date(2026, 11, 10)


@pytest.fixture
def client(aws: AwsResources) -> Iterator[Any]:
    sources = FakeSources()
    # 12 evaluations of one agency (published), 3 of another (below the minimum count of 10: suppressed).
    for minute in range(12):
        sources.add_evaluation(make_evaluation(at(DAY) + timedelta(minutes=minute), "110105-GA", Level(5 - minute % 3)))
    for minute in range(3):
        level = Level.DISSATISFIED if minute == 0 else Level.SATISFIED
        sources.add_evaluation(make_evaluation(at(DAY, 14) + timedelta(minutes=minute), "110105-SJ", level))
    # And 9 of a third agency: suppressed too, so that the region minus GA does not give SJ away.
    for minute in range(9):
        sources.add_evaluation(make_evaluation(at(DAY, 15) + timedelta(minutes=minute), "110105-RS", Level(5)))
    analyze(
        ExportWindow(first_day=DAY, last_day=DAY),
        sources=sources,
        bucket=AnalyticsBucket(aws.analytics_bucket, boto3.client("s3")),
        now=datetime(2026, 11, 11, 0, 30, tzinfo=CST),
        today=date(2026, 11, 11),
        ranking_min_count=10,
        results_min_count=10,
    )
    with Client(intake_api.app) as test_client:
        yield test_client


def test_a_region_in_one_request_with_small_cells_suppressed(client: Any) -> None:
    answer = client.http.get("/v1/results/regions/110105")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"].startswith("public, max-age=")
    document = json.loads(answer.body)
    assert document["min_count"] == 10
    (november,) = [month for month in document["months"] if month["period"] == "2026-11"]
    assert november["rates"]["good_review_rate"] == {
        "numerator": 23,
        "denominator": 24,
        "value": round(23 / 24, 6),
        "suppressed": False,
    }
    assert len(document["months"]) == 1  # the months that have cells, up to 12
    children = {child["code"]: child["months"][-1]["rates"]["good_review_rate"] for child in document["children"]}
    assert children["110105-GA"]["denominator"] == 12
    hidden = {"numerator": None, "denominator": None, "value": None, "suppressed": True}
    assert children["110105-SJ"] == children["110105-RS"] == hidden
    # An empty cell (no real-name bad review) is not suppressed: 0 of 0 singles nobody out.
    assert november["rates"]["return_visit_rectification_rate"] == {
        "numerator": 0,
        "denominator": 0,
        "value": None,
        "suppressed": False,
    }
    (ranking,) = document["rankings"]
    assert [entry["agency_code"] for entry in ranking["entries"]] == ["110105-GA"]  # SJ has too few to rank


def test_an_agency_and_an_item_and_the_index(client: Any) -> None:
    agency = json.loads(client.http.get("/v1/results/agencies/110105-GA").body)
    assert (agency["scope"], agency["region_code"]) == ("agency", "110105")
    assert [child["code"] for child in agency["children"]] == ["110105-GA-001"]
    assert [day["period"] for day in agency["days"]] == ["2026-11-10"]
    item = json.loads(client.http.get("/v1/results/items/110105-GA-001").body)
    assert (item["scope"], item["agency_code"], item["children"]) == ("item", "110105-GA", [])
    index = json.loads(client.http.get("/v1/results").body)
    assert {(scope["scope"], scope["code"]) for scope in index["scopes"]} >= {
        ("region", "110105"),
        ("agency", "110105-SJ"),
        ("item", "110105-GA-001"),
    }
    assert set(index["rates"]) == {
        "good_review_rate",
        "active_good_review_rate",
        "unrated_rate",
        "bad_review_reply_rate",
        "return_visit_rectification_rate",
        "rectification_satisfaction_rate",
        "satisfaction_score",
        "flagged_share",
    }


def test_csv_download_and_conditional_requests(client: Any) -> None:
    answer = client.http.get("/v1/results/agencies/110105-SJ?format=csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    good = [row for row in rows if row["rate"] == "good_review_rate" and row["grain"] == "month"]
    assert good[0]["suppressed"] == "true" and good[0]["numerator"] == ""
    etag = answer.headers["ETag"]
    again = client.http.get("/v1/results/agencies/110105-SJ?format=csv", headers={"If-None-Match": etag})
    assert again.status_code == 304
    json_etag = client.http.get("/v1/results/agencies/110105-SJ").headers["ETag"]
    assert json_etag != etag


def test_unknown_scopes_and_bad_input_are_problems_not_errors(client: Any) -> None:
    missing = client.http.get("/v1/results/regions/810000")  # well formed, never published
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, "application/problem+json")
    assert client.http.get("/v1/results/regions/..%2F..%2Fcells").status_code in (404, 422)
    assert client.http.get("/v1/results/regions/110105?format=xml").status_code == 422
    malformed = client.http.get("/v1/results/regions/abc")  # not a division code: 422 naming the code
    assert malformed.status_code == 422 and "code" in malformed.body.decode()
    # A parameter the API does not know (a shared link's tracking tag) is ignored.
    assert client.http.get("/v1/results/regions/110105?utm_source=x").status_code == 200
