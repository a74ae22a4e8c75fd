"""Tables of the native forms (a WhatsApp Flow, the Telegram Mini App): the tokens the service
issues when it offers the form.

A token names the person the form was offered to (their contact on the channel); only its hash is
kept, so the table alone cannot be used to open someone's form.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class FormToken(SQLModel, table=True):
    """One offer of the form: to whom, until when, and whether it was opened and sent."""

    __tablename__ = "form_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    """SHA-256 (hex) of the token the form carries (a WhatsApp Flow's `flow_token`)."""
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL", index=True)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
