"""Payment reminders with a moved clock (dashboard/service/payment_reminders.py, the scheduler job,
handlers/flows/dues.py): once per due date, within quiet hours, stopped by "sudah bayar" and
"berhenti ingatkan"; a Pemda-paid worker only at the sponsorship's end; a lapsed worker asked why
once, the answer counted for the branch."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.scheduler import Scheduler
from dashboard.service.payment_reminders import preview
from handlers.app import build_router
from handlers.dues import account_of, price_due
from handlers.engine import Engine
from handlers.localtime import QuietHours
from storage import dues
from storage.coverage import coverage_of, record_registration
from storage.crypto import Vault
from storage.db import Database
from storage.dues_models import ARREARS, REMINDER, SPONSOR_END, PaymentNotice
from storage.models import CallbackRequest, OutboxMessage, Submission
from tests.support.backoffice_helpers import seed
from tests.support.helpers import VAULT, Chat, FixedClock

QUIET = QuietHours.parse("21:00-07:00")
VAULT_KEY = Fernet.generate_key().decode()


def wib(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """`hour` o'clock in Madiun (WIB, UTC+7)."""
    return datetime(year, month, day, hour - 7, tzinfo=UTC)


async def registered(
    db: Database,
    chat: Chat,
    *,
    on: date = date(2026, 12, 1),
    months: int = 1,
    paid_until: date | None = date(2026, 12, 31),
    sponsor: tuple[str, int] | None = None,
    vault: Vault = VAULT,
) -> Submission:
    """A terdaftar worker of KC Madiun on the chat's contact, with a coverage record."""
    reference = await seed(db, channel=chat.channel, chat_id=chat.chat_id, vault=vault)
    async with db.transaction() as session:
        submission = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        submission.status, submission.payment_months = "terdaftar", months
        if sponsor is not None:
            submission.sponsor, submission.sponsor_months = sponsor
        session.add(submission)
        record_registration(
            session,
            submission,
            None,
            kpj="12345678901",
            registered_on=on,
            now=wib(on.year, on.month, on.day),
            paid_until=paid_until,
            paid_until_source="import" if paid_until else None,
        )
    return submission


async def texts(db: Database, chat: Chat) -> list[str]:
    async with db.reader() as session:
        rows = await session.exec(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat.chat_id).order_by(col(OutboxMessage.id))
        )
        return [r.payload["text"] for r in rows.all()]


async def round_at(db: Database, clock: FixedClock, now: datetime) -> None:
    clock.now = now
    await Scheduler(db, quiet=QUIET, followup_days=3, clock=clock, payments=VAULT).tick()


async def test_reminded_once_before_the_due_date_outside_quiet_hours(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    submission = await registered(db, chat)
    await round_at(db, clock, wib(2027, 1, 11))  # four days before 15 January: too early
    assert await texts(db, chat) == []
    await round_at(db, clock, wib(2027, 1, 12, hour=22))  # the day, but 22:00 in Madiun
    assert await texts(db, chat) == []
    await round_at(db, clock, wib(2027, 1, 13, hour=7))
    sent = await texts(db, chat)
    assert len(sent) == 1
    assert "Pengingat iuran" in sent[0] and "Januari 2027" in sent[0] and "15 Januari 2027" in sent[0]
    # JKK 1% + JKM Rp6.800 + JHT 2% of Rp1.500.000, at January 2027's rates (handlers/price.py)
    assert "Rp51.800" in sent[0]
    async with db.reader() as session:
        coverage = await coverage_of(session, submission.id or 0)
    assert coverage is not None
    assert price_due(submission, account_of(submission, coverage), 1_500_000).total == 51_800
    for later in (wib(2027, 1, 13, hour=12), wib(2027, 1, 14), wib(2027, 1, 15, hour=20)):
        await round_at(db, clock, later)
    assert len(await texts(db, chat)) == 1  # never twice for one due date
    async with db.reader() as session:
        notices = (await session.exec(select(PaymentNotice))).all()
    assert [(n.kind, n.due_on) for n in notices] == [(REMINDER, date(2027, 1, 15))]


async def test_sudah_bayar_moves_paid_until_and_stops_the_reminder(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    submission = await registered(db, chat)
    await round_at(db, clock, wib(2027, 1, 12))
    assert len(await texts(db, chat)) == 1
    reply = await chat.say("udah bayar kemarin di BNI")
    assert "sudah dibayar sampai 31 Januari 2027" in reply and "15 Februari 2027" in reply
    async with db.reader() as session:
        coverage = await coverage_of(session, submission.id or 0)
    assert coverage is not None and (coverage.paid_until, coverage.paid_until_source) == (
        date(2027, 1, 31),
        "worker",
    )
    await round_at(db, clock, wib(2027, 1, 14))
    await round_at(db, clock, wib(2027, 1, 25))  # not behind either
    assert len(await texts(db, chat)) == 2  # the reminder and the answer
    await round_at(db, clock, wib(2027, 2, 12))  # February's reminder
    assert "15 Februari 2027" in (await texts(db, chat))[-1]


async def test_tapped_sudah_bayar_and_berhenti_ingatkan(db: Database, chat: Chat, clock: FixedClock) -> None:
    submission = await registered(db, chat, months=3, paid_until=date(2027, 2, 28))
    await round_at(db, clock, wib(2027, 3, 12))
    reply = await chat.send(option_id=f"dues.paid.{submission.id}", kind="option")
    assert "31 Mei 2027" in reply[0].text  # three months on
    reply = await chat.send(option_id=f"dues.stop.{submission.id}", kind="option")
    assert "tidak mengirim pengingat iuran lagi" in reply[0].text
    before = len(await texts(db, chat))
    await round_at(db, clock, wib(2027, 6, 12))
    await round_at(db, clock, wib(2027, 7, 1))
    assert len(await texts(db, chat)) == before  # no reminder, no arrears question


async def test_another_persons_submission_is_not_touched(db: Database, chat: Chat, clock: FixedClock) -> None:
    other = Chat(db, chat.engine, chat_id="6289999999999")
    theirs = await registered(db, other)
    clock.now = wib(2027, 1, 12)
    reply = await chat.send(option_id=f"dues.paid.{theirs.id}", kind="option")
    assert "belum menemukan kepesertaan" in reply[0].text
    async with db.reader() as session:
        coverage = await coverage_of(session, theirs.id or 0)
    assert coverage is not None and coverage.paid_until == date(2026, 12, 31)


async def test_pemda_paid_worker_is_told_once_before_the_sponsorship_ends(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    await registered(db, chat, paid_until=None, sponsor=("Pemerintah Kota Madiun", 3))
    for day in (wib(2026, 12, 12), wib(2027, 1, 12), wib(2027, 1, 25), wib(2027, 2, 12)):
        await round_at(db, clock, day)
    assert await texts(db, chat) == []  # the city pays December to February
    await round_at(db, clock, wib(2027, 2, 14))  # 14 days before 28 February
    sent = await texts(db, chat)
    assert len(sent) == 1
    assert "dibayar Pemerintah Kota Madiun sampai 28 Februari 2027" in sent[0]
    assert "Mulai Maret 2027" in sent[0] and "Rp51.800" in sent[0] and "15 Maret 2027" in sent[0]
    await round_at(db, clock, wib(2027, 2, 20))
    assert len(await texts(db, chat)) == 1
    await round_at(db, clock, wib(2027, 3, 12))  # then the first payment of their own
    sent = await texts(db, chat)
    assert len(sent) == 2 and "Pengingat iuran" in sent[1]


async def test_lapsed_worker_is_asked_why_once(db: Database, chat: Chat, clock: FixedClock) -> None:
    submission = await registered(db, chat)
    await round_at(db, clock, wib(2027, 1, 12))
    await round_at(db, clock, wib(2027, 1, 22))  # late, still within the grace days
    assert len(await texts(db, chat)) == 1
    await round_at(db, clock, wib(2027, 1, 23))
    sent = await texts(db, chat)
    assert len(sent) == 2 and "kenapa belum bayar" in sent[1] and "Januari 2027" in sent[1]
    for day in (wib(2027, 1, 24), wib(2027, 2, 1)):
        await round_at(db, clock, day)
    assert len(await texts(db, chat)) == 2  # once
    reply = await chat.send(option_id=f"dues.why.kurang_uang.{submission.id}", kind="option")
    assert "tanpa denda" in reply[0].text and [o.id for o in reply[0].options][:2] == [
        f"dues.how.{submission.id}",
        f"dues.call.{submission.id}",
    ]
    reply = await chat.send(option_id=f"dues.call.{submission.id}", kind="option")
    assert "akan menelepon" in reply[0].text
    async with db.reader() as session:
        counts = await dues.arrears_answers(session, ["KC-MADIUN"])
        others = await dues.arrears_answers(session, ["KC-MADURA"])
        calls = (await session.exec(select(CallbackRequest))).all()
        notice = (await session.exec(select(PaymentNotice).where(PaymentNotice.kind == ARREARS))).one()
    assert counts == {"kurang_uang": 1} and others == {}
    assert [c.branch_code for c in calls] == ["KC-MADIUN"]
    assert VAULT.decrypt(calls[0].question_enc or "").startswith(f"Peserta {submission.reference}")
    assert notice.due_on == date(2027, 1, 15)


async def test_preview_lists_who_would_be_reminded_masked(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    submission = await registered(db, chat)
    sponsored = await registered(
        db, Chat(db, chat.engine, chat_id="6281200001111"), paid_until=None, sponsor=("Pemkot Madiun", 3)
    )
    assert await preview(db, date(2027, 1, 11)) == []
    lines = await preview(db, date(2027, 1, 12))
    assert lines == [f"{submission.reference} {REMINDER} 2027-01-15 test ••••7890"]
    assert "6281234567890" not in "\n".join(lines)
    assert await preview(db, date(2027, 2, 14)) == [
        f"{submission.reference} {ARREARS} 2027-01-15 test ••••7890",
        f"{sponsored.reference} {SPONSOR_END} 2027-02-28 test ••••1111",
    ]


def test_preview_from_the_command_line(db_url: str) -> None:
    async def prepare() -> str:
        database = Database(db_url)
        try:
            engine = Engine(database, build_router(), vault=VAULT, clock=FixedClock(wib(2027, 1, 1)))
            submission = await registered(database, Chat(database, engine), vault=Vault(VAULT_KEY))
            return submission.reference
        finally:
            await database.dispose()

    reference = asyncio.run(prepare())
    env = {"DATABASE_URL": db_url, "PII_ENCRYPTION_KEY": VAULT_KEY, "SECRET_KEY": "test-secret"}
    found = CliRunner().invoke(app, ["reminders", "preview", "--on", "2027-01-13"], env=env)
    assert found.exit_code == 0, found.output
    assert found.stdout.splitlines() == [f"{reference} reminder 2027-01-15 test ••••7890"]
    assert "1 on 2027-01-13" in found.stderr and "PP 44/2015" in found.stderr
    none = CliRunner().invoke(app, ["reminders", "preview", "--on", "2027-01-10"], env=env)
    assert none.exit_code == 0 and none.stdout == ""
    bad = CliRunner().invoke(app, ["reminders", "preview", "--on", "13/01/2027"], env=env)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


async def test_typed_in_javanese_and_stopped_in_words(db: Database, chat: Chat, clock: FixedClock) -> None:
    await registered(db, chat)
    await round_at(db, clock, wib(2027, 1, 12))
    assert "sudah dibayar sampai 31 Januari 2027" in await chat.say("wis tak bayar mas")
    assert "tidak mengirim pengingat iuran lagi" in await chat.say("jangan ingatkan lagi ya")
    before = len(await texts(db, chat))
    for day in (wib(2027, 2, 12), wib(2027, 3, 1)):
        await round_at(db, clock, day)
    assert len(await texts(db, chat)) == before


async def test_not_in_the_middle_of_a_conversation(db: Database, chat: Chat, clock: FixedClock) -> None:
    await registered(db, chat)
    clock.now = wib(2027, 1, 12, hour=9)
    await chat.say("hitung iuran")  # in the calculator
    before = len(await texts(db, chat))
    await round_at(db, clock, wib(2027, 1, 12, hour=9) + timedelta(minutes=20))
    assert len(await texts(db, chat)) == before  # it waits for a later round
    await round_at(db, clock, wib(2027, 1, 12, hour=11))
    sent = await texts(db, chat)
    assert len(sent) == before + 1 and "Pengingat iuran" in sent[-1]


async def test_status_says_how_far_it_is_paid(db: Database, chat: Chat, clock: FixedClock) -> None:
    await registered(db, chat)
    clock.now = wib(2027, 1, 10)
    reply = await chat.say("status")
    assert "lunas sampai 31 Desember 2026" in reply and "paling lambat 15 Januari 2027" in reply
    clock.now = wib(2027, 1, 25)
    assert "jatuh tempo 15 Januari 2027 belum tercatat dibayar" in await chat.say("status")
