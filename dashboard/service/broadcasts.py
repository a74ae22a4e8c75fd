"""Broadcasts: compose for an audience, count and preview, send now or at a time, pause, resume,
cancel, and the progress.

Sending is one outbox row per recipient at broadcast priority, so replies and notifications go
first and the sender's rate limits hold. Only contacts who opted in to announcements (and did not
say `stop` since), are reachable, and are on a channel that can send, ever become recipients;
every text ends with how to stop.

Creating a broadcast counts its recipients and stores it; the outbox rows are written after that
by the scheduler (`tick`, woken at once by the service), so a request for 100,000 people returns
in seconds while the broadcast's page shows "menyiapkan" with the rows written so far.
Recipients are materialised in chunks, each chunk one transaction that inserts the outbox rows,
the recipient rows (unique per broadcast and contact) and moves the broadcast's cursor, so a
crash in between repeats nothing and skips no one, and the next round resumes at the cursor.

Quiet hours and pausing are outbox scheduling: a row that must wait is `held` (with the time it
may go, `next_attempt_at`), which the sender does not take; the scheduler's tick holds rows whose
recipients' quiet hours begin and releases them in the morning. The sender marks a row `sending`
just before the platform call, only if it is still `pending` (so a row paused at the last moment
is not sent); a broadcast row a crash left `sending` is closed as failed ("interrupted") by the
sender that takes over, never sent twice, since nobody can know whether the platform got it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.sessions import Invalid
from handlers.branches import branch_map
from handlers.localtime import QuietHours, zone, zone_name
from handlers.types import Priority, Reply
from messages.program_data import occupations
from messages.render import render
from storage import outbox, outreach
from storage.db import Database
from storage.models import Contact, Conversation, FormStepEvent, OutboxMessage, Submission
from storage.outreach_models import Broadcast, BroadcastRecipient, SessionParticipant

CHANNELS = ("telegram", "whatsapp")
STAGES = ("never", "started", "submitted", "terdaftar", "not_terdaftar")
CHUNK = 1000
QUIET_LEAD = timedelta(minutes=2)
"""Rows are held this long before quiet hours begin: the sender may have leased them already."""
FOLLOW_DAYS = 7
OPEN_OUTBOX = ("pending", "held", "sending")
MAX_TEXT = 2000
ALL_BRANCHES = "*"


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for. Empty fields do not filter."""

    regencies: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    occupations: tuple[str, ...] = ()
    occupation_groups: tuple[str, ...] = ()
    stage: str | None = None
    step: str | None = None
    session: str | None = None
    session_role: str = "reserved"
    channels: tuple[str, ...] = CHANNELS

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Audience:
        def strings(name: str) -> tuple[str, ...]:
            value = raw.get(name) or ()
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise Invalid(f"audience.{name}", "daftar teks")
            return tuple(v.strip() for v in value if v.strip())

        known = {"regencies", "districts", "occupations", "occupation_groups", "stage", "step", "session"}
        unknown = set(raw) - known - {"session_role", "channels"}
        if unknown:
            raise Invalid("audience", f"tidak dikenal: {', '.join(sorted(unknown))}")
        audience = cls(
            regencies=strings("regencies"),
            districts=strings("districts"),
            occupations=strings("occupations"),
            occupation_groups=strings("occupation_groups"),
            stage=raw.get("stage") or None,
            step=raw.get("step") or None,
            session=(raw.get("session") or None),
            session_role=raw.get("session_role") or "reserved",
            channels=strings("channels") or CHANNELS,
        )
        if audience.stage is not None and audience.stage not in STAGES:
            raise Invalid("audience.stage", f"salah satu dari {', '.join(STAGES)}")
        if audience.step is not None and audience.stage != "started":
            raise Invalid("audience.step", "hanya bersama tahap 'started'")
        if audience.session_role not in ("reserved", "attended"):
            raise Invalid("audience.session_role", "reserved atau attended")
        if set(audience.channels) - set(CHANNELS):
            raise Invalid("audience.channels", "telegram dan/atau whatsapp")
        codes = {o.code for o in occupations()}
        if set(audience.occupations) - codes:
            raise Invalid("audience.occupations", "kode pekerjaan tidak dikenal")
        if set(audience.occupation_groups) - {o.group for o in occupations()}:
            raise Invalid("audience.occupation_groups", "transport atau general")
        return audience

    def to_dict(self) -> dict[str, Any]:
        return {
            "regencies": list(self.regencies),
            "districts": list(self.districts),
            "occupations": list(self.occupations),
            "occupation_groups": list(self.occupation_groups),
            "stage": self.stage,
            "step": self.step,
            "session": self.session,
            "session_role": self.session_role,
            "channels": list(self.channels),
        }


def full_text(text: str) -> str:
    """What recipients read: the author's text, then how to stop."""
    return f"{text.strip()}\n\n{render('broadcast_footer')}"


def broadcast_payload(text: str) -> dict[str, Any]:
    """The outbox payload: the full text, and for WhatsApp's approved template (which ends with
    its own stop line) the author's text alone as `template_text`, so the line is not said twice."""
    payload = Reply(full_text(text), priority=Priority.BROADCAST).to_payload()
    return {**payload, "template_text": text.strip()}


def previews(text: str) -> dict[str, str]:
    """The message as it will look: Telegram, WhatsApp in the 24-hour window, and outside it
    (the approved template carries the text as one line in its variable)."""
    body = full_text(text)
    one_line = " ".join(text.split())
    return {
        "telegram": body,
        "whatsapp": body,
        "whatsapp_template": render("broadcast_template_preview", text=one_line),
    }


def _group(code: str | None) -> str | None:
    return next((o.group for o in occupations() if o.code == code), None)


@dataclass(frozen=True)
class Reach:
    """The columns of a contact an audience walk reads (whole rows would cost more than the query)."""

    id: int
    channel: str
    chat_id: str
    regency_code: str | None


@dataclass
class _Selector:
    audience: Audience
    branch: str | None
    session_id: int | None = None
    branches: dict[str, str] = field(default_factory=dict)
    """Regency code -> branch code, looked up once per regency."""

    def _branch_of(self, regency: str) -> str:
        if regency not in self.branches:
            self.branches[regency] = branch_map().for_regency(regency).code
        return self.branches[regency]

    async def walk(self, session: AsyncSession, after: int) -> list[Reach]:
        """The next chunk of candidate contacts after the contact id `after`, in id order."""
        query = self.base().where(col(Contact.id) > after).order_by(col(Contact.id)).limit(CHUNK)
        return [Reach(*row) for row in (await session.execute(query)).all()]

    def base(self) -> Any:
        columns = (col(Contact.id), col(Contact.channel), col(Contact.chat_id), col(Contact.regency_code))
        query = sa_select(*columns).where(
            col(Contact.announcements).is_(True),
            col(Contact.unreachable_at).is_(None),
            # `|| ''` keeps the planner off the (channel, chat_id) index: the walk goes in id
            # order from a cursor, and SQLite would otherwise sort the whole channel per chunk.
            (col(Contact.channel) + "").in_(list(self.audience.channels)),
        )
        if self.session_id is not None:
            moment = (
                SessionParticipant.attended_at
                if self.audience.session_role == "attended"
                else SessionParticipant.reserved_at
            )
            members = select(SessionParticipant.contact_id).where(
                SessionParticipant.session_id == self.session_id, col(moment).is_not(None)
            )
            if self.audience.session_role == "reserved":
                members = members.where(col(SessionParticipant.cancelled_at).is_(None))
            query = query.where(col(Contact.id).in_(members))
        return query

    def keep(self, profile: outreach.Profile) -> bool:
        a = self.audience
        regency = profile.regency_code
        if self.branch is not None and (regency is None or self._branch_of(regency) != self.branch):
            return False
        if a.regencies and regency not in a.regencies:
            return False
        if a.districts and profile.district_code not in a.districts:
            return False
        if a.occupations and profile.occupation not in a.occupations:
            return False
        if a.occupation_groups and _group(profile.occupation) not in a.occupation_groups:
            return False
        if a.stage == "not_terdaftar":
            return profile.stage != "terdaftar"
        if a.stage is not None and profile.stage != a.stage:
            return False
        return not (a.step is not None and profile.step != a.step)


async def _profiles(session: AsyncSession, contacts: Sequence[Reach]) -> list[tuple[Reach, outreach.Profile]]:
    ids = [c.id for c in contacts]
    if not ids:
        return []
    drafts = sa_select(col(Conversation.contact_id), col(Conversation.data)).where(
        col(Conversation.contact_id).in_(ids)
    )
    conversations: dict[int, dict[str, Any]] = {
        contact_id: data for contact_id, data in (await session.execute(drafts)).all()
    }
    latest: dict[int, Submission] = {}
    query = (
        select(Submission)
        .where(col(Submission.contact_id).in_(ids), Submission.status != "dibatalkan")
        .order_by(col(Submission.id))
    )
    for submission in (await session.exec(query)).all():
        if submission.contact_id is not None:
            latest[submission.contact_id] = submission
    return [(c, outreach.profile_of(c, conversations.get(c.id), latest.get(c.id))) for c in contacts]


async def _selector(session: AsyncSession, audience: Audience, branch: str | None) -> _Selector:
    selector = _Selector(audience, branch)
    if audience.session:
        social = await outreach.session_by_code(session, audience.session)
        if social is None or (branch is not None and social.branch_code != branch):
            raise Invalid("audience.session", "acara tidak ditemukan")
        selector.session_id = social.id
    return selector


async def count_recipients(db: Database, audience: Audience, branch: str | None) -> dict[str, int]:
    """How many would receive it now, per channel and in all."""
    counts: Counter[str] = Counter()
    async with db.reader() as session:
        selector = await _selector(session, audience, branch)
        cursor = 0
        while True:
            contacts = await selector.walk(session, cursor)
            if not contacts:
                break
            cursor = contacts[-1].id
            for contact, profile in await _profiles(session, contacts):
                if selector.keep(profile):
                    counts[contact.channel] += 1
    return {"total": sum(counts.values()), **{c: counts[c] for c in audience.channels}}


async def create_broadcast(
    db: Database,
    *,
    text: str,
    audience: Audience,
    actor: str,
    branch: str | None,
    now: datetime,
    send_at: datetime | None = None,
) -> Broadcast:
    """Stores a broadcast with its recipient count; with `send_at` it is scheduled, else it starts
    sending now. The outbox rows are written afterwards (`materialise`, from the scheduler), so a
    large audience does not hold up the caller.

    `branch` is the author's branch: only contacts whose regency belongs to it are reached.
    None (an administrator) reaches every branch.
    """
    text = (text or "").strip()
    if not text:
        raise Invalid("text", "wajib diisi")
    if len(text) > MAX_TEXT:
        raise Invalid("text", f"paling banyak {MAX_TEXT} huruf")
    if send_at is not None and send_at.tzinfo is None:
        raise Invalid("send_at", "sertakan zona waktu, misalnya 2026-11-24T08:00:00+07:00")
    async with db.reader() as session:
        await _selector(session, audience, branch)  # refuses an unknown session before counting
    recipients = (await count_recipients(db, audience, branch))["total"]
    async with db.transaction() as session:
        selector = await _selector(session, audience, branch)
        broadcast = Broadcast(
            branch_code=branch or ALL_BRANCHES,
            created_by=actor,
            text=text,
            audience=audience.to_dict(),
            status="scheduled" if send_at is not None and send_at > now else "sending",
            send_at=send_at,
            recipients=recipients,
            session_id=selector.session_id,
            created_at=now,
            started_at=None if send_at is not None and send_at > now else now,
        )
        session.add(broadcast)
    return broadcast


async def materialise(db: Database, broadcast_id: int, now: datetime, quiet: QuietHours) -> int:
    """Creates the outbox rows of a sending broadcast, chunk by chunk; returns how many."""
    created = 0
    while True:
        async with db.transaction() as session:
            broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
            if broadcast is None or broadcast.status not in ("sending", "paused") or broadcast.materialised:
                return created
            audience = Audience.from_dict(broadcast.audience)
            branch = None if broadcast.branch_code == ALL_BRANCHES else broadcast.branch_code
            selector = _Selector(audience, branch, broadcast.session_id)
            contacts = await selector.walk(session, broadcast.cursor)
            if not contacts:
                broadcast.materialised = True
                broadcast.recipients = broadcast.prepared
                return created
            chosen = [c for c, profile in await _profiles(session, contacts) if selector.keep(profile)]
            held = broadcast.status == "paused"
            added = await _add_recipients(session, broadcast, chosen, now, quiet, held=held)
            broadcast.cursor = contacts[-1].id
            broadcast.prepared += added
            created += added


async def _add_recipients(
    session: AsyncSession,
    broadcast: Broadcast,
    contacts: Sequence[Reach],
    now: datetime,
    quiet: QuietHours,
    *,
    held: bool,
) -> int:
    if not contacts:
        return 0
    payload = broadcast_payload(broadcast.text)
    rows: list[dict[str, Any]] = []
    zones: list[str] = []
    timing: dict[str, tuple[datetime, bool]] = {}
    for contact in contacts:
        tz_name = zone_name(contact.regency_code)
        if tz_name not in timing:
            at = quiet.next_allowed(now, zone(tz_name))
            timing[tz_name] = (at, at > now or quiet.starts_within(now, zone(tz_name), QUIET_LEAD))
        at, quiet_now = timing[tz_name]
        waits = held or quiet_now
        zones.append(tz_name)
        rows.append(
            {
                "channel": contact.channel,
                "chat_id": contact.chat_id,
                "contact_id": contact.id,
                "payload": payload,
                "priority": int(Priority.BROADCAST),
                "status": "held" if waits else "pending",
                "attempts": 0,
                "next_attempt_at": at if at > now else now,
                "attempt_log": [],
                "created_at": now,
            }
        )
    result = await session.execute(
        insert(OutboxMessage).returning(col(OutboxMessage.id), sort_by_parameter_order=True),
        rows,
    )
    outbox_ids = [row[0] for row in result.all()]
    await session.execute(
        insert(BroadcastRecipient),
        [
            {
                "broadcast_id": broadcast.id,
                "contact_id": contact.id,
                "outbox_id": outbox_id,
                "channel": contact.channel,
                "timezone": tz_name,
            }
            for contact, outbox_id, tz_name in zip(contacts, outbox_ids, zones, strict=True)
        ],
    )
    return len(rows)


def _rows_of(broadcast_ids: Any, timezone: str | None = None) -> Any:
    query = select(BroadcastRecipient.outbox_id).where(
        col(BroadcastRecipient.broadcast_id).in_(broadcast_ids)
    )
    if timezone is not None:
        query = query.where(BroadcastRecipient.timezone == timezone)
    return query


async def _set_status(
    db: Database, broadcast_id: int, allowed: Collection[str], status: str, now: datetime
) -> bool:
    async with db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
        if broadcast is None or broadcast.status not in allowed:
            return False
        broadcast.status = status
        rows = col(OutboxMessage.id).in_(_rows_of([broadcast_id]))
        if status == "paused":
            await session.exec(
                update(OutboxMessage)
                .where(rows, col(OutboxMessage.status) == "pending")
                .values(status="held")
            )
        elif status == "cancelled":
            broadcast.finished_at = now
            await session.exec(
                update(OutboxMessage)
                .where(rows, col(OutboxMessage.status).in_(["pending", "held"]))
                .values(status="cancelled", last_error="broadcast cancelled")
            )
        elif status == "sending" and broadcast.started_at is None:
            broadcast.started_at = now
    return True


async def pause(db: Database, broadcast_id: int, now: datetime) -> bool:
    return await _set_status(db, broadcast_id, ("sending", "scheduled"), "paused", now)


async def resume(db: Database, broadcast_id: int, now: datetime, quiet: QuietHours) -> bool:
    if not await _set_status(db, broadcast_id, ("paused",), "sending", now):
        return False
    await release_and_hold(db, now, quiet)
    return True


async def cancel(db: Database, broadcast_id: int, now: datetime) -> bool:
    return await _set_status(db, broadcast_id, ("draft", "scheduled", "sending", "paused"), "cancelled", now)


async def start_due(db: Database, now: datetime) -> list[int]:
    """Scheduled broadcasts whose time has come start sending."""
    async with db.transaction() as session:
        due = (
            await session.exec(
                select(Broadcast)
                .where(Broadcast.status == "scheduled", col(Broadcast.send_at) <= now)
                .with_for_update()
            )
        ).all()
        for broadcast in due:
            broadcast.status = "sending"
            broadcast.started_at = now
        return [b.id for b in due if b.id is not None]


async def release_and_hold(db: Database, now: datetime, quiet: QuietHours) -> None:
    """Holds sending broadcasts' rows whose recipients' quiet hours begin; releases the others."""
    async with db.transaction() as session:
        sending = select(Broadcast.id).where(Broadcast.status == "sending")
        for tz_name in ("WIB", "WITA", "WIT"):
            tz = zone(tz_name)
            rows = col(OutboxMessage.id).in_(_rows_of(sending, tz_name))
            if quiet.starts_within(now, tz, QUIET_LEAD):
                morning = quiet.next_allowed(now + QUIET_LEAD, tz)
                await session.exec(
                    update(OutboxMessage)
                    .where(rows, col(OutboxMessage.status) == "pending")
                    .values(status="held", next_attempt_at=morning)
                )
            else:
                await session.exec(
                    update(OutboxMessage)
                    .where(
                        rows, col(OutboxMessage.status) == "held", col(OutboxMessage.next_attempt_at) <= now
                    )
                    .values(status="pending", next_attempt_at=now)
                )


async def finish_done(db: Database, now: datetime) -> None:
    """A materialised broadcast with nothing left to send is done."""
    async with db.transaction() as session:
        sending = (
            await session.exec(
                select(Broadcast).where(Broadcast.status == "sending", col(Broadcast.materialised).is_(True))
            )
        ).all()
        for broadcast in sending:
            left = await session.exec(
                select(func.count()).where(
                    col(OutboxMessage.id).in_(_rows_of([broadcast.id])),
                    col(OutboxMessage.status).in_(OPEN_OUTBOX),
                )
            )
            if int(left.one()) == 0:
                broadcast.status = "done"
                broadcast.finished_at = now


async def tick(db: Database, now: datetime, quiet: QuietHours) -> int:
    """One scheduler round for broadcasts; returns the outbox rows it created."""
    await start_due(db, now)
    created = 0
    async with db.reader() as session:
        ids = (
            await session.exec(
                select(Broadcast.id).where(
                    col(Broadcast.status).in_(["sending", "paused"]), col(Broadcast.materialised).is_(False)
                )
            )
        ).all()
    for broadcast_id in ids:
        if broadcast_id is not None:
            created += await materialise(db, broadcast_id, now, quiet)
    await release_and_hold(db, now, quiet)
    await finish_done(db, now)
    return created


# --- progress ------------------------------------------------------------------------------

REASONS = {
    "blocked": ("contact unreachable", "403"),
    "not_on_whatsapp": ("131026",),
    "window": ("24-hour window closed", "131047", "template"),
    "interrupted": ("interrupted",),
    "cancelled": ("broadcast cancelled",),
}


def failure_reason(error: str | None) -> str:
    text = (error or "").lower()
    for reason, markers in REASONS.items():
        if any(marker.lower() in text for marker in markers):
            return reason
    return "other"


@dataclass
class Progress:
    status: str
    recipients: int
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    started_form: int = 0
    submitted: int = 0
    preparing: bool = False
    """The outbox rows are still being written (shown as "menyiapkan")."""
    prepared: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "recipients": self.recipients,
            "queued": self.queued,
            "sent": self.sent,
            "delivered": self.delivered,
            "read": self.read,
            "failed": self.failed,
            "waiting": self.waiting,
            "cancelled": self.cancelled,
            "by_channel": self.by_channel,
            "failures": self.failures,
            "started_form_7d": self.started_form,
            "submitted_7d": self.submitted,
            "preparing": self.preparing,
            "prepared": self.prepared,
        }


async def progress(db: Database, broadcast_id: int, branches: Collection[str] | None) -> Progress | None:
    """Counts from the outbox rows (and WhatsApp's statuses on them); None if not the caller's."""
    async with db.reader() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or (branches is not None and broadcast.branch_code not in branches):
            return None
        result = Progress(broadcast.status, broadcast.recipients)
        result.preparing = broadcast.status in ("sending", "paused") and not broadcast.materialised
        result.prepared = broadcast.prepared
        query = (
            sa_select(
                col(OutboxMessage.channel),
                col(OutboxMessage.status),
                col(OutboxMessage.delivery_status),
                col(OutboxMessage.last_error),
                func.count(),
            )
            .join(BroadcastRecipient, col(BroadcastRecipient.outbox_id) == col(OutboxMessage.id))
            .where(col(BroadcastRecipient.broadcast_id) == broadcast_id)
            .group_by(
                col(OutboxMessage.channel),
                col(OutboxMessage.status),
                col(OutboxMessage.delivery_status),
                col(OutboxMessage.last_error),
            )
        )
        failures: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        channels: dict[str, Counter[str]] = {}
        for channel, status, delivery, error, n in (await session.execute(query)).all():
            kind = _kind(status, delivery)
            kinds[kind] += n
            channels.setdefault(channel, Counter())[kind] += n
            if kind in ("failed", "waiting"):
                failures[failure_reason(error)] += n
        result.queued, result.waiting, result.cancelled = (
            kinds["queued"],
            kinds["waiting"],
            kinds["cancelled"],
        )
        result.failed = kinds["failed"]
        result.read = kinds["read"]
        result.delivered = kinds["delivered"] + kinds["read"]
        result.sent = kinds["sent"] + result.delivered
        result.by_channel = {k: dict(v) for k, v in channels.items()}
        result.failures = dict(failures)
        if broadcast.started_at is not None:
            result.started_form, result.submitted = await _after(session, broadcast_id, broadcast.started_at)
    return result


def _kind(status: str, delivery: str | None) -> str:
    if status == "sent":
        if delivery == "failed":
            return "failed"
        return {"read": "read", "delivered": "delivered"}.get(delivery or "", "sent")
    if status in ("pending", "held", "sending"):
        return "queued"
    if status == "waiting":
        return "waiting"
    if status == "cancelled":
        return "cancelled"
    return "failed"


async def _after(session: AsyncSession, broadcast_id: int, started: datetime) -> tuple[int, int]:
    """Recipients who reached the form's first step, and who submitted, within 7 days."""
    until = started + timedelta(days=FOLLOW_DAYS)
    recipients = select(BroadcastRecipient.contact_id).where(BroadcastRecipient.broadcast_id == broadcast_id)
    started_n = await session.exec(
        select(func.count(col(FormStepEvent.contact_id).distinct())).where(
            col(FormStepEvent.contact_id).in_(recipients),
            FormStepEvent.at >= started,
            FormStepEvent.at < until,
        )
    )
    submitted_n = await session.exec(
        select(func.count(col(Submission.contact_id).distinct())).where(
            col(Submission.contact_id).in_(recipients),
            Submission.created_at >= started,
            Submission.created_at < until,
        )
    )
    return int(started_n.one()), int(submitted_n.one())


async def list_broadcasts(db: Database, branches: Collection[str] | None) -> Sequence[Broadcast]:
    query = select(Broadcast).order_by(col(Broadcast.id).desc())
    if branches is not None:
        query = query.where(col(Broadcast.branch_code).in_(list(branches)))
    async with db.reader() as session:
        return (await session.exec(query)).all()


async def get_broadcast(
    db: Database, broadcast_id: int, branches: Collection[str] | None
) -> Broadcast | None:
    async with db.reader() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or (branches is not None and broadcast.branch_code not in branches):
        return None
    return broadcast


async def send_test(db: Database, broadcast_text: str, *, channel: str, chat_id: str, now: datetime) -> None:
    """ "Kirim uji": the message, marked as a test, to the author's own chat (notification priority)."""
    text = f"{render('broadcast_test_prefix')}\n{full_text(broadcast_text)}"
    async with db.transaction() as session:
        contact = await outbox.lock_contact(session, channel, chat_id)
        outbox.enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            contact_id=contact.id,
            payload=Reply(text).to_payload(),
            priority=int(Priority.NOTIFICATION),
            now=now,
        )
