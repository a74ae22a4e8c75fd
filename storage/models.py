"""Table models, declared once. Alembic migrations in `storage/migrations` own the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Contact(SQLModel, table=True):
    """A person on one channel. The chat id is the platform's address for them."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_contact_channel_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    announcements: bool = Field(default=False)
    announcements_changed_at: datetime | None = _ts()
    last_inbound_at: datetime | None = _ts()
    unreachable_at: datetime | None = _ts()
    attribution_code: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Conversation(SQLModel, table=True):
    """Where a contact is in the conversation, and the answers gathered so far."""

    __tablename__ = "conversation"

    contact_id: int = Field(primary_key=True, foreign_key="contact.id", ondelete="CASCADE")
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ProcessedInbound(SQLModel, table=True):
    """Platform message ids already handled: a redelivered update changes nothing."""

    __tablename__ = "processed_inbound"
    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_processed_inbound"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    message_id: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A rendered reply waiting for, or done with, delivery by the sender."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "channel", "priority", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    priority: int = Field(default=0)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    attempt_log: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    platform_message_id: str | None = Field(default=None, max_length=128, index=True)
    delivery_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = _ts()
