"""A reminder, once, of an enrolment left half done, in the chat or in a native form.

Both ways fill one draft (`handlers/enrol/native.py`), so one reminder serves both: a draft with
answers, untouched for `REMIND_AFTER`, not reminded before, gets one message outside quiet hours
in the person's local time (the draft's region, else WIB). It says how far the form got and
until when it is kept, and offers to go on ("Lanjutkan": the conversation is put on the
chat's resume question) and, where the channel shows it, the whole form at once. The draft
records the reminder in the same transaction, so neither a second round nor a second process
sends it again. Conversations are looked at only while `REMIND_AFTER` to `LOOK_UNTIL` old: a
span longer than the quiet hours, so every draft meets a moment to be reminded in.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.reminders import enqueue_reply
from handlers.enrol.fields import FORM
from handlers.localtime import QuietHours, zone_of
from handlers.turn import option
from handlers.types import Priority, Reply
from messages.render import render
from storage.contact_lock import locked_conversation
from storage.crypto import Vault
from storage.db import Database
from storage.forms import idle_conversations
from storage.models import Contact, Conversation

REMIND_AFTER = timedelta(hours=20)
"""Inside WhatsApp's 24-hour window after the person's last message, where one is open."""
LOOK_UNTIL = timedelta(hours=36)
REMINDED = "reminded_at"


def _reply(contact: Contact, answered: int, until: date, form: bool) -> Reply:
    lang = contact.language
    options = [option("enrol.resume", "resume", lang=lang)]
    if form:
        options.append(option("menu.form", "way_form", lang=lang))
    text = render("enrol_reminder", lang, answered=answered, total=len(FORM.questions), until=until)
    return Reply(text, tuple(options), priority=Priority.NOTIFICATION)


async def remind_drafts(
    db: Database,
    now: datetime,
    *,
    vault: Vault,
    quiet: QuietHours,
    expiry_days: int,
    forms: Collection[str] = (),
) -> set[str]:
    """Reminds each draft due; returns the channels that got messages. `forms` are the channels
    whose native form is set up."""
    channels: set[str] = set()
    async with db.transaction() as session:
        for idle in await idle_conversations(session, now - LOOK_UNTIL, now - REMIND_AFTER):
            if not _due(idle):
                continue
            # As it is now, with the person's contact locked as a message's turn locks it: a
            # message in flight and this reminder change the conversation one after the other.
            conversation = await locked_conversation(session, idle.contact_id)
            if conversation is None or conversation.updated_at > now - REMIND_AFTER or not _due(conversation):
                continue
            raw = conversation.data["draft"]
            draft = FORM.draft(raw, vault)
            if now - draft.updated < REMIND_AFTER:
                continue
            contact = await session.get(Contact, conversation.contact_id)
            if contact is None or contact.unreachable_at is not None:
                continue
            if quiet.contains(now.astimezone(zone_of(draft.get("regency") or contact.regency_code))):
                continue
            until = (draft.updated + timedelta(days=expiry_days)).date()
            reply = _reply(contact, FORM.answered(draft), until, contact.channel in forms)
            raw[REMINDED] = now.isoformat()
            _put_on_resume(session, conversation, reply, now)
            enqueue_reply(session, contact, reply, now)
            channels.add(contact.channel)
    return channels


def _due(conversation: Conversation) -> bool:
    """A draft with answers, not reminded yet."""
    raw = conversation.data.get("draft")
    return bool(raw and raw.get("answers") and not raw.get(REMINDED))


def _put_on_resume(session: AsyncSession, conversation: Conversation, reply: Reply, now: datetime) -> None:
    """The conversation waits on the chat's resume question, so a tap or "lanjut" goes on."""
    data = dict(conversation.data)
    data["_options"] = [[o.id, o.label] for o in reply.options]
    conversation.flow, conversation.step = "enrol", "resume"
    conversation.data = data
    conversation.version += 1
    conversation.updated_at = now
    session.add(conversation)
