"""The one Powertools setup that every function shares: its logger, metrics and tracer, the decorator every
Lambda handler wears, and the business events the dashboard and alarms count."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit, single_metric

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

SERVICE = "govrate"
NAMESPACE = "Govrate"
# Set on what `handler` made, so that a test can tell every deployed handler wears it.
OBSERVED = "__govrate_observed__"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])


class BusinessEvent(StrEnum):
    """A metric of the `Govrate` namespace, counted when the event happens (dimension `service`, and the
    breakdown named beside it)."""

    EVALUATION_ACCEPTED = "EvaluationAccepted"  # by channel
    BAD_REVIEW = "BadReview"  # by channel
    CASE_OPENED = "CaseOpened"
    BAD_REVIEW_HELD = "BadReviewHeldInBurst"
    PRESSURE_REPORTED = "PressureReported"
    CASE_OVERDUE = "CaseOverdue"
    HANDLING_RATED = "HandlingRated"  # by rating


# A gauge the overdue sweep sets every 15 minutes: 1 in working hours of a working day (China's calendar),
# else 0. The "no evaluations" alarm fires only while it is 1.
WORKING_TIME = "WorkingTime"
BREAKDOWNS = {
    BusinessEvent.EVALUATION_ACCEPTED: "channel",
    BusinessEvent.BAD_REVIEW: "channel",
    BusinessEvent.HANDLING_RATED: "rating",
}


def count(event: BusinessEvent, value: float = 1, breakdown: str | None = None) -> None:
    """Counts a business event now (written at once, not at the end of the invocation): once as a total,
    and once under its breakdown's value when the event has one."""
    if value <= 0:
        return
    _emit(event.value, value, MetricUnit.Count)
    dimension = BREAKDOWNS.get(event)
    if dimension is not None and breakdown is not None:
        _emit(event.value, value, MetricUnit.Count, {dimension: breakdown})


def gauge(name: str, value: float) -> None:
    _emit(name, value, MetricUnit.Count)


def _emit(name: str, value: float, unit: MetricUnit, dimensions: dict[str, str] | None = None) -> None:
    with single_metric(
        name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions={"service": SERVICE}
    ) as metric:
        for key, dimension_value in (dimensions or {}).items():
            metric.add_dimension(key, dimension_value)


def handler(*, correlation_id_path: str | None = None, flush_metrics: bool = False) -> Callable[[Handler], Handler]:
    """What every Lambda handler wears: traced by X-Ray, its Lambda context and correlation id on every log
    line, and (`flush_metrics`) the metrics it added written at the end.

    `correlation_id_path` is the JMESPath of the event's id; batch handlers pass none and set each record's
    own (`logger.set_correlation_id`) as they handle it.
    """

    def decorate(function: Handler) -> Handler:
        wrapped: Any = traced(function)
        wrapped = logger.inject_lambda_context(wrapped, correlation_id_path=correlation_id_path)
        if flush_metrics:
            wrapped = metrics.log_metrics(wrapped)
        setattr(wrapped, OBSERVED, True)
        result: Handler = wrapped
        return result

    return decorate


@cache
def tracer() -> Tracer:
    """Built on the first traced call, not at import: it loads the X-Ray SDK and patches botocore."""
    from aws_lambda_powertools.tracing import Tracer

    return Tracer(service=SERVICE)


def traced(function: Handler) -> Handler:
    """`function` traced with `tracer().capture_lambda_handler`, wrapped on its first call."""
    capture = cache(lambda: tracer().capture_lambda_handler(function))

    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        return capture()(*args, **kwargs)

    return call  # type: ignore[return-value]
