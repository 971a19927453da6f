"""Reading the synthesized template: which resources the local stack creates, what the functions are,
which events reach them, and the intrinsic functions that name physical resources.

Everything here is by resource type, never by logical id, so a resource added to the CDK app appears
locally without a change here (as long as moto knows its type).
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Created through moto's CloudFormation (create_stack).
CLOUDFORMATION_TYPES = frozenset(
    {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::KMS::Alias"}
)
FUNCTION = "AWS::Lambda::Function"
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"
EVENTS_RULE = "AWS::Events::Rule"

PSEUDO_PREFIX = "AWS::"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


class Unresolvable(LookupError):
    """An expression names a resource that the local stack does not create."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    runtime: str
    handler: str
    memory_mb: int
    timeout_s: int
    environment: Mapping[str, Any]


@dataclass(frozen=True)
class EventSourceSpec:
    """An event source mapping: a DynamoDB stream or an SQS queue feeding a function."""

    function_id: str
    kind: Literal["dynamodb", "sqs"]
    source_id: str  # logical id of the table or queue
    batch_size: int
    starting_position: str
    report_item_failures: bool
    max_retries: int | None  # None: until the records expire (the stream default)
    filter_patterns: tuple[str, ...]  # FilterCriteria: a record is delivered if any pattern matches
    on_failure_id: str | None  # logical id of the queue that hears of a stream batch given up on


@dataclass(frozen=True)
class ScheduleSpec:
    function_id: str
    rule_id: str
    rule_name: str
    expression: str
    event_input: Mapping[str, Any] | None  # a target's constant Input replaces the scheduled event


@dataclass
class LocalTemplate:
    """The part of the template the local stack creates, and what it left out."""

    cloudformation: dict[str, Any]
    api_resources: dict[str, dict[str, Any]]
    left_out: Counter[str] = field(default_factory=Counter)


def references(node: Any) -> set[str]:
    """Logical ids (resources, parameters, conditions) an expression refers to; pseudo parameters excluded."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(_get_att(value)[0])
            elif key == "Fn::Sub":
                found |= _sub_references(value)
            elif key == "Condition" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::FindInMap":
                found.add(str(value[0]))
                found |= references(value[1:])
            else:
                found |= references(value)
    return {name for name in found if not name.startswith(PSEUDO_PREFIX)}


def _sub_references(value: Any) -> set[str]:
    text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
    named = {match.split(".", 1)[0] for match in _SUB_VARIABLE.findall(text)} - set(variables)
    return named | references(variables)


def _get_att(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        logical_id, attribute = value.split(".", 1)
        return logical_id, attribute
    return str(value[0]), str(value[1])


class CdkTemplate:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.resources: dict[str, dict[str, Any]] = dict(document.get("Resources", {}))

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == resource_type:
                yield logical_id, resource.get("Properties", {})

    def type_of(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["Type"])

    def local_template(self, api_types: frozenset[str]) -> LocalTemplate:
        """Keep the resources moto can create, in its CloudFormation or (`api_types`) through its APIs;
        drop every other one and, until nothing changes, any resource that refers to a dropped one."""
        kept = {lid for lid, res in self.resources.items() if res["Type"] in CLOUDFORMATION_TYPES | api_types}
        parameters = {
            name
            for name, parameter in self.document.get("Parameters", {}).items()
            if "Default" in parameter and not str(parameter.get("Type", "")).startswith("AWS::SSM::")
        }
        conditions = set(self.document.get("Conditions", {}))
        changed = True
        while changed:
            allowed = kept | parameters | conditions
            unresolved = {lid for lid in kept if not references(self._body(lid)) <= allowed}
            # moto's stack cannot refer to a resource created outside it
            unresolved |= {
                lid
                for lid in kept
                if self.type_of(lid) in CLOUDFORMATION_TYPES
                and references(self._body(lid)) & {k for k in kept if self.type_of(k) in api_types}
            }
            changed = bool(unresolved)
            kept -= unresolved
        in_stack = {lid for lid in kept if self.type_of(lid) in CLOUDFORMATION_TYPES}
        resources: dict[str, Any] = {}
        for lid in in_stack:
            resource = copy.deepcopy(self.resources[lid])
            _name_fifo_queue(lid, resource)
            depends = resource.pop("DependsOn", [])
            depends = [depends] if isinstance(depends, str) else depends
            if kept_depends := [name for name in depends if name in in_stack]:
                resource["DependsOn"] = kept_depends
            resources[lid] = resource
        needed = self._closure(references(resources))
        cloudformation: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        for section in ("Parameters", "Conditions", "Mappings"):
            if entries := {k: v for k, v in self.document.get(section, {}).items() if k in needed}:
                cloudformation[section] = entries
        return LocalTemplate(
            cloudformation=cloudformation,
            api_resources={lid: copy.deepcopy(self.resources[lid]) for lid in kept - in_stack},
            left_out=Counter(res["Type"] for lid, res in self.resources.items() if lid not in kept),
        )

    def functions(self) -> dict[str, FunctionSpec]:
        return {
            lid: FunctionSpec(
                logical_id=lid,
                # CloudFormation generates the name unless the app sets one
                name=props["FunctionName"] if isinstance(props.get("FunctionName"), str) else lid,
                runtime=str(props.get("Runtime", "")),
                handler=str(props["Handler"]),
                memory_mb=int(props.get("MemorySize", 128)),
                timeout_s=int(props.get("Timeout", 3)),
                environment=props.get("Environment", {}).get("Variables", {}),
            )
            for lid, props in self.of_type(FUNCTION)
            if "Handler" in props  # a container-image function has none
        }

    def event_sources(self) -> list[EventSourceSpec]:
        sources = []
        for _, props in self.of_type(EVENT_SOURCE_MAPPING):
            arn = props.get("EventSourceArn")
            if not (isinstance(arn, dict) and "Fn::GetAtt" in arn):
                continue
            source_id, attribute = _get_att(arn["Fn::GetAtt"])
            kind: Literal["dynamodb", "sqs"] | None = {
                ("AWS::DynamoDB::Table", "StreamArn"): "dynamodb",
                ("AWS::SQS::Queue", "Arn"): "sqs",
            }.get((self.type_of(source_id), attribute))  # type: ignore[assignment]
            function_id = _function_ref(props.get("FunctionName"))
            if kind is None or function_id is None:
                continue
            retries = props.get("MaximumRetryAttempts")
            on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            sources.append(
                EventSourceSpec(
                    function_id=function_id,
                    kind=kind,
                    source_id=source_id,
                    batch_size=int(props.get("BatchSize", 100 if kind == "dynamodb" else 10)),
                    starting_position=str(props.get("StartingPosition", "LATEST")),
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    max_retries=None if retries is None or int(retries) < 0 else int(retries),
                    filter_patterns=tuple(
                        str(entry["Pattern"]) for entry in props.get("FilterCriteria", {}).get("Filters", [])
                    ),
                    on_failure_id=self._queue_ref(on_failure),
                )
            )
        return sources

    def schedules(self) -> list[ScheduleSpec]:
        schedules = []
        for rule_id, props in self.of_type(EVENTS_RULE):
            if "ScheduleExpression" not in props or props.get("State", "ENABLED") != "ENABLED":
                continue
            for target in props.get("Targets", []):
                function_id = _function_ref(target.get("Arn"))
                if function_id is None or function_id not in self.resources:
                    continue
                raw_input = target.get("Input")
                schedules.append(
                    ScheduleSpec(
                        function_id=function_id,
                        rule_id=rule_id,
                        rule_name=str(props["Name"]) if isinstance(props.get("Name"), str) else rule_id,
                        expression=str(props["ScheduleExpression"]),
                        event_input=_json_object(raw_input) if isinstance(raw_input, str) else None,
                    )
                )
        return schedules

    def _queue_ref(self, value: Any) -> str | None:
        """The logical id of the queue a `Fn::GetAtt [queue, Arn]` names, else None."""
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = _get_att(value["Fn::GetAtt"])
            if attribute == "Arn" and self.type_of(logical_id) == "AWS::SQS::Queue":
                return logical_id
        return None

    def _body(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources[logical_id]
        return {key: resource[key] for key in ("Properties", "Condition") if key in resource}

    def _closure(self, names: set[str]) -> set[str]:
        """The names plus the parameters and conditions that the conditions among them refer to."""
        conditions = self.document.get("Conditions", {})
        pending, seen = list(names), set(names)
        while pending:
            name = pending.pop()
            for ref in references(conditions.get(name, {})) - seen:
                seen.add(ref)
                pending.append(ref)
        return seen


def _name_fifo_queue(logical_id: str, resource: dict[str, Any]) -> None:
    """CloudFormation names a FIFO queue it names itself with the `.fifo` its API demands; moto does not."""
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::SQS::Queue" and properties.get("FifoQueue") and "QueueName" not in properties:
        properties["QueueName"] = f"{logical_id[:75]}.fifo"


def flatten_nested(document: Mapping[str, Any], nested: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The template with the resources of its nested stacks (`nested`: the template of each
    AWS::CloudFormation::Stack resource, by logical id) in it, as one stack: a nested stack's parameters
    replaced by what the parent passes, a reference to its outputs by what they hold. Nested stacks
    that pass outputs to each other are merged in the order they need."""
    resources: dict[str, Any] = copy.deepcopy(dict(document.get("Resources", {})))
    outputs: dict[tuple[str, str], Any] = {}
    pending = dict(nested)
    while pending:
        ready = {
            stack_id: template
            for stack_id, template in pending.items()
            if not _names_outputs_of(_replaced(resources[stack_id].get("Properties", {}), outputs), pending)
        }
        if not ready:
            raise ValueError(f"nested stacks {sorted(pending)} pass outputs to each other in a cycle")
        for stack_id, template in ready.items():
            parameters = _replaced(resources.pop(stack_id).get("Properties", {}).get("Parameters", {}), outputs)
            inner = _with_parameters(copy.deepcopy(dict(template.get("Resources", {}))), parameters)
            if clash := sorted(set(inner) & set(resources)):
                raise ValueError(f"nested stack {stack_id} has logical ids of its parent: {clash}")
            resources |= inner
            for name, output in template.get("Outputs", {}).items():
                outputs[(stack_id, f"Outputs.{name}")] = _with_parameters(output["Value"], parameters)
            del pending[stack_id]
    return {**document, "Resources": _replaced(resources, outputs)}


def _replaced(node: Any, outputs: Mapping[tuple[str, str], Any]) -> Any:
    """`node` with each `Fn::GetAtt` of a nested stack's output replaced by the output's value."""
    if isinstance(node, list):
        return [_replaced(item, outputs) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::GetAtt"} and _get_att(node["Fn::GetAtt"]) in outputs:
        return copy.deepcopy(outputs[_get_att(node["Fn::GetAtt"])])
    return {key: _replaced(value, outputs) for key, value in node.items()}


def _names_outputs_of(node: Any, stacks: Mapping[str, Any]) -> bool:
    return bool(references(node) & set(stacks))


def _with_parameters(node: Any, parameters: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_with_parameters(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in parameters:
        return copy.deepcopy(parameters[node["Ref"]])
    return {key: _with_parameters(value, parameters) for key, value in node.items()}


def _function_ref(value: Any) -> str | None:
    """The logical id of the function a `Ref` or `Fn::GetAtt [fn, Arn]` points at."""
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return _get_att(value["Fn::GetAtt"])[0]
    return None


def _json_object(text: str) -> dict[str, Any] | None:
    value = json.loads(text)
    return value if isinstance(value, dict) else None


class Resolver:
    """Evaluates the intrinsic functions that name resources: Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
    Fn::Select and Fn::Split, over the physical ids and attributes of what the local stack created."""

    def __init__(
        self,
        physical_ids: Mapping[str, str],
        attribute: Callable[[str, str], str],
        pseudo: Mapping[str, str],
    ) -> None:
        self._physical = physical_ids
        self._attribute = attribute
        self._pseudo = pseudo

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(value) for key, value in node.items()}
        ((function, argument),) = node.items()
        evaluators: dict[str, Callable[[], Any]] = {
            "Ref": lambda: self._ref(str(argument)),
            "Fn::GetAtt": lambda: self._get_att(*_get_att(argument)),
            "Fn::Join": lambda: str(argument[0]).join(str(part) for part in self.resolve(argument[1])),
            "Fn::Sub": lambda: self._sub(argument),
            "Fn::Select": lambda: self.resolve(argument[1])[int(self.resolve(argument[0]))],
            "Fn::Split": lambda: str(self.resolve(argument[1])).split(str(argument[0])),
        }
        evaluate = evaluators.get(function)
        if evaluate is None:
            raise Unresolvable(f"{function} is not evaluated locally")
        return evaluate()

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self._physical:
            raise Unresolvable(logical_id)
        return self._attribute(logical_id, attribute)

    def _ref(self, name: str) -> str:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._physical:
            return self._physical[name]
        raise Unresolvable(name)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {key: str(self.resolve(value)) for key, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            if "." in name and not name.startswith(PSEUDO_PREFIX):
                return self._get_att(*_get_att(name))
            return self._ref(name)

        # `${!Literal}` is CloudFormation's escape for a literal `${Literal}`
        return _SUB_VARIABLE.sub(substitute, str(text)).replace("${!", "${")
