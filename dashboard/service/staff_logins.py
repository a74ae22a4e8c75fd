"""Staff log-ins kept on the server, so that ending one really ends it.

The browser holds a random token; the database holds its SHA-256 with the account, when it
began and when it was last used (`storage.security_models.StaffLogin`). A log-in is over when
it was ended (log-out, "log out everywhere", the password changed, the account disabled), when
it was idle longer than the idle limit, or when it is older than the absolute lifetime however
busy: then a copy of the cookie opens nothing. Why it ended is kept, so the log-in page can say it.

Text an officer typed into a form that the end interrupted is kept with the ended log-in
(encrypted) and handed to the officer's next log-in from the same browser, to be shown once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access
from storage.crypto import Vault
from storage.db import Database
from storage.models import StaffAccount
from storage.security_models import StaffLogin
from storage.types import utcnow

REASONS = ("logout", "everywhere", "password", "disabled", "idle", "lifetime")
"""Why a log-in ended."""
TOUCH_EVERY = timedelta(seconds=60)
"""`seen_at` is written at most this often (a page load is not always a write)."""
KEPT_LIMIT = 20_000
"""Characters of interrupted form text kept at most."""


@dataclass(frozen=True)
class LoginState:
    """A log-in as a request finds it."""

    account_id: int
    epoch: int
    """The account's password epoch (see `Access.epoch`) while the log-in is live."""
    ended: str | None
    """Why it is over (one of REASONS), or None while it is live."""
    kept: dict[str, str] | None = None
    """Text interrupted by an earlier end, handed over once (None: nothing)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _epoch(account: StaffAccount) -> int:
    changed = account.password_changed_at
    return round(changed.timestamp() * 1_000_000) if changed else 0


class StaffLogins:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        *,
        idle_minutes: int,
        lifetime_hours: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.vault = vault
        self.idle = timedelta(minutes=idle_minutes)
        self.lifetime = timedelta(hours=lifetime_hours)
        self.clock = clock

    async def start(self, access: Access, token: str, *, carried_from: str | None = None) -> None:
        """Records a log-in for `token`; text kept by the browser's ended log-in (`carried_from`)
        of the same account moves to it."""
        assert access.account_id is not None
        now = self.clock()
        async with self.db.transaction() as session:
            kept: str | None = None
            if carried_from:
                old = await self._row(session, carried_from)
                if old is not None and old.account_id == access.account_id and old.kept_enc:
                    kept, old.kept_enc = old.kept_enc, None
            session.add(
                StaffLogin(
                    token_hash=token_hash(token),
                    account_id=access.account_id,
                    created_at=now,
                    seen_at=now,
                    kept_enc=kept,
                )
            )

    async def look_up(self, token: str) -> LoginState | None:
        """The log-in of `token` (None: there is none); ends it here if its time is up or its
        account changed, and refreshes its last use."""
        now = self.clock()
        async with self.db.transaction() as session:
            row = await self._row(session, token)
            if row is None:
                return None
            account = await session.get(StaffAccount, row.account_id)
            if row.ended_at is None:
                reason = self._over(row, account, now)
                if reason is not None:
                    row.ended_at, row.end_reason = now, reason
                elif now - row.seen_at >= TOUCH_EVERY:
                    row.seen_at = now
            kept = None
            if row.ended_at is None and row.kept_enc:
                kept = json.loads(self.vault.decrypt(row.kept_enc))
                row.kept_enc = None
            epoch = _epoch(account) if account is not None else 0
            return LoginState(row.account_id, epoch, row.end_reason if row.ended_at else None, kept)

    def _over(self, row: StaffLogin, account: StaffAccount | None, now: datetime) -> str | None:
        if account is None or account.disabled_at is not None:
            return "disabled"
        if account.password_changed_at is not None and account.password_changed_at > row.created_at:
            return "password"
        if now - row.created_at > self.lifetime:
            return "lifetime"
        if now - row.seen_at > self.idle:
            return "idle"
        return None

    async def end(self, token: str, reason: str) -> None:
        async with self.db.transaction() as session:
            row = await self._row(session, token)
            if row is not None and row.ended_at is None:
                row.ended_at, row.end_reason = self.clock(), reason

    async def end_all(self, account_id: int, reason: str) -> int:
        """Ends every live log-in of the account ("log out everywhere"); how many there were."""
        async with self.db.transaction() as session:
            result = await session.exec(
                update(StaffLogin)
                .where(col(StaffLogin.account_id) == account_id, col(StaffLogin.ended_at).is_(None))
                .values(ended_at=self.clock(), end_reason=reason)
            )
            return int(result.rowcount or 0)

    async def keep(self, token: str, fields: Mapping[str, str]) -> bool:
        """Keeps text of a form the end of `token`'s log-in interrupted (True when kept)."""
        text = {name: value[:KEPT_LIMIT] for name, value in fields.items() if value.strip()}
        if not text:
            return False
        async with self.db.transaction() as session:
            row = await self._row(session, token)
            if row is None or row.ended_at is None:
                return False
            row.kept_enc = self.vault.encrypt(json.dumps(text, ensure_ascii=False))
            return True

    async def has_kept(self, token: str) -> bool:
        async with self.db.reader() as session:
            row = await self._row(session, token)
            return row is not None and row.kept_enc is not None

    @staticmethod
    async def _row(session: AsyncSession, token: str) -> StaffLogin | None:
        query = select(StaffLogin).where(col(StaffLogin.token_hash) == token_hash(token))
        found: StaffLogin | None = (await session.exec(query)).first()
        return found
