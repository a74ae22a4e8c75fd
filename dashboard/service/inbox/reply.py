"""An officer writes in the worker's chat, and hands it back to the bot.

A message goes through the outbox like any reply (the sender keeps the platform's limits), in
the transaction that opens or renews the officer's hold (`storage.chat.take`), and is kept in
the conversation. Where the channel has a customer-service window (WhatsApp: 24 hours after
the worker's last message) and it has closed, the message waits ("waiting", released when the
worker writes: `storage.conversation.resume_waiting`) behind an invitation to reply, which the
sender carries in the approved template (WHATSAPP_TEMPLATE_AGENT, else the notification one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import Access
from dashboard.service.errors import InvalidInput, Refused
from dashboard.service.inbox.subject import Subject
from dashboard.service.texts import refusal
from handlers.branches import branch_map
from handlers.channels import Catalogue
from handlers.types import Priority, Reply
from messages.render import render
from storage import chat, outbox
from storage.crypto import Vault
from storage.models import Contact, OutboxMessage
from storage.text_guard import typed_text_ok

MESSAGE_MAX = 1000
WINDOW_MARGIN = timedelta(minutes=5)
"""Our clock notes a message a little after the person sent it: free text stops a bit early."""
AGENT_TEMPLATE = "agent"
"""`payload["template"]` of an invitation: the sender uses the agent template for it."""

QUEUED = "queued"
"""On its way (free text)."""
AWAITING_REPLY = "awaiting_reply"
"""The window had closed: the invitation goes now, the message when the worker answers."""


@dataclass(frozen=True)
class Sent:
    id: int
    status: str
    channel: str


def clean_text(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput("text", refusal("message_empty"))
    if len(cleaned) > MESSAGE_MAX or not typed_text_ok(cleaned):
        raise InvalidInput("text", refusal("message_too_long", limit=str(MESSAGE_MAX)))
    return cleaned


def window_open(contact: Contact, channels: Catalogue, now: datetime) -> bool:
    """Whether free text reaches the person now (always, on a channel without a window)."""
    info = channels.get(contact.channel)
    if info is None or info.reply_window_hours is None:
        return True
    last = contact.last_inbound_at
    return last is not None and now - last < timedelta(hours=info.reply_window_hours) - WINDOW_MARGIN


def reachable(subject: Subject) -> Contact:
    if subject.contact is None or subject.contact.id is None:
        raise Refused(refusal("chat_unreachable"))
    return subject.contact


async def send(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    channels: Catalogue,
    subject: Subject,
    text: str,
    *,
    now: datetime,
    quiet: timedelta,
) -> Sent:
    """Queues the officer's message to the worker; the bot steps aside in that chat."""
    text = clean_text(text)
    contact = reachable(subject)
    assert contact.id is not None
    opened = await chat.take(
        session,
        contact.id,
        branch_code=subject.branch_code,
        officer_id=access.account_id,
        officer=access.username,
        now=now,
        quiet=quiet,
        submission_id=subject.submission_id,
        callback_id=subject.callback_id,
    )
    free = window_open(contact, channels, now)
    invite = not free and not await _held_back(session, contact)  # one invitation until they answer
    branch = branch_map().get(subject.branch_code)
    said: list[tuple[str, str | None]] = []
    if opened:
        said.append((render("agent_joined", contact.language, branch=branch), None))
    said.append((text, access.username))
    queued = [_queue(session, contact, Reply(line).to_payload(), now, held=not free) for line, _ in said]
    if invite:
        text_of_invite = render("agent_invite", contact.language, branch=branch, reference=subject.reference)
        payload = {**Reply(text_of_invite).to_payload(), "template": AGENT_TEMPLATE}
        _queue(session, contact, payload, now, held=False, priority=Priority.NOTIFICATION)
    await chat.add_messages(
        session,
        [
            chat.message_row(
                contact.id,
                "out",
                vault.encrypt(line),
                now,
                officer_id=access.account_id if by else None,
                officer=by,
            )
            for line, by in said
        ],
    )
    status = QUEUED if free else AWAITING_REPLY
    auditlog.record(session, access, "agent_message", now=now, branch=subject.branch_code, **subject.audit)
    await session.flush()
    assert queued[-1].id is not None
    return Sent(queued[-1].id, status, contact.channel)


async def close(
    session: AsyncSession, access: Access, vault: Vault, channels: Catalogue, subject: Subject, now: datetime
) -> bool:
    """The officer is done: the bot answers the chat again, and says so. False: nobody held it."""
    contact = subject.contact
    if contact is None or contact.id is None or not await chat.release(session, contact.id, now, "officer"):
        return False
    if window_open(contact, channels, now):  # outside the window the bot's next answer says enough
        text = render("agent_bot_back", contact.language)
        _queue(session, contact, Reply(text).to_payload(), now, held=False)
        await chat.add_messages(session, [chat.message_row(contact.id, "out", vault.encrypt(text), now)])
    auditlog.record(session, access, "agent_closed", now=now, branch=subject.branch_code, **subject.audit)
    return True


async def _held_back(session: AsyncSession, contact: Contact) -> bool:
    """Messages already wait for the person to write (an invitation went with the first)."""
    query = select(OutboxMessage.id).where(
        col(OutboxMessage.channel) == contact.channel,
        col(OutboxMessage.chat_id) == contact.chat_id,
        col(OutboxMessage.status) == "waiting",
    )
    return (await session.exec(query.limit(1))).first() is not None


def _queue(
    session: AsyncSession,
    contact: Contact,
    payload: dict[str, object],
    now: datetime,
    *,
    held: bool,
    priority: Priority = Priority.REPLY,
) -> OutboxMessage:
    message = outbox.enqueue(
        session,
        channel=contact.channel,
        chat_id=contact.chat_id,
        contact_id=contact.id,
        payload=dict(payload),
        priority=int(priority),
        now=now,
    )
    if held:
        message.status = "waiting"
    return message
