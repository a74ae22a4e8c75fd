"""The staff side: a service layer without web imports (`dashboard.service`) and its two thin
faces, the JSON API (`dashboard.api`) and the Jinja2 pages.

`mount(app, service)` builds the one `Backoffice` of the process, keeps it on
`app.state.backoffice`, and adds the faces' routes to the web app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.service import Service
    from dashboard.service import Backoffice


def backoffice_for(service: Service) -> Backoffice:
    """The back office over the running service's database, keys and sender."""
    from dashboard.service import Backoffice, OfficeRules

    def wake(channel: str) -> None:
        if service.sender is not None:
            service.sender.wake(channel)

    settings = service.settings
    return Backoffice(
        service.db,
        service.engine.vault,
        rules=OfficeRules(
            callback_working_days=settings.callback_working_days,
            max_age_flag=settings.max_age_flag,
        ),
        wake=wake,
    )


def mount(app: FastAPI, service: Service) -> Backoffice:
    """Adds the JSON API and the staff pages to the app."""
    from dashboard.api import api_router
    from dashboard.api.routes import install_error_handler

    backoffice = backoffice_for(service)
    app.state.backoffice = backoffice
    install_error_handler(app)
    app.include_router(api_router(backoffice))
    from dashboard.web import pages_router

    app.include_router(pages_router(backoffice, service.settings))
    return backoffice
