"""Import of registrations from the branch's system (service layer, real database): the preview
shows each row's fate, apply changes only the good rows (history, coverage, one notification each,
one audit entry each), a second import of the same file changes nothing, and another branch's
people are refused exactly like nobody."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlmodel import col, select

from dashboard.service import Backoffice, Forbidden, InvalidInput
from dashboard.service.imports import Importer
from dashboard.service.imports.read import parse_date, read_table
from dashboard.service.imports.template import template_csv, template_xlsx
from storage.coverage_models import Coverage, ImportRun
from storage.db import Database
from storage.models import AuditLog, OutboxMessage, Submission, SubmissionEvent
from tests.support.backoffice_helpers import MADURA, account, office_for
from tests.support.helpers import FixedClock
from tests.support.import_files import NOW, scenario


@pytest.fixture
def office(db: Database, clock: FixedClock) -> Backoffice:
    clock.now = NOW
    return office_for(db, clock)


async def _state(db: Database) -> dict[str, tuple[str, int, str | None]]:
    async with db.reader() as session:
        rows = (await session.exec(select(Submission))).all()
    return {s.reference: (s.status, s.version, s.kpj_number) for s in rows}


async def _count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return len((await session.exec(select(model))).all())


def test_dates_as_people_and_spreadsheets_write_them() -> None:
    assert parse_date("2026-11-05") == date(2026, 11, 5)
    assert (
        parse_date("05-11-2026") == parse_date("5/11/2026") == parse_date("05.11.2026") == date(2026, 11, 5)
    )
    assert parse_date(46333) == parse_date("46333") == parse_date(46333.0) == date(2026, 11, 7)
    assert parse_date("2026-02-30") is None
    assert parse_date("kemarin") is None
    assert parse_date(12) is None  # a stray number is not a date


def test_the_template_reads_back_as_one_row() -> None:
    for content, name in ((template_csv(), "templat.csv"), (template_xlsx(), "templat.xlsx")):
        rows = read_table(content, name)
        assert [row.row for row in rows] == [2]
        assert rows[0].text("status") == "terdaftar"
        assert rows[0].text("kpj") == "21012345678"


def test_a_file_without_the_columns_is_refused_in_indonesian() -> None:
    with pytest.raises(InvalidInput, match="Baris judul"):
        read_table(b"nama,alamat\nBudi,Madiun\n", "x.csv")
    with pytest.raises(InvalidInput, match="tidak berisi"):
        read_table(b"reference,status\n\n", "x.csv")
    with pytest.raises(InvalidInput, match="CSV atau XLSX"):
        read_table(b"PK\x03\x04 not really a zip", "x.xlsx")


async def test_preview_shows_each_row_and_changes_nothing(db: Database, office: Backoffice) -> None:
    case = await scenario(db)
    ani = await account(office, "ani")
    before = await _state(db)
    report = await Importer(office).run(ani, case.csv.encode(), "sistem.csv", dry_run=True)
    assert await _state(db) == before
    assert await _count(db, OutboxMessage) == 0 and await _count(db, Coverage) == 0
    by_row = {r.row: r for r in report.results}
    assert report.rows == 14 and report.applied == 4 and report.refused == 10
    for row, word in case.errors.items():
        assert not by_row[row].ok and word in (by_row[row].error or ""), (row, by_row[row].error)
    good = {r.reference: r for r in report.results if r.ok}
    assert set(good) == set(case.good)
    assert any("Status" in c and "Terdaftar" in c for c in by_row[2].changes)
    assert any("Lunas sampai" in c and "04-02-2027" in c for c in by_row[2].changes)
    assert any("07-11-2026" in c for c in by_row[4].changes)  # the Excel serial read as a date


async def test_apply_changes_only_the_good_rows_once(db: Database, office: Backoffice) -> None:
    case = await scenario(db)
    ani = await account(office, "ani")
    before = await _state(db)
    report = await Importer(office).run(ani, case.csv.encode(), "sistem.csv", dry_run=False)
    assert (report.rows, report.applied, report.refused, report.changed) == (14, 4, 10, 4)
    after = await _state(db)
    for reference, status in case.good.items():
        assert after[reference][0] == status
        assert after[reference][1] == before[reference][1] + 1
    for reference in set(before) - set(case.good):
        assert after[reference] == before[reference], reference
    async with db.reader() as session:
        coverage = {c.submission_id: c for c in (await session.exec(select(Coverage))).all()}
        ids = {s.reference: s.id or 0 for s in (await session.exec(select(Submission))).all()}
        audits = (await session.exec(select(AuditLog).where(AuditLog.action == "import_row"))).all()
        events = (
            await session.exec(select(SubmissionEvent).where(col(SubmissionEvent.actor) == "staff:ani"))
        ).all()
        runs = (await session.exec(select(ImportRun))).all()
    registered = [r for r, s in case.good.items() if s == "terdaftar"]
    assert set(coverage) == {ids[r] for r in registered}
    first = coverage[ids[registered[0]]]
    assert (first.kpj, first.registered_on, first.paid_until, first.paid_until_source) == (
        "21012345678",
        date(2026, 11, 5),
        date(2027, 2, 4),
        "import",
    )
    assert first.period_months == 3
    assert coverage[ids[registered[1]]].kpj == "21012345679"  # spaces dropped
    assert coverage[ids[registered[1]]].paid_until is None
    assert sorted(a.details["reference"] for a in audits) == sorted(case.good)
    assert all(a.branch_code == "KC-MADIUN" and a.details["via"] == "session" for a in audits)
    assert all("nik" not in str(a.details).lower() for a in audits)
    assert len(events) == 4 and all("sistem.csv" in (e.note or "") for e in events)
    assert [(r.by, r.rows, r.applied, r.refused) for r in runs] == [("ani", 14, 4, 10)]
    assert await _count(db, OutboxMessage) == case.notified

    again = await Importer(office).run(ani, case.csv.encode(), "sistem.csv", dry_run=False)
    assert (again.applied, again.refused, again.changed) == (4, 10, 0)
    assert await _state(db) == after
    assert await _count(db, OutboxMessage) == case.notified
    async with db.reader() as session:
        assert len((await session.exec(select(AuditLog).where(AuditLog.action == "import_row"))).all()) == 4


async def test_another_branchs_rows_read_exactly_like_nobodys(db: Database, office: Backoffice) -> None:
    case = await scenario(db)
    ani = await account(office, "ani")
    report = await Importer(office).run(ani, case.csv.encode(), "sistem.csv", dry_run=True)
    by_row = {r.row: r for r in report.results}
    ref_theirs, nik_theirs = (by_row[n] for n in case.other_branch)
    ref_nobody, nik_nobody = (by_row[n] for n in case.unknown)
    assert (ref_theirs.error, ref_theirs.submission_id) == (ref_nobody.error, None)
    assert (nik_theirs.error, nik_theirs.reference, nik_theirs.submission_id) == (
        nik_nobody.error,
        None,
        None,
    )
    # Madura's own officer imports the same file: their person is found, Madiun's are not.
    budi = await account(office, "budi", where=MADURA)
    theirs = await Importer(office).run(budi, case.csv.encode(), "sistem.csv", dry_run=True)
    ok_rows = {r.row for r in theirs.results if r.ok}
    assert 9 in ok_rows and 10 not in ok_rows  # row 10 names the same person: a duplicate
    assert ok_rows == {9}


async def test_a_partner_cannot_import(db: Database, office: Backoffice) -> None:
    mitra = await account(office, "mitra1", role="mitra", where=None, regencies=["35.77"])
    with pytest.raises(Forbidden):
        await Importer(office).run(mitra, b"reference,status\nX,terdaftar\n", "x.csv", dry_run=True)


async def test_an_xlsx_with_date_cells_and_numbers_imports(db: Database, office: Backoffice) -> None:
    from openpyxl import Workbook

    case = await scenario(db)
    ani = await account(office, "ani")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["No. Referensi", "NIK", "Status", "No KPJ", "Tanggal Daftar", "Lunas Sampai", "Catatan"])
    fresh = next(iter(case.good))
    sheet.append([fresh, None, "terdaftar", 21012345678, date(2026, 11, 5), date(2027, 2, 4), None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = await Importer(office).run(ani, buffer.getvalue(), "ekspor.xlsx", dry_run=False)
    assert (report.rows, report.applied, report.changed) == (1, 1, 1), report.results
    assert (await _state(db))[fresh][0] == "terdaftar"


async def test_a_single_registration_on_the_page_writes_the_coverage_too(
    db: Database, office: Backoffice
) -> None:
    case = await scenario(db)
    ani = await account(office, "ani")
    reference = next(iter(case.good))
    for status in ("diproses", "dihubungi"):
        await office.change_status(ani, reference, status)
    await office.change_status(ani, reference, "terdaftar", kpj="21012345678")
    async with db.reader() as session:
        rows = (await session.exec(select(Coverage))).all()
    assert [(c.kpj, c.registered_on, c.paid_until) for c in rows] == [("21012345678", NOW.date(), None)]
