"""SQLite's write-ahead log copied back into the database file on a thread, off the event loop.

In WAL mode a commit appends the changed pages to the `-wal` file; a checkpoint copies them into
the database file and syncs both. SQLite runs one itself inside the commit that takes the log past
`wal_autocheckpoint` pages, and our commits run on the event loop's thread
(`storage.sqlite_inline`): every few hundred messages one of them stalled every request in
flight for the milliseconds of copying and syncing (the p99 of `bench.compare`).

`run_checkpoints` (started by `bpu-bot serve`) instead runs a PASSIVE checkpoint every second on
a connection of its own, in a worker thread: it copies what no reader still needs, never waits
for a lock and never blocks a writer; the next writer then starts the log from its beginning. The
commit's own checkpoint stays as a backstop at `AUTOCHECKPOINT_PAGES` (for a process that runs
no checkpointer, such as `bpu-bot chat`, and in case this one falls behind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0
AUTOCHECKPOINT_PAGES = 50_000
"""~200 MB of log, which the log file may reach on disk. The log starts again from its beginning
only when a writer finds it all copied and no reader still in it; under a sustained ~340
messages a second (`bench.compare`, ~20 pages a message) that is not every second, and at 10,000
pages (~40 MB) the backstop ran on the event loop's thread about once a second, each time with
3-8 ms of `fdatasync` (`strace -k`: 14 calls under `sqlite3WalDefaultHook` in 14 s; 3 at 50,000).
The p99 of `bench.compare` on SQLite went from 20.6-24.1 ms to 8.9-16.9 ms (alternating runs)."""


async def run_checkpoints(path: Path, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    """Checkpoints the database at `path` every `every` seconds until `stop` is set."""
    connection = await asyncio.to_thread(_connect, path)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            try:
                await asyncio.to_thread(_checkpoint, connection)
            except sqlite3.Error as error:  # the next round tries again; the backstop remains
                log.warning("WAL checkpoint failed (%s)", error)
    finally:
        await asyncio.to_thread(connection.close)


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def _checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """(1 if it could not finish, pages in the log, pages copied)."""
    busy, in_log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(in_log), int(copied)
