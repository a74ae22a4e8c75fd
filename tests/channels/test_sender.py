"""The outbox sender over a real database, with a recording transport standing in for a platform.

The platform adapters' own tests (Telegram, WhatsApp) run the same sender against fake
HTTP servers; these tests pin the sender's rules: order, limits, retries, outcomes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import col, select

from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.sender.channel import ChannelSender
from handlers.types import Priority
from storage import outbox
from storage.db import Database
from storage.models import Contact, OutboxMessage
from storage.types import utcnow


@dataclass
class RecordingTransport:
    channel: str = "test"
    limits: RateLimits = field(
        default_factory=lambda: RateLimits(overall_per_second=20, per_chat_interval=0.2)
    )
    calls: list[tuple[float, str, str]] = field(default_factory=list)
    script: dict[str, list[SendResult]] = field(default_factory=dict)
    """Results to give, in order, for texts; after that every send succeeds."""

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        self.calls.append((time.monotonic(), message.chat_id, message.payload["text"]))
        planned = self.script.get(message.payload["text"])
        if planned:
            return planned.pop(0)
        return SendResult("sent", platform_message_id=f"p{len(self.calls)}")

    async def aclose(self) -> None:
        return None


async def enqueue(db: Database, items: list[tuple[str, str, Priority]]) -> None:
    async with db.transaction() as session:
        for chat_id, text, priority in items:
            outbox.enqueue(
                session,
                channel="test",
                chat_id=chat_id,
                contact_id=None,
                payload={"text": text, "options": []},
                priority=priority,
                now=utcnow(),
            )


async def run_until_done(sender: ChannelSender, db: Database, limit: float = 30) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        async with db.reader() as session:
            query = select(OutboxMessage).where(col(OutboxMessage.status).in_(["pending", "sending"]))
            left = (await session.exec(query)).all()
        if not left:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task


async def statuses(db: Database) -> dict[str, str]:
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return {r.payload["text"]: r.status for r in rows}


async def test_delivers_each_message_once_in_order_within_the_limits(db: Database) -> None:
    transport = RecordingTransport()
    await enqueue(db, [(f"chat{i % 5}", f"m{i}", Priority.REPLY) for i in range(40)])
    await run_until_done(ChannelSender(db, transport), db)

    texts = [text for _, _, text in transport.calls]
    assert sorted(texts) == sorted(f"m{i}" for i in range(40))  # each exactly once
    by_chat: dict[str, list[float]] = defaultdict(list)
    texts_by_chat: dict[str, list[str]] = defaultdict(list)
    for at, chat_id, text in transport.calls:
        by_chat[chat_id].append(at)
        texts_by_chat[chat_id].append(text)
    for chat_texts in texts_by_chat.values():
        assert chat_texts == sorted(chat_texts, key=lambda t: int(t[1:]))
    for times in by_chat.values():
        assert all(b - a >= 0.2 for a, b in itertools.pairwise(times))
    all_times = sorted(at for at, _, _ in transport.calls)
    assert all(all_times[i + 20] - all_times[i] >= 1.0 for i in range(len(all_times) - 20))
    assert set((await statuses(db)).values()) == {"sent"}


async def test_replies_go_before_notifications_and_broadcasts(db: Database) -> None:
    transport = RecordingTransport()
    await enqueue(
        db,
        [
            ("a", "broadcast", Priority.BROADCAST),
            ("b", "notification", Priority.NOTIFICATION),
            ("c", "reply", Priority.REPLY),
        ],
    )
    await run_until_done(ChannelSender(db, transport), db)
    assert [text for _, _, text in transport.calls] == ["reply", "notification", "broadcast"]


async def test_retry_after_is_honoured_and_order_kept(db: Database) -> None:
    transport = RecordingTransport(script={"first": [SendResult("retry", retry_after=1.0, error="429")]})
    await enqueue(db, [("a", "first", Priority.REPLY), ("a", "second", Priority.REPLY)])
    await run_until_done(ChannelSender(db, transport), db)
    calls = [(at, text) for at, _, text in transport.calls]
    assert [text for _, text in calls] == ["first", "first", "second"]
    assert calls[1][0] - calls[0][0] >= 1.0
    async with db.reader() as session:
        row = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "a"))).first()
    assert row is not None and [a["outcome"] for a in row.attempt_log] == ["retry", "sent"]


async def test_unreachable_contact_stops_further_sends(db: Database) -> None:
    async with db.transaction() as session:
        contact = await outbox.lock_contact(session, "test", "blocked")
        contact_id = contact.id
        for text in ("one", "two", "three"):
            outbox.enqueue(
                session,
                channel="test",
                chat_id="blocked",
                contact_id=contact_id,
                payload={"text": text},
                priority=0,
                now=utcnow(),
            )
    transport = RecordingTransport(script={"one": [SendResult("unreachable", error="403 blocked")]})
    await run_until_done(ChannelSender(db, transport), db)
    assert [text for _, _, text in transport.calls] == ["one"]
    assert set((await statuses(db)).values()) == {"failed"}
    async with db.reader() as session:
        assert (await session.get(Contact, contact_id)).unreachable_at is not None  # type: ignore[union-attr]


async def test_permanent_failure_and_waiting_are_recorded(db: Database) -> None:
    transport = RecordingTransport(
        script={
            "bad": [SendResult("failed", error="400 chat not found")],
            "later": [SendResult("wait", error="no template configured")],
        }
    )
    await enqueue(db, [("x", "bad", Priority.REPLY), ("y", "later", Priority.NOTIFICATION)])
    await run_until_done(ChannelSender(db, transport), db)
    assert await statuses(db) == {"bad": "failed", "later": "waiting"}
