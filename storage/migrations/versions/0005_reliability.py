"""reliability: one open submission per NIK, enforced by the database

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('baru', 'diproses', 'dihubungi', 'terdaftar')")


def upgrade() -> None:
    op.create_index(
        'uq_submission_open_nik',
        'submission',
        ['nik_hash'],
        unique=True,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index('uq_submission_open_nik', table_name='submission')
