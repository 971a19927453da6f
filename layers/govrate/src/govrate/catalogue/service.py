"""Importing the national service-item list (CSV or JSON) into the versioned catalogue."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from govrate.catalogue.ports import CatalogueWriter
from govrate.evaluations.models import ServiceItem
from govrate.kernel.contracts import field_errors

CatalogueFormat = Literal["csv", "json"]
# Multi-valued columns of the CSV layout are `|`-separated.
_LIST_COLUMNS = ("channels", "stages")


class RowResult(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    row: int
    item_code: str | None
    status: Literal["imported", "rejected"]
    errors: list[dict[str, str]] = []


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    imported: int
    rejected: int
    rows: list[RowResult]


def read_catalogue(text: str, file_format: CatalogueFormat) -> list[Mapping[str, Any]]:
    """Rows of a catalogue file: CSV with a header line, or a JSON array of objects."""
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    document = json.loads(text)
    if not isinstance(document, list):
        raise ValueError("a JSON catalogue is an array of service items")
    return document


def parse_items(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, ServiceItem | list[dict[str, str]]]]:
    """Each row (numbered from 1) as a ServiceItem, or the field errors that keep it out."""
    parsed: list[tuple[int, ServiceItem | list[dict[str, str]]]] = []
    for number, row in enumerate(rows, start=1):
        values = dict(row)
        for column in _LIST_COLUMNS:
            if isinstance(values.get(column), str):
                values[column] = [part.strip() for part in values[column].split("|") if part.strip()]
        try:
            parsed.append((number, ServiceItem.model_validate(values, strict=False)))
        except ValidationError as exc:
            parsed.append((number, field_errors(exc)))
    return parsed


def import_catalogue(rows: Iterable[Mapping[str, Any]], catalogue: CatalogueWriter) -> ImportReport:
    """Store every valid row as a catalogue version; report each row."""
    results: list[RowResult] = []
    for number, outcome in parse_items(rows):
        if isinstance(outcome, ServiceItem):
            catalogue.put(outcome)
            results.append(RowResult(row=number, item_code=outcome.item_code, status="imported"))
        else:
            results.append(RowResult(row=number, item_code=None, status="rejected", errors=outcome))
    imported = sum(result.status == "imported" for result in results)
    return ImportReport(imported=imported, rejected=len(results) - imported, rows=results)
