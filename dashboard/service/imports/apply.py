"""Applying the good rows of a previewed import: short transactions of APPLY_CHUNK rows.

Each chunk locks its submissions (PostgreSQL: FOR UPDATE; SQLite: the one writer), checks every
row again against what is stored now (an officer may have acted since the preview), and writes
the status change with its history entry, the coverage row, the worker's notification (the same
outbox path as a single change: `notify.queue_notification`) and one audit entry per row. A row
that would change nothing writes nothing: importing the same file twice notifies no one twice.
Between chunks the webhooks get the database (SQLite's write gate, PostgreSQL's pool).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog, workflow
from dashboard.service.access import Access, scope_people
from dashboard.service.imports.check import Outcome, check_row
from dashboard.service.imports.plan import RowPlan
from dashboard.service.imports.texts import history_note, refusal
from dashboard.service.notify import queue_notification
from dashboard.service.texts import rejection_reasons
from storage.coverage import coverages_of, record_registration
from storage.coverage_models import Coverage
from storage.db import Database
from storage.models import Contact, Submission
from storage.submissions import change_status as store_status_change

APPLY_CHUNK = 200
"""Rows per transaction: about 0.1 s of writing on SQLite, so a webhook waits no longer."""
IMPORT_REASON = "lainnya"
"""The rejection reason of an imported "ditolak": the branch's note says the rest."""


async def apply_plans(
    db: Database,
    access: Access,
    plans: Sequence[RowPlan],
    now: datetime,
    *,
    file_name: str,
    run_id: int,
    wake: Callable[[str], None] | None = None,
) -> list[RowPlan]:
    """Applies every good row that changes something; returns all rows as they ended."""
    final = {plan.row: plan for plan in plans}
    todo = [plan for plan in plans if plan.ok and plan.changes]
    for start in range(0, len(todo), APPLY_CHUNK):
        chunk = todo[start : start + APPLY_CHUNK]
        async with db.transaction() as session:
            channels = await _apply_chunk(session, access, chunk, final, now, file_name, run_id)
        if wake is not None:
            for channel in sorted(channels):
                wake(channel)
        await asyncio.sleep(0)
    return [final[plan.row] for plan in plans]


async def _apply_chunk(
    session: AsyncSession,
    access: Access,
    chunk: Sequence[RowPlan],
    final: dict[int, RowPlan],
    now: datetime,
    file_name: str,
    run_id: int,
) -> set[str]:
    ids = [plan.submission_id for plan in chunk if plan.submission_id is not None]
    query = scope_people(select(Submission).where(col(Submission.id).in_(ids)), access)
    submissions = {s.id: s for s in (await session.exec(query.with_for_update())).all()}
    coverages = await coverages_of(session, ids)
    contact_ids = [s.contact_id for s in submissions.values() if s.contact_id is not None]
    if contact_ids:  # into the session's identity map: the notifications find them without a query each
        (await session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))).all()
    channels: set[str] = set()
    for plan in chunk:
        submission = submissions.get(plan.submission_id)
        if submission is None:  # gone since the preview (erased, or moved out of scope)
            final[plan.row] = plan.refused(refusal("unknown"))
            continue
        assert submission.id is not None
        outcome = check_row(plan.raw, submission, coverages.get(submission.id), now)
        final[plan.row] = replace(plan, outcome=outcome)
        if not outcome.ok or not outcome.changes:
            continue
        notified = await _apply_row(
            session,
            access,
            submission,
            coverages.get(submission.id),
            outcome,
            plan.row,
            now,
            file_name,
            run_id,
        )
        if notified:
            channels.add(submission.channel)
    return channels


async def _apply_row(
    session: AsyncSession,
    access: Access,
    submission: Submission,
    coverage: Coverage | None,
    outcome: Outcome,
    row: int,
    now: datetime,
    file_name: str,
    run_id: int,
) -> bool:
    assert outcome.status is not None
    moved = outcome.status != submission.status
    reason_code = IMPORT_REASON if outcome.status == "ditolak" else None
    if moved:
        await store_status_change(
            session,
            submission,
            outcome.status,
            actor=access.actor,
            now=now,
            note=history_note(file_name, row, outcome.note),
            kpj_number=outcome.kpj,
            rejection_reason=rejection_reasons()[IMPORT_REASON]["label"] if reason_code else None,
        )
        if outcome.status == "dihubungi" and submission.first_contact_at is None:
            submission.first_contact_at = now
        if outcome.status == "terdaftar":
            submission.registered_at = now
        if outcome.status in workflow.FINAL:
            submission.callback_at = None
    if outcome.status == "terdaftar" and outcome.kpj and outcome.registered_on:
        submission.kpj_number = outcome.kpj
        record_registration(
            session,
            submission,
            coverage,
            kpj=outcome.kpj,
            registered_on=outcome.registered_on,
            now=now,
            paid_until=outcome.paid_until,
            paid_until_source="import",
        )
    submission.version += 1
    submission.updated_at = now
    queued = await queue_notification(session, submission, now, reason_code=reason_code) if moved else None
    auditlog.record(
        session,
        access,
        "import_row",
        now=now,
        branch=submission.branch_code,
        reference=submission.reference,
        run=run_id,
        row=row,
        to=outcome.status,
        changed=len(outcome.changes),
    )
    return queued is not None
