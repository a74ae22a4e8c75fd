"""The staff side of the running app: the one `Backoffice` and `Outreach` of the process, built
from the service (its database, keys, settings, sender and scheduler, and the catalogue of its
channels), and the JSON API and the staff pages mounted on the web app.

The staff side (`dashboard/`) sits below this floor and never imports it: everything it needs
is passed in here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from bot.identity import BotIdentity
from bot.service import Service
from dashboard.api.common import install_error_handler
from dashboard.api.router import api_router
from dashboard.service import Backoffice, OfficeRules
from dashboard.service.outreach_office import Outreach
from dashboard.web.router import pages_router
from handlers.channels import Identity

IdentitySource = Callable[[], Awaitable[Identity]]


def backoffice_for(service: Service) -> Backoffice:
    """The back office over the running service's database, keys, channels and sender."""
    settings = service.settings
    return Backoffice(
        service.db,
        service.engine.vault,
        service.catalogue,
        rules=OfficeRules(
            callback_working_days=settings.callback_working_days,
            max_age_flag=settings.max_age_flag,
            api_token_days=settings.api_token_days,
            agent_handback_minutes=settings.agent_handback_minutes,
        ),
        wake=service.wake,
    )


def outreach_for(service: Service, identity: IdentitySource) -> Outreach:
    """Sessions and broadcasts over the running service; `identity` gives the session links."""
    return Outreach(
        service.db,
        service.catalogue,
        identity=identity,
        quiet=service.settings.quiet,
        wake=service.wake,
        prepare=service.nudge_scheduler,
    )


def mount(app: FastAPI, service: Service, *, identity: IdentitySource | None = None) -> Backoffice:
    """Adds the JSON API and the staff pages to the app; keeps the back office on
    `app.state.backoffice` (the API checks bearer tokens with it).

    `identity` says where people reach the bot on each channel (the session links); by default
    it is read from the settings and the platforms, in the background from start-up on."""
    if identity is None:
        lookup = BotIdentity(service.settings)

        async def read_identity() -> None:
            # At start-up, in the background: a platform that does not answer delays nothing.
            app.state.identity_lookup = asyncio.create_task(lookup.resolve())

        app.router.on_startup.append(read_identity)
        identity = lookup.get
    backoffice = backoffice_for(service)
    outreach = outreach_for(service, identity)
    app.state.backoffice = backoffice
    app.state.outreach = outreach
    install_error_handler(app)
    app.include_router(api_router(backoffice, outreach, service.catalogue))
    app.include_router(pages_router(backoffice, outreach, service.catalogue, service.settings))
    return backoffice
