"""coverage after registration: one row per registered submission, and the record of each import

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0023"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIB = timezone(timedelta(hours=7), "WIB")


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("kpj", sa.String(length=32), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("paid_until", sa.Date(), nullable=True),
        sa.Column("paid_until_source", sa.String(length=16), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
    )
    op.create_index("ix_coverage_branch_paid_until", "coverage", ["branch_code", "paid_until"], unique=False)
    _backfill()
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_run_branch_code", "import_run", ["branch_code"], unique=False)
    op.create_index("ix_import_run_at", "import_run", ["at"], unique=False)


def _backfill() -> None:
    """Submissions registered before this table: their coverage row, registered on the day of
    their change to terdaftar (Western Indonesia Time), paid until unknown."""
    bind = op.get_bind()
    found = bind.execute(
        sa.text(
            "SELECT id, branch_code, kpj_number, registered_at, updated_at, payment_months FROM submission"
            " WHERE status = 'terdaftar' AND kpj_number IS NOT NULL"
        )
    ).all()
    if not found:
        return
    now = datetime.now(UTC)
    coverage = sa.table(
        "coverage",
        sa.column("submission_id", sa.Integer()),
        sa.column("branch_code", sa.String()),
        sa.column("kpj", sa.String()),
        sa.column("registered_on", sa.Date()),
        sa.column("period_months", sa.Integer()),
        sa.column("updated_at", storage.types.UTCDateTime(timezone=True)),
    )
    rows = [
        {
            "submission_id": row.id,
            "branch_code": row.branch_code,
            "kpj": row.kpj_number,
            "registered_on": _wib_date(row.registered_at or row.updated_at),
            "period_months": row.payment_months,
            "updated_at": now,
        }
        for row in found
    ]
    op.bulk_insert(coverage, rows)


def _wib_date(value: datetime | str) -> date:
    if isinstance(value, str):  # SQLite through a plain text() query: the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(WIB).date()


def downgrade() -> None:
    op.drop_index("ix_import_run_at", table_name="import_run")
    op.drop_index("ix_import_run_branch_code", table_name="import_run")
    op.drop_table("import_run")
    op.drop_index("ix_coverage_branch_paid_until", table_name="coverage")
    op.drop_table("coverage")
