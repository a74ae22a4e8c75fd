"""Applying the good rows of a previewed import: short transactions of APPLY_CHUNK rows.

Each chunk locks its submissions (PostgreSQL: FOR UPDATE; SQLite: the one writer), checks every
row again against what is stored now (an officer may have acted since the preview), and writes,
for each row that changes something, what a single change writes: the submission's new state,
its history entry, the coverage row, the worker's notification (the row
`notify.notification_row` makes, the one `queue_notification` writes for a single change) and
one audit entry. They are written as one multi-row statement per table, so a chunk costs a few
statements and holds the write lock a few tens of milliseconds, whatever the row count; between
chunks the webhooks get the database. A row that changes nothing writes nothing: importing the
same file twice notifies no one twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import workflow
from dashboard.service.access import Access, scope_people
from dashboard.service.imports.check import Outcome, check_row
from dashboard.service.imports.plan import RowPlan
from dashboard.service.imports.texts import history_note, refusal
from dashboard.service.notify import notification_row
from dashboard.service.texts import rejection_reasons
from storage.coverage_models import Coverage
from storage.models import AuditLog, Contact, OutboxMessage, Submission, SubmissionEvent

APPLY_CHUNK = 100
"""Rows per transaction: some 50 ms of work under the write lock on a busy machine."""
IMPORT_REASON = "lainnya"
"""The rejection reason of an imported "ditolak": the branch's note says the rest."""
_SUBMISSION_COLUMNS = (
    "status",
    "kpj_number",
    "rejection_reason",
    "registered_at",
    "first_contact_at",
    "callback_at",
    "version",
    "updated_at",
)
_COVERAGE_COLUMNS = ("kpj", "registered_on", "period_months", "paid_until", "paid_until_source", "updated_at")


@dataclass
class _Writes:
    """What one chunk writes, table by table, as rows of values."""

    submissions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    new_coverage: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    channels: set[str] = field(default_factory=set)


async def apply_plans(
    db: Any,
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
            writes = await _plan_chunk(session, access, chunk, final, now, file_name, run_id)
            await _write(session, writes)
        if wake is not None:
            for channel in sorted(writes.channels):
                wake(channel)
        await asyncio.sleep(0)
    return [final[plan.row] for plan in plans]


async def _plan_chunk(
    session: AsyncSession,
    access: Access,
    chunk: Sequence[RowPlan],
    final: dict[int, RowPlan],
    now: datetime,
    file_name: str,
    run_id: int,
) -> _Writes:
    ids = [plan.submission_id for plan in chunk if plan.submission_id is not None]
    query = scope_people(select(Submission).where(col(Submission.id).in_(ids)), access)
    submissions = {s.id: s for s in (await session.exec(query.with_for_update())).all()}
    coverages = {
        c.submission_id: c
        for c in (await session.exec(select(Coverage).where(col(Coverage.submission_id).in_(ids)))).all()
    }
    contact_ids = [s.contact_id for s in submissions.values() if s.contact_id is not None]
    contacts = {
        c.id: c for c in (await session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))).all()
    }
    session.expunge_all()  # read-only copies from here: the writes below are multi-row statements

    def build() -> _Writes:
        writes = _Writes()
        for plan in chunk:
            submission = submissions.get(plan.submission_id)
            if submission is None:  # gone since the preview (erased, or moved out of scope)
                final[plan.row] = plan.refused(refusal("unknown"))
                continue
            assert submission.id is not None
            coverage = coverages.get(submission.id)
            outcome = check_row(plan.raw, submission, coverage, now)
            final[plan.row] = replace(plan, outcome=outcome)
            if outcome.ok and outcome.changes:
                contact = contacts.get(submission.contact_id) if submission.contact_id else None
                _change(
                    writes, access, submission, coverage, contact, outcome, plan.row, now, file_name, run_id
                )
        return writes

    # Checks and message texts are pure computation: in a thread, the event loop keeps its turns.
    return await asyncio.to_thread(build)


def _change(
    writes: _Writes,
    access: Access,
    submission: Submission,
    coverage: Coverage | None,
    contact: Contact | None,
    outcome: Outcome,
    row: int,
    now: datetime,
    file_name: str,
    run_id: int,
) -> None:
    """One row's writes, as `cases.change_status` makes them for a single change."""
    assert outcome.status is not None and submission.id is not None
    moved = outcome.status != submission.status
    reason_code = IMPORT_REASON if outcome.status == "ditolak" else None
    if moved:
        writes.events.append(
            {
                "submission_id": submission.id,
                "at": now,
                "actor": access.actor,
                "from_status": submission.status,
                "to_status": outcome.status,
                "note": history_note(file_name, row, outcome.note)[:1000],
            }
        )
        submission.status = outcome.status
        if outcome.status == "dihubungi" and submission.first_contact_at is None:
            submission.first_contact_at = now
        if outcome.status == "terdaftar":
            submission.registered_at = now
        if outcome.status in workflow.FINAL:
            submission.callback_at = None
        if reason_code:
            submission.rejection_reason = rejection_reasons()[IMPORT_REASON]["label"]
    if outcome.status == "terdaftar" and outcome.kpj and outcome.registered_on:
        submission.kpj_number = outcome.kpj
        _cover(writes, submission, coverage, outcome, now)
    submission.version += 1
    submission.updated_at = now
    writes.submissions.append(
        {"_id": submission.id, **{c: getattr(submission, c) for c in _SUBMISSION_COLUMNS}}
    )
    message = notification_row(submission, contact, now, reason_code=reason_code) if moved else None
    if message is not None:
        writes.outbox.append(message)
        writes.channels.add(str(message["channel"]))
    writes.audit.append(
        {
            "at": now,
            "actor": access.actor[:64],
            "action": "import_row",
            "branch_code": submission.branch_code,
            "details": {
                "reference": submission.reference,
                "run": run_id,
                "row": row,
                "to": outcome.status,
                "changed": len(outcome.changes),
                "via": access.via,
            },
        }
    )


def _cover(
    writes: _Writes, submission: Submission, coverage: Coverage | None, outcome: Outcome, now: datetime
) -> None:
    values = {
        "kpj": outcome.kpj,
        "registered_on": outcome.registered_on,
        "period_months": submission.payment_months,
        "paid_until": outcome.paid_until
        if outcome.paid_until
        else (coverage.paid_until if coverage else None),
        "paid_until_source": "import"
        if outcome.paid_until
        else (coverage.paid_until_source if coverage else None),
        "updated_at": now,
    }
    if coverage is None:
        writes.new_coverage.append(
            {"submission_id": submission.id, "branch_code": submission.branch_code, **values}
        )
    else:
        writes.coverage.append({"_id": coverage.id, **values})


async def _write(session: AsyncSession, writes: _Writes) -> None:
    connection = await session.connection()  # core statements, executemany: no ORM per row
    if writes.submissions:
        table = Submission.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in _SUBMISSION_COLUMNS})
        )
        await connection.execute(statement, writes.submissions)
    if writes.coverage:
        table = Coverage.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in _COVERAGE_COLUMNS})
        )
        await connection.execute(statement, writes.coverage)
    tables: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
        (SubmissionEvent.__table__, writes.events),  # type: ignore[attr-defined]
        (Coverage.__table__, writes.new_coverage),  # type: ignore[attr-defined]
        (OutboxMessage.__table__, writes.outbox),  # type: ignore[attr-defined]
        (AuditLog.__table__, writes.audit),  # type: ignore[attr-defined]
    )
    for table, rows in tables:
        if rows:
            await connection.execute(insert(table), rows)
