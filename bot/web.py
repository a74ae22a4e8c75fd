"""The FastAPI app: health, metrics, and the routes each enabled channel adds."""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from bot.api_docs import add_api_docs
from bot.app import IdentitySource, mount
from bot.http_guard import Guard, install_validation_answer
from bot.metrics import CONTENT_TYPE, outbox_health, stalled_standby
from bot.retention import retention_health
from bot.service import Service
from bot.webhook_shortcut import WebhookShortcut, bare_post_routes


def create_app(service: Service, *, identity: IdentitySource | None = None) -> FastAPI:
    """The app over the service; `identity` (where people reach the bot, for session links) is
    read from the settings and the platforms unless given."""
    settings = service.settings
    app = FastAPI(title="BPU enrolment bot", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.service = service
    webhooks = {}
    for channel in service.channels:
        if channel.routes is not None:
            webhooks.update(bare_post_routes(channel.routes.routes))
    # The platforms' webhooks go straight to their endpoints (bot/webhook_shortcut.py)...
    app.add_middleware(WebhookShortcut, endpoints=webhooks)
    # ...behind what is in front of every route, however declared: body limits and security headers.
    app.add_middleware(Guard, https=settings.cookie_secure)
    install_validation_answer(app)
    add_api_docs(app)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        up = await service.db.ping()
        body: dict[str, object] = {
            "status": "ok" if up else "degraded",
            "database": "ok" if up else "unreachable",
        }
        if up:
            body.update(await outbox_health(service))
            body["retention"] = await retention_health(service.db)
            stalled = stalled_standby(body, service.standby())
            if stalled:
                body["status"] = "degraded"
                body["standby"] = stalled
        return JSONResponse(body, status_code=200 if up else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        if settings.metrics_token and not _bearer_matches(request, settings.metrics_token):
            return PlainTextResponse("unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await service.metrics.render(service.db, senders=service.sending())
        return Response(body, media_type=CONTENT_TYPE)

    for channel in service.channels:
        if channel.routes is not None:
            app.include_router(channel.routes)

    mount(app, service, identity=identity)  # the staff pages and the JSON API

    return app


def _bearer_matches(request: Request, token: str) -> bool:
    """The request carries `Authorization: Bearer <token>` (compared in constant time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
