"""A process builds each of its stores and its AWS clients once, even when its first requests come at
once (a batch's writers, the local stack's request threads): every bound model shares one botocore
client, every adapter of a service one client of it, and a composition-root builder runs once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from govrate import runtime
from govrate.integrity.counters import CounterItem
from govrate.platforms.service import BATCH_WRITERS
from govrate.storage.clients import aws_client
from govrate.storage.queue import MessageQueue
from govrate.storage.tables import MAX_POOL_CONNECTIONS, EvaluationItem, bind, forget_bindings, shared_connection


@pytest.fixture(autouse=True)
def fresh_bindings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # botocore needs a region and credentials to build a client, never a network
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    forget_bindings()
    yield
    forget_bindings()


def client_of(model: type[EvaluationItem] | type[CounterItem]) -> object:
    return model._get_connection().connection.client


def test_every_bound_model_shares_the_process_client_and_binding_twice_gives_the_same_class() -> None:
    evaluations = bind(EvaluationItem, "evaluations")
    counters = bind(CounterItem, "reference")

    assert bind(EvaluationItem, "evaluations") is evaluations
    assert client_of(evaluations) is client_of(counters) is shared_connection().client
    # one pool, wide enough for a batch's writers and the local stack's request threads under load
    config = shared_connection().client.meta.config
    assert config.max_pool_connections == MAX_POOL_CONNECTIONS > BATCH_WRITERS  # type: ignore[attr-defined]  # set from its options, not declared in botocore's stubs
    # each keeps its own table's schema
    assert evaluations._get_connection().table_name == "evaluations"
    assert counters._get_connection().table_name == "reference"


def test_concurrent_first_binds_build_one_class_and_one_client() -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        bound = list(pool.map(lambda _: bind(EvaluationItem, "evaluations"), range(8)))

    assert len({id(model) for model in bound}) == 1
    assert len({id(client_of(model)) for model in bound}) == 1


def test_forgetting_the_bindings_binds_again_on_the_client_of_the_environment_in_effect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = bind(EvaluationItem, "evaluations")
    forget_bindings()
    again = bind(EvaluationItem, "evaluations")

    assert again is not before
    assert client_of(again) is client_of(before)  # the same endpoint: the client is kept
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    forget_bindings()
    elsewhere = client_of(bind(EvaluationItem, "evaluations"))
    assert elsewhere is not client_of(before)
    assert elsewhere.meta.endpoint_url == "http://127.0.0.1:5000"  # type: ignore[attr-defined]


def test_every_adapter_of_a_service_shares_its_client_per_region_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    sqs = aws_client("sqs")

    assert MessageQueue("https://sqs.cn-north-1.amazonaws.com.cn/1/a", "negative reviews")._client is sqs
    assert aws_client("sqs") is sqs
    assert aws_client("sqs", "us-east-1") is not sqs
    assert aws_client("sqs", "us-east-1").meta.region_name == "us-east-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000")
    assert aws_client("sqs").meta.endpoint_url == "http://127.0.0.1:5000"
    assert aws_client("s3") is aws_client("s3") is not aws_client("sqs")


def test_a_composition_root_builder_runs_once_under_concurrent_first_calls() -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def slow_builder() -> object:
        with lock:
            calls.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while the first builds
        return object()

    built = runtime._once(slow_builder)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: built(), range(8)))

    assert len(calls) == 1
    assert len({id(result) for result in results}) == 1
    runtime.reset()
    assert built() is not results[0]
