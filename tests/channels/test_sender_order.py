"""The sender keeps a chat's order across retries, and a row handed back untried keeps its attempts.

Found by the Telegram load test: rows of a chat not yet leased when an earlier row got a 429
went out before it, and a long backlog behind repeated 429s used up its attempts unsent.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.channels.base import SendResult
from bot.sender.channel import ChannelSender
from handlers.types import Priority
from storage.db import Database
from storage.models import OutboxMessage
from tests.channels.test_sender import RecordingTransport, enqueue, run_until_done


async def test_rows_not_yet_leased_wait_for_an_earlier_retry(db: Database) -> None:
    transport = RecordingTransport(script={"first": [SendResult("retry", error="500")]})  # backoff ~2 s
    await enqueue(
        db, [("a", "first", Priority.REPLY), ("a", "second", Priority.REPLY), ("a", "third", Priority.REPLY)]
    )
    await run_until_done(ChannelSender(db, transport, batch=1), db)  # one row leased at a time
    assert [text for _, _, text in transport.calls] == ["first", "first", "second", "third"]


async def test_a_backlog_behind_many_retries_is_not_failed_unsent(db: Database) -> None:
    retried = 11  # more retries than the ten attempts rows once had in all
    texts = [f"m{i:02d}" for i in range(retried + 3)]
    transport = RecordingTransport(
        script={t: [SendResult("retry", retry_after=0.05, error="429")] for t in texts[:retried]}
    )
    await enqueue(db, [("busy", t, Priority.REPLY) for t in texts])
    await run_until_done(ChannelSender(db, transport), db, limit=60)
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert [r.status for r in rows] == ["sent"] * len(texts)
    assert all(r.attempts == len(r.attempt_log) for r in rows)
    sent = [text for _, _, text in transport.calls]
    assert sorted(set(sent)) == texts and sent == sorted(sent)
