"""When two submissions are "the same": equal by meaning, not by bytes (docs/integration.md).

The content is taken after validation, so defaults are filled; JSON objects compare without their key
order, timestamps as the instant they name (UTC), and the fields that are sets without their order or
repeats. A client that rebuilds its payload on retry (keys in another order, a time written in
another zone, a default written out) sends the same submission again, a replay, never a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel


def content_fingerprint(model: BaseModel, *, sets: Collection[str] = (), exclude: Collection[str] = ()) -> str:
    """SHA-256 of the normalized content of `model`; `sets` names its fields whose order is no meaning."""
    content = {name: _normal(value) for name, value in model.model_dump(exclude=set(exclude)).items()}
    for name in sets:
        if isinstance(content.get(name), list):
            content[name] = sorted(set(content[name]), key=str)
    document = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


def same_version(named: int | None, taken: int | None) -> bool:
    """Whether a resubmission's catalogue version agrees with the original's, which fingerprints leave
    out: left out, it means the version the original was taken under (the current one then), even
    after a catalogue import has made another current; named, it must be that one."""
    return named is None or named == taken


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, Enum):
        return _normal(value.value)
    if isinstance(value, dict):
        return {str(key): _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_normal(item) for item in value]
    return value
