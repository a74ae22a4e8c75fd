"""What people do in the middle of the form besides answering it (issue 18): ask a question,
say "later", enrol an elderly parent, type a NIK that is someone else's."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from dashboard.service.export.columns import queue_columns
from handlers.engine import Engine
from handlers.enrol.fields import FORM
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage, Submission
from tests.handlers.test_enrol_flow import HAPPY, MAN_NIK, WOMAN_NIK, only_submission, run
from tests.support.helpers import VAULT, Chat, FixedClock


async def _state(db: Database, chat: Chat) -> Conversation:
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
        conversation = await session.get(Conversation, contact.id)
    assert conversation is not None
    return conversation


def _answers(conversation: Conversation) -> dict[str, object]:
    raw = conversation.data.get("draft")
    return FORM.draft(raw, VAULT).decrypted() if raw else {}


async def test_a_question_mid_form_is_answered_and_the_question_asked_again(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:9])  # at the income question
    before = _answers(await _state(db, chat))
    replies = await chat.send("iurane piro mas?")
    assert "paling murah" in replies[0].text  # the short answer
    assert "penghasilan" in replies[-1].text.lower()  # then the income question again
    after = await _state(db, chat)
    assert after.step == "income" and _answers(after) == before


async def test_a_question_at_the_consent_is_never_a_refusal(chat: Chat, db: Database) -> None:
    await chat.say("daftar")
    text = await chat.say("isih kudu mbayar ta?")
    assert "tidak apa-apa" not in text and "Apakah Bapak/Ibu setuju?" in text
    assert (await _state(db, chat)).step == "consent"
    assert "Terima kasih" not in await chat.say("mboten")  # a plain no is a no
    assert (await _state(db, chat)).flow is None


async def test_a_question_the_bot_cannot_answer_is_not_stored_as_the_address(
    chat: Chat, db: Database
) -> None:
    await run(chat, HAPPY[:7])  # at the street address
    text = await chat.say("perlu kode pos gak?")
    assert "belum bisa saya jawab" in text
    conversation = await _state(db, chat)
    assert conversation.step == "address" and "address" not in _answers(conversation)


async def test_later_keeps_the_answers_and_reminds_once_the_next_morning(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    await run(chat, HAPPY[:5])  # consent, NIK, name given
    text = await chat.say("mengko wae, aku lagi nyambut gawe")
    assert "tetap tersimpan" in text and "ingatkan" in text.lower()
    assert (await _state(db, chat)).flow == "later"
    assert "pukul 09.00" in await chat.say("iyo")
    await chat.say("nanti")
    await chat.say("ingatkan saya besok")  # asked twice: still one reminder
    async with db.reader() as session:
        later = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.priority) == 1))).all()
    assert len(later) == 1 and "pengingat satu-satunya" in later[0].payload["text"]
    due = later[0].next_attempt_at
    assert due is not None and due - clock() > timedelta(hours=6)  # tomorrow, not now
    resumed = await chat.say("daftar")
    assert "Mau dilanjutkan?" in resumed  # the answers waited


async def test_later_at_the_menu_never_opens_the_form(chat: Chat, db: Database) -> None:
    text = await chat.say("sesuk wae tak daftar")
    assert "Apakah Bapak/Ibu setuju?" not in text and "ketik *daftar*" in text
    assert (await _state(db, chat)).flow == "later"


async def test_a_child_enrols_an_elderly_father_who_is_there(chat: Chat, db: Database) -> None:
    intro = await chat.say("mau daftarin bapak saya")
    assert "NIK-nya sendiri" in intro and "UU No. 27 Tahun 2022" in intro
    assert "bacakan ini kepada yang didaftarkan" in intro  # the consent, for the father
    await run(chat, ["setuju", MAN_NIK, "Slamet Riyadi", "12-03-1990", "0812-3456-7890"])
    summary = await run(chat, ["ya", "Dusun Krajan RT 1", "petani", "1jt", "1", "1", "lewati"])
    assert "Pendaftaran dibantu" in summary and "orang tua / mertua dari pendamping" in summary
    assert "Nomor pendaftaran" in await chat.say("kirim")
    submission = await only_submission(db)
    assert submission.answers["assisted_relation"] == "orang_tua"
    assert "assisted_by_family" in queue_columns(FORM)  # the officer's export says so


async def test_the_relation_is_asked_when_the_message_did_not_say(chat: Chat, db: Database) -> None:
    text = await chat.say("saya mau daftarkan keluarga saya")
    assert "Siapa yang Bapak/Ibu daftarkan?" in text
    await chat.say("anak")
    assert _answers(await _state(db, chat))["assisted_relation"] == "anak"


async def test_after_a_nik_that_is_someone_elses_the_person_types_their_own(
    chat: Chat, db: Database, engine: Engine
) -> None:
    wife = Chat(db, engine, chat_id="6281200000001")
    await run(wife, HAPPY)
    await wife.say("kirim")
    await run(chat, HAPPY[:2])
    refused = await chat.say(WOMAN_NIK)  # his wife's
    assert "sudah punya pendaftaran" in refused and "NIK Bapak/Ibu sendiri" in refused
    assert (await _state(db, chat)).step == "nik"
    accepted = await chat.say(MAN_NIK)
    assert "belum paham" not in accepted and (await _state(db, chat)).step == "full_name"
    async with db.reader() as session:
        assert len((await session.exec(select(Submission))).all()) == 1


async def test_the_way_a_person_writes_is_recorded_and_replies_stay_indonesian(
    chat: Chat, db: Database
) -> None:
    reply = await chat.say("aku arep daftar, piye carane?")
    assert "Apakah Bapak/Ibu setuju?" in reply  # Indonesian: Javanese has no texts of its own yet
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
    assert contact.language == "jv"
    await chat.say("nggih")  # shared by Javanese and Indonesian chat: the record stays
    async with db.reader() as session:
        assert (await session.get(Contact, contact.id)).language == "jv"  # type: ignore[union-attr]
