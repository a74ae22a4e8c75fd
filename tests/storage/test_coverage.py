"""The coverage record: one row per registered submission, written and read back on SQLite and
PostgreSQL, and the record of imports."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage.coverage import (
    branch_coverage,
    coverage_of,
    coverages_of,
    recent_imports,
    record_import,
    record_registration,
    set_paid_until,
)
from storage.coverage_models import Coverage
from storage.db import Database
from storage.migrate import downgrade, upgrade
from storage.models import Submission
from storage.submissions import change_status
from tests.support.backoffice_helpers import MADIUN, MADURA, T0, seed


async def _submission(db: Database, reference: str) -> Submission:
    async with db.reader() as session:
        found = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
    return found


async def test_a_registration_is_recorded_once_and_corrected_in_place(db: Database) -> None:
    submission = await _submission(db, await seed(db))
    assert submission.id is not None
    async with db.transaction() as session:
        record_registration(
            session, submission, None, kpj="12345678901", registered_on=date(2026, 11, 5), now=T0
        )
    async with db.transaction() as session:
        existing = await coverage_of(session, submission.id)
        assert existing is not None and existing.paid_until is None and existing.paid_until_source is None
        record_registration(
            session,
            submission,
            existing,
            kpj="12345678902",
            registered_on=date(2026, 11, 6),
            now=T0 + timedelta(hours=1),
            paid_until=date(2027, 2, 5),
            paid_until_source="import",
        )
    async with db.reader() as session:
        row = await coverage_of(session, submission.id)
    assert row is not None
    assert (row.kpj, row.registered_on, row.period_months) == ("12345678902", date(2026, 11, 6), 3)
    assert (row.paid_until, row.paid_until_source, row.branch_code) == (date(2027, 2, 5), "import", MADIUN[0])
    assert row.updated_at == T0 + timedelta(hours=1)

    with pytest.raises(IntegrityError):  # one row per submission, by the database itself
        async with db.transaction() as session:
            record_registration(session, submission, None, kpj="1", registered_on=date(2026, 11, 5), now=T0)


async def test_paid_until_moves_with_its_source(db: Database) -> None:
    registered = await _submission(db, await seed(db))
    unregistered = await _submission(db, await seed(db))
    assert registered.id is not None and unregistered.id is not None
    async with db.transaction() as session:
        record_registration(
            session, registered, None, kpj="12345678901", registered_on=date(2026, 11, 5), now=T0
        )
    async with db.transaction() as session:
        moved = await set_paid_until(session, registered.id, date(2027, 3, 5), source="worker", now=T0)
        assert moved is not None
        assert (
            await set_paid_until(session, unregistered.id, date(2027, 3, 5), source="worker", now=T0) is None
        )
        with pytest.raises(ValueError):
            await set_paid_until(session, registered.id, date(2027, 3, 5), source="someone", now=T0)
    async with db.reader() as session:
        row = await coverage_of(session, registered.id)
        both = await coverages_of(session, [registered.id, unregistered.id])
    assert row is not None and (row.paid_until, row.paid_until_source) == (date(2027, 3, 5), "worker")
    assert list(both) == [registered.id]


async def test_coverage_and_imports_are_read_by_branch(db: Database) -> None:
    mine = await _submission(db, await seed(db, where=MADIUN))
    theirs = await _submission(db, await seed(db, where=MADURA))
    async with db.transaction() as session:
        for submission in (mine, theirs):
            record_registration(
                session, submission, None, kpj="12345678901", registered_on=date(2026, 11, 5), now=T0
            )
        record_import(
            session, by="ani", branch_code=MADIUN[0], at=T0, file_name="a.csv", rows=3, applied=2, refused=1
        )
        record_import(
            session,
            by="budi",
            branch_code=MADURA[0],
            at=T0 + timedelta(minutes=1),
            file_name="b.csv",
            rows=1,
            applied=1,
            refused=0,
        )
    async with db.reader() as session:
        madiun = await branch_coverage(session, [MADIUN[0]])
        everyone = await branch_coverage(session, None)
        runs = await recent_imports(session, [MADIUN[0]])
        all_runs = await recent_imports(session, None)
    assert [row.submission_id for row in madiun] == [mine.id]
    assert {row.submission_id for row in everyone} == {mine.id, theirs.id}
    assert [(run.by, run.rows, run.applied, run.refused) for run in runs] == [("ani", 3, 2, 1)]
    assert [run.by for run in all_runs] == ["budi", "ani"]


async def test_the_migration_gives_earlier_registrations_their_coverage(db: Database, db_url: str) -> None:
    reference = await seed(db)
    async with db.transaction() as session:
        found = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        await change_status(session, found, "terdaftar", actor="test", now=T0, kpj_number="21012345678")
        found.registered_at = T0 + timedelta(hours=20)  # 3 November, 05:00 WIB
    await asyncio.to_thread(downgrade, db_url, "0019")
    await asyncio.to_thread(upgrade, db_url)
    async with db.reader() as session:
        rows = (await session.exec(select(Coverage))).all()
    assert [(r.kpj, r.registered_on, r.period_months, r.paid_until, r.branch_code) for r in rows] == [
        ("21012345678", date(2026, 11, 3), 3, None, MADIUN[0])
    ]
