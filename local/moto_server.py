"""moto's server for the local stack, in a process of its own: `python -m local.moto_server PORT`
(0: any free port). It prints the port it listens on, then serves until its standard input closes
(the stack stopping, or gone). Started by `local.provision.MotoServer`."""

from __future__ import annotations

import logging
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local.moto_cloudformation import honour_seal_properties
from local.moto_cognito import add_revoke_token
from local.moto_dynamodb import hold_under_concurrency
from local.moto_sqs import keep_pace_under_backlog


def main(port: int) -> None:
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
