"""Socialization sessions: upcoming ones, and the announcement opt-in."""

from __future__ import annotations

from handlers.flow import Unclear
from handlers.turn import Turn, option


def set_announcements(turn: Turn, on: bool) -> None:
    turn.contact.announcements = on
    turn.contact.announcements_changed_at = turn.now


class SessionsFlow:
    name = "sessions"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        turn.state.step = "list"
        subscribed = turn.contact.announcements
        options = (
            [option("menu.menu", "menu")]
            if subscribed
            else [option("sessions.subscribe", "subscribe"), option("sessions.no", "no_thanks")]
        )
        turn.say(
            "sessions", options, sessions=await turn.store.upcoming_sessions(turn.now), subscribed=subscribed
        )

    async def handle(self, turn: Turn) -> Unclear | None:
        if turn.choice == "sessions.subscribe":
            set_announcements(turn, True)
            turn.state.reset()
            turn.say("announcements_started", [option("menu.menu", "menu")])
            return None
        if turn.choice == "sessions.no":
            turn.state.reset()
            turn.say("announcements_declined", [option("menu.menu", "menu")])
            return None
        return Unclear.say(
            "pick_option", (option("sessions.subscribe", "subscribe"), option("sessions.no", "no_thanks"))
        )

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)
