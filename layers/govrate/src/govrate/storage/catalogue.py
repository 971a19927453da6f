"""The service-item catalogue in the reference table."""

from __future__ import annotations

from pynamodb.exceptions import GetError, PutError

from govrate.errors import NotFound, StorageUnavailable
from govrate.models import ServiceItem, Stage
from govrate.storage.tables import CatalogueEntryItem, bind

META_SK = "META"


class CatalogueRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(CatalogueEntryItem, table_name)

    def put(self, item: ServiceItem) -> None:
        entry = self._model(
            f"ITEM#{item.item_code}",
            META_SK,
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
        )
        try:
            entry.save()
        except PutError as exc:
            raise StorageUnavailable("reference table unavailable") from exc

    def get(self, item_code: str) -> ServiceItem:
        try:
            entry = self._model.get(f"ITEM#{item_code}", META_SK)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"service item {item_code}") from exc
        except GetError as exc:
            raise StorageUnavailable("reference table unavailable") from exc
        return ServiceItem(
            item_code=item_code,
            version=int(entry.item_version or 1),
            name_zh=entry.name_zh or "",
            name_en=entry.name_en or "",
            agency_code=entry.agency_code or "",
            agency_name_zh=entry.agency_name_zh or "",
            region_code=entry.region_code or "",
            region_name_zh=entry.region_name_zh or "",
            channels=tuple(entry.channels or ()),
            stages=tuple(Stage(stage) for stage in entry.stages or ()),
            promised_days=int(entry.promised_days or 0),
        )
