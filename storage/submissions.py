"""Queries for submissions, their history, form step events and the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    OPEN_STATUSES,
    AuditLog,
    Contact,
    Conversation,
    FormStepEvent,
    Submission,
    SubmissionEvent,
)
from storage.queries import dialect_insert

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


async def find_open_by_nik_hash(session: AsyncSession, nik_hash: str) -> Submission | None:
    query = (
        select(Submission)
        .where(Submission.nik_hash == nik_hash, col(Submission.status).in_(OPEN_STATUSES))
        .order_by(col(Submission.id))
    )
    return (await session.exec(query)).first()


async def add_submission(
    session: AsyncSession, submission: Submission, actor: str, now: datetime
) -> Submission:
    """Stores a new submission under a fresh reference, with its first history entry."""
    while True:
        reference = generate_reference()
        taken = await session.exec(select(Submission.id).where(Submission.reference == reference))
        if taken.first() is None:
            break
    submission.reference = reference
    submission.status = "baru"
    submission.created_at = submission.updated_at = now
    session.add(submission)
    await session.flush()
    assert submission.id is not None
    session.add(SubmissionEvent(submission_id=submission.id, at=now, actor=actor, to_status="baru"))
    return submission


async def add_unless_open(
    session: AsyncSession, submission: Submission, actor: str, now: datetime
) -> tuple[Submission, bool]:
    """Adds the submission unless its NIK already has an open one; returns (submission, duplicate).

    The check before the insert answers the common case; the partial unique index decides
    when two chats send the same NIK at the same moment: the loser's insert fails inside a
    savepoint, and it gets the winner's submission, as if it had been there first.
    """
    assert submission.nik_hash is not None
    existing = await find_open_by_nik_hash(session, submission.nik_hash)
    if existing is not None:
        return existing, True
    try:
        async with session.begin_nested():
            await add_submission(session, submission, actor, now)
    except IntegrityError:
        existing = await find_open_by_nik_hash(session, submission.nik_hash)
        if existing is None:
            raise
        return existing, True
    return submission, False


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


async def by_reference(session: AsyncSession, reference: str) -> Submission | None:
    query = select(Submission).where(Submission.reference == normalize_reference(reference))
    return (await session.exec(query)).first()


async def history(session: AsyncSession, submission_id: int) -> Sequence[SubmissionEvent]:
    query = (
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(col(SubmissionEvent.id))
    )
    return (await session.exec(query)).all()


async def record_step_event(
    session: AsyncSession,
    *,
    draft_id: str,
    step: str,
    event: str,
    channel: str,
    now: datetime,
    contact_id: int | None = None,
) -> None:
    """Counts a person reaching, completing or abandoning a step, once per draft."""
    stmt = (
        dialect_insert(session, FormStepEvent)
        .values(draft_id=draft_id, contact_id=contact_id, step=step, event=event, channel=channel, at=now)
        .on_conflict_do_nothing(index_elements=["draft_id", "step", "event"])
    )
    await session.exec(stmt)


async def step_counts(session: AsyncSession) -> dict[str, dict[str, int]]:
    """{step: {"reached": n, "completed": n, "abandoned": n}}, each counting people (drafts)."""
    query = select(FormStepEvent.step, FormStepEvent.event, func.count()).group_by(
        FormStepEvent.step, FormStepEvent.event
    )
    counts: dict[str, dict[str, int]] = {}
    for step, event, n in (await session.exec(query)).all():
        counts.setdefault(step, {"reached": 0, "completed": 0, "abandoned": 0})[event] = n
    return counts


def audit(session: AsyncSession, *, actor: str, action: str, now: datetime, **details: Any) -> None:
    """Records an action on personal data. Pass references and counts, never the data itself."""
    session.add(AuditLog(at=now, actor=actor, action=action, details=details))


async def erase_personal_data(session: AsyncSession, contact: Contact, now: datetime) -> dict[str, int]:
    """A person's right to deletion (UU PDP).

    Unprocessed submissions lose their personal data and are cancelled; processed ones are
    anonymised (the branch keeps the anonymous record and its status for its reports).
    History notes, which staff may have written names into, are cleared too. Drafts go.
    """
    assert contact.id is not None
    erased = anonymised = 0
    for submission in await submissions_of_contact(session, contact.id):
        if submission.anonymised_at is not None:
            continue
        if submission.status in UNPROCESSED:
            await change_status(
                session,
                submission,
                "dibatalkan",
                actor="peserta",
                now=now,
                note="data dihapus atas permintaan peserta",
            )
            erased += 1
        else:
            anonymised += 1
        _strip(submission, now)
        for event in await history(session, submission.id or 0):
            event.note = None
        submission.contact_id = None
    conversation = await session.get(Conversation, contact.id)
    if conversation is not None:
        conversation.data = {}
        conversation.flow = conversation.step = None
    contact.display_name = None
    contact.phone = None
    contact.attribution_code = None
    return {"erased": erased, "anonymised": anonymised}


def _strip(submission: Submission, now: datetime) -> None:
    submission.nik_enc = submission.nik_hash = None
    submission.full_name_enc = submission.phone_enc = None
    submission.email_enc = submission.address_enc = None
    submission.birth_date = None
    submission.kpj_number = None
    submission.occupation_other = None
    submission.rejection_reason = None
    submission.anonymised_at = now
    submission.updated_at = now


async def export_rows(
    session: AsyncSession, *, status: str | None = None, branch: str | None = None
) -> Sequence[Submission]:
    query = select(Submission).order_by(col(Submission.id))
    if status:
        query = query.where(Submission.status == status)
    if branch:
        query = query.where(Submission.branch_code == branch)
    return (await session.exec(query)).all()


async def stale_conversations(session: AsyncSession, before: datetime) -> Sequence[Conversation]:
    """Conversations untouched since `before`: candidates for purging an expired draft."""
    query = select(Conversation).where(Conversation.updated_at < before)
    return (await session.exec(query)).all()
