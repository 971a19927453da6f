"""The Lambda side of the local stack: the handlers the template names, imported from the source tree,
a context object, and events in the shapes Lambda delivers."""

from __future__ import annotations

import base64
import importlib
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.provision import ACCOUNT, REGION
from local.template import FunctionSpec

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

Handler = Callable[[dict[str, Any], Any], Any]


def handler_module(functions_dir: Path, function: FunctionSpec) -> Path | None:
    """The source file of a Python function's handler module in the one directory under functions/
    that has it, so the local stack runs the very file Lambda runs; None for anything else (a
    provider function that CDK itself adds, say)."""
    if not function.runtime.startswith("python"):
        return None
    module_name = function.handler.rpartition(".")[0]
    relative = Path(*module_name.split(".")).with_suffix(".py")
    matches = sorted(functions_dir.glob(f"*/{relative}"))
    if len(matches) > 1:
        raise LookupError(f"handler {function.handler}: {relative} is in several function directories: {matches}")
    return matches[0] if matches else None


def import_handler(module_file: Path, handler: str) -> Any:
    """The object a handler string names (`relay.handler`), its directory first on the import path
    as it is in Lambda."""
    module_name, _, attribute = handler.rpartition(".")
    code_dir = str(module_file.parents[module_name.count(".")])
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    return getattr(importlib.import_module(module_name), attribute)


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"


@dataclass
class FakeLambdaContext:
    """What Powertools and the handlers read from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke(function: FunctionSpec, handler: Handler, event: dict[str, Any]) -> Any:
    """Call a handler as Lambda does: one fresh context (request id, deadline) per invocation."""
    return handler(event, FakeLambdaContext(function.name, function.memory_mb, function.timeout_s))


def failed_item_ids(response: Any) -> list[str]:
    """The item identifiers of a partial batch response (`batchItemFailures`)."""
    if not isinstance(response, dict):
        return []
    return [str(failure["itemIdentifier"]) for failure in response.get("batchItemFailures") or []]


def dynamodb_event_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of the streams API (as boto3 returns it) in the shape of Lambda's DynamoDB event."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = _base64_binaries(change[image])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _base64_binaries(node: Any) -> Any:
    """boto3 decodes B and BS attribute values to bytes; the Lambda event carries them as base64 text."""
    if isinstance(node, bytes):
        return base64.b64encode(node).decode("ascii")
    if isinstance(node, list):
        return [_base64_binaries(item) for item in node]
    if isinstance(node, dict):
        return {key: _base64_binaries(value) for key, value in node.items()}
    return node


def sqs_event_record(message: MessageTypeDef, queue_arn: str) -> dict[str, Any]:
    """A message of ReceiveMessage in the shape of a record of Lambda's SQS event."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _message_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def scheduled_event(rule_name: str, now: datetime) -> dict[str, Any]:
    """The event EventBridge sends to the target of a schedule rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_name}"],
        "detail": {},
    }
