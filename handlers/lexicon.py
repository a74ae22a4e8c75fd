"""The words people type, from every language's word files, ready for matching.

Built once from `messages/<code>/intents.toml`, `occupations.toml`, `months.toml`, `form.toml`,
`labels.toml` and `abbreviations.toml` of every registered language: the normaliser's
vocabulary (so "stuju" is read as "setuju" and "SAYAMAUDAFTAR" as three words), the phrase
tables (each phrase already normalised the way a message will be), and which language each word
belongs to (to record how a person writes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from handlers.normalise import Normaliser, fold
from messages.data import DEFAULT_LANGUAGE, own_words, typed_words, ways_of_writing

Phrases = tuple[tuple[str, ...], ...]
WORD_FILES = ("intents", "occupations", "months", "form", "labels")
OWN_WEIGHT = 1000
"""How common a word of the lists is, for splitting run-together words: Indonesian's words a
little more than the others', so a split prefers the words most people write."""
PARTICLES_AT_THE_END = frozenset({"ta", "tah", "to", "toh", "kah", "ya"})
"""Question words that only ask at the end of a message ("gratis ta?", "wis to"): elsewhere
they are other words."""


def _strings(value: Any) -> Iterator[str]:
    """Every word or phrase in a parsed word file (keys of value tables included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ("sources", "collisions", "source", "language", "emoji"):
                continue
            if isinstance(item, int | float) and not isinstance(item, bool):
                yield str(key)  # a phrase -> number table: the phrase is the word
            else:
                yield from _strings(item)


def _vocabulary() -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in ways_of_writing():
        weight = OWN_WEIGHT * (2 if code == DEFAULT_LANGUAGE else 1)
        for name in WORD_FILES:
            for phrase in _strings(own_words(name, code)):
                for word in fold(phrase).split():
                    if word.isalpha():
                        counts[word] = max(counts.get(word, 0), weight)
        for expansion in _abbreviations_of(code).values():
            for word in fold(expansion).split():
                counts.setdefault(word, weight)
    return counts


def _abbreviations_of(code: str) -> dict[str, str]:
    tables = own_words("abbreviations", code).get("abbreviations", {})
    return {short: full for table in tables.values() for short, full in table.items()}


@dataclass(frozen=True)
class Lexicon:
    normaliser: Normaliser
    languages_of: Mapping[str, frozenset[str]]
    """Each normalised word and the ways of writing whose lists have it."""

    def words(self, text: str) -> list[str]:
        return self.normaliser.words(text)

    def phrases(self, raw: Iterable[str]) -> Phrases:
        """Phrases as a message would read, longest first (a longer phrase says more)."""
        read = {tuple(self.words(phrase)) for phrase in raw}
        return tuple(sorted((p for p in read if p), key=lambda p: (-len(p), p)))

    def table(self, section: Mapping[str, list[str]]) -> dict[str, Phrases]:
        return {name: self.phrases(words) for name, words in section.items() if isinstance(words, list)}

    def language_of(self, words: Iterable[str]) -> str | None:
        """The way of writing a message shows: the language (other than Indonesian) with the most
        words that only it has; None when no such word was typed, or two languages tie."""
        score: dict[str, int] = {}
        for word in words:
            codes = self.languages_of.get(word, frozenset())
            if len(codes) == 1 and DEFAULT_LANGUAGE not in codes:
                (code,) = codes
                score[code] = score.get(code, 0) + 1
        if not score:
            return None
        ranked = sorted(score.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]


@cache
def lexicon() -> Lexicon:
    abbreviations: dict[str, str] = {}
    for code in ways_of_writing():
        for short, full in _abbreviations_of(code).items():
            abbreviations.setdefault(short, full)
    # Phrases of the lists are read through the same step, so a short form in a list ("per hr")
    # and in a message ("100rb/hr") both become the full word ("hari").
    normaliser = Normaliser.build(
        _vocabulary(),
        abbreviations=abbreviations,
        emoji=typed_words("intents").get("emoji", {}),
        suffixes=tuple(typed_words("intents").get("suffixes", ())),
    )
    languages: dict[str, set[str]] = {}
    for code in ways_of_writing():
        for name in WORD_FILES:
            for phrase in _strings(own_words(name, code)):
                for word in normaliser.words(phrase):
                    languages.setdefault(word, set()).add(code)
    return Lexicon(normaliser, {word: frozenset(codes) for word, codes in languages.items()})
