"""The sender's read of due rows: each chat's next row, best priority first, through indexes; and
the sender's database work on PostgreSQL never waits behind the webhooks' connections."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from bot.sender.channel import ChannelSender
from handlers.types import Priority
from storage import outbox
from storage.db import POOL_SIZE, Database
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.channels.test_sender import RecordingTransport, enqueue, run_until_done
from tests.conftest import PG_URL


async def claim(db: Database, limit: int = 10, skip: set[str] | None = None) -> list[tuple[str, str]]:
    async with db.reader() as session:
        rows = await outbox.claim_due(session, "test", utcnow(), limit, skip_chats=skip or set())
    return [(row.chat_id, row.payload["text"]) for row in rows]


async def mark_sent(db: Database, texts: set[str]) -> None:
    async with db.transaction() as session:
        for row in (await session.exec(select(OutboxMessage))).all():
            if row.payload["text"] in texts:
                row.status = "sent"


async def test_the_claim_takes_each_chats_next_row_best_priority_first(db: Database) -> None:
    await enqueue(
        db,
        [
            ("a", "a1", Priority.REPLY),
            ("b", "b-broadcast", Priority.BROADCAST),
            ("a", "a2", Priority.REPLY),
            ("c", "c-notification", Priority.NOTIFICATION),
            ("b", "b-reply", Priority.REPLY),
        ],
    )
    # b's reply goes before b's older broadcast; a's second reply waits for its first.
    assert await claim(db) == [("a", "a1"), ("b", "b-reply"), ("c", "c-notification")]
    assert await claim(db, limit=2) == [("a", "a1"), ("b", "b-reply")]
    assert await claim(db, skip={"a"}) == [("b", "b-reply"), ("c", "c-notification")]
    await mark_sent(db, {"a1", "b-reply"})
    assert await claim(db) == [("a", "a2"), ("c", "c-notification"), ("b", "b-broadcast")]


async def test_a_chat_whose_next_row_waits_for_a_retry_gives_nothing(db: Database) -> None:
    await enqueue(
        db, [("a", "first", Priority.REPLY), ("a", "second", Priority.REPLY), ("b", "b1", Priority.REPLY)]
    )
    async with db.transaction() as session:
        for row in (await session.exec(select(OutboxMessage))).all():
            if row.payload["text"] == "first":  # a 429's retry, due in five minutes
                row.next_attempt_at = utcnow() + timedelta(minutes=5)
    assert await claim(db) == [("b", "b1")]


async def test_the_claim_reads_the_partial_indexes_not_the_backlog(db: Database) -> None:
    now = utcnow()
    rows: list[dict[str, object]] = [
        {
            "channel": "test",
            "chat_id": f"c{i}",
            "payload": {"text": "x"},
            "priority": int(Priority.BROADCAST),
            "status": "pending" if i % 4 else "sent",
            "attempts": 0,
            "attempt_log": [],
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in range(4000)
    ]
    async with db.transaction() as session:
        await session.exec(insert(OutboxMessage.__table__), params=rows)  # type: ignore[attr-defined]
        await session.exec(text("ANALYZE"))  # type: ignore[call-overload]
    statement = outbox._claim_statement(db.dialect, False, False).params(channel="test", now=now, limit=100)
    async with db.reader() as session:
        compiled = statement.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        explain = "EXPLAIN QUERY PLAN" if db.is_sqlite else "EXPLAIN"
        found = (await session.exec(text(f"{explain} {compiled}"))).all()  # type: ignore[call-overload]
    plan = " ".join(str(row[-1]) for row in found)
    assert "ix_outbox_claim" in plan, plan
    assert "ix_outbox_chat_head" in plan, plan
    assert "TEMP B-TREE" not in plan.upper() and "Sort" not in plan, plan  # no sort of the backlog


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's connection pool (SQLite has one writer, see WriteGate)")
async def test_the_sender_does_not_wait_for_the_webhooks_connections(db: Database) -> None:
    """Every connection of the main pool busy in a transaction (a storm of webhooks): the
    sender still takes the lead, marks, sends and records."""
    await enqueue(db, [(f"chat{i}", f"m{i}", Priority.REPLY) for i in range(5)])
    busy = Database(db.url)  # to watch the outbox from outside
    release = asyncio.Event()
    holding = 0

    # The service's own pool: the same Database object the sender uses, all of it taken.
    async def hold_main() -> None:
        nonlocal holding
        async with db.transaction() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            holding += 1
            await release.wait()

    pool_max = POOL_SIZE + db.engine.pool._max_overflow  # type: ignore[attr-defined]
    holders = [asyncio.create_task(hold_main()) for _ in range(pool_max)]
    try:
        while holding < pool_max:  # noqa: ASYNC110 - a counter, polled
            await asyncio.sleep(0.01)
        transport = RecordingTransport()
        started = time.monotonic()
        await run_until_done(ChannelSender(db, transport), busy, limit=20)
        took = time.monotonic() - started
    finally:
        release.set()
        await asyncio.gather(*holders)
        await busy.dispose()
    assert sorted(text for _, _, text in transport.calls) == [f"m{i}" for i in range(5)]
    assert took < 10, f"the sender waited {took:.1f} s for a connection"
