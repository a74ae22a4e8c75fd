"""A person's contact and conversation, as one inbound message reads and writes them.

This is the engine's hot path: every message runs `open_turn` (the contact and its
conversation, the processed-id guard, held messages released) and `save_turn` (the contact, the
conversation, the replies), in one transaction, and nothing else of the database unless a flow
asks the store (`storage/store.py`). Housekeeping finds the conversations gone quiet here too
(`stale_conversations`).

Each statement is SQLAlchemy Core, compiled once per dialect and run on the driver connection
of the session's transaction (`storage.driver`): no ORM objects to track, no execution context
per statement, and each of the two steps is one hop into SQLAlchemy's greenlet rather than one
per statement. Every function takes the session of the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, insert, literal_column, update
from sqlalchemy import select as core_select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import chat
from storage.chat_models import AgentHandoff
from storage.db import WIPE_AFTER_COMMIT
from storage.driver import Driver, DriverStatement
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


_OUTBOX_KEYS = (
    "channel",
    "chat_id",
    "contact_id",
    "payload",
    "priority",
    "status",
    "attempts",
    "attempt_log",
    "next_attempt_at",
    "created_at",
)
_STATE_KEYS = ("contact_id", "flow", "step", "data", "version", "updated_at")
_PROCESSED_KEYS = ("channel", "message_id", "contact_id", "received_at")


@cache
def _statements(name: str, dialect: Dialect) -> _HotPath:
    return _HotPath(
        open=DriverStatement.compile(_open_statement(name), dialect),
        processed=DriverStatement.compile(_processed_statement(name), dialect, _PROCESSED_KEYS),
        resume=DriverStatement.compile(_resume_statement(), dialect),
        contact=DriverStatement.compile(_contact_update(), dialect),
        state=DriverStatement.compile(_state_statement(name), dialect, _STATE_KEYS),
        outbox=DriverStatement.compile(_outbox_insert(), dialect, _OUTBOX_KEYS),
        chat=DriverStatement.compile(chat.message_insert(), dialect, chat.MESSAGE_KEYS),
    )


@dataclass(frozen=True)
class _HotPath:
    """The statements of one message, compiled for one dialect."""

    open: DriverStatement
    processed: DriverStatement
    resume: DriverStatement
    contact: DriverStatement
    state: DriverStatement
    outbox: DriverStatement
    chat: DriverStatement


def _hot_path(connection: Any) -> tuple[Driver, _HotPath]:
    """The driver under the session's connection, and the statements compiled for its dialect."""
    return Driver(connection), _statements(connection.dialect.name, connection.dialect)


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


async def open_turn(
    session: AsyncSession, channel: str, chat_id: str, message_id: str | None, now: datetime
) -> tuple[Contact, SavedState | None, bool, bool]:
    """What one message starts with, in one step: the contact (locked for this transaction,
    created if new) and its stored conversation, and, for a message of the person's
    (`message_id`), its id recorded and the messages held for a closed window released.

    The third value says whether an officer's hold on the chat is not closed (`storage.chat`: the
    router then reads it; the quiet time may have ended it); the fourth, that the message was
    processed before (nothing else was then written).

    The contact is not tracked by the session: `save_turn` writes what the conversation
    changed on it.
    """

    def run(sync: Session) -> tuple[Contact, SavedState | None, bool, bool]:
        driver, statements = _hot_path(sync.connection())
        values = driver.one(statements.open, {"channel": channel, "chat_id": chat_id, "now": now})
        contact = Contact(**{name: values[name] for name in _CONTACT_COLUMNS})
        held = values["s_held"] is not None
        saved = (
            None
            if values["s_version"] is None
            else SavedState(*(values[f"s_{name}"] for name in _STATE_COLUMNS))
        )
        if message_id:
            mark: dict[str, Any] = {"channel": channel, "message_id": message_id, "contact_id": contact.id}
            mark["received_at"] = now
            if not driver.run(statements.processed, mark):
                return contact, saved, held, True
            driver.run(statements.resume, {"b_channel": channel, "b_chat_id": chat_id, "b_now": now})
        return contact, saved, held, False

    return await session.run_sync(run)


def _processed_statement(dialect: str) -> Any:
    table = ProcessedInbound.__table__  # type: ignore[attr-defined]
    return insert_for(dialect, table).on_conflict_do_nothing(index_elements=["channel", "message_id"])


def _contact_update() -> Any:
    contact = Contact.__table__  # type: ignore[attr-defined]
    return (
        update(contact)
        .where(contact.c.id == bindparam("contact_id"))
        .values({name: bindparam(name) for name in _MUTABLE_CONTACT})
    )


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


def _outbox_insert() -> Any:
    return insert(OutboxMessage.__table__)  # type: ignore[attr-defined]


def _resume_statement() -> Any:
    """The person wrote again: messages held for a closed window may go out now.

    By chat, not by contact id: every inbound message runs this, and (channel, chat_id, status)
    is indexed (`ix_outbox_chat`) where contact_id is not; by contact id it read the whole
    outbox for each message."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    return (
        update(outbox)
        .where(
            outbox.c.channel == bindparam("b_channel"),
            outbox.c.chat_id == bindparam("b_chat_id"),
            outbox.c.status == "waiting",
        )
        .values(status="pending", next_attempt_at=bindparam("b_now"))
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
    if session.new or session.dirty or session.deleted:
        await session.flush()
    changes: Mapping[str, Any] = {name: getattr(contact, name) for name in _MUTABLE_CONTACT}
    row = None
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
    outgoing: list[dict[str, Any]] = [
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
    ]

    keep = bool(transcript) and not session.info.get(WIPE_AFTER_COMMIT)  # not after an erasure

    def run(sync: Session) -> None:
        driver, statements = _hot_path(sync.connection())
        driver.run(statements.contact, {"contact_id": contact.id, **changes})
        if row is not None:
            driver.run(statements.state, row)
        driver.many(statements.outbox, outgoing)
        if keep:
            driver.many(statements.chat, transcript)

    await session.run_sync(run)


async def stale_conversations(session: AsyncSession, before: datetime) -> Sequence[Conversation]:
    """Conversations untouched since `before`: candidates for purging an expired draft."""
    query = select(Conversation).where(Conversation.updated_at < before)
    return (await session.exec(query)).all()
