"""The staff side: a service layer without web imports (`dashboard.service`) and its two thin
faces, the JSON API (`dashboard.api`) and the Jinja2 pages.

`mount(app, service)` builds the one `Backoffice` of the process, keeps it on
`app.state.backoffice`, and adds the faces' routes to the web app.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.identity import BotIdentity
    from bot.service import Service
    from dashboard.service import Backoffice
    from dashboard.service.outreach_office import Outreach


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


def outreach_for(service: Service, identity: BotIdentity) -> Outreach:
    """Sessions and broadcasts over the running service; `identity` gives the session links."""
    from dashboard.service.outreach_office import Outreach

    return Outreach(
        service.db,
        identity=identity.get,
        quiet=service.settings.quiet,
        wake=service.wake,
        prepare=service.nudge_scheduler,
    )


def mount(app: FastAPI, service: Service) -> Backoffice:
    """Adds the JSON API and the staff pages to the app."""
    from bot.identity import BotIdentity
    from dashboard.api import api_router
    from dashboard.api.outreach import outreach_router
    from dashboard.api.routes import install_error_handler

    backoffice = backoffice_for(service)
    identity = BotIdentity(service.settings)
    outreach = outreach_for(service, identity)
    app.state.backoffice = backoffice
    app.state.outreach = outreach

    async def read_identity() -> None:
        # At start-up, in the background: a platform that does not answer delays nothing.
        app.state.identity_lookup = asyncio.create_task(identity.resolve())

    app.router.on_startup.append(read_identity)
    install_error_handler(app)
    app.include_router(api_router(backoffice))
    app.include_router(outreach_router(outreach))
    from dashboard.web import pages_router

    app.include_router(pages_router(backoffice, service.settings, outreach))
    return backoffice
