"""Only validation errors are 4xx at the edge; anything else is a 500 logged at ERROR."""

from __future__ import annotations

import json
import logging

import pytest
from chalice.app import Chalice
from chalice.test import Client
from govrate.kernel.errors import StorageMisconfigured, StorageUnavailable
from govrate.web.chalice_edge import ApiBlueprint
from pydantic import BaseModel

blueprint = ApiBlueprint(__name__)


class Query(BaseModel):
    n: int


@blueprint.route("/validation")
def validation() -> dict[str, int]:
    return {"n": Query.model_validate({"n": "not a number"}).n}


@blueprint.route("/value-error")
def value_error() -> dict[str, int]:
    return {"n": int("not a number")}


@blueprint.route("/misconfigured")
def misconfigured() -> dict[str, int]:
    raise StorageMisconfigured("contact decryption refused the request (InvalidCiphertextException)")


@blueprint.route("/unavailable")
def unavailable() -> dict[str, int]:
    raise StorageUnavailable("evaluations table unavailable")


app = Chalice(app_name="edge-errors")
app.register_blueprint(blueprint)


@pytest.mark.parametrize(
    ("path", "status", "level"),
    [
        ("/validation", 422, logging.INFO),
        ("/value-error", 500, logging.ERROR),
        ("/misconfigured", 500, logging.ERROR),
        ("/unavailable", 503, logging.WARNING),
    ],
)
def test_status_and_log_level(path: str, status: int, level: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with Client(app) as client:
        response = client.http.get(path)
    assert response.status_code == status
    assert json.loads(response.body)["status"] == status
    assert [record.levelno for record in caplog.records if record.name == "govrate"] == [level]
