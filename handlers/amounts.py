"""Amounts of money said in words, in any way of writing: "rong yuta", "satus ewu",
"sak yuta setengah", "dhuwa' juta", "two million", "1.5 million", "setengah juta".

The number words and units are data (`[numbers]` and `[units]` of each language's
intents.toml). Digits with the usual short units ("2jt", "800rb", "Rp 1.500.000") are read by
lokal's money parser (`handlers.income`); this reads what it does not: number words, and digits
with a unit word of another language ("1.5 million", "2 yuta").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from handlers.normalise import fold
from messages.data import typed_words

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:'[^\W\d_]*)?")
_DIGITS = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
"""Digits as a number is read: ASCII only ("³" or "¼" are letters to this reader, not 3 or 1/4)."""
_REDUPLICATED = re.compile(r"(?<=[^\W\d_])2\b")
"""A 2 after letters doubles the word in chat ("kira2" = kira-kira, "sehari2"): not a number."""
HALF = 0.5
MONEY_UNIT = 1000
"""An amount of money needs a thousand or a million in it: "telu" alone is not Rp3."""


class Digits(float):
    """A number typed with digits (never an amount by itself, unlike "sejuta")."""


@dataclass(frozen=True)
class Words:
    numbers: dict[tuple[str, ...], float]
    units: dict[str, int]
    longest: int


@cache
def _words() -> Words:
    raw = typed_words("intents")
    numbers = {tuple(fold(k).split()): float(v) for k, v in raw.get("numbers", {}).items() if fold(k)}
    units = {fold(k): int(v) for k, v in raw.get("units", {}).items() if fold(k)}
    return Words(numbers, units, max((len(k) for k in numbers), default=1))


def _pieces(text: str) -> list[str | float]:
    """The message as numbers (digits or number words) and words, longest number phrase first."""
    words = _words()
    raw = [t.replace("'", "") for t in _TOKEN.findall(_REDUPLICATED.sub("", text.casefold()))]
    raw = [t if _DIGITS.fullmatch(t) else fold(t) for t in raw]
    raw = [t for t in raw if t]  # a mark alone folds to nothing
    pieces: list[str | float] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        if _DIGITS.fullmatch(token):
            decimal = re.fullmatch(r"\d+[.,]\d{1,2}", token)
            pieces.append(Digits(token.replace(",", ".") if decimal else re.sub(r"[.,]", "", token)))
            i += 1
            continue
        for size in range(min(words.longest, len(raw) - i), 0, -1):
            phrase = tuple(raw[i : i + size])
            if phrase in words.numbers:
                pieces.append(words.numbers[phrase])
                i += size
                break
        else:
            # "2jtan", "500rbuan": a unit with the "about" ending is the unit
            about = token.removesuffix("an") if token.endswith("an") else token.removesuffix("-an")
            pieces.append(about if about in words.units else token)
            i += 1
    return pieces


def _whole(piece: str | float) -> bool:
    """A number word that is an amount by itself ("sejuta", "sewu"), not digits."""
    return (
        isinstance(piece, float)
        and not isinstance(piece, Digits)
        and piece >= MONEY_UNIT
        and piece in _words().numbers.values()
    )


def spoken_amount(text: str) -> int | None:
    """The amount in a message said with number words or a unit word, or None.

    Read as people say it: numbers add up until a unit multiplies them ("telung atus ewu" =
    3 x 100 x 1000), a half after a unit adds half of it ("sak yuta setengah" = 1,500,000), a
    half before one is half of it ("setengah juta" = 500,000).
    """
    words = _words()
    pieces = _pieces(text)
    if not any((isinstance(p, str) and p in words.units) or _whole(p) for p in pieces):
        return None
    total = 0.0
    current: float | None = None
    last_unit = 0
    found = False
    for piece in pieces:
        if _whole(piece) and current is None:  # "sejuta", "sak yuta", "sewu": an amount already
            assert isinstance(piece, float)
            total += piece
            last_unit, found = 10 ** (len(str(int(piece))) - 1), True
            continue
        if isinstance(piece, float):
            if piece == HALF and current is None and last_unit:
                total += HALF * last_unit  # "sak yuta setengah"
                last_unit = 0
                continue
            current = piece if current is None else current + piece
        elif piece in words.units:
            unit = words.units[piece]
            amount = 1.0 if current is None else current
            if unit < MONEY_UNIT:
                current = amount * unit
                continue
            total += amount * unit
            current, last_unit, found = None, unit, True
    if not found:
        return None
    return round(total)
