"""LocalStack: the whole system, created from the synthesized CDK template: every function in this
process, moto in a process of its own (`local.moto_server`).

The stack configures this process's environment (AWS_ENDPOINT_URL, the functions' variables), so it
runs in a process of its own (`python -m local.devstack`), or in a test process before any handler
has read its settings.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from chalice.app import Chalice

from infra.environment import (
    PUBLIC_BASE_URL,
    STAFF_USER_POOL_ID,
    SUPERVISOR_ALERT_TOPIC_ARN,
    UPSTREAM_URL,
    setting,
)
from local.http import HttpServer
from local.lambdas import Handler, handler_module, import_handler
from local.pollers import QUEUE_POLLERS, QueuePoller, ScheduleTicker, StreamPoller, Worker
from local.provision import (
    ACCOUNT,
    REGION,
    MotoServer,
    Provisioned,
    point_clients_at,
    provision,
)
from local.synth import cached_template, stack_name_of
from local.template import CdkTemplate, EventSourceSpec, FunctionSpec

log = logging.getLogger("local.stack")

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PREFIX = "GOVRATE_"
# The public base URL points at the local server, whatever the cloud sets it to. moto serves a user
# pool's signing keys at its own address, not at Cognito's (STAFF_JWKS_URL). The upstream's address
# changes with each start (a free port) and reaches the template only in the sender's environment: the
# template is synthesized with a stand-in, cached once, and the address set here (UPSTREAM_URL).
# Supervisor alerts are printed to the log of the local stack, not published (no SNS topic locally).
STAFF_JWKS_URL = setting("staff_jwks_url")
UPSTREAM = "govrate:upstream"
SYNTHESIZED_UPSTREAM_URL = "http://upstream.invalid"
# Outside Lambda there is no X-Ray daemon to send traces to.
LOCAL_ONLY_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true"}
STOP_GRACE_SECONDS = 5.0
# Days of demo history seeded at start (`--history-days`): five weeks, so that the results show two
# months and the weeks in between.
HISTORY_DAYS = 35


@dataclass
class Ready:
    """What a client of the local stack needs to know once it is up."""

    api_url: str
    aws_endpoint: str
    region: str
    environment: dict[str, str]
    wiring: list[str] = field(default_factory=list)
    docs_urls: list[str] = field(default_factory=list)
    qr_pages: list[dict[str, str]] = field(default_factory=list)
    # regional platforms with their signing keys: platform_id, key_id, regions, key
    platforms: list[dict[str, Any]] = field(default_factory=list)
    # staff accounts of the console: username, password, role, region_code, agency_code
    staff: list[dict[str, Any]] = field(default_factory=list)
    # the public results API (docs/analytics.md), filled by the analyze job's schedule
    results_url: str = ""
    scheduled: bool = True  # whether the scheduled functions run (not with --schedule-every 0)
    upstream_url: str = ""  # the stack this one relays to, if any
    left_out: dict[str, int] = field(default_factory=dict)
    not_run: list[str] = field(default_factory=list)  # functions whose code is not under functions/


class LocalStack:
    def __init__(
        self,
        *,
        port: int = 8000,
        aws_port: int = 0,
        schedule_interval: float = 60.0,
        seed: bool = True,
        history_days: int = HISTORY_DAYS,
        root: Path = REPO_ROOT,
        stack_name: str | None = None,
        context: Mapping[str, Any] | None = None,
        upstream_key: str | None = None,
    ) -> None:
        """`context`: `govrate:*` settings over cdk.json's (another province, platforms, an upstream);
        `upstream_key`: with `govrate:upstream`, the key the upstream stack gave this one, put into the
        stack's upstream secret before any event is delivered."""
        self._port = port
        self._history_days = history_days
        self._aws_port = aws_port
        self._schedule_interval = schedule_interval
        self._seed = seed
        self._root = root
        self._context, self._upstream_url = without_upstream_url(context or {})
        self._upstream_key = upstream_key
        self._stack_name = stack_name or stack_name_of(root, self._context)
        self._stop = threading.Event()
        self._moto: MotoServer | None = None
        self._http: HttpServer | None = None
        self._workers: list[Worker] = []

    def __enter__(self) -> Ready:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Ready:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop delivering events, close the HTTP server, then stop moto; safe to call twice."""
        self._stop.set()
        if self._http is not None:
            self._http.stop()
            self._http = None
        # Pollers stop within a second; a scheduled job in the middle of its run is left to end with
        # the process rather than hold Ctrl-C up for minutes.
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in self._workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.info("%s: still running, left to end with the process", worker.name)
        self._workers = []
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    def _start(self) -> Ready:
        log.info("reading the template of stack %s (synthesizing the CDK app if it changed)", self._stack_name)
        document, cached = cached_template(
            self._root, self._stack_name, account=ACCOUNT, region=REGION, context=self._context
        )
        log.info("template %s", "unchanged since the last synthesis" if cached else "synthesized")
        template = CdkTemplate(document)
        self._moto = MotoServer(self._aws_port)
        endpoint = self._moto.start()
        point_clients_at(endpoint)
        log.info("creating the stack in moto at %s", endpoint)
        provisioned = provision(template, self._stack_name)
        if self._upstream_key is not None:
            put_upstream_key(self._stack_name, self._upstream_key)

        self._http = HttpServer("127.0.0.1", self._port)
        ready = Ready(
            self._http.base_url,
            endpoint,
            REGION,
            {},
            left_out=dict(provisioned.left_out),
            scheduled=bool(self._schedule_interval),
            upstream_url=self._upstream_url or "",
        )
        handlers = self._load_functions(template, provisioned, self._http, ready)
        # The domain package may be imported only now that the environment is set.
        from local.demo import demo_staff, local_platforms, seed, seed_history, seed_staff

        ready.platforms = [asdict(platform) for platform in local_platforms()]
        if self._seed:
            windows = seed(ready.api_url)
            ready.qr_pages = [
                {"window_id": w.window_id, "name": w.name_zh, "region": w.region_name_zh, "url": w.landing_url}
                for w in windows
            ]
            if self._history_days:
                seed_history(self._history_days)
            ready.results_url = f"{ready.api_url}/v1/results"
            if STAFF_USER_POOL_ID in ready.environment:
                accounts = demo_staff(windows)
                seed_staff(ready.environment[STAFF_USER_POOL_ID], accounts)
                ready.staff = [asdict(account) for account in accounts]
        self._wire_events(template, provisioned, handlers, ready)
        ready.docs_urls = [
            f"{ready.api_url}{path}"
            for path, methods in self._http.apps.routes.items()
            if "GET" in methods and "{" not in path and ("openapi" in path or "docs" in path)
        ]
        for worker in self._workers:
            worker.start()
        self._http.start()
        return ready

    def _load_functions(
        self, template: CdkTemplate, provisioned: Provisioned, http: HttpServer, ready: Ready
    ) -> dict[str, Handler]:
        """Set the functions' environment, import their handlers and serve the HTTP ones; the other
        handlers by logical id."""
        functions = template.functions()
        modules = {lid: handler_module(self._root / "functions", function) for lid, function in functions.items()}
        runnable = [function for lid, function in functions.items() if modules[lid] is not None]
        overrides = {PUBLIC_BASE_URL: ready.api_url, SUPERVISOR_ALERT_TOPIC_ARN: ""}
        if self._upstream_url is not None:
            overrides[UPSTREAM_URL] = self._upstream_url
        ready.environment = merged_environment(runnable, provisioned, overrides)
        if STAFF_USER_POOL_ID in ready.environment:
            pool_id = ready.environment[STAFF_USER_POOL_ID]
            ready.environment[STAFF_JWKS_URL] = f"{ready.aws_endpoint}/{pool_id}/.well-known/jwks.json"
        os.environ.update(ready.environment)  # before the first import: Powertools reads it at import time
        handlers: dict[str, Handler] = {}
        for logical_id, module_file in modules.items():
            if module_file is None:
                ready.not_run.append(logical_id)
                continue
            handler = import_handler(module_file, functions[logical_id].handler)
            if isinstance(handler, Chalice):
                http.apps.add(handler)
                ready.wiring.append(f"http→{functions[logical_id].handler}")
            else:
                handlers[logical_id] = handler
        return handlers

    def _wire_events(
        self, template: CdkTemplate, provisioned: Provisioned, handlers: Mapping[str, Handler], ready: Ready
    ) -> None:
        functions = template.functions()
        for source in template.event_sources():
            function = functions[source.function_id]
            workers = self._pollers(function, _event_handler(handlers, function), source, provisioned)
            self._workers += workers
            source_name = provisioned.physical_ids[source.source_id].rsplit("/", 1)[-1]  # a queue's is its URL
            ready.wiring.append(
                f"{workers[0].name} (from {source_name}, batch {source.batch_size}, {len(workers)} at once)"
            )
        for schedule in template.schedules():
            function = functions[schedule.function_id]
            if not self._schedule_interval:
                ready.wiring.append(f"schedule→{function.handler} ({schedule.expression} in the cloud, not run here)")
                continue
            ticker = ScheduleTicker(
                function,
                _event_handler(handlers, function),
                schedule,
                interval=self._schedule_interval,
                stop=self._stop,
            )
            self._workers.append(ticker)
            ready.wiring.append(
                f"{ticker.name} ({schedule.expression} in the cloud, every {self._schedule_interval:g} s here)"
            )

    def _pollers(
        self, function: FunctionSpec, handler: Handler, source: EventSourceSpec, provisioned: Provisioned
    ) -> list[Worker]:
        """One poller for a stream (Lambda reads a shard with one invocation at a time); QUEUE_POLLERS
        for a queue, which Lambda reads with several invocations at once."""
        if source.kind == "dynamodb":
            stream_arn = provisioned.resolver.resolve({"Fn::GetAtt": [source.source_id, "StreamArn"]})
            on_failure_url = provisioned.physical_ids[source.on_failure_id] if source.on_failure_id else None
            return [
                StreamPoller(
                    function, handler, source, stream_arn=stream_arn, on_failure_url=on_failure_url, stop=self._stop
                )
            ]
        queue_url = provisioned.physical_ids[source.source_id]  # Ref of a queue is its URL
        queue_arn = provisioned.resolver.resolve({"Fn::GetAtt": [source.source_id, "Arn"]})
        return [
            QueuePoller(function, handler, source, queue_url=queue_url, queue_arn=queue_arn, stop=self._stop, number=n)
            for n in range(1, QUEUE_POLLERS + 1)
        ]


def put_upstream_key(stack_name: str, key: str) -> None:
    """What an operator puts into the stack's upstream secret (docs/relay.md); the API key is not checked locally."""
    import boto3

    boto3.client("secretsmanager").put_secret_value(
        SecretId=f"{stack_name}/upstream", SecretString=json.dumps({"key": key, "api_key": "local"})
    )


def _event_handler(handlers: Mapping[str, Handler], function: FunctionSpec) -> Handler:
    if function.logical_id not in handlers:
        raise LookupError(f"{function.handler} receives events, but is not a Lambda handler under functions/")
    return handlers[function.logical_id]


def without_upstream_url(context: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The context to synthesize, its upstream's address replaced by the stand-in; and that address."""
    if UPSTREAM not in context:
        return dict(context), None
    upstream = context[UPSTREAM]
    return {**context, UPSTREAM: {**upstream, "url": SYNTHESIZED_UPSTREAM_URL}}, upstream["url"]


def merged_environment(
    functions: Iterable[FunctionSpec], provisioned: Provisioned, overrides: Mapping[str, str]
) -> dict[str, str]:
    """One environment for the one process that hosts every function. A GOVRATE_* setting must agree
    wherever two functions both have it (each function gets the subset it needs, never a different
    value); any other variable is kept only where all functions agree on it."""
    merged: dict[str, str] = dict(LOCAL_ONLY_ENVIRONMENT)
    disagreeing: set[str] = set()
    for function in functions:
        for name, value in provisioned.environment(function, overrides).items():
            if merged.get(name, value) == value:
                merged[name] = value
            elif name.startswith(SETTINGS_PREFIX):
                raise ValueError(f"{name} differs between functions; one process cannot host them all")
            else:
                disagreeing.add(name)
    for name in sorted(disagreeing):
        log.warning("%s differs between functions; left unset locally", name)
        merged.pop(name)
    return merged
