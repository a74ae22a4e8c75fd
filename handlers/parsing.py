"""Parsers for what people type. Each returns a value or a reason code for the error message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from lokal import parse_rupiah

from messages.data import data

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


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _money_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """From messages/intents.toml [money]: the context words, the "about" suffix, an amount's span."""
    words = data("intents")["money"]
    about = re.escape(words["approximately"])
    context = re.compile(rf"\b({_alternatives(words['context'])})\b", re.IGNORECASE)
    separated = re.compile(rf"(\d)\s*-?{about}\b", re.IGNORECASE)
    # An amount inside a longer sentence: "brp iurannya kalau gaji 1,5jt an?"
    span = re.compile(
        rf"(?:rp\.?\s*)?\d[\d.,]*\s*(?:{_alternatives(words['units'])})?\b(?:\s*-?{about}\b)?",
        re.IGNORECASE,
    )
    return context, separated, span


MIN_MONTHLY_INCOME = 10_000
MAX_MONTHLY_INCOME = 1_000_000_000


def parse_money(text: str) -> Parsed[int]:
    """Monthly income in any common form: "2jt", "1,5 juta", "Rp 1.500.000", "800rb", "2 jt an"."""
    context, separated, amount_span = _money_patterns()
    cleaned = separated.sub(r"\1", text.replace("-", " "))
    parsed = parse_rupiah(cleaned)
    if parsed is None:
        parsed = parse_rupiah(context.sub(" ", cleaned))
    if parsed is None and (span := amount_span.search(cleaned)):
        parsed = parse_rupiah(span.group(0))
    if parsed is None:
        return Parsed(error="unreadable")
    amount = round(parsed.amount)
    if amount < MIN_MONTHLY_INCOME:
        return Parsed(error="too_small", details={"amount": amount})
    if amount > MAX_MONTHLY_INCOME:
        return Parsed(error="too_large", details={"amount": amount})
    return Parsed(value=amount)
