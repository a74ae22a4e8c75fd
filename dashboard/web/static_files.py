"""The vendored assets of dashboard/static under `/staff/static`, outside the session handling
(no cookie, no per-page headers) and long-cached: their URLs carry a content hash."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dashboard.service.errors import NotFound
from dashboard.web.render import STATIC

KINDS = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".js": "text/javascript"}


async def static_file(name: str) -> Response:
    """A file of dashboard/static (no sub-folders)."""
    files = {path.name: path for path in STATIC.iterdir() if path.is_file()}
    if name not in files:
        raise NotFound("Berkas tidak ditemukan.")
    path = files[name]
    return Response(
        path.read_bytes(),
        media_type=KINDS.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


def static_router() -> APIRouter:
    assets = APIRouter(prefix="/static")
    assets.add_api_route("/{name}", static_file, methods=["GET"])
    return assets
