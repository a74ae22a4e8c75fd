"""Housekeeping for personal data that should not linger: expired drafts (counted as abandoned
where they stopped: a question of the chat, a screen of a native form)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.enrol.native import PATH as FORM_PATH
from storage.store import Store


async def purge_expired_drafts(store: Store, now: datetime, *, expiry_days: int) -> int:
    """Drops drafts untouched for `expiry_days`, counting each as abandoned at its step."""
    cutoff = now - timedelta(days=expiry_days)
    purged = 0
    for conversation in await store.stale_conversations(cutoff):
        raw = conversation.data.get("draft")
        if raw is None or datetime.fromisoformat(raw["updated"]) >= cutoff:
            continue
        if raw.get("step"):
            await store.record_step_event(
                draft_id=raw["id"], step=raw["step"], event="abandoned", channel="-", now=now
            )
        if raw.get("form_screen"):  # left in a native form: counted on its path, at its screen
            await store.record_step_event(
                draft_id=raw["id"],
                step=f"screen.{raw['form_screen']}",
                event="abandoned",
                channel=raw.get("form_channel", "-"),
                now=now,
                path=FORM_PATH,
            )
        conversation.data = {k: v for k, v in conversation.data.items() if k != "draft"}
        if conversation.flow == "enrol":
            conversation.flow = conversation.step = None
        purged += 1
    return purged
