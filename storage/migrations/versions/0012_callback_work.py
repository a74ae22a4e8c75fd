"""callback_request: where the person lives, the session it came from, who took it, the call

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callback_request") as batch:
        batch.add_column(sa.Column("regency_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("note", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key(
            "fk_callback_request_session_id", "social_session", ["session_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_callback_request_assigned_to_id",
            "staff_account",
            ["assigned_to_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_callback_request_session_id", ["session_id"])


def downgrade() -> None:
    with op.batch_alter_table("callback_request") as batch:
        batch.drop_index("ix_callback_request_session_id")
        batch.drop_constraint("fk_callback_request_assigned_to_id", type_="foreignkey")
        batch.drop_constraint("fk_callback_request_session_id", type_="foreignkey")
        for column in ("version", "note", "assigned_at", "assigned_to_id", "session_id", "regency_code"):
            batch.drop_column(column)
