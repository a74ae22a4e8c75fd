"""Loads the program facts and rates (`programs.toml`) and the occupation list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from messages.data import data


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
    group: str
    words: tuple[str, ...]


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
    raw: dict[str, Any]


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


@cache
def occupations() -> tuple[Occupation, ...]:
    return tuple(
        Occupation(code=o["code"], label=o["label"], group=o["group"], words=tuple(o["words"]))
        for o in data("occupations")["occupation"]
    )


def occupation(code: str) -> Occupation:
    for item in occupations():
        if item.code == code:
            return item
    raise KeyError(code)
