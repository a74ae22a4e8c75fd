"""Tables of life after "terdaftar": each registered worker's coverage record, and the record of
each import of registrations from the branch's own system.

`coverage` holds one row per registered submission: when the branch registered it, the period the
worker chose, and how far it is paid ("paid until", with who said so). Due dates, reminders and
arrears are computed from it. `import_run` counts what one import did; what it did to each row
goes to the audit log (`audit_log`, action "import_row").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

PAID_UNTIL_SOURCES = ("import", "worker", "staff")
"""Who last said how far a worker has paid: the branch's system (an import), the worker ("sudah
bayar"), or an officer on the staff pages."""


class Coverage(SQLModel, table=True):
    """A registered worker's coverage: registration date, chosen period, paid until."""

    __tablename__ = "coverage"
    __table_args__ = (Index("ix_coverage_branch_paid_until", "branch_code", "paid_until"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", unique=True)
    branch_code: str = Field(max_length=32)
    kpj: str = Field(max_length=32)
    registered_on: date
    period_months: int
    """The payment period the worker chose (1, 3, 6 or 12 months: the submission's payment_months)."""
    paid_until: date | None = Field(default=None)
    """The last day covered by what is paid; None when nobody has said yet."""
    paid_until_source: str | None = Field(default=None, max_length=16)
    """One of PAID_UNTIL_SOURCES; None with paid_until."""
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ImportRun(SQLModel, table=True):
    """One applied import of registrations (a file from the branch's system): who, when, counts."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    by: str = Field(max_length=64)
    """The account's username (or "cli" when no account was named)."""
    branch_code: str | None = Field(default=None, max_length=32, index=True)
    """The importing account's branch; None for an account that sees every branch."""
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    file_name: str = Field(max_length=200)
    rows: int
    applied: int
    refused: int
