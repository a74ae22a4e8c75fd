"""Reads an income as people say it: "2jt", "Rp 1.500.000", "800rb", "sehari 100rb", "2-3 juta".

An amount of money, then per how long (a day, a week, a month) and whether it was a range or
"not fixed": the monthly figure, and what it rests on for the person to confirm. Each parser
returns a `Parsed`: the value, or a reason code for the error message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import InvalidOperation
from functools import cache

from lokal import parse_rupiah

from handlers.amounts import spoken_amount
from handlers.intents import tokens
from handlers.parsed import Parsed
from messages.data import typed_words
from messages.program_data import program_data


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _money_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """From messages/<lang>/intents.toml [money]: the context words, the "about" suffix, an amount's span."""
    words = typed_words("intents")["money"]
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


def _rupiah(text: str) -> float | None:
    """The amount lokal reads in `text`, or None; never an error for what a person typed.

    Two inputs make lokal 0.7 raise, and each gets the answer any such amount gets: a number with
    a decimal separator twice after the thousands ("2.000.000,00,5": ValueError) is unreadable,
    and an amount too long for lokal's 28-digit decimals (about 26 digits of rupiah:
    InvalidOperation) is infinite, so too large.
    """
    try:
        found = parse_rupiah(text)
    except InvalidOperation:
        return math.inf
    except ValueError:
        return None
    return None if found is None else found.amount


def parse_money(text: str) -> Parsed[int]:
    """Monthly income in any common form: "2jt", "1,5 juta", "Rp 1.500.000", "800rb", "2 jt an"."""
    context, separated, amount_span = _money_patterns()
    cleaned = separated.sub(r"\1", text.replace("-", " "))
    if (spoken := spoken_amount(cleaned)) is not None:  # "rong yuta", "1.5 million", "800rb"
        return _within_bounds(spoken)
    amount = _rupiah(cleaned)
    if amount is None:
        amount = _rupiah(context.sub(" ", cleaned))
    if amount is None and (span := amount_span.search(cleaned)):
        amount = _rupiah(span.group(0))
    if amount is None:
        return Parsed(error="unreadable")
    return _within_bounds(amount)


def _within_bounds(amount: float) -> Parsed[int]:
    if amount > MAX_MONTHLY_INCOME:
        return Parsed(error="too_large")
    whole = round(amount)
    if whole < MIN_MONTHLY_INCOME:
        return Parsed(error="too_small", details={"amount": whole})
    return Parsed(value=whole)


@cache
def _amount() -> re.Pattern[str]:
    """An amount with its unit ("500rb", "1 juta", "Rp 700.000"): the pieces of a range."""
    units = _alternatives(typed_words("intents")["money"]["units"])
    return re.compile(
        rf"(?:rp\.?\s*)?\d[\d.,]*\s*(?:{units})\b|(?:rp\.?\s*)?\d{{1,3}}(?:\.\d{{3}})+|rp\.?\s*\d+",
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
    raw = typed_words("intents")["income"]
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
    found = [_rupiah(span) for span in _amount().findall(text.replace("-", " - "))]
    if math.inf in found:
        return Parsed(error="too_large")
    amounts = [round(amount) for amount in found if amount is not None and amount >= MIN_MONTHLY_INCOME]
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
        return Parsed(error="too_large")
    return Parsed(value=Income(monthly=monthly, stated=stated, per=per, upper=upper_or_none))
