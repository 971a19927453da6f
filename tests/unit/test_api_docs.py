"""The readable docs page (/docs) rendered from the committed OpenAPI document."""

from __future__ import annotations

import json

from govrate.web.api_docs import render_docs_page

from infra.openapi import DOCUMENT_PATH


def test_the_docs_page_shows_every_operation_and_schema_of_the_document() -> None:
    text = DOCUMENT_PATH.read_text(encoding="utf-8")
    document = json.loads(text)
    page = render_docs_page(text)
    for methods in document["paths"].values():
        for operation in methods.values():
            assert f"id='{operation['operationId']}'" in page, operation["operationId"]
    for name in document["components"]["schemas"]:
        assert f"id='schema-{name}'" in page, name
    # A free-form map (the audit entry's detail) is a boolean schema in JSON Schema.
    assert "map of any" in page
