"""The real outbox sender and Telegram transport against the fake Bot API, and what its
recorded calls show (the busiest second, the closest two messages to one chat).

Shared by the load tests (tests/e2e/test_telegram_load.py), which assert the limits as upper
bounds, and the benchmark (bench/telegram_throughput.py), which measures the speed.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections import defaultdict

from sqlalchemy import func
from sqlmodel import select

from bot.channels.base import RateLimits
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.sender.channel import ChannelSender
from bot.settings import Settings
from fakes.telegram_api import TOKEN, Call, FakeTelegram
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.types import utcnow


async def enqueue(db: Database, messages: list[tuple[int, str]]) -> None:
    async with db.transaction() as session:
        for chat_id, text in messages:
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=str(chat_id),
                contact_id=None,
                payload={"text": text, "options": [], "ask_phone": False},
                priority=0,
                now=utcnow(),
            )


# Only so a broken sender cannot hang the suite: how fast it delivers is measured in bench/
# (bench.telegram_throughput), not asserted here; what is asserted are the limits, as upper bounds.
GIVE_UP = 900.0


async def deliver(db: Database, fake: FakeTelegram, limits: RateLimits, deadline: float = GIVE_UP) -> float:
    """Runs the sender until no row is pending; returns the seconds it took."""
    bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_url=fake.url))
    sender = ChannelSender(db, TelegramTransport(bot, limits))
    stop = asyncio.Event()
    gc.freeze()  # as `bpu-bot serve` does at start-up (bot/server.py)
    started = time.monotonic()
    task = asyncio.create_task(sender.run(stop))
    try:
        while time.monotonic() - started < deadline:
            async with db.reader() as session:
                pending = (
                    await session.exec(
                        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
                    )
                ).one()
            if pending == 0:
                break
            await asyncio.sleep(0.25)
        return time.monotonic() - started
    finally:
        stop.set()
        await task
        await bot.session.close()
        gc.unfreeze()


def max_in_window(calls: list[Call], seconds: float = 1.0) -> int:
    times = sorted(c.at for c in calls)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def min_chat_gap(calls: list[Call]) -> float:
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        by_chat[int(call.params["chat_id"])].append(call.at)
    gaps = [b - a for times in by_chat.values() for a, b in itertools.pairwise(sorted(times))]
    return min(gaps) if gaps else float("inf")
