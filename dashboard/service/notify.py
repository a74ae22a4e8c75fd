"""The worker hears about their sign-up: a status change queues an Indonesian message.

`dihubungi`, `terdaftar` and `ditolak` each put one message in the outbox, on the channel the
worker used, at notification priority (after replies, before broadcasts). Outside a platform's
24-hour window the sender carries it in the notification template. Announcement opt-out does
not stop these (they answer the worker's own request); erased data does (`hapus data` unlinks
the submission from the contact, so there is no one to tell).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.texts import programs_label, rejection_reasons
from dashboard.service.workflow import NOTIFIED
from handlers.branches import branch_map
from handlers.price import submitted_price
from handlers.types import Priority, Reply
from messages.render import render
from storage import outbox
from storage.models import CallAttempt, Contact, OutboxMessage, Submission

REACHED = ("berhasil", "minta_telepon_lagi")
"""Call outcomes in which the officer spoke with the worker."""


def notification_text(
    submission: Submission, reason_code: str | None = None, *, last_call: str | None = None
) -> str | None:
    """The message for the submission's (new) status, or None when the worker is not told.
    `last_call`, the outcome of the latest call: `dihubungi` after a call that reached the
    worker thanks them; otherwise it says the office tried to call."""
    status = submission.status
    if status not in NOTIFIED:
        return None
    branch = branch_map().get(submission.branch_code)
    context = {"reference": submission.reference, "branch": branch, "reached": last_call in REACHED}
    if status == "terdaftar":
        context |= {
            "kpj": submission.kpj_number,
            "programs": programs_label(submission.programs),
            "p": submitted_price(submission),  # what the person was shown when they enrolled
        }
    if status == "ditolak":
        reason = rejection_reasons().get(reason_code or "", rejection_reasons()["lainnya"])
        context["reason"] = reason["worker"]
    return render(f"notify_{status}", **context)


async def queue_notification(
    session: AsyncSession, submission: Submission, now: datetime, *, reason_code: str | None = None
) -> OutboxMessage | None:
    """Queues the message for the submission's status; None when nothing is to be sent."""
    if submission.contact_id is None or submission.anonymised_at is not None:
        return None
    latest = select(CallAttempt.outcome).where(col(CallAttempt.submission_id) == submission.id)
    last_call = (await session.exec(latest.order_by(col(CallAttempt.id).desc()).limit(1))).first()
    text = notification_text(submission, reason_code, last_call=last_call)
    if text is None:
        return None
    contact = await session.get(Contact, submission.contact_id)
    if contact is None:
        return None
    return outbox.enqueue(session, **_notification(contact, text), now=now)


def _notification(contact: Contact, text: str) -> dict[str, Any]:
    return {
        "channel": contact.channel,
        "chat_id": contact.chat_id,
        "contact_id": contact.id,
        "payload": Reply(text, priority=Priority.NOTIFICATION).to_payload(),
        "priority": int(Priority.NOTIFICATION),
    }


def notification_row(
    submission: Submission, contact: Contact | None, now: datetime, *, reason_code: str | None = None
) -> dict[str, Any] | None:
    """The outbox row `queue_notification` would write, as values for a bulk insert of many
    (an import); None when nothing is to be sent. `contact` is the submission's."""
    if contact is None or submission.anonymised_at is not None or submission.contact_id != contact.id:
        return None
    text = notification_text(submission, reason_code)
    if text is None:
        return None
    return _notification(contact, text) | {
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "attempt_log": [],
        "created_at": now,
    }
