"""Parsers for what people type. Each returns a value or a reason code for the error message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lokal import parse_rupiah

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
