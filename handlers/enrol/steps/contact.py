"""How to reach the person: the mobile number (the one the channel knows is offered as one
tap) and an optional e-mail address."""

from __future__ import annotations

from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.parsers import parse_email, parse_mobile
from handlers.enrol.steps.assisted import is_assisted
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.intents import answers
from handlers.turn import Turn
from handlers.types import Option
from messages.format import format_phone


def known_phone(turn: Turn) -> str | None:
    """A number the channel already knows (WhatsApp sender, Telegram contact), if it is a mobile."""
    for candidate in (turn.inbound.sender_phone, turn.vault.decrypt_optional(turn.contact.phone_enc)):
        if candidate:
            parsed = parse_mobile(candidate)
            if parsed.ok:
                return parsed.value
    return None


def _phone_options(turn: Turn, _draft: Draft) -> list[Option]:
    phone = known_phone(turn)
    return [turn.option("enrol.phone.known", "use_known_phone", phone=format_phone(phone))] if phone else []


def _parse_phone(turn: Turn, _draft: Draft) -> StepOutcome:
    if turn.inbound.kind == "contact" and turn.inbound.phone:
        text = turn.inbound.phone
    elif turn.choice == "enrol.phone.known" and (phone := known_phone(turn)):
        text = phone
    else:
        text = turn.text
    parsed = parse_mobile(text)
    if not parsed.ok or parsed.value is None:
        return Reject("enrol_bad_phone", {"reason": parsed.error})
    shared = parsed.value if turn.inbound.kind == "contact" else None
    return Accept({"phone": parsed.value}, contact_phone=shared)


def _email_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.email.skip", "skip")]


def _parse_email(turn: Turn, draft: Draft) -> StepOutcome:
    no_address = "@" not in turn.text and (answers(turn.text) & {"skip", "no"} or turn.text.strip() == "-")
    if turn.choice == "enrol.email.skip" or no_address:
        return Accept({"email": None})
    parsed = parse_email(turn.text)
    if not parsed.ok:
        return Reject("enrol_bad_email", options=tuple(_email_options(turn, draft)))
    return Accept({"email": parsed.value})


def _phone_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"assisted": is_assisted(draft)}


PHONE = Step(
    "phone", ("phone",), _parse_phone, options=_phone_options, context=_phone_context, ask_phone=True
)
EMAIL = Step("email", ("email",), _parse_email, options=_email_options, skip="enrol.email.skip")
