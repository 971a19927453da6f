"""A readable, self-contained reference page rendered from the OpenAPI document (no scripts, no CDN)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1a1a1a}
h2{border-bottom:2px solid #b00;padding-bottom:.2rem;margin-top:2.5rem}
.op{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.method{font-weight:700;text-transform:uppercase;color:#fff;background:#0b5394;padding:0 .4rem;border-radius:3px}
code{background:#f3f3f3;padding:0 .2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e5e5e5;text-align:left;padding:.2rem .4rem;vertical-align:top}
"""


def render_docs_page(document_json: str) -> str:
    document = json.loads(document_json)
    info = document["info"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{escape(info['title'])} <small>{escape(info['version'])}</small></h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        "<p>Machine-readable: <a href='openapi.json'>openapi.json</a> (OpenAPI 3.1).</p>",
        "<h2 id='operations'>Operations</h2>",
    ]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parts.append(_operation(path, method, operation))
    parts.append("<h2 id='schemas'>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        parts.append(_schema(name, schema))
    parts.append("</main></body></html>")
    return "".join(parts)


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td><td>{escape(p.get('description', ''))}</td></tr>"
        for p in operation.get("parameters", [])
    )
    body = operation.get("requestBody", {}).get("content", {})
    body_html = "".join(
        f"<p>Body <code>{escape(media)}</code>: {_ref(content.get('schema', {}))}</p>"
        for media, content in body.items()
    )
    responses = "".join(
        f"<tr><td>{escape(status)}</td><td>{escape(answer['description'])}</td><td>"
        + ", ".join(
            f"<code>{escape(media)}</code> {_ref(content.get('schema', {}))}"
            for media, content in answer.get("content", {}).items()
        )
        + "</td></tr>"
        for status, answer in operation["responses"].items()
    )
    security = ", ".join(name for entry in operation.get("security", []) for name in entry) or "none"
    anchor = escape(operation["operationId"])
    return (
        f"<section class='op' id='{anchor}'><h3><span class='method'>{escape(method)}</span> "
        f"<code>{escape(path)}</code></h3><p>{escape(operation['summary'])}</p>"
        f"<p>{escape(operation.get('description', ''))}</p><p>Authentication: {escape(security)}</p>"
        + (f"<table><tr><th>Parameter</th><th>In</th><th>Required</th><th></th></tr>{rows}</table>" if rows else "")
        + body_html
        + f"<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>{responses}</table></section>"
    )


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(field)}</code></td><td>{_type(spec)}</td><td>{'yes' if field in required else ''}"
        f"</td><td>{escape(spec.get('description', ''))}</td></tr>"
        for field, spec in schema.get("properties", {}).items()
    )
    values = schema.get("enum")
    enum_html = f"<p>One of: {', '.join(f'<code>{escape(str(v))}</code>' for v in values)}</p>" if values else ""
    table = f"<table><tr><th>Field</th><th>Type</th><th>Required</th><th></th></tr>{rows}</table>" if rows else ""
    return (
        f"<section id='schema-{escape(name)}'><h3>{escape(name)}</h3>"
        f"<p>{escape(schema.get('description', ''))}</p>{enum_html}{table}</section>"
    )


def _ref(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return f"<a href='#schema-{escape(name)}'>{escape(name)}</a>"
    return ""


def _type(spec: dict[str, Any] | bool) -> str:
    if isinstance(spec, bool):  # a JSON Schema may be `true` (anything) or `false` (nothing)
        return "any" if spec else "nothing"
    if "$ref" in spec:
        return _ref(spec)
    if "anyOf" in spec:
        return " | ".join(_type(option) for option in spec["anyOf"])
    if spec.get("type") == "array":
        return f"array of {_type(spec.get('items', {}))}"
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return f"map of {_type(spec['additionalProperties'])}"
    return escape(str(spec.get("type", "any")))
