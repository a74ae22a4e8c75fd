"""Payment reminders, the message before a government's payment ends, and the question to a worker
behind with payments, sent by the scheduler.

For each terdaftar worker with a coverage record, a contact the bot can write to, and no
"berhenti ingatkan" (handlers/dues.py decides what is due on the person's local date):

- `REMINDER`: from `lead_days` before the due date to the due date, the amount of the period they
  chose at today's rates (handlers/price.py), where to pay, and "Sudah bayar" / "Berhenti
  ingatkan". Not while a government pays that month.
- `SPONSOR_END`: from `pemda_notice_days` before a government's payment ends, what the worker
  will pay themselves and from when.
- `ARREARS`: once past the due date plus grace, "kenapa belum bayar?" with the reasons, a way to
  pay and a way to ask for a call.

Each goes out of quiet hours (the person's local time) and is recorded under a unique key
(submission, kind, due date) in the transaction that queues it: never twice, whatever the rounds
or processes. On WhatsApp outside the 24-hour window the sender carries it in the notification
(utility) template. The conversation is put on the answer (handlers/flows/dues.py), unless the
person is in the middle of one: then a later round sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.reminders import BUSY, enqueue_reply
from handlers.dues import (
    Account,
    account_of,
    arrears_due,
    price_due,
    reminder_due,
    sponsor_notice_due,
    standing,
)
from handlers.flows.dues import FLOW, SUBMISSION, arrears_options, reminder_options
from handlers.localtime import QuietHours, zone_of
from handlers.types import Priority, Reply
from messages.payment import payment_data
from messages.render import render
from storage import dues
from storage.contact_lock import lock_contacts
from storage.coverage_models import Coverage
from storage.crypto import Vault
from storage.db import Database
from storage.dues_models import ARREARS, REMINDER, SPONSOR_END
from storage.models import Contact, Conversation, Submission
from storage.officer_test_chats import masked

PAGE = 1000
CHUNK = 100
"""Messages queued per transaction."""


@dataclass(frozen=True)
class Planned:
    submission: Submission
    coverage: Coverage
    contact: Contact
    account: Account
    kind: str
    due_on: date


def due_kind(account: Account, today: date) -> tuple[str, date] | None:
    """The message due for this account on `today`, if any (one a day at most)."""
    if (end := sponsor_notice_due(account, today)) is not None:
        return SPONSOR_END, end
    if (due := reminder_due(account, today)) is not None:
        return REMINDER, due
    if (missed := arrears_due(account, today)) is not None:
        return ARREARS, missed
    return None


async def plan(
    session: AsyncSession, now: datetime | None = None, *, on: date | None = None
) -> list[Planned]:
    """Who gets which message: on the day `on` (for everyone), or at `now` in each person's
    local time; messages already recorded are left out."""
    found: list[Planned] = []
    after = 0
    while True:
        rows = await dues.registered(session, after_id=after, limit=PAGE, reachable=True)
        if not rows:
            return found
        after = rows[-1][1].id or after
        page: list[Planned] = []
        for submission, coverage, contact in rows:
            assert contact is not None
            account = account_of(submission, coverage)
            today = on or _local_day(now, submission)
            due = due_kind(account, today)
            if due is not None:
                page.append(Planned(submission, coverage, contact, account, *due))
        done = await dues.sent(session, [p.submission.id for p in page if p.submission.id is not None])
        found += [p for p in page if (p.submission.id, p.kind, p.due_on) not in done]


def _local_day(now: datetime | None, submission: Submission) -> date:
    assert now is not None
    return now.astimezone(zone_of(submission.regency_code)).date()


def reminder_message(planned: Planned, vault: Vault, lang: str) -> Reply:
    """The message of one planned notice, in `lang`, with its answers."""
    submission, account = planned.submission, planned.account
    assert submission.id is not None
    reported = submission.reported_income_enc
    price = price_due(submission, account, int(vault.decrypt(reported)) if reported else 0)
    first = account.first_unpaid_month()
    context = {
        "price": price,
        "due": planned.due_on,
        "first": first,
        "last": price.stretches[-1].last if price.stretches else first,
        "late": payment_data().late,
    }
    if planned.kind == REMINDER:
        text = render("dues_reminder", lang, **context)
        return Reply(text, tuple(reminder_options(submission.id, lang)), priority=Priority.NOTIFICATION)
    if planned.kind == SPONSOR_END:
        text = render(
            "dues_sponsor_end",
            lang,
            payer=submission.sponsor,
            until=planned.due_on,
            next_due=account.next_due(),
            **{**context, "due": account.next_due()},
        )
        return Reply(text, tuple(reminder_options(submission.id, lang)), priority=Priority.NOTIFICATION)
    months = standing(account, planned.due_on).months_unpaid
    text = render("dues_arrears_ask", lang, **context, months=max(months, 1))
    return Reply(text, tuple(arrears_options(submission.id, lang)), priority=Priority.NOTIFICATION)


async def send_payment_reminders(db: Database, now: datetime, *, vault: Vault, quiet: QuietHours) -> set[str]:
    """Sends every notice due now outside quiet hours; returns the channels that got messages.

    The plan is read apart; the messages are queued `CHUNK` to a transaction, so a round with
    thousands of them never holds the database's writer for long (webhooks go on). The unique
    key decides again in each transaction: a notice another process queued meanwhile is skipped."""
    channels: set[str] = set()
    async with db.reader() as session:
        planned = [
            p
            for p in await plan(session, now)
            if not quiet.contains(now.astimezone(zone_of(p.submission.regency_code)))
        ]
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start : start + CHUNK]
        async with db.transaction() as session:
            ids = [p.contact.id for p in chunk]
            # Locked as a message's turn locks them, before their conversations are read: a
            # message in flight and the reminder change a conversation one after the other.
            await lock_contacts(session, [i for i in ids if i is not None])
            query = select(Conversation).where(col(Conversation.contact_id).in_(ids))
            talking = {c.contact_id: c for c in (await session.exec(query)).all()}
            for item in chunk:
                if await _send(session, item, now, vault, talking.get(item.contact.id or 0)):
                    channels.add(item.contact.channel)
    return channels


async def _send(
    session: AsyncSession, planned: Planned, now: datetime, vault: Vault, conversation: Conversation | None
) -> bool:
    """`conversation`: the person's, if they have one (else it is started)."""
    submission, contact = planned.submission, planned.contact
    assert submission.id is not None and contact.id is not None
    if conversation is not None and conversation.flow is not None and now - conversation.updated_at < BUSY:
        return False  # in the middle of a conversation: a later round
    if not await dues.claim(
        session, submission.id, planned.kind, planned.due_on, channel=contact.channel, now=now
    ):
        return False
    reply = reminder_message(planned, vault, contact.language)
    enqueue_reply(session, contact, reply, now)
    if conversation is None:
        conversation = Conversation(contact_id=contact.id, data={}, updated_at=now)
        session.add(conversation)
    await put_on(session, contact.id, planned.kind, submission.id, reply, now, conversation)
    return True


async def preview(db: Database, on: date) -> list[str]:
    """Who would get a message on `on`, one line each, masked: reference, kind, due date,
    channel and the last characters of the chat."""
    async with db.reader() as session:
        planned = await plan(session, on=on)
    return [
        " ".join(
            (p.submission.reference, p.kind, str(p.due_on), p.contact.channel, masked(p.contact.chat_id))
        )
        for p in sorted(planned, key=lambda p: (p.due_on, p.submission.reference))
    ]


async def put_on(
    session: AsyncSession,
    contact_id: int,
    kind: str,
    submission_id: int,
    reply: Reply,
    now: datetime,
    conversation: Conversation | None = None,
) -> None:
    """Puts the conversation on the message's answers, so a tap or a typed number is understood.
    `conversation`: the person's when already loaded (else it is read, or started)."""
    conversation = conversation or await session.get(Conversation, contact_id)
    if conversation is None:
        conversation = Conversation(contact_id=contact_id, data={}, updated_at=now)
        session.add(conversation)
    data = {k: v for k, v in conversation.data.items() if k in ("draft", "sponsor")}
    data[SUBMISSION] = submission_id
    data["_options"] = [[o.id, o.label] for o in reply.options]
    conversation.flow, conversation.step = FLOW, "arrears" if kind == ARREARS else "reminder"
    conversation.data = data
    conversation.version += 1
    conversation.updated_at = now


def rules_summary() -> str:
    """The rules in force, for the operator's preview."""
    data = payment_data()
    r = data.reminders
    return (
        f"due day {data.due.day} ({data.due.regulation}); reminded {r.lead_days} days before; "
        f"menunggak {r.grace_days} days after; nonaktif after {data.late.months_before_inactive} "
        f"unpaid months ({data.late.regulation})"
    )
