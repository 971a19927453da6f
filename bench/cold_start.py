"""Cold start: what Lambda pays before answering the first event, as a ratio to a bare `import boto3`.

Every handler module the stack deploys is imported in fresh interpreters, alternating with fresh
interpreters that only `import boto3`, so the machine's load hits both alike; the figure is the median
CPU time of the import over the median of `import boto3` in the same run. The same interpreter then
answers a first request (through the Chalice test client, or the handler with its event) against moto
in server mode, so that work moved from the import to the first request shows up too.
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Every handler module of the stack (infra/http_apps.py and the event functions of infra/components/).
HANDLERS = {
    "intake_api": "functions/intake",
    "qr_api": "functions/qr",
    "case_api": "functions/verify",
    "relay": "functions/intake",
    "record_sweep": "functions/intake",
    "case_consumer": "functions/verify",
    "case_sweep": "functions/verify",
    "bad_review_reconciler": "functions/intake",
    "integrity_watch": "functions/intake",
    "seal_job": "functions/seal",
    "analyze_job": "functions/analyze",
}
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BASELINE = "boto3"
TARGET_RATIO = 1.5
DAY = "2026-11-25"

_CHILD = """
import sys, time
sys.path[:0] = [{directory!r}, {root!r}]
started = time.process_time()
import {module}
imported = time.process_time() - started
first = 0.0
if {first!r}:
    from bench.cold_start import first_request
    request = first_request({module})
    started = time.process_time()
    request()
    first = time.process_time() - started
print(imported, first)
"""


def run() -> dict[str, float]:
    # Lambda loads compiled bytecode; this machine may not write it (PYTHONDONTWRITEBYTECODE).
    for tree in ("layers/govrate/src", "functions"):
        compileall.compile_dir(ROOT / tree, quiet=1)
    from local.provision import MotoServer

    server = MotoServer()
    environment = _provision(server.start())
    bad_reviews = _bad_reviews(RUNS)
    try:
        baseline: list[float] = []
        imports: dict[str, list[float]] = {module: [] for module in HANDLERS}
        firsts: dict[str, list[float]] = {module: [] for module in HANDLERS}
        for _ in range(RUNS):
            for module, directory in HANDLERS.items():
                baseline.append(_child(BASELINE, "", environment, first=False)[0])
                evaluation = {"BENCH_EVALUATION_ID": bad_reviews.pop()} if module == "case_consumer" else {}
                imported, first = _child(module, directory, environment | evaluation, first=True)
                imports[module].append(imported)
                firsts[module].append(first)
    finally:
        server.stop()

    floor = statistics.median(baseline)
    figures = {"import_boto3_ms": floor * 1000}
    print(f"cold start: CPU time to import each handler module, median of {RUNS} fresh interpreters,")
    print(f"  against `import {BASELINE}` in the same run ({floor * 1000:.0f} ms, median of {len(baseline)})")
    print(f"  {'module':22s} {'import':>8s} {'ratio':>6s} {'first request':>14s}")
    for module in HANDLERS:
        imported, first = statistics.median(imports[module]), statistics.median(firsts[module])
        figures[f"{module}_ratio"] = imported / floor
        figures[f"{module}_first_request_ms"] = first * 1000
        verdict = "" if imported / floor <= TARGET_RATIO else f"  over {TARGET_RATIO}x"
        print(f"  {module:22s} {imported * 1000:6.0f}ms {imported / floor:5.2f}x {first * 1000:12.0f}ms{verdict}")
    return figures


def _child(module: str, directory: str, environment: dict[str, str], *, first: bool) -> tuple[float, float]:
    code = _CHILD.format(directory=str(ROOT / directory), root=str(ROOT), module=module, first=first)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{module}: {done.stderr}")
    imported, first_request_time = done.stdout.split()[-2:]
    return float(imported), float(first_request_time)


def _provision(endpoint: str) -> dict[str, str]:
    """The tables, key, secret, queues, bucket and catalogue the first requests use; the functions' environment."""
    from local.provision import point_clients_at

    point_clients_at(endpoint)
    import boto3
    from govrate.catalogue.service import import_catalogue, read_catalogue
    from govrate.catalogue.store import CatalogueRepository
    from govrate.storage.schema import TABLES

    for spec in TABLES:
        boto3.client("dynamodb").create_table(**spec.create_table_arguments(f"bench-{spec.name}"))
    sqs = boto3.client("sqs")
    os.environ.update(
        GOVRATE_EVALUATIONS_TABLE="bench-evaluations",
        GOVRATE_CASES_TABLE="bench-cases",
        GOVRATE_REFERENCE_TABLE="bench-reference",
        GOVRATE_CONTACT_KEY_ID=boto3.client("kms").create_key()["KeyMetadata"]["KeyId"],
        GOVRATE_QR_SIGNING_SECRET_ARN=boto3.client("secretsmanager").create_secret(
            Name="bench-qr-signing", SecretString="s" * 64
        )["ARN"],
        GOVRATE_NEGATIVE_REVIEWS_QUEUE_URL=sqs.create_queue(QueueName="bench-negative-reviews")["QueueUrl"],
        GOVRATE_INVITATION_QUEUE_URL=sqs.create_queue(QueueName="bench-invitations")["QueueUrl"],
        GOVRATE_NOTICE_QUEUE_URL=sqs.create_queue(QueueName="bench-notices")["QueueUrl"],
        GOVRATE_ANALYTICS_BUCKET="bench-analytics",
        POWERTOOLS_METRICS_NAMESPACE="Govrate",
        LOG_LEVEL="WARNING",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench-analytics")
    s3.create_bucket(Bucket="bench-seals", ObjectLockEnabledForBucket=True)
    os.environ.update(
        GOVRATE_SEAL_BUCKET="bench-seals",
        GOVRATE_SEAL_KEY_ID=boto3.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
            "KeyMetadata"
        ]["KeyId"],
    )
    catalogue = (ROOT / "data" / "catalogue-sample.csv").read_text(encoding="utf-8")
    import_catalogue(read_catalogue(catalogue, "csv"), CatalogueRepository("bench-reference"))
    return dict(os.environ)


def _bad_reviews(count: int) -> list[str]:
    """Stored bad reviews without a case yet, one for each first request of the case consumer."""
    from govrate import runtime
    from govrate.evaluations.models import EvaluationSubmission
    from govrate.evaluations.service import submit_evaluation

    submission = EvaluationSubmission.model_validate(_EVALUATION | {"level": 2, "reason_codes": ["slow"]})
    return [
        submit_evaluation(
            submission, stores=runtime.intake_stores(), tickets=runtime.ticket_signer, now=runtime.now()
        ).evaluation_id
        for _ in range(count)
    ]


class _LambdaContext:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "bench"


def first_request(handler: ModuleType) -> Callable[[], None]:
    """The first request or event the handler module answers in the bench, ready to be timed."""
    prepare = _FIRST_REQUESTS[handler.__name__]
    return prepare(handler)


def _http(app: Any, method: str, path: str, expected: int, body: dict[str, Any] | None = None) -> Callable[[], None]:
    from chalice.test import Client

    client = Client(app)
    headers = {"content-type": "application/json"} if body is not None else {}

    def request() -> None:
        answer = client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")
        assert answer.status_code == expected, answer.body

    return request


def _event(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> Callable[[], None]:
    def request() -> None:
        answer = handler(event, _LambdaContext())
        assert not (isinstance(answer, dict) and answer.get("batchItemFailures")), answer

    return request


def _stream_insert(image: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"NewImage": image, "SequenceNumber": "1"},
            }
        ]
    }


def _bad_review_image() -> dict[str, Any]:
    evaluation_id = str(uuid.uuid4())
    return {
        "entity": {"S": "evaluation"},
        "bad_review": {"BOOL": True},
        "evaluation_id": {"S": evaluation_id},
        "agency_code": {"S": "110105-GA"},
        "region_code": {"S": "110105"},
        "level": {"N": "2"},
        "created_at": {"S": f"{DAY}T10:00:00+08:00"},
    }


_EVALUATION = {
    "item_code": "110105-GA-001",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "channel": "mobile_app",
    "level": 5,
}
_FIRST_REQUESTS: dict[str, Callable[[Any], Callable[[], None]]] = {
    "intake_api": lambda module: _http(module.app, "POST", "/v1/evaluations", 201, _EVALUATION),
    # A code the service never issued: the signing key is read and the page rendered.
    "qr_api": lambda module: _http(module.app, "GET", "/q/" + "A" * 40, 404),
    "case_api": lambda module: _http(
        module.app, "GET", "/v1/evaluations/01JD0000000000000000000000/handling?receipt=" + "A" * 43, 404
    ),
    "relay": lambda module: _event(module.handler, _stream_insert(_bad_review_image())),
    "record_sweep": lambda module: _event(module.handler, {"day": DAY}),
    "case_consumer": lambda module: _event(
        module.handler,
        {
            "Records": [
                {
                    "messageId": "1",
                    "eventSource": "aws:sqs",
                    "body": json.dumps(
                        {
                            "evaluation_id": os.environ["BENCH_EVALUATION_ID"],
                            "item_code": "110105-GA-001",
                            "agency_code": "110105-GA",
                            "region_code": "110105",
                            "level": 2,
                            "created_at": f"{DAY}T10:00:00+08:00",
                        }
                    ),
                }
            ]
        },
    ),
    "case_sweep": lambda module: _event(module.handler, {"id": "bench"}),
    "bad_review_reconciler": lambda module: _event(module.handler, {"id": "bench", "days": 1}),
    "integrity_watch": lambda module: _event(module.handler, _stream_insert(_bad_review_image())),
    "seal_job": lambda module: _event(module.handler, {"id": "bench", "day": DAY}),
    "analyze_job": lambda module: _event(module.handler, {"day": DAY}),
}


if __name__ == "__main__":
    run()
