"""Tables of payment reminders: each message sent about a due date (once, by a unique key), the
answer to "kenapa belum bayar?", and the workers who asked for no more reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

REMINDER, SPONSOR_END, ARREARS = "reminder", "sponsor_end", "arrears"
NOTICE_KINDS = (REMINDER, SPONSOR_END, ARREARS)
"""A reminder before a due date; the message before a government's payment ends; the question
to a worker behind with payments."""


class PaymentNotice(SQLModel, table=True):
    """One message about one due date (or a sponsorship's end): never two of a kind for one date."""

    __tablename__ = "payment_notice"
    __table_args__ = (
        UniqueConstraint("submission_id", "kind", "due_on", name="uq_payment_notice"),
        Index("ix_payment_notice_kind_answer", "kind", "answer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE")
    """Looked up by `uq_payment_notice`, which starts with it."""
    kind: str = Field(max_length=16)
    due_on: date
    """The due date it is about (for SPONSOR_END: the last day the government pays)."""
    channel: str = Field(max_length=16)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    answer: str | None = Field(default=None, max_length=16)
    """For ARREARS: the reason the worker chose (handlers.flows.dues.ARREARS_REASONS)."""
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class PaymentReminderStop(SQLModel, table=True):
    """A worker who said "berhenti ingatkan": no more payment reminders for this submission."""

    __tablename__ = "payment_reminder_stop"

    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", primary_key=True)
    stopped_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
