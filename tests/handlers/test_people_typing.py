"""The worker's conversation as real people type it (issue 12): misreadings, traps and honesty.

Every test is a conversation through the real engine and database.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from bot.channels.console.transport import format_payload
from dashboard.service import Access, Backoffice, QueueFilters
from handlers.engine import Engine
from storage.callbacks import callback_queue
from storage.db import Database
from storage.models import Contact, Submission
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.helpers import VAULT, Chat, FixedClock


async def only_submission(db: Database) -> Submission:
    async with db.reader() as session:
        return (await session.exec(select(Submission))).one()


async def test_a_typed_number_at_the_months_list_is_the_number_of_months(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:11])
    assert "Ketik jumlah bulannya (1, 3, 6, 12)" in chat.last.text
    console = format_payload(chat.last.to_payload())
    assert "  3. 3 bulan" in console and "  12. 12 bulan" in console  # the list shows what to type
    await chat.send("3")  # third on screen is "6 bulan" nowhere: 3 means three months
    await chat.send("lewati")
    assert "Masa bayar: 3 bulan sekaligus" in chat.last.text
    await chat.send("ubah")
    await chat.send(option_id="enrol.edit.period", kind="option")
    assert "hanya 1, 3, 6, 12 bulan" in await chat.say("2")  # no 2-month period: asked again
    await chat.send("12")
    assert "Masa bayar: 12 bulan sekaligus" in chat.last.text
    await chat.say("kirim")
    assert (await only_submission(db)).payment_months == 12


async def test_a_region_code_that_never_existed_is_an_error_not_pemekaran(chat: Chat) -> None:
    await run(chat, ["daftar", "setuju"])
    reply = await chat.say("3599014708850001")
    assert "bukan kode kabupaten/kota" in reply and "pemekaran" not in reply
    assert "nama lengkap" not in reply.lower()  # still at the NIK


async def test_a_retired_code_is_accepted_with_the_split_named(chat: Chat, db: Database) -> None:
    await run(chat, ["daftar", "setuju"])
    reply = await chat.say("9101014708850001")  # Merauke before Papua Selatan was split off
    assert "pemekaran" in reply and "UU 14/2022" in reply and "nama lengkap" in reply.lower()


async def test_an_unlisted_district_is_checked_once_then_taken_as_on_the_ktp(chat: Chat) -> None:
    answers = [*HAPPY]
    await run(chat, answers[:2])
    first = await chat.say("3577041708850002")  # Kota Madiun has no district 04
    assert "bukan kode kecamatan di Kota Madiun" in first and "pemekaran" not in first
    again = await chat.say("3577 0417 0885 0002")
    assert "petugas akan memeriksanya" in again and "nama lengkap" in again.lower()
    await run(chat, ["budi santoso", "17-08-1985", "0812-3456-7890"])
    assert "kabupaten atau kota" in chat.last.text  # no district to suggest: asked where they live


async def test_only_a_code_that_exists_is_recorded(db: Database, engine: Engine) -> None:
    for chat_id, first, recorded in [
        ("6281200000001", "DAFTAR KDP2211", "KDP2211"),  # a known code
        ("6281200000002", "daftar skrg", None),
        ("6281200000003", "Daftar ojol", None),
        ("6281200000004", "DAFTAR XYZ999", None),  # shaped like a code, but nobody's
    ]:
        person = Chat(db, engine, chat_id=chat_id)
        assert "Sebelum mendaftar" in await person.say(first)  # they came to enrol either way
        async with db.reader() as session:
            contact = (await session.exec(select(Contact).where(Contact.chat_id == chat_id))).one()
        assert contact.attribution_code == recorded, first
    stranger = Chat(db, engine, chat_id="6281200000005")
    await stranger.send(kind="start", start_payload="s_NOPE42")
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == "6281200000005"))).one()
    assert contact.attribution_code is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("status", "belum selesai"),
        ("data saya", "Data Bapak/Ibu yang kami simpan"),
        ("menu", "tetap tersimpan"),
        ("hapus data", "Yakin mau menghapus"),
    ],
)
async def test_global_words_work_at_every_step_and_keep_the_draft(
    chat: Chat, db: Database, word: str, expected: str
) -> None:
    await run(chat, HAPPY[:2])  # consent given: from here on there is a draft to keep
    for answer in HAPPY[2:]:
        reply = await chat.say(word)
        assert expected in reply, (answer, reply)
        if word == "hapus data":
            await chat.send("tidak jadi")
        assert "Lanjutkan pendaftaran" in chat.last_labels()
        await chat.send(option_id="menu.enrol", kind="option")
        assert "belum selesai" in chat.last.text  # offered to continue where they were
        await chat.send("lanjut")
        await chat.send(answer)
    assert "Mohon periksa data" in chat.last.text
    assert "Nomor pendaftaran" in await chat.say("kirim")


async def test_after_sending_the_announcement_question_does_not_trap(chat: Chat) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    assert "Satu pertanyaan lagi" in chat.last.text
    assert "Sama-sama" in await chat.say("makasih")
    await chat.send("menu")
    assert "tetap tersimpan" not in chat.last.text  # the sign-up is sent, no draft left

    other = Chat(chat.db, chat.engine, chat_id="6281255555555")
    await run(other, [*HAPPY[:2], "3526011203900002", "budi", "12-03-1990", "0812-9999-0000", "ya"])
    await run(other, HAPPY[7:])
    await other.say("kirim")
    status = await other.say("status")
    assert "Pendaftaran Bapak/Ibu" in status and "Baru, menunggu petugas" in status
    other_again = Chat(chat.db, chat.engine, chat_id="6281244444444")
    await run(other_again, [*HAPPY[:2], "3526011203900003", "ani", "12-03-1990", "0812-9999-0001", "ya"])
    await run(other_again, HAPPY[7:])
    await other_again.say("kirim")
    assert "Data Bapak/Ibu yang kami simpan" in await other_again.say("data saya")
    refused = await other_again.say("tidak usah")
    assert "Sama-sama" not in refused


async def test_declining_announcements_is_not_answered_with_you_are_welcome(chat: Chat) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    reply = await chat.say("tidak usah")
    assert "Sama-sama" not in reply and "tidak akan mengirim pengumuman" in reply


@pytest.mark.parametrize(
    ("answer", "regency", "district_asked"),
    [
        ("Kabupaten Madiun", "35.19", True),
        ("di surabaya", "35.78", True),
        ("bukan, sy di Sidoarjo", "35.15", True),
        ("iya dong", "35.77", False),
        ("👍", "35.77", False),
        ("gk", None, False),
    ],
)
async def test_the_place_they_live_in_answers_the_region_question(
    chat: Chat, answer: str, regency: str | None, district_asked: bool
) -> None:
    await run(chat, HAPPY[:6])
    assert "Apakah Bapak/Ibu sekarang tinggal di Kec. Kartoharjo" in chat.last.text
    reply = await chat.say(answer)
    if regency is None:
        assert "kabupaten atau kota" in reply  # "no": asked where instead
    elif district_asked:
        assert "Di kecamatan mana" in reply and "Pertanyaan" in reply
    else:
        assert "alamat" in reply.lower()  # confirmed: on to the street address


async def test_mau_daftar_is_not_a_yes_at_the_region_question(chat: Chat) -> None:
    await run(chat, HAPPY[:6])
    reply = await chat.say("mau daftar bpjs")
    assert "belum paham" in reply and "alamat" not in reply.lower()
    assert chat.last_labels() == ["Ya, benar", "Bukan, tempat lain"]
    ambiguous = await chat.say("saya di madiun")
    assert "beberapa yang namanya mirip" in ambiguous
    await chat.send("Kab. Madiun")
    assert "Di kecamatan mana di Kab. Madiun" in chat.last.text


@pytest.mark.parametrize(
    "correction", ["eh salah, nomor saya 0813-1111-2222", "0813 1111 2222", "no hp yg bener 081311112222"]
)
async def test_a_phone_correction_later_is_not_an_answer_to_the_current_question(
    chat: Chat, db: Database, correction: str
) -> None:
    await run(chat, HAPPY[:6])  # at "do you live in Kec. Kartoharjo?"
    reply = await chat.say(correction)
    assert "diganti menjadi 0813-1111-2222" in reply and "Kartoharjo" in reply  # asked again
    await run(chat, HAPPY[6:])
    assert "0813-1111-2222" in chat.last.text
    await chat.send("eh salah, wa saya 0857-2222-3333")  # at the summary: it comes back corrected
    assert "Mohon periksa data" in chat.last.text and "0857-2222-3333" in chat.last.text
    await chat.say("kirim")
    assert VAULT.decrypt((await only_submission(db)).phone_enc or "") == "+6285722223333"


@pytest.mark.parametrize(
    ("answer", "then_asked"),
    [
        ("nik nya yg salah", "NIK"),
        ("tgl lahirnya", "tanggal lahir"),
        ("2", "tanggal lahir"),  # the second button, typed
    ],
)
async def test_which_is_wrong_in_words(chat: Chat, answer: str, then_asked: str) -> None:
    await run(chat, [*HAPPY[:4], "8 agustus 1985"])  # the NIK says the 7th
    assert "Mana yang salah?" in chat.last.text
    assert then_asked in await chat.say(answer)


async def test_which_is_wrong_answered_with_the_corrected_value(chat: Chat, db: Database) -> None:
    await run(chat, [*HAPPY[:4], "8 agustus 1985"])
    assert "nomor HP" in await chat.say("7-8-1985")  # the corrected date: on to the phone
    other = Chat(chat.db, chat.engine, chat_id="6281233333333")
    await run(other, [*HAPPY[:4], "8 agustus 1985"])
    assert "nomor HP" in await other.say("3577 0148 0885 0001")  # a corrected NIK (born the 8th)
    await run(other, HAPPY[5:])
    await other.say("kirim")
    submission = await only_submission(db)
    assert VAULT.decrypt(submission.nik_enc or "") == "3577014808850001"
    assert str(submission.birth_date) == "1985-08-08"


@pytest.mark.parametrize(
    ("typed", "months"), [("sebulan", 1), ("6bln", 6), ("setahun", 12), ("tiga bulan", 3)]
)
async def test_months_in_words(chat: Chat, db: Database, typed: str, months: int) -> None:
    await run(chat, HAPPY[:11])
    await chat.send(typed)
    summary = await chat.say("lewati")
    assert "1 bulan sekaligus" not in summary  # one month is "tiap bulan", not paid "at once"
    assert ("Masa bayar: tiap bulan" in summary) is (months == 1)
    await chat.say("kirim")
    assert (await only_submission(db)).payment_months == months


@pytest.mark.parametrize(
    ("typed", "discounted"),
    # PP 50/2025's transport group names ojek and ojol, not becak: no source, no transport discount.
    [("sy ojol", True), ("pedagang sayur", False), ("2", False), ("tukang becak", False)],
)
async def test_the_calculator_knows_the_forms_occupation_words(
    chat: Chat, clock: FixedClock, typed: str, discounted: bool
) -> None:
    clock.now = clock.now.replace(year=2027, month=2)  # only transport discounted
    await chat.send("iuran kalau penghasilan 1 juta")
    result = await chat.say(typed)
    assert ("Rp8.400" in result) is discounted and "Rp16.800" in result


async def test_the_ktp_address_and_where_they_live_now_are_kept_apart(chat: Chat, db: Database) -> None:
    await run(chat, [*HAPPY[:6], "bukan, sy di Sidoarjo", "waru"])
    assert "sesuai KTP" in chat.last.text
    await chat.send("Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro")
    assert "Sama dengan KTP" in chat.last_labels()  # asked where they live now, in Kec. Waru
    assert "Kec. Waru" in chat.last.text
    await chat.send("Perum Griya Asri B-7 RT 01/RW 09, Ds. Kureksari")
    summary = await run(chat, HAPPY[8:])  # a long summary comes in two messages
    assert "KTP: Jl. Merpati 12" in summary and "Sekarang: Perum Griya Asri B-7" in summary
    await chat.say("kirim")
    submission = await only_submission(db)
    assert submission.regency_code == "35.15" and submission.branch_code == "KC-SIDOARJO"
    assert VAULT.decrypt(submission.address_enc or "") == "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro"
    assert (
        VAULT.decrypt(submission.answers["current_address"])
        == "Perum Griya Asri B-7 RT 01/RW 09, Ds. Kureksari"
    )

    office = Backoffice(db, VAULT, CATALOGUE)
    rows = json.loads(await office.export(Access.operator("test"), QueueFilters(), "json"))
    assert rows[0]["ktp_address"].startswith("Jl. Merpati") and rows[0]["current_address"].startswith("Perum")


async def test_who_lives_at_the_nik_region_gives_one_address(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    assert "KTP:" not in chat.last.text and "Sekarang:" not in chat.last.text
    await chat.say("kirim")
    assert "current_address" not in (await only_submission(db)).answers


@pytest.mark.parametrize(
    ("said", "stated", "monthly"),
    [
        ("sehari 100rb", "Rp100.000 per hari kami hitung Rp2.600.000 per bulan (26 hari kerja", 2_600_000),
        ("100 ribu per hari", "Rp100.000 per hari", 2_600_000),
        ("seminggu 700rb", "Rp700.000 per minggu kami hitung Rp2.800.000 per bulan (4 minggu", 2_800_000),
        ("kadang 500rb kadang 1jt", "kami pakai yang lebih rendah, Rp500.000 per bulan", 500_000),
    ],
)
async def test_income_as_people_say_it_is_converted_openly_and_confirmed(
    chat: Chat, db: Database, said: str, stated: str, monthly: int
) -> None:
    await run(chat, HAPPY[:9])
    reply = await chat.say(said)
    assert stated in reply and "Sudah pas?" in reply
    assert "Pilih program" not in reply  # nothing silently recorded: it waits for a yes
    await chat.send("iya")
    assert "Pilih program" in chat.last.text
    await run(chat, HAPPY[10:])
    await chat.say("kirim")
    assert int(VAULT.decrypt((await only_submission(db)).income_enc or "")) == monthly


async def test_a_converted_income_can_be_corrected_or_refused(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:9])
    assert "Tidak apa-apa bila tidak tentu" in await chat.say("tidak tentu")
    await chat.send("sehari 100rb")
    assert "Pilih program" in await chat.say("sebulan 1,8jt")  # the monthly figure instead
    await run(chat, HAPPY[10:])
    await chat.say("kirim")
    assert int(VAULT.decrypt((await only_submission(db)).income_enc or "")) == 1_800_000
    other = Chat(chat.db, chat.engine, chat_id="6281222222222")
    await run(other, [*HAPPY[:2], "3526011203900002", "budi", "12-03-1990", *HAPPY[5:9], "seminggu 700rb"])
    assert "penghasilan" in (await other.say("bukan")).lower()  # asked again
    assert "Pilih program" in await other.say("2jt")


async def test_the_calculator_states_a_daily_income_as_a_month(chat: Chat) -> None:
    replies = await chat.send("iuran kalau sehari 100rb")
    assert "Rp100.000 per hari kami hitung Rp2.600.000 per bulan" in replies[0].text
    assert "Penghasilan Rp2.600.000 per bulan" in await chat.say("pedagang")


@pytest.mark.parametrize(
    ("word", "asked"),
    [
        ("no hp", "nomor HP"),
        ("hp", "nomor HP"),
        ("alamat", "tinggal di Kec. Kartoharjo"),
        ("kerjaan", "pekerjaan utama"),
        ("gaji", "penghasilan"),
        ("tgl lahir", "tanggal lahir"),
    ],
)
async def test_the_edit_menu_takes_the_words_people_use(chat: Chat, word: str, asked: str) -> None:
    await run(chat, HAPPY)
    await chat.send("ubah")
    assert asked in await chat.say(word)


async def test_the_edit_menu_says_what_it_did_not_understand(chat: Chat) -> None:
    await run(chat, HAPPY)
    await chat.send("ubah")
    reply = await chat.say("warna motor")
    assert '"warna motor" tidak ada di daftar' in reply and "Nomor HP" in chat.last_labels()


async def test_ubah_with_the_field_goes_straight_to_it(chat: Chat) -> None:
    await run(chat, HAPPY)
    assert "nomor HP" in await chat.say("ubah no hp")
    await chat.send("0857-1111-2222")
    assert "Mohon periksa data" in chat.last.text and "0857-1111-2222" in chat.last.text


async def test_another_persons_nik_reveals_nothing_of_their_sign_up(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY)
    done = await chat.say("kirim")
    reference = (await only_submission(db)).reference
    assert reference in done
    stranger = Chat(chat.db, chat.engine, chat_id="6289900000000")
    reply = await stranger.say("daftar") + await stranger.say("setuju") + await stranger.say(HAPPY[2])
    assert "sudah punya pendaftaran" in reply and reference not in reply
    assert "Baru, menunggu petugas" not in reply and '"status"' in reply
    again = Chat(chat.db, chat.engine, chat_id=chat.chat_id)  # the owner, in their own chat
    await again.send("daftar")
    await again.send("setuju")
    assert reference in await again.say(HAPPY[2])


@pytest.mark.parametrize("asked", ["mau bicara dengan petugas", "minta ditelepon", "petugas"])
async def test_a_callback_request_reaches_the_branch_queue_and_the_export(
    chat: Chat, db: Database, asked: str
) -> None:
    await chat.send("halo")
    reply = await chat.say(asked)
    assert "Ke nomor HP berapa?" in reply
    assert chat.last.ask_phone  # the contact-share button on Telegram
    assert "kabupaten atau kota" in await chat.say("0812-3456-7890")
    assert "Apa yang ingin Bapak/Ibu tanyakan?" in await chat.say("kota madiun")
    done = await chat.say("saya ojol, kalau kecelakaan di jalan klaimnya gimana")
    assert "Kantor Cabang Madiun" in done and "0812-3456-7890" in done and "paling lambat" in done
    async with db.reader() as session:
        (request,) = await callback_queue(session, branch="KC-MADIUN")
    assert VAULT.decrypt(request.question_enc or "").startswith("saya ojol")
    assert request.phone_enc and "0812" not in request.phone_enc  # encrypted at rest
    office = Backoffice(db, VAULT, CATALOGUE)
    rows = json.loads(await office.export_callbacks(Access.operator("test"), "json", branch="KC-MADIUN"))
    assert rows[0]["phone"] == "+6281234567890" and rows[0]["question"].startswith("saya ojol")


async def test_a_callback_mid_form_keeps_the_draft_and_knows_the_region(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:8])  # the region is known from the confirmed NIK
    assert "Apa yang ingin" in await chat.say("minta ditelepon")  # phone and region already known
    await chat.send("bisa bayar lewat indomaret?")
    assert "Lanjutkan pendaftaran" in chat.last_labels()
    async with db.reader() as session:
        assert [r.branch_code for r in await callback_queue(session)] == ["KC-MADIUN"]


async def test_a_long_callback_question_is_kept_shortened(chat: Chat, db: Database) -> None:
    await chat.send("minta ditelepon")
    await chat.send("0812-3456-7890")
    await chat.send("kota madiun")
    question = "halo pak, " + "saya mau tanya soal iuran dan klaim kecelakaan di jalan " * 12
    done = await chat.say(question)
    assert "kami simpan 500 huruf pertamanya" in done and "Kantor Cabang Madiun" in done
    async with db.reader() as session:
        (request,) = await callback_queue(session)
    stored = VAULT.decrypt(request.question_enc or "")
    assert stored.startswith("halo pak, saya mau tanya") and len(stored) <= 502
    assert "Kecelakaan Kerja" in await chat.say("kalau kecelakaan di jalan gimana")  # not the calculator


async def test_a_callback_where_no_branch_is_configured_promises_no_call(chat: Chat) -> None:
    await chat.send("minta ditelepon")
    await chat.send("0812-3456-7890")
    await chat.send("kab bogor")
    done = await chat.say("mau daftar")
    assert "belum bisa menjanjikan telepon" in done and "175" in done and "paling lambat" not in done


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("apa bedanya sama BPJS Kesehatan", "dua badan yang berbeda (UU 24/2011"),
        ("bayarnya di mana", "BNI Mobile Banking"),  # the places messages/payment.toml confirms
        ("kalau kecelakaan, klaimnya bagaimana", "Segera laporkan"),
        ("kalau meninggal dapat berapa", "Rp42.000.000"),
        ("bisa daftarkan istri/suami?", "atas nama dan NIK sendiri"),
        ("dasar hukumnya apa", "PP 50/2025"),
    ],
)
async def test_the_questions_people_ask_get_short_sourced_answers(
    chat: Chat, question: str, answer: str
) -> None:
    reply = await chat.say(question)
    assert answer in reply and len(reply) <= 600
    assert chat.last.options  # and a way on


async def test_already_covered_by_the_office_does_not_start_the_form(chat: Chat) -> None:
    reply = await chat.say("saya sudah ikut BPJS dari kantor")
    assert "tidak perlu mendaftar lagi" in reply and "Sebelum mendaftar" not in reply
    assert "Minta ditelepon petugas" in chat.last_labels()


async def test_a_discounted_price_always_says_it_is_temporary(chat: Chat) -> None:
    greeting = await chat.say("halo")
    assert "Rp8.400" in greeting and "potongan sementara PP 50/2025" in greeting
    assert "31 Desember 2026" in greeting and "Rp16.800" in greeting  # the normal price after it
    jkm = await chat.say("jkm")
    assert "Rp42.000.000 (PP 82/2019)" in jkm and "Rp3.400" in jkm and "31 Desember 2026" in jkm
    assert "Dasar aturan" in chat.last_labels()  # the regulations one tap away
    sources = await chat.say("dasar aturan")
    assert "PP 44/2015" in sources and "PP 82/2019" in sources and "PP 50/2025" in sources


async def test_the_greeting_uses_the_name_or_the_honorific_not_both(db: Database, engine: Engine) -> None:
    named = Chat(db, engine, chat_id="6281211111111")
    reply = await named.send(kind="start", sender_name="Budi")
    assert reply[0].text.startswith("Halo, Budi! 👋") and "Budi, Bapak/Ibu" not in reply[0].text
    nameless = Chat(db, engine, chat_id="6281211111112")
    assert (await nameless.send(kind="start"))[0].text.startswith("Halo, Bapak/Ibu! 👋")


async def test_help_lists_what_one_can_type(chat: Chat) -> None:
    text = await chat.say("bantuan")
    for word in ('"status"', '"data saya"', '"hapus data"', '"stop"', '"petugas"', '"kembali"', '"batal"'):
        assert word in text


async def test_no_reply_is_longer_than_a_phone_screen(chat: Chat, clock: FixedClock) -> None:
    """Everything a worker reads in the usual conversations fits ~600 characters."""
    await run(chat, ["halo", "iuran", "2jt", "1", "menu", "bantuan", "status"])
    moved = ["bukan, sy di Sidoarjo", "waru", HAPPY[7], "Perum Griya Asri B-7 RT 01/RW 09"]
    await run(chat, [*HAPPY[:6], *moved])
    await run(chat, [*HAPPY[8:], "kirim", "ya", "minta ditelepon", "soal bayar iuran"])
    later = Chat(chat.db, chat.engine, chat_id="6281277700000")
    await run(later, [*HAPPY[:2], "3526011203900002", "budi", "12-03-1990"])
    clock.advance(days=8)  # the draft expired
    await later.send("0812-3456-7890")
    too_long = [r.text[:60] for r in [*chat.history, *later.history] if len(r.text) > 600]
    assert too_long == []
    assert any("lewat batas waktunya" in r.text for r in later.history)


async def test_a_numbered_list_in_a_message_never_looks_like_its_options(chat: Chat) -> None:
    """Options are numbered on the console; a message with options numbers nothing itself."""
    await run(chat, ["halo", "iuran", "2jt", "1", "manfaat", "jkk", "bayarnya di mana", "bantuan"])
    await run(chat, [*HAPPY, "kirim", "ya", "status", "data saya", "menu"])
    numbered = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
    clashes = [r.text[:60] for r in chat.history if r.options and numbered.search(r.text)]
    assert clashes == []
    assert any(r.options for r in chat.history)  # the check saw replies with options
