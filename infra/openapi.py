"""Writes the OpenAPI document of every app the REST API serves: `make openapi`.

The intake function serves the written file at /openapi.json; tests/unit/test_openapi.py keeps it
identical to what the routes declare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govrate.web.openapi import build_document

from infra.http_apps import FUNCTIONS_DIR, HTTP_APPS, HttpApp

DOCUMENT_PATH = FUNCTIONS_DIR / "intake" / "openapi.json"


def api_document(apps: tuple[HttpApp, ...] = HTTP_APPS) -> dict[str, Any]:
    routes = []
    for http_app in apps:
        routes += http_app.operations()
    return build_document(routes)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def main(path: Path = DOCUMENT_PATH) -> None:
    path.write_text(render(api_document()), encoding="utf-8")
    print(f"wrote {path.relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
