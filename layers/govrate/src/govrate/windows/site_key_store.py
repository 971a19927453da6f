"""Site keys of the web module in the reference table (`SITEKEY#<site key>` / `META`)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError, PutError
from pynamodb.models import Model

from govrate.kernel.errors import Conflict, NotFound
from govrate.rating.models import SiteKey
from govrate.storage.errors import condition_failed, storage_error
from govrate.storage.tables import bind

META_SK = "META"


class SiteKeyItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    allowed_origins = ListAttribute(of=UnicodeAttribute)
    item_codes = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()


def site_key_key(site_key: str) -> str:
    return f"SITEKEY#{site_key}"


class SiteKeyRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(SiteKeyItem, table_name)

    def add(self, site_key: SiteKey) -> None:
        item = self._model(
            site_key_key(site_key.site_key),
            META_SK,
            name=site_key.name,
            allowed_origins=list(site_key.allowed_origins),
            item_codes=list(site_key.item_codes),
            created_at=site_key.created_at.isoformat(),
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise Conflict(f"site key {site_key.site_key} exists") from exc
            raise storage_error(exc, "reference table") from exc

    def get(self, site_key: str) -> SiteKey:
        try:
            item = self._model.get(site_key_key(site_key), META_SK)
        except self._model.DoesNotExist as exc:
            raise NotFound(f"site key {site_key}") from exc
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return SiteKey(
            site_key=site_key,
            name=item.name,
            allowed_origins=tuple(item.allowed_origins),
            item_codes=tuple(item.item_codes),
            created_at=datetime.fromisoformat(item.created_at),
        )
