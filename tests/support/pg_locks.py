"""PostgreSQL race tests' helpers: they run on PostgreSQL only, and wait until some session of
the test's database waits for a lock (the other transaction reached the row lock) before they
let the first one go."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import Database


def postgres_only(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes its snapshot after the write lock: nothing to race (PostgreSQL only)")


async def someone_waits_for_a_lock(db: Database) -> bool:
    async with db.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)
