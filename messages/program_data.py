"""Loads the program facts and rates (`programs.toml`) and the occupations (`occupations.toml`,
with their names and typed words from each language's `occupations.toml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from messages.data import DEFAULT_LANGUAGE, Catalogue, catalogue, data


@dataclass(frozen=True)
class Discount:
    name: str
    group: str
    programs: tuple[str, ...]
    percent_off: int
    start: date
    end: date
    source: str

    def applies(self, group: str, on: date) -> bool:
        return self.group == group and self.start <= on <= self.end


@dataclass(frozen=True)
class Occupation:
    code: str
    label: str
    """What it is called, in the language asked for."""
    group: str
    words: tuple[str, ...]
    """What people type for it, in any language."""


@dataclass(frozen=True)
class ProgramData:
    """The facts of programs.toml. `raw` keeps every benefit figure for the templates."""

    income_floor: int
    income_steps: tuple[int, ...]
    jkk_rate_percent: float
    jkm_flat: int
    jht_rate_percent: float
    discounts: tuple[Discount, ...]
    payment_periods: tuple[int, ...]
    last_checked: date
    raw: dict[str, Any] = field(compare=False)
    """Not compared: two values with the same facts are equal, and the facts can key a cache
    (`handlers.price`)."""


def parse_program_data(raw: dict[str, Any]) -> ProgramData:
    programs = raw["programs"]
    steps = tuple(sorted(int(s) for s in raw["income"].get("steps", [])))
    return ProgramData(
        income_floor=int(raw["income"]["floor"]),
        income_steps=steps,
        jkk_rate_percent=float(programs["jkk"]["rate_percent"]),
        jkm_flat=int(programs["jkm"]["flat"]),
        jht_rate_percent=float(programs["jht"]["rate_percent"]),
        discounts=tuple(
            Discount(
                name=d["name"],
                group=d["group"],
                programs=tuple(d["programs"]),
                percent_off=int(d["percent_off"]),
                start=d["start"],
                end=d["end"],
                source=d["source"],
            )
            for d in raw.get("discounts", [])
        ),
        payment_periods=tuple(int(p) for p in raw["payment"]["periods_months"]),
        last_checked=raw["last_checked"],
        raw=raw,
    )


@cache
def program_data() -> ProgramData:
    return parse_program_data(data("programs"))


def parse_occupations(source: Catalogue, lang: str) -> tuple[Occupation, ...]:
    names = source.data("occupations", lang)["labels"]
    typed = source.words("occupations")["words"]
    return tuple(
        Occupation(code=o["code"], label=names[o["code"]], group=o["group"], words=tuple(typed[o["code"]]))
        for o in source.data("occupations")["occupation"]
    )


@cache
def occupations(lang: str = DEFAULT_LANGUAGE) -> tuple[Occupation, ...]:
    """The occupations in the order they are offered, named in `lang`."""
    return parse_occupations(catalogue(), lang)


def occupation(code: str, lang: str = DEFAULT_LANGUAGE) -> Occupation:
    for item in occupations(lang):
        if item.code == code:
            return item
    raise KeyError(code)
