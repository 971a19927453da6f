"""The local stack answers as API Gateway does where no function runs."""

from __future__ import annotations

import json

from chalice.app import Chalice

from local.http import RoutedApps


def test_an_undeclared_method_of_a_declared_path_is_a_405_problem_with_the_security_headers() -> None:
    app = Chalice(app_name="probe")

    @app.route("/things", methods=["GET", "POST"])
    def things() -> dict[str, str]:
        return {}

    routed = RoutedApps()
    routed.add(app)
    response = routed({"requestContext": {"resourcePath": "/things", "path": "/things", "httpMethod": "DELETE"}}, None)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response["body"])["type"] == "/problems/method-not-allowed"
