"""coverage after registration: one row per registered submission, and the record of each import

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0023"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def downgrade() -> None:
    op.drop_index("ix_import_run_at", table_name="import_run")
    op.drop_index("ix_import_run_branch_code", table_name="import_run")
    op.drop_table("import_run")
    op.drop_index("ix_coverage_branch_paid_until", table_name="coverage")
    op.drop_table("coverage")
