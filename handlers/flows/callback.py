"""`petugas` / "minta ditelepon": a callback request the person's branch sees in its queue.

Asks what is needed (the number, where they live, their question) and stores a
`CallbackRequest` for the branch that serves them. Where no branch is configured, the
request is kept but no call is promised: the person is told to contact BPJS Ketenagakerjaan.
"""

from __future__ import annotations

from datetime import date

from lokal import add_working_days

from handlers.branches import branch_map
from handlers.enrol.parsers import parse_mobile
from handlers.enrol.steps.contact import known_phone
from handlers.flow import Unclear, say_menu
from handlers.regions import region, search_regencies
from handlers.turn import Turn
from handlers.types import Option
from messages.format import format_phone
from storage.models import CallbackRequest

QUESTION_MIN, QUESTION_MAX = 3, 500


class CallbackFlow:
    name = "callback"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        phone = known_phone(turn) or self._draft_phone(turn) or await self._past_phone(turn)
        turn.state.data["callback"] = {"phone": phone, "regency": await self._regency(turn)}
        await self._next(turn)

    @staticmethod
    def _draft_phone(turn: Turn) -> str | None:
        """The number given in an unfinished enrolment (kept encrypted there)."""
        sealed = ((turn.state.data.get("draft") or {}).get("answers") or {}).get("phone")
        return turn.vault.decrypt(sealed) if isinstance(sealed, str) else None

    @staticmethod
    async def _past_phone(turn: Turn) -> str | None:
        """The number of their latest submission, if they signed up before."""
        past = await turn.store.submissions_of(turn.contact)
        return turn.vault.decrypt_optional(past[-1].phone_enc) if past else None

    async def _regency(self, turn: Turn) -> str | None:
        """Where they live, if the conversation already knows: a draft, or a past sign-up."""
        draft = turn.state.data.get("draft") or {}
        if regency := (draft.get("answers") or {}).get("regency"):
            return str(regency)
        past = await turn.store.submissions_of(turn.contact)
        return past[-1].regency_code if past else None

    async def _next(self, turn: Turn) -> None:
        data = turn.state.data["callback"]
        if data["phone"] is None:
            turn.state.step = "phone"
            turn.say("callback_ask_phone", ask_phone=True)
        elif data["regency"] is None:
            turn.state.step = "regency"
            turn.say("callback_ask_regency")
        else:
            turn.state.step = "question"
            turn.say("callback_ask_question")

    async def handle(self, turn: Turn) -> Unclear | None:
        data = turn.state.data.setdefault("callback", {"phone": None, "regency": None})
        step = turn.state.step
        if step == "phone":
            text = turn.inbound.phone if turn.inbound.kind == "contact" and turn.inbound.phone else turn.text
            parsed = parse_mobile(text or "")
            if parsed.value is None:
                return Unclear.say("enrol_bad_phone", reason=parsed.error)
            data["phone"] = parsed.value
        elif step == "regency":
            chosen = region(turn.choice.removeprefix("callback.regency.")) if turn.choice else None
            found = [chosen] if chosen else search_regencies(turn.text)
            if not found:
                return Unclear.say("enrol_region_not_found", level="regency", text=turn.text)
            if len(found) > 1:
                options = tuple(Option(f"callback.regency.{r.code}", r.label, r.parent) for r in found[:10])
                return Unclear.say("enrol_region_choose", options, level="regency")
            data["regency"] = found[0].code
        elif step == "question":
            question = " ".join(turn.text.split())
            if len(question) < QUESTION_MIN:  # still the question step: nothing else reads it
                turn.say("callback_ask_question")
                return None
            if len(question) > QUESTION_MAX:  # kept, shortened, and the person is told so
                question = question[:QUESTION_MAX].rsplit(" ", 1)[0] + " …"
                turn.say("callback_question_shortened", limit=QUESTION_MAX)
            self._store(turn, data, question)
            return None
        await self._next(turn)
        return None

    def _store(self, turn: Turn, data: dict[str, str], question: str) -> None:
        branch = branch_map().for_regency(data["regency"])
        turn.store.request_callback(
            CallbackRequest(
                contact_id=turn.contact.id,
                channel=turn.inbound.channel,
                branch_code=branch.code,
                regency_code=data["regency"],
                phone_enc=turn.vault.encrypt(data["phone"]),
                question_enc=turn.vault.encrypt(question),
                created_at=turn.now,
            )
        )
        days = turn.rules.callback_working_days
        turn.state.data.pop("callback", None)
        turn.state.reset()
        say_menu(
            turn,
            "callback_requested",
            branch=branch,
            phone=format_phone(data["phone"]),
            call_by=date.fromisoformat(add_working_days(turn.today.isoformat(), days)),
            working_days=days,
        )

    async def reprompt(self, turn: Turn) -> None:
        await self._next(turn)
