"""One channel's sender: sends while this process is the channel's elected sender, stands by
otherwise (bot/leader.py).

Taking over, it first waits one window, which its predecessor may have filled, and makes
the rows a dead sender left "sending" due again (they were cut off mid-attempt). Then it keeps
reading due rows (`Drain.claim`) whenever a wake-up or the idle poll says there may be some,
checking every `IDLE_POLL` seconds that it still holds the lock; when it lost the lock it drops
what it had in memory (another process may send it now).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot.channels.base import Transport
from bot.leader import Leadership
from bot.ratelimit import SlidingWindow
from bot.sender.bookkeeping import Bookkeeping
from bot.sender.drain import Drain
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

IDLE_POLL = 1.0
CLAIM_INTERVAL = 0.05
"""Seconds between two claims while busy: wakes that come faster are read together."""


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
        self.channel = transport.channel
        self.leadership = Leadership(db, f"sender-{self.channel}")
        self.books = Bookkeeping(db, self.channel, clock, fence=self.leadership.fence)
        self.drain = Drain(
            transport,
            self.books,
            clock=clock,
            wake=self.wake,
            batch=batch,
            max_in_flight=max_in_flight,
            window=window,
        )
        self.wakeup = asyncio.Event()
        self.recovered = 0
        """Rows found cut off mid-attempt when this process took over (sent again)."""

    @property
    def leading(self) -> bool:
        return self.leadership.held

    def wake(self) -> None:
        self.wakeup.set()

    async def deliver_now(self, chat_id: str) -> None:
        """Sends one chat's due rows and returns when they are out: the terminal chat, whose own
        process is the only one sending to it (no election). A row an earlier process for the
        chat was killed in the middle of goes again first."""
        await self.books.recover(chat_id)
        while await self.drain.claim(chat_id):
            await self.drain.finish()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while await self.leadership.wait(stop):
                await self._lead(stop)
        finally:
            await self.drain.stop()
            await self.leadership.release()

    async def _lead(self, stop: asyncio.Event) -> None:
        """Sends while this process holds the channel's lock."""
        self._wait_out_the_predecessor()
        try:
            recovered = await self.books.recover()
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
                    await self.drain.stop(hand_back=False)  # another process may own them now
                    return
            since = time.monotonic() - claimed_at
            if since < CLAIM_INTERVAL:
                await asyncio.sleep(CLAIM_INTERVAL - since)
            claimed_at = time.monotonic()
            try:
                claimed = await self.drain.claim(least=self.drain.least)
            except Exception:
                log.exception("reading %s outbox rows failed", self.channel)
                claimed = 0
            if first:
                log.info("%s: first read after taking over: %d rows", self.channel, claimed)
                first = False
            if claimed == 0:
                await self._idle(stop)

    def _wait_out_the_predecessor(self) -> None:
        """Nothing goes out for one window (and one chat's interval) after taking the lock.

        The process that held it before may have used the whole window just before it died or
        stepped down, and its window lived in its memory. Sending at once, the two together
        could put twice the limit into one second at the platform (the two-process test saw
        12 where 10 were allowed, with the lock taken over 0.1 s after the kill). Waiting
        costs one second, once per takeover and at start.
        """
        self.drain.window.pause(max(self.drain.window.period, self.drain.spacing.interval))

    async def _idle(self, stop: asyncio.Event) -> None:
        self.wakeup.clear()
        waiters = {asyncio.ensure_future(self.wakeup.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=IDLE_POLL, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
