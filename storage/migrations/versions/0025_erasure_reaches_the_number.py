"""erasure reaches the number: contact.erased_at; the profile name is no longer stored

The chat id of an erased person is replaced by a tombstone a day after "hapus data" (once the
confirmation is delivered; bot/retention.py). The platform profile name (`display_name`) was kept
in clear only to greet the person by name; the greeting now takes it from the message itself, so
the column and what it held go.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("erased_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.drop_column("display_name")
    op.create_index("ix_processed_inbound_received_at", "processed_inbound", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_processed_inbound_received_at", table_name="processed_inbound")
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))
        batch.drop_column("erased_at")
