"""SQLite's write-ahead log copied back into the database file on a thread, off the event loop.

In WAL mode a commit appends the changed pages to the `-wal` file; a checkpoint copies them into
the database file and syncs both. SQLite runs one itself inside the commit that takes the log past
`wal_autocheckpoint` pages, and our commits run on the event loop's thread
(`storage.sqlite_inline`): every few hundred messages one of them stalled every request in
flight for the milliseconds of copying and syncing (the p99 of `bench.compare`).

`run_checkpoints` (started by `bpu-bot serve`) instead runs a PASSIVE checkpoint every second on
a connection of its own, in a worker thread: it copies what no reader still needs, never waits
for a lock and never blocks a writer. The commit's own checkpoint stays as a backstop at
`AUTOCHECKPOINT_PAGES` (for a process that runs no checkpointer, such as `bpu-bot chat`, and in
case this one falls behind).

A writer starts the log from its beginning again only if, when it begins, every frame has been
copied. Under sustained writes a PASSIVE pass never ends in such a moment: the commits made while
it copied are still in the log. So the log grew until the backstop, and from then on every commit
on the event loop checkpointed and synced. When the log holds `RESTART_FRAMES` or more after the
PASSIVE pass, a RESTART checkpoint follows: it holds off new writers while it copies the few
frames written meanwhile (writers wait in `storage.sqlite_inline.begin_immediate`, without
blocking the loop), waits at most `RESTART_WAIT_MS` for readers, and the next writer starts the
log again. Under `bench.stalls` at 324 updates/s the `-wal` file then peaked at 100-104 MB instead
of 196 MB, and the event loop's thread no longer blocked on the disk inside long callbacks (0
times in two runs, against 30-150 in seven before); `bench.compare`'s throughput and p99 stayed
within their noise (eight alternating pairs). The file keeps its size and is written over from its
beginning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0
RESTART_FRAMES = 8_000
"""Frames (~32 MB) left in the log after a PASSIVE pass from which a RESTART pass follows: about a
second of writes at `bench.compare`'s full speed, so that under light load nothing waits."""
RESTART_WAIT_MS = 5
"""How long the RESTART pass waits for a writer or a reader to finish (SQLite's busy timeout on
the checkpointer's connection; a PASSIVE pass never waits)."""
AUTOCHECKPOINT_PAGES = 50_000
"""The backstop, ~200 MB of log (a serving process's RESTART passes keep its log far below it).
Before those passes, the log under a sustained ~340 messages a second (`bench.compare`, ~20 pages
a message) started again only now and then, and at 10,000 pages (~40 MB) the backstop ran on the
event loop's thread about once a second, each time with 3-8 ms of `fdatasync` (`strace -k`: 14
calls under `sqlite3WalDefaultHook` in 14 s; 3 at 50,000). The p99 of `bench.compare` on SQLite
went from 20.6-24.1 ms to 8.9-16.9 ms (alternating runs)."""


async def run_checkpoints(
    path: Path, stop: asyncio.Event, every: float = EVERY_SECONDS, restart_frames: int = RESTART_FRAMES
) -> None:
    """Checkpoints the database at `path` every `every` seconds until `stop` is set."""
    connection = await asyncio.to_thread(_connect, path)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            try:
                await asyncio.to_thread(_checkpoint, connection, restart_frames)
            except sqlite3.Error as error:  # the next round tries again; the backstop remains
                log.warning("WAL checkpoint failed (%s)", error)
    finally:
        await asyncio.to_thread(connection.close)


def _connect(path: Path) -> sqlite3.Connection:
    wait = RESTART_WAIT_MS / 1000
    return sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)


def _checkpoint(connection: sqlite3.Connection, restart_frames: int) -> tuple[int, int, int]:
    """(1 if it could not finish, frames in the log, frames copied), of the last pass run."""
    busy, in_log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if not busy and in_log >= restart_frames:
        busy, in_log, copied = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
    return int(busy), int(in_log), int(copied)
