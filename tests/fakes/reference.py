"""The reference table in memory: the catalogue (`govrate.catalogue.store`), the regions' rules
(`govrate.regions.store`), the windows (`govrate.windows.store`) and the web module's site keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from govrate.catalogue.service import import_catalogue, read_catalogue
from govrate.catalogue.store import Agency
from govrate.evaluations.models import ServiceItem
from govrate.kernel import divisions
from govrate.kernel.errors import Conflict, NotFound
from govrate.rating.models import SiteKey
from govrate.regions.rules import RulesChange, RulesDocument, StoredRules
from govrate.windows.models import ServiceWindow

SAMPLE_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "catalogue-sample.csv"


class InMemoryCatalogue:
    def __init__(self) -> None:
        self._versions: dict[tuple[str, int], ServiceItem] = {}
        self._current: dict[str, ServiceItem] = {}
        self._agencies: dict[str, Agency] = {}

    @classmethod
    def sample(cls) -> InMemoryCatalogue:
        """The catalogue the integration tests and the local stack import (data/catalogue-sample.csv)."""
        catalogue = cls()
        report = import_catalogue(read_catalogue(SAMPLE_CATALOGUE.read_text(encoding="utf-8"), "csv"), catalogue)
        assert report.rejected == 0, report
        return catalogue

    def put(self, item: ServiceItem) -> None:
        self._versions[(item.item_code, item.version)] = item
        self._agencies[item.agency_code] = Agency(
            agency_code=item.agency_code, agency_name_zh=item.agency_name_zh, region_code=item.region_code
        )
        current = self._current.get(item.item_code)
        if current is None or current.version <= item.version:
            self._current[item.item_code] = item

    def get(self, item_code: str, version: int | None = None) -> ServiceItem:
        found = self._current.get(item_code) if version is None else self._versions.get((item_code, version))
        if found is None:
            raise NotFound(f"service item {item_code}" + (f" version {version}" if version else ""))
        return found

    def agency(self, agency_code: str) -> Agency:
        if agency_code not in self._agencies:
            raise NotFound(f"agency {agency_code}")
        return self._agencies[agency_code]

    def agencies_within(self, division: str) -> list[Agency]:
        return [agency for agency in self._agencies.values() if divisions.holds(division, agency.region_code)]


class InMemoryRules:
    """Each division's document and its audit trail, with the version check of the table's transaction."""

    def __init__(self) -> None:
        self.stored: dict[str, StoredRules] = {}
        self.changes: list[RulesChange] = []

    def documents(self) -> dict[str, RulesDocument]:
        return {division: stored.document for division, stored in self.stored.items()}

    def current(self, division: str) -> StoredRules | None:
        return self.stored.get(division)

    def replace(self, change: RulesChange) -> None:
        current = self.stored.get(change.division)
        if change.version != (current.version + 1 if current else 1):
            raise Conflict(f"the rules of {change.division} were changed meanwhile")
        self.stored[change.division] = StoredRules(
            division=change.division,
            document=RulesDocument.model_validate_json(json.dumps(change.after)),
            version=change.version,
            changed_at=change.at,
            changed_by=change.actor_name or change.actor_subject,
        )
        self.changes.append(change)

    def history(self, division: str) -> list[RulesChange]:
        return [change for change in self.changes if change.division == division]

    def set(self, division: str, document: str) -> None:
        """Store a document as a supervisor's change would (the tests' shortcut around authorization)."""
        current = self.stored.get(division)
        self.replace(
            RulesChange(
                division=division,
                version=current.version + 1 if current else 1,
                at=datetime(2025, 1, 1, tzinfo=UTC),
                actor_subject="test",
                actor_name=None,
                operator="test",
                before=current.document.stored_form() if current else None,
                after=RulesDocument.model_validate_json(document).stored_form(),
            )
        )


class InMemoryWindows:
    def __init__(self) -> None:
        self.stored: dict[str, ServiceWindow] = {}

    def add(self, window: ServiceWindow) -> None:
        if window.window_id in self.stored:
            raise Conflict(f"window {window.window_id} exists")
        self.stored[window.window_id] = window

    def get(self, window_id: str) -> ServiceWindow:
        if window_id not in self.stored:
            raise NotFound(f"window {window_id}")
        return self.stored[window_id]

    def rotate(self, window_id: str) -> ServiceWindow:
        window = self.get(window_id)
        return self._replace(window.model_copy(update={"rotation": window.rotation + 1, "revoked": False}))

    def revoke(self, window_id: str) -> ServiceWindow:
        return self._replace(self.get(window_id).model_copy(update={"revoked": True}))

    def _replace(self, window: ServiceWindow) -> ServiceWindow:
        self.stored[window.window_id] = window
        return window


class InMemorySiteKeys:
    def __init__(self) -> None:
        self.stored: dict[str, SiteKey] = {}

    def add(self, site_key: SiteKey) -> None:
        if site_key.site_key in self.stored:
            raise Conflict(f"site key {site_key.site_key} exists")
        self.stored[site_key.site_key] = site_key

    def get(self, site_key: str) -> SiteKey:
        if site_key not in self.stored:
            raise NotFound(f"site key {site_key}")
        return self.stored[site_key]
