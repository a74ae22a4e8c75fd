"""The scheduler loop: session reminders, follow-up questions, scheduled and running broadcasts,
the one reminder of an enrolment left half done, and payment reminders (with the question to
workers behind with payments).

Runs next to the outbox sender in `bpu-bot serve`, every `INTERVAL`, with an injectable clock
(tests move it). Each job keeps its own record in the database (a reminder's time on the
participant, a broadcast's cursor), so a round that runs twice, or in two processes, sends
nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboard.service import broadcasts, draft_reminders, payment_reminders, reminders
from handlers.localtime import QuietHours
from storage.crypto import Vault
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=30)
DRAFTS_INTERVAL = timedelta(minutes=10)
"""Drafts are reminded 20 hours on: a look every ten minutes is soon enough."""
PAYMENTS_INTERVAL = timedelta(minutes=10)
"""Payment reminders are due over days: a look every ten minutes is soon enough."""


@dataclass(frozen=True)
class DraftReminders:
    """What the reminder of unfinished enrolments needs: the keys the drafts are sealed with,
    how long they are kept, and the channels whose native form is set up."""

    vault: Vault
    expiry_days: int
    forms: frozenset[str]


class Scheduler:
    def __init__(
        self,
        db: Database,
        *,
        quiet: QuietHours,
        followup_days: int,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[str], None] | None = None,
        drafts: DraftReminders | None = None,
        payments: Vault | None = None,
    ) -> None:
        """`payments`: the keys the incomes are sealed with; payment reminders run when given."""
        self.db = db
        self.quiet = quiet
        self.followup_days = followup_days
        self.clock = clock
        self.wake = wake
        self.drafts = drafts
        self._drafts_due: datetime | None = None
        self.payments = payments
        self._payments_due: datetime | None = None
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
        if self.drafts is not None and (self._drafts_due is None or now >= self._drafts_due):
            self._drafts_due = now + DRAFTS_INTERVAL
            channels |= await draft_reminders.remind_drafts(
                self.db,
                now,
                vault=self.drafts.vault,
                quiet=self.quiet,
                expiry_days=self.drafts.expiry_days,
                forms=self.drafts.forms,
            )
        if self.payments is not None and (self._payments_due is None or now >= self._payments_due):
            self._payments_due = now + PAYMENTS_INTERVAL
            channels |= await payment_reminders.send_payment_reminders(
                self.db, now, vault=self.payments, quiet=self.quiet
            )
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
