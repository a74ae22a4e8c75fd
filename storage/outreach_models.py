"""Tables of the organisers' side: socialization sessions, their participants, broadcasts,
the recipients of each broadcast (each linked to its outbox row).

Times are stored in UTC; a session's `timezone` (WIB/WITA/WIT, from its province) is how it is
shown and when its reminders fall.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _ts(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _now() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SocialSession(SQLModel, table=True):
    """A socialization session: face to face (place) or online (link), in one regency."""

    __tablename__ = "social_session"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    timezone: str = Field(max_length=4)
    place: str | None = Field(default=None, max_length=300)
    online_url: str | None = Field(default=None, max_length=500)
    regency_code: str = Field(max_length=8, index=True)
    regency_name: str = Field(max_length=100)
    district: str | None = Field(default=None, max_length=100)
    organiser: str = Field(max_length=200)
    capacity: int
    branch_code: str = Field(max_length=32, index=True)
    sponsor: str | None = Field(default=None, max_length=200)
    sponsor_months: int | None = Field(default=None)
    sponsor_quota: int | None = Field(default=None)
    created_by: str = Field(max_length=64)
    created_at: datetime = _now()
    cancelled_at: datetime | None = _ts()


class SessionParticipant(SQLModel, table=True):
    """One person and one session: a reservation, an attendance, the reminders and follow-up."""

    __tablename__ = "session_participant"
    __table_args__ = (UniqueConstraint("session_id", "contact_id", name="uq_session_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="social_session.id", ondelete="CASCADE")
    """Looked up by `uq_session_participant`, which starts with it."""
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    reserved_at: datetime | None = _ts()
    cancelled_at: datetime | None = _ts()
    attended_at: datetime | None = _ts()
    reminded_day_at: datetime | None = _ts()
    reminded_hours_at: datetime | None = _ts()
    followup_sent_at: datetime | None = _ts()
    followup_reason: str | None = Field(default=None, max_length=20)
    followup_other: str | None = Field(default=None, max_length=300)
    followup_answered_at: datetime | None = _ts()


class Broadcast(SQLModel, table=True):
    """An announcement to an audience. Recipients are materialised when sending starts."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    branch_code: str = Field(max_length=32, index=True)
    created_by: str = Field(max_length=64)
    text: str = Field(max_length=3000)
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", max_length=16, index=True)
    send_at: datetime | None = _ts()
    cursor: int = Field(default=0)
    """Contacts up to this id have been considered: materialising resumes after it."""
    materialised: bool = Field(default=False)
    """Every recipient has its outbox row."""
    recipients: int = Field(default=0)
    """Who it goes to: counted when it is created, and the rows written once `materialised`."""
    prepared: int = Field(default=0)
    """Outbox rows written so far (the page shows "menyiapkan" until `materialised`)."""
    session_id: int | None = Field(default=None, foreign_key="social_session.id", ondelete="SET NULL")
    """The session it announces, if any (for "how many came after the broadcast")."""
    created_at: datetime = _now()
    started_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()


class BroadcastRecipient(SQLModel, table=True):
    """One contact of one broadcast, and the outbox row that carries it to them."""

    __tablename__ = "broadcast_recipient"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id", name="uq_broadcast_recipient"),
        Index("ix_broadcast_recipient_tz", "broadcast_id", "timezone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", ondelete="SET NULL", index=True)
    channel: str = Field(max_length=16)
    timezone: str = Field(max_length=4)
