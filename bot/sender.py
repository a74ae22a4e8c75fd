"""The outbox sender: delivers committed replies, per channel, within the platform's limits.

Each channel has one loop. It leases due rows (replies before notifications before
broadcasts), queues them per chat, and one task per chat sends them in order, waiting for
the chat's spacing and the channel's overall window (counted from when answers come back, so
the platform never sees more than its limit in any second). Every attempt's outcome is written
back to its row. Rows of a chat still being worked on are not leased again.

A broadcast row is marked `sending` just before its platform call, and only if it is still
`pending`: a row paused, cancelled or held for quiet hours after it was leased is skipped, and
one a crash leaves `sending` is never sent again (dashboard.service.broadcasts closes it).
Replies and notifications keep at-least-once delivery.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import OutgoingMessage, SendResult, Transport
from bot.ratelimit import ChatSpacing, SettledWindow
from handlers.types import Priority
from storage import queries
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10
STOP_GRACE = 30.0
MAX_BATCHED_WRITES = 200
T = TypeVar("T")
MAX_GATE = 50
"""Broadcast rows marked `sending` and not yet answered, at most (fewer than the HTTP pools)."""
MAX_BACKOFF = 600.0
IDLE_POLL = 1.0

# The outbox status an attempt's outcome leaves the row in.
_STATUS = {"sent": "sent", "retry": "pending", "wait": "waiting", "unreachable": "failed", "failed": "failed"}


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts`: 2, 4, 8, … up to ten minutes, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0 ** max(1, attempts))
    return base * random.uniform(0.8, 1.2)


class BatchedWrites:
    """Runs small writes in shared transactions: those that arrive while one commits go together.

    The first write starts at once; the writes queued meanwhile commit in the next transaction,
    so a busy sender pays one commit for many rows and an idle one waits for nothing. A failed
    transaction fails every write in it.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queued: list[tuple[Callable[[AsyncSession], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((work, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:MAX_BATCHED_WRITES], self._queued[MAX_BATCHED_WRITES:]
                try:
                    async with self.db.transaction() as session:
                        results = [await work(session) for work, _ in batch]
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), result in zip(batch, results, strict=True):
                        if not future.done():
                            future.set_result(result)
        finally:
            self._flushing = None


class ChannelSender:
    """Delivers one channel's outbox rows."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 100,
        max_in_flight: int = 500,
    ) -> None:
        self.db = db
        self.transport = transport
        self.channel = transport.channel
        self.clock = clock
        self.batch = batch
        self.max_in_flight = max_in_flight
        self.window = SettledWindow(max(1, int(transport.limits.overall_per_second)))
        self.spacing = ChatSpacing(transport.limits.per_chat_interval)
        self.wakeup = asyncio.Event()
        self._writes = BatchedWrites(db)
        self._sending: set[asyncio.Future[tuple[SendResult, datetime | None]]] = set()
        self._gate = asyncio.Semaphore(max(1, min(int(transport.limits.overall_per_second), MAX_GATE)))
        self._queues: dict[str, list[OutgoingMessage]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._held: dict[str, datetime] = {}
        """Chats whose earliest row waits for a retry: their later rows wait too, to keep the order."""
        use_pacer = getattr(transport, "use_pacer", None)
        if use_pacer is not None:  # the transport may send one row as several messages
            use_pacer(self.pace)

    async def pace(self, chat_id: str) -> None:
        """Waits as for a new message to the chat, for the second and later parts of one row."""
        self.window.release()  # the previous part was answered
        self.spacing.sent(chat_id)
        await self.spacing.wait(chat_id)
        await self.window.acquire()

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                claimed = await self.claim()
            except Exception:
                log.exception("claiming %s outbox rows failed", self.channel)
                claimed = 0
            if claimed == 0:
                await self._idle(stop)
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._sending:  # broadcast rows marked `sending`: their answers are recorded first
            await asyncio.wait(self._sending, timeout=STOP_GRACE)

    async def _idle(self, stop: asyncio.Event) -> None:
        self.wakeup.clear()
        waiters = {asyncio.ensure_future(self.wakeup.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=IDLE_POLL, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()

    async def claim(self) -> int:
        """Leases due rows into the per-chat queues; returns how many were taken."""
        room = self.max_in_flight - sum(len(q) for q in self._queues.values())
        if room <= 0:
            return 0
        now = self.clock()
        lease = max(LEASE, timedelta(seconds=self.spacing.interval))
        self._held = {chat: until for chat, until in self._held.items() if until > now}
        async with self.db.transaction() as session:
            rows = await queries.claim_due(
                session,
                self.channel,
                now,
                min(self.batch, room),
                lease,
                skip_chats=set(self._queues) | set(self._held),
            )
            messages = [
                OutgoingMessage(
                    id=row.id or 0,
                    chat_id=row.chat_id,
                    payload=row.payload,
                    priority=row.priority,
                    attempts=row.attempts,
                    contact_last_inbound_at=last_inbound,
                )
                for row, last_inbound in rows
            ]
        for message in messages:
            self._queues.setdefault(message.chat_id, []).append(message)
            if message.chat_id not in self._tasks:
                self._tasks[message.chat_id] = asyncio.create_task(self._drain_chat(message.chat_id))
        return len(messages)

    async def _drain_chat(self, chat_id: str) -> None:
        try:
            queue = self._queues[chat_id]
            while queue:
                message = queue[0]
                await self.spacing.wait(chat_id)
                if message.priority >= Priority.BROADCAST:
                    sent = await self._broadcast(message)
                    if sent is None:
                        queue.pop(0)  # paused, cancelled or held for quiet hours since it was leased
                        continue
                    result, retry_at = sent
                else:
                    await self.window.acquire()
                    result, retry_at = await self._attempt(message)
                self.spacing.sent(chat_id)
                queue.pop(0)
                if result.kind == "unreachable":
                    queue.clear()
                elif retry_at is not None:
                    # Later rows of this chat wait for the retried one, keeping the order: those
                    # leased go back, those still in the table are not leased before it is due.
                    self._held[chat_id] = retry_at
                    if queue:
                        await self._release([m.id for m in queue], retry_at)
                        queue.clear()
        finally:
            self._queues.pop(chat_id, None)
            self._tasks.pop(chat_id, None)
            self.spacing.forget(chat_id)
            self.wake()

    async def _broadcast(self, message: OutgoingMessage) -> tuple[SendResult, datetime | None] | None:
        """Marks a broadcast row `sending` (if it is still pending), then sends it; None if not.

        The mark comes before the rate window, so the time a database write takes never falls
        between a window slot and its request (bunching requests past the limit); the gate
        keeps the rows marked but not yet answered to about one second's worth.
        """
        async with self._gate:
            lease_until = self.clock() + LEASE
            if not await self._writes.run(lambda s: queries.begin_sending(s, message.id, lease_until)):
                return None
            # Once marked, a stop waits for the answer (see run), rather than leave it unknown.
            sending = asyncio.ensure_future(self._send_marked(message))
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)
            return await asyncio.shield(sending)

    async def _send_marked(self, message: OutgoingMessage) -> tuple[SendResult, datetime | None]:
        await self.window.acquire()
        return await self._attempt(message)

    async def _release(self, message_ids: list[int], at: datetime) -> None:
        async with self.db.transaction() as session:
            await queries.release(session, message_ids, at)

    async def _attempt(self, message: OutgoingMessage) -> tuple[SendResult, datetime | None]:
        try:
            result = await self.transport.send(message)
        except Exception as exc:  # a transport bug or an unexpected network error
            log.exception("%s transport raised on outbox row %s", self.channel, message.id)
            result = SendResult("retry", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.window.release()
        return result, await self._record(message, result)

    async def _record(self, message: OutgoingMessage, result: SendResult) -> datetime | None:
        """Writes the attempt onto the row; returns when it will be retried, if it will."""
        now = self.clock()
        if result.slow_down and result.retry_after:
            self.window.pause(result.retry_after)
        kind = result.kind
        retry_at: datetime | None = None
        if kind == "retry" and message.attempts < MAX_ATTEMPTS:
            delay = result.retry_after if result.retry_after is not None else backoff(message.attempts)
            if result.retry_after is not None:
                self.spacing.hold(message.chat_id, delay)
            retry_at = now + timedelta(seconds=delay)
        elif kind == "retry":
            kind = "failed"

        async def write(session: AsyncSession) -> None:
            await queries.record_attempt(
                session,
                message.id,
                status=_STATUS[kind],
                now=now,
                outcome=kind,
                error=result.error or ("too many attempts" if kind == "failed" else None),
                next_attempt_at=retry_at,
                platform_message_id=result.platform_message_id,
            )
            if kind == "unreachable":
                await queries.mark_contact_unreachable(session, self.channel, message.chat_id, now)

        await self._writes.run(write)
        return retry_at


class OutboxSender:
    """Runs one ChannelSender per configured transport."""

    def __init__(self, db: Database, transports: Iterable[Transport], **options: object) -> None:
        self.channels = {t.channel: ChannelSender(db, t, **options) for t in transports}  # type: ignore[arg-type]

    def wake(self, channel: str) -> None:
        sender = self.channels.get(channel)
        if sender is not None:
            sender.wake()

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(sender.run(stop) for sender in self.channels.values()))
