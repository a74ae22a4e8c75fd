"""The intent table: Indonesian words, abbreviations and common misspellings."""

from __future__ import annotations

import pytest

from handlers.intents import answers, is_question, match_command, match_intent, normalize

INTENTS = [
    ("daftar", "enrol"),
    ("dftr", "enrol"),
    ("sy mau daftar", "enrol"),
    ("Mau DAFTAR dong!!", "enrol"),
    ("daftra", "enrol"),  # one-letter typo
    ("iuran", "calculator"),
    ("iyuran", "calculator"),
    ("brp bayarnya?", "calculator"),
    ("berapa biayanya", "calculator"),
    ("manfaat", "benefits"),
    ("keuntungan ikut bpjs apa", "enrol"),
    ("apa keuntungannya", "benefits"),
    ("manfaatnya apa aja", "benefits"),
    ("status", "status"),
    ("cek", "status"),
    ("jkk", "jkk"),
    ("kalau kecelakaan di jalan ke pasar?", "jkk"),
    ("jkm", "jkm"),
    ("kalau saya meninggal keluarga dapat apa", "jkm"),
    ("jht", "jht"),
    ("jht bisa dicairkan?", "jht"),
    ("jadwal sosialisasi", "sessions"),
    ("halooo", "greeting"),
    ("assalamualaikum", "greeting"),
    ("makasih", "thanks"),
]

NONE = ["", "qwerty", "12345", "saya"]

COMMANDS = [
    ("menu", "menu"),
    ("MENU", "menu"),
    ("/menu", "menu"),
    ("batal", "cancel"),
    ("gak jadi", "cancel"),
    ("bantuan", "help"),
    ("stop", "stop"),
    ("berhenti", "stop"),
    ("mulai", "resume"),
    ("kembali", "back"),
]


@pytest.mark.parametrize(("text", "intent"), INTENTS)
def test_intents(text: str, intent: str) -> None:
    assert match_intent(text) == intent


@pytest.mark.parametrize("text", NONE)
def test_no_intent(text: str) -> None:
    assert match_intent(text) is None


@pytest.mark.parametrize(("text", "command"), COMMANDS)
def test_commands(text: str, command: str) -> None:
    assert match_command(text) == command


def test_commands_only_when_they_are_the_message() -> None:
    assert match_command("saya mau berhenti jualan sayur di pasar") is None
    assert match_command("menu makanan di warung saya banyak sekali") is None


def test_normalize() -> None:
    assert normalize("  Haaaiii,   KAK!! ") == "hai kak"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tidak setuju", {"no", "yes", "agree"}),
        ("ya", {"yes"}),
        ("Iya kak!", {"yes"}),
        ("gak ada", {"no", "skip"}),
        ("lanjutkan", {"resume"}),
        ("mulai dari awal", {"restart"}),
        ("ubah nama", {"edit"}),
        ("no.hp@gmail.com", {"no", "phone_fix"}),
        ("rumah saya di kota", set()),
    ],
)
def test_answers(text: str, expected: set[str]) -> None:
    assert answers(text) == expected


# (text, is it a question, the way of writing the row stands for). A question word anywhere, a
# closing particle ("ta", "to": Javanese of East Java) only as the last of two words or more and
# only where it appears once, a question mark only after two words or more.
QUESTIONS = [
    ("berapa iurannya", True, "id"),
    ("brp iurannya", True, "id chat"),
    ("iurane piro mas", True, "jv"),
    ("kados pundi caranipun", True, "jv krama"),
    ("isok ta daftar", True, "jv"),
    ("gratis ta", True, "jv particle"),
    ("wis to", True, "jv particle"),
    ("berempa iurannya", True, "mad"),
    ("how much is it", True, "en"),
    ("daftar dong?", True, "question mark"),
    ("ta", False, "a particle alone"),
    ("ta gratis", False, "a particle first"),
    ("gratis ta ta", False, "a particle twice"),
    ("Madiun?", False, "one word with a mark: an unsure answer"),
    ("saya pedagang", False, "id"),
    ("iya", False, "id"),
]


@pytest.mark.parametrize(("text", "asks", "kind"), QUESTIONS)
def test_questions_in_every_way_of_writing(text: str, asks: bool, kind: str) -> None:
    assert is_question(text) is asks, kind
