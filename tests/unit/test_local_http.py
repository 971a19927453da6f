"""The local stack answers as API Gateway does where no function runs, and says in a line, not a traceback,
that a client went away before its answer."""

from __future__ import annotations

import json
import logging

import pytest
from chalice.app import Chalice

from local.http import RoutedApps, _Server


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


def test_a_client_gone_before_its_answer_is_a_line_and_any_other_failure_its_traceback(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    server = _Server.__new__(_Server)  # its error handling alone, no socket
    caplog.set_level(logging.INFO, logger="local.http")
    try:
        raise BrokenPipeError(32, "Broken pipe")  # a kiosk's poll cut short by its tab closing
    except BrokenPipeError:
        server.handle_error(None, ("127.0.0.1", 43908))
    assert "the client at 127.0.0.1:43908 went away before its answer was written" in caplog.text
    assert capsys.readouterr().err == ""

    try:
        raise ValueError("a fault of the server's own")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 43908))
    printed = capsys.readouterr().err
    assert "Traceback" in printed
    assert "ValueError: a fault of the server's own" in printed
