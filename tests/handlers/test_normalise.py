"""The one normalisation step: capitals, repeated letters, run-together words, abbreviations and
typos become the words the bot knows; what it does not know is left as typed."""

from __future__ import annotations

import pytest

from handlers.normalise import Normaliser, fold, typo_allowance

WORDS = (
    "saya mau daftar setuju iya ya tidak bpjs berapa iuran gaji juta ribu ojek pedagang bakul sayur "
    "oke ok bukan bulan enja kabupaten madiun pecel dodol"
)
NORMALISER = Normaliser.build(
    {word: 100 for word in WORDS.split()},
    abbreviations={"sy": "saya", "brp": "berapa", "stj": "setuju", "dftr": "daftar"},
    emoji={"👍": "ok", "🙏": "makasih", "🙏🏻": "makasih"},
)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("SAYAMAUDAFTAR", ["saya", "mau", "daftar"]),
        ("saya mau daftar", ["saya", "mau", "daftar"]),
        ("Setujuuu!!", ["setuju"]),
        ("okee", ["oke"]),
        ("yaa", ["ya"]),
        ("brp iuran", ["berapa", "iuran"]),
        ("SY MAU DFTAR", ["saya", "mau", "daftar"]),
        ("stj", ["setuju"]),
        ("stuju", ["setuju"]),
        ("pedagng", ["pedagang"]),
        ("bakulsayur", ["bakul", "sayur"]),
        ("dodolpecel", ["dodol", "pecel"]),
        ("ÈNJA'", ["enja"]),
        ("👍", ["ok"]),
        ("🙏🏻", ["makasih"]),
        # left as typed: numbers, unknown names, short words that are one letter from another
        ("2jt", ["2jt"]),
        ("siti aminah", ["siti", "aminah"]),
        ("bukn", ["bukn"]),
        ("ikut", ["ikut"]),
    ],
)
def test_what_people_type_becomes_known_words(typed: str, read: list[str]) -> None:
    assert NORMALISER.words(typed) == read


def test_a_typo_equally_near_two_words_is_not_guessed() -> None:
    normaliser = Normaliser.build({"pasar": 1, "pasir": 1})
    assert normaliser.correct("pasur") is None
    assert normaliser.correct("pasirr") == "pasir"


def test_the_allowance_grows_with_the_word() -> None:
    assert [typo_allowance(n) for n in (3, 4, 5, 8, 9, 14)] == [0, 0, 1, 1, 2, 2]


def test_fold_keeps_digits_and_slashes() -> None:
    assert fold("Rp 100rb/HARI, ya?") == "rp 100rb/hari ya"
