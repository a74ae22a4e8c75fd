"""The agent inbox: an officer talks to the worker in the worker's own chat.

`AgentInbox` is its one entry point for the pages, the API and the tests, built over the
back office's database, keys, channels and sender (`AgentInbox.of(backoffice)`). Each method
is one transaction and takes the caller's `Access`: another branch's submission or callback
request is `NotFound`, exactly like one that does not exist.

- `conversation`: the worker's chat with the bot and with officers (audited, data masked);
- `send`: a message in the worker's chat (the bot steps aside there: `storage.chat`);
- `close`: the bot answers again (so does AGENT_HANDBACK_MINUTES without an officer's message);
- `inbox`: the chats officers hold, those waiting for an answer first;
- `run_macro`, `saved_replies`, `save_reply`, `remove_reply`: one-click steps and texts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dashboard.service import auditlog
from dashboard.service.access import Access
from dashboard.service.inbox import listing, macros, reply, saved
from dashboard.service.inbox.listing import Inbox, InboxItem
from dashboard.service.inbox.macros import Macro
from dashboard.service.inbox.reply import Sent
from dashboard.service.inbox.saved import SavedReplyItem
from dashboard.service.inbox.subject import Target, subject_of
from dashboard.service.inbox.transcript import ChatLine, Conversation, holder, lines
from handlers.channels import Catalogue
from storage import chat
from storage.crypto import Vault
from storage.db import Database
from storage.types import utcnow

if TYPE_CHECKING:
    from dashboard.service.backoffice import Backoffice

__all__ = ["AgentInbox", "ChatLine", "Conversation", "Inbox", "InboxItem", "Macro", "SavedReplyItem", "Sent"]


class AgentInbox:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        channels: Catalogue,
        *,
        handback_minutes: int = 60,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[str], None] | None = None,
    ) -> None:
        self.db, self.vault, self.channels = db, vault, channels
        self.quiet = timedelta(minutes=handback_minutes)
        self.clock, self.wake = clock, wake

    @classmethod
    def of(cls, backoffice: Backoffice) -> AgentInbox:
        return cls(
            backoffice.db,
            backoffice.vault,
            backoffice.channels,
            handback_minutes=backoffice.rules.agent_handback_minutes,
            clock=backoffice.clock,
            wake=backoffice.wake,
        )

    async def conversation(self, access: Access, target: Target) -> Conversation:
        """The worker's chat, oldest first (the newest 200 messages). Audited; marks it read."""
        now = self.clock()
        async with self.db.transaction() as session:
            subject = await subject_of(session, access, target)
            contact = subject.contact
            messages, hold = [], None
            if contact is not None and contact.id is not None:
                messages = await chat.messages_of(session, contact.id)
                hold = await chat.hold_of(session, contact.id)
                if hold is not None:
                    await chat.mark_read(session, contact.id)
            auditlog.record(
                session,
                access,
                "conversation_viewed",
                now=now,
                branch=subject.branch_code,
                messages=len(messages),
                **subject.audit,
            )
            return Conversation(
                items=lines(messages, self.vault),
                held_by=holder(hold, chat.is_open(hold, now, self.quiet)),
                channel=self.channels.display(contact.channel) if contact is not None else None,
                reference=subject.reference,
                callback_id=subject.callback_id,
                reachable=contact is not None,
            )

    async def send(self, access: Access, target: Target, text: str) -> Sent:
        """The officer's message in the worker's chat (202 on the API): see `reply.send`."""
        async with self.db.transaction() as session:
            subject = await subject_of(session, access, target)
            sent = await reply.send(
                session, access, self.vault, self.channels, subject, text, now=self.clock(), quiet=self.quiet
            )
        self._wake(sent.channel)
        return sent

    async def close(self, access: Access, target: Target) -> bool:
        """The bot answers the chat again (and tells the worker); False when nobody held it."""
        async with self.db.transaction() as session:
            subject = await subject_of(session, access, target)
            closed = await reply.close(session, access, self.vault, self.channels, subject, self.clock())
        if closed and subject.contact is not None:
            self._wake(subject.contact.channel)
        return closed

    async def inbox(self, access: Access, officer: str | None = None) -> Inbox:
        async with self.db.reader() as session:
            return await listing.inbox(
                session, access, self.channels, now=self.clock(), quiet=self.quiet, officer=officer
            )

    def macros(self) -> tuple[Macro, ...]:
        return macros.macros()

    async def run_macro(self, access: Access, reference: str, macro_id: str) -> Sent:
        step = macros.macro(macro_id)
        async with self.db.transaction() as session:
            sent = await macros.run(
                session,
                access,
                self.vault,
                self.channels,
                reference,
                step,
                now=self.clock(),
                quiet=self.quiet,
            )
        self._wake(sent.channel)
        return sent

    async def saved_replies(self, access: Access, branch: str | None = None) -> list[SavedReplyItem]:
        async with self.db.reader() as session:
            return await saved.listing(session, access, branch)

    async def send_saved(self, access: Access, target: Target, reply_id: int) -> Sent:
        """Sends one of the branch's saved replies (another branch's is NotFound)."""
        async with self.db.reader() as session:
            text = (await saved.one(session, access, reply_id)).text
        return await self.send(access, target, text)

    async def save_reply(
        self,
        access: Access,
        *,
        title: str | None,
        text: str | None,
        reply_id: int | None = None,
        branch: str | None = None,
    ) -> SavedReplyItem:
        async with self.db.transaction() as session:
            return await saved.save(
                session, access, title=title, text=text, now=self.clock(), reply_id=reply_id, branch=branch
            )

    async def remove_reply(self, access: Access, reply_id: int) -> None:
        async with self.db.transaction() as session:
            await saved.remove(session, access, reply_id, self.clock())

    def _wake(self, channel: str) -> None:
        if self.wake is not None:
            self.wake(channel)
