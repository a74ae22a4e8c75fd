"""Routes one message: global commands first, then the current flow, then the intent table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from handlers.attribution import attribution_code
from handlers.flow import Cancellable, Flow, Form, Steps, say_menu
from handlers.flows.asides import answer_aside
from handlers.flows.benefits import price_context
from handlers.flows.handoff import officer_holds
from handlers.flows.officer_test_chat import link_test_chat
from handlers.flows.sessions import arrive, join_arrived, set_announcements, wants_to_join
from handlers.intents import language_of, match_command, match_intent, says_later
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
    "form": ("enrol", "form"),
    "status": ("status", None),
    "sessions": ("sessions", None),
    "session_join": ("sessions", "join"),
    "session_cancel": ("sessions", "cancel"),
    "privacy_view": ("privacy", "view"),
    "privacy_delete": ("privacy", "delete"),
    "callback": ("callback", None),
    "sources": ("faq", "sumber"),
    "faq_kesehatan": ("faq", "kesehatan"),
    "payment_place": ("faq", "bayar"),
    "payment_due": ("faq", "bayar_tanggal"),
    "payment_late": ("faq", "bayar_telat"),
    "pemda": ("pemda", None),
    "faq_klaim": ("faq", "klaim"),
    "faq_meninggal": ("faq", "meninggal"),
    "faq_kantor": ("faq", "kantor"),
    "faq_keluarga": ("faq", "keluarga"),
    "enrol_other": ("enrol", "other"),
    "later": ("later", None),
    "paid": ("dues", "paid"),
    "stop_reminders": ("dues", "stop"),
}


LATE_TAPS = frozenset({"dues"})
"""Flows whose buttons are answered whatever the conversation is on (`Router._late_tap`)."""


class Router:
    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self.flows = dict(flows)
        # Decided once: isinstance on a Protocol inspects its members at every call.
        self._forms = frozenset(name for name, flow in flows.items() if isinstance(flow, Form))

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
        """Offers the message to each stage in order, until one handles it."""
        _note_way_of_writing(turn)
        current = self._flow(turn.state.flow)
        for stage in (
            officer_holds,
            self._test_chat,
            self._attribution,
            self._start,
            self._join,
            self._media,
            self._menu_choice,
            self._command,
            self._late_tap,
            self._current_flow,
            self._anything_else,
        ):
            if await stage(turn, current):
                return

    # --- the stages: each returns True when it handled the message --------------------------

    async def _test_chat(self, turn: Turn, _current: Flow | None) -> bool:
        """An officer's "UJI <code>" from the dashboard; the current flow is left as it was."""
        return await link_test_chat(turn)

    async def _attribution(self, turn: Turn, _current: Flow | None) -> bool:
        """Keeps where the person came from; "DAFTAR <code>" also opens the form.

        A session's code counts whenever it is used: on the session's day it is attendance,
        and the welcome replaces the greeting of a start link.
        """
        inbound = turn.inbound
        code = attribution_code(inbound, turn.first_message)
        if (
            code is not None
            and turn.contact.attribution_code is None
            and await turn.store.attribution_code_exists(code)
        ):
            turn.contact.attribution_code = code
        visit = code or attribution_code(inbound, first_message=True)
        arrival = await arrive(turn, visit, offer_join=inbound.kind == "start") if visit else None
        if arrival == "upcoming":  # "Ikut" offered, on WhatsApp as on Telegram
            return True
        if inbound.kind == "text" and (code is not None or arrival is not None):
            return await self.open(turn, "enrol")
        return inbound.kind == "start" and arrival is not None

    async def _join(self, turn: Turn, current: Flow | None) -> bool:
        """Typed "ikut" after arriving with a later session's code reserves it, at any step."""
        code = wants_to_join(turn)
        if code is None:
            return False
        await join_arrived(turn, code)
        if current is not None and current.name != "sessions":
            await current.reprompt(turn)
        else:
            turn.state.reset()
        return True

    async def _start(self, turn: Turn, _current: Flow | None) -> bool:
        if turn.inbound.kind != "start":
            return False
        _greet(turn)
        return True

    async def _media(self, turn: Turn, current: Flow | None) -> bool:
        """A photo or a voice note: say it cannot be read, then ask the question again."""
        if turn.inbound.kind != "media":
            return False
        names = labels(turn.lang)["media"]
        turn.say("media", kind=names.get(turn.inbound.media_type or "", ""))
        if current is not None:
            await current.reprompt(turn)
        return True

    async def _menu_choice(self, turn: Turn, _current: Flow | None) -> bool:
        if not (turn.choice and turn.choice.startswith("menu.")):
            return False
        item = turn.choice.removeprefix("menu.")
        if item in MENU_ACTIONS:
            MENU_ACTIONS[item](turn)
        elif not await self.open(turn, *INTENT_TARGETS.get(item, (item, None))):
            say_menu(turn, "not_understood")
        return True

    async def _command(self, turn: Turn, current: Flow | None) -> bool:
        """A global word ("menu", "batal", "status", "data saya"...) said on its own."""
        command = match_command(turn.text) if turn.inbound.kind == "text" else None
        if command in COMMANDS:
            await COMMANDS[command](turn, current)
            return True
        # "status", "data saya", "hapus data" open their page from any step; a draft waits.
        return command in INTENT_TARGETS and await self.open(turn, *INTENT_TARGETS[command])

    async def _late_tap(self, turn: Turn, current: Flow | None) -> bool:
        """A button of a message the scheduler sent (a payment reminder's), tapped after the
        conversation moved on: its flow still answers it (the flow checks the option is the
        person's own)."""
        flow = self._flow(turn.choice.split(".")[0]) if turn.choice else None
        if flow is None or flow is current or flow.name not in LATE_TAPS:
            return False
        turn.state.flow, turn.state.step = flow.name, None
        unclear = await flow.handle(turn)
        if unclear is not None:
            turn.say(unclear.template, unclear.options, **unclear.context)
        return True

    async def _current_flow(self, turn: Turn, current: Flow | None) -> bool:
        """The answer to the flow's question; what it cannot use may still match an intent.

        In a form, a question gets its short answer and the form's question again, and "later"
        leaves the form with its answers kept (see `handlers.flows.asides`, `.later`).
        """
        if current is None or (turn.inbound.kind == "text" and not (turn.text or turn.choice)):
            return False
        if current.name in self._forms and turn.text and not turn.choice:
            form = cast(Form, current)
            if form.asking(turn):
                if await answer_aside(turn):
                    await form.reprompt(turn)
                    return True
                if says_later(turn.text) and form.leave_for_later(turn):
                    return await self.open(turn, "later")
        unclear = await current.handle(turn)
        still_in = current.name if turn.state.flow == current.name else None  # a flow may let go
        if unclear is not None and not await self._intent(turn, exclude=still_in):
            turn.say(unclear.template, unclear.options, **unclear.context)
        return True

    async def _anything_else(self, turn: Turn, _current: Flow | None) -> bool:
        if not await self._intent(turn):
            say_menu(turn, "not_understood")
        return True

    async def _intent(self, turn: Turn, exclude: str | None = None) -> bool:
        """Opens what the free text asks for; False when the table has nothing for it.

        Inside a flow (`exclude` names it) a thank-you or the flow's own name is not a change
        of subject.
        """
        intent = match_intent(turn.text) if turn.text else None
        if intent is None:
            return False
        if intent == "greeting":
            _greet(turn)
            return True
        if intent == "thanks":
            if exclude is None:
                say_menu(turn, "thanks")
            return exclude is None
        if intent not in INTENT_TARGETS:
            return False
        target, topic = INTENT_TARGETS[intent]
        if target == exclude and topic is None:
            return False
        return await self.open(turn, target, topic)


# --- what the menu items and global words do ---------------------------------------------------


def _note_way_of_writing(turn: Turn) -> None:
    """Records the language a person writes (Javanese, Madurese, English) on the contact, for
    replies in it once it has its texts; until then replies fall back to Indonesian."""
    if turn.inbound.kind == "text" and turn.text and (code := language_of(turn.text)) is not None:
        turn.contact.language = code


NAME_SHOWN = 60
"""At most this much of a profile name is shown back in the greeting."""


def _first_name(turn: Turn) -> str | None:
    """The name the platform gives with this message (never stored: the greeting is all it is for)."""
    name = " ".join((turn.inbound.sender_name or "").split())[:NAME_SHOWN]
    return name or None


def _greet(turn: Turn) -> None:
    turn.state.reset()
    say_menu(turn, "greeting", name=_first_name(turn), **price_context(turn))


def _to_menu(turn: Turn, template: str = "menu") -> None:
    turn.state.reset()
    say_menu(turn, template)


def _help(turn: Turn) -> None:
    turn.say("help")
    say_menu(turn)


MENU_ACTIONS: dict[str, Callable[[Turn], None]] = {"menu": _to_menu, "help": _help}


async def _menu_command(turn: Turn, _current: Flow | None) -> None:
    _to_menu(turn)


async def _help_command(turn: Turn, current: Flow | None) -> None:
    """Help, then the question the person was at (or the menu)."""
    if current is None:
        _help(turn)
        return
    turn.say("help")
    await current.reprompt(turn)


async def _stop(turn: Turn, _current: Flow | None) -> None:
    set_announcements(turn, False)
    turn.say("announcements_stopped")


async def _resume(turn: Turn, _current: Flow | None) -> None:
    set_announcements(turn, True)
    turn.say("announcements_started")


async def _cancel(turn: Turn, current: Flow | None) -> None:
    """The flow's own cancel (which may ask first), else leave to the menu."""
    if isinstance(current, Cancellable):
        await current.cancel(turn)
    else:
        _to_menu(turn, "cancelled")


async def _back(turn: Turn, current: Flow | None) -> None:
    """One step back inside the flow, else the menu."""
    if isinstance(current, Steps):
        await current.back(turn)
    else:
        _to_menu(turn)


COMMANDS: dict[str, Callable[[Turn, Flow | None], Awaitable[None]]] = {
    "menu": _menu_command,
    "help": _help_command,
    "stop": _stop,
    "resume": _resume,
    "cancel": _cancel,
    "back": _back,
}
