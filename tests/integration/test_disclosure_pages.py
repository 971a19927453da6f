"""The disclosure pages and the scorecards on moto, over two months of generated history."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

import boto3
import case_api
import intake_api
import pytest
from chalice.test import Client
from govrate import runtime
from govrate.analytics.export import ExportWindow
from govrate.analytics.results import names_of
from govrate.analytics.service import analyze
from govrate.analytics.store import AnalyticsBucket
from govrate.evaluations.models import ReasonCode
from govrate.kernel.scale import Level
from govrate.web import i18n

from tests.integration.analytics_support import CST, FakeSources, at, expected_reasons, generate, make_evaluation
from tests.integration.conftest import AwsResources
from tests.integration.staff_support import ConsoleBrowser, StaffPool

FIRST_DAY = date(2026, 10, 1)
LAST_DAY = date(2026, 11, 20)
MAX_PAGE_BYTES = 100 * 1024


# The documents of one analysis, computed by the first test and copied into each test's bucket.
_PUBLISHED: dict[str, bytes] = {}


@cache
def _history() -> FakeSources:
    sources = generate(seed=9, first_day=FIRST_DAY, days=(LAST_DAY - FIRST_DAY).days + 1)
    # A small agency: three evaluations, below the minimum count of 10, never shown.
    for minute in range(3):
        sources.add_evaluation(
            make_evaluation(at(LAST_DAY) + timedelta(minutes=minute), "110105-XY", Level(5), item_code="110105-XY-001")
        )
    return sources


def _reasons(month: date, region: str, agency: str | None = None) -> list[int]:
    """A scope's bad reviews of the month and how many named each reason code, in `ReasonCode` order,
    from the generated history (what the analysis saw: up to its last day)."""
    totals = [0] * (1 + len(ReasonCode))
    for cell in expected_reasons(_history().as_of(LAST_DAY + timedelta(days=1)), month):
        if cell[1] == region and agency in (None, cell[2]):
            totals = [total + cast(int, value) for total, value in zip(totals, cell[4:], strict=True)]
    return totals


def _publish(bucket: str) -> None:
    s3 = boto3.client("s3")
    if not _PUBLISHED:
        analyze(
            ExportWindow(first_day=FIRST_DAY, last_day=LAST_DAY),
            sources=_history(),
            bucket=AnalyticsBucket(bucket, s3),
            now=datetime(2026, 11, 21, 0, 30, tzinfo=CST),
            today=date(2026, 11, 21),
            ranking_min_count=30,
            results_min_count=10,
            names=names_of(runtime.catalogue_repository().current_items()),
        )
        for listed in s3.list_objects_v2(Bucket=bucket, Prefix="results/v1/")["Contents"]:
            _PUBLISHED[listed["Key"]] = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
        return
    for key, body in _PUBLISHED.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture
def client(aws: AwsResources) -> Iterator[Any]:
    _publish(aws.analytics_bucket)
    with Client(intake_api.app) as test_client:
        yield test_client


def _page(client: Any, path: str) -> str:
    answer = client.http.get(path)
    assert answer.status_code == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/html")
    assert len(answer.body) <= MAX_PAGE_BYTES
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"].startswith("public")
    return str(answer.body.decode() if isinstance(answer.body, bytes) else answer.body)


def _json(client: Any, path: str) -> dict[str, Any]:
    answer = client.http.get(path)
    assert answer.status_code == 200, answer.body
    document: dict[str, Any] = json.loads(answer.body)
    return document


def test_the_index_lists_every_region(client: Any) -> None:
    body = _page(client, "/disclosure")
    assert '<html lang="zh-CN">' in body
    assert "/disclosure/regions/110105" in body and "/disclosure/regions/513231" in body
    assert "北京市朝阳区（110105）" in body
    # Everything's newest month, with its rates.
    index = _json(client, "/v1/results")
    good = index["totals"][-1]["rates"]["good_review_rate"]
    assert (
        f"全部地区 {index['totals'][-1]['period']}" in body and f"<strong>{good['value'] * 100:.1f}%</strong>" in body
    )


def test_a_link_that_cannot_be_served_says_why_in_the_results_words(client: Any) -> None:
    missing = client.http.get("/disclosure/regions/110101")  # a division without results
    assert missing.status_code == 404
    assert "暂无公开结果" in missing.body.decode() and "二维码" not in missing.body.decode()
    assert 'href="http://localhost/disclosure"' in missing.body.decode() or "/disclosure</" in missing.body.decode()
    month = client.http.get("/disclosure/regions/110105/scorecards?month=2025-01&lang=en")
    assert month.status_code == 422
    assert "This address cannot be read" in month.body.decode() and "2025-01" in month.body.decode()
    detail = json.loads(client.http.get("/v1/results/agencies/110105-XX").body)["detail"]
    assert detail == "no published results for agency 110105-XX"


def test_a_shared_links_tracking_tags_are_ignored(client: Any) -> None:
    assert "北京市朝阳区" in _page(client, "/disclosure/regions/110105?from=singlemessage&isappinstalled=0")
    assert _json(client, "/v1/results?utm_source=weibo")["months"]
    answer = client.http.get("/v1/results/regions/110105?format=CSV&utm_source=x")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")


def test_a_page_answers_304_to_its_etag(client: Any) -> None:
    first = client.http.get("/disclosure/regions/110105")
    etag = first.headers["ETag"]
    again = client.http.get("/disclosure/regions/110105", headers={"If-None-Match": etag})
    assert (again.status_code, again.body, again.headers["ETag"]) == (304, b"", etag)
    english = client.http.get("/disclosure/regions/110105?lang=en", headers={"If-None-Match": etag})
    assert english.status_code == 200 and english.headers["ETag"] != etag


def test_a_region_page_shows_the_api_numbers_with_a_server_drawn_trend(client: Any) -> None:
    body = _page(client, "/disclosure/regions/110105")
    document = _json(client, "/v1/results/regions/110105")
    november = document["months"][-1]
    assert november["period"] == "2026-11"
    reply = november["rates"]["bad_review_reply_rate"]
    good = november["rates"]["good_review_rate"]
    answered = re.search(r'<p id="answered">(.*?)</p>', body)
    assert answered is not None
    shown = "样本过少，不公开" if reply["suppressed"] else f"{reply['numerator']} / {reply['denominator']}"
    assert f"本月 {shown}" in answered.group(1)
    assert f"<strong>{good['value'] * 100:.1f}%</strong>" in body
    assert body.count("<svg") >= 1 and "<polyline" in body and 'role="img"' in body
    # Twelve months in the table beside the chart (before October: none), and each agency linked.
    assert len(re.findall(r'<th scope="row">20\d\d-\d\d</th>', body)) == 12
    assert "/disclosure/agencies/110105-GA" in body and "/disclosure/regions/110105/scorecards" in body
    # Regions and agencies by their catalogue names, with their codes.
    assert "<h1>地区 北京市朝阳区（110105）</h1>" in body and "北京市公安局朝阳分局（110105-GA）" in body


def test_the_flagged_evaluations_are_shown_beside_the_rates(client: Any) -> None:
    """Flagged evaluations stay in every rate; the page says how many of them there were."""
    november = _json(client, "/v1/results/regions/110105")["months"][-1]
    flagged = november["rates"]["flagged_share"]
    good = november["rates"]["good_review_rate"]
    assert 0 < flagged["numerator"] < flagged["denominator"] == good["denominator"]
    body = _page(client, "/disclosure/regions/110105")
    row = re.search(r'<th scope="row">疑似干扰评价占比</th><td>(.*?)</td>', body)
    assert row is not None and f"{flagged['numerator']} / {flagged['denominator']}" in row.group(1)


def test_a_small_agency_is_suppressed_on_its_page(client: Any) -> None:
    body = _page(client, "/disclosure/agencies/110105-XY")
    assert "样本过少，不公开" in body
    assert "3 / 3" not in body


def test_pages_in_english(client: Any) -> None:
    body = _page(client, "/disclosure/items/110105-GA-001?lang=en")
    assert '<html lang="en">' in body
    assert "Bad reviews answered on time" in body
    assert "Renewal of resident identity card (110105-GA-001)" in body  # an item's English name
    assert (
        'href="http://localhost/disclosure/agencies/110105-GA?lang=en"' in body or "agencies/110105-GA?lang=en" in body
    )


def test_bad_reviews_by_reason_are_published_only_from_the_minimum_count(client: Any) -> None:
    published = []
    for agency in ("110105-GA", "110105-SJ", "513231-MZ"):
        document = _json(client, f"/v1/results/agencies/{agency}")
        assert document["months"][-1]["period"] == "2026-11"
        for counts in document["bad_review_reasons"][-2:]:
            bad_reviews, *named = _reasons(date.fromisoformat(f"{counts['period']}-01"), agency[:6], agency)
            month = next(m for m in document["months"] if m["period"] == counts["period"])
            if 0 < bad_reviews < document["min_count"] or month["rates"]["bad_review_reply_rate"]["suppressed"]:
                # Small, or hidden with the reply rate so that the region's sum does not give a small one away.
                assert counts == {"period": counts["period"], "bad_reviews": None, "reasons": {}, "suppressed": True}
            else:
                assert counts["bad_reviews"] == bad_reviews and not counts["suppressed"]
                assert counts["reasons"] == {code.value: n for code, n in zip(ReasonCode, named, strict=True)}
                # The same bad reviews as the reply rate counts: suppressed with it, never worked out from it.
                assert month["rates"]["bad_review_reply_rate"]["denominator"] == bad_reviews
                published.append(bad_reviews)
    # Both outcomes are in the data.
    assert published and len(published) < 6


def test_unknown_and_malformed_codes_are_pages(client: Any) -> None:
    unknown = client.http.get("/disclosure/agencies/999999-NO")
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("text/html")
    assert client.http.get("/disclosure/regions/%25%25").status_code == 422


def test_scorecards_rank_each_agency_and_compare_with_the_month_before(client: Any) -> None:
    region = _json(client, "/v1/results/regions/110105")
    cards = _json(client, "/v1/results/regions/110105/scorecards?month=2026-11")
    assert (cards["month"], cards["previous_month"]) == ("2026-11", "2026-10")
    (ranking,) = [r for r in region["rankings"] if r["month"] == "2026-11"]
    places = {entry["agency_code"]: entry["place"] for entry in ranking["entries"]}
    by_code = {card["agency_code"]: card for card in cards["agencies"]}
    assert set(by_code) == {child["code"] for child in region["children"]}
    for child in region["children"]:
        card = by_code[child["code"]]
        assert card["rank"] == places.get(child["code"])
        october, november = child["months"][-2]["rates"], child["months"][-1]["rates"]
        rate = card["rates"]["good_review_rate"]
        assert rate["numerator"] == november["good_review_rate"]["numerator"]
        if not rate["suppressed"] and not october["good_review_rate"]["suppressed"]:
            expected = november["good_review_rate"]["value"] - october["good_review_rate"]["value"]
            assert rate["change"] == pytest.approx(expected, abs=1e-6)
    assert by_code["110105-XY"]["rates"]["good_review_rate"]["suppressed"]
    assert by_code["110105-XY"]["rank"] is None


def test_scorecards_as_csv_and_as_a_printable_page(client: Any) -> None:
    answer = client.http.get("/v1/results/regions/110105/scorecards?format=csv")
    assert answer.status_code == 200
    assert "scorecards-110105-2026-10.csv" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert {row["month"] for row in rows} == {"2026-10"}
    assert len(rows) == 3 * 8  # three agencies, seven rates and the share of flagged evaluations
    body = _page(client, "/disclosure/regions/110105/scorecards?month=2026-11")
    assert "@media print" in body
    assert body.count("<tr>") >= 1 + 3


def test_scorecards_refuse_a_month_without_results(client: Any) -> None:
    assert client.http.get("/v1/results/regions/110105/scorecards?month=2024-01").status_code == 422
    assert client.http.get("/v1/results/regions/110105/scorecards?month=2026-13").status_code == 422
    assert client.http.get("/disclosure/regions/110105/scorecards?month=nope").status_code == 422


# --- the supervisor dashboard (staff console) --------------------------------------------------------


@pytest.fixture
def console(aws: AwsResources, staff_pool: StaffPool) -> Iterator[tuple[Any, StaffPool]]:
    _publish(aws.analytics_bucket)
    with Client(case_api.app) as test_client:
        yield test_client, staff_pool


def _signed_in(client: Any, pool: StaffPool, username: str, role: str, region: str, agency: str | None = None) -> Any:
    """A browser signed in to the console as a new account."""
    pool.account(username, role, region, agency)
    browser = ConsoleBrowser(client)
    assert browser.sign_in(username).status_code == 303
    return browser


def test_a_city_supervisor_sees_the_city_only(console: tuple[Any, StaffPool]) -> None:
    client, pool = console
    city = _signed_in(client, pool, "city", "supervisor", "110100")
    overview = city.get("/console/dashboard")
    assert overview.status_code == 200
    assert "/console/dashboard/regions/110105" in overview.body.decode()
    assert "513231" not in overview.body.decode()
    region = city.get("/console/dashboard/regions/110105")
    assert region.status_code == 200
    page = region.body.decode()
    assert "<polyline" in page and "已超期、待提级 Past a deadline, not yet escalated" in page
    # Bad reviews by reason code, exact, in the newest month and the one before.
    assert "<th>原因 Reason</th><th>2026-10</th><th>2026-11</th>" in page
    october, november = _reasons(date(2026, 10, 1), "110105"), _reasons(date(2026, 11, 1), "110105")
    assert f"<tr><th>差评 Bad reviews</th><td>{october[0]}</td><td>{november[0]}</td></tr>" in page
    for position, code in enumerate(ReasonCode, start=1):
        row = re.search(rf"<tr><th>{re.escape(' '.join(i18n.REASONS[code]))}</th><td>(\d+) .*?<td>(\d+) ", page)
        assert row is not None, code
        assert (int(row.group(1)), int(row.group(2))) == (october[position], november[position]), code
    # The ranking drills down to the agencies, and an agency's to its items.
    assert "/console/dashboard/agencies/110105-GA" in page
    agency = city.get("/console/dashboard/agencies/110105-GA").body.decode()
    assert "已超期、待提级" in agency  # the agency's own open cases
    assert "/console/dashboard/items/110105-GA-001" in agency
    for outside in (
        "/console/dashboard/regions/513231",
        "/console/dashboard/agencies/513231-MZ",
        "/console/dashboard/items/513231-MZ-001",
    ):
        refused = city.get(outside)
        assert refused.status_code == 403, outside


def test_the_dashboard_exports_exact_counts(console: tuple[Any, StaffPool]) -> None:
    client, pool = console
    county = _signed_in(client, pool, "county", "supervisor", "110105")
    answer = county.get("/console/dashboard/regions/110105?format=csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    # The small agency, suppressed in public (`suppressed`: not published), is exact here.
    small = [
        r for r in rows if r["code"] == "110105-XY" and r["period"] == "2026-11" and r["rate"] == "good_review_rate"
    ]
    assert [(r["numerator"], r["denominator"], r["suppressed"]) for r in small] == [("3", "3", "true")]
    # Bad reviews by reason, per month: the reviews that named the code over the bad reviews.
    bad_reviews, *named = _reasons(date(2026, 11, 1), "110105")
    reasons = {
        r["rate"]: (int(r["numerator"]), int(r["denominator"]))
        for r in rows
        if r["code"] == "110105" and r["period"] == "2026-11" and r["rate"].startswith("reason_")
    }
    assert reasons == {f"reason_{code.value}": (n, bad_reviews) for code, n in zip(ReasonCode, named, strict=True)}
    # A month's reasons are withheld from the public exactly when its reply rate is (one family).
    month_rows = [r for r in rows if r["grain"] == "month" and r["scope"] != "day"]
    reply = {(r["code"], r["period"]): r["suppressed"] for r in month_rows if r["rate"] == "bad_review_reply_rate"}
    for row in month_rows:
        if row["rate"].startswith("reason_") and (row["code"], row["period"]) in reply:
            assert row["suppressed"] == reply[(row["code"], row["period"])], row


def test_staff_see_their_agency_only_and_strangers_sign_in(console: tuple[Any, StaffPool]) -> None:
    client, pool = console
    staff = _signed_in(client, pool, "clerk", "staff", "110105", agency="110105-GA")
    landing = staff.get("/console/dashboard")
    assert landing.status_code == 303 and landing.headers["Location"].endswith("/console/dashboard/agencies/110105-GA")
    own = staff.get("/console/dashboard/agencies/110105-GA")
    assert own.status_code == 200
    # Every item of the agency is linked, ranked or not.
    assert "/console/dashboard/items/110105-GA-001" in own.body.decode()
    assert "/console/dashboard/regions/" not in own.body.decode()  # no link to a page they may not see
    assert staff.get("/console/dashboard/agencies/110105-SJ").status_code == 403
    assert staff.get("/console/dashboard/regions/110105").status_code == 403
    anonymous = client.http.get("/console/dashboard/regions/110105")
    assert anonymous.status_code == 303 and anonymous.headers["Location"].endswith("/console/login")
