"""The store: the named operations conversation flows use, bound to one unit of work.

Flows never see a database session; they ask the store. The queries themselves live in
`storage/submissions.py`, `storage/step_events.py`, `storage/callbacks.py`,
`storage/officer_test_chats.py` and `storage/outreach.py`, where the staff side uses them too.
(The engine, which owns the transaction of a message, reads and writes the conversation itself:
`storage/conversation.py`.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import (
    callbacks,
    chat,
    contact_lock,
    conversation,
    forms,
    officer_test_chats,
    outbox,
    step_events,
    submissions,
)
from storage.chat_models import AgentHandoff
from storage.db import Database
from storage.dues import DuesStore
from storage.form_models import FormToken
from storage.models import CallbackRequest, Contact, Conversation, Submission
from storage.outreach import OutreachStore


class Store:
    """What the conversation may read and write, inside the transaction of one message."""

    def __init__(self, session: AsyncSession, agent_codes: Collection[str] = ()) -> None:
        self._session = session
        self._agent_codes = frozenset(code.upper() for code in agent_codes)

    @classmethod
    @asynccontextmanager
    async def transaction(cls, db: Database) -> AsyncIterator[Store]:
        """A store over a new write transaction (for work outside a message, like housekeeping)."""
        async with db.transaction() as session:
            yield cls(session)

    async def open_submission(self, nik_hashes: Collection[str]) -> Submission | None:
        """The submission still standing for this NIK (by its keyed hashes, one per key), if any."""
        return await submissions.find_open_by_nik_hash(self._session, nik_hashes)

    async def add_submission(
        self, submission: Submission, *, actor: str, now: datetime
    ) -> tuple[Submission, bool]:
        """Queues a new submission for its branch under a fresh reference, unless its NIK already
        has an open one: returns (the stored or the existing submission, whether it was a duplicate)."""
        return await submissions.add_unless_open(self._session, submission, actor, now)

    async def submissions_of(self, contact: Contact) -> list[Submission]:
        """The person's submissions that still carry their data (not anonymised), oldest first."""
        assert contact.id is not None
        found = await submissions.submissions_of_contact(self._session, contact.id)
        return [s for s in found if s.anonymised_at is None]

    def audit(self, *, actor: str, action: str, now: datetime, **details: Any) -> None:
        """Records an action on personal data. Pass references and counts, never the data itself."""
        submissions.audit(self._session, actor=actor, action=action, now=now, **details)

    async def erase_personal_data(
        self,
        contact: Contact,
        now: datetime,
        *,
        columns: Collection[str],
        answers: Collection[str],
        note: str,
    ) -> dict[str, int]:
        """`hapus data`: see `storage.submissions.erase_personal_data`."""
        counts = await submissions.erase_personal_data(
            self._session, contact, now, columns=columns, answers=answers, note=note
        )
        assert contact.id is not None
        return {
            **counts,
            "callbacks": await callbacks.erase_callbacks_of(self._session, contact.id),
            "chat_messages": await chat.erase_chat(self._session, contact.id, now),
        }

    async def agent_hold(self, contact: Contact) -> AgentHandoff | None:
        """An officer's hold on the person's chat, open or not (see `storage.chat.is_open`)."""
        assert contact.id is not None
        return await chat.hold_of(self._session, contact.id)

    async def note_for_officer(self, contact: Contact, now: datetime) -> None:
        """The person wrote while an officer holds the chat: it waits in the officer's inbox."""
        assert contact.id is not None
        await chat.note_worker_message(self._session, contact.id, now)

    async def release_agent_hold(self, contact: Contact, now: datetime, reason: str) -> bool:
        """The bot takes the chat back (the officer's quiet time passed)."""
        assert contact.id is not None
        return await chat.release(self._session, contact.id, now, reason)

    async def record_step_event(
        self,
        *,
        draft_id: str,
        step: str,
        event: str,
        channel: str,
        now: datetime,
        contact_id: int | None = None,
        regency_code: str | None = None,
        path: str = "chat",
    ) -> None:
        """Counts a person reaching, completing or abandoning a form step (a screen, on a native
        form's `path`), once per draft, with where the person lives once the draft knows it (the
        report follows the viewer's scope)."""
        await step_events.record_step_event(
            self._session,
            draft_id=draft_id,
            step=step,
            event=event,
            channel=channel,
            now=now,
            contact_id=contact_id,
            regency_code=regency_code,
            path=path,
        )

    def issue_form_token(self, contact: Contact, now: datetime, lifetime: timedelta) -> str:
        """A token that opens the native form for this person until `lifetime` has passed."""
        return forms.issue_token(
            self._session,
            channel=contact.channel,
            chat_id=contact.chat_id,
            contact_id=contact.id,
            now=now,
            lifetime=lifetime,
        )

    async def form_token(self, token: str) -> FormToken | None:
        """The issued form token (to mark opened or completed in this transaction), or None."""
        return await forms.find_token(self._session, token)

    async def messages_since(self, contact: Contact, since: datetime) -> int:
        """How many messages the person sent from `since` on."""
        assert contact.id is not None
        return await forms.messages_since(self._session, contact.id, since)

    async def stale_conversations(self, before: datetime) -> Sequence[Conversation]:
        """Conversations untouched since `before`: candidates for purging an expired draft (not
        locked: change one after `locked_conversation`)."""
        return await conversation.stale_conversations(self._session, before)

    async def locked_conversation(self, contact_id: int) -> Conversation | None:
        """The person's conversation as it is now, their contact locked as a message's turn locks
        it (work outside a message: `storage.contact_lock`)."""
        return await contact_lock.locked_conversation(self._session, contact_id)

    async def attribution_code_exists(self, code: str) -> bool:
        """Whether `code` names an agent (messages/agents.toml) or a socialization session."""
        return code.upper() in self._agent_codes or await self.outreach.by_code(code) is not None

    def send_later(
        self, contact: Contact, payload: dict[str, Any], *, priority: int, at: datetime, now: datetime
    ) -> None:
        """A message to the person at `at` (not before): the sender delivers it when it is due,
        like any other outbox row ("hapus data" empties it, as every message to the person)."""
        assert contact.id is not None
        message = outbox.enqueue(
            self._session,
            channel=contact.channel,
            chat_id=contact.chat_id,
            contact_id=contact.id,
            payload=payload,
            priority=priority,
            now=now,
        )
        message.next_attempt_at = at

    def request_callback(self, request: CallbackRequest) -> None:
        """Queues "minta ditelepon" for the branch (storage.callbacks.callback_queue lists it)."""
        callbacks.add_callback_request(self._session, request)

    async def link_test_chat(
        self, code: str, *, channel: str, chat_id: str, now: datetime
    ) -> officer_test_chats.Linked | None:
        """An officer's "UJI <code>": links this chat as their "kirim uji" chat when the code is
        valid and unexpired (it is then used up); None otherwise."""
        return await officer_test_chats.redeem_code(
            self._session, code, channel=channel, chat_id=chat_id, now=now
        )

    @property
    def dues(self) -> DuesStore:
        """Payment reminders: the person's registered submissions, "sudah bayar", "berhenti
        ingatkan", the answer to "kenapa belum bayar?"."""
        return DuesStore(self._session)

    @property
    def outreach(self) -> OutreachStore:
        """Socialization sessions: listings, reservations, attendance, follow-up answers."""
        return OutreachStore(self._session)
