"""Staff accounts, passwords (argon2, the policy in `passwords`), API tokens (kept as SHA-256,
expiring, revoked with a password change) and the log-in throttle.

The throttle counts wrong passwords per address and per account from one address, never per
account alone (that would let anyone lock an officer out): after `MAX_FAILURES` from one address
for one account, or `MAX_ADDRESS_FAILURES` from one address for any, within `LOCK_WINDOW`, that
pair or that address waits `LOCK_WINDOW` (even the right password is refused there), while the
owner still gets in from another address. Log-ins, failures and waits are audited (the user name
and address, never the password); /metrics counts them for the alert on an attack.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog, handover, passwords
from dashboard.service.access import BRANCH_ROLES, ROLES, Access
from dashboard.service.errors import InvalidInput, LoginRefused, NotFound
from dashboard.service.handover import Handover
from handlers.branches import branch_map
from handlers.regions import region
from storage.models import ApiToken, LoginThrottle, StaffAccount

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
"""Wrong passwords from one address, for any accounts (an office behind one address has several officers)."""
TOKEN_LIFETIME = timedelta(days=90)
"""An API token works this long after its issue (API_TOKEN_DAYS)."""
LOCK_WINDOW = timedelta(minutes=15)
TOKEN_TOUCH = timedelta(minutes=5)
"""A token's use is written (last use, audit) at most this often, so API reads stay reads."""
TOKEN_PREFIX = "bpu_"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


@dataclass(frozen=True)
class AccountInfo:
    username: str
    role: str
    branch_code: str | None
    regencies: tuple[str, ...]
    disabled: bool
    created_at: datetime
    tokens: int
    token_last_used: datetime | None = None
    """When any of its live API tokens was last used (None: never, or no token)."""


def password_problem(password: str, username: str = "", branch: str | None = None) -> str | None:
    """Why a password is too weak (Indonesian), or None when it will do (see `passwords`)."""
    return passwords.problem(password, username=username, branch=branch)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_of(account: StaffAccount, via: str) -> Access:
    changed = account.password_changed_at
    return Access(
        account_id=account.id,
        username=account.username,
        role=account.role,
        branch_code=account.branch_code,
        regencies=tuple(account.regencies),
        via=via,
        epoch=round(changed.timestamp() * 1_000_000) if changed else 0,
    )


async def officers(session: AsyncSession, branch_code: str) -> list[str]:
    """Usernames of the active staff and supervisors of a branch."""
    query = (
        select(StaffAccount.username)
        .where(
            col(StaffAccount.branch_code) == branch_code,
            col(StaffAccount.role).in_(BRANCH_ROLES),
            col(StaffAccount.disabled_at).is_(None),
        )
        .order_by(col(StaffAccount.username))
    )
    return list((await session.exec(query)).all())


async def by_username(session: AsyncSession, username: str) -> StaffAccount | None:
    query = select(StaffAccount).where(col(StaffAccount.username) == username.strip().lower())
    return (await session.exec(query)).first()


async def _existing(session: AsyncSession, username: str) -> StaffAccount:
    account = await by_username(session, username)
    if account is None:
        raise NotFound(f"Akun {username} tidak ada.")
    return account


def _check_new_account(username: str, role: str, branch: str | None, regencies: list[str]) -> None:
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "username", "Nama pengguna: 2-64 huruf kecil, angka, titik, garis bawah atau tanda hubung."
        )
    if role not in ROLES:
        raise InvalidInput("role", f"Peran harus salah satu dari: {', '.join(ROLES)}.")
    if role in BRANCH_ROLES and not branch:
        raise InvalidInput("branch", "Petugas dan kepala bidang harus punya kode cabang.")
    if branch and branch not in branch_map().branches:
        known = ", ".join(branch_map().branches)
        raise InvalidInput("branch", f"Kode cabang {branch} tidak dikenal. Yang ada: {known}.")
    if role == "mitra" and not regencies:
        raise InvalidInput("regency", "Akun mitra harus diberi paling sedikit satu kode kabupaten/kota.")
    for code in regencies:
        if region(code) is None:
            raise InvalidInput("regency", f"Kode kabupaten/kota {code} tidak dikenal.")


async def create(
    session: AsyncSession,
    actor: str,
    *,
    username: str,
    password: str,
    role: str,
    branch: str | None,
    regencies: list[str],
    now: datetime,
) -> StaffAccount:
    username = username.strip().lower()
    _check_new_account(username, role, branch, regencies)
    if await by_username(session, username) is not None:
        raise InvalidInput("username", f"Nama pengguna {username} sudah dipakai.")
    problem = password_problem(password, username, branch)
    if problem:
        raise InvalidInput("password", problem)
    account = StaffAccount(
        username=username,
        password_hash=hash_password(password),
        role=role,
        branch_code=branch,
        regencies=list(regencies),
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    await session.flush()
    auditlog.record(session, actor, "account_created", now=now, branch=branch, username=username, role=role)
    return account


async def listing(session: AsyncSession) -> list[AccountInfo]:
    accounts = (await session.exec(select(StaffAccount).order_by(col(StaffAccount.username)))).all()
    live = select(ApiToken.account_id, ApiToken.last_used_at).where(col(ApiToken.revoked_at).is_(None))
    tokens = (await session.exec(live)).all()
    return [
        AccountInfo(
            username=a.username,
            role=a.role,
            branch_code=a.branch_code,
            regencies=tuple(a.regencies),
            disabled=a.disabled_at is not None,
            created_at=a.created_at,
            tokens=sum(1 for owner, _ in tokens if owner == a.id),
            token_last_used=max((used for owner, used in tokens if owner == a.id and used), default=None),
        )
        for a in accounts
    ]


async def disable(
    session: AsyncSession, actor: str, username: str, now: datetime, hand_to: str | None = None
) -> Handover:
    """Disables the account and revokes its tokens; its sessions end at their next request.

    Its open sign-ups and callback requests go back to the unassigned queue, or to `hand_to`
    (an active officer of the same branch), each move audited (see `handover`)."""
    account = await _existing(session, username)
    to = await handover.colleague(session, account, hand_to) if hand_to else None
    account.disabled_at = account.disabled_at or now
    await _revoke_all(session, account, now)
    auditlog.record(
        session, actor, "account_disabled", now=now, branch=account.branch_code, username=account.username
    )
    return await handover.hand_over(session, actor, account, now, to)


async def enable(session: AsyncSession, actor: str, username: str, now: datetime) -> None:
    """Lets a disabled account log in again (its old tokens stay revoked)."""
    account = await _existing(session, username)
    if account.disabled_at is None:
        return
    account.disabled_at = None
    auditlog.record(
        session, actor, "account_enabled", now=now, branch=account.branch_code, username=account.username
    )


async def change_role(
    session: AsyncSession,
    actor: str,
    username: str,
    *,
    role: str,
    branch: str | None,
    now: datetime,
) -> None:
    """A new role (and branch) for an account; checked like a new account's. The account's
    pages follow at their next request (the access is re-read every time)."""
    account = await _existing(session, username)
    branch = branch if role in BRANCH_ROLES else None
    _check_new_account(account.username, role, branch, list(account.regencies))
    if (account.role, account.branch_code) == (role, branch):
        return
    auditlog.record(
        session,
        actor,
        "role_changed",
        now=now,
        branch=branch or account.branch_code,
        username=account.username,
        role_from=account.role,
        role_to=role,
        branch_from=account.branch_code or "-",
        branch_to=branch or "-",
    )
    account.role, account.branch_code = role, branch


async def set_password(
    session: AsyncSession, actor: str, username: str, password: str, now: datetime
) -> None:
    account = await _existing(session, username)
    problem = password_problem(password, account.username, account.branch_code)
    if problem:
        raise InvalidInput("password", problem)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    await _revoke_all(session, account, now)  # a token made with the old password goes with it
    auditlog.record(
        session, actor, "password_changed", now=now, branch=account.branch_code, username=account.username
    )


async def issue_token(
    session: AsyncSession, actor: str, username: str, now: datetime, valid_for: timedelta = TOKEN_LIFETIME
) -> str:
    """A new API token for the account, valid for `valid_for`; only its hash is stored, so it is
    shown once."""
    account = await _existing(session, username)
    if account.disabled_at is not None:
        raise InvalidInput("username", f"Akun {username} dinonaktifkan.")
    assert account.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            account_id=account.id,
            token_hash=token_hash(token),
            prefix=token[:10],
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    auditlog.record(
        session, actor, "token_issued", now=now, branch=account.branch_code, username=account.username
    )
    return token


async def _revoke_all(session: AsyncSession, account: StaffAccount, now: datetime) -> int:
    tokens = (
        await session.exec(
            select(ApiToken).where(col(ApiToken.account_id) == account.id, col(ApiToken.revoked_at).is_(None))
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


async def revoke_tokens(session: AsyncSession, actor: str, username: str, now: datetime) -> int:
    account = await _existing(session, username)
    revoked = await _revoke_all(session, account, now)
    auditlog.record(
        session,
        actor,
        "token_revoked",
        now=now,
        branch=account.branch_code,
        username=account.username,
        count=revoked,
    )
    return revoked


async def token_account(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[ApiToken, StaffAccount] | None:
    """The live token and its account (not revoked, not expired at `now`, the account enabled)."""
    query = (
        select(ApiToken, StaffAccount)
        .join(StaffAccount, col(StaffAccount.id) == col(ApiToken.account_id))
        .where(
            col(ApiToken.token_hash) == token_hash(token),
            col(ApiToken.revoked_at).is_(None),
            col(StaffAccount.disabled_at).is_(None),
        )
    )
    if now is not None:
        query = query.where(or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now))
    row = (await session.exec(query)).first()
    return (row[0], row[1]) if row else None


def token_needs_touch(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH


async def touch_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    token = await session.get(ApiToken, token_id)
    if token is None:
        return
    account = await session.get(StaffAccount, token.account_id)
    token.last_used_at = now
    if account is not None:
        auditlog.record(
            session,
            f"staff:{account.username}",
            "token_used",
            now=now,
            branch=account.branch_code,
            token=token.prefix,
        )


# --- log-in -----------------------------------------------------------------------------------


async def _throttle(session: AsyncSession, key: str) -> LoginThrottle:
    row = await session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        session.add(row)
    return row


async def authenticate(
    session: AsyncSession, username: str, password: str, address: str, now: datetime
) -> Access | LoginRefused:
    """The account's access, or the refusal to show (returned, so the failure is committed)."""
    name = username.strip().lower()[:64]
    place = address[:50]
    keys = ((f"user:{name}@{place}", MAX_FAILURES), (f"addr:{place}", MAX_ADDRESS_FAILURES))
    rows = [await _throttle(session, key) for key, _ in keys]
    account = await by_username(session, name)
    # The branch of the account tried, so its supervisor sees the failures and the waits.
    branch = account.branch_code if account else None
    waits = [r.locked_until for r in rows if r.locked_until and r.locked_until > now]
    if waits:
        until = max(waits)
        return _wait(session, name, branch, address, until, now)
    try:
        valid: bool = _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        valid = False
    if account is None or account.disabled_at is not None or not valid:
        locked: datetime | None = None
        for row, (_, most) in zip(rows, keys, strict=True):
            if row.first_failure_at is None or now - row.first_failure_at > LOCK_WINDOW:
                row.failures, row.first_failure_at = 0, now
            row.failures += 1
            if row.failures >= most:
                row.locked_until, row.failures, row.first_failure_at = now + LOCK_WINDOW, 0, None
                locked = row.locked_until
        auditlog.record(session, f"login:{name}", "login_failed", now=now, branch=branch, address=address)
        if locked is not None:
            return _wait(session, name, branch, address, locked, now)
        return LoginRefused("Nama pengguna atau kata sandi salah.")
    rows[0].failures, rows[0].first_failure_at, rows[0].locked_until = 0, None, None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    access = access_of(account, "session")
    auditlog.record(session, access, "login", now=now, address=address)
    return access


def _wait(
    session: AsyncSession, name: str, branch: str | None, address: str, until: datetime, now: datetime
) -> LoginRefused:
    """The refusal while an account or address waits; the wait is audited."""
    auditlog.record(
        session,
        f"login:{name}",
        "login_locked",
        now=now,
        branch=branch,
        address=address,
        until=until.isoformat(),
    )
    return LoginRefused(_locked_message(until, now), until)


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return f"Terlalu banyak percobaan yang salah. Coba lagi dalam {minutes} menit."
