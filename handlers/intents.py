"""Matches free text to commands and intents through the word tables in messages/<lang>/intents.toml.

People mix languages in one message, so the words of every language are read together
(`messages.data.typed_words`); replies, not recognition, follow the person's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from messages.data import typed_words

_NOISE = re.compile(r"[^0-9a-z/ ]+")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1{2,}")
ANSWER_TYPO_MIN = 6


def normalize(text: str) -> str:
    """Lower-case, emoji answers as words (👍 → "ok"), punctuation to spaces, "haaaiii" → "hai"."""
    for emoji, word in _emoji().items():
        text = text.replace(emoji, f" {word} ")
    cleaned = _NOISE.sub(" ", text.lower().replace("'", ""))
    cleaned = _REPEATS.sub(r"\1", cleaned)
    return _SPACES.sub(" ", cleaned).strip()


@cache
def _emoji() -> dict[str, str]:
    table: dict[str, str] = typed_words("intents").get("emoji", {})
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))  # "🙏🏻" before "🙏"


def tokens(text: str) -> list[str]:
    return normalize(text).split()


@dataclass(frozen=True)
class IntentTable:
    commands: dict[str, tuple[tuple[str, ...], ...]]
    intents: dict[str, tuple[tuple[str, ...], ...]]
    answers: dict[str, tuple[tuple[str, ...], ...]]
    filler: frozenset[str]


@cache
def table() -> IntentTable:
    raw = typed_words("intents")

    def phrases(section: dict[str, list[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
        return {name: tuple(tuple(tokens(p)) for p in words) for name, words in section.items()}

    return IntentTable(
        commands=phrases(raw["commands"]),
        intents=phrases(raw["intents"]),
        answers=phrases({k: v for k, v in raw["answers"].items() if k != "filler"}),
        filler=frozenset(raw["answers"].get("filler", [])),
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


def _answer_word(word: str, pattern: str) -> bool:
    return word == pattern or (
        min(len(word), len(pattern)) >= TYPO_MIN_LENGTH
        and len(pattern) >= ANSWER_TYPO_MIN
        and one_edit_apart(word, pattern)
    )


def _phrase_in(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(
        all(_word_matches(words[i + k], phrase[k]) for k in range(n)) for i in range(len(words) - n + 1)
    )


def phrase_in(text: str, phrase: str) -> bool:
    """Whether the words of `phrase` appear in order in `text` (longer words forgive one typo)."""
    return _phrase_in(tokens(text), tuple(tokens(phrase)))


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
    """Which short answers a message contains: "tidak setuju" → {"no", "yes"}.

    Exact words, except that an answer word of six letters or more may be typed with one typo
    ("stuju"); shorter ones would collide ("bulan" is one letter from "bukan").
    """
    words = tokens(text)
    found = set()
    for name, phrases in table().answers.items():
        for phrase in phrases:
            n = len(phrase)
            if any(
                all(_answer_word(words[i + k], phrase[k]) for k in range(n))
                for i in range(len(words) - n + 1)
            ):
                found.add(name)
                break
    return found


@cache
def _place_filler() -> frozenset[str]:
    return frozenset(typed_words("intents")["places"]["filler"])


def place_words(text: str) -> str:
    """What is left of an answer once yes/no, fillers and "di", "tinggal"... are taken out.

    "bukan, sy di Sidoarjo" → "sidoarjo"; "iya" → "".
    """
    vocabulary = {w for phrases in table().answers.values() for phrase in phrases for w in phrase}
    skip = vocabulary | table().filler | _place_filler()
    return " ".join(w for w in tokens(text) if w not in skip)


@cache
def _month_phrases() -> tuple[tuple[tuple[str, ...], int], ...]:
    raw: dict[str, int] = typed_words("intents")["months"]
    return tuple(sorted(((tuple(tokens(p)), n) for p, n in raw.items()), key=lambda item: -len(item[0])))


@cache
def _month_digits() -> re.Pattern[str]:
    """A number of months written with digits, maybe with a unit (intents.toml [month_units])."""
    units = "|".join(
        re.escape(w) for w in sorted(typed_words("intents")["month_units"]["words"], key=len, reverse=True)
    )
    return re.compile(rf"(?<!\d)(\d{{1,2}})\s*(?:{units})?(?![\d])")


def months_in(text: str) -> int | None:
    """A number of months as people write it: "3", "6bln", "sebulan", "setahun", "tiga bulan"."""
    words = tokens(text)
    for phrase, months in _month_phrases():
        if _phrase_in(words, phrase):
            return months
    found = {int(m) for m in _month_digits().findall(normalize(text))}
    return found.pop() if len(found) == 1 else None


def only_answer(text: str, among: tuple[str, ...] = ("yes", "no")) -> str | None:
    """The answer (of `among`) when the message is nothing but it ("iya dong", "gk kak", "👍").

    "mau daftar bpjs" contains "mau" but says more than yes, so it is not an answer here.
    """
    said = answers(text) & set(among)
    if len(said) != 1:
        return None
    (answer,) = said
    words = tokens(text)
    own = {w for phrase in table().answers[answer] for w in phrase}
    fits = all(any(_answer_word(w, o) for o in own) or w in table().filler for w in words)
    return answer if words and fits else None
