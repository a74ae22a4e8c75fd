"""The calculator against worked examples (rates of PP 44/2015 Lampiran II, the discount periods
of PP 50/2025), before, inside and after each discount."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from handlers.contribution import quote, reported_income
from handlers.price import Contributor
from messages.program_data import program_data

DATA = program_data()

# (income, normal JKK+JKM, normal with JHT, discounted JKK+JKM, discounted with JHT)
WORKED = [
    (1_000_000, 16_800, 36_800, 8_400, 28_400),
    (2_000_000, 26_800, 66_800, 13_400, 53_400),
]

# (group, day, discounted?) around both PP 50/2025 periods.
PERIODS = [
    ("transport", date(2025, 12, 31), False),
    ("transport", date(2026, 1, 1), True),
    ("transport", date(2026, 11, 21), True),
    ("transport", date(2027, 3, 31), True),
    ("transport", date(2027, 4, 1), False),
    ("general", date(2026, 1, 15), False),
    ("general", date(2026, 3, 31), False),
    ("general", date(2026, 4, 1), True),
    ("general", date(2026, 12, 31), True),
    ("general", date(2027, 1, 1), False),
]


@pytest.mark.parametrize(("income", "basic", "with_jht", "cut_basic", "cut_with_jht"), WORKED)
@pytest.mark.parametrize(("group", "day", "discounted"), PERIODS)
def test_worked_examples_follow_the_date_and_the_group(
    income: int,
    basic: int,
    with_jht: int,
    cut_basic: int,
    cut_with_jht: int,
    group: str,
    day: date,
    discounted: bool,
) -> None:
    q = quote(income, group, day, DATA)
    assert (q.basic, q.with_jht) == (basic, with_jht)
    if discounted:
        assert q.discount is not None
        assert (q.basic_due, q.with_jht_due) == (cut_basic, cut_with_jht)
    else:
        assert q.discount is None
        assert (q.basic_due, q.with_jht_due) == (basic, with_jht)


def test_discount_end_dates_come_from_the_data_file() -> None:
    transport = quote(1_000_000, "transport", date(2026, 6, 1), DATA).discount
    general = quote(1_000_000, "general", date(2026, 6, 1), DATA).discount
    assert transport is not None and transport.end == date(2027, 3, 31)
    assert general is not None and general.end == date(2026, 12, 31)


def test_income_below_the_floor_is_computed_on_the_floor() -> None:
    q = quote(800_000, "general", date(2025, 1, 1), DATA)
    assert q.below_floor and q.reported_income == 1_000_000 and q.basic == 16_800


def test_odd_incomes_round_to_whole_rupiah() -> None:
    q = quote(1_234_567, "general", date(2025, 1, 1), DATA)
    assert (q.jkk, q.jht) == (12_346, 24_691)


def test_income_steps_when_staff_supply_them() -> None:
    data = replace(DATA, income_steps=(1_000_000, 1_500_000, 2_000_000))
    assert reported_income(1_900_000, data) == 1_500_000
    assert reported_income(5_000_000, data) == 2_000_000
    assert reported_income(500_000, data) == 1_000_000


def test_period_totals_apply_the_discount_only_to_covered_months() -> None:
    # General workers: the discount ends 31 Dec 2026. From 21 Nov 2026, 3 months =
    # Nov and Dec discounted, Jan normal.
    one = Contributor(1_000_000, "general")
    assert one.price(date(2026, 11, 21), 3, with_jht=False, data=DATA).total == 8_400 + 8_400 + 16_800
    assert one.price(date(2026, 11, 21), 3, with_jht=True, data=DATA).total == 28_400 + 28_400 + 36_800
    # Transport: the whole year from April 2026 is inside its period.
    year = Contributor(2_000_000, "transport").price(date(2026, 4, 1), 12, with_jht=False, data=DATA)
    assert year.total == 12 * 13_400
    # Before any discount nothing changes.
    assert one.price(date(2025, 5, 1), 6, with_jht=False, data=DATA).total == 6 * 16_800
