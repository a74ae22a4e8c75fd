"""Benefits: one short page per program, each with a page of common questions."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.contribution import quote
from handlers.flow import Unclear
from handlers.turn import Turn
from handlers.types import Option
from messages.program_data import Discount, program_data

PROGRAMS = ("jkk", "jkm", "jht")


def active_discounts(on: date) -> list[Discount]:
    """The discounts in force on a day, soonest ending first (PP 50/2025: by occupation group)."""
    active = (d for d in program_data().discounts if d.start <= on <= d.end)
    return sorted(active, key=lambda d: d.end)


def prices_on(on: date) -> dict[str, Any]:
    """What every page that states a price needs: the cheapest JKK + JKM that day, the normal
    price, and the temporary discounts in force (so a page never states a discounted amount
    without saying it is temporary and until when)."""
    data = program_data()
    floor = data.income_floor
    discounts = active_discounts(on)
    return {
        "cheapest": min(quote(floor, group, on, data).basic_due for group in ("general", "transport")),
        "discounts": discounts,
        "normal": quote(floor, "general", on, data).basic,
        "jkm_today": {d.group: data.jkm_flat * (100 - d.percent_off) // 100 for d in discounts},
    }


def price_context(turn: Turn) -> dict[str, Any]:
    return prices_on(turn.today)


class BenefitsFlow:
    name = "benefits"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        self._show(turn, topic if topic in PROGRAMS else "overview")

    def _show(self, turn: Turn, page: str) -> None:
        turn.state.step = page
        turn.say(self._template(page), self._options(turn, page), **price_context(turn))

    @staticmethod
    def _template(page: str) -> str:
        return "benefits_overview" if page == "overview" else f"benefit_{page}"

    @staticmethod
    def _options(turn: Turn, page: str) -> list[Option]:
        if page == "overview":
            return [
                *(turn.option(f"benefits.{p}", p) for p in PROGRAMS),
                turn.option("menu.calculator", "calculator"),
                turn.option("menu.menu", "menu"),
            ]
        if page in PROGRAMS:
            return [
                turn.option("benefits.more", "more"),
                turn.option("benefits.back", "back"),
                turn.option("menu.enrol", "enrol"),
                turn.option("menu.sources", "sources"),
            ]
        return [
            turn.option("benefits.back", "back"),
            turn.option("menu.calculator", "calculator"),
            turn.option("menu.enrol", "enrol"),
            turn.option("menu.sources", "sources"),
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
            return Unclear.say("pick_option", tuple(self._options(turn, page)))
        return None

    async def back(self, turn: Turn) -> None:
        page = turn.state.step or "overview"
        self._show(turn, page.removesuffix("_more") if page.endswith("_more") else "overview")

    async def reprompt(self, turn: Turn) -> None:
        self._show(turn, turn.state.step or "overview")
