"""Tables of the operator's side: the record of each retention run.

Kept in the database, not in a process, so every process of the service (and `bpu-bot purge`
run by hand) writes to and `/healthz` reads from one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class RetentionRun(SQLModel, table=True):
    """One run of the retention (the hourly schedule or `bpu-bot purge`): when it ran and how
    many of each kind it removed. Counts only, never what was removed."""

    __tablename__ = "retention_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    trigger: str = Field(max_length=16)
    """"schedule" (the service's hourly housekeeping) or "command" (`bpu-bot purge`)."""
    removed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
