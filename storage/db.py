"""The async engine and unit-of-work sessions.

On SQLite every write transaction starts with BEGIN IMMEDIATE, so writers from several
processes (the service and `bpu-bot chat`) queue up instead of failing half-way; reads use
a plain deferred BEGIN. WAL and foreign keys are switched on for every connection.

SQLite has one writer at a time. Within a process the writers therefore wait their turn in
a queue, and inbound messages queued together share one commit (`storage.sqlite_writer`).
Other processes still meet at SQLite's lock (`storage.sqlite_inline.begin_immediate`).

What the SQLite settings keep (see the README): WAL with `synchronous=NORMAL` never corrupts
the database and loses nothing when the process crashes; a power cut or an operating system
crash may lose the last transactions committed before it (WAL is synced at checkpoints, not
at every commit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite_inline
from storage.pg_pool import ping_when_idle
from storage.sqlite_checkpoint import AUTOCHECKPOINT_PAGES, run_checkpoints
from storage.sqlite_inline import begin_immediate
from storage.sqlite_writer import GROUP_MAX, WriteGate, WriteGroup, driver_savepoints
from storage.text_guard import guard_parameters

WIPE_AFTER_COMMIT = "bpu_wipe_after_commit"
"""A session flag: its transaction erased personal data (`storage.submissions.erase_personal_data`)."""

log = logging.getLogger(__name__)
_READONLY = "bpu_readonly"
POOL_SIZE = 10
"""PostgreSQL connections per process (SQLAlchemy adds up to as many again on demand)."""
URGENT_POOL_SIZE = 8
"""PostgreSQL connections kept open for the outbox sender (and half as many again on demand):
per channel, the leader lock's, the claim's, and the transactions that mark and record sends,
for the two platform channels. With 4 kept, a broadcast on both channels opened and closed a connection (a
new PostgreSQL backend) for most of the sender's transactions."""


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine
    driver_savepoints(sync_engine.dialect)

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=0")  # waiting for the lock is begin_immediate's job
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: erased data leaves the file
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")  # storage/sqlite_checkpoint.py
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_READONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            begin_immediate(conn.connection.driver_connection)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_sqlite_folder(url: str) -> None:
    """Creates the folder of a SQLite file on first use (var/ by default)."""
    if (path := sqlite_file(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One per process: owns the engine; hands out sessions scoped to a unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            make_sqlite_folder(url)
            self.engine = create_async_engine(
                url,
                echo=echo,
                hide_parameters=True,
                async_creator=sqlite_inline.creator(str(sqlite_file(url) or ":memory:")),
            )
            _configure_sqlite(self.engine)
            self._gate: WriteGate | None = WriteGate()
        else:
            self.engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=POOL_SIZE)
            ping_when_idle(self.engine)
            self._gate = None
        guard_parameters(self.engine)
        self._writer = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._reader = async_sessionmaker(
            self.engine.execution_options(**{_READONLY: True}),
            class_=AsyncSession,
            expire_on_commit=False,
        )
        self._urgent_engine: AsyncEngine | None = None
        self._urgent: async_sessionmaker[AsyncSession] | None = None
        self._group: WriteGroup | None = None

    def _urgent_sessions(self) -> async_sessionmaker[AsyncSession]:
        """PostgreSQL: sessions on a small pool of their own, for the outbox sender. Sharing the
        main pool put each of the sender's writes in the queue behind every webhook waiting for a
        connection: under a storm of messages the sender fell a minute behind, and the replies
        held at a restart came 40-90 s after it."""
        if self._urgent is None:
            self._urgent_engine = create_async_engine(
                self.url,
                echo=self.engine.echo,
                hide_parameters=True,
                pool_size=URGENT_POOL_SIZE,
                max_overflow=URGENT_POOL_SIZE // 2,
                # Short statements on indexes: JIT compiling them (the planner's cost for the
                # claim passes jit_above_cost) took longer than running them, at every call; and
                # each is planned for its own parameters (a skip list, the time), never by a
                # generic plan that fits no parameters well.
                connect_args={"server_settings": {"jit": "off", "plan_cache_mode": "force_custom_plan"}},
            )
            ping_when_idle(self._urgent_engine)
            self._urgent = async_sessionmaker(
                self._urgent_engine, class_=AsyncSession, expire_on_commit=False
            )
        return self._urgent

    @property
    def max_concurrency(self) -> int:
        """Transactions worth running at once: on SQLite, as many as share a commit (one writer
        at a time); on PostgreSQL, the pool."""
        return GROUP_MAX if self.is_sqlite else POOL_SIZE

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(
        self, *, urgent: bool = False, grouped: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commits on success, rolls back on any exception.

        `urgent` is for the outbox sender's short bookkeeping writes: on SQLite they go before
        queued writers, on PostgreSQL they run on connections of their own. `grouped` (an
        inbound message's turn): on SQLite it may share its commit with the turns queued with
        it (`storage.sqlite_writer`); it returns, or raises, once that commit is done.
        """
        if self._gate is None:
            sessions = self._urgent_sessions() if urgent else self._writer
            async with sessions() as session, session.begin():
                yield session
            return
        await self._gate.acquire(urgent=urgent, joins=grouped)
        if grouped:
            async with self._in_group() as session:
                yield session
            return
        try:
            await self._close_group()  # one left open for a joiner that was cancelled meanwhile
            async with self._writer() as session, session.begin():
                yield session
            if session.info.pop(WIPE_AFTER_COMMIT, False):
                await self._checkpoint()
        finally:
            self._gate.release()

    @asynccontextmanager
    async def _in_group(self) -> AsyncIterator[AsyncSession]:
        """SQLite, the gate held: a unit of work in a savepoint of the open group (opened if
        none is); the group is left open for the next writer if it joins, else committed."""
        assert self._gate is not None
        try:
            group = self._group = self._group or await WriteGroup.open(self.engine)
        except BaseException:
            self._gate.release()
            raise
        try:
            # The first member needs no savepoint: if it fails, rolling the whole transaction back
            # takes back its writes alone (half the groups under load are one message).
            joins = "create_savepoint" if group.members else "rollback_only"
            session = AsyncSession(bind=group.connection, join_transaction_mode=joins, expire_on_commit=False)
            async with session, session.begin():
                yield session
            group.members += 1
            group.wipe |= session.info.pop(WIPE_AFTER_COMMIT, False)
        finally:
            if self._gate.next_joins() and group.may_take_more():
                self._gate.release()  # the next writer continues the group
            else:
                try:
                    await self._close_group()
                finally:
                    self._gate.release()
        await asyncio.shield(group.committed)

    async def _close_group(self) -> None:
        """Commits the open group, if any (`WriteGroup.close`), then checkpoints after an erasure."""
        group, self._group = self._group, None
        if group is None:
            return
        await group.close()
        if group.wipe and group.committed.exception() is None:
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """SQLite: copies the WAL into the main file (where secure_delete zeroed the freed
        bytes) and empties it, so erased data is in neither file once the erasure committed."""
        try:
            async with self.engine.connect() as connection:
                raw = await connection.get_raw_connection()  # no BEGIN: a checkpoint runs outside one
                raw.driver_connection._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        except Exception as exc:  # the erasure is committed; the next checkpoint finishes the job
            log.warning("checkpoint after an erasure failed (%s)", type(exc).__name__)

    async def run_checkpoints(self, stop: asyncio.Event) -> None:
        """SQLite (a file): checkpoints its log in the background until `stop` is set
        (`storage.sqlite_checkpoint`); nothing to do on PostgreSQL."""
        if (path := sqlite_file(self.url)) is not None:
            await run_checkpoints(path, stop)

    async def urgent_connection(self) -> AsyncConnection:
        """A connection outside the main pool (PostgreSQL; SQLite: from the one engine), for a
        lock that must not wait behind the webhooks for a connection (bot/leader.py)."""
        if self._gate is None:
            self._urgent_sessions()
            assert self._urgent_engine is not None
            return await self._urgent_engine.connect()
        return await self.engine.connect()

    @asynccontextmanager
    async def reader(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (no write lock on SQLite); `urgent` as for `transaction`."""
        sessions = self._urgent_sessions() if urgent and self._gate is None else self._reader
        async with sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.reader() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._urgent_engine is not None:
            await self._urgent_engine.dispose()
