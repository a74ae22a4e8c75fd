"""Queries, in one place. Every function takes the session of the caller's unit of work."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from storage.types import utcnow


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """INSERT for the session's dialect, which knows ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


async def lock_contact(session: AsyncSession, channel: str, chat_id: str) -> Contact:
    """Gets or creates the contact and locks its row for this transaction.

    The lock serialises messages from one person across web workers on PostgreSQL; on SQLite
    the write transaction (BEGIN IMMEDIATE) already serialises everything.
    """
    stmt = dialect_insert(session, Contact).values(channel=channel, chat_id=chat_id, created_at=utcnow())
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["channel", "chat_id"]))
    query = select(Contact).where(Contact.channel == channel, Contact.chat_id == chat_id).with_for_update()
    contact = (await session.exec(query)).one()
    return contact


async def mark_processed(
    session: AsyncSession, channel: str, message_id: str, contact_id: int | None, at: datetime
) -> bool:
    """Records a platform message id; False when it was already processed."""
    stmt = (
        dialect_insert(session, ProcessedInbound)
        .values(channel=channel, message_id=message_id, contact_id=contact_id, received_at=at)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def was_processed(session: AsyncSession, channel: str, message_id: str) -> bool:
    query = select(ProcessedInbound.id).where(
        ProcessedInbound.channel == channel, ProcessedInbound.message_id == message_id
    )
    return (await session.exec(query)).first() is not None


async def load_conversation(session: AsyncSession, contact_id: int) -> Conversation:
    conversation = await session.get(Conversation, contact_id)
    if conversation is None:
        conversation = Conversation(contact_id=contact_id, data={})
        session.add(conversation)
    return conversation


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    contact_id: int | None,
    payload: dict[str, Any],
    priority: int,
    now: datetime,
) -> OutboxMessage:
    message = OutboxMessage(
        channel=channel,
        chat_id=chat_id,
        contact_id=contact_id,
        payload=payload,
        priority=priority,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


async def claim_due(
    session: AsyncSession,
    channel: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    skip_chats: Collection[str] = (),
) -> list[tuple[OutboxMessage, datetime | None]]:
    """Takes up to `limit` due rows of a channel, best priority first, and leases them.

    A leased row's next attempt moves `lease` into the future (plus the per-chat spacing of
    the rows before it), so a sender that dies mid-send leaves it to be retried. SKIP LOCKED
    lets several senders on PostgreSQL share the work. Chats in `skip_chats` are still busy
    with earlier rows. Returns each row with its contact's last inbound time.
    """
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_chats:
        query = query.where(col(OutboxMessage.chat_id).not_in(list(skip_chats)))
    rows = list((await session.exec(query)).all())
    position: dict[str, int] = {}
    for row in rows:
        position[row.chat_id] = position.get(row.chat_id, 0) + 1
        row.next_attempt_at = now + lease * position[row.chat_id]
        row.attempts += 1
    contact_ids = {row.contact_id for row in rows if row.contact_id is not None}
    last_inbound: dict[int, datetime | None] = {}
    if contact_ids:
        found = await session.exec(
            select(Contact.id, Contact.last_inbound_at).where(col(Contact.id).in_(contact_ids))
        )
        last_inbound = {cid: at for cid, at in found.all() if cid is not None}
    return [(row, last_inbound.get(row.contact_id) if row.contact_id else None) for row in rows]


async def record_attempt(
    session: AsyncSession,
    message_id: int,
    *,
    status: str,
    now: datetime,
    next_attempt_at: datetime | None = None,
    error: str | None = None,
    platform_message_id: str | None = None,
    outcome: str,
) -> OutboxMessage | None:
    """Writes the outcome of one delivery attempt onto its outbox row."""
    row = await session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        return None
    row.status = status
    row.last_error = error[:500] if error else None
    row.attempt_log = [
        *row.attempt_log,
        {"at": now.isoformat(), "outcome": outcome, **({"error": error[:200]} if error else {})},
    ][-20:]
    if next_attempt_at is not None:
        row.next_attempt_at = next_attempt_at
    if platform_message_id is not None:
        row.platform_message_id = platform_message_id
    if status == "sent":
        row.sent_at = now
    return row


async def release(session: AsyncSession, message_ids: Collection[int], at: datetime) -> None:
    """Gives leased rows back, due again at `at` (their order is kept by priority and id).

    They were not tried, so the attempt their lease counted is taken back: a long backlog
    behind a chat's retried rows must not use up its attempts unsent.
    """
    if message_ids:
        await session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(message_ids)), col(OutboxMessage.status) == "pending")
            .values(next_attempt_at=at, attempts=col(OutboxMessage.attempts) - 1)
        )


async def begin_sending(session: AsyncSession, message_id: int, lease_until: datetime) -> bool:
    """A leased row about to go out: `sending` (at most once), unless it stopped being pending."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "pending")
        .values(status="sending", next_attempt_at=lease_until)
    )
    return bool(result.rowcount)


async def outbox_by_platform_id(
    session: AsyncSession, channel: str, platform_message_id: str
) -> OutboxMessage | None:
    """The outbox row a platform message id (from a delivery status callback) belongs to, locked."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.platform_message_id == platform_message_id)
        .with_for_update()
    )
    return (await session.exec(query)).first()


async def resume_waiting(session: AsyncSession, contact_id: int, now: datetime) -> None:
    """The person wrote again: messages held for a closed window may go out now."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.contact_id) == contact_id, col(OutboxMessage.status) == "waiting")
        .values(status="pending", next_attempt_at=now)
    )


async def pending_for_chat(session: AsyncSession, channel: str, chat_id: str) -> Sequence[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == "pending",
        )
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
    )
    return (await session.exec(query)).all()


async def next_due_at(session: AsyncSession, channels: Sequence[str]) -> datetime | None:
    query = select(func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.status == "pending", col(OutboxMessage.channel).in_(channels)
    )
    value: datetime | None = (await session.exec(query)).one()
    return value


async def outbox_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    query = select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.channel, OutboxMessage.status
    )
    return {(channel, status): n for channel, status, n in (await session.exec(query)).all()}


async def mark_contact_unreachable(session: AsyncSession, channel: str, chat_id: str, now: datetime) -> None:
    await session.exec(
        update(Contact)
        .where(col(Contact.channel) == channel, col(Contact.chat_id) == chat_id)
        .values(unreachable_at=now)
    )
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status).in_(["pending", "waiting", "held"]),
        )
        .values(status="failed", last_error="contact unreachable")
    )


class Store:
    """The queries the conversation flows may use, bound to the message's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upcoming_sessions(self, now: datetime) -> list[Any]:
        """Socialization sessions still to come.

        Sessions are announced by staff from the dashboard, which does not exist yet: until a
        session table lands with it, no session has been announced, and this says so.
        """
        return []


async def scrub_delivered(session: AsyncSession, before: datetime) -> int:
    """Empties the text of messages delivered before `before`: summaries carry personal data."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status).in_(["sent", "failed"]), col(OutboxMessage.created_at) < before)
        .values(payload={"text": "", "options": [], "scrubbed": True})
    )
    return int(result.rowcount or 0)
