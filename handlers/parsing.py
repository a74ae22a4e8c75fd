"""Parsers for what people type. Each returns a value or a reason code for the error message."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from lokal import parse_rupiah

from handlers.intents import tokens
from messages.program_data import program_data

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parser's answer: `value` when it worked, else `error` (a reason code) and details."""

    value: T | None = None
    error: str | None = None
    details: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# Words around an amount that say what it is, not how much: "gaji 2jt an per bulan".
_MONEY_CONTEXT = re.compile(
    r"\b(gaji|gajinya|gajian|penghasilan|penghasilannya|pendapatan|pendapatannya|income|omzet|omset|"
    r"untung|dapat|dapet|sebulan|perbulan|per|bulan|bln|sekitar|kira|kira2|kurang|lebih|saya|sy|aku|"
    r"cuma|paling|rata|rata2|an)\b",
    re.IGNORECASE,
)
_SEPARATED_AN = re.compile(r"(\d)\s*-?an\b", re.IGNORECASE)

# An amount inside a longer sentence: "brp iurannya kalau gaji 1,5jt an?"
_MONEY_SPAN = re.compile(
    r"(?:rp\.?\s*)?\d[\d.,]*\s*(?:jt|juta|jeti|rb|ribu|rebu|k)?\b(?:\s*-?an\b)?",
    re.IGNORECASE,
)

MIN_MONTHLY_INCOME = 10_000
MAX_MONTHLY_INCOME = 1_000_000_000


def parse_money(text: str) -> Parsed[int]:
    """Monthly income in any common form: "2jt", "1,5 juta", "Rp 1.500.000", "800rb", "2 jt an"."""
    cleaned = _SEPARATED_AN.sub(r"\1", text.replace("-", " "))
    parsed = parse_rupiah(cleaned)
    if parsed is None:
        parsed = parse_rupiah(_MONEY_CONTEXT.sub(" ", cleaned))
    if parsed is None and (span := _MONEY_SPAN.search(cleaned)):
        parsed = parse_rupiah(span.group(0))
    if parsed is None:
        return Parsed(error="unreadable")
    amount = round(parsed.amount)
    if amount < MIN_MONTHLY_INCOME:
        return Parsed(error="too_small", details={"amount": amount})
    if amount > MAX_MONTHLY_INCOME:
        return Parsed(error="too_large", details={"amount": amount})
    return Parsed(value=amount)


_TABLE = Path(__file__).resolve().parent.parent / "messages" / "intents.toml"
# An amount with its unit ("500rb", "1 juta", "Rp 700.000"): the pieces of a range.
_AMOUNT = re.compile(
    r"(?:rp\.?\s*)?\d[\d.,]*\s*(?:jt|juta|jeti|rb|ribu|rebu|k)\b|(?:rp\.?\s*)?\d{1,3}(?:\.\d{3})+|rp\.?\s*\d+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Income:
    """An income as said, and what it makes in a month."""

    monthly: int
    stated: int
    """The amount as said: per day, per week or per month (the lower end of a range)."""
    per: str
    """"month", "day" or "week"."""
    upper: int | None = None
    """The higher end, when a range was given ("kadang 500rb kadang 1jt")."""

    @property
    def needs_confirming(self) -> bool:
        """True when the monthly figure rests on an assumption the person should confirm."""
        return self.per != "month" or self.upper is not None


@cache
def _income_words() -> dict[str, tuple[tuple[str, ...], ...]]:
    with _TABLE.open("rb") as handle:
        raw = tomllib.load(handle)["income"]
    return {name: tuple(tuple(tokens(p)) for p in phrases) for name, phrases in raw.items()}


def _says(words: list[str], name: str) -> bool:
    return any(
        tuple(words[i : i + len(p)]) == p
        for p in _income_words()[name]
        for i in range(len(words) - len(p) + 1)
    )


# Thousands separated by spaces: "1 500 000".
_SPACED_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}\b)")


def parse_income(text: str) -> Parsed[Income]:
    """An income as people say it: "2jt", "sehari 100rb", "seminggu 700rb", "kadang 500rb kadang 1jt".

    A daily or weekly figure is turned into a month with programs.toml's stated assumption; a
    range keeps its lower end. "tidak tentu" without an amount is the error "uncertain".
    """
    text = _SPACED_THOUSANDS.sub("", text)
    words = tokens(text.replace("/", " "))
    per = "day" if _says(words, "day") else "week" if _says(words, "week") else "month"
    amounts = [
        round(found.amount)
        for span in _AMOUNT.findall(text.replace("-", " - "))
        if (found := parse_rupiah(span)) is not None and found.amount >= MIN_MONTHLY_INCOME
    ]
    if len(amounts) >= 2:
        stated, upper = min(amounts), max(amounts)
        upper_or_none: int | None = upper if upper != stated else None
    else:
        single = parse_money(text) if not amounts else Parsed(value=amounts[0])
        if single.value is None:
            return Parsed(error="uncertain") if _says(words, "uncertain") else single  # type: ignore[return-value]
        stated, upper_or_none = single.value, None
    data = program_data().raw["income"]
    factor = {"month": 1, "day": int(data["days_per_month"]), "week": int(data["weeks_per_month"])}[per]
    monthly = stated * factor
    if monthly < MIN_MONTHLY_INCOME:
        return Parsed(error="too_small", details={"amount": monthly})
    if monthly > MAX_MONTHLY_INCOME:
        return Parsed(error="too_large", details={"amount": monthly})
    return Parsed(value=Income(monthly=monthly, stated=stated, per=per, upper=upper_or_none))
