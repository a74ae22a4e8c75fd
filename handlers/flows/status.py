"""`status`: the person's submissions and where each one stands."""

from __future__ import annotations

from typing import Any

from handlers.dues import account_of, standing
from handlers.flow import Unclear, has_draft, say_menu
from handlers.localtime import zone_of
from handlers.turn import Turn


class StatusFlow:
    name = "status"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        submissions = await turn.store.submissions_of(turn.contact)
        turn.state.reset()
        say_menu(
            turn,
            "status_list",
            submissions=submissions,
            has_draft=has_draft(turn),
            dues=await self._dues(turn),
        )

    @staticmethod
    async def _dues(turn: Turn) -> dict[str, dict[str, Any]]:
        """For each registered submission: paid until, the next due date and the standing."""
        found = {}
        for submission, coverage in await turn.store.dues.registered_of(turn.contact):
            today = turn.now.astimezone(zone_of(submission.regency_code)).date()
            now = standing(account_of(submission, coverage), today)
            found[submission.reference] = {
                "paid_until": coverage.paid_until,
                "next_due": now.next_due,
                "behind": now.behind or now.state == "terlambat",
            }
        return found

    async def handle(self, turn: Turn) -> Unclear | None:
        await self.start(turn)
        return None

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)
