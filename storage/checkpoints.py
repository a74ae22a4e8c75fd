"""SQLite's WAL checkpoints, off the request path.

By default SQLite copies the WAL back into the database file (a checkpoint, which syncs both
files) inside the commit that brings the WAL past 1,000 pages: with the connections running on
the event loop's thread (`storage.sqlite_inline`), that commit, and every request waiting behind
it, stalls for the copy and the syncs, one message in a hundred or so. The serving process
therefore switches that off for its own connections (`Database.checkpoint_in_background`) and
runs a PASSIVE checkpoint every `INTERVAL` on a connection of its own, in a worker thread.
A PASSIVE checkpoint takes no lock a writer or reader waits for: it copies what no reader still
needs, and the next writer starts the WAL over once all of it was copied.

Nothing about durability changes: a commit is in the WAL either way, and a WAL not yet copied
is replayed when the database is next opened. Other processes (`bpu-bot chat`, the CLI) keep
SQLite's automatic checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from storage.db import Database, sqlite_file

log = logging.getLogger(__name__)

INTERVAL = 1.0
"""Seconds between two background checkpoints (the WAL grows by a few hundred pages at most)."""


class _Checkpointer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def run(self) -> tuple[int, int, int]:
        """(busy, WAL pages, pages copied) of one PASSIVE checkpoint; in a worker thread."""
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
        busy, pages, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(pages), int(copied)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def run_checkpoints(db: Database, stop: asyncio.Event, *, interval: float = INTERVAL) -> None:
    """Until `stop`: a PASSIVE checkpoint of the service's SQLite file every `interval` seconds
    (nothing on PostgreSQL, nor for an in-memory database)."""
    path = sqlite_file(db.url) if db.is_sqlite else None
    if path is None:
        return
    checkpointer = _Checkpointer(path)
    try:
        while not stop.is_set():
            try:
                await asyncio.to_thread(checkpointer.run)
            except sqlite3.Error as exc:  # busy or away now and then: the next round copies it
                log.info("background checkpoint skipped (%s)", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await asyncio.to_thread(checkpointer.close)
