"""Loads `payment.toml`: the places that take BPU contributions, the monthly due date and what a
late payment means, each with its sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from messages.data import data
from messages.sources import Source, parse_sources


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    confirmed: bool
    menu: tuple[str, ...]
    """The labels to tap, in order, as the app shows them."""
    enter: str | None
    """What to type there: "nik" or "kode_bayar"."""
    checked: date
    sources: tuple[Source, ...]
    found: str | None
    """For an unconfirmed channel: what was found, for staff."""


@dataclass(frozen=True)
class Due:
    day: int
    holiday_moves_to_next_workday: bool
    regulation: str
    unconfirmed: str | None
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Late:
    fine: bool
    months_before_inactive: int
    resume_with_nik: bool
    regulation: str
    unconfirmed: str | None
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Reminders:
    """The project's choices for payment reminders (`[reminders]`), not regulations."""

    lead_days: int = 3
    """A worker is reminded this many days before the due date."""
    grace_days: int = 7
    """Days after the due date before an unpaid month counts as "menunggak"."""
    pemda_notice_days: int = 14
    """Days before a local government's payment ends that the worker is told what comes next."""


@dataclass(frozen=True)
class PaymentData:
    channels: tuple[Channel, ...]
    due: Due
    late: Late
    last_checked: date
    reminders: Reminders = Reminders()

    @property
    def confirmed(self) -> tuple[Channel, ...]:
        return tuple(c for c in self.channels if c.confirmed)


def parse_payment(raw: dict[str, Any]) -> PaymentData:
    due, late = raw["due"], raw["late"]
    return PaymentData(
        channels=tuple(
            Channel(
                id=c["id"],
                name=c["name"],
                kind=c["kind"],
                aliases=tuple(c["aliases"]),
                confirmed=c["status"] == "confirmed",
                menu=tuple(c.get("menu", ())),
                enter=c.get("enter"),
                checked=c["checked"],
                sources=parse_sources(c.get("sources", [])),
                found=c.get("found"),
            )
            for c in raw["channel"]
        ),
        due=Due(
            day=int(due["day"]),
            holiday_moves_to_next_workday=bool(due["holiday_moves_to_next_workday"]),
            regulation=due["regulation"],
            unconfirmed=due.get("unconfirmed"),
            sources=parse_sources(due["sources"]),
        ),
        late=Late(
            fine=bool(late["fine"]),
            months_before_inactive=int(late["months_before_inactive"]),
            resume_with_nik=bool(late["resume_with_nik"]),
            regulation=late["regulation"],
            unconfirmed=late.get("unconfirmed"),
            sources=parse_sources(late["sources"]),
        ),
        last_checked=raw["last_checked"],
        reminders=Reminders(**{k: int(v) for k, v in raw.get("reminders", {}).items()}),
    )


@cache
def payment_data() -> PaymentData:
    return parse_payment(data("payment"))
