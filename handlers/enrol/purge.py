"""Housekeeping for personal data that should not linger: expired drafts, delivered messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import submissions as queue
from storage.db import Database


async def purge_expired_drafts(db: Database, now: datetime, *, expiry_days: int) -> int:
    """Drops drafts untouched for `expiry_days`, counting each as abandoned at its step."""
    cutoff = now - timedelta(days=expiry_days)
    purged = 0
    async with db.transaction() as session:
        for conversation in await queue.stale_conversations(session, cutoff):
            raw = conversation.data.get("draft")
            if raw is None or datetime.fromisoformat(raw["updated"]) >= cutoff:
                continue
            if raw.get("step"):
                await queue.record_step_event(
                    session, draft_id=raw["id"], step=raw["step"], event="abandoned", channel="-", now=now
                )
            conversation.data = {k: v for k, v in conversation.data.items() if k != "draft"}
            if conversation.flow == "enrol":
                conversation.flow = conversation.step = None
            purged += 1
    return purged
