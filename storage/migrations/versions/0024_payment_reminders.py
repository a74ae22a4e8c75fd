"""payment reminders: one row per message about a due date, and who stopped the reminders

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "kind", "due_on", name="uq_payment_notice"),
    )
    op.create_index("ix_payment_notice_submission_id", "payment_notice", ["submission_id"], unique=False)
    op.create_index("ix_payment_notice_kind_answer", "payment_notice", ["kind", "answer"], unique=False)
    op.create_table(
        "payment_reminder_stop",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("stopped_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id"),
    )


def downgrade() -> None:
    op.drop_table("payment_reminder_stop")
    op.drop_index("ix_payment_notice_kind_answer", table_name="payment_notice")
    op.drop_index("ix_payment_notice_submission_id", table_name="payment_notice")
    op.drop_table("payment_notice")
