"""The staff pages under `/staff`, assembled: the one module that imports the page modules.

Every page is a thin face over `Backoffice` (and `Outreach` for sessions and broadcasts): a
handler reads the form or query, calls one service method with the officer's `Access`, and
renders a template. Branch isolation, permissions, the status graph and auditing all live in the
service; a `NotFound` from it is the 404 page, the same for another branch's object as for one
that does not exist.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter

from dashboard.service import Backoffice
from dashboard.service.outreach_office import Outreach
from dashboard.service.staff_logins import StaffLogins
from dashboard.web.accounts_pages import add_account_routes
from dashboard.web.arrears_pages import add_arrears_routes
from dashboard.web.auth import staff_route_class
from dashboard.web.broadcast_pages import add_broadcast_routes
from dashboard.web.bulk_pages import add_bulk_routes
from dashboard.web.callbacks import add_callback_routes
from dashboard.web.context import StaffPages
from dashboard.web.fallback_pages import add_fallback_routes
from dashboard.web.import_pages import add_import_routes
from dashboard.web.inbox_pages import add_inbox_routes
from dashboard.web.insight import add_insight_routes
from dashboard.web.login_pages import add_login_routes
from dashboard.web.queue_pages import add_queue_routes
from dashboard.web.session import SessionCodec
from dashboard.web.sessions_pages import add_session_routes
from dashboard.web.static_files import static_router
from dashboard.web.submission_pages import add_submission_routes
from handlers.channels import Catalogue


class CookieSettings(Protocol):
    """What the pages read of the settings: SECRET_KEY and the cookie rules."""

    secret_key: str
    staff_idle_minutes: int
    staff_session_hours: int
    cookie_secure: bool


def pages_router(
    backoffice: Backoffice, outreach: Outreach, channels: Catalogue, settings: CookieSettings
) -> APIRouter:
    """The `/staff` pages over `backoffice` and `outreach`; `channels` name the channels the
    pages show and offer."""
    codec = SessionCodec(settings.secret_key, secure=settings.cookie_secure)
    logins = StaffLogins(
        backoffice.db,
        backoffice.vault,
        idle_minutes=settings.staff_idle_minutes,
        lifetime_hours=settings.staff_session_hours,
        clock=backoffice.clock,
    )
    pages = StaffPages(backoffice, codec, channels)
    router = APIRouter(
        prefix="/staff",
        route_class=staff_route_class(codec, logins, pages.error_page),
        include_in_schema=False,
    )
    add_login_routes(router, pages, logins)
    add_queue_routes(router, pages)
    add_inbox_routes(router, pages)
    add_submission_routes(router, pages)
    router.include_router(static_router())
    add_insight_routes(router, pages)
    add_callback_routes(router, pages)
    add_session_routes(router, pages, outreach)
    add_broadcast_routes(router, pages, outreach)
    add_account_routes(router, pages)
    add_bulk_routes(router, pages)
    add_arrears_routes(router, pages)
    add_import_routes(router, pages)
    # Last: it answers every /staff address no page above answers. New pages go above this line
    # (tests/dashboard/test_staff_words.py checks it).
    add_fallback_routes(router, pages)
    return router
