"""What one answer costs as the stored work grows: 1,000 against 1,000,000 contacts and outbox rows.

    .venv/bin/python -m bench.growth [--sizes 1000,1000000] [--people 50] [--rounds 3]
    BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.growth

For each size, a fresh database (SQLite in a temporary folder; PostgreSQL too when
`BENCH_PG_URL` names a database the benchmark may wipe) gets that many contacts, each with one
delivered outbox row, written in one statement. Then `--people` new people each type the 13
enrolment messages through the engine (the webhook's transaction: contact, processed-id guard,
conversation, step events, outbox row), people at once, each person's messages in order.
Printed: wall ms and CPU ms per answer, best of `--rounds` (new people each round), and the
ratio of the largest size to the smallest. It asserts nothing (machines differ); the hot-path
plan test (tests/storage/test_hot_path_plans.py) is what fails on a scan.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text

from bench.compare import reset_postgres
from bench.enrolment import ENROLMENT
from handlers.app import build_router
from handlers.engine import Engine
from handlers.types import Inbound
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade

_FILL_CONTACTS = {
    "sqlite": """
        INSERT INTO contact (channel, chat_id, announcements, language, created_at)
        WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
        SELECT 'telegram', 'filler-' || i, 0, 'id', '2026-01-01 00:00:00.000000' FROM seq
    """,
    "postgresql": """
        INSERT INTO contact (channel, chat_id, announcements, language, created_at)
        SELECT 'telegram', 'filler-' || i, false, 'id', now() FROM generate_series(1, :n) AS i
    """,
}
_FILL_OUTBOX = """
    INSERT INTO outbox (channel, chat_id, contact_id, payload, priority, status, attempts,
                        next_attempt_at, attempt_log, created_at, sent_at)
    SELECT channel, chat_id, id, '{"text": "Terima kasih"}', 0, 'sent', 1,
           created_at, '[]', created_at, created_at
    FROM contact WHERE chat_id LIKE 'filler-%'
"""


async def fill(db: Database, size: int) -> float:
    """`size` contacts and as many delivered outbox rows; returns the seconds it took."""
    started = time.perf_counter()
    async with db.transaction() as session:
        await session.exec(text(_FILL_CONTACTS[db.dialect]), params={"n": size})  # type: ignore[call-overload]
        await session.exec(text(_FILL_OUTBOX))  # type: ignore[call-overload]
    async with db.transaction() as session:
        await session.exec(text("ANALYZE"))  # type: ignore[call-overload]
    return time.perf_counter() - started


async def answers(engine: Engine, people: int, first: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per answer: `people` people typing the enrolment at once."""

    async def person(n: int) -> None:
        for i, typed in enumerate(ENROLMENT):
            answer = f"357701470885{n % 9999 + 1:04d}" if i == 2 else typed
            inbound = Inbound("telegram", f"g{n}", f"g{n}-{i}", datetime.now(UTC), text=answer)
            await engine.handle(inbound)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(person(n) for n in range(first, first + people)))
    count = people * len(ENROLMENT)
    return (time.perf_counter() - wall) * 1000 / count, (time.process_time() - cpu) * 1000 / count


async def measure(url: str, size: int, people: int, rounds: int) -> tuple[float, float]:
    db = Database(url)
    try:
        took = await fill(db, size)
        engine = Engine(db, build_router(), vault=Vault(Fernet.generate_key().decode()))
        await answers(engine, 5, 10_000_000)  # warm-up: caches, compiled statements
        results = [await answers(engine, people, round_no * people) for round_no in range(rounds)]
        wall = min(r[0] for r in results)
        cpu = min(r[1] for r in results)
        print(
            f"  {db.dialect:<10} {size:>9,} contacts and outbox rows (filled in {took:.0f} s): "
            f"{wall:.2f} ms/answer wall, {cpu:.2f} ms/answer CPU",
            flush=True,
        )
        return wall, cpu
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bpu-growth-") as folder:
        pg = os.environ.get("BENCH_PG_URL")
        print(f"load average {os.getloadavg()[0]:.1f}; {args.people} people x {len(ENROLMENT)} answers")
        for name in ("sqlite", "postgresql") if pg else ("sqlite",):
            costs = []
            for size in sizes:
                if name == "sqlite":
                    url = f"sqlite+aiosqlite:///{Path(folder) / f'growth-{size}.db'}"
                else:
                    assert pg is not None
                    asyncio.run(reset_postgres(pg))
                    url = pg
                upgrade(url)
                costs.append(asyncio.run(measure(url, size, args.people, args.rounds)))
            first, last = costs[0], costs[-1]
            print(
                f"  {name}: {sizes[-1]:,} / {sizes[0]:,} = {last[0] / first[0]:.2f} wall, "
                f"{last[1] / first[1]:.2f} CPU",
                flush=True,
            )


if __name__ == "__main__":
    main()
