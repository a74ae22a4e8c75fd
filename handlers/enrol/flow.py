"""The enrolment conversation: walks the step list, then the summary, edit, cancel and resume."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.branches import branch_map
from handlers.enrol.announce import answer_announcements, ask_announcements
from handlers.enrol.draft import Draft, record_step
from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from handlers.enrol.keep import keep
from handlers.enrol.native import NativeForm
from handlers.enrol.parsers import parse_mobile
from handlers.enrol.steps.assisted import ASSISTED, relation_answer
from handlers.enrol.steps.identity import MIN_AGE
from handlers.enrol.steps.step import Accept, Reject, Step, Stop
from handlers.enrol.submit import SubmitResult, duplicate_context, submit
from handlers.flow import Unclear, has_draft, say_menu
from handlers.flows.faq import answer_question
from handlers.intents import answers, phrase_in
from handlers.turn import Turn
from handlers.types import SPONSOR, Option
from messages.data import typed_words
from messages.format import format_phone

RESUME_AFTER = timedelta(hours=6)
FAILURES_BEFORE_HELP = 3
SPECIAL_STEPS = ("summary", "edit_menu", "cancel_confirm", "resume", "announce", "way", "form")


def _choices(turn: Turn, *names: str) -> list[Option]:
    """The flow's own buttons: "cancel.yes" is option "enrol.cancel.yes", labelled "cancel_yes"."""
    return [turn.option(f"enrol.{name}", name.replace(".", "_")) for name in names]


class EnrolFlow:
    name = "enrol"

    def __init__(self, form: Form = FORM) -> None:
        self.form = form
        self.native = NativeForm(self)

    # --- entering and leaving ----------------------------------------------------------------

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        """Opens the form (`topic` "other": filled in for someone else, who is there)."""
        turn.state.flow = self.name
        draft = await self._load(turn)
        if topic == "form":  # "formulir": the whole form at once, with the draft as it is
            draft = draft or self._new_draft(turn)
            self.native.send(turn)
            if not self.native.available(turn):
                await self._advance(turn, draft)
            return
        if draft is not None and draft.answers:
            self._offer_resume(turn, draft)
            return
        draft = self._new_draft(turn)
        if topic == "other":  # filled in for someone who is there (handlers/enrol/steps/assisted.py)
            draft.extra[ASSISTED] = True
            draft.update(relation_answer(turn.text))
            turn.say("enrol_other_intro", min_age=MIN_AGE)
        elif self.native.available(turn):  # the whole form at once, or one by one
            self.native.offer(turn)
            return
        await self._advance(turn, draft)

    def asking(self, turn: Turn) -> bool:
        """The form's questions, not the one about announcements after it was sent."""
        return turn.state.step != "announce"

    def leave_for_later(self, turn: Turn) -> bool:
        """Leaves the form for "later", except at the questions "nanti" answers (the cancel and
        resume questions); a draft with no answer yet is not kept."""
        if turn.state.step in ("cancel_confirm", "resume"):
            return False
        if not has_draft(turn):
            turn.state.data.pop("draft", None)
        return True

    def _new_draft(self, turn: Turn) -> Draft:
        draft = self.form.new_draft(turn.now, turn.vault)
        if turn.state.data.get(SPONSOR):  # came to a session whose JKK + JKM a regency pays
            draft.answers[SPONSOR] = turn.state.data[SPONSOR]
        turn.state.data["draft"] = draft.raw
        return draft

    async def _load(self, turn: Turn) -> Draft | None:
        """The person's draft, unless it expired (then it is dropped and counted as abandoned)."""
        raw = turn.state.data.get("draft")
        if raw is None:
            return None
        draft = self.form.draft(raw, turn.vault)
        if turn.now - draft.updated > timedelta(days=turn.rules.draft_expiry_days):
            await self._abandon(turn, draft, raw.get("step"))
            return None
        return draft

    async def _abandon(self, turn: Turn, draft: Draft, step: str | None) -> None:
        if step:
            await self._event(turn, draft, step, "abandoned")
        turn.state.data.pop("draft", None)

    async def _finish(self, turn: Turn, template: str, **context: Any) -> None:
        turn.state.data.pop("draft", None)
        turn.state.reset()
        say_menu(turn, template, **context)

    # --- the current step --------------------------------------------------------------------

    async def handle(self, turn: Turn) -> Unclear | None:
        draft = await self._load(turn)
        step = turn.state.step
        if step == "announce":
            return answer_announcements(turn)
        if draft is None:
            turn.say("enrol_expired")
            await self.start(turn)
            return None
        if turn.idle > RESUME_AFTER and step not in ("resume", "cancel_confirm"):
            self._offer_resume(turn, draft)
            return None
        if step not in ("phone", "nik", "cancel_confirm", "resume") and self._phone_fixed(turn, draft):
            await self.reprompt(turn)
            return None
        if step == "way" and turn.choice == "enrol.way.form":
            self.native.send(turn)
        elif step == "summary":
            await self._summary_choice(turn, draft)
        elif step == "edit_menu":
            await self._edit_choice(turn, draft)
        elif step == "cancel_confirm":
            await self._cancel_choice(turn, draft)
        elif step == "resume":
            await self._resume_choice(turn, draft)
        elif (current := self.form.step(step)) is not None:
            await self._answer(turn, draft, current)
        else:
            await self._advance(turn, draft)
        return None

    async def _answer(self, turn: Turn, draft: Draft, step: Step) -> None:
        outcome = step.parse(turn, draft)
        draft.touch(turn.now)
        if isinstance(outcome, Accept):
            outcome = await self._unique(turn, outcome)
        if isinstance(outcome, Accept):
            keep(outcome, turn, draft)
            draft.succeeded(step.name)
            await self._event(turn, draft, step.name, "completed")
            if outcome.notice:
                turn.say(outcome.notice, **outcome.notice_context)
            await self._advance(turn, draft)
        elif isinstance(outcome, Reject):
            if await answer_question(turn):  # "bisa bayar di Indomaret?": answered, then asked again
                await self._ask(turn, draft, step)
                return
            draft.extra.update(outcome.remember)
            options = outcome.options or tuple(step.options(turn, draft))
            label = self.form.field_of(step).title_in(turn.lang)
            turn.say(outcome.template, options, ask_phone=step.ask_phone, label=label, **outcome.context)
            if outcome.counts_as_failure and draft.failed(step.name) == FAILURES_BEFORE_HELP:
                turn.say("enrol_need_help", branch=self._branch(draft))
        elif isinstance(outcome, Stop):
            await self._event(turn, draft, step.name, "abandoned")
            await self._finish(turn, outcome.template, **outcome.context)

    async def _unique(self, turn: Turn, accepted: Accept) -> Accept | Reject | Stop:
        """One person, one open submission: an answer naming someone already queued stops here."""
        key = accepted.values.get(self.form.unique)
        if key is None:
            return accepted
        existing = await turn.store.open_submission(turn.vault.keyed_hashes(key))
        if existing is None:
            return accepted
        context = duplicate_context(turn, existing)
        if context["own"]:
            return Stop("enrol_duplicate", context)
        # Someone else's (a wife's, a husband's): the person stays at the question to type their own.
        return Reject("enrol_nik_taken", options=(turn.option("menu.callback", "callback"),))

    @staticmethod
    def _phone_fixed(turn: Turn, draft: Draft) -> bool:
        """A new mobile number typed after the phone question is a correction of the phone.

        "eh salah, nomor saya 0812-..." (or the number alone) replaces the answer, says so, and
        the current question is asked again; nothing else is lost.
        """
        if not draft.has("phone") or not turn.text:
            return False
        parsed = parse_mobile(turn.text)
        if not parsed.ok or parsed.value is None or parsed.value == draft.get("phone"):
            return False
        only_number = not any(ch.isalpha() for ch in turn.text)
        if not only_number and "phone_fix" not in answers(turn.text):
            return False
        draft.set("phone", parsed.value)
        draft.touch(turn.now)
        turn.say("enrol_phone_corrected", phone=format_phone(parsed.value))
        return True

    @staticmethod
    def _branch(draft: Draft) -> Any:
        return branch_map().for_regency(draft.get("regency"))

    async def _advance(self, turn: Turn, draft: Draft) -> None:
        step = self.form.next_step(draft)
        if step is None:
            await self._show_summary(turn, draft)
        else:
            await self._ask(turn, draft, step)

    async def _ask(self, turn: Turn, draft: Draft, step: Step) -> None:
        turn.state.step = step.name
        draft.raw["step"] = step.name
        if not draft.history or draft.history[-1] != step.name:
            draft.history.append(step.name)
        title = self.form.field_of(step).title_in(turn.lang)
        text = turn.render(step.template, label=title, **step.context(turn, draft))
        number = self.form.question_number(step)
        if number is not None:
            text = turn.render("enrol_progress", number=number, total=len(self.form.questions)) + "\n" + text
        turn.say_text(text, step.options(turn, draft), ask_phone=step.ask_phone)
        await self._event(turn, draft, step.name, "reached")

    async def reprompt(self, turn: Turn) -> None:
        draft = await self._load(turn)
        if draft is None:
            await self.start(turn)
        elif turn.state.step == "summary":
            await self._show_summary(turn, draft)
        elif (step := self.form.step(turn.state.step)) is not None:
            await self._ask(turn, draft, step)
        elif turn.state.step == "announce":
            ask_announcements(turn)
        else:
            await self._advance(turn, draft)

    async def _event(self, turn: Turn, draft: Draft, step: str, event: str) -> None:
        await record_step(turn, draft, step, event)

    # --- summary and edit --------------------------------------------------------------------

    async def _show_summary(self, turn: Turn, draft: Draft) -> None:
        turn.state.step = "summary"
        draft.raw["step"] = "summary"
        turn.say(
            "enrol_summary",
            _choices(turn, "send", "edit", "cancel"),
            lines=self.form.summary(self.form.values(draft, turn.today), turn.lang),
        )
        await self._event(turn, draft, "summary", "reached")

    async def _summary_choice(self, turn: Turn, draft: Draft) -> None:
        said = answers(turn.text)
        if turn.choice == "enrol.send" or (said & {"send", "yes"} and not said & {"no", "edit", "wrong"}):
            await self._submit(turn, draft)
        elif turn.choice == "enrol.edit" or said & {"edit", "wrong"}:
            if (name := self._field_named(turn.text)) is not None:  # "ubah no hp": straight to it
                await self._edit(turn, draft, name)
            else:
                self._edit_menu(turn)
        elif turn.choice == "enrol.cancel":
            await self.cancel(turn)
        else:
            turn.say("enrol_bad_choice", _choices(turn, "send", "edit", "cancel"))

    def _edit_menu(self, turn: Turn) -> None:
        turn.state.step = "edit_menu"
        groups = self.form.edit_groups
        options = [Option(f"enrol.edit.{name}", f.title_in(turn.lang)) for name, f in groups.items()]
        turn.say("enrol_edit_menu", options)

    def _field_named(self, text: str) -> str | None:
        """The editable field a message names ("no hp", "alamat", "kerjaan"); longest words win."""
        named = [
            (len(phrase), name)
            for name, phrases in typed_words("form")["edit_words"].items()
            if name in self.form.edit_groups
            for phrase in phrases
            if phrase_in(text, phrase)
        ]
        return max(named)[1] if named else None

    async def _edit_choice(self, turn: Turn, draft: Draft) -> None:
        group = (turn.choice or "").removeprefix("enrol.edit.") or self._field_named(turn.text) or ""
        field = self.form.edit_groups.get(group)
        if field is None:
            turn.say("enrol_edit_unknown", text=turn.text)
            self._edit_menu(turn)
            return
        await self._edit(turn, draft, field.name)

    async def _edit(self, turn: Turn, draft: Draft, name: str) -> None:
        """Asks the field again: its answers are cleared, the rest stays."""
        field = self.form.edit_groups[name]
        draft.clear(*field.answers)
        draft.touch(turn.now)
        await self._advance(turn, draft)

    async def _submit(self, turn: Turn, draft: Draft, *, chat: bool = True) -> SubmitResult:
        result = await submit(turn, draft, self.form)
        if chat:  # the chat's summary answered (a native form counts its own sending)
            await self._event(turn, draft, "summary", "completed")
        turn.state.data.pop("draft", None)
        if result.duplicate:
            context = duplicate_context(turn, result.submission)
            if chat and not context["own"]:  # taken meanwhile by someone else: the NIK again
                draft.clear("nik", "nik_facts")
                turn.state.data["draft"] = draft.raw
                turn.say("enrol_nik_taken", (turn.option("menu.callback", "callback"),))
                await self._advance(turn, draft)
                return result
            await self._finish(turn, "enrol_duplicate", **context)
            return result
        turn.say("enrol_submitted", **result.context)
        if turn.contact.announcements:
            turn.state.reset()
            say_menu(turn)
        else:
            ask_announcements(turn)
        return result

    # --- back, cancel, resume ----------------------------------------------------------------

    async def back(self, turn: Turn) -> None:
        draft = await self._load(turn)
        if draft is None:
            turn.state.reset()
            say_menu(turn)
            return
        step = turn.state.step
        if step in ("edit_menu", "cancel_confirm", "resume"):
            await self._advance(turn, draft)
            return
        if step == "announce":
            ask_announcements(turn)
            return
        history = draft.history
        if self.form.step(step) is not None and history and history[-1] == step:
            history.pop()
        previous = self.form.step(history.pop()) if history else None
        if previous is None:
            turn.state.reset()
            say_menu(turn)
            return
        draft.clear(*previous.owns)
        draft.touch(turn.now)
        await self._advance(turn, draft)

    async def cancel(self, turn: Turn) -> None:
        draft = await self._load(turn)
        if draft is None or turn.state.step == "announce":
            turn.state.reset()
            say_menu(turn, "cancelled")
            return
        if turn.state.step != "cancel_confirm":
            draft.extra["return_to"] = turn.state.step
        turn.state.step = "cancel_confirm"
        turn.say(
            "enrol_cancel_confirm",
            _choices(turn, "cancel.yes", "cancel.no"),
        )

    async def _cancel_choice(self, turn: Turn, draft: Draft) -> None:
        said = answers(turn.text)
        if turn.choice == "enrol.cancel.yes" or (said & {"yes", "cancel"} and "no" not in said):
            await self._abandon(turn, draft, draft.extra.get("return_to"))
            await self._finish(turn, "cancelled")
        elif turn.choice == "enrol.cancel.no" or said & {"no", "resume"}:
            await self._return(turn, draft)
        else:
            turn.say(
                "enrol_cancel_confirm",
                _choices(turn, "cancel.yes", "cancel.no"),
            )

    async def _return(self, turn: Turn, draft: Draft) -> None:
        """Back to where the person was before a detour (cancel or resume question)."""
        target = draft.extra.pop("return_to", None)
        step = self.form.step(target)
        if step is not None and step.needed(draft):
            await self._ask(turn, draft, step)
        else:
            await self._advance(turn, draft)

    def _offer_resume(self, turn: Turn, draft: Draft) -> None:
        if turn.state.step not in SPECIAL_STEPS:
            draft.extra["return_to"] = turn.state.step or draft.raw.get("step")
        turn.state.flow = self.name
        turn.state.step = "resume"
        answered = self.form.answered(draft)
        turn.say(
            "enrol_resume",
            _choices(turn, "resume", "restart"),
            answered=answered,
            started=draft.created.date(),
        )

    async def _resume_choice(self, turn: Turn, draft: Draft) -> None:
        said = answers(turn.text)
        if turn.choice == "enrol.restart" or "restart" in said:
            await self._abandon(turn, draft, draft.raw.get("step"))
            await self._advance(turn, self._new_draft(turn))
        elif turn.choice == "enrol.resume" or said & {"resume", "yes"}:
            draft.touch(turn.now)
            await self._return(turn, draft)
        else:
            self._offer_resume(turn, draft)

    # --- what the native form shares with the chat (handlers/enrol/native.py) ---------------

    async def draft_for(self, turn: Turn) -> Draft:
        """The person's draft, or a new one: the chat's and the form's are the same."""
        return await self._load(turn) or self._new_draft(turn)

    async def unique(self, turn: Turn, accepted: Accept) -> Accept | Reject | Stop:
        """The duplicate-NIK rule, as the chat applies it."""
        return await self._unique(turn, accepted)

    async def submit_draft(self, turn: Turn, draft: Draft) -> SubmitResult:
        """The complete draft submitted, confirmed and followed as the chat does it."""
        turn.state.flow = self.name
        return await self._submit(turn, draft, chat=False)
