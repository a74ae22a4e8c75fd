"""`bpu-bot serve`: uvicorn serving the web app, next to the outbox sender and channel loops."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvicorn
import uvloop

from bot.housekeeping import run_housekeeping
from bot.service import build_service, ensure_schema
from bot.settings import Settings
from bot.web import create_app

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_on_service_loop(main: Coroutine[Any, Any, T]) -> T:
    """Runs `main` on the event loop the service runs on: uvloop (libuv's), whose sockets,
    timers and callbacks cost a fraction of the standard loop's. Measured on the outbox sender
    during a broadcast, where the loop's own work was a fifth of the process's time. uvicorn
    picks it by itself only when it starts the loop, which `run_server` does not."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def run_server(settings: Settings) -> None:
    service = build_service(settings)
    await ensure_schema(service.db)
    app = create_app(service)
    sender = service.start_sender()
    stop = asyncio.Event()
    # Start-up objects (modules, models) leave the collector's view: a full collection then takes
    # milliseconds, not a quarter second that would hold sends back and bunch them past a rate limit.
    gc.freeze()
    # No access log: a line per webhook call costs more than parsing it, and says nothing the
    # reverse proxy's log and /metrics do not.
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="info", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    background = [
        asyncio.create_task(sender.run(stop), name="outbox-sender"),
        asyncio.create_task(
            run_housekeeping(service.db, stop, draft_expiry_days=settings.draft_expiry_days),
            name="housekeeping",
        ),
        asyncio.create_task(service.start_scheduler().run(stop), name="scheduler"),
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
