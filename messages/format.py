"""Formatting helpers: rupiah amounts, phone numbers and Indonesian dates."""

from __future__ import annotations

from datetime import date
from functools import cache

from lokal import format_rupiah as _lokal_rupiah

from messages.data import data


@cache
def _names() -> tuple[list[str], list[str]]:
    dates = data("labels")["dates"]
    return dates["days"], dates["months"]


def format_rupiah(amount: int | float) -> str:
    """16800 → "Rp16.800"."""
    return _lokal_rupiah(amount)


def format_phone(e164: str) -> str:
    """+6281234567890 → "0812-3456-7890", how people read their own number."""
    digits = "0" + e164.removeprefix("+62")
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def format_date(value: date) -> str:
    """date(2026, 12, 22) → "Selasa, 22 Desember 2026"."""
    days, months = _names()
    return f"{days[value.weekday()]}, {value.day} {months[value.month - 1]} {value.year}"


def format_short_date(value: date) -> str:
    """date(2026, 12, 22) → "22 Desember 2026"."""
    _, months = _names()
    return f"{value.day} {months[value.month - 1]} {value.year}"


def month_names() -> list[str]:
    """January to December in Indonesian (the staff pages' dates and charts)."""
    return list(_names()[1])
