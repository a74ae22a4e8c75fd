"""Adds the session and broadcast pages to the staff router."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from dashboard.service.outreach_office import Outreach
from dashboard.web.broadcast_pages import add_broadcast_routes
from dashboard.web.sessions_pages import add_session_routes

if TYPE_CHECKING:
    from dashboard.web.pages import StaffPages


def add_outreach_routes(router: APIRouter, pages: StaffPages, outreach: Outreach) -> None:
    add_session_routes(router, pages, outreach)
    add_broadcast_routes(router, pages, outreach)
