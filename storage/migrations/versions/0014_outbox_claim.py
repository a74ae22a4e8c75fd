"""outbox: partial indexes for the sender's claim (pending rows in order, each chat's head), and
the (status, channel, priority, next_attempt_at) index narrowed to rows in flight or held

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("status = 'pending'")
_OPEN = sa.text("status IN ('sending', 'held', 'waiting')")


_INDEXES = (
    ('ix_outbox_open', ['channel', 'status', 'next_attempt_at'], _OPEN),
    ('ix_outbox_claim', ['channel', 'priority', 'id', 'next_attempt_at'], _PENDING),
    ('ix_outbox_chat_head', ['channel', 'chat_id', 'priority', 'id'], _PENDING),
)


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        for name, columns, where in _INDEXES:
            batch_op.create_index(name, columns, unique=False, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        for name, _, _ in reversed(_INDEXES):
            batch_op.drop_index(name)
        batch_op.create_index('ix_outbox_due', ['status', 'channel', 'priority', 'next_attempt_at'], unique=False)
