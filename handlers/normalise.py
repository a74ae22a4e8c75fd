"""One normalisation step before any matching: what a person typed, as the words the bot knows.

"SAYAMAUDAFTAR" → ["saya", "mau", "daftar"]; "Setujuuu!!" → ["setuju"]; "brp iurannya" →
["berapa", "iuran"]; "stuju" → ["setuju"]; "👍" → ["ok"].

In order: emoji become words; letters are case-folded and stripped of accents ("ènja'" →
"enja"); punctuation becomes space; letters repeated three times or more become one
("iyaaa" → "iya"), and a doubled letter is undone when only the single one is a known word
("okee" → "oke"); chat abbreviations are expanded from the data files; a suffix that leaves a
known word is taken off ("iurane" → "iuran"); a run-together word is split into known words
(symspellpy's segmentation over the project's own vocabulary, never English's); and an unknown
word is taken for the known word it is a typo of, when the edit distance (rapidfuzz,
transpositions counting once) is within what its length allows.

Only for matching what people say (commands, intents, closed answers, units, occupations).
Never applied to a NIK, a phone number, a date, an e-mail address, a name or an address: their
parsers read the text as typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract
from symspellpy import SymSpell

_NOISE = re.compile(r"[^0-9a-z/ ]+")
_SPACES = re.compile(r"\s+")
_TRIPLED = re.compile(r"(.)\1{2,}")
_DOUBLED = re.compile(r"(.)\1")
SEGMENT_MIN_LENGTH = 6
"""A shorter unknown word is not split: "ikut" must not become "i kut"."""
SEGMENT_MAX_WORD = 14


def typo_allowance(length: int) -> int:
    """Edits forgiven in a word of this length: none under 5 letters ("bulan" is one letter from
    "bukan"), one up to 8, two from 9."""
    if length < 5:
        return 0
    return 1 if length <= 8 else 2


def fold(text: str) -> str:
    """Lower case without accents or apostrophes, punctuation as spaces: "ÈNJA'!" → "enja"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("'", "").replace("’", "")
    return _SPACES.sub(" ", _NOISE.sub(" ", bare)).strip()


@dataclass(frozen=True)
class Normaliser:
    """Turns a message into known words. Build once (see `build`) and share: it keeps no state."""

    vocabulary: frozenset[str]
    abbreviations: Mapping[str, tuple[str, ...]]
    emoji: tuple[tuple[str, str], ...]
    """(emoji, word), longest emoji first ("🙏🏻" before "🙏")."""
    speller: SymSpell
    by_length: Mapping[int, tuple[str, ...]]
    """Vocabulary words by length, for the typo search."""
    suffixes: tuple[str, ...] = ()
    """Endings that leave a known word when taken off ("iurane", "iuranipun", "bayarnya"),
    longest first."""

    @classmethod
    def build(
        cls,
        words: Mapping[str, int],
        abbreviations: Mapping[str, str] | None = None,
        emoji: Mapping[str, str] | None = None,
        suffixes: Iterable[str] = (),
    ) -> Normaliser:
        """`words`: every known word with a frequency (how common it is in what people write;
        only the order matters). `abbreviations`: short form → its words ("sy" → "saya")."""
        folded = {fold(word): count for word, count in words.items() if fold(word)}
        speller = SymSpell(max_dictionary_edit_distance=0, prefix_length=7)
        for word, count in folded.items():
            if " " not in word:
                speller.create_dictionary_entry(word, max(1, count))
        vocabulary = frozenset(w for w in folded if " " not in w)
        by_length: dict[int, list[str]] = {}
        for word in sorted(vocabulary):
            by_length.setdefault(len(word), []).append(word)
        return cls(
            vocabulary=vocabulary,
            abbreviations={fold(k): tuple(fold(v).split()) for k, v in (abbreviations or {}).items()},
            emoji=tuple(sorted((emoji or {}).items(), key=lambda item: -len(item[0]))),
            speller=speller,
            by_length={n: tuple(ws) for n, ws in by_length.items()},
            suffixes=tuple(sorted({fold(x) for x in suffixes if fold(x)}, key=len, reverse=True)),
        )

    def words(self, text: str) -> list[str]:
        """The message as known words (unknown ones kept as typed, folded)."""
        for sign, word in self.emoji:
            text = text.replace(sign, f" {word} ")
        found: list[str] = []
        for token in fold(text).split():
            found.extend(self._word(token))
        return found

    def _word(self, token: str) -> Iterable[str]:
        token = _TRIPLED.sub(r"\1", token)
        if token in self.abbreviations:
            return self.abbreviations[token]
        if token in self.vocabulary or not token.isalpha():
            return (token,)
        undoubled = _DOUBLED.sub(r"\1", token)
        if undoubled in self.abbreviations:
            return self.abbreviations[undoubled]
        if undoubled in self.vocabulary:
            return (undoubled,)
        if stem := self._stem(token):
            return (stem,)
        if len(token) >= SEGMENT_MIN_LENGTH and (parts := self._split(token)):
            return parts
        corrected = self.correct(token)
        return (corrected or token,)

    def _stem(self, token: str) -> str | None:
        """The known word left when a suffix is taken off: "iurane" → "iuran"."""
        for suffix in self.suffixes:
            stem = token.removesuffix(suffix)
            if stem != token and len(stem) >= 3 and stem in self.vocabulary:
                return stem
        return None

    def _split(self, token: str) -> tuple[str, ...] | None:
        """A run-together message split into known words, or None when no split is all known."""
        result = self.speller.word_segmentation(
            token, max_edit_distance=0, max_segmentation_word_length=SEGMENT_MAX_WORD
        )
        parts = tuple(result.corrected_string.split())
        if len(parts) < 2:
            return None
        expanded: list[str] = []
        for part in parts:
            if part in self.vocabulary:
                expanded.append(part)
            elif part in self.abbreviations:
                expanded.extend(self.abbreviations[part])
            else:
                return None
        return tuple(expanded)

    def correct(self, token: str) -> str | None:
        """The known word `token` is a typo of, when exactly one is nearest within the allowance."""
        allowance = typo_allowance(len(token))
        if allowance == 0:
            return None
        candidates = [
            word
            for length in range(len(token) - allowance, len(token) + allowance + 1)
            for word in self.by_length.get(length, ())
            if typo_allowance(len(word)) > 0
        ]
        nearest = extract(token, candidates, scorer=OSA.distance, score_cutoff=allowance, limit=2)
        if not nearest or (len(nearest) == 2 and nearest[0][1] == nearest[1][1]):
            return None  # nothing near enough, or two words equally near: not a guess to make
        return nearest[0][0]
