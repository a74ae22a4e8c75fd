"""Exports: every column a branch needs, phone numbers a tap calls, local times, formula
neutralisation, XLSX layout, branch scope, and the audit of every export. CSV and XLSX are
written for people (01-07-1990, 0812-3456-7801, local times), JSON for programs (ISO 8601 with
the offset, E.164)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import col, select

from dashboard.service import Access, QueueFilters
from dashboard.service.export.columns import headers, queue_columns
from dashboard.service.export.styles import PEOPLE, PROGRAMS, SPREADSHEET, neutralise
from handlers.enrol.fields import FORM
from storage.db import Database
from storage.models import AuditLog
from tests.handlers.test_enrol_flow import HAPPY, WOMAN_NIK
from tests.support.backoffice_helpers import CATALOGUE, MADIUN, MADURA, T0, account, nik_for, office_for, seed
from tests.support.helpers import Chat, FixedClock

COLUMNS = queue_columns(FORM)


def test_neutralise() -> None:
    for dangerous in ("=1+2", "+62812", "-5", "@SUM(A1)", "\t=x"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Jl. Merpati") == "Jl. Merpati"
    assert neutralise("0812-3456-7890") == "0812-3456-7890"
    assert neutralise(1_500_000) == 1_500_000


def test_local_times_follow_the_region() -> None:
    at = datetime(2026, 11, 22, 3, 5, tzinfo=UTC)
    assert PEOPLE.moment(at, "35.77") == "22-11-2026 10:05 WIB"
    assert PEOPLE.moment(at, "51.71") == "22-11-2026 11:05 WITA"  # Denpasar
    assert PEOPLE.moment(at, "94.71") == "22-11-2026 12:05 WIT"  # Jayapura
    assert PROGRAMS.moment(at, "94.71") == "2026-11-22T12:05:00+09:00"


async def enrol_with_formula_address(chat: Chat) -> None:
    answers = [*HAPPY]
    answers[7] = '=HYPERLINK("http://x") Jl. Mawar 3'
    answers[-1] = "siti@contoh.id"
    for line in [*answers, "kirim"]:
        await chat.send(line)


async def test_csv_has_every_column_and_callable_phones(chat: Chat, db: Database, clock: FixedClock) -> None:
    await enrol_with_formula_address(chat)
    office = office_for(db, clock)
    ani = await account(office, "ani")
    reference = (await office.queue(ani)).items[0].reference
    await office.assign(ani, reference)
    data = await office.export(ani, QueueFilters(), "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == headers(COLUMNS)
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert row["phone"] == "0812-3456-7890"  # text a phone dials, no apostrophe
    assert row["ktp_address"].startswith("'=HYPERLINK")
    assert row["nik"] == "357701******0001" and row["name"] == "Siti Aminah"
    assert row["email"] == "siti@contoh.id"
    assert row["branch_name"] == "Kantor Cabang Madiun" and row["assigned_to"] == "ani"
    assert row["programs"] == "JKK + JKM + JHT" and row["status"] == "diproses"
    assert row["created_at"] == "21-11-2026 10:00 WIB"
    assert row["call_by"] == "25-11-2026"
    assert row["birth_date"] == "07-08-1985"


async def test_json_is_for_programs(chat: Chat, db: Database, clock: FixedClock) -> None:
    """Dates and times in ISO 8601 (times with their offset), phone numbers in E.164."""
    await enrol_with_formula_address(chat)
    office = office_for(db, clock)
    ani = await account(office, "ani")
    (row,) = json.loads(await office.export(ani, QueueFilters(), "json"))
    assert list(row) == list(COLUMNS)
    assert row["birth_date"] == "1985-08-07" and row["phone"] == "+6281234567890"
    assert row["created_at"] == "2026-11-21T10:00:00+07:00" and row["call_by"] == "2026-11-25"
    assert row["ktp_address"].startswith("=HYPERLINK")  # a program reads the text as it was given
    assert row["income"] == 1_500_000 and row["nik"] == "357701******0001"


async def test_xlsx_layout(db: Database, clock: FixedClock) -> None:
    office = office_for(db, clock)
    ani = await account(office, "ani")
    await seed(db, flags=("age_over_limit",))
    xlsx = await office.export(ani, QueueFilters(), "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == list(headers(COLUMNS))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(COLUMNS)).column_letter}2"
    phone = sheet.cell(2, COLUMNS.index("phone") + 1)
    assert phone.value == "0812-3400-" + phone.value[-3:] and phone.data_type == "s"
    assert phone.number_format == "@"
    # Dates and times are real dates the spreadsheet sorts, shown the Indonesian way.
    born = sheet.cell(2, COLUMNS.index("birth_date") + 1)
    assert born.is_date and born.value == datetime(1985, 8, 7) and born.number_format == "dd-mm-yyyy"
    created = sheet.cell(2, COLUMNS.index("created_at") + 1)
    assert created.is_date and isinstance(created.value, datetime)
    assert created.number_format == "dd-mm-yyyy hh:mm"
    assert sheet.cell(2, COLUMNS.index("channel") + 1).value in {"Telegram", "WhatsApp", "Konsol"}
    assert sheet.column_dimensions["A"].width >= len("Nomor pendaftaran")
    assert sheet.cell(2, COLUMNS.index("flags") + 1).value == "Usia di atas batas"


async def test_exports_keep_to_the_branch_and_are_audited(db: Database, clock: FixedClock) -> None:
    office = office_for(db, clock)
    budi = await account(office, "budi", where=MADURA)
    mine = await seed(db, where=MADURA, n=3)
    await seed(db, where=MADIUN, n=4)
    rows = json.loads(await office.export(budi, QueueFilters(), "json"))
    assert [r["reference"] for r in rows] == [mine]
    assert json.loads(await office.export(budi, QueueFilters(branch="KC-MADIUN"), "json")) == []
    revealed = json.loads(
        await office.export(Access.operator("ani"), QueueFilters(status="baru"), "json", reveal_nik=True)
    )
    assert sorted(r["nik"] for r in revealed) == [nik_for(3), nik_for(4)]
    async with db.reader() as session:
        logs = (await session.exec(select(AuditLog).where(col(AuditLog.action).startswith("export")))).all()
    assert [(a.actor, a.action, a.details["rows"], a.branch_code) for a in logs] == [
        ("staff:budi", "export", 1, "KC-MADURA"),
        ("staff:budi", "export", 0, "KC-MADURA"),
        ("cli:ani", "export_reveal_nik", 2, None),
    ]
    assert nik_for(3) not in json.dumps([a.details for a in logs])


async def test_date_filter_in_the_export(db: Database, clock: FixedClock) -> None:
    office = office_for(db, clock)
    ani = await account(office, "ani")
    await seed(db, created_at=T0)
    late = await seed(db, created_at=T0 + timedelta(days=3))
    rows = json.loads(await office.export(ani, QueueFilters(created_from=date(2026, 11, 4)), "json"))
    assert [r["reference"] for r in rows] == [late]
    assert WOMAN_NIK not in json.dumps(rows)


def test_people_read_words_programs_read_keys() -> None:
    """An income said per day and the channel: in words for people (CSV, XLSX), keys for JSON."""
    daily, ranged = {"stated": 100_000, "per": "day"}, {"stated": 500_000, "upper": 1_000_000, "per": "month"}
    assert PEOPLE.income_said(daily) == SPREADSHEET.income_said(daily) == "Rp100.000 per hari"
    assert PEOPLE.income_said(ranged) == "Rp500.000–Rp1.000.000 per bulan"
    assert (
        PROGRAMS.income_said(daily) == "100000/day" and PROGRAMS.income_said(ranged) == "500000-1000000/month"
    )
    assert PEOPLE.channel("console", CATALOGUE) == SPREADSHEET.channel("console", CATALOGUE) == "Konsol"
    assert PROGRAMS.channel("console", CATALOGUE) == "console"
