"""The scheduler loop: session reminders, follow-up questions, scheduled and running broadcasts.

Runs next to the outbox sender in `bpu-bot serve`, every `INTERVAL`, with an injectable clock
(tests move it). Each job keeps its own record in the database (a reminder's time on the
participant, a broadcast's cursor), so a round that runs twice, or in two processes, sends
nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from dashboard.service import broadcasts, reminders
from handlers.localtime import QuietHours
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=30)


class Scheduler:
    def __init__(
        self,
        db: Database,
        *,
        quiet: QuietHours,
        followup_days: int,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.quiet = quiet
        self.followup_days = followup_days
        self.clock = clock
        self.wake = wake
        self._nudged = asyncio.Event()

    def nudge(self) -> None:
        """Runs the next round now rather than at the interval (a broadcast was just created)."""
        self._nudged.set()

    async def tick(self) -> None:
        """One round of every job, at the clock's time."""
        now = self.clock()
        channels = await reminders.send_reminders(self.db, now)
        channels |= await reminders.send_followups(self.db, now, days=self.followup_days, quiet=self.quiet)
        channels |= await broadcasts.tick(self.db, now, self.quiet)
        if self.wake is not None:
            for channel in channels:
                self.wake(channel)

    async def run(self, stop: asyncio.Event, interval: timedelta = INTERVAL) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler round failed")
            stopped = asyncio.ensure_future(stop.wait())
            nudged = asyncio.ensure_future(self._nudged.wait())
            await asyncio.wait(
                (stopped, nudged), timeout=interval.total_seconds(), return_when="FIRST_COMPLETED"
            )
            for waiter in (stopped, nudged):
                waiter.cancel()
            self._nudged.clear()
