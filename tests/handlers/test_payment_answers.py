"""Paying and who pays, answered from the data files: each payment place (yes with the steps, or
"not confirmed"), the due date, a late payment, and each Pemda scheme, also mid-form."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.flows.faq import channels_in
from handlers.intents import match_intent
from handlers.regions import region
from messages.payment import Channel, payment_data
from messages.pemda import Scheme, schemes
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import Chat

PAY = payment_data()
CHANNELS = PAY.channels
SCHEMES = schemes()


def _id(item: Channel | Scheme) -> str:
    return item.id if isinstance(item, Channel) else item.regency


# --- the data files ----------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS, ids=_id)
def test_every_channel_says_what_it_is_and_how_it_is_known(channel: Channel) -> None:
    assert channel.kind in ("bank", "ewallet", "retail", "post", "agent") and channel.aliases
    if channel.confirmed:  # steps and a source with its address and date (or why there is none)
        assert channel.menu or channel.kind == "agent"
        assert channel.enter in ("nik", "kode_bayar")
        assert channel.sources
        assert all(s.url.startswith("http") and (s.date or s.note) for s in channel.sources)
    else:  # what was found instead, for staff; no steps the bot could state
        assert channel.found and not channel.menu


@pytest.mark.parametrize(("channel", "alias"), [(c, a) for c in CHANNELS for a in c.aliases])
def test_every_alias_names_its_own_channel_only(channel: Channel, alias: str) -> None:
    assert channels_in(f"bisa bayar iuran di {alias}?", CHANNELS) == [channel]


@pytest.mark.parametrize("scheme", SCHEMES, ids=_id)
def test_every_scheme_names_its_regency_regulation_and_sources(scheme: Scheme) -> None:
    found = region(scheme.regency)
    assert found is not None and found.kind in ("kota", "kabupaten")
    assert scheme.programs == ("jkk", "jkm") and scheme.regulation and scheme.checked
    assert scheme.end is None or scheme.start <= scheme.end
    assert all(s.url.startswith("https://") and (s.date or s.note) for s in scheme.sources)
    assert scheme.source.date is not None  # the one the bot names is dated


# --- recognising the questions -----------------------------------------------------------------

QUESTIONS = [
    ("apa benar kota yang bayar iurannya?", "pemda"),
    ("iurannya dibayar pemkot ya?", "pemda"),
    ("katanya ditanggung pemkab", "pemda"),
    ("iuran pemda", "pemda"),
    ("tanggal berapa bayarnya", "payment_due"),
    ("kapan bayar iurannya tiap bulan", "payment_due"),
    ("kalau telat bayar kena denda?", "payment_late"),
    ("kalau nunggak gimana", "payment_late"),
    ("bisa bayar di alfamart?", "payment_place"),
    ("bayarnya dimana", "payment_place"),
    ("brp iurannya", "calculator"),
]


@pytest.mark.parametrize(("text", "intent"), QUESTIONS)
def test_payment_and_pemda_questions_are_recognised(text: str, intent: str) -> None:
    assert match_intent(text) == intent


# --- the answers -------------------------------------------------------------------------------


async def test_each_payment_place_is_answered_yes_with_steps_or_not_confirmed(chat: Chat) -> None:
    for channel in CHANNELS:
        text = await chat.say(f"bisa bayar di {channel.aliases[0]}?")
        if channel.confirmed:
            assert text.startswith("✅ Bisa") and channel.name in text, channel.id
            assert " › ".join(channel.menu) in text and "NIK" in text
        else:
            assert text.startswith(f"❔ {channel.name}: belum bisa kami pastikan"), channel.id
            assert "175" in text and f"Bisa di {channel.name}" not in text
            assert all(c.name in text for c in PAY.confirmed)  # where it is sure


async def test_an_unknown_place_gets_the_places_that_are_sure(chat: Chat) -> None:
    text = await chat.say("bisa bayar di warung pak RT?")
    assert "Setelah terdaftar, iuran bisa dibayar di" in text
    assert all(c.name in text for c in PAY.confirmed) and "Indomaret" not in text


async def test_due_date_and_late_payment_come_from_the_data(chat: Chat) -> None:
    due = await chat.say("bayarnya tanggal berapa?")
    assert f"paling lambat tanggal {PAY.due.day} bulan itu" in due and "PP 44/2015" in due
    assert "pasalnya belum kami pastikan" in due  # the article is not confirmed: said so
    late = await chat.say("kalau telat bayar gimana?")
    assert "tidak kena denda" in late
    assert f"Bila {PAY.late.months_before_inactive} bulan berturut-turut tidak dibayar" in late
    assert "22/PERDIR.02/072022" in late


async def test_pemda_is_answered_for_the_persons_regency(chat: Chat) -> None:
    assert "kabupaten/kota mana" in await chat.say("apa benar iurannya dibayar pemkot?")
    madiun = await chat.say("kota madiun")
    assert "Pemerintah Kota Madiun membayar iuran JKK + JKM (mulai Rp16.800" in madiun
    assert "Perda Kota Madiun No. 7/2023" in madiun
    assert "Sumber: jatim.antaranews.com, 2 Oktober 2023" in madiun
    assert "belum kami pastikan" in madiun  # its 2026 intake is not confirmed
    # The regency is remembered: the next question is answered at once.
    assert "Pemerintah Kota Madiun" in await chat.say("dibayar pemda?")


async def test_an_ended_scheme_and_a_regency_without_one(chat: Chat) -> None:
    await chat.say("ditanggung pemkab?")
    bangkalan = await chat.say("bangkalan")
    assert "Pemerintah Kabupaten Bangkalan membayar iuran JKK + JKM" in bangkalan
    assert "Maret–Desember 2025" in bangkalan and "Belum kami pastikan program itu berlanjut" in bangkalan
    other = Chat(chat.db, chat.engine, chat_id="6281399990000")
    await other.say("dibayar pemda?")
    assert "belum punya data program Kota Surabaya" in await other.say("kota surabaya")


async def test_questions_mid_form_are_answered_and_the_form_goes_on(chat: Chat) -> None:
    for line in HAPPY[:2]:
        await chat.say(line)
    place = await chat.say("bisa bayar di indomaret?")  # at the NIK question
    assert "❔ Indomaret" in place and place.rstrip().endswith(chat.last.text) and "NIK" in chat.last.text
    for line in HAPPY[2:11]:
        await chat.say(line)
    pemda = await chat.say("iurannya dibayar pemkot nggak?")  # at the period question
    assert "Pemerintah Kota Madiun membayar iuran JKK + JKM" in pemda
    assert "berapa bulan sekaligus" in chat.last.text
    await chat.say("3")
    assert "email" in (await chat.say("kalau telat bayar gimana?")).lower()
    summary = await chat.say("lewati")
    assert "3 bulan sekaligus, Rp133.600" in summary  # nothing the questions touched changed


def test_a_scheme_is_in_force_between_its_dates() -> None:
    madiun, bangkalan = SCHEMES
    assert madiun.active(date(2026, 11, 21)) and not madiun.active(date(2020, 11, 8))
    assert bangkalan.active(date(2025, 3, 1)) and bangkalan.active(date(2025, 12, 31))
    assert not bangkalan.active(date(2026, 1, 1))
