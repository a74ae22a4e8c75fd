"""What the person pays: the programs (with or without JHT) and the payment period, each
offered with today's amounts."""

from __future__ import annotations

from typing import Any

from handlers.contribution import Quote, period_totals, quote
from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.enrol.steps.work import discount_group
from handlers.intents import answers, months_in, tokens
from handlers.turn import Turn
from handlers.types import SPONSOR, Option
from messages.form_labels import form_labels
from messages.format import format_rupiah
from messages.program_data import program_data


def draft_quote(turn: Turn, draft: Draft) -> Quote:
    return quote(
        int(draft.get("income")),
        discount_group(draft.get("occupation")),
        turn.today,
        program_data(),
        sponsored=bool(draft.get(SPONSOR)),  # a regency pays JKK + JKM: no PP 50/2025 discount
    )


def _programs_options(turn: Turn, _draft: Draft) -> list[Option]:
    labels = form_labels(turn.lang)["programs"]
    return [Option("enrol.prog.basic", labels["basic"]), Option("enrol.prog.with_jht", labels["with_jht"])]


def _programs_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"q": draft_quote(turn, draft)}


def _parse_programs(turn: Turn, draft: Draft) -> StepOutcome:
    words, said = set(tokens(turn.text)), answers(turn.text)
    if turn.choice == "enrol.prog.with_jht" or ("jht" in words and not said & {"without", "no"}):
        return Accept({"programs": "with_jht"})
    if turn.choice == "enrol.prog.basic" or said & {"without", "no"} or words & {"jkk", "jkm"}:
        return Accept({"programs": "basic"})
    return Reject("enrol_bad_choice", options=tuple(_programs_options(turn, draft)))


def draft_totals(turn: Turn, draft: Draft) -> dict[int, int]:
    group = discount_group(draft.get("occupation"))
    totals = period_totals(int(draft.get("income")), group, turn.today, program_data())
    with_jht = draft.get("programs") == "with_jht"
    return {t.months: t.with_jht if with_jht else t.basic for t in totals}


def _period_options(turn: Turn, draft: Draft) -> list[Option]:
    return [
        turn.option(
            f"enrol.period.{months}",
            "months",
            description=format_rupiah(total),
            key=str(months),  # "3" is three months on every channel, never the third button
            months=str(months),
        )
        for months, total in draft_totals(turn, draft).items()
    ]


def _period_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"totals": draft_totals(turn, draft), "with_jht": draft.get("programs") == "with_jht"}


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
