"""What a person sees of their contribution: the one computation behind every amount the bot states.

The calculator, the program and period questions, the summary, the confirmation, "data saya" and
the officer's "terdaftar" message all show a `Price`, so they cannot contradict each other. A
price says, for the first month and for the period paid at once:

- what a government budget pays (JKK + JKM, at the normal rate: PP 50/2025's discount does not
  apply to contributions paid from a regional or state budget) and until when;
- what the person pays each month: nothing or JHT while a budget pays, else JKK + JKM (and JHT),
  at the rate in force for that month, so a period across the end of a discount says which
  months are discounted (its `stretches`);
- whether the person's regency has a scheme that may pay for them (`candidate`: an officer checks).

A budget pays for the person who came through a session whose sponsor pays (`handlers.types.SPONSOR`);
a regency scheme (messages/pemda.toml) only makes them a candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from handlers.contribution import Quote, active_discount, month_dates, quote
from handlers.types import SPONSOR
from messages.pemda import Scheme, scheme_of
from messages.program_data import ProgramData, occupations
from storage.models import Submission

PRICE = "price"
"""Where a submission keeps, in `Submission.answers`, the price the person was shown."""


def discount_group(code: str | None) -> str:
    """The PP 50/2025 group of an occupation (transport workers have their own)."""
    return next((o.group for o in occupations() if o.code == code), "general")


def _month_end(day: date, months_later: int) -> date:
    """The last day of the month `months_later` months after `day`'s."""
    index = day.year * 12 + day.month - 1 + months_later + 1
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Payer:
    """A government budget paying JKK + JKM, to the last day of `until`'s month."""

    name: str
    until: date

    @classmethod
    def of_sponsor(cls, sponsor: Mapping[str, Any] | None, today: date) -> Payer | None:
        """The sponsor of a session the person attended pays `months` months from this one."""
        if not sponsor:
            return None
        return cls(str(sponsor["name"]), _month_end(today, int(sponsor["months"]) - 1))


@dataclass(frozen=True)
class Stretch:
    """Consecutive months at one price."""

    first: date
    last: date
    """The first day of the last month."""
    months: int
    person: int
    """What the person pays for each of these months."""
    government: int
    """What a budget pays for each (JKK + JKM), 0 when none does."""
    discount: str | None
    """The discount on the person's own JKK + JKM in these months ("PP 50/2025"), if any."""


@dataclass(frozen=True)
class Price:
    """What the person sees: this month, and the `months` paid at once."""

    with_jht: bool
    months: int
    person_monthly: int
    """What the person pays for the first month."""
    government_monthly: int
    """What a budget pays for the first month (JKK + JKM at the normal rate), 0 when none does."""
    normal_monthly: int
    """What the person's first month would cost without a discount (the "biasanya")."""
    total: int
    """What the person pays for the whole period."""
    payer: str | None = None
    paid_until: date | None = None
    discount: str | None = None
    """The discount on the person's own payment of the first month."""
    discount_end: date | None = None
    forgone_discount: str | None = None
    """A discount the person's group has today that does not apply because a budget pays."""
    candidate: str | None = None
    """The payer of a scheme in force in the person's regency: the officer checks if they are in."""
    stretches: tuple[Stretch, ...] = ()
    reported_income: int = field(default=0, compare=False)
    """The income the amounts are computed on; never recorded (financial data is sealed)."""

    @property
    def explained(self) -> bool:
        """Whether the period has months at different prices (each is then named)."""
        return len(self.stretches) > 1

    def record(self) -> dict[str, Any]:
        """The price as JSON, kept with a submission: "data saya" and the officer's messages later
        say exactly what the person was shown."""
        kept = asdict(self)
        kept.pop("reported_income")
        return _iso(kept)

    @classmethod
    def from_record(cls, record: Mapping[str, Any], reported_income: int = 0) -> Price:
        values = {key: _day(key, value) for key, value in record.items() if key != "stretches"}
        stretches = tuple(
            Stretch(**{key: _day(key, value) for key, value in s.items()})
            for s in record.get("stretches", [])
        )
        return cls(**values, stretches=stretches, reported_income=reported_income)


_DATES = ("first", "last", "paid_until", "discount_end")


def _iso(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    return value


def _day(key: str, value: Any) -> Any:
    return date.fromisoformat(value) if key in _DATES and isinstance(value, str) else value


@dataclass(frozen=True)
class _Month:
    day: date
    person: int
    government: int
    discount: str | None


def _month(q: Quote, day: date, with_jht: bool, payer: Payer | None) -> _Month:
    if payer is not None and day <= payer.until:
        return _Month(day, q.jht if with_jht else 0, q.basic, None)
    return _Month(day, q.monthly(with_jht), 0, q.discount.name if q.discount else None)


def _stretches(months: list[_Month]) -> tuple[Stretch, ...]:
    found: list[Stretch] = []
    for m in months:
        last = found[-1] if found else None
        if last is not None and (last.person, last.government, last.discount) == (
            m.person,
            m.government,
            m.discount,
        ):
            found[-1] = Stretch(last.first, m.day, last.months + 1, m.person, m.government, m.discount)
        else:
            found.append(Stretch(m.day, m.day, 1, m.person, m.government, m.discount))
    return tuple(found)


@dataclass(frozen=True)
class Contributor:
    """Whom a price is for: the income, the discount group, and who else may pay."""

    income: int
    group: str
    payer: Payer | None = None
    scheme: Scheme | None = None
    """The regency's scheme (in force or not): when in force and no payer, a candidate."""

    def price(self, start: date, months: int, *, with_jht: bool, data: ProgramData) -> Price:
        """What paying `months` months at once from `start` costs, each month at its own rate.

        Kept for the same arguments (all immutable): a form's payment steps show the prices of
        every period, for both program choices, in the question, its buttons and the summary,
        and each is a quote for every month."""
        return _price(self, start, months, with_jht, data)

    def _computed(self, start: date, months: int, with_jht: bool, data: ProgramData) -> Price:
        quotes = [(day, quote(self.income, self.group, day, data)) for day in month_dates(start, months)]
        rows = [_month(q, day, with_jht, self.payer) for day, q in quotes]
        first, q = rows[0], quotes[0][1]
        paying = first.government > 0
        candidate = self.scheme if self.payer is None and self.scheme and self.scheme.active(start) else None
        forgone = active_discount(self.group, start, data) if paying else None
        return Price(
            with_jht=with_jht,
            months=months,
            person_monthly=first.person,
            government_monthly=first.government,
            normal_monthly=first.person if paying else (q.with_jht if with_jht else q.basic),
            total=sum(m.person for m in rows),
            payer=self.payer.name if self.payer else None,
            paid_until=self.payer.until if self.payer else None,
            discount=first.discount,
            discount_end=q.discount.end if q.discount and not paying else None,
            forgone_discount=forgone.name if forgone else None,
            candidate=candidate.payer if candidate else None,
            stretches=_stretches(rows),
            reported_income=q.reported_income,
        )

    def prices(self, start: date, *, with_jht: bool, data: ProgramData) -> dict[int, Price]:
        """The price of each payment period the data offers (1, 3, 6, 12 months)."""
        return {m: self.price(start, m, with_jht=with_jht, data=data) for m in data.payment_periods}


PRICES_KEPT = 64
"""Recent prices kept: one turn asks for the same few up to three times. Few, because a price
carries the income it was computed on, which should not linger in memory."""


@lru_cache(maxsize=PRICES_KEPT)
def _price(who: Contributor, start: date, months: int, with_jht: bool, data: ProgramData) -> Price:
    return who._computed(start, months, with_jht, data)


def contributor(answers: Mapping[str, Any], today: date, *, income: int | None = None) -> Contributor:
    """From enrolment answers: the income, the occupation's group, a session sponsor, the regency."""
    return Contributor(
        income=int(answers["income"]) if income is None else income,
        group=discount_group(answers.get("occupation")),
        payer=Payer.of_sponsor(answers.get(SPONSOR), today),
        scheme=scheme_of(answers.get("regency"), today),
    )


def submitted_price(submission: Submission, reported_income: int = 0) -> Price:
    """The price a submission's person was shown (kept with it as `PRICE`)."""
    record = submission.answers.get(PRICE)
    if record is not None:
        return Price.from_record(record, reported_income=reported_income)
    return Price(  # a submission from before prices were kept: its columns say what it cost
        with_jht=submission.programs == "jkk_jkm_jht",
        months=submission.payment_months,
        person_monthly=submission.monthly_contribution,
        government_monthly=0,
        normal_monthly=submission.monthly_contribution,
        total=submission.period_total,
        reported_income=reported_income,
    )
