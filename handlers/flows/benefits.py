"""Benefits: one short page per program, each with a page of common questions."""

from __future__ import annotations

from handlers.contribution import quote
from handlers.flow import Unclear
from handlers.turn import Turn, option
from handlers.types import Option
from messages.program_data import program_data

PROGRAMS = ("jkk", "jkm", "jht")


def cheapest_today(turn: Turn) -> int:
    """The lowest JKK + JKM a worker can pay today (any occupation group)."""
    data = program_data()
    floor = data.income_floor
    return min(quote(floor, group, turn.today, data).basic_due for group in ("general", "transport"))


class BenefitsFlow:
    name = "benefits"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        self._show(turn, topic if topic in PROGRAMS else "overview")

    def _show(self, turn: Turn, page: str) -> None:
        turn.state.step = page
        turn.say(self._template(page), self._options(page), cheapest=cheapest_today(turn))

    @staticmethod
    def _template(page: str) -> str:
        return "benefits_overview" if page == "overview" else f"benefit_{page}"

    @staticmethod
    def _options(page: str) -> list[Option]:
        if page == "overview":
            return [
                *(option(f"benefits.{p}", p) for p in PROGRAMS),
                option("menu.calculator", "calculator"),
                option("menu.menu", "menu"),
            ]
        if page in PROGRAMS:
            return [
                option("benefits.more", "more"),
                option("benefits.back", "back"),
                option("menu.enrol", "enrol"),
            ]
        return [
            option("benefits.back", "back"),
            option("menu.calculator", "calculator"),
            option("menu.enrol", "enrol"),
        ]

    async def handle(self, turn: Turn) -> Unclear | None:
        page = turn.state.step or "overview"
        choice = turn.choice
        if choice == "benefits.more" and page in PROGRAMS:
            self._show(turn, f"{page}_more")
        elif choice == "benefits.back":
            await self.back(turn)
        elif choice and choice.startswith("benefits.") and choice.removeprefix("benefits.") in PROGRAMS:
            self._show(turn, choice.removeprefix("benefits."))
        else:
            return Unclear.say("pick_option", tuple(self._options(page)))
        return None

    async def back(self, turn: Turn) -> None:
        page = turn.state.step or "overview"
        self._show(turn, page.removesuffix("_more") if page.endswith("_more") else "overview")

    async def reprompt(self, turn: Turn) -> None:
        self._show(turn, turn.state.step or "overview")
