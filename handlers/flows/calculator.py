"""Contribution calculator: income, then kind of work, then the person's monthly and period amounts."""

from __future__ import annotations

from dataclasses import asdict

from handlers.contribution import quote
from handlers.enrol.steps.work import match_occupation
from handlers.flow import Unclear
from handlers.flows.pemda import regency_of
from handlers.income import Income, parse_income
from handlers.price import Contributor, Payer
from handlers.turn import Turn
from handlers.types import SPONSOR, Option
from messages.pemda import scheme_of
from messages.program_data import occupation, program_data

GROUPS = ("transport", "general")


def _work_options(turn: Turn) -> list[Option]:
    return [turn.option(f"calc.{group}", group) for group in GROUPS]


def _after_options(turn: Turn) -> list[Option]:
    return [
        turn.option("menu.enrol", "enrol"),
        turn.option("menu.sources", "sources"),
        turn.option("menu.menu", "menu"),
    ]


class CalculatorFlow:
    name = "calculator"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        turn.state.data.pop("calc", None)
        # "iuran kalau gaji 2jt?" already carries the income.
        income = parse_income(turn.text) if turn.text else None
        if income is not None and income.value is not None:
            self._take_income(turn, income.value)
        else:
            self._ask_income(turn)

    def _take_income(self, turn: Turn, income: Income) -> None:
        """Keeps the monthly figure; one said per day, week or as a range is stated first."""
        turn.state.data["calc"] = {"income": income.monthly}
        if income.needs_confirming:
            turn.say("income_assumed", reading=asdict(income), income=income.monthly)
        self._ask_work(turn)

    def _ask_income(self, turn: Turn) -> None:
        turn.state.step = "income"
        turn.say("calc_ask_income")

    def _ask_work(self, turn: Turn) -> None:
        turn.state.step = "work"
        turn.say("calc_ask_work", _work_options(turn))

    async def handle(self, turn: Turn) -> Unclear | None:
        if turn.state.step == "income":
            parsed = parse_income(turn.text)
            if parsed.value is None:
                return Unclear.say("calc_bad_income", reason=parsed.error, **(parsed.details or {}))
            self._take_income(turn, parsed.value)
            return None
        if turn.state.step == "work":
            group = (turn.choice or "").removeprefix("calc.")
            if group not in GROUPS and (code := match_occupation(turn.text)) is not None:
                group = occupation(code).group  # "sy ojol": the form's own occupation words
            if group not in GROUPS:
                return Unclear.say("pick_option", tuple(_work_options(turn)))
            await self._result(turn, int(turn.state.data["calc"]["income"]), group)
            return None
        if turn.state.step == "result":
            # A new amount typed after a result is a new calculation.
            parsed = parse_income(turn.text)
            if parsed.value is not None:
                self._take_income(turn, parsed.value)
                return None
            return Unclear.say("pick_option", tuple(_after_options(turn)))
        self._ask_income(turn)
        return None

    async def _result(self, turn: Turn, income: int, group: str) -> None:
        """The person's own price: a session sponsor that pays for them, their regency's scheme."""
        data = program_data()
        turn.state.step = "result"
        turn.state.data["calc"] = {"income": income, "group": group}
        who = Contributor(
            income,
            group,
            payer=Payer.of_sponsor(turn.state.data.get(SPONSOR), turn.today),
            scheme=scheme_of(await regency_of(turn), turn.today),
        )
        turn.say(
            "calc_result",
            _after_options(turn),
            q=quote(income, group, turn.today, data),
            basic=who.prices(turn.today, with_jht=False, data=data),
            with_jht=who.prices(turn.today, with_jht=True, data=data),
        )

    async def back(self, turn: Turn) -> None:
        if turn.state.step == "work" or turn.state.step == "result":
            if turn.state.step == "result":
                self._ask_work(turn)
            else:
                self._ask_income(turn)
        else:
            self._ask_income(turn)

    async def reprompt(self, turn: Turn) -> None:
        if turn.state.step == "work":
            self._ask_work(turn)
        else:
            self._ask_income(turn)
