"""The vendored assets of dashboard/static under `/staff/static`, outside the session handling
(no cookie, no per-page headers) and long-cached: their URLs carry a content hash.

Only a file of that folder, by its exact name, is served; anything else (a missing file, a NUL,
a backslash or a slash in the name) is a plain 404, never an error."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from dashboard.web.render import STATIC

_NOT_FOUND = {"Cache-Control": "no-store"}
KINDS = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".js": "text/javascript"}


def _files(folder: Path) -> dict[str, Path]:
    return {path.name: path for path in folder.iterdir() if path.is_file()}


async def static_file(name: str) -> Response:
    """A file of dashboard/static (no sub-folders), or 404."""
    path = _files(STATIC).get(name)
    if path is None:
        return PlainTextResponse("Berkas tidak ditemukan.", status_code=404, headers=_NOT_FOUND)
    return Response(
        path.read_bytes(),
        media_type=KINDS.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )


def static_router() -> APIRouter:
    assets = APIRouter(prefix="/static")
    assets.add_api_route("/{name:path}", static_file, methods=["GET"])
    return assets
