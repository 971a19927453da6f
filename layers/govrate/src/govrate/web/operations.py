"""What each route promises, declared beside the route: the source of the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel


class Auth(StrEnum):
    """How a caller proves who they are; each maps to a security scheme of the OpenAPI document."""

    PUBLIC = "public"
    RECEIPT = "receipt"
    PLATFORM_SIGNATURE = "platform-signature"
    STAFF = "staff"


@dataclass(frozen=True)
class Media:
    """A non-JSON response body (an image or an HTML page)."""

    media_type: str
    description: str
    # Other types the same answer comes in, chosen by the request's Accept (a page's script asks for JSON).
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | Media | None]
    body: type[BaseModel] | None = None
    body_media_type: str = "application/json"
    query: type[BaseModel] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    auth: Auth = Auth.PUBLIC
    description: str = ""
    # Error statuses beyond those every operation of its kind can answer (e.g. 409, 410).
    errors: tuple[int, ...] = ()
    # Other media types a JSON (model) answer of 200 also comes in, e.g. a CSV download of the same data.
    alternatives: tuple[Media, ...] = ()
