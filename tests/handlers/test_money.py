"""Money parsing: what traders actually type."""

from __future__ import annotations

import pytest

from handlers.income import parse_income, parse_money

VALID = [
    ("2jt", 2_000_000),
    ("2 jt", 2_000_000),
    ("2jtan", 2_000_000),
    ("2 jt an", 2_000_000),
    ("gaji 2jt an", 2_000_000),
    ("1,5 juta", 1_500_000),
    ("1.5jt", 1_500_000),
    ("1,5jt", 1_500_000),
    ("Rp 1.500.000", 1_500_000),
    ("Rp1.500.000", 1_500_000),
    ("rp. 1.500.000,-", 1_500_000),
    ("1500000", 1_500_000),
    ("1.500.000", 1_500_000),
    ("800rb", 800_000),
    ("800 ribu", 800_000),
    ("800k", 800_000),
    ("sejuta", 1_000_000),
    ("dua juta", 2_000_000),
    ("sekitar 3 juta sebulan", 3_000_000),
    ("penghasilan kira2 2,5jt per bulan", 2_500_000),
    ("brp iurannya kalau gaji 1jt", 1_000_000),
    ("untung 750rb-an", 750_000),
    ("1jt 500rb", 1_500_000),
]

INVALID = [
    ("", "unreadable"),
    ("abc", "unreadable"),
    ("brp iurannya", "unreadable"),
    ("tidak tentu", "unreadable"),
    ("2", "too_small"),
    ("1500", "too_small"),
    ("5 miliar", "too_large"),
    # Characters that look like digits but are not ASCII digits, found by tests/e2e/test_fuzz.py:
    # a fraction or a superscript is no amount, and a lone accent mark is no word.
    ("¼", "unreadable"),
    ("³ûዪ", "unreadable"),
    ("\u0301", "unreadable"),
    # Amounts longer than the parsing library's 28-digit decimals (tests/e2e/test_fuzz.py found
    # the first): too large, like any amount over the bound, never the apology for a bug.
    ("100000000000000100000000000", "too_large"),
    ("1.000.000.000.000.000.000.000.000.000", "too_large"),
    ("99999999999999999999999999jt", "too_large"),
    # Two decimal separators after the thousands made the library raise ValueError.
    ("2.000.000,00,5", "unreadable"),
    ("Rp 1.000,5,5", "unreadable"),
]

# The same through the reading of a whole income (per day, per week, a range).
INCOME_TOO_LARGE = [
    "100000000000000100000000000",
    "sehari 99999999999999999999999999 juta",
    "kadang 500rb kadang 99999999999999999999999999 juta",
    "sehari 50jt",
]


@pytest.mark.parametrize(("text", "amount"), VALID)
def test_valid_amounts(text: str, amount: int) -> None:
    assert parse_money(text).value == amount


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_amounts_give_a_reason(text: str, reason: str) -> None:
    parsed = parse_money(text)
    assert not parsed.ok and parsed.error == reason


@pytest.mark.parametrize("text", INCOME_TOO_LARGE)
def test_an_income_too_large_is_said_so(text: str) -> None:
    parsed = parse_income(text)
    assert not parsed.ok and parsed.error == "too_large"
