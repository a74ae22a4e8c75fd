"""Is it true the city or regency pays? Answered for the person's regency (messages/pemda.toml).

The regency is the one in the enrolment draft, else the latest submission's, else the one the
person told us (or their session's); unknown, it is asked. A session whose sponsor pays for the
person is said first. Mid-form the answer is given without asking (`answer_pemda`).
"""

from __future__ import annotations

from typing import Any

from handlers.flow import Unclear
from handlers.flows.benefits import price_context
from handlers.price import Payer
from handlers.regions import region, search_regencies
from handlers.turn import Turn
from handlers.types import SPONSOR, Option
from messages.pemda import scheme_of

NEXT = ("menu.calculator", "menu.enrol", "menu.callback")
LABELS = {"menu.calculator": "calculator", "menu.enrol": "enrol", "menu.callback": "callback"}


async def regency_of(turn: Turn) -> str | None:
    """The person's regency: the draft's, else the latest submission's, else the remembered one."""
    draft = turn.state.data.get("draft")
    answers = draft.get("answers", {}) if isinstance(draft, dict) else {}
    if answers.get("regency"):
        return str(answers["regency"])
    return (await turn.store.outreach.profile(turn.contact)).regency_code


def pemda_context(turn: Turn, regency: str | None) -> dict[str, Any]:
    found = region(regency) if regency else None
    return {
        "payer": Payer.of_sponsor(turn.state.data.get(SPONSOR), turn.today),
        "scheme": scheme_of(regency, turn.today),
        "regency": found.label if found else None,
        "today": turn.today,
        **price_context(turn),
    }


async def answer_pemda(turn: Turn, options: list[Option] | None = None) -> None:
    """The answer for the person's regency (or how to find out), without leaving the current step."""
    turn.say("faq_pemda", options or (), **pemda_context(turn, await regency_of(turn)))


class PemdaFlow:
    name = "pemda"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        regency = await regency_of(turn)
        if regency is None and not turn.state.data.get(SPONSOR):
            turn.state.step = "regency"
            turn.say("pemda_ask_regency")
            return
        self._answer(turn, regency)

    def _answer(self, turn: Turn, regency: str | None) -> None:
        """The answer ends the flow: its options are menu items, valid from anywhere."""
        turn.state.reset()
        options = [turn.option(choice, LABELS[choice]) for choice in NEXT]
        turn.say("faq_pemda", options, **pemda_context(turn, regency))

    async def handle(self, turn: Turn) -> Unclear | None:
        choice = turn.choice or ""
        if choice.startswith("pemda.regency."):
            self._remember(turn, choice.removeprefix("pemda.regency."))
            return None
        found = search_regencies(turn.text) if turn.text else []
        if not found:
            return Unclear.say("sessions_regency_not_found", text=turn.text)
        exact = [r for r in found if r.label.lower() == turn.text.lower()]
        if len(found) == 1 or len(exact) == 1:
            self._remember(turn, (exact or found)[0].code)
            return None
        turn.say("sessions_regency_choose", [Option(f"pemda.regency.{r.code}", r.label) for r in found[:10]])
        return None

    def _remember(self, turn: Turn, code: str) -> None:
        turn.contact.regency_code = code
        self._answer(turn, code)

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)
