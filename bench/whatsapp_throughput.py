"""WhatsApp channel speed: webhook latency in-process, and outbox delivery against the fake Graph API.

    .venv/bin/python -m bench.whatsapp_throughput [messages]

Uses a fresh SQLite database in a temporary folder and the test fake on 127.0.0.1; nothing
leaves the machine. Prints the webhook's latency per signed body (one text message, through
the engine and its transaction) and the sender's rate at the default 80 messages per second.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.channels.whatsapp.transport import WhatsAppTransport
from bot.sender.channel import ChannelSender
from bot.service import build_service
from bot.web import create_app
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.whatsapp import whatsapp_settings
from storage import outbox
from storage.db import Database
from storage.migrate import upgrade
from storage.types import utcnow


async def webhook_latency(url: str, count: int) -> list[float]:
    service = build_service(whatsapp_settings(url))
    app = create_app(service)
    timings = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for index in range(count):
            wa_id = f"62813{index:08d}"
            raw, headers = meta.encode(meta.from_person(wa_id, meta.text(wa_id, "halo")))
            start = time.perf_counter()
            response = await client.post("/webhook/whatsapp", content=raw, headers=headers)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200
    await service.close()
    return timings


class _Stamped(httpx.AsyncHTTPTransport):
    """Notes when each request leaves the client."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.times.append(time.monotonic())
        return await super().handle_async_request(request)


def _busiest(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if first <= t < first + 1.0) for first in times)


async def delivery(url: str, graph: FakeGraphAPI, count: int) -> tuple[float, int, int]:
    db = Database(url)
    async with db.transaction() as session:
        for index in range(count):
            person = await outbox.lock_contact(session, "whatsapp", f"62814{index:08d}")
            person.last_inbound_at = utcnow()
            outbox.enqueue(
                session,
                channel="whatsapp",
                chat_id=person.chat_id,
                contact_id=person.id,
                payload={"text": f"pesan {index}", "options": []},
                priority=0,
                now=utcnow(),
            )
    stamped = _Stamped()
    transport = WhatsAppTransport(whatsapp_settings(url, graph.url), http_transport=stamped)
    sender = ChannelSender(db, transport)
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(sender.run(stop))
    while len(graph.sent()) < count:  # noqa: ASYNC110 - the fake Graph API runs in a thread
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    await transport.aclose()
    await db.dispose()
    return elapsed, _busiest(stamped.times), _busiest([c.at for c in graph.calls])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        timings = asyncio.run(webhook_latency(url, 200))
        print(
            f"webhook, 200 signed text bodies: median {statistics.median(timings) * 1000:.1f} ms, "
            f"p95 {sorted(timings)[189] * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms"
        )
        with FakeGraphAPI() as graph:
            elapsed, sent, arrived = asyncio.run(delivery(url, graph, count))
        print(
            f"delivery, {count} messages to {count} people at the default limit: {elapsed:.2f} s "
            f"({count / elapsed:.1f}/s); busiest second: {sent} requests leaving the client, "
            f"{arrived} handled by the fake Graph API"
        )


if __name__ == "__main__":
    main()
