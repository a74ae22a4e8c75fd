"""The FastAPI app: health, metrics, and the routes each enabled channel adds."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from bot.app import IdentitySource, mount
from bot.metrics import CONTENT_TYPE, outbox_health
from bot.retention import retention_health
from bot.service import Service


def create_app(service: Service, *, identity: IdentitySource | None = None) -> FastAPI:
    """The app over the service; `identity` (where people reach the bot, for session links) is
    read from the settings and the platforms unless given."""
    app = FastAPI(title="BPU enrolment bot", version="0.1.0", docs_url="/api/docs", redoc_url=None)
    app.state.service = service

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
        return JSONResponse(body, status_code=200 if up else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        body = await service.metrics.render(service.db, senders=service.sending())
        return Response(body, media_type=CONTENT_TYPE)

    for channel in service.channels:
        if channel.routes is not None:
            app.include_router(channel.routes)

    mount(app, service, identity=identity)  # the staff pages and the JSON API

    return app
