"""`bench.intake`: what one evaluation costs, against a floor measured in the same run.

Everything runs in this process on moto in memory (`mock_aws`), through the Chalice app as API
Gateway would hand it the request:

- CPU per evaluation (user + sys of the process) of our intake, for a good review, a bad review
  (indicators, a sealed contact) and a platform's evaluation bound to a service record (signed),
  against a floor handler that only parses the same body and writes it as one item with boto3 on
  the same moto. Floor and intake alternate in rounds, so the machine's
  load hits both alike. Moto's own work is inside both figures.
- DynamoDB write and read units per evaluation, for a good review, a bad review and a platform's
  evaluation bound to a service record (bench.aws_calls: moto's ConsumedCapacity and the units
  computed from the item sizes), and every AWS call each one makes.
- A regional platform's signed batch of 100: its latency and its round trips, by service.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.aws_calls import AwsCalls, Usage

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 4
PER_ROUND = int(os.environ.get("BENCH_INTAKE_PER_ROUND", "25"))
BATCH = 100
SAMPLES = 3  # evaluations of each kind metered one by one
HOST, STAGE, KEY_ID, SECRET = "bench.execute-api.us-east-1.amazonaws.com", "api", "bench-2026", "b" * 64
ITEM = {"item_code": "110105-GA-001", "agency_code": "110105-GA", "region_code": "110105"}
GOOD: dict[str, Any] = {**ITEM, "level": 4, "mode": "onsite", "indicators": {"efficiency": 4, "attitude": 5}}
BAD: dict[str, Any] = {
    **ITEM,
    "level": 2,
    "reason_codes": ["slow"],
    "mode": "onsite",
    "indicators": {"efficiency": 2, "attitude": 4},
    "comment": "排队一个多小时，窗口只开了一个",
    "evaluator": {"phone": "13800138000", "consent": True},
}
KINDS = {"good": "good review", "bad": "bad review", "record": "evaluation bound to a service record"}
RECORD_ITEM = {"item_code": "110105-GA-002", "agency_code": "110105-GA", "region_code": "110105"}


def run() -> dict[str, Any]:
    _environment()
    import boto3
    from moto import mock_aws

    from local.moto_dynamodb import hold_under_concurrency

    hold_under_concurrency()  # the batch writes from threads, as in Lambda
    # The handlers' metrics and logs go to stdout, as in Lambda; here they would bury the figures.
    with mock_aws(), open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        calls = AwsCalls()
        with calls.observing():
            _provision(boto3)
            import intake_api
            from chalice.test import Client

            with Client(intake_api.app) as client:
                bench = _Bench(calls, client, intake_api.app, boto3.resource("dynamodb").Table("bench-floor"))
                figures = bench.measure()
    _report(figures)
    return figures


class _Bench:
    def __init__(self, calls: AwsCalls, client: Any, app: Any, floor_table: Any) -> None:
        self.calls = calls
        self.client = client
        self.app = app
        self.floor_table = floor_table
        self.records = 0

    def measure(self) -> dict[str, Any]:
        cpu = self._cpu()
        kinds: dict[str, Callable[[], Usage]] = {
            "good": lambda: self._metered(GOOD),
            "bad": lambda: self._metered(BAD),
            "record": self._metered_record,
        }
        # The last of a few: the first of a kind may create what the next ones find (a counter, say).
        usage = {kind: [meter() for _ in range(SAMPLES)][-1] for kind, meter in kinds.items()}
        return {"cpu": cpu, "usage": usage, **self._batch()}

    def _cpu(self) -> dict[str, float]:
        """CPU seconds per evaluation of the floor and of our intake, for each kind, in alternating rounds."""
        contenders: dict[str, Callable[[], float]] = {
            "floor_good": lambda: _timed(lambda: self._floor(json.dumps(GOOD))),
            "intake_good": lambda: _timed(lambda: self._post(GOOD)),
            "floor_bad": lambda: _timed(lambda: self._floor(json.dumps(BAD))),
            "intake_bad": lambda: _timed(lambda: self._post(BAD)),
            "floor_record": lambda: _timed(lambda: self._floor(json.dumps(_record_evaluation("BENCH-000000")))),
            "intake_record": self._timed_record,
        }
        for measure in contenders.values():  # warm: imports, clients, validators
            measure()
        spent = dict.fromkeys(contenders, 0.0)
        for _ in range(ROUNDS):
            for name, measure in contenders.items():
                spent[name] += sum(measure() for _ in range(PER_ROUND))
        return {name: seconds / (ROUNDS * PER_ROUND) for name, seconds in spent.items()}

    def _timed_record(self) -> float:
        evaluation = self._record_evaluation()
        return _timed(lambda: self._assert_created(self._signed("/v1/platform/evaluations", evaluation)))

    def _floor(self, body: str) -> None:
        """The least an intake can do: parse the body, write it as one item."""
        item = json.loads(body, parse_float=Decimal)
        self.floor_table.put_item(Item={"pk": uuid.uuid4().hex, **item})

    def _post(self, body: dict[str, Any]) -> None:
        response = self.client.http.post(
            "/v1/evaluations", headers={"content-type": "application/json"}, body=json.dumps(body)
        )
        assert response.status_code == 201, response.body

    def _metered(self, body: dict[str, Any]) -> Usage:
        with self.calls.span() as usage:
            self._post(body)
        return usage

    def _record_evaluation(self) -> dict[str, Any]:
        """A platform registers a service record (not measured); its evaluation of one stage."""
        self.records += 1
        record_id = f"BENCH-{self.records:06d}"
        record = {
            **RECORD_ITEM,
            "record_id": record_id,
            "stages": ["accept", "deliver"],
            "completed_at": "2026-11-29T10:00:00+08:00",
        }
        with self.calls.span():
            self._assert_created(self._signed("/v1/platform/service-records", record))
        return _record_evaluation(record_id)

    def _metered_record(self) -> Usage:
        evaluation = self._record_evaluation()
        with self.calls.span() as usage:
            self._assert_created(self._signed("/v1/platform/evaluations", evaluation))
        return usage

    @staticmethod
    def _assert_created(answer: tuple[int, dict[str, Any]]) -> None:
        assert answer[0] == 201, answer

    def _batch(self) -> dict[str, Any]:
        items = [
            {
                **ITEM,
                "channel": "hotline",
                "external_id": f"bench-{uuid.uuid4().hex[:16]}",
                **({"level": 2, "reason_codes": ["attitude"]} if index % 10 == 0 else {"level": 5}),
            }
            for index in range(BATCH)
        ]
        with self.calls.span() as usage:
            started, cpu_started = time.perf_counter(), time.process_time()
            status, answer = self._signed("/v1/platform/evaluations/batch", {"evaluations": items})
            latency, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert status == 200, answer
        accepted = sum(result["status"] == "accepted" for result in answer["results"])
        assert accepted == BATCH, answer
        return {"batch_latency_s": latency, "batch_cpu_s": cpu, "batch_usage": usage}

    def _signed(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        """A signed POST as API Gateway hands it to the function (REST API, proxy integration)."""
        import requests
        from govrate.platforms.signing import platform_signer

        from local.lambdas import FakeLambdaContext

        prepared = requests.Request("POST", f"https://{HOST}/{STAGE}{path}", json=body).prepare()
        platform_signer(KEY_ID, SECRET.encode())(prepared)
        assert isinstance(prepared.body, bytes)
        headers = {**prepared.headers, "Host": HOST, "X-Forwarded-Proto": "https"}
        event = {
            "resource": path,
            "path": path,
            "httpMethod": "POST",
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": path,
                "httpMethod": "POST",
                "path": f"/{STAGE}{path}",
                "stage": STAGE,
                "requestId": uuid.uuid4().hex,
                "identity": {"sourceIp": "203.0.113.7"},
            },
            "body": base64.b64encode(prepared.body).decode(),
            "isBase64Encoded": True,
        }
        response = self.app(event, FakeLambdaContext("intake", 256, 30))
        return int(response["statusCode"]), json.loads(response["body"])


def _record_evaluation(record_id: str) -> dict[str, Any]:
    return {**RECORD_ITEM, "record_id": record_id, "stage": "accept", "channel": "window_device", "level": 4}


def _timed(call: Callable[[], Any]) -> float:
    started = time.process_time()
    call()
    return time.process_time() - started


def _environment() -> None:
    sys.path.insert(0, str(ROOT / "functions" / "intake"))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    # One client posts every evaluation here: lift the per-client and per-item limits (the counters are still written).
    evaluations = str(10 * ROUNDS * PER_ROUND)
    os.environ.setdefault("GOVRATE_LIMIT_PER_CLIENT_PER_HOUR", evaluations)
    os.environ.setdefault("GOVRATE_LIMIT_PER_ITEM_PER_MINUTE", evaluations)


def _provision(boto3: Any) -> None:
    from govrate import runtime
    from govrate.catalogue.service import import_catalogue, read_catalogue
    from govrate.catalogue.store import CatalogueRepository
    from govrate.storage.schema import TABLES

    dynamodb = boto3.client("dynamodb")
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_arguments(f"bench-{spec.name}"))
    dynamodb.create_table(
        TableName="bench-floor",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    secrets = boto3.client("secretsmanager")
    secret_arn = secrets.create_secret(Name="bench-platform", SecretString=SECRET)["ARN"]
    platforms = {KEY_ID: {"platform_id": "bench-platform", "regions": ["110000"], "secret_arn": secret_arn}}
    os.environ.update(
        GOVRATE_EVALUATIONS_TABLE="bench-evaluations",
        GOVRATE_CASES_TABLE="bench-cases",
        GOVRATE_REFERENCE_TABLE="bench-reference",
        GOVRATE_CONTACT_KEY_ID=boto3.client("kms").create_key()["KeyMetadata"]["KeyId"],
        GOVRATE_PLATFORMS=json.dumps(platforms),
        GOVRATE_QR_SIGNING_SECRET_ARN=secrets.create_secret(Name="bench-qr", SecretString="q" * 64)["ARN"],
    )
    runtime.reset()
    catalogue = ROOT / "data" / "catalogue-sample.csv"
    import_catalogue(
        read_catalogue(catalogue.read_text(encoding="utf-8"), "csv"), CatalogueRepository("bench-reference")
    )


def _calls(usage: Usage) -> str:
    return ", ".join(f"{service} {operation} {count}" for (service, operation), count in sorted(usage.calls.items()))


def _report(figures: dict[str, Any]) -> None:
    cpu = figures["cpu"]
    print(
        "intake: our intake through the Chalice app against a floor handler (json.loads + one put_item of the "
        f"same body), moto in memory, {ROUNDS} alternating rounds of {PER_ROUND} each"
    )
    for kind in ("good", "bad", "record"):
        ratio = cpu[f"intake_{kind}"] / cpu[f"floor_{kind}"]
        print(
            f"  CPU per {KINDS[kind]}: intake {cpu[f'intake_{kind}'] * 1000:.2f} ms, "
            f"floor {cpu[f'floor_{kind}'] * 1000:.2f} ms -> {ratio:.1f}x the floor"
        )
    writes = Usage()
    for usage in figures["usage"].values():
        for counter in ("writes", "reported", "unreported", "computed"):
            totals = getattr(writes, counter)
            for operation, amount in getattr(usage, counter).items():
                totals[operation] += amount
    print("  moto's ReturnConsumedCapacity on the writes of the three kinds below, against the units DynamoDB bills:")
    for operation, count in sorted(writes.writes.items()):
        said = "none" if writes.unreported[operation] == count else f"{writes.reported[operation]:g} units"
        print(
            f"    {operation}: {count} calls, moto reported {said}; from the item sizes {writes.computed[operation]:g}"
        )
    print("    so the units below are computed from the item sizes as DynamoDB bills them (bench.aws_calls)")
    for kind, usage in figures["usage"].items():
        print(
            f"  {kind}: {usage.write_units:g} write units, {usage.read_units:g} read units, "
            f"{usage.round_trips()} AWS calls ({_calls(usage)})"
        )
        print(f"    written: {'; '.join(usage.written)}")
    batch: Usage = figures["batch_usage"]
    print(
        f"  platform batch of {BATCH} (10 bad): {figures['batch_latency_s'] * 1000:.0f} ms, "
        f"{batch.round_trips('dynamodb')} DynamoDB round trips ({batch.round_trips('dynamodb') / BATCH:.1f} per item), "
        f"{batch.round_trips()} AWS calls in all; {batch.write_units:g} write units; "
        f"CPU {figures['batch_cpu_s'] * 1000:.0f} ms"
    )
    print(f"    calls: {_calls(batch)}")


if __name__ == "__main__":
    run()
