"""A person's contact and conversation, as one inbound message reads and writes them.

This is the engine's hot path: every message runs `open_turn` (the contact and its
conversation, the processed-id guard, held messages released) and `save_turn` (the contact, the
conversation, the replies), in one transaction, and nothing else of the database unless a flow
asks the store (`storage/store.py`). On PostgreSQL a message is first tried as an optimistic
turn (`peek_turn`, then `save_turn` with its `Peek`): two statements outside a transaction, the
second writing only if nothing changed the person meanwhile. Housekeeping finds the
conversations gone quiet here too (`stale_conversations`).

The statements (`storage.turn_statements`) are SQLAlchemy Core, compiled once per dialect and
run on the driver connection of the session's transaction (`storage.driver`): no ORM objects to
track, no execution context per statement, and each of the two steps is one hop into
SQLAlchemy's greenlet rather than one per statement. Every function takes the session of the
caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import WIPE_AFTER_COMMIT
from storage.driver import Driver
from storage.models import Contact, Conversation
from storage.step_events import take_step_events
from storage.text_guard import check_parameters
from storage.turn_statements import (
    CONTACT_COLUMNS,
    MUTABLE_CONTACT,
    STATE_COLUMNS,
    STATE_KEYS,
    TurnStatements,
    turn_statements,
)


class TurnRedo(Exception):
    """An optimistic turn (`peek_turn`) could not be saved as it ran: another writer changed the
    person's contact after the turn read it, or the turn's work used the database. Nothing of
    it was written: run it again in a transaction (`open_turn`)."""


@dataclass(frozen=True)
class Peek:
    """What an optimistic turn's save needs of its opening (`peek_turn`)."""

    seen: str
    """The version of the contact's row the turn read."""
    channel: str
    chat_id: str
    message_id: str | None


@dataclass(frozen=True)
class SavedState:
    """A conversation as stored: where the person is and the answers so far."""

    flow: str | None
    step: str | None
    data: dict[str, Any]
    version: int
    updated_at: datetime


def _prepared(connection: Any) -> tuple[Driver, TurnStatements]:
    """The driver under the session's connection, and the statements compiled for its dialect."""
    return Driver(connection), turn_statements(connection.dialect.name, connection.dialect)


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
        driver, statements = _prepared(sync.connection())
        params = {"channel": channel, "chat_id": chat_id, "now": now, "message_id": message_id or None}
        values = None if statements.find is None else driver.one_or_none(statements.find, params)
        if values is None:
            values = driver.one_or_none(statements.open, params)
        if values is None:  # PostgreSQL: another turn committed after the snapshot; now it is seen
            values = driver.one(statements.open, params)
        contact = _contact_as_loaded(values)
        held = values["s_held"] is not None
        saved = _saved_state(values)
        if not message_id:
            return contact, saved, held, False
        if statements.mark is None:  # the opening recorded the id and released what was held
            return contact, saved, held, not values["fresh"]
        mark = {"channel": channel, "message_id": message_id, "contact_id": contact.id, "received_at": now}
        if not driver.run(statements.mark, mark):
            return contact, saved, held, True
        assert statements.resume is not None
        driver.run(statements.resume, params)
        return contact, saved, held, False

    return await session.run_sync(run)


async def peek_turn(
    session: AsyncSession, channel: str, chat_id: str, message_id: str | None
) -> tuple[Contact, SavedState | None, bool, bool, Peek] | None:
    """The optimistic opening of a message's turn (PostgreSQL): `open_turn`'s values, read in
    one statement outside a transaction (nothing locked, nothing written), and the `Peek` that
    `save_turn` then needs. None where there is no optimistic turn: SQLite (its one writer
    already makes each turn a transaction of its own), and a new person, whose first message
    creates the contact and its conversation in one transaction (`open_turn`), so that no one,
    a backup included, sees a contact without them.

    The turn is then two round trips instead of four (no BEGIN, no COMMIT): its save is one
    statement that writes everything, the message id included, only if the contact's row is
    still the version read here, and raises `TurnRedo` otherwise. Another process's turn for
    the same person, a reminder or an erasure write that row first (`storage.contact_lock`),
    so none of their work is ever saved over. A redelivery of a message being processed is
    found by the first save, which records the id.
    """

    if session.get_bind().dialect.name != "postgresql":
        return None

    def run(sync: Session) -> tuple[Contact, SavedState | None, bool, bool, Peek] | None:
        connection = sync.connection()
        if Driver.in_transaction(connection):  # not at the start of a unit of work
            return None
        driver = Driver(connection, begin=False)
        statements = turn_statements("postgresql", connection.dialect)
        assert statements.peek is not None
        params = {"channel": channel, "chat_id": chat_id, "message_id": message_id or None}
        values = driver.one_or_none(statements.peek, params)
        if values is None:  # a new person
            return None
        saved = _saved_state(values)
        peek = Peek(values["seen"], channel, chat_id, message_id or None)
        held = values["s_held"] is not None
        return _contact_as_loaded(values), saved, held, bool(values["seen_before"]), peek

    return await session.run_sync(run)


def _saved_state(values: Mapping[str, Any]) -> SavedState | None:
    """The conversation from an opening's `s_<column>` values; None when there is none yet."""
    if values["s_version"] is None:
        return None
    return SavedState(*(values[f"s_{name}"] for name in STATE_COLUMNS))


def _contact_as_loaded(values: Mapping[str, Any]) -> Contact:
    """The contact from its row, built as the ORM builds a loaded object: its columns set
    directly, with none of the validation and change events of `Contact(**values)`, which cost
    50 µs, 3% of a message's CPU time, for values that came out of the database. Not tracked
    by any session; setting an attribute later works as on any Contact."""
    _CONTACTS.mapper._check_configure()  # as any ORM construction does first (once, then a flag)
    contact: Contact = _CONTACTS.new_instance()
    contact.__dict__.update({name: values[name] for name in CONTACT_COLUMNS})
    object.__setattr__(contact, "__pydantic_fields_set__", set(CONTACT_COLUMNS))
    object.__setattr__(contact, "__pydantic_extra__", None)
    object.__setattr__(contact, "__pydantic_private__", None)
    return contact


_CONTACTS = Contact._sa_class_manager  # type: ignore[attr-defined]


async def save_turn(
    session: AsyncSession,
    contact: Contact,
    state: tuple[str | None, str | None, dict[str, Any]] | None,
    replies: Sequence[tuple[dict[str, Any], int]],
    now: datetime,
    transcript: Sequence[dict[str, Any]] = (),
    peek: Peek | None = None,
) -> None:
    """Writes what one message changed: the contact, the conversation (flow, step, data; None
    leaves it as it was), the replies to send (payload, priority), and the messages kept for
    officers (`storage.chat.message_row`s; none when the turn erased the person's data).

    The session's own pending changes (a flow's submission, a purged history) are flushed
    first, so the conversation written here is the last word, as the engine intends.

    With `peek` (an optimistic turn, `peek_turn`): all in one statement, only over the
    contact's row as the turn read it; raises `TurnRedo`, having written nothing, when the row
    changed or when the turn's work used the database (it needs the transaction then).
    """
    if peek is not None and (session.new or session.dirty or session.deleted):
        raise TurnRedo("the turn's work has changes of its own to write")
    if session.new or session.dirty or session.deleted:
        await session.flush()
    changes: Mapping[str, Any] = {name: getattr(contact, name) for name in MUTABLE_CONTACT}
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
        if peek is not None:
            save_if_unchanged(sync)
            return
        driver, statements = _prepared(sync.connection())
        contact_row = {"contact_id": contact.id, **changes}
        if statements.save_all is not None:  # PostgreSQL: one round trip
            state_row = row or dict.fromkeys(STATE_KEYS) | {"contact_id": contact.id}
            rows = {
                "outbox_rows": _as_json(outgoing),
                "chat_rows": _as_json(transcript if keep else ()),
                "step_event_rows": _as_json(take_step_events(sync)),
            }
            has_state = {"has_state": row is not None}
            driver.run(statements.save_all, {**contact_row, **state_row, **has_state, **rows})
            return
        driver.run(statements.contact, contact_row)
        if row is not None:
            driver.run(statements.state, row)
        driver.many(statements.outbox, outgoing)
        if keep:
            driver.many(statements.chat, transcript)

    def save_if_unchanged(sync: Session) -> None:
        assert peek is not None
        connection = sync.connection()
        if Driver.in_transaction(connection):
            raise TurnRedo("the turn's work used the database")
        statements = turn_statements(connection.dialect.name, connection.dialect)
        assert statements.save_if_unchanged is not None
        state_row = row or dict.fromkeys(STATE_KEYS) | {"contact_id": contact.id}
        params = {
            "contact_id": contact.id,
            **changes,
            **state_row,
            "has_state": row is not None,
            "seen": peek.seen,
            "channel": peek.channel,
            "chat_id": peek.chat_id,
            "message_id": peek.message_id,
            "now": now,
            "outbox_rows": _as_json(outgoing),
            "chat_rows": _as_json(transcript if keep else ()),
            "step_event_rows": _as_json(take_step_events(sync)),
        }
        if not Driver(connection, begin=False).one(statements.save_if_unchanged, params)["applied"]:
            raise TurnRedo("the contact changed after the turn read it")

    await session.run_sync(run)


def _as_json(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as a JSON array takes them: times in ISO 8601 with their offset (UTC)."""
    check_parameters([value for row in rows for value in row.values()])
    return [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).isoformat()
    return value


async def stale_conversations(session: AsyncSession, before: datetime) -> Sequence[Conversation]:
    """Conversations untouched since `before`: candidates for purging an expired draft."""
    query = select(Conversation).where(Conversation.updated_at < before)
    return (await session.exec(query)).all()
