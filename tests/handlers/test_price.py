"""The one price computation: who pays what, for which months, and what a submission keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from handlers.contribution import quote
from handlers.price import Contributor, Payer, Price, Stretch, contributor
from handlers.types import SPONSOR
from messages.pemda import schemes
from messages.program_data import program_data
from messages.render import render

DATA = program_data()
DAY = date(2026, 11, 21)
CITY = Payer("Pemerintah Kota Madiun", date(2027, 4, 30))


def test_a_budget_pays_the_normal_rate_and_the_person_only_jht() -> None:
    # PP 50/2025 halves JKK + JKM for a person who pays; not when a budget pays (16.800, not 8.400).
    assert quote(1_000_000, "general", DAY, DATA).basic_due == 8_400
    paid = Contributor(1_000_000, "general", payer=CITY).price(DAY, 1, with_jht=False, data=DATA)
    assert (paid.government_monthly, paid.person_monthly, paid.total) == (16_800, 0, 0)
    assert paid.forgone_discount == "PP 50/2025" and paid.discount is None and paid.discount_end is None
    with_jht = Contributor(1_000_000, "general", payer=CITY).price(DAY, 3, with_jht=True, data=DATA)
    assert (with_jht.person_monthly, with_jht.total) == (20_000, 60_000)


def test_after_the_budget_stops_the_person_pays_the_rate_of_each_month() -> None:
    year = Contributor(1_500_000, "general", payer=CITY).price(DAY, 12, with_jht=True, data=DATA)
    assert year.stretches == (
        Stretch(date(2026, 11, 21), date(2027, 4, 1), 6, 30_000, 21_800, None),
        Stretch(date(2027, 5, 1), date(2027, 10, 1), 6, 51_800, 0, None),
    )
    assert year.total == 6 * 30_000 + 6 * 51_800


# The case: a period across the end of the discount, and which months are discounted.
# (start, months, total, stretches as (first month, months, per month, discount))
CROSSING = [
    (date(2026, 12, 5), 1, 10_900, [(12, 1, 10_900, "PP 50/2025")]),
    (date(2026, 12, 5), 3, 54_500, [(12, 1, 10_900, "PP 50/2025"), (1, 2, 21_800, None)]),
    (date(2026, 11, 21), 3, 43_600, [(11, 2, 10_900, "PP 50/2025"), (1, 1, 21_800, None)]),
    (date(2027, 1, 4), 3, 65_400, [(1, 3, 21_800, None)]),
]


@pytest.mark.parametrize(("start", "months", "total", "stretches"), CROSSING)
def test_a_period_across_the_end_of_the_discount_names_the_discounted_months(
    start: date, months: int, total: int, stretches: list[tuple[int, int, int, str | None]]
) -> None:
    p = Contributor(1_500_000, "general").price(start, months, with_jht=False, data=DATA)
    assert p.total == total
    assert [(s.first.month, s.months, s.person, s.discount) for s in p.stretches] == stretches
    assert p.explained == (len(stretches) > 1)


def test_the_period_question_says_why_three_months_are_not_three_times_one() -> None:
    prices = Contributor(1_500_000, "general").prices(date(2026, 12, 5), with_jht=False, data=DATA)
    text = render("enrol_ask_period", prices=prices, longest=prices[3])
    assert "• 1 bulan: Rp10.900" in text and "• 3 bulan: Rp54.500" in text
    assert "Per bulan: Desember 2026 Rp10.900, potongan PP 50/2025; Januari–Februari 2027 Rp21.800." in text


def test_a_sponsor_pays_from_this_month_to_the_end_of_its_last() -> None:
    sponsor = {"name": "Pemerintah Kota Madiun", "months": 6, "session": "MAD2411"}
    assert Payer.of_sponsor(sponsor, date(2026, 11, 21)) == CITY
    assert Payer.of_sponsor({**sponsor, "months": 2}, date(2026, 12, 31)).until == date(2027, 1, 31)  # type: ignore[union-attr]
    assert Payer.of_sponsor(None, DAY) is None


def test_a_regency_scheme_in_force_makes_a_candidate_and_changes_no_amount() -> None:
    madiun, bangkalan = schemes()
    answers = {"income": 1_500_000, "occupation": "pedagang", "regency": "35.77"}
    candidate = contributor(answers, DAY).price(DAY, 3, with_jht=True, data=DATA)
    alone = Contributor(1_500_000, "general").price(DAY, 3, with_jht=True, data=DATA)
    assert candidate.candidate == madiun.payer and candidate.total == alone.total == 133_600
    # Bangkalan's scheme covered March-December 2025: in 2026 it makes no candidate.
    ended = contributor({**answers, "regency": "35.26"}, DAY).price(DAY, 1, with_jht=True, data=DATA)
    assert ended.candidate is None and not bangkalan.active(DAY)
    # A session's sponsor pays for the person: no candidate then, the city pays.
    paid = contributor({**answers, SPONSOR: {"name": "Pemerintah Kota Madiun", "months": 6}}, DAY)
    assert paid.price(DAY, 1, with_jht=True, data=DATA).candidate is None


def test_what_a_submission_keeps_reads_back_the_same_and_holds_no_income() -> None:
    p = Contributor(1_500_000, "general", payer=CITY).price(DAY, 12, with_jht=True, data=DATA)
    record = p.record()
    assert "reported_income" not in record and 1_500_000 not in record.values()
    again = Price.from_record(record)
    assert again == p and again.stretches[1].first == date(2027, 5, 1)


def test_a_price_is_kept_for_the_same_facts_and_computed_again_for_others() -> None:
    """Prices are kept by their arguments (`Contributor.price`): the same ones give the same
    price, and another rate, income, date or program choice is computed afresh."""
    data = program_data()
    who = Contributor(income=2_000_000, group="umum")
    first = who.price(date(2027, 3, 1), 3, with_jht=True, data=data)
    assert who.price(date(2027, 3, 1), 3, with_jht=True, data=data) is first
    dearer = replace(data, jkm_flat=data.jkm_flat + 1000)
    assert who.price(date(2027, 3, 1), 3, with_jht=True, data=dearer).total == first.total + 3 * 1000
    assert (
        Contributor(income=3_000_000, group="umum").price(date(2027, 3, 1), 3, with_jht=True, data=data).total
        > first.total
    )
    assert who.price(date(2027, 3, 1), 3, with_jht=False, data=data).total < first.total
