"""The engine's transaction: all or nothing, exactly once, in order."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import func, select

from handlers.app import build_router
from handlers.engine import Engine
from handlers.router import Router
from handlers.turn import Turn
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from tests.support.helpers import VAULT, Chat, FixedClock


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def conversation_of(db: Database, chat_id: str) -> Conversation | None:
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat_id))).first()
        return None if contact is None else await session.get(Conversation, contact.id)


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class CrashingRouter(Router):
    """Runs the real routing, then dies before the engine can commit."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(build_router().flows)
        self.error = error

    async def dispatch(self, turn: Turn) -> None:
        await super().dispatch(turn)
        turn.contact.announcements = True
        raise self.error


async def test_a_crash_before_commit_leaves_nothing(db: Database, clock: FixedClock, chat: Chat) -> None:
    await chat.send("iuran")  # the person is in the calculator, asked for the income
    before = await conversation_of(db, chat.chat_id)
    outbox_before = await count(db, OutboxMessage)

    crashing = Chat(
        db, Engine(db, CrashingRouter(SimulatedCrash()), vault=VAULT, clock=clock), chat_id=chat.chat_id
    )
    inbound = crashing.inbound("2jt")
    with pytest.raises(SimulatedCrash):
        await crashing.engine.handle(inbound)

    after = await conversation_of(db, chat.chat_id)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data, after.version) == (
        before.flow,
        before.step,
        before.data,
        before.version,
    )
    assert await count(db, OutboxMessage) == outbox_before
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
        assert contact.announcements is False
        ids = (await session.exec(select(ProcessedInbound.message_id))).all()
    assert inbound.message_id not in ids

    # The platform redelivers the same message after the restart: now it is processed.
    outcome = await chat.deliver(inbound)
    assert not outcome.duplicate
    assert "Ojek" in " ".join(o.label for o in outcome.replies[-1].options)


async def test_the_same_inbound_id_twice_changes_nothing(db: Database, chat: Chat) -> None:
    inbound = chat.inbound("iuran")
    first = await chat.deliver(inbound)
    state = await conversation_of(db, chat.chat_id)
    outbox = await count(db, OutboxMessage)

    second = await chat.deliver(inbound)

    assert not first.duplicate and first.replies
    assert second.duplicate and not second.replies
    again = await conversation_of(db, chat.chat_id)
    assert state is not None and again is not None and again.version == state.version
    assert await count(db, OutboxMessage) == outbox
    assert await count(db, ProcessedInbound) == 1


async def test_two_concurrent_messages_from_one_person_apply_in_order(db: Database, chat: Chat) -> None:
    await chat.send("iuran")
    # Sent together: the income, then the choice of work that only makes sense after it.
    first, second = chat.inbound("2jt"), chat.inbound("2")
    outcomes = await asyncio.gather(chat.engine.handle(first), chat.engine.handle(second))
    assert all(not o.duplicate for o in outcomes)
    result = outcomes[1].replies[0].text
    assert "Rp13.400" in result and "Rp26.800" in result
    state = await conversation_of(db, chat.chat_id)
    assert state is not None and state.step == "result" and state.version == 3


async def test_two_engines_on_one_database_lose_no_update(db_url: str, clock: FixedClock) -> None:
    """Two web workers: each message is applied once and none overwrites the other."""
    dbs = [Database(db_url), Database(db_url)]
    try:
        engines = [Engine(d, build_router(), vault=VAULT, clock=clock) for d in dbs]
        chats = [Chat(d, e, chat_id="628111") for d, e in zip(dbs, engines, strict=True)]
        await asyncio.gather(*(chats[i % 2].send("jkk") for i in range(10)))
        state = await conversation_of(dbs[0], "628111")
        assert state is not None and state.version == 10
        assert await count(dbs[0], ProcessedInbound) == 10
        assert await count(dbs[0], Contact) == 1
    finally:
        for d in dbs:
            await d.dispose()


class BuggyRouter(Router):
    async def dispatch(self, turn: Turn) -> None:
        raise RuntimeError("a bug in a handler")


async def test_a_handler_bug_gets_an_apology_and_keeps_the_state(
    db: Database, clock: FixedClock, chat: Chat
) -> None:
    await chat.send("iuran")
    before = await conversation_of(db, chat.chat_id)
    buggy = Chat(db, Engine(db, BuggyRouter({}), vault=VAULT, clock=clock), chat_id=chat.chat_id)
    inbound = buggy.inbound("2jt")
    outcome = await buggy.deliver(inbound)
    assert outcome.failed and "gangguan" in outcome.replies[0].text
    after = await conversation_of(db, chat.chat_id)
    assert before is not None and after is not None and after.data == before.data
    # Not redelivered forever: the poison message counts as processed.
    assert (await buggy.deliver(inbound)).duplicate


async def test_messages_waiting_for_the_window_go_out_when_the_person_writes(
    db: Database, chat: Chat
) -> None:
    await chat.send("halo")
    async with db.transaction() as session:
        row = (await session.exec(select(OutboxMessage))).first()
        assert row is not None
        row.status = "waiting"  # a notification held because the 24-hour window had closed
        waiting_id = row.id
    await chat.send("menu")
    async with db.reader() as session:
        row = await session.get(OutboxMessage, waiting_id)
    assert row is not None and row.status == "pending"
