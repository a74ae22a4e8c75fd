"""`bpu-bot serve`: uvicorn serving the web app, next to the outbox sender and channel loops."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from bot.collector import freeze_start_up, freeze_when_warm
from bot.housekeeping import run_housekeeping
from bot.http_protocol import ServeProtocol
from bot.http_timeouts import KEEP_ALIVE_TIMEOUT
from bot.service import build_service, ensure_schema
from bot.settings import Settings
from bot.web import create_app

log = logging.getLogger(__name__)


async def run_server(settings: Settings) -> None:
    service = build_service(settings)
    await ensure_schema(service.db)
    app = create_app(service)
    sender = service.start_sender()
    stop = asyncio.Event()
    # Start-up objects (modules, models) leave the collector's view: a full collection then takes
    # milliseconds, not a quarter second that would hold sends back and bunch them past a rate limit;
    # what the first messages build follows once they are processed (bot/collector.py).
    freeze_start_up()
    # No access log: a line per webhook call costs more than parsing it, and says nothing the
    # reverse proxy's log and /metrics do not. A request's head must arrive within
    # HEADER_TIMEOUT, an idle connection closes after KEEP_ALIVE_TIMEOUT (bot/http_timeouts.py), and
    # a response's head leaves in one write with its body (bot/http_protocol.py).
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        lifespan="on",
        access_log=False,
        http=ServeProtocol,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
    )
    server = uvicorn.Server(config)
    background = [
        asyncio.create_task(sender.run(stop), name="outbox-sender"),
        asyncio.create_task(
            run_housekeeping(service.db, stop, draft_expiry_days=settings.draft_expiry_days),
            name="housekeeping",
        ),
        asyncio.create_task(service.start_scheduler().run(stop), name="scheduler"),
        asyncio.create_task(service.db.run_checkpoints(stop), name="checkpoints"),
        asyncio.create_task(freeze_when_warm(service.metrics.processed, stop), name="freeze-when-warm"),
    ]
    for channel in service.channels:
        if channel.run is not None:
            background.append(asyncio.create_task(channel.run(stop), name=channel.name))
    log.info(
        "serving on http://%s:%s (channels: %s)",
        settings.host,
        settings.port,
        ", ".join(c.name for c in service.channels) or "none",
    )
    try:
        await server.serve()
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await service.close()
