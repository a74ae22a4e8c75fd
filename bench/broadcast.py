"""Broadcast throughput: 100,000 recipients through the real sender against the fake servers.

    .venv/bin/python -m bench.broadcast [--recipients 100000] [--rate 200] [--postgres URL]

Seeds the contacts (most opted in, over three time zones, all in daytime), creates a broadcast
for all of them, materialises the recipients (timed), then runs the outbox sender in its own
process (as `bpu-bot serve` would) against the fake Telegram and Graph servers, which stay in
this process and stamp every request as it arrives. Reports, per channel, the achieved rate
against the configured limit (target: at least 0.95 of it) and the number of one-second
windows that held more than the limit (target: 0). Runs on SQLite, then on PostgreSQL when
`--postgres` (or BENCH_POSTGRES_URL) names a database it may wipe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, func, select

from bench.compare import reset_postgres
from bot.channels.registry import catalogue
from dashboard.service import broadcasts
from dashboard.service.broadcasts import Audience
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from handlers.localtime import QuietHours
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.support.broadcast_harness import Senders, max_in_window, seed

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10:00 WIB, 11:00 WITA, 12:00 WIT
QUIET = QuietHours.parse("21:00-07:00")


def windows_over(times: list[float], limit: float) -> int:
    """How many requests ended a one-second window holding more than `limit`."""
    ordered = sorted(times)
    over, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        if end - start + 1 > limit:
            over += 1
    return over


def achieved(times: list[float]) -> float:
    """Requests per second from the first to the last arrival."""
    ordered = sorted(times)
    return (len(ordered) - 1) / (ordered[-1] - ordered[0]) if len(ordered) > 1 else 0.0


async def _open_rows(db: Database) -> int:
    async with db.reader() as session:
        query = select(func.count()).where(col(OutboxMessage.status).in_(["pending", "sending", "held"]))
        return int((await session.exec(query)).one())


async def _prepare(url: str, recipients: int) -> tuple[int, float]:
    db = Database(url)
    try:
        population = await seed(db, recipients, NOW)
        broadcast = await broadcasts.create_broadcast(
            db,
            text="Sosialisasi BPJS Ketenagakerjaan, Selasa.",
            audience=Audience(),
            actor="bench",
            branch=None,
            now=NOW,
            channels=catalogue(),
        )
        started = time.monotonic()
        await broadcasts.tick(db, NOW, QUIET)
        took = time.monotonic() - started
        assert broadcast.id is not None
        progress = await broadcasts.progress(db, broadcast.id, None)
        assert progress is not None and progress.recipients == len(population.eligible)
        return progress.recipients, took
    finally:
        await db.dispose()


async def _wait_done(url: str, limit: float) -> float:
    db = Database(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit:
            if await _open_rows(db) == 0:
                break
            await asyncio.sleep(1.0)
        return time.monotonic() - started
    finally:
        await db.dispose()


def run(name: str, url: str, recipients: int, rate: float) -> str:
    count, materialise = asyncio.run(_prepare(url, recipients))
    with FakeTelegram() as telegram, FakeGraphAPI() as graph:
        senders = Senders(url, telegram, graph, rate)
        senders.start(NOW)
        try:
            asyncio.run(_wait_done(url, limit=4 * count / rate + 120))
        finally:
            output = senders.stop()
        tg = [c.at for c in telegram.calls("sendMessage")]
        wa = [c.at for c in list(graph.calls)]
    if len(tg) + len(wa) < count * 0.9:
        print(output[-2000:], file=sys.stderr)
    lines = [
        f"{name}: {count} recipients, materialised in {materialise:.1f} s ({count / materialise:,.0f}/s)",
    ]
    for channel, times in (("telegram", tg), ("whatsapp", wa)):
        rate_got = achieved(times)
        lines.append(
            f"  {channel}: {len(times)} requests, {rate_got:.1f}/s against a limit of {rate:.0f}/s"
            f" = {rate_got / rate:.3f}; busiest second {max_in_window(times)}, windows over the limit"
            f" {windows_over(times, rate)}"
        )
    return "\n".join(lines)


def databases(postgres: str | None, no_sqlite: bool) -> Iterator[tuple[str, str]]:
    """(name, url) of each database to measure, migrated and empty: a temporary SQLite file,
    then `postgres` (wiped first) when given."""
    if not no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield "SQLite", url
    if postgres:
        asyncio.run(reset_postgres(postgres))
        upgrade(postgres)
        yield "PostgreSQL", postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipients", type=int, default=100_000, help="contacts to seed (about 82%% eligible)"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="configured limit per channel, messages/s")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"), help="a database to wipe")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    options = parser.parse_args()
    for name, url in databases(options.postgres, options.no_sqlite):
        print(run(name, url, options.recipients, options.rate), flush=True)


if __name__ == "__main__":
    main()
