"""The one base of every contract model, the codes every feature names things by, and how validation
errors name the offending field."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

RegionCode = Annotated[str, StringConstraints(pattern=r"^[1-8]\d{5}$")]
"""GB/T 2260 six-digit administrative division code."""
ItemCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,63}$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{2,63}$")]


class Contract(BaseModel):
    """An input or output of the system: unknown fields are refused, and a value never changes.

    Its validator is built on first use, not at import: a function builds those of the routes it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


ContractT = TypeVar("ContractT", bound=BaseModel)


def from_json(model: type[ContractT], document: Any) -> ContractT:
    """A parsed JSON document validated as `model` with JSON's types taken as the OpenAPI document
    states them: no string for a number, no boolean or fraction for an integer or a level, no number
    for a string (pydantic's strict mode, which for JSON still reads dates and enum values)."""
    return model.model_validate_json(json.dumps(document), strict=True)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as `{"field": "a.b[0]", "message": ...}`, the path of the offending field."""
    result = []
    for error in exc.errors(include_url=False):
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        result.append({"field": path or "body", "message": error["msg"]})
    return result
