"""Tables of the agent inbox: the conversation kept for officers, who holds a chat, and a
branch's saved replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ChatMessage(SQLModel, table=True):
    """One message of a person's chat, either way: the worker's, the bot's or an officer's.

    The text is personal data, encrypted with the vault. Written in the transaction of the
    message itself (the engine's turn, an officer's reply); erased with the person's data
    ("hapus data", the contact's deletion) and after the consent's retention.
    """

    __tablename__ = "chat_message"
    __table_args__ = (Index("ix_chat_message_contact", "contact_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    direction: str = Field(max_length=3)
    """"in" (the worker wrote) or "out" (the bot or an officer answered)."""
    text_enc: str
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    officer_id: int | None = Field(default=None, foreign_key="staff_account.id", ondelete="SET NULL")
    officer: str | None = Field(default=None, max_length=64)
    """The officer's username for an officer's message; None for the worker and the bot."""
    channel_message_id: str | None = Field(default=None, max_length=128)


class AgentHandoff(SQLModel, table=True):
    """An officer holds a person's chat: the bot steps aside there until it is closed.

    Open while `closed_at` is None and an officer wrote within AGENT_HANDBACK_MINUTES
    (`officer_at`); after that the bot takes over at the person's next message.
    """

    __tablename__ = "agent_handoff"
    __table_args__ = (Index("ix_agent_handoff_inbox", "branch_code", "closed_at", "waiting_since"),)

    contact_id: int = Field(primary_key=True, foreign_key="contact.id", ondelete="CASCADE")
    branch_code: str = Field(max_length=32)
    submission_id: int | None = Field(default=None, foreign_key="submission.id", ondelete="SET NULL")
    callback_id: int | None = Field(default=None, foreign_key="callback_request.id", ondelete="SET NULL")
    officer_id: int | None = Field(default=None, foreign_key="staff_account.id", ondelete="SET NULL")
    officer: str = Field(max_length=64)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    officer_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    """The officer's last message: the quiet time counts from it."""
    worker_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    waiting_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    """The worker's first message the officer has not answered yet (None: nothing waits)."""
    unread: int = Field(default=0)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    close_reason: str | None = Field(default=None, max_length=16)
    """"officer" (closed from the page or the API), "quiet" (the quiet time passed), "erased"."""


class SavedReply(SQLModel, table=True):
    """A branch's short reply text, one click away on the conversation page."""

    __tablename__ = "saved_reply"

    id: int | None = Field(default=None, primary_key=True)
    branch_code: str = Field(max_length=32, index=True)
    title: str = Field(max_length=80)
    text: str = Field(max_length=1000)
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
