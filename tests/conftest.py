"""Shared test setup: no test ever reaches a real AWS account."""

from __future__ import annotations

import os

# Set before any boto3 client exists; moto answers every call in the integration tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "GovrateTest")
