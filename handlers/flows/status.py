"""`status`: the person's submissions and where each one stands."""

from __future__ import annotations

from handlers.flow import Unclear, has_draft, say_menu
from handlers.turn import Turn


class StatusFlow:
    name = "status"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        submissions = await turn.store.submissions_of(turn.contact)
        turn.state.reset()
        say_menu(turn, "status_list", submissions=submissions, has_draft=has_draft(turn))

    async def handle(self, turn: Turn) -> Unclear | None:
        await self.start(turn)
        return None

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)
