"""native forms: issued form tokens, the path and message count of a submission, step events by path

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_form_token_contact_id", "form_token", ["contact_id"], unique=False)
    op.add_column("submission", sa.Column("enrol_path", sa.String(length=40), nullable=True))
    op.add_column("submission", sa.Column("messages_to_enrol", sa.Integer(), nullable=True))
    op.add_column(
        "form_step_event",
        sa.Column("path", sa.String(length=24), nullable=False, server_default="chat"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch operation would re-create
    # `submission` on SQLite and lose its queue-count triggers.
    op.drop_column("form_step_event", "path")
    op.drop_column("submission", "messages_to_enrol")
    op.drop_column("submission", "enrol_path")
    op.drop_index("ix_form_token_contact_id", table_name="form_token")
    op.drop_table("form_token")
