"""The scopes results are published for, and what a results URL may ask: a light module, so that the
routes can declare themselves without loading the results documents' models and rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from govrate.kernel.contracts import RegionCode


class ScopeKind(StrEnum):
    REGION = "region"
    AGENCY = "agency"
    ITEM = "item"


# A scope's segment in the results keys and URLs.
SCOPE_PATHS: Final = {ScopeKind.REGION: "regions", ScopeKind.AGENCY: "agencies", ScopeKind.ITEM: "items"}


# The media type of a results document as CSV (`?format=csv`).
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"


class ResultsFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class ResultsQuery(BaseModel):
    """A public results URL's query. Parameters it does not know (the tracking tags a shared link
    picks up, `utm_source`, `from`, …) are ignored, so that a shared link keeps working."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    format: ResultsFormat = Field(default=ResultsFormat.JSON, description="json, or csv for a download.")

    @field_validator("format", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class ScopePath(BaseModel):
    """The code in a results URL: a division, agency or service-item code of the catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,63}$")]


class RegionPath(BaseModel):
    """The code in a region's results URL: a GB/T 2260 division code."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: RegionCode


def scope_code(scope: ScopeKind, code: str) -> str:
    """The code of a results URL, checked for its scope (ValidationError naming `code` otherwise)."""
    return RegionPath(code=code).code if scope is ScopeKind.REGION else ScopePath(code=code).code
