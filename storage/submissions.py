"""Queries for submissions, their history and the audit log (form step events: `storage.step_events`)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.contact_lock import lock_contacts_where
from storage.db import WIPE_AFTER_COMMIT
from storage.driver import Driver, DriverStatement
from storage.models import (
    OPEN_STATUSES,
    AuditLog,
    Contact,
    Conversation,
    OutboxMessage,
    Submission,
    SubmissionEvent,
)
from storage.types import word
from storage.upsert import insert_for

ERASED_PAYLOAD = {"text": "", "options": [], "erased": True}

ALL_STATUSES = ("baru", "diproses", "dihubungi", "terdaftar", "ditolak", "dibatalkan")
UNPROCESSED = ("baru",)

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a reference read over the phone cannot be misheard or mistyped.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def generate_reference() -> str:
    """Eight characters in two groups, e.g. "K7XQ-M4DA"."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_reference(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else text.strip().upper()


_OPEN_STATUSES = [word(status) for status in OPEN_STATUSES]
"""As literals: the partial unique index on the NIK hash holds open submissions only."""


async def find_open_by_nik_hash(session: AsyncSession, nik_hashes: Collection[str]) -> Submission | None:
    """The open submission whose NIK hash is one of `nik_hashes` (a NIK's hash under each key).

    Asked at the NIK question and again at submitting: the answer is nearly always "none", so
    the look-up is a driver statement (`storage.driver`), and the ORM loads the row only when
    there is one. Outside a transaction where none is open yet (the optimistic turn keeps its
    two round trips, `conversation.peek_turn`): it locks nothing either way, and the partial
    unique index, not this look-up, keeps a NIK to one open submission (`add_unless_open`)."""
    found: int | None = await session.run_sync(_open_submission_id, tuple(nik_hashes))
    return None if found is None else await session.get(Submission, found)


def _open_submission_id(sync: Session, nik_hashes: tuple[str, ...]) -> int | None:
    if not nik_hashes:
        return None
    connection = sync.connection()
    statement = _open_by_nik_hash(len(nik_hashes), connection.dialect.name, connection.dialect)
    row = Driver(connection, begin=False).one_or_none(
        statement, {f"h{n}": h for n, h in enumerate(nik_hashes)}
    )
    return None if row is None else int(row["id"])


@cache
def _open_by_nik_hash(hashes: int, name: str, dialect: Dialect) -> DriverStatement:
    table = Submission.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(table.c.id)
        .where(
            table.c.nik_hash.in_([bindparam(f"h{n}") for n in range(hashes)]),
            table.c.status.in_(_OPEN_STATUSES),
        )
        .order_by(table.c.id)
        .limit(1)
    )
    return DriverStatement.compile(query, dialect)


_SUBMISSION_KEYS = tuple(column.key for column in Submission.__table__.c if column.key != "id")  # type: ignore[attr-defined]
_EVENT_KEYS = ("submission_id", "at", "actor", "from_status", "to_status", "note")


@cache
def _submission_insert(name: str, dialect: Dialect) -> DriverStatement:
    """INSERT of a submission that writes nothing on a taken reference or an open NIK (the
    unique index and the partial one) and then returns no id: the caller tells which."""
    table = Submission.__table__  # type: ignore[attr-defined]
    statement = insert_for(name, table).on_conflict_do_nothing().returning(table.c.id)
    return DriverStatement.compile(statement, dialect, _SUBMISSION_KEYS)


@cache
def _event_insert(name: str, dialect: Dialect) -> DriverStatement:
    return DriverStatement.compile(insert(SubmissionEvent.__table__), dialect, _EVENT_KEYS)  # type: ignore[attr-defined]


async def add_submission(
    session: AsyncSession, submission: Submission, actor: str, now: datetime
) -> Submission | None:
    """Stores a new submission under a fresh reference, with its first history entry; None (and
    nothing written) when its NIK already has an open submission.

    The rows are written by driver statements (one INSERT each, no savepoint, no ORM flush): it
    is one message of every enrolment, and through the ORM it cost four times a plain message.
    `submission` gets its id, reference, status and times; it is not added to the session (the
    ORM loads it like any other row when asked for it)."""
    submission.status = "baru"
    submission.created_at = submission.updated_at = now
    stored: bool = await session.run_sync(_insert_submission, submission, actor, now)
    return submission if stored else None


def _insert_submission(sync: Session, submission: Submission, actor: str, now: datetime) -> bool:
    connection = sync.connection()
    driver, name = Driver(connection), connection.dialect.name
    while True:
        submission.reference = generate_reference()
        values = {key: getattr(submission, key) for key in _SUBMISSION_KEYS}
        row = driver.one_or_none(_submission_insert(name, connection.dialect), values)
        if row is not None:
            break
        if submission.nik_hash is not None and _open_submission_id(sync, (submission.nik_hash,)) is not None:
            return False
        # Otherwise the reference was taken (one in ~10^11): another one.
    submission.id = int(row["id"])
    event = {"submission_id": submission.id, "at": now, "actor": actor, "from_status": None}
    driver.run(_event_insert(name, connection.dialect), {**event, "to_status": "baru", "note": None})
    return True


async def add_unless_open(
    session: AsyncSession, submission: Submission, actor: str, now: datetime
) -> tuple[Submission, bool]:
    """Adds the submission unless its NIK already has an open one; returns (submission, duplicate).

    The partial unique index on the NIK hash decides, also when two chats send the same NIK at
    the same moment: the later insert writes nothing (ON CONFLICT DO NOTHING; on PostgreSQL it
    waits for the earlier transaction to end), and its chat gets the earlier submission, as if
    it had been there first.
    """
    assert submission.nik_hash is not None
    if await add_submission(session, submission, actor, now) is not None:
        return submission, False
    existing = await find_open_by_nik_hash(session, [submission.nik_hash])
    assert existing is not None  # the insert gave way to it
    return existing, True


async def change_status(
    session: AsyncSession,
    submission: Submission,
    to_status: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    kpj_number: str | None = None,
    rejection_reason: str | None = None,
) -> None:
    """Moves a submission to a status, keeping the change in its history."""
    if to_status not in ALL_STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    if to_status == "terdaftar" and not (kpj_number or submission.kpj_number):
        raise ValueError("terdaftar needs the KPJ card number")
    if to_status == "ditolak" and not rejection_reason:
        raise ValueError("ditolak needs a reason")
    assert submission.id is not None
    session.add(
        SubmissionEvent(
            submission_id=submission.id,
            at=now,
            actor=actor,
            from_status=submission.status,
            to_status=to_status,
            note=note,
        )
    )
    submission.status = to_status
    submission.updated_at = now
    if kpj_number:
        submission.kpj_number = kpj_number
    if rejection_reason:
        submission.rejection_reason = rejection_reason


async def submissions_of_contact(session: AsyncSession, contact_id: int) -> Sequence[Submission]:
    query = select(Submission).where(Submission.contact_id == contact_id).order_by(col(Submission.id))
    return (await session.exec(query)).all()


async def history(session: AsyncSession, submission_id: int) -> Sequence[SubmissionEvent]:
    query = (
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(col(SubmissionEvent.id))
    )
    return (await session.exec(query)).all()


def audit(session: AsyncSession, *, actor: str, action: str, now: datetime, **details: Any) -> None:
    """Records an action on personal data. Pass references and counts, never the data itself."""
    session.add(AuditLog(at=now, actor=actor, action=action, details=details))


async def erase_personal_data(
    session: AsyncSession,
    contact: Contact,
    now: datetime,
    *,
    columns: Collection[str],
    answers: Collection[str],
    note: str,
) -> dict[str, int]:
    """A person's right to deletion (UU PDP).

    Unprocessed submissions lose their personal data and are cancelled (with `note` in their
    history); processed ones are anonymised (the branch keeps the anonymous record and its
    status for its reports). The form names what is personal: the submission `columns` and
    the keys of `Submission.answers` to clear. What staff wrote (KPJ number, rejection reason,
    history notes, which may carry names) is cleared too. Drafts go.
    """
    session.info[WIPE_AFTER_COMMIT] = True  # storage.db: the erased bytes leave the files too
    assert contact.id is not None
    erased = anonymised = 0
    for submission in await submissions_of_contact(session, contact.id):
        if submission.anonymised_at is not None:
            continue
        if submission.status in UNPROCESSED:
            await change_status(session, submission, "dibatalkan", actor="peserta", now=now, note=note)
            erased += 1
        else:
            anonymised += 1
        _strip(submission, now, columns, answers)
        for event in await history(session, submission.id or 0):
            event.note = None
        submission.contact_id = None
    conversation = await session.get(Conversation, contact.id)
    if conversation is not None:
        conversation.data = {}
        conversation.flow = conversation.step = None
    contact.phone_enc = None
    contact.erased_at = now
    contact.attribution_code = None
    contact.reply_keyboard_at = None
    messages = await erase_messages(session, contact, now)
    return {"erased": erased, "anonymised": anonymised, "messages": messages}


# Written by staff, not by the form: may name the person.
_STAFF_NOTES = ("kpj_number", "rejection_reason")


def _strip(submission: Submission, now: datetime, columns: Collection[str], answers: Collection[str]) -> None:
    for column in (*columns, *_STAFF_NOTES):
        setattr(submission, column, None)
    submission.answers = {k: v for k, v in submission.answers.items() if k not in answers}
    submission.anonymised_at = now
    submission.updated_at = now


async def erase_messages(session: AsyncSession, contact: Contact, now: datetime) -> int:
    """Empties every outbox row to or about the person, in any status: summaries and "data
    saya" answers carry their data. Rows not yet delivered are not sent any more."""
    assert contact.id is not None
    mine = or_(
        col(OutboxMessage.contact_id) == contact.id,
        and_(col(OutboxMessage.channel) == contact.channel, col(OutboxMessage.chat_id) == contact.chat_id),
    )
    await session.exec(
        update(OutboxMessage)
        .where(mine, col(OutboxMessage.status).in_(["pending", "sending", "waiting"]))
        .values(status="erased", last_error="erased at the person's request")
    )
    scrubbed = await session.exec(
        update(OutboxMessage).where(mine).values(payload=ERASED_PAYLOAD, attempt_log=[])
    )
    return int(scrubbed.rowcount or 0)


async def purge_expired(
    session: AsyncSession,
    now: datetime,
    *,
    years: int,
    columns: Collection[str],
    answers: Collection[str],
) -> dict[str, int]:
    """Retention as the consent promises: at most `years` years.

    Submissions created longer ago lose their personal data (the form names it: `columns` and
    `answers`, as for "hapus data"; the anonymous record and its status stay for the branch's
    reports); so do their history notes. Contacts silent that
    long lose their name and phone; their conversations and old messages go.
    """
    cutoff = now - timedelta(days=round(365.25 * years))
    anonymised = 0
    query = select(Submission).where(
        col(Submission.created_at) < cutoff, col(Submission.anonymised_at).is_(None)
    )
    for submission in (await session.exec(query)).all():
        _strip(submission, now, columns, answers)
        for event in await history(session, submission.id or 0):
            event.note = None
        anonymised += 1
    quiet = or_(
        col(Contact.last_inbound_at) < cutoff,
        and_(col(Contact.last_inbound_at).is_(None), col(Contact.created_at) < cutoff),
    )
    held = or_(col(Contact.phone_enc).is_not(None), col(Contact.attribution_code).is_not(None))
    contacts = await session.exec(
        update(Contact)
        .where(quiet, held)
        .values(phone_enc=None, attribution_code=None, reply_keyboard_at=None)
    )
    # Their contacts locked first, as a message's turn locks them (`storage.contact_lock`): one
    # who writes meanwhile is no longer quiet once the lock is granted (an UPDATE checks its
    # condition again on the row as it then is) and keeps the conversation that message saved.
    talking = exists().where(col(Conversation.contact_id) == Contact.id)
    await lock_contacts_where(session, quiet, talking)
    quiet_ids = select(Contact.id).where(quiet)
    await session.exec(delete(Conversation).where(col(Conversation.contact_id).in_(quiet_ids)))
    messages = await session.exec(delete(OutboxMessage).where(col(OutboxMessage.created_at) < cutoff))
    return {
        "submissions": anonymised,
        "contacts": int(contacts.rowcount or 0),
        "messages": int(messages.rowcount or 0),
    }
