"""The administrators' catalogue import: CSV and JSON, per-row results, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from govrate import runtime
from govrate.catalogue.importer import main
from govrate.kernel.errors import NotFound

from tests.integration.conftest import AwsResources

HEADER = (
    "item_code,version,name_zh,name_en,agency_code,agency_name_zh,region_code,region_name_zh,"
    "channels,stages,promised_days\n"
)
ROW_V4 = (
    "110105-GA-001,4,居民身份证换领,Renewal of ID card,110105-GA,朝阳分局,110105,朝阳区,"
    "window|mobile,accept|deliver,15\n"
)
ROW_V1 = "110105-GA-001,1,居民身份证换领(旧),Old,110105-GA,朝阳分局,110105,朝阳区,window,overall,30\n"
BAD_ROW = "110105-GA-009,x,名称,Name,110105-GA,朝阳分局,1101,朝阳区,window,sideways,3\n"


def test_a_csv_import_reports_each_row_and_keeps_every_version(
    aws: AwsResources, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "catalogue.csv"
    csv_file.write_text(HEADER + ROW_V4 + BAD_ROW + ROW_V1, encoding="utf-8")
    assert main([str(csv_file)]) == 1
    out = capsys.readouterr().out
    assert "row 2: rejected" in out
    assert "'field': 'version'" in out and "'field': 'region_code'" in out and "'field': 'stages[0]'" in out
    assert "2 imported, 1 rejected" in out

    catalogue = runtime.catalogue_repository()
    current = catalogue.get("110105-GA-001")
    assert (current.version, current.promised_days) == (4, 15)  # version 1 came later but is older
    assert catalogue.get("110105-GA-001", 1).name_en == "Old"
    assert catalogue.get("110105-GA-001", 3).version == 3  # from the fixture's sample catalogue
    with pytest.raises(NotFound):
        catalogue.get("110105-GA-009")


def test_a_json_import_and_a_check_that_writes_nothing(aws: AwsResources, tmp_path: Path) -> None:
    item = {
        "item_code": "513221-MZ-009",
        "version": 1,
        "name_zh": "临时救助申请",
        "name_en": "Temporary assistance",
        "agency_code": "513221-MZ",
        "agency_name_zh": "汶川县民政局",
        "region_code": "513221",
        "region_name_zh": "汶川县",
        "channels": ["window"],
        "stages": ["overall"],
        "promised_days": 5,
    }
    json_file = tmp_path / "catalogue.json"
    json_file.write_text(json.dumps([item], ensure_ascii=False), encoding="utf-8")
    assert main([str(json_file), "--check"]) == 0
    with pytest.raises(NotFound):
        runtime.catalogue_repository().get("513221-MZ-009")
    assert main([str(json_file)]) == 0
    assert runtime.catalogue_repository().get("513221-MZ-009").name_zh == "临时救助申请"
