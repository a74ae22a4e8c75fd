"""What is left of a person after "hapus data" once the confirmation has gone out.

The erasure itself (`storage.submissions.erase_personal_data`) empties what the person told us in
one transaction, but the chat id stays a little longer: the confirmation must still reach them,
and WhatsApp reports a failed delivery (for a template resend) minutes to hours later. A day
later the retention run (bot/retention.py) replaces the chat id with a random tombstone on the
contact, its outbox rows and its form offers, and forgets the platform message ids it received
(Telegram's ids carry the chat id). Someone who wrote again after erasing is a live contact again
and keeps their address.

Platform message ids of everyone are forgotten after `KEEP_PROCESSED`: a redelivery comes within
hours (Telegram keeps an update 24 hours; WhatsApp retries a failed webhook for up to 7 days).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import WIPE_AFTER_COMMIT
from storage.form_models import FormToken
from storage.models import Contact, OutboxMessage, ProcessedInbound

TOMBSTONE = "erased:"
"""The prefix of a chat id that no longer names anyone."""
KEEP_NUMBER_AFTER_ERASURE = timedelta(days=1)
KEEP_PROCESSED = timedelta(days=8)


def tombstone() -> str:
    """A chat id that is unique and says nothing about the person it replaced."""
    return TOMBSTONE + secrets.token_hex(16)


async def tombstone_erased(session: AsyncSession, now: datetime) -> int:
    """Replaces the chat id of people who erased their data more than a day ago; returns how many."""
    before = now - KEEP_NUMBER_AFTER_ERASURE
    undelivered = exists().where(
        col(OutboxMessage.channel) == Contact.channel,
        col(OutboxMessage.chat_id) == Contact.chat_id,
        col(OutboxMessage.status).in_(["pending", "sending", "waiting", "held"]),
    )
    query = select(Contact).where(
        col(Contact.erased_at) < before,
        ~col(Contact.chat_id).startswith(TOMBSTONE),
        or_(col(Contact.last_inbound_at).is_(None), col(Contact.last_inbound_at) <= Contact.erased_at),
        ~undelivered,
    )
    # Locked as a message's turn locks them: one who is writing again now is waited for, and is
    # then no longer found (the condition is checked again on the row as that message left it).
    contacts = (await session.exec(query.with_for_update(of=Contact))).all()
    if contacts:
        session.info[WIPE_AFTER_COMMIT] = True  # storage.db: the old numbers leave the files too
    for contact in contacts:
        assert contact.id is not None
        replaced = tombstone()
        await session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.channel) == contact.channel, col(OutboxMessage.chat_id) == contact.chat_id
            )
            .values(chat_id=replaced)
        )
        await session.exec(
            update(FormToken)
            .where(col(FormToken.channel) == contact.channel, col(FormToken.chat_id) == contact.chat_id)
            .values(chat_id=replaced)
        )
        await session.exec(delete(ProcessedInbound).where(col(ProcessedInbound.contact_id) == contact.id))
        contact.chat_id = replaced
        session.add(contact)
    return len(contacts)


async def forget_processed(session: AsyncSession, now: datetime) -> int:
    """Forgets platform message ids received longer ago than any platform redelivers."""
    result = await session.exec(
        delete(ProcessedInbound).where(col(ProcessedInbound.received_at) < now - KEEP_PROCESSED)
    )
    return int(result.rowcount or 0)
