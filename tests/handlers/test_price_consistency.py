"""A city-paid enrolment says the same amounts in every reply that shows one (issue 18).

Siti comes through the link of a session whose sponsor, the City of Madiun, pays JKK + JKM for
6 months. She enrols with Rp1.500.000 a month, JKK + JKM + JHT, 3 months at once, on Saturday
21 November 2026. The city pays her JKK + JKM at the normal rate, Rp21.800 a month (1% of
Rp1.500.000 + Rp6.800; PP 50/2025's discount does not apply to a budget), until 30 April 2027;
she pays her JHT, Rp30.000 a month: Rp90.000 for the 3 months. The program step, the period
step, the summary, the confirmation, "data saya", the officer's "terdaftar" message and the
calculator all say exactly that, and no other amount for those months.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import col, select

from dashboard.service import Backoffice
from dashboard.service.sessions import Sponsor, create_session
from storage.db import Database
from storage.models import OutboxMessage, Submission
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.handlers.test_sessions import spec
from tests.support.backoffice_helpers import account, office_for
from tests.support.helpers import Chat, FixedClock

GOVERNMENT = "JKK + JKM Rp21.800 per bulan dibayar Pemerintah Kota Madiun sampai 30 April 2027"
NO_DISCOUNT = "tanpa potongan PP 50/2025. Potongan itu tidak berlaku bila anggaran pemerintah yang membayar"
# The amounts a reply about these 3 months may state: the city's 21.800, Siti's 30.000 and 90.000,
# and her income. Discounted or full prices (10.900, 40.900, 51.800, 133.600) would contradict.
THE_AMOUNTS = {"Rp21.800", "Rp30.000", "Rp90.000", "Rp1.500.000"}


def amounts(text: str) -> set[str]:
    return set(re.findall(r"Rp[\d.]*\d", text))


async def city_paid_session(db: Database, clock: FixedClock, quota: int = 10) -> str:
    today = spec(
        starts_at=datetime(2026, 11, 21, 9, 0),
        ends_at=datetime(2026, 11, 21, 12, 0),
        capacity=100,
        sponsor=Sponsor("Pemerintah Kota Madiun", months=6, quota=quota),
    )
    social = await create_session(db, today, actor="staff", branches=None, now=clock())
    return social.code


async def terdaftar_message(db: Database, clock: FixedClock, office: Backoffice, chat_id: str) -> str:
    """An officer takes the submission to "terdaftar"; the message queued for Siti."""
    officer = await account(office, "ani")
    async with db.reader() as session:
        reference = (await session.exec(select(Submission.reference))).one()
    for status in ("diproses", "dihubungi"):
        await office.change_status(officer, reference, status)
    await office.change_status(officer, reference, "terdaftar", kpj="21012345678")
    async with db.reader() as session:
        rows = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(col(OutboxMessage.id))
            )
        ).all()
    return str(rows[-1].payload["text"])


async def test_a_city_paid_enrolment_states_one_price_everywhere(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    code = await city_paid_session(db, clock)
    assert "dibayar oleh Pemerintah Kota Madiun selama 6 bulan" in await chat.say(f"DAFTAR {code}")
    for line in HAPPY[1:9]:  # consent ... occupation
        await chat.say(line)

    programs = await chat.say(HAPPY[9])  # "1,5 juta": the program question follows
    assert GOVERNMENT in programs and NO_DISCOUNT in programs
    assert "JKK + JKM: Bapak/Ibu membayar Rp0 per bulan" in programs
    assert "JHT Rp30.000 per bulan" in programs
    assert amounts(programs) <= THE_AMOUNTS | {"Rp0"}

    period = await chat.say(HAPPY[10])  # with JHT: the period question
    assert "• 3 bulan: Rp90.000" in period and GOVERNMENT in period
    # A year runs past the city's 6 months: which months cost what is said.
    assert "• 12 bulan: Rp490.800" in period
    assert (
        "Per bulan: November 2026–April 2027 Rp30.000, JKK + JKM dibayar Pemerintah Kota Madiun;"
        " Mei–Oktober 2027 Rp51.800." in period
    )

    await chat.say(HAPPY[11])  # 3 months
    summary = await chat.say(HAPPY[12])  # no e-mail: the summary
    lines = [
        "Program: JKK + JKM + JHT, Bapak/Ibu membayar Rp30.000 per bulan; " + GOVERNMENT,
        "Masa bayar: 3 bulan sekaligus, Rp90.000",
    ]
    for expected in lines:
        assert expected in summary
    assert amounts(summary) <= THE_AMOUNTS

    done = await chat.say("kirim")
    assert GOVERNMENT in done and "Bapak/Ibu membayar Rp90.000 untuk 3 bulan" in done
    assert amounts(done) <= THE_AMOUNTS

    await chat.say("tidak")  # no announcements
    mine = await chat.say("data saya")
    for expected in lines:
        assert expected in mine
    assert amounts(mine) <= THE_AMOUNTS

    office = office_for(db, clock, chat.engine.vault)
    notified = await terdaftar_message(db, clock, office, chat.chat_id)
    assert GOVERNMENT in notified
    assert "Bapak/Ibu membayar Rp30.000 per bulan; untuk 3 bulan Rp90.000" in notified
    assert amounts(notified) <= THE_AMOUNTS

    async with db.reader() as session:
        submission = (await session.exec(select(Submission))).one()
    assert (submission.monthly_contribution, submission.period_total) == (30_000, 90_000)
    assert submission.sponsor == "Pemerintah Kota Madiun"

    # The calculator, for the same person and the same income and work.
    await chat.say("hitung iuran")
    await chat.say("1,5 juta")
    calculated = await chat.say("pedagang")
    assert GOVERNMENT in calculated
    assert "• JKK + JKM: Rp0/bulan" in calculated and "• Dengan JHT: Rp30.000/bulan" in calculated
    assert "• 3 bulan: Rp0 / Rp90.000" in calculated


async def test_a_sponsor_whose_quota_ran_out_is_not_promised(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    """Two people arrive while one place is left; the second to send finds it taken."""
    code = await city_paid_session(db, clock, quota=1)
    second = Chat(db, chat.engine, chat_id="6281300002222")
    for person in (chat, second):
        assert "tersisa 1 dari 1" in await person.say(f"DAFTAR {code}")
    await run(chat, HAPPY[1:])
    await chat.say("kirim")
    second_answers = [*HAPPY[1:]]
    second_answers[1] = "3577014708850002"  # another NIK: same district and birth date
    summary = await run(second, second_answers)
    assert GOVERNMENT in summary  # what he was told while a place was left
    done = await second.say("kirim")
    assert "Kuota dari Pemerintah Kota Madiun habis: iuran dibayar sendiri." in done
    # The own price now, said with its months: Nov-Dec discounted, January at the normal rate.
    assert "Iuran 3 bulan: Rp133.600 (per bulan: November–Desember 2026 Rp40.900" in done
    assert GOVERNMENT not in done
    async with db.reader() as session:
        rows = (await session.exec(select(Submission).order_by(col(Submission.id)))).all()
    assert [(s.sponsor, s.monthly_contribution, s.period_total) for s in rows] == [
        ("Pemerintah Kota Madiun", 30_000, 90_000),
        (None, 40_900, 133_600),
    ]


async def test_a_regency_scheme_makes_a_candidate_for_staff_to_check(chat: Chat, db: Database) -> None:
    """Kota Madiun pays JKK + JKM for vulnerable workers it registered (messages/pemda.toml): a
    resident who enrols on their own pays their own price, is told of the scheme, and is marked."""
    text = await run(chat, HAPPY)
    assert "Pemerintah Kota Madiun mungkin membayar JKK + JKM Bapak/Ibu; petugas akan memeriksa." in text
    assert "Rp40.900 per bulan" in text and GOVERNMENT not in text
    done = await chat.say("kirim")
    assert "Pemerintah Kota Madiun mungkin membayar" in done
    async with db.reader() as session:
        submission = (await session.exec(select(Submission))).one()
    assert submission.subsidy_candidate and submission.sponsor is None
    assert submission.monthly_contribution == 40_900
