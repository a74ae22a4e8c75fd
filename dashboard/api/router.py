"""The JSON API assembled: the back office, callback requests, sessions and broadcasts, under
/api/v1. This is the one module that imports the route modules; they import only `common`."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.api.arrears import arrears_router
from dashboard.api.bulk import bulk_router
from dashboard.api.callbacks import callbacks_router
from dashboard.api.imports import imports_router
from dashboard.api.inbox import inbox_router
from dashboard.api.office import office_router
from dashboard.api.outreach import outreach_router
from dashboard.service import Backoffice
from dashboard.service.inbox import AgentInbox
from dashboard.service.outreach_office import Outreach
from handlers.channels import Catalogue


def api_router(backoffice: Backoffice, outreach: Outreach, channels: Catalogue) -> APIRouter:
    """Every route of the API. The app must also `common.install_error_handler` and keep
    `backoffice` on `app.state.backoffice` (the bearer token is checked against it)."""
    router = APIRouter()
    router.include_router(bulk_router(backoffice))
    router.include_router(office_router(backoffice))
    router.include_router(callbacks_router(backoffice))
    router.include_router(inbox_router(AgentInbox.of(backoffice)))
    router.include_router(imports_router(backoffice))
    router.include_router(outreach_router(outreach, channels))
    router.include_router(arrears_router(backoffice))
    return router
