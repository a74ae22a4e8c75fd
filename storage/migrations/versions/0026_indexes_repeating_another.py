"""indexes repeating another: four single-column indexes go

Each was the leading column of another index on its table, which answers every look-up the
single-column index did, while each row written updated both:

- `ix_form_step_event_draft_id`: `uq_form_step_event` (draft_id, step, event). Every message at
  a form step writes one to three events: work on the engine's hot path for nothing.
- `ix_submission_branch_code`: the queue's `ix_submission_queue` (branch_code, created_at, id).
- `ix_session_participant_session_id`: `uq_session_participant` (session_id, contact_id).
- `ix_payment_notice_submission_id`: `uq_payment_notice` (submission_id, kind, due_on).

tests/storage/test_migrations.py::test_no_index_repeats_the_start_of_another keeps it so.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("ix_form_step_event_draft_id", "form_step_event", "draft_id"),
    ("ix_submission_branch_code", "submission", "branch_code"),
    ("ix_session_participant_session_id", "session_participant", "session_id"),
    ("ix_payment_notice_submission_id", "payment_notice", "submission_id"),
)


def upgrade() -> None:
    for name, table, _column in _DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in _DROPPED:
        op.create_index(name, table, [column], unique=False)
