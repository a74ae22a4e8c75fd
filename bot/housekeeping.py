"""Periodic clean-up while the service runs: expired drafts, old delivered message texts, and
the retention purge the consent text promises (personal data kept at most five years); the run
itself is `bot.retention.apply_retention`, which `bpu-bot purge` runs by hand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.retention import apply_retention, retention_years
from storage.db import Database
from storage.types import utcnow

__all__ = ["retention_years", "run_housekeeping", "tidy"]

log = logging.getLogger(__name__)

INTERVAL = timedelta(hours=1)


async def tidy(db: Database, now: datetime, *, draft_expiry_days: int) -> tuple[int, int]:
    """One scheduled run; returns (expired drafts purged, delivered texts scrubbed)."""
    counts = await apply_retention(db, now, draft_expiry_days=draft_expiry_days, trigger="schedule")
    return counts["drafts_expired"], counts["texts_scrubbed"]


async def run_housekeeping(
    db: Database, stop: asyncio.Event, *, draft_expiry_days: int, clock: Callable[[], datetime] = utcnow
) -> None:
    while not stop.is_set():
        try:
            await tidy(db, clock(), draft_expiry_days=draft_expiry_days)
        except Exception:
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL.total_seconds())
