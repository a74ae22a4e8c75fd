"""Routes one message: global commands first, then the current flow, then the intent table."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.attribution import attribution_code
from handlers.flow import Flow, say_menu
from handlers.flows.benefits import cheapest_today
from handlers.flows.sessions import arrive, set_announcements
from handlers.intents import match_command, match_intent
from handlers.turn import Turn
from messages.render import labels

# Which flow (and entry topic) each intent and menu item opens.
INTENT_TARGETS: dict[str, tuple[str, str | None]] = {
    "benefits": ("benefits", None),
    "jkk": ("benefits", "jkk"),
    "jkm": ("benefits", "jkm"),
    "jht": ("benefits", "jht"),
    "calculator": ("calculator", None),
    "enrol": ("enrol", None),
    "status": ("status", None),
    "sessions": ("sessions", None),
    "session_join": ("sessions", "join"),
    "session_cancel": ("sessions", "cancel"),
    "privacy_view": ("privacy", "view"),
    "privacy_delete": ("privacy", "delete"),
}


class Router:
    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self.flows = dict(flows)

    def _flow(self, name: str | None) -> Flow | None:
        return self.flows.get(name) if name else None

    async def open(self, turn: Turn, target: str, topic: str | None = None) -> bool:
        flow = self._flow(target)
        if flow is None:
            return False
        turn.state.flow, turn.state.step = None, None
        await flow.start(turn, topic)
        return True

    async def dispatch(self, turn: Turn) -> None:
        inbound = turn.inbound
        current = self._flow(turn.state.flow)

        code = attribution_code(inbound, turn.first_message)
        if code is not None and turn.contact.attribution_code is None:
            turn.contact.attribution_code = code
        # A session's link counts whenever it is used (attendance on the session's day).
        visit = code or attribution_code(inbound, first_message=True)
        at_session = visit is not None and await arrive(turn, visit, offer_join=inbound.kind == "start")
        if (code is not None or at_session) and inbound.kind == "text":  # "DAFTAR <code>": to enrol
            await self.open(turn, "enrol")
            return

        if inbound.kind == "start":
            if not at_session:
                turn.state.reset()
                say_menu(turn, "greeting", name=turn.contact.display_name, cheapest=cheapest_today(turn))
            return
        if inbound.kind == "media":
            turn.say("media", kind=labels()["media"].get(inbound.media_type or "", ""))
            if current is not None:
                await current.reprompt(turn)
            return

        if turn.choice and turn.choice.startswith("menu."):
            await self._menu_item(turn, turn.choice.removeprefix("menu."))
            return

        command = match_command(turn.text) if inbound.kind == "text" else None
        if command is not None and await self._command(turn, command, current):
            return

        if current is not None and (inbound.kind != "text" or turn.text or turn.choice):
            unclear = await current.handle(turn)
            if unclear is None:
                return
            if not await self._intent(turn, exclude=current.name):
                turn.replies.append(unclear.reply)
            return

        if not await self._intent(turn):
            say_menu(turn, "not_understood")

    async def _menu_item(self, turn: Turn, item: str) -> None:
        if item == "menu":
            turn.state.reset()
            say_menu(turn)
        elif item == "help":
            turn.say("help")
            say_menu(turn)
        elif not await self.open(turn, *INTENT_TARGETS.get(item, (item, None))):
            say_menu(turn, "not_understood")

    async def _command(self, turn: Turn, command: str, current: Flow | None) -> bool:
        """Handles a global word; False when it should be read as an ordinary answer."""
        if command == "menu":
            turn.state.reset()
            say_menu(turn)
        elif command == "help":
            turn.say("help")
            if current is not None:
                await current.reprompt(turn)
            else:
                say_menu(turn)
        elif command == "stop":
            set_announcements(turn, False)
            turn.say("announcements_stopped")
        elif command == "resume":
            set_announcements(turn, True)
            turn.say("announcements_started")
        elif command == "cancel":
            cancel = getattr(current, "cancel", None)
            if cancel is not None:
                await cancel(turn)
            else:
                turn.state.reset()
                say_menu(turn, "cancelled")
        elif command == "back":
            back = getattr(current, "back", None)
            if back is None:
                turn.state.reset()
                say_menu(turn)
            else:
                await back(turn)
        else:
            return False
        return True

    async def _intent(self, turn: Turn, exclude: str | None = None) -> bool:
        """Opens what the free text asks for; False when the table has nothing for it."""
        intent = match_intent(turn.text) if turn.text else None
        if intent is None:
            return False
        if intent == "greeting":
            turn.state.reset()
            say_menu(turn, "greeting", name=turn.contact.display_name, cheapest=cheapest_today(turn))
            return True
        if intent == "thanks":
            if exclude is not None:
                return False
            say_menu(turn, "thanks")
            return True
        target, topic = INTENT_TARGETS[intent]
        if target == exclude and topic is None:
            return False
        return await self.open(turn, target, topic)
