"""Matches free text to commands and intents through the word table in messages/intents.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from messages.data import data

_NOISE = re.compile(r"[^0-9a-z/ ]+")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1{2,}")


def normalize(text: str) -> str:
    """Lower-case, punctuation to spaces, "haaaiii" → "hai", single spaces."""
    cleaned = _NOISE.sub(" ", text.lower().replace("'", ""))
    cleaned = _REPEATS.sub(r"\1", cleaned)
    return _SPACES.sub(" ", cleaned).strip()


def tokens(text: str) -> list[str]:
    return normalize(text).split()


@dataclass(frozen=True)
class IntentTable:
    commands: dict[str, tuple[tuple[str, ...], ...]]
    intents: dict[str, tuple[tuple[str, ...], ...]]
    answers: dict[str, tuple[tuple[str, ...], ...]]


@cache
def table() -> IntentTable:
    raw = data("intents")

    def phrases(section: dict[str, list[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
        return {name: tuple(tuple(tokens(p)) for p in words) for name, words in section.items()}

    return IntentTable(
        commands=phrases(raw["commands"]), intents=phrases(raw["intents"]), answers=phrases(raw["answers"])
    )


def one_edit_apart(a: str, b: str) -> bool:
    """One letter replaced, added, dropped, or two neighbours swapped ("bangkalam", "bangklaan")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


TYPO_MIN_LENGTH = 5
"""Words shorter than this must be typed exactly."""


def _word_matches(word: str, pattern: str) -> bool:
    return word == pattern or (
        min(len(word), len(pattern)) >= TYPO_MIN_LENGTH and one_edit_apart(word, pattern)
    )


def _phrase_in(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(
        all(_word_matches(words[i + k], phrase[k]) for k in range(n)) for i in range(len(words) - n + 1)
    )


def match_command(text: str) -> str | None:
    """A global command when the message is (almost) only that command."""
    words = tokens(text)
    if not words or len(words) > 4:
        return None
    for name, phrases in table().commands.items():
        for phrase in phrases:
            if tuple(words) == phrase or (len(words) == len(phrase) and _phrase_in(words, phrase)):
                return name
    return None


def match_intent(text: str) -> str | None:
    """The intent whose longest phrase appears in the text; ties go to table order."""
    words = tokens(text)
    best: tuple[int, str] | None = None
    for name, phrases in table().intents.items():
        for phrase in phrases:
            if _phrase_in(words, phrase) and (best is None or len(phrase) > best[0]):
                best = (len(phrase), name)
    return best[1] if best else None


def answers(text: str) -> set[str]:
    """Which short answers a message contains: "tidak setuju" → {"no", "yes"}. Exact words only."""
    words = tokens(text)
    found = set()
    for name, phrases in table().answers.items():
        for phrase in phrases:
            n = len(phrase)
            if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
                found.add(name)
                break
    return found
