"""PostgreSQL connections: checked before use after sitting idle, not at every checkout
(`storage/pg_pool.py`); a server that closed them is survived either way.

The server side is real: the test ends the service's connections with `pg_terminate_backend`,
as a PostgreSQL restart or a firewall's idle timeout would. PostgreSQL only (SQLite has no
server connection to lose).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import pg_pool
from storage.db import Database
from tests.support.helpers import asyncpg_dsn


@pytest.fixture
async def fresh(db_url: str) -> AsyncIterator[Database]:
    """A Database of its own (its pool starts empty), on PostgreSQL."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose (PostgreSQL only)")
    database = Database(db_url)
    yield database
    await database.dispose()


async def _backend(db: Database) -> int:
    async with db.engine.connect() as connection:  # a checkout from the pool, as every transaction
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def _terminate(db_url: str, pid: int) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_in_use_is_not_checked(fresh: Database, db_url: str) -> None:
    """Reused at once, the connection goes straight to the message's own statements: a
    connection the server closed meanwhile fails that transaction (transient: the platform
    sends the message again), and the next one connects anew."""
    first = await _backend(fresh)
    assert await _backend(fresh) == first  # the same connection, reused
    await _terminate(db_url, first)
    with pytest.raises(DBAPIError) as failed:
        await _backend(fresh)
    assert failed.value.connection_invalidated
    assert await _backend(fresh) not in (first, None)


async def test_an_idle_connection_is_checked_and_replaced(
    fresh: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend(fresh)
    await _terminate(db_url, first)
    monkeypatch.setattr(pg_pool, "IDLE_PING_SECONDS", 0.0)  # every connection counts as idle now
    assert await _backend(fresh) not in (first, None)  # checked, found closed, replaced: no error
