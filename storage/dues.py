"""Queries for payment reminders: the registered workers to look at, the messages already sent
about a due date (`payment_notice`, one per submission, kind and date), the answers to "kenapa
belum bayar?", and who asked for no more reminders. Readers filter by branch themselves: the
service layer passes the caller's scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.coverage_models import Coverage
from storage.dues_models import ARREARS, PaymentNotice, PaymentReminderStop
from storage.models import Contact, Submission
from storage.upsert import insert_for

Registered = tuple[Submission, Coverage, Contact | None]


async def registered(
    session: AsyncSession,
    branch_codes: Collection[str] | None = None,
    *,
    after_id: int = 0,
    limit: int = 1000,
    reachable: bool = False,
) -> Sequence[Registered]:
    """Terdaftar submissions with their coverage and contact, by coverage id, a page at a time;
    `reachable`: only those with a contact the bot can write to who did not stop reminders."""
    query = (
        select(Submission, Coverage, Contact)
        .join(Coverage, col(Coverage.submission_id) == col(Submission.id))
        .outerjoin(Contact, col(Contact.id) == col(Submission.contact_id))
        .where(
            Submission.status == "terdaftar",
            col(Submission.anonymised_at).is_(None),
            col(Coverage.id) > after_id,
        )
    )
    if branch_codes is not None:
        query = query.where(col(Coverage.branch_code).in_(list(branch_codes)))
    if reachable:
        stopped = select(PaymentReminderStop.submission_id)
        query = query.where(
            col(Contact.id).is_not(None),
            col(Contact.unreachable_at).is_(None),
            col(Submission.id).not_in(stopped),
        )
    rows = await session.exec(query.order_by(col(Coverage.id)).limit(limit))
    return list(rows.all())


async def sent(session: AsyncSession, submission_ids: Collection[int]) -> set[tuple[int, str, date]]:
    """(submission, kind, due date) of every message already sent to these submissions."""
    if not submission_ids:
        return set()
    query = select(PaymentNotice).where(col(PaymentNotice.submission_id).in_(list(submission_ids)))
    return {(n.submission_id, n.kind, n.due_on) for n in (await session.exec(query)).all()}


async def claim(
    session: AsyncSession, submission_id: int, kind: str, due_on: date, *, channel: str, now: datetime
) -> bool:
    """Records the message about (submission, kind, due date); False when one was already
    recorded, by this or another process (the unique key decides)."""
    dialect = session.get_bind().dialect.name
    statement = (
        insert_for(dialect, PaymentNotice.__table__)  # type: ignore[attr-defined]
        .values(submission_id=submission_id, kind=kind, due_on=due_on, channel=channel, sent_at=now)
        .on_conflict_do_nothing(index_elements=["submission_id", "kind", "due_on"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def latest_arrears(session: AsyncSession, submission_id: int) -> PaymentNotice | None:
    query = (
        select(PaymentNotice)
        .where(PaymentNotice.submission_id == submission_id, PaymentNotice.kind == ARREARS)
        .order_by(col(PaymentNotice.due_on).desc())
    )
    return (await session.exec(query)).first()


async def answer_arrears(session: AsyncSession, submission_id: int, answer: str, now: datetime) -> bool:
    """Keeps the worker's reason on the latest question; False when there was none or it is answered."""
    notice = await latest_arrears(session, submission_id)
    if notice is None or notice.answer is not None:
        return False
    notice.answer, notice.answered_at = answer, now
    session.add(notice)
    return True


async def stop(session: AsyncSession, submission_id: int, now: datetime) -> None:
    if await session.get(PaymentReminderStop, submission_id) is None:
        session.add(PaymentReminderStop(submission_id=submission_id, stopped_at=now))


async def stopped(session: AsyncSession, submission_ids: Collection[int]) -> set[int]:
    if not submission_ids:
        return set()
    query = select(PaymentReminderStop.submission_id).where(
        col(PaymentReminderStop.submission_id).in_(list(submission_ids))
    )
    return set((await session.exec(query)).all())


async def arrears_answers(
    session: AsyncSession, branch_codes: Collection[str] | None, since: datetime | None = None
) -> dict[str, int]:
    """How many workers of these branches gave each reason ("" for asked, not answered)."""
    query = (
        select(PaymentNotice.answer, func.count())
        .join(Submission, col(Submission.id) == col(PaymentNotice.submission_id))
        .where(PaymentNotice.kind == ARREARS)
        .group_by(col(PaymentNotice.answer))
    )
    if branch_codes is not None:
        query = query.where(col(Submission.branch_code).in_(list(branch_codes)))
    if since is not None:
        query = query.where(PaymentNotice.sent_at >= since)
    return {answer or "": int(n) for answer, n in (await session.exec(query)).all()}


class DuesStore:
    """What the conversation may do about payments, inside the transaction of one message."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def registered_of(self, contact: Contact) -> list[tuple[Submission, Coverage]]:
        """The person's terdaftar submissions with a coverage record, newest first."""
        assert contact.id is not None
        query = (
            select(Submission, Coverage)
            .join(Coverage, col(Coverage.submission_id) == col(Submission.id))
            .where(
                Submission.contact_id == contact.id,
                Submission.status == "terdaftar",
                col(Submission.anonymised_at).is_(None),
            )
            .order_by(col(Submission.id).desc())
        )
        return [(s, c) for s, c in (await self._session.exec(query)).all()]

    def paid(self, coverage: Coverage, paid_until: date, now: datetime) -> None:
        """The worker says they paid: "paid until" moves on (source "worker") until the next
        import confirms or corrects it."""
        coverage.paid_until, coverage.paid_until_source, coverage.updated_at = paid_until, "worker", now
        self._session.add(coverage)

    async def stop(self, submission_id: int, now: datetime) -> None:
        await stop(self._session, submission_id, now)

    async def answer_arrears(self, submission_id: int, answer: str, now: datetime) -> bool:
        return await answer_arrears(self._session, submission_id, answer, now)
