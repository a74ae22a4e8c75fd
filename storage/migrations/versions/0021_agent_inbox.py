"""agent inbox: the conversation kept for officers, who holds a chat, a branch's saved replies

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("text_enc", sa.String(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(length=64), nullable=True),
        sa.Column("channel_message_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["officer_id"], ["staff_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_message_contact", "chat_message", ["contact_id", "id"], unique=False)
    op.create_index("ix_chat_message_at", "chat_message", ["at"], unique=False)
    op.create_table(
        "agent_handoff",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(length=64), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("officer_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["callback_id"], ["callback_request.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["officer_id"], ["staff_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_index(
        "ix_agent_handoff_inbox", "agent_handoff", ["branch_code", "closed_at", "waiting_since"], unique=False
    )
    op.create_table(
        "saved_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_reply_branch_code", "saved_reply", ["branch_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_saved_reply_branch_code", table_name="saved_reply")
    op.drop_table("saved_reply")
    op.drop_index("ix_agent_handoff_inbox", table_name="agent_handoff")
    op.drop_table("agent_handoff")
    op.drop_index("ix_chat_message_at", table_name="chat_message")
    op.drop_index("ix_chat_message_contact", table_name="chat_message")
    op.drop_table("chat_message")
