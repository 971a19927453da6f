"""`bench.costs`: what a million evaluations cost at list prices, from the units, calls and CPU time
bench.intake measures in the same run, and the Parquet bench.analytics writes.

The prices are the one table below. The model (docs/benchmarks.md):

- API Gateway (REST): one request per evaluation; a platform's batch is one request per 100.
- Lambda (arm64) at the HTTP functions' configured memory (infra/components/api.py): one request per
  evaluation, and a duration of the measured CPU time scaled to the function's share of a vCPU
  (Lambda gives one vCPU at 1,769 MB, a proportional share below), plus an assumed latency for each
  AWS call the evaluation makes (moto answers in memory; DynamoDB and KMS answer in milliseconds).
  A batch's calls run BATCH_WRITERS at a time.
- DynamoDB on demand: the write and read units bench.intake computes from the item sizes.
- KMS: the calls counted (sealing a contact).
- SQS, for bad reviews only: the relay's send, the consumer's receive and delete, one request each
  (an upper bound: the relay sends 10 to a call and the consumer takes 10 at a time when busy).
- S3 and Athena, the analytics: a month of the Parquet facts of a million evaluations stored, and
  every named Athena query run once a day over that month (each billed for at least 10 MB).

Not counted: the relay and the case consumer's own Lambda time and the case's writes, CloudWatch
(logs, metrics, alarms, X-Ray traces), WAF, Secrets Manager, data transfer, free tiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.aws_calls import Usage

REGION = "us-east-1"
PRICES_AS_OF = "2025 (DynamoDB on demand after its November 2024 price cut)"
OTHER_REGIONS = (
    "cn-north-1 (Beijing, operated by Sinnet) and cn-northwest-1 (Ningxia, NWCD) publish their own "
    "prices, in CNY, on amazonaws.cn; apply those there."
)


MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    dollars: float
    quantity: float  # of the unit below that the price is for
    unit: str


# us-east-1 list prices, first tier of each (see PRICES_AS_OF).
PRICES = {
    "api_gateway_rest": Price(3.50, MILLION, "requests (REST API)"),
    "lambda_requests": Price(0.20, MILLION, "requests"),
    "lambda_arm64": Price(0.0000133334, 1, "GB-second (arm64)"),
    "dynamodb_writes": Price(0.625, MILLION, "write request units (on demand)"),
    "dynamodb_reads": Price(0.125, MILLION, "read request units (on demand)"),
    "sqs": Price(0.40, MILLION, "requests (standard queue)"),
    "kms": Price(0.03, 10_000, "requests"),
    "s3_storage": Price(0.023, 1, "GB-month (Standard)"),
    "s3_put": Price(0.005, 1_000, "PUT requests"),
    "s3_get": Price(0.0004, 1_000, "GET requests"),
    "athena": Price(5.00, 1e12, "bytes scanned (at least 10 MB per query)"),
}
LAMBDA_MB_PER_VCPU = 1769
AWS_CALL_LATENCY_S = 0.005  # assumed, per call from Lambda to DynamoDB or KMS in the same region
SQS_REQUESTS_PER_BAD_REVIEW = 3
# bench.analytics' figures when it has not run in this process: Parquet of the facts of 1 M
# evaluations, and the bytes one run of every named query scans over a month (docs/benchmarks.md).
STATED_PARQUET_MB_PER_MILLION = 28.0
STATED_ATHENA_BYTES_PER_RUN = 115e6
# What the analyze job writes and reads for a day: one object per fact table (3), read back once.
S3_OBJECTS_PER_DAY = 3
DAYS_PER_MONTH = 30


def run(intake: dict[str, Any] | None = None, analytics: dict[str, float] | None = None) -> dict[str, float]:
    """Price the figures of bench.intake (measured now if not given) and bench.analytics (its stated
    figures if not given)."""
    if intake is None:
        from bench import intake as intake_bench

        intake = intake_bench.run()
        print()
    from govrate.platforms.service import BATCH_WRITERS

    from bench.intake import BATCH
    from infra.components.api import HTTP_FUNCTION_MEMORY_MB

    measured_analytics = analytics is not None
    parquet_mb = analytics["parquet_mb_per_million"] if analytics else STATED_PARQUET_MB_PER_MILLION
    athena_bytes = analytics["athena_bytes_per_run"] if analytics else STATED_ATHENA_BYTES_PER_RUN
    model = _Model(HTTP_FUNCTION_MEMORY_MB, _analytics_dollars(parquet_mb, athena_bytes))
    columns = {
        "good review": model.evaluation(intake["cpu"]["intake_good"], intake["usage"]["good"], bad=False),
        "bad review": model.evaluation(intake["cpu"]["intake_bad"], intake["usage"]["bad"], bad=True),
        "bound to a record": model.evaluation(intake["cpu"]["intake_record"], intake["usage"]["record"], bad=False),
        f"batch item (of {BATCH})": model.batch_item(
            intake["batch_cpu_s"], intake["batch_usage"], BATCH, BATCH_WRITERS, bad_share=0.1
        ),
    }
    _report(columns, HTTP_FUNCTION_MEMORY_MB, parquet_mb, athena_bytes, measured_analytics)
    return {f"dollars_per_million_{name}": sum(parts.values()) for name, parts in columns.items()}


def dollars(name: str, quantity: float) -> float:
    """The price of `quantity` units of what PRICES[name] prices."""
    price = PRICES[name]
    return quantity / price.quantity * price.dollars


def _analytics_dollars(parquet_mb_per_million: float, athena_bytes_per_run: float) -> dict[str, float]:
    """S3 and Athena per million evaluations, for a month holding a million."""
    objects = S3_OBJECTS_PER_DAY * DAYS_PER_MONTH
    return {
        "S3": dollars("s3_storage", parquet_mb_per_million / 1024)
        + dollars("s3_put", objects)
        + dollars("s3_get", objects),
        "Athena": dollars("athena", athena_bytes_per_run * DAYS_PER_MONTH),
    }


@dataclass(frozen=True)
class _Model:
    memory_mb: int
    analytics: dict[str, float]

    def lambda_seconds(self, cpu_s: float, sequential_calls: float) -> float:
        cpu_share = min(1.0, self.memory_mb / LAMBDA_MB_PER_VCPU)
        return cpu_s / cpu_share + sequential_calls * AWS_CALL_LATENCY_S

    def evaluation(self, cpu_s: float, usage: Usage, *, bad: bool) -> dict[str, float]:
        """Dollars per million evaluations of one kind, by service."""
        return self._per_million(
            requests=1,
            billed_s=_billed(self.lambda_seconds(cpu_s, usage.round_trips())),
            write_units=usage.write_units,
            read_units=usage.read_units,
            kms_calls=usage.round_trips("kms"),
            sqs_requests=SQS_REQUESTS_PER_BAD_REVIEW if bad else 0,
        )

    def batch_item(self, cpu_s: float, usage: Usage, size: int, writers: int, *, bad_share: float) -> dict[str, float]:
        """Dollars per million items posted in batches of `size`, `bad_share` of them bad reviews."""
        return self._per_million(
            requests=1 / size,
            billed_s=_billed(self.lambda_seconds(cpu_s, usage.round_trips() / writers)) / size,
            write_units=usage.write_units / size,
            read_units=usage.read_units / size,
            kms_calls=usage.round_trips("kms") / size,
            sqs_requests=SQS_REQUESTS_PER_BAD_REVIEW * bad_share,
        )

    def _per_million(
        self,
        *,
        requests: float,
        billed_s: float,
        write_units: float,
        read_units: float,
        kms_calls: float,
        sqs_requests: float,
    ) -> dict[str, float]:
        """Dollars per million evaluations, each costing the quantities given."""
        gb_seconds = self.memory_mb / 1024 * billed_s
        return {
            "API Gateway": dollars("api_gateway_rest", requests * MILLION),
            "Lambda": dollars("lambda_requests", requests * MILLION) + dollars("lambda_arm64", gb_seconds * MILLION),
            "DynamoDB": dollars("dynamodb_writes", write_units * MILLION)
            + dollars("dynamodb_reads", read_units * MILLION),
            "KMS": dollars("kms", kms_calls * MILLION),
            "SQS": dollars("sqs", sqs_requests * MILLION),
            **self.analytics,
        }


def _billed(seconds: float) -> float:
    """Lambda bills duration in steps of 1 ms."""
    return math.ceil(seconds * 1000) / 1000


def _report(
    columns: dict[str, dict[str, float]],
    memory_mb: int,
    parquet_mb: float,
    athena_bytes: float,
    measured_analytics: bool,
) -> None:
    source = "measured by bench.analytics in this run" if measured_analytics else "bench.analytics' stated figures"
    print(f"costs: dollars per million evaluations at {REGION} list prices of {PRICES_AS_OF}")
    print(
        f"  Lambda arm64 at {memory_mb} MB (infra/components/api.py): the measured CPU time / "
        f"{min(1.0, memory_mb / LAMBDA_MB_PER_VCPU):.3f} vCPU + {AWS_CALL_LATENCY_S * 1000:g} ms per AWS call (assumed)"
    )
    print(
        f"  analytics: {parquet_mb:.0f} MB of Parquet per million evaluations kept a month, every named query "
        f"run daily scanning {athena_bytes / 1e6:.0f} MB ({source})"
    )
    services = list(next(iter(columns.values())))
    width = max(map(len, columns)) + 2
    print("  " + " " * 12 + "".join(f"{name:>{width}}" for name in columns))
    for service in [*services, "total"]:
        cells = [sum(parts.values()) if service == "total" else parts[service] for parts in columns.values()]
        print(f"  {service:<12}" + "".join(f"{'$' + format(cell, ',.2f'):>{width}}" for cell in cells))
    print(
        "  prices: "
        + "; ".join(
            f"{name} ${price.dollars:g} per {price.quantity:,.0f} {price.unit}" for name, price in PRICES.items()
        )
    )
    print(f"  {OTHER_REGIONS}")


if __name__ == "__main__":
    run()
