"""moto in server mode, and the stack created in it from the synthesized template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore import xform_name

from local.template import (
    CdkTemplate,
    FunctionSpec,
    LocalTemplate,
    Resolver,
    Unresolvable,
    references,
)

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

ACCOUNT = "123456789012"  # moto's default account
# us-east-1, not cn-north-1: moto's CloudFormation resolves AWS::Partition to `aws` while its ARNs in
# cn-north-1 say `aws-cn`, and its stream records always say us-east-1.
REGION = "us-east-1"
DUMMY_KEY = "local"  # moto accepts any credentials


class MotoServer:
    """moto's server app (every service on one port) on 127.0.0.1, in a process of its own
    (`local.moto_server`); port 0 picks a free port.

    A process, not a thread: the stack's process runs every function, and moto's request handling is
    a large part of each call; in one process both shared one core (the GIL). The server has a session
    of its own, so Ctrl-C reaches the stack, which stops it after its pollers; it also ends when the
    stack's process is gone.
    """

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> str:
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter and the project's own module
            [sys.executable, "-m", "local.moto_server", str(self._port)],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        port = self._process.stdout.readline().strip()  # its first line, once it listens
        if not port.isdigit():
            self.stop()
            raise RuntimeError("moto's server did not start")
        self._port = int(port)
        return self.endpoint

    def stop(self) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()  # the server's cue to stop
        try:
            self._process.wait(timeout=MOTO_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


MOTO_STOP_TIMEOUT_S = 5.0


# Variables of the shell that would send a client to a real account or another endpoint.
FOREIGN_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def point_clients_at(endpoint: str) -> None:
    """Make every boto3 and pynamodb client this process creates talk to moto: botocore reads
    AWS_ENDPOINT_URL for every client, pynamodb's included (it builds its client through botocore)."""
    for name in list(os.environ):
        # a service-specific endpoint (AWS_ENDPOINT_URL_DYNAMODB) would win over the global one
        if name in FOREIGN_AWS_VARIABLES or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": DUMMY_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
        }
    )


@dataclass(frozen=True)
class Provisioned:
    """What the local stack created: physical ids by logical id, and a resolver over them."""

    physical_ids: Mapping[str, str]
    resolver: Resolver
    left_out: Mapping[str, int]

    def environment(self, function: FunctionSpec, overrides: Mapping[str, str]) -> dict[str, str]:
        """The function's environment as the cloud sets it, with `overrides` for what differs locally."""
        environment: dict[str, str] = {}
        for name, expression in function.environment.items():
            if name in overrides:
                environment[name] = overrides[name]
                continue
            try:
                environment[name] = str(self.resolver.resolve(expression))
            except Unresolvable as exc:
                raise Unresolvable(
                    f"{function.logical_id}: {name} refers to {exc}, which the local stack does not create"
                ) from exc
        return environment


def provision(template: CdkTemplate, stack_name: str) -> Provisioned:
    """Create the stack in moto (the clients must already point at it)."""
    local = template.local_template(frozenset(API_CREATORS))
    attribute_outputs = _attribute_outputs(template, local)
    document = dict(local.cloudformation)
    if attribute_outputs:
        document["Outputs"] = {key: {"Value": {"Fn::GetAtt": list(pair)}} for key, pair in attribute_outputs.items()}
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(document))
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"moto could not create the stack: {stack.get('StackStatusReason', stack['StackStatus'])}")
    physical_ids = {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    attributes = {attribute_outputs[output["OutputKey"]]: output["OutputValue"] for output in stack.get("Outputs", [])}

    def attribute(logical_id: str, name: str) -> str:
        if (logical_id, name) not in attributes:
            raise Unresolvable(f"{logical_id}.{name}")
        return attributes[logical_id, name]

    pseudo = {
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack_name,
        "AWS::StackId": stack["StackId"],
    }
    resolver = Resolver(physical_ids, attribute, pseudo)
    for logical_id in _creation_order(local.api_resources):
        resource = local.api_resources[logical_id]
        properties = resolver.resolve(resource.get("Properties", {}))
        physical_ids[logical_id] = API_CREATORS[resource["Type"]](f"{stack_name}-{logical_id}", properties)
    return Provisioned(physical_ids, resolver, dict(local.left_out))


def _attribute_outputs(template: CdkTemplate, local: LocalTemplate) -> dict[str, tuple[str, str]]:
    """Every Fn::GetAtt on a stack resource that a function, an event source or an API-created
    resource uses, as a stack output: moto's CloudFormation then knows each attribute's value."""
    in_stack = set(local.cloudformation["Resources"])
    users = [spec.environment for spec in template.functions().values()]
    users += [props for _, props in template.of_type("AWS::Lambda::EventSourceMapping")]
    users += [resource.get("Properties", {}) for resource in local.api_resources.values()]
    pairs = sorted({pair for user in users for pair in _get_atts(user) if pair[0] in in_stack})
    return {f"Attr{index}": pair for index, pair in enumerate(pairs)}


def _get_atts(node: Any) -> set[tuple[str, str]]:
    if isinstance(node, list):
        return {pair for item in node for pair in _get_atts(item)}
    if not isinstance(node, dict):
        return set()
    found = {pair for value in node.values() for pair in _get_atts(value)}
    value = node.get("Fn::GetAtt")
    if isinstance(value, list):
        found.add((str(value[0]), str(value[1])))
    elif isinstance(value, str):
        logical_id, name = value.split(".", 1)
        found.add((logical_id, name))
    return found


def _creation_order(resources: Mapping[str, dict[str, Any]]) -> list[str]:
    """API-created resources after the ones they refer to (a Glue table after its database)."""
    ordered: list[str] = []
    pending = dict(resources)
    while pending:
        ready = [lid for lid, res in pending.items() if not (references(res) & set(pending)) - {lid}]
        if not ready:
            raise RuntimeError(f"circular references among {sorted(pending)}")
        for lid in sorted(ready):
            ordered.append(lid)
            del pending[lid]
    return ordered


def _create_secret(default_name: str, properties: Mapping[str, Any]) -> str:
    client: SecretsManagerClient = boto3.client("secretsmanager")
    secret_string = properties.get("SecretString")
    if secret_string is None:
        secret_string = _generate_secret_string(client, properties.get("GenerateSecretString", {}))
    created = client.create_secret(
        Name=properties.get("Name", default_name),
        Description=properties.get("Description", ""),
        SecretString=secret_string,
    )
    return created["ARN"]  # Ref of a secret is its ARN


def _generate_secret_string(client: SecretsManagerClient, options: Mapping[str, Any]) -> str:
    """What Secrets Manager generates for a GenerateSecretString property (the API takes the same flags)."""
    flags = (
        "ExcludeNumbers",
        "ExcludePunctuation",
        "ExcludeUppercase",
        "ExcludeLowercase",
        "IncludeSpace",
        "RequireEachIncludedType",
    )
    password = client.get_random_password(
        PasswordLength=int(options.get("PasswordLength", 32)),
        ExcludeCharacters=str(options.get("ExcludeCharacters", "")),
        **{flag: bool(options[flag]) for flag in flags if flag in options},
    )["RandomPassword"]
    if "SecretStringTemplate" in options and "GenerateStringKey" in options:
        document = json.loads(options["SecretStringTemplate"])
        document[options["GenerateStringKey"]] = password
        return json.dumps(document)
    return password


@dataclass(frozen=True)
class ApiCreator:
    """Creates a resource with its service's create call: the template's properties, renamed where
    the API names a parameter differently, and kept only where the API has such a parameter."""

    client: Callable[[], Any]
    operation: str
    name_parameter: str
    physical_id: Callable[[Any], str]
    renames: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, default_name: str, properties: Mapping[str, Any]) -> str:
        client = self.client()
        accepted = client.meta.service_model.operation_model(self.operation).input_shape.members
        parameters = {self.renames.get(key, key): value for key, value in properties.items()}
        parameters = {key: value for key, value in parameters.items() if key in accepted}
        parameters.setdefault(self.name_parameter, default_name)
        return self.physical_id(getattr(client, xform_name(self.operation))(**parameters))


API_CREATORS: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    "AWS::SecretsManager::Secret": _create_secret,
    # Ref of a user pool is its id, of a user pool client the client id
    "AWS::Cognito::UserPool": ApiCreator(
        lambda: boto3.client("cognito-idp"),
        "CreateUserPool",
        "PoolName",
        lambda created: created["UserPool"]["Id"],
        {"UserPoolName": "PoolName"},
    ),
    "AWS::Cognito::UserPoolClient": ApiCreator(
        lambda: boto3.client("cognito-idp"),
        "CreateUserPoolClient",
        "ClientName",
        lambda created: created["UserPoolClient"]["ClientId"],
    ),
}
