"""QR codes as HTTP responses: SVG for anyone, PNG for a client whose Accept header allows it."""

from __future__ import annotations

from chalice.app import Request, Response

from govrate.kernel.qr_codes import qr_png, qr_svg
from govrate.web.chalice_edge import problem_response
from govrate.web.problems import Problem

PNG = "image/png"
SVG = "image/svg+xml"
IMAGE_HEADERS = {"Cache-Control": "no-store"}


def accepts_png(request: Request) -> bool:
    """Whether Accept names image/png or `*/*`: the only forms for which Chalice sends a binary body."""
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")}
    return bool(accepted & {PNG, "*/*"})


def not_acceptable(request: Request) -> Response:
    return problem_response(
        Problem("not-acceptable", "Not acceptable", 406, f"send Accept: {PNG} to receive the PNG image"),
        request.path,
    )


def svg_response(url: str, max_version: int) -> Response:
    return Response(body=qr_svg(url, max_version), headers={"Content-Type": SVG, **IMAGE_HEADERS})


def png_response(url: str, max_version: int) -> Response:
    return Response(body=qr_png(url, max_version), headers={"Content-Type": PNG, **IMAGE_HEADERS})
