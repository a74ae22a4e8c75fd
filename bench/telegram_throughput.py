"""Telegram channel speed: webhook latency in-process, and delivery at the real limits against the fake.

    .venv/bin/python -m bench.telegram_throughput [one_chat_messages] [spread_messages] [chats]

Uses a fresh SQLite database in a temporary folder and the test fake Bot API on 127.0.0.1;
nothing leaves the machine. Prints the webhook's latency per update (one text message, through
the engine and its transaction), then delivers a burst to one chat and a burst spread over many
chats at Telegram's default limits (1 per second per chat, 30 per second overall), with the
fake answering 429 to 3% of the calls, and prints the duration, the most messages the fake saw
in any 1-second window and the smallest gap between two messages to one chat. The defaults
(200 to one chat, 2,000 over 500 chats) take about five minutes.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from bot.channels.base import RateLimits
from bot.service import build_service
from bot.settings import Settings, load_settings
from bot.web import create_app
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_load import deliver, enqueue, max_in_window, min_chat_gap
from fakes.telegram_user import text_update
from storage.db import Database
from storage.migrate import upgrade

SECRET = "bench_secret"


async def webhook_latency(url: str, api_url: str, count: int) -> list[float]:
    settings = load_settings(
        database_url=url,
        secret_key="bench",
        pii_encryption_key=Fernet.generate_key().decode(),
        telegram_bot_token=TOKEN,
        telegram_api_url=api_url,
        telegram_webhook_url="https://bench.example/webhook/telegram",
        telegram_webhook_secret=SECRET,
    )
    service = build_service(settings)
    app = create_app(service)
    timings = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for index in range(count):
            update = text_update(index + 1, 700_000 + index, "iuran 2jt")
            started = time.perf_counter()
            response = await client.post("/webhook/telegram", json=update, headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    await service.db.dispose()
    return timings


async def burst(url: str, fake: FakeTelegram, messages: int, chats: int) -> str:
    db = Database(url)
    await enqueue(db, [(900_000 + i % chats, f"bench {chats} #{i}") for i in range(messages)])
    settings = Settings(telegram_bot_token=TOKEN)
    limits = RateLimits(settings.telegram_overall_per_second, 1 / settings.telegram_per_chat_per_second)
    before = len(fake.calls("sendMessage"))
    duration = await deliver(db, fake, limits, deadline=3600)
    await db.dispose()
    attempts = fake.calls("sendMessage")[before:]
    delivered = sum(1 for c in attempts if c.status == 200)
    return (
        f"{messages} over {chats} chat(s): {delivered} delivered in {duration:.1f} s "
        f"({len(attempts) - delivered} refused and retried), max {max_in_window(attempts)} per 1 s window, "
        f"min per-chat gap {min_chat_gap(attempts):.3f} s"
    )


async def measure(folder: Path, one_chat: int, spread: int, chats: int) -> None:
    url, latency_url = (f"sqlite+aiosqlite:///{folder / name}" for name in ("bench.db", "latency.db"))
    with FakeTelegram() as fake:
        timings = await webhook_latency(latency_url, fake.url, 300)
        print(
            f"webhook: {len(timings)} updates, median {statistics.median(timings) * 1000:.1f} ms, "
            f"p95 {sorted(timings)[int(len(timings) * 0.95)] * 1000:.1f} ms"
        )
        fake.fail(429, fraction=0.03, retry_after=1)
        if one_chat:
            print(await burst(url, fake, one_chat, 1))
        if spread:
            print(await burst(url, fake, spread, chats))


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    one_chat, spread, chats = (args + [200, 2000, 500][len(args) :])[:3]
    with tempfile.TemporaryDirectory() as folder:
        for name in ("bench.db", "latency.db"):
            upgrade(f"sqlite+aiosqlite:///{Path(folder) / name}")  # runs its own event loop
        asyncio.run(measure(Path(folder), one_chat, spread, chats))


if __name__ == "__main__":
    main()
