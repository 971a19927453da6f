"""Deployment settings, read from CDK context (cdk.json, or `-c key=value` on the command line)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Node

PREFIX = "govrate:"


@dataclass(frozen=True)
class GovrateConfig:
    stack_name: str = "Govrate"
    log_level: str = "INFO"
    # Deliveries of a negative-review message before it moves to the dead-letter queue.
    max_receive_count: int = 5
    # Where citizens reach the API (a custom domain); empty means the REST API's own URL.
    public_base_url: str = ""

    @classmethod
    def from_context(cls, node: Node) -> GovrateConfig:
        def context(key: str) -> str | None:
            # `-c` values arrive as strings, cdk.json values as JSON; treat both alike.
            value = node.try_get_context(PREFIX + key)
            return None if value is None or value == "" else str(value)

        defaults = cls()
        return cls(
            stack_name=context("stackName") or defaults.stack_name,
            log_level=(context("logLevel") or defaults.log_level).upper(),
            max_receive_count=int(context("maxReceiveCount") or defaults.max_receive_count),
            public_base_url=context("publicBaseUrl") or defaults.public_base_url,
        )
