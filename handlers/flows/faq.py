"""Short, sourced answers to what people ask in every session, each with a way on.

BPJS Kesehatan or Ketenagakerjaan, how to claim after an accident, what the family receives,
"sudah ikut dari kantor", registering a husband or wife, the page that names the regulation
behind every figure the bot states ("dasar aturan"), and paying: where (a place named in the
question is answered yes, with the steps, or "not confirmed"; messages/payment.toml), by when each
month, and what a late payment means.

A payment or Pemda question asked where a flow expected an answer is answered on the spot and
changes nothing (`answer_question`); the flow then asks its question again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.flow import Unclear
from handlers.flows.benefits import price_context
from handlers.flows.pemda import answer_pemda
from handlers.intents import match_intent, phrase_in
from handlers.turn import Turn
from handlers.types import Option
from messages.payment import Channel, payment_data

TOPICS = (
    "kesehatan",
    "bayar",
    "bayar_tanggal",
    "bayar_telat",
    "klaim",
    "meninggal",
    "kantor",
    "keluarga",
    "sumber",
)

# The way on from each answer: what a person who asked this usually wants next.
NEXT: dict[str, tuple[str, ...]] = {
    "kesehatan": ("menu.enrol", "menu.benefits", "menu.sources"),
    "bayar": ("menu.calculator", "menu.enrol", "menu.callback"),
    "bayar_tanggal": ("menu.calculator", "menu.enrol", "menu.menu"),
    "bayar_telat": ("menu.callback", "menu.enrol", "menu.menu"),
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
# The payment questions by intent (messages/<lang>/intents.toml), and the topic answering each.
PAYMENT_TOPICS = {"payment_place": "bayar", "payment_due": "bayar_tanggal", "payment_late": "bayar_telat"}
ASKED = "faq_asked"
"""The payment places a question named, kept for the answer shown again."""


def faq_options(turn: Turn, topic: str) -> list[Option]:
    return [turn.option(choice, LABELS[choice]) for choice in NEXT[topic]]


def channels_in(text: str, channels: tuple[Channel, ...]) -> list[Channel]:
    """The payment places a message names, by the ways people write them ("alfamidi", "brimo")."""
    return [c for c in channels if any(phrase_in(text, alias) for alias in c.aliases)]


def asked_places(turn: Turn) -> None:
    """Keeps the places the question names (none: the general answer)."""
    turn.state.data[ASKED] = [c.id for c in channels_in(turn.text, payment_data().channels)]


def _payment_context(turn: Turn) -> dict[str, Any]:
    data = payment_data()
    asked = set(turn.state.data.get(ASKED, []))
    return {"asked": [c for c in data.channels if c.id in asked], "confirmed": data.confirmed}


def _due_context(_turn: Turn) -> dict[str, Any]:
    return {"due": payment_data().due}


def _late_context(_turn: Turn) -> dict[str, Any]:
    return {"late": payment_data().late}


CONTEXTS: dict[str, Callable[[Turn], dict[str, Any]]] = {
    "bayar": _payment_context,
    "bayar_tanggal": _due_context,
    "bayar_telat": _late_context,
}


def _context(turn: Turn, topic: str) -> dict[str, Any]:
    own = CONTEXTS.get(topic)
    return {**price_context(turn), **(own(turn) if own else {})}


async def answer_question(turn: Turn) -> bool:
    """Answers a payment or Pemda question typed instead of the answer a flow asked for.

    Nothing the flow holds changes; False when the message is no such question.
    """
    intent = match_intent(turn.text) if turn.text else None
    if intent == "pemda":
        await answer_pemda(turn)
        return True
    topic = PAYMENT_TOPICS.get(intent or "")
    if topic is None:
        return False
    asked_places(turn)
    turn.say(f"faq_{topic}", **_context(turn, topic))
    turn.state.data.pop(ASKED)
    return True


class FaqFlow:
    name = "faq"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        if topic == "bayar":
            asked_places(turn)
        self._show(turn, topic if topic in TOPICS else "sumber")

    def _show(self, turn: Turn, topic: str) -> None:
        turn.state.flow, turn.state.step = self.name, topic
        turn.say(f"faq_{topic}", faq_options(turn, topic), **_context(turn, topic))

    async def handle(self, turn: Turn) -> Unclear | None:
        """Its options are menu items (the router opens them); typed words go to the intents."""
        return Unclear.say("pick_option", tuple(faq_options(turn, turn.state.step or "sumber")))

    async def reprompt(self, turn: Turn) -> None:
        self._show(turn, turn.state.step or "sumber")
