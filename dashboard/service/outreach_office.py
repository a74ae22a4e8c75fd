"""Sessions and broadcasts as the staff pages and the API see them: the caller's `Access` decides
what exists (another branch's session or broadcast is `NotFound`, exactly like a missing one),
who may create, send, pause or cancel (staff, supervisors, admins; a mitra only reads the
figures of its regencies), and every such action is written to the audit log with codes and
counts only, never a person's data.

The pages and the API both call this class; it calls `sessions`, `broadcasts` and `funnel`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dashboard.service import auditlog, broadcasts, funnel, sessions
from dashboard.service.access import Access
from dashboard.service.errors import InvalidInput, NotFound
from dashboard.service.sessions import Invalid, SessionSpec
from handlers.channels import Catalogue, Identity
from handlers.localtime import QuietHours
from storage import officer_test_chats
from storage.db import Database
from storage.models import StaffAccount
from storage.outreach_models import Broadcast, SocialSession
from storage.types import utcnow

IdentitySource = Callable[[], Awaitable[Identity]]


async def _no_identity() -> Identity:
    return Identity({})


@dataclass(frozen=True)
class SessionSummary:
    social: SocialSession
    reserved: int


@dataclass(frozen=True)
class SessionView:
    social: SocialSession
    reserved: int
    links: dict[str, str | None]
    """Each channel's link to the session (by name; None while the bot's address there is unknown)."""
    funnel: funnel.Funnel
    suppress: bool
    """Small counts are shown as "<5" (a mitra account)."""


@dataclass(frozen=True)
class TestChat:
    """The officer's linked "kirim uji" chat as the page shows it (the address masked)."""

    channel: str
    masked: str


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class BroadcastView:
    broadcast: Broadcast
    progress: broadcasts.Progress


def _invalid(exc: Invalid) -> InvalidInput:
    return InvalidInput(exc.field, exc.message)


class Outreach:
    def __init__(
        self,
        db: Database,
        channels: Catalogue,
        *,
        identity: IdentitySource = _no_identity,
        quiet: QuietHours | None = None,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[str], None] | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        """`channels` are the channels the service knows (audiences and session links);
        `identity` says where people reach the bot on them; `prepare` asks the scheduler for a
        round now (a new broadcast's rows to write)."""
        self.db = db
        self.channels = channels
        self.prepare = prepare
        self.identity = identity
        self.quiet = quiet or QuietHours.parse("21:00-07:00")
        self.clock = clock
        self.wake = wake

    # --- who sees what ------------------------------------------------------------------------

    @staticmethod
    def branches(access: Access) -> Collection[str] | None:
        """The branches whose sessions and broadcasts the caller works with (None: all)."""
        if access.all_branches:
            return None
        if access.role in ("staff", "supervisor") and access.branch_code:
            return {access.branch_code}
        return set()

    @staticmethod
    def may_act(access: Access) -> bool:
        return access.role in ("staff", "supervisor", "admin")

    def _visible(self, access: Access, social: SocialSession) -> bool:
        if access.role == "mitra":
            return social.regency_code in access.regencies
        branches = self.branches(access)
        return branches is None or social.branch_code in branches

    async def _audit(self, access: Access, action: str, branch: str | None, **details: Any) -> None:
        async with self.db.transaction() as session:
            auditlog.record(session, access, action, now=self.clock(), branch=branch, **details)

    # --- sessions -----------------------------------------------------------------------------

    async def list_sessions(self, access: Access) -> list[SessionSummary]:
        scope = None if access.role == "mitra" else self.branches(access)
        found = [s for s in await sessions.list_sessions(self.db, scope) if self._visible(access, s)]
        return [SessionSummary(s, await sessions.reserved(self.db, s)) for s in found]

    async def create_session(self, access: Access, spec: SessionSpec) -> SocialSession:
        access.require(self.may_act(access))
        try:
            social = await sessions.create_session(
                self.db, spec, actor=access.actor, branches=self.branches(access), now=self.clock()
            )
        except Invalid as exc:
            raise _invalid(exc) from None
        await self._audit(
            access, "session_created", social.branch_code, code=social.code, capacity=social.capacity
        )
        return social

    async def _session(self, access: Access, code: str) -> SocialSession:
        social = await sessions.get_session(self.db, code.strip().upper(), None)
        if social is None or not self._visible(access, social):
            raise NotFound("Acara tidak ditemukan.")
        return social

    async def session(self, access: Access, code: str) -> SessionView:
        social = await self._session(access, code)
        return SessionView(
            social,
            await sessions.reserved(self.db, social),
            (await self.identity()).links(self.channels, social.code),
            await funnel.session_funnel(self.db, social),
            access.suppresses_small_counts,
        )

    async def poster(self, access: Access, code: str, stylesheet: str | None = None) -> str:
        social = await self._session(access, code)
        links = (await self.identity()).links(self.channels, social.code)
        return sessions.poster_html(social, links, self.channels, stylesheet=stylesheet)

    async def qr(self, access: Access, code: str, channel: str, kind: str) -> bytes:
        """The QR code of one of the session's links, as PNG or SVG."""
        social = await self._session(access, code)
        url = (await self.identity()).links(self.channels, social.code).get(channel)
        if url is None:
            raise NotFound("Tautan untuk saluran ini belum tersedia.")
        return sessions.qr_png(url) if kind == "png" else sessions.qr_svg(url).encode()

    async def regency_funnels(self, access: Access) -> dict[str, funnel.Funnel]:
        if access.role == "mitra":
            every = await funnel.regency_funnels(self.db, None)
            return {k: v for k, v in every.items() if k in access.regencies}
        return await funnel.regency_funnels(self.db, self.branches(access))

    # --- broadcasts ---------------------------------------------------------------------------

    def _author_branch(self, access: Access) -> str | None:
        access.require(self.may_act(access))
        return None if access.all_branches else access.branch_code

    async def list_broadcasts(self, access: Access) -> list[Broadcast]:
        access.require(self.may_act(access))
        return list(await broadcasts.list_broadcasts(self.db, self.branches(access)))

    async def count(self, access: Access, audience: broadcasts.Audience) -> dict[str, int]:
        try:
            return await broadcasts.count_recipients(
                self.db, audience, self._author_branch(access), self.channels
            )
        except Invalid as exc:
            raise _invalid(exc) from None

    async def create_broadcast(
        self,
        access: Access,
        *,
        text: str,
        audience: broadcasts.Audience,
        send_at: datetime | None = None,
    ) -> Broadcast:
        branch = self._author_branch(access)
        try:
            created = await broadcasts.create_broadcast(
                self.db,
                text=text,
                audience=audience,
                actor=access.actor,
                branch=branch,
                now=self.clock(),
                channels=self.channels,
                send_at=send_at,
            )
        except Invalid as exc:
            raise _invalid(exc) from None
        if created.status == "sending" and self.prepare is not None:
            # The scheduler writes the outbox rows in chunks, then wakes the sender.
            self.prepare()
        await self._audit(
            access,
            "broadcast_created",
            created.branch_code,
            broadcast=created.id,
            recipients=created.recipients,
            scheduled=created.status == "scheduled",
        )
        return created

    async def broadcast(self, access: Access, broadcast_id: int) -> BroadcastView:
        access.require(self.may_act(access))
        found = await broadcasts.get_broadcast(self.db, broadcast_id, self.branches(access))
        progress = await broadcasts.progress(self.db, broadcast_id, self.branches(access))
        if found is None or progress is None:
            raise NotFound("Siaran tidak ditemukan.")
        return BroadcastView(found, progress)

    async def control(self, access: Access, broadcast_id: int, action: str) -> BroadcastView:
        """pause, resume or cancel; an action the broadcast's state does not allow is InvalidInput."""
        view = await self.broadcast(access, broadcast_id)
        now = self.clock()
        if action == "pause":
            done = await broadcasts.pause(self.db, broadcast_id, now)
        elif action == "resume":
            done = await broadcasts.resume(self.db, broadcast_id, now, self.quiet)
        elif action == "cancel":
            done = await broadcasts.cancel(self.db, broadcast_id, now)
        else:
            raise NotFound()
        if not done:
            raise InvalidInput("status", "Siaran dalam keadaan ini tidak dapat diubah seperti itu.")
        if action == "resume":
            for channel in view.broadcast.audience.get("channels", ()):
                self._wake(channel)
        await self._audit(access, f"broadcast_{action}", view.broadcast.branch_code, broadcast=broadcast_id)
        return await self.broadcast(access, broadcast_id)

    # --- the officer's own test chat ----------------------------------------------------------

    async def test_chat(self, access: Access) -> TestChat | None:
        """The chat "kirim uji" goes to, if the officer linked one."""
        if access.account_id is None:
            return None
        async with self.db.reader() as session:
            account = await session.get(StaffAccount, access.account_id)
        if account is None or account.test_channel is None or account.test_chat_id is None:
            return None
        return TestChat(account.test_channel, officer_test_chats.masked(account.test_chat_id))

    async def link_code(self, access: Access) -> LinkCode:
        """A one-time code the officer sends to the bot as "UJI <code>" to link their chat."""
        access.require(self.may_act(access) and access.account_id is not None)
        assert access.account_id is not None
        now = self.clock()
        async with self.db.transaction() as session:
            code, expires = await officer_test_chats.issue_code(session, access.account_id, now)
            auditlog.record(session, access, "test_chat_code", now=now)
        return LinkCode(code, expires)

    async def unlink_test_chat(self, access: Access) -> None:
        access.require(self.may_act(access) and access.account_id is not None)
        assert access.account_id is not None
        now = self.clock()
        async with self.db.transaction() as session:
            channel = await officer_test_chats.unlink(session, access.account_id)
            if channel is not None:
                auditlog.record(session, access, "test_chat_unlinked", now=now, channel=channel)

    async def send_test(self, access: Access, text: str) -> TestChat:
        """ "Kirim uji" to the officer's linked chat; audited without the chat's address."""
        access.require(self.may_act(access))
        if not text.strip():
            raise InvalidInput("text", "Isi pesan wajib diisi.")
        async with self.db.reader() as session:
            account = await session.get(StaffAccount, access.account_id) if access.account_id else None
        if account is None or account.test_channel is None or account.test_chat_id is None:
            raise InvalidInput("test_chat", "Hubungkan dulu chat uji Anda dengan kode di bawah.")
        channel, chat = account.test_channel, account.test_chat_id
        await broadcasts.send_test(self.db, text, channel=channel, chat_id=chat, now=self.clock())
        self._wake(channel)
        await self._audit(access, "broadcast_test", access.branch_code, channel=channel)
        return TestChat(channel, officer_test_chats.masked(chat))

    def _wake(self, channel: str) -> None:
        if self.wake is not None:
            self.wake(channel)
