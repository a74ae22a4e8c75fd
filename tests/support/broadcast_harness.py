"""A population of contacts and a real outbox sender against the fake Telegram and Graph servers,
for the broadcast test and `bench/broadcast.py`.

Contacts are spread over three regencies in three time zones (Kota Madiun WIB, Denpasar WITA,
Jayapura WIT) and two channels. Some never opted in, some said `stop`, some were found
unreachable before, some block the bot during the broadcast (Telegram 403), some are not on
WhatsApp (131026), and half of the WhatsApp ones wrote more than 24 hours ago (a template).
"""

from __future__ import annotations

import asyncio
import gc
import random
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.channels.base import RateLimits
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.channels.whatsapp.transport import WhatsAppTransport
from bot.sender import OutboxSender
from bot.settings import Settings
from fakes.graph_api import FakeGraphAPI, graph_error
from fakes.telegram_api import TOKEN, FakeTelegram
from storage.db import Database
from storage.models import Contact
from tests.support.helpers import FixedClock

REGENCIES = {"35.77": "WIB", "51.71": "WITA", "91.71": "WIT"}
TEMPLATE = "bpu_info_sosialisasi"


@dataclass
class Population:
    eligible: set[tuple[str, str]] = field(default_factory=set)
    ineligible: set[tuple[str, str]] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    """Telegram chats that block the bot during the broadcast."""
    not_on_whatsapp: set[str] = field(default_factory=set)
    zone: dict[tuple[str, str], str] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)


async def seed(db: Database, count: int, now: datetime, *, seed_value: int = 7) -> Population:
    """Inserts `count` contacts; returns who may receive a broadcast and who may not."""
    rng = random.Random(seed_value)
    population = Population()
    rows: list[dict[str, Any]] = []
    for index in range(count):
        channel = "telegram" if index % 2 == 0 else "whatsapp"
        chat_id = str(700_000_000 + index) if channel == "telegram" else f"62813{index:08d}"
        regency = rng.choices(list(REGENCIES), weights=(60, 25, 15))[0]
        roll = rng.random()
        announcements = roll >= 0.15
        reason = "never opted in" if roll < 0.10 else "said stop" if roll < 0.15 else None
        unreachable = announcements and rng.random() < 0.02
        if unreachable:
            reason = "unreachable before"
        rows.append(
            {
                "channel": channel,
                "chat_id": chat_id,
                "announcements": announcements,
                "announcements_changed_at": now - timedelta(days=3) if 0.10 <= roll < 0.15 else None,
                "unreachable_at": now - timedelta(days=10) if unreachable else None,
                "last_inbound_at": now - timedelta(hours=2 if rng.random() < 0.5 else 72),
                "regency_code": regency,
                "created_at": now - timedelta(days=30),
            }
        )
        key = (channel, chat_id)
        population.zone[key] = REGENCIES[regency]
        if reason is None:
            population.eligible.add(key)
            if channel == "telegram" and rng.random() < 0.01:
                population.blocked.add(chat_id)
            elif channel == "whatsapp" and rng.random() < 0.01:
                population.not_on_whatsapp.add(chat_id)
        else:
            population.ineligible.add(key)
            population.reasons[reason] += 1
    for start in range(0, len(rows), 2000):
        async with db.transaction() as session:
            await session.exec(insert(Contact), params=rows[start : start + 2000])
    return population


def script_fakes(telegram: FakeTelegram, graph: FakeGraphAPI, population: Population) -> None:
    for chat_id in population.blocked:
        telegram.block(int(chat_id))
    missing = frozenset(population.not_on_whatsapp)
    graph.fail(graph_error(131026), when=lambda body: str(body.get("to")) in missing, times=10**9)


class Senders:
    """The outbox sender in a process of its own (`python -m tests.support.broadcast_harness`), with the
    clock the test gives it; `kill` is SIGKILL, a real crash. The fakes stay in the test's
    process, which idles, so they stamp each request as it arrives."""

    def __init__(self, db_url: str, telegram: FakeTelegram, graph: FakeGraphAPI, per_second: float) -> None:
        self.db_url, self.telegram, self.graph, self.per_second = db_url, telegram, graph, per_second
        self.process: subprocess.Popen[str] | None = None

    def start(self, now: datetime) -> None:
        args = [self.db_url, self.telegram.url, self.graph.url, str(self.per_second), now.isoformat()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.broadcast_harness", *args],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> str:
        """Stops it the polite way (SIGTERM: answers in flight are recorded); returns its output."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        return out or ""


async def _run_sender(
    db_url: str, telegram_url: str, graph_url: str, per_second: float, now: datetime
) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_url=telegram_url,
        whatsapp_phone_number_id="1234567890",
        whatsapp_access_token="test-token",
        whatsapp_api_url=graph_url,
        whatsapp_per_second=per_second,
        whatsapp_template_broadcast=TEMPLATE,
    )
    clock = FixedClock(now)
    db = Database(db_url)
    bot = make_bot(settings)
    telegram = TelegramTransport(bot, RateLimits(per_second, 1.0))
    whatsapp = WhatsAppTransport(settings, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    gc.collect()
    gc.freeze()  # as `bpu-bot serve` does at start-up (bot/server.py)
    try:
        await OutboxSender(db, [telegram, whatsapp], clock=clock).run(stop)
    finally:
        await bot.session.close()
        await whatsapp.aclose()
        await db.dispose()


def received(telegram: FakeTelegram, graph: FakeGraphAPI) -> Counter[tuple[str, str]]:
    """Successful platform calls per (channel, chat): a message the person got."""
    counts: Counter[tuple[str, str]] = Counter()
    for call in telegram.sent():
        counts[("telegram", str(call.params["chat_id"]))] += 1
    for wa in graph.sent():
        counts[("whatsapp", wa.to)] += 1
    return counts


def attempted(telegram: FakeTelegram, graph: FakeGraphAPI) -> set[tuple[str, str]]:
    """Every chat the platforms were asked to message, successfully or not."""
    chats = {("telegram", str(c.params["chat_id"])) for c in telegram.calls("sendMessage")}
    return chats | {("whatsapp", c.to) for c in list(graph.calls)}


def max_in_window(times: list[float], seconds: float = 1.0) -> int:
    """The most requests that arrived within any `seconds`-long window."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


if __name__ == "__main__":
    _db, _tg, _graph, _rate, _now = sys.argv[1:6]
    asyncio.run(_run_sender(_db, _tg, _graph, float(_rate), datetime.fromisoformat(_now)))
