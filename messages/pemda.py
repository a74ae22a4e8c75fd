"""Loads the local-government contribution schemes (`pemda.toml`): who pays JKK + JKM for whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from messages.data import data
from messages.sources import Source, parse_sources


@dataclass(frozen=True)
class Scheme:
    regency: str
    payer: str
    name: str
    programs: tuple[str, ...]
    who: str
    how: str
    start: date
    end: date | None
    """The last day it pays for; None while no end is known."""
    quota: int | None
    quota_note: str | None
    regulation: str
    checked: date
    unconfirmed: str | None
    sources: tuple[Source, ...]

    def active(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    @property
    def source(self) -> Source:
        """The source the bot names when it states the scheme (the first listed)."""
        return self.sources[0]


def parse_schemes(raw: dict[str, Any]) -> tuple[Scheme, ...]:
    return tuple(
        Scheme(
            regency=s["regency"],
            payer=s["payer"],
            name=s["name"],
            programs=tuple(s["programs"]),
            who=s["who"],
            how=s["how"],
            start=s["start"],
            end=s.get("end"),
            quota=s.get("quota"),
            quota_note=s.get("quota_note"),
            regulation=s["regulation"],
            checked=s["checked"],
            unconfirmed=s.get("unconfirmed"),
            sources=parse_sources(s["sources"]),
        )
        for s in raw.get("scheme", [])
    )


@cache
def schemes() -> tuple[Scheme, ...]:
    return parse_schemes(data("pemda"))


def scheme_of(regency: str | None, on: date, known: tuple[Scheme, ...] | None = None) -> Scheme | None:
    """The regency's scheme in force on the day, else its latest one (ended or not yet begun)."""
    mine = [s for s in (schemes() if known is None else known) if s.regency == regency]
    active = [s for s in mine if s.active(on)]
    return (active or sorted(mine, key=lambda s: s.start))[-1] if mine else None
