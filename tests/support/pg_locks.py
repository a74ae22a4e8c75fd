"""PostgreSQL: whether some session of the test's database waits for a lock (race tests use it
to know that the other transaction reached the row lock before they let the first one go)."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import Database


async def someone_waits_for_a_lock(db: Database) -> bool:
    async with db.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)
