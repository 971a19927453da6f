"""The HTTP functions on Chalice's local server, behind one address as API Gateway puts them in one
REST API: each request goes to the app object of the function that declares the route, the very
object that Lambda invokes (`intake_api.app`, `qr_api.app`).

Why not one Chalice app with every blueprint registered in it: Chalice pops a route's options
(methods, cors, content types) out of the blueprint while registering it, so a blueprint that the
function's own app has registered already comes out wrong a second time (every route a GET).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, LocalGateway, ThreadedHTTPServer
from govrate.web.chalice_edge import secure

LOCAL_APP_NAME = "govrate-local"
log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def gateway_problem(
    status: int, kind: str, title: str, *, detail: str, instance: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A problem+json answer given by the gateway itself, as the API's gateway responses shape it."""
    document = {"type": f"/problems/{kind}", "title": title, "status": status, "detail": detail, "instance": instance}
    answer_headers = {"Content-Type": PROBLEM_JSON, **(headers or {})}
    secure(answer_headers)
    return {
        "statusCode": status,
        "headers": answer_headers,
        "multiValueHeaders": {},
        "body": json.dumps(document),
    }


class RoutedApps(Chalice):
    """An app whose route table is the union of the functions' apps, as Chalice's local gateway reads
    it (routes, CORS, binary types), and which hands each request to the app that owns the route."""

    def __init__(self) -> None:
        super().__init__(app_name=LOCAL_APP_NAME)
        self._owners: dict[tuple[str, str], Chalice] = {}

    def add(self, app: Chalice) -> None:
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                if (path, method) in self._owners:
                    raise ValueError(f"{method} {path} is declared by two functions")
                self._owners[path, method] = app
                self.routes[path][method] = entry
        self.api.binary_types += [kind for kind in app.api.binary_types if kind not in self.api.binary_types]
        # As `chalice local` does: current_request becomes thread-local for the threaded server.
        app.__class__ = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = event["requestContext"]
        owner = self._owners.get((request["resourcePath"], request["httpMethod"]))
        if owner is None:
            allowed = ", ".join(sorted(self.routes[request["resourcePath"]]))
            return gateway_problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                detail=f"{request['httpMethod']} is not allowed here; allowed: {allowed}",
                instance=request["path"],
                headers={"Allow": allowed},
            )
        return owner(event, context)


class _UnknownPath(Exception):
    pass


class _Gateway(LocalGateway):
    """Chalice's local API Gateway, answering an unknown path with a 404 problem (as the deployed
    API's gateway response does) instead of 403 "Missing Authentication Token"."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError as exc:  # no route matches the path
            raise _UnknownPath from exc

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super().handle_request(method, path, headers, body)
        except _UnknownPath:
            return gateway_problem(
                404, "not-found", "Not found", detail="no such path", instance=path.partition("?")[0]
            )


class _RequestHandler(ChaliceRequestHandler):
    def __init__(
        self, request: Any, client_address: Any, server: HTTPServer, app_object: Chalice, config: Config
    ) -> None:
        self.local_gateway = _Gateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)  # handles the request


class _Server(ThreadedHTTPServer):
    # Python's default backlog of 5 refuses connections when a few dozen clients post at once.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away before its answer was written (a tab closed, a poll cut short, a
        timeout) is routine: a line, not a traceback. Anything else is printed as socketserver does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.info("the client at %s:%s went away before its answer was written", *client_address[:2])
            return
        super().handle_error(request, client_address)


class HttpServer:
    """Chalice's local server in a thread. The socket is bound at once (port 0 picks a free port), so
    the base URL is known before the functions are added."""

    def __init__(self, host: str, port: int) -> None:
        self.apps = RoutedApps()
        self._server = LocalDevServer(
            self.apps,
            Config.create(app_name=LOCAL_APP_NAME),
            host,
            port,
            handler_cls=_RequestHandler,
            server_cls=_Server,
        )
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="http", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server.server_close()
