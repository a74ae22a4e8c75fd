"""The outbox: the messages to send, from queueing to the outcome of their delivery.

Replies are queued by the engine (`storage.conversation.save_turn`), notifications and
broadcasts by the staff side (`enqueue`); the channel's sender claims the due rows in order,
marks each "sending" just before its attempt and records the outcome; housekeeping empties
delivered texts. Every function takes the session of the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Integer, Row, String, all_, any_, bindparam, func, text, update
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contact, OutboxMessage
from storage.types import utcnow, word
from storage.upsert import insert_for


async def lock_contact(session: AsyncSession, channel: str, chat_id: str) -> Contact:
    """Gets or creates the contact a message goes to, and locks its row for this transaction.

    (The engine does the same in `storage.conversation.open_turn`, in one statement
    with the conversation.)

    The lock serialises messages from one person across web workers on PostgreSQL; on SQLite
    the write transaction (BEGIN IMMEDIATE) already serialises everything. It is enough before
    queueing messages; work that changes the person's conversation locks with
    `storage.contact_lock` instead (a turn that waited for this lock would read the conversation
    as it was before).
    """
    dialect = session.get_bind().dialect.name
    stmt = insert_for(dialect, Contact).values(channel=channel, chat_id=chat_id, created_at=utcnow())
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["channel", "chat_id"]))
    query = select(Contact).where(Contact.channel == channel, Contact.chat_id == chat_id).with_for_update()
    contact = (await session.exec(query)).one()
    return contact


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
    skip_chats: Collection[str] = (),
    chat_id: str | None = None,
) -> list[OutboxMessage]:
    """Up to `limit` due rows of a channel, the next one of each chat, best priority first.

    Nothing is written: only the channel's one sender reads this (see bot/leader.py), and a
    row becomes "sending" just before its attempt (`start_attempts`). A chat gives only its
    head, its pending row first by (priority, id): a later row comes once the head is sent,
    so a chat's messages keep their order across retries and restarts, and a chat whose head
    waits for a retry gives nothing. Chats in `skip_chats` are still busy with a row taken
    earlier; `chat_id` keeps to one chat.

    Index-driven: the partial index `ix_outbox_claim` (pending rows by channel, priority, id)
    is read in order and the scan stops at `limit`; each candidate's "is it its chat's
    head?" is one probe of `ix_outbox_chat_head`. The cost follows the rows returned and the
    chats skipped, not the backlog.
    """
    dialect = session.get_bind().dialect.name
    statement = _claim_statement(dialect, bool(skip_chats), chat_id is not None)
    params: dict[str, Any] = {"channel": channel, "now": now, "limit": limit}
    if skip_chats:
        params["skip"] = list(skip_chats)
    if chat_id is not None:
        params["chat_id"] = chat_id
    return list((await session.exec(statement, params=params)).all())


_PENDING = word("pending")
"""A literal, not a parameter (`storage.types.word`): a plan PostgreSQL prepares once for any
parameters could not use the partial indexes (WHERE status = 'pending'), and fell back to a sort
of the whole outbox."""


@cache
def _claim_statement(dialect: str, skipping: bool, one_chat: bool) -> Any:
    """claim_due's statement, built once (the compiled form is then cached by SQLAlchemy)."""
    head = aliased(OutboxMessage)
    chat_head = (
        select(head.id)
        .where(
            head.channel == OutboxMessage.channel,
            head.chat_id == OutboxMessage.chat_id,
            col(head.status) == _PENDING,
        )
        .order_by(col(head.priority), col(head.id))
        .limit(1)
        .scalar_subquery()
    )
    query = select(OutboxMessage).where(
        col(OutboxMessage.channel) == bindparam("channel"),
        col(OutboxMessage.status) == _PENDING,
        col(OutboxMessage.next_attempt_at) <= bindparam("now"),
    )
    if one_chat:
        query = query.where(col(OutboxMessage.chat_id) == bindparam("chat_id"))
    if skipping and dialect == "postgresql":  # one array parameter: one prepared statement
        query = query.where(col(OutboxMessage.chat_id) != all_(bindparam("skip", type_=ARRAY(String))))
    elif skipping:
        query = query.where(col(OutboxMessage.chat_id).not_in(bindparam("skip", expanding=True)))
    return (
        query.where(col(OutboxMessage.id) == chat_head)
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(bindparam("limit", type_=Integer))
    )


@dataclass(frozen=True)
class LockHolder:
    """The PostgreSQL session (its backend's process id) holding a sender's advisory lock (its
    key): rows are marked "sending" only while that session still holds it (`start_attempts`)."""

    pid: int
    key: int

    def params(self) -> dict[str, int]:
        """The lock as `pg_locks` shows a bigint key: its high and low halves, unsigned."""
        high, low = (self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF
        return {"holder_pid": self.pid, "holder_hi": high, "holder_lo": low}


_STILL_HELD = text(
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND pid = :holder_pid AND classid = CAST(:holder_hi AS oid) AND objid = CAST(:holder_lo AS oid))"
)


@cache
def _start_statement(dialect: str, fenced: bool = False) -> Any:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    contact = Contact.__table__  # type: ignore[attr-defined]
    ids = (
        table.c.id == any_(bindparam("ids", type_=ARRAY(Integer)))
        if dialect == "postgresql"  # one array parameter: one prepared statement
        else table.c.id.in_(bindparam("ids", expanding=True))
    )

    def of_contact(column: Any) -> Any:
        return core_select(column).where(contact.c.id == table.c.contact_id).scalar_subquery()

    query = update(table).where(ids, table.c.status == _PENDING)
    if fenced:
        query = query.where(_STILL_HELD)
    return query.values(
        status="sending", attempts=table.c.attempts + 1, next_attempt_at=bindparam("now")
    ).returning(
        table.c.id,
        table.c.chat_id,
        table.c.contact_id,
        table.c.payload,
        table.c.priority,
        table.c.attempts,
        table.c.attempt_log,
        table.c.created_at,
        of_contact(contact.c.last_inbound_at).label("contact_last_inbound_at"),
        of_contact(contact.c.reply_keyboard_at).label("contact_reply_keyboard_at"),
    )


async def start_attempts(
    session: AsyncSession, message_ids: Sequence[int], now: datetime, holder: LockHolder | None = None
) -> dict[int, Row[Any]]:
    """Marks rows "sending" before their attempts, in one statement; returns those that are
    still to be sent (a row paused, cancelled or scrubbed meanwhile is left out), as they are
    now (id, chat_id, contact_id, payload, priority, attempts, attempt_log, created_at), with
    their contact's delivery state (contact_last_inbound_at, contact_reply_keyboard_at).

    Only the rows in this state at a crash can reach the person twice: one per chat at most,
    since a chat's next row is not started before this one's outcome is written.

    `holder` (PostgreSQL) fences the sender: when the session holding its lock is gone, which
    frees the lock for another process's sender, nothing is marked, so this process sends nothing
    more, however long it takes to notice (its own check runs once a second).
    """
    if not message_ids:
        return {}
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"ids": sorted(message_ids), "now": now}
    if holder is not None:
        params.update(holder.params())
    statement = _start_statement(dialect, fenced=holder is not None)
    rows = (await session.exec(statement, params=params)).all()
    return {row.id: row for row in rows}


async def hand_back(session: AsyncSession, message_ids: Sequence[int]) -> None:
    """Rows marked "sending" whose attempt never began (the sender stopped first): pending
    again, as if never started."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(list(message_ids)), col(OutboxMessage.status) == word("sending"))
        .values(status="pending", attempts=OutboxMessage.attempts - 1)
    )


BROADCAST_PRIORITY = 2
"""handlers.types.Priority.BROADCAST (storage does not import the conversation layer)."""
INTERRUPTED = "interrupted while sending: not repeated, it may or may not have arrived"


async def recover_sending(
    session: AsyncSession, channel: str, now: datetime, chat_id: str | None = None
) -> int:
    """Rows a dead sender left "sending" (of one chat, if given): due again now, in their order.

    Broadcast rows are the exception: nobody may get a broadcast twice, so one cut off
    mid-attempt is closed as failed (`INTERRUPTED`), never sent again.
    """
    query = update(OutboxMessage).where(
        col(OutboxMessage.channel) == channel, col(OutboxMessage.status) == word("sending")
    )
    if chat_id is not None:
        query = query.where(col(OutboxMessage.chat_id) == chat_id)
    await session.exec(
        query.where(col(OutboxMessage.priority) >= BROADCAST_PRIORITY).values(
            status="failed", last_error=INTERRUPTED
        )
    )
    result = await session.exec(query.values(status="pending", next_attempt_at=now))
    return int(result.rowcount or 0)


ATTEMPTS_KEPT = 20


def _logged(
    log: list[dict[str, Any]], now: datetime, outcome: str, error: str | None
) -> list[dict[str, Any]]:
    """The attempt log with one more entry, keeping the last `ATTEMPTS_KEPT`."""
    entry = {"at": now.isoformat(), "outcome": outcome, **({"error": error[:200]} if error else {})}
    return [*log, entry][-ATTEMPTS_KEPT:]


def log_attempt(row: OutboxMessage, now: datetime, outcome: str, error: str | None) -> None:
    """Appends to the row's attempt log and sets its last error (a delivery status callback)."""
    row.last_error = error[:500] if error else None
    row.attempt_log = _logged(row.attempt_log, now, outcome, error)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt left: the row's new status and what to remember of it."""

    message_id: int
    status: str
    outcome: str
    attempt_log: list[dict[str, Any]]
    """The row's log before this attempt (the sender owns a row while it is "sending")."""
    error: str | None = None
    next_attempt_at: datetime | None = None
    platform_message_id: str | None = None


@cache
def _record_statement() -> Any:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            attempt_log=bindparam("b_log"),
            last_error=bindparam("b_error"),
            next_attempt_at=func.coalesce(
                bindparam("b_next", type_=table.c.next_attempt_at.type), table.c.next_attempt_at
            ),
            platform_message_id=func.coalesce(
                bindparam("b_platform_id", type_=table.c.platform_message_id.type),
                table.c.platform_message_id,
            ),
            sent_at=func.coalesce(bindparam("b_sent", type_=table.c.sent_at.type), table.c.sent_at),
        )
    )


async def record_attempts(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Writes the outcomes of delivery attempts onto their rows, in one statement: status, the
    attempt log and last error, and when given the next attempt and the platform's message id."""
    params = []
    for o in outcomes:
        params.append(
            {
                "b_id": o.message_id,
                "b_status": o.status,
                "b_log": _logged(o.attempt_log, now, o.outcome, o.error),
                "b_error": o.error[:500] if o.error else None,
                "b_next": o.next_attempt_at,
                "b_platform_id": o.platform_message_id,
                "b_sent": now if o.status == "sent" else None,
            }
        )
    if params:
        await session.exec(_record_statement(), params=params)


async def set_reply_keyboard(session: AsyncSession, contact_id: int, shown_at: datetime | None) -> None:
    """Remembers when the phone keyboard went up on Telegram (None: it was taken down)."""
    await session.exec(
        update(Contact).where(col(Contact.id) == contact_id).values(reply_keyboard_at=shown_at)
    )


async def outbox_backlog(session: AsyncSession, now: datetime) -> dict[str, tuple[int, float]]:
    """Per channel: rows still to send and the age in seconds of the oldest of them."""
    backlog: dict[str, tuple[int, float]] = {}
    for status in ("pending", "sending"):  # one status at a time: each has its partial index
        query = (
            select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.created_at))
            .where(col(OutboxMessage.status) == word(status))
            .group_by(OutboxMessage.channel)
        )
        for channel, count, oldest in (await session.exec(query)).all():
            age = (now - oldest).total_seconds() if oldest is not None else 0.0
            before = backlog.get(channel, (0, 0.0))
            backlog[channel] = (before[0] + int(count), max(before[1], age, 0.0))
    return backlog


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


async def scrub_delivered(session: AsyncSession, before: datetime) -> int:
    """Empties the text of messages delivered before `before`: summaries carry personal data."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status).in_(["sent", "failed"]),
            col(OutboxMessage.created_at) < before,
            col(OutboxMessage.payload)["text"].as_string() != "",  # not again every hour
        )
        .values(payload={"text": "", "options": [], "scrubbed": True})
    )
    return int(result.rowcount or 0)
