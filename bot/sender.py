"""The outbox sender: delivers committed replies, per channel, within the platform's limits.

One process sends each channel (bot/leader.py elects it; the others stand by and take over
within seconds when it dies). Its loop reads each chat's next due row (replies before
notifications before broadcasts) into memory, and one task per chat sends it, waiting for the
chat's spacing and the channel's overall window; the chat's next row is read once this one's
outcome is written.

Delivery guarantee: at least once, in order per chat, and a duplicate only for what was in
flight at a crash: at most one row per chat. A row is marked "sending" in a committed
transaction before its attempt, and its outcome is written right after; a chat's next row is
not started before that. Rows found "sending" by a newly elected sender were cut off
mid-attempt: they go out again first (the person may get those, at most one per chat, twice;
a broadcast row is closed instead, never sent twice). Rows only read into memory were never
marked, so a restart simply reads them again, in order, and the first of each chat leaves
within seconds of the restart (the claim takes each chat's head, not a whole backlog of one
chat before the next).

The window counts a send from its slot to its answer (bot/ratelimit.py), so a slot taken
before the marking transaction would be held, unused, for that transaction's time: at 30 ms a
send, 3% of the channel's rate. Rows are therefore marked a little ahead (`MARK_AHEAD`
seconds' worth of the rate, 20 rows at 200/s; 0.05 s left PostgreSQL
below 0.95 of the rate in `bench/broadcast.py`) and take their slots once marked. The price: a
crash can also cut off those few marked rows that had not left yet; replies among them go out
again (they never left, so no duplicate), broadcast rows among them are closed as interrupted
like the others. A graceful stop hands them all back.

The database work is batched (group commit): the rows whose turn came while one transaction
ran are marked "sending" together in the next, and the outcomes that came meanwhile are written
in that same transaction. The
claim is index-driven (see `storage.outbox.claim_due`): its cost follows the rows it returns,
not the backlog, so a broadcast of 100,000 rows goes out at the platform's limit. On
PostgreSQL the sender's transactions run on connections of their own, never queued behind
the webhooks' (see `storage.db.Database`).

Transient failures are retried with capped backoff for `GIVE_UP_AFTER` (two days: long
enough for an operator to renew an expired token); only a permanent failure, or a message
still undeliverable after that, is failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import OutgoingMessage, SendResult, Transport
from bot.leader import Leadership
from bot.ratelimit import ChatSpacing, SlidingWindow
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.types import utcnow

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=48)
MAX_BACKOFF = 600.0
IDLE_POLL = 1.0
CLAIM_INTERVAL = 0.05
"""Seconds between two claims while busy: wakes that come faster are read together."""
MARK_AHEAD = 0.1
"""Seconds of the channel's rate marked "sending" ahead of the window (see ChannelSender)."""

# The outbox status an attempt's outcome leaves the row in.
_STATUS = {"sent": "sent", "retry": "pending", "wait": "waiting", "unreachable": "failed", "failed": "failed"}

T = TypeVar("T")
R = TypeVar("R")


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts`: 2, 4, 8, … up to ten minutes, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0 ** min(max(1, attempts), 16))
    return base * random.uniform(0.8, 1.2)


class GroupCommit(Generic[T, R]):
    """Items put while a flush runs go together in the next flush: one transaction for many.

    `flush` gets the items in the order they were put and returns one result per item; a
    result that is an exception fails that item's future. A flush that raises fails them all.
    """

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R | Exception]]]) -> None:
        self._flush = flush
        self._items: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    def put(self, item: T) -> asyncio.Future[R]:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._items.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return future

    async def _run(self) -> None:
        while self._items:
            batch, self._items = self._items, []
            results: list[R | Exception]
            try:
                results = await self._flush([item for item, _ in batch])
            except Exception as exc:
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self, within: float = 10.0) -> None:
        """Lets what was put be written (for at most `within` seconds), then stops."""
        task = self._task
        if task is None or task.done():
            return
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), within)
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


class Turns:
    """One at a time, best priority first, then first come first served."""

    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def turn(self, priority: int) -> AsyncIterator[None]:
        if self._busy:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), waiter))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._next()  # handed the turn as it was cancelled: pass it on
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._next()

    def _next(self) -> None:
        while self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._busy = False


@dataclass(frozen=True)
class _Started:
    message: OutgoingMessage
    created_at: datetime
    contact_id: int | None
    attempt_log: list[dict[str, Any]]


@dataclass(frozen=True)
class _Record:
    outcome: outbox.Outcome
    chat_id: str
    unreachable: bool
    contact_id: int | None
    reply_keyboard: str | None


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
        # Rows in memory beyond two seconds' worth of the channel's rate only wait longer.
        self.max_in_flight = min(max_in_flight, max(20, int(2 * transport.limits.overall_per_second)))
        self.window = window or SlidingWindow(max(1, int(transport.limits.overall_per_second)))
        self.spacing = ChatSpacing(transport.limits.per_chat_interval)
        self.leadership = Leadership(db, f"sender-{self.channel}")
        self.wakeup = asyncio.Event()
        self.recovered = 0
        """Rows found cut off mid-attempt when this process took over (sent again)."""
        self._queues: dict[str, list[OutboxMessage]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._extra_slots: dict[str, int] = {}
        self._turns = Turns()
        self._ahead = asyncio.Semaphore(max(1, math.ceil(transport.limits.overall_per_second * MARK_AHEAD)))
        """Rows marked "sending" that wait for a window slot: enough to cover the marking
        transaction's time at the channel's rate, so the window is not held during it."""
        self._writes: GroupCommit[int | _Record, _Started | None] = GroupCommit(self._write_batch)
        """Rows to mark "sending" (their ids) and outcomes to record, in shared transactions."""
        self._unsent: set[int] = set()
        """Rows marked "sending" whose request has not left yet (handed back when stopping)."""

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
            await outbox.recover_sending(session, self.channel, self.clock(), chat_id=chat_id)
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
                recovered = await outbox.recover_sending(session, self.channel, self.clock())
            self.recovered += recovered
            log.info("%s: %d rows cut off mid-send are due again", self.channel, recovered)
        except Exception:
            log.exception("recovering %s rows cut off mid-send failed", self.channel)
        checked = time.monotonic()
        claimed_at = 0.0
        first = True
        while not stop.is_set():
            if time.monotonic() - checked >= IDLE_POLL:
                checked = time.monotonic()
                if not await self.leadership.still_held():
                    await self._stop_chats(hand_back=False)  # another process may own them now
                    return
            since = time.monotonic() - claimed_at
            if since < CLAIM_INTERVAL:
                await asyncio.sleep(CLAIM_INTERVAL - since)
            claimed_at = time.monotonic()
            try:
                claimed = await self.claim(least=max(1, min(self.batch, self.max_in_flight // 4)))
            except Exception:
                log.exception("reading %s outbox rows failed", self.channel)
                claimed = 0
            if first:
                log.info("%s: first read after taking over: %d rows", self.channel, claimed)
                first = False
            if claimed == 0:
                await self._idle(stop)

    async def _stop_chats(self, *, hand_back: bool = True) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._queues.clear()
        await self._writes.close()  # what was sent is written, if the database lets it
        unsent, self._unsent = sorted(self._unsent), set()
        if unsent and hand_back:  # marked but never tried: not cut off mid-send, so pending again
            try:
                async with self.db.transaction(urgent=True) as session:
                    await outbox.hand_back(session, unsent)
            except Exception:
                log.exception("handing back %d untried %s rows failed", len(unsent), self.channel)

    async def _idle(self, stop: asyncio.Event) -> None:
        self.wakeup.clear()
        waiters = {asyncio.ensure_future(self.wakeup.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=IDLE_POLL, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()

    async def claim(self, chat_id: str | None = None, least: int = 1) -> int:
        """Reads due rows (each chat's next; of one chat, if given) into memory; returns how
        many. Reads nothing while fewer than `least` rows would fit (chats are busy)."""
        room = self.max_in_flight - len(self._queues)
        if room <= 0 or (self._queues and room < least):
            return 0
        async with self.db.reader(urgent=True) as session:
            rows = await outbox.claim_due(
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
                row = queue[0]
                await self.spacing.wait(chat_id)
                # Rows are marked best priority first, then in the order chats got here, and
                # take their window slots in the order their marks committed.
                async with self._turns.turn(row.priority):
                    await self._ahead.acquire()
                    starting = self._writes.put(row.id or 0)
                try:
                    try:
                        started = await starting
                    except Exception as exc:  # the database is away: the row stays pending, read again
                        log.warning("%s: marking row %s sending failed (%s)", self.channel, row.id, exc)
                        return
                    if started is None:  # no longer to be sent (paused, cancelled, erased)
                        queue.pop(0)
                        continue
                    await self.window.acquire()
                finally:
                    self._ahead.release()
                result = await self._attempt(started)
                queue.pop(0)
                if result.kind in ("unreachable", "retry"):
                    # Unreachable: nothing more goes to them. Retry: the chat's later rows wait
                    # behind this one (claim_due leaves them until it is done).
                    queue.clear()
        finally:
            self._queues.pop(chat_id, None)
            self._tasks.pop(chat_id, None)
            self.spacing.forget(chat_id)
            self.wake()

    async def _write_batch(self, items: list[int | _Record]) -> list[_Started | Exception | None]:
        """Records outcomes and marks rows "sending", all in one transaction.

        A mark in a failed transaction is not tried again (its row stays pending and is read
        again); an outcome is, with backoff, until it is written or the sender stops: what was
        sent must be written. Outcomes go first: a chat's next row is marked only after its last
        outcome is written (its task waits for that), so never in the same batch.
        """
        records = [item for item in items if isinstance(item, _Record)]
        ids = [item for item in items if not isinstance(item, _Record)]
        failed: dict[int, Exception] = {}
        found: dict[int, Any] = {}
        failures = 0
        while True:
            try:
                async with self.db.transaction(urgent=True) as session:
                    if records:
                        await self._record(session, records)
                    found = await outbox.start_attempts(session, ids, self.clock()) if ids else {}
                break
            except Exception as exc:
                failed.update((message_id, exc) for message_id in ids)
                ids = []
                if not records:
                    break
                failures += 1
                log.warning("writing %d sender outcomes failed (%s); trying again", len(records), exc)
                await asyncio.sleep(min(5.0, 0.1 * 2**failures))
        results: list[_Started | Exception | None] = []
        for item in items:
            if isinstance(item, _Record):
                results.append(None)
            elif item in failed:
                results.append(failed[item])
            elif item not in found:
                results.append(None)  # no longer to be sent
            else:
                results.append(self._started(found[item]))
        return results

    def _started(self, row: Any) -> _Started:
        message = OutgoingMessage(
            id=row.id,
            chat_id=row.chat_id,
            payload=row.payload,
            priority=row.priority,
            attempts=row.attempts,
            contact_last_inbound_at=row.contact_last_inbound_at,
            reply_keyboard_at=row.contact_reply_keyboard_at,
        )
        self._unsent.add(message.id)
        return _Started(message, row.created_at, row.contact_id, list(row.attempt_log or []))

    async def _attempt(self, started: _Started) -> SendResult:
        """One delivery attempt of a row marked "sending"; its outcome written back before the
        chat's next row may start."""
        message = started.message
        self._unsent.discard(message.id)
        try:
            try:
                result = await self.transport.send(message, self.pace)
            finally:
                self.window.release(1 + self._extra_slots.pop(message.chat_id, 0))
                self.spacing.sent(message.chat_id)
        except Exception as exc:  # a transport bug or an unexpected network error
            log.exception("%s transport raised on outbox row %s", self.channel, message.id)
            result = SendResult("retry", error=f"{type(exc).__name__}: {exc}")
        await self._writes.put(self._outcome(started, result))
        return result

    def _outcome(self, started: _Started, result: SendResult) -> _Record:
        """What to write onto the row after an attempt."""
        message, created_at, contact_id = started.message, started.created_at, started.contact_id
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
        outcome = outbox.Outcome(
            message_id=message.id,
            status=_STATUS[kind],
            outcome=kind,
            attempt_log=started.attempt_log,
            error=error,
            next_attempt_at=retry_at,
            platform_message_id=result.platform_message_id,
        )
        return _Record(outcome, message.chat_id, kind == "unreachable", contact_id, result.reply_keyboard)

    async def _record(self, session: AsyncSession, records: Sequence[_Record]) -> None:
        """Writes several attempts' outcomes."""
        now = self.clock()
        await outbox.record_attempts(session, [r.outcome for r in records], now)
        for record in records:
            if record.unreachable:
                await outbox.mark_contact_unreachable(session, self.channel, record.chat_id, now)
            if record.reply_keyboard is not None and record.contact_id is not None:
                shown = now if record.reply_keyboard == "shown" else None
                await outbox.set_reply_keyboard(session, record.contact_id, shown)


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
