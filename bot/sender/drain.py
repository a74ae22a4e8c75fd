"""Sending one channel's rows within the platform's limits: a task per chat, each chat's rows
in order, every request in a slot of the channel's overall window and after the chat's spacing.

The window counts a send from its slot to its answer (bot/ratelimit.py), so a slot taken
before the marking transaction would be held, unused, for that transaction's time: at 30 ms a
send, 3% of the channel's rate. Rows are therefore marked a little ahead (`MARK_AHEAD`
seconds' worth of the rate, 20 rows at 200/s; 0.05 s left PostgreSQL below 0.95 of the rate
in `bench/broadcast.py`) and take their slots once marked. The price: a crash can also cut off
those few marked rows that had not left yet; replies among them go out again (they never left,
so no duplicate), broadcast rows among them are closed as interrupted like the others. A
graceful stop hands them all back.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime

from bot.channels.base import SendResult, Transport
from bot.ratelimit import ChatSpacing, SlidingWindow
from bot.sender.bookkeeping import Bookkeeping
from bot.sender.outcomes import Started, decide
from bot.sender.turns import Turns
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MARK_AHEAD = 0.1
"""Seconds of the channel's rate marked "sending" ahead of the window (see above)."""


class Drain:
    """Sends the rows read into memory: each chat's in order, the chats side by side."""

    def __init__(
        self,
        transport: Transport,
        books: Bookkeeping,
        *,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
        batch: int,
        max_in_flight: int,
        window: SlidingWindow | None,
    ) -> None:
        limits = transport.limits
        self.transport = transport
        self.channel = transport.channel
        self.books = books
        self.clock = clock
        self.wake = wake
        """Called when a chat is done: its next rows, or other chats', may be read now."""
        self.batch = batch
        # Rows in memory beyond two seconds' worth of the channel's rate only wait longer.
        self.max_in_flight = min(max_in_flight, max(20, int(2 * limits.overall_per_second)))
        self.window = window or SlidingWindow(max(1, int(limits.overall_per_second)))
        self.spacing = ChatSpacing(limits.per_chat_interval)
        self._queues: dict[str, list[OutboxMessage]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._extra_slots: dict[str, int] = {}
        self._turns = Turns()
        self._ahead = asyncio.Semaphore(max(1, math.ceil(limits.overall_per_second * MARK_AHEAD)))
        """Rows marked "sending" that wait for a window slot: enough to cover the marking
        transaction's time at the channel's rate, so the window is not held during it."""

    @property
    def least(self) -> int:
        """Rows worth a read while chats are busy: a quarter of what may be in memory, at most a batch."""
        return max(1, min(self.batch, self.max_in_flight // 4))

    async def claim(self, chat_id: str | None = None, least: int = 1) -> int:
        """Reads due rows (each chat's next; of one chat, if given) into memory; returns how
        many. Reads nothing while fewer than `least` rows would fit (chats are busy)."""
        room = self.max_in_flight - len(self._queues)
        if room <= 0 or (self._queues and room < least):
            return 0
        rows = await self.books.due(min(self.batch, room), skip_chats=set(self._queues), chat_id=chat_id)
        for row in rows:
            self._queues.setdefault(row.chat_id, []).append(row)
            if row.chat_id not in self._tasks:
                self._tasks[row.chat_id] = asyncio.create_task(self._drain_chat(row.chat_id))
        return len(rows)

    async def finish(self) -> None:
        """Waits until the chats being sent are done."""
        await asyncio.gather(*list(self._tasks.values()))

    async def stop(self, *, hand_back: bool = True) -> None:
        """Stops every chat's task, writes what was sent, and (with `hand_back`) makes the rows
        marked but never tried pending again."""
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._queues.clear()
        await self.books.close(hand_back=hand_back)

    async def pace(self, chat_id: str) -> None:
        """Waits as for a new message to the chat, for the second and later parts of one row."""
        self.spacing.sent(chat_id)
        await self.spacing.wait(chat_id)
        await self.window.acquire()
        self._extra_slots[chat_id] = self._extra_slots.get(chat_id, 0) + 1

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
                    starting = self.books.mark(row.id or 0)
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

    async def _attempt(self, started: Started) -> SendResult:
        """One delivery attempt of a row marked "sending"; its outcome written back before the
        chat's next row may start."""
        message = started.message
        self.books.leaving(message.id)
        try:
            try:
                result = await self.transport.send(message, self.pace)
            finally:
                self.window.release(1 + self._extra_slots.pop(message.chat_id, 0))
                self.spacing.sent(message.chat_id)
        except Exception as exc:  # a transport bug or an unexpected network error
            log.exception("%s transport raised on outbox row %s", self.channel, message.id)
            result = SendResult("retry", error=f"{type(exc).__name__}: {exc}")
        record = decide(started, result, self.clock())
        if result.slow_down and result.retry_after:
            self.window.pause(result.retry_after)  # the platform asked the whole channel to wait
        if record.outcome.outcome == "retry" and result.retry_after is not None:
            self.spacing.hold(message.chat_id, result.retry_after)
        await self.books.record(record)
        return result
