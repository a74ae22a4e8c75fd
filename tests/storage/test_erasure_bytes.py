"""`hapus data` reaches the bytes: after the erasure commits, the summary the bot sent (name,
phone, address in clear) is in neither SQLite file, the main one nor its WAL (secure_delete
zeroes freed pages, and a checkpoint empties the WAL); on PostgreSQL no row holds it."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import Database, sqlite_file
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.helpers import Chat

ADDRESS = "Jl. Merpati 12 RT 03/RW 05"


def raw_bytes(db: Database) -> bytes:
    path = sqlite_file(db.url)
    assert path is not None
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def rows_mentioning(db: Database, needle: str) -> int:
    async with db.reader() as session:
        query = text("SELECT count(*) FROM outbox WHERE CAST(payload AS TEXT) LIKE :n")
        return int((await session.exec(query, params={"n": f"%{needle}%"})).one()[0])  # type: ignore[call-overload]


async def test_hapus_data_leaves_nothing_in_the_files_or_rows(db: Database, chat: Chat) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    assert await rows_mentioning(db, ADDRESS) >= 1
    if db.is_sqlite:
        assert ADDRESS.encode() in raw_bytes(db)  # in clear before the erasure
    await chat.say("hapus data")
    await chat.say("ya")
    assert await rows_mentioning(db, ADDRESS) == 0
    if db.is_sqlite:
        assert ADDRESS.encode() not in raw_bytes(db)
