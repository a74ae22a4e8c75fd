"""What recipients read: the author's text with how to stop, the outbox payload, the previews the
compose page shows, and "kirim uji" (the message, marked as a test, to the author's own chat).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.channels import Catalogue
from handlers.types import Priority, Reply
from messages.render import render
from storage import outbox
from storage.db import Database

MAX_TEXT = 2000
TEMPLATE = "template"
"""The preview of the text inside an approved template (a key no channel is named)."""


def full_text(text: str) -> str:
    """What recipients read: the author's text, then how to stop."""
    return f"{text.strip()}\n\n{render('broadcast_footer')}"


def broadcast_payload(text: str) -> dict[str, Any]:
    """The outbox payload: the full text, and for a platform's approved template (which ends with
    its own stop line) the author's text alone as `template_text`, so the line is not said twice."""
    payload = Reply(full_text(text), priority=Priority.BROADCAST).to_payload()
    return {**payload, "template_text": text.strip()}


def previews(text: str, channels: Catalogue) -> dict[str, str]:
    """The message as it will look on each channel that receives broadcasts (by name), and under
    `TEMPLATE` as an approved template carries it outside a platform's 24-hour window (the text
    as one line in the template's variable)."""
    body = full_text(text)
    one_line = " ".join(text.split())
    shown = {info.name: body for info in channels.broadcasting()}
    return {**shown, TEMPLATE: render("broadcast_template_preview", text=one_line)}


async def send_test(db: Database, broadcast_text: str, *, channel: str, chat_id: str, now: datetime) -> None:
    """ "Kirim uji": the message, marked as a test, to the author's own chat (notification priority)."""
    text = f"{render('broadcast_test_prefix')}\n{full_text(broadcast_text)}"
    async with db.transaction() as session:
        contact = await outbox.lock_contact(session, channel, chat_id)
        outbox.enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            contact_id=contact.id,
            payload=Reply(text).to_payload(),
            priority=int(Priority.NOTIFICATION),
            now=now,
        )
