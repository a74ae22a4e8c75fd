"""The retention's own queries: callback requests past the promised years, and the record of
each run (`retention_run`) that `/healthz` reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CallbackRequest
from storage.ops_models import RetentionRun

KEEP_RUNS = timedelta(days=90)
"""How long the record of a run is kept (the latest one is what /healthz shows)."""


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The moment before which personal data is past `years` years (as storage.submissions)."""
    return now - timedelta(days=round(365.25 * years))


async def erase_old_callbacks(session: AsyncSession, before: datetime) -> int:
    """Callback requests made before `before` lose the number and the question (as "hapus data")."""
    result = await session.exec(
        update(CallbackRequest)
        .where(
            col(CallbackRequest.created_at) < before,
            or_(col(CallbackRequest.phone_enc).is_not(None), col(CallbackRequest.question_enc).is_not(None)),
        )
        .values(phone_enc=None, question_enc=None, contact_id=None)
    )
    return int(result.rowcount or 0)


async def record_run(
    session: AsyncSession,
    *,
    started_at: datetime,
    finished_at: datetime,
    trigger: str,
    removed: Mapping[str, int],
) -> None:
    """Keeps the run's counts; forgets runs older than KEEP_RUNS."""
    session.add(
        RetentionRun(started_at=started_at, finished_at=finished_at, trigger=trigger, removed=dict(removed))
    )
    await session.exec(delete(RetentionRun).where(col(RetentionRun.finished_at) < finished_at - KEEP_RUNS))


async def last_run(session: AsyncSession) -> RetentionRun | None:
    query = select(RetentionRun).order_by(col(RetentionRun.finished_at).desc(), col(RetentionRun.id).desc())
    return (await session.exec(query.limit(1))).first()
