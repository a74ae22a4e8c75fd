"""Keeping an accepted answer: the one place where the chat and a native form change the draft
with what a step's parser accepted (parsers themselves change nothing)."""

from __future__ import annotations

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept
from handlers.turn import Turn


def keep(accepted: Accept, turn: Turn, draft: Draft) -> None:
    """Stores the answer in the draft, forgets the notes it settles, and keeps a number the
    platform vouched for on the contact."""
    draft.clear(*accepted.clear)
    draft.update(accepted.values)
    for note in accepted.forget:
        draft.extra.pop(note, None)
    if accepted.contact_phone:
        turn.contact.phone_enc = turn.vault.encrypt(accepted.contact_phone)
