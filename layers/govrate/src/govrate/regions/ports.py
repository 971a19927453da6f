"""What the regions' rules need from storage (the reference table in the cloud, memory in unit tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from govrate.regions.rules import RulesChange, RulesDocument, StoredRules


class RulesSource(Protocol):
    def documents(self) -> Mapping[str, RulesDocument]:
        """Every division's current document, by division code (one read)."""
        ...


class RulesStore(RulesSource, Protocol):
    def current(self, division: str) -> StoredRules | None:
        """The division's document with its version; None for a division that has none."""
        ...

    def replace(self, change: RulesChange) -> None:
        """Store `change.after` as the division's document of version `change.version`, with `change` as
        its audit entry, in one write; Conflict when the stored version is no longer `change.version - 1`."""
        ...

    def history(self, division: str) -> list[RulesChange]:
        """The division's changes, oldest first."""
        ...
