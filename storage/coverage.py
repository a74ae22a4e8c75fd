"""Queries for the coverage record (`coverage`) and the record of imports (`import_run`).

One coverage row per registered submission. `record_registration` writes or corrects it when a
submission becomes (or is confirmed) terdaftar; `set_paid_until` moves "paid until" for the
worker ("sudah bayar"), an officer or an import. Readers filter by branch themselves: the
service layer passes the caller's scope.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.coverage_models import PAID_UNTIL_SOURCES, Coverage, ImportRun
from storage.models import Submission


async def coverage_of(session: AsyncSession, submission_id: int) -> Coverage | None:
    query = select(Coverage).where(Coverage.submission_id == submission_id)
    return (await session.exec(query)).first()


async def coverages_of(session: AsyncSession, submission_ids: Collection[int]) -> dict[int, Coverage]:
    """The coverage rows of these submissions, by submission id (absent ones left out)."""
    if not submission_ids:
        return {}
    query = select(Coverage).where(col(Coverage.submission_id).in_(list(submission_ids)))
    return {row.submission_id: row for row in (await session.exec(query)).all()}


def record_registration(
    session: AsyncSession,
    submission: Submission,
    existing: Coverage | None,
    *,
    kpj: str,
    registered_on: date,
    now: datetime,
    paid_until: date | None = None,
    paid_until_source: str | None = None,
) -> Coverage:
    """Writes the submission's coverage row (new, or `existing` corrected) and returns it.

    `paid_until` is changed only when given; the period is the one the worker chose.
    """
    assert submission.id is not None
    if paid_until is not None and paid_until_source not in PAID_UNTIL_SOURCES:
        raise ValueError(f"unknown paid_until source {paid_until_source!r}")
    row = existing or Coverage(
        submission_id=submission.id,
        branch_code=submission.branch_code,
        kpj=kpj,
        registered_on=registered_on,
        period_months=submission.payment_months,
        updated_at=now,
    )
    row.branch_code = submission.branch_code
    row.kpj = kpj
    row.registered_on = registered_on
    row.period_months = submission.payment_months
    if paid_until is not None:
        row.paid_until = paid_until
        row.paid_until_source = paid_until_source
    row.updated_at = now
    session.add(row)
    return row


async def set_paid_until(
    session: AsyncSession, submission_id: int, paid_until: date, *, source: str, now: datetime
) -> Coverage | None:
    """Moves "paid until" of a registered submission; None when it has no coverage row."""
    if source not in PAID_UNTIL_SOURCES:
        raise ValueError(f"unknown paid_until source {source!r}")
    row = await coverage_of(session, submission_id)
    if row is None:
        return None
    row.paid_until = paid_until
    row.paid_until_source = source
    row.updated_at = now
    session.add(row)
    return row


async def branch_coverage(
    session: AsyncSession, branch_codes: Collection[str] | None, *, limit: int = 1000, after_id: int = 0
) -> Sequence[Coverage]:
    """Coverage rows of these branches (None: every branch), by id, a page at a time."""
    query = select(Coverage).where(col(Coverage.id) > after_id)
    if branch_codes is not None:
        query = query.where(col(Coverage.branch_code).in_(list(branch_codes)))
    return (await session.exec(query.order_by(col(Coverage.id)).limit(limit))).all()


def record_import(
    session: AsyncSession,
    *,
    by: str,
    branch_code: str | None,
    at: datetime,
    file_name: str,
    rows: int,
    applied: int,
    refused: int,
) -> ImportRun:
    run = ImportRun(
        by=by,
        branch_code=branch_code,
        at=at,
        file_name=file_name[:200],
        rows=rows,
        applied=applied,
        refused=refused,
    )
    session.add(run)
    return run


async def recent_imports(
    session: AsyncSession, branch_codes: Collection[str] | None, *, limit: int = 10
) -> Sequence[ImportRun]:
    """The latest imports of these branches (None: all), newest first."""
    query = select(ImportRun)
    if branch_codes is not None:
        query = query.where(col(ImportRun.branch_code).in_(list(branch_codes)))
    return (
        await session.exec(query.order_by(col(ImportRun.at).desc(), col(ImportRun.id).desc()).limit(limit))
    ).all()
