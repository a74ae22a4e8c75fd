"""The enrolment form through the real engine and database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from handlers.engine import Engine
from storage import step_events
from storage import submissions as queue
from storage.db import Database
from storage.models import AuditLog, Contact, Conversation, FormStepEvent, Submission
from storage.store import Store
from tests.support.helpers import VAULT, Chat, FixedClock

WOMAN_NIK = "3577014708850001"  # Kota Madiun, Kec. Kartoharjo; born 7 Aug 1985 (day 47 = 7 + 40)
MAN_NIK = "3526011203900002"  # Bangkalan; born 12 Mar 1990

# Answers for a straight run, in order, for the woman's NIK (the region is confirmed from it).
HAPPY = [
    "daftar",
    "setuju",
    "3577 0147 0885 0001",
    "siti   aminah",
    "7 agustus 1985",
    "0812-3456-7890",
    "ya",
    "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro",
    "1",  # pedagang
    "1,5 juta",
    "2",  # with JHT
    "3",  # three months
    "lewati",
]


async def run(chat: Chat, lines: list[str]) -> str:
    out = []
    for line in lines:
        out.append(await chat.say(line))
    return "\n".join(out)


async def only_submission(db: Database) -> Submission:
    async with db.reader() as session:
        return (await session.exec(select(Submission))).one()


async def test_a_whole_enrolment(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    summary = chat.last.text
    assert "357701******0001" in summary and WOMAN_NIK not in summary
    assert "Siti Aminah" in summary and "Perempuan" in summary and "Kec. Kartoharjo" in summary
    # 21 Nov 2026, general work, Rp1.500.000 with JHT: JKK 15.000 + JKM 6.800 halved = 10.900, + JHT 30.000.
    assert "Rp40.900 per bulan" in summary
    # Three months from November: Nov and Dec discounted, January at the normal rate (21.800 + 30.000).
    assert "Rp133.600" in summary
    done = await chat.say("kirim")
    assert "Nomor pendaftaran" in done and "Kantor Cabang Madiun" in done
    assert "Rabu, 25 November 2026" in done  # three working days after Saturday 21 November

    s = await only_submission(db)
    assert s.status == "baru" and s.branch_code == "KC-MADIUN" and s.channel == "test"
    assert VAULT.decrypt(s.nik_enc or "") == WOMAN_NIK and s.nik_hash == VAULT.keyed_hash(WOMAN_NIK)
    assert VAULT.decrypt(s.full_name_enc or "") == "Siti Aminah"
    assert VAULT.decrypt(s.phone_enc or "") == "+6281234567890"
    assert (s.sex, str(s.birth_date), s.regency_code, s.district_code) == (
        "P",
        "1985-08-07",
        "35.77",
        "35.77.01",
    )
    assert VAULT.decrypt(s.income_enc or "") == "1500000" and s.income_band == "1-2jt"
    assert (
        s.occupation,
        int(VAULT.decrypt(s.reported_income_enc or "")),
        s.programs,
        s.monthly_contribution,
        s.payment_months,
        s.period_total,
    ) == (
        "pedagang",
        1_500_000,
        "jkk_jkm_jht",
        40_900,
        3,
        133_600,
    )
    assert s.consent_version and s.email_enc is None and s.flags == []
    async with db.reader() as session:
        events = await queue.history(session, s.id or 0)
        assert [(e.from_status, e.to_status) for e in events] == [(None, "baru")]
        conversation = (await session.exec(select(Conversation))).one()
        assert "draft" not in conversation.data

    assert "kabari" in chat.last.text
    await chat.send("1")
    async with db.reader() as session:
        assert (await session.exec(select(Contact))).one().announcements is True


async def test_a_wrong_answer_keeps_everything_before_it(chat: Chat) -> None:
    await run(chat, HAPPY[:4])
    assert "belum bisa kami baca" in await chat.say("kemarin sore")
    assert "tidak ada di kalender" in await chat.say("31-02-1985")
    assert "nomor HP" in await chat.say("7/8/85")  # on to the phone: earlier answers intact


async def test_birth_date_mismatch_shows_both_and_asks_which_is_wrong(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:4])
    check = await chat.say("8 agustus 1985")
    assert "7 Agustus 1985" in check and "8 Agustus 1985" in check and "perempuan" in check
    assert "NIK" in await chat.say("1")  # the NIK was wrong: asked again, the name is kept
    await chat.say("3577010808850003")  # a man's NIK born 8 Aug 1985 matches the typed date
    assert "nomor HP" in chat.last.text
    await run(chat, HAPPY[5:])
    await chat.say("kirim")
    s = await only_submission(db)
    assert VAULT.decrypt(s.full_name_enc or "") == "Siti Aminah" and str(s.birth_date) == "1985-08-08"
    assert s.sex == "L"


async def test_mismatch_resolved_by_retyping_the_date(chat: Chat) -> None:
    await run(chat, HAPPY[:4])
    await chat.say("8 agustus 1985")
    assert "tanggal lahir" in (await chat.say("2")).lower()
    assert "nomor HP" in await chat.say("07-08-1985")


async def test_a_minor_is_referred_to_the_branch_and_nothing_is_kept(chat: Chat, db: Database) -> None:
    await run(chat, ["daftar", "setuju", "3577015205120004", "Dewi Lestari"])  # born 12 May 2012
    text = await chat.say("12-05-2012")
    assert "di bawah 18 tahun" in text and "orang tua" in text
    async with db.reader() as session:
        conversation = (await session.exec(select(Conversation))).one()
        assert "draft" not in conversation.data
        assert (await session.exec(select(func.count()).select_from(Submission))).one() == 0


async def test_older_applicants_are_accepted_and_flagged(chat: Chat, db: Database) -> None:
    answers = [*HAPPY]
    answers[2], answers[4] = "3577010101500005", "01-01-1950"
    await run(chat, answers)
    await chat.say("kirim")
    assert (await only_submission(db)).flags == ["age_over_limit"]


async def test_the_known_phone_is_offered_and_a_shared_contact_accepted(chat: Chat, db: Database) -> None:
    for line in HAPPY[:5]:
        await chat.send(line, sender_phone="+6285712345678")
    assert chat.last.options[0].label == "Pakai 0857-1234-5678" and chat.last.ask_phone
    await chat.send("1", sender_phone="+6285712345678")
    assert "tinggal di Kec. Kartoharjo" in chat.last.text

    other = Chat(db, chat.engine, chat_id="tg-42")
    await run(other, HAPPY[:5])
    await other.send(kind="contact", phone="+6281311112222")
    assert "tinggal di" in other.last.text
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "tg-42"))).one()
        assert VAULT.decrypt(contact.phone_enc or "") == "+6281311112222"  # encrypted at rest


async def test_landline_and_foreign_numbers_are_refused_with_a_reason(chat: Chat) -> None:
    await run(chat, HAPPY[:5])
    assert "telepon rumah" in await chat.say("(0351) 462345")
    assert "luar negeri" in await chat.say("+65 9123 4567")


async def test_region_by_name_with_an_ambiguous_regency(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:6])
    assert "kabupaten atau kota" in await chat.say("bukan")
    await chat.send("madiun")
    assert sorted(chat.last_labels()) == ["Kab. Madiun", "Kota Madiun"]
    await chat.send(option_id="enrol.regency.35.19", kind="option")
    assert "kecamatan" in chat.last.text and "Kab. Madiun" in chat.last.text
    assert "tidak kami temukan" in await chat.say("atlantis")
    assert "alamat" in (await chat.say("kec. dagangan")).lower()
    await run(chat, [HAPPY[7], "sama dengan ktp", *HAPPY[8:]])
    await chat.say("kirim")
    s = await only_submission(db)
    assert (s.regency_code, s.regency_name, s.district_name, s.branch_code) == (
        "35.19",
        "Kabupaten Madiun",
        "Dagangan",
        "KC-MADIUN",
    )


@pytest.mark.parametrize(
    "nik",
    [
        "3201014708850001",  # Kabupaten Bogor: outside the two provinces
        "3529014708850001",  # Kabupaten Sumenep: no dated source names its office (branches.toml no_branch)
    ],
)
async def test_regencies_without_a_branch_are_told_the_truth(chat: Chat, db: Database, nik: str) -> None:
    answers = [*HAPPY]
    answers[2] = nik
    await run(chat, answers)
    done = await chat.say("kirim")
    assert "paling lambat" not in done and "belum ada petugas yang akan menelepon" in done
    assert "175" in done and "kantor cabang terdekat" in done
    assert (await only_submission(db)).branch_code == "TANPA-CABANG"


async def test_transport_workers_get_their_own_discount(chat: Chat, db: Database, clock: FixedClock) -> None:
    clock.now = clock.now.replace(year=2027, month=2)  # general discount over, transport still on
    answers = [*HAPPY]
    answers[8], answers[9], answers[10], answers[11] = "ojek", "1jt", "1", "1"
    await run(chat, answers)
    assert "Rp8.400 per bulan" in chat.last.text and "31 Maret 2027" in chat.last.text
    await chat.say("kirim")
    s = await only_submission(db)
    assert (s.occupation, s.monthly_contribution, s.period_total) == ("ojek", 8_400, 8_400)


async def test_income_below_the_floor_is_explained(chat: Chat) -> None:
    await run(chat, HAPPY[:9])
    text = await chat.say("800rb")
    assert "Rp800.000 dihitung sebagai Rp1.000.000" in text


async def test_edit_two_fields_from_the_summary(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    await chat.say("ubah")
    assert "Nama" in chat.last_labels() and len(chat.last_labels()) == 10
    await chat.say("nama")
    summary = await chat.say("Siti Aminah Rahayu")
    assert "Mohon periksa" in summary and "Siti Aminah Rahayu" in summary
    await chat.say("2")  # ubah
    await chat.say("Penghasilan")
    summary = await chat.say("2jt")
    assert "Rp2.000.000" in summary and "Rp53.400 per bulan" in summary
    await chat.say("kirim")
    s = await only_submission(db)
    assert VAULT.decrypt(s.full_name_enc or "") == "Siti Aminah Rahayu"
    assert (int(VAULT.decrypt(s.income_enc or "")), s.monthly_contribution) == (2_000_000, 53_400)


async def test_back_goes_one_step_back(chat: Chat) -> None:
    await run(chat, HAPPY[:5])
    assert "tanggal lahir" in (await chat.say("kembali")).lower()
    assert "nomor HP" in await chat.say("07-08-1985")


async def test_cancel_asks_first_and_then_discards(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:5])
    assert "Yakin" in await chat.say("batal")
    assert "nomor HP" in await chat.say("tidak")  # changed their mind: back to the question
    await chat.say("batal")
    assert "dibatalkan" in await chat.say("ya")
    async with db.reader() as session:
        conversation = (await session.exec(select(Conversation))).one()
        assert "draft" not in conversation.data
        abandoned = (
            await session.exec(select(FormStepEvent).where(FormStepEvent.event == "abandoned"))
        ).all()
        assert [e.step for e in abandoned] == ["phone"]


async def test_refusing_consent_keeps_nothing(chat: Chat, db: Database) -> None:
    await chat.say("daftar")
    assert "Tidak ada data" in await chat.say("tidak setuju")
    async with db.reader() as session:
        conversation = (await session.exec(select(Conversation))).one()
        assert "draft" not in conversation.data


async def test_leaving_for_days_offers_to_continue(chat: Chat, clock: FixedClock) -> None:
    await run(chat, HAPPY[:5])
    clock.advance(days=3)
    assert "belum selesai" in await chat.say("halo")
    assert "nomor HP" in await chat.say("lanjutkan")


async def test_menu_in_the_middle_keeps_the_draft(chat: Chat) -> None:
    await run(chat, HAPPY[:5])
    await chat.say("menu")
    await chat.say("manfaat")
    assert "belum selesai" in await chat.say("daftar")
    assert "nomor HP" in await chat.say("1")


async def test_drafts_expire(chat: Chat, clock: FixedClock, db: Database) -> None:
    await run(chat, HAPPY[:5])
    clock.advance(days=8)
    text = await chat.say("daftar")
    assert "Sebelum mendaftar" in text  # a fresh start: the old answers are gone
    async with db.reader() as session:
        abandoned = (
            await session.exec(select(FormStepEvent.step).where(FormStepEvent.event == "abandoned"))
        ).all()
    assert abandoned == ["phone"]


async def test_three_failures_offer_help(chat: Chat) -> None:
    await run(chat, HAPPY[:2])
    assert "kesulitan" not in await chat.say("123")
    assert "kesulitan" not in await chat.say("abc")
    third = await chat.say("99")
    assert "kesulitan" in third and "175" in third


async def test_one_person_one_open_submission(chat: Chat, db: Database, engine: Engine) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    first = await only_submission(db)
    # The same NIK from another phone is refused without the existing reference and status.
    other = Chat(db, engine, chat_id="6289900000000")
    await run(other, HAPPY[:2])
    text = await other.say(WOMAN_NIK)
    assert first.reference not in text and "sudah punya pendaftaran" in text
    async with db.reader() as session:
        assert (await session.exec(select(func.count()).select_from(Submission))).one() == 1


async def test_duplicate_caught_at_submit_time_too(chat: Chat, db: Database, engine: Engine) -> None:
    """Two people started with the same NIK before either submitted: the second gets the first."""
    other = Chat(db, engine, chat_id="6289900000000")
    await run(chat, HAPPY)
    await run(other, HAPPY)
    await chat.say("kirim")
    text = await other.say("kirim")
    first = await only_submission(db)
    assert first.reference not in text and "sudah punya pendaftaran" in text


async def test_a_rejected_submission_allows_a_new_one(chat: Chat, db: Database, clock: FixedClock) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    first = await only_submission(db)
    async with db.transaction() as session:
        row = await session.get(Submission, first.id)
        assert row is not None
        await queue.change_status(session, row, "ditolak", actor="petugas", now=clock(), rejection_reason="x")
    await chat.say("1")
    await run(chat, HAPPY)
    await chat.say("kirim")
    async with db.reader() as session:
        assert (await session.exec(select(func.count()).select_from(Submission))).one() == 2


async def test_status_lists_submissions(chat: Chat, db: Database, clock: FixedClock) -> None:
    assert "belum punya pendaftaran" in await chat.say("status")
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("2")
    s = await only_submission(db)
    async with db.transaction() as session:
        row = await session.get(Submission, s.id)
        assert row is not None
        await queue.change_status(
            session, row, "terdaftar", actor="petugas", now=clock(), kpj_number="26012345"
        )
    text = await chat.say("cek status")
    assert s.reference in text and "Terdaftar" in text and "26012345" in text
    async with db.reader() as session:
        history = await queue.history(session, s.id or 0)
    assert [(e.to_status, e.actor) for e in history] == [("baru", "bot:test"), ("terdaftar", "petugas")]


async def test_data_saya_shows_what_is_held_with_the_nik_masked(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("2")
    text = await chat.say("data saya")
    assert "357701******0001" in text and WOMAN_NIK not in text and "Siti Aminah" in text
    async with db.reader() as session:
        actions = (await session.exec(select(AuditLog.action))).all()
    assert actions == ["data_view"]


async def test_hapus_data_erases_unprocessed_and_anonymises_processed(
    chat: Chat, db: Database, engine: Engine, clock: FixedClock
) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("2")
    assert "Yakin" in await chat.say("hapus data")
    assert "sudah kami hapus" in await chat.say("1")
    s = await only_submission(db)
    assert s.status == "dibatalkan" and s.nik_enc is None and s.nik_hash is None and s.full_name_enc is None
    assert s.phone_enc is None and s.address_enc is None and s.birth_date is None and s.contact_id is None
    assert s.anonymised_at is not None and s.branch_code == "KC-MADIUN"  # the anonymous record stays

    # A processed one keeps its status and loses the personal data, notes included.
    other = Chat(db, engine, chat_id="6281399999999")
    answers = [*HAPPY]
    answers[2] = MAN_NIK
    answers[4] = "12-03-1990"
    answers[6] = "ya"
    await run(other, answers)
    await other.say("kirim")
    async with db.transaction() as session:
        row = (await session.exec(select(Submission).where(col(Submission.status) == "baru"))).one()
        await queue.change_status(
            session, row, "dihubungi", actor="petugas", now=clock(), note="Pak Budi minta sore"
        )
        processed_id = row.id
    await other.say("2")
    await other.say("hapus data")
    await other.say("ya")
    async with db.reader() as session:
        kept = await session.get(Submission, processed_id)
        assert kept is not None and kept.status == "dihubungi" and kept.full_name_enc is None
        notes = [e.note for e in await queue.history(session, processed_id or 0)]
        assert notes == [None, None]
        audit_rows = (await session.exec(select(AuditLog).where(AuditLog.action == "data_delete"))).all()
    assert len(audit_rows) == 2
    assert all("Budi" not in str(a.details) and WOMAN_NIK not in str(a.details) for a in audit_rows)


async def test_attribution_from_a_start_link_and_a_daftar_code(
    chat: Chat, db: Database, engine: Engine
) -> None:
    await chat.send(kind="start", start_payload="s_KDP2211")
    await run(chat, HAPPY)
    await chat.say("kirim")
    assert (await only_submission(db)).attribution_code == "KDP2211"

    wa = Chat(db, engine, chat_id="6281277777777")
    assert "Sebelum mendaftar" in await wa.say("DAFTAR wnsh-01")
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "6281277777777"))).one()
    assert contact.attribution_code == "WNSH-01"

    plain = Chat(db, engine, chat_id="6281266666666")
    await plain.say("daftar sekarang")
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "6281266666666"))).one()
    assert contact.attribution_code is None


async def test_step_counts_per_person(chat: Chat, db: Database, engine: Engine) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    quitter = Chat(db, engine, chat_id="6281255555555")
    await run(quitter, [*HAPPY[:2], MAN_NIK, "Budi"])
    await quitter.say("batal")
    await quitter.say("ya")
    async with db.reader() as session:
        counts = await step_events.step_counts(session)
    assert counts["nik"] == {"reached": 2, "completed": 2, "abandoned": 0}
    assert counts["birth_date"] == {"reached": 2, "completed": 1, "abandoned": 1}
    assert counts["summary"] == {"reached": 1, "completed": 1, "abandoned": 0}


async def test_nothing_personal_in_the_conversation_state(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    async with db.reader() as session:
        data = str((await session.exec(select(Conversation))).one().data)
    assert (
        WOMAN_NIK not in data and "Siti" not in data and "81234567890" not in data and "Merpati" not in data
    )


async def test_expired_draft_purge_leaves_recent_ones(chat: Chat, db: Database, clock: FixedClock) -> None:
    from handlers.enrol.purge import purge_expired_drafts

    await run(chat, HAPPY[:5])
    async with Store.transaction(db) as store:
        assert await purge_expired_drafts(store, clock() + timedelta(days=3), expiry_days=7) == 0
    async with Store.transaction(db) as store:
        assert await purge_expired_drafts(store, clock() + timedelta(days=8), expiry_days=7) == 1
    async with db.reader() as session:
        assert "draft" not in (await session.exec(select(Conversation))).one().data


async def test_email_is_optional_and_checked(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:-1])
    assert "kurang tepat" in await chat.say("siti@")
    assert "Mohon periksa" in await chat.say("No.Siti@Gmail.com")
    await chat.say("kirim")
    assert VAULT.decrypt((await only_submission(db)).email_enc or "") == "no.siti@gmail.com"
