"""Housekeeping: old delivered texts are emptied, recent ones and pending ones are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.housekeeping import tidy
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import Chat, FixedClock


async def test_tidy_scrubs_old_delivered_texts_and_purges_expired_drafts(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    for line in HAPPY[:6]:
        await chat.send(line)
    async with db.transaction() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
        sent = [outbox.Outcome(row.id or 0, "sent", "sent", row.attempt_log) for row in rows[:-1]]
        await outbox.record_attempts(session, sent, clock())
    assert await tidy(db, clock() + timedelta(days=1), draft_expiry_days=7) == (0, 0)
    drafts, scrubbed = await tidy(db, clock() + timedelta(days=8), draft_expiry_days=7)
    assert (drafts, scrubbed) == (1, len(rows) - 1)
    async with db.reader() as session:
        after = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert all(r.payload["text"] == "" for r in after[:-1])
    assert after[-1].status == "pending" and after[-1].payload["text"]  # not yet delivered: kept
