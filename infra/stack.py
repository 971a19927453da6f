"""The Govrate stack, and the app-level wiring that the CLI entry point and the tests share."""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infra import environment
from infra.components.analytics import Analytics
from infra.components.api import Api
from infra.components.data import Data
from infra.components.edge import Edge
from infra.components.escalation import Escalation
from infra.components.functions import FunctionFactory, Layers
from infra.components.integrity import Integrity
from infra.components.monitoring import Monitoring
from infra.components.pipeline import Pipeline
from infra.components.records import Records
from infra.components.staff import Staff
from infra.components.upstream import UpstreamRelay
from infra.components.watch import Watch
from infra.config import GovrateConfig
from infra.stages import Retention


class GovrateStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: GovrateConfig) -> None:
        # Without govrate:account / govrate:region the stack is environment-agnostic: both come from the
        # deploying credentials.
        super().__init__(
            scope,
            construct_id,
            stack_name=config.stack_name,
            description=f"Govrate ({config.province}, {config.stage.value}): government service evaluations "
            "(好差评), intake to analytics",
            env=Environment(account=config.account or None, region=config.region or None),
            tags=config.tags,
        )
        retention = Retention.of(config.stage)
        self.layers = Layers(self, "Layers")
        factory = FunctionFactory(layers=[self.layers.domain], log_level=config.log_level, retention=retention)
        self.data = Data(self, "Data", retention=retention)
        self.pipeline = Pipeline(
            self,
            "Pipeline",
            data=self.data,
            factory=factory,
            max_receive_count=config.max_receive_count,
            relays_upstream=config.upstream is not None,
        )
        self.upstream = (
            UpstreamRelay(
                self,
                "Upstream",
                settings=config.upstream,
                factory=factory,
                relay=self.pipeline.relay,
                retention=retention,
            )
            if config.upstream is not None
            else None
        )
        self.staff = Staff(self, "Staff", existing=config.staff_user_pool)
        self.api = Api(self, "Api", data=self.data, factory=factory, platforms=config.platforms, staff=self.staff)
        self.edge = Edge(
            self, "Edge", stage=self.api.rest_api.deployment_stage, settings=config.edge, retention=retention
        )
        self.escalation = Escalation(self, "Escalation", data=self.data, factory=factory)
        self.watch = Watch(
            self, "Watch", data=self.data, factory=factory, settings=config.integrity, retention=retention
        )
        # The public paths decide at intake whether an address is in a staff network.
        staff_networks = config.integrity.get(environment.STAFF_NETWORKS)
        if staff_networks is not None:
            for function in (self.api.intake, self.api.qr):
                function.add_environment(environment.STAFF_NETWORKS, staff_networks)
        self.records = Records(
            self,
            "Records",
            data=self.data,
            factory=factory,
            public_base_url=config.public_base_url or self.api.rest_api.url.rstrip("/"),
        )
        self.analytics = Analytics(
            self,
            "Analytics",
            data=self.data,
            factory=factory,
            analytics_layer=self.layers.analytics,
            results_readers=(self.api.intake, self.api.cases),
        )
        self.integrity = Integrity(
            self,
            "Integrity",
            data=self.data,
            factory=factory,
            retention=retention,
            access_logs=self.analytics.access_logs,
        )
        dead_letter_queues = [*self.pipeline.dead_letter_queues, self.records.invitation_dlq, self.watch.failures]
        if self.upstream is not None:
            dead_letter_queues.append(self.upstream.dead_letters)
        for queue in dead_letter_queues:  # what they hold (bad reviews, stream positions) outlives the stack in prod
            queue.apply_removal_policy(retention.removal_policy)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions=factory.functions,
            dead_letter_queues=dead_letter_queues,
            stream_consumers=[self.pipeline.relay, self.watch.watcher],
            api=self.api.rest_api,
            web_acl=self.edge.web_acl,
            settings=config.alarms,
            retention=retention,
            dashboard_name=config.stack_name,
            upstream_queues=[self.upstream.queue] if self.upstream is not None else [],
        )
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.monitoring.topic.topic_arn,
            description="The alarms' SNS topic (in the nested monitoring stack): subscribe the on-call",
        )


def build(app: App) -> GovrateStack:
    """The stack, checked by cdk-nag's AWS Solutions rules at synthesis (a finding fails the synth)."""
    config = GovrateConfig.from_context(app.node)
    stack = GovrateStack(app, config.stack_name, config=config)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack
