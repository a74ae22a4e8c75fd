"""Tables of the security round: the staff's server-side sessions and the database's own
identity (what ties the SQLite sender lock to this database, not to its path)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class StaffLogin(SQLModel, table=True):
    """One log-in to the staff pages: the cookie holds a random token, the row its SHA-256.

    A session is live until it is ended (log-out, "log out everywhere", the password changed,
    the account disabled: `ended_at` and `end_reason`), idle longer than STAFF_IDLE_MINUTES
    (`seen_at`) or older than STAFF_SESSION_HOURS (`created_at`). A copy of the cookie is worth
    nothing once the row says so.
    """

    __tablename__ = "staff_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="staff_account.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    end_reason: str | None = Field(default=None, max_length=16)
    """logout, everywhere, password, disabled, idle, lifetime."""
    kept_enc: str | None = Field(default=None)
    """What the officer had typed in a form the idle end interrupted (encrypted, JSON), shown
    back once on the first page after logging in again."""


class DatabaseInstance(SQLModel, table=True):
    """One row, written by the first migration of this database: a random token that names it.

    The SQLite sender lock is a file named after it, so a database deleted and made again at
    the same path is a new database with a lock of its own (a process left running on the old
    file keeps nothing of the new one)."""

    __tablename__ = "database_instance"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
