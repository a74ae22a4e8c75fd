"""SQLite through aiosqlite's interface, but run on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close, commit) to a worker thread and
waits for the answer: four thread hops per statement, each waiting for the interpreter lock
while the event loop is busy with other requests. A SQLite statement on a local file takes
microseconds, far less than the hops around it, so `InlineSqlite` makes the calls directly.

The one call that could block for long is taking the write lock while another process
(`bpu-bot chat`, a second worker) holds it. Inline connections therefore never wait inside
SQLite (`busy_timeout=0`): `begin_immediate` retries with `asyncio.sleep` in between, so the
event loop keeps serving while it waits. Within one process, writers queue in
`storage.db.WriteGate` and never meet at SQLite's lock.

What still runs on the loop: the write itself. The checkpoints that copy the log into the
database file and sync it run on a thread (`storage.sqlite_checkpoint`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.util import await_only

BUSY_WAIT = 30.0
"""Seconds a transaction waits for another process's write lock before giving up."""


class _RunNow:
    """Stands for aiosqlite's queue to its worker thread: runs each call as it is queued."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineSqlite(aiosqlite.Connection):
    """An aiosqlite connection without its worker thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]  # SQLAlchemy queues some calls itself

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineSqlite:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def creator(path: str) -> Callable[[], Any]:
    """The `async_creator` for SQLAlchemy: a new inline connection to the file at `path`."""

    async def connect() -> InlineSqlite:
        connector = partial(sqlite3.connect, path, timeout=0, isolation_level=None, check_same_thread=False)
        return await InlineSqlite(connector, 64)

    return connect


def begin_immediate(connection: InlineSqlite) -> None:
    """BEGIN IMMEDIATE, waiting (without blocking the loop) while another process writes.

    Runs inside SQLAlchemy's greenlet, where `await_only` may wait on the event loop.
    """
    deadline = time.monotonic() + BUSY_WAIT
    delay = 0.001
    while True:
        try:
            connection._conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                raise
        await_only(asyncio.sleep(delay))
        delay = min(delay * 2, 0.05)
