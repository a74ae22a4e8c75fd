"""callback_request: "minta ditelepon", queued for the branch

Revision ID: 0006
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="SET NULL"), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("phone_enc", sa.String(), nullable=True),
        sa.Column("question_enc", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="baru"),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_callback_request_contact_id", "callback_request", ["contact_id"])
    op.create_index("ix_callback_queue", "callback_request", ["branch_code", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_queue", table_name="callback_request")
    op.drop_index("ix_callback_request_contact_id", table_name="callback_request")
    op.drop_table("callback_request")
