"""A person's contact and conversation, as one inbound message reads and writes them.

This is the engine's hot path: every message runs `open_conversation`, `mark_processed`,
`resume_waiting` and `save_turn`, in one transaction, and nothing else of the database unless
a flow asks the store (`storage/store.py`). Housekeeping finds the conversations gone quiet
here too (`stale_conversations`). Each statement is built once per dialect (the
compiled form is then cached by SQLAlchemy) and run with plain parameters: no ORM objects to
track. Every function takes the session of the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, insert, literal_column, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import chat
from storage.chat_models import AgentHandoff
from storage.db import WIPE_AFTER_COMMIT
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from storage.upsert import insert_for


@dataclass(frozen=True)
class SavedState:
    """A conversation as stored: where the person is and the answers so far."""

    flow: str | None
    step: str | None
    data: dict[str, Any]
    version: int
    updated_at: datetime


_CONTACT_COLUMNS = tuple(column.name for column in Contact.__table__.c)  # type: ignore[attr-defined]
_STATE_COLUMNS = ("flow", "step", "data", "version", "updated_at")
_SENDERS_COLUMNS = ("id", "channel", "chat_id", "created_at", "unreachable_at", "reply_keyboard_at")
_MUTABLE_CONTACT = tuple(name for name in _CONTACT_COLUMNS if name not in _SENDERS_COLUMNS)
"""What a conversation may change on its contact (not the key, nor what the sender keeps there)."""


@cache
def _open_statement(dialect: str) -> Any:
    """Gets or creates the contact, locks its row, and reads its conversation: one statement.

    ON CONFLICT DO UPDATE (of nothing that changes) takes the row lock on PostgreSQL, which
    serialises one person's messages across workers; on SQLite the write transaction already
    does. The conversation comes back through scalar subqueries in RETURNING.
    """
    contact, conversation = Contact.__table__, Conversation.__table__  # type: ignore[attr-defined]
    stmt = insert_for(dialect, contact).values(
        channel=bindparam("channel"), chat_id=bindparam("chat_id"), created_at=bindparam("now")
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel", "chat_id"], set_={"channel": stmt.excluded.channel}
    )
    stored = conversation.alias("stored")
    owner = literal_column("contact.id", Integer)  # the row being returned (RETURNING names no tables itself)
    state = [
        core_select(stored.c[name]).where(stored.c.contact_id == owner).scalar_subquery().label(f"s_{name}")
        for name in _STATE_COLUMNS
    ]
    hold = AgentHandoff.__table__  # type: ignore[attr-defined]
    held = (
        core_select(hold.c.officer_at)
        .where(hold.c.contact_id == owner, hold.c.closed_at.is_(None))
        .scalar_subquery()
        .label("s_held")
    )
    return stmt.returning(*(contact.c[name] for name in _CONTACT_COLUMNS), *state, held)


async def open_conversation(
    session: AsyncSession, channel: str, chat_id: str, now: datetime
) -> tuple[Contact, SavedState | None, bool]:
    """The contact (locked for this transaction, created if new), its stored conversation, and
    whether an officer's hold on the chat is not closed (`storage.chat`: the router then reads
    it; the quiet time may have ended it).

    The contact is not tracked by the session: `save_turn` writes what the conversation
    changed on it.
    """
    statement = _open_statement(session.get_bind().dialect.name)
    params = {"channel": channel, "chat_id": chat_id, "now": now}
    row = (await session.exec(statement, params=params)).one()
    values = row._mapping
    contact = Contact(**{name: values[name] for name in _CONTACT_COLUMNS})
    held = values["s_held"] is not None
    if values["s_version"] is None:
        return contact, None, held
    saved = SavedState(*(values[f"s_{name}"] for name in _STATE_COLUMNS))
    return contact, saved, held


@cache
def _processed_statement(dialect: str) -> Any:
    table = ProcessedInbound.__table__  # type: ignore[attr-defined]
    return insert_for(dialect, table).on_conflict_do_nothing(index_elements=["channel", "message_id"])


@cache
def _contact_update() -> Any:
    contact = Contact.__table__  # type: ignore[attr-defined]
    return (
        update(contact)
        .where(contact.c.id == bindparam("contact_id"))
        .values({name: bindparam(name) for name in _MUTABLE_CONTACT})
    )


@cache
def _state_statement(dialect: str) -> Any:
    table = Conversation.__table__  # type: ignore[attr-defined]
    stmt = insert_for(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={
            "flow": stmt.excluded.flow,
            "step": stmt.excluded.step,
            "data": stmt.excluded.data,
            "version": table.c.version + 1,
            "updated_at": stmt.excluded.updated_at,
        },
    )


@cache
def _outbox_insert() -> Any:
    return insert(OutboxMessage.__table__)  # type: ignore[attr-defined]


async def mark_processed(
    session: AsyncSession, channel: str, message_id: str, contact_id: int | None, at: datetime
) -> bool:
    """Records a platform message id; False when it was already processed."""
    params = {"channel": channel, "message_id": message_id, "contact_id": contact_id, "received_at": at}
    result = await session.exec(_processed_statement(session.get_bind().dialect.name), params=params)
    return bool(result.rowcount)


async def resume_waiting(session: AsyncSession, channel: str, chat_id: str, now: datetime) -> None:
    """The person wrote again: messages held for a closed window may go out now.

    By chat, not by contact id: every inbound message runs this, and (channel, chat_id, status)
    is indexed (`ix_outbox_chat`) where contact_id is not; by contact id it read the whole
    outbox for each message."""
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status) == "waiting",
        )
        .values(status="pending", next_attempt_at=now)
    )


async def save_turn(
    session: AsyncSession,
    contact: Contact,
    state: tuple[str | None, str | None, dict[str, Any]] | None,
    replies: Sequence[tuple[dict[str, Any], int]],
    now: datetime,
    transcript: Sequence[dict[str, Any]] = (),
) -> None:
    """Writes what one message changed: the contact, the conversation (flow, step, data; None
    leaves it as it was), the replies to send (payload, priority), and the messages kept for
    officers (`storage.chat.message_row`s; none when the turn erased the person's data).

    The session's own pending changes (a flow's submission, a purged history) are flushed
    first, so the conversation written here is the last word, as the engine intends.
    """
    await session.flush()
    dialect = session.get_bind().dialect.name
    changes = {name: getattr(contact, name) for name in _MUTABLE_CONTACT}
    await session.exec(_contact_update(), params={"contact_id": contact.id, **changes})
    if state is not None:
        flow, step, data = state
        row = {
            "contact_id": contact.id,
            "flow": flow,
            "step": step,
            "data": data,
            "version": 1,
            "updated_at": now,
        }
        await session.exec(_state_statement(dialect), params=row)
    if replies:
        await session.exec(
            _outbox_insert(),
            params=[
                {
                    "channel": contact.channel,
                    "chat_id": contact.chat_id,
                    "contact_id": contact.id,
                    "payload": payload,
                    "priority": priority,
                    "status": "pending",
                    "attempts": 0,
                    "attempt_log": [],
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for payload, priority in replies
            ],
        )
    if transcript and not session.info.get(WIPE_AFTER_COMMIT):
        await chat.add_messages(session, transcript)


async def stale_conversations(session: AsyncSession, before: datetime) -> Sequence[Conversation]:
    """Conversations untouched since `before`: candidates for purging an expired draft."""
    query = select(Conversation).where(Conversation.updated_at < before)
    return (await session.exec(query)).all()
