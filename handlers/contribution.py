"""The contribution rates: monthly JKK, JKM and JHT for a reported income on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from messages.program_data import Discount, ProgramData


def _rupiah(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Quote:
    declared_income: int
    reported_income: int
    below_floor: bool
    jkk: int
    jkm: int
    jht: int
    discount: Discount | None
    basic_discounted: int | None
    """JKK + JKM after the discount, when one applies on the date."""

    @property
    def basic(self) -> int:
        """JKK + JKM per month at the normal rate."""
        return self.jkk + self.jkm

    @property
    def with_jht(self) -> int:
        return self.basic + self.jht

    @property
    def basic_due(self) -> int:
        """What JKK + JKM actually costs per month on the quote's date."""
        return self.basic if self.basic_discounted is None else self.basic_discounted

    @property
    def with_jht_due(self) -> int:
        return self.basic_due + self.jht

    def monthly(self, with_jht: bool) -> int:
        return self.with_jht_due if with_jht else self.basic_due


def reported_income(declared: int, data: ProgramData) -> int:
    """Clamps to the floor and, when the official steps are known, to the step below."""
    income = max(declared, data.income_floor)
    if data.income_steps:
        eligible = [step for step in data.income_steps if step <= income]
        income = eligible[-1] if eligible else data.income_steps[0]
    return income


def active_discount(group: str, on: date, data: ProgramData) -> Discount | None:
    return next((d for d in data.discounts if d.applies(group, on)), None)


def quote(declared_income: int, group: str, on: date, data: ProgramData) -> Quote:
    """Monthly contributions for an occupation group (`transport` or `general`) on a date, at the
    rates a person paying for themselves pays (`handlers.price` adds who else pays)."""
    income = reported_income(declared_income, data)
    jkk = _rupiah(Decimal(income) * Decimal(str(data.jkk_rate_percent)) / 100)
    jkm = data.jkm_flat
    jht = _rupiah(Decimal(income) * Decimal(str(data.jht_rate_percent)) / 100)
    discount = active_discount(group, on, data)
    discounted: int | None = None
    if discount is not None:
        covered = (jkk if "jkk" in discount.programs else 0) + (jkm if "jkm" in discount.programs else 0)
        cut = _rupiah(Decimal(covered) * discount.percent_off / 100)
        discounted = jkk + jkm - cut
    return Quote(
        declared_income=declared_income,
        reported_income=income,
        below_floor=declared_income < data.income_floor,
        jkk=jkk,
        jkm=jkm,
        jht=jht,
        discount=discount,
        basic_discounted=discounted,
    )


def month_dates(start: date, months: int) -> list[date]:
    """The date each covered month is charged at: `start` for its month, the 1st for later ones."""
    dates = [start]
    year, month = start.year, start.month
    for _ in range(months - 1):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        dates.append(date(year, month, 1))
    return dates
