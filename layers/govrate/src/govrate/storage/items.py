"""What tells the tables' items apart, for the stores that write them and the readers of the tables'
streams, and a stream record's image as Python values. No pynamodb here: a stream reader loads only
what it reads (boto3's deserializer, on the first record)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer

# The `entity` attribute of the evaluations table's items.
EVALUATION_ENTITY = "evaluation"
RECORD_ENTITY = "service_record"
# The sort keys of a case's audit entries and of the notices they caused (cases table).
AUDIT_PREFIX = "AUDIT#"
# The sort keys of a case item (cases table): one of this stage's cases, and the state of a case a
# downstream stage relayed (govrate.upstream).
CASE_SK = "CASE"
RELAYED_CASE_SK = "RELAYED"
NOTICE_PREFIX = "NOTICE#"


def stream_image(new_image: Mapping[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a stream record's image that it has, as Python values.

    Read only what is needed: Lambda hands binary attributes (a sealed contact) over as base64 text,
    which the deserializer would refuse."""
    deserializer = _deserializer()
    return {key: deserializer.deserialize(new_image[key]) for key in attributes if key in new_image}


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()
