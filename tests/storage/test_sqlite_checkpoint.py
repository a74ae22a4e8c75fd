"""The WAL reaches the database file by the background checkpointer, not by a commit.

`bpu-bot serve` checkpoints SQLite's log on a thread every second (`storage/sqlite_checkpoint.py`)
and leaves the commit's own checkpoint as a backstop at 50,000 pages. What a commit wrote is
then in the `-wal` file only, until the checkpointer copies it into the database file.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from storage.sqlite_checkpoint import AUTOCHECKPOINT_PAGES


def rows_in_the_file_alone(path: Path, folder: Path) -> int:
    """Rows of `t` in the database file without its WAL (a copy of the main file only)."""
    alone = folder / "alone.db"
    shutil.copyfile(path, alone)
    with sqlite3.connect(alone) as connection:
        found = connection.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone()
        return 0 if found is None else int(connection.execute("SELECT count(*) FROM t").fetchone()[0])


async def write_rows(db: Database, count: int) -> None:
    async with db.transaction() as session:
        await session.exec(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"))  # type: ignore[call-overload]
    for n in range(count):
        async with db.transaction() as session:
            await session.exec(text("INSERT INTO t (v) VALUES (:v)"), params={"v": "x" * 500 + str(n)})  # type: ignore[call-overload]


async def test_commits_leave_the_copying_to_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await write_rows(db, 300)
        async with db.reader() as session:
            limit = (await session.exec(text("PRAGMA wal_autocheckpoint"))).one()[0]  # type: ignore[call-overload]
        assert limit == AUTOCHECKPOINT_PAGES
        assert rows_in_the_file_alone(path, tmp_path) == 0, "no commit checkpointed on the loop"

        stop = asyncio.Event()
        checkpoints = asyncio.create_task(db.run_checkpoints(stop))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if rows_in_the_file_alone(path, tmp_path) == 300:
                break
        await write_rows(db, 10)  # writers go on beside it
        stop.set()
        await asyncio.wait_for(checkpoints, timeout=5)
        assert rows_in_the_file_alone(path, tmp_path) >= 300
    finally:
        await db.dispose()


async def test_postgresql_has_nothing_to_checkpoint() -> None:
    stop = asyncio.Event()
    stop.set()
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected to
    await asyncio.wait_for(db.run_checkpoints(stop), timeout=1)
    await db.dispose()
