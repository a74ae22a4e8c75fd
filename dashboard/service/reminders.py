"""Scheduled messages about sessions: reminders to those who reserved, and the follow-up question.

- The day before: from 24 hours before the start, while the start is still tomorrow in the
  session's local time.
- Two hours before: from 2 hours to 1 h 45 min before the start (so "2 jam lagi" stays true).
- The follow-up: `followup_days` after the session ended, to attendees without a submission,
  outside quiet hours in the session's local time, and not while the person is in the middle of
  a conversation (it waits for a later round). It puts the conversation on the question.

Each is recorded on the participant's row in the same transaction that queues it, so a second
run (or a second process) never sends it again. Returns the channels that got new rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.flows.followup import SESSION, FollowupFlow, followup_options
from handlers.flows.sessions import view
from handlers.localtime import QuietHours, zone
from handlers.types import Priority, Reply
from messages.render import render
from storage import outbox
from storage.contact_lock import lock_contacts
from storage.db import Database
from storage.models import Contact, Conversation, Submission
from storage.outreach_models import SessionParticipant, SocialSession

DAY_BEFORE = timedelta(hours=24)
HOURS_BEFORE = timedelta(hours=2)
HOURS_WINDOW = timedelta(minutes=15)
BUSY = timedelta(hours=1)
"""A conversation active this recently is not switched to the follow-up question."""


def enqueue_reply(session: AsyncSession, contact: Contact, reply: Reply, now: datetime) -> None:
    """Queues a reply to the person, outside a message of theirs (on their channel and chat)."""
    outbox.enqueue(
        session,
        channel=contact.channel,
        chat_id=contact.chat_id,
        contact_id=contact.id,
        payload=reply.to_payload(),
        priority=int(reply.priority),
        now=now,
    )


async def _due_reservations(
    session: AsyncSession, now: datetime, earliest: datetime, latest: datetime, column: str
) -> Sequence[tuple[SessionParticipant, SocialSession, Contact]]:
    reminded = getattr(SessionParticipant, column)
    query = (
        select(SessionParticipant, SocialSession, Contact)
        .join(SocialSession, col(SocialSession.id) == col(SessionParticipant.session_id))
        .join(Contact, col(Contact.id) == col(SessionParticipant.contact_id))
        .where(
            col(SessionParticipant.reserved_at).is_not(None),
            col(SessionParticipant.cancelled_at).is_(None),
            col(reminded).is_(None),
            col(SocialSession.cancelled_at).is_(None),
            SocialSession.starts_at > earliest,
            SocialSession.starts_at <= latest,
            col(Contact.unreachable_at).is_(None),
        )
        .with_for_update(of=SessionParticipant)
    )
    return list((await session.exec(query)).all())


async def send_reminders(db: Database, now: datetime) -> set[str]:
    channels: set[str] = set()
    async with db.transaction() as session:
        # Day before: the start lies between 3 hours and 24 hours ahead, and is tomorrow locally.
        for row, social, contact in await _due_reservations(
            session, now, now + timedelta(hours=3), now + DAY_BEFORE, "reminded_day_at"
        ):
            tz = zone(social.timezone)
            if social.starts_at.astimezone(tz).date() != (now.astimezone(tz) + timedelta(days=1)).date():
                continue
            row.reminded_day_at = now
            reply = Reply(render("session_reminder_day", s=view(social)), priority=Priority.NOTIFICATION)
            enqueue_reply(session, contact, reply, now)
            channels.add(contact.channel)
        for row, social, contact in await _due_reservations(
            session, now, now + HOURS_BEFORE - HOURS_WINDOW, now + HOURS_BEFORE, "reminded_hours_at"
        ):
            row.reminded_hours_at = now
            reply = Reply(render("session_reminder_hours", s=view(social)), priority=Priority.NOTIFICATION)
            enqueue_reply(session, contact, reply, now)
            channels.add(contact.channel)
    return channels


async def send_followups(db: Database, now: datetime, *, days: int, quiet: QuietHours) -> set[str]:
    """Asks attendees who have not submitted why not, `days` after their session ended."""
    channels: set[str] = set()
    submitted = select(Submission.contact_id).where(
        col(Submission.contact_id).is_not(None), Submission.status != "dibatalkan"
    )
    query = (
        select(SessionParticipant, SocialSession, Contact)
        .join(SocialSession, col(SocialSession.id) == col(SessionParticipant.session_id))
        .join(Contact, col(Contact.id) == col(SessionParticipant.contact_id))
        .where(
            col(SessionParticipant.attended_at).is_not(None),
            col(SessionParticipant.followup_sent_at).is_(None),
            col(SessionParticipant.followup_answered_at).is_(None),
            SocialSession.ends_at <= now - timedelta(days=days),
            col(Contact.unreachable_at).is_(None),
            col(Contact.id).not_in(submitted),
        )
        .order_by(col(Contact.id))
    )
    async with db.transaction() as session:
        for row, social, contact in (await session.exec(query)).all():
            if quiet.contains(now.astimezone(zone(social.timezone))):
                continue
            assert social.id is not None and contact.id is not None
            # The person's contact first, as a message's turn locks it, then their row and
            # conversation as they are now: a message in flight and this question change the
            # conversation one after the other, and a second process finds the question sent.
            await lock_contacts(session, (contact.id,))
            if not await _still_due(session, row) or await _busy(session, contact.id, now):
                continue
            row.followup_sent_at = now
            options = followup_options(social.id)
            reply = Reply(
                render("followup_ask", s=view(social)), tuple(options), priority=Priority.NOTIFICATION
            )
            enqueue_reply(session, contact, reply, now)
            await _ask(session, contact.id, social.id, reply, now)
            channels.add(contact.channel)
    return channels


async def _still_due(session: AsyncSession, row: SessionParticipant) -> bool:
    """The question not sent nor answered yet, as the row is now (locked)."""
    await session.refresh(row, with_for_update=True)
    return row.followup_sent_at is None and row.followup_answered_at is None


async def _busy(session: AsyncSession, contact_id: int, now: datetime) -> bool:
    conversation = await session.get(Conversation, contact_id)
    return conversation is not None and conversation.flow is not None and now - conversation.updated_at < BUSY


async def _ask(session: AsyncSession, contact_id: int, session_id: int, reply: Reply, now: datetime) -> None:
    """Puts the conversation on the question, so a tap, a typed number or an answer is understood."""
    conversation = await session.get(Conversation, contact_id)
    if conversation is None:
        conversation = Conversation(contact_id=contact_id, data={}, updated_at=now)
        session.add(conversation)
    data = {k: v for k, v in conversation.data.items() if k in ("draft", "sponsor")}
    data[SESSION] = session_id
    data["_options"] = [[o.id, o.label] for o in reply.options]
    conversation.flow, conversation.step = FollowupFlow.name, "ask"
    conversation.data = data
    conversation.version += 1
    conversation.updated_at = now
