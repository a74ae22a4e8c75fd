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
from types import SimpleNamespace
from typing import Any, cast

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
BUILD_SLICE = 25
"""Rows checked and built between two turns of the event loop (a few milliseconds)."""
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
_SUBMISSION_READ = (
    *_SUBMISSION_COLUMNS,
    "id",
    "reference",
    "branch_code",
    "channel",
    "contact_id",
    "anonymised_at",
    "created_at",
    "programs",
    "payment_months",
    "monthly_contribution",
    "period_total",
    "answers",
)
"""What a row's checks, its message and its writes read of the submission."""
_COVERAGE_READ = (
    "id",
    "submission_id",
    "kpj",
    "registered_on",
    "paid_until",
    "paid_until_source",
    "updated_at",
)
_COVERAGE_COLUMNS = ("kpj", "registered_on", "period_months", "paid_until", "paid_until_source", "updated_at")


@dataclass
class _Writes:
    """What one row writes, table by table, as rows of values."""

    submissions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    new_coverage: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None
    """The channel of a queued notification (the sender is woken for it)."""


@dataclass(frozen=True)
class _State:
    """A chunk's submissions, coverage rows and contacts as read (plain column objects)."""

    submissions: dict[int, Submission]
    coverages: dict[int, Coverage]
    contacts: dict[int, Contact]

    def stamp(self, submission_id: int) -> tuple[Any, ...]:
        """What tells a row changed since it was read: the submission's version, the coverage's time."""
        submission = self.submissions.get(submission_id)
        coverage = self.coverages.get(submission_id)
        return (
            submission.version if submission else None,
            coverage.updated_at if coverage else None,
        )


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
    """Applies every good row that changes something; returns all rows as they ended.

    Each chunk is read and its rows built outside the write transaction (no write lock held);
    the transaction then checks, under lock, that nothing it read has changed since (the
    submission's version, the coverage row's time), builds again the few rows that did, and
    writes. So the write lock is held for a couple of small statements per chunk.
    """
    final = {plan.row: plan for plan in plans}
    todo = [plan for plan in plans if plan.ok and plan.changes]
    for start in range(0, len(todo), APPLY_CHUNK):
        chunk = todo[start : start + APPLY_CHUNK]
        ids = [plan.submission_id for plan in chunk if plan.submission_id is not None]
        async with db.reader() as session:
            state = await _load(session, access, ids, lock=False)
        ended: dict[int, RowPlan] = {}
        writes: dict[int, _Writes] = {}
        for part in range(0, len(chunk), BUILD_SLICE):  # a turn for the webhooks in between
            writes |= _build(access, chunk[part : part + BUILD_SLICE], state, ended, now, file_name, run_id)
            await asyncio.sleep(0)
        async with db.transaction() as session:
            changed = await _changed_since(session, access, ids, state)
            if changed:
                again = [plan for plan in chunk if plan.submission_id in changed]
                fresh = await _load(session, access, sorted(changed), lock=True)
                for submission_id in changed:
                    writes.pop(submission_id, None)
                writes |= _build(access, again, fresh, ended, now, file_name, run_id)
            await _write(session, list(writes.values()))
        final |= ended
        if wake is not None:
            for channel in sorted({w.channel for w in writes.values() if w.channel}):
                wake(channel)
        await asyncio.sleep(0)
    return [final[plan.row] for plan in plans]


async def _load(session: AsyncSession, access: Access, ids: Sequence[int], *, lock: bool) -> _State:
    query = scope_people(_columns(Submission, _SUBMISSION_READ).where(col(Submission.id).in_(ids)), access)
    submissions = {
        s.id: cast(Submission, s) for s in await _rows(session, query.with_for_update() if lock else query)
    }
    covered = _columns(Coverage, _COVERAGE_READ).where(col(Coverage.submission_id).in_(ids))
    coverages = {c.submission_id: cast(Coverage, c) for c in await _rows(session, covered)}
    contact_ids = [s.contact_id for s in submissions.values() if s.contact_id is not None]
    reached = _columns(Contact, ("id", "channel", "chat_id")).where(col(Contact.id).in_(contact_ids))
    contacts = {c.id: cast(Contact, c) for c in await _rows(session, reached)}
    return _State(submissions, coverages, contacts)


async def _changed_since(
    session: AsyncSession, access: Access, ids: Sequence[int], state: _State
) -> set[int]:
    """The submissions whose version or coverage changed since `state` was read (or that left
    the caller's scope); locks the chunk's submissions (PostgreSQL) for the rest of the transaction."""
    query = scope_people(
        select(col(Submission.id), col(Submission.version)).where(col(Submission.id).in_(ids)), access
    )
    versions = dict((await session.exec(query.with_for_update())).all())
    covered = select(col(Coverage.submission_id), col(Coverage.updated_at)).where(
        col(Coverage.submission_id).in_(ids)
    )
    times = dict((await session.exec(covered)).all())
    return {i for i in ids if (versions.get(i), times.get(i)) != state.stamp(i)}


def _build(
    access: Access,
    chunk: Sequence[RowPlan],
    state: _State,
    ended: dict[int, RowPlan],
    now: datetime,
    file_name: str,
    run_id: int,
) -> dict[int, _Writes]:
    """Each row checked against `state`; the writes of those that change something, by submission."""
    writes: dict[int, _Writes] = {}
    for plan in chunk:
        submission = state.submissions.get(plan.submission_id) if plan.submission_id else None
        if submission is None:  # gone since the preview (erased, or moved out of scope)
            ended[plan.row] = plan.refused(refusal("unknown"))
            continue
        assert submission.id is not None
        coverage = state.coverages.get(submission.id)
        outcome = check_row(plan.raw, submission, coverage, now)
        ended[plan.row] = replace(plan, outcome=outcome)
        if outcome.ok and outcome.changes:
            contact = state.contacts.get(submission.contact_id) if submission.contact_id else None
            row = _Writes()
            _change(
                row,
                access,
                replace_state(submission),
                coverage,
                contact,
                outcome,
                plan.row,
                now,
                file_name,
                run_id,
            )
            writes[submission.id] = row
    return writes


def replace_state(submission: Submission) -> Submission:
    """A copy to change (the state read stays as read, to compare with under the lock)."""
    return cast(Submission, SimpleNamespace(**vars(submission)))


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
        writes.channel = str(message["channel"])
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


def _columns(model: Any, names: Sequence[str]) -> Any:
    return select(*(getattr(model, name) for name in names))


async def _rows(session: AsyncSession, query: Any) -> list[SimpleNamespace]:
    """Plain objects of the selected columns: what the checks, the message and the writes read,
    without an ORM object per row (loading 100 of those cost more than all the writes)."""
    return [SimpleNamespace(**row._mapping) for row in (await session.exec(query)).all()]


async def _update_by_id(
    connection: Any, model: Any, columns: Sequence[str], values: list[dict[str, Any]]
) -> None:
    """One UPDATE executed for many rows, each matched by its `_id`."""
    if values:
        table = model.__table__
        statement = (
            update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
        )
        await connection.execute(statement, values)


async def _write(session: AsyncSession, rows: list[_Writes]) -> None:
    connection = await session.connection()  # core statements, executemany: no ORM per row
    await _update_by_id(connection, Submission, _SUBMISSION_COLUMNS, [v for w in rows for v in w.submissions])
    await _update_by_id(connection, Coverage, _COVERAGE_COLUMNS, [v for w in rows for v in w.coverage])
    tables: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
        (SubmissionEvent.__table__, [v for w in rows for v in w.events]),  # type: ignore[attr-defined]
        (Coverage.__table__, [v for w in rows for v in w.new_coverage]),  # type: ignore[attr-defined]
        (OutboxMessage.__table__, [v for w in rows for v in w.outbox]),  # type: ignore[attr-defined]
        (AuditLog.__table__, [v for w in rows for v in w.audit]),  # type: ignore[attr-defined]
    )
    for table, values in tables:
        if values:
            await connection.execute(insert(table), values)
