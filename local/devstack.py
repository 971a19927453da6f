"""`make dev`: start the local stack and run until Ctrl-C (SIGINT) or SIGTERM.

    .venv/bin/python -m local.devstack [--port 8000] [--aws-port 0] [--schedule-every 60] [--no-seed]
        [--province NAME] [--platform ID:KEY_ID:REGION[,REGION…]]… [--downstream ID:KEY_ID:REGION[,REGION…]]…
        [--upstream URL --upstream-key-id ID --upstream-key KEY]

Two levels (docs/relay.md): start the upstream with the downstream registered as a downstream stage
(`--province national --downstream province:province-local:110000,440300`), then the downstream on
another port, naming the upstream and the key it printed for that stage
(`--province province --port 8001 --upstream http://127.0.0.1:8000 --upstream-key-id province-local
--upstream-key …`).

When everything is up it prints the URLs, then one machine-readable line, `READY_PREFIX` followed by
JSON (api_url, aws_endpoint, region, environment, qr_pages, …), which tests and scripts wait for.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import asdict
from types import FrameType
from typing import Any

from infra.environment import REFERENCE_TABLE, STAFF_CLIENT_ID, STAFF_USER_POOL_ID, setting
from local.provision import DUMMY_KEY
from local.stack import HISTORY_DAYS, REPO_ROOT, STAFF_JWKS_URL, LocalStack, Ready

READY_PREFIX = "govrate-local-stack ready "
# Every browser and script on this machine reaches the local stack from the same address, so what is
# counted per client would treat them all as one citizen: raised here unless the shell sets them.
LOCAL_CLIENT_SETTINGS = {
    setting("limit_per_client_per_hour"): "1000",
    setting("watch_client_records_per_day"): "1000",
}
# The by-day indexes are sharded so that the cloud's busiest key stays below a partition's write limit
# at 10,000 evaluations/s; one machine writes a few a second. Fewer shards locally: every reader still
# queries each shard, and the analysis and the seals at start make a quarter of the queries.
LOCAL_SCALE_SETTINGS = {setting("day_shards"): "4"}

log = logging.getLogger("local.devstack")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.devstack", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="HTTP port of the API (0: any free port)")
    parser.add_argument("--aws-port", type=int, default=0, help="port of moto, the local AWS (0: any free port)")
    parser.add_argument(
        "--schedule-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="run scheduled functions at start and then this often (0: never, they run only when invoked)",
    )
    parser.add_argument("--no-seed", action="store_true", help="start without the demo catalogue and windows")
    parser.add_argument("--province", help="the stack's province (cdk.json's by default): a second stack beside it")
    parser.add_argument(
        "--platform",
        action="append",
        default=[],
        type=platform_setting,
        metavar="ID:KEY_ID:REGION[,REGION…]",
        help="register one more regional platform beside cdk.json's",
    )
    parser.add_argument(
        "--downstream",
        action="append",
        default=[],
        type=downstream_setting,
        metavar="ID:KEY_ID:REGION[,REGION…]",
        help="register a downstream stack (a Govrate stage that relays here, docs/relay.md) beside cdk.json's",
    )
    parser.add_argument("--upstream", metavar="URL", help="relay upstream to the stack at this URL (docs/relay.md)")
    parser.add_argument("--upstream-key-id", metavar="ID", help="the key id the upstream registered this stack under")
    parser.add_argument("--upstream-key", metavar="KEY", help="the key the upstream printed for that platform")
    history = parser.add_mutually_exclusive_group()
    history.add_argument(
        "--history-days",
        type=int,
        metavar="DAYS",
        default=HISTORY_DAYS,
        help=f"days of demo history behind the results, up to yesterday (default {HISTORY_DAYS}; 0: none)",
    )
    history.add_argument("--no-history", action="store_true", help="start without the demo history behind the results")
    args = parser.parse_args(argv)
    if args.history_days < 0:
        parser.error("--history-days: 0 or more")
    return args


def platform_setting(text: str) -> dict[str, Any]:
    """`ID:KEY_ID:REGION[,REGION…]` as an entry of `govrate:platforms`."""
    try:
        platform_id, key_id, regions = text.split(":")
    except ValueError:
        raise argparse.ArgumentTypeError("give ID:KEY_ID:REGION[,REGION…]") from None
    return {"platform_id": platform_id, "key_id": key_id, "regions": regions.split(",")}


def downstream_setting(text: str) -> dict[str, Any]:
    """`ID:KEY_ID:REGION[,REGION…]` as an entry of `govrate:platforms` for a downstream Govrate stage."""
    return {**platform_setting(text), "downstream": True}


def stack_context(args: argparse.Namespace) -> dict[str, Any]:
    """The `govrate:*` settings the options give over cdk.json's."""
    context: dict[str, Any] = {}
    if args.province:
        context["govrate:province"] = args.province
    if args.platform or args.downstream:
        defaults = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
        context["govrate:platforms"] = [*defaults.get("govrate:platforms", []), *args.platform, *args.downstream]
    if args.upstream:
        if not (args.upstream_key_id and args.upstream_key):
            raise SystemExit("--upstream needs --upstream-key-id and --upstream-key")
        context["govrate:upstream"] = {"url": args.upstream, "key_id": args.upstream_key_id}
    return context


def banner(ready: Ready) -> str:
    lines = [
        "",
        "Govrate local stack is up. Its data lives in moto's memory and is gone when it stops (Ctrl-C).",
        f"  API               {ready.api_url}",
        *(f"  API description   {url}" for url in ready.docs_urls),
        f"  AWS (moto)        {ready.aws_endpoint}  (region {ready.region}; for the aws CLI: "
        f"--endpoint-url {ready.aws_endpoint})",
        "  Events            " + "\n                    ".join(ready.wiring),
        "  Per client        every client here is this machine, so the per-client limit and pattern are "
        "raised: "
        + _in_effect(LOCAL_CLIENT_SETTINGS)
        + " (set them in the shell to try the real ones, docs/integrity.md)",
        "  Scale             "
        + _in_effect(LOCAL_SCALE_SETTINGS)
        + " (the cloud's default is 16; the readers query every shard either way, docs/local-stack.md)",
    ]
    if ready.qr_pages:
        lines.append("  QR landing pages (one demo window per region):")
        lines += [f"    {page['region']} {page['name']}\n      {page['url']}" for page in ready.qr_pages]
    if ready.platforms:
        lines.append("  Regional platforms (signed API, docs/integration.md; API keys are not checked locally):")
        lines += [
            f"    {p['platform_id']}  regions {', '.join(p['regions'])}"
            f"{'  (downstream stage: relays only, docs/relay.md)' if p['downstream'] else ''}\n"
            f"      GOVRATE_KEY_ID={p['key_id']} GOVRATE_KEY={p['key']}"
            for p in ready.platforms
        ]
    if ready.results_url:
        when = (
            "its first run starts now: the demo history's takes about 15 s on an idle two-core machine, longer on a "
            "busy one; until then the results answer 404"
            if ready.scheduled
            else "not run here (--schedule-every 0), so the results answer 404"
        )
        lines.append(
            f"  Public results    {ready.results_url}  (and /v1/results/regions/<code>, ?format=csv; "
            f"published by the analyze job's schedule, docs/analytics.md; {when})"
        )
        lines.append(f"  Disclosure pages  {ready.api_url}/disclosure  (公开; ?lang=en; docs/disclosure.md)")
        lines.append(f"  Dashboard         {ready.api_url}/console/dashboard  (sign in at the staff console)")
    if ready.upstream_url:
        lines.append(
            f"  Upstream          {ready.upstream_url}  (what this stack takes is relayed there; the log says "
            "`relayed upstream` with the counts by outcome, docs/relay.md)"
        )
    if ready.staff:
        lines.append(f"  Staff console     {ready.api_url}/console/login  (docs/cases.md); accounts, password:")
        lines += [
            f"    {s['username']:<28} {s['role']:<10} {s['agency_code'] or s['region_code']}  {s['password']}"
            for s in ready.staff
        ]
        pool_id = ready.environment.get(STAFF_USER_POOL_ID, "")
        lines.append(
            f"    pool {pool_id}, app client {ready.environment.get(STAFF_CLIENT_ID, '')}; "
            f"administer with AWS_ENDPOINT_URL={ready.aws_endpoint} AWS_DEFAULT_REGION={pool_id.split('_')[0]} "
            f"AWS_ACCESS_KEY_ID={DUMMY_KEY} AWS_SECRET_ACCESS_KEY={DUMMY_KEY} "
            ".venv/bin/python -m govrate.identity.staff_admin (docs/local-stack.md)"
        )
        rules_environment = " ".join(
            f"{name}={ready.environment.get(name, '')}"
            for name in (REFERENCE_TABLE, STAFF_USER_POOL_ID, STAFF_CLIENT_ID, STAFF_JWKS_URL)
        )
        lines.append(
            f"    region rules: AWS_ENDPOINT_URL={ready.aws_endpoint} AWS_DEFAULT_REGION={ready.region} "
            f"AWS_ACCESS_KEY_ID={DUMMY_KEY} AWS_SECRET_ACCESS_KEY={DUMMY_KEY} {rules_environment} "
            ".venv/bin/python -m govrate.regions.admin (docs/regions.md)"
        )
    if ready.left_out:
        left_out = ", ".join(f"{kind} ×{count}" for kind, count in sorted(ready.left_out.items()))
        lines.append(f"  Not created locally: {left_out}")
    if ready.not_run:
        lines.append(f"  Functions not run locally (no code under functions/): {', '.join(ready.not_run)}")
    return "\n".join(lines) + "\n"


def _in_effect(defaults: dict[str, str]) -> str:
    """The settings as the functions get them: the shell's value, else the local default."""
    return ", ".join(f"{name}={os.environ.get(name, value)}" for name, value in defaults.items())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("local").setLevel(logging.INFO)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    for name, value in (LOCAL_CLIENT_SETTINGS | LOCAL_SCALE_SETTINGS).items():
        os.environ.setdefault(name, value)
    stack = LocalStack(
        port=args.port,
        aws_port=args.aws_port,
        schedule_interval=args.schedule_every,
        seed=not args.no_seed,
        history_days=0 if args.no_history else args.history_days,
        context=stack_context(args),
        upstream_key=args.upstream_key if args.upstream else None,
    )
    try:
        ready = stack.start()
    except Exception:
        if stopping.is_set():  # Ctrl-C also reached the synthesis subprocess, which failed; not an error
            return 0
        raise
    # The settings the functions run with beyond the template's, for scripts that read the tables as they do.
    ready.environment |= {name: os.environ[name] for name in LOCAL_CLIENT_SETTINGS | LOCAL_SCALE_SETTINGS}
    try:
        print(banner(ready), flush=True)
        print(READY_PREFIX + json.dumps(asdict(ready), ensure_ascii=False), flush=True)
        while not stopping.wait(1):  # a timeout keeps the main thread responsive to signals
            pass
    finally:
        stack.stop()
    log.info("stopped")
    # Exit at once: a scheduled job still running (its data went with moto) must not hold the exit.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
