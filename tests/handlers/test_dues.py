"""Due dates, reminder days and arrears (handlers/dues.py), in tables."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dues import (
    LANCAR,
    MENUNGGAK,
    NONAKTIF,
    TERLAMBAT,
    Account,
    arrears_due,
    due_date,
    months_paid,
    reminder_due,
    sponsor_notice_due,
    standing,
    still_paying,
)
from messages.payment import payment_data

D = date


@pytest.mark.parametrize(
    ("month", "due"),
    [
        (D(2027, 1, 1), D(2027, 1, 15)),  # a Friday
        (D(2027, 2, 20), D(2027, 2, 15)),  # any day of the month names the month
        (D(2026, 11, 1), D(2026, 11, 16)),  # Sunday the 15th: Monday
        (D(2027, 5, 1), D(2027, 5, 18)),  # Saturday the 15th, Monday the 17th Idul Adha (holiday)
        (D(2027, 8, 1), D(2027, 8, 16)),  # Sunday the 15th
    ],
)
def test_due_day_is_the_15th_or_the_next_working_day(month: date, due: date) -> None:
    assert due_date(month) == due


@pytest.mark.parametrize(
    ("account", "first_unpaid", "next_due"),
    [
        # paid for December (registered for one month): January's payment, by 15 January
        (Account(D(2026, 12, 1), 1, paid_until=D(2026, 12, 31)), D(2027, 1, 1), D(2027, 1, 15)),
        # three months at once
        (Account(D(2026, 12, 1), 3, paid_until=D(2027, 2, 28)), D(2027, 3, 1), D(2027, 3, 15)),
        # nothing known paid, registered before the due day: this month's
        (Account(D(2026, 12, 3), 1), D(2026, 12, 1), D(2026, 12, 15)),
        # registered after it: next month's due day
        (Account(D(2026, 12, 20), 1), D(2027, 1, 1), D(2027, 1, 15)),
        # a regency pays to the end of March: April is the first month the worker pays
        (Account(D(2026, 12, 1), 1, sponsored_until=D(2027, 3, 31)), D(2027, 4, 1), D(2027, 4, 15)),
        # paid beyond the sponsorship: the paid date leads
        (
            Account(D(2026, 12, 1), 1, paid_until=D(2027, 5, 31), sponsored_until=D(2027, 3, 31)),
            D(2027, 6, 1),
            D(2027, 6, 15),
        ),
    ],
)
def test_first_unpaid_month_and_next_due(account: Account, first_unpaid: date, next_due: date) -> None:
    assert account.first_unpaid_month() == first_unpaid
    assert account.next_due() == next_due


ONE_MONTH = Account(D(2026, 12, 1), 1, paid_until=D(2026, 12, 31))


@pytest.mark.parametrize(
    ("today", "state", "months_unpaid"),
    [
        (D(2027, 1, 10), LANCAR, 0),
        (D(2027, 1, 15), LANCAR, 0),  # the due day itself is still in time
        (D(2027, 1, 16), TERLAMBAT, 1),
        (D(2027, 1, 22), TERLAMBAT, 1),  # 7 days of grace
        (D(2027, 1, 23), MENUNGGAK, 1),
        (D(2027, 3, 15), MENUNGGAK, 2),
        (D(2027, 3, 16), NONAKTIF, 3),  # three months past their due dates
    ],
)
def test_standing(today: date, state: str, months_unpaid: int) -> None:
    found = standing(ONE_MONTH, today)
    assert (found.state, found.months_unpaid) == (state, months_unpaid)
    assert found.next_due == D(2027, 1, 15)


@pytest.mark.parametrize(
    ("today", "reminded_for"),
    [
        (D(2027, 1, 11), None),
        (D(2027, 1, 12), D(2027, 1, 15)),  # lead_days = 3
        (D(2027, 1, 14), D(2027, 1, 15)),
        (D(2027, 1, 15), D(2027, 1, 15)),
        (D(2027, 1, 16), None),
    ],
)
def test_reminder_days(today: date, reminded_for: date | None) -> None:
    assert reminder_due(ONE_MONTH, today) == reminded_for


SPONSORED = Account(D(2026, 12, 1), 1, sponsored_until=D(2027, 3, 31))


@pytest.mark.parametrize(
    ("today", "payment", "notice"),
    [
        (D(2027, 1, 12), None, None),  # the regency pays January: no reminder
        (D(2027, 2, 12), None, None),
        (D(2027, 3, 16), None, None),
        (D(2027, 3, 17), None, D(2027, 3, 31)),  # 14 days before it ends: what comes next
        (D(2027, 3, 31), None, D(2027, 3, 31)),
        (D(2027, 4, 12), D(2027, 4, 15), None),  # the first month they pay themselves
    ],
)
def test_sponsored_worker(today: date, payment: date | None, notice: date | None) -> None:
    assert reminder_due(SPONSORED, today) == payment
    assert sponsor_notice_due(SPONSORED, today) == notice


def test_arrears_asked_about_the_missed_due_date_once_behind() -> None:
    assert arrears_due(ONE_MONTH, D(2027, 1, 20)) is None
    assert arrears_due(ONE_MONTH, D(2027, 1, 23)) == D(2027, 1, 15)
    assert arrears_due(ONE_MONTH, D(2027, 4, 1)) == D(2027, 1, 15)


def test_paying_the_period_moves_paid_until() -> None:
    assert ONE_MONTH.paid_to_after() == D(2027, 1, 31)
    assert Account(D(2026, 12, 1), 3, paid_until=D(2026, 12, 31)).paid_to_after() == D(2027, 3, 31)


def test_rules_are_data_with_their_regulation() -> None:
    data = payment_data()
    assert data.due.day == 15 and "PP 44/2015" in data.due.regulation
    assert data.late.months_before_inactive == 3 and "22/PERDIR.02/072022" in data.late.regulation
    assert data.reminders.lead_days > 0 and data.reminders.grace_days >= 0


@pytest.mark.parametrize(
    ("paid_until", "months"),
    [(None, 0), (D(2026, 11, 30), 0), (D(2026, 12, 31), 1), (D(2027, 2, 28), 3), (D(2027, 11, 30), 12)],
)
def test_months_paid(paid_until: date | None, months: int) -> None:
    assert months_paid(D(2026, 12, 10), paid_until) == months


@pytest.mark.parametrize(
    ("paid_until", "today", "after_3"),
    [
        (D(2027, 3, 31), D(2027, 3, 15), None),  # March's due date not yet passed
        (D(2027, 2, 28), D(2027, 3, 16), False),
        (D(2027, 3, 31), D(2027, 3, 16), True),
        (D(2027, 5, 31), D(2027, 9, 1), True),  # covered in March, whatever came later
    ],
)
def test_still_paying(paid_until: date, today: date, after_3: bool | None) -> None:
    assert still_paying(D(2026, 12, 10), paid_until, 3, today) is after_3
