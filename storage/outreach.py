"""Queries of the organisers' side: sessions, reservations, attendance, follow-up answers.

Every function takes the session of the caller's unit of work, like storage.submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contact, Conversation, Submission
from storage.outreach_models import SessionParticipant, SocialSession

ReserveResult = Literal["reserved", "already", "full", "closed"]


async def session_by_code(session: AsyncSession, code: str) -> SocialSession | None:
    query = select(SocialSession).where(SocialSession.code == code.upper())
    return (await session.exec(query)).first()


async def upcoming_sessions(
    session: AsyncSession, regency_code: str, now: datetime, limit: int = 5
) -> Sequence[SocialSession]:
    """Sessions in a regency that have not ended, soonest first."""
    query = (
        select(SocialSession)
        .where(
            SocialSession.regency_code == regency_code,
            SocialSession.ends_at > now,
            col(SocialSession.cancelled_at).is_(None),
        )
        .order_by(col(SocialSession.starts_at), col(SocialSession.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def participant(
    session: AsyncSession, session_id: int, contact_id: int, *, create: bool = False
) -> SessionParticipant | None:
    query = select(SessionParticipant).where(
        SessionParticipant.session_id == session_id, SessionParticipant.contact_id == contact_id
    )
    found = (await session.exec(query)).first()
    if found is None and create:
        found = SessionParticipant(session_id=session_id, contact_id=contact_id)
        session.add(found)
    return found


async def reserved_count(session: AsyncSession, session_id: int) -> int:
    query = select(func.count()).where(
        SessionParticipant.session_id == session_id,
        col(SessionParticipant.reserved_at).is_not(None),
        col(SessionParticipant.cancelled_at).is_(None),
    )
    return int((await session.exec(query)).one())


def is_reserved(row: SessionParticipant | None) -> bool:
    return row is not None and row.reserved_at is not None and row.cancelled_at is None


async def reserve(
    session: AsyncSession, social: SocialSession, contact_id: int, now: datetime
) -> ReserveResult:
    """Takes a place, unless the session is full, over, or already reserved by this person.

    The session row is locked (PostgreSQL; SQLite's write transaction serialises anyway), so
    two people cannot both take the last place.
    """
    assert social.id is not None
    await session.get(SocialSession, social.id, with_for_update=True)
    if social.cancelled_at is not None or social.starts_at <= now:
        return "closed"
    row = await participant(session, social.id, contact_id)
    if is_reserved(row):
        return "already"
    if await reserved_count(session, social.id) >= social.capacity:
        return "full"
    row = row or await participant(session, social.id, contact_id, create=True)
    assert row is not None
    row.reserved_at = now
    row.cancelled_at = None
    row.reminded_day_at = None
    row.reminded_hours_at = None
    return "reserved"


async def cancel_reservation(
    session: AsyncSession, social: SocialSession, contact_id: int, now: datetime
) -> bool:
    assert social.id is not None
    row = await participant(session, social.id, contact_id)
    if not is_reserved(row):
        return False
    assert row is not None
    row.cancelled_at = now
    return True


async def reservations_of(session: AsyncSession, contact_id: int, now: datetime) -> Sequence[SocialSession]:
    """The sessions still to come that this person has a place in, soonest first."""
    query = (
        select(SocialSession)
        .join(SessionParticipant, col(SessionParticipant.session_id) == col(SocialSession.id))
        .where(
            SessionParticipant.contact_id == contact_id,
            col(SessionParticipant.reserved_at).is_not(None),
            col(SessionParticipant.cancelled_at).is_(None),
            SocialSession.ends_at > now,
        )
        .order_by(col(SocialSession.starts_at))
    )
    return (await session.exec(query)).all()


async def mark_attended(session: AsyncSession, social: SocialSession, contact_id: int, now: datetime) -> bool:
    """Records that the person came (first time only); False when already recorded."""
    assert social.id is not None
    row = await participant(session, social.id, contact_id, create=True)
    assert row is not None
    if row.attended_at is not None:
        return False
    row.attended_at = now
    return True


async def sponsored_count(session: AsyncSession, social: SocialSession) -> int:
    """Submissions of the session's attendees already counted against its sponsor quota."""
    query = (
        select(func.count(col(Submission.id).distinct()))
        .join(SessionParticipant, col(SessionParticipant.contact_id) == col(Submission.contact_id))
        .where(
            SessionParticipant.session_id == social.id,
            col(SessionParticipant.attended_at).is_not(None),
            Submission.sponsor == social.sponsor,
            Submission.status != "dibatalkan",
        )
    )
    return int((await session.exec(query)).one())


@dataclass(frozen=True)
class Profile:
    """What is known of a contact for listings and audiences."""

    regency_code: str | None
    district_code: str | None
    occupation: str | None
    stage: str
    """never | started | submitted | terdaftar"""
    step: str | None


class Located(Protocol):
    """A contact, or the few columns of one an audience walk reads."""

    @property
    def regency_code(self) -> str | None: ...


def profile_of(
    contact: Located, conversation_data: dict[str, object] | None, submission: Submission | None
) -> Profile:
    """From the latest submission, else the draft in progress, else what the person told us."""
    draft = (conversation_data or {}).get("draft")
    answers: dict[str, object] = draft.get("answers", {}) if isinstance(draft, dict) else {}
    if submission is not None:
        return Profile(
            submission.regency_code,
            submission.district_code,
            submission.occupation,
            "terdaftar" if submission.status == "terdaftar" else "submitted",
            None,
        )
    regency = answers.get("regency")
    district = answers.get("district")
    occupation = answers.get("occupation")
    return Profile(
        str(regency) if regency else contact.regency_code,
        str(district) if district else None,
        str(occupation) if occupation else None,
        "started" if isinstance(draft, dict) else "never",
        str(draft.get("step")) if isinstance(draft, dict) and draft.get("step") else None,
    )


async def contact_profile(session: AsyncSession, contact: Contact) -> Profile:
    assert contact.id is not None
    conversation = await session.get(Conversation, contact.id)
    query = (
        select(Submission)
        .where(Submission.contact_id == contact.id, Submission.status != "dibatalkan")
        .order_by(col(Submission.id).desc())
        .limit(1)
    )
    latest = (await session.exec(query)).first()
    return profile_of(contact, conversation.data if conversation else None, latest)


class OutreachStore:
    """The sessions' named operations for the conversation flows, bound to one message's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_code(self, code: str) -> SocialSession | None:
        return await session_by_code(self._session, code)

    async def get(self, session_id: int) -> SocialSession | None:
        return await self._session.get(SocialSession, session_id)

    async def upcoming(self, regency_code: str, now: datetime, limit: int) -> Sequence[SocialSession]:
        return await upcoming_sessions(self._session, regency_code, now, limit)

    async def reservations_of(self, contact_id: int, now: datetime) -> Sequence[SocialSession]:
        return await reservations_of(self._session, contact_id, now)

    async def reserve(self, social: SocialSession, contact_id: int, now: datetime) -> ReserveResult:
        return await reserve(self._session, social, contact_id, now)

    async def cancel_reservation(self, social: SocialSession, contact_id: int, now: datetime) -> bool:
        return await cancel_reservation(self._session, social, contact_id, now)

    async def mark_attended(self, social: SocialSession, contact_id: int, now: datetime) -> bool:
        return await mark_attended(self._session, social, contact_id, now)

    async def sponsored_count(self, social: SocialSession) -> int:
        return await sponsored_count(self._session, social)

    async def profile(self, contact: Contact) -> Profile:
        return await contact_profile(self._session, contact)

    async def answer_followup(
        self, social: SocialSession, contact_id: int, reason: str, text: str | None, now: datetime
    ) -> None:
        """Keeps the person's answer to the follow-up question (the latest one counts)."""
        assert social.id is not None
        row = await participant(self._session, social.id, contact_id, create=True)
        assert row is not None
        row.followup_reason = reason
        if text is not None:
            row.followup_other = text[:300]
        row.followup_answered_at = now
