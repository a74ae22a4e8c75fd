"""One sender per channel across processes: a lock the operating system or database frees
when its holder dies.

Several `bpu-bot serve` processes may take webhooks, but only one of them sends a channel's
outbox. That one process keeps the platform's limits (Telegram's 30 per second overall and
1 per second per chat, WhatsApp's rate per number) with its in-memory windows, keeps each
chat's replies in order, and knows that any row left "sending" belongs to a dead sender. A
shared token bucket in the database would need a round trip per send, agreement between
clocks, and still a way to keep one chat's messages in order; a single sender needs none.

PostgreSQL: a session advisory lock, held on a connection of its own. When the holder dies
(even by kill -9) its connection closes and the server frees the lock; a standby, trying
every `POLL` seconds, takes over within seconds. SQLite (one machine): an exclusive `flock`
on a file next to the database, which the kernel frees when the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text

from storage.db import Database, sqlite_file

log = logging.getLogger(__name__)

POLL = 1.0
"""Seconds between a standby's tries, and between a leader's checks that it still leads."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"bpu-bot:{name}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    """Try to become, check, and stop being the one process doing `name`'s work."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._connection: Any = None
        self._file: int | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    async def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.db.is_sqlite:
            return self._try_flock()
        connection = await self.db.urgent_connection()  # never queued behind the webhooks
        try:
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.name)}
            )
            won = bool(result.scalar())
            await connection.commit()
        except BaseException:
            await _discard(connection)
            raise
        if won:
            self._connection = connection
        else:
            await connection.close()
        return won

    async def still_held(self) -> bool:
        """False when the lock's connection is gone (the database may already have freed it)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception:
            log.warning("%s: lost the leader lock's connection", self.name)
            await self._drop_connection()
            return False

    async def wait(self, stop: asyncio.Event) -> bool:
        """Waits until this process leads (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if await self.try_acquire():
                    log.info("%s: this process sends", self.name)
                    return True
            except Exception as exc:  # the database is away: try again
                log.warning("%s: leader election failed (%s)", self.name, type(exc).__name__)
            if not announced:
                log.info("%s: another process sends; standing by", self.name)
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL)
        return False

    async def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
                os.close(self._file)
            self._file = None
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.name)}
                )
                await self._connection.commit()
            await self._drop_connection()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        await _discard(connection)

    def _try_flock(self) -> bool:
        path = self._lock_path()
        if path is None:  # an in-memory database lives in one process
            self._file = -1
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._file = fd
        return True

    def _lock_path(self) -> Path | None:
        path = sqlite_file(self.db.url)
        return None if path is None else Path(f"{path}.{self.name}.lock")


async def _discard(connection: Any) -> None:
    """Closes a connection that may hold the lock for good, never back into the pool: its
    session ends, and the database frees the lock with it."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()
