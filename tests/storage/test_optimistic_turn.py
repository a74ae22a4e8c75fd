"""PostgreSQL's optimistic turn (`storage.conversation.peek_turn`): a message as two statements
outside a transaction, the second writing only over the contact's row as the first read it.

What must hold: an ordinary message is two statements and no BEGIN or COMMIT (three with a NIK
look-up); a new person's first message is one transaction, contact and conversation; a writer that
changed the person in between makes the save write nothing; the engine then takes the message
again in a transaction, as it does when the turn's work used the database; and a message
delivered twice at once is applied once. SQLite has no such turn (its one writer already makes
a turn a transaction of its own): PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, update
from sqlmodel import col, select

from handlers.app import build_router
from handlers.engine import Engine
from handlers.turn import Turn
from handlers.types import Inbound
from storage import conversation
from storage.contact_lock import lock_contacts
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from tests.support.backoffice_helpers import nik_for, seed
from tests.support.helpers import VAULT
from tests.support.pg_locks import postgres_only

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CHAT = "7401"


def _message(message_id: str, text: str = "halo") -> Inbound:
    return Inbound(channel="telegram", chat_id=CHAT, message_id=message_id, at=AT, text=text)


async def _say_hello(turn: Turn) -> None:
    turn.state.flow, turn.state.step = "test", "hello"
    turn.say("unreadable_text")


@contextmanager
def _queries(db: Database) -> Iterator[list[str]]:
    """The queries the engine's connections send, BEGIN and COMMIT included (asyncpg's own log)."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(" ".join(record.query.split())[:60])

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection._connection.add_query_logger(log)

    event.listen(db.engine.sync_engine, "connect", on_connect)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "connect", on_connect)


async def _count(db: Database, query: Any) -> int:
    async with db.reader() as session:
        return int((await session.exec(query)).one())


async def _written(db: Database) -> tuple[int, int, str | None]:
    """Replies queued, message ids recorded, and the conversation's step."""
    replies = await _count(db, select(func.count()).select_from(OutboxMessage))
    recorded = await _count(db, select(func.count()).select_from(ProcessedInbound))
    async with db.reader() as session:
        step = (await session.exec(select(Conversation.step))).first()
    return replies, recorded, step


@pytest.fixture
def engine(db: Database) -> Engine:
    return Engine(db, build_router(), vault=VAULT, clock=lambda: AT)


async def test_a_message_is_two_statements_without_begin_or_commit(db: Database, engine: Engine) -> None:
    postgres_only(db)
    await engine.handle(_message("m1"), _say_hello)  # the contact is new: created by the first
    await db.engine.dispose()  # the next connections are logged from their start
    with _queries(db) as sent:
        outcome = await engine.handle(_message("m2"), _say_hello)
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert len(sent) == 2, sent
    assert not any(query.upper().startswith(("BEGIN", "COMMIT")) for query in sent), sent
    assert engine.redone == 0
    assert await _written(db) == (2, 2, "hello")


async def test_a_new_persons_first_message_is_one_transaction(db: Database, engine: Engine) -> None:
    """The contact is created with its conversation, in one transaction: while the first
    message's work runs, another connection (a backup's, a report's) does not see the contact."""
    postgres_only(db)
    seen_during_the_work: list[int] = []

    async def work(turn: Turn) -> None:
        seen_during_the_work.append(await _count(db, select(func.count()).select_from(Contact)))
        await _say_hello(turn)

    with _queries(db) as sent:
        outcome = await engine.handle(_message("m1"), work)
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert seen_during_the_work == [0]
    assert sent[1:3] == ["BEGIN;", sent[2]] and "INSERT INTO contact" in sent[2], sent  # after the peek
    assert engine.redone == 0
    assert await _written(db) == (1, 1, "hello")


async def test_a_writer_between_the_opening_and_the_save_makes_the_save_write_nothing(db: Database) -> None:
    postgres_only(db)
    async with db.transaction() as session:
        contact, *_ = await conversation.open_turn(session, "telegram", CHAT, "m1", AT)
        await conversation.save_turn(session, contact, ("enrol", "a", {}), [], AT)
    assert contact.id is not None
    async with db.transaction() as session:
        peeked = await conversation.peek_turn(session, "telegram", CHAT, "m2")
        assert peeked is not None
        turn_contact, saved, _held, duplicate, peek = peeked
        assert saved is not None and saved.step == "a" and not duplicate
        # A reminder puts the conversation on its question meanwhile (it locks the contact first).
        async with db.transaction() as other:
            await lock_contacts(other, [contact.id])
            await other.exec(
                update(Conversation).where(col(Conversation.contact_id) == contact.id).values(step="reminded")
            )
        turn_contact.last_inbound_at = AT
        reply = ({"text": "lanjut"}, 0)
        with pytest.raises(conversation.TurnRedo):
            await conversation.save_turn(session, turn_contact, ("enrol", "b", {}), [reply], AT, peek=peek)
    # Nothing of the turn: no reply, its id not recorded, the reminder's step kept, the contact as it was.
    assert await _written(db) == (0, 1, "reminded")
    async with db.reader() as session:
        stored = await session.get(Contact, contact.id)
    assert stored is not None and stored.last_inbound_at is None


async def test_the_engine_takes_a_message_again_when_a_writer_came_first(
    db: Database, engine: Engine
) -> None:
    postgres_only(db)
    await engine.handle(_message("m1"), _say_hello)
    calls = 0

    async def work(turn: Turn) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:  # another writer changes the person while this turn runs
            async with db.transaction() as other:
                assert turn.contact.id is not None
                await lock_contacts(other, [turn.contact.id])
        await _say_hello(turn)

    # (Were the turn's opening to lock the contact, the other writer would wait for it: a deadlock.)
    outcome = await asyncio.wait_for(engine.handle(_message("m2"), work), timeout=30)
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert (calls, engine.redone) == (2, 1)
    assert await _written(db) == (2, 2, "hello")


async def test_a_turn_whose_work_reads_the_database_is_taken_in_a_transaction(
    db: Database, engine: Engine
) -> None:
    postgres_only(db)

    async def work(turn: Turn) -> None:
        await turn.store.submissions_of(turn.contact)
        await _say_hello(turn)

    await engine.handle(_message("m1"), _say_hello)  # the contact is new: a transaction at once
    outcome = await engine.handle(_message("m2"), work)
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert engine.redone == 1
    assert await _written(db) == (2, 2, "hello")


async def test_a_turn_that_looks_a_nik_up_stays_optimistic(db: Database, engine: Engine) -> None:
    """The NIK question asks the store whether the NIK has an open submission: a look-up alone
    runs outside a transaction, so the turn is three statements and taken once. When there is
    one, it is found (and the turn, which then loads it through the ORM, is taken again)."""
    postgres_only(db)
    reference = await seed(db, n=1)
    found: list[str | None] = []

    def asking(nik: str) -> Callable[[Turn], Awaitable[None]]:
        async def work(turn: Turn) -> None:
            submission = await turn.store.open_submission(turn.vault.keyed_hashes(nik))
            found.append(None if submission is None else submission.reference)
            await _say_hello(turn)

        return work

    await engine.handle(_message("m1"), _say_hello)  # the contact is new: created by the first
    await db.engine.dispose()  # the next connections are logged from their start
    with _queries(db) as sent:
        outcome = await engine.handle(_message("m2"), asking(nik_for(2)))
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert len(sent) == 3, sent
    assert not any(query.upper().startswith(("BEGIN", "COMMIT")) for query in sent), sent
    assert (found, engine.redone) == ([None], 0)

    outcome = await engine.handle(_message("m3"), asking(nik_for(1)))
    assert not outcome.duplicate and len(outcome.replies) == 1
    assert (found[-1], engine.redone) == (reference, 1)
    assert await _written(db) == (3, 3, "hello")


async def test_a_message_delivered_twice_at_once_is_applied_once(db: Database, db_url: str) -> None:
    """Two processes (an engine and a database each) get the same message: the second opens
    while the first is still in its work, then finishes first; the first finds it done."""
    postgres_only(db)
    other_db = Database(db_url)
    try:
        first, second = (
            Engine(db, build_router(), vault=VAULT, clock=lambda: AT),
            Engine(other_db, build_router(), vault=VAULT, clock=lambda: AT),
        )
        await first.handle(_message("m1"), _say_hello)
        in_work, second_done = asyncio.Event(), asyncio.Event()

        async def slow(turn: Turn) -> None:
            in_work.set()
            await second_done.wait()
            await _say_hello(turn)

        async def fast() -> Any:
            await in_work.wait()
            try:
                return await second.handle(_message("m2"), _say_hello)
            finally:
                second_done.set()

        # (Were the first's opening to lock the contact, the second would wait for it: a deadlock.)
        both = asyncio.gather(first.handle(_message("m2"), slow), fast())
        outcomes = await asyncio.wait_for(both, timeout=30)
        assert [o.duplicate for o in outcomes] == [True, False]
        assert first.redone == 1  # its save found the contact written: taken again, found done
        assert await _written(db) == (2, 2, "hello")
    finally:
        await other_db.dispose()


async def test_sqlite_has_no_optimistic_turn(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's side of the choice")
    async with db.transaction() as session:
        assert await conversation.peek_turn(session, "telegram", CHAT, "m1") is None
