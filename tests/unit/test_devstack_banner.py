"""What `make dev` starts with: the banner gives the administrators' commands with every variable they need
filled in; the options become the stack's context; every demo province has a supervisor; the demo
history is five weeks unless told otherwise."""

from __future__ import annotations

import shlex

import pytest

from local.demo import DemoWindow, demo_staff
from local.devstack import banner, parse_args, stack_context
from local.stack import HISTORY_DAYS, SYNTHESIZED_UPSTREAM_URL, Ready, without_upstream_url

ENVIRONMENT = {
    "GOVRATE_REFERENCE_TABLE": "Govrate-demo-dev-Reference",
    "GOVRATE_STAFF_USER_POOL_ID": "us-east-1_abc123",
    "GOVRATE_STAFF_CLIENT_ID": "client123",
    "GOVRATE_STAFF_JWKS_URL": "http://127.0.0.1:5000/us-east-1_abc123/.well-known/jwks.json",
}
STAFF = [
    {
        "username": "supervisor-demo",
        "role": "supervisor",
        "agency_code": "",
        "region_code": "110000",
        "password": "Govrate-Demo-2026",
    }
]


def test_the_region_rules_line_names_the_sign_in_keys_of_the_local_pool() -> None:
    ready = Ready("http://127.0.0.1:8000", "http://127.0.0.1:5000", "us-east-1", ENVIRONMENT, staff=STAFF)
    (line,) = [line for line in banner(ready).splitlines() if "govrate.regions.admin" in line]
    words = shlex.split(line.split(":", 1)[1])
    assignments = dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("("))
    assert assignments | ENVIRONMENT == assignments
    assert (assignments["AWS_ENDPOINT_URL"], assignments["AWS_DEFAULT_REGION"]) == (
        "http://127.0.0.1:5000",
        "us-east-1",
    )


def test_a_downstream_stack_is_registered_as_a_downstream_stage_beside_the_platforms() -> None:
    args = parse_args(["--platform", "city-gov:city-gov-1:110100", "--downstream", "province:province-local:110000"])
    registered = {entry["platform_id"]: entry for entry in stack_context(args)["govrate:platforms"]}
    assert registered["province"] == {
        "platform_id": "province",
        "key_id": "province-local",
        "regions": ["110000"],
        "downstream": True,
    }
    assert "downstream" not in registered["city-gov"]
    platform = {"platform_id": "province", "key_id": "province-local", "regions": ["110000"], "key": "k"}
    ready = Ready(
        "http://127.0.0.1:8000",
        "http://127.0.0.1:5000",
        "us-east-1",
        ENVIRONMENT,
        platforms=[{**platform, "downstream": True}],
    )
    assert "province  regions 110000  (downstream stage: relays only" in banner(ready)


def test_an_upstream_at_another_port_synthesizes_the_same_template_and_is_set_in_the_environment() -> None:
    """The upstream's address is a free port each start: it must not make every start synthesize again."""
    contexts = [
        stack_context(parse_args(["--upstream", url, "--upstream-key-id", "province-local", "--upstream-key", "k"]))
        for url in ("http://127.0.0.1:41001", "http://127.0.0.1:52002")
    ]
    (first, first_url), (second, second_url) = [without_upstream_url(context) for context in contexts]
    assert first == second
    assert first["govrate:upstream"] == {"url": SYNTHESIZED_UPSTREAM_URL, "key_id": "province-local"}
    assert (first_url, second_url) == ("http://127.0.0.1:41001", "http://127.0.0.1:52002")
    assert without_upstream_url({"govrate:province": "gd"}) == ({"govrate:province": "gd"}, None)


def test_the_banner_says_when_the_results_come_and_where_the_stack_relays() -> None:
    scheduled = banner(
        Ready("http://127.0.0.1:8000", "http://127.0.0.1:5000", "us-east-1", ENVIRONMENT, results_url="r")
    )
    assert "its first run starts now" in scheduled
    (scale,) = [line for line in scheduled.splitlines() if line.lstrip().startswith("Scale")]
    assert "GOVRATE_DAY_SHARDS=" in scale
    assert "Upstream" not in scheduled
    idle = banner(
        Ready(
            "http://127.0.0.1:8001",
            "http://127.0.0.1:5001",
            "us-east-1",
            ENVIRONMENT,
            results_url="r",
            scheduled=False,
            upstream_url="http://127.0.0.1:8000",
        )
    )
    (results,) = [line for line in idle.splitlines() if line.lstrip().startswith("Public results")]
    assert "not run here (--schedule-every 0), so the results answer 404" in results
    assert "first run starts now" not in results
    (upstream,) = [line for line in idle.splitlines() if line.lstrip().startswith("Upstream")]
    assert "http://127.0.0.1:8000" in upstream


def test_every_demo_province_has_a_supervisor_and_the_first_keeps_the_documented_name() -> None:
    windows = [
        DemoWindow(f"{region}-W01", "1号窗口", "", f"http://127.0.0.1:8000/q/{region}", agency, region)
        for region, agency in (("110105", "110105-GA"), ("330106", "330106-GA"), ("330100", "330100-JJ"))
    ]
    supervisors = [(a.username, a.region_code) for a in demo_staff(windows) if a.role == "supervisor"]
    assert supervisors == [("supervisor-demo", "110000"), ("supervisor-330000", "330000")]


def test_the_demo_history_is_five_weeks_or_the_days_asked_for_and_never_both_none_and_some() -> None:
    assert (parse_args([]).history_days, parse_args([]).no_history) == (HISTORY_DAYS, False) == (35, False)
    assert parse_args(["--history-days", "14"]).history_days == 14
    assert parse_args(["--no-history"]).no_history
    for contradictory in (["--history-days", "-1"], ["--no-history", "--history-days", "14"]):
        with pytest.raises(SystemExit):
            parse_args(contradictory)
