"""security round: server-side staff sessions, API token expiry, the database's identity (the
SQLite sender lock), the drop-off events' regency (scoped reports)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("kept_enc", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["staff_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_login_account_id", "staff_login", ["account_id"], unique=False)
    instance = op.create_table(
        "database_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(instance, [{"id": 1, "token": secrets.token_hex(16), "created_at": datetime.now(UTC)}])
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("form_step_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regency_code", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("form_step_event", schema=None) as batch_op:
        batch_op.drop_column("regency_code")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    op.drop_table("database_instance")
    op.drop_index("ix_staff_login_account_id", table_name="staff_login")
    op.drop_table("staff_login")
