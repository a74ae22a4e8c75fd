"""The enrolment through a native form (a WhatsApp Flow, the Telegram Mini App), beside the chat.

The form and the chat fill one draft, kept in the person's conversation: a draft begun in the
chat opens in the form with its answers, and the chat goes on with a draft begun in the form.
The chat offers the form where the channel can show one ("Formulir sekaligus" / "Tanya satu
per satu", or the word "formulir" at any time) with a token the service issues and stores;
the channel's form then asks for a screen (`open`, `show`), sends one back (`submit`, read with
the chat's own steps), and completes (`complete`): the same submission as the chat's, through
`EnrolFlow`, with the same confirmation. The channel adapters (bot/channels/) turn their
platform's requests into these calls, inside the engine's transaction of the conversation.

Step events of this path are the screens ("screen.<id>"), the opening ("form.open") and the
sending ("form.sent"), recorded with the path "form" next to the chat's steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from handlers.enrol.draft import Draft, record_step
from handlers.enrol.form import Form
from handlers.enrol.screen_reading import Reading, ScreenReader, one_line
from handlers.enrol.screens import (
    CONFIRMED_AT_REVIEW,
    Choice,
    Screen,
    build_screens,
    describe,
    options,
    prefill,
)
from handlers.enrol.steps.step import Accept, Reject, Stop
from handlers.enrol.submit import SubmitResult
from handlers.turn import Turn
from handlers.types import FormLink, Reply
from messages.data import DEFAULT_LANGUAGE

FORM_LIFETIME = timedelta(hours=24)
"""How long an offered form can be opened and sent (a new one comes with "formulir")."""
PATH = "form"
OPENED, SENT = "form.open", "form.sent"


class Enrolment(Protocol):
    """What the form path shares with the chat's enrolment (`EnrolFlow`)."""

    form: Form

    async def draft_for(self, turn: Turn) -> Draft: ...

    async def unique(self, turn: Turn, accepted: Accept) -> Accept | Reject | Stop: ...

    async def submit_draft(self, turn: Turn, draft: Draft) -> SubmitResult: ...


@dataclass(frozen=True)
class View:
    """A screen to show: the values of its inputs, the options of its choices, errors by input
    and notes; on the review screen, the summary the chat would show."""

    screen: Screen
    values: dict[str, Any]
    options: dict[str, list[Choice]]
    errors: dict[str, str]
    notices: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    lang: str = DEFAULT_LANGUAGE
    """The person's language: every text of the view is in it."""


@dataclass(frozen=True)
class Finished:
    """The review was confirmed: the form closes, carrying these values (stored formats)."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class Completed:
    """The submission was made (or the person's own open one found): its reference."""

    reference: str
    duplicate: bool


@dataclass(frozen=True)
class Refused:
    """The form cannot be sent as it is: errors by input key, and the first screen to fix."""

    errors: dict[str, str]
    screen: str


class NativeForm:
    """The form path of `flow`'s enrolment."""

    def __init__(self, flow: Enrolment) -> None:
        self.flow = flow
        self.form = flow.form
        self.screens = build_screens(flow.form)
        self.reader = ScreenReader(self.form, flow.unique)

    def screen(self, screen_id: str | None) -> Screen:
        """The screen with this id; the first for an unknown one."""
        return next((s for s in self.screens if s.id == screen_id), self.screens[0])

    # --- offered in the chat -----------------------------------------------------------------

    @staticmethod
    def available(turn: Turn) -> bool:
        """Whether this channel shows the native form here (its declaration and setup)."""
        return turn.inbound.channel in turn.rules.native_forms

    @staticmethod
    def offer(turn: Turn) -> None:
        """Asks which way: the whole form at once, or the questions one by one."""
        turn.state.step = "way"
        turn.say(
            "enrol_ways",
            [turn.option("enrol.way.form", "way_form"), turn.option("enrol.way.chat", "way_chat")],
        )

    def send(self, turn: Turn) -> None:
        """The message with the button that opens the form, under a newly issued token."""
        if not self.available(turn):
            turn.say("enrol_form_unavailable")
            return
        token = turn.store.issue_form_token(turn.contact, turn.now, FORM_LIFETIME)
        turn.state.step = "form"
        link = FormLink(token=token, button=turn.label("open_form"))
        turn.replies.append(Reply(turn.render("enrol_form_link", button=link.button), form=link))

    # --- the form's requests -----------------------------------------------------------------

    async def open(self, turn: Turn) -> View:
        """The form was opened: its first screen, with what the draft holds."""
        draft = await self.flow.draft_for(turn)
        await self._event(turn, draft, OPENED, "reached")
        return await self._show(turn, draft, self.screens[0])

    async def show(self, turn: Turn, screen_id: str | None) -> View:
        """A screen again (going back), as the draft has it."""
        draft = await self.flow.draft_for(turn)
        return await self._show(turn, draft, self.screen(screen_id))

    async def submit(self, turn: Turn, screen_id: str | None, values: Mapping[str, Any]) -> View | Finished:
        """A screen sent back: read with the chat's steps; the next screen, or this one with its
        errors; after the review, the values the form closes with."""
        draft = await self.flow.draft_for(turn)
        draft.touch(turn.now)
        screen = self.screen(screen_id)
        if screen.review:
            return await self._confirm(turn, draft)
        reading = await self.reader.read(screen, values, turn, draft)
        if reading.stopped:
            await self._drop(turn, draft, screen)
        if not reading.ok:
            return self._view(turn, draft, screen, reading, values)
        await self._event(turn, draft, f"screen.{screen.id}", "completed")
        following = self.screens[self.screens.index(screen) + 1]
        return await self._show(turn, draft, following, reading.notices)

    async def complete(self, turn: Turn, values: Mapping[str, Any]) -> Completed | Refused:
        """The whole form sent: every screen read, then the same submission as the chat's."""
        draft = await self.flow.draft_for(turn)
        draft.touch(turn.now)
        errors: dict[str, str] = {}
        first: str | None = None
        for screen in self.screens[:-1]:
            reading = await self.reader.read(screen, values, turn, draft)
            errors.update(reading.errors)
            first = first or (screen.id if reading.errors else None)
            if reading.stopped:
                await self._drop(turn, draft, screen)
                return Refused(errors, screen.id)
        if first is None and (waiting := await self._waiting(turn, draft)) is not None:
            first, errors = waiting.screen.id, waiting.errors
        if first is not None:
            return Refused(errors, first)
        await self._event(turn, draft, SENT, "completed")
        result = await self.flow.submit_draft(turn, draft)
        if result.duplicate and result.submission.contact_id != turn.contact.id:
            # Someone else's NIK, queued a moment ago: nothing of theirs is told (as in the chat).
            refused = turn.render("enrol_duplicate", own=False, reference=None, status=None)
            key = self.form.unique
            return Refused({key: one_line(refused)}, next(s.id for s in self.screens if s.input(key)))
        return Completed(result.submission.reference, result.duplicate)

    async def take(self, turn: Turn) -> Completed | Refused | None:
        """A completed form that arrived as the person's message (a WhatsApp Flow's reply).

        Its token must be one the service issued to this chat and still valid: an invented,
        expired or someone else's is refused with a kind word. What cannot be accepted is
        listed, with a new form to fix it in (or the chat to go on in)."""
        inbound = turn.inbound
        issued = await turn.store.form_token(inbound.form_token) if inbound.form_token else None
        if (
            issued is None
            or (issued.channel, issued.chat_id) != (inbound.channel, inbound.chat_id)
            or issued.expires_at <= turn.now
        ):
            turn.say("enrol_form_refused")
            return None
        issued.completed_at = issued.completed_at or turn.now
        outcome = await self.complete(turn, inbound.fields or {})
        if isinstance(outcome, Refused):
            lines = [f"{self.input_label(key, turn.lang)}: {error}" for key, error in outcome.errors.items()]
            turn.say("enrol_form_incomplete", lines=lines)
            self.send(turn)
        return outcome

    def input_label(self, key: str, lang: str) -> str:
        """The label the form shows for an input."""
        item = next((i for s in self.screens for i in s.inputs if i.key == key), None)
        return describe(item, self.form, lang).label if item is not None else key

    # --- inside ------------------------------------------------------------------------------

    async def _confirm(self, turn: Turn, draft: Draft) -> View | Finished:
        waiting = await self._waiting(turn, draft)
        if waiting is not None:
            return waiting
        await self._event(turn, draft, f"screen.{self.screens[-1].id}", "completed")
        return Finished(self.stored(turn, draft))

    async def _waiting(self, turn: Turn, draft: Draft) -> View | None:
        """The first screen with a question still open, with it as the error; else None, and
        what the review answers (the income said per day, shown converted) is confirmed."""
        for screen in self.screens[:-1]:
            reading = Reading()
            self.reader.waiting(screen, turn, draft, reading)
            if not reading.ok:
                return self._view(turn, draft, screen, reading)
        for name, confirmation in CONFIRMED_AT_REVIEW.items():
            step = self.form.step(name)
            if step is not None and step.needed(draft):
                await self.reader.answer(turn, draft, step, "", confirmation.option, Reading())
        return None

    async def _drop(self, turn: Turn, draft: Draft, screen: Screen) -> None:
        """The enrolment ended here, as in the chat: the draft goes, counted as left at the screen."""
        await self._event(turn, draft, f"screen.{screen.id}", "abandoned")
        turn.state.data.pop("draft", None)
        draft.answers.clear()

    def stored(self, turn: Turn, draft: Draft) -> dict[str, Any]:
        """Every input's answer in its stored form (dates YYYY-MM-DD, numbers E.164)."""
        values: dict[str, Any] = {}
        for screen in self.screens:
            for item in screen.inputs:
                if not item.helper:
                    values[item.key] = draft.has("consent") if item.kind == "consent" else draft.get(item.key)
        return values

    async def _show(self, turn: Turn, draft: Draft, screen: Screen, notices: list[str] | None = None) -> View:
        if screen.review and (waiting := await self._waiting(turn, draft)) is not None:
            return waiting
        draft.raw["form_screen"] = screen.id
        await self._event(turn, draft, f"screen.{screen.id}", "reached")
        return self._view(turn, draft, screen, Reading(notices=list(notices or [])))

    def _view(
        self,
        turn: Turn,
        draft: Draft,
        screen: Screen,
        reading: Reading,
        typed: Mapping[str, Any] | None = None,
    ) -> View:
        values = prefill(screen, turn, draft)
        # What was typed stays, to be corrected (all of it when the enrolment stopped here).
        for key in values if reading.stopped else reading.errors:
            if typed is not None and key in values and typed.get(key) is not None:
                values[key] = typed[key]
        choices = {
            item.key: options(item, turn, draft, self.form.step(item.key))
            for item in screen.inputs
            if item.kind in ("choice", "radio")
        }
        summary: tuple[str, ...] = ()
        if screen.review:
            lines = self.form.summary(self.form.values(draft, turn.today), turn.lang)
            summary = tuple(f"{line.label}: {line.text}" for line in lines)
        return View(screen, values, choices, dict(reading.errors), tuple(reading.notices), summary, turn.lang)

    async def _event(self, turn: Turn, draft: Draft, step: str, event: str) -> None:
        draft.raw["form"] = True
        draft.raw["form_channel"] = turn.inbound.channel
        await record_step(turn, draft, step, event, path=PATH)
