"""PostgreSQL connections are checked before use only after sitting idle.

SQLAlchemy's `pool_pre_ping` checks every connection at every checkout, and with asyncpg the
check is three round trips (BEGIN, an empty statement, ROLLBACK: SQLAlchemy wraps it in a
transaction for pgbouncer's sake). A message took 7 round trips instead of its 4, and
`bench/compare.py` measured ~10% more CPU per update on PostgreSQL.

A connection used a few milliseconds ago needs no check. If the server went away meanwhile, the
statement fails: that connection is invalidated and the pool is renewed (SQLAlchemy does it for
its own statements; `storage.driver` for the messages' driver statements), so the next
checkouts connect anew, and the message's transaction fails as a transient error, so the
platform delivers it again (`storage.errors`). A restart under load thus costs the messages in
flight one delivery each (`tests/storage/test_pg_pool.py`). A connection that sat idle for `IDLE_PING_SECONDS`
may have been closed without anyone noticing (a restart in a quiet hour, a firewall's idle
timeout). That one is checked at checkout, and the pool is renewed when the check fails.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine

IDLE_PING_SECONDS = 10.0
_RETURNED = "bpu_returned_at"
"""In a connection record's `info`: when the connection was last returned to the pool."""


def ping_when_idle(engine: AsyncEngine) -> None:
    """Checks a connection at checkout when it was returned more than `IDLE_PING_SECONDS` ago; a
    failed check renews the pool and connects anew."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool invalidates every connection and tries a new one
            raise InvalidatePoolError(f"an idle connection failed its check: {error}") from error
