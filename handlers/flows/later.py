"""Later: a person who will register another time is told how to come back and may ask to be
reminded once.

"nanti", "mengko wae", "sesuk ae tak daftar", "dagghik", "later": the form is never opened for
it. Inside the form, what was answered stays (typing "daftar" goes on from there). A reminder,
when the person wants one, is one message the next morning at nine in their own time zone,
queued in the outbox now and sent when it is due; asking again does not queue a second one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.flow import Unclear, has_draft, say_menu
from handlers.intents import yes_or_no
from handlers.localtime import zone_of
from handlers.turn import Turn
from handlers.types import LATER_REMINDER as REMINDED
from handlers.types import Option, Priority, Reply

REMINDER_AT = time(9, 0)


def reminder_time(now: datetime, region_code: str | None) -> datetime:
    """Nine in the morning of the next day, in the person's own time zone (WIB when unknown)."""
    local = now.astimezone(zone_of(region_code))
    tomorrow = (local + timedelta(days=1)).date()
    return datetime.combine(tomorrow, REMINDER_AT, tzinfo=zone_of(region_code))


def _options(turn: Turn) -> list[Option]:
    return [turn.option("later.remind", "later_remind"), turn.option("later.no", "later_no")]


class LaterFlow:
    name = "later"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow, turn.state.step = self.name, "offer"
        turn.say("later", _options(turn), kept=has_draft(turn))

    async def handle(self, turn: Turn) -> Unclear | None:
        said = "yes" if turn.choice == "later.remind" else "no" if turn.choice == "later.no" else None
        said = said or yes_or_no(turn.text)
        if said is None:
            turn.state.reset()
            return Unclear.say("not_understood")
        if said == "yes":
            self._remind(turn)
        turn.state.flow, turn.state.step = None, None
        template = "later_reminder_set" if said == "yes" else "later_ok"
        say_menu(turn, template, at=turn.state.data.get(REMINDED))
        return None

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)

    @staticmethod
    def _remind(turn: Turn) -> None:
        at = reminder_time(turn.now, turn.contact.regency_code)
        pending = turn.state.data.get(REMINDED)
        if pending and datetime.fromisoformat(pending) > turn.now:
            return  # one reminder, however often asked
        options = (turn.option("menu.enrol", "enrol"),)
        reply = Reply(turn.render("later_reminder"), options, priority=Priority.NOTIFICATION)
        turn.store.send_later(turn.contact, reply.to_payload(), priority=reply.priority, at=at, now=turn.now)
        turn.state.data[REMINDED] = at.isoformat()
