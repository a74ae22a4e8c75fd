"""What became of a session's people: reserved → attended → started → consented → each form step
→ submitted → dihubungi → terdaftar, with the share at each stage, and why the others did not
register (the follow-up answers). The same by regency, across its sessions. Counts only: no
personal data leaves this module. Mitra accounts see counts below `SMALL` suppressed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.enrol.fields import FORM
from storage.db import Database
from storage.models import FormStepEvent, Submission, SubmissionEvent
from storage.outreach_models import SessionParticipant, SocialSession

SMALL = 5
"""Counts under this are shown as "<5" to mitra accounts (a small group can identify a person)."""
REASONS = ("berat", "manfaat", "sulit", "nik", "nanti", "sudah", "lainnya")


@dataclass
class Funnel:
    stages: list[tuple[str, int]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)

    def shares(self) -> list[tuple[str, int, float]]:
        """Each stage with its share of the first (reserved or attended, whichever is larger)."""
        base = max((n for _, n in self.stages[:2]), default=0)
        return [(name, n, n / base if base else 0.0) for name, n in self.stages]

    def rows(self, *, suppress: bool = False) -> list[dict[str, object]]:
        """For tables and CSV; with `suppress`, counts under SMALL read "<5" and shares are hidden."""
        out: list[dict[str, object]] = []
        for name, n, share in self.shares():
            small = suppress and 0 < n < SMALL
            out.append(
                {"stage": name, "count": f"<{SMALL}" if small else n, "share": None if small else share}
            )
        return out


async def _funnel(session: AsyncSession, session_ids: Sequence[int]) -> Funnel:
    query = select(SessionParticipant).where(col(SessionParticipant.session_id).in_(list(session_ids)))
    rows = (await session.exec(query)).all()
    people = {r.contact_id for r in rows}
    result = Funnel()
    result.stages.append(("reserved", len({r.contact_id for r in rows if r.reserved_at is not None})))
    result.stages.append(("attended", len({r.contact_id for r in rows if r.attended_at is not None})))
    events = (
        await session.exec(
            select(FormStepEvent.contact_id, FormStepEvent.step, FormStepEvent.event).where(
                col(FormStepEvent.contact_id).in_(people)
            )
        )
    ).all()
    result.stages.append(("started", len({c for c, _, _ in events})))
    completed: dict[str, set[int]] = {}
    for contact_id, step_name, event in events:
        if event == "completed" and contact_id is not None:
            completed.setdefault(step_name, set()).add(contact_id)
    for step in FORM.steps:
        label = "consented" if step.name == "consent" else step.name
        result.stages.append((label, len(completed.get(step.name, set()))))
    submissions = (
        await session.exec(
            select(Submission).where(
                col(Submission.contact_id).in_(people), Submission.status != "dibatalkan"
            )
        )
    ).all()
    submitted = {s.contact_id for s in submissions}
    ids = [s.id for s in submissions if s.id is not None]
    contacted = {
        sid
        for sid in (
            await session.exec(
                select(SubmissionEvent.submission_id).where(
                    col(SubmissionEvent.submission_id).in_(ids), SubmissionEvent.to_status == "dihubungi"
                )
            )
        ).all()
    }
    result.stages.append(("submitted", len(submitted)))
    result.stages.append(
        (
            "dihubungi",
            len({s.contact_id for s in submissions if s.id in contacted or s.status == "terdaftar"}),
        )
    )
    result.stages.append(("terdaftar", len({s.contact_id for s in submissions if s.status == "terdaftar"})))
    reasons = Counter(r.followup_reason for r in rows if r.followup_reason)
    result.reasons = {reason: reasons.get(reason, 0) for reason in REASONS}
    return result


async def session_funnel(db: Database, social: SocialSession) -> Funnel:
    assert social.id is not None
    async with db.reader() as session:
        return await _funnel(session, [social.id])


async def regency_funnels(db: Database, branches: Collection[str] | None) -> dict[str, Funnel]:
    """The funnel of each regency, over all its sessions (within the caller's branches)."""
    query = select(SocialSession.regency_code, SocialSession.id)
    if branches is not None:
        query = query.where(col(SocialSession.branch_code).in_(list(branches)))
    async with db.reader() as session:
        by_regency: dict[str, list[int]] = {}
        for regency, session_id in (await session.exec(query)).all():
            if session_id is not None:
                by_regency.setdefault(regency, []).append(session_id)
        return {regency: await _funnel(session, ids) for regency, ids in sorted(by_regency.items())}
