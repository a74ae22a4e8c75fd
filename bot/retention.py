"""The retention the consent text promises, as one run the schedule and `bpu-bot purge` share.

A run: unfinished drafts past DRAFT_EXPIRY_DAYS go, delivered message texts older than a week
are emptied, and, past `retention_years` (messages/consent.toml, the figure the consent text
shows), submissions are anonymised, silent contacts lose their name and phone with their
conversations and old messages, and callback requests lose the number and the question.
Each part is its own short transaction; the run's counts are recorded (`retention_run`) for
`/healthz`. A dry run does the same work in one transaction and rolls it back: the counts are
exactly what a run would remove, and nothing changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.enrol.fields import FORM
from handlers.enrol.purge import purge_expired_drafts
from messages.data import data
from storage import erasure, outbox
from storage.chat import erase_old_messages
from storage.db import Database
from storage.retention import erase_old_callbacks, last_run, record_run, retention_cutoff
from storage.store import Store
from storage.submissions import purge_expired

log = logging.getLogger(__name__)

KEEP_DELIVERED_TEXT = timedelta(days=1)
"""A sent message's text is kept a day: WhatsApp may report a failed delivery hours later, and
the sender then resends it as a template (bot/channels/whatsapp/webhook.py)."""

Counts = dict[str, int]
Step = Callable[[AsyncSession, datetime, int], Awaitable[Counts]]


def retention_years() -> int:
    """What the consent text promises (messages/consent.toml), so the purge keeps that promise."""
    return int(data("consent")["retention_years"])


def _drafts(expiry_days: int) -> Step:
    async def step(session: AsyncSession, now: datetime, _years: int) -> Counts:
        return {"drafts_expired": await purge_expired_drafts(Store(session), now, expiry_days=expiry_days)}

    return step


async def _texts(session: AsyncSession, now: datetime, _years: int) -> Counts:
    return {"texts_scrubbed": await outbox.scrub_delivered(session, now - KEEP_DELIVERED_TEXT)}


async def _people(session: AsyncSession, now: datetime, years: int) -> Counts:
    purged = await purge_expired(
        session, now, years=years, columns=FORM.erased_columns, answers=FORM.erased_answers
    )
    return {
        "submissions_anonymised": purged["submissions"],
        "contacts_cleared": purged["contacts"],
        "messages_deleted": purged["messages"],
    }


async def _erased(session: AsyncSession, now: datetime, _years: int) -> Counts:
    return {
        "numbers_tombstoned": await erasure.tombstone_erased(session, now),
        "message_ids_forgotten": await erasure.forget_processed(session, now),
    }


async def _callbacks(session: AsyncSession, now: datetime, years: int) -> Counts:
    return {"callbacks_erased": await erase_old_callbacks(session, retention_cutoff(now, years))}


async def _chats(session: AsyncSession, now: datetime, years: int) -> Counts:
    """The conversations kept for officers (the agent inbox), no longer than the consent says."""
    return {"chat_messages_deleted": await erase_old_messages(session, retention_cutoff(now, years))}


class _DryRun(Exception):
    """Carries a dry run's counts out of the transaction it rolls back."""

    def __init__(self, counts: Counts) -> None:
        super().__init__("dry run")
        self.counts = counts


async def apply_retention(
    db: Database, now: datetime, *, draft_expiry_days: int, trigger: str, dry_run: bool = False
) -> Counts:
    """Runs the retention at `now`; returns how many of each kind it removed (or would remove)."""
    years = retention_years()
    steps: list[Step] = [_drafts(draft_expiry_days), _texts, _people, _erased, _callbacks, _chats]
    counts: Counts = {}
    if dry_run:
        try:
            async with db.transaction() as session:
                for step in steps:
                    counts.update(await step(session, now, years))
                await session.flush()
                raise _DryRun(counts)
        except _DryRun as done:
            return done.counts
    started = time.monotonic()
    for step in steps:
        async with db.transaction() as session:
            counts.update(await step(session, now, years))
    finished = now + timedelta(seconds=time.monotonic() - started)
    async with db.transaction() as session:
        await record_run(session, started_at=now, finished_at=finished, trigger=trigger, removed=counts)
    if any(counts.values()):
        log.info(
            "retention (%d years, drafts after %d days): %s",
            years,
            draft_expiry_days,
            ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n),
        )
    return counts


async def retention_health(db: Database) -> dict[str, object]:
    """/healthz's view: when the retention last finished (any process, or by hand) and its counts."""
    async with db.reader() as session:
        run = await last_run(session)
    if run is None:
        return {"last_run": None}
    return {"last_run": run.finished_at.isoformat(), "trigger": run.trigger, "removed": run.removed}
