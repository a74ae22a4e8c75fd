"""When a registered worker's next contribution is due, when to remind them, and whether they are
behind: one pure computation from the registration date, the chosen period, "paid until" and a
government's payment, under the rules of `messages/payment.toml`.

- Each month is paid by its due day (`[due] day`, the 15th, PP 44/2015 as summarised by the
  sources there); a due day on a weekend or public holiday moves to the next working day.
- Nothing paid yet: the first month is the month of registration; registered after its due day,
  the first payment is due on the next month's due day (the registration month paid with it).
- A local government paying (to the end of `sponsored_until`'s month) moves the first month the
  worker pays to the month after.
- Past the due date: "terlambat" for `[reminders] grace_days` (the payment may not yet show in the
  branch's records), then "menunggak"; `[late] months_before_inactive` months past their due
  dates unpaid and the membership is "nonaktif" (Perdir BPJS Ketenagakerjaan
  22/PERDIR.02/072022, as quoted in payment.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from handlers.price import Contributor, Payer, Price, discount_group, submitted_price
from handlers.workdays import is_working_day
from messages.payment import PaymentData, payment_data
from messages.program_data import program_data
from storage.coverage_models import Coverage
from storage.models import Submission

LANCAR, TERLAMBAT, MENUNGGAK, NONAKTIF = "lancar", "terlambat", "menunggak", "nonaktif"
STANDINGS = (LANCAR, TERLAMBAT, MENUNGGAK, NONAKTIF)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def due_date(month: date, rules: PaymentData | None = None) -> date:
    """The last day to pay the contribution for `month` (any day of it)."""
    due = (rules or payment_data()).due
    return _due_date(month.year, month.month, due.day, due.holiday_moves_to_next_workday)


@cache
def _due_date(year: int, month: int, day_of_month: int, moves: bool) -> date:
    day = date(year, month, day_of_month)
    while moves and not is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Account:
    """What the dates follow from, for one registered worker."""

    registered_on: date
    period_months: int
    paid_until: date | None = None
    """The last day covered by what is paid (an import's, or the worker's "sudah bayar")."""
    sponsored_until: date | None = None
    """The last day a government budget pays JKK + JKM, if one does."""

    def first_unpaid_month(self, rules: PaymentData | None = None) -> date:
        """The first day of the first month nobody has paid for."""
        if self.paid_until is not None:
            month = add_months(self.paid_until, 1)
        else:
            month = first_of_month(self.registered_on)
            if due_date(month, rules) < self.registered_on:
                month = add_months(month, 1)
        if self.sponsored_until is not None:
            month = max(month, add_months(self.sponsored_until, 1))
        return month

    def next_due(self, rules: PaymentData | None = None) -> date:
        return due_date(self.first_unpaid_month(rules), rules)

    def paid_to_after(self, months: int | None = None, rules: PaymentData | None = None) -> date:
        """ "paid until" once the next `months` (the chosen period) are paid."""
        start = self.first_unpaid_month(rules)
        return month_end(add_months(start, (months or self.period_months) - 1))

    def sponsored_on(self, today: date) -> bool:
        return self.sponsored_until is not None and today <= self.sponsored_until


@dataclass(frozen=True)
class Standing:
    """Where a worker stands on a day."""

    state: str
    """One of STANDINGS."""
    next_due: date
    """The due date of the first unpaid month."""
    first_unpaid: date
    months_unpaid: int
    """Months whose due date has passed unpaid."""
    remind_on: date
    """The first day of the reminder before `next_due`."""

    @property
    def behind(self) -> bool:
        return self.state in (MENUNGGAK, NONAKTIF)


def months_past_due(account: Account, today: date, rules: PaymentData | None = None) -> int:
    month = account.first_unpaid_month(rules)
    count = 0
    while due_date(month, rules) < today:
        count += 1
        month = add_months(month, 1)
    return count


def standing(account: Account, today: date, rules: PaymentData | None = None) -> Standing:
    data = rules or payment_data()
    first = account.first_unpaid_month(data)
    due = due_date(first, data)
    unpaid = months_past_due(account, today, data)
    if unpaid >= data.late.months_before_inactive:
        state = NONAKTIF
    elif today > due + timedelta(days=data.reminders.grace_days):
        state = MENUNGGAK
    elif today > due:
        state = TERLAMBAT
    else:
        state = LANCAR
    return Standing(state, due, first, unpaid, due - timedelta(days=data.reminders.lead_days))


def reminder_due(account: Account, today: date, rules: PaymentData | None = None) -> date | None:
    """The due date a payment reminder is for on `today`, or None: from `lead_days` before the due
    date to the due date itself (a round missed on the first day still reminds on the next; the
    store records one reminder per due date). None while a government pays that month."""
    data = rules or payment_data()
    found = standing(account, today, data)
    if found.remind_on <= today <= found.next_due and not account.sponsored_on(found.first_unpaid):
        return found.next_due
    return None


def sponsor_notice_due(account: Account, today: date, rules: PaymentData | None = None) -> date | None:
    """The last day of a government's payment, when `today` is the time to tell the worker what
    they will pay after it (from `pemda_notice_days` before it ends), else None."""
    end = account.sponsored_until
    if end is None:
        return None
    data = rules or payment_data()
    if end - timedelta(days=data.reminders.pemda_notice_days) <= today <= end:
        return end
    return None


def arrears_due(account: Account, today: date, rules: PaymentData | None = None) -> date | None:
    """The missed due date to ask "kenapa belum bayar?" about, once the worker is behind
    (menunggak or nonaktif); the store asks once per missed due date."""
    found = standing(account, today, rules)
    return found.next_due if found.behind else None


def account_of(submission: Submission, coverage: Coverage) -> Account:
    """A registered submission's account: the coverage record, and the government payment the
    person was told of (the price kept with the submission), else counted from registration."""
    sponsored: date | None = None
    if submission.sponsor and submission.sponsor_months:
        kept = submitted_price(submission)
        sponsored = kept.paid_until or month_end(
            add_months(coverage.registered_on, submission.sponsor_months - 1)
        )
    return Account(coverage.registered_on, coverage.period_months, coverage.paid_until, sponsored)


def price_due(submission: Submission, account: Account, income: int) -> Price:
    """What the next period (the months the worker chose, from the first unpaid one) costs at
    the rates in force for each of its months (handlers/price.py), with the government's payment
    where it still covers a month."""
    payer = None
    if submission.sponsor and account.sponsored_until is not None:
        payer = Payer(submission.sponsor, account.sponsored_until)
    who = Contributor(income=income, group=discount_group(submission.occupation), payer=payer)
    return who.price(
        account.first_unpaid_month(),
        account.period_months,
        with_jht=submission.programs == "jkk_jkm_jht",
        data=program_data(),
    )


def months_paid(registered_on: date, paid_until: date | None) -> int:
    """Months covered from the month of registration to "paid until" (0 when nothing is known)."""
    if paid_until is None or paid_until < registered_on.replace(day=1):
        return 0
    return (paid_until.year - registered_on.year) * 12 + paid_until.month - registered_on.month + 1


def still_paying(registered_on: date, paid_until: date | None, months: int, today: date) -> bool | None:
    """Whether the worker has paid for the month `months` months after the month of registration,
    once its due date has passed; None before (the worker does not count either way)."""
    if today <= due_date(add_months(registered_on, months)):
        return None
    return months_paid(registered_on, paid_until) > months
