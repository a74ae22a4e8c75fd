"""The engine's throughput on PostgreSQL, in process: people enrolling at once, no HTTP.

    .venv/bin/python -m bench.engine_postgres URL [--people 200] [--rounds 4]

URL names a database whose schema may be dropped (it is emptied and migrated first). Each round
prints messages/s, this process's CPU and the PostgreSQL server's CPU per message (all
`postgres` processes of this machine, from /proc: run it with nothing else using the server),
and the statements per message that asyncpg's query log sees: the turn's own (`storage.driver`)
and BEGIN/COMMIT, not those SQLAlchemy runs through prepared-statement objects (the store's).
Asserts nothing. To compare two commits, run each from its own worktree with `PYTHONPATH`,
alternating: round to round, this machine varies by a third.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, make_url

from bench.enrolment import ENROLMENT
from bench.run import engine_throughput
from storage.db import Database
from storage.migrate import upgrade


def server_cpu_seconds() -> float:
    """User and system time of every `postgres` process now running."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat and stat.split("(", 1)[1].split(")", 1)[0].startswith("postgres"):
            fields = stat.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def empty(url: str) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


async def rounds(url: str, people: int, count: int) -> None:
    db = Database(url)
    kinds: Counter[str] = Counter()

    def logged(record: Any) -> None:
        word = record.query.split(None, 1)[0].upper().rstrip(";")
        kinds["BEGIN/COMMIT" if word in ("BEGIN", "COMMIT") else "turn"] += 1

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection._connection.add_query_logger(logged)

    event.listen(db.engine.sync_engine, "connect", on_connect)
    messages = people * len(ENROLMENT)
    try:
        for n in range(count):
            kinds.clear()
            cpu, server = time.process_time(), server_cpu_seconds()
            rate = await engine_throughput(db, people, n * people)
            cpu_ms = (time.process_time() - cpu) * 1000 / messages
            server_ms = (server_cpu_seconds() - server) * 1000 / messages
            per_message = ", ".join(
                f"{kind} {number / messages:.2f}" for kind, number in sorted(kinds.items())
            )
            print(
                f"round {n + 1}: {rate:.0f} messages/s, {cpu_ms:.2f} CPU ms/message here, "
                f"{server_ms:.2f} in PostgreSQL; statements/message: {per_message}"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="postgresql+asyncpg://… (its schema is dropped)")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(empty(args.url))
    upgrade(args.url)
    asyncio.run(rounds(args.url, args.people, args.rounds))


if __name__ == "__main__":
    main()
