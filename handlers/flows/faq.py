"""Short, sourced answers to what people ask in every session, each with a way on.

BPJS Kesehatan or Ketenagakerjaan, where to pay, how to claim after an accident, what the
family receives, "sudah ikut dari kantor", registering a husband or wife, and the page that
names the regulation behind every figure the bot states ("dasar aturan").
"""

from __future__ import annotations

from handlers.flow import Unclear
from handlers.flows.benefits import price_context
from handlers.turn import Turn
from handlers.types import Option

TOPICS = ("kesehatan", "bayar", "klaim", "meninggal", "kantor", "keluarga", "sumber")

# The way on from each answer: what a person who asked this usually wants next.
NEXT: dict[str, tuple[str, ...]] = {
    "kesehatan": ("menu.enrol", "menu.benefits", "menu.sources"),
    "bayar": ("menu.calculator", "menu.enrol", "menu.menu"),
    "klaim": ("menu.callback", "menu.jkk", "menu.sources"),
    "meninggal": ("menu.enrol", "menu.calculator", "menu.sources"),
    "kantor": ("menu.callback", "menu.enrol", "menu.menu"),
    "keluarga": ("menu.enrol", "menu.calculator", "menu.menu"),
    "sumber": ("menu.calculator", "menu.benefits", "menu.menu"),
}
LABELS = {
    "menu.enrol": "enrol",
    "menu.benefits": "benefits",
    "menu.calculator": "calculator",
    "menu.menu": "menu",
    "menu.callback": "callback",
    "menu.jkk": "jkk",
    "menu.sources": "sources",
}


def faq_options(turn: Turn, topic: str) -> list[Option]:
    return [turn.option(choice, LABELS[choice]) for choice in NEXT[topic]]


class FaqFlow:
    name = "faq"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        self._show(turn, topic if topic in TOPICS else "sumber")

    def _show(self, turn: Turn, topic: str) -> None:
        turn.state.flow, turn.state.step = self.name, topic
        turn.say(f"faq_{topic}", faq_options(turn, topic), **price_context(turn))

    async def handle(self, turn: Turn) -> Unclear | None:
        """Its options are menu items (the router opens them); typed words go to the intents."""
        return Unclear.say("pick_option", tuple(faq_options(turn, turn.state.step or "sumber")))

    async def reprompt(self, turn: Turn) -> None:
        self._show(turn, turn.state.step or "sumber")
