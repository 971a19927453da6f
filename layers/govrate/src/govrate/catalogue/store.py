"""The service-item catalogue in the reference table.

Each item keeps every imported version (`ITEM#<code>` / `V#<nnnnn>`) and a current entry
(`ITEM#<code>` / `META`) that the listing indexes see; agencies are `AGENCY#<code>` / `META`.
Listing is a Query on a GSI (by region, by agency, or all items), never a Scan.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict
from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from govrate.evaluations.models import CataloguePage, ServiceItem, Stage
from govrate.kernel import divisions
from govrate.kernel.errors import InvalidInput, NotFound
from govrate.storage.errors import condition_failed, storage_error, translated
from govrate.storage.tables import bind

META_SK = "META"
ITEM_KIND = "item"


class _ByRegion(GlobalSecondaryIndex["CatalogueEntryItem"]):
    class Meta:
        index_name = "items_by_region"
        projection = AllProjection()

    list_region = UnicodeAttribute(hash_key=True)
    list_code = UnicodeAttribute(range_key=True)


class _ByAgency(GlobalSecondaryIndex["CatalogueEntryItem"]):
    class Meta:
        index_name = "items_by_agency"
        projection = AllProjection()

    list_agency = UnicodeAttribute(hash_key=True)
    list_code = UnicodeAttribute(range_key=True)


BY_KIND_INDEX = "items_by_kind"


class _ByKind(GlobalSecondaryIndex["CatalogueEntryItem"]):
    """All current items under one key: the catalogue is small and read-mostly, so one partition is fine."""

    class Meta:
        index_name = BY_KIND_INDEX
        projection = AllProjection()

    list_kind = UnicodeAttribute(hash_key=True)
    list_code = UnicodeAttribute(range_key=True)


class CatalogueEntryItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_version = NumberAttribute()
    name_zh = UnicodeAttribute()
    name_en = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    agency_name_zh = UnicodeAttribute()
    region_code = UnicodeAttribute()
    region_name_zh = UnicodeAttribute()
    channels = ListAttribute[str]()
    stages = ListAttribute[str]()
    promised_days = NumberAttribute()
    # Set on the current entry only, so the indexes list each item once.
    list_region = UnicodeAttribute(null=True)
    list_agency = UnicodeAttribute(null=True)
    list_kind = UnicodeAttribute(null=True)
    list_code = UnicodeAttribute(null=True)
    by_region = _ByRegion()
    by_agency = _ByAgency()
    by_kind = _ByKind()


class AgencyEntryItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    agency_name_zh = UnicodeAttribute()
    region_code = UnicodeAttribute()


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    agency_code: str
    agency_name_zh: str
    region_code: str


class CatalogueRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(CatalogueEntryItem, table_name)
        self._agency = bind(AgencyEntryItem, table_name)

    def put(self, item: ServiceItem) -> None:
        """Store a version; it becomes current unless a newer version is current already."""
        version = self._entry(item, f"V#{item.version:05d}", current=False)
        current = self._entry(item, META_SK, current=True)
        agency = self._agency(
            f"AGENCY#{item.agency_code}", META_SK, agency_name_zh=item.agency_name_zh, region_code=item.region_code
        )
        with translated("reference table"):
            version.save()
            agency.save()
            try:
                current.save(condition=self._model.pk.does_not_exist() | (self._model.item_version <= item.version))
            except PutError as exc:
                if not condition_failed(exc):
                    raise

    def get(self, item_code: str, version: int | None = None) -> ServiceItem:
        """The current entry, or a given version."""
        sort_key = META_SK if version is None else f"V#{version:05d}"
        try:
            entry = self._model.get(f"ITEM#{item_code}", sort_key)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"service item {item_code}" + (f" version {version}" if version else "")) from exc
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return _to_domain(item_code, entry)

    def agency(self, agency_code: str) -> Agency:
        try:
            entry = self._agency.get(f"AGENCY#{agency_code}", META_SK)
        except self._agency.DoesNotExist as exc:
            raise NotFound(f"agency {agency_code}") from exc
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return Agency(agency_code=agency_code, agency_name_zh=entry.agency_name_zh, region_code=entry.region_code)

    def agencies_within(self, division: str) -> list[Agency]:
        """The agencies of the catalogue in `division` (a scan of the agency rows: few, and read rarely)."""
        condition = self._agency.pk.startswith("AGENCY#") & self._agency.region_code.startswith(
            divisions.prefix(division)
        )
        with translated("reference table"):
            return [
                Agency(
                    agency_code=entry.pk.removeprefix("AGENCY#"),
                    agency_name_zh=entry.agency_name_zh,
                    region_code=entry.region_code,
                )
                for entry in self._agency.scan(filter_condition=condition)
            ]

    def list(
        self,
        *,
        region_code: str | None = None,
        agency_code: str | None = None,
        keyword: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> CataloguePage:
        """One page of current items, by agency, by region or all, optionally narrowed by a keyword."""
        index: Any
        if agency_code:
            index, key = self._model.by_agency, agency_code
        elif region_code:
            index, key = self._model.by_region, region_code
        else:
            index, key = self._model.by_kind, ITEM_KIND
        condition = None
        if agency_code and region_code:
            condition = self._model.region_code == region_code
        if keyword:
            matches = self._model.name_zh.contains(keyword) | self._model.name_en.contains(keyword)
            matches |= self._model.list_code.contains(keyword)
            condition = matches if condition is None else condition & matches
        with translated("reference index"):
            results = index.query(
                key, filter_condition=condition, limit=limit, last_evaluated_key=_decode_cursor(cursor)
            )
            items = [_to_domain(entry.pk.removeprefix("ITEM#"), entry) for entry in results]
        next_key = results.last_evaluated_key
        return CataloguePage(items=items, cursor=_encode_cursor(next_key) if next_key else None)

    def current_items(self) -> Iterator[ServiceItem]:
        """Every current item of the catalogue, page by page."""
        cursor: str | None = None
        while True:
            page = self.list(limit=100, cursor=cursor)
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    def _entry(self, item: ServiceItem, sort_key: str, *, current: bool) -> CatalogueEntryItem:
        return self._model(
            f"ITEM#{item.item_code}",
            sort_key,
            item_version=item.version,
            name_zh=item.name_zh,
            name_en=item.name_en,
            agency_code=item.agency_code,
            agency_name_zh=item.agency_name_zh,
            region_code=item.region_code,
            region_name_zh=item.region_name_zh,
            channels=list(item.channels),
            stages=[stage.value for stage in item.stages],
            promised_days=item.promised_days,
            list_region=item.region_code if current else None,
            list_agency=item.agency_code if current else None,
            list_kind=ITEM_KIND if current else None,
            list_code=item.item_code if current else None,
        )


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise InvalidInput("the cursor is not valid", [{"field": "cursor", "message": "not a cursor"}]) from exc
    if not isinstance(key, dict):
        raise InvalidInput("the cursor is not valid", [{"field": "cursor", "message": "not a cursor"}])
    return key


def _to_domain(item_code: str, entry: CatalogueEntryItem) -> ServiceItem:
    return ServiceItem(
        item_code=item_code,
        version=int(entry.item_version),
        name_zh=entry.name_zh,
        name_en=entry.name_en,
        agency_code=entry.agency_code,
        agency_name_zh=entry.agency_name_zh,
        region_code=entry.region_code,
        region_name_zh=entry.region_name_zh,
        channels=tuple(entry.channels),
        stages=tuple(Stage(stage) for stage in entry.stages),
        promised_days=int(entry.promised_days),
    )
