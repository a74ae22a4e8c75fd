"""Staff accounts, passwords (argon2), API tokens (kept as SHA-256) and the log-in throttle.

After `MAX_FAILURES` wrong passwords within `LOCK_WINDOW`, the account and the address each
wait `LOCK_WINDOW`; while waiting even the right password is refused. Log-ins, failures and
waits are audited (the user name and address, never the password).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import BRANCH_ROLES, ROLES, Access
from dashboard.service.errors import InvalidInput, LoginRefused, NotFound
from handlers.branches import branch_map
from handlers.regions import region
from storage.models import ApiToken, LoginThrottle, StaffAccount

MAX_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)
TOKEN_TOUCH = timedelta(minutes=5)
"""A token's use is written (last use, audit) at most this often, so API reads stay reads."""
TOKEN_PREFIX = "bpu_"
MIN_PASSWORD = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
# The most common passwords in leaked lists, and local favourites, lower-cased with digits and
# symbols removed: a password made of one of these plus numbers is refused.
_COMMON = frozenset(
    {
        "password",
        "passw",
        "qwerty",
        "qwertyuiop",
        "asdfgh",
        "abc",
        "abcdef",
        "admin",
        "administrator",
        "welcome",
        "letmein",
        "iloveyou",
        "monkey",
        "dragon",
        "sunshine",
        "rahasia",
        "sayang",
        "bismillah",
        "indonesia",
        "jakarta",
        "bpjs",
        "bpjstk",
        "bpjsketenagakerjaan",
        "ketenagakerjaan",
        "kantor",
        "cabang",
        "petugas",
        "",
    }
)

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


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak (Indonesian), or None when it will do."""
    if len(password) < MIN_PASSWORD:
        return f"Kata sandi minimal {MIN_PASSWORD} karakter."
    if len(set(password)) < 5:
        return "Kata sandi terlalu mudah ditebak: pakai lebih banyak huruf dan angka yang berbeda."
    if username and username.lower() in password.lower():
        return "Kata sandi tidak boleh memuat nama pengguna."
    letters = re.sub(r"[^a-z]", "", password.lower())
    if letters in _COMMON or password.isdigit():
        return "Kata sandi ini terlalu umum. Pakai gabungan beberapa kata yang tidak umum."
    return None


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
    problem = password_problem(password, username)
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
    tokens = (await session.exec(select(ApiToken.account_id).where(col(ApiToken.revoked_at).is_(None)))).all()
    return [
        AccountInfo(
            username=a.username,
            role=a.role,
            branch_code=a.branch_code,
            regencies=tuple(a.regencies),
            disabled=a.disabled_at is not None,
            created_at=a.created_at,
            tokens=sum(1 for t in tokens if t == a.id),
        )
        for a in accounts
    ]


async def disable(session: AsyncSession, actor: str, username: str, now: datetime) -> None:
    """Disables the account and revokes its tokens; its sessions end at their next request."""
    account = await _existing(session, username)
    account.disabled_at = account.disabled_at or now
    await _revoke_all(session, account, now)
    auditlog.record(
        session, actor, "account_disabled", now=now, branch=account.branch_code, username=account.username
    )


async def set_password(
    session: AsyncSession, actor: str, username: str, password: str, now: datetime
) -> None:
    account = await _existing(session, username)
    problem = password_problem(password, account.username)
    if problem:
        raise InvalidInput("password", problem)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    auditlog.record(
        session, actor, "password_changed", now=now, branch=account.branch_code, username=account.username
    )


async def issue_token(session: AsyncSession, actor: str, username: str, now: datetime) -> str:
    """A new API token for the account; only its hash is stored, so it is shown once."""
    account = await _existing(session, username)
    if account.disabled_at is not None:
        raise InvalidInput("username", f"Akun {username} dinonaktifkan.")
    assert account.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(account_id=account.id, token_hash=token_hash(token), prefix=token[:10], created_at=now)
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


async def token_account(session: AsyncSession, token: str) -> tuple[ApiToken, StaffAccount] | None:
    query = (
        select(ApiToken, StaffAccount)
        .join(StaffAccount, col(StaffAccount.id) == col(ApiToken.account_id))
        .where(
            col(ApiToken.token_hash) == token_hash(token),
            col(ApiToken.revoked_at).is_(None),
            col(StaffAccount.disabled_at).is_(None),
        )
    )
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
    keys = (f"user:{name}", f"addr:{address[:100]}")
    rows = [await _throttle(session, key) for key in keys]
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
        for row in rows:
            if row.first_failure_at is None or now - row.first_failure_at > LOCK_WINDOW:
                row.failures, row.first_failure_at = 0, now
            row.failures += 1
            if row.failures >= MAX_FAILURES:
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
