"""The person's rights under UU PDP: see what is held (`data saya`) and delete it (`hapus data`)."""

from __future__ import annotations

from typing import Any

from handlers.enrol.steps import national
from handlers.flow import Unclear, has_draft, say_menu
from handlers.intents import answers
from handlers.turn import Turn
from handlers.types import Option
from messages.form_labels import button
from storage.crypto import mask_nik
from storage.models import Submission
from storage.submissions import audit, erase_personal_data, submissions_of_contact


def _confirm_options() -> list[Option]:
    return [
        Option("privacy.delete.yes", button("delete_yes")),
        Option("privacy.delete.no", button("delete_no")),
    ]


class PrivacyFlow:
    name = "privacy"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        if topic == "delete":
            turn.state.flow, turn.state.step = self.name, "confirm_delete"
            turn.say("privacy_delete_confirm", _confirm_options())
            return
        await self._view(turn)

    async def _view(self, turn: Turn) -> None:
        assert turn.contact.id is not None
        submissions = [
            self._readable(turn, s)
            for s in await submissions_of_contact(turn.store.session, turn.contact.id)
            if s.anonymised_at is None
        ]
        audit(
            turn.store.session,
            actor=f"peserta:{turn.inbound.channel}",
            action="data_view",
            now=turn.now,
            contact_id=turn.contact.id,
            submissions=[s["reference"] for s in submissions],
        )
        turn.state.reset()
        say_menu(
            turn,
            "privacy_view",
            submissions=submissions,
            contact_phone=national(turn.contact.phone) if turn.contact.phone else None,
            announcements=turn.contact.announcements,
            has_draft=has_draft(turn),
        )

    @staticmethod
    def _readable(turn: Turn, submission: Submission) -> dict[str, Any]:
        vault = turn.vault
        return {
            "reference": submission.reference,
            "status": submission.status,
            "nik": mask_nik(vault.decrypt(submission.nik_enc)) if submission.nik_enc else "-",
            "full_name": vault.decrypt_optional(submission.full_name_enc),
            "birth_date": submission.birth_date,
            "phone": national(vault.decrypt(submission.phone_enc)) if submission.phone_enc else "-",
            "address": vault.decrypt_optional(submission.address_enc),
            "district": submission.district_name,
            "regency": submission.regency_name,
            "income": submission.income,
            "email": vault.decrypt_optional(submission.email_enc),
        }

    async def handle(self, turn: Turn) -> Unclear | None:
        said = answers(turn.text)
        if turn.choice == "privacy.delete.yes" or said & {"yes", "delete"}:
            counts = await erase_personal_data(turn.store.session, turn.contact, turn.now)
            audit(
                turn.store.session,
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
        return Unclear.say("enrol_bad_choice", tuple(_confirm_options()))

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn, "delete" if turn.state.step == "confirm_delete" else None)
