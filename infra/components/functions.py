"""The one way a Govrate Lambda function is made, and the layers every function shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Acknowledgment, Duration, Size, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import environment
from infra.bundling import REPO_ROOT, PythonLayerBundler, domain_layer_requirements, extra_layer_requirements
from infra.http_apps import FUNCTIONS_DIR
from infra.nag import accepted
from infra.stages import Retention

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64

_EVERY_FUNCTION_ACKNOWLEDGES = (
    accepted(
        "IAM5[Resource::*]",
        "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no "
        "resource-level permissions; '*' is the only resource they accept.",
    ),
    accepted(
        "L1",
        "Pinned to Python 3.12: the layers are built from cp312 wheels and the code is tested on it; "
        "a newer runtime is a deliberate upgrade of layers, code and tests together.",
    ),
)


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between functions; everything else is the factory's."""

    code: str
    """Directory under functions/ that is the function's code asset."""
    handler: str
    description: str
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_size: int = 256
    timeout_seconds: int = 30
    ephemeral_storage_mib: int = 512
    extra_layers: Sequence[lambda_.ILayerVersion] = ()
    acknowledgments: Sequence[Acknowledgment] = ()
    """cdk-nag findings on this function, its role or its policies that are accepted, with the reason."""


class Layers(Construct):
    """The domain layer (govrate and its dependencies) and the analytics layer (DuckDB), built locally."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        domain = PythonLayerBundler(
            domain_layer_requirements(), packages=[REPO_ROOT / "layers" / "govrate" / "src" / "govrate"]
        )
        self.domain = self._layer("Domain", domain, "govrate domain package and its runtime dependencies")
        analytics = PythonLayerBundler(extra_layer_requirements("analytics"))
        self.analytics = self._layer("Analytics", analytics, "DuckDB for the analytics export and rates")

    def _layer(self, construct_id: str, bundler: PythonLayerBundler, description: str) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=bundler.code(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=description,
        )


class FunctionFactory:
    """Builds every function the same way: Python 3.12 on arm64, the shared layers, Powertools settings,
    active tracing, and its own role and log group so that grants stay per function.

    Callers add grants for what the function touches; the factory grants nothing else.
    """

    def __init__(self, *, layers: Sequence[lambda_.ILayerVersion], log_level: str, retention: Retention) -> None:
        self._layers = tuple(layers)
        self._log_level = log_level
        self.retention = retention
        self.functions: list[lambda_.Function] = []

    def create(self, scope: Construct, construct_id: str, spec: FunctionSpec) -> lambda_.Function:
        holder = Construct(scope, construct_id)
        log_group = logs.LogGroup(
            holder,
            "Logs",
            retention=self.retention.log_retention,
            removal_policy=self.retention.removal_policy,
        )
        # Our own role instead of the default one: the managed AWSLambdaBasicExecutionRole may write to
        # any log group, this role only to the function's own.
        role = iam.Role(
            holder,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the Govrate function: {spec.description}",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            holder,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / spec.code), exclude=["__pycache__", "*.pyc"]),
            handler=spec.handler,
            description=spec.description,
            layers=[*self._layers, *spec.extra_layers],
            environment={
                "POWERTOOLS_SERVICE_NAME": environment.POWERTOOLS_SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": environment.POWERTOOLS_METRICS_NAMESPACE,
                "LOG_LEVEL": self._log_level,
                # Responses can carry personal data (a receipt, an evaluator's contact) and binaries (QR
                # images); traces keep timings and errors only.
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                **spec.environment,
            },
            memory_size=spec.memory_size,
            ephemeral_storage_size=Size.mebibytes(spec.ephemeral_storage_mib),
            timeout=Duration.seconds(spec.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
        )
        Validations.of(holder).acknowledge(*_EVERY_FUNCTION_ACKNOWLEDGES, *spec.acknowledgments)
        self.functions.append(function)
        return function
