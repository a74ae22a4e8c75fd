"""SQLite's one writer within a process: the queue of writers, and the commit several messages share.

SQLite has one writer at a time. Within a process the writers wait their turn in a queue
(`WriteGate`) instead of inside SQLite, whose busy handler sleeps and polls (1, 2, 5, 10 ms...)
and so wastes the time between two transactions; an urgent writer (the outbox sender recording
what it just sent) goes before the queued ones.

Group commit (`WriteGroup`). One message's transaction changes about 20 pages (the contact, the
conversation, the outbox row and its indexes, the transcript, the message-id guard, the form's
step events), and its COMMIT writes each of them to the log: a tenth of the message's CPU time.
Many of those pages are the same from one message to the next: the last page of every table
and index that grows in order. So while inbound messages queue for the writer, they run one
after the other in one transaction, each after the first in a SAVEPOINT of its own (the first
needs none: rolling the transaction back takes back its writes alone), and the last of them
commits for all. Nothing changes for the callers: each one's `Database.transaction` returns
only once the shared COMMIT is done, and raises if it failed, so a message is acknowledged only
when it is durable, as before. A message whose work fails rolls back its own savepoint; the
others stand. A group stays open only for the next writer in the queue that asked to join
(`grouped`), and for at most `GROUP_MAX` of them; any other writer finds it committed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.errors import TransientError

GROUP_MAX = 8
"""Messages that may share one commit: a group's first message waits for at most 7 others'
work (about 1 ms each) before it is durable."""


class WriteGate:
    """One writer at a time, first come first served, urgent writers before the others."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[tuple[asyncio.Future[None], bool]] = deque()
        self._normal: deque[tuple[asyncio.Future[None], bool]] = deque()

    async def acquire(self, *, urgent: bool = False, joins: bool = False) -> None:
        """Waits for the gate; `joins`: this writer may join an open group (`next_joins`)."""
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        entry = (waiter, joins)
        queue.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the gate as it was cancelled: pass it on
            else:
                queue.remove(entry)
            raise

    def next_joins(self) -> bool:
        """Whether the writer the gate goes to next asked to join a group."""
        for queue in (self._urgent, self._normal):
            for waiter, joins in queue:
                if not waiter.done():
                    return joins
        return False

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter, _joins = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the gate passes straight to the next writer
                    return
        self._busy = False


class WriteGroup:
    """One SQLite write transaction that several units of work share (see the module)."""

    def __init__(self, connection: AsyncConnection, raw: sqlite3.Connection) -> None:
        self.connection = connection
        self._raw = raw
        self.members = 0
        """Units of work done in it, their savepoints released: what the COMMIT makes durable."""
        self.wipe = False
        """A member erased personal data: checkpoint once committed (`storage.db`)."""
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.committed.add_done_callback(_retrieved)

    @classmethod
    async def open(cls, engine: AsyncEngine) -> WriteGroup:
        """A connection in a new write transaction (BEGIN IMMEDIATE, by the engine's listener)."""
        connection = await engine.connect()
        try:
            await connection.begin()
            raw: Any = await connection.get_raw_connection()
            return cls(connection, raw.driver_connection._conn)
        except BaseException:
            await connection.close()
            raise

    @property
    def intact(self) -> bool:
        """Still in its transaction: some errors (a full disk, an I/O error) make SQLite roll
        the whole transaction back, members' savepoints with it."""
        return self._raw.in_transaction

    def may_take_more(self) -> bool:
        return self.members < GROUP_MAX and self.intact

    async def close(self) -> None:
        """Commits what the members did (rolls back when none is left), then tells them: a
        failed commit is set on `committed`, which every member that did its work awaits."""
        try:
            if self.members and not self.intact:
                raise TransientError("SQLite rolled the shared transaction back")
            if self.members:
                await self.connection.commit()
            else:
                await self.connection.rollback()
            self.committed.set_result(None)
        except Exception as error:
            self.committed.set_exception(error)
        except BaseException:  # cancelled mid-commit: whether it committed is not known
            self.committed.set_exception(TransientError("the shared commit was interrupted"))
            raise
        finally:
            await self.connection.close()


def _retrieved(future: asyncio.Future[None]) -> None:
    """A failed commit is raised to every member waiting; none may be left (all cancelled)."""
    if not future.cancelled():
        future.exception()


def driver_savepoints(dialect: Dialect) -> None:
    """Runs SAVEPOINT, RELEASE and ROLLBACK TO straight on the sqlite3 connection.

    SQLAlchemy's default hooks execute them as statements, compiled anew each time (the name
    changes): 0.2 ms for each message in a group, more than the savepoint saves. These are the
    dialect's documented hooks for the three statements, set on this engine's dialect only.
    The engine's statement listeners do not see them (they carry no parameters).
    """

    def run(connection: Connection, sql: str) -> None:
        raw: Any = connection.connection.driver_connection
        raw._conn.execute(sql)

    hooks = {
        "do_savepoint": lambda connection, name: run(connection, f'SAVEPOINT "{name}"'),
        "do_release_savepoint": lambda connection, name: run(connection, f'RELEASE SAVEPOINT "{name}"'),
        "do_rollback_to_savepoint": lambda connection, name: run(
            connection, f'ROLLBACK TO SAVEPOINT "{name}"'
        ),
    }
    vars(dialect).update(hooks)
