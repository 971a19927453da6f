"""The one Powertools setup that every function shares.

The tracer is built on the first traced call, not at import: building it loads the X-Ray SDK and patches
botocore, which is most of a cold start that has not yet received an event.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

SERVICE = "govrate"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Govrate", service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])


@cache
def tracer() -> Tracer:
    from aws_lambda_powertools.tracing import Tracer

    return Tracer(service=SERVICE)


def traced(function: Handler) -> Handler:
    """`function` (a Lambda handler) traced with `tracer().capture_lambda_handler`, wrapped on its first call."""
    capture = cache(lambda: tracer().capture_lambda_handler(function))

    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        return capture()(*args, **kwargs)

    return call  # type: ignore[return-value]
