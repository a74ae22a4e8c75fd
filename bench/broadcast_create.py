"""How long creating a broadcast takes for a large audience, as the page and the API do it.

    .venv/bin/python -m bench.broadcast_create [--contacts 122000] [--postgres URL]

Seeds the contacts (about 82% eligible, so 122,000 give about 100,000 recipients), then times
`Outreach.create_broadcast` (what `POST /api/v1/broadcasts` and the page's "Kirim siaran" call)
and, apart, the recipient count and the scheduler's materialisation of the outbox rows.
Runs on SQLite, then on PostgreSQL when `--postgres` (or BENCH_POSTGRES_URL) names a database
it may wipe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench.broadcast import databases
from bot.channels.registry import catalogue
from dashboard.service import broadcasts
from dashboard.service.access import Access
from dashboard.service.broadcasts import Audience
from dashboard.service.outreach_office import Outreach
from handlers.localtime import QuietHours
from storage.db import Database
from tests.support.broadcast_harness import seed

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10:00 WIB
QUIET = QuietHours.parse("21:00-07:00")
ADMIN = Access(account_id=None, username="bench", role="admin")


async def measure(url: str, contacts: int) -> str:
    db = Database(url)
    try:
        await seed(db, contacts, NOW)
        if url.startswith("postgresql"):
            # Statistics as autovacuum keeps them; right after a bulk insert the planner thinks
            # the table is empty and scans all of it for each chunk.
            async with db.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        outreach = Outreach(db, catalogue(), quiet=QUIET, clock=lambda: NOW)
        started = time.monotonic()
        counts = await outreach.count(ADMIN, Audience())
        counted = time.monotonic() - started
        started = time.monotonic()
        created = await outreach.create_broadcast(ADMIN, text="Sosialisasi, Selasa.", audience=Audience())
        request = time.monotonic() - started
        started = time.monotonic()
        await broadcasts.tick(db, NOW, QUIET)
        after = time.monotonic() - started
        assert created.id is not None
        final = await broadcasts.get_broadcast(db, created.id, None)
        assert final is not None and final.materialised
        return (
            f"{contacts:,} contacts, {counts['total']:,} recipients: count {counted:.1f} s;"
            f" create (the request) {request:.1f} s, answered {created.recipients:,} recipients;"
            f" scheduler tick after it {after:.1f} s; stored {final.recipients:,}"
        )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--contacts", type=int, default=122_000, help="contacts to seed (about 82%% eligible)"
    )
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"), help="a database to wipe")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    options = parser.parse_args()
    for name, url in databases(options.postgres, options.no_sqlite):
        print(f"{name}:", asyncio.run(measure(url, options.contacts)), flush=True)


if __name__ == "__main__":
    main()
