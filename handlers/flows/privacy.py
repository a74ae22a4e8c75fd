"""The person's rights under UU PDP: see what is held (`data saya`) and delete it (`hapus data`)."""

from __future__ import annotations

from typing import Any

from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from handlers.flow import Unclear, has_draft, say_menu
from handlers.intents import answers
from handlers.turn import Turn
from handlers.types import Option
from messages.data import DEFAULT_LANGUAGE
from messages.form_labels import form_labels
from messages.format import format_phone


def _confirm_options(turn: Turn) -> list[Option]:
    return [
        turn.option("privacy.delete.yes", "delete_yes"),
        turn.option("privacy.delete.no", "delete_no"),
    ]


class PrivacyFlow:
    name = "privacy"

    def __init__(self, form: Form = FORM) -> None:
        self.form = form

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        if topic == "delete":
            turn.state.flow, turn.state.step = self.name, "confirm_delete"
            turn.say("privacy_delete_confirm", _confirm_options(turn))
            return
        await self._view(turn)

    async def _view(self, turn: Turn) -> None:
        submissions: list[dict[str, Any]] = [
            {
                "reference": s.reference,
                "status": s.status,
                "lines": self.form.summary(self.form.read(s, turn.vault), turn.lang),
            }
            for s in await turn.store.submissions_of(turn.contact)
        ]
        turn.store.audit(
            actor=f"peserta:{turn.inbound.channel}",
            action="data_view",
            now=turn.now,
            contact_id=turn.contact.id,
            submissions=[s["reference"] for s in submissions],
        )
        turn.state.reset()
        phone = turn.vault.decrypt_optional(turn.contact.phone_enc)
        say_menu(
            turn,
            "privacy_view",
            submissions=submissions,
            contact_phone=format_phone(phone) if phone else None,
            announcements=turn.contact.announcements,
            has_draft=has_draft(turn),
        )

    async def handle(self, turn: Turn) -> Unclear | None:
        said = answers(turn.text)
        if turn.choice == "privacy.delete.yes" or said & {"yes", "delete"}:
            counts = await turn.store.erase_personal_data(
                turn.contact,
                turn.now,
                columns=self.form.erased_columns,
                answers=self.form.erased_answers,
                # A line of the history staff read: in Indonesian, whatever the person's language.
                note=form_labels(DEFAULT_LANGUAGE)["notes"]["erased_on_request"],
            )
            turn.store.audit(
                actor=f"peserta:{turn.inbound.channel}",
                action="data_delete",
                now=turn.now,
                contact_id=turn.contact.id,
                **counts,
            )
            turn.state.data.pop("draft", None)
            turn.state.reset()
            say_menu(turn, "privacy_deleted")
            return None
        if turn.choice == "privacy.delete.no" or "no" in said:
            turn.state.reset()
            say_menu(turn)
            return None
        return Unclear.say("enrol_bad_choice", tuple(_confirm_options(turn)))

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn, "delete" if turn.state.step == "confirm_delete" else None)
