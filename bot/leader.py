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
every `POLL` seconds, takes over within seconds. A holder that loses only its lock's
connection (closed by the server, a proxy or a firewall while the process runs) learns it at
its next check, once a second, and a standby may lead by then. So the sender is fenced: a row
is marked "sending" only while the session that took the lock (`fence()`) still holds it, as
the database sees it (`storage.outbox.start_attempts`).

SQLite (one machine): an exclusive `flock` on a file next to the database, which the kernel
frees when the process dies. The file is named after the database's own token
(`database_instance`, written by its first migration), not only its path: a database deleted
and made again at the same path is another database, and a process left running on the old
one holds nothing of the new one's. The holder writes its process id into the file, so a
standby can say who sends (`/healthz`). A lock file removed while its holder runs (a clean-up of
`*.lock` files) would let a second process lock a new one: the holder checks, once a second,
that the file at the path is the one it locked, and steps down if not, while the new holder
waits one window before its first send (bot/sender/channel.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from storage.db import Database, sqlite_file
from storage.outbox import LockHolder

log = logging.getLogger(__name__)

POLL = 1.0
"""Seconds between a standby's tries, and between a leader's checks that it still leads."""
CHECK_TIMEOUT = 5.0
"""Seconds the lock's connection has to answer a check. A connection whose other end went
silent (a network cut, a frozen server: no reset ever comes) would hold the check until TCP
gives up, a quarter of an hour later; past this, the lock counts as lost."""
SERVER_KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
"""The server's TCP keepalives on the lock's own connection (session settings): when the
holder's machine or network is gone, the server ends the session, and frees the lock for a
standby, after about 25 s instead of the system's default two hours. (Ignored on a Unix socket,
where no network can fail.)"""


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
        self._path: Path | None = None
        self._holder: LockHolder | None = None
        self.standby_since: float | None = None
        """time.time() since when this process waits for another's lock (None: it leads, or never tried)."""

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    async def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.db.is_sqlite:
            won = self._try_flock(await self._lock_path())
            self.standby_since = None if won else (self.standby_since or time.time())
            return won
        connection = await self.db.urgent_connection()  # never queued behind the webhooks
        try:
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": lock_key(self.name)}
            )
            won, pid = result.one()
            await connection.commit()
        except BaseException:
            await _discard(connection)
            raise
        if won:
            self._connection = connection
            self._holder = LockHolder(pid, lock_key(self.name))
            await self._keep_alive()
        else:
            await connection.close()
        self.standby_since = None if won else (self.standby_since or time.time())
        return won

    def fence(self) -> LockHolder | None:
        """PostgreSQL: the session that took the lock last, kept after it is lost, so that work
        checked against it (`storage.outbox.start_attempts`) stops at once, not at this process's
        next `still_held`. None on SQLite (`still_held` checks its lock file instead) and before
        the lock was ever taken."""
        return self._holder

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock, as far as this process can tell (SQLite: the holder's process id
        from the lock file); None when it leads itself or cannot tell."""
        if self.held or self._path is None:
            return None
        try:
            found = json.loads(self._path.read_text() or "null")
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    async def still_held(self) -> bool:
        """False when the lock's connection is gone or silent for `CHECK_TIMEOUT` seconds (the
        database may already have freed the lock), or when SQLite's lock file was removed."""
        if self._file is not None:
            return self._lock_file_is_ours(self._file)
        if self._connection is None:
            return False
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
            return True
        except Exception:
            log.warning("%s: lost the leader lock's connection", self.name)
            await self._drop_connection()
            return False

    def _lock_file_is_ours(self, fd: int) -> bool:
        """SQLite: the lock file at the path is still the one this process locked (`fd`). A file
        deleted (a clean-up of `*.lock`) or replaced leaves our lock on a file nobody else opens,
        and the next process to try locks a new one: this one then steps down."""
        if self._path is None:  # an in-memory database lives in one process
            return True
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(self._path)):
                return True
        log.warning("%s: the lock file %s was removed or replaced; stepping down", self.name, self._path)
        with contextlib.suppress(OSError):
            os.close(fd)
        self._file = None
        return False

    async def _keep_alive(self) -> None:
        """Sets `SERVER_KEEPALIVE` on the lock's connection; the lock holds without them."""
        assert self._connection is not None
        try:
            for name, value in SERVER_KEEPALIVE.items():
                await self._connection.execute(
                    text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
                )
            await self._connection.commit()
        except Exception as exc:
            log.warning("%s: could not ask the server for keepalives on the lock (%s)", self.name, exc)

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

    def _try_flock(self, path: Path | None) -> bool:
        self._path = path
        if path is None:  # an in-memory database lives in one process
            self._file = -1
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": round(time.time())}).encode())
        self._file = fd
        return True

    async def _lock_path(self) -> Path | None:
        """`<database>.<its token>.<name>.lock` (the path alone for a database migrated before
        the token existed)."""
        path = sqlite_file(self.db.url)
        if path is None:
            return None
        async with self.db.reader(urgent=True) as session:
            try:
                token = (await session.exec(text("SELECT token FROM database_instance WHERE id = 1"))).first()  # type: ignore[call-overload]
            except Exception:
                token = None
        mark = f".{token[0][:12]}" if token else ""
        return Path(f"{path}{mark}.{self.name}.lock")


async def _discard(connection: Any) -> None:
    """Closes a connection that may hold the lock for good, never back into the pool: its
    session ends, and the database frees the lock with it."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()
