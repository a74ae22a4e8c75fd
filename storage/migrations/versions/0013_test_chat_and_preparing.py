"""staff_account: the officer's own test chat for "kirim uji" and the one-time code that links it;
broadcast.prepared: outbox rows written so far while a broadcast is being prepared in the background

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_account") as batch:
        batch.add_column(sa.Column("test_channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("test_chat_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("test_linked_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("link_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("link_code_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_staff_account_link_code_hash", ["link_code_hash"], unique=True)
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("prepared", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("prepared")
    with op.batch_alter_table("staff_account") as batch:
        batch.drop_index("ix_staff_account_link_code_hash")
        for column in ("link_code_expires_at", "link_code_hash", "test_linked_at", "test_chat_id", "test_channel"):
            batch.drop_column(column)
