"""SQLite: inbound messages queued for the writer share one commit, and lose nothing by it.

`Database.transaction(grouped=True)` (what the engine uses for a message's turn) runs each unit
of work in a savepoint of a transaction the queued joiners share; the last one commits for all
(`storage.sqlite_writer`). These tests hold what the callers rely on: a unit of work returns
only once it is committed; one that fails takes only its own writes back; a failed commit fails
every member; a writer that did not ask to join never runs inside someone else's group; and a
group never grows past `GROUP_MAX`. PostgreSQL commits each transaction itself: they skip there.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage.db import Database, sqlite_file
from storage.errors import TransientError
from storage.models import Contact
from storage.sqlite_writer import GROUP_MAX
from storage.types import utcnow


@pytest.fixture
async def sqlite_db(db: Database) -> AsyncIterator[Database]:
    if not db.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL commits each transaction itself")
    yield db


def _count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _connection: commits.append(1))
    return commits


def _stored_chats(db: Database) -> set[str]:
    """What another connection sees: only what was committed."""
    path = sqlite_file(db.url)
    assert path is not None
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT chat_id FROM contact")}


async def _member(
    db: Database, chat_id: str, *, hold: asyncio.Event | None = None, fail: bool = False
) -> set[str]:
    """Writes a contact in a grouped unit of work; returns what was committed when it returned."""
    async with db.transaction(grouped=True) as session:
        session.add(Contact(channel="test", chat_id=chat_id, created_at=utcnow()))
        await session.flush()
        if hold is not None:
            await hold.wait()
        if fail:
            raise ValueError("this message's work failed")
    return _stored_chats(db)


async def _queued_behind(first: asyncio.Task[Any], others: list[asyncio.Task[Any]]) -> None:
    """Until every task of `others` waits for the writer that `first` holds."""
    for _ in range(20):
        await asyncio.sleep(0.005)
    assert not first.done() and not any(task.done() for task in others)


async def test_queued_messages_share_one_commit_and_each_returns_once_committed(sqlite_db: Database) -> None:
    commits = _count_commits(sqlite_db)
    hold = asyncio.Event()
    first = asyncio.create_task(_member(sqlite_db, "c0", hold=hold))
    await asyncio.sleep(0.01)
    others = [asyncio.create_task(_member(sqlite_db, f"c{n}")) for n in range(1, 5)]
    await _queued_behind(first, others)
    hold.set()
    seen = await asyncio.gather(first, *others)
    everyone = {f"c{n}" for n in range(5)}
    assert all(committed == everyone for committed in seen)  # none returned before the commit
    assert len(commits) == 1


async def test_a_failed_message_takes_back_only_its_own_writes(sqlite_db: Database) -> None:
    hold = asyncio.Event()
    first = asyncio.create_task(_member(sqlite_db, "ok1", hold=hold))
    await asyncio.sleep(0.01)
    failing = asyncio.create_task(_member(sqlite_db, "bad", fail=True))
    last = asyncio.create_task(_member(sqlite_db, "ok2"))
    await _queued_behind(first, [failing, last])
    hold.set()
    results = await asyncio.gather(first, failing, last, return_exceptions=True)
    assert isinstance(results[1], ValueError)
    assert _stored_chats(sqlite_db) == {"ok1", "ok2"}


async def test_when_the_groups_first_message_fails_the_next_ones_still_commit(sqlite_db: Database) -> None:
    """The first member runs without a savepoint (rolling back the transaction takes back its
    writes alone); the messages queued behind it start a group of their own."""
    hold = asyncio.Event()
    failing = asyncio.create_task(_member(sqlite_db, "bad", hold=hold, fail=True))
    await asyncio.sleep(0.01)
    others = [asyncio.create_task(_member(sqlite_db, name)) for name in ("ok1", "ok2")]
    await _queued_behind(failing, others)
    hold.set()
    results = await asyncio.gather(failing, *others, return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert results[1:] == [{"ok1", "ok2"}, {"ok1", "ok2"}]


async def test_when_sqlite_drops_the_shared_transaction_every_member_fails(sqlite_db: Database) -> None:
    """An error that ends the whole transaction (a full disk) loses the members' work: each of
    them raises a transient error (the platform sends the message again), none returns."""
    hold = asyncio.Event()
    first = asyncio.create_task(_member(sqlite_db, "lost1", hold=hold))
    await asyncio.sleep(0.01)

    async def drops_the_transaction() -> None:
        async with sqlite_db.transaction(grouped=True) as session:
            connection = await session.connection()
            await connection.exec_driver_sql("ROLLBACK")  # as SQLite does on SQLITE_FULL or SQLITE_IOERR

    dropping = asyncio.create_task(drops_the_transaction())
    await _queued_behind(first, [dropping])
    hold.set()
    results = await asyncio.gather(first, dropping, return_exceptions=True)
    assert isinstance(results[0], TransientError)
    assert _stored_chats(sqlite_db) == set()
    assert await _member(sqlite_db, "after") == {"after"}  # the writer is free and works again


async def test_a_writer_that_does_not_join_finds_the_group_committed(sqlite_db: Database) -> None:
    hold = asyncio.Event()
    first = asyncio.create_task(_member(sqlite_db, "g1", hold=hold))
    await asyncio.sleep(0.01)

    async def not_joining() -> set[str]:
        async with sqlite_db.transaction() as session:
            await session.exec(select(Contact.id))
            return _stored_chats(sqlite_db)  # inside its own transaction: the group is durable

    outsider = asyncio.create_task(not_joining())
    await asyncio.sleep(0.01)
    joiner = asyncio.create_task(_member(sqlite_db, "g2"))
    await _queued_behind(first, [outsider, joiner])
    hold.set()
    first_saw, outsider_saw, _joiner_saw = await asyncio.gather(first, outsider, joiner)
    assert first_saw == {"g1"} and outsider_saw == {"g1"}  # g2 queued behind it: a group of its own


async def test_a_group_takes_at_most_group_max_members(sqlite_db: Database) -> None:
    commits = _count_commits(sqlite_db)
    hold = asyncio.Event()
    first = asyncio.create_task(_member(sqlite_db, "m0", hold=hold))
    await asyncio.sleep(0.01)
    others = [asyncio.create_task(_member(sqlite_db, f"m{n}")) for n in range(1, GROUP_MAX + 3)]
    await _queued_behind(first, others)
    hold.set()
    await asyncio.gather(first, *others)
    assert len(commits) == 2
    assert len(_stored_chats(sqlite_db)) == GROUP_MAX + 3
