"""Service windows in the reference table: `WINDOW#<window_id>` / `META`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, PutError, UpdateError
from pynamodb.models import Model

from govrate.kernel.errors import Conflict, NotFound
from govrate.storage.errors import condition_failed, storage_error
from govrate.storage.tables import bind
from govrate.windows.models import ServiceWindow

META_SK = "META"


class WindowItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name_zh = UnicodeAttribute()
    name_en = UnicodeAttribute()
    agency_code = UnicodeAttribute()
    region_code = UnicodeAttribute()
    item_codes = ListAttribute(of=UnicodeAttribute)
    rotation = NumberAttribute()
    revoked = BooleanAttribute()


def window_key(window_id: str) -> str:
    return f"WINDOW#{window_id}"


class WindowRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(WindowItem, table_name)

    def add(self, window: ServiceWindow) -> None:
        """Store a new window; a window id that exists already is a Conflict."""
        item = self._model(
            window_key(window.window_id),
            META_SK,
            name_zh=window.name_zh,
            name_en=window.name_en,
            agency_code=window.agency_code,
            region_code=window.region_code,
            item_codes=list(window.item_codes),
            rotation=window.rotation,
            revoked=window.revoked,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise Conflict(f"window {window.window_id} exists") from exc
            raise storage_error(exc, "reference table") from exc

    def get(self, window_id: str) -> ServiceWindow:
        try:
            item = self._model.get(window_key(window_id), META_SK, consistent_read=True)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"window {window_id}") from exc
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return _to_domain(window_id, item)

    def rotate(self, window_id: str) -> ServiceWindow:
        """Start the next generation of QR codes: rotation + 1, and the window is no longer revoked."""
        return self._update(window_id, [self._model.rotation.add(1), self._model.revoked.set(False)])

    def revoke(self, window_id: str) -> ServiceWindow:
        return self._update(window_id, [self._model.revoked.set(True)])

    def _update(self, window_id: str, actions: list[Any]) -> ServiceWindow:
        item = self._model(window_key(window_id), META_SK)
        try:
            item.update(actions=actions, condition=self._model.pk.exists())
        except UpdateError as exc:
            if condition_failed(exc):
                raise NotFound(f"window {window_id}") from exc
            raise storage_error(exc, "reference table") from exc
        return _to_domain(window_id, item)


def _to_domain(window_id: str, item: WindowItem) -> ServiceWindow:
    return ServiceWindow(
        window_id=window_id,
        name_zh=item.name_zh,
        name_en=item.name_en,
        agency_code=item.agency_code,
        region_code=item.region_code,
        item_codes=tuple(item.item_codes),
        rotation=int(item.rotation),
        revoked=item.revoked,
    )
