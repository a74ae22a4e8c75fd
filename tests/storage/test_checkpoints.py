"""The serving process copies SQLite's WAL back in a worker thread (storage/checkpoints.py),
not inside a commit: its connections have the automatic checkpoint off, other processes' keep
it, and the background round copies every committed page."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from storage.checkpoints import _Checkpointer, run_checkpoints
from storage.db import Database


async def _autocheckpoint(db: Database) -> int:
    async with db.transaction() as session:
        value = (await session.exec(text("PRAGMA wal_autocheckpoint"))).scalar_one()  # type: ignore[call-overload]
        return int(value)


async def _write_rows(db: Database, count: int) -> None:
    async with db.transaction() as session:
        await session.exec(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))  # type: ignore[call-overload]
        rows = [{"body": f"{n:06d}" * 600} for n in range(count)]
        await session.exec(text("INSERT INTO filler (body) VALUES (:body)"), params=rows)  # type: ignore[call-overload]


async def test_only_the_serving_database_leaves_checkpoints_to_the_background(tmp_path: Path) -> None:
    plain = Database(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    serving = Database(f"sqlite+aiosqlite:///{tmp_path / 'serving.db'}")
    serving.checkpoint_in_background()
    try:
        assert await _autocheckpoint(plain) == 1000  # SQLite's default
        assert await _autocheckpoint(serving) == 0
    finally:
        await plain.dispose()
        await serving.dispose()


async def test_the_background_round_copies_the_wal_back(tmp_path: Path) -> None:
    path = tmp_path / "serving.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    db.checkpoint_in_background()
    try:
        await _write_rows(db, 1500)  # ~2,300 pages: past the automatic threshold, which is off
        peek = _Checkpointer(path)
        try:
            before = path.stat().st_size
            stop = asyncio.Event()
            task = asyncio.create_task(run_checkpoints(db, stop, interval=0.05))
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.wait_for(task, 5)
            busy, pages, copied = peek.run()
        finally:
            peek.close()
        assert before < 100 * 4096  # the rows were only in the WAL
        assert busy == 0 and pages > 1000 and copied == pages  # all of it copied back...
        assert path.stat().st_size > 500 * 4096  # ...into the main file
    finally:
        await db.dispose()
