"""The platform registry: one entry per key id, from the `GOVRATE_PLATFORMS` setting that CDK writes.

A platform posts only for its own regions. A region code covers itself and, by the GB/T 2260
hierarchy, what lies under it: a province (`510000`) every `51xxxx`, a city (`510100`) every `5101xx`.

A downstream Govrate stage (docs/relay.md) is registered like a platform, marked `downstream`: it alone
may relay, and it relays instead of posting records and evaluations (which would open cases here).
Both may read the outcomes of their regions.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govrate.kernel import divisions
from govrate.kernel.contracts import RegionCode
from govrate.kernel.errors import Forbidden


class PlatformKey(BaseModel):
    """A platform, as its key id names it. The secret itself stays in Secrets Manager."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    platform_id: str = Field(min_length=1, max_length=64)
    regions: tuple[RegionCode, ...] = Field(min_length=1, description="Division codes the platform posts for.")
    secret_arn: str = Field(min_length=1, description="Secrets Manager secret holding the HMAC key.")
    downstream: bool = Field(default=False, description="A downstream Govrate stage, which relays its facts here.")

    def covers(self, region_code: str) -> bool:
        return any(divisions.holds(region, region_code) for region in self.regions)

    def sees(self, region_code: str, applied_region_code: str | None) -> bool:
        """Whether an evaluation handled in `region_code` (and applied for in `applied_region_code`) is in
        the platform's regions: either region will do."""
        return self.covers(region_code) or (applied_region_code is not None and self.covers(applied_region_code))

    @property
    def provinces(self) -> tuple[str, ...]:
        """The provinces the platform's regions lie in, in order."""
        return tuple(sorted({divisions.enclosing(region, divisions.DivisionLevel.PROVINCE) for region in self.regions}))

    def check_region(self, region_code: str, field: str = "region_code") -> None:
        """Forbidden, naming the field, for a region that is not the platform's."""
        if not self.covers(region_code):
            raise Forbidden(
                f"platform {self.platform_id} posts for {', '.join(self.regions)} only",
                [{"field": field, "message": f"{region_code} is not a region of platform {self.platform_id}"}],
            )

    def check_sees(self, region_code: str, applied_region_code: str | None, field: str = "region_code") -> None:
        """Forbidden, naming the field, for an evaluation (or its case) neither handled nor applied for in the
        platform's regions."""
        if not self.sees(region_code, applied_region_code):
            self.check_region(region_code, field)

    def check_downstream(self) -> None:
        """Forbidden unless the platform is a downstream Govrate stage: only a stage relays."""
        if not self.downstream:
            raise Forbidden(
                f"platform {self.platform_id} is not registered as a downstream Govrate stage: only a stage "
                "relays (docs/relay.md#onboarding-a-downstream); a regional platform posts its evaluations to "
                "/v1/platform/evaluations"
            )

    def check_not_downstream(self) -> None:
        """Forbidden for a downstream Govrate stage: it relays what it took, which opens no case here."""
        if self.downstream:
            raise Forbidden(
                f"platform {self.platform_id} is a downstream Govrate stage: it relays its evaluations to "
                "/v1/platform/relay/batch and posts no service records or evaluations (docs/relay.md)"
            )
