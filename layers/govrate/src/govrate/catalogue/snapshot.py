"""The catalogue as one request reads it: each entry read once, however many of the request's
evaluations name it. A platform's batch of 100 usually rates a handful of items; reading the item
again for each evaluation was half of the batch's round trips."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from govrate.catalogue.ports import CatalogueReader
    from govrate.catalogue.store import Agency
    from govrate.evaluations.models import ServiceItem

T = TypeVar("T")


class CatalogueSnapshot:
    """A CatalogueReader over another that reads each entry (a NotFound included) once, even when
    the request's threads ask for it at the same time; it lives as long as the request."""

    def __init__(self, catalogue: CatalogueReader) -> None:
        self._catalogue = catalogue
        self._lock = threading.Lock()
        self._entries: dict[Hashable, Future[Any]] = {}

    def get(self, item_code: str, version: int | None = None) -> ServiceItem:
        return self._once(("item", item_code, version), lambda: self._catalogue.get(item_code, version))

    def agency(self, agency_code: str) -> Agency:
        return self._once(("agency", agency_code), lambda: self._catalogue.agency(agency_code))

    def agencies_within(self, division: str) -> list[Agency]:
        return list(self._once(("within", division), lambda: self._catalogue.agencies_within(division)))

    def _once(self, key: Hashable, read: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(key)
            reader = entry is None
            if entry is None:
                entry = self._entries[key] = Future()
        if reader:
            try:
                entry.set_result(read())
            except Exception as failure:  # kept, so that the others get it too
                entry.set_exception(failure)
        result: T = entry.result()
        return result
