"""Periodic clean-up while the service runs: expired drafts, old delivered message texts, and
the retention purge the consent text promises (personal data kept at most five years)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from handlers.enrol.fields import FORM
from handlers.enrol.purge import purge_expired_drafts
from messages.data import data
from storage import outbox
from storage.db import Database
from storage.store import Store
from storage.submissions import purge_expired
from storage.types import utcnow

log = logging.getLogger(__name__)

INTERVAL = timedelta(hours=1)
KEEP_DELIVERED_TEXT = timedelta(days=7)


def retention_years() -> int:
    """What the consent text promises (messages/consent.toml), so the purge keeps that promise."""
    return int(data("consent")["retention_years"])


async def tidy(db: Database, now: datetime, *, draft_expiry_days: int) -> tuple[int, int]:
    async with Store.transaction(db) as store:
        drafts = await purge_expired_drafts(store, now, expiry_days=draft_expiry_days)
    async with db.transaction() as session:
        scrubbed = await outbox.scrub_delivered(session, now - KEEP_DELIVERED_TEXT)
    async with db.transaction() as session:
        purged = await purge_expired(
            session, now, years=retention_years(), columns=FORM.erased_columns, answers=FORM.erased_answers
        )
    if any(purged.values()):
        log.info(
            "retention (%d years): %d submissions anonymised, %d contacts cleared, %d messages deleted",
            retention_years(),
            purged["submissions"],
            purged["contacts"],
            purged["messages"],
        )
    return drafts, scrubbed


async def run_housekeeping(
    db: Database, stop: asyncio.Event, *, draft_expiry_days: int, clock: Callable[[], datetime] = utcnow
) -> None:
    while not stop.is_set():
        try:
            drafts, scrubbed = await tidy(db, clock(), draft_expiry_days=draft_expiry_days)
            if drafts or scrubbed:
                log.info(
                    "housekeeping: %d expired drafts purged, %d delivered texts scrubbed", drafts, scrubbed
                )
        except Exception:
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL.total_seconds())
