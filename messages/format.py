"""Formatting helpers: rupiah amounts, phone numbers, and dates in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from lokal import format_rupiah as _lokal_rupiah

from messages.data import DEFAULT_LANGUAGE, data


def format_rupiah(amount: int | float) -> str:
    """16800 → "Rp16.800"."""
    return _lokal_rupiah(amount)


def format_number(value: int) -> str:
    """23953 → "23.953"."""
    return f"{value:,}".replace(",", ".")


def format_phone(e164: str) -> str:
    """+6281234567890 → "0812-3456-7890", how people read their own number."""
    digits = "0" + e164.removeprefix("+62")
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


@dataclass(frozen=True)
class DateNames:
    """The names of the days (Monday first) and months of one language (labels.toml [dates])."""

    days: tuple[str, ...]
    months: tuple[str, ...]

    @classmethod
    def of(cls, labels: dict[str, Any]) -> DateNames:
        return cls(tuple(labels["dates"]["days"]), tuple(labels["dates"]["months"]))

    def long(self, value: date) -> str:
        """date(2026, 12, 22) → "Selasa, 22 Desember 2026"."""
        return f"{self.days[value.weekday()]}, {self.short(value)}"

    def short(self, value: date) -> str:
        """date(2026, 12, 22) → "22 Desember 2026"."""
        return f"{value.day} {self.months[value.month - 1]} {value.year}"

    def span(self, first: date, last: date | None = None) -> str:
        """Months: "Desember 2026", "November–Desember 2026", "Desember 2026–Januari 2027"."""
        name = self.months[first.month - 1]
        if last is None or (last.year, last.month) == (first.year, first.month):
            return f"{name} {first.year}"
        end = f"{self.months[last.month - 1]} {last.year}"
        return f"{name}–{end}" if last.year == first.year else f"{name} {first.year}–{end}"


@cache
def date_names(lang: str = DEFAULT_LANGUAGE) -> DateNames:
    return DateNames.of(data("labels", lang))


def format_short_date(value: date, lang: str = DEFAULT_LANGUAGE) -> str:
    """date(2026, 12, 22) → "22 Desember 2026"."""
    return date_names(lang).short(value)


def month_names(lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """January to December (the staff pages' dates and charts)."""
    return list(date_names(lang).months)
