"""The sender after a crash, through long outages, over many chats, and at the platform's limit.

A restart resumes a chat's replies within seconds and in order; only the row in flight at the
crash can come twice; transient failures are retried for two days; idle chats leave no
state behind; the phone keyboard's state lives in the database; the overall limit holds at
the platform however slow the requests are.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta

import httpx
from sqlmodel import col, select

from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.ratelimit import ChatSpacing, SlidingWindow
from bot.sender.channel import ChannelSender
from bot.sender.outcomes import GIVE_UP_AFTER
from bot.service import build_service
from bot.settings import Settings
from bot.web import create_app
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.whatsapp import whatsapp_settings
from handlers.types import Priority
from storage import outbox
from storage.db import Database
from storage.models import Contact, OutboxMessage
from storage.types import utcnow
from tests.channels.test_sender import RecordingTransport, enqueue, run_until_done
from tests.support.broadcast_harness import max_in_window


class HangingTransport(RecordingTransport):
    """Sends normally, but never answers for `hang_on`: the process dies during that send."""

    def __init__(self, hang_on: str) -> None:
        super().__init__(limits=RateLimits(overall_per_second=30, per_chat_interval=0.05))
        self.hang_on = hang_on
        self.hanging = asyncio.Event()

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        if message.payload["text"] == self.hang_on:
            self.calls.append((time.monotonic(), message.chat_id, message.payload["text"]))
            self.hanging.set()
            await asyncio.Event().wait()
        return await super().send(message, pace)


async def test_a_restarted_sender_resumes_a_chat_within_seconds_and_in_order(db: Database) -> None:
    texts = [f"r{i}" for i in range(6)]
    await enqueue(db, [("chat", t, Priority.REPLY) for t in texts])
    first = HangingTransport(hang_on="r2")
    stop = asyncio.Event()
    dying = asyncio.create_task(ChannelSender(db, first).run(stop))
    await asyncio.wait_for(first.hanging.wait(), 10)
    dying.cancel()  # the process dies in the middle of sending r2
    await asyncio.gather(dying, return_exceptions=True)

    second = RecordingTransport(limits=RateLimits(overall_per_second=30, per_chat_interval=0.05))
    started = time.monotonic()
    sender = ChannelSender(db, second)
    await run_until_done(sender, db, limit=30)
    took = time.monotonic() - started

    delivered = [text for _, _, text in first.calls if text != "r2"] + [t for _, _, t in second.calls]
    assert delivered == texts, delivered  # in order, the cut-off r2 first
    assert took < 10, f"the restarted sender needed {took:.1f} s"
    assert sender.recovered == 1  # only the row in flight at the crash could come twice
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert [r.status for r in rows] == ["sent"] * len(texts)


class FastForward:
    """A wall clock running 13 minutes per tenth of a second: each retry's wait (at most ten
    minutes and its jitter) is over by the sender's next look."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self.offset += timedelta(minutes=13)


async def test_a_transient_outage_of_hours_is_retried_not_failed(db: Database) -> None:
    clock = FastForward()
    outage = [SendResult("retry", error="401 token expired (an operator renews it)")] * 15
    transport = RecordingTransport(script={"after the outage": list(outage)})
    await enqueue(db, [("a", "after the outage", Priority.REPLY)])
    ticking = asyncio.create_task(clock.run())
    try:
        await run_until_done(ChannelSender(db, transport, clock=clock), db, limit=60)
    finally:
        ticking.cancel()
    async with db.reader() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert clock.offset > timedelta(hours=2)
    assert row.status == "sent" and row.attempts == 16, (row.status, row.attempts)


async def test_only_what_cannot_succeed_is_failed(db: Database) -> None:
    transport = RecordingTransport(
        script={"old": [SendResult("retry", error="500")], "bad": [SendResult("failed", error="400")]}
    )
    await enqueue(db, [("a", "old", Priority.REPLY), ("b", "bad", Priority.REPLY)])
    async with db.transaction() as session:
        for row in (await session.exec(select(OutboxMessage))).all():
            if row.payload["text"] == "old":
                row.created_at = utcnow() - GIVE_UP_AFTER - timedelta(minutes=1)
    await run_until_done(ChannelSender(db, transport), db)
    async with db.reader() as session:
        rows = {r.payload["text"]: r for r in (await session.exec(select(OutboxMessage))).all()}
    assert rows["bad"].status == "failed" and rows["old"].status == "failed"
    assert "gave up after 48 h" in (rows["old"].last_error or "")


async def test_the_backlog_shows_in_healthz_and_metrics(db_url: str) -> None:
    service = build_service(whatsapp_settings(db_url))
    async with service.db.transaction() as session:
        for index in range(3):
            outbox.enqueue(
                session,
                channel="whatsapp",
                chat_id=f"62800{index}",
                contact_id=None,
                payload={"text": "x"},
                priority=0,
                now=utcnow() - timedelta(minutes=30),
            )
    transport = httpx.ASGITransport(app=create_app(service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            health = (await client.get("/healthz")).json()
            metrics = (await client.get("/metrics")).text
    finally:
        await service.close()
    assert health["outbox"]["whatsapp"]["undelivered"] == 3
    assert health["outbox"]["whatsapp"]["oldest_seconds"] >= 1800
    assert 'bpu_outbox_backlog{channel="whatsapp"} 3.0' in metrics
    assert 'bpu_outbox_oldest_undelivered_seconds{channel="whatsapp"}' in metrics


def test_idle_chats_leave_no_spacing_state_behind() -> None:
    now = [0.0]
    spacing = ChatSpacing(1.0, clock=lambda: now[0])
    for chat in range(20_000):
        spacing.sent(f"chat{chat}")
        now[0] += 0.01
    now[0] += 5
    spacing.sent("last")
    assert len(spacing) <= 2


async def test_the_phone_keyboard_comes_down_after_a_restart(db: Database) -> None:
    """The keyboard's state is on the contact, so a new process (or another) still knows it."""
    with FakeTelegram() as fake:
        async with db.transaction() as session:
            person = await outbox.lock_contact(session, "telegram", "601")
            person.last_inbound_at = utcnow() - timedelta(minutes=1)
            contact_id = person.id
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id="601",
                contact_id=contact_id,
                payload={"text": "Nomor HP?", "options": [], "ask_phone": True},
                priority=0,
                now=utcnow(),
            )

        async def deliver() -> None:
            bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_url=fake.url))
            transport = TelegramTransport(bot, RateLimits(overall_per_second=30, per_chat_interval=0.05))
            try:
                await run_until_done(ChannelSender(db, transport), db)
            finally:
                await bot.session.close()

        await deliver()
        async with db.transaction() as session:  # the person answered; then the bot restarts
            found = await session.get(Contact, contact_id)
            assert found is not None and found.reply_keyboard_at is not None
            person = found
            person.last_inbound_at = utcnow() + timedelta(seconds=1)
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id="601",
                contact_id=contact_id,
                payload={"text": "Terima kasih", "options": [], "ask_phone": False},
                priority=0,
                now=utcnow(),
            )
        await deliver()
        assert fake.sent(601)[-1].params["reply_markup"] == {"remove_keyboard": True}
        async with db.reader() as session:
            after = await session.get(Contact, contact_id)
        assert after is not None and after.reply_keyboard_at is None


async def test_the_overall_limit_holds_at_the_platform_however_slow_the_requests() -> None:
    """Requests take 0-300 ms to arrive: counted until answered, no second holds more than the limit."""
    window = SlidingWindow(10)
    arrivals: list[float] = []
    rng = random.Random(7)

    async def send() -> None:
        await window.acquire()
        try:
            await asyncio.sleep(rng.uniform(0, 0.3))
            arrivals.append(time.monotonic())
            await asyncio.sleep(rng.uniform(0, 0.05))
        finally:
            window.release()

    await asyncio.gather(*(send() for _ in range(60)))
    busiest = max_in_window(arrivals)
    assert busiest <= 10, busiest


async def test_a_backlog_leaves_evenly_not_in_a_burst_each_second() -> None:
    """30 sends waiting on a 30/s window start about 1/30 s apart (one may catch up a slot the
    loop was late for): the sender's work is spread over the second instead of landing on the
    webhooks all at once. An upper bound on bunching, whatever the machine's speed."""
    window = SlidingWindow(30)
    starts: list[float] = []

    async def send() -> None:
        await window.acquire()
        starts.append(time.monotonic())
        window.release()

    await asyncio.gather(*(send() for _ in range(30)))
    most_in_100ms = max_in_window(starts, seconds=0.1)
    assert most_in_100ms <= int(0.1 / window.gap) + 2, (most_in_100ms, window.gap)


async def test_a_sender_taking_over_leaves_its_predecessors_window_alone(db: Database) -> None:
    """The first sender fills its 10-per-second window and dies; the lock is free at once, and
    the second takes over with a backlog. Counted at the platform, no second holds more than 10
    of the two senders' requests together: the second waits out the window the first may have
    used, which lived in the dead process's memory."""
    limits = RateLimits(overall_per_second=10, per_chat_interval=0.0)
    await enqueue(db, [(f"chat{i}", f"m{i}", Priority.REPLY) for i in range(40)])
    first = RecordingTransport(limits=limits)
    stop = asyncio.Event()
    dying = asyncio.create_task(ChannelSender(db, first).run(stop))
    deadline = time.monotonic() + 10
    while len(first.calls) < 15 and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter, polled
        await asyncio.sleep(0.01)
    dying.cancel()  # the process dies; the lock goes with it
    await asyncio.gather(dying, return_exceptions=True)
    assert len(first.calls) >= 15, "the first sender did not get going"

    second = RecordingTransport(limits=limits)
    await run_until_done(ChannelSender(db, second), db, limit=30)

    busiest = max_in_window([at for at, _, _ in first.calls + second.calls])
    assert second.calls, "the second sender sent nothing"
    assert busiest <= 10, busiest
