"""reliability and data protection: one open submission per NIK, encrypted contact phone and
income (an income band kept for reports), Telegram keyboard state, outbox per chat

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22
"""

import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0005'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('baru', 'diproses', 'dihubungi', 'terdaftar')")


# Where the service finds its key (bot/settings.py), copied here so that a migration imports
# nothing of the application: the variable, then the working directory's `.env` file, then the
# key the service generates into var/ on its first run. A migration is frozen history: these
# stay as they were when this revision was written.
KEY_VARIABLE = "PII_ENCRYPTION_KEY"
ENV_FILE = Path(".env")
GENERATED_KEY = Path("var") / "pii_encryption_key"


def _key() -> str:
    if key := os.environ.get(KEY_VARIABLE):
        return key
    if ENV_FILE.is_file():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            name, equals, value = line.removeprefix("export ").partition("=")
            if equals and name.strip() == KEY_VARIABLE and value.strip():
                return value.strip().strip("'\"")
    if GENERATED_KEY.is_file():
        return GENERATED_KEY.read_text().strip()
    raise RuntimeError(f"{KEY_VARIABLE} is not set: the stored phones and incomes cannot be encrypted")


def _vault():  # type: ignore[no-untyped-def]
    """The service's own key: existing values are encrypted as the service would."""
    from storage.crypto import Vault

    return Vault(_key())


def _band(income: int) -> str:
    from storage.models import income_band

    return income_band(income)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('contact', sa.Column('reply_keyboard_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('contact', sa.Column('phone_enc', sa.String(), nullable=True))
    op.add_column('submission', sa.Column('income_enc', sa.String(), nullable=True))
    op.add_column('submission', sa.Column('income_band', sa.String(length=16), nullable=True))
    op.add_column('submission', sa.Column('reported_income_enc', sa.String(), nullable=True))

    phones = bind.execute(sa.text("SELECT id, phone FROM contact WHERE phone IS NOT NULL")).all()
    incomes = bind.execute(sa.text("SELECT id, income, reported_income FROM submission")).all()
    if phones or incomes:
        vault = _vault()
        for row_id, phone in phones:
            bind.execute(
                sa.text("UPDATE contact SET phone_enc = :v WHERE id = :id"), {"v": vault.encrypt(phone), "id": row_id}
            )
        for row_id, income, reported in incomes:
            bind.execute(
                sa.text(
                    "UPDATE submission SET income_enc = :i, income_band = :b, reported_income_enc = :r"
                    " WHERE id = :id"
                ),
                {"i": vault.encrypt(str(income)), "b": _band(income), "r": vault.encrypt(str(reported)), "id": row_id},
            )

    with op.batch_alter_table('contact') as batch:
        batch.drop_column('phone')
    with op.batch_alter_table('submission') as batch:
        batch.alter_column('income_band', existing_type=sa.String(length=16), nullable=False)
        batch.drop_column('income')
        batch.drop_column('reported_income')
    op.create_index('ix_outbox_chat', 'outbox', ['channel', 'chat_id', 'status'], unique=False)
    op.create_index(
        'uq_submission_open_nik',
        'submission',
        ['nik_hash'],
        unique=True,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index('uq_submission_open_nik', table_name='submission')
    op.drop_index('ix_outbox_chat', table_name='outbox')
    op.add_column('contact', sa.Column('phone', sa.String(length=20), nullable=True))
    op.add_column('submission', sa.Column('income', sa.Integer(), nullable=True))
    op.add_column('submission', sa.Column('reported_income', sa.Integer(), nullable=True))
    phones = bind.execute(sa.text("SELECT id, phone_enc FROM contact WHERE phone_enc IS NOT NULL")).all()
    incomes = bind.execute(sa.text("SELECT id, income_enc, reported_income_enc FROM submission")).all()
    if phones or incomes:
        vault = _vault()
        for row_id, phone in phones:
            bind.execute(
                sa.text("UPDATE contact SET phone = :v WHERE id = :id"), {"v": vault.decrypt(phone), "id": row_id}
            )
        for row_id, income, reported in incomes:
            bind.execute(
                sa.text("UPDATE submission SET income = :i, reported_income = :r WHERE id = :id"),
                {
                    "i": int(vault.decrypt(income)) if income else 0,
                    "r": int(vault.decrypt(reported)) if reported else 0,
                    "id": row_id,
                },
            )
    with op.batch_alter_table('submission') as batch:
        batch.alter_column('income', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('reported_income', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('income_enc')
        batch.drop_column('income_band')
        batch.drop_column('reported_income_enc')
    with op.batch_alter_table('contact') as batch:
        batch.drop_column('phone_enc')
        batch.drop_column('reply_keyboard_at')
