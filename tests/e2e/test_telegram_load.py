"""Delivery under load: the outbox sender with the real Telegram transport and aiogram client,
against the fake Bot API answering 429 (and some 500) to part of the calls.

Every message must arrive exactly once, and the fake's arrival times must show neither the
per-chat limit nor the overall limit exceeded. The 2,000-message case runs at Telegram's real
limits (1 per second per chat, 30 per second overall, about 70 s); the 200-to-one-chat case
configures 20 per second per chat, since 200 s at the real rate is a benchmark, not a test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from bot.channels.base import RateLimits
from bot.settings import Settings
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_load import deliver, enqueue, max_in_window, min_chat_gap
from storage.db import Database

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


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
