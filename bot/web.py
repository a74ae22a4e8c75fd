"""The FastAPI app: health, metrics, and the routes each enabled channel adds."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from bot.metrics import CONTENT_TYPE
from bot.service import Service


def create_app(service: Service) -> FastAPI:
    app = FastAPI(title="BPU enrolment bot", version="0.1.0", docs_url="/api/docs", redoc_url=None)
    app.state.service = service

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        up = await service.db.ping()
        return JSONResponse(
            {"status": "ok" if up else "degraded", "database": "ok" if up else "unreachable"},
            status_code=200 if up else 503,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(await service.metrics.render(service.db), media_type=CONTENT_TYPE)

    if service.settings.whatsapp_enabled:
        from bot.channels.whatsapp_webhook import WhatsAppWebhook, add_whatsapp_routes

        def wake_whatsapp() -> None:
            if service.sender is not None:
                service.sender.wake("whatsapp")

        webhook = WhatsAppWebhook(service.settings, service.db, service.engine, wake=wake_whatsapp)
        add_whatsapp_routes(app, webhook)

    if service.telegram is not None and service.telegram.webhook_mode:
        from bot.channels.telegram import webhook_router

        app.include_router(webhook_router(service.telegram))

    from dashboard import mount

    mount(app, service)  # the staff pages and the JSON API

    return app
