"""The HTTP functions on Chalice's local server, behind one address as API Gateway puts them in one
REST API: each request goes to the app object of the function that declares the route, the very
object that Lambda invokes (`intake_api.app`, `qr_api.app`).

Why not one Chalice app with every blueprint registered in it: Chalice pops a route's options
(methods, cors, content types) out of the blueprint while registering it, so a blueprint that the
function's own app has registered already comes out wrong a second time (every route a GET).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LocalChalice, LocalDevServer
from govrate.web.chalice_edge import secure

LOCAL_APP_NAME = "govrate-local"


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
        context_of_request = event["requestContext"]
        path, method = context_of_request["resourcePath"], context_of_request["httpMethod"]
        owner = self._owners.get((path, method))
        if owner is None:
            return method_not_allowed(sorted(self.routes[path]))
        return owner(event, context)


def method_not_allowed(allowed: list[str]) -> dict[str, Any]:
    """What API Gateway answers for an undeclared method of a declared path (infra.components.api)."""
    body = {"type": "/problems/method-not-allowed", "title": "Method not allowed", "status": 405}
    headers = {"Content-Type": "application/problem+json", "Allow": ", ".join(allowed)}
    secure(headers)
    return {"statusCode": 405, "headers": headers, "multiValueHeaders": {}, "body": json.dumps(body)}


class HttpServer:
    """Chalice's local server in a thread. The socket is bound at once (port 0 picks a free port), so
    the base URL is known before the functions are added."""

    def __init__(self, host: str, port: int) -> None:
        self.apps = RoutedApps()
        self._server = LocalDevServer(self.apps, Config.create(app_name=LOCAL_APP_NAME), host, port)
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
