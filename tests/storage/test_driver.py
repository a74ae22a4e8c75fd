"""Statements run on the driver (`storage/driver.py`) write and read what the ORM does.

The hot path compiles SQLAlchemy Core statements once and runs them on sqlite3 or asyncpg
directly, with SQLAlchemy's own type processing. These tests hold that a row written that way
reads back the same through the ORM (times, JSON, defaults the statement carries), that the
engine's statement listeners still see each statement (the text guard refuses a NUL), and
that a time written by the ORM reads back the same through the driver.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.driver import Driver, DriverStatement
from storage.models import Contact, Conversation
from storage.text_guard import UnstorableText

KEYS = ("channel", "chat_id", "created_at")
AT = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


async def test_a_row_written_on_the_driver_reads_back_through_the_orm(db: Database) -> None:
    contact = Contact.__table__  # type: ignore[attr-defined]
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    keys = KEYS  # announcements and language: the columns' defaults

    def write(sync: Session) -> int:
        connection = sync.connection()
        driver = Driver(connection)
        statement = DriverStatement.compile(insert(contact).returning(contact.c.id), connection.dialect, keys)
        new_id = int(driver.one(statement, {"channel": "test", "chat_id": "42", "created_at": AT})["id"])
        state = DriverStatement.compile(insert(conversation), connection.dialect, _STATE_KEYS)
        data = {"nik": "3577014708850001", "daftar": [1, "dua", None], "teks": "Bu Siti \u00e9"}
        row = {"contact_id": new_id, "flow": "enrol", "step": "nik", "data": data, "version": 1}
        driver.many(state, [{**row, "updated_at": AT}])
        return new_id

    async with db.transaction() as session:
        new_id = await session.run_sync(write)
    async with db.reader() as session:
        stored = await session.get(Contact, new_id)
        saved = await session.get(Conversation, new_id)
    assert stored is not None and saved is not None
    assert (stored.created_at, stored.announcements, stored.language) == (AT, False, "id")
    assert saved.data == {"nik": "3577014708850001", "daftar": [1, "dua", None], "teks": "Bu Siti \u00e9"}
    assert saved.updated_at == AT


_STATE_KEYS = ("contact_id", "flow", "step", "data", "version", "updated_at")


async def test_a_time_written_by_the_orm_reads_back_on_the_driver(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Contact(channel="test", chat_id="7", created_at=AT))
    contact = Contact.__table__  # type: ignore[attr-defined]

    def read(sync: Session) -> dict[str, object]:
        connection = sync.connection()
        query = select(contact.c.created_at, contact.c.language).where(contact.c.chat_id == "7")
        statement = DriverStatement.compile(query, connection.dialect)
        return Driver(connection).one(statement, {})

    async with db.transaction() as session:
        assert await session.run_sync(read) == {"created_at": AT, "language": "id"}


async def test_the_text_guard_sees_driver_statements(db: Database) -> None:
    contact = Contact.__table__  # type: ignore[attr-defined]

    def write(sync: Session) -> None:
        connection = sync.connection()
        statement = DriverStatement.compile(insert(contact), connection.dialect, KEYS)
        Driver(connection).run(statement, {"channel": "test", "chat_id": "a\x00b", "created_at": AT})

    with pytest.raises(UnstorableText):
        async with db.transaction() as session:
            await session.run_sync(write)
    async with db.reader() as session:
        assert (await session.exec(select(Contact))).all() == []  # type: ignore[call-overload]


def test_a_default_computed_per_row_must_be_given() -> None:
    """A statement carries constant defaults; one that a function computes per row is refused."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table
    from sqlalchemy.dialects import sqlite

    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("kind", String, default="x"),
        Column("at", DateTime, default=lambda: AT),
    )
    given = DriverStatement.compile(insert(table), sqlite.dialect(), ("id", "at"))
    assert given.arguments({"id": 1, "at": None}) == (1, "x", None)  # in the order of the columns
    with pytest.raises(ValueError, match="at: give its value"):
        DriverStatement.compile(insert(table), sqlite.dialect(), ("id",))
    literal = DriverStatement.compile(
        update(table).values(kind="y").where(table.c.id == bindparam("id")), sqlite.dialect()
    )
    assert literal.arguments({"id": 1, "kind": "from a caller"}) == ("y", 1)  # the statement's own value
