"""The outbox sender: delivers committed replies, per channel, within the platform's limits.

One process sends each channel (bot/leader.py elects it; the others stand by and take over
within seconds when it dies). Its loop reads due rows (replies before notifications before
broadcasts) into per-chat queues, and one task per chat sends them in order, waiting for the
chat's spacing and the channel's overall window.

Delivery is at least once, and a duplicate is narrowed to what was in flight at a crash: a
row is marked "sending" in its own transaction right before its attempt, and the outcome is
written right after. Rows found "sending" by a newly elected sender were cut off mid-attempt:
they go out again first (the person may get those, at most one per chat, twice). Rows only
queued in memory were never marked, so a restart simply reads them again, in order.

Transient failures are retried with capped backoff for `GIVE_UP_AFTER` (two days: long
enough for an operator to renew an expired token); only a permanent failure, or a message
still undeliverable after that, is failed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import OutgoingMessage, SendResult, Transport
from bot.leader import Leadership
from bot.ratelimit import ChatSpacing, SlidingWindow
from storage import queries
from storage.db import Database
from storage.models import OutboxMessage
from storage.types import utcnow

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=48)
MAX_BACKOFF = 600.0
IDLE_POLL = 1.0

# The outbox status an attempt's outcome leaves the row in.
_STATUS = {"sent": "sent", "retry": "pending", "wait": "waiting", "unreachable": "failed", "failed": "failed"}


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts`: 2, 4, 8, … up to ten minutes, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0 ** min(max(1, attempts), 16))
    return base * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class _Started:
    message: OutgoingMessage
    created_at: datetime
    contact_id: int | None


class ChannelSender:
    """Delivers one channel's outbox rows, while this process is the channel's elected sender."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 100,
        max_in_flight: int = 500,
        window: SlidingWindow | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.channel = transport.channel
        self.clock = clock
        self.batch = batch
        self.max_in_flight = max_in_flight
        self.window = window or SlidingWindow(max(1, int(transport.limits.overall_per_second)))
        self.spacing = ChatSpacing(transport.limits.per_chat_interval)
        self.leadership = Leadership(db, f"sender-{self.channel}")
        self.wakeup = asyncio.Event()
        self.recovered = 0
        """Rows found cut off mid-attempt when this process took over (sent again)."""
        self._queues: dict[str, list[OutboxMessage]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._extra_slots: dict[str, int] = {}
        self._gate = asyncio.Lock()

    @property
    def leading(self) -> bool:
        return self.leadership.held

    async def pace(self, chat_id: str) -> None:
        """Waits as for a new message to the chat, for the second and later parts of one row."""
        self.spacing.sent(chat_id)
        await self.spacing.wait(chat_id)
        await self.window.acquire()
        self._extra_slots[chat_id] = self._extra_slots.get(chat_id, 0) + 1

    def wake(self) -> None:
        self.wakeup.set()

    async def deliver_now(self, chat_id: str) -> None:
        """Sends one chat's due rows and returns when they are out: the terminal chat, whose own
        process is the only one sending to it (no election). A row an earlier process for the
        chat was killed in the middle of goes again first."""
        async with self.db.transaction(urgent=True) as session:
            await queries.recover_sending(session, self.channel, self.clock(), chat_id=chat_id)
        while await self.claim(chat_id):
            await asyncio.gather(*list(self._tasks.values()))

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while await self.leadership.wait(stop):
                await self._lead(stop)
        finally:
            await self._stop_chats()
            await self.leadership.release()

    async def _lead(self, stop: asyncio.Event) -> None:
        """Sends while this process holds the channel's lock."""
        try:
            async with self.db.transaction(urgent=True) as session:
                self.recovered += await queries.recover_sending(session, self.channel, self.clock())
        except Exception:
            log.exception("recovering %s rows cut off mid-send failed", self.channel)
        checked = self.clock()
        while not stop.is_set():
            if (self.clock() - checked).total_seconds() >= IDLE_POLL:
                checked = self.clock()
                if not await self.leadership.still_held():
                    await self._stop_chats()
                    return
            try:
                claimed = await self.claim()
            except Exception:
                log.exception("reading %s outbox rows failed", self.channel)
                claimed = 0
            if claimed == 0:
                await self._idle(stop)

    async def _stop_chats(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._queues.clear()

    async def _idle(self, stop: asyncio.Event) -> None:
        self.wakeup.clear()
        waiters = {asyncio.ensure_future(self.wakeup.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=IDLE_POLL, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()

    async def claim(self, chat_id: str | None = None) -> int:
        """Reads due rows (of one chat, if given) into the per-chat queues; returns how many."""
        room = self.max_in_flight - sum(len(q) for q in self._queues.values())
        if room <= 0:
            return 0
        async with self.db.reader() as session:
            rows = await queries.claim_due(
                session,
                self.channel,
                self.clock(),
                min(self.batch, room),
                skip_chats=set(self._queues),
                chat_id=chat_id,
            )
        for row in rows:
            self._queues.setdefault(row.chat_id, []).append(row)
            if row.chat_id not in self._tasks:
                self._tasks[row.chat_id] = asyncio.create_task(self._drain_chat(row.chat_id))
        return len(rows)

    async def _drain_chat(self, chat_id: str) -> None:
        try:
            queue = self._queues[chat_id]
            while queue:
                await self.spacing.wait(chat_id)
                async with self._gate:  # sends leave in the order chats got here, best priority first
                    await self.window.acquire()
                    try:
                        message = await self._start(queue[0])
                    except BaseException:
                        self.window.release()
                        raise
                try:
                    result = await self._attempt(message) if message is not None else None
                finally:
                    self.window.release(1 + self._extra_slots.pop(chat_id, 0))
                    self.spacing.sent(chat_id)
                queue.pop(0)
                if result is not None and result.kind in ("unreachable", "retry"):
                    # Unreachable: nothing more goes to them. Retry: the chat's later rows wait
                    # behind this one (claim_due leaves them until it is done).
                    queue.clear()
        finally:
            self._queues.pop(chat_id, None)
            self._tasks.pop(chat_id, None)
            self.spacing.forget(chat_id)
            self.wake()

    async def _start(self, row: OutboxMessage) -> _Started | None:
        """Marks the row "sending"; None when it is no longer to be sent (erased meanwhile)."""
        async with self.db.transaction(urgent=True) as session:
            started = await queries.start_attempt(session, row.id or 0, self.clock())
            if started is None:
                return None
            fresh, contact = started
            message = OutgoingMessage(
                id=fresh.id or 0,
                chat_id=fresh.chat_id,
                payload=fresh.payload,
                priority=fresh.priority,
                attempts=fresh.attempts,
                contact_last_inbound_at=contact.last_inbound_at if contact else None,
                reply_keyboard_at=contact.reply_keyboard_at if contact else None,
            )
            return _Started(message, fresh.created_at, fresh.contact_id)

    async def _attempt(self, started: _Started) -> SendResult:
        """One delivery attempt of a row marked "sending"; its outcome written back."""
        message = started.message
        try:
            result = await self.transport.send(message, self.pace)
        except Exception as exc:  # a transport bug or an unexpected network error
            log.exception("%s transport raised on outbox row %s", self.channel, message.id)
            result = SendResult("retry", error=f"{type(exc).__name__}: {exc}")
        await self._record(message, result, started.created_at, started.contact_id)
        return result

    async def _record(
        self, message: OutgoingMessage, result: SendResult, created_at: datetime, contact_id: int | None
    ) -> None:
        """Writes the attempt onto the row."""
        now = self.clock()
        if result.slow_down and result.retry_after:
            self.window.pause(result.retry_after)
        kind = result.kind
        retry_at: datetime | None = None
        error = result.error
        if kind == "retry" and now - created_at < GIVE_UP_AFTER:
            delay = result.retry_after if result.retry_after is not None else backoff(message.attempts)
            if result.retry_after is not None:
                self.spacing.hold(message.chat_id, delay)
            retry_at = now + timedelta(seconds=delay)
        elif kind == "retry":
            kind = "failed"
            error = f"gave up after {GIVE_UP_AFTER.total_seconds() / 3600:.0f} h: {error or 'retry'}"
        async with self.db.transaction(urgent=True) as session:
            await queries.record_attempt(
                session,
                message.id,
                status=_STATUS[kind],
                now=now,
                outcome=kind,
                error=error,
                next_attempt_at=retry_at,
                platform_message_id=result.platform_message_id,
            )
            if kind == "unreachable":
                await queries.mark_contact_unreachable(session, self.channel, message.chat_id, now)
            if result.reply_keyboard is not None and contact_id is not None:
                shown = now if result.reply_keyboard == "shown" else None
                await queries.set_reply_keyboard(session, contact_id, shown)


class OutboxSender:
    """Runs one ChannelSender per configured transport."""

    def __init__(
        self,
        db: Database,
        transports: Iterable[Transport],
        windows: Mapping[str, SlidingWindow] | None = None,
        **options: object,
    ) -> None:
        windows = windows or {}
        self.channels = {
            t.channel: ChannelSender(db, t, window=windows.get(t.channel), **options)  # type: ignore[arg-type]
            for t in transports
        }

    def wake(self, channel: str) -> None:
        sender = self.channels.get(channel)
        if sender is not None:
            sender.wake()

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(sender.run(stop) for sender in self.channels.values()))
