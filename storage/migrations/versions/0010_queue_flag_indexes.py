"""queue flag indexes: a branch's queue order, partial on each flag staff filter by

Without them a filter on a rare flag (age above the limit: a few percent of sign-ups) reads the
whole branch; PostgreSQL also underestimates the LIKE and picks a full sort of the branch.

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `storage.models.flagged` writes them at this revision (a migration keeps its own copy).
QUEUE_FLAGS = ("age_over_limit", "income_below_floor")


def flagged(flag: str) -> sa.TextClause:
    return sa.text(f"CAST(flags AS VARCHAR) LIKE '%\"{flag}\"%'")


def upgrade() -> None:
    for flag in QUEUE_FLAGS:
        op.create_index(
            f'ix_submission_queue_{flag}',
            'submission',
            ['branch_code', 'created_at', 'id'],
            unique=False,
            postgresql_where=flagged(flag),
            sqlite_where=flagged(flag),
        )


def downgrade() -> None:
    for flag in QUEUE_FLAGS:
        op.drop_index(f'ix_submission_queue_{flag}', table_name='submission')
