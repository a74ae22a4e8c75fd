"""What an address under `/staff` that no page answers gets: an Indonesian page, never JSON.

A form's address opened as a page (a POST target reached by GET: a bookmark, a log-in that came
back to it, a reload) goes to the page the form is on, the address one level up, when that is a
page; anything else is the "Tidak ditemukan" page. Added last, after every other staff route.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.routing import Match

from dashboard.service.errors import NotFound
from dashboard.web.auth import LoginRequired
from dashboard.web.context import StaffPages

UNKNOWN = "Halaman ini tidak ada. Periksa alamatnya, atau kembali ke halaman utama."


def _page_above(router: APIRouter, request: Request) -> str | None:
    """The page one level above the requested address, if a staff page answers it by GET."""
    path = request.url.path.rstrip("/")
    parent = path.rsplit("/", 1)[0]
    if not parent.startswith("/staff/") or parent == path:
        return None
    scope = {"type": "http", "method": "GET", "path": parent, "root_path": ""}
    for route in router.routes:
        if getattr(route, "name", "") == "unknown_page":
            continue
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return parent
    return None


def add_fallback_routes(router: APIRouter, pages: StaffPages) -> None:
    async def unknown_page(request: Request, rest: str) -> Response:
        if request.method == "GET" and (above := _page_above(router, request)) is not None:
            return RedirectResponse(above, status_code=303)
        with suppress(LoginRequired):
            await pages.user(request)  # the menu, for an officer who is logged in
        raise NotFound(UNKNOWN)

    router.add_api_route(
        "/{rest:path}",
        unknown_page,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        name="unknown_page",
    )
