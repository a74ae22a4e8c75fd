"""The person's work and income: the occupation (which decides the discount group) and the
monthly income, confirmed when it was said per day, per week or as a range."""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import cache
from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.income import parse_income
from handlers.intents import tokens, yes_or_no
from handlers.turn import Turn
from handlers.types import Option
from messages.program_data import occupations, program_data


def _occupation_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [Option(f"enrol.occ.{o.code}", o.label) for o in occupations(turn.lang)]


@cache
def _occupation_phrases() -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    """Each occupation's phrases, read the way a message is (every way of writing)."""
    return tuple((item.code, tuple(tuple(tokens(w)) for w in item.words)) for item in occupations())


def match_occupation(text: str) -> str | None:
    """The occupation a message names; the longest phrase wins ("kuli pasar" is not "pasar")."""
    words = tuple(tokens(text))
    found = [
        (len(phrase), code)
        for code, phrases in _occupation_phrases()
        for phrase in phrases
        if phrase and any(words[i : i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))
    ]
    if not found:
        return None
    longest = max(size for size, _ in found)
    codes = {code for size, code in found if size == longest}
    return codes.pop() if len(codes) == 1 else None


def _parse_occupation(turn: Turn, draft: Draft) -> StepOutcome:
    code = (
        turn.choice.removeprefix("enrol.occ.")
        if turn.choice and turn.choice.startswith("enrol.occ.")
        else None
    )
    code = code or match_occupation(turn.text)
    if code is None or code not in {o.code for o in occupations()}:
        return Reject("enrol_bad_choice", options=tuple(_occupation_options(turn, draft)))
    values: dict[str, Any] = {"occupation": code}
    if code != "lainnya":
        values["occupation_other"] = None
    return Accept(values)


def _parse_occupation_other(turn: Turn, _draft: Draft) -> StepOutcome:
    text = " ".join(turn.text.split())
    if len(text) < 3 or len(text) > 100:
        return Reject("enrol_bad_occupation_other")
    return Accept({"occupation_other": text})


def _income_outcome(text: str) -> StepOutcome:
    """The monthly income of an answer; one said per day, per week or as a range is kept with
    how it was said, and the next step asks to confirm the stated conversion."""
    parsed = parse_income(text)
    if not parsed.ok or parsed.value is None:
        return Reject("calc_bad_income", {"reason": parsed.error, **(parsed.details or {})})
    income = parsed.value
    reading = asdict(income) if income.needs_confirming else None
    values = {"income": income.monthly, "income_reading": reading}
    floor = program_data().income_floor
    if income.monthly < floor:
        return Accept(
            values,
            clear=("income_confirmed",),
            notice="enrol_income_floor",
            notice_context={"income": income.monthly, "floor": floor},
        )
    return Accept(values, clear=("income_confirmed",))


def _parse_income(turn: Turn, _draft: Draft) -> StepOutcome:
    return _income_outcome(turn.text)


def _income_check_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"reading": draft.get("income_reading"), "income": draft.get("income")}


def _income_check_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.income.ok", "income_ok")]


def _parse_income_check(turn: Turn, draft: Draft) -> StepOutcome:
    """Yes to the stated conversion, no (asked again), or the monthly figure typed instead."""
    answer = yes_or_no(turn.text)
    if turn.choice == "enrol.income.ok" or answer == "yes":
        return Accept({"income_confirmed": True})
    if answer == "no":
        return Accept({}, clear=("income", "income_reading", "income_confirmed"))
    outcome = _income_outcome(turn.text)
    if isinstance(outcome, Accept) and outcome.values["income_reading"] is None:
        return replace(outcome, values={**outcome.values, "income_confirmed": True})
    if isinstance(outcome, Accept):
        return outcome
    return Reject("enrol_bad_choice", options=tuple(_income_check_options(turn, draft)))


OCCUPATION = Step(
    "occupation",
    ("occupation", "occupation_other"),
    _parse_occupation,
    options=_occupation_options,
    pending=lambda d: not d.has("occupation"),
)
OCCUPATION_OTHER = Step(
    "occupation_other",
    ("occupation_other",),
    _parse_occupation_other,
    applies=lambda d: d.get("occupation") == "lainnya",
    pending=lambda d: not d.get("occupation_other"),
)
INCOME = Step("income", ("income", "income_reading"), _parse_income, pending=lambda d: not d.has("income"))
INCOME_CHECK = Step(
    "income_check",
    ("income_confirmed",),
    _parse_income_check,
    applies=lambda d: d.get("income_reading") is not None,
    options=_income_check_options,
    context=_income_check_context,
)
