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


def _answers(router: APIRouter, path: str, method: str) -> Match:
    """How well the staff routes (the fallback aside) answer `method` at `path`: FULL, PARTIAL
    (the address exists for another method: a form's POST target) or NONE."""
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    best = Match.NONE
    for route in router.routes:
        if getattr(route, "name", "") == "unknown_page":
            continue
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return match
        if match is Match.PARTIAL:
            best = match
    return best


def _page_above(router: APIRouter, request: Request) -> str | None:
    """For a form's address opened by GET, the page one level above it, if a staff page answers it."""
    path = request.url.path.rstrip("/")
    parent = path.rsplit("/", 1)[0]
    if not parent.startswith("/staff") or parent == path:
        return None
    if _answers(router, path, "GET") is not Match.PARTIAL:  # not a form's address: unknown
        return None
    return parent if _answers(router, parent, "GET") is Match.FULL else None


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
