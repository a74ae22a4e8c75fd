"""Formatting helpers: rupiah amounts and Indonesian dates."""

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
