"""The question after a session to attendees who have not registered: why not yet?

One question with seven answers. Every answer gets a useful reply (the calculator for "berat",
the benefits for "manfaat", the form with an offer of help for "sulit"), and "sulit" or a
request for help puts a callback task in the branch's queue. The scheduler sends the question
(`dashboard.service.reminders`) and puts the conversation on it; option ids carry the session.
"""

from __future__ import annotations

from handlers.branches import branch_map
from handlers.flow import Unclear, say_menu
from handlers.flows.benefits import BenefitsFlow, price_context
from handlers.flows.calculator import CalculatorFlow
from handlers.flows.sessions import view
from handlers.intents import answers, match_command
from handlers.turn import Turn, option
from handlers.types import Option
from messages.data import DEFAULT_LANGUAGE
from messages.render import label, render
from storage.models import CallbackRequest
from storage.outreach_models import SocialSession

REASONS = ("berat", "manfaat", "sulit", "nik", "nanti", "sudah", "lainnya")
CALLBACK_REASONS = frozenset({"sulit"})
SESSION = "followup_session"


def followup_options(session_id: int, lang: str = DEFAULT_LANGUAGE) -> list[Option]:
    """The seven answers to the question, in `lang` (the scheduler asks it: dashboard.service.reminders)."""
    return [option(f"followup.{reason}.{session_id}", f"followup_{reason}", lang=lang) for reason in REASONS]


def _parse(choice: str) -> tuple[str, int] | None:
    parts = choice.split(".")
    if len(parts) == 3 and parts[0] == "followup" and parts[1] in REASONS and parts[2].isdigit():
        return parts[1], int(parts[2])
    return None


class FollowupFlow:
    name = "followup"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        """Only the scheduler enters this flow (with the question); from a menu there is nothing."""
        say_menu(turn)

    async def handle(self, turn: Turn) -> Unclear | None:
        if turn.state.step == "other" and turn.text and not turn.choice:
            await self._other(turn)
            return None
        if turn.choice and _parse(turn.choice):
            await self._answer(turn, turn.choice)
            return None
        session_id = int(turn.state.data.get(SESSION, 0))
        return Unclear.say("pick_option", tuple(followup_options(session_id, turn.lang)))

    async def reprompt(self, turn: Turn) -> None:
        """After "bantuan": that is a request for help, so an officer calls back."""
        if match_command(turn.text) == "help" and turn.state.data.get(SESSION):
            social = await self._social(turn, int(turn.state.data[SESSION]))
            if social is not None:
                await self._record(turn, social, "lainnya", turn.text, callback=True)
                return
        turn.say("followup_ask_again", followup_options(int(turn.state.data.get(SESSION, 0)), turn.lang))

    async def _social(self, turn: Turn, session_id: int) -> SocialSession | None:
        return await turn.store.outreach.get(session_id)

    async def _answer(self, turn: Turn, choice: str) -> None:
        parsed = _parse(choice)
        if parsed is None:
            return
        reason, session_id = parsed
        social = await self._social(turn, session_id)
        turn.state.reset()
        if social is None:
            say_menu(turn)
            return
        if reason == "lainnya":
            turn.state.flow, turn.state.step = self.name, "other"
            turn.state.data[SESSION] = session_id
            await self._store(turn, social, reason, None)
            turn.say("followup_lainnya")
            return
        await self._store(turn, social, reason, None)
        if reason in CALLBACK_REASONS:
            self._callback(turn, social, reason)
        await self._reply(turn, social, reason)

    async def _reply(self, turn: Turn, social: SocialSession, reason: str) -> None:
        if reason == "berat":
            prices = price_context(turn)
            cheapest, normal = prices["cheapest"], prices["normal"]
            turn.say("followup_berat", cheapest=normal, discounted=cheapest if cheapest < normal else None)
            await CalculatorFlow().start(turn)
        elif reason == "manfaat":
            turn.say("followup_manfaat")
            await BenefitsFlow().start(turn)
        elif reason == "sulit":
            turn.say(
                "followup_sulit",
                [turn.option("menu.enrol", "enrol"), turn.option("menu.menu", "menu")],
                branch=self._branch(social),
                working_days=turn.rules.callback_working_days,
            )
        else:
            say_menu(turn, f"followup_{reason}")

    async def _other(self, turn: Turn) -> None:
        session_id = int(turn.state.data.get(SESSION, 0))
        social = await self._social(turn, session_id)
        turn.state.reset()
        if social is None:
            say_menu(turn)
            return
        asks_help = "help" in answers(turn.text)
        await self._record(turn, social, "lainnya", turn.text, callback=asks_help)

    async def _record(
        self, turn: Turn, social: SocialSession, reason: str, text: str | None, *, callback: bool
    ) -> None:
        turn.state.reset()
        await self._store(turn, social, reason, text)
        if callback:
            self._callback(turn, social, "bantuan")
        say_menu(
            turn,
            "followup_thanks",
            callback=callback,
            branch=self._branch(social),
            working_days=turn.rules.callback_working_days,
        )

    async def _store(self, turn: Turn, social: SocialSession, reason: str, text: str | None) -> None:
        assert turn.contact.id is not None
        await turn.store.outreach.answer_followup(social, turn.contact.id, reason, text, turn.now)

    def _callback(self, turn: Turn, social: SocialSession, reason: str) -> None:
        """An officer of the session's branch calls back (the branch's "minta ditelepon" queue)."""
        # The officer reads it: in Indonesian, whatever the person's language.
        reason_label = label(f"followup_{reason}", DEFAULT_LANGUAGE)
        question = render("followup_callback_note", DEFAULT_LANGUAGE, s=view(social), reason=reason_label)
        turn.store.request_callback(
            CallbackRequest(
                contact_id=turn.contact.id,
                channel=turn.inbound.channel,
                branch_code=social.branch_code,
                regency_code=social.regency_code,
                session_id=social.id,
                phone_enc=turn.contact.phone_enc,
                question_enc=turn.vault.encrypt(question),
                created_at=turn.now,
            )
        )

    @staticmethod
    def _branch(social: SocialSession) -> str:
        return branch_map().get(social.branch_code).name
