"""Personal data is not left behind: `hapus data` is complete, specific data is encrypted at
rest, and the retention the consent text promises (at most five years) is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import col, select

from bot.housekeeping import retention_years, tidy
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage, Submission
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.helpers import Chat, FixedClock

PERSONAL = ("Siti Aminah", "Siti", "Merpati 12", "Rp1.500.000")


async def outbox_texts(db: Database) -> list[tuple[str, str]]:
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [(r.status, str(r.payload)) for r in rows]


async def test_hapus_data_leaves_no_personal_data_in_the_outbox_in_any_status(
    db: Database, chat: Chat
) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("tidak")  # no announcements
    await chat.say("data saya")
    async with db.transaction() as session:  # some went out, some wait, some are still queued
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
        for index, row in enumerate(rows):
            row.status = ("sent", "waiting", "pending", "failed")[index % 4]
    before = await outbox_texts(db)
    assert any(word in payload for _, payload in before for word in PERSONAL)

    await chat.say("hapus data")
    await chat.say("1")

    after = await outbox_texts(db)
    leaks = [(status, p) for status, p in after if any(word in p for word in PERSONAL)]
    assert leaks == [], [x[1][:80] for x in leaks]
    erased = after[: len(before)]
    assert all(status in ("sent", "failed", "erased") for status, _ in erased)  # nothing left to send
    assert after[-1][0] == "pending" and "hapus" in after[-1][1]  # the confirmation still goes out


async def test_the_shared_phone_and_the_income_are_encrypted_at_rest(db: Database, chat: Chat) -> None:
    chat = Chat(db, chat.engine, chat_id="501")  # a Telegram-like id (a WhatsApp id is the number itself)
    await run(chat, HAPPY)
    await chat.say("kirim")
    async with db.reader() as session:
        raw_contact = (await session.exec(text("SELECT * FROM contact"))).all()  # type: ignore[call-overload]
        raw_submission = (await session.exec(text("SELECT * FROM submission"))).all()  # type: ignore[call-overload]
        submission = (await session.exec(select(Submission))).one()
    dump = repr(raw_contact) + repr(raw_submission)
    assert "81234567890" not in dump
    assert "1500000" not in dump and "1_500_000" not in dump
    assert submission.income_band == "1-2jt"  # what reports need, in clear


async def test_retention_anonymises_and_deletes_after_the_promised_years(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    assert retention_years() == 5
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("halo")
    later = clock() + timedelta(days=365 * 5 - 30)
    await tidy(db, later, draft_expiry_days=7)
    async with db.reader() as session:
        kept = (await session.exec(select(Submission))).one()
    assert kept.anonymised_at is None and kept.full_name_enc  # not yet five years

    await tidy(db, clock() + timedelta(days=365 * 5 + 30), draft_expiry_days=7)
    async with db.reader() as session:
        gone = (await session.exec(select(Submission))).one()
        contact = (await session.exec(select(Contact))).one()
        messages = (await session.exec(select(OutboxMessage))).all()
        conversation = await session.get(Conversation, contact.id)
    assert gone.anonymised_at is not None
    assert (gone.nik_enc, gone.nik_hash, gone.full_name_enc, gone.phone_enc, gone.address_enc) == (None,) * 5
    assert gone.income_enc is None and gone.income_band == "1-2jt"  # the band stays for reports
    assert gone.status == "baru" and gone.branch_code  # the anonymous record stays
    assert contact.phone_enc is None and contact.attribution_code is None
    assert messages == [] and conversation is None
