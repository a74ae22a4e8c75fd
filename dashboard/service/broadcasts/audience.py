"""Who a broadcast reaches: the audience (regions, occupations, how far people got with the form,
a session's participants, channels), the walk over contacts that picks them, and the count.

Only contacts who opted in to announcements (and did not say `stop` since), are reachable, and
are on a chosen channel that receives broadcasts are ever picked. The walk goes in contact id
order, `CHUNK` at a time, so a broadcast's writing can resume at a cursor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.sessions import Invalid
from handlers.branches import branch_map
from handlers.channels import Catalogue
from messages.program_data import occupations
from storage import outreach
from storage.db import Database
from storage.models import Contact, Conversation, Submission
from storage.outreach_models import SessionParticipant

STAGES = ("never", "started", "submitted", "terdaftar", "not_terdaftar")
CHUNK = 1000


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
    channels: tuple[str, ...] = ()
    """The channels to reach; empty: every channel that receives broadcasts (see `on`)."""

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
            channels=strings("channels"),
        )
        if audience.stage is not None and audience.stage not in STAGES:
            raise Invalid("audience.stage", f"salah satu dari {', '.join(STAGES)}")
        if audience.step is not None and audience.stage != "started":
            raise Invalid("audience.step", "hanya bersama tahap 'started'")
        if audience.session_role not in ("reserved", "attended"):
            raise Invalid("audience.session_role", "reserved atau attended")
        codes = {o.code for o in occupations()}
        if set(audience.occupations) - codes:
            raise Invalid("audience.occupations", "kode pekerjaan tidak dikenal")
        if set(audience.occupation_groups) - {o.group for o in occupations()}:
            raise Invalid("audience.occupation_groups", "transport atau general")
        return audience

    def on(self, channels: Catalogue) -> Audience:
        """This audience on the catalogue's channels that receive broadcasts: the ones chosen (a
        channel that does not receive them is Invalid), or all of them when none was chosen."""
        names = tuple(info.name for info in channels.broadcasting())
        if set(self.channels) - set(names):
            raise Invalid("audience.channels", f"pilih dari: {', '.join(names)}")
        return replace(self, channels=self.channels or names)

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
class Selector:
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
        return [Reach(*row) for row in (await session.exec(query)).all()]

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


async def profiles(session: AsyncSession, contacts: Sequence[Reach]) -> list[tuple[Reach, outreach.Profile]]:
    ids = [c.id for c in contacts]
    if not ids:
        return []
    drafts = sa_select(col(Conversation.contact_id), col(Conversation.data)).where(
        col(Conversation.contact_id).in_(ids)
    )
    conversations: dict[int, dict[str, Any]] = {
        contact_id: data
        for contact_id, data in (await session.exec(drafts)).all()  # type: ignore[call-overload]
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


async def selector_for(session: AsyncSession, audience: Audience, branch: str | None) -> Selector:
    selector = Selector(audience, branch)
    if audience.session:
        social = await outreach.session_by_code(session, audience.session)
        if social is None or (branch is not None and social.branch_code != branch):
            raise Invalid("audience.session", "acara tidak ditemukan")
        selector.session_id = social.id
    return selector


async def count_recipients(
    db: Database, audience: Audience, branch: str | None, channels: Catalogue
) -> dict[str, int]:
    """How many would receive it now, per channel and in all."""
    audience = audience.on(channels)
    counts: Counter[str] = Counter()
    async with db.reader() as session:
        selector = await selector_for(session, audience, branch)
        cursor = 0
        while True:
            contacts = await selector.walk(session, cursor)
            if not contacts:
                break
            cursor = contacts[-1].id
            for contact, profile in await profiles(session, contacts):
                if selector.keep(profile):
                    counts[contact.channel] += 1
    return {"total": sum(counts.values()), **{c: counts[c] for c in audience.channels}}
