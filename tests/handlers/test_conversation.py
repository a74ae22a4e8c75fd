"""Conversations through the real engine and database: menu, benefits, calculator, commands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Contact
from tests.support.helpers import Chat, FixedClock


async def test_greeting_shows_the_menu(chat: Chat) -> None:
    await chat.send("halo")
    assert "Halo" in chat.last.text
    assert chat.last_labels() == [
        "Manfaat program",
        "Hitung iuran",
        "Daftar sekarang",
        "Cek status",
        "Jadwal sosialisasi",
        "Bantuan",
    ]


async def test_start_command_greets(chat: Chat) -> None:
    replies = await chat.send(kind="start")
    assert "Halo" in replies[0].text and replies[0].options


async def test_benefit_pages_by_number_label_and_button(chat: Chat) -> None:
    await chat.send("halo")
    assert "JKK (Jaminan Kecelakaan Kerja)" in await chat.say("1")  # typed number
    assert "Jaminan Kecelakaan Kerja" in await chat.say("jkk (kecelakaan kerja)")  # typed label
    more = await chat.send(option_id="benefits.more", kind="option")  # tapped button
    assert "jalan ke pasar" in more[0].text and "48 kali" in more[0].text
    back = await chat.say("kembali")
    assert "Selama belum bisa bekerja" in back


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("kalau kecelakaan di jalan ke pasar gimana", "Jaminan Kecelakaan Kerja"),
        ("kalau saya meninggal keluarga dapat apa", "Rp42.000.000"),
        ("jht bisa dicairkan?", "Jaminan Hari Tua"),
    ],
)
async def test_questions_people_ask(chat: Chat, question: str, expected: str) -> None:
    assert expected in await chat.say(question)


@pytest.mark.parametrize(
    ("when", "work", "expected", "absent"),
    [
        # No discount this month ("biasanya" marks a discounted price); a year from December 2025
        # reaches April 2026, when the general discount starts: those months are named.
        (
            datetime(2025, 12, 1, 3, tzinfo=UTC),
            "2",
            ["Rp26.800", "Rp66.800", "April–November 2026 Rp53.400"],
            "biasanya",
        ),
        (datetime(2026, 5, 1, 3, tzinfo=UTC), "2", ["Rp13.400", "Rp53.400", "31 Desember 2026"], None),
        (datetime(2026, 2, 1, 3, tzinfo=UTC), "1", ["Rp13.400", "Rp53.400", "31 Maret 2027"], None),
        (datetime(2026, 2, 1, 3, tzinfo=UTC), "2", ["Rp26.800", "Rp66.800"], "biasanya"),
        (datetime(2027, 4, 1, 3, tzinfo=UTC), "1", ["Rp26.800", "Rp66.800"], "potongan"),
    ],
)
async def test_calculator_depends_on_the_date_and_the_work(
    chat: Chat, clock: FixedClock, when: datetime, work: str, expected: list[str], absent: str | None
) -> None:
    clock.now = when
    await chat.send("brp iurannya")
    assert "penghasilan" in chat.last.text
    await chat.send("gaji 2jt an")
    result = await chat.say(work)
    for amount in expected:
        assert amount in result
    if absent:
        assert absent not in result.lower()


async def test_calculator_takes_the_income_from_the_question(chat: Chat) -> None:
    await chat.send("iuran kalau penghasilan 1 juta brp?")
    assert "pekerjaan" in chat.last.text
    result = await chat.say("ojek / sopir / kurir")
    assert "Rp8.400" in result and "Rp28.400" in result
    assert "• 12 bulan" in result


async def test_bad_income_keeps_the_step_and_explains(chat: Chat) -> None:
    await chat.send("iuran")
    error = await chat.say("tidak tentu")
    assert "Contoh penulisan" in error
    assert "pekerjaan" in await chat.say("1,5 juta")


async def test_switching_topic_from_the_calculator(chat: Chat) -> None:
    await chat.send("iuran")
    assert "Perlindungan" in await chat.say("manfaat")


async def test_nonsense_gets_a_hint_and_the_menu(chat: Chat) -> None:
    replies = await chat.send("qwerty asdf")
    assert "belum paham" in replies[-1].text and len(replies[-1].options) == 6


@pytest.mark.parametrize("media", ["photo", "sticker", "voice", "location"])
async def test_media_gets_a_polite_text_reply(chat: Chat, media: str) -> None:
    replies = await chat.send(kind="media", media_type=media)
    assert "hanya bisa membaca pesan teks" in replies[0].text


async def test_media_inside_a_flow_repeats_the_question(chat: Chat) -> None:
    await chat.send("iuran")
    replies = await chat.send(kind="media", media_type="photo")
    assert "foto" in replies[0].text and "penghasilan" in replies[-1].text


async def test_global_words_work_in_every_state(chat: Chat, db: Database) -> None:
    await chat.send("iuran")
    assert "Yang bisa diketik kapan saja" in await chat.say("bantuan")
    assert "dibatalkan" in await chat.say("batal")
    await chat.send("iuran")
    assert "Silakan pilih menu" in await chat.say("menu")

    assert "tidak akan menerima pengumuman" in await chat.say("stop")
    async with db.reader() as session:
        contact = (await session.exec(select(Contact))).one()
        assert contact.announcements is False and contact.announcements_changed_at is not None
    assert "akan menerima pengumuman" in await chat.say("mulai")
    async with db.reader() as session:
        assert (await session.exec(select(Contact))).one().announcements is True


async def test_sessions_offer_the_announcement_opt_in(chat: Chat, db: Database) -> None:
    assert "kabupaten/kota mana" in await chat.say("jadwal sosialisasi")
    text = await chat.say("kota madiun")
    assert "belum ada jadwal sosialisasi di Kota Madiun" in text
    await chat.send("1")
    async with db.reader() as session:
        assert (await session.exec(select(Contact))).one().announcements is True
