"""Settings (CDK context): every `govrate:*` key checked in one place, each error naming the key and what it
allows; a settings file whose keys win over cdk.json's; a production stage that refuses the demo defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import GovrateConfig, SettingsError, StageKind
from tests.infra.conftest import PROD_PLATFORM

CDK_JSON_CONTEXT: dict[str, Any] = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"govrate:stage": "production"}, "govrate:stage: Input should be 'dev' or 'prod' (got 'production')"),
        (
            {"govrate:maxRecieveCount": "3"},
            "govrate:maxRecieveCount: not a setting; did you mean govrate:maxReceiveCount?",
        ),
        ({"govrate:logLevel": "verbose"}, "govrate:logLevel: Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or"),
        ({"govrate:edge": '{"window_seconds": 30}'}, "govrate:edge.window_seconds: Value error, must be one of [60,"),
        ({"govrate:alarms": {"quiet_hours": 0}}, "govrate:alarms.quiet_hours: Input should be greater than or equal"),
        ({"govrate:maxReceiveCount": "many"}, "govrate:maxReceiveCount: Input should be a valid integer"),
        ({"govrate:account": "1234"}, "govrate:account: String should match pattern"),
        ({"govrate:upstream": {"url": "national.example", "key_id": "sc-2026"}}, "govrate:upstream.url: String"),
        ({"govrate:upstream": '{"url": "https://national.example/api"}'}, "govrate:upstream.key_id: Field required"),
    ],
)
def test_a_wrong_setting_names_its_key_and_what_it_allows(context: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as refused:
        GovrateConfig.from_mapping(CDK_JSON_CONTEXT | context)
    assert len(refused.value.errors) == 1
    assert refused.value.errors[0].startswith(expected)


def test_every_wrong_setting_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        GovrateConfig.from_mapping({"govrate:stage": "staging", "govrate:logLevel": "loud", "govrate:edg": {}})
    assert [error.split(":")[1] for error in refused.value.errors] == ["edg", "stage", "logLevel"]


def test_an_upstream_is_named_in_the_settings_or_not_at_all() -> None:
    assert GovrateConfig.from_mapping(CDK_JSON_CONTEXT).upstream is None
    given = {"url": "https://national.example/api", "key_id": "sc-2026", "secret_name": "govrate/upstream/national"}
    upstream = GovrateConfig.from_mapping(CDK_JSON_CONTEXT | {"govrate:upstream": json.dumps(given)}).upstream
    assert upstream is not None
    assert upstream.model_dump() == given


def test_the_log_level_is_taken_in_any_case() -> None:
    assert GovrateConfig.from_mapping({"govrate:logLevel": "debug"}).log_level == "DEBUG"


def test_a_settings_file_wins_over_cdk_json(tmp_path: Path) -> None:
    settings = tmp_path / "gd-prod.json"
    settings.write_text(
        json.dumps({"govrate:province": "gd", "govrate:stage": "prod", "govrate:platforms": [PROD_PLATFORM]})
    )
    config = GovrateConfig.from_mapping(CDK_JSON_CONTEXT | {"govrate:settings": str(settings)})
    assert (config.stack_name, config.stage) == ("Govrate-gd-prod", StageKind.PROD)
    assert [platform.platform_id for platform in config.platforms] == ["gd-platform"]
    assert config.edge.rate_limit == CDK_JSON_CONTEXT["govrate:edge"]["rate_limit"]  # what the file leaves out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "govrate:settings: cannot read"),
        ('{"province": "gd"}', "may only hold govrate:* settings, not province"),
        (
            '{"govrate:province": "gd", "govrate:stag": "prod"}',
            "govrate:stag: not a setting; did you mean govrate:stage?",
        ),
    ],
)
def test_a_wrong_settings_file_is_refused(tmp_path: Path, content: str, expected: str) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(content)
    with pytest.raises(SettingsError, match=expected.replace("?", r"\?").replace("*", r"\*")):
        GovrateConfig.from_mapping({"govrate:settings": str(settings)})
    with pytest.raises(SettingsError, match="cannot read"):
        GovrateConfig.from_mapping({"govrate:settings": str(tmp_path / "missing.json")})


def test_a_prod_stage_refuses_the_demo_province_and_platform() -> None:
    with pytest.raises(SettingsError) as refused:
        GovrateConfig.from_mapping(CDK_JSON_CONTEXT | {"govrate:stage": "prod"})
    assert [error.split(":")[1] for error in refused.value.errors] == ["province", "platforms"]
    with pytest.raises(SettingsError, match="not the demo one"):
        GovrateConfig.from_mapping(CDK_JSON_CONTEXT | {"govrate:stage": "prod", "govrate:province": "gd"})
    assert GovrateConfig.from_mapping(CDK_JSON_CONTEXT).stack_name == "Govrate-demo-dev"  # dev may be the demo


def test_a_wrong_province_is_listed_with_the_other_faults(tmp_path: Path) -> None:
    settings = tmp_path / "sc-prod.json"
    settings.write_text(json.dumps({"govrate:province": "Sichuan", "govrate:stage": "staging"}))
    with pytest.raises(SettingsError) as refused:
        GovrateConfig.from_mapping({"govrate:settings": str(settings)})
    assert [error.split(":")[1] for error in refused.value.errors] == ["province", "stage"]
    assert "(got 'Sichuan')" in refused.value.errors[0]
