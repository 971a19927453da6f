"""The regions' evaluation policies as the features read them (`policies` in the cloud)."""

from __future__ import annotations

from typing import Protocol

from govrate.regions.policies import RegionPolicy


class PolicyStore(Protocol):
    def get(self, region_code: str) -> RegionPolicy:
        """The region's policy; the national defaults for a region that chose none."""
        ...

    def all(self) -> dict[str, RegionPolicy]:
        """Every region that chose its own policy."""
        ...
