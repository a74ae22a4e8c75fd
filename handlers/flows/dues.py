"""The answers to a payment reminder and to "kenapa belum bayar?".

The scheduler (`dashboard.service.payment_reminders`) sends the messages and puts the
conversation here. "Sudah bayar" (a tap, or typed in any language: intent `paid`) moves "paid
until" on by the period the worker chose, marked as the worker's word until the next import
confirms or corrects it; "berhenti ingatkan" (intent `stop_reminders`) stops the reminders. To
"kenapa belum bayar?" the worker picks a reason (kept for the branch's reports), and may ask how
to pay or for a call (the branch's "minta ditelepon" queue). Option ids carry the submission,
which must be the person's own.
"""

from __future__ import annotations

from handlers.dues import Account, account_of, price_due
from handlers.flow import Unclear, say_menu
from handlers.intents import match_intent
from handlers.turn import Turn, option
from handlers.types import Option
from messages.data import DEFAULT_LANGUAGE
from messages.payment import payment_data
from messages.render import label, render
from storage.coverage_models import Coverage
from storage.models import CallbackRequest, Submission

ARREARS_REASONS = ("kurang_uang", "tidak_tahu", "lupa", "pindah", "tidak_lanjut", "lainnya")
"""Why a worker has not paid: money is short this month, did not know how, forgot, moved away,
no longer wants it, other."""
SUBMISSION = "dues_submission"
FLOW = "dues"


def reminder_options(submission_id: int, lang: str = DEFAULT_LANGUAGE) -> list[Option]:
    return [
        option(f"dues.paid.{submission_id}", "dues_paid", lang=lang),
        option(f"dues.stop.{submission_id}", "dues_stop", lang=lang),
    ]


def arrears_options(submission_id: int, lang: str = DEFAULT_LANGUAGE) -> list[Option]:
    return [
        *(option(f"dues.why.{r}.{submission_id}", f"dues_why_{r}", lang=lang) for r in ARREARS_REASONS),
        option(f"dues.how.{submission_id}", "dues_how", lang=lang),
        option(f"dues.call.{submission_id}", "dues_call", lang=lang),
    ]


def _parse(choice: str) -> tuple[str, str | None, int] | None:
    """("paid" | "stop" | "how" | "call" | "why", reason, submission id) of an option id."""
    parts = choice.split(".")
    actions = ("paid", "stop", "how", "call")
    if len(parts) == 3 and parts[0] == FLOW and parts[1] in actions and parts[2].isdigit():
        return parts[1], None, int(parts[2])
    if len(parts) == 4 and parts[:2] == [FLOW, "why"] and parts[2] in ARREARS_REASONS and parts[3].isdigit():
        return "why", parts[2], int(parts[3])
    return None


class DuesFlow:
    name = FLOW

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        """Typed "sudah bayar" (topic "paid") or "berhenti ingatkan" ("stop"), anywhere."""
        mine = await turn.store.dues.registered_of(turn.contact)
        if not mine:
            say_menu(turn, "dues_none")
            return
        await self._act(turn, "stop" if topic == "stop" else "paid", None, *mine[0])

    async def handle(self, turn: Turn) -> Unclear | None:
        parsed = _parse(turn.choice) if turn.choice else None
        if parsed is not None:
            action, reason, submission_id = parsed
            mine = dict((s.id, (s, c)) for s, c in await turn.store.dues.registered_of(turn.contact))
            if submission_id not in mine:
                turn.state.reset()
                say_menu(turn, "dues_none")
                return None
            await self._act(turn, action, reason, *mine[submission_id])
            return None
        intent = match_intent(turn.text) if turn.text else None
        if intent in ("paid", "stop_reminders"):
            await self.start(turn, "stop" if intent == "stop_reminders" else "paid")
            return None
        submission_id = int(turn.state.data.get(SUBMISSION, 0))
        options = arrears_options if turn.state.step == "arrears" else reminder_options
        return Unclear.say("pick_option", tuple(options(submission_id, turn.lang)))

    async def reprompt(self, turn: Turn) -> None:
        submission_id = int(turn.state.data.get(SUBMISSION, 0))
        options = arrears_options if turn.state.step == "arrears" else reminder_options
        turn.say("pick_option", options(submission_id, turn.lang))

    async def _act(
        self, turn: Turn, action: str, reason: str | None, submission: Submission, coverage: Coverage
    ) -> None:
        assert submission.id is not None
        turn.state.reset()
        account = account_of(submission, coverage)
        if action == "paid":
            until = account.paid_to_after()
            turn.store.dues.paid(coverage, until, turn.now)
            turn.store.audit(actor="worker", action="paid_said", now=turn.now, reference=submission.reference)
            after = Account(account.registered_on, account.period_months, until, account.sponsored_until)
            say_menu(turn, "dues_paid", until=until, next_due=after.next_due())
        elif action == "stop":
            await turn.store.dues.stop(submission.id, turn.now)
            say_menu(turn, "dues_stopped")
        elif action == "how":
            self._how(turn, submission, account)
        elif action == "call":
            self._callback(turn, submission, reason)
            say_menu(turn, "dues_call", working_days=turn.rules.callback_working_days)
        else:
            assert reason is not None
            await turn.store.dues.answer_arrears(submission.id, reason, turn.now)
            if reason == "tidak_lanjut":
                await turn.store.dues.stop(submission.id, turn.now)
            if reason in ("tidak_tahu", "lupa"):
                self._how(turn, submission, account, thanks=True)
                return
            options = [
                turn.option(f"dues.how.{submission.id}", "dues_how"),
                turn.option(f"dues.call.{submission.id}", "dues_call"),
                turn.option("menu.menu", "menu"),
            ]
            turn.state.flow, turn.state.step = self.name, "after"
            turn.state.data[SUBMISSION] = submission.id
            turn.say("dues_arrears_thanks", options, reason=reason, late=payment_data().late)

    def _how(self, turn: Turn, submission: Submission, account: Account, *, thanks: bool = False) -> None:
        income = submission.reported_income_enc
        price = price_due(submission, account, int(turn.vault.decrypt(income)) if income else 0)
        first = account.first_unpaid_month()
        say_menu(
            turn,
            "dues_how",
            price=price,
            first=first,
            due=account.next_due(),
            thanks=thanks,
            places=payment_data().confirmed,
        )

    def _callback(self, turn: Turn, submission: Submission, reason: str | None) -> None:
        # The officer reads it: in Indonesian, whatever the person's language.
        note = render(
            "dues_callback_note",
            DEFAULT_LANGUAGE,
            reference=submission.reference,
            reason=label(f"dues_why_{reason}", DEFAULT_LANGUAGE) if reason else None,
        )
        turn.store.request_callback(
            CallbackRequest(
                contact_id=turn.contact.id,
                channel=turn.inbound.channel,
                branch_code=submission.branch_code,
                regency_code=submission.regency_code,
                phone_enc=turn.contact.phone_enc,
                question_enc=turn.vault.encrypt(note),
                created_at=turn.now,
            )
        )
