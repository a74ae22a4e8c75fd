"""Benchmarks: engine throughput on a real SQLite file, and the sender against a null transport.

Run with `make bench`. Prints numbers; it asserts nothing, because machines differ. Targets
(on the 2-core reference machine): the engine handles at least 100 messages/s on SQLite,
and the sender keeps any channel at its configured rate (30/s for Telegram) with no backlog.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import delete

from bench.enrolment import ENROLMENT
from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.sender.channel import ChannelSender
from handlers.app import build_router
from handlers.engine import Engine
from handlers.types import Inbound
from storage import outbox
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage
from storage.types import utcnow


async def engine_throughput(db: Database, people: int, first: int) -> float:
    engine = Engine(
        db, build_router(), vault=Vault(Fernet.generate_key().decode()), clock=lambda: datetime.now(UTC)
    )
    count = 0

    async def person(n: int) -> None:
        nonlocal count
        for i, text in enumerate(ENROLMENT):
            answer = f"357701470885{n + 1:04d}" if text.startswith("3577") else text
            await engine.handle(Inbound("bench", f"p{n}", f"p{n}-{i}", datetime.now(UTC), text=answer))
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(person(n) for n in range(first, first + people)))
    return count / (time.perf_counter() - start)


class NullTransport:
    channel = "bench"
    limits = RateLimits(overall_per_second=30, per_chat_interval=1.0)

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        return SendResult("sent", platform_message_id=str(message.id))

    async def aclose(self) -> None:
        return None


async def sender_rate(db: Database, messages: int, chats: int) -> float:
    async with db.transaction() as session:
        await session.exec(delete(OutboxMessage))
        for i in range(messages):
            outbox.enqueue(
                session,
                channel="bench",
                chat_id=f"c{i % chats}",
                contact_id=None,
                payload={"text": f"m{i}"},
                priority=0,
                now=utcnow(),
            )
    sender = ChannelSender(db, NullTransport())
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(sender.run(stop))
    while True:
        async with db.reader() as session:
            counts = await outbox.outbox_counts(session)
        if counts.get(("bench", "sent"), 0) >= messages:
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    return messages / elapsed


async def measure(url: str) -> None:
    db = Database(url)
    rate = await engine_throughput(db, people=50, first=0)
    tracemalloc.start()
    await engine_throughput(db, people=50, first=50)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"engine: {rate:.0f} messages/s (50 people enrolling at once, SQLite); "
        f"peak Python heap {peak / 2**20:.1f} MiB"
    )
    sent = await sender_rate(db, messages=600, chats=200)
    print(f"sender: {sent:.1f} messages/s with a 30/s overall limit (600 messages, 200 chats)")
    await db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(measure(url))


if __name__ == "__main__":
    main()
