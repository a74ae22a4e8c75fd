"""Delivery under load: the outbox sender with the real Telegram transport and aiogram client,
against the fake Bot API answering 429 (and some 500) to part of the calls.

Every message must arrive exactly once, and the fake's arrival times must show neither the
per-chat limit nor the overall limit exceeded. The 2,000-message case runs at Telegram's real
limits (1 per second per chat, 30 per second overall, about 70 s); the 200-to-one-chat case
configures 20 per second per chat, since 200 s at the real rate is a benchmark, not a test.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.channels.base import RateLimits
from bot.channels.telegram import TelegramTransport, make_bot
from bot.sender import ChannelSender
from bot.settings import Settings
from storage import queries
from storage.db import Database
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegram

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


async def enqueue(db: Database, messages: list[tuple[int, str]]) -> None:
    async with db.transaction() as session:
        for chat_id, text in messages:
            queries.enqueue(
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


def check_exactly_once(fake: FakeTelegram, expected: set[str]) -> None:
    delivered = Counter(str(c.params["text"]) for c in fake.sent())
    assert set(delivered) == expected, f"missing: {sorted(expected - set(delivered))[:5]}"
    assert max(delivered.values()) == 1, [t for t, n in delivered.items() if n > 1][:5]


def report(name: str, fake: FakeTelegram, duration: float) -> str:
    attempts = fake.calls("sendMessage")
    statuses = Counter(c.status for c in attempts)
    line = (
        f"{name}: {len(fake.sent())} delivered in {duration:.1f} s, "
        f"{len(attempts)} attempts {dict(statuses)}, "
        f"max {max_in_window(attempts)} per 1 s window, min per-chat gap {min_chat_gap(attempts):.3f} s"
    )
    print(line)
    return line


async def test_200_replies_to_one_chat(db: Database, fake: FakeTelegram) -> None:
    texts = [f"balasan #{i:03d}" for i in range(200)]
    await enqueue(db, [(9001, t) for t in texts])
    fake.fail(429, fraction=0.05, retry_after=1)
    limits = RateLimits(overall_per_second=30, per_chat_interval=1 / 20)
    duration = await deliver(db, fake, limits)
    report("200 to one chat at 20/s", fake, duration)

    check_exactly_once(fake, set(texts))
    assert [c.params["text"] for c in fake.sent()] == texts  # in order, across the 429 retries
    attempts = fake.calls("sendMessage")
    assert Counter(c.status for c in attempts)[429] > 0
    assert min_chat_gap(attempts) >= 1 / 20
    assert max_in_window(attempts) <= 30


async def test_2000_replies_over_500_chats_at_telegrams_limits(db: Database, fake: FakeTelegram) -> None:
    texts = {f"pesan #{i:04d}": 20_000 + i % 500 for i in range(2000)}
    await enqueue(db, [(chat, text) for text, chat in texts.items()])
    fake.fail(429, fraction=0.03, retry_after=1)
    fake.fail(500, times=5)
    settings = Settings(telegram_bot_token=TOKEN)  # the defaults: 1 per second per chat, 30 overall
    limits = RateLimits(settings.telegram_overall_per_second, 1 / settings.telegram_per_chat_per_second)
    duration = await deliver(db, fake, limits)
    report("2000 over 500 chats at 1/s per chat, 30/s overall", fake, duration)

    check_exactly_once(fake, set(texts))
    attempts = fake.calls("sendMessage")
    statuses = Counter(c.status for c in attempts)
    assert statuses[429] > 0 and statuses[500] == 5
    assert min_chat_gap(attempts) >= 1.0
    assert max_in_window(attempts) <= 30
    for chat in (20_000, 20_499):  # each chat's messages arrive in the order they were queued
        chat_texts = [c.params["text"] for c in fake.sent(chat)]
        assert chat_texts == sorted(chat_texts)
