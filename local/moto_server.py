"""moto's server for the local stack, in a process of its own: `python -m local.moto_server PORT`
(0: any free port). It prints the port it listens on, then serves until its standard input closes
(the stack stopping, or gone). Started by `local.provision.MotoServer`."""

from __future__ import annotations

import logging
import sys
import threading

from moto import backends
from moto.core.common_models import BaseModel
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local.moto_cloudformation import honour_seal_properties
from local.moto_cognito import add_revoke_token
from local.moto_dynamodb import hold_under_concurrency
from local.moto_sqs import keep_pace_under_backlog


def route_without_listing_moto() -> None:
    """moto's server lists the folders of its own package (a stat of each of some 200) to route every
    request, under a lock all requests share; the list does not change while it runs."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def keep_no_model_registry() -> None:
    """moto keeps every model object it ever makes in a list per class (for its /moto-api/ dashboard,
    which the local stack does not use): every DynamoDB item it builds to answer a read, copy or
    delete, every stream record and every message stays in memory for good. A soak's memory was mostly
    those lists: some 170 items per evaluation, never freed."""

    def new_untracked(cls: type[BaseModel], *args: object, **kwargs: object) -> BaseModel:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(new_untracked)  # type: ignore[method-assign]


def main(port: int) -> None:
    route_without_listing_moto()
    keep_no_model_registry()
    # The thread that holds DynamoDB's lock keeps the interpreter longer: fewer hand-overs to threads
    # that would only wait for the lock (a batch of 100 answered about 15 % sooner).
    sys.setswitchinterval(0.05)
    hold_under_concurrency()
    keep_pace_under_backlog()
    add_revoke_token()
    honour_seal_properties()
    # werkzeug logs every request at INFO; the handlers' own logs are the interesting ones
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(
        "127.0.0.1",
        port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    print(server.server_port, flush=True)
    sys.stdin.buffer.read()  # returns when the stack closes its end, or is gone
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
