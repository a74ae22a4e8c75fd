"""Housekeeping for personal data that should not linger: expired drafts (counted as abandoned
where they stopped: a question of the chat, a screen of a native form)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.enrol.native import PATH as FORM_PATH
from storage.models import Conversation
from storage.store import Store


async def purge_expired_drafts(store: Store, now: datetime, *, expiry_days: int) -> int:
    """Drops drafts untouched for `expiry_days`, counting each as abandoned at its step."""
    cutoff = now - timedelta(days=expiry_days)
    purged = 0
    stale = sorted(await store.stale_conversations(cutoff), key=lambda c: c.contact_id)
    for candidate in stale:
        if not _expired(candidate, cutoff):
            continue
        # As it is now, with the person's contact locked as a message's turn locks it: a message
        # in flight and this purge change the conversation one after the other.
        conversation = await store.locked_conversation(candidate.contact_id)
        if conversation is None or conversation.updated_at >= cutoff or not _expired(conversation, cutoff):
            continue
        raw = conversation.data["draft"]
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


def _expired(conversation: Conversation, cutoff: datetime) -> bool:
    raw = conversation.data.get("draft")
    return raw is not None and datetime.fromisoformat(raw["updated"]) < cutoff
