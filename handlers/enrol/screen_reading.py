"""Reads a screen of a native form back into the draft, with the chat's own steps.

Each value goes through the step the chat asks it with, as if the person had typed it (or
tapped the option): the same parsers (NIK structure and region, birth date against the NIK,
income as people write it...), the same duplicate-NIK rule, the same notes. What the chat
would say to a wrong answer becomes that input's error, one line of Indonesian. A value the
draft already holds is kept as answered (a consent keeps its time, a questioned NIK its note).
A step of the screen still waiting afterwards (the birth date that differs from the NIK's, a
district to choose) puts its question as the error of its input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.form import Form
from handlers.enrol.keep import keep
from handlers.enrol.screens import CONFIRMED_AT_REVIEW, Input, Screen, options, value_of
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome, Stop
from handlers.regions import REGENCY_KINDS, region, search_regencies
from handlers.turn import Turn
from messages.form_labels import form_labels

Unique = Callable[[Turn, Accept], Awaitable[Accept | Reject | Stop]]
"""The duplicate-NIK rule (`EnrolFlow.unique`): an accepted answer, or where the form stops."""


@dataclass
class Reading:
    """What reading a screen found: errors by input key, and the notes the chat would have said."""

    errors: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    stopped: bool = False
    """An answer ended the enrolment, as it would in the chat (an applicant under 18, a NIK
    registered before): its error says so, and the draft is not kept."""

    @property
    def ok(self) -> bool:
        return not self.errors


def one_line(text: str) -> str:
    """A chat message as one line: a form shows an input's error under it."""
    return " ".join(part.strip("• ").strip() for part in text.splitlines() if part.strip())


class ScreenReader:
    """Reads screens of `form` with its steps; `unique` is the chat's duplicate-NIK rule."""

    def __init__(self, form: Form, unique: Unique) -> None:
        self.form = form
        self.unique = unique

    def _words(self, turn: Turn) -> dict[str, str]:
        words: dict[str, str] = form_labels(turn.lang)["native"]
        return words

    async def read(self, screen: Screen, values: Mapping[str, Any], turn: Turn, draft: Draft) -> Reading:
        reading = Reading()
        for item in screen.inputs:
            if item.helper or item.key == "district":
                continue
            if item.key == "regency":
                await self._region(turn, draft, values, reading)
                continue
            step = self.form.step(item.key)
            if step is None:
                continue
            error = await self._input(turn, draft, step, item, values.get(item.key), reading)
            if error:
                reading.errors[item.key] = error
            if reading.stopped:
                return reading
        self.waiting(screen, turn, draft, reading)
        for name, confirmation in CONFIRMED_AT_REVIEW.items():
            step = self.form.step(name)
            if step is not None and step in screen.steps and step.needed(draft):
                note = turn.render(confirmation.note, **step.context(turn, draft))
                reading.notices.append(one_line(note))
        return reading

    async def _input(
        self, turn: Turn, draft: Draft, step: Step, item: Input, raw: Any, reading: Reading
    ) -> str | None:
        """Reads one value with its step; returns the error to show under the input, if any.

        A step that does not apply to the draft (the other occupation, when one of the list was
        chosen) takes nothing from its input."""
        if not step.applies(draft):
            return None
        if item.kind == "consent":
            if not _truthy(raw):  # the form asks to tick it; refusing is closing the form
                return self._words(turn)["consent_needed"]
            if draft.has("consent"):
                return None
            return await self.answer(turn, draft, step, "", "enrol.consent.yes", reading)
        value = "" if raw is None else str(raw).strip()
        if value and draft.has(item.key) and value == str(value_of(item, turn, draft)):
            return None  # unchanged: kept as answered
        if not value:
            if step.skip is None:
                return self._words(turn)["required"]
            return await self.answer(turn, draft, step, "", step.skip, reading)
        if item.choice is not None:
            if value not in {c.id for c in options(item, turn, draft, step)}:
                return self._words(turn)["pick"]
            return await self.answer(turn, draft, step, "", f"{item.choice}{value}", reading)
        return await self.answer(turn, draft, step, value, None, reading)

    async def answer(
        self, turn: Turn, draft: Draft, step: Step, text: str, choice: str | None, reading: Reading
    ) -> str | None:
        """The step's reading of a typed text or a chosen option, applied as the chat applies it."""
        inbound = replace(
            turn.inbound, kind="option" if choice else "text", text=text or None, option_id=choice
        )
        asked = replace(turn, inbound=inbound, choice=choice, replies=[])
        outcome: StepOutcome = step.parse(asked, draft)
        if isinstance(outcome, Accept):
            outcome = await self.unique(asked, outcome)
        if isinstance(outcome, Accept):
            keep(outcome, turn, draft)
            if outcome.notice:
                reading.notices.append(one_line(turn.render(outcome.notice, **outcome.notice_context)))
            return None
        if isinstance(outcome, Reject):
            draft.extra.update(outcome.remember)
            label = self.form.field_of(step).title_in(turn.lang)
            return one_line(turn.render(outcome.template, label=label, **outcome.context))
        reading.stopped = True
        return one_line(turn.render(outcome.template, **outcome.context))

    async def _region(self, turn: Turn, draft: Draft, values: Mapping[str, Any], reading: Reading) -> None:
        """Where they live: a name searched like the chat's region question, the NIK's region
        confirmed when chosen as suggested, or another regency and district."""
        search = str(values.get("region_search") or "").strip()
        if search:
            found = search_regencies(search)
            if not found:
                text = turn.render("enrol_region_not_found", level="regency", text=search)
                reading.errors["region_search"] = one_line(text)
                return
            draft.extra["regencies_found"] = [r.code for r in found]
            if len(found) > 1:
                reading.errors["regency"] = one_line(turn.render("enrol_region_choose", level="regency"))
                return
            values = {**values, "regency": found[0].code, "district": ""}
        regency = str(values.get("regency") or "")
        district = str(values.get("district") or "")
        if draft.has("regency") and (regency, district) == (
            draft.get("regency"),
            draft.get("district") or "",
        ):
            return  # unchanged
        if not regency:
            reading.errors["regency"] = self._words(turn)["required"]
            return
        chosen = region(regency)
        if chosen is None or chosen.kind not in REGENCY_KINDS:
            reading.errors["regency"] = self._words(turn)["pick"]
            return
        confirm, pick_regency, pick_district = (
            self.form.step(n) for n in ("region_confirm", "regency", "district")
        )
        assert confirm is not None and pick_regency is not None and pick_district is not None
        facts = draft.get("nik_facts") or {}
        suggested = (facts.get("regency_code"), facts.get("district_code")) == (regency, district)
        draft.clear("region_confirmed", "regency", "district")
        if confirm.needed(draft):
            await self.answer(
                turn, draft, confirm, "", f"enrol.region.{'yes' if suggested else 'no'}", reading
            )
            if suggested:
                return
        await self.answer(turn, draft, pick_regency, "", f"enrol.regency.{regency}", reading)
        if not district:
            return  # the district step waits, and asks for it
        if not district.startswith(f"{regency}.") or region(district) is None:
            reading.errors["district"] = self._words(turn)["pick"]
            return
        await self.answer(turn, draft, pick_district, "", f"enrol.district.{district}", reading)

    def waiting(self, screen: Screen, turn: Turn, draft: Draft, reading: Reading) -> None:
        """A step of the screen that still waits: its question, under the input it belongs to."""
        keys = {i.key for i in screen.inputs}
        for step in screen.steps:
            if step.name in CONFIRMED_AT_REVIEW or not step.needed(draft):
                continue
            key = step.name if step.name in keys else next((k for k in step.owns if k in keys), None)
            if key is None or key in reading.errors:
                continue
            label = self.form.field_of(step).title_in(turn.lang)
            question = turn.render(step.template, label=label, **step.context(turn, draft))
            reading.errors[key] = one_line(question)


def _truthy(raw: Any) -> bool:
    return raw is True or str(raw).strip().lower() in ("true", "1", "yes", "on", "ya")
