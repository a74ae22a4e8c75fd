"""The whole road in the reports (dashboard/service/road_report.py): reached to still paying after
3 and 6 months by code, regency and occupation, and the arrears answers; each viewer sees their
scope, a partner's small counts hidden; the CSV and the page carry the same tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from dashboard.service import Backoffice
from dashboard.service.reports import table_csv
from dashboard.service.suppression import PRIMARY
from storage import dues
from storage.coverage import record_registration
from storage.db import Database
from storage.dues_models import ARREARS
from storage.models import Contact, Submission
from tests.dashboard.test_staff_pages import officer, running
from tests.support.backoffice_helpers import MADIUN, MADURA, T0, account, office_for, seed
from tests.support.helpers import VAULT, FixedClock

TODAY = datetime(2027, 7, 1, 3, 0, tzinfo=UTC)
FROM, TO = date(2026, 11, 1), date(2026, 11, 30)


async def person(
    db: Database,
    *,
    where: tuple[str, str, str] = MADIUN,
    status: str = "terdaftar",
    paid_until: date | None = None,
    code: str = "AGEN01",
    occupation: str = "pedagang",
) -> int:
    reference = await seed(db, where=where, attribution=code, occupation=occupation)
    async with db.transaction() as session:
        submission = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        contact = await session.get(Contact, submission.contact_id)
        assert contact is not None and submission.id is not None
        contact.created_at = T0
        submission.status = status
        if status == "terdaftar":
            record_registration(
                session,
                submission,
                None,
                kpj="11112222333",
                registered_on=date(2026, 12, 1),
                now=T0,
                paid_until=paid_until,
                paid_until_source="import" if paid_until else None,
            )
        return submission.id


async def test_the_road_by_code_regency_and_occupation(db: Database) -> None:
    office: Backoffice = office_for(db, FixedClock(TODAY))
    await person(db, paid_until=date(2027, 6, 30))  # paying all along
    await person(db, paid_until=date(2026, 12, 31))  # paid the first month only
    await person(db)  # terdaftar, no payment known
    await person(db, status="baru", occupation="ojol")  # submitted
    await person(db, where=MADURA, paid_until=date(2027, 6, 30), code="MDR1")
    async with db.transaction() as session:  # a contact who only wrote, in Kota Madiun
        session.add(Contact(channel="test", chat_id="only-wrote", regency_code="35.77", created_at=T0))
    madiun = await account(office, "eka", "supervisor")
    report = await office.reports(madiun, date_from=FROM, date_to=TO)
    by_code = {row[0]: row[2:] for row in report.table("road_by_source").rows}
    #                   reached, started, submitted, terdaftar, first payment, 3 months, 6 months
    assert by_code == {"AGEN01": (4, 4, 4, 3, 2, 1, 1), "-": (1, 0, 0, 0, 0, 0, 0)}
    by_regency = {row[0]: row[1:] for row in report.table("road_by_regency").rows}
    assert by_regency == {"Kota Madiun": (5, 4, 4, 3, 2, 1, 1)}
    jobs = {row[0]: row[1:] for row in report.table("road_by_occupation").rows}
    assert jobs["Pedagang pasar / keliling"] == (None, None, 3, 3, 2, 1, 1)
    assert sum(1 for row in report.table("road_by_source").rows if row[0] == "MDR1") == 0  # not theirs
    csv = table_csv(report.table("road_by_source")).decode("utf-8-sig").splitlines()
    assert csv[0].startswith("Kode sumber,Jenis,Dijangkau,Mulai isi,Terkirim,Terdaftar,Bayar pertama")
    assert csv[1] == "AGEN01,Agen/lainnya,4,4,4,3,2,1,1"

    boss = await account(office, "root", "admin", None)
    everything = {
        r[0]: r[2:]
        for r in (await office.reports(boss, date_from=FROM, date_to=TO)).table("road_by_source").rows
    }
    assert everything["MDR1"] == (1, 1, 1, 1, 1, 1, 1)

    partner = await account(office, "dinas", "mitra", None, regencies=["35.26"])
    hidden = (await office.reports(partner, date_from=FROM, date_to=TO)).table("road_by_source").rows
    assert hidden == (("MDR1", "Agen/lainnya", *(PRIMARY,) * 7),)


async def test_arrears_answers_in_the_report(db: Database) -> None:
    office = office_for(db, FixedClock(TODAY))
    ids = [await person(db, paid_until=date(2026, 12, 31)) for _ in range(3)]
    other = await person(db, where=MADURA, paid_until=date(2026, 12, 31))
    async with db.transaction() as session:
        for sid in [*ids, other]:
            assert await dues.claim(session, sid, ARREARS, date(2027, 1, 15), channel="test", now=T0)
        await dues.answer_arrears(session, ids[0], "kurang_uang", T0)
        await dues.answer_arrears(session, ids[1], "kurang_uang", T0)
        await dues.answer_arrears(session, other, "pindah", T0)
    madiun = await account(office, "eka", "supervisor")
    report = await office.reports(madiun, date_from=FROM, date_to=TO)
    assert report.table("arrears_reasons").rows == (("Uang sedang kurang", 2), ("Belum menjawab", 1))


async def test_the_reports_page_draws_the_road_and_its_csv(db_url: str) -> None:
    async with running(db_url) as site:
        site.office.vault = VAULT
        await person(site.office.db, paid_until=date(2027, 6, 30))
        client = await officer(site, "eka", "supervisor")
        site.office.clock = FixedClock(TODAY)  # after the log-in, which follows the real clock
        page = await client.get("/staff/reports?dari=2026-11-01&sampai=2026-11-30")
        assert page.status_code == 200
        for title in (
            "Perjalanan peserta per kode sumber",
            "Perjalanan peserta per pekerjaan",
            "kenapa belum bayar",
        ):
            assert title in page.text
        assert page.text.count("<svg") >= 3  # the road tables are drawn as funnels
        csv = await client.get("/staff/reports/csv?dari=2026-11-01&sampai=2026-11-30&tabel=road_by_regency")
        assert csv.status_code == 200
        assert csv.content.decode("utf-8-sig").splitlines()[1] == "Kota Madiun,1,1,1,1,1,1,1"
