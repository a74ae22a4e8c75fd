"""What the person pays: the programs (with or without JHT) and the payment period, each offered
with the person's own price (`handlers.price`): what a budget pays for them, what they pay, and
which months a discount covers."""

from __future__ import annotations

from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.intents import answers, months_in, tokens
from handlers.price import Contributor, Price, contributor
from handlers.turn import Turn
from handlers.types import SPONSOR, Option
from messages.form_labels import form_labels
from messages.format import format_rupiah
from messages.program_data import program_data

PRICED_BY = ("income", "occupation", "regency", SPONSOR)
"""The answers a price depends on (only these are decrypted for it)."""


def draft_contributor(turn: Turn, draft: Draft) -> Contributor:
    """Who pays what for this draft (the one price computation, `handlers.price`)."""
    return contributor({key: draft.get(key) for key in PRICED_BY}, turn.today)


def _programs_options(turn: Turn, _draft: Draft) -> list[Option]:
    labels = form_labels(turn.lang)["programs"]
    return [Option("enrol.prog.basic", labels["basic"]), Option("enrol.prog.with_jht", labels["with_jht"])]


def _programs_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    who = draft_contributor(turn, draft)
    return {
        "basic": who.price(turn.today, 1, with_jht=False, data=program_data()),
        "with_jht": who.price(turn.today, 1, with_jht=True, data=program_data()),
    }


def _parse_programs(turn: Turn, draft: Draft) -> StepOutcome:
    words, said = set(tokens(turn.text)), answers(turn.text)
    if turn.choice == "enrol.prog.with_jht" or ("jht" in words and not said & {"without", "no"}):
        return Accept({"programs": "with_jht"})
    if turn.choice == "enrol.prog.basic" or said & {"without", "no"} or words & {"jkk", "jkm"}:
        return Accept({"programs": "basic"})
    return Reject("enrol_bad_choice", options=tuple(_programs_options(turn, draft)))


def _prices(turn: Turn, draft: Draft) -> dict[int, Price]:
    """The price of each payment period, for the programs chosen."""
    with_jht = draft.get("programs") == "with_jht"
    return draft_contributor(turn, draft).prices(turn.today, with_jht=with_jht, data=program_data())


def _period_options(turn: Turn, draft: Draft) -> list[Option]:
    return [
        turn.option(
            f"enrol.period.{months}",
            "months",
            description=format_rupiah(p.total),
            key=str(months),  # "3" is three months on every channel, never the third button
            months=str(months),
        )
        for months, p in _prices(turn, draft).items()
    ]


def _period_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    prices = _prices(turn, draft)
    return {"prices": prices, "longest": prices[max(prices)]}


def _parse_period(turn: Turn, draft: Draft) -> StepOutcome:
    periods = program_data().payment_periods
    if turn.choice and turn.choice.startswith("enrol.period."):
        return Accept({"period": int(turn.choice.removeprefix("enrol.period."))})
    months = months_in(turn.text)  # "3" means three months here, never the third button
    if months in periods:
        return Accept({"period": months})
    return Reject("enrol_bad_period", {"periods": periods}, options=tuple(_period_options(turn, draft)))


PROGRAMS = Step(
    "programs", ("programs",), _parse_programs, options=_programs_options, context=_programs_context
)
PERIOD = Step("period", ("period",), _parse_period, options=_period_options, context=_period_context)
