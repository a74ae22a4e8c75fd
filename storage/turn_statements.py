"""The statements one inbound message runs, built once per dialect (`storage.conversation` runs them).

Every message opens its turn (the contact, locked and created if new, with its conversation and
an officer's hold; the message id recorded; messages held for a closed window released) and
saves it (the contact, the conversation, the replies, the transcript). On SQLite each is a few
statements on a local file, microseconds apiece. On PostgreSQL each statement is a round trip to
the server (a socket write and a wake-up of the event loop), so the opening is one statement of
data-modifying CTEs and the save one more (the contact, the conversation, the replies, the
transcript and the form's step events, the rows passed as JSON arrays): with BEGIN and COMMIT,
an enrolment's message takes 4 round trips where it took 10. The optimistic turn's two
(`peek`, `save_if_unchanged`: `storage.conversation.peek_turn`) need no BEGIN and COMMIT: 2
(a person's first message takes the transaction: it creates the contact).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    bindparam,
    exists,
    func,
    insert,
    literal,
    literal_column,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import JSON as PG_JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine.interfaces import Dialect

from storage import chat
from storage.chat_models import AgentHandoff
from storage.driver import DriverStatement
from storage.models import Contact, Conversation, FormStepEvent, OutboxMessage, ProcessedInbound
from storage.step_events import STEP_EVENT_KEYS
from storage.types import UTCDateTime, word
from storage.upsert import insert_for

CONTACT_COLUMNS = tuple(column.name for column in Contact.__table__.c)  # type: ignore[attr-defined]
STATE_COLUMNS = ("flow", "step", "data", "version", "updated_at")
_SENDERS_COLUMNS = ("id", "channel", "chat_id", "created_at", "unreachable_at", "reply_keyboard_at")
MUTABLE_CONTACT = tuple(name for name in CONTACT_COLUMNS if name not in _SENDERS_COLUMNS)
"""What a conversation may change on its contact (not the key, nor what the sender keeps there)."""
OUTBOX_KEYS = (
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
STATE_KEYS = ("contact_id", "flow", "step", "data", "version", "updated_at")
_PROCESSED_KEYS = ("channel", "message_id", "contact_id", "received_at")


@dataclass(frozen=True)
class TurnStatements:
    """The statements of one message, compiled for one dialect.

    `open` takes channel, chat_id, now and message_id, and returns the contact's columns, the
    conversation's as `s_<column>` and `s_held`. Where `find` is given (SQLite), it returns the
    same for a contact that exists, and `open` runs only when it returned nothing. Where `mark` is
    None (PostgreSQL), `open` also records the message id and releases held messages, and says
    in `fresh` whether the id was new; otherwise `mark` records it (rows written: 0 for a
    redelivery) and `resume` releases.
    Where `save_all` is given (PostgreSQL), it writes the contact, the conversation when
    `has_state`, and the rows of `outbox_rows`, `chat_rows` and `step_event_rows` (JSON arrays of
    objects, times in ISO 8601) at once; otherwise `contact`, `state`, `outbox` and `chat` do.
    """

    find: DriverStatement | None
    open: DriverStatement
    mark: DriverStatement | None
    resume: DriverStatement | None
    contact: DriverStatement
    state: DriverStatement
    save_all: DriverStatement | None
    outbox: DriverStatement
    chat: DriverStatement
    peek: DriverStatement | None = None
    """PostgreSQL, the optimistic turn: the contact with its row's version (`seen`), its
    conversation and hold, and whether the message id was processed (`seen_before`); no row
    for a new person. One statement that writes nothing, run outside a transaction."""
    save_if_unchanged: DriverStatement | None = None
    """PostgreSQL, the optimistic turn: `save_all`'s writes, and the message id recorded and
    held messages released, all only if the contact's row is still the version `seen`;
    returns `applied`. One statement, outside a transaction: all of it or nothing."""


@cache
def turn_statements(name: str, dialect: Dialect) -> TurnStatements:
    """The statements for the dialect named `name` (the cache's key; `dialect` compiles)."""
    postgres = name == "postgresql"
    return TurnStatements(
        find=None if postgres else DriverStatement.compile(_find(), dialect),
        open=DriverStatement.compile(_open_all_at_once() if postgres else _open(name), dialect),
        mark=None if postgres else DriverStatement.compile(_mark(name), dialect, _PROCESSED_KEYS),
        resume=None if postgres else DriverStatement.compile(_resume(), dialect),
        contact=DriverStatement.compile(_contact_update(), dialect),
        state=DriverStatement.compile(_state_upsert(name), dialect, STATE_KEYS),
        save_all=DriverStatement.compile(_save_all_at_once(), dialect) if postgres else None,
        outbox=DriverStatement.compile(insert(OutboxMessage.__table__), dialect, OUTBOX_KEYS),  # type: ignore[attr-defined]
        chat=DriverStatement.compile(chat.message_insert(), dialect, chat.MESSAGE_KEYS),
        peek=DriverStatement.compile(_peek(), dialect) if postgres else None,
        save_if_unchanged=DriverStatement.compile(_save_if_unchanged(), dialect) if postgres else None,
    )


def _contact_upsert(name: str, *, as_seen: bool = False) -> Any:
    """Gets or creates the contact and locks its row: ON CONFLICT DO UPDATE (of nothing that
    changes) takes the row lock on PostgreSQL, which serialises one person's messages across
    workers; on SQLite the write transaction already does.

    `as_seen` (PostgreSQL): updates, and so returns, the row only if it is the version this
    statement's snapshot holds. Under READ COMMITTED the snapshot is taken before the statement
    waits for the lock, so whatever else the statement reads (the conversation) could predate a
    turn another worker committed meanwhile; the row is then locked but not returned, and the
    caller runs the statement again, with a snapshot that sees that turn
    (`storage.conversation.open_turn`, `tests/storage/test_turn_race.py`)."""
    contact = Contact.__table__  # type: ignore[attr-defined]
    stmt = insert_for(name, contact).values(
        channel=bindparam("channel", type_=String),
        chat_id=bindparam("chat_id", type_=String),
        created_at=bindparam("now", type_=UTCDateTime()),
        # The columns' defaults, given here: a statement inside a CTE gets none filled in.
        announcements=contact.c.announcements.default.arg,
        language=contact.c.language.default.arg,
    )
    return stmt.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={"channel": stmt.excluded.channel},
        where=_as_seen_by_the_snapshot() if as_seen else None,
    )


def _as_seen_by_the_snapshot() -> Any:
    """PostgreSQL: the contact row being upserted is the version the statement's snapshot holds."""
    seen = Contact.__table__.alias("seen")  # type: ignore[attr-defined]
    seen_version = (
        core_select(literal_column("seen.xmin"))
        .select_from(seen)
        .where(
            seen.c.channel == bindparam("channel", type_=String),
            seen.c.chat_id == bindparam("chat_id", type_=String),
        )
        .scalar_subquery()
    )
    return literal_column("contact.xmin") == seen_version


def _stored(owner: Any) -> list[Any]:
    """The conversation and the hold of the contact `owner`, as labelled scalar subqueries."""
    stored = Conversation.__table__.alias("stored")  # type: ignore[attr-defined]
    state = [
        core_select(stored.c[name]).where(stored.c.contact_id == owner).scalar_subquery().label(f"s_{name}")
        for name in STATE_COLUMNS
    ]
    hold = AgentHandoff.__table__  # type: ignore[attr-defined]
    held = (
        core_select(hold.c.officer_at)
        .where(hold.c.contact_id == owner, hold.c.closed_at.is_(None))
        .scalar_subquery()
        .label("s_held")
    )
    return [*state, held]


def _find() -> Any:
    """SQLite: the contact that exists, with its conversation, read without the upsert.

    The write transaction already holds the only writer's lock, so the row needs no lock of its
    own; the upsert (a write of the row, returning it) costs three times this read: 91,000
    against 31,000 instructions, counted with cachegrind."""
    contact = Contact.__table__  # type: ignore[attr-defined]
    return core_select(*(contact.c[column] for column in CONTACT_COLUMNS), *_stored(contact.c.id)).where(
        contact.c.channel == bindparam("channel", type_=String),
        contact.c.chat_id == bindparam("chat_id", type_=String),
    )


def _open(name: str) -> Any:
    """The contact and its conversation in one statement (RETURNING with scalar subqueries)."""
    contact = Contact.__table__  # type: ignore[attr-defined]
    owner = literal_column("contact.id", Integer)  # the row being returned (RETURNING names no tables itself)
    return _contact_upsert(name).returning(
        *(contact.c[column] for column in CONTACT_COLUMNS), *_stored(owner)
    )


def _open_all_at_once() -> Any:
    """PostgreSQL: the opening as one statement of data-modifying CTEs.

    `c` upserts the contact; `p` records the message id (none for a form's request) and
    returns it when it was new; `r` releases the held messages when it was. All three see the
    same snapshot, as the separate statements of SQLite's opening saw the same data. When the
    contact's row is no longer the version of that snapshot (`_contact_upsert`'s `as_seen`),
    `c` is empty: nothing is written and no row comes back.
    """
    contact = Contact.__table__  # type: ignore[attr-defined]
    upsert = _contact_upsert("postgresql", as_seen=True)
    c = upsert.returning(*(contact.c[column] for column in CONTACT_COLUMNS)).cte("c")
    new_id, released = _recorded_and_released(c.c.id)
    fresh = exists(core_select(new_id.c.id)).label("fresh")
    return core_select(*c.c, *_stored(c.c.id), fresh).add_cte(released)


def _recorded_and_released(contact_id: Any) -> tuple[Any, Any]:
    """PostgreSQL, two CTEs: `p` records the message id (none for a form's request) for the
    contact `contact_id` (a column of an earlier CTE: nothing when that is empty) and returns
    it when it was new; `r` releases the chat's held messages when it was."""
    processed, outbox = ProcessedInbound.__table__, OutboxMessage.__table__  # type: ignore[attr-defined]
    message_id = bindparam("message_id", type_=String)
    now = bindparam("now", type_=UTCDateTime())
    channel = bindparam("channel", type_=String)
    new_id = (
        pg_insert(processed)
        .from_select(
            ["channel", "message_id", "contact_id", "received_at"],
            core_select(channel, message_id, contact_id, now).where(message_id.is_not(None)),
        )
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(processed.c.id)
        .cte("p")
    )
    released = (
        update(outbox)
        .where(
            outbox.c.channel == channel,
            outbox.c.chat_id == bindparam("chat_id", type_=String),
            outbox.c.status == word("waiting"),
            exists(core_select(new_id.c.id)),
        )
        .values(status="pending", next_attempt_at=now)
        .cte("r")
    )
    return new_id, released


def _mark(name: str) -> Any:
    table = ProcessedInbound.__table__  # type: ignore[attr-defined]
    return insert_for(name, table).on_conflict_do_nothing(index_elements=["channel", "message_id"])


def _resume() -> Any:
    """The person wrote again: messages held for a closed window may go out now.

    By chat, not by contact id: every inbound message runs this, and (channel, chat_id, status)
    is indexed (`ix_outbox_chat`) where contact_id is not; by contact id it read the whole
    outbox for each message."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    return (
        update(outbox)
        .where(
            outbox.c.channel == bindparam("channel", type_=String),
            outbox.c.chat_id == bindparam("chat_id", type_=String),
            outbox.c.status == word("waiting"),
        )
        .values(status="pending", next_attempt_at=bindparam("now", type_=UTCDateTime()))
    )


def _contact_update() -> Any:
    contact = Contact.__table__  # type: ignore[attr-defined]
    return (
        update(contact)
        .where(contact.c.id == bindparam("contact_id"))
        .values({name: bindparam(name) for name in MUTABLE_CONTACT})
    )


def _state_upsert(name: str) -> Any:
    """The conversation written over, its version counted up (columns bound as executed)."""
    return _over_the_stored(insert_for(name, Conversation.__table__))  # type: ignore[attr-defined]


def _over_the_stored(stmt: Any) -> Any:
    """An INSERT of a conversation that writes over the stored one (its version counted up)."""
    version = Conversation.__table__.c.version  # type: ignore[attr-defined]
    return stmt.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={
            "flow": stmt.excluded.flow,
            "step": stmt.excluded.step,
            "data": stmt.excluded.data,
            "version": version + 1,
            "updated_at": stmt.excluded.updated_at,
        },
    )


def _rows_into(table: Any, keys: tuple[str, ...], parameter: str, when: Any = None) -> Any:
    """INSERT INTO table (keys) SELECT keys FROM json_populate_recordset(NULL::table, :parameter)
    [WHERE when]."""
    rows = func.json_populate_recordset(
        literal_column(f"NULL::{table.name}"), bindparam(parameter, type_=PG_JSON)
    ).table_valued(*keys)
    chosen = core_select(*(rows.c[key] for key in keys))
    return pg_insert(table).from_select(list(keys), chosen if when is None else chosen.where(when))


def _save_all_at_once() -> Any:
    """PostgreSQL: what a message changed, saved in one statement of data-modifying CTEs: the
    contact (`u`), the conversation when `has_state` (`s`), the replies (`o`), the transcript
    (`m`) and the form's step events (`e`, once per draft, step and event)."""
    return core_select(literal(1)).add_cte(_contact_update().cte("u")).add_cte(*_saved_rows())


def _saved_rows(when: Any = None) -> list[Any]:
    """The CTEs of a save after the contact's: the conversation when `has_state`, the replies,
    the transcript and the step events; each only `when` that holds, if given."""
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    given = core_select(*(bindparam(key, type_=conversation.c[key].type) for key in STATE_KEYS))
    wanted = bindparam("has_state", type_=Boolean)
    state = _over_the_stored(
        pg_insert(conversation).from_select(
            list(STATE_KEYS), given.where(wanted if when is None else wanted & when)
        )
    )
    events = _rows_into(FormStepEvent.__table__, STEP_EVENT_KEYS, "step_event_rows", when)  # type: ignore[attr-defined]
    return [
        state.cte("s"),
        _rows_into(OutboxMessage.__table__, OUTBOX_KEYS, "outbox_rows", when).cte("o"),  # type: ignore[attr-defined]
        _rows_into(chat.ChatMessage.__table__, chat.MESSAGE_KEYS, "chat_rows", when).cte("m"),  # type: ignore[attr-defined]
        events.on_conflict_do_nothing(index_elements=["draft_id", "step", "event"]).cte("e"),
    ]


_SEEN = "contact.xmin::text"
"""The version of a contact's row: the transaction that wrote it. Every writer of a person's
conversation writes the contact's row first (`storage.contact_lock`), and so does every turn."""


def _peek() -> Any:
    """PostgreSQL: the optimistic turn's opening (`TurnStatements.peek`).

    The contact with its row's version, its conversation, hold and whether the message id was
    recorded; no row when the person is new. Run outside a transaction, it takes no lock and
    writes nothing: a new person's first message is a transaction of its own (`open_turn`),
    so a contact is never there without the conversation its message wrote."""
    contact, processed = Contact.__table__, ProcessedInbound.__table__  # type: ignore[attr-defined]
    channel = bindparam("channel", type_=String)
    chat_id = bindparam("chat_id", type_=String)
    columns = [contact.c[column] for column in CONTACT_COLUMNS]
    c = (
        core_select(*columns, literal_column(_SEEN).label("seen"))
        .where(contact.c.channel == channel, contact.c.chat_id == chat_id)
        .cte("c")
    )
    message_id = bindparam("message_id", type_=String)
    recorded = core_select(processed.c.id).where(
        processed.c.channel == channel, processed.c.message_id == message_id
    )
    seen_before = exists(recorded).label("seen_before")
    return core_select(*c.c, *_stored(c.c.id), seen_before)


def _save_if_unchanged() -> Any:
    """PostgreSQL: the optimistic turn's save (`TurnStatements.save_if_unchanged`).

    `g` writes the contact only if its row is the version the opening saw; every other CTE
    writes only if `g` did: the message id (`p`), the held messages released when the id was
    new (`r`), and `save_all`'s rows. A turn of another process, a reminder or an erasure that
    wrote the contact meanwhile makes `g` empty: nothing is written and `applied` is false. If
    such a writer holds the row's lock, `g` waits for it and then checks the row as it was
    committed."""
    contact = Contact.__table__  # type: ignore[attr-defined]
    guard = (
        update(contact)
        .where(
            contact.c.id == bindparam("contact_id"),
            literal_column(_SEEN) == bindparam("seen", type_=String),
        )
        .values({name: bindparam(name) for name in MUTABLE_CONTACT})
        .returning(contact.c.id)
        .cte("g")
    )
    applied = exists(core_select(guard.c.id))
    recorded, released = _recorded_and_released(guard.c.id)
    return core_select(applied.label("applied")).add_cte(guard, recorded, released, *_saved_rows(applied))
