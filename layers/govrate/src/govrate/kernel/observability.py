"""The one Powertools setup that every function shares."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "govrate"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Govrate", service=SERVICE)
tracer = Tracer(service=SERVICE)
