"""`Backoffice`: the one entry point of the staff side, shared by the pages, the API and the CLI.

Each method is one unit of work (one transaction). Methods that touch submissions take the
caller's `Access`; a submission outside it raises `NotFound`, the same as a missing one.
Errors are the typed `ServiceError`s of `dashboard.service.errors`, with Indonesian messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import accounts, auditlog, callbacks, cases, queue, reports
from dashboard.service.access import Access
from dashboard.service.accounts import AccountInfo
from dashboard.service.auditlog import AuditPage
from dashboard.service.callbacks import CallbackItem, CallbackPage
from dashboard.service.cases import SubmissionDetail
from dashboard.service.errors import LoginRefused, Stale
from dashboard.service.export.callback_export import export_callbacks
from dashboard.service.export.queue_export import export_queue
from dashboard.service.handover import Handover
from dashboard.service.queue import PAGE_SIZE, QueueFilters, QueuePage
from dashboard.service.reports import Report
from handlers.channels import Catalogue
from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from storage.crypto import Vault
from storage.db import Database
from storage.models import StaffAccount, Submission
from storage.types import utcnow

Action = Callable[[AsyncSession, Access, str, datetime, int | None], Awaitable[Submission]]


@dataclass(frozen=True)
class OfficeRules:
    """Settings the staff side follows (from the service settings)."""

    callback_working_days: int = 3
    max_age_flag: int = 65
    api_token_days: int = 90
    agent_handback_minutes: int = 60
    """An officer's hold on a worker's chat ends this long after the officer's last message."""


class Backoffice:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        channels: Catalogue,
        *,
        rules: OfficeRules | None = None,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[str], None] | None = None,
        form: Form = FORM,
    ) -> None:
        self.form = form
        """The enrolment form the submissions were taken with: the detail and export follow it."""
        self.db = db
        self.vault = vault
        self.channels = channels
        """Every channel stored data may name (display names, whose chat id is a phone number)."""
        self.rules = rules or OfficeRules()
        self.clock = clock
        self.wake = wake
        """Called with a channel after a commit that queued a message on it (the sender's wake-up)."""

    # --- who is asking -------------------------------------------------------------------------

    async def authenticate(self, username: str, password: str, address: str) -> Access:
        """Checks a log-in; raises LoginRefused (wrong, or waiting after 5 failures). Audited."""
        async with self.db.transaction() as session:
            result = await accounts.authenticate(session, username, password, address, self.clock())
        if isinstance(result, LoginRefused):
            raise result
        return result

    async def access_for_account(self, account_id: int, via: str = "session") -> Access | None:
        """The access of a logged-in account, re-read on every request (None once disabled)."""
        async with self.db.reader() as session:
            account = await session.get(StaffAccount, account_id)
        if account is None or account.disabled_at is not None:
            return None
        return accounts.access_of(account, via)

    async def session_access(self, account_id: int) -> Access | None:
        """Same as access_for_account(account_id, "session"); compare `.epoch` with the cookie's."""
        return await self.access_for_account(account_id, "session")

    async def officers(self, access: Access, branch_code: str) -> list[str]:
        """Active staff and supervisors of a branch, for the reassign list (supervisor, admin)."""
        access.require(access.may_reassign and access.sees_branch(branch_code))
        async with self.db.reader() as session:
            return await accounts.officers(session, branch_code)

    async def access_for_token(self, token: str) -> Access | None:
        """The access of an API bearer token (None when unknown, revoked or disabled)."""
        now = self.clock()
        async with self.db.reader() as session:
            found = await accounts.token_account(session, token, now)
        if found is None:
            return None
        token_row, account = found
        if accounts.token_needs_touch(token_row, now):
            async with self.db.transaction() as session:
                await accounts.touch_token(session, token_row.id or 0, now)
        return accounts.access_of(account, "token")

    # --- the queue -----------------------------------------------------------------------------

    async def queue(
        self,
        access: Access,
        filters: QueueFilters | None = None,
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
        with_counts: bool = True,
        offset: int | None = None,
    ) -> QueuePage:
        """A page of the queue in the filters' order (by cursor, or by `offset`), with the total
        and the per-status counts under the same filters."""
        access.require(access.sees_people)
        async with self.db.reader() as session:
            return await queue.list_queue(
                session,
                access,
                self.vault,
                filters or QueueFilters(),
                now=self.clock(),
                cursor=cursor,
                limit=limit,
                with_counts=with_counts,
                offset=offset,
            )

    async def detail(self, access: Access, reference: str) -> SubmissionDetail:
        """The submission with its history and calls, NIK masked. The view is audited."""
        async with self.db.transaction() as session:
            return await cases.detail(session, access, self.vault, reference, self.clock(), form=self.form)

    async def reveal_nik(self, access: Access, reference: str, *, audit: bool = True) -> str:
        """The full NIK; audited (`audit=False` only for the page right after an audited reveal)."""
        async with self.db.transaction() as session:
            return await cases.reveal_nik(session, access, self.vault, reference, self.clock(), audit=audit)

    async def assign(
        self, access: Access, reference: str, expected_version: int | None = None
    ) -> SubmissionDetail:
        """ "Saya tangani". Refused when another officer has it (a supervisor reassigns instead)."""
        return await self._change(access, reference, expected_version, cases.assign)

    async def reassign(
        self, access: Access, reference: str, username: str, expected_version: int | None = None
    ) -> SubmissionDetail:
        """Supervisor or admin: hand the submission to an officer of its branch."""

        async def act(
            session: AsyncSession, access: Access, reference: str, now: datetime, expected: int | None
        ) -> Submission:
            return await cases.reassign(session, access, reference, username, now, expected)

        return await self._change(access, reference, expected_version, act)

    async def record_call(
        self,
        access: Access,
        reference: str,
        outcome: str,
        *,
        callback_at: datetime | None = None,
        note: str | None = None,
    ) -> SubmissionDetail:
        """Logs a call: tidak_diangkat, nomor_salah, minta_telepon_lagi (with callback_at), berhasil."""
        now = self.clock()
        async with self.db.transaction() as session:
            await cases.record_call(
                session, access, reference, outcome, now, callback_at=callback_at, note=note
            )
            submission = await cases.load(session, access, reference)
            return await cases.detail_of(session, submission, self.vault, now, self.form)

    async def change_status(
        self,
        access: Access,
        reference: str,
        new_status: str,
        *,
        note: str | None = None,
        kpj: str | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> SubmissionDetail:
        """Moves along baru → diproses → dihubungi → terdaftar, or to ditolak / dibatalkan.

        Raises Refused (impossible change, with the reason), InvalidInput (KPJ, reason, note),
        Stale (another officer changed it: `.current` is the new state). Queues the worker's
        notification for dihubungi, terdaftar and ditolak.
        """
        now = self.clock()
        try:
            async with self.db.transaction() as session:
                submission, notified = await cases.change_status(
                    session,
                    access,
                    reference,
                    new_status,
                    now,
                    note=note,
                    kpj=kpj,
                    reason=reason,
                    expected_version=expected_version,
                )
                detail = await cases.detail_of(session, submission, self.vault, now, self.form)
                channel = submission.channel if notified else None
        except Stale as stale:
            raise Stale(await self._current(access, reference), by_self=stale.by_self) from None
        if channel and self.wake is not None:
            self.wake(channel)
        return detail

    async def _change(
        self, access: Access, reference: str, expected_version: int | None, act: Action
    ) -> SubmissionDetail:
        now = self.clock()
        try:
            async with self.db.transaction() as session:
                submission = await act(session, access, reference, now, expected_version)
                return await cases.detail_of(session, submission, self.vault, now, self.form)
        except Stale as stale:
            raise Stale(await self._current(access, reference), by_self=stale.by_self) from None

    async def _current(self, access: Access, reference: str) -> SubmissionDetail:
        async with self.db.reader() as session:
            return await cases.detail(
                session, access, self.vault, reference, self.clock(), audit=False, form=self.form
            )

    # --- callback requests ("minta ditelepon") ------------------------------------------------

    async def callbacks(self, access: Access, *, status: str | None = "open") -> CallbackPage:
        """The branch's callback requests, oldest first ("open": not yet closed), with counts."""
        async with self.db.reader() as session:
            return await callbacks.listing(session, access, self.vault, self.channels, status=status)

    async def callback(self, access: Access, request_id: int) -> CallbackItem:
        """One request, the number masked. The view is audited."""
        async with self.db.transaction() as session:
            return await callbacks.one(session, access, self.vault, self.channels, request_id, self.clock())

    async def reveal_callback_phone(self, access: Access, request_id: int) -> str:
        """The number to call, in full; audited."""
        async with self.db.transaction() as session:
            return await callbacks.reveal_phone(
                session, access, self.vault, self.channels, request_id, self.clock()
            )

    async def take_callback(
        self, access: Access, request_id: int, expected_version: int | None = None
    ) -> CallbackItem:
        """ "Saya tangani" on a callback request. Audited; Stale when it changed since read."""
        now = self.clock()
        try:
            async with self.db.transaction() as session:
                await callbacks.take(session, access, request_id, now, expected_version)
                return await callbacks.one(
                    session, access, self.vault, self.channels, request_id, now, audit=False
                )
        except Stale:
            raise Stale(await self._current_callback(access, request_id)) from None

    async def close_callback(
        self,
        access: Access,
        request_id: int,
        outcome: str,
        *,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CallbackItem:
        """Records the call and closes the request: selesai or tidak_terhubung. Audited."""
        now = self.clock()
        try:
            async with self.db.transaction() as session:
                await callbacks.close(
                    session, access, request_id, outcome, now, note=note, expected_version=expected_version
                )
                return await callbacks.one(
                    session, access, self.vault, self.channels, request_id, now, audit=False
                )
        except Stale:
            raise Stale(await self._current_callback(access, request_id)) from None

    async def _current_callback(self, access: Access, request_id: int) -> CallbackItem:
        async with self.db.reader() as session:
            return await callbacks.one(
                session, access, self.vault, self.channels, request_id, self.clock(), audit=False
            )

    # --- exports, reports, audit ---------------------------------------------------------------

    async def export(
        self, access: Access, filters: QueueFilters | None, fmt: str, *, reveal_nik: bool = False
    ) -> bytes:
        """The filtered queue as csv, json or xlsx (see `export`); audited."""
        async with self.db.transaction() as session:
            return await export_queue(
                session,
                access,
                self.vault,
                self.form,
                filters or QueueFilters(),
                fmt,
                reveal_nik=reveal_nik,
                now=self.clock(),
                channels=self.channels,
            )

    async def export_callbacks(self, access: Access, fmt: str, *, branch: str | None = None) -> bytes:
        """The open callback requests with their numbers and questions, oldest first; audited."""
        async with self.db.transaction() as session:
            return await export_callbacks(
                session, access, self.vault, self.channels, fmt, branch=branch, now=self.clock()
            )

    async def reports(
        self,
        access: Access,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        branch: str | None = None,
    ) -> Report:
        """Supervisor (their branch), admin (all, or `branch`), mitra (their regencies, "<5")."""
        access.require(access.may_report)
        async with self.db.reader() as session:
            return await reports.build(
                session,
                access,
                date_from=date_from,
                date_to=date_to,
                branch=branch,
                now=self.clock(),
                channels=self.channels,
            )

    async def audit(
        self,
        access: Access,
        *,
        action: str | None = None,
        actor: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """Supervisor: their branch's entries; admin: all. Newest first."""
        async with self.db.reader() as session:
            return await auditlog.read(
                session,
                access,
                action=action,
                actor=actor,
                date_from=date_from,
                date_to=date_to,
                cursor=cursor,
            )

    # --- accounts (the CLI, an admin) ----------------------------------------------------------

    async def add_account(
        self,
        actor: str,
        username: str,
        password: str,
        *,
        role: str,
        branch: str | None,
        regencies: list[str] | None = None,
    ) -> None:
        async with self.db.transaction() as session:
            await accounts.create(
                session,
                actor,
                username=username,
                password=password,
                role=role,
                branch=branch,
                regencies=regencies or [],
                now=self.clock(),
            )

    async def accounts(self) -> list[AccountInfo]:
        async with self.db.reader() as session:
            return await accounts.listing(session)

    async def disable_account(self, actor: str, username: str, hand_to: str | None = None) -> Handover:
        """Disables the account; its open sign-ups and callbacks go to the queue (or `hand_to`)."""
        async with self.db.transaction() as session:
            return await accounts.disable(session, actor, username, self.clock(), hand_to)

    async def set_password(self, actor: str, username: str, password: str) -> None:
        async with self.db.transaction() as session:
            await accounts.set_password(session, actor, username, password, self.clock())

    async def issue_token(self, actor: str, username: str) -> str:
        async with self.db.transaction() as session:
            valid = timedelta(days=self.rules.api_token_days)
            return await accounts.issue_token(session, actor, username, self.clock(), valid)

    async def revoke_tokens(self, actor: str, username: str) -> int:
        async with self.db.transaction() as session:
            return await accounts.revoke_tokens(session, actor, username, self.clock())
