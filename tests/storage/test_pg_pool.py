"""PostgreSQL connections: checked before use after sitting idle, not at every checkout
(`storage/pg_pool.py`); a server that closed them is survived either way.

The server side is real: the test ends the service's connections with `pg_terminate_backend`,
as a PostgreSQL restart or a firewall's idle timeout would. PostgreSQL only (SQLite has no
server connection to lose).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from handlers.app import build_router
from handlers.engine import Engine, Outcome
from handlers.types import Inbound
from storage import pg_pool
from storage.db import POOL_SIZE, Database
from storage.errors import is_transient
from tests.support.helpers import VAULT, FixedClock, asyncpg_dsn


@dataclass
class Fresh:
    """A Database of its own (its pool starts empty), and when it was made."""

    db: Database
    made: datetime
    url: str


@pytest.fixture
async def fresh(db_url: str) -> AsyncIterator[Fresh]:
    """A Database whose connections the test may end (the harness's own are older)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose (PostgreSQL only)")
    admin = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        made = await admin.fetchval("SELECT clock_timestamp()")
    finally:
        await admin.close()
    database = Database(db_url)
    yield Fresh(database, made, db_url)
    await database.dispose()


async def _backend(db: Database) -> int:
    async with db.engine.connect() as connection:  # a checkout from the pool, as every transaction
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def _terminate(fresh: Fresh, pid: int | None = None) -> int:
    """Ends the backend `pid`, or every one `fresh` connected (not the test harness's own
    connections, made before it); returns how many ended."""
    admin = await asyncpg.connect(asyncpg_dsn(fresh.url))
    try:
        if pid is not None:
            return int(await admin.fetchval("SELECT count(pg_terminate_backend($1))", pid))
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname ="
                " current_database() AND pid <> pg_backend_pid() AND backend_start > $1",
                fresh.made,
            )
        )
    finally:
        await admin.close()


async def test_a_connection_in_use_is_not_checked(fresh: Fresh) -> None:
    """Reused at once, the connection goes straight to the message's own statements: a
    connection the server closed meanwhile fails that transaction (transient: the platform
    sends the message again), and the next one connects anew."""
    first = await _backend(fresh.db)
    assert await _backend(fresh.db) == first  # the same connection, reused
    assert await _terminate(fresh, first) == 1
    with pytest.raises(DBAPIError) as failed:
        await _backend(fresh.db)
    assert failed.value.connection_invalidated
    assert await _backend(fresh.db) not in (first, None)


async def test_an_idle_connection_is_checked_and_replaced(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend(fresh.db)
    await _terminate(fresh, first)
    monkeypatch.setattr(pg_pool, "IDLE_PING_SECONDS", 0.0)  # every connection counts as idle now
    assert await _backend(fresh.db) not in (first, None)  # checked, found closed, replaced: no error


async def test_a_server_restart_under_load_fails_only_the_messages_in_flight(fresh: Fresh) -> None:
    """Messages run their statements on the driver (`storage.driver`), outside SQLAlchemy's own
    disconnect handling: a lost connection must still retire the pool, or every later message
    would fail on a dead connection."""
    clock = FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    engine = Engine(fresh.db, build_router(), vault=VAULT, clock=clock)
    ids = itertools.count()

    async def everyone_says(text: str) -> list[Outcome | BaseException]:
        said = (Inbound("console", f"p{person}", f"m{next(ids)}", clock(), text=text) for person in range(20))
        return await asyncio.gather(*(engine.handle(inbound) for inbound in said), return_exceptions=True)

    assert not [r for r in await everyone_says("daftar") if isinstance(r, BaseException)]
    # Every connection the pool opened, as a restart would: at least one, at most POOL_SIZE (how
    # far the pool grew under the 20 messages depends on timing).
    assert await _terminate(fresh) >= 1
    failed = [r for r in await everyone_says("setuju") if isinstance(r, BaseException)]
    assert len(failed) <= POOL_SIZE and all(is_transient(error) for error in failed)  # delivered again
    assert not [r for r in await everyone_says("setuju") if isinstance(r, BaseException)]
